// matmul on operands of at least 2 dims (composite.ts's matmul adds numpy's 1-D rules), and
// its weight-gradient product A^T G as an op of its own (kernels: tensor/src/matmul.ts).

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import type { Tensor } from "../tensor.js";
import { permute, sumTo } from "./movement.js";

const need = (t: Tensor | undefined): boolean => t !== undefined && t.requiresGrad;

const ops = {
  matmul: defineOp({
    name: "matmul",
    forward: ([a, b]) => nd.matmul(a!, b!),
    // dA = g B^T, dB = A^T g; the transposes are views that the kernel reads through strides.
    // When B is a matrix (a weight), dB sums over A's batch dims too: one product over all
    // rows (matmulWeightGrad) instead of a stack of products summed down.
    vjp: ([g], { inputs: [a, b] }): (Tensor | null)[] => [
      need(a) ? sumTo(ops.matmul([g!, mT(b!)], undefined), a!.shape) : null,
      need(b) ? (b!.ndim === 2 ? ops.matmulWeightGrad([a!, g!], undefined) : sumTo(ops.matmul([mT(a!), g!], undefined), b!.shape)) : null,
    ],
  }),
  /**
   * A^T G over every row, A (..., K) and G (..., N) -> (K, N): the gradient of a weight W in
   * y = x @ W, with A = x. Summing two of them is one product over both sets of rows, which
   * the engine uses for a weight multiplied at every step of a loop (sumOfRowProducts).
   */
  matmulWeightGrad: defineOp({
    name: "matmulWeightGrad",
    forward: ([a, g]) => nd.matmulTN(a!, g!),
    // y = A^T G: dA = G dy^T, dG = A dy
    vjp: ([gy], { inputs: [a, g] }): (Tensor | null)[] => [
      need(a) ? ops.matmul([g!, mT(gy!)], undefined) : null,
      need(g) ? ops.matmul([a!, gy!], undefined) : null,
    ],
    sumOfRowProducts: true,
  }),
};

export const matmulOps = ops;

/** Swaps the last two axes (a matrix transpose over a batch). */
export function mT(x: Tensor): Tensor {
  const n = x.ndim;
  const axes = Array.from({ length: n }, (_, i) => i);
  axes[n - 2] = n - 1;
  axes[n - 1] = n - 2;
  return permute(x, axes);
}
