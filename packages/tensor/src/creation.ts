// The factories: arrays from nested lists, flat data or a fill value, ranges, eye.

import { castScalar, checkDType, dtypeOfStorage, type DType, type Storage } from "./dtype.js";
import { allocate } from "./storage.js";
import { ShapeError, ValueError, fmtShape } from "./errors.js";
import { NDArray } from "./ndarray.js";
import { checkShape, sizeOf, type Shape } from "./shape.js";
import * as elementwise from "./elementwise.js";
import * as views from "./views.js";
import { kernel, unwrapped } from "./kernel.js";

const { copy } = unwrapped(elementwise);
const { reshape } = unwrapped(views);

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
 * A new array from nested JS arrays, from flat data (a list or typed array) with a `shape`, or
 * from another NDArray, like numpy's `np.array`. The data is always copied. dtype defaults to
 * float64 (bool for nested booleans; a typed array's or an NDArray's own). Throws ShapeError
 * for ragged nesting or a `shape` whose size differs from the data's.
 *
 * @example
 * ```ts
 * array([[1, 2], [3, 4]]).toString(); // "[[1. 2.]\n [3. 4.]]"
 * array([1, 2, 3, 4, 5, 6], [2, 3]).shape; // [2, 3]
 * array([true, false]).dtype; // "bool"
 * array(new Int32Array([7, 8])).dtype; // "int32"
 * ```
 */
export const array = kernel("array", function array(data: Nested | ArrayLike<number> | NDArray, shape?: Shape, dtype?: DType): NDArray {
  if (data instanceof NDArray) {
    const a = dtype ? copy(data, checkDType("array", dtype)) : copy(data);
    return shape ? reshape(a, [...shape]) : a;
  }
  if (isTypedArray(data) || (shape !== undefined && !Array.isArray((data as ArrayLike<number>)[0]) && typeof data !== "number" && typeof data !== "boolean")) {
    const flat = data as ArrayLike<number>;
    const dt = dtype ? checkDType("array", dtype) : isTypedArray(data) ? dtypeOfStorage(data) : "float64";
    const sh = shape ? checkShape("array", shape) : [flat.length];
    if (sizeOf(sh) !== flat.length) {
      throw new ShapeError(`array: ${flat.length} elements cannot take shape ${fmtShape(sh)} (size ${sizeOf(sh)})`);
    }
    const out = allocate(dt, flat.length, "array", sh);
    for (let i = 0; i < flat.length; i++) out[i] = castScalar(dt, Number(flat[i]));
    return new NDArray(out, sh);
  }
  const nested = data as Nested;
  const sh = inferShape("array", nested);
  const dt = dtype ? checkDType("array", dtype) : containsBoolean(nested) ? "bool" : "float64";
  const out = allocate(dt, sizeOf(sh), "array", sh);
  fillNested("array", nested, sh, out);
  if (shape) {
    const target = checkShape("array", shape);
    if (sizeOf(target) !== out.length) {
      throw new ShapeError(`array: data of shape ${fmtShape(sh)} cannot take shape ${fmtShape(target)}`);
    }
    return new NDArray(out, target);
  }
  return new NDArray(out, sh);
});

/**
 * A 0-d array holding `value`, in `dtype` (float64 by default); `.item()` reads it back.
 *
 * @example
 * ```ts
 * scalar(2.5).shape; // []
 * scalar(2.5, "int32").item(); // 2
 * ```
 */
export const scalar = kernel("scalar", function scalar(value: number, dtype: DType = "float64"): NDArray {
  const d = allocate(checkDType("scalar", dtype), 1);
  d[0] = castScalar(dtype, value);
  return new NDArray(d, []);
});

/**
 * An array of `shape` whose values are unspecified (numpy's `empty`), for a result whose every
 * element is written before it is read. It comes zero-filled today, but a compiled step does not
 * clear it at a replay: it holds whatever the last step wrote.
 */
export const empty = kernel("empty", function empty(shape: Shape, dtype: DType = "float64"): NDArray {
  const sh = checkShape("empty", shape);
  return new NDArray(allocate(checkDType("empty", dtype), sizeOf(sh), "empty", sh), sh);
}, { uninitialized: true });

/**
 * An array of `shape` filled with 0, in `dtype` (float64 by default).
 *
 * @example
 * ```ts
 * zeros([2, 3]).toArray(); // [[0, 0, 0], [0, 0, 0]]
 * zeros([2], "int32").toString(); // "[0 0]"
 * ```
 */
export const zeros = kernel("zeros", function zeros(shape: Shape, dtype: DType = "float64"): NDArray {
  const sh = checkShape("zeros", shape);
  return new NDArray(allocate(checkDType("zeros", dtype), sizeOf(sh), "zeros", sh), sh);
});

/** An array of `shape` filled with 1, in `dtype` (float64 by default). */
export const ones = kernel("ones", function ones(shape: Shape, dtype: DType = "float64"): NDArray {
  return filled("ones", shape, 1, dtype);
});

/**
 * An array of `shape` filled with `value`, in `dtype` (float64 by default).
 *
 * @example
 * ```ts
 * full([2, 2], 7).toArray(); // [[7, 7], [7, 7]]
 * ```
 */
export const full = kernel("full", function full(shape: Shape, value: number, dtype: DType = "float64"): NDArray {
  return filled("full", shape, value, dtype);
});

function filled(op: string, shape: Shape, value: number, dtype: DType): NDArray {
  const sh = checkShape(op, shape);
  const d = allocate(checkDType(op, dtype), sizeOf(sh), op, sh);
  d.fill(castScalar(dtype, value));
  return new NDArray(d, sh);
}

/** Zeros of `a`'s shape, in `a`'s dtype unless `dtype` is given (numpy's `zeros_like`). */
export const zerosLike = kernel("zerosLike", function zerosLike(a: NDArray, dtype: DType = a.dtype): NDArray {
  return zeros(a.shape, dtype);
});
/** Ones of `a`'s shape, in `a`'s dtype unless `dtype` is given (numpy's `ones_like`). */
export const onesLike = kernel("onesLike", function onesLike(a: NDArray, dtype: DType = a.dtype): NDArray {
  return filled("onesLike", a.shape, 1, dtype);
});
/**
 * `value` in every element of an array of `a`'s shape, in `a`'s dtype unless `dtype` is given
 * (numpy's `full_like`).
 */
export const fullLike = kernel("fullLike", function fullLike(a: NDArray, value: number, dtype: DType = a.dtype): NDArray {
  return full(a.shape, value, dtype);
});

/**
 * numpy's arange: `arange(stop)` or `arange(start, stop, step?)`, the values start,
 * start + step, ... up to but excluding stop, as a 1-D array of ceil((stop - start) / step)
 * elements (none when that is negative) in `dtype` (float64 by default). Throws ValueError for
 * a step of 0 or an argument that is not finite.
 *
 * @example
 * ```ts
 * arange(3).toString(); // "[0. 1. 2.]"
 * arange(1, 2, 0.25).toArray(); // [1, 1.25, 1.5, 1.75]
 * arange(3, 0, -1).toArray(); // [3, 2, 1]
 * arange(3, undefined, 1, "int32").toString(); // "[0 1 2]"
 * ```
 */
export const arange = kernel("arange", function arange(start: number, stop?: number, step = 1, dtype: DType = "float64"): NDArray {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (![start, stop, step].every(Number.isFinite)) throw new ValueError(`arange: arguments must be finite, got (${start}, ${stop}, ${step})`);
  if (step === 0) throw new ValueError("arange: step must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const d = allocate(checkDType("arange", dtype), n, "arange");
  for (let i = 0; i < n; i++) d[i] = castScalar(dtype, start + i * step);
  return new NDArray(d, [n]);
});

/**
 * numpy's linspace: `num` (50 by default) evenly spaced values from `start` to `stop`, both
 * included, as a 1-D array in `dtype` (float64 by default). Throws ValueError unless `num` is a
 * non-negative integer.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export const linspace = kernel("linspace", function linspace(start: number, stop: number, num = 50, dtype: DType = "float64"): NDArray {
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  const d = allocate(checkDType("linspace", dtype), num, "linspace");
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) d[i] = castScalar(dtype, start + i * step);
  if (num > 1) d[num - 1] = stop;
  return new NDArray(d, [num]);
});

/**
 * numpy's eye: an `n` x `m` array (square by default) with ones on the main diagonal and zeros
 * elsewhere, in `dtype` (float64 by default).
 *
 * @example
 * ```ts
 * eye(2).toArray(); // [[1, 0], [0, 1]]
 * eye(2, 3).toArray(); // [[1, 0, 0], [0, 1, 0]]
 * ```
 */
export const eye = kernel("eye", function eye(n: number, m = n, dtype: DType = "float64"): NDArray {
  const a = zeros([n, m], dtype);
  for (let i = 0; i < Math.min(n, m); i++) a.data[i * m + i] = 1;
  return a;
});

/** Whether `x` is an NDArray (a type guard). */
export function isNDArray(x: unknown): x is NDArray {
  return x instanceof NDArray;
}

/**
 * A 0-d array holding `read()`, in `dtype` (float64 by default). In a compiled step, `read` is
 * called again at every replay: the way to bring a JS value that changes between steps (a
 * learning rate a scheduler sets) into a traced computation.
 */
export const scalarFrom = kernel("scalarFrom", (read: () => number, dtype: DType = "float64"): NDArray => scalar(read(), dtype));
