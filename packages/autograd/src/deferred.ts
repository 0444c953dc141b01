// The gradient of a matrix that a loop multiplies at every step, summed as one product. In an
// LSTM, h_t @ W_hh^T runs T times; each step's VJP gives W_hh^T a gradient h_t^T g_t, a K x N
// product over only B rows, and summing them as they come streams a K x N matrix through
// memory T times (at M, an eighth of the whole step). Kept as its factors instead, the sum is
// one product over all the rows, [h_0; ...; h_{T-1}]^T [g_1; ...; g_T], as the closed form computes
// dW. Only in a backward that builds no graph (matmul's fast path), and only until the engine
// reads the gradient (`settle`): every such gradient is settled before a VJP, a leaf's .grad or
// a caller sees it.

import { NDArray, empty, type FloatDType, type Storage } from "@tapegrad/tensor";
import { Tensor, shapeOnly } from "./tensor.js";
import * as F from "./fast.js";

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
export function deferAtG(a: NDArray, g: NDArray): Tensor | null {
  if (a.ndim !== 2 || g.ndim !== 2 || a.shape[0] !== g.shape[0] || a.dtype !== g.dtype) return null;
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
  let product: NDArray | null;
  if (s.as.length === 1) {
    product = F.product2d(s.as[0]!, true, s.gs[0]!, false);
  } else {
    // stack the row blocks (copies of B rows each), then one product with all the rows inside
    const A = stackRows(s.as, s.K, s.dtype);
    const G = stackRows(s.gs, s.N, s.dtype);
    product = F.product2d(A, true, G, false);
  }
  s.as.length = 0;
  s.gs.length = 0;
  s.held = 0;
  addPartial(s, product!);
}

function addPartial(s: ProductSum, product: NDArray): void {
  if (s.partial === null) {
    s.partial = product;
  } else {
    F.addInto(s.partial, product);
    F.recycle(product);
  }
}

function stackRows(blocks: readonly NDArray[], width: number, dtype: FloatDType): NDArray {
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
}

function zeros(s: ProductSum): NDArray {
  return new NDArray(s.dtype === "float32" ? new Float32Array(s.K * s.N) : new Float64Array(s.K * s.N), [s.K, s.N]);
}
