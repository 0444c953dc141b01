// The ops as NDArray methods (`a.add(b)`, `a.reshape(2, 3)`, `a.sum(0)`), attached to the core
// class of ndarray.ts, the way tfjs attaches its chained ops: the class's file imports no op,
// so every kernel file can import the class. index.ts imports this file for its effect.

import { checkDType, type DType, type Storage } from "./dtype.js";
import { NDArray, type ArrayOrScalar, type AxisArg } from "./ndarray.js";
import type { Shape } from "./shape.js";
import * as views from "./views.js";
// the kernels as a trace records them: a method call is seen like a function call
import * as ew from "./elementwise.js";
import * as red from "./reduce.js";
import * as scan from "./scan.js";
import * as sorting from "./sort.js";
import * as mm from "./matmul.js";
import * as join from "./join.js";
import * as idx from "./indexing.js";
import * as math from "./math.js";
import { kernel, noteItemRead } from "./kernel.js";

declare module "./ndarray.js" {
  interface NDArray {
    /** The elements in C order as a fresh typed array of this dtype. */
    toTypedArray(): Storage;
    /** The elements in C order as a plain number array. */
    toFlat(): number[];
    // ---- views (never copy, except reshape and flatten where no strides fit) ----
    /**
     * `reshape(a, shape)` as a method: `a.reshape(2, 3)` or `a.reshape([2, 3])`, one dim may be
     * -1. A view when strides can express the new shape, else a copy, as in numpy.
     */
    reshape(...shape: (number | readonly number[])[]): NDArray;
    /** numpy's transpose: a view with the axes reversed, or in the order given (`a.transpose(1, 0, 2)`); no copy. */
    transpose(...axes: (number | readonly number[])[]): NDArray;
    /** torch's permute: a view whose dim i is this array's dim axes[i] (`a.permute(2, 0, 1)`); no copy. */
    permute(...axes: (number | readonly number[])[]): NDArray;
    /** numpy's `.T`: all axes reversed. */
    readonly T: NDArray;
    /** numpy's swapaxes: a view with axes `a` and `b` exchanged; no copy. */
    swapaxes(a: number, b: number): NDArray;
    /** `slice(a, specs)` with one spec per argument: `a.slice(0, [1, 3])` is numpy's `a[0, 1:3]`, a view. */
    slice(...specs: views.SliceSpec[]): NDArray;
    /** numpy's broadcast_to: a read-only view with stride 0 on the stretched dims. */
    broadcastTo(shape: Shape): NDArray;
    /** numpy's squeeze: a view without the size-1 dims (all of them, or those in `axis`). */
    squeeze(axis?: AxisArg): NDArray;
    /** torch's unsqueeze: a view with a new size-1 dim at `axis`. */
    unsqueeze(axis: number): NDArray;
    /** numpy's expand_dims: the same as `unsqueeze`. */
    expandDims(axis: number): NDArray;
    /** The elements in C order as a 1-D array: a view when strides allow (a contiguous array), else a copy. */
    flatten(): NDArray;
    // ---- copies ----
    /** This array when already C-contiguous, else a C-contiguous copy. */
    contiguous(): NDArray;
    /** A C-contiguous copy, of the same dtype. */
    copy(): NDArray;
    /** The same as `copy()` (torch's name). */
    clone(): NDArray;
    /** A copy in another dtype (numpy's astype copies, even to the same dtype). */
    astype(dtype: DType): NDArray;
    // ---- in-place ----
    /** Writes `value` into every element, in place; returns this array. */
    fill(value: number): this;
    /** Copies `src` (broadcast to this shape) into this array's elements. */
    assign(src: ArrayOrScalar): this;
    // ---- elementwise ----
    /** Elementwise this + b with broadcasting, into `out` when given: the function `add`. */
    add(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise this - b with broadcasting: the function `sub`. */
    sub(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise this * b with broadcasting: the function `mul`. */
    mul(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise true division this / b, a float result: the function `div`. */
    div(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise this ** b: the function `pow`. */
    pow(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** The elementwise larger of this and b, NaN winning: the function `maximum`. */
    maximum(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** The elementwise smaller of this and b, NaN winning: the function `minimum`. */
    minimum(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise this == b, a bool array. */
    eq(b: ArrayOrScalar): NDArray;
    /** Elementwise this != b, a bool array. */
    ne(b: ArrayOrScalar): NDArray;
    /** Elementwise this < b, a bool array. */
    lt(b: ArrayOrScalar): NDArray;
    /** Elementwise this <= b, a bool array. */
    le(b: ArrayOrScalar): NDArray;
    /** Elementwise this > b, a bool array. */
    gt(b: ArrayOrScalar): NDArray;
    /** Elementwise this >= b, a bool array. */
    ge(b: ArrayOrScalar): NDArray;
    /** Elementwise negation: the function `neg`. */
    neg(out?: NDArray): NDArray;
    /** Elementwise e^x, a float result. */
    exp(out?: NDArray): NDArray;
    /** Elementwise natural log, a float result. */
    log(out?: NDArray): NDArray;
    /** Elementwise square root, a float result. */
    sqrt(out?: NDArray): NDArray;
    /** Elementwise absolute value. */
    abs(out?: NDArray): NDArray;
    /** Elementwise hyperbolic tangent, a float result. */
    tanh(out?: NDArray): NDArray;
    /** Elementwise logistic function, a float result. */
    sigmoid(out?: NDArray): NDArray;
    /** Elementwise max(x, 0). */
    relu(out?: NDArray): NDArray;
    /** Elementwise x * x. */
    square(out?: NDArray): NDArray;
    /** Elementwise sine, a float result. */
    sin(out?: NDArray): NDArray;
    /** Elementwise cosine, a float result. */
    cos(out?: NDArray): NDArray;
    /** Elementwise sign: -1, 0 or 1 (NaN stays NaN). */
    sign(out?: NDArray): NDArray;
    /** Elementwise 1 / x, a float result. */
    reciprocal(out?: NDArray): NDArray;
    /** Elementwise log(1 + x), a float result. */
    log1p(out?: NDArray): NDArray;
    /** Elementwise e^x - 1, a float result. */
    expm1(out?: NDArray): NDArray;
    /** Elementwise tangent: the function `tan`. */
    tan(out?: NDArray): NDArray;
    /** Elementwise arcsine: the function `asin`. */
    asin(out?: NDArray): NDArray;
    /** Elementwise arccosine: the function `acos`. */
    acos(out?: NDArray): NDArray;
    /** Elementwise arctangent: the function `atan`. */
    atan(out?: NDArray): NDArray;
    /** Elementwise hyperbolic sine: the function `sinh`. */
    sinh(out?: NDArray): NDArray;
    /** Elementwise hyperbolic cosine: the function `cosh`. */
    cosh(out?: NDArray): NDArray;
    /** Elementwise inverse hyperbolic sine: the function `asinh`. */
    asinh(out?: NDArray): NDArray;
    /** Elementwise inverse hyperbolic cosine: the function `acosh`. */
    acosh(out?: NDArray): NDArray;
    /** Elementwise inverse hyperbolic tangent: the function `atanh`. */
    atanh(out?: NDArray): NDArray;
    /** Elementwise base-2 logarithm: the function `log2`. */
    log2(out?: NDArray): NDArray;
    /** Elementwise base-10 logarithm: the function `log10`. */
    log10(out?: NDArray): NDArray;
    /** Elementwise 2 to the power: the function `exp2`. */
    exp2(out?: NDArray): NDArray;
    /** Elementwise reciprocal square root: the function `rsqrt`. */
    rsqrt(out?: NDArray): NDArray;
    /** Elementwise rounding towards zero: the function `trunc`. */
    trunc(out?: NDArray): NDArray;
    /** Elementwise isinf, a bool array: the function `isinf`. */
    isinf(): NDArray;
    /** Elementwise logical not, a bool array: the function `logicalNot`. */
    logicalNot(): NDArray;
    /** Elementwise atan2(this, b), the angle of the point (b, this): the function `atan2`. */
    atan2(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise sqrt(this^2 + b^2) without overflow: the function `hypot`. */
    hypot(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise |this| with b's sign: the function `copysign`. */
    copysign(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise remainder with the divisor's sign (Python's %, torch.remainder): the function `remainder`. */
    remainder(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise remainder with the dividend's sign (C's fmod): the function `fmod`. */
    fmod(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise floor(this / b) (Python's //): the function `floorDivide`. */
    floorDivide(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise trunc(this / b): the function `truncDivide`. */
    truncDivide(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise this and b as truth values, a bool array: the function `logicalAnd`. */
    logicalAnd(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise this or b as truth values, a bool array: the function `logicalOr`. */
    logicalOr(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise this xor b as truth values, a bool array: the function `logicalXor`. */
    logicalXor(b: ArrayOrScalar, out?: NDArray): NDArray;
    /** Elementwise floor. */
    floor(out?: NDArray): NDArray;
    /** Elementwise ceiling. */
    ceil(out?: NDArray): NDArray;
    /** Elementwise rounding, halves to even as in numpy. */
    round(out?: NDArray): NDArray;
    /** Elementwise test for NaN, a bool array. */
    isnan(): NDArray;
    /** Elementwise test for a finite value, a bool array. */
    isfinite(): NDArray;
    /** numpy's clip: each element limited to [lo, hi]. */
    clip(lo: number, hi: number): NDArray;
    // ---- reductions ----
    /** The sum over `axis` (all axes when omitted): the function `sum`. */
    sum(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** The mean over `axis`, a float result: the function `mean`. */
    mean(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** The product over `axis`. */
    prod(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** The largest element over `axis` (NaN wins). */
    max(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** The smallest element over `axis` (NaN wins). */
    min(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** The index of the largest element along `axis` (of the flattened array when omitted), int32. */
    argmax(axis?: number, keepdims?: boolean): NDArray;
    /** The index of the smallest element along `axis` (of the flattened array when omitted), int32. */
    argmin(axis?: number, keepdims?: boolean): NDArray;
    /** log(sum(exp(x))) over `axis`, without overflow. */
    logsumexp(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** numpy's var over `axis`, divided by n - ddof (ddof 0 by default). */
    variance(axis?: AxisArg, keepdims?: boolean, ddof?: number): NDArray;
    /** numpy's std: the square root of `variance`. */
    std(axis?: AxisArg, keepdims?: boolean, ddof?: number): NDArray;
    /** The same as `max` (torch's amax). */
    amax(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** The same as `min` (torch's amin). */
    amin(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** The running sum along `axis` (of the flattened array when omitted); integers give float64. */
    cumsum(axis?: number): NDArray;
    /** The running product along `axis` (of the flattened array when omitted); integers give float64. */
    cumprod(axis?: number): NDArray;
    /** The indices that sort each line along `axis` (the last by default), stably; NaN sorts last. */
    argsort(axis?: number, descending?: boolean): NDArray;
    /** Whether every element over `axis` is nonzero, a bool array. */
    all(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** Whether some element over `axis` is nonzero, a bool array. */
    any(axis?: AxisArg, keepdims?: boolean): NDArray;
    /** softmax along `axis` (the last by default). */
    softmax(axis?: number): NDArray;
    /** log-softmax along `axis` (the last by default). */
    logSoftmax(axis?: number): NDArray;
    /** Sums this array down to `shape`, undoing a broadcast: the function `sumTo`. */
    sumTo(shape: Shape): NDArray;
    // ---- products, gathers ----
    /** numpy's matmul, this @ b: the function `matmul`. */
    matmul(b: NDArray, out?: NDArray): NDArray;
    /** numpy's take: gathers along `axis` (the flattened array when omitted), a copy. */
    take(indices: join.Indices, axis?: number): NDArray;
    /** numpy's split along `axis` (0 by default), into views. */
    split(sections: number | readonly number[], axis?: number): NDArray[];
    /** torch's chunk along `axis` (0 by default), into views. */
    chunk(chunks: number, axis?: number): NDArray[];
    // ---- indexing (indexing.ts, views.ts) ----
    /** numpy's indexing with index arrays (`index(a, specs)`): a view for slice specs only, else a copy. */
    index(...specs: idx.IndexSpec[]): NDArray;
    /** torch.gather along `axis`: the function `gather`. */
    gather(axis: number, index: idx.IndexArrayLike): NDArray;
    /** numpy's flip: a view reversed along `axis` (every axis when omitted). */
    flip(axis?: AxisArg): NDArray;
    /** torch.diagonal: a view of the diagonal of axes axis1, axis2 (0, 1 by default) at `offset`. */
    diagonal(offset?: number, axis1?: number, axis2?: number): NDArray;
    /** torch.nonzero: the coordinates of the non-zero elements, int32 of shape [count, ndim]. */
    nonzero(): NDArray;
  }
}

const proto = NDArray.prototype;

// a number read while tracing is noted, so that compile can replay it when the step returns it
const coreItem = proto.item;
proto.item = function (this: NDArray): number {
  const v = coreItem.call(this);
  noteItemRead(this, v);
  return v;
};

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
proto.reshape = function (this: NDArray, ...shape: (number | readonly number[])[]): NDArray { return views.reshape(this, shapeArgs(shape)); };
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
proto.flatten = function (this: NDArray): NDArray { return views.reshape(this, [-1]); };
// ---- copies ----
proto.contiguous = function (this: NDArray): NDArray { return this.isContiguous() ? this : ew.copy(this); };
proto.copy = function (this: NDArray): NDArray { return ew.copy(this); };
proto.clone = function (this: NDArray): NDArray { return ew.copy(this); };
proto.astype = function (this: NDArray, dtype: DType): NDArray { return ew.copy(this, checkDType("astype", dtype)); };
// ---- in-place ----
proto.fill = function <T extends NDArray>(this: T, value: number): T {
  ew.fill(this, value);
  return this;
};
proto.assign = function <T extends NDArray>(this: T, src: ArrayOrScalar): T {
  ew.assign(this, src);
  return this;
};
// ---- elementwise ----
proto.add = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return ew.add(this, b, out); };
proto.sub = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return ew.sub(this, b, out); };
proto.mul = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return ew.mul(this, b, out); };
proto.div = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return ew.div(this, b, out); };
proto.pow = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return ew.pow(this, b, out); };
proto.maximum = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return ew.maximum(this, b, out); };
proto.minimum = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return ew.minimum(this, b, out); };
proto.eq = function (this: NDArray, b: ArrayOrScalar): NDArray { return ew.eq(this, b); };
proto.ne = function (this: NDArray, b: ArrayOrScalar): NDArray { return ew.ne(this, b); };
proto.lt = function (this: NDArray, b: ArrayOrScalar): NDArray { return ew.lt(this, b); };
proto.le = function (this: NDArray, b: ArrayOrScalar): NDArray { return ew.le(this, b); };
proto.gt = function (this: NDArray, b: ArrayOrScalar): NDArray { return ew.gt(this, b); };
proto.ge = function (this: NDArray, b: ArrayOrScalar): NDArray { return ew.ge(this, b); };
proto.neg = function (this: NDArray, out?: NDArray): NDArray { return ew.neg(this, out); };
proto.exp = function (this: NDArray, out?: NDArray): NDArray { return ew.exp(this, out); };
proto.log = function (this: NDArray, out?: NDArray): NDArray { return ew.log(this, out); };
proto.sqrt = function (this: NDArray, out?: NDArray): NDArray { return ew.sqrt(this, out); };
proto.abs = function (this: NDArray, out?: NDArray): NDArray { return ew.abs(this, out); };
proto.tanh = function (this: NDArray, out?: NDArray): NDArray { return ew.tanh(this, out); };
proto.sigmoid = function (this: NDArray, out?: NDArray): NDArray { return ew.sigmoid(this, out); };
proto.relu = function (this: NDArray, out?: NDArray): NDArray { return ew.relu(this, out); };
proto.square = function (this: NDArray, out?: NDArray): NDArray { return ew.square(this, out); };
proto.sin = function (this: NDArray, out?: NDArray): NDArray { return ew.sin(this, out); };
proto.cos = function (this: NDArray, out?: NDArray): NDArray { return ew.cos(this, out); };
proto.sign = function (this: NDArray, out?: NDArray): NDArray { return ew.sign(this, out); };
proto.reciprocal = function (this: NDArray, out?: NDArray): NDArray { return ew.reciprocal(this, out); };
proto.log1p = function (this: NDArray, out?: NDArray): NDArray { return ew.log1p(this, out); };
proto.expm1 = function (this: NDArray, out?: NDArray): NDArray { return ew.expm1(this, out); };
proto.tan = function (this: NDArray, out?: NDArray): NDArray { return math.tan(this, out); };
proto.asin = function (this: NDArray, out?: NDArray): NDArray { return math.asin(this, out); };
proto.acos = function (this: NDArray, out?: NDArray): NDArray { return math.acos(this, out); };
proto.atan = function (this: NDArray, out?: NDArray): NDArray { return math.atan(this, out); };
proto.sinh = function (this: NDArray, out?: NDArray): NDArray { return math.sinh(this, out); };
proto.cosh = function (this: NDArray, out?: NDArray): NDArray { return math.cosh(this, out); };
proto.asinh = function (this: NDArray, out?: NDArray): NDArray { return math.asinh(this, out); };
proto.acosh = function (this: NDArray, out?: NDArray): NDArray { return math.acosh(this, out); };
proto.atanh = function (this: NDArray, out?: NDArray): NDArray { return math.atanh(this, out); };
proto.log2 = function (this: NDArray, out?: NDArray): NDArray { return math.log2(this, out); };
proto.log10 = function (this: NDArray, out?: NDArray): NDArray { return math.log10(this, out); };
proto.exp2 = function (this: NDArray, out?: NDArray): NDArray { return math.exp2(this, out); };
proto.rsqrt = function (this: NDArray, out?: NDArray): NDArray { return math.rsqrt(this, out); };
proto.trunc = function (this: NDArray, out?: NDArray): NDArray { return math.trunc(this, out); };
proto.isinf = function (this: NDArray): NDArray { return math.isinf(this); };
proto.logicalNot = function (this: NDArray): NDArray { return math.logicalNot(this); };
proto.atan2 = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.atan2(this, b, out); };
proto.hypot = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.hypot(this, b, out); };
proto.copysign = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.copysign(this, b, out); };
proto.remainder = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.remainder(this, b, out); };
proto.fmod = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.fmod(this, b, out); };
proto.floorDivide = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.floorDivide(this, b, out); };
proto.truncDivide = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.truncDivide(this, b, out); };
proto.logicalAnd = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.logicalAnd(this, b, out); };
proto.logicalOr = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.logicalOr(this, b, out); };
proto.logicalXor = function (this: NDArray, b: ArrayOrScalar, out?: NDArray): NDArray { return math.logicalXor(this, b, out); };
proto.floor = function (this: NDArray, out?: NDArray): NDArray { return ew.floor(this, out); };
proto.ceil = function (this: NDArray, out?: NDArray): NDArray { return ew.ceil(this, out); };
proto.round = function (this: NDArray, out?: NDArray): NDArray { return ew.round(this, out); };
proto.isnan = function (this: NDArray): NDArray { return ew.isnan(this); };
proto.isfinite = function (this: NDArray): NDArray { return ew.isfinite(this); };
proto.clip = function (this: NDArray, lo: number, hi: number): NDArray { return ew.clip(this, lo, hi); };
// ---- reductions ----
proto.sum = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.sum(this, axis, keepdims); };
proto.mean = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.mean(this, axis, keepdims); };
proto.prod = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.prod(this, axis, keepdims); };
proto.max = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.max(this, axis, keepdims); };
proto.min = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.min(this, axis, keepdims); };
proto.argmax = function (this: NDArray, axis?: number, keepdims = false): NDArray { return red.argmax(this, axis, keepdims); };
proto.argmin = function (this: NDArray, axis?: number, keepdims = false): NDArray { return red.argmin(this, axis, keepdims); };
proto.logsumexp = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.logsumexp(this, axis, keepdims); };
proto.variance = function (this: NDArray, axis?: AxisArg, keepdims = false, ddof = 0): NDArray { return red.variance(this, axis, keepdims, ddof); };
proto.std = function (this: NDArray, axis?: AxisArg, keepdims = false, ddof = 0): NDArray { return red.std(this, axis, keepdims, ddof); };
proto.all = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.all(this, axis, keepdims); };
proto.any = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.any(this, axis, keepdims); };
proto.softmax = function (this: NDArray, axis = -1): NDArray { return red.softmax(this, axis); };
proto.logSoftmax = function (this: NDArray, axis = -1): NDArray { return red.logSoftmax(this, axis); };
proto.sumTo = function (this: NDArray, shape: Shape): NDArray { return red.sumTo(this, shape); };
proto.amax = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.max(this, axis, keepdims); };
proto.amin = function (this: NDArray, axis?: AxisArg, keepdims = false): NDArray { return red.min(this, axis, keepdims); };
proto.cumsum = function (this: NDArray, axis?: number): NDArray { return scan.cumsum(this, axis); };
proto.cumprod = function (this: NDArray, axis?: number): NDArray { return scan.cumprod(this, axis); };
proto.argsort = function (this: NDArray, axis = -1, descending = false): NDArray { return sorting.argsort(this, axis, descending); };
// ---- products, gathers ----
proto.matmul = function (this: NDArray, b: NDArray, out?: NDArray): NDArray { return mm.matmul(this, b, out); };
proto.take = function (this: NDArray, indices: join.Indices, axis?: number): NDArray { return join.take(this, indices, axis); };
proto.split = function (this: NDArray, sections: number | readonly number[], axis = 0): NDArray[] { return join.split(this, sections, axis); };
proto.chunk = function (this: NDArray, chunks: number, axis = 0): NDArray[] { return join.chunk(this, chunks, axis); };
// ---- indexing ----
proto.index = function (this: NDArray, ...specs: idx.IndexSpec[]): NDArray { return idx.index(this, specs); };
proto.gather = function (this: NDArray, axis: number, index: idx.IndexArrayLike): NDArray { return idx.gather(this, axis, index); };
proto.flip = function (this: NDArray, axis?: AxisArg): NDArray { return views.flip(this, axis); };
proto.diagonal = function (this: NDArray, offset = 0, axis1 = 0, axis2 = 1): NDArray { return views.diagonal(this, offset, axis1, axis2); };
proto.nonzero = function (this: NDArray): NDArray { return idx.nonzero(this); };
// ---- an element write is a kernel too (a replay writes it again)
proto.set = kernel("set", proto.set);
