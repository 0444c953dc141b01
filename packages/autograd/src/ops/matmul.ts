// matmul on operands of at least 2 dims (composite.ts's matmul adds numpy's 1-D rules).

import * as nd from "@tapegrad/tensor";
import { builtinOp } from "../define-op.js";
import { Tensor } from "../tensor.js";
import { permute, reshape, sumTo } from "./movement.js";
import * as F from "../fast.js";
import * as D from "../deferred.js";

const ops = {
  matmul: builtinOp({
    name: "matmul",
    // Operands here have at least 2 dims; matmul in composite.ts handles 1-D ones.
    forward: ([a, b]) => nd.matmul(a!, b!),
    // dA = g B^T, dB = A^T g; the transposes are views that the kernel reads through strides.
    vjp: ([g], { inputs: [a, b] }): (Tensor | null)[] => {
      if (F.noGraph()) return matmulGradNoGraph(g!, a!, b!);
      return [
        a!.requiresGrad ? sumTo(ops.matmul([g!, mT(b!)], undefined), a!.shape) : null,
        b!.requiresGrad ? (b!.ndim === 2 && a!.ndim > 2 ? flatProductGrad(a!, g!) : sumTo(ops.matmul([mT(a!), g!], undefined), b!.shape)) : null,
      ];
    },
  }),
};

/**
 * dB for a batch of products with one matrix B (x (T, B, I) @ W^T, the LSTM's input
 * projection): the batch folds into the rows, A (T*B, I)^T @ g (T*B, N), one product straight
 * to B's shape instead of T products summed down from a (T, I, N) stack.
 */
function flatProductGrad(a: Tensor, g: Tensor): Tensor {
  const k = a.shape[a.ndim - 1]!;
  return ops.matmul([mT(reshape(a, [-1, k])), reshape(g, [-1, g.shape[g.ndim - 1]!])], undefined);
}

/**
 * matmul's VJP when no graph is being built: the products straight into new arrays. When B is
 * a matrix (every product in an LSTM), A's batch dims fold into its rows, so each gradient is
 * one 2-D product (fast.ts's product2d, a transposed operand read through its strides).
 */
function matmulGradNoGraph(g: Tensor, a: Tensor, b: Tensor): (Tensor | null)[] {
  const [gd, ad, bd] = [g.data, a.data, b.data];
  let da: nd.NDArray | null = null;
  let db: Tensor | null = null;
  if (bd.ndim === 2) {
    if (a.requiresGrad) {
      da = F.product2d(asRows(gd), false, bd, true);
      if (da && ad.ndim !== 2) da = nd.reshape(da, ad.shape);
    }
    // B's gradient A^T g is left as its factors: if B is a weight used at every step of a
    // loop, the engine sums all the steps' gradients with one product (deferred.ts)
    if (b.requiresGrad) db = D.deferAtG(asRows(ad), asRows(gd));
  }
  if (a.requiresGrad && !da) da = nd.sumTo(nd.matmul(gd, nd.swapaxes(bd, -1, -2)), a.shape);
  if (b.requiresGrad && !db) db = new Tensor(nd.sumTo(nd.matmul(nd.swapaxes(ad, -1, -2), gd), b.shape));
  return [da && new Tensor(da), db];
}

/** x with its leading dims folded into the rows: (..., n) -> (-1, n). */
function asRows(x: nd.NDArray): nd.NDArray {
  return x.ndim === 2 ? x : nd.reshape(x, [-1, x.shape[x.ndim - 1]!]);
}

export const matmulOps = ops;

/** Swaps the last two axes (a matrix transpose over a batch). */
export function mT(x: Tensor): Tensor {
  const n = x.ndim;
  const axes = Array.from({ length: n }, (_, i) => i);
  axes[n - 2] = n - 1;
  axes[n - 1] = n - 2;
  return permute(x, axes);
}

