// Reductions and the softmax family. A reduced gradient is put back with reshape (to the
// keepdims shape) then broadcastTo, whose own VJP is a sum: the pair is differentiable again.

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { div, mul, sub, where } from "./binary.js";
import { abs, exp } from "./unary.js";
import { pow } from "./pow.js";
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
  norm: defineOp<AxesAttrs & { p: number }>({
    name: "norm",
    forward: ([x], { p, axes, keepdims }) => nd.vectorNorm(x!, p, axes, keepdims),
    vjp: ([g], { inputs: [x], outputs: [y], attrs: { p, axes } }) => [normGrad(expandBack(g!, x!, axes), x!, expandBack(y!, x!, axes), p, axes)],
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
 * (PyTorch's amax rule), so it is the same whichever of the tied elements one picks. Where a NaN
 * is the result, the NaNs attain it and share the gradient, as torch.max(x) (torch.amax gives
 * NaN to every element: 0/0 from a count of no equal elements).
 */
function extremumGrad(g: Tensor, x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const hit = nd.where(nd.isnan(x.data), 1, nd.eq(x.data, nd.reshape(y.data, keptShape(x.shape, axes)))).astype(x.dtype);
  const count = nd.sum(hit, axes as number[], true);
  return mul(expandBack(g, x, axes), constant(nd.div(hit, count)));
}

/**
 * The gradient of a p-norm, with PyTorch's values where it has none (norm_backward): g x / |x|
 * for p = 2 and in general g sgn(x) |x|^(p-1) / |x|_p^(p-1), taken as 0 where the norm is 0 (the
 * zero vector's subgradient); for p < 1, g sgn(x) |x|^(p-1) |x|_p^(1-p) with 0 where x is 0; for
 * ±inf, g sgn(x) shared evenly among the entries that attain the norm (or are NaN); for p = 0, 0.
 * gx and n are g and the norm broadcast back over x. Masks and signs are constants: the result
 * is differentiable again wherever the norm is.
 */
function normGrad(gx: Tensor, x: Tensor, n: Tensor, p: number, axes: readonly number[]): Tensor {
  const sgn = constant(nd.sign(x.data));
  if (p === 0) return new Tensor(nd.zeros(x.shape, x.dtype));
  if (p === 1) return mul(gx, sgn);
  if (p === Infinity || p === -Infinity) {
    const ax = nd.abs(x.data);
    const hit = nd.where(nd.isnan(ax), 1, nd.eq(ax, n.data)).astype(x.dtype);
    const count = nd.sum(hit, axes as number[], true);
    return mul(gx, constant(nd.div(nd.mul(hit, nd.sign(x.data)), count)));
  }
  const xz = constant(nd.eq(x.data, 0));
  const nz = constant(nd.eq(n.data, 0));
  if (p === 2) return mul(gx, div(x, where(nz, 1, n)));
  if (p < 1) {
    const ap = where(xz, 0, pow(where(xz, 1, abs(x)), p - 1));
    return mul(mul(mul(sgn, ap), gx), pow(n, 1 - p));
  }
  const scale = where(nz, 0, div(gx, pow(where(nz, 1, n), p - 1)));
  const scaled = p < 2 ? mul(sgn, pow(abs(x), p - 1)) : mul(x, pow(abs(x), p - 2));
  return mul(scaled, scale);
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


/**
 * The p-norm of x over `axis` (omitted: all elements as one vector), as
 * torch.linalg.vector_norm and torch.norm(x, p, dim): p = 2 (the default, also "fro"), 1,
 * Infinity, -Infinity, 0 (the count of nonzeros) or any other number; keepdims keeps the reduced
 * axes. Gradient as PyTorch's: 0 where the norm is 0 (the zero vector's subgradient), shared
 * among ties for ±Infinity, 0 for p = 0. A p that is not a number or "fro" is a ValueError.
 *
 * @example
 * ```ts
 * const x = tensor([3, -4], { requiresGrad: true });
 * norm(x).item(); // 5
 * norm(x).backward();
 * x.grad!.toArray(); // [0.6, -0.8]
 * norm(tensor([[1, -2], [3, 0]]), Infinity, 1).toArray(); // [2, 3]
 * ```
 */
export function norm(x: TensorLike, p: number | "fro" = 2, axis?: nd.AxisArg, keepdims = false): Tensor {
  const t = toTensor(x);
  const order = p === "fro" ? 2 : p;
  if (typeof order !== "number" || order !== order) throw new nd.ValueError(`norm: the order must be a number, Infinity, -Infinity or "fro", got ${JSON.stringify(p)}`);
  return ops.norm([t], { p: order, axes: axesOf("norm", t, axis), keepdims });
}
