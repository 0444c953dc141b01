// dtypes and their storage. float64 is the default; float32 halves memory; int32 holds
// indices (argmax, take); bool holds masks (comparisons).
//
// Promotion follows numpy for the pairs that occur here:
//   float32 with float64 -> float64; int32 with float32 -> float64; int32 with float64 -> float64;
//   bool with anything -> the other; bool with bool -> bool; int32 with int32 -> int32.
// A plain JS number is "weak", as a Python scalar is in numpy: it takes the array's dtype
// (float32 array + 0.5 stays float32), except that a non-integer number with an int32 or bool
// array gives float64.

import { DTypeError } from "./errors.js";

/**
 * An array's element type: float64 (the default), float32, int32 (indices: argmax,
 * randint, choice) or bool (masks: comparisons, isnan), held in a Float64Array, Float32Array,
 * Int32Array or Uint8Array of 0s and 1s.
 */
export type DType = "float64" | "float32" | "int32" | "bool";
/** The float dtypes, what transcendental ops (exp, log, ...) and random draws produce. */
export type FloatDType = "float64" | "float32";
/** The typed arrays that hold an NDArray's elements, one per {@link DType}. */
export type Storage = Float64Array | Float32Array | Int32Array | Uint8Array;

/** Every {@link DType}: float64, float32, int32, bool. */
export const DTYPES: readonly DType[] = ["float64", "float32", "int32", "bool"];

/** Whether `x` is one of the {@link DType} names. */
export function isDType(x: unknown): x is DType {
  return x === "float64" || x === "float32" || x === "int32" || x === "bool";
}

export function checkDType(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) {
    throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(", ")}`);
  }
  return dtype;
}

/** Whether `dtype` is float64 or float32. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "float64" || dtype === "float32";
}

const BYTES: Record<DType, number> = { float64: 8, float32: 4, int32: 4, bool: 1 };

// Small storage comes from a pool, as Node's Buffer does. A typed array over 64 bytes gets its
// own ArrayBuffer, whose allocation and later collection cost about 0.5 µs, more than the
// arithmetic of a small op: a quarter of a small LSTM's training step went there. Arrays of at
// most POOL_MAX bytes are instead carved in turn out of a shared POOL-byte ArrayBuffer (a
// fresh one when the current one is used up); each region is handed out once, so it is zero,
// as a new typed array is. The cost: `data.buffer` may be shared with other arrays (read
// data.byteOffset and data.byteLength; never transfer or detach it), and one small array that
// lives on keeps its whole pool (16 KiB) alive.
const POOL = 16384;
const POOL_MAX = 2048;
let pool = new ArrayBuffer(POOL);
let poolUsed = 0;

// A replay (trace.ts) calls a kernel that makes a new array, and wants its result in the array
// the trace kept: it names that storage here, and the next allocation of its length and dtype
// returns it (zeroed when zeros were asked for) instead of making one. One-shot; cleared after the call.
let redirect: Storage | null = null;

/** @internal trace.ts's: the storage the next allocation of its length and dtype returns (null: none). */
export function redirectAllocation(s: Storage | null): void {
  redirect = s;
}

function redirected(dtype: DType, n: number): Storage | null {
  const s = redirect;
  if (s === null || s.length !== n || dtypeOfStorage(s) !== dtype) return null;
  redirect = null;
  return s;
}

/** Zeroed storage for n elements of a dtype (small ones from the pool above). */
export function allocate(dtype: DType, n: number): Storage {
  if (redirect !== null) {
    const s = redirected(dtype, n);
    if (s !== null) return s.fill(0);
  }
  const bytes = n * BYTES[dtype];
  if (bytes > 64 && bytes <= POOL_MAX) {
    if (poolUsed + bytes > POOL) {
      pool = new ArrayBuffer(POOL);
      poolUsed = 0;
    }
    const at = poolUsed;
    poolUsed += (bytes + 7) & ~7; // every region 8-byte aligned, as a Float64Array needs
    switch (dtype) {
      case "float64":
        return new Float64Array(pool, at, n);
      case "float32":
        return new Float32Array(pool, at, n);
      case "int32":
        return new Int32Array(pool, at, n);
      case "bool":
        return new Uint8Array(pool, at, n);
    }
  }
  switch (dtype) {
    case "float64":
      return new Float64Array(n);
    case "float32":
      return new Float32Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
      return new Uint8Array(n);
  }
}

// Spare storage: float storages that their owner declared dead (recycleStorage; the autograd
// engine does, for gradients it has added into others), handed to the next kernel that writes
// every element of its result (allocateUninit) before a new typed array is made. Empty unless
// someone recycles, so a program that never does sees only fresh, zeroed storage.
const spares = { float64: new Map<number, Storage[]>(), float32: new Map<number, Storage[]>() };
/** At most this many spares of one length and dtype: what one step of a loop needs again. */
const SPARE_DEPTH = 8;
/** Storages of at most this many elements are not kept: V8 makes them on the JS heap, cheaply. */
const SPARE_TINY = 8;

// A trace (trace.ts) samples the storages kernels touch; one declared dead here may next hold a
// kernel's temporary, so the trace forgets it.
let recycleListener: ((s: Storage) => void) | null = null;

/** @internal trace.ts's: told of every storage recycled while it records. */
export function onRecycle(listener: ((s: Storage) => void) | null): void {
  recycleListener = listener;
}

/**
 * Storage for n elements whose contents are unspecified (a spare, or a new zeroed one): for a
 * kernel that writes every element of its result.
 */
export function allocateUninit(dtype: DType, n: number): Storage {
  if (redirect !== null) {
    const s = redirected(dtype, n);
    if (s !== null) return s;
  }
  if (n > SPARE_TINY && (dtype === "float64" || dtype === "float32")) {
    const spare = spares[dtype].get(n)?.pop();
    if (spare !== undefined) return spare;
  }
  return allocate(dtype, n);
}

/**
 * @internal hands back a float storage that nothing reads or writes any more, for reuse by
 * allocateUninit. The caller vouches that no array over it is used again.
 */
export function recycleStorage(s: Storage): void {
  if (s.length <= SPARE_TINY || !(s instanceof Float64Array || s instanceof Float32Array)) return;
  if (recycleListener !== null) recycleListener(s);
  const map = s instanceof Float64Array ? spares.float64 : spares.float32;
  let list = map.get(s.length);
  if (list === undefined) map.set(s.length, (list = []));
  if (list.length < SPARE_DEPTH) list.push(s);
}

/**
 * @internal keeps at most `keepBytes` of spares, none over `largestBytes`, counting each with the
 * whole buffer it keeps alive (a small storage may be a region of a shared one): a loop over a
 * small model finds its arrays again, while a large model's are left to the collector.
 */
export function trimSpares(keepBytes: number, largestBytes: number): void {
  let budget = keepBytes;
  for (const map of [spares.float64, spares.float32]) {
    for (const [n, list] of map) {
      const kept = list.filter((s) => {
        const bytes = s.buffer.byteLength;
        if (s.byteLength > largestBytes || bytes > budget) return false;
        budget -= bytes;
        return true;
      });
      if (kept.length === 0) map.delete(n);
      else map.set(n, kept);
    }
  }
}

/** Whether two storages share any bytes (views of one array do; pooled neighbours do not). */
export function storageOverlaps(x: Storage, y: Storage): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

export function dtypeOfStorage(data: Storage): DType {
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/**
 * A number as a `dtype` array stores it. Only bool needs help: a Uint8Array would keep 2 as 2
 * and 0.5 as 0, where numpy's bool is "nonzero" (NaN included, as `bool(nan)` is True).
 */
export function castScalar(dtype: DType, v: number): number {
  return dtype === "bool" ? (v !== 0 ? 1 : 0) : v;
}

/** numpy's result type for two arrays (see the table at the top of this file). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "bool") return b;
  if (b === "bool") return a;
  // int32 with float32 is float64 in numpy: float32 cannot hold every int32.
  if ((a === "int32" && b === "float32") || (a === "float32" && b === "int32")) return "float64";
  return RANK[a] > RANK[b] ? a : b;
}

/** The dtype of a transcendental op's result (exp, log, tanh, true division ...). */
export function floatResult(dtype: DType): FloatDType {
  return dtype === "float32" ? "float32" : "float64";
}

/** The dtype of arithmetic (add, mul, ...) on a dtype: bool counts as int32 there. */
export function arithmeticResult(dtype: DType): DType {
  return dtype === "bool" ? "int32" : dtype;
}
