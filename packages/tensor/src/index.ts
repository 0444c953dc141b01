// @tapegrad/tensor: a strided n-d array with views, broadcasting, kernels, matmul and a
// numpy-compatible seeded RNG. Knows nothing of gradients.

import "./ndarray-methods.js"; // a.add(b), a.reshape(...): the methods, attached to the class
import "./inspect.js"; // console.log(a): numpy's repr, attached to the class

export { NDArray, type ArrayOrScalar, type AxisArg, type StorageInfo } from "./ndarray.js";
export { isNDArray } from "./creation.js";
// the computing functions, each a kernel that a trace records (kernel.ts), beside its code
export { array, scalar, scalarFrom, empty, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye } from "./creation.js";
export { reshape } from "./views.js";
export {
  neg, exp, log, sqrt, abs, tanh, sigmoid, relu, square, sin, cos, sign, reciprocal, log1p, expm1,
  floor, ceil, round, isnan, isfinite,
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge,
  clip, where, copy, fill, assign, sigmoidBackward, tanhBackward,
} from "./elementwise.js";
export {
  tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, log2, log10, exp2, rsqrt, trunc, isinf, logicalNot,
  atan2, hypot, copysign, remainder, fmod, floorDivide, truncDivide, logicalAnd, logicalOr, logicalXor,
} from "./math.js";
export { sum, prod, mean, max, min, all, any, variance, std, argmax, argmin, logsumexp, softmax, logSoftmax, sumTo } from "./reduce.js";
export { amax, amin, vectorNorm } from "./reduce.js";
export { cumsum, cumprod, logcumsumexp, cummax, cummin, flatIndexAlong, linearRecurrence } from "./scan.js";
export { sort, argsort, topk, kthvalue, median, medianWithIndices, mode, maxWithIndices, minWithIndices } from "./sort.js";
export { matmul, matmulTN, dot, outer } from "./matmul.js";
export { concat, stack, split, chunk, take, indexAdd, toIndexArray } from "./join.js";
export { erf } from "./erf.js";
export { unfold, unfoldBackward } from "./window.js";
export { pad, type PadMode, type PadOptions } from "./window.js";
export {
  gather, scatter, scatterAdd, scatterReduce, nonzero, oneHot, triu, tril, index, roll, repeat, repeatInterleave,
  SCATTER_REDUCTIONS, type ScatterReduction, type IndexArrayLike, type IndexSpec,
} from "./indexing.js";
export { kernel, isTracing, traceGuard, type KernelInfo, type Elementwise } from "./kernel.js";
export { type DType, type FloatDType, type Storage, DTYPES, isDType, isFloat, promoteTypes, floatResult } from "./dtype.js";
export { TapegradError, ShapeError, AxisError, IndexError, DTypeError, ValueError, ReadOnlyError, TraceError, AllocationError, fmtShape } from "./errors.js";
export { StaleError } from "./stale.js";
export { type Shape, broadcastShapes, contiguousStrides, normalizeAxis, normalizeAxes, sizeOf, shapesEqual } from "./shape.js";
export { type SliceSpec, permute, swapaxes, slice, broadcastTo, squeeze, unsqueeze } from "./views.js";
export { newaxis, ellipsis, flip, diagonal } from "./views.js";
export { type Indices } from "./join.js";
export { allclose, maxAbsDiff } from "./compare.js";
export { RandomState } from "./random.js";
export { manualSeed, getDefaultRng } from "./default-rng.js";
export { multinomial, type MultinomialOptions } from "./multinomial.js";
export { setNumThreads, getNumThreads } from "./wasm/threads.js";
export { formatArray, formatRepr, type FormatOptions } from "./format.js";

/**
 * numpy's transpose: a view with the axes reversed, or in the order `axes`; no copy (see
 * {@link permute}).
 *
 * @example
 * ```ts
 * transpose(arange(6).reshape(2, 3)).toArray(); // [[0, 3], [1, 4], [2, 5]]
 * transpose(zeros([2, 3, 4]), [1, 0, 2]).shape; // [3, 2, 4]
 * ```
 */
export function transpose(a: import("./ndarray.js").NDArray, axes?: readonly number[]) {
  return a.transpose(...(axes ?? []));
}
export { erfScalar } from "./erf.js";
export { windowCount, type WindowSpec } from "./window.js";
