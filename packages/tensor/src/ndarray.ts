// NDArray: a view (shape, strides, offset) over one typed-array storage. Views share storage
// and a version counter, which every in-place write bumps (the autograd tape reads it to
// catch a saved value that was overwritten).

import { allocate, castScalar, checkDType, dtypeOfStorage, isFloat, type DType, type Storage } from "./dtype.js";
import { IndexError, ReadOnlyError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { checkShape, contiguousStrides, sizeOf, type Shape } from "./shape.js";
import * as views from "./views.js";
import * as ew from "./elementwise.js";
import * as red from "./reduce.js";
import * as mm from "./matmul.js";
import * as join from "./join.js";
import { formatArray } from "./format.js";

/** Shared by every view of one storage. */
export interface StorageInfo {
  version: number;
}

export type Scalar = number | boolean;
export type ArrayOrScalar = NDArray | number;
export type AxisArg = number | readonly number[] | undefined | null;

export class NDArray {
  /**
   * The storage this array views. A small array's storage may be a region of a larger, shared
   * ArrayBuffer (see allocate in dtype.ts): use data.byteOffset and data.byteLength with
   * data.buffer, and never transfer or detach it.
   */
  readonly data: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  readonly size: number;
  /** false for broadcast views (stride 0 over a dim > 1), whose elements alias each other. */
  readonly writable: boolean;
  /** @internal shared with every view of the same storage */
  readonly storageInfo: StorageInfo;

  // Every op builds at least one of these, so construction is kept to plain field writes:
  // shape and strides are copied (the caller may reuse its arrays) but not frozen, since
  // Object.freeze cost four times the rest of the constructor; `readonly` in the types is
  // what keeps them unchanged.
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
    this.storageInfo = options?.storageInfo ?? { version: 0 };
  }

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

  get(...index: number[]): number {
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
    const rec = (dim: number, p: number): unknown => {
      if (dim === this.ndim) return this.dtype === "bool" ? this.data[p] !== 0 : this.data[p]!;
      const out = new Array(this.shape[dim]!);
      for (let i = 0; i < this.shape[dim]!; i++) out[i] = rec(dim + 1, p + i * this.strides[dim]!);
      return out;
    };
    return rec(0, this.offset);
  }

  /** The elements in C order as a fresh typed array of this dtype. */
  toTypedArray(): Storage {
    const c = this.contiguous();
    return c.data.slice(c.offset, c.offset + c.size) as Storage;
  }

  /** The elements in C order as a plain number array. */
  toFlat(): number[] {
    return Array.from(this.toTypedArray() as ArrayLike<number>);
  }

  toString(): string {
    return formatArray(this);
  }

  // ---- views (never copy) ----
  reshape(...shape: (number | readonly number[])[]): NDArray {
    return views.reshape(this, shapeArgs(shape));
  }
  transpose(...axes: (number | readonly number[])[]): NDArray {
    const flat = shapeArgs(axes);
    return views.permute(this, flat.length === 0 ? undefined : flat);
  }
  permute(...axes: (number | readonly number[])[]): NDArray {
    return views.permute(this, shapeArgs(axes));
  }
  /** numpy's `.T`: all axes reversed. */
  get T(): NDArray {
    return views.permute(this, undefined);
  }
  swapaxes(a: number, b: number): NDArray {
    return views.swapaxes(this, a, b);
  }
  slice(...specs: views.SliceSpec[]): NDArray {
    return views.slice(this, specs);
  }
  broadcastTo(shape: Shape): NDArray {
    return views.broadcastTo(this, shape);
  }
  squeeze(axis?: AxisArg): NDArray {
    return views.squeeze(this, axis);
  }
  unsqueeze(axis: number): NDArray {
    return views.unsqueeze(this, axis);
  }
  expandDims(axis: number): NDArray {
    return views.unsqueeze(this, axis);
  }
  flatten(): NDArray {
    return views.reshape(this, [-1]);
  }

  // ---- copies ----
  /** This array when already C-contiguous, else a C-contiguous copy. */
  contiguous(): NDArray {
    return this.isContiguous() ? this : ew.copy(this);
  }
  copy(): NDArray {
    return ew.copy(this);
  }
  clone(): NDArray {
    return ew.copy(this);
  }
  /** A copy in another dtype (numpy's astype copies, even to the same dtype). */
  astype(dtype: DType): NDArray {
    return ew.copy(this, checkDType("astype", dtype));
  }

  // ---- in-place ----
  fill(value: number): this {
    ew.fill(this, value);
    return this;
  }
  /** Copies `src` (broadcast to this shape) into this array's elements. */
  assign(src: ArrayOrScalar): this {
    ew.assign(this, src);
    return this;
  }

  // ---- elementwise ----
  add(b: ArrayOrScalar, out?: NDArray): NDArray { return ew.add(this, b, out); }
  sub(b: ArrayOrScalar, out?: NDArray): NDArray { return ew.sub(this, b, out); }
  mul(b: ArrayOrScalar, out?: NDArray): NDArray { return ew.mul(this, b, out); }
  div(b: ArrayOrScalar, out?: NDArray): NDArray { return ew.div(this, b, out); }
  pow(b: ArrayOrScalar, out?: NDArray): NDArray { return ew.pow(this, b, out); }
  maximum(b: ArrayOrScalar, out?: NDArray): NDArray { return ew.maximum(this, b, out); }
  minimum(b: ArrayOrScalar, out?: NDArray): NDArray { return ew.minimum(this, b, out); }
  eq(b: ArrayOrScalar): NDArray { return ew.eq(this, b); }
  ne(b: ArrayOrScalar): NDArray { return ew.ne(this, b); }
  lt(b: ArrayOrScalar): NDArray { return ew.lt(this, b); }
  le(b: ArrayOrScalar): NDArray { return ew.le(this, b); }
  gt(b: ArrayOrScalar): NDArray { return ew.gt(this, b); }
  ge(b: ArrayOrScalar): NDArray { return ew.ge(this, b); }
  neg(out?: NDArray): NDArray { return ew.neg(this, out); }
  exp(out?: NDArray): NDArray { return ew.exp(this, out); }
  log(out?: NDArray): NDArray { return ew.log(this, out); }
  sqrt(out?: NDArray): NDArray { return ew.sqrt(this, out); }
  abs(out?: NDArray): NDArray { return ew.abs(this, out); }
  tanh(out?: NDArray): NDArray { return ew.tanh(this, out); }
  sigmoid(out?: NDArray): NDArray { return ew.sigmoid(this, out); }
  relu(out?: NDArray): NDArray { return ew.relu(this, out); }
  square(out?: NDArray): NDArray { return ew.square(this, out); }
  sin(out?: NDArray): NDArray { return ew.sin(this, out); }
  cos(out?: NDArray): NDArray { return ew.cos(this, out); }
  sign(out?: NDArray): NDArray { return ew.sign(this, out); }
  reciprocal(out?: NDArray): NDArray { return ew.reciprocal(this, out); }
  log1p(out?: NDArray): NDArray { return ew.log1p(this, out); }
  expm1(out?: NDArray): NDArray { return ew.expm1(this, out); }
  floor(out?: NDArray): NDArray { return ew.floor(this, out); }
  ceil(out?: NDArray): NDArray { return ew.ceil(this, out); }
  round(out?: NDArray): NDArray { return ew.round(this, out); }
  isnan(): NDArray { return ew.isnan(this); }
  isfinite(): NDArray { return ew.isfinite(this); }
  clip(lo: number, hi: number): NDArray { return ew.clip(this, lo, hi); }

  // ---- reductions ----
  sum(axis?: AxisArg, keepdims = false): NDArray { return red.sum(this, axis, keepdims); }
  mean(axis?: AxisArg, keepdims = false): NDArray { return red.mean(this, axis, keepdims); }
  prod(axis?: AxisArg, keepdims = false): NDArray { return red.prod(this, axis, keepdims); }
  max(axis?: AxisArg, keepdims = false): NDArray { return red.max(this, axis, keepdims); }
  min(axis?: AxisArg, keepdims = false): NDArray { return red.min(this, axis, keepdims); }
  argmax(axis?: number, keepdims = false): NDArray { return red.argmax(this, axis, keepdims); }
  argmin(axis?: number, keepdims = false): NDArray { return red.argmin(this, axis, keepdims); }
  logsumexp(axis?: AxisArg, keepdims = false): NDArray { return red.logsumexp(this, axis, keepdims); }
  variance(axis?: AxisArg, keepdims = false, ddof = 0): NDArray { return red.variance(this, axis, keepdims, ddof); }
  std(axis?: AxisArg, keepdims = false, ddof = 0): NDArray { return red.std(this, axis, keepdims, ddof); }
  all(axis?: AxisArg, keepdims = false): NDArray { return red.all(this, axis, keepdims); }
  any(axis?: AxisArg, keepdims = false): NDArray { return red.any(this, axis, keepdims); }
  softmax(axis = -1): NDArray { return red.softmax(this, axis); }
  logSoftmax(axis = -1): NDArray { return red.logSoftmax(this, axis); }
  sumTo(shape: Shape): NDArray { return red.sumTo(this, shape); }

  // ---- products, gathers ----
  matmul(b: NDArray, out?: NDArray): NDArray { return mm.matmul(this, b, out); }
  take(indices: join.Indices, axis?: number): NDArray { return join.take(this, indices, axis); }
  split(sections: number | readonly number[], axis = 0): NDArray[] { return join.split(this, sections, axis); }
  chunk(chunks: number, axis = 0): NDArray[] { return join.chunk(this, chunks, axis); }
}

function shapeArgs(args: readonly (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as readonly number[]).slice();
  return args as number[];
}

// ---- factories ----

type Nested = number | boolean | readonly Nested[];

function inferShape(op: string, x: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as Nested;
  }
  if (!Array.isArray(cur) && typeof cur !== "number" && typeof cur !== "boolean") {
    throw new ValueError(`${op}: elements must be numbers or booleans, got ${typeof cur}`);
  }
  return shape;
}

function fillNested(op: string, x: Nested, shape: readonly number[], out: Storage): void {
  const dt = dtypeOfStorage(out);
  let p = 0;
  const rec = (v: Nested, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v === "number") out[p++] = castScalar(dt, v);
      else if (typeof v === "boolean") out[p++] = v ? 1 : 0;
      else throw new ShapeError(`${op}: ragged nested array: expected a number at depth ${dim} for shape ${fmtShape(shape)}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError(`${op}: ragged nested array: expected length ${shape[dim]} at depth ${dim} for shape ${fmtShape(shape)}, got ${Array.isArray(v) ? v.length : typeof v}`);
    }
    for (const e of v) rec(e, dim + 1);
  };
  rec(x, 0);
}


function isTypedArray(x: unknown): x is Storage {
  return x instanceof Float64Array || x instanceof Float32Array || x instanceof Int32Array || x instanceof Uint8Array;
}

function containsBoolean(x: Nested): boolean {
  if (typeof x === "boolean") return true;
  if (Array.isArray(x)) return x.length > 0 && containsBoolean(x[0] as Nested);
  return false;
}

/**
 * `array([[1, 2], [3, 4]])`, `array(flat, [2, 2])`, `array(new Float32Array(n), [n])`.
 * The data is copied. dtype defaults to float64 (bool for nested booleans; a typed array's own).
 */
export function array(data: Nested | ArrayLike<number> | NDArray, shape?: Shape, dtype?: DType): NDArray {
  if (data instanceof NDArray) {
    const a = dtype ? data.astype(dtype) : data.copy();
    return shape ? a.reshape([...shape]) : a;
  }
  if (isTypedArray(data) || (shape !== undefined && !Array.isArray((data as ArrayLike<number>)[0]) && typeof data !== "number" && typeof data !== "boolean")) {
    const flat = data as ArrayLike<number>;
    const dt = dtype ? checkDType("array", dtype) : isTypedArray(data) ? dtypeOfStorage(data) : "float64";
    const sh = shape ? checkShape("array", shape) : [flat.length];
    if (sizeOf(sh) !== flat.length) {
      throw new ShapeError(`array: ${flat.length} elements cannot take shape ${fmtShape(sh)} (size ${sizeOf(sh)})`);
    }
    const out = allocate(dt, flat.length);
    for (let i = 0; i < flat.length; i++) out[i] = castScalar(dt, Number(flat[i]));
    return new NDArray(out, sh);
  }
  const nested = data as Nested;
  const sh = inferShape("array", nested);
  const dt = dtype ? checkDType("array", dtype) : containsBoolean(nested) ? "bool" : "float64";
  const out = allocate(dt, sizeOf(sh));
  fillNested("array", nested, sh, out);
  if (shape) {
    const target = checkShape("array", shape);
    if (sizeOf(target) !== out.length) {
      throw new ShapeError(`array: data of shape ${fmtShape(sh)} cannot take shape ${fmtShape(target)}`);
    }
    return new NDArray(out, target);
  }
  return new NDArray(out, sh);
}

export function scalar(value: number, dtype: DType = "float64"): NDArray {
  const d = allocate(checkDType("scalar", dtype), 1);
  d[0] = castScalar(dtype, value);
  return new NDArray(d, []);
}

export function empty(shape: Shape, dtype: DType = "float64"): NDArray {
  const sh = checkShape("empty", shape);
  return new NDArray(allocate(checkDType("empty", dtype), sizeOf(sh)), sh);
}

export function zeros(shape: Shape, dtype: DType = "float64"): NDArray {
  const sh = checkShape("zeros", shape);
  return new NDArray(allocate(checkDType("zeros", dtype), sizeOf(sh)), sh);
}

export function ones(shape: Shape, dtype: DType = "float64"): NDArray {
  return filled("ones", shape, 1, dtype);
}

export function full(shape: Shape, value: number, dtype: DType = "float64"): NDArray {
  return filled("full", shape, value, dtype);
}

function filled(op: string, shape: Shape, value: number, dtype: DType): NDArray {
  const sh = checkShape(op, shape);
  const d = allocate(checkDType(op, dtype), sizeOf(sh));
  d.fill(castScalar(dtype, value));
  return new NDArray(d, sh);
}

export function zerosLike(a: NDArray, dtype: DType = a.dtype): NDArray {
  return zeros(a.shape, dtype);
}
export function onesLike(a: NDArray, dtype: DType = a.dtype): NDArray {
  return filled("onesLike", a.shape, 1, dtype);
}
export function fullLike(a: NDArray, value: number, dtype: DType = a.dtype): NDArray {
  return full(a.shape, value, dtype);
}

/** numpy's arange: `arange(stop)`, `arange(start, stop, step?)`. */
export function arange(start: number, stop?: number, step = 1, dtype: DType = "float64"): NDArray {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (![start, stop, step].every(Number.isFinite)) throw new ValueError(`arange: arguments must be finite, got (${start}, ${stop}, ${step})`);
  if (step === 0) throw new ValueError("arange: step must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const d = allocate(checkDType("arange", dtype), n);
  for (let i = 0; i < n; i++) d[i] = castScalar(dtype, start + i * step);
  return new NDArray(d, [n]);
}

export function linspace(start: number, stop: number, num = 50, dtype: DType = "float64"): NDArray {
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  const d = allocate(checkDType("linspace", dtype), num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) d[i] = castScalar(dtype, start + i * step);
  if (num > 1) d[num - 1] = stop;
  return new NDArray(d, [num]);
}

export function eye(n: number, m = n, dtype: DType = "float64"): NDArray {
  const a = zeros([n, m], dtype);
  for (let i = 0; i < Math.min(n, m); i++) a.data[i * m + i] = 1;
  return a;
}

export function isNDArray(x: unknown): x is NDArray {
  return x instanceof NDArray;
}

export { isFloat };
