// Which products of a compiled plan share B's packing (wasm/gemm.ts's PackedB; issue 25). An
// LSTM step multiplies by the same weight at every time step: h W_hh^T forward, and the
// gradient by W_hh backward, 48 products each in the main job. Products that read the same B
// (the same storage, offset, strides, shape and dtype) form a chain for as long as nothing
// that runs between them may write B's storage; each chain of two or more gets one handle, so
// that its first product of a replay packs B and the rest reuse the packing. What may write
// is judged conservatively: a fused loop's outputs, a product's result, and for a kernel run
// as recorded its results and every array it is handed (it may write an argument in place),
// or anything at all when it is handed an object that might hold arrays of its own, or a
// function.

import { NDArray } from "./ndarray.js";
import type { Storage } from "./dtype.js";
import { storageOverlaps } from "./storage.js";
import { packedB, type PackedB } from "./wasm/gemm.js";

/** One item of a plan, in the order a replay runs them. */
export interface PlanItem {
  /** A product reading `b` as its right operand, which takes a shared packing through `share`. */
  product?: { b: NDArray; share(h: PackedB): void };
  /** The arrays the item may write (after it has read b), or "all" when that cannot be told. */
  writes: readonly NDArray[] | "all";
}

/**
 * Gives each chain of two or more products that read one B unchanged a shared packing handle.
 * Returns how many products got one.
 */
export function sharePackings(items: readonly PlanItem[]): number {
  const ids = new Map<Storage, number>();
  const open = new Map<string, { b: NDArray; members: PlanItem["product"][] }>();
  let shared = 0;
  const close = (key: string) => {
    const chain = open.get(key)!;
    open.delete(key);
    if (chain.members.length < 2) return;
    const h = packedB();
    for (const m of chain.members) m!.share(h);
    shared += chain.members.length;
  };
  for (const item of items) {
    const p = item.product;
    if (p !== undefined) {
      const b = p.b;
      if (!ids.has(b.data)) ids.set(b.data, ids.size);
      const key = `${ids.get(b.data)} ${b.dtype} ${b.offset} ${b.shape.join(",")} ${b.strides.join(",")}`;
      const chain = open.get(key);
      if (chain !== undefined) chain.members.push(p);
      else open.set(key, { b, members: [p] });
    }
    for (const [key, chain] of [...open]) {
      if (item.writes === "all" || item.writes.some((w) => storageOverlaps(w.data, chain.b.data))) close(key);
    }
  }
  for (const key of [...open.keys()]) close(key);
  return shared;
}

/**
 * The arrays a kernel run as recorded may write: its results and the arrays among its
 * arguments and `self` (as lists, or values of plain objects); "all" when it is handed some
 * other object (an optimizer, a random stream), which may reach arrays that no argument names.
 */
export function recordedWrites(targets: readonly (NDArray | null)[], self: unknown, args: readonly unknown[]): readonly NDArray[] | "all" {
  const out: NDArray[] = targets.filter((t): t is NDArray => t !== null);
  let all = false;
  const visit = (v: unknown, depth: number): void => {
    if (typeof v === "function") all = true; // a callback may write anything
    if (all || v === null || v === undefined || typeof v !== "object") return;
    if (v instanceof NDArray) out.push(v);
    else if (ArrayBuffer.isView(v)) all = true; // a raw storage
    else if (Array.isArray(v)) {
      if (depth < 3) for (const x of v) visit(x, depth + 1);
      else all = true;
    } else if (Object.getPrototypeOf(v) === Object.prototype) {
      if (depth < 3) for (const x of Object.values(v)) visit(x, depth + 1);
      else all = true;
    } else all = true;
  };
  visit(self, 0);
  for (const a of args) visit(a, 0);
  return all ? "all" : out;
}
