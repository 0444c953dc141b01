// The course notebook's parameter layout and its adapters to PyTorch's: one NotebookParams
// type for the closed form (closed-form.ts) and for LSTMCell's from/toNotebookParams.

import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, fmtShape } from "@tapegrad/tensor";

/**
 * The notebook's weights: W* (n_a, n_a + n_x) acting on [a_prev; x_t], b* (n_a, 1), for the
 * gates f, i, the candidate c, and o.
 */
export interface NotebookParams {
  Wf: NDArray;
  bf: NDArray;
  Wi: NDArray;
  bi: NDArray;
  Wc: NDArray;
  bc: NDArray;
  Wo: NDArray;
  bo: NDArray;
}

/** NotebookParams with the prediction's weights, which the closed form's lstmForward reads. */
export interface LSTMParameters extends NotebookParams {
  /** (n_y, n_a): the prediction's weights. Optional: without Wy and by there is no y. */
  Wy?: NDArray;
  /** (n_y, 1) */
  by?: NDArray;
}

/**
 * The notebook's per-gate weights as PyTorch's stacked ones. The notebook multiplies W by
 * [a_prev; x_t] with examples as columns; PyTorch multiplies rows by W_ih^T and W_hh^T. So each
 * W splits into its a-columns (-> weight_hh) and x-columns (-> weight_ih), stacked i, f, g (the
 * notebook's candidate "c"), o; the biases stack the same way.
 */
export function pytorchLayout(p: NotebookParams): { weightIh: NDArray; weightHh: NDArray; bias: NDArray; inputSize: number; hiddenSize: number } {
  const nA = p.Wf.shape[0]!;
  const nX = p.Wf.shape[1]! - nA;
  for (const k of ["Wf", "Wi", "Wc", "Wo"] as const) {
    if (p[k].ndim !== 2 || p[k].shape[0] !== nA || p[k].shape[1] !== nA + nX) {
      throw new ShapeError(`LSTMCell.fromNotebookParams: ${k} has shape ${fmtShape(p[k].shape)}, expected [${nA},${nA + nX}]`);
    }
  }
  for (const k of ["bf", "bi", "bc", "bo"] as const) {
    if (p[k].size !== nA) throw new ShapeError(`LSTMCell.fromNotebookParams: ${k} has shape ${fmtShape(p[k].shape)}, expected [${nA},1]`);
  }
  const order = [p.Wi, p.Wf, p.Wc, p.Wo];
  return {
    weightHh: nd.concat(order.map((W) => W.slice(null, [0, nA]))),
    weightIh: nd.concat(order.map((W) => W.slice(null, [nA, nA + nX]))),
    bias: nd.concat([p.bi, p.bf, p.bc, p.bo].map((b) => b.reshape([-1]))),
    inputSize: nX,
    hiddenSize: nA,
  };
}

/**
 * Stacked PyTorch-layout arrays (W_ih (4H, I), W_hh (4H, H), b (4H), gates i, f, g, o) to the
 * notebook's per-gate W = [W_hh | W_ih] (H, H + I) and b (H, 1). Works for weights and for
 * their gradients alike.
 */
export function notebookLayout(weightIh: NDArray, weightHh: NDArray, bias: NDArray): NotebookParams {
  const H = weightHh.shape[1]!;
  const gate = (k: number) => ({
    W: nd.concat([weightHh.slice([k * H, (k + 1) * H]), weightIh.slice([k * H, (k + 1) * H])], 1),
    b: bias.slice([k * H, (k + 1) * H]).reshape([H, 1]).copy(),
  });
  const [i, f, g, o] = [gate(0), gate(1), gate(2), gate(3)];
  return { Wi: i.W, bi: i.b, Wf: f.W, bf: f.b, Wc: g.W, bc: g.b, Wo: o.W, bo: o.b };
}
