// NDArray's core: a view (shape, strides, offset) over one typed-array storage. Views share
// storage and a version counter, which every in-place write bumps (the autograd tape reads it
// to catch a saved value that was overwritten). The core is method-free as far as ops go:
// ndarray-methods.ts attaches `a.add(b)`, `a.reshape(...)` and the rest, so that the kernel
// files can import this class without importing each other through it.

import { castScalar, dtypeOfStorage, type DType, type Storage } from "./dtype.js";
import { IndexError, ReadOnlyError, ValueError, fmtShape } from "./errors.js";
import { contiguousStrides, sizeOf, type Shape } from "./shape.js";
import { formatArray } from "./format.js";
import { checkFresh } from "./stale.js";

/** Shared by every view of one storage. */
export interface StorageInfo {
  version: number;
  /** When the storage was wrapped: storages wrapped later have larger serials (see storageSerial). */
  readonly serial: number;
}

let nextSerial = 0;

/**
 * @internal the serial the next new storage gets. An array whose storageInfo.serial is at least
 * a value read before some code ran was made while it ran (the autograd engine's test of what
 * a VJP allocated). Views share their base's storageInfo, so they count as their base.
 */
export function storageSerial(): number {
  return nextSerial;
}

export type Scalar = number | boolean;
/**
 * An operand of the elementwise ops: an NDArray, or a JS number, which is weak as a Python
 * scalar is in numpy (it takes the array's dtype; see `add`).
 */
export type ArrayOrScalar = NDArray | number;
/**
 * The axes a reduction runs over: one axis, a list of distinct axes, or all of them
 * (`undefined` or `null`); negative axes count from the end, as in numpy.
 */
export type AxisArg = number | readonly number[] | undefined | null;

/**
 * An n-d array, as numpy's ndarray: a view (shape, strides, offset) over one typed-array
 * storage of its dtype (see {@link DType}). Views (`slice`, `transpose`, `reshape` where it
 * can, `broadcastTo`, ...) share the storage of the array they were made from, so a write
 * through one is seen through all. Make arrays with the factories (`array`, `zeros`,
 * `arange`, ...); most ops are also methods (`a.add(b)`, `a.sum(0)`, `a.reshape(2, 3)`), which
 * call the functions of the same names. Strides and offset count elements, not bytes.
 *
 * @example
 * ```ts
 * const a = arange(6).reshape(2, 3);
 * a.shape; // [2, 3]
 * a.strides; // [3, 1]
 * a.T.get(2, 1); // 5
 * a.sum(1).toArray(); // [3, 12]
 * a.slice(null, [1]).toArray(); // [[1, 2], [4, 5]]
 * ```
 */
export class NDArray {
  /**
   * The storage this array views. A small array's storage may be a region of a larger, shared
   * ArrayBuffer (see allocate in dtype.ts): use data.byteOffset and data.byteLength with
   * data.buffer, and never transfer or detach it.
   */
  readonly data: Storage;
  /** The dims, outermost first: `[]` for a 0-d array. */
  readonly shape: readonly number[];
  /** How far, in elements of `data`, one step along each dim moves (0 on a broadcast dim). */
  readonly strides: readonly number[];
  /** Where in `data` the element at index (0, ..., 0) is. */
  readonly offset: number;
  /** The element type, the one `data`'s typed array holds. */
  readonly dtype: DType;
  /** The number of elements: the product of the dims (1 for a 0-d array). */
  readonly size: number;
  /**
   * false for views whose elements may alias each other: broadcast views (stride 0 over a
   * dim > 1), unfold's windows, and views made of either. Writes into them throw ReadOnlyError.
   */
  readonly writable: boolean;
  /** @internal shared with every view of the same storage */
  readonly storageInfo: StorageInfo;

  // Every op builds at least one of these, so construction is kept to plain field writes:
  // shape and strides are copied (the caller may reuse its arrays) but not frozen, since
  // Object.freeze cost four times the rest of the constructor; `readonly` in the types is
  // what keeps them unchanged.
  /**
   * A view of `data` (not copied) with `shape`, C-contiguous `strides` unless given, and
   * `offset`; it gets its own version counter unless `options.storageInfo` is shared. Users
   * make arrays with the factories (`array`, `zeros`, ...); this is for code that wraps its
   * own typed array. The dtype is `data`'s.
   */
  constructor(
    data: Storage,
    shape: Shape,
    strides?: Shape,
    offset = 0,
    options?: { writable?: boolean; storageInfo?: StorageInfo },
  ) {
    this.data = data;
    this.shape = shape.slice();
    this.strides = strides ? strides.slice() : contiguousStrides(shape);
    this.offset = offset;
    this.dtype = dtypeOfStorage(data);
    this.size = sizeOf(shape);
    this.writable = options?.writable ?? true;
    this.storageInfo = options?.storageInfo ?? { version: 0, serial: nextSerial++ };
  }

  /** The number of dims (`shape.length`). */
  get ndim(): number {
    return this.shape.length;
  }

  /** Bumped by every in-place write to this storage, through any view. */
  get version(): number {
    return this.storageInfo.version;
  }

  /** A new view of the same storage. */
  view(shape: Shape, strides: Shape, offset: number, writable = this.writable): NDArray {
    return new NDArray(this.data, shape, strides, offset, { writable, storageInfo: this.storageInfo });
  }

  /** Row-major with no gaps: the storage from `offset` holds exactly the elements, in order. */
  isContiguous(): boolean {
    // An empty array has no elements to be out of order (numpy flags it C-contiguous); its
    // strides may be anything, and a copy's are not the ones the loop below would expect.
    if (this.size === 0) return true;
    let s = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.strides[i] !== s) return false;
      s *= d;
    }
    return true;
  }

  /** Storage offset of an index, checked. */
  private flatIndex(op: string, index: readonly number[]): number {
    if (index.length !== this.ndim) {
      throw new IndexError(`${op}: expected ${this.ndim} indices for shape ${fmtShape(this.shape)}, got ${index.length}`);
    }
    let p = this.offset;
    for (let i = 0; i < index.length; i++) {
      let k = index[i]!;
      const d = this.shape[i]!;
      if (!Number.isInteger(k) || k < -d || k >= d) {
        throw new IndexError(`${op}: index ${k} is out of bounds for axis ${i} with size ${d} (shape ${fmtShape(this.shape)})`);
      }
      if (k < 0) k += d;
      p += k * this.strides[i]!;
    }
    return p;
  }

  /**
   * The element at `index`, one integer per dim (negative counting from the end): `a.get(1, 2)`.
   * Throws IndexError for the wrong number of indices or one out of bounds.
   */
  get(...index: number[]): number {
    checkFresh(this.data, "get");
    return this.data[this.flatIndex("get", index)]!;
  }

  /** Writes one element: `a.set([i, j], v)`. */
  set(index: readonly number[], value: number): void {
    this.checkWritable("set");
    const p = this.flatIndex("set", index);
    this.data[p] = castScalar(this.dtype, value);
    this.storageInfo.version++;
  }

  /** The value of a one-element array. */
  item(): number {
    if (this.size !== 1) throw new ValueError(`item: only one-element arrays convert to a number, got shape ${fmtShape(this.shape)}`);
    checkFresh(this.data, "item");
    let p = this.offset;
    return this.data[p]!;
  }

  /** @internal throws unless in-place writes are allowed. */
  checkWritable(op: string): void {
    if (!this.writable) {
      throw new ReadOnlyError(`${op}: the array of shape ${fmtShape(this.shape)} is a broadcast view and is read-only; call contiguous() or copy() first`);
    }
  }

  /** @internal called after an in-place write. */
  bumpVersion(): void {
    this.storageInfo.version++;
  }

  /** Nested JS arrays (a number for a 0-d array). */
  toArray(): unknown {
    checkFresh(this.data, "toArray");
    const rec = (dim: number, p: number): unknown => {
      if (dim === this.ndim) return this.dtype === "bool" ? this.data[p] !== 0 : this.data[p]!;
      const out = new Array(this.shape[dim]!);
      for (let i = 0; i < this.shape[dim]!; i++) out[i] = rec(dim + 1, p + i * this.strides[dim]!);
      return out;
    };
    return rec(0, this.offset);
  }

  /** The array as numpy's `str(arr)` prints it (see `formatArray`): `"[[1. 2.]\n [3. 4.]]"`. */
  toString(): string {
    return formatArray(this);
  }
}
