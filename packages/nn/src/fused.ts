// lstmFused: the closed-form LSTM (closed-form.ts) as one op on the tape. The forward runs the
// whole sequence in one call and the backward is the hand-derived backward through time, so the
// tape records a single node instead of a dozen per step.

import { customOp, type Tensor, type TensorLike } from "@tapegrad/autograd";
import { lstmBackward, lstmForward, type LSTMCaches } from "./closed-form.js";

const fused = customOp({
  name: "lstmFused",
  forward(ctx, x, a0, Wf, bf, Wi, bi, Wc, bc, Wo, bo) {
    const params = { Wf: Wf!, bf: bf!, Wi: Wi!, bi: bi!, Wc: Wc!, bc: bc!, Wo: Wo!, bo: bo! };
    const { a, caches } = lstmForward(x!, a0!, params);
    ctx.save(caches);
    return a;
  },
  backward(ctx, da) {
    const g = lstmBackward(da!, ctx.saved[0] as LSTMCaches);
    return [g.dx, g.da0, g.dWf, g.dbf, g.dWi, g.dbi, g.dWc, g.dbc, g.dWo, g.dbo];
  },
});

/**
 * The hidden sequence a (n_a, m, T_x) of the notebook's LSTM as a differentiable Tensor, from
 * x (n_x, m, T_x), a0 (n_a, m) and the gate weights in the notebook's layout (W*: (n_a, n_a + n_x),
 * b*: (n_a, 1)); the cell state starts at zeros. Gradients reach every input through the
 * closed-form backward. A graph through it cannot be differentiated twice (customOp's limit).
 */
export function lstmFused(
  x: TensorLike, a0: TensorLike,
  Wf: TensorLike, bf: TensorLike, Wi: TensorLike, bi: TensorLike,
  Wc: TensorLike, bc: TensorLike, Wo: TensorLike, bo: TensorLike,
): Tensor {
  return fused(x, a0, Wf, bf, Wi, bi, Wc, bc, Wo, bo) as Tensor;
}
