// The ops as NDArray methods (`a.add(b)`, `a.reshape(2, 3)`, `a.sum(0)`), attached to the core
// class of ndarray.ts, the way tfjs attaches its chained ops: the class's file imports no op,
// so every kernel file can import the class. index.ts imports this file for its effect.

import { checkDType, type DType, type Storage } from "./dtype.js";
import { NDArray, type ArrayOrScalar, type AxisArg } from "./ndarray.js";
import type { Shape } from "./shape.js";
import * as views from "./views.js";
import type * as join from "./join.js";
// the kernels as a trace records them: a method call is seen like a function call
import * as K from "./traced-ops.js";
import { kernel } from "./trace.js";

declare module "./ndarray.js" {
  interface NDArray {
    /** The elements in C order as a fresh typed array of this dtype. */
    toTypedArray(): Storage;
    /** The elements in C order as a plain number array. */
    toFlat(): number[];
    // ---- views (never copy) ----
    reshape(...shape: (number | readonly number[])[]): NDArray;
    transpose(...axes: (number | readonly number[])[]): NDArray;
    permute(...axes: (number | readonly number[])[]): NDArray;
    /** numpy's `.T`: all axes reversed. */
    readonly T: NDArray;
    swapaxes(a: number, b: number): NDArray;
    slice(...specs: views.SliceSpec[]): NDArray;
    broadcastTo(shape: Shape): NDArray;
    squeeze(axis?: AxisArg): NDArray;
    unsqueeze(axis: number): NDArray;
    expandDims(axis: number): NDArray;
    flatten(): NDArray;
    // ---- copies ----
    /** This array when already C-contiguous, else a C-contiguous copy. */
    contiguous(): NDArray;
    copy(): NDArray;
    clone(): NDArray;
    /** A copy in another dtype (numpy's astype copies, even to the same dtype). */
    astype(dtype: DType): NDArray;
    // ---- in-place ----
    fill(value: number): this;
    /** Copies `src` (broadcast to this shape) into this array's elements. */
    assign(src: ArrayOrScalar): this;
    // ---- elementwise ----
    add(b: ArrayOrScalar, out?: NDArray): NDArray;
    sub(b: ArrayOrScalar, out?: NDArray): NDArray;
    mul(b: ArrayOrScalar, out?: NDArray): NDArray;
    div(b: ArrayOrScalar, out?: NDArray): NDArray;
    pow(b: ArrayOrScalar, out?: NDArray): NDArray;
    maximum(b: ArrayOrScalar, out?: NDArray): NDArray;
    minimum(b: ArrayOrScalar, out?: NDArray): NDArray;
    eq(b: ArrayOrScalar): NDArray;
    ne(b: ArrayOrScalar): NDArray;
    lt(b: ArrayOrScalar): NDArray;
    le(b: ArrayOrScalar): NDArray;
    gt(b: ArrayOrScalar): NDArray;
    ge(b: ArrayOrScalar): NDArray;
    neg(out?: NDArray): NDArray;
    exp(out?: NDArray): NDArray;
    log(out?: NDArray): NDArray;
    sqrt(out?: NDArray): NDArray;
    abs(out?: NDArray): NDArray;
    tanh(out?: NDArray): NDArray;
    sigmoid(out?: NDArray): NDArray;
    relu(out?: NDArray): NDArray;
    square(out?: NDArray): NDArray;
    sin(out?: NDArray): NDArray;
    cos(out?: NDArray): NDArray;
    sign(out?: NDArray): NDArray;
    reciprocal(out?: NDArray): NDArray;
    log1p(out?: NDArray): NDArray;
    expm1(out?: NDArray): NDArray;
    floor(out?: NDArray): NDArray;
    ceil(out?: NDArray): NDArray;
    round(out?: NDArray): NDArray;
    isnan(): NDArray;
    isfinite(): NDArray;
    clip(lo: number, hi: number): NDArray;
    // ---- reductions ----
    sum(axis?: AxisArg, keepdims?: boolean): NDArray;
    mean(axis?: AxisArg, keepdims?: boolean): NDArray;
    prod(axis?: AxisArg, keepdims?: boolean): NDArray;
    max(axis?: AxisArg, keepdims?: boolean): NDArray;
    min(axis?: AxisArg, keepdims?: boolean): NDArray;
    argmax(axis?: number, keepdims?: boolean): NDArray;
    argmin(axis?: number, keepdims?: boolean): NDArray;
    logsumexp(axis?: AxisArg, keepdims?: boolean): NDArray;
    variance(axis?: AxisArg, keepdims?: boolean, ddof?: number): NDArray;
    std(axis?: AxisArg, keepdims?: boolean, ddof?: number): NDArray;
    all(axis?: AxisArg, keepdims?: boolean): NDArray;
    any(axis?: AxisArg, keepdims?: boolean): NDArray;
    softmax(axis?: number): NDArray;
    logSoftmax(axis?: number): NDArray;
    sumTo(shape: Shape): NDArray;
    // ---- products, gathers ----
    matmul(b: NDArray, out?: NDArray): NDArray;
    take(indices: join.Indices, axis?: number): NDArray;
    split(sections: number | readonly number[], axis?: number): NDArray[];
    chunk(chunks: number, axis?: number): NDArray[];
  }
}

const proto = NDArray.prototype;

function shapeArgs(args: readonly (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as readonly number[]).slice();
  return args as number[];
}

proto.toTypedArray = function (this: NDArray): Storage {
  const c = this.contiguous();
  return c.data.slice(c.offset, c.offset + c.size) as Storage;
};
proto.toFlat = function (this: NDArray): number[] {
  return Array.from(this.toTypedArray() as ArrayLike<number>);
};

// ---- views (never copy) ----
proto.reshape = function (this: NDArray, ...shape: (number | readonly number[])[]): NDArray { return K.reshape(this, shapeArgs(shape)); };
proto.transpose = function (this: NDArray, ...axes: (number | readonly number[])[]): NDArray {
  const flat = shapeArgs(axes);
  return views.permute(this, flat.length === 0 ? undefined : flat);
};
proto.permute = function (this: NDArray, ...axes: (number | readonly number[])[]): NDArray { return views.permute(this, shapeArgs(axes)); };
Object.defineProperty(proto, "T", {
  get(this: NDArray): NDArray {
    return views.permute(this, undefined);
  },
  configurable: true,
});
proto.swapaxes = function (this: NDArray, a: number, b: number): NDArray { return views.swapaxes(this, a, b); };
proto.slice = function (this: NDArray, ...specs: views.SliceSpec[]): NDArray { return views.slice(this, specs); };
proto.broadcastTo = function (this: NDArray, shape: Shape): NDArray { return views.broadcastTo(this, shape); };
proto.squeeze = function (this: NDArray, axis?: AxisArg): NDArray { return views.squeeze(this, axis); };
proto.unsqueeze = function (this: NDArray, axis: number): NDArray { return views.unsqueeze(this, axis); };
proto.expandDims = function (this: NDArray, axis: number): NDArray { return views.unsqueeze(this, axis); };
proto.flatten = function (this: NDArray): NDArray { return K.reshape(this, [-1]); };
// ---- copies ----
proto.contiguous = function (this: NDArray): NDArray { return this.isContiguous() ? this : K.copy(this); };
proto.copy = function (this: NDArray): NDArray { return K.copy(this); };
proto.clone = function (this: NDArray): NDArray { return K.copy(this); };
proto.astype = function (this: NDArray, dtype: DType): NDArray { return K.copy(this, checkDType("astype", dtype)); };
// ---- in-place ----
proto.fill = function <T extends NDArray>(this: T, value: number): T {
  K.fill(this, value);
  return this;
};
proto.assign = function <T extends NDArray>(this: T, src: ArrayOrScalar): T {
  K.assign(this, src);
  return this;
};
// ---- elementwise ----
proto.add = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return K.add(this, b, out); };
proto.sub = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return K.sub(this, b, out); };
proto.mul = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return K.mul(this, b, out); };
proto.div = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return K.div(this, b, out); };
proto.pow = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return K.pow(this, b, out); };
proto.maximum = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return K.maximum(this, b, out); };
proto.minimum = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return K.minimum(this, b, out); };
proto.eq = function (this: NDArray, b: ArrayOrScalar): NDArray { return K.eq(this, b); };
proto.ne = function (this: NDArray, b: ArrayOrScalar): NDArray { return K.ne(this, b); };
proto.lt = function (this: NDArray, b: ArrayOrScalar): NDArray { return K.lt(this, b); };
proto.le = function (this: NDArray, b: ArrayOrScalar): NDArray { return K.le(this, b); };
proto.gt = function (this: NDArray, b: ArrayOrScalar): NDArray { return K.gt(this, b); };
proto.ge = function (this: NDArray, b: ArrayOrScalar): NDArray { return K.ge(this, b); };
proto.neg = function (this: NDArray, out?: NDArray): NDArray { return K.neg(this, out); };
proto.exp = function (this: NDArray, out?: NDArray): NDArray { return K.exp(this, out); };
proto.log = function (this: NDArray, out?: NDArray): NDArray { return K.log(this, out); };
proto.sqrt = function (this: NDArray, out?: NDArray): NDArray { return K.sqrt(this, out); };
proto.abs = function (this: NDArray, out?: NDArray): NDArray { return K.abs(this, out); };
proto.tanh = function (this: NDArray, out?: NDArray): NDArray { return K.tanh(this, out); };
proto.sigmoid = function (this: NDArray, out?: NDArray): NDArray { return K.sigmoid(this, out); };
proto.relu = function (this: NDArray, out?: NDArray): NDArray { return K.relu(this, out); };
proto.square = function (this: NDArray, out?: NDArray): NDArray { return K.square(this, out); };
proto.sin = function (this: NDArray, out?: NDArray): NDArray { return K.sin(this, out); };
proto.cos = function (this: NDArray, out?: NDArray): NDArray { return K.cos(this, out); };
proto.sign = function (this: NDArray, out?: NDArray): NDArray { return K.sign(this, out); };
proto.reciprocal = function (this: NDArray, out?: NDArray): NDArray { return K.reciprocal(this, out); };
proto.log1p = function (this: NDArray, out?: NDArray): NDArray { return K.log1p(this, out); };
proto.expm1 = function (this: NDArray, out?: NDArray): NDArray { return K.expm1(this, out); };
proto.floor = function (this: NDArray, out?: NDArray): NDArray { return K.floor(this, out); };
proto.ceil = function (this: NDArray, out?: NDArray): NDArray { return K.ceil(this, out); };
proto.round = function (this: NDArray, out?: NDArray): NDArray { return K.round(this, out); };
proto.isnan = function (this: NDArray): NDArray { return K.isnan(this); };
proto.isfinite = function (this: NDArray): NDArray { return K.isfinite(this); };
proto.clip = function (this: NDArray, lo: number, hi: number): NDArray { return K.clip(this, lo, hi); };
// ---- reductions ----
proto.sum = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.sum(this, axis, keepdims); };
proto.mean = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.mean(this, axis, keepdims); };
proto.prod = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.prod(this, axis, keepdims); };
proto.max = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.max(this, axis, keepdims); };
proto.min = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.min(this, axis, keepdims); };
proto.argmax = function (this: NDArray, axis?: number, keepdims = false): NDArray { return K.argmax(this, axis, keepdims); };
proto.argmin = function (this: NDArray, axis?: number, keepdims = false): NDArray { return K.argmin(this, axis, keepdims); };
proto.logsumexp = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.logsumexp(this, axis, keepdims); };
proto.variance = function (this: NDArray, axis?: AxisArg, keepdims = false, ddof = 0): NDArray { return K.variance(this, axis, keepdims, ddof); };
proto.std = function (this: NDArray, axis?: AxisArg, keepdims = false, ddof = 0): NDArray { return K.std(this, axis, keepdims, ddof); };
proto.all = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.all(this, axis, keepdims); };
proto.any = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return K.any(this, axis, keepdims); };
proto.softmax = function (this: NDArray, axis = -1): NDArray { return K.softmax(this, axis); };
proto.logSoftmax = function (this: NDArray, axis = -1): NDArray { return K.logSoftmax(this, axis); };
proto.sumTo = function (this: NDArray, shape: Shape): NDArray { return K.sumTo(this, shape); };
// ---- products, gathers ----
proto.matmul = function (this: NDArray, b: NDArray, out?: NDArray): NDArray { return K.matmul(this, b, out); };
proto.take = function (this: NDArray, indices: join.Indices, axis?: number): NDArray { return K.take(this, indices, axis); };
proto.split = function (this: NDArray, sections: number | readonly number[], axis = 0): NDArray[] { return K.split(this, sections, axis); };
proto.chunk = function (this: NDArray, chunks: number, axis = 0): NDArray[] { return K.chunk(this, chunks, axis); };
// ---- an element write is a kernel too (a replay writes it again)
proto.set = kernel("set", proto.set);
