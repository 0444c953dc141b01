// The computing half of the notebook replay, free of Node so that the web playground can run
// it too: what the notebook printed (facts from its text), its two cells redone with numpy's
// draws, and the notebook's backward rerun as it is written. main.ts prints it.

import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { LSTM, LSTMCell, lstmBackward, lstmCellBackward, lstmForward, notebookLayout, type LSTMCaches, type LSTMParameters } from "@tapegrad/nn";

// ---------------------------------------------------------------- what the notebook printed (facts from its text)

/** Cell 2's output as the notebook's page shows it; the page cuts print(caches[0]) off inside its first array. */
export const PRINTED_CELL2 = `(5, 10, 7)
(2, 10, 7)
(5, 10, 7)
[[array([[-9.33678954e-02, -9.94427536e-03, -6.89604887e-01,
         8.02285664e-05,  2.64105714e-03, -7.16370282e-01,
         1.09448250e-01, -4.26364353e-03,  3.91304859e-01,
         4.95836794e-02],
       [-4.44388117e-02, -9.99951099e-02,  7.46237646e-01,
         5.39692846e-03, -1.41244687e-02,  6.66375788e-02,
        -9.14219442e-03,  6.27036212e-02,  4.71265675e-04,
         1.61618387e-01],
       [ 3.41927573e-05,  1.01274129e-01,  1.24706965e-04,
        -1.18058078e-01, -2.03633470e-01,  4.49525468e-04,
        -6.32216789e-01, -4.89184968e-02, -5.63963319e-01,
         5.91721790e-02],
       [ 6.85612578e-01,  1.52796322e-02,  7.53701290e-01,
         6.64597075e-01,  1.63649743e-04, -5.55934368e-01,
        -1.26292382e-04,  7.29775370e-02, -1.23973124e-02,
         1.08059007e-01],
       [ 7.83827844e-04,  1.40913141e-01,  2.53684278e-08,
         1.19680515e-01,  5.42610667e-01,  4.76839380e-06,
         1.74401804e-02,  1.7730957`;

export type GradName = "dx" | "da0" | "dWf" | "dbf" | "dWi" | "dbi" | "dWc" | "dbc" | "dWo" | "dbo";

/** Cell 4's printed gradient entries, as text (dx[1][2] was printed as a row of 4; the biases as [v]). */
export const PRINTED_CELL4: readonly { name: GradName; index: number[]; text: string }[] = [
  { name: "dx", index: [1, 2, 0], text: "-0.00173313" },
  { name: "dx", index: [1, 2, 1], text: "0.08287442" },
  { name: "dx", index: [1, 2, 2], text: "-0.30545663" },
  { name: "dx", index: [1, 2, 3], text: "-0.43281115" },
  { name: "da0", index: [2, 3], text: "-0.09591150195400468" },
  { name: "dWf", index: [3, 1], text: "-0.06981985612744009" },
  { name: "dWi", index: [1, 2], text: "0.10237182024854774" },
  { name: "dWc", index: [3, 1], text: "-0.06249837949274524" },
  { name: "dWo", index: [1, 2], text: "0.04843891314443013" },
  { name: "dbf", index: [4, 0], text: "-0.0565788" },
  { name: "dbi", index: [4, 0], text: "-0.15399065" },
  { name: "dbc", index: [4, 0], text: "-0.29691142" },
  { name: "dbo", index: [4, 0], text: "-0.29798344" },
];

/** Cell 4's printed shapes. */
export const PRINTED_SHAPES: Record<GradName, number[]> = {
  dx: [3, 10, 4], da0: [5, 10], dWf: [5, 8], dWi: [5, 8], dWc: [5, 8], dWo: [5, 8], dbf: [5, 1], dbi: [5, 1], dbc: [5, 1], dbo: [5, 1],
};

// ---------------------------------------------------------------- the two cells

export const py = (s: readonly number[]) => `(${s.join(", ")})`;

/** Cell 2: seed, then x, a_init, Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by (Wo is drawn before Wc). */
export function cell2(seed: number) {
  const rs = new RandomState(seed);
  const x = rs.randn(3, 10, 7);
  const a_init = rs.randn(5, 10);
  const Wf = rs.randn(5, 5 + 3), bf = rs.randn(5, 1);
  const Wi = rs.randn(5, 5 + 3), bi = rs.randn(5, 1);
  const Wo = rs.randn(5, 5 + 3), bo = rs.randn(5, 1);
  const Wc = rs.randn(5, 5 + 3), bc = rs.randn(5, 1);
  const Wy = rs.randn(2, 5), by = rs.randn(2, 1);
  const parameters: LSTMParameters = { Wf, Wi, Wo, Wc, Wy, bf, bi, bo, bc, by };
  return { parameters, ...lstmForward(x, a_init, parameters) };
}

/** Cell 4: the same draws up to bc, but Wy and by are cell 2's (not redrawn), so da comes right after bc. */
export function cell4(seed: number, fromCell2: LSTMParameters) {
  const rs = new RandomState(seed);
  const x = rs.randn(3, 10, 7);
  const a0 = rs.randn(5, 10);
  const Wf = rs.randn(5, 5 + 3), bf = rs.randn(5, 1);
  const Wi = rs.randn(5, 5 + 3), bi = rs.randn(5, 1);
  const Wo = rs.randn(5, 5 + 3), bo = rs.randn(5, 1);
  const Wc = rs.randn(5, 5 + 3), bc = rs.randn(5, 1);
  const parameters: LSTMParameters = { Wf, Wi, Wo, Wc, Wy: fromCell2.Wy!, bf, bi, bo, bc, by: fromCell2.by! };
  const { caches } = lstmForward(x, a0, parameters);
  const da = rs.randn(5, 10, 4); // covers the first 4 of x's 7 steps
  return { x, a0, parameters, caches, da };
}

// ---------------------------------------------------------------- witness 1: the tape through nn.LSTM

/** L = Σ_{t<4} sum(da[:,:,t] * a[:,:,t]) through nn.LSTM, weights from fromNotebookParams; gradients in the notebook's layout. */
export function tapeGradients(x: NDArray, a0: NDArray, p: LSTMParameters, da: NDArray): Record<GradName, NDArray> {
  const [nX, m] = [x.shape[0]!, x.shape[1]!];
  const nA = a0.shape[0]!;
  const cell = LSTMCell.fromNotebookParams(p);
  const lstm = new LSTM(nX, nA);
  lstm.loadStateDict({ weight_ih_l0: cell.weight_ih.data, weight_hh_l0: cell.weight_hh.data, bias_ih_l0: cell.bias_ih!.data, bias_hh_l0: cell.bias_hh!.data });
  const xt = ag.tensor(x, { requiresGrad: true });
  const a0t = ag.tensor(a0, { requiresGrad: true });
  // the notebook's (n_x, m, T) is PyTorch's (T, m, n_x) reversed; a state (n_a, m) is (1, m, n_a)
  const [out] = lstm.forward(xt.permute(2, 1, 0), [a0t.T.unsqueeze(0), ag.tensor(nd.zeros([1, m, nA]))]);
  const a = out.permute(2, 1, 0);
  a.slice(null, null, [0, da.shape[2]!]).mul(ag.tensor(da)).sum().backward();
  const params = Object.fromEntries(lstm.namedParameters());
  const g = notebookLayout(params.weight_ih_l0!.grad!, params.weight_hh_l0!.grad!, params.bias_ih_l0!.grad!);
  return { dx: xt.grad!, da0: a0t.grad!, dWf: g.Wf, dbf: g.bf, dWi: g.Wi, dbi: g.bi, dWc: g.Wc, dbc: g.bc, dWo: g.Wo, dbo: g.bo };
}

// ---------------------------------------------------------------- the notebook's backward, as written

/**
 * REPRODUCTION OF THE NOTEBOOK'S BUG, to explain its printed numbers; not a backward pass. It
 * follows the notebook's lstm_backward: the step count comes from da, t walks T_da-1 .. 0, each
 * step is differentiated with da[:,:,t] + da_prevt and dc_prevt, and da0 is the last step's
 * da_prev. But da_prevt and dc_prevt are zeros and never assigned again, so no step hears from
 * the steps after it. The single step (lstmCellBackward) is the notebook's lstm_cell_backward.
 */
export function notebookBackwardAsWritten(da: NDArray, caches: LSTMCaches): Record<GradName, NDArray> {
  const [steps] = caches;
  const [nA, m, T] = da.shape as [number, number, number]; // the notebook's "n_a, m, T_x = da.shape"
  const nX = steps[0]!.xt.shape[0]!;
  const dx = nd.zeros([nX, m, T]);
  const da_prevt = nd.zeros([nA, m]); // never updated: the bug
  const dc_prevt = nd.zeros([nA, m]); // never updated: the bug
  const sums = { dWf: nd.zeros([nA, nA + nX]), dWi: nd.zeros([nA, nA + nX]), dWc: nd.zeros([nA, nA + nX]), dWo: nd.zeros([nA, nA + nX]), dbf: nd.zeros([nA, 1]), dbi: nd.zeros([nA, 1]), dbc: nd.zeros([nA, 1]), dbo: nd.zeros([nA, 1]) };
  let da0 = nd.zeros([nA, m]);
  for (let t = T - 1; t >= 0; t--) {
    const g = lstmCellBackward(da.slice(null, null, t).add(da_prevt), dc_prevt, steps[t]!);
    dx.slice(null, null, t).assign(g.dxt);
    for (const k of Object.keys(sums) as (keyof typeof sums)[]) sums[k] = sums[k].add(g[k]);
    da0 = g.da_prev;
  }
  return { dx, da0, ...sums };
}

/** Whether v shows as the printed text: to its decimals for an array print, to 15 significant digits for a full repr. */
export function matchesPrinted(v: number, text: string): boolean {
  const decimals = text.split(".")[1]?.length ?? 0;
  const fullRepr = text.replace(/^-?0\.0*/, "").length >= 15;
  const tol = fullRepr ? 1e-15 * Math.abs(Number(text)) : 0.5 * 10 ** -decimals * (1 + 1e-9);
  return Math.abs(v - Number(text)) <= tol;
}

export const label = (name: string, index: readonly number[]) => `${name}${index.map((i) => `[${i}]`).join("")}`;

export interface NotebookRow {
  entry: string;
  name: GradName;
  index: number[];
  tape: number;
  closedForm: number;
  /** the notebook's printed text (seed 1 only) */
  printed: string | null;
  asWritten: number | null;
  /** whether the closed form shows as the printed text, to the printed digits */
  printedIsCorrect: boolean | null;
}

export interface NotebookResult {
  seed: number;
  /** cell 2's printed lines: the three shapes and print(caches[0]) up to a_next of step 0 */
  forwardText: string;
  /** whether the notebook's printed text (cut off as on its page) is where forwardText begins */
  forwardMatchesPrinted: boolean | null;
  rows: NotebookRow[];
  /** largest |tape - closed form| / max(|closed form|, 1e-12) over every entry of every gradient */
  tapeVsClosedForm: number;
  shapes: Record<GradName, { tape: number[]; closedForm: number[]; printed: number[] | null }>;
}

/** Both cells redone for `seed`: the forward text, the printed entries three (or four) ways, the shapes. */
export function replayNotebook(seed = 1, asWrittenColumn = true): NotebookResult {
  const notebookSeed = seed === 1;
  const c2 = cell2(seed);
  const aNext0 = c2.caches[0][0]!.aNext;
  const forwardText = `${py(c2.a.shape)}\n${py(c2.y!.shape)}\n${py(c2.c.shape)}\n[[${nd.formatRepr(aNext0)}`;
  const forwardMatchesPrinted = notebookSeed ? forwardText.startsWith(PRINTED_CELL2) : null;

  const c4 = cell4(seed, c2.parameters);
  const closed = lstmBackward(c4.da, c4.caches);
  const tape = tapeGradients(c4.x, c4.a0, c4.parameters, c4.da);
  const asWritten = notebookBackwardAsWritten(c4.da, c4.caches);
  const names = Object.keys(PRINTED_SHAPES) as GradName[];

  let tapeVsClosedForm = 0;
  for (const k of names) {
    const t = tape[k].toFlat();
    closed[k].toFlat().forEach((v, i) => {
      tapeVsClosedForm = Math.max(tapeVsClosedForm, Math.abs(t[i]! - v) / Math.max(Math.abs(v), 1e-12));
    });
  }
  const rows: NotebookRow[] = PRINTED_CELL4.map(({ name, index, text }) => {
    const cf = closed[name].get(...index);
    return {
      entry: label(name, index),
      name,
      index,
      tape: tape[name].get(...index),
      closedForm: cf,
      printed: notebookSeed ? text : null,
      asWritten: asWrittenColumn ? asWritten[name].get(...index) : null,
      printedIsCorrect: notebookSeed ? matchesPrinted(cf, text) : null,
    };
  });
  const shapes = Object.fromEntries(
    names.map((k) => [k, { tape: [...tape[k].shape], closedForm: [...closed[k].shape], printed: notebookSeed ? PRINTED_SHAPES[k] : null }]),
  ) as NotebookResult["shapes"];
  return { seed, forwardText, forwardMatchesPrinted, rows, tapeVsClosedForm, shapes };
}

/** Why the notebook's printed gradients differ from the tape's and the closed form's, sentence by sentence. */
export function whyPrintedDiffers(notebookSeed = true, asWrittenColumn = true): string[] {
  return [
    "Why the printed numbers differ. The notebook's lstm_backward sets da_prevt and dc_prevt to zeros before its loop over t and never assigns them again (the missing lines are da_prevt = gradients[\"da_prev\"] and dc_prevt = gradients[\"dc_prev\"]).",
    "So each step is differentiated as if it were the last: it sees only its own da[:,:,t], and the gradient that a_t and c_t receive through the later steps is dropped.",
    "Every weight and bias gradient sums over all steps, so all of them are off, and da0 holds only what step 0's own da sends back" + (notebookSeed ? " (here with the wrong sign)." : "."),
    "The entries of dx at step 3 are right all the same: step 3 is the last step da reaches, so nothing needs to be carried into it.",
    `Rerunning the notebook's loop as written gives ${notebookSeed ? "back every printed number" : "the numbers the notebook would print"}${asWrittenColumn ? ' (the "as written" column)' : ""}; adding the two missing assignments gives the tape's and the closed form's.`,
    notebookSeed ? "The forward cell has no such bug: its values match to every printed digit." : "",
    "See packages/nn/docs/notebook.md for the full account.",
  ].filter(Boolean);
}
