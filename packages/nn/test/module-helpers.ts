// Helpers for the module tests, one file for all of them: the PyTorch references
// (data/make-recurrent-reference.py, data/make-modules-reference.py), tolerant comparison,
// gradcheck with respect to a module's own parameters, PyTorch's initialisation as statistics,
// and running a recurrent stack or a small-network module the way its reference ran torch's.

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type GradcheckOptions, type GradcheckReport } from "@tapegrad/autograd";
import { GRU, LSTM, type SequenceOptions, type StackOptions } from "@tapegrad/nn";
import * as nn from "../src/index.js";

export interface Arr {
  shape: number[];
  data: number[];
}

export interface StackCase {
  name: string;
  kind: "lstm" | "gru";
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
  params: Record<string, Arr>;
  x: Arr;
  h0?: Arr;
  c0?: Arr;
  lengths?: number[];
  output: Arr;
  h_n: Arr;
  c_n?: Arr;
}

export interface CellCase {
  name: string;
  kind: "lstm" | "gru";
  inputSize: number;
  hiddenSize: number;
  params: Record<string, Arr>;
  x: Arr;
  h: Arr;
  c?: Arr;
  h_next: Arr;
  c_next?: Arr;
}

export interface Reference {
  linear: { name: string; inFeatures: number; outFeatures: number; weight: Arr; bias?: Arr; x: Arr; y: Arr }[];
  embedding: { weight: Arr; ids: Arr; y: Arr };
  cells: CellCase[];
  notebookCell: { params: Record<string, Arr>; xt: Arr; a_prev: Arr; c_prev: Arr; a_next: Arr; c_next: Arr };
  stacks: StackCase[];
}

export const ref = JSON.parse(readFileSync(new URL("./data/recurrent-reference.json", import.meta.url), "utf8")) as Reference;

export const toND = (a: Arr, dtype: nd.DType = "float64"): NDArray => nd.array(a.data, a.shape, dtype);

export function stateDictOf(params: Record<string, Arr>, dtype: nd.DType = "float64"): Record<string, NDArray> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toND(v, dtype)]));
}

/** Elementwise |a - b| <= atol + rtol |b|, with shapes equal; reports the worst element. */
export function expectClose(actual: NDArray | Tensor, expected: NDArray | Tensor, { rtol = 1e-10, atol = 1e-12 } = {}, what = ""): void {
  const a = actual instanceof Tensor ? actual.data : actual;
  const b = expected instanceof Tensor ? expected.data : expected;
  expect(a.shape, `${what} shape`).toEqual(b.shape);
  const x = a.toFlat();
  const y = b.toFlat();
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < x.length; i++) {
    const over = Math.abs(x[i]! - y[i]!) - (atol + rtol * Math.abs(y[i]!));
    if (over > excess || (over !== over && worst < 0)) [excess, worst] = [over, i];
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${x[worst]}, expected ${y[worst]} (|diff| ${Math.abs(x[worst]! - y[worst]!)})`);
  }
}

/** A field of a module that holds a tensor its forward reads (a Parameter). */
export type Slot = readonly [object, string];

/**
 * gradcheck of `run` with respect to module fields (parameters) and plain inputs: for the
 * check, each field is swapped for gradcheck's leaf, so the gradient flows through the module's
 * own forward; the fields are put back afterwards.
 */
export function gradcheckWith(slots: readonly Slot[], inputs: readonly Tensor[], run: (...inputs: Tensor[]) => Tensor, options: GradcheckOptions = {}): GradcheckReport {
  const owners = slots.map(([o, k]) => [o as Record<string, unknown>, k] as const);
  const originals = owners.map(([o, k]) => {
    const t = o[k];
    if (!(t instanceof Tensor)) throw new Error(`gradcheckWith: field ${k} holds no tensor`);
    return t;
  });
  const f = (...xs: Tensor[]): Tensor => {
    owners.forEach(([o, k], i) => (o[k] = xs[i]));
    try {
      return run(...xs.slice(owners.length));
    } finally {
      owners.forEach(([o, k], i) => (o[k] = originals[i]));
    }
  };
  return ag.gradcheck(f, [...originals, ...inputs], options);
}

/** The fields of a PyTorch-layout recurrent cell that hold parameters. */
export function cellSlots(cell: object): Slot[] {
  const c = cell as Record<string, unknown>;
  return ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].filter((k) => c[k] instanceof Tensor).map((k) => [cell, k] as const);
}

/** sum(y * r) for a fixed r: a scalar whose gradient reaches every element of y. */
export function project(y: Tensor, r: NDArray): Tensor {
  return y.mul(ag.tensor(r.dtype === y.dtype ? r : r.astype(y.dtype))).sum();
}

/** Values from U(-k, k): inside the bound, reaching it, mean 0, variance k^2/3, half inside k/2. */
export function expectUniform(a: NDArray, k: number, what: string): void {
  const v = a.toFlat();
  const n = v.length;
  const top = Math.max(...v.map(Math.abs));
  expect(top, `${what}: max |w|`).toBeLessThanOrEqual(k);
  // P(max |w| < k (1 - d)) = (1 - d)^n
  expect(top, `${what}: max |w|`).toBeGreaterThan(k * (1 - 20 / n));
  const mean = v.reduce((s, x) => s + x, 0) / n;
  expect(Math.abs(mean), `${what}: mean`).toBeLessThan(5 * k / Math.sqrt(3 * n));
  const m2 = v.reduce((s, x) => s + x * x, 0) / n;
  // Var(w^2) = k^4 (1/5 - 1/9) for U(-k, k)
  expect(Math.abs(m2 - (k * k) / 3), `${what}: E[w^2]`).toBeLessThan(5 * k * k * Math.sqrt((1 / 5 - 1 / 9) / n));
  const half = v.filter((x) => Math.abs(x) < k / 2).length / n;
  expect(Math.abs(half - 0.5), `${what}: P(|w| < k/2)`).toBeLessThan(5 * Math.sqrt(0.25 / n));
}

// ---- recurrent stacks (LSTM, GRU)

export type Stack = LSTM | GRU;
export interface Run {
  out: Tensor;
  h: Tensor;
  c: Tensor | null;
}

export function runStack(m: Stack, x: Tensor | NDArray, h0?: Tensor | NDArray, c0?: Tensor | NDArray, options: SequenceOptions = {}): Run {
  if (m instanceof LSTM) {
    const [out, [h, c]] = m.forward(x, h0 && c0 ? [h0, c0] : undefined, options);
    return { out, h, c };
  }
  const [out, h] = m.forward(x, h0, options);
  return { out, h, c: null };
}

export function makeStack(kind: "lstm" | "gru", inputSize: number, hiddenSize: number, options: StackOptions): Stack {
  return kind === "lstm" ? new LSTM(inputSize, hiddenSize, options) : new GRU(inputSize, hiddenSize, options);
}

export function fromCase(c: StackCase, dtype: nd.DType = "float64"): Stack {
  const m = makeStack(c.kind, c.inputSize, c.hiddenSize, { numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst, bias: c.bias, dtype });
  m.loadStateDict(stateDictOf(c.params, dtype)); // strict: the names and shapes are PyTorch's
  return m;
}

/** Every (cell, field) whose parameter a stack's forward reads. */
export function stackSlots(m: Stack): Slot[] {
  const slots: Slot[] = [];
  for (let l = 0; l < m.numLayers; l++) for (let d = 0; d < (m.bidirectional ? 2 : 1); d++) slots.push(...cellSlots(m.cell(l, d)));
  return slots;
}

export const shapes = (m: { namedParameters(): [string, { shape: readonly number[] }][] }) => m.namedParameters().map(([n, p]) => [n, [...p.shape]]);

/** The lengths of padVersusAlone's batch of four, longest first, one of a single step. */
export const PAD_LENGTHS = [5, 2, 3, 1];

/**
 * The batch run with padding, and each sequence run alone over its real steps only (a batch
 * of one, no padding at all), with the same upstream gradients on the real positions.
 */
export function padVersusAlone(kind: "lstm" | "gru", seed: number) {
  const lengths = PAD_LENGTHS;
  const rs = new RandomState(seed);
  const [B, T, I, H, D] = [lengths.length, 5, 3, 2, 2];
  const m = makeStack(kind, I, H, { numLayers: 2, bidirectional: true, batchFirst: true, rng: rs });
  const xd = rs.randn(B, T, I);
  lengths.forEach((len, b) => xd.slice(b, [len, T]).assign(nd.mul(rs.randn(T - len, I), 100))); // loud padding
  const h0d = rs.randn(2 * D, B, H);
  const c0d = rs.randn(2 * D, B, H);
  const [ro, rh, rc] = [rs.randn(B, T, D * H), rs.randn(2 * D, B, H), rs.randn(2 * D, B, H)];
  const lossOf = (r: Run, o: NDArray, hh: NDArray, cc: NDArray) => {
    const l = project(r.out, o).add(project(r.h, hh));
    return r.c ? l.add(project(r.c, cc)) : l;
  };

  const x = ag.tensor(xd, { requiresGrad: true });
  const h0 = ag.tensor(h0d, { requiresGrad: true });
  const c0 = ag.tensor(c0d, { requiresGrad: true });
  const padded = runStack(m, x, h0, c0, { lengths });
  lossOf(padded, ro, rh, rc).backward();
  const paddedGrads = m.namedParameters().map(([n, p]) => [n, p.grad!.copy()] as const);
  m.zeroGrad();

  // alone: the parameter gradients accumulate over the sequences, as the batch's sum over b
  const alone = lengths.map((len, b) => {
    const xb = ag.tensor(xd.slice(b, [0, len]).unsqueeze(0).copy(), { requiresGrad: true });
    const hb = ag.tensor(h0d.slice(null, [b, b + 1]).copy(), { requiresGrad: true });
    const cb = ag.tensor(c0d.slice(null, [b, b + 1]).copy(), { requiresGrad: true });
    const r = runStack(m, xb, hb, cb);
    lossOf(r, ro.slice([b, b + 1], [0, len]), rh.slice(null, [b, b + 1]), rc.slice(null, [b, b + 1])).backward();
    return { r, xb, hb, cb };
  });
  return { m, B, T, x, h0, c0, padded, paddedGrads, alone };
}

// ---- the small-network modules against PyTorch (data/make-modules-reference.py ran torch in
// float64 and stored each module's state dict, input, output and gradients)

interface Enc { shape: number[]; data: (number | "inf" | "-inf")[]; dtype?: "bool" }
export interface Case {
  name: string;
  kind: string;
  args: unknown[];
  opts: Record<string, unknown>;
  forward?: Record<string, unknown>;
  keys: [string, number[]][];
  state: Record<string, Enc>;
  inputs: Record<string, Enc>;
  outputs: Enc[];
  cotangents: Enc[];
  inputGrads: Record<string, Enc>;
  paramGrads: Record<string, Enc>;
}

export const REF = JSON.parse(readFileSync(new URL("./data/modules-reference.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: Case[];
  defaultKeys: Record<string, [string, number[]][]>;
};

const dec = (e: Enc): NDArray => {
  const vals = e.data.map((v) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : v));
  const a = nd.array(Float64Array.from(vals), e.shape);
  return e.dtype === "bool" ? nd.ne(a, 0) : a;
};

type AnyModule = nn.Module & { forward(...a: unknown[]): unknown };

function build(c: Case): AnyModule {
  const a = c.args as never[];
  const o = c.opts as never;
  const make: Record<string, () => nn.Module> = {
    LayerNorm: () => new nn.LayerNorm(a[0]!, o),
    GELU: () => new nn.GELU(o),
    SiLU: () => new nn.SiLU(),
    Softmax: () => new nn.Softmax(a[0]),
    LogSoftmax: () => new nn.LogSoftmax(a[0]),
    Flatten: () => new nn.Flatten(),
    Identity: () => new nn.Identity(),
    Conv1d: () => new nn.Conv1d(a[0]!, a[1]!, a[2]!, o),
    Conv2d: () => new nn.Conv2d(a[0]!, a[1]!, a[2]!, o),
    MaxPool1d: () => new nn.MaxPool1d(a[0]!, o),
    MaxPool2d: () => new nn.MaxPool2d(a[0]!, o),
    AvgPool1d: () => new nn.AvgPool1d(a[0]!, o),
    AvgPool2d: () => new nn.AvgPool2d(a[0]!, o),
    RNN: () => new nn.RNN(a[0]!, a[1]!, o),
    MultiheadAttention: () => new nn.MultiheadAttention(a[0]!, a[1]!, o),
    TransformerEncoderLayer: () => new nn.TransformerEncoderLayer(a[0]!, a[1]!, o),
  };
  const m = make[c.kind];
  if (!m) throw new Error(`no builder for ${c.kind}`);
  return m() as AnyModule;
}

/** Runs the module the way the script called torch's, returning the outputs torch returned. */
function run(c: Case, m: AnyModule, x: Record<string, Tensor | NDArray>): Tensor[] {
  switch (c.kind) {
    case "RNN": {
      const [out, h] = (m as unknown as nn.RNN).forward(x.x as Tensor, x.h0 as Tensor | undefined);
      return [out, h];
    }
    case "MultiheadAttention": {
      const opts: nn.AttentionForwardOptions = { ...(c.forward ?? {}) };
      if (x.keyPaddingMask) opts.keyPaddingMask = x.keyPaddingMask as NDArray;
      if (x.attnMask) opts.attnMask = x.attnMask as NDArray;
      const [out, w] = (m as unknown as nn.MultiheadAttention).forward(x.q as Tensor, x.k as Tensor, x.v as Tensor, opts);
      return [out, w!];
    }
    case "TransformerEncoderLayer": {
      const opts: nn.EncoderForwardOptions = {};
      if (x.srcMask) opts.srcMask = x.srcMask as NDArray;
      if (x.srcKeyPaddingMask) opts.srcKeyPaddingMask = x.srcKeyPaddingMask as NDArray;
      return [(m as unknown as nn.TransformerEncoderLayer).forward(x.x as Tensor, opts)];
    }
    default:
      return [m.forward(x.x) as Tensor];
  }
}

/** The reference's cases for the given module kinds ("Conv2d", ...), in the reference's order. */
export function torchCases(...kinds: string[]): Case[] {
  return REF.cases.filter((c) => kinds.includes(c.kind));
}

/**
 * Loads torch's state dict strictly (so the keys and shapes are PyTorch's), runs forward and
 * backward as the script ran torch's, and compares outputs and gradients with torch's.
 */
export function expectAsTorch(c: Case): void {
  const m = build(c);
  // strict: every one of torch's keys, and nothing else, with torch's shapes
  expect(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]])).toEqual(c.keys);
  m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, dec(v)])));
  m.eval();
  const inputs: Record<string, Tensor | NDArray> = {};
  for (const [k, v] of Object.entries(c.inputs)) {
    const a = dec(v);
    inputs[k] = v.dtype === "bool" || k.toLowerCase().includes("mask") ? a : new Tensor(a, true);
  }
  const outs = run(c, m, inputs);
  expect(outs.length).toBe(c.outputs.length);
  outs.forEach((o, i) => expectClose(o, dec(c.outputs[i]!), { rtol: 1e-9, atol: 1e-11 }, `output ${i}`));
  const loss = outs.map((o, i) => ag.sum(ag.mul(o, new Tensor(dec(c.cotangents[i]!))))).reduce((s, t) => ag.add(s, t));
  loss.backward();
  for (const [k, g] of Object.entries(c.inputGrads)) {
    const t = inputs[k];
    if (!(t instanceof Tensor)) continue;
    expectClose(t.grad ?? nd.zeros(t.shape), dec(g), { rtol: 1e-9, atol: 1e-11 }, `d/d${k}`);
  }
  const params = new Map(m.namedParameters());
  expect([...params.keys()].sort()).toEqual(Object.keys(c.paramGrads).sort());
  for (const [k, g] of Object.entries(c.paramGrads)) expectClose(params.get(k)!.grad!, dec(g), { rtol: 1e-9, atol: 1e-11 }, `d/d${k}`);
}

// ---- gradcheck (and gradgradcheck) through a module, every parameter and the inputs

const slots = (m: nn.Module): Slot[] => {
  const out: Slot[] = [];
  for (const [, mod] of m.namedModules()) for (const [k, v] of Object.entries(mod)) if (v instanceof nn.Parameter) out.push([mod, k]);
  return out;
};

/** gradcheck of `run` through every parameter of m and the inputs; gradgradcheck too where `second` (m is smooth there). */
export function check(m: nn.Module, inputs: nd.NDArray[], run: (...xs: Tensor[]) => Tensor, second = true): void {
  const ts = inputs.map((a) => new Tensor(a));
  const r = gradcheckWith(slots(m), ts, run);
  expect(r.passed, String(r)).toBe(true);
  if (second) {
    const rr = ag.gradgradcheck((...xs) => run(...xs), inputs);
    expect(rr.passed, String(rr)).toBe(true);
  }
}
