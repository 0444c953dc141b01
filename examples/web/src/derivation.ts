// "Your derivation": the course notebook's lstm_cell_backward and lstm_backward, line by line,
// with every intermediate gradient the notebook computes held beside the tape's gradient of the
// same node and beside finite differences (compareDerivatives with watched nodes). The notebook's
// names are gradients of gate pre-activations (dft = dL/d(Wf z + bf)), so the tape's forward
// names the pre-activations with them, and each step's hidden state with da_next[t], the gradient
// the notebook's loop hands to step t.
//
// The cell is derived right: every node agrees. The loop is not: it never carries da_prev and
// dc_prev back, so walking from the loss, the first wrong node is da_next[T-2], read from the last
// step's gate gradients, which agree.

import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { compareDerivatives, type CompareReport, type DerivativeEntry, type Tensor, type Watch } from "@tapegrad/autograd";
import { lstmForward, type LSTMCellCache, type LSTMParameters } from "@tapegrad/nn";

const GATES = ["f", "i", "c", "o"] as const;
type ParamName = "Wf" | "bf" | "Wi" | "bi" | "Wc" | "bc" | "Wo" | "bo";
const PARAMS: readonly ParamName[] = ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"];

/** Each intermediate of the notebook's lstm_cell_backward, as its line computes it. */
export const CELL_LINES: Readonly<Record<string, string>> = {
  dot: "dot = da_next * tanh(c_next) * ot * (1 - ot)",
  dcct: "dcct = (da_next * ot * (1 - tanh(c_next)**2) + dc_next) * it * (1 - cct**2)",
  dit: "dit = (da_next * ot * (1 - tanh(c_next)**2) + dc_next) * cct * (1 - it) * it",
  dft: "dft = (da_next * ot * (1 - tanh(c_next)**2) + dc_next) * c_prev * ft * (1 - ft)",
  dxt: "dxt = Wf[:, n_a:].T @ dft + Wc[:, n_a:].T @ dcct + Wi[:, n_a:].T @ dit + Wo[:, n_a:].T @ dot",
  da_prev: "da_prev = Wf[:, :n_a].T @ dft + Wc[:, :n_a].T @ dcct + Wi[:, :n_a].T @ dit + Wo[:, :n_a].T @ dot",
  dc_prev: "dc_prev = (da_next * ot * (1 - tanh(c_next)**2) + dc_next) * ft",
  dWf: "dWf = dft @ [a_prev; xt].T",
  dWi: "dWi = dit @ [a_prev; xt].T",
  dWc: "dWc = dcct @ [a_prev; xt].T",
  dWo: "dWo = dot @ [a_prev; xt].T",
  dbf: "dbf = sum(dft, axis=1)",
  dbi: "dbi = sum(dit, axis=1)",
  dbc: "dbc = sum(dcct, axis=1)",
  dbo: "dbo = sum(dot, axis=1)",
  da_next: "lstm_backward hands step t: da_next = da[:, :, t] + da_prevt  (da_prevt: zeros, never assigned again)",
};

/** What the notebook's lstm_cell_backward computes, every intermediate kept. */
export type CellGradients = Record<"dot" | "dcct" | "dit" | "dft" | "dxt" | "da_prev" | "dc_prev" | "dWf" | "dWi" | "dWc" | "dWo" | "dbf" | "dbi" | "dbc" | "dbo", NDArray>;

/** The notebook's lstm_cell_backward, one line of it per line here, in nd ops. */
export function notebookCellBackward(da_next: NDArray, dc_next: NDArray, cache: LSTMCellCache): CellGradients {
  const { cNext: c_next, aPrev: a_prev, cPrev: c_prev, ft, it, cct, ot, xt, parameters: p } = cache;
  const nA = a_prev.shape[0]!;
  const one = (v: NDArray) => nd.sub(1, v);
  const tc = nd.tanh(c_next);
  // the gradient reaching c_next: through a_next = ot * tanh(c_next), and from the next step
  const dc = nd.add(nd.mul(nd.mul(da_next, ot), one(nd.square(tc))), dc_next);
  const dot = nd.mul(nd.mul(nd.mul(da_next, tc), ot), one(ot));
  const dcct = nd.mul(nd.mul(dc, it), one(nd.square(cct)));
  const dit = nd.mul(nd.mul(nd.mul(dc, cct), one(it)), it);
  const dft = nd.mul(nd.mul(nd.mul(dc, c_prev), ft), one(ft));
  const zT = nd.concat([a_prev, xt], 0).transpose();
  const part = (W: NDArray, from: number, to: number) => W.slice(null, [from, to]).transpose();
  const K = nA + xt.shape[0]!;
  const back = (from: number, to: number) =>
    nd.add(nd.add(nd.matmul(part(p.Wf, from, to), dft), nd.matmul(part(p.Wc, from, to), dcct)), nd.add(nd.matmul(part(p.Wi, from, to), dit), nd.matmul(part(p.Wo, from, to), dot)));
  return {
    dot, dcct, dit, dft,
    dxt: back(nA, K),
    da_prev: back(0, nA),
    dc_prev: nd.mul(dc, ft),
    dWf: nd.matmul(dft, zT), dWi: nd.matmul(dit, zT), dWc: nd.matmul(dcct, zT), dWo: nd.matmul(dot, zT),
    dbf: nd.sum(dft, 1, true), dbi: nd.sum(dit, 1, true), dbc: nd.sum(dcct, 1, true), dbo: nd.sum(dot, 1, true),
  };
}

/**
 * The notebook's lstm_backward as it is printed: da_prevt and dc_prevt start at zeros and are
 * never assigned again. Returns its gradients and, under the tape's node names, what each step
 * computed: da_next[t] (what the loop handed the step) and the gate gradients dft[t] ... dot[t].
 */
export function notebookBackward(da: NDArray, caches: LSTMCellCache[]): { nodes: Record<string, NDArray>; grads: Record<string, NDArray> } {
  const [nA, m, T] = da.shape as [number, number, number];
  const nX = caches[0]!.xt.shape[0]!;
  const dx = nd.zeros([nX, m, T]);
  const da_prevt = nd.zeros([nA, m]);
  const dc_prevt = nd.zeros([nA, m]);
  const sums: Record<string, NDArray> = {};
  for (const g of GATES) {
    sums[`dW${g}`] = nd.zeros([nA, nA + nX]);
    sums[`db${g}`] = nd.zeros([nA, 1]);
  }
  const nodes: Record<string, NDArray> = {};
  let da0 = nd.zeros([nA, m]);
  for (let t = T - 1; t >= 0; t--) {
    const da_next = nd.add(da.slice(null, null, t), da_prevt);
    const g = notebookCellBackward(da_next, dc_prevt, caches[t]!);
    nodes[`da_next[${t}]`] = da_next;
    for (const k of ["dot", "dcct", "dit", "dft"] as const) nodes[`${k}[${t}]`] = g[k];
    dx.slice(null, null, t).assign(g.dxt);
    for (const k of Object.keys(sums)) sums[k] = nd.add(sums[k]!, g[k as keyof CellGradients]);
    da0 = g.da_prev;
  }
  return { nodes, grads: { x: dx, a0: da0, ...Object.fromEntries(PARAMS.map((n) => [n, sums[`d${n}`]!])) } };
}

/** The notebook's forward for one step on the tape, pre-activations and the new states watched under the notebook's gradient names. */
function cellTape(xt: Tensor, a: Tensor, c: Tensor, P: Record<ParamName, Tensor>, watch: Watch, tag: string): { a: Tensor; c: Tensor } {
  const z = ag.concat([a, xt], 0);
  const pre = (g: (typeof GATES)[number]) => watch(`d${g === "c" ? "cc" : g}t${tag}`, ag.add(ag.matmul(P[`W${g}`], z), P[`b${g}`]));
  const ft = ag.sigmoid(pre("f"));
  const it = ag.sigmoid(pre("i"));
  const cct = ag.tanh(pre("c"));
  const ot = ag.sigmoid(pre("o"));
  const cNext = ag.add(ag.mul(ft, c), ag.mul(it, cct));
  return { a: ag.mul(ot, ag.tanh(cNext)), c: cNext };
}

/** The notebook's sizes and draws (cell 2's order up to bc), then the upstream gradients. */
function draw(seed: number, T: number) {
  const rs = new RandomState(seed);
  const x = rs.randn(3, 10, T);
  const a0 = rs.randn(5, 10);
  const p = {} as Record<ParamName, NDArray>;
  for (const g of ["f", "i", "o", "c"] as const) {
    p[`W${g}`] = rs.randn(5, 5 + 3);
    p[`b${g}`] = rs.randn(5, 1);
  }
  return { rs, x, a0, p };
}

export interface DerivationRow {
  name: string;
  /** "node": a watched intermediate; "input": an argument of the function. */
  kind: "node" | "input";
  /** The line of the notebook that computes it. */
  line: string;
  shape: readonly number[];
  /** Norms of the three witnesses' gradients (manual null where the derivation gives none). */
  tape: number;
  manual: number | null;
  fd: number;
  /** Largest |tape - manual|. */
  maxAbs: number | null;
  agree: boolean;
  verdict: string;
  firstWrong: boolean;
}

export interface DerivationView {
  title: string;
  rows: DerivationRow[];
  /** The first wrong node's name, the nodes its line read (agreeing), and the story in one sentence. */
  firstWrong: { name: string; neighbours: string[]; agreeing: string[] } | null;
  story: string;
  report: CompareReport;
}

const norm = (a: NDArray) => Math.hypot(...a.toFlat().filter((v) => !Number.isNaN(v)));

function lineOf(name: string): string {
  const base = name.replace(/\[\d+\]$/, "");
  return CELL_LINES[base] ?? CELL_LINES[`d${base}`] ?? (base === "x" ? "dx[:, :, t] = dxt" : base === "a0" ? "da0 = the first step's da_prev" : `d${base} = Σ_t d${base} of each step`);
}

function rowsOf(report: CompareReport, inputLine: (n: string) => string): DerivationRow[] {
  const row = (e: DerivativeEntry, kind: "node" | "input"): DerivationRow => ({
    name: e.name,
    kind,
    line: kind === "node" ? lineOf(e.name) : inputLine(e.name),
    shape: e.shape,
    tape: norm(e.tape),
    manual: e.manual ? norm(e.manual) : null,
    fd: norm(e.fd),
    maxAbs: e.tapeVsManual ? e.tapeVsManual.maxAbs : null,
    agree: e.agree,
    verdict: e.verdict,
    firstWrong: report.firstWrong?.name === e.name,
  });
  return [...report.nodes.map((e) => row(e, "node")), ...report.inputs.map((e) => row(e, "input"))];
}

function storyOf(report: CompareReport): string {
  const fw = report.firstWrong;
  if (!fw) {
    const bad = report.nodes.find((e) => !e.agree);
    return bad ? `no first wrong node: at ${bad.name}, ${bad.verdict}` : `every one of the ${report.nodes.length} watched nodes agrees with the tape and with finite differences`;
  }
  const tm = fw.entry.tapeVsManual!;
  const read = fw.neighbours.length ? `${fw.neighbours.join(", ")} ${fw.neighbours.length === 1 ? "agrees" : "agree"}` : "no watched node lies between it and the loss";
  return `${fw.name} is the first wrong node: ${read}; its line (${lineOf(fw.name)}) differs from the tape by up to ${tm.maxAbs.toExponential(2)}, while the tape and finite differences agree`;
}

/**
 * One step of the notebook's cell: L = sum(da_next * a_next) + sum(dc_next * c_next), the
 * notebook's lstm_cell_backward as manual, its gate gradients watched. Derived right: all agree.
 */
export function cellDerivation(seed = 1): DerivationView {
  const { rs, x, a0, p } = draw(seed, 1);
  const inputs = { xt: x.slice(null, null, 0).copy(), a_prev: a0, c_prev: rs.randn(5, 10), ...p };
  const daNext = rs.randn(5, 10);
  const dcNext = rs.randn(5, 10);
  type In = typeof inputs;
  const f = (t: { [K in keyof In]: Tensor }, watch: Watch) => {
    const { a, c } = cellTape(t.xt, t.a_prev, t.c_prev, t, watch, "");
    return ag.add(ag.sum(ag.mul(a, ag.tensor(daNext))), ag.sum(ag.mul(c, ag.tensor(dcNext))));
  };
  const manual = (v: In) => {
    const parameters = { Wf: v.Wf, bf: v.bf, Wi: v.Wi, bi: v.bi, Wc: v.Wc, bc: v.bc, Wo: v.Wo, bo: v.bo } as LSTMParameters;
    const { caches } = lstmForward(nd.unsqueeze(v.xt, 2), v.a_prev, parameters, { c0: v.c_prev });
    const g = notebookCellBackward(daNext, dcNext, caches[0]![0]!);
    return { dot: g.dot, dcct: g.dcct, dit: g.dit, dft: g.dft, xt: g.dxt, a_prev: g.da_prev, c_prev: g.dc_prev, Wf: g.dWf, bf: g.dbf, Wi: g.dWi, bi: g.dbi, Wc: g.dWc, bc: g.dbc, Wo: g.dWo, bo: g.dbo };
  };
  const report = compareDerivatives(f, manual, inputs);
  const inputLine = (n: string) => CELL_LINES[n === "xt" ? "dxt" : n === "a_prev" ? "da_prev" : n === "c_prev" ? "dc_prev" : `d${n}`] ?? n;
  return { title: "lstm_cell_backward (one step)", rows: rowsOf(report, inputLine), firstWrong: report.firstWrong && pick(report.firstWrong), story: storyOf(report), report };
}

const pick = (fw: NonNullable<CompareReport["firstWrong"]>) => ({ name: fw.name, neighbours: fw.neighbours, agreeing: fw.agreeing });

/**
 * T steps: L = Σ_t sum(da[:, :, t] * a_t), the notebook's lstm_backward as printed as manual,
 * each step's a (da_next[t]) and gate pre-activations (dft[t] ... dot[t]) watched. The first
 * wrong node is da_next[T-2].
 */
export function sequenceDerivation(seed = 1, T = 5): DerivationView {
  const { rs, x, a0, p } = draw(seed, T);
  const da = rs.randn(5, 10, T);
  const inputs = { x, a0, ...p };
  type In = typeof inputs;
  const f = (t: { [K in keyof In]: Tensor }, watch: Watch) => {
    let a = t.a0;
    let c = ag.mul(t.a0, 0);
    let L: Tensor | null = null;
    ag.unbind(t.x, 2).forEach((xt, s) => {
      ({ a, c } = cellTape(xt, a, c, t, watch, `[${s}]`));
      a = watch(`da_next[${s}]`, a);
      const term = ag.sum(ag.mul(a, ag.tensor(da.slice(null, null, s).copy())));
      L = L ? ag.add(L, term) : term;
    });
    return L!;
  };
  const manual = (v: In) => {
    const { caches } = lstmForward(v.x, v.a0, { Wf: v.Wf, bf: v.bf, Wi: v.Wi, bi: v.bi, Wc: v.Wc, bc: v.bc, Wo: v.Wo, bo: v.bo } as LSTMParameters);
    const { nodes, grads } = notebookBackward(da, caches[0]);
    return { ...nodes, ...grads };
  };
  const report = compareDerivatives(f, manual, inputs);
  const inputLine = (n: string) => (n === "x" ? "dx[:, :, t] = gradients['dxt']" : n === "a0" ? "da0 = gradients['da_prev'] of step 0" : `d${n} += gradients['d${n}'] at every step`);
  return { title: `lstm_backward as printed (T = ${T})`, rows: rowsOf(report, inputLine), firstWrong: report.firstWrong && pick(report.firstWrong), story: storyOf(report), report };
}
