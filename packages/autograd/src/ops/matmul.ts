// matmul with numpy's rules, and its weight-gradient product A^T G as an op of its own
// (kernels: tensor/src/matmul.ts).

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import { toTensor, type Tensor, type TensorLike } from "../tensor.js";
import { permute, reshape, sumTo } from "./movement.js";
import { need } from "./helpers.js";

const ops = {
  matmul: defineOp({
    name: "matmul",
    forward: ([a, b]) => nd.matmul(a!, b!),
    // dA = g B^T, dB = A^T g; the transposes are views that the kernel reads through strides.
    // When B is a matrix (a weight), dB sums over A's batch dims too: one product over all
    // rows (matmulWeightGrad) instead of a stack of products summed down, which the engine may
    // keep as its factors (hooks.rowProducts) to add up a loop's steps as one product.
    vjp: ([g], { inputs: [a, b] }, hooks): (Tensor | null)[] => [
      need(a) ? sumTo(ops.matmul([g!, mT(b!)], undefined), a!.shape) : null,
      need(b) ? (b!.ndim === 2 ? (hooks?.rowProducts(a!, g!) ?? ops.matmulWeightGrad([a!, g!], undefined)) : sumTo(ops.matmul([mT(a!), g!], undefined), b!.shape)) : null,
    ],
  }),
  /**
   * A^T G over every row, A (..., K) and G (..., N) -> (K, N): the gradient of a weight W in
   * y = x @ W, with A = x.
   */
  matmulWeightGrad: defineOp({
    name: "matmulWeightGrad",
    forward: ([a, g]) => nd.matmulTN(a!, g!),
    // y = A^T G: dA = G dy^T, dG = A dy
    vjp: ([gy], { inputs: [a, g] }): (Tensor | null)[] => [
      need(a) ? ops.matmul([g!, mT(gy!)], undefined) : null,
      need(g) ? ops.matmul([a!, gy!], undefined) : null,
    ],
  }),
};

export const matmulOps = ops;

/**
 * The matrix product with numpy's rules: operands of 2 or more dims multiply their last two
 * (batch dims broadcast); a 1-D operand gains a unit dim that is dropped from the result.
 *
 * @example
 * ```ts
 * matmul(tensor([[1, 2], [3, 4]]), tensor([1, 1])).toArray(); // [3, 7]
 * ```
 */
export function matmul(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  if (x.ndim === 0 || y.ndim === 0) {
    throw new nd.ValueError(`matmul: operands must have at least 1 dim, got ${nd.fmtShape(x.shape)} @ ${nd.fmtShape(y.shape)}`);
  }
  const x2 = x.ndim === 1 ? reshape(x, [1, x.shape[0]!]) : x;
  const y2 = y.ndim === 1 ? reshape(y, [y.shape[0]!, 1]) : y;
  if (x2.shape[x2.ndim - 1] !== y2.shape[y2.ndim - 2]) {
    throw new nd.ShapeError(`matmul: inner dimensions differ: ${nd.fmtShape(x.shape)} @ ${nd.fmtShape(y.shape)}`);
  }
  let out = ops.matmul([x2, y2], undefined);
  if (x.ndim === 1) out = reshape(out, out.shape.filter((_, i) => i !== out.ndim - 2));
  if (y.ndim === 1) out = reshape(out, out.shape.filter((_, i) => i !== out.ndim - 1));
  return out;
}

/** Swaps the last two axes (a matrix transpose over a batch). */
function mT(x: Tensor): Tensor {
  const n = x.ndim;
  const axes = Array.from({ length: n }, (_, i) => i);
  axes[n - 2] = n - 1;
  axes[n - 1] = n - 2;
  return permute(x, axes);
}
