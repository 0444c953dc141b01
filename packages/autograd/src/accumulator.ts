// The engine's accumulator, in one place: which gradients the engine owns (the ownership rule,
// written once at takeFresh), sums of gradients in place into those it owns, reuse of dead
// gradients' storage, and the deferred weight-gradient product. The ops know nothing of it.

import * as nd from "@tapegrad/tensor";
import { NDArray, empty, isFloat, kernel, type FloatDType, type Storage, type StorageInfo } from "@tapegrad/tensor";
import { allocateUninit, recycleStorage, storageSerial, trimSpares } from "@tapegrad/tensor/internal";
import { setRowProductSink } from "./define-op.js";
import { Tensor, shapeOnly } from "./tensor.js";

/**
 * @internal the engine's switch before each VJP it runs: what is made from now on is fresh
 * (see takeFresh), and, in a backward that builds no graph, a weight-gradient product the VJP
 * asks for is kept as its factors (see "deferred weight gradients" below). Returns the
 * previous setting, for leaveVjp.
 */
export function enterVjp(deferProducts: boolean): boolean {
  const prev = deferring;
  deferring = deferProducts;
  setRowProductSink(deferProducts ? deferAtG : null);
  mark = storageSerial();
  claimed.length = 0;
  return prev;
}
let deferring = false;

/** @internal after the VJP: the previous setting back; its fresh arrays stay, to be claimed. */
export function leaveVjp(prev: boolean): void {
  deferring = prev;
  setRowProductSink(prev ? deferAtG : null);
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

// The sums below are kernels (nd.kernel): loops of their own, which a compiled step records
// and replays like any other kernel.

/** into += g in place; `into` is a fresh (contiguous, unshared) array of g's shape and dtype. */
export const addInto = kernel("addInto", function addInto(into: NDArray, g: NDArray): boolean {
  const gd = dense(g, into.shape, into.dtype);
  if (!gd || !into.isContiguous()) return false;
  const d = into.data;
  const o = into.offset;
  const go = g.offset;
  for (let i = 0, n = into.size; i < n; i++) d[o + i]! += gd[go + i]!;
  return true;
}, {
  // a fused loop adds as the kernel does, where the kernel does not decline (writes nothing)
  elementwise: {
    expr: ([a, b]: readonly string[]) => `${a} + ${b}`,
    ops: ([into, g]: readonly unknown[]) => (into instanceof NDArray && g instanceof NDArray && into.isContiguous() && dense(g, into.shape, into.dtype) ? [{ out: into, ins: [into, g] }] : null),
  },
});

/**
 * a + b into a new array, both dense of one shape and dtype: the engine's sum of two gradients
 * for one tensor. Not marked fresh: the engine owns it from the start.
 */
export const addGrads = kernel("addGrads", function addGrads(a: NDArray, b: NDArray): NDArray | null {
  const ad = dense(a, a.shape, a.dtype);
  const bd = dense(b, a.shape, a.dtype);
  if (!ad || !bd) return null;
  const r = newArray(floatDType(a), a.shape); // the engine's own, not one of a VJP's fresh arrays
  const out = r.data;
  const ao = a.offset;
  const bo = b.offset;
  for (let i = 0, n = r.size; i < n; i++) out[i] = ad[ao + i]! + bd[bo + i]!;
  return r;
});

// ---------------------------------------------------------------- deferred weight gradients

// The gradient of a matrix that a loop multiplies at every step, summed as one product. In an
// LSTM, h_t @ W_hh^T runs T times; each step's VJP gives W_hh^T a gradient h_t^T g_t, a K x N
// product over only B rows, and summing them as they come streams a K x N matrix through
// memory T times. Kept as its factors instead, the sum is one product over all the rows,
// [h_0; ...; h_{T-1}]^T [g_1; ...; g_T], as the closed form computes dW. matmulWeightGrad
// declares that its results add up this way (sumOfRowProducts); only in a backward that builds
// no graph, and only until the engine reads the gradient (`settle`): every such gradient is
// settled before a VJP, a leaf's .grad or a caller sees it.

/** x with its leading dims folded into the rows: (..., n) -> (-1, n). */
function asRows(x: NDArray): NDArray {
  return x.ndim === 2 ? x : nd.reshape(x, [-1, x.shape[x.ndim - 1]!]);
}

/** The sum of A_i^T G_i over pairs of row blocks A_i (r_i, K) and G_i (r_i, N), both contiguous. */
class ProductSum {
  readonly as: NDArray[] = [];
  readonly gs: NDArray[] = [];
  /** Elements the pending factors hold: sum of r_i (K + N). */
  held = 0;
  /** The pairs already multiplied out and summed (when the factors outgrew their budget). */
  partial: NDArray | null = null;

  constructor(
    readonly K: number,
    readonly N: number,
    readonly dtype: FloatDType,
  ) {}

  /** Factors are kept up to one gradient's size, or 2^20 elements (8 MiB of float64) if more. */
  get budget(): number {
    return Math.max(this.K * this.N, budgetFloor);
  }
}

let budgetFloor = 1 << 20;

/** @internal for tests: a smaller floor, so that sums are multiplied out part by part. */
export function setDeferBudgetFloor(n: number): number {
  const prev = budgetFloor;
  budgetFloor = n;
  return prev;
}

const sums = new WeakMap<Tensor, ProductSum>();

/**
 * A^T G for A (rows, K) and G (rows, N) as a deferred gradient, or null if the operands are not
 * both contiguous and of one float dtype (the caller then multiplies at once). The Tensor has
 * the (K, N) shape and no values: reading its `.data` throws until it is settled.
 */
function deferAtG(a: NDArray, g: NDArray): Tensor | null {
  if (a.ndim !== g.ndim || a.ndim < 2 || a.dtype !== g.dtype) return null;
  for (let i = 0; i < a.ndim - 1; i++) if (a.shape[i] !== g.shape[i]) return null;
  if (!a.isContiguous() || !g.isContiguous()) return null;
  a = asRows(a);
  g = asRows(g);
  if ((a.dtype !== "float64" && a.dtype !== "float32") || !a.isContiguous() || !g.isContiguous()) return null;
  const K = a.shape[1]!;
  const N = g.shape[1]!;
  const sum = new ProductSum(K, N, a.dtype);
  sum.as.push(a);
  sum.gs.push(g);
  sum.held = a.shape[0]! * (K + N);
  const t = shapeOnly([K, N], a.dtype, "deferred");
  sums.set(t, sum);
  return t;
}

/** Whether t is a deferred sum (a field test: the engine asks for every gradient it handles). */
export function isDeferred(t: Tensor): boolean {
  return t._noValues === "deferred";
}

/** Adds g's pairs to prev's when both are deferred sums of one shape; prev, or null if not. */
export function combine(prev: Tensor, g: Tensor): Tensor | null {
  const p = sums.get(prev);
  const q = sums.get(g);
  if (!p || !q || p.K !== q.K || p.N !== q.N || p.dtype !== q.dtype) return null;
  if (q.partial) addPartial(p, q.partial);
  for (let i = 0; i < q.as.length; i++) {
    p.as.push(q.as[i]!);
    p.gs.push(q.gs[i]!);
  }
  p.held += q.held;
  sums.delete(g);
  g._noValues = "stand-in"; // merged into prev: no longer a sum of its own
  if (p.held > p.budget) flush(p);
  return prev;
}

/** The value of a deferred sum as a fresh array (one product), or t itself if t is not deferred. */
export function settle(t: Tensor): Tensor {
  const s = sums.get(t);
  if (!s) return t;
  sums.delete(t);
  t._noValues = "stand-in"; // settled: its value lives on in the array returned
  flush(s);
  return new Tensor(s.partial ?? zeros(s));
}

/** Whether a deferred sum still reads the storage `data` (one of its factors). */
export function holds(t: Tensor, data: Storage): boolean {
  const s = sums.get(t);
  if (!s) return false;
  for (let i = 0; i < s.as.length; i++) if (s.as[i]!.data === data || s.gs[i]!.data === data) return true;
  return false;
}

/** Multiplies the pending pairs out, into the partial sum. */
function flush(s: ProductSum): void {
  if (s.as.length === 0) return;
  let product: NDArray;
  if (s.as.length === 1) {
    product = nd.matmulTN(s.as[0]!, s.gs[0]!);
  } else {
    // stack the row blocks (copies of B rows each), then one product with all the rows inside
    const A = stackRows(s.as, s.K, s.dtype);
    const G = stackRows(s.gs, s.N, s.dtype);
    product = nd.matmulTN(A, G);
  }
  s.as.length = 0;
  s.gs.length = 0;
  s.held = 0;
  addPartial(s, product);
}

function addPartial(s: ProductSum, product: NDArray): void {
  if (s.partial === null) {
    s.partial = product;
  } else {
    addInto(s.partial, product);
    recycle(product);
  }
}

const stackRows = kernel("stackRows", function stackRows(blocks: readonly NDArray[], width: number, dtype: FloatDType): NDArray {
  let rows = 0;
  for (const b of blocks) rows += b.shape[0]!;
  const out = empty([rows, width], dtype);
  const d = out.data;
  let at = 0;
  for (const b of blocks) {
    const n = b.size;
    d.set(b.data.subarray(b.offset, b.offset + n), at);
    at += n;
  }
  return out;
});

function zeros(s: ProductSum): NDArray {
  return nd.zeros([s.K, s.N], s.dtype);
}
