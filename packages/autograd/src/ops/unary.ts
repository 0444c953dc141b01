// Elementwise unary ops. Each VJP is written with differentiable ops, so it can be recorded
// and differentiated again. sigmoid's and tanh's are ops of their own (sigmoidBackward,
// tanhBackward: one kernel each, in the tensor package beside sigmoid's and tanh's), with
// their own VJPs, as PyTorch's derivatives.yaml writes them.

import * as nd from "@tapegrad/tensor";
import { defineOp, type Op } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { bin, mul, div, add, sub, neg, type Binary } from "./binary.js";
import { sumTo } from "./movement.js";
import { constant, need } from "./helpers.js";

const ops = {
  exp: defineOp({
    name: "exp",
    forward: ([x]) => nd.exp(x!),
    vjp: ([g], { outputs: [y] }) => [mul(g!, y!)],
    watch: "output",
  }),
  log: defineOp({
    name: "log",
    forward: ([x]) => nd.log(x!),
    vjp: ([g], { inputs: [x] }) => [div(g!, x!)],
  }),
  sqrt: defineOp({
    name: "sqrt",
    forward: ([x]) => nd.sqrt(x!),
    vjp: ([g], { outputs: [y] }) => [div(g!, mul(y!, 2))],
    watch: "output",
  }),
  abs: defineOp({
    name: "abs",
    forward: ([x]) => nd.abs(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, constant(nd.sign(x!.data)))],
  }),
  tanh: defineOp({
    name: "tanh",
    forward: ([x]) => nd.tanh(x!),
    // d tanh = 1 - tanh^2, from the output
    vjp: ([g], { outputs: [y] }) => [tanhBackward(g!, y!)],
    watch: "output",
  }),
  /** g * (1 - y^2), tanh's VJP as one op (PyTorch's tanh_backward(grad, result)). */
  tanhBackward: defineOp({
    name: "tanhBackward",
    forward: ([g, y]) => nd.tanhBackward(g!, y!),
    // d/dg = 1 - y^2 (the op itself, at gg); d/dy = -2 g y
    vjp: ([gg], { inputs: [g, y] }) => [
      need(g) ? sumTo(tanhBackward(gg!, y!), g!.shape) : null,
      need(y) ? sumTo(neg(mul(mul(gg!, g!), mul(y!, 2))), y!.shape) : null,
    ],
  }),
  sigmoid: defineOp({
    name: "sigmoid",
    forward: ([x]) => nd.sigmoid(x!),
    // d sigmoid = s (1 - s), from the output
    vjp: ([g], { outputs: [y] }) => [sigmoidBackward(g!, y!)],
    watch: "output",
  }),
  /** g * y * (1 - y), sigmoid's VJP as one op (PyTorch's sigmoid_backward(grad, result)). */
  sigmoidBackward: defineOp({
    name: "sigmoidBackward",
    forward: ([g, y]) => nd.sigmoidBackward(g!, y!),
    // d/dg = y (1 - y) (the op itself, at gg); d/dy = g (1 - 2y)
    vjp: ([gg], { inputs: [g, y] }) => [
      need(g) ? sumTo(sigmoidBackward(gg!, y!), g!.shape) : null,
      need(y) ? sumTo(mul(mul(gg!, g!), sub(1, mul(y!, 2))), y!.shape) : null,
    ],
  }),
  relu: defineOp({
    name: "relu",
    forward: ([x]) => nd.relu(x!),
    // the derivative at 0 is taken as 0, as PyTorch does
    vjp: ([g], { inputs: [x] }) => [mul(g!, constant(nd.gt(x!.data, 0).astype(x!.dtype)))],
  }),
  square: defineOp({
    name: "square",
    forward: ([x]) => nd.square(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, mul(x!, 2))],
  }),
  sin: defineOp({
    name: "sin",
    forward: ([x]) => nd.sin(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, cos(x!))],
  }),
  cos: defineOp({
    name: "cos",
    forward: ([x]) => nd.cos(x!),
    vjp: ([g], { inputs: [x] }) => [neg(mul(g!, sin(x!)))],
  }),
  log1p: defineOp({
    name: "log1p",
    forward: ([x]) => nd.log1p(x!),
    vjp: ([g], { inputs: [x] }) => [div(g!, add(x!, 1))],
  }),
  expm1: defineOp({
    name: "expm1",
    forward: ([x]) => nd.expm1(x!),
    vjp: ([g], { outputs: [y] }) => [mul(g!, add(y!, 1))],
    watch: "output",
  }),
  reciprocal: defineOp({
    name: "reciprocal",
    forward: ([x]) => nd.reciprocal(x!),
    // d(1/x) = -1/x^2 = -y^2
    vjp: ([g], { outputs: [y] }) => [neg(mul(g!, mul(y!, y!)))],
    watch: "output",
  }),
  clip: defineOp<{ lo: number; hi: number }>({
    name: "clip",
    forward: ([x], { lo, hi }) => nd.clip(x!, lo, hi),
    // g where lo <= x <= hi, the bounds included, as PyTorch's clamp; 0 outside and at NaN
    vjp: ([g], { inputs: [x], attrs: { lo, hi } }) => {
      const dt = x!.dtype;
      return [mul(g!, constant(nd.mul(nd.ge(x!.data, lo).astype(dt), nd.le(x!.data, hi).astype(dt))))];
    },
  }),
  erf: defineOp({
    name: "erf",
    forward: ([x]) => nd.erf(x!),
    // d erf(x) = 2/sqrt(pi) e^(-x^2)
    vjp: ([g], { inputs: [x] }) => [mul(g!, mul(exp(neg(square(x!))), TWO_OVER_SQRT_PI))],
  }),
};

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const unaryOps = ops;

// neg sits with the arithmetic in binary.ts (sub's VJP needs it); importable from here too
export { neg };

type Unary = (x: TensorLike) => Tensor;
const un = (op: Op<undefined>): Unary => (x) => op([toTensor(x)], undefined);

/**
 * x limited to [lo, hi] elementwise (torch.clamp); with lo > hi every element is hi, as in
 * PyTorch and numpy. Gradient: g where lo <= x <= hi (the bounds included, as in PyTorch), 0
 * outside (everywhere when lo > hi).
 */
export function clip(x: TensorLike, lo: number, hi: number): Tensor {
  return ops.clip([toTensor(x)], { lo, hi });
}

/** e^x elementwise (torch.exp). Gradient: g * exp(x), computed from the output. */
export const exp: Unary = un(ops.exp);
/** The natural logarithm elementwise (torch.log): -inf at 0, NaN below. Gradient: g / x. */
export const log: Unary = un(ops.log);
/** The square root elementwise (torch.sqrt): NaN below 0. Gradient: g / (2 sqrt(x)), computed from the output. */
export const sqrt: Unary = un(ops.sqrt);
/** |x| elementwise (torch.abs). Gradient: g * sign(x), so 0 at x = 0, as in PyTorch. */
export const abs: Unary = un(ops.abs);
/** The hyperbolic tangent elementwise (torch.tanh). Gradient: g * (1 - y^2) from the output y, one tanhBackward op. */
export const tanh: Unary = un(ops.tanh);
/** The logistic function 1 / (1 + e^-x) elementwise (torch.sigmoid). Gradient: g * y * (1 - y) from the output y, one sigmoidBackward op. */
export const sigmoid: Unary = un(ops.sigmoid);
/** max(x, 0) elementwise (torch.relu). Gradient: g where x > 0, else 0 (0 at x = 0, as in PyTorch). */
export const relu: Unary = un(ops.relu);
/** x^2 elementwise (torch.square). Gradient: 2 x g. */
export const square: Unary = un(ops.square);
/** The sine elementwise, in radians (torch.sin). Gradient: g cos(x). */
export const sin: Unary = un(ops.sin);
/** The cosine elementwise, in radians (torch.cos). Gradient: -g sin(x). */
export const cos: Unary = un(ops.cos);
/** log(1 + x) elementwise, accurate for x near 0 (torch.log1p). Gradient: g / (1 + x). */
export const log1p: Unary = un(ops.log1p);
/** e^x - 1 elementwise, accurate for x near 0 (torch.expm1). Gradient: g (y + 1), computed from the output. */
export const expm1: Unary = un(ops.expm1);
/** 1 / x elementwise (torch.reciprocal). Gradient: -g / x^2, computed from the output as -g y^2. */
export const reciprocal: Unary = un(ops.reciprocal);
/** sigmoidBackward(g, y) = g * y * (1 - y), for y = sigmoid(x). */
export const sigmoidBackward: Binary = bin(ops.sigmoidBackward);
/** tanhBackward(g, y) = g * (1 - y^2), for y = tanh(x). */
export const tanhBackward: Binary = bin(ops.tanhBackward);
/** The error function elementwise (torch.erf), as exact GELU needs. Gradient: g * 2/sqrt(pi) * e^(-x^2). */
export const erf: Unary = un(ops.erf);
