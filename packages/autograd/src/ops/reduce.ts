// Reductions and the softmax family. A reduced gradient is put back with reshape (to the
// keepdims shape) then broadcastTo, whose own VJP is a sum: the pair is differentiable again.

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { mul, sub } from "./binary.js";
import { exp } from "./unary.js";
import { broadcastTo, reshape } from "./movement.js";
import { constant } from "./helpers.js";

export interface AxesAttrs {
  axes: number[];
  keepdims: boolean;
}

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A reduced tensor (gradient or value) stretched back over the input's shape. */
function expandBack(t: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(t, keptShape(x.shape, axes)), x.shape);
}

const ops = {
  sum: defineOp<AxesAttrs>({
    name: "sum",
    forward: ([x], { axes, keepdims }) => nd.sum(x!, axes, keepdims),
    vjp: ([g], { inputs: [x], attrs: { axes } }) => [expandBack(g!, x!, axes)],
    watch: "none",
  }),
  max: defineOp<AxesAttrs>({
    name: "max",
    forward: ([x], { axes, keepdims }) => nd.max(x!, axes, keepdims),
    vjp: ([g], ctx) => [extremumGrad(g!, ctx.inputs[0]!, ctx.outputs[0]!, ctx.attrs.axes)],
    watch: "both",
  }),
  min: defineOp<AxesAttrs>({
    name: "min",
    forward: ([x], { axes, keepdims }) => nd.min(x!, axes, keepdims),
    vjp: ([g], ctx) => [extremumGrad(g!, ctx.inputs[0]!, ctx.outputs[0]!, ctx.attrs.axes)],
    watch: "both",
  }),
  logsumexp: defineOp<AxesAttrs>({
    name: "logsumexp",
    forward: ([x], { axes, keepdims }) => nd.logsumexp(x!, axes, keepdims),
    // d lse / dx = exp(x - lse) = softmax(x)
    vjp: ([g], { inputs: [x], outputs: [y], attrs: { axes } }) => [mul(expandBack(g!, x!, axes), exp(sub(x!, expandBack(y!, x!, axes))))],
    watch: "both",
  }),
  softmax: defineOp<{ axis: number }>({
    name: "softmax",
    forward: ([x], { axis }) => nd.softmax(x!, axis),
    // dx = y * (g - sum(g * y))
    vjp: ([g], { outputs: [y], attrs: { axis } }) => [mul(y!, sub(g!, sum(mul(g!, y!), axis, true)))],
    watch: "output",
  }),
  logSoftmax: defineOp<{ axis: number }>({
    name: "logSoftmax",
    forward: ([x], { axis }) => nd.logSoftmax(x!, axis),
    // dx = g - softmax(x) * sum(g)
    vjp: ([g], { outputs: [y], attrs: { axis } }) => [sub(g!, mul(exp(y!), sum(g!, axis, true)))],
    watch: "output",
  }),
};

/**
 * max/min: the gradient is shared evenly among the elements that attain the extremum
 * (PyTorch's amax rule), so it is the same whichever of the tied elements one picks.
 */
function extremumGrad(g: Tensor, x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const hit = nd.eq(x.data, nd.reshape(y.data, keptShape(x.shape, axes))).astype(x.dtype);
  const count = nd.sum(hit, axes as number[], true);
  return mul(expandBack(g, x, axes), constant(nd.div(hit, count)));
}

export const reduceOps = ops;

function axesOf(op: string, x: Tensor, axis: nd.AxisArg): number[] {
  return nd.normalizeAxes(op, axis, x.ndim);
}

/**
 * The sum over `axis` (a number, a list, or omitted for every axis), as numpy's sum; keepdims
 * keeps the reduced axes with size 1. Gradient: g broadcast back over the reduced axes. An axis
 * out of range is an AxisError.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * sum(x).item(); // 10
 * sum(x, 0).toArray(); // [4, 6]
 * sum(x, 1, true).shape; // [2, 1]
 * ```
 */
export function sum(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.sum([t], { axes: axesOf("sum", t, axis), keepdims });
}
/** The largest element over `axis` (a number, a list, or omitted for every axis), as torch.amax. The gradient is shared evenly among the elements that attain the maximum. */
export function max(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.max([t], { axes: axesOf("max", t, axis), keepdims });
}
/** The smallest element over `axis` (a number, a list, or omitted for every axis), as torch.amin. The gradient is shared evenly among the elements that attain the minimum. */
export function min(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.min([t], { axes: axesOf("min", t, axis), keepdims });
}
/** log(sum(exp(x))) over `axis` (omitted: every axis), computed without overflow (torch.logsumexp). Gradient: g * softmax(x) over those axes. */
export function logsumexp(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.logsumexp([t], { axes: axesOf("logsumexp", t, axis), keepdims });
}
/**
 * exp(x) / sum(exp(x)) along one axis (default the last), computed without overflow
 * (torch.softmax). Gradient: y * (g - sum(g * y)) along the axis, from the output y.
 *
 * @example
 * ```ts
 * softmax(tensor([1, 2, 3])).toArray(); // [0.0900..., 0.2447..., 0.6652...]
 * ```
 */
export function softmax(x: TensorLike, axis = -1): Tensor {
  const t = toTensor(x);
  return ops.softmax([t], { axis: nd.normalizeAxis("softmax", axis, t.ndim) });
}
/** log(softmax(x)) along one axis (default the last), computed as x - logsumexp(x) so that it neither overflows nor underflows (torch.log_softmax). Gradient: g - softmax(x) * sum(g) along the axis. */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const t = toTensor(x);
  return ops.logSoftmax([t], { axis: nd.normalizeAxis("logSoftmax", axis, t.ndim) });
}

