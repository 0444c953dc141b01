// Fused loops for the VJPs, used only when no graph is being built (a backward without
// createGraph). The differentiable rule for sigmoid, g * (y * (1 - y)), runs three kernels and
// allocates three arrays and three Tensors; here it is one loop and one array. Each kernel
// takes the simple case only (operands of one shape and float dtype, contiguous) and returns
// null otherwise, so its caller falls back to the differentiable rule, which stays the
// definition (and what gradgradcheck differentiates).
//
// Every array made here is fresh: no one else holds it. The engine may then accumulate other
// gradients into it in place instead of allocating a sum (see `takeFresh`), and once the VJP
// that consumed it has run, reuse its storage for the next array made here (see `recycle`).

import { NDArray, empty, gemm, isFloat, type FloatDType, type Storage } from "@tapegrad/tensor";
import { Tensor } from "./tensor.js";

// Set by the engine while it runs a built-in op's VJP in a backward that builds no graph: the
// only place the fast paths apply. A user's VJP (defineOp, customOp) never sees them, so the
// arrays marked fresh below only ever come from the VJPs in ops/, which return each at most
// once and never next to a view of it.
let fastPaths = false;

/** True inside a built-in VJP run by a backward that builds no graph: the fast paths apply. */
export function noGraph(): boolean {
  return fastPaths;
}

/**
 * @internal the engine's switch before each VJP it runs: fast paths on for a built-in VJP in a
 * backward that builds no graph; the fresh arrays of the previous VJP are forgotten (any still
 * unclaimed went nowhere). Returns the previous setting, for leaveVjp.
 */
export function enterVjp(fast: boolean): boolean {
  const prev = fastPaths;
  fastPaths = fast;
  fresh.length = 0;
  return prev;
}

/** @internal after the VJP: the previous setting back; its fresh arrays stay, to be claimed. */
export function leaveVjp(prev: boolean): void {
  fastPaths = prev;
}

/** @internal at the start of a backward: no array from an earlier one counts as fresh. */
export function forgetFresh(): void {
  fresh.length = 0;
}

/** A kernel's result as a gradient Tensor, or null (the kernel declined) for `??` to fall back. */
export function wrap(a: NDArray | null): Tensor | null {
  return a === null ? null : new Tensor(a);
}

// ---------------------------------------------------------------- fresh arrays

// The arrays the kernels here have made during the VJP now running (the list is emptied before
// each one, `enterVjp`): the only arrays the engine may take as its own. A few at a time, so a
// list beats a WeakSet.
const fresh: NDArray[] = [];

/** A new float array of this shape for a kernel to fill (every element), marked fresh. */
function made(dtype: FloatDType, shape: readonly number[]): NDArray {
  const a = newArray(dtype, shape);
  fresh.push(a);
  return a;
}

/** Marks an array that a kernel has just allocated (a product, a sum) as fresh. */
export function markFresh(a: NDArray): NDArray {
  fresh.push(a);
  return a;
}

/**
 * Whether `a` was made here and not yet claimed; claiming it unmarks it, so an array that a VJP
 * passes on to two inputs (add hands g to both) can be owned by at most one of them.
 */
export function takeFresh(a: NDArray): boolean {
  const i = fresh.indexOf(a);
  if (i < 0) return false;
  fresh[i] = fresh[fresh.length - 1]!;
  fresh.pop();
  return true;
}

/** The storage of a float, contiguous array of this shape and dtype, or null. */
function dense(a: NDArray, shape: readonly number[], dtype: string): Storage | null {
  if (a.dtype !== dtype || !isFloat(a.dtype) || a.shape.length !== shape.length) return null;
  for (let i = 0; i < shape.length; i++) if (a.shape[i] !== shape[i]) return null;
  return a.isContiguous() ? a.data : null;
}

// ---------------------------------------------------------------- storage reuse

// A new typed array costs far more than these loops spend on the (10, 5) gradients of an LSTM
// step at the notebook's size (about 0.5 µs when its storage is its own, outside the JS heap),
// and the collector must reclaim it later. A backward makes and drops one such array per op, so
// the engine hands back the storage of a gradient that a VJP has consumed and that nothing else
// can hold (`recycle`), and the kernels here take from those first. Between backwards the pool keeps only small
// arrays, up to KEEP_BYTES in all (`endBackward`), so that a training loop over a small model
// finds them again, while the large arrays of a large model are left to the collector.
// Kernels that take from it must write every element: a recycled array holds old values.

const pools = { float64: new Map<number, Storage[]>(), float32: new Map<number, Storage[]>() };
/** At most this many spare arrays of one length and dtype: what one step of a loop needs again. */
const POOL_DEPTH = 8;

/** Arrays of at most this many elements are not pooled: V8 makes them on the JS heap, cheaply. */
const TINY = 8;

const floatDType = (a: NDArray): FloatDType => (a.dtype === "float32" ? "float32" : "float64");

/** An array of this shape from the pool, or a new one (holding old values either way, or zeros). */
function newArray(dtype: FloatDType, shape: readonly number[]): NDArray {
  let n = 1;
  for (const d of shape) n *= d;
  const spare = n > TINY ? pools[dtype].get(n)?.pop() : undefined;
  return spare !== undefined ? new NDArray(spare, shape) : empty(shape, dtype);
}

/** Takes back the storage of a gradient that is dead (its VJP ran, no one else holds it). */
export function recycle(a: NDArray): void {
  if (a.size <= TINY || a.offset !== 0 || a.size !== a.data.length || (a.dtype !== "float64" && a.dtype !== "float32")) return;
  const pool = pools[a.dtype];
  let list = pool.get(a.size);
  if (list === undefined) pool.set(a.size, (list = []));
  if (list.length < POOL_DEPTH) list.push(a.data);
}

/** What the pool may keep between backwards, and the largest array it keeps. */
const KEEP_BYTES = 1 << 20;
const KEEP_LARGEST = 1 << 15;

/**
 * Trims the pool at the end of a backward to a few small arrays (see above). An array counts
 * with the whole buffer it keeps alive: small ones may be regions of a shared buffer.
 */
export function endBackward(): void {
  let budget = KEEP_BYTES;
  for (const pool of [pools.float64, pools.float32]) {
    for (const [n, list] of pool) {
      const kept = list.filter((a) => {
        const bytes = a.buffer.byteLength;
        if (a.byteLength > KEEP_LARGEST || bytes > budget) return false;
        budget -= bytes;
        return true;
      });
      if (kept.length === 0) pool.delete(n);
      else pool.set(n, kept);
    }
  }
}

// ---------------------------------------------------------------- elementwise VJPs

/** sigmoid: g * y * (1 - y), from the output y. */
export function sigmoidGrad(g: NDArray, y: NDArray): NDArray | null {
  const gd = dense(g, y.shape, y.dtype);
  const yd = dense(y, y.shape, y.dtype);
  if (!gd || !yd) return null;
  const r = made(floatDType(y), y.shape);
  const out = r.data;
  const go = g.offset;
  const yo = y.offset;
  for (let i = 0, n = r.size; i < n; i++) {
    const s = yd[yo + i]!;
    out[i] = gd[go + i]! * s * (1 - s);
  }
  return r;
}

/** tanh: g * (1 - y^2), from the output y. */
export function tanhGrad(g: NDArray, y: NDArray): NDArray | null {
  const gd = dense(g, y.shape, y.dtype);
  const yd = dense(y, y.shape, y.dtype);
  if (!gd || !yd) return null;
  const r = made(floatDType(y), y.shape);
  const out = r.data;
  const go = g.offset;
  const yo = y.offset;
  for (let i = 0, n = r.size; i < n; i++) {
    const t = yd[yo + i]!;
    out[i] = gd[go + i]! * (1 - t * t);
  }
  return r;
}

/** g * b elementwise (mul's and exp's VJP) when neither is broadcast. */
export function mulGrad(g: NDArray, b: NDArray): NDArray | null {
  const gd = dense(g, g.shape, g.dtype);
  const bd = dense(b, g.shape, g.dtype);
  if (!gd || !bd) return null;
  const r = made(floatDType(g), g.shape);
  const out = r.data;
  const go = g.offset;
  const bo = b.offset;
  for (let i = 0, n = r.size; i < n; i++) out[i] = gd[go + i]! * bd[bo + i]!;
  return r;
}

/**
 * sumTo for the common un-broadcast of a bias: `shape` is g's trailing dims, so the sum runs
 * over whole leading rows, e.g. a (batch, 4H) gate gradient down to the (4H) bias. Null for
 * any other reduction (dims of 1 kept, a non-contiguous g), which nd.sumTo handles.
 */
export function sumLeading(g: NDArray, shape: readonly number[]): NDArray | null {
  const lead = g.ndim - shape.length;
  if (lead <= 0 || !isFloat(g.dtype) || !g.isContiguous()) return null;
  let inner = 1;
  for (let i = 0; i < shape.length; i++) {
    if (g.shape[lead + i] !== shape[i]) return null;
    inner *= shape[i]!;
  }
  const gd = g.data;
  const rows = inner === 0 ? 0 : g.size / inner;
  // summed in float64 (for float32 too), one row at a time: g is read once, in order
  const acc = new Float64Array(inner);
  for (let r = 0, p = g.offset; r < rows; r++, p += inner) {
    for (let j = 0; j < inner; j++) acc[j]! += gd[p + j]!;
  }
  const r = new NDArray(g.dtype === "float32" ? Float32Array.from(acc) : acc, shape);
  fresh.push(r);
  return r;
}

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

// ---------------------------------------------------------------- joins

/**
 * Concatenates dense parts along `axis` (split's and chunk's VJP; `stack` is the same with a
 * unit axis). Each outer index copies one run of every part: for the LSTM's chunk, one row of
 * each gate's gradient into one row of the (batch, 4H) gate gradient.
 */
export function concatParts(parts: readonly Tensor[], axis: number, outShape: readonly number[]): NDArray | null {
  const first = parts[0];
  if (!first || (first.dtype !== "float64" && first.dtype !== "float32")) return null;
  const dtype = first.dtype;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= outShape[i]!;
  let total = 1;
  for (let i = axis; i < outShape.length; i++) total *= outShape[i]!;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!.data;
    if (p.dtype !== dtype || !p.isContiguous()) return null;
  }
  const r = made(dtype, outShape);
  const out = r.data;
  let start = 0;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!.data;
    const src = p.data;
    const run = outer === 0 ? 0 : p.size / outer;
    // an element loop: the runs are short (one gate's row), where set(subarray) costs more
    for (let o = 0, from = p.offset, to = start; o < outer; o++, from += run, to += total) {
      for (let j = 0; j < run; j++) out[to + j] = src[from + j]!;
    }
    start += run;
  }
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
