// A workbench for derivations done by hand: compareDerivatives holds three hand-written backward
// passes against the tape and against central finite differences, and says where they part.
//   1. the course notebook's lstm_backward exactly as printed (it never carries da_prev/dc_prev
//      between steps; examples/notebook/replay.ts holds that procedure): manual is the odd one,
//      its error zero at the last step and gradient-sized at every earlier one; with each step's
//      a watched as da_next[t], the first wrong node is da_next[T-2], the gradient flowing into step T-2;
//   2. a GRU cell's backward, with its gates r, z, n and h' watched: derived right, all three agree
//      on every input and node; then the same derivation with one sign flipped in the z gate's line
//      (dz = G (n - h) for G (h - n)): the first wrong node is z, read from h', which agrees;
//   3. a softmax cross-entropy backward that forgets the 1/batch, with the per-example losses (nll)
//      and log-probabilities (logp) watched: flagged on the logits alone, and the first wrong node
//      is nll, the line dL/dnll = 1/B written as 1, met first from the loss.
// Writes a heatmap of case 1's dx error over (example, step) to out/derivation/.
//
//   pnpm example derivation
//   pnpm example derivation --steps 10 --seed 3

import { join } from "node:path";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, compareDerivatives, formatReport, type CompareReport } from "@tapegrad/autograd";
import { lstmForward } from "@tapegrad/nn";
import { notebookBackwardAsWritten } from "../notebook/replay.js";
import { parseOptions } from "../lib/cli.js";
import { writeAtomic } from "../lib/files.js";
import { errorGrid, heatmapSvg } from "../lib/heatmap.js";

const spec = {
  seed: { type: "integer", min: 0, max: 2 ** 32 - 2, default: 1, help: "seed of every draw (with 1, case 1's x, a0 and weights are the notebook's own)" },
  steps: { type: "integer", min: 2, default: 7, help: "case 1: sequence length T_x" },
  batch: { type: "integer", min: 2, default: 4, help: "cases 2 and 3: examples in the batch" },
  out: { type: "string", file: "outdir", default: "out/derivation", help: "folder for the heatmap (lstm-dx-error.svg)" },
} as const;

const say = (s = "") => console.log(s);

// ---------------------------------------------------------------- case 1: the notebook's LSTM

type LSTMInputs = Record<"x" | "a0" | "Wf" | "bf" | "Wi" | "bi" | "Wc" | "bc" | "Wo" | "bo", NDArray>;

/** The notebook's forward (x: (n_x, m, T_x), a: (n_a, m), z = [a_prev; x_t]) on the tape, from primitives. */
function lstmTape({ x, a0, Wf, bf, Wi, bi, Wc, bc, Wo, bo }: Record<keyof LSTMInputs, Tensor>, watch: ag.Watch): Tensor {
  let a = a0;
  let c = ag.mul(a0, 0);
  const as: Tensor[] = [];
  for (const [t, xt] of ag.unbind(x, 2).entries()) {
    const z = ag.concat([a, xt], 0);
    const ft = ag.sigmoid(ag.matmul(Wf, z).add(bf));
    const it = ag.sigmoid(ag.matmul(Wi, z).add(bi));
    const cct = ag.tanh(ag.matmul(Wc, z).add(bc));
    const ot = ag.sigmoid(ag.matmul(Wo, z).add(bo));
    c = ft.mul(c).add(it.mul(cct));
    // named by the gradient that flows into the step through it, as the notebook's loop calls it
    a = watch(`da_next[${t}]`, ot.mul(ag.tanh(c)));
    as.push(a);
  }
  return ag.stack(as, 2);
}

function lstmCase(seed: number, T: number) {
  // the notebook's sizes and drawing order (cell 2): x, a0, Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by
  const rs = new RandomState(seed);
  const x = rs.randn(3, 10, T);
  const a0 = rs.randn(5, 10);
  const p: Record<string, NDArray> = {};
  for (const g of ["f", "i", "o", "c"]) {
    p[`W${g}`] = rs.randn(5, 5 + 3);
    p[`b${g}`] = rs.randn(5, 1);
  }
  rs.randn(2, 5); // Wy
  rs.randn(2, 1); // by
  // the upstream gradient of a at every step: L = sum(da * a)
  const da = rs.randn(5, 10, T);
  const inputs = { x, a0, ...p } as LSTMInputs;
  const manual = (xs: LSTMInputs, upstream: NDArray | null) => {
    const { x, a0, ...params } = xs;
    const g = notebookBackwardAsWritten(upstream!, lstmForward(x, a0, params).caches);
    // what its loop hands lstm_cell_backward at step t as da_next: da[:,:,t] + da_prevt, with
    // da_prevt the zeros it never updates
    const T = upstream!.shape[2]!;
    const nodes = Object.fromEntries(Array.from({ length: T }, (_, t) => [`da_next[${t}]`, nd.add(upstream!.slice(null, null, t), nd.zeros([upstream!.shape[0]!, upstream!.shape[1]!]))]));
    return { ...nodes, x: g.dx, a0: g.da0, Wf: g.dWf, bf: g.dbf, Wi: g.dWi, bi: g.dbi, Wc: g.dWc, bc: g.dbc, Wo: g.dWo, bo: g.dbo };
  };
  return { inputs, upstream: da, report: compareDerivatives(lstmTape, manual, inputs, { upstream: da, along: { x: 2 } }) };
}

// ---------------------------------------------------------------- case 2: a GRU cell, derived right, then with one sign flipped

type GRUInputs = Record<"x" | "h" | "weight_ih" | "weight_hh" | "bias_ih" | "bias_hh", NDArray>;

/** PyTorch's GRUCell (rows are examples, gates stacked r, z, n): h' = (1 - z) n + z h; the gates and h' watched by name. */
function gruTape({ x, h, weight_ih, weight_hh, bias_ih, bias_hh }: Record<keyof GRUInputs, Tensor>, watch: ag.Watch): Tensor {
  const [ir, iz, inn] = ag.chunk(ag.matmul(x, weight_ih.T).add(bias_ih), 3, 1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = ag.chunk(ag.matmul(h, weight_hh.T).add(bias_hh), 3, 1) as [Tensor, Tensor, Tensor];
  const r = watch("r", ag.sigmoid(ir.add(hr)));
  const z = watch("z", ag.sigmoid(iz.add(hz)));
  const n = watch("n", ag.tanh(inn.add(r.mul(hn))));
  return watch("h'", ag.sub(1, z).mul(n).add(z.mul(h)));
}

/**
 * The GRU cell's backward by hand, from dh' = G:
 *   dz = G (h - n),  dn = G (1 - z),  dh = G z + (through the gates below)
 *   pre-activations: da_n = dn (1 - n^2),  dr = da_n hn,  da_r = dr r (1 - r),  da_z = dz z (1 - z)
 *   input side d[ir, iz, in] = [da_r, da_z, da_n];  hidden side d[hr, hz, hn] = [da_r, da_z, da_n r]
 *   dW_ih = d_i^T x, db_ih = column sums of d_i, dx = d_i W_ih;  likewise W_hh, b_hh, and dh += d_h W_hh
 * With `flipZ`, the z line is written dz = G (n - h), the sign of the other convention
 * h' = z n + (1 - z) h: the one wrong line; all that reads dz (da_z, and so every input) inherits it.
 * Returns the inputs' gradients and the watched nodes' (h', n, z, r) under their names.
 */
function gruBackward({ x, h, weight_ih, weight_hh, bias_ih, bias_hh }: GRUInputs, G: NDArray | null, flipZ = false): GRUInputs & Record<"h'" | "r" | "z" | "n", NDArray> {
  const gi = nd.add(nd.matmul(x, weight_ih.T), bias_ih);
  const gh = nd.add(nd.matmul(h, weight_hh.T), bias_hh);
  const H = h.shape[1]!;
  const part = (a: NDArray, k: number) => a.slice(null, [k * H, (k + 1) * H]);
  const r = nd.sigmoid(nd.add(part(gi, 0), part(gh, 0)));
  const z = nd.sigmoid(nd.add(part(gi, 1), part(gh, 1)));
  const hn = part(gh, 2);
  const n = nd.tanh(nd.add(part(gi, 2), nd.mul(r, hn)));
  const dz = flipZ ? nd.mul(G!, nd.sub(n, h)) : nd.mul(G!, nd.sub(h, n));
  const dn = nd.mul(G!, nd.sub(1, z));
  const dAn = nd.mul(dn, nd.sub(1, nd.square(n)));
  const dr = nd.mul(dAn, hn);
  const dAr = nd.mul(dr, nd.mul(r, nd.sub(1, r)));
  const dAz = nd.mul(dz, nd.mul(z, nd.sub(1, z)));
  const dI = nd.concat([dAr, dAz, dAn], 1);
  const dH = nd.concat([dAr, dAz, nd.mul(dAn, r)], 1);
  return {
    "h'": G!,
    n: dn,
    z: dz,
    r: dr,
    x: nd.matmul(dI, weight_ih),
    h: nd.add(nd.mul(G!, z), nd.matmul(dH, weight_hh)),
    weight_ih: nd.matmul(dI.T, x),
    weight_hh: nd.matmul(dH.T, h),
    bias_ih: nd.sum(dI, 0),
    bias_hh: nd.sum(dH, 0),
  };
}

function gruCase(seed: number, batch: number, flipZ: boolean) {
  const rs = new RandomState(seed + 1);
  const [nIn, H] = [3, 4];
  const k = 1 / Math.sqrt(H); // PyTorch's init range, so the gates sit in their working range
  const u = (...shape: number[]) => nd.mul(nd.sub(nd.mul(rs.rand(...shape), 2), 1), k);
  const inputs: GRUInputs = { x: rs.randn(batch, nIn), h: rs.randn(batch, H), weight_ih: u(3 * H, nIn), weight_hh: u(3 * H, H), bias_ih: u(3 * H), bias_hh: u(3 * H) };
  return compareDerivatives(gruTape, (xs: GRUInputs, G: NDArray | null) => gruBackward(xs, G, flipZ), inputs, { upstream: rs.randn(batch, H) });
}

// ---------------------------------------------------------------- case 3: softmax cross-entropy, 1/batch forgotten

type CEInputs = Record<"logits" | "targets", NDArray>;

/** Cross-entropy against soft targets (label smoothing, distillation), averaged over the batch; logp and each example's nll watched. */
const crossEntropyTape = ({ logits, targets }: Record<keyof CEInputs, Tensor>, watch: ag.Watch): Tensor => {
  const logp = watch("logp", ag.logSoftmax(logits, 1));
  const nll = watch("nll", ag.sum(ag.mul(targets, logp), 1).neg());
  return ag.mean(nll);
};

/**
 * By hand, L = (1/B) sum_b nll_b, nll_b = -sum_c t_bc logp_bc, logp = log softmax(logits), p = exp(logp):
 *   dL/dnll = 1/B                        <- written here as 1: the forgotten 1/batch
 *   dL/dlogp = -t dL/dnll
 *   dL/dlogits = dL/dlogp - p sum_c dL/dlogp = (p sum_c t - t) dL/dnll
 *   dL/dtargets = -logp / B              (this line keeps its 1/B)
 */
function crossEntropyBackwardForgetsBatch({ logits, targets }: CEInputs): CEInputs & Record<"nll" | "logp", NDArray> {
  const B = logits.shape[0]!;
  const logp = nd.logSoftmax(logits, 1);
  const p = nd.exp(logp);
  const dnll = nd.ones([B]); // should be nd.full([B], 1 / B)
  const dcol = nd.reshape(dnll, [B, 1]);
  return {
    nll: dnll,
    logp: nd.mul(nd.neg(targets), dcol),
    logits: nd.mul(nd.sub(nd.mul(p, nd.sum(targets, 1, true)), targets), dcol),
    targets: nd.div(nd.neg(logp), B),
  };
}

function crossEntropyCase(seed: number, batch: number) {
  const rs = new RandomState(seed + 2);
  const C = 5;
  const logits = nd.mul(rs.randn(batch, C), 2);
  const targets = nd.softmax(rs.randn(batch, C), 1);
  return compareDerivatives(crossEntropyTape, crossEntropyBackwardForgetsBatch, { logits, targets });
}

// ---------------------------------------------------------------- the walk-through

export interface DerivationCase {
  name: string;
  report: CompareReport;
  /** The inputs on which manual is the odd one. */
  manualOdd: string[];
}

export interface DerivationResult {
  cases: DerivationCase[];
  /** Case 1: max |tape - manual| of dx at each step, and that over max |tape| at the step. */
  lstmErrorPerStep: number[];
  lstmRelErrorPerStep: number[];
  /** Case 1's inputs and upstream gradient da, for checking the verdict by other means. */
  lstmInputs: LSTMInputs;
  lstmUpstream: NDArray;
  svgPath: string;
  svg: string;
}

const oddOnes = (r: CompareReport) => r.inputs.filter((e) => e.oddOne === "manual").map((e) => e.name);
const indent = (s: string) => s.replace(/^/gm, "    ");

export async function main(argv: string[]): Promise<DerivationResult> {
  const o = parseOptions(
    "usage: pnpm example derivation [options]\n\nThree backward passes written by hand, each held by compareDerivatives against the tape and\nagainst central finite differences: the notebook's lstm_backward as printed (wrong), a GRU cell\n(right, then with one sign flipped in the z gate), a softmax cross-entropy that forgets 1/batch\n(wrong on the logits). Each wrong one ends with its first wrong node named.",
    spec,
    argv,
  );

  say(`1. The notebook's lstm_backward exactly as printed, on its sizes (n_x 3, n_a 5, m 10, T_x ${o.steps}), RandomState(${o.seed}) in its drawing order.`);
  say("   Loss L = sum(da * a), da random over every step (the notebook's cell 4 draws a shorter da, and its dx then");
  say("   takes da's length: another fault, told in packages/nn/docs/notebook.md). f is the notebook's forward on the");
  say("   tape; manual is lstm_forward's caches fed to lstm_cell_backward and lstm_backward, transcribed as printed.\n");
  const { report: lstm, inputs: lstmInputs, upstream: lstmUpstream } = lstmCase(o.seed, o.steps);
  say(indent(formatReport(lstm)));
  const dx = lstm.inputs.find((e) => e.name === "x")!;
  const perStep = dx.along!.tapeVsManual!;
  const relPerStep = perStep.map((v, t) => v / Math.max(...dx.tape.slice(null, null, t).toFlat().map(Math.abs)));
  const fmt = (v: number) => (v < 1e-12 ? "0" : v.toExponential(2));
  say(`\n   manual is the odd one on: ${oddOnes(lstm).join(", ")}`);
  say(`   first wrong node: ${lstm.firstWrong ? `${lstm.firstWrong.name}, the gradient flowing into step ${o.steps - 2} = T-2 (read from ${lstm.firstWrong.neighbours.join(", ") || "the loss alone"})` : "none"}`);
  say(`   dx's max |tape - manual| per step t = 0 .. ${o.steps - 1}:  ${perStep.map(fmt).join("  ")}`);
  say(`   the same, over max |tape| at that step:            ${relPerStep.map((v) => (v < 1e-12 ? "0" : v.toFixed(2))).join("  ")}`);
  say("   Zero at the last step, which hears from no later step. Every step before it misses all that the steps");
  say("   after it send back through a_t and c_t (da_prevt and dc_prevt are never carried): from one step back the");
  say("   error is of the size of the gradient itself, and stays so. The library's lstmBackward carries them and");
  say("   agrees with both witnesses (packages/nn/docs/notebook.md).\n");

  say(`2. A GRU cell (PyTorch's equations, gates r, z, n, h' = (1 - z) n + z h), its backward written by hand;`);
  say(`   batch ${o.batch}, upstream dh' random; r, z, n and h' watched, manual giving each one's gradient from its line.`);
  say("   First derived right:\n");
  const gru = gruCase(o.seed, o.batch, false);
  say(indent(formatReport(gru)));
  say("\n   Then the same derivation with one sign flipped in the z gate's line: dz = G (n - h) where h' = (1 - z) n + z h");
  say("   gives dz = G (h - n) (the sign of the other convention, h' = z n + (1 - z) h).\n");
  const gruFlip = gruCase(o.seed, o.batch, true);
  say(indent(formatReport(gruFlip)));
  say(`\n   manual is the odd one on: ${oddOnes(gruFlip).join(", ") || "none"}`);
  say(`   first wrong node: ${gruFlip.firstWrong ? `${gruFlip.firstWrong.name} (read from ${gruFlip.firstWrong.neighbours.join(", ") || "the loss alone"}; agreeing before it: ${gruFlip.firstWrong.agreeing.join(", ") || "none"})` : "none"}\n`);

  say(`3. Softmax cross-entropy against soft targets, mean over a batch of ${o.batch}; the hand-written gradient of the`);
  say("   per-example losses nll forgets the 1/batch, and the logits inherit it (the targets' line keeps it).\n");
  const ce = crossEntropyCase(o.seed, o.batch);
  say(indent(formatReport(ce)));
  const logits = ce.inputs.find((e) => e.name === "logits")!;
  const ratio = logits.manual!.data[0]! / logits.tape.data[0]!;
  say(`\n   manual is the odd one on: ${oddOnes(ce).join(", ") || "none"}; manual / tape at [0,0] = ${ratio.toPrecision(6)} (the batch is ${o.batch})`);
  say(`   first wrong node: ${ce.firstWrong ? `${ce.firstWrong.name} (read from ${ce.firstWrong.neighbours.join(", ") || "the loss alone"}), where dL/dnll = 1/B was written as 1` : "none"}\n`);

  const grid = errorGrid(dx, "tapeVsManual", [1, 2]);
  const svg = heatmapSvg(grid, {
    title: "notebook lstm_backward as printed: |dx tape - dx manual|, max over features",
    rowLabel: "example (m)",
    colLabel: "step t",
  });
  const svgPath = join(o.out, "lstm-dx-error.svg");
  writeAtomic(svgPath, svg);
  say(`wrote ${svgPath}: case 1's dx error over (example, step)`);

  return {
    cases: [
      { name: "lstm-as-printed", report: lstm, manualOdd: oddOnes(lstm) },
      { name: "gru-cell", report: gru, manualOdd: oddOnes(gru) },
      { name: "gru-cell-z-sign-flipped", report: gruFlip, manualOdd: oddOnes(gruFlip) },
      { name: "cross-entropy-forgets-batch", report: ce, manualOdd: oddOnes(ce) },
    ],
    lstmErrorPerStep: perStep,
    lstmRelErrorPerStep: relPerStep,
    lstmInputs,
    lstmUpstream,
    svgPath,
    svg,
  };
}
