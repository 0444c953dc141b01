// Elementwise unary ops. Each VJP is written with differentiable ops, so it can be recorded
// and differentiated again. sigmoid's and tanh's are ops of their own (sigmoidBackward,
// tanhBackward: one kernel each, in the tensor package beside sigmoid's and tanh's), with
// their own VJPs, as PyTorch's derivatives.yaml writes them.

import * as nd from "@tapegrad/tensor";
import { builtinOp, type Op } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { bin, mul, div, add, sub, neg, type Binary } from "./binary.js";
import { sumTo } from "./movement.js";

/** A mask or other value the gradient depends on but never differentiates. */
const constant = (a: nd.NDArray): Tensor => new Tensor(a);

const need = (t: Tensor | undefined): boolean => t !== undefined && t.requiresGrad;

const ops = {
  exp: builtinOp({
    name: "exp",
    forward: ([x]) => nd.exp(x!),
    vjp: ([g], { outputs: [y] }) => [mul(g!, y!)],
    watch: "output",
  }),
  log: builtinOp({
    name: "log",
    forward: ([x]) => nd.log(x!),
    vjp: ([g], { inputs: [x] }) => [div(g!, x!)],
  }),
  sqrt: builtinOp({
    name: "sqrt",
    forward: ([x]) => nd.sqrt(x!),
    vjp: ([g], { outputs: [y] }) => [div(g!, mul(y!, 2))],
    watch: "output",
  }),
  abs: builtinOp({
    name: "abs",
    forward: ([x]) => nd.abs(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, constant(nd.sign(x!.data)))],
  }),
  tanh: builtinOp({
    name: "tanh",
    forward: ([x]) => nd.tanh(x!),
    // d tanh = 1 - tanh^2, from the output
    vjp: ([g], { outputs: [y] }) => [tanhBackward(g!, y!)],
    watch: "output",
  }),
  /** g * (1 - y^2), tanh's VJP as one op (PyTorch's tanh_backward(grad, result)). */
  tanhBackward: builtinOp({
    name: "tanhBackward",
    forward: ([g, y]) => nd.tanhBackward(g!, y!),
    // d/dg = 1 - y^2 (the op itself, at gg); d/dy = -2 g y
    vjp: ([gg], { inputs: [g, y] }) => [
      need(g) ? sumTo(tanhBackward(gg!, y!), g!.shape) : null,
      need(y) ? sumTo(neg(mul(mul(gg!, g!), mul(y!, 2))), y!.shape) : null,
    ],
  }),
  sigmoid: builtinOp({
    name: "sigmoid",
    forward: ([x]) => nd.sigmoid(x!),
    // d sigmoid = s (1 - s), from the output
    vjp: ([g], { outputs: [y] }) => [sigmoidBackward(g!, y!)],
    watch: "output",
  }),
  /** g * y * (1 - y), sigmoid's VJP as one op (PyTorch's sigmoid_backward(grad, result)). */
  sigmoidBackward: builtinOp({
    name: "sigmoidBackward",
    forward: ([g, y]) => nd.sigmoidBackward(g!, y!),
    // d/dg = y (1 - y) (the op itself, at gg); d/dy = g (1 - 2y)
    vjp: ([gg], { inputs: [g, y] }) => [
      need(g) ? sumTo(sigmoidBackward(gg!, y!), g!.shape) : null,
      need(y) ? sumTo(mul(mul(gg!, g!), sub(1, mul(y!, 2))), y!.shape) : null,
    ],
  }),
  relu: builtinOp({
    name: "relu",
    forward: ([x]) => nd.relu(x!),
    // the derivative at 0 is taken as 0, as PyTorch does
    vjp: ([g], { inputs: [x] }) => [mul(g!, constant(nd.gt(x!.data, 0).astype(x!.dtype)))],
  }),
  square: builtinOp({
    name: "square",
    forward: ([x]) => nd.square(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, mul(x!, 2))],
  }),
  sin: builtinOp({
    name: "sin",
    forward: ([x]) => nd.sin(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, cos(x!))],
  }),
  cos: builtinOp({
    name: "cos",
    forward: ([x]) => nd.cos(x!),
    vjp: ([g], { inputs: [x] }) => [neg(mul(g!, sin(x!)))],
  }),
  log1p: builtinOp({
    name: "log1p",
    forward: ([x]) => nd.log1p(x!),
    vjp: ([g], { inputs: [x] }) => [div(g!, add(x!, 1))],
  }),
  expm1: builtinOp({
    name: "expm1",
    forward: ([x]) => nd.expm1(x!),
    vjp: ([g], { outputs: [y] }) => [mul(g!, add(y!, 1))],
    watch: "output",
  }),
  reciprocal: builtinOp({
    name: "reciprocal",
    forward: ([x]) => nd.reciprocal(x!),
    // d(1/x) = -1/x^2 = -y^2
    vjp: ([g], { outputs: [y] }) => [neg(mul(g!, mul(y!, y!)))],
    watch: "output",
  }),
};

export const unaryOps = ops;

// neg sits with the arithmetic in binary.ts (sub's VJP needs it); importable from here too
export { neg };

type Unary = (x: TensorLike) => Tensor;
const un = (op: Op<undefined>): Unary => (x) => op([toTensor(x)], undefined);

export const exp: Unary = un(ops.exp);
export const log: Unary = un(ops.log);
export const sqrt: Unary = un(ops.sqrt);
export const abs: Unary = un(ops.abs);
export const tanh: Unary = un(ops.tanh);
export const sigmoid: Unary = un(ops.sigmoid);
export const relu: Unary = un(ops.relu);
export const square: Unary = un(ops.square);
export const sin: Unary = un(ops.sin);
export const cos: Unary = un(ops.cos);
export const log1p: Unary = un(ops.log1p);
export const expm1: Unary = un(ops.expm1);
export const reciprocal: Unary = un(ops.reciprocal);
/** sigmoidBackward(g, y) = g * y * (1 - y), for y = sigmoid(x). */
export const sigmoidBackward: Binary = bin(ops.sigmoidBackward);
/** tanhBackward(g, y) = g * (1 - y^2), for y = tanh(x). */
export const tanhBackward: Binary = bin(ops.tanhBackward);
