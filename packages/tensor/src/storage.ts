// Where memory comes from: every kernel's storage is allocated here. Three sources, in the order
// an allocation tries them: the storage a replay redirects the next allocation to (program.ts),
// spare storages that their owner declared dead (recycleStorage), and new typed arrays, small
// ones carved out of a shared pool. buffers.ts plans a compiled program's storages from this.

import { dtypeOfStorage, type DType, type Storage } from "./dtype.js";
import { AllocationError, fmtShape } from "./errors.js";

const BYTES: Record<DType, number> = { float64: 8, float32: 4, int32: 4, bool: 1 };

// Small storage comes from a pool, as Node's Buffer does. A typed array over 64 bytes gets its
// own ArrayBuffer, whose allocation and later collection cost more than the arithmetic of a
// small op (docs/kernels.md has the figures). Arrays of at most POOL_MAX bytes are instead carved in turn out of a shared POOL-byte ArrayBuffer (a
// fresh one when the current one is used up); each region is handed out once, so it is zero,
// as a new typed array is. The cost: `data.buffer` may be shared with other arrays (read
// data.byteOffset and data.byteLength; never transfer or detach it), and one small array that
// lives on keeps its whole pool (16 KiB) alive.
const POOL = 16384;
const POOL_MAX = 2048;
let pool = new ArrayBuffer(POOL);
let poolUsed = 0;

// A replay (program.ts) calls a kernel that makes a new array, and wants its result in the array
// the trace kept: it names that storage here, and the next allocation of its length and dtype
// returns it (zeroed when zeros were asked for) instead of making one. One-shot; cleared after the call.
let redirect: Storage | null = null;

/** @internal program.ts's: the storage the next allocation of its length and dtype returns (null: none). */
export function redirectAllocation(s: Storage | null): void {
  redirect = s;
}

function redirected(dtype: DType, n: number): Storage | null {
  const s = redirect;
  if (s === null || s.length !== n || dtypeOfStorage(s) !== dtype) return null;
  redirect = null;
  return s;
}

/**
 * Zeroed storage for n elements of a dtype (small ones from the pool above). `op` (and the
 * array's `shape`, when the caller has one) name the allocation in the AllocationError thrown
 * when the engine cannot make an array that large.
 */
export function allocate(dtype: DType, n: number, op = "allocate", shape?: readonly number[]): Storage {
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
  try {
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
  } catch (e) {
    // "Invalid typed array length" past the engine's limit, "Array buffer allocation failed" below it
    if (e instanceof RangeError) throw tooLarge(op, dtype, n, shape, e.message);
    throw e;
  }
}

function tooLarge(op: string, dtype: DType, n: number, shape: readonly number[] | undefined, why: string): AllocationError {
  const what = shape === undefined ? `${n} ${dtype} elements` : `an array of shape ${fmtShape(shape)} (${n} ${dtype} elements)`;
  return new AllocationError(`${op}: cannot allocate ${what}, ${fmtBytes(n * BYTES[dtype])} (${why})`);
}

/** Bytes in binary units, as numpy's MemoryError says them: "7.28 TiB". */
function fmtBytes(b: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return i === 0 ? `${b} bytes` : `${b.toFixed(2)} ${units[i]}`;
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

// A trace (record.ts) samples the storages kernels touch; one declared dead here may next hold a
// kernel's temporary, so the trace forgets it.
let recycleListener: ((s: Storage) => void) | null = null;

/** @internal record.ts's: told of every storage recycled while it records. */
export function onRecycle(listener: ((s: Storage) => void) | null): void {
  recycleListener = listener;
}

/**
 * Storage for n elements whose contents are unspecified (a spare, or a new zeroed one): for a
 * kernel that writes every element of its result.
 */
export function allocateUninit(dtype: DType, n: number, op?: string, shape?: readonly number[]): Storage {
  if (redirect !== null) {
    const s = redirected(dtype, n);
    if (s !== null) return s;
  }
  if (n > SPARE_TINY && (dtype === "float64" || dtype === "float32")) {
    const spare = spares[dtype].get(n)?.pop();
    if (spare !== undefined) return spare;
  }
  return allocate(dtype, n, op, shape);
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
