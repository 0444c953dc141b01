// The engine's accumulator: which gradients it owns (the rule, at `takeFresh`), in-place sums
// into those, and the pool of dead gradients' storage that its sums and matmul's products reuse.

import { NDArray, isFloat, type FloatDType, type Storage, type StorageInfo } from "@tapegrad/tensor";
import { allocateUninit, gemm, recycleStorage, storageSerial, trimSpares } from "@tapegrad/tensor/internal";

// Set by the engine while it runs a VJP in a backward that builds no graph: matmul's rule
// multiplies straight into new arrays then.
let fastPaths = false;

/** True inside a VJP run by a backward that builds no graph. */
export function noGraph(): boolean {
  return fastPaths;
}

/**
 * @internal the engine's switch before each VJP it runs: what is made from now on is fresh
 * (see takeFresh). Returns the previous setting, for leaveVjp.
 */
export function enterVjp(fast: boolean): boolean {
  const prev = fastPaths;
  fastPaths = fast;
  mark = storageSerial();
  claimed.length = 0;
  return prev;
}

/** @internal after the VJP: the previous setting back; its fresh arrays stay, to be claimed. */
export function leaveVjp(prev: boolean): void {
  fastPaths = prev;
}

/** @internal at the start of a backward: no array from an earlier one counts as fresh. */
export function forgetFresh(): void {
  mark = Number.POSITIVE_INFINITY;
  claimed.length = 0;
}

// ---------------------------------------------------------------- fresh arrays

// The ownership rule, once: a gradient a VJP returns belongs to the engine when its storage was
// made while that VJP ran (its serial is at least the one read before the VJP, `enterVjp`) and
// no other result of the VJP has claimed that storage. Nothing else can hold such an array
// except the VJP itself, and a VJP keeps nothing it returns. The engine may then add other
// gradients into it in place, and reuse its storage once it has been added into another.
let mark = Number.POSITIVE_INFINITY;
/** The storages claimed since enterVjp: an array that a VJP passes to two inputs is owned by one. */
const claimed: StorageInfo[] = [];

/** A new float array of this shape for a kernel to fill (every element). */
function made(dtype: FloatDType, shape: readonly number[]): NDArray {
  return newArray(dtype, shape);
}

/** Whether `a` was made by the VJP now delivering and is not yet claimed; claiming it unmarks it. */
export function takeFresh(a: NDArray): boolean {
  const info = a.storageInfo;
  if (info.serial < mark || claimed.includes(info)) return false;
  claimed.push(info);
  return true;
}

/** The storage of a float, contiguous array of this shape and dtype, or null. */
function dense(a: NDArray, shape: readonly number[], dtype: string): Storage | null {
  if (a.dtype !== dtype || !isFloat(a.dtype) || a.shape.length !== shape.length) return null;
  for (let i = 0; i < shape.length; i++) if (a.shape[i] !== shape[i]) return null;
  return a.isContiguous() ? a.data : null;
}

// ---------------------------------------------------------------- storage reuse

// A backward makes and drops about one array per op. The storage of a gradient that the engine
// has added into another (or that a VJP has consumed and that nothing else can hold) goes to the
// tensor package's spares (`recycle`), which the next kernel that writes a whole result takes
// before making a new typed array. Between backwards only small spares are kept, up to
// KEEP_BYTES in all (`endBackward`), so that a training loop over a small model finds them
// again, while the large arrays of a large model are left to the collector.

const floatDType = (a: NDArray): FloatDType => (a.dtype === "float32" ? "float32" : "float64");

/** An array of this shape over spare storage, or a new one (holding old values either way, or zeros). */
function newArray(dtype: FloatDType, shape: readonly number[]): NDArray {
  let n = 1;
  for (const d of shape) n *= d;
  return new NDArray(allocateUninit(dtype, n), shape);
}

/** Takes back the storage of a gradient that is dead (its VJP ran, no one else holds it). */
export function recycle(a: NDArray): void {
  if (a.offset !== 0 || a.size !== a.data.length || (a.dtype !== "float64" && a.dtype !== "float32")) return;
  recycleStorage(a.data);
}

/** What the spares may keep between backwards, and the largest one kept. */
const KEEP_BYTES = 1 << 20;
const KEEP_LARGEST = 1 << 15;

/** Trims the spares at the end of a backward to a few small arrays (see above). */
export function endBackward(): void {
  trimSpares(KEEP_BYTES, KEEP_LARGEST);
}

// ---------------------------------------------------------------- sums

/** into += g in place; `into` is a fresh (contiguous, unshared) array of g's shape and dtype. */
export function addInto(into: NDArray, g: NDArray): boolean {
  const gd = dense(g, into.shape, into.dtype);
  if (!gd || !into.isContiguous()) return false;
  const d = into.data;
  const o = into.offset;
  const go = g.offset;
  for (let i = 0, n = into.size; i < n; i++) d[o + i]! += gd[go + i]!;
  return true;
}

/**
 * a + b into a new array, both dense of one shape and dtype: the engine's sum of two gradients
 * for one tensor. Not marked fresh: the engine owns it from the start.
 */
export function addGrads(a: NDArray, b: NDArray): NDArray | null {
  const ad = dense(a, a.shape, a.dtype);
  const bd = dense(b, a.shape, a.dtype);
  if (!ad || !bd) return null;
  const r = newArray(floatDType(a), a.shape); // the engine's own, not one of a VJP's fresh arrays
  const out = r.data;
  const ao = a.offset;
  const bo = b.offset;
  for (let i = 0, n = r.size; i < n; i++) out[i] = ad[ao + i]! + bd[bo + i]!;
  return r;
}

// ---------------------------------------------------------------- products

/**
 * A 2-D product op(A) op(B) (op: transpose or not) into a new array through nd.gemm, a
 * transposed operand read through swapped strides: matmul's VJP, g B^T and A^T g, without the
 * view objects, broadcasting and output checks of nd.matmul, which cost more than an
 * LSTM-step product at the notebook's size.
 */
export function product2d(a: NDArray, ta: boolean, b: NDArray, tb: boolean): NDArray | null {
  if (a.ndim !== 2 || b.ndim !== 2 || a.dtype !== b.dtype || (a.dtype !== "float64" && a.dtype !== "float32")) return null;
  const [r, c] = ta ? [1, 0] : [0, 1];
  const [M, K] = [a.shape[r]!, a.shape[c]!];
  const [q, p] = tb ? [1, 0] : [0, 1];
  const [K2, N] = [b.shape[q]!, b.shape[p]!];
  if (K !== K2) return null;
  const out = made(a.dtype, [M, N]);
  gemm(M, N, K, a.data, a.offset, a.strides[r]!, a.strides[c]!, b.data, b.offset, b.strides[q]!, b.strides[p]!, out.data, 0, N, 1);
  return out;
}
