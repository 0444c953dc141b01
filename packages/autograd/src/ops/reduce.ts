// Reductions and the softmax family. A reduced gradient is put back with reshape (to the
// keepdims shape) then broadcastTo, whose own VJP is a sum: the pair is differentiable again.

import * as nd from "@tapegrad/tensor";
import { builtinOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { mul, sub } from "./binary.js";
import { exp } from "./unary.js";
import { broadcastTo, reshape } from "./movement.js";

export interface AxesAttrs {
  axes: number[];
  keepdims: boolean;
}

const constant = (a: nd.NDArray): Tensor => new Tensor(a);

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A reduced tensor (gradient or value) stretched back over the input's shape. */
function expandBack(t: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(t, keptShape(x.shape, axes)), x.shape);
}

const ops = {
  sum: builtinOp<AxesAttrs>({
    name: "sum",
    forward: ([x], { axes, keepdims }) => nd.sum(x!, axes, keepdims),
    vjp: ([g], { inputs: [x], attrs: { axes } }) => [expandBack(g!, x!, axes)],
    watch: "none",
  }),
  max: builtinOp<AxesAttrs>({
    name: "max",
    forward: ([x], { axes, keepdims }) => nd.max(x!, axes, keepdims),
    vjp: ([g], ctx) => [extremumGrad(g!, ctx.inputs[0]!, ctx.outputs[0]!, ctx.attrs.axes)],
    watch: "both",
  }),
  min: builtinOp<AxesAttrs>({
    name: "min",
    forward: ([x], { axes, keepdims }) => nd.min(x!, axes, keepdims),
    vjp: ([g], ctx) => [extremumGrad(g!, ctx.inputs[0]!, ctx.outputs[0]!, ctx.attrs.axes)],
    watch: "both",
  }),
  logsumexp: builtinOp<AxesAttrs>({
    name: "logsumexp",
    forward: ([x], { axes, keepdims }) => nd.logsumexp(x!, axes, keepdims),
    // d lse / dx = exp(x - lse) = softmax(x)
    vjp: ([g], { inputs: [x], outputs: [y], attrs: { axes } }) => [mul(expandBack(g!, x!, axes), exp(sub(x!, expandBack(y!, x!, axes))))],
    watch: "both",
  }),
  softmax: builtinOp<{ axis: number }>({
    name: "softmax",
    forward: ([x], { axis }) => nd.softmax(x!, axis),
    // dx = y * (g - sum(g * y))
    vjp: ([g], { outputs: [y], attrs: { axis } }) => [mul(y!, sub(g!, sum(mul(g!, y!), axis, true)))],
    watch: "output",
  }),
  logSoftmax: builtinOp<{ axis: number }>({
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

export function sum(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.sum([t], { axes: axesOf("sum", t, axis), keepdims });
}
export function max(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.max([t], { axes: axesOf("max", t, axis), keepdims });
}
export function min(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.min([t], { axes: axesOf("min", t, axis), keepdims });
}
export function logsumexp(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  return ops.logsumexp([t], { axes: axesOf("logsumexp", t, axis), keepdims });
}
export function softmax(x: TensorLike, axis = -1): Tensor {
  const t = toTensor(x);
  return ops.softmax([t], { axis: nd.normalizeAxis("softmax", axis, t.ndim) });
}
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const t = toTensor(x);
  return ops.logSoftmax([t], { axis: nd.normalizeAxis("logSoftmax", axis, t.ndim) });
}

