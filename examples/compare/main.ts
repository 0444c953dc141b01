// Autodiff against a derivation by hand: for the model you pick, the gradient of one loss three
// ways (the tape, a closed form derived by hand, central finite differences in float64) and a
// table per parameter of how far apart they are. Also draws the tape of one LSTM step (DOT and
// SVG), so you can see the composed module: an LSTM cell is a dozen primitive ops.
//
//   pnpm example compare                       # LSTMCell vs lstmCellBackward vs finite differences
//   pnpm example compare --model lstm --steps 6
//   pnpm example compare --model mlp --hidden 16

import { join } from "node:path";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import { LSTM, LSTMCell, Linear, Module, lstmBackward, lstmCellBackward, lstmCellForward, lstmForward, mseLoss, notebookLayout, type LSTMParameters } from "@tapegrad/nn";
import { parseOptions } from "../lib/cli.js";
import { writeAtomic } from "../lib/files.js";
import { dotToSvg, summarizeGraph, toDot } from "../lib/graph.js";

const MODELS = ["lstm-cell", "lstm", "mlp"] as const;
type ModelName = (typeof MODELS)[number];

const spec = {
  model: { type: "string", choices: MODELS, default: "lstm-cell", help: "the model whose gradient is compared" },
  input: { type: "integer", min: 1, default: 3, help: "input size (n_x)" },
  hidden: { type: "integer", min: 1, default: 4, help: "hidden size (n_a, or the MLP's hidden layer)" },
  outputs: { type: "integer", min: 1, default: 2, help: "mlp: output size" },
  batch: { type: "integer", min: 1, default: 2, help: "examples in the batch (m)" },
  steps: { type: "integer", min: 1, default: 5, help: "lstm: sequence length (T_x)" },
  seed: { type: "integer", min: 0, max: 2 ** 32 - 2, default: 1, help: "seed for inputs, weights and upstream gradients" },
  eps: { type: "number", above: 0, max: 1, default: 1e-5, help: "finite-difference step h: (L(w + h) - L(w - h)) / 2h" },
  out: { type: "string", file: "outdir", default: "out/compare", help: "folder for the graph picture (lstm-step.dot, lstm-step.svg)" },
  "no-graph": { type: "boolean", help: "skip the graph picture" },
} as const;

/** One gradient three ways. closed is null where no closed form exists. */
interface Witnessed {
  name: string;
  tape: NDArray;
  closed: NDArray | null;
  fd: NDArray;
}

export interface Difference {
  abs: number;
  rel: number;
}

export interface CompareRow {
  name: string;
  shape: number[];
  tapeVsClosed: Difference | null;
  tapeVsFd: Difference;
  closedVsFd: Difference | null;
}

export interface CompareResult {
  model: ModelName;
  /** what the loss is, in words */
  loss: string;
  rows: CompareRow[];
  worst: { tapeVsClosed: number | null; vsFd: number };
  graph: { dot: string; dotPath: string; svgPath: string; svg: string; ops: Record<string, number> } | null;
}

/** max |a - b|, and max |a - b| / max(|b|, 1e-3 max|b|): the floor keeps entries near zero from dividing noise. */
export function difference(a: NDArray, b: NDArray): Difference {
  if (!nd.shapesEqual(a.shape, b.shape)) throw new nd.ShapeError(`difference: shapes ${nd.fmtShape(a.shape)} and ${nd.fmtShape(b.shape)} differ`);
  const x = a.toFlat();
  const y = b.toFlat();
  const floor = Math.max(1e-3 * Math.max(0, ...y.map(Math.abs)), Number.MIN_VALUE);
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(Math.abs(y[i]!), floor));
  }
  return { abs, rel };
}

/** Central differences of a scalar loss in every entry of `a` (moved in place and put back), float64. */
const finiteDiff = (loss: () => number, a: NDArray, eps: number): NDArray => ag.centralDifferences(loss, a, eps);

const GATES = ["f", "i", "c", "o"] as const;

/** The notebook's per-gate weights W* (n_a, n_a + n_x) and biases b* (n_a, 1), drawn in its order. */
function drawNotebookParams(rs: RandomState, nX: number, nA: number): LSTMParameters {
  const p: Record<string, NDArray> = {};
  for (const g of GATES) {
    p[`W${g}`] = rs.randn(nA, nA + nX);
    p[`b${g}`] = rs.randn(nA, 1);
  }
  return p as unknown as LSTMParameters;
}

const gateRows = (p: LSTMParameters, tape: Record<string, NDArray>, closed: Record<string, NDArray>, fd: (a: NDArray) => NDArray): Witnessed[] =>
  GATES.flatMap((g) => (["W", "b"] as const).map((w) => ({ name: `${w}${g}`, tape: tape[`${w}${g}`]!, closed: closed[`d${w}${g}`]!, fd: fd(p[`${w}${g}` as "Wf"]) })));

// ---------------------------------------------------------------- lstm-cell

/** L = sum(da_next * a_next) + sum(dc_next * c_next) for one step, in the notebook's layout (examples are columns). */
function lstmCell(o: Options): { loss: string; rows: Witnessed[] } {
  const rs = new RandomState(o.seed);
  const [nX, nA, m] = [o.input, o.hidden, o.batch];
  const xt = rs.randn(nX, m);
  const aPrev = rs.randn(nA, m);
  const cPrev = rs.randn(nA, m);
  const p = drawNotebookParams(rs, nX, nA);
  const daNext = rs.randn(nA, m);
  const dcNext = rs.randn(nA, m);

  // 1. the tape: nn.LSTMCell (PyTorch layout, rows are examples) with the same weights
  const cell = LSTMCell.fromNotebookParams(p);
  const [x, h, c] = [xt, aPrev, cPrev].map((v) => ag.tensor(v, { requiresGrad: true })) as [Tensor, Tensor, Tensor];
  const [h2, c2] = cell.forward(x.T, [h.T, c.T]);
  h2.T.mul(ag.tensor(daNext)).sum().add(c2.T.mul(ag.tensor(dcNext)).sum()).backward();
  const tape = cell.notebookGrads();

  // 2. the closed form: the notebook's lstm_cell_backward
  const closed = lstmCellBackward(daNext, dcNext, lstmCellForward(xt, aPrev, cPrev, p).cache);

  // 3. finite differences of the same loss through the closed-form forward
  const loss = () => {
    const r = lstmCellForward(xt, aPrev, cPrev, p);
    return nd.sum(nd.mul(r.aNext, daNext)).item() + nd.sum(nd.mul(r.cNext, dcNext)).item();
  };
  const fd = (a: NDArray) => finiteDiff(loss, a, o.eps);
  return {
    loss: "loss: L = sum(da_next * a_next) + sum(dc_next * c_next), da_next and dc_next random",
    rows: [
      { name: "xt", tape: x.grad!, closed: closed.dxt, fd: fd(xt) },
      { name: "a_prev", tape: h.grad!, closed: closed.da_prev, fd: fd(aPrev) },
      { name: "c_prev", tape: c.grad!, closed: closed.dc_prev, fd: fd(cPrev) },
      ...gateRows(p, tape as unknown as Record<string, NDArray>, closed as unknown as Record<string, NDArray>, fd),
    ],
  };
}

// ---------------------------------------------------------------- lstm

/** L = sum over t of sum(da_t * a_t) + sum(dc_T * c_T): every hidden state and the last cell state get an upstream gradient. */
function lstmSequence(o: Options): { loss: string; rows: Witnessed[] } {
  const rs = new RandomState(o.seed);
  const [nX, nA, m, T] = [o.input, o.hidden, o.batch, o.steps];
  const x = rs.randn(nX, m, T);
  const a0 = rs.randn(nA, m);
  const c0 = rs.randn(nA, m);
  const p = drawNotebookParams(rs, nX, nA);
  const da = rs.randn(nA, m, T);
  const dcLast = rs.randn(nA, m);
  const dc = nd.zeros([nA, m, T]);
  dc.slice(null, null, T - 1).assign(dcLast);

  // 1. the tape: nn.LSTM, the notebook's (n_x, m, T) permuted to PyTorch's (T, m, n_x)
  const cell = LSTMCell.fromNotebookParams(p);
  const lstm = new LSTM(nX, nA);
  lstm.loadStateDict({ weight_ih_l0: cell.weight_ih.data, weight_hh_l0: cell.weight_hh.data, bias_ih_l0: cell.bias_ih!.data, bias_hh_l0: cell.bias_hh!.data });
  const [xT, a0T, c0T] = [x, a0, c0].map((v) => ag.tensor(v, { requiresGrad: true })) as [Tensor, Tensor, Tensor];
  const [out, [, cN]] = lstm.forward(xT.permute(2, 1, 0), [a0T.T.unsqueeze(0), c0T.T.unsqueeze(0)]);
  const a = out.permute(2, 1, 0);
  a.mul(ag.tensor(da)).sum().add(cN.squeeze(0).T.mul(ag.tensor(dcLast)).sum()).backward();
  const params = Object.fromEntries(lstm.namedParameters());
  const tape = notebookLayout(params.weight_ih_l0!.grad!, params.weight_hh_l0!.grad!, params.bias_ih_l0!.grad!);

  // 2. the closed form: backward through time, carrying da_prev and dc_prev
  const closed = lstmBackward(da, lstmForward(x, a0, p, { c0 }).caches, { dc });

  // 3. finite differences through the closed-form forward
  const loss = () => {
    const r = lstmForward(x, a0, p, { c0 });
    return nd.sum(nd.mul(r.a, da)).item() + nd.sum(nd.mul(r.c.slice(null, null, T - 1), dcLast)).item();
  };
  const fd = (v: NDArray) => finiteDiff(loss, v, o.eps);
  return {
    loss: `loss: L = sum over t < ${T} of sum(da_t * a_t) + sum(dc_T * c_T), da and dc_T random`,
    rows: [
      { name: "x", tape: xT.grad!, closed: closed.dx, fd: fd(x) },
      { name: "a0", tape: a0T.grad!, closed: closed.da0, fd: fd(a0) },
      { name: "c0", tape: c0T.grad!, closed: closed.dc0, fd: fd(c0) },
      ...gateRows(p, tape as unknown as Record<string, NDArray>, closed as unknown as Record<string, NDArray>, fd),
    ],
  };
}

// ---------------------------------------------------------------- mlp

class MLP extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(nIn: number, nHidden: number, nOut: number, rng: RandomState) {
    super();
    this.fc1 = new Linear(nIn, nHidden, { rng });
    this.fc2 = new Linear(nHidden, nOut, { rng });
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).tanh());
  }
}

/**
 * The MLP's backward by hand, for L = mean((y - t)^2) with y = tanh(x W1^T + b1) W2^T + b2:
 *   dy = 2 (y - t) / size(y)
 *   dW2 = dy^T h,  db2 = column sums of dy,  dh = dy W2
 *   dz = dh * (1 - h^2)                      (tanh' = 1 - tanh^2)
 *   dW1 = dz^T x,  db1 = column sums of dz,  dx = dz W1
 */
function mlpBackward(x: NDArray, W1: NDArray, b1: NDArray, W2: NDArray, b2: NDArray, t: NDArray) {
  const h = nd.tanh(nd.add(nd.matmul(x, W1.T), b1));
  const y = nd.add(nd.matmul(h, W2.T), b2);
  const dy = nd.mul(nd.sub(y, t), 2 / y.size);
  const dz = nd.mul(nd.matmul(dy, W2), nd.sub(1, nd.mul(h, h)));
  return { dW2: nd.matmul(dy.T, h), db2: nd.sum(dy, 0), dW1: nd.matmul(dz.T, x), db1: nd.sum(dz, 0), dx: nd.matmul(dz, W1) };
}

function mlp(o: Options): { loss: string; rows: Witnessed[] } {
  const rs = new RandomState(o.seed);
  const model = new MLP(o.input, o.hidden, o.outputs, rs);
  const xv = rs.randn(o.batch, o.input);
  const target = rs.randn(o.batch, o.outputs);

  // 1. the tape
  const x = ag.tensor(xv, { requiresGrad: true });
  mseLoss(model.forward(x), ag.tensor(target)).backward();

  // 2. the closed form above
  const [W1, b1, W2, b2] = [model.fc1.weight.data, model.fc1.bias!.data, model.fc2.weight.data, model.fc2.bias!.data];
  const closed = mlpBackward(xv, W1, b1, W2, b2, target);

  // 3. finite differences through a plain forward on the arrays
  const loss = () => {
    const y = nd.add(nd.matmul(nd.tanh(nd.add(nd.matmul(xv, W1.T), b1)), W2.T), b2);
    return nd.mean(nd.square(nd.sub(y, target))).item();
  };
  const fd = (a: NDArray) => finiteDiff(loss, a, o.eps);
  const closedOf: Record<string, NDArray> = { "fc1.weight": closed.dW1, "fc1.bias": closed.db1, "fc2.weight": closed.dW2, "fc2.bias": closed.db2 };
  return {
    loss: `loss: L = mean((y - t)^2), y = fc2(tanh(fc1(x))), t random; ${o.batch} examples, ${o.input} -> ${o.hidden} -> ${o.outputs}`,
    rows: [
      { name: "x", tape: x.grad!, closed: closed.dx, fd: fd(xv) },
      ...model.namedParameters().map(([name, p]) => ({ name, tape: p.grad!, closed: closedOf[name] ?? null, fd: fd(p.data) })),
    ],
  };
}

// ---------------------------------------------------------------- the graph of one LSTM step

/** One LSTMCell step on small sizes, as DOT: parameters by name, x, h, c as inputs, h' and c' as outputs. */
export function lstmStepDot(inputSize: number, hiddenSize: number, batch: number, seed = 1): { dot: string; ops: Record<string, number>; leaves: string[] } {
  const rs = new RandomState(seed);
  const cell = new LSTMCell(inputSize, hiddenSize, { rng: rs });
  const named = (v: NDArray, name: string) => Object.assign(ag.tensor(v), { name });
  const x = named(rs.randn(batch, inputSize), "x");
  const h = named(rs.randn(batch, hiddenSize), "h");
  const c = named(rs.randn(batch, hiddenSize), "c");
  const [h2, c2] = cell.forward(x, [h, c]);
  const names = cell.namedParameters();
  const dot = toDot(
    { "h'": h2, "c'": c2 },
    {
      names,
      title: `One LSTMCell step (input ${inputSize}, hidden ${hiddenSize}, batch ${batch}):\nthe tape that cell.forward(x, [h, c]) records\norange: parameters; grey: inputs; green: outputs`,
      outputLabel: (op, k) => (op.op === "split" && op.outputShapes.length === 4 ? "ifgo"[k] : undefined),
    },
  );
  const s = summarizeGraph([h2, c2], names);
  return { dot, ops: s.ops, leaves: s.leaves.map((l) => l.name ?? "?") };
}

// ---------------------------------------------------------------- the program

interface Options {
  input: number;
  hidden: number;
  outputs: number;
  batch: number;
  steps: number;
  seed: number;
  eps: number;
}

const exp = (v: number) => (v === 0 ? "0" : v.toExponential(1));

export async function main(argv: string[]): Promise<CompareResult> {
  const o = parseOptions(
    "usage: pnpm example compare [options]\n\nThe gradient of one loss three ways, for the model you pick: the tape (autograd through the\nnn module), a closed form derived by hand, and central finite differences in float64. Prints,\nper parameter, the max abs and max rel difference between each pair; then writes the tape of\none LSTM step as a picture (DOT and SVG).",
    spec,
    argv,
  );
  const model = o.model as ModelName;

  const what: Record<ModelName, string> = {
    "lstm-cell": `nn.LSTMCell (input ${o.input}, hidden ${o.hidden}, batch ${o.batch})\n  closed form: lstmCellBackward (the notebook's lstm_cell_backward)`,
    lstm: `nn.LSTM (input ${o.input}, hidden ${o.hidden}, batch ${o.batch}, ${o.steps} steps)\n  closed form: lstmBackward (backward through time)`,
    mlp: `a 2-layer MLP (Linear, tanh, Linear)\n  closed form: its backward derived by hand (mlpBackward in this file)`,
  };
  console.log(`${model}, seed ${o.seed}: the tape through ${what[model]}\n  finite differences: central, h = ${o.eps}, float64`);
  const { loss, rows: witnessed } = model === "lstm-cell" ? lstmCell(o) : model === "lstm" ? lstmSequence(o) : mlp(o);
  console.log(`  ${loss}\n`);

  const rows: CompareRow[] = witnessed.map((w) => ({
    name: w.name,
    shape: [...w.tape.shape],
    tapeVsClosed: w.closed ? difference(w.tape, w.closed) : null,
    tapeVsFd: difference(w.tape, w.fd),
    closedVsFd: w.closed ? difference(w.closed, w.fd) : null,
  }));
  const cells = (d: Difference | null) => (d ? [exp(d.abs), exp(d.rel)] : ["n/a", "n/a"]);
  const py = (s: readonly number[]) => `(${s.join(", ")}${s.length === 1 ? "," : ""})`;
  console.log(
    table(
      ["tape vs closed form", "tape vs finite diff", "closed vs finite diff"],
      ["gradient of", "shape", "max abs", "max rel", "max abs", "max rel", "max abs", "max rel"],
      rows.map((r) => [r.name, py(r.shape), ...cells(r.tapeVsClosed), ...cells(r.tapeVsFd), ...cells(r.closedVsFd)]),
    ),
  );
  const tc = rows.every((r) => r.tapeVsClosed) ? Math.max(...rows.map((r) => r.tapeVsClosed!.rel)) : null;
  const fdWorst = Math.max(...rows.flatMap((r) => [r.tapeVsFd.rel, r.closedVsFd?.rel ?? 0]));
  console.log("\nrel = |a - b| / max(|b|, 1e-3 * max |b|), the largest over the entries of the array.");
  if (model !== "mlp") {
    console.log("W*, b*: the notebook's per-gate [W_hh | W_ih] and b, i.e. rows of nn's weight_hh, weight_ih and\nbias_ih (gates stacked i, f, g, o); the tape's are from notebookLayout(grads).");
  }
  const agree = (tc === null || tc < 1e-9) && fdWorst < 1e-5;
  console.log(agree ? "\nThe three agree:" : "\nThe three DISAGREE:");
  if (tc !== null) console.log(`  tape vs closed form at most ${exp(tc)} relative (rounding; want < 1e-9)`);
  console.log(`  finite differences at most ${exp(fdWorst)} relative (their own error; want < 1e-5)`);

  let graph: CompareResult["graph"] = null;
  if (!o["no-graph"]) {
    const g = lstmStepDot(o.input, o.hidden, o.batch, o.seed);
    const dotPath = join(o.out, "lstm-step.dot");
    const svgPath = join(o.out, "lstm-step.svg");
    const svg = await dotToSvg(g.dot);
    writeAtomic(dotPath, g.dot);
    writeAtomic(svgPath, svg);
    const opList = Object.entries(g.ops).map(([k, n]) => `${k} x${n}`).join(", ");
    console.log(`\nthe tape of one LSTMCell step: ${opList}\n  leaves with gradients: ${g.leaves.join(", ")}`);
    console.log(`wrote ${dotPath} and ${svgPath}`);
    graph = { dot: g.dot, dotPath, svgPath, svg, ops: g.ops };
  }
  return { model, loss, rows, worst: { tapeVsClosed: tc, vsFd: fdWorst }, graph };
}

/**
 * Two text columns, then numeric columns in pairs, right-aligned: `groups` titles each pair
 * (centred over it), `header` names every column.
 */
function table(groups: readonly string[], header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  groups.forEach((g, k) => {
    const [a, b] = [2 + 2 * k, 3 + 2 * k];
    const short = g.length - (w[a]! + 2 + w[b]!);
    if (short > 0) {
      w[a]! += Math.ceil(short / 2);
      w[b]! += Math.floor(short / 2);
    }
  });
  const line = (r: readonly string[]) => "  " + r.map((s, c) => (c < 2 ? s.padEnd(w[c]!) : s.padStart(w[c]!))).join("  ").trimEnd();
  let top = "  " + " ".repeat(w[0]! + 2 + w[1]!);
  groups.forEach((g, k) => {
    const span = w[2 + 2 * k]! + 2 + w[3 + 2 * k]!;
    const left = Math.floor((span - g.length) / 2);
    top += "  " + (" ".repeat(left) + g).padEnd(span);
  });
  const rule = "  " + w.map((n) => "-".repeat(n)).join("  ");
  return [top.trimEnd(), line(header), rule, ...rows.map(line)].join("\n");
}
