// The factories: arrays from nested lists, flat data or a fill value, ranges, eye.

import { allocate, castScalar, checkDType, dtypeOfStorage, type DType, type Storage } from "./dtype.js";
import { ShapeError, ValueError, fmtShape } from "./errors.js";
import { NDArray } from "./ndarray.js";
import { checkShape, sizeOf, type Shape } from "./shape.js";
import { copy } from "./elementwise.js";
import { reshape } from "./views.js";

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

/** Whether `x` is an NDArray (a type guard). */
export function isNDArray(x: unknown): x is NDArray {
  return x instanceof NDArray;
}
