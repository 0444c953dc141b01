// The trace hook: the one choke point every computing function of this package goes through.
// `kernel(name, fn, info)` wraps fn so that, while a recorder is on (autograd's compile), each
// outermost call goes to it; otherwise the call runs as it is. What a recorder does with a call
// (record.ts) and how a record is replayed (program.ts) are not this file's business: it
// imports nothing of either, so an eager kernel pays for the hook and nothing more.

import type { NDArray } from "./ndarray.js";
import { anyStale, checkArgumentsFresh } from "./stale.js";

/**
 * How a kernel's element is computed, for a code generator that fuses elementwise kernels
 * (fuse.ts): declared beside the kernel, so that no generator keeps a table of ops of its own.
 */
export interface Elementwise {
  /**
   * The result's element from the operands' elements, as a JS expression over the names in
   * `x`; `f32` when the arrays are float32 (the generator rounds the value, as a Float32Array
   * store does). It must give the kernel's bits.
   */
  expr: (x: readonly string[], f32: boolean) => string;
  /**
   * The scalar functions `expr` calls, by the names it calls them (a generator binds them); a
   * name is not a letter followed by digits (the generator's own locals are).
   */
  fns?: Readonly<Record<string, (x: number) => number>>;
  /**
   * The elementwise loops one call is, as (written array, operands), or null where the call
   * does not compute exactly `expr` (a layout the kernel declines, a cast). `target` is the
   * array the traced call returned, null for a call that writes into its arguments. Without
   * it: one loop over the leading arguments (one for a kernel whose `out` is argument 1, two
   * for argument 2) into `target`, or into the `out` argument when the call was given one.
   */
  ops?(args: readonly unknown[], target: NDArray | null): { out: unknown; ins: unknown[] }[] | null;
}

/** What a replay needs to know of a kernel: the third argument of {@link kernel}. */
export interface KernelInfo {
  /** The index of the kernel's optional `out` argument: a replay writes the result there. */
  out?: number;
  /** The result's values are unspecified (empty): a replay need not recompute them. */
  uninitialized?: boolean;
  /** The kernel is elementwise: how a fused loop computes it (see {@link Elementwise}). */
  elementwise?: Elementwise;
}

/** What a trace's recorder implements: the calls, and the plain values a trace depends on. */
export interface Recorder {
  /** One outermost kernel call: the recorder runs `fn` (with the hook off) and returns its result. */
  call(name: string, fn: (...args: unknown[]) => unknown, info: KernelInfo, self: unknown, args: ArrayLike<unknown>): unknown;
  /** A plain JS value the traced code branched on (traceGuard). */
  guard(what: string, read: () => unknown): void;
  /** A number read out of an array (noteItemRead). */
  itemRead(a: NDArray, value: number): void;
}

let active: Recorder | null = null;

/** Runs fn with `r` receiving every outermost kernel call (one recorder at a time). */
export function recording<T>(r: Recorder, fn: () => T): T {
  if (active !== null) throw new Error("trace: a trace is already recording");
  active = r;
  try {
    return fn();
  } finally {
    active = null;
  }
}

/**
 * Marks `fn` as a kernel: a function of NDArrays and plain values that computes new arrays or
 * writes into arrays it is given, and reads nothing else that changes. Inside a trace
 * (autograd's `compile`) each call is recorded, and a replay calls `fn` again with the same
 * arguments. Code that loops over `.data` itself must be a kernel to be compiled.
 *
 * @example
 * ```ts
 * const double = kernel("double", (a: NDArray): NDArray => mul(a, 2));
 * double(arange(3)).toArray(); // [0, 2, 4]
 * ```
 */
export function kernel<F extends (...args: never[]) => unknown>(name: string, fn: F, info: KernelInfo = {}): F {
  const f = fn as unknown as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    if (anyStale()) checkArgumentsFresh(name, this, arguments);
    const r = active;
    // eslint-disable-next-line prefer-rest-params
    if (r === null) return f.apply(this, arguments as unknown as unknown[]);
    active = null; // kernels called by this one, and the recorder's own bookkeeping, are part of it
    try {
      // eslint-disable-next-line prefer-rest-params
      return r.call(name, f, info, this, arguments);
    } finally {
      active = r;
    }
  };
  Object.defineProperty(wrapped, "name", { value: fn.name || name });
  Object.defineProperty(wrapped, RAW, { value: f });
  return wrapped as unknown as F;
}

const RAW = Symbol("the function a kernel wraps");

/**
 * A module's functions as they are, not as kernels: a kernel that calls another file's kernels
 * reads them through this once, at import, so that its inner calls skip the hook (they are part
 * of the outer call in a trace anyway).
 *
 * @example
 * ```ts
 * import * as kernels from "./elementwise.js";
 * const ew = unwrapped(kernels); // ew.exp(a): no recording, no hook
 * ```
 */
export function unwrapped<T extends object>(module: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(module)) out[k] = typeof v === "function" ? ((v as unknown as Record<symbol, unknown>)[RAW] ?? v) : v;
  return out as T;
}

/**
 * Whether a trace is recording (so a compiled function called inside one runs eagerly, as part of it).
 *
 * @example
 * ```ts
 * isTracing(); // false, outside autograd's compile
 * ```
 */
export function isTracing(): boolean {
  return active !== null;
}

/**
 * Declares that the code being traced took a path chosen by a plain JS value (a module's
 * training flag, say): a replay first checks that `read()` still gives what it gave when traced
 * (Object.is), and compile traces the call again where it does not, rather than replay the
 * other path's kernels. `what` names the value in messages. Outside a trace it does nothing.
 *
 * @example
 * ```ts
 * traceGuard("dropout's training flag", () => this.training);
 * ```
 */
export function traceGuard(what: string, read: () => unknown): void {
  active?.guard(what, read);
}

/**
 * Notes that traced code read a number out of an array (`item()`): compile can then replay a
 * number the step returns, when it is such a read, by reading the array again.
 */
export function noteItemRead(a: NDArray, value: number): void {
  active?.itemRead(a, value);
}
