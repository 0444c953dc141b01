// @tapegrad/autograd: reverse-mode autodiff over @tapegrad/tensor. Knows nothing of modules.

import "./tensor-methods.js"; // t.mul(u), t.backward(): the methods, attached to the class
import "./print.js"; // String(t), console.log(t): PyTorch's repr, attached to the class

export { Tensor, tensor, toTensor, isTensor, type TensorLike, type TensorOptions } from "./tensor.js";
export { AutogradError, noGrad, enableGrad, isGradEnabled, detectAnomaly, type VjpFn, type VjpContext, type VjpHooks } from "./tape.js";
export { defineOp, defineMultiOp, type Op, type OpSpec } from "./define-op.js";
export { backward, gradients, type BackwardOptions, type GradientsOptions, type BackwardNodeEvent } from "./engine.js";
export { grad, valueAndGrad, hvp, type Argnums } from "./grad.js";
export { customOp, type CustomOpSpec, type CustomContext } from "./custom-op.js";
export { centralDifferences } from "./finite-diff.js";
export { gradcheck, gradgradcheck, type GradcheckOptions, type GradcheckReport, type InputReport } from "./gradcheck.js";
export { graphOf, type GraphView, type GraphOp, type GraphInput } from "./graph.js";
export { exp, log, sqrt, abs, tanh, sigmoid, relu, square, sin, cos, log1p, expm1, reciprocal, clip, sigmoidBackward, tanhBackward, erf } from "./ops/unary.js";
export { neg, add, sub, mul, maximum, minimum, where } from "./ops/binary.js";
export {
  div, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, log2, log10, exp2, rsqrt, atan2, hypot, copysign, remainder, fmod,
  sign, floor, ceil, round, trunc, frac, floorDivide, logaddexp, lerp, isnan, isinf, isfinite, logicalNot, logicalAnd, logicalOr, logicalXor,
  type DivOptions,
} from "./ops/math.js";
export { pow } from "./ops/pow.js";
export { compareDerivatives, formatReport, type CompareInputs, type CompareOptions, type CompareReport, type DerivativeEntry, type PairError, type WorstEntry, type AlongAxis, type Witness, type ManualGradients, type TensorsOf } from "./compare-derivatives.js";
export { WatchError, NodeShapeError, type Watch, type FirstWrong } from "./first-wrong.js";
export { sum, max, min, logsumexp, softmax, logSoftmax } from "./ops/reduce.js";
export { norm } from "./ops/reduce.js";
export { cumsum, cumprod, logcumsumexp, prod } from "./ops/scan.js";
export {
  std, normalize, amax, amin, maxWithIndices, minWithIndices, cummax, cummin, sort, argsort, topk, kthvalue, median, medianWithIndices, mode,
  type ValuesIndices,
} from "./composite-reduce.js";
export { reshape, permute, slice, broadcastTo, sumTo, concat, take, cast, contiguous, clone } from "./ops/movement.js";
export { mean, variance, transpose, squeeze, unsqueeze, flatten, stack, split, chunk, unbind, eq, ne, lt, le, gt, ge } from "./composite.js";
export { matmul } from "./ops/matmul.js";
export { unfold, pad } from "./ops/window.js";
export { gather, scatter, scatterAdd, scatterReduce } from "./ops/indexing.js";
export {
  index, indexSelect, indexAdd, indexCopy, maskedFill, maskedSelect, nonzero, flip, roll, repeat, repeatInterleave,
  diagonal, diag, triu, tril, meshgrid, oneHot, type TensorIndexSpec,
} from "./composite-indexing.js";
export { einsum } from "./einsum.js";
// numpy's newaxis and ellipsis for slice and index specs (null keeps meaning the whole axis)
export { newaxis, ellipsis } from "@tapegrad/tensor";
export { compile, CompileError, type CompileOptions, type CompiledFunction, type GpuCompiledFunction } from "./compile.js";
export { formatTensor, type TensorPrintOptions } from "./print.js";
export {
  randn, rand, zeros, ones, full, arange, zerosLike, onesLike, fullLike, randnLike, randLike,
  type FactoryOptions, type RandomFactoryOptions, type SizeArgs,
} from "./factories.js";
// the default generator that randn and rand draw from (the tensor package's, seeded as torch.manual_seed)
export { manualSeed, getDefaultRng } from "@tapegrad/tensor";
