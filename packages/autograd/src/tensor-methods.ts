// The differentiable ops as Tensor methods (`t.mul(u)`, `t.sum(0)`) and `t.backward()`,
// attached to the core class of tensor.ts as tfjs attaches its chained ops: the ops build
// Tensors, so the class's own file cannot import them. index.ts imports this file for its effect.

import type * as nd from "@tapegrad/tensor";
import { NDArray, type DType, type Shape } from "@tapegrad/tensor";
import { Tensor, type TensorLike } from "./tensor.js";
import * as U from "./ops/unary.js";
import * as B from "./ops/binary.js";
import * as P from "./ops/pow.js";
import * as R from "./ops/reduce.js";
import * as M from "./ops/movement.js";
import * as C from "./composite.js";
import * as MA from "./ops/math.js";
import * as I from "./ops/indexing.js";
import * as CI from "./composite-indexing.js";
import * as S from "./ops/scan.js";
import * as CR from "./composite-reduce.js";
import { matmul } from "./ops/matmul.js";
import { backward as runBackward, type BackwardOptions } from "./engine.js";

declare module "./tensor.js" {
  interface Tensor {
    /**
     * Backpropagates from this tensor, accumulating into the `.grad` of every leaf that
     * requires grad. A scalar needs no `gradient`; otherwise pass one of this tensor's shape.
     */
    backward(gradient?: TensorLike | BackwardOptions, options?: BackwardOptions): void;
    // ---- elementwise ----
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    /** a / b, or rounded with `{ roundingMode: "trunc" | "floor" }` as torch.div (the function `div`). */
    div(b: TensorLike, options?: MA.DivOptions): Tensor;
    pow(b: TensorLike): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    square(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    reciprocal(): Tensor;
    clip(lo: number, hi: number): Tensor;
    // ---- more math (ops/math.ts) ----
    tan(): Tensor;
    asin(): Tensor;
    acos(): Tensor;
    atan(): Tensor;
    sinh(): Tensor;
    cosh(): Tensor;
    asinh(): Tensor;
    acosh(): Tensor;
    atanh(): Tensor;
    log2(): Tensor;
    log10(): Tensor;
    exp2(): Tensor;
    rsqrt(): Tensor;
    sign(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    /** Halves to even, as torch.round. */
    round(): Tensor;
    trunc(): Tensor;
    frac(): Tensor;
    atan2(b: TensorLike): Tensor;
    hypot(b: TensorLike): Tensor;
    copysign(b: TensorLike): Tensor;
    /** The remainder with the divisor's sign (Python's %, torch.remainder). */
    remainder(b: TensorLike): Tensor;
    /** The remainder with the dividend's sign (C's fmod, torch.fmod). */
    fmod(b: TensorLike): Tensor;
    /** Python's // (torch.floor_divide). */
    floorDivide(b: TensorLike): Tensor;
    logaddexp(b: TensorLike): Tensor;
    lerp(end: TensorLike, weight: TensorLike): Tensor;
    // masks (bool tensors that never require grad)
    isnan(): Tensor;
    isinf(): Tensor;
    isfinite(): Tensor;
    logicalNot(): Tensor;
    logicalAnd(b: TensorLike): Tensor;
    logicalOr(b: TensorLike): Tensor;
    logicalXor(b: TensorLike): Tensor;
    // comparisons give masks (bool tensors that never require grad)
    eq(b: TensorLike): Tensor;
    ne(b: TensorLike): Tensor;
    lt(b: TensorLike): Tensor;
    le(b: TensorLike): Tensor;
    gt(b: TensorLike): Tensor;
    ge(b: TensorLike): Tensor;
    // ---- reductions ----
    sum(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    mean(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    max(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    min(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    logsumexp(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    variance(axis?: nd.AxisArg, keepdims?: boolean, ddof?: number): Tensor;
    /** The product over `axis`, its gradient right at zeros (see prod). */
    prod(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    /** The standard deviation; correction a number (ddof, default 0) or { correction } / { unbiased } (see std). */
    std(axis?: nd.AxisArg, keepdims?: boolean, correction?: number | { correction?: number; unbiased?: boolean }): Tensor;
    /** The p-norm over `axis` (torch.linalg.vector_norm; see norm). */
    norm(p?: number | "fro", axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    /** The same as max (torch's amax). */
    amax(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    /** The same as min (torch's amin). */
    amin(axis?: nd.AxisArg, keepdims?: boolean): Tensor;
    /** torch.max(x, dim): values and the index of the first maximum (see maxWithIndices). */
    maxWithIndices(axis: number, keepdims?: boolean): CR.ValuesIndices;
    /** torch.min(x, dim): values and the index of the first minimum (see minWithIndices). */
    minWithIndices(axis: number, keepdims?: boolean): CR.ValuesIndices;
    /** The running sum along `axis` (see cumsum). */
    cumsum(axis?: number, reverse?: boolean): Tensor;
    /** The running product along `axis`, its gradient right at zeros (see cumprod). */
    cumprod(axis?: number, reverse?: boolean): Tensor;
    /** torch.logcumsumexp along `axis` (see logcumsumexp). */
    logcumsumexp(axis?: number, reverse?: boolean): Tensor;
    /** torch.cummax: running maxima and their indices (see cummax). */
    cummax(axis: number): CR.ValuesIndices;
    /** torch.cummin: running minima and their indices (see cummin). */
    cummin(axis: number): CR.ValuesIndices;
    /** torch.sort, stable (see sort). */
    sort(axis?: number, descending?: boolean): CR.ValuesIndices;
    /** torch.argsort, stable (see argsort). */
    argsort(axis?: number, descending?: boolean): Tensor;
    /** torch.topk (see topk). */
    topk(k: number, axis?: number, largest?: boolean, sorted?: boolean): CR.ValuesIndices;
    /** torch.kthvalue (see kthvalue). */
    kthvalue(k: number, axis?: number, keepdims?: boolean): CR.ValuesIndices;
    /** torch.median's values: the lower median (see median). */
    median(axis?: number | null, keepdims?: boolean): Tensor;
    /** torch.mode (see mode). */
    mode(axis?: number, keepdims?: boolean): CR.ValuesIndices;
    argmax(axis?: number, keepdims?: boolean): Tensor;
    argmin(axis?: number, keepdims?: boolean): Tensor;
    sumTo(shape: Shape): Tensor;
    // ---- movement ----
    reshape(...shape: (number | readonly number[])[]): Tensor;
    permute(...axes: (number | readonly number[])[]): Tensor;
    transpose(...axes: (number | readonly number[])[]): Tensor;
    readonly T: Tensor;
    slice(...specs: nd.SliceSpec[]): Tensor;
    broadcastTo(shape: Shape): Tensor;
    squeeze(axis?: nd.AxisArg): Tensor;
    unsqueeze(axis: number): Tensor;
    flatten(): Tensor;
    split(sections: number | readonly number[], axis?: number): Tensor[];
    chunk(chunks: number, axis?: number): Tensor[];
    take(indices: nd.Indices | Tensor, axis?: number): Tensor;
    astype(dtype: DType): Tensor;
    contiguous(): Tensor;
    /** A recorded copy with its own storage (torch's clone); the gradient passes through. */
    clone(): Tensor;
    matmul(b: TensorLike): Tensor;
    // ---- indexing (ops/indexing.ts, composite-indexing.ts) ----
    /** numpy's indexing with index arrays: `x.index(ids, null)` is `x[ids, :]` (the function `index`). */
    index(...specs: CI.TensorIndexSpec[]): Tensor;
    /** torch.gather along `axis` (the function `gather`). */
    gather(axis: number, index: Tensor | nd.IndexArrayLike): Tensor;
    /** torch.scatter: a copy with src written where index points along `axis`. */
    scatter(axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor;
    /** torch.scatter_add: a copy with src added where index points along `axis`. */
    scatterAdd(axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor;
    /** torch.scatter_reduce with "sum", "prod", "mean", "amax" or "amin". */
    scatterReduce(axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike, reduce: nd.ScatterReduction, options?: { includeSelf?: boolean }): Tensor;
    /** torch.index_select along `axis`. */
    indexSelect(axis: number, index: Tensor | nd.IndexArrayLike): Tensor;
    /** torch.index_add along `axis`. */
    indexAdd(axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike, options?: { alpha?: number }): Tensor;
    /** torch.index_copy along `axis`. */
    indexCopy(axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor;
    /** torch.masked_fill: `value` where the bool mask is true. */
    maskedFill(mask: TensorLike, value: TensorLike): Tensor;
    /** torch.masked_select: the elements where the bool mask is true, 1-D. */
    maskedSelect(mask: TensorLike): Tensor;
    /** torch.nonzero: the coordinates of the non-zero elements, [count, ndim] int32. */
    nonzero(): Tensor;
    /** torch.flip along `axis` (every axis when omitted). */
    flip(axis?: nd.AxisArg): Tensor;
    /** torch.roll by `shifts` along `axis` (flattened when omitted). */
    roll(shifts: number | readonly number[], axis?: number | readonly number[]): Tensor;
    /** torch's Tensor.repeat: tiled reps[i] times along axis i. */
    repeat(...reps: (number | readonly number[])[]): Tensor;
    /** torch.repeat_interleave along `axis` (flattened when omitted). */
    repeatInterleave(repeats: number | Tensor | nd.IndexArrayLike, axis?: number): Tensor;
    /** torch.diagonal of axes axis1 and axis2 (0 and 1 by default) at `offset`. */
    diagonal(offset?: number, axis1?: number, axis2?: number): Tensor;
    /** torch.triu: zeros below diagonal k of the last two axes. */
    triu(k?: number): Tensor;
    /** torch.tril: zeros above diagonal k of the last two axes. */
    tril(k?: number): Tensor;
  }
}

const proto = Tensor.prototype;

proto.backward = function (this: Tensor, gradient?: TensorLike | BackwardOptions, options: BackwardOptions = {}): void {
  if (isOptions(gradient)) {
    options = gradient;
    gradient = options.gradient;
  }
  runBackward(this, gradient as TensorLike | undefined, options);
};

// ---- elementwise ----
proto.add = function (this: Tensor, b: TensorLike): Tensor { return B.add(this, b); };
proto.sub = function (this: Tensor, b: TensorLike): Tensor { return B.sub(this, b); };
proto.mul = function (this: Tensor, b: TensorLike): Tensor { return B.mul(this, b); };
proto.div = function (this: Tensor, b: TensorLike, options?: MA.DivOptions): Tensor { return MA.div(this, b, options); };
proto.pow = function (this: Tensor, b: TensorLike): Tensor { return P.pow(this, b); };
proto.maximum = function (this: Tensor, b: TensorLike): Tensor { return B.maximum(this, b); };
proto.minimum = function (this: Tensor, b: TensorLike): Tensor { return B.minimum(this, b); };
proto.neg = function (this: Tensor): Tensor { return U.neg(this); };
proto.exp = function (this: Tensor): Tensor { return U.exp(this); };
proto.log = function (this: Tensor): Tensor { return U.log(this); };
proto.sqrt = function (this: Tensor): Tensor { return U.sqrt(this); };
proto.abs = function (this: Tensor): Tensor { return U.abs(this); };
proto.tanh = function (this: Tensor): Tensor { return U.tanh(this); };
proto.sigmoid = function (this: Tensor): Tensor { return U.sigmoid(this); };
proto.relu = function (this: Tensor): Tensor { return U.relu(this); };
proto.square = function (this: Tensor): Tensor { return U.square(this); };
proto.sin = function (this: Tensor): Tensor { return U.sin(this); };
proto.cos = function (this: Tensor): Tensor { return U.cos(this); };
proto.log1p = function (this: Tensor): Tensor { return U.log1p(this); };
proto.expm1 = function (this: Tensor): Tensor { return U.expm1(this); };
proto.reciprocal = function (this: Tensor): Tensor { return U.reciprocal(this); };
proto.clip = function (this: Tensor, lo: number, hi: number): Tensor { return U.clip(this, lo, hi); };
// ---- more math (ops/math.ts) ----
proto.tan = function (this: Tensor): Tensor { return MA.tan(this); };
proto.asin = function (this: Tensor): Tensor { return MA.asin(this); };
proto.acos = function (this: Tensor): Tensor { return MA.acos(this); };
proto.atan = function (this: Tensor): Tensor { return MA.atan(this); };
proto.sinh = function (this: Tensor): Tensor { return MA.sinh(this); };
proto.cosh = function (this: Tensor): Tensor { return MA.cosh(this); };
proto.asinh = function (this: Tensor): Tensor { return MA.asinh(this); };
proto.acosh = function (this: Tensor): Tensor { return MA.acosh(this); };
proto.atanh = function (this: Tensor): Tensor { return MA.atanh(this); };
proto.log2 = function (this: Tensor): Tensor { return MA.log2(this); };
proto.log10 = function (this: Tensor): Tensor { return MA.log10(this); };
proto.exp2 = function (this: Tensor): Tensor { return MA.exp2(this); };
proto.rsqrt = function (this: Tensor): Tensor { return MA.rsqrt(this); };
proto.sign = function (this: Tensor): Tensor { return MA.sign(this); };
proto.floor = function (this: Tensor): Tensor { return MA.floor(this); };
proto.ceil = function (this: Tensor): Tensor { return MA.ceil(this); };
proto.round = function (this: Tensor): Tensor { return MA.round(this); };
proto.trunc = function (this: Tensor): Tensor { return MA.trunc(this); };
proto.frac = function (this: Tensor): Tensor { return MA.frac(this); };
proto.atan2 = function (this: Tensor, b: TensorLike): Tensor { return MA.atan2(this, b); };
proto.hypot = function (this: Tensor, b: TensorLike): Tensor { return MA.hypot(this, b); };
proto.copysign = function (this: Tensor, b: TensorLike): Tensor { return MA.copysign(this, b); };
proto.remainder = function (this: Tensor, b: TensorLike): Tensor { return MA.remainder(this, b); };
proto.fmod = function (this: Tensor, b: TensorLike): Tensor { return MA.fmod(this, b); };
proto.floorDivide = function (this: Tensor, b: TensorLike): Tensor { return MA.floorDivide(this, b); };
proto.logaddexp = function (this: Tensor, b: TensorLike): Tensor { return MA.logaddexp(this, b); };
proto.lerp = function (this: Tensor, end: TensorLike, weight: TensorLike): Tensor { return MA.lerp(this, end, weight); };
proto.isnan = function (this: Tensor): Tensor { return MA.isnan(this); };
proto.isinf = function (this: Tensor): Tensor { return MA.isinf(this); };
proto.isfinite = function (this: Tensor): Tensor { return MA.isfinite(this); };
proto.logicalNot = function (this: Tensor): Tensor { return MA.logicalNot(this); };
proto.logicalAnd = function (this: Tensor, b: TensorLike): Tensor { return MA.logicalAnd(this, b); };
proto.logicalOr = function (this: Tensor, b: TensorLike): Tensor { return MA.logicalOr(this, b); };
proto.logicalXor = function (this: Tensor, b: TensorLike): Tensor { return MA.logicalXor(this, b); };
// comparisons give masks (bool tensors that never require grad)
proto.eq = function (this: Tensor, b: TensorLike): Tensor { return C.eq(this, b); };
proto.ne = function (this: Tensor, b: TensorLike): Tensor { return C.ne(this, b); };
proto.lt = function (this: Tensor, b: TensorLike): Tensor { return C.lt(this, b); };
proto.le = function (this: Tensor, b: TensorLike): Tensor { return C.le(this, b); };
proto.gt = function (this: Tensor, b: TensorLike): Tensor { return C.gt(this, b); };
proto.ge = function (this: Tensor, b: TensorLike): Tensor { return C.ge(this, b); };
// ---- reductions ----
proto.sum = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return R.sum(this, axis, keepdims); };
proto.mean = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return C.mean(this, axis, keepdims); };
proto.max = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return R.max(this, axis, keepdims); };
proto.min = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return R.min(this, axis, keepdims); };
proto.logsumexp = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return R.logsumexp(this, axis, keepdims); };
proto.softmax = function (this: Tensor, axis = -1): Tensor { return R.softmax(this, axis); };
proto.logSoftmax = function (this: Tensor, axis = -1): Tensor { return R.logSoftmax(this, axis); };
proto.variance = function (this: Tensor, axis?: nd.AxisArg, keepdims = false, ddof = 0): Tensor { return C.variance(this, axis, keepdims, ddof); };
proto.prod = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return S.prod(this, axis, keepdims); };
proto.std = function (this: Tensor, axis?: nd.AxisArg, keepdims = false, correction: number | { correction?: number; unbiased?: boolean } = 0): Tensor { return CR.std(this, axis, keepdims, correction); };
proto.norm = function (this: Tensor, p: number | "fro" = 2, axis?: nd.AxisArg, keepdims = false): Tensor { return R.norm(this, p, axis, keepdims); };
proto.amax = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return R.max(this, axis, keepdims); };
proto.amin = function (this: Tensor, axis?: nd.AxisArg, keepdims = false): Tensor { return R.min(this, axis, keepdims); };
proto.maxWithIndices = function (this: Tensor, axis: number, keepdims = false): CR.ValuesIndices { return CR.maxWithIndices(this, axis, keepdims); };
proto.minWithIndices = function (this: Tensor, axis: number, keepdims = false): CR.ValuesIndices { return CR.minWithIndices(this, axis, keepdims); };
proto.cumsum = function (this: Tensor, axis?: number, reverse = false): Tensor { return S.cumsum(this, axis, reverse); };
proto.cumprod = function (this: Tensor, axis?: number, reverse = false): Tensor { return S.cumprod(this, axis, reverse); };
proto.logcumsumexp = function (this: Tensor, axis?: number, reverse = false): Tensor { return S.logcumsumexp(this, axis, reverse); };
proto.cummax = function (this: Tensor, axis: number): CR.ValuesIndices { return CR.cummax(this, axis); };
proto.cummin = function (this: Tensor, axis: number): CR.ValuesIndices { return CR.cummin(this, axis); };
proto.sort = function (this: Tensor, axis = -1, descending = false): CR.ValuesIndices { return CR.sort(this, axis, descending); };
proto.argsort = function (this: Tensor, axis = -1, descending = false): Tensor { return CR.argsort(this, axis, descending); };
proto.topk = function (this: Tensor, k: number, axis = -1, largest = true, sorted = true): CR.ValuesIndices { return CR.topk(this, k, axis, largest, sorted); };
proto.kthvalue = function (this: Tensor, k: number, axis = -1, keepdims = false): CR.ValuesIndices { return CR.kthvalue(this, k, axis, keepdims); };
proto.median = function (this: Tensor, axis?: number | null, keepdims = false): Tensor { return CR.median(this, axis, keepdims); };
proto.mode = function (this: Tensor, axis = -1, keepdims = false): CR.ValuesIndices { return CR.mode(this, axis, keepdims); };
proto.argmax = function (this: Tensor, axis?: number, keepdims = false): Tensor { return new Tensor(this.data.argmax(axis, keepdims)); };
proto.argmin = function (this: Tensor, axis?: number, keepdims = false): Tensor { return new Tensor(this.data.argmin(axis, keepdims)); };
proto.sumTo = function (this: Tensor, shape: Shape): Tensor { return M.sumTo(this, shape); };
// ---- movement ----
proto.reshape = function (this: Tensor, ...shape: (number | readonly number[])[]): Tensor { return M.reshape(this, flatArgs(shape)); };
proto.permute = function (this: Tensor, ...axes: (number | readonly number[])[]): Tensor { return M.permute(this, flatArgs(axes)); };
proto.transpose = function (this: Tensor, ...axes: (number | readonly number[])[]): Tensor { return C.transpose(this, flatArgs(axes)); };
Object.defineProperty(proto, "T", { get(this: Tensor): Tensor { return C.transpose(this, []); }, configurable: true });
proto.slice = function (this: Tensor, ...specs: nd.SliceSpec[]): Tensor { return M.slice(this, specs); };
proto.broadcastTo = function (this: Tensor, shape: Shape): Tensor { return M.broadcastTo(this, shape); };
proto.squeeze = function (this: Tensor, axis?: nd.AxisArg): Tensor { return C.squeeze(this, axis); };
proto.unsqueeze = function (this: Tensor, axis: number): Tensor { return C.unsqueeze(this, axis); };
proto.flatten = function (this: Tensor): Tensor { return M.reshape(this, [-1]); };
proto.split = function (this: Tensor, sections: number | readonly number[], axis = 0): Tensor[] { return C.split(this, sections, axis); };
proto.chunk = function (this: Tensor, chunks: number, axis = 0): Tensor[] { return C.chunk(this, chunks, axis); };
proto.take = function (this: Tensor, indices: nd.Indices | Tensor, axis?: number): Tensor { return M.take(this, indices, axis); };
proto.astype = function (this: Tensor, dtype: DType): Tensor { return M.cast(this, dtype); };
proto.contiguous = function (this: Tensor): Tensor { return M.contiguous(this); };
proto.clone = function (this: Tensor): Tensor { return M.clone(this); };
proto.matmul = function (this: Tensor, b: TensorLike): Tensor { return matmul(this, b); };

// ---- indexing ----
proto.index = function (this: Tensor, ...specs: CI.TensorIndexSpec[]): Tensor { return CI.index(this, specs); };
proto.gather = function (this: Tensor, axis: number, index: Tensor | nd.IndexArrayLike): Tensor { return I.gather(this, axis, index); };
proto.scatter = function (this: Tensor, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor { return I.scatter(this, axis, index, src); };
proto.scatterAdd = function (this: Tensor, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor { return I.scatterAdd(this, axis, index, src); };
proto.scatterReduce = function (this: Tensor, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike, reduce: nd.ScatterReduction, options?: { includeSelf?: boolean }): Tensor { return I.scatterReduce(this, axis, index, src, reduce, options); };
proto.indexSelect = function (this: Tensor, axis: number, index: Tensor | nd.IndexArrayLike): Tensor { return CI.indexSelect(this, axis, index); };
proto.indexAdd = function (this: Tensor, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike, options?: { alpha?: number }): Tensor { return CI.indexAdd(this, axis, index, src, options); };
proto.indexCopy = function (this: Tensor, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor { return CI.indexCopy(this, axis, index, src); };
proto.maskedFill = function (this: Tensor, mask: TensorLike, value: TensorLike): Tensor { return CI.maskedFill(this, mask, value); };
proto.maskedSelect = function (this: Tensor, mask: TensorLike): Tensor { return CI.maskedSelect(this, mask); };
proto.nonzero = function (this: Tensor): Tensor { return CI.nonzero(this); };
proto.flip = function (this: Tensor, axis?: nd.AxisArg): Tensor { return CI.flip(this, axis); };
proto.roll = function (this: Tensor, shifts: number | readonly number[], axis?: number | readonly number[]): Tensor { return CI.roll(this, shifts, axis); };
proto.repeat = function (this: Tensor, ...reps: (number | readonly number[])[]): Tensor { return CI.repeat(this, flatArgs(reps)); };
proto.repeatInterleave = function (this: Tensor, repeats: number | Tensor | nd.IndexArrayLike, axis?: number): Tensor { return CI.repeatInterleave(this, repeats, axis); };
proto.diagonal = function (this: Tensor, offset = 0, axis1 = 0, axis2 = 1): Tensor { return CI.diagonal(this, offset, axis1, axis2); };
proto.triu = function (this: Tensor, k = 0): Tensor { return CI.triu(this, k); };
proto.tril = function (this: Tensor, k = 0): Tensor { return CI.tril(this, k); };

function flatArgs(args: readonly (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as number[]).slice();
  return args as number[];
}

function isOptions(x: unknown): x is BackwardOptions {
  return typeof x === "object" && x !== null && !(x instanceof Tensor) && !(x instanceof NDArray) && !Array.isArray(x);
}
