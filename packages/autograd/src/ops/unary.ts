// Elementwise unary ops. Each VJP is written with differentiable ops, so it can be recorded;
// those the LSTM runs (exp, tanh, sigmoid) also have a fused loop for a backward that builds
// no graph (fast.ts), where the composed rule would run three kernels instead of one.

import * as nd from "@tapegrad/tensor";
import { builtinOp, type Op } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { mul, div, add, sub, neg } from "./binary.js";
import * as F from "../fast.js";

/** A mask or other value the gradient depends on but never differentiates. */
const constant = (a: nd.NDArray): Tensor => new Tensor(a);

const ops = {
  exp: builtinOp({
    name: "exp",
    forward: ([x]) => nd.exp(x!),
    vjp: ([g], { outputs: [y] }) => [(F.noGraph() ? F.wrap(F.mulGrad(g!.data, y!.data)) : null) ?? mul(g!, y!)],
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
    vjp: ([g], { outputs: [y] }) => [(F.noGraph() ? F.wrap(F.tanhGrad(g!.data, y!.data)) : null) ?? mul(g!, sub(1, mul(y!, y!)))],
    watch: "output",
  }),
  sigmoid: builtinOp({
    name: "sigmoid",
    forward: ([x]) => nd.sigmoid(x!),
    // d sigmoid = s (1 - s), from the output
    vjp: ([g], { outputs: [y] }) => [(F.noGraph() ? F.wrap(F.sigmoidGrad(g!.data, y!.data)) : null) ?? mul(g!, mul(y!, sub(1, y!)))],
    watch: "output",
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
