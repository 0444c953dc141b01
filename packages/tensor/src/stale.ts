// Storages whose newer values live elsewhere (on a GPU, after a compiled step replayed there):
// reading one on the CPU would give old numbers in silence. A kernel given such an array, and
// toArray(), item() and get(), throw StaleError instead, with the owner's advice (`await
// step.sync()`). A plain `.data` read cannot be intercepted. While nothing is marked, the checks
// cost one comparison.

import type { Storage } from "./dtype.js";
import { TapegradError } from "./errors.js";

/**
 * A read of an array whose newer values are elsewhere (a GPU-compiled step's state, say):
 * the message says how to bring them back.
 *
 * @example
 * ```ts
 * try { w.data.toArray(); } catch (e) { if (e instanceof StaleError) await step.sync(); }
 * ```
 */
export class StaleError extends TapegradError {}

const marks = new WeakMap<Storage, string>();
let count = 0;

/** @internal marks a storage stale: reads throw StaleError with `advice` until it is cleared. */
export function markStale(s: Storage, advice: string): void {
  if (!marks.has(s)) count++;
  marks.set(s, advice);
}

/** @internal the storage holds current values again. */
export function clearStale(s: Storage): void {
  if (marks.delete(s)) count--;
}

/** @internal whether a storage is marked stale. */
export function isStale(s: Storage): boolean {
  return count !== 0 && marks.has(s);
}

/** @internal throws StaleError if `s` is marked; `what` says who read it. */
export function checkFresh(s: Storage, what: string): void {
  if (count === 0) return;
  const advice = marks.get(s);
  if (advice !== undefined) throw new StaleError(`${what}: this array's current values are not on the CPU: ${advice}`);
}

/** @internal checks the arrays among a kernel's arguments (and in lists of them) while anything is marked. */
export function checkArgumentsFresh(name: string, self: unknown, args: ArrayLike<unknown>): void {
  if (count === 0) return;
  const visit = (v: unknown, depth: number): void => {
    if (v !== null && typeof v === "object" && "data" in v && "storageInfo" in v) checkFresh((v as { data: Storage }).data, name);
    else if (depth === 0 && Array.isArray(v)) for (const x of v) visit(x, 1);
  };
  visit(self, 0);
  for (let i = 0; i < args.length; i++) visit(args[i], 0);
}

/** @internal whether anything is marked (a cheap test before a walk). */
export function anyStale(): boolean {
  return count !== 0;
}
