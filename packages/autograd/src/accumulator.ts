// The memory of a backward that records nothing (grad-memory.ts names the events, engine.ts
// raises them): which gradients the walk owns (the ownership rule, written once at takeFresh),
// sums in place into those it owns, reuse of dead gradients' storage, deferred weight-gradient
// products, and a sequence's gradients gathered into one array. The ops know nothing of it.

import * as nd from "@tapegrad/tensor";
import { NDArray, empty, isFloat, kernel, type FloatDType, type Storage, type StorageInfo } from "@tapegrad/tensor";
import { allocateUninit, recycleStorage, storageSerial, trimSpares } from "@tapegrad/tensor/internal";
import type { GradMemory } from "./grad-memory.js";
import { isGradEnabled, type Node } from "./tape.js";
import { Tensor } from "./tensor.js";
import { valueFreeTensor } from "./value-free.js";

/** Leaf gradients whose arrays a backward allocated itself, so that a later one may add into them in place. */
const ownedGrads = new WeakSet<Tensor>();

/** The memory of one backward that builds no graph (see the file's opening). */
export class Accumulator implements GradMemory {
  // Gradients waiting in a slot (or for a leaf) whose arrays no one else holds: fresh ones from
  // a VJP's own results (takeFresh) and sums made here. A second gradient for the same tensor is
  // added into one of them in place; a slot is disowned when its VJP takes it, since the VJP may
  // pass it on (add hands g to both inputs).
  private readonly owned = new Set<Tensor>();
  /** The owned gradients the running VJP took: dead once it has run, unless it returned them. */
  private readonly consumed: Tensor[] = [];
  /** Storage to reuse once the current results are delivered (recycle). */
  private readonly dead: NDArray[] = [];
  /** The deferred weight gradients and their factors (see "deferred weight gradients" below). */
  private readonly sums = new Map<Tensor, ProductSum>();
  // The ownership rule, once: a gradient a VJP returns belongs to the walk when its storage was
  // made while that VJP ran (its serial is at least `mark`, read before the VJP) and no other
  // result of the VJP has claimed that storage. Nothing else can hold such an array except the
  // VJP itself, and a VJP keeps nothing it returns. Before the first VJP nothing is fresh (a
  // seed is the caller's).
  private mark = Number.POSITIVE_INFINITY;
  /** The storages claimed since the mark: an array that a VJP passes to two inputs is owned by one. */
  private readonly claimed: StorageInfo[] = [];

  /** Whether `a` was made by the VJP now delivering and is not yet claimed; claiming it unmarks it. */
  private takeFresh(a: NDArray): boolean {
    const info = a.storageInfo;
    if (info.serial < this.mark || this.claimed.includes(info)) return false;
    this.claimed.push(info);
    return true;
  }

  received(prev: Tensor | null | undefined, g: Tensor): Tensor {
    if (!prev) {
      if (!isDeferred(g) && this.takeFresh(g.data)) this.owned.add(g);
      return g;
    }
    // two deferred sums of products stay one, multiplied out once when read
    if (isDeferred(prev) || isDeferred(g)) {
      const both = this.combine(prev, g);
      if (both) return both;
      prev = this.read(prev);
      g = this.read(g);
    }
    if (this.owned.has(prev) && addInto(prev.data, g.data)) {
      if (this.takeFresh(g.data)) recycle(g.data); // added in, and held by no one
      return prev;
    }
    if (this.takeFresh(g.data) && addInto(g.data, prev.data)) {
      this.owned.add(g);
      return g;
    }
    const sum = new Tensor(addGrads(prev.data, g.data) ?? nd.add(prev.data, g.data));
    this.owned.add(sum);
    return sum;
  }

  // For a node whose outputs are slices of its input 0 (unbind over a sequence: see
  // MultiOpSpec.outputRegion): the slots are the slices of one array of input 0's shape, made
  // when the first gradient arrives, and each gradient is added into its slice on arrival, its
  // own storage then reusable, rather than T of them held until the node's turn. The VJP then
  // runs on the slices (unbind's reads them in place: stackParts).
  receivedInRegion(node: Node, slots: (Tensor | null)[], index: number, g: Tensor): boolean {
    if (node.outputRegion === null || node.released) return false; // see MultiOpSpec.outputRegion
    g = this.read(g);
    if (slots[0] === null) {
      const x = node.inputs[0]!;
      const whole = nd.zeros(x.shape, x.dtype);
      for (let i = 0; i < slots.length; i++) slots[i] = new Tensor(node.outputRegion(whole, i, node.attrs));
    }
    const region = slots[index]!.data;
    if (!addInto(region, g.data)) nd.add(region, g.data, region);
    // added in and held by no one; reused once the VJP delivering it has delivered everything
    if (this.takeFresh(g.data)) this.dead.push(g.data);
    return true;
  }

  /** A deferred weight gradient as a dense array the walk owns; any other gradient as it is. */
  read(g: Tensor): Tensor {
    if (!isDeferred(g)) return g;
    const s = this.sums.get(g)!;
    this.sums.delete(g);
    g._valueFree = "stand-in"; // settled: its value lives on in the array returned
    flush(s);
    const dense = new Tensor(s.partial ?? nd.zeros([s.K, s.N], s.dtype));
    this.owned.add(dense);
    return dense;
  }

  vjpStarting(slots: Tensor[], keep: boolean): void {
    for (let i = 0; i < slots.length; i++) {
      const g = (slots[i] = this.read(slots[i]!));
      if (this.owned.delete(g) && !keep) this.consumed.push(g);
    }
    this.mark = storageSerial();
    this.claimed.length = 0;
  }

  // A VJP keeps nothing it was given (the rule at OpSpec), so a consumed gradient that none of
  // its results is (or is a view of, or is a deferred product reading) is dead once they are
  // delivered: its storage goes to the spares, for the next kernel.
  vjpDone(results: readonly (Tensor | null | undefined)[]): void {
    for (const g of this.consumed) if (!this.sharesStorage(results, g)) this.dead.push(g.data);
    this.consumed.length = 0;
  }

  delivered(): void {
    if (this.dead.length === 0) return;
    for (const a of this.dead) recycle(a);
    this.dead.length = 0;
  }

  ended(): void {
    endBackward(); // no recycled storage outlives the backward
  }

  intoGrad(prev: Tensor | null, g: Tensor): Tensor {
    if (prev && ownedGrads.has(prev) && prev.data.dtype === g.dtype) {
      nd.add(prev.data, g.data, prev.data);
      return prev;
    }
    // an array the walk made for this leaf alone becomes .grad as it is, uncopied; otherwise a
    // fresh copy: the gradient array may be shared with other leaves or be a broadcast view
    const grad = !prev && this.owned.has(g) ? g : new Tensor(prev ? nd.add(prev.data, g.data) : nd.copy(g.data));
    ownedGrads.add(grad);
    return grad;
  }

  /** Whether one of a VJP's results is g, a view of it, or a deferred product that reads it. */
  private sharesStorage(results: readonly (Tensor | null | undefined)[], g: Tensor): boolean {
    const storage = g.data.data;
    for (const r of results) if (r && (isDeferred(r) ? holds(this.sums.get(r)!, storage) : r.data.data === storage)) return true;
    return false;
  }

  // ------------------------------------------------------------ deferred weight gradients

  // The gradient of a matrix that a loop multiplies at every step, summed as one product. In an
  // LSTM, h_t @ W_hh^T runs T times; each step's VJP gives W_hh^T a gradient h_t^T g_t, a K x N
  // product over only B rows, and summing them as they come streams a K x N matrix through
  // memory T times. Kept as its factors instead, the sum is one product over all the rows,
  // [h_0; ...; h_{T-1}]^T [g_1; ...; g_T], as the closed form computes dW. matmul's VJP asks for
  // it (VjpHooks.rowProducts); such a gradient is value-free until the walk reads it (`read`),
  // and every one is read before a VJP, a leaf's .grad or a caller sees it.

  /**
   * A^T G for a (rows, K) and g (rows, N) as a deferred gradient, or null if the operands are not
   * both contiguous and of one float dtype, or the product is to be recorded (the VJP then
   * multiplies at once). The Tensor has the (K, N) shape and no values until it is read.
   */
  rowProducts(at: Tensor, gt: Tensor): Tensor | null {
    if (isGradEnabled() && (at.requiresGrad || gt.requiresGrad)) return null;
    let a = at.data;
    let g = gt.data;
    if (a.ndim !== g.ndim || a.ndim < 2 || a.dtype !== g.dtype) return null;
    for (let i = 0; i < a.ndim - 1; i++) if (a.shape[i] !== g.shape[i]) return null;
    if (!a.isContiguous() || !g.isContiguous()) return null;
    a = asRows(a);
    g = asRows(g);
    if ((a.dtype !== "float64" && a.dtype !== "float32") || !a.isContiguous() || !g.isContiguous()) return null;
    const sum = new ProductSum(a.shape[1]!, g.shape[1]!, a.dtype);
    sum.as.push(a);
    sum.gs.push(g);
    sum.held = a.shape[0]! * (sum.K + sum.N);
    const t = valueFreeTensor([sum.K, sum.N], a.dtype, "deferred");
    this.sums.set(t, sum);
    return t;
  }

  /** Adds g's pairs to prev's when both are deferred sums of one shape; prev, or null if not. */
  private combine(prev: Tensor, g: Tensor): Tensor | null {
    const p = this.sums.get(prev);
    const q = this.sums.get(g);
    if (!p || !q || p.K !== q.K || p.N !== q.N || p.dtype !== q.dtype) return null;
    if (q.partial) addPartial(p, q.partial);
    for (let i = 0; i < q.as.length; i++) {
      p.as.push(q.as[i]!);
      p.gs.push(q.gs[i]!);
    }
    p.held += q.held;
    this.sums.delete(g);
    g._valueFree = "stand-in"; // merged into prev: no longer a sum of its own
    if (p.held > p.budget) flush(p);
    return prev;
  }
}

/** Whether t is a deferred sum (a field test: the walk asks for every gradient it handles). */
function isDeferred(t: Tensor): boolean {
  return t._valueFree === "deferred";
}

/** The storage of a float, contiguous array of this shape and dtype, or null. */
function dense(a: NDArray, shape: readonly number[], dtype: string): Storage | null {
  if (a.dtype !== dtype || !isFloat(a.dtype) || a.shape.length !== shape.length) return null;
  for (let i = 0; i < shape.length; i++) if (a.shape[i] !== shape[i]) return null;
  return a.isContiguous() ? a.data : null;
}

// ---------------------------------------------------------------- storage reuse

// A backward makes and drops about one array per op. The storage of a gradient that the walk
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
function recycle(a: NDArray): void {
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

/** Whether a deferred sum still reads the storage `data` (one of its factors). */
function holds(s: ProductSum, data: Storage): boolean {
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
