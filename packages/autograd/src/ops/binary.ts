// The arithmetic (add, sub, mul, div, neg) and the selections (maximum, minimum, where), with
// numpy broadcasting. A broadcast operand's gradient is summed back to its shape by sumTo, the
// one un-broadcasting helper every rule shares.

import * as nd from "@tapegrad/tensor";
import { defineOp, type Op } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { sumTo } from "./movement.js";
import { constant, need } from "./helpers.js";

const ops = {
  neg: defineOp({
    name: "neg",
    forward: ([x]) => nd.neg(x!),
    vjp: ([g]) => [neg(g!)],
    watch: "none",
  }),
  add: defineOp({
    name: "add",
    forward: ([a, b]) => nd.add(a!, b!),
    vjp: ([g], { inputs: [a, b] }) => [need(a) ? sumTo(g!, a!.shape) : null, need(b) ? sumTo(g!, b!.shape) : null],
    watch: "none",
  }),
  sub: defineOp({
    name: "sub",
    forward: ([a, b]) => nd.sub(a!, b!),
    vjp: ([g], { inputs: [a, b] }) => [need(a) ? sumTo(g!, a!.shape) : null, need(b) ? sumTo(neg(g!), b!.shape) : null],
    watch: "none",
  }),
  mul: defineOp({
    name: "mul",
    forward: ([a, b]) => nd.mul(a!, b!),
    vjp: ([g], { inputs: [a, b] }) => [need(a) ? sumTo(mul(g!, b!), a!.shape) : null, need(b) ? sumTo(mul(g!, a!), b!.shape) : null],
  }),
  div: defineOp({
    name: "div",
    forward: ([a, b]) => nd.div(a!, b!),
    // d(a/b)/db = -a/b^2 = -(a/b)/b
    vjp: ([g], { inputs: [a, b], outputs: [y] }) => [
      need(a) ? sumTo(div(g!, b!), a!.shape) : null,
      need(b) ? sumTo(neg(div(mul(g!, y!), b!)), b!.shape) : null,
    ],
    watch: "both",
  }),
  maximum: defineOp({
    name: "maximum",
    forward: ([a, b]) => nd.maximum(a!, b!),
    vjp: ([g], { inputs: [a, b] }) => tieSplit(g!, a!, b!, nd.gt(a!.data, b!.data)),
  }),
  minimum: defineOp({
    name: "minimum",
    forward: ([a, b]) => nd.minimum(a!, b!),
    vjp: ([g], { inputs: [a, b] }) => tieSplit(g!, a!, b!, nd.lt(a!.data, b!.data)),
  }),
  where: defineOp({
    name: "where",
    forward: ([m, a, b]) => nd.where(m!, a!, b!),
    vjp: ([g], { inputs: [m, a, b] }) => [
      null,
      need(a) ? sumTo(where(m!, g!, 0), a!.shape) : null,
      need(b) ? sumTo(where(m!, 0, g!), b!.shape) : null,
    ],
    watch: [0],
  }),
};

/** maximum/minimum: the gradient goes to the winner; on a tie it is split evenly, as in PyTorch. */
function tieSplit(g: Tensor, a: Tensor, b: Tensor, aWins: nd.NDArray): (Tensor | null)[] {
  const dt = g.dtype;
  const tie = nd.eq(a.data, b.data).astype(dt);
  const wa = constant(nd.add(aWins.astype(dt), nd.mul(tie, 0.5)));
  const wb = constant(nd.sub(1, wa.data));
  return [
    need(a) ? sumTo(mul(g, wa), a.shape) : null,
    need(b) ? sumTo(mul(g, wb), b.shape) : null,
  ];
}

export const binaryOps = ops;

export type Binary = (a: TensorLike, b: TensorLike) => Tensor;

/** A binary op on TensorLikes: a number operand takes the other operand's float dtype. */
export const bin = (op: Op<undefined>): Binary => (a, b) => {
  const x = a instanceof Tensor ? a : null;
  const y = b instanceof Tensor ? b : null;
  return op([toTensor(a, y), toTensor(b, x)], undefined);
};

/** -x elementwise (torch.neg). Gradient: -g. */
export const neg = (x: TensorLike): Tensor => ops.neg([toTensor(x)], undefined);
/**
 * a + b elementwise with numpy broadcasting (torch.add). A JS number operand becomes a constant
 * (float32 beside a float32 tensor, else float64). Each gradient is g summed back to its
 * operand's shape (sumTo). Shapes that do not broadcast are a ShapeError.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
 * const b = tensor([10, 20, 30], { requiresGrad: true });
 * add(a, b).sum().backward();
 * b.grad!.toArray(); // [2, 2, 2]: b was broadcast over a's two rows
 * ```
 */
export const add: Binary = bin(ops.add);
/** a - b elementwise with numpy broadcasting (torch.sub). Gradients: g for a, -g for b, each summed back to its operand's shape. */
export const sub: Binary = bin(ops.sub);
/**
 * a * b elementwise with numpy broadcasting (torch.mul). Gradients: g * b for a, g * a for b,
 * each summed back to its operand's shape.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * mul(x, x).sum().backward();
 * x.grad!.toArray(); // [2, 4, 6]
 * ```
 */
export const mul: Binary = bin(ops.mul);
/** a / b elementwise with numpy broadcasting (torch.div, true division). Gradients: g / b for a, -g a / b^2 for b, each summed back to its operand's shape. */
export const div: Binary = bin(ops.div);
/** The larger of a and b elementwise, with broadcasting (torch.maximum). The gradient goes to the larger operand; on a tie each gets g / 2, as in PyTorch. */
export const maximum: Binary = bin(ops.maximum);
/** The smaller of a and b elementwise, with broadcasting (torch.minimum). The gradient goes to the smaller operand; on a tie each gets g / 2, as in PyTorch. */
export const minimum: Binary = bin(ops.minimum);

/**
 * `where(mask, a, b)`: a where mask is nonzero, else b. The mask gets no gradient. With one
 * argument, `where(cond)` is torch.where(cond): the coordinates of cond's non-zero elements as
 * one int32 tensor per axis (nonzero with asTuple).
 */
export function where(cond: TensorLike): Tensor[];
export function where(mask: TensorLike, a: TensorLike, b: TensorLike): Tensor;
export function where(mask: TensorLike, a?: TensorLike, b?: TensorLike): Tensor | Tensor[] {
  if (a === undefined && b === undefined) {
    const coords = nd.nonzero(toTensor(mask).data);
    return Array.from({ length: coords.shape[1]! }, (_, d) => new Tensor(nd.copy(nd.slice(coords, [null, d]))));
  }
  if (a === undefined || b === undefined) throw new nd.ValueError("where: takes one argument (cond) or three (mask, a, b)");
  const x = a instanceof Tensor ? a : null;
  const y = b instanceof Tensor ? b : null;
  const m = toTensor(mask);
  if (m.requiresGrad) throw new nd.DTypeError("where: the mask must not require grad");
  return ops.where([m, toTensor(a, y ?? x), toTensor(b, x ?? y)], undefined);
}
