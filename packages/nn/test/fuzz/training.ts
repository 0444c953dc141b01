// Random training steps of the kind users write (a model, a loss, an optimizer, maybe clipping and
// a scheduler stepped between calls), held to compile's contract by the differential harness: the
// compiled step equals the eager one bitwise after every call, or compile refuses.
//
// A case is plain data. One function turns it into source text (a `make` and an `inputs`); the
// runner evaluates that very text and `paste` prints it as a vitest block, so a pasted regression
// test is the case that failed, not a second rendering of it that could drift.

import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import * as nn from "@tapegrad/nn";
import { Divergence, differential, type Outcome, type Subject } from "../../../autograd/test/compile-harness.js";

export type DType = "float64" | "float32";
type Act = "relu" | "tanh" | "sigmoid" | "gelu" | "gelu-tanh" | "silu" | "identity" | "softmax" | "logsoftmax"
  // issue 26's activations
  | "leaky" | "elu" | "celu" | "selu" | "relu6" | "hardtanh" | "hardswish" | "hardsigmoid" | "softplus" | "softsign" | "mish" | "logsigmoid" | "softmin";
type MaskKind = "none" | "bool" | "float";

/** The body of a model: what turns the step's input into features (B, F) or (B, T, F). */
export type Body =
  | {
      kind: "stack"; cell: "LSTM" | "GRU" | "RNN"; I: number; H: number; numLayers: number; batchFirst: boolean;
      bidirectional: boolean; bias: boolean; dropout: number; nonlinearity: "tanh" | "relu"; forgetBias: number | null;
      state: "none" | "input" | "thread" | "carry"; pad: "none" | "lengths" | "mask"; lengths: number[];
      readout: "last" | "all" | "hidden" | "mean";
    }
  | {
      kind: "cell"; cell: "LSTMCell" | "GRUCell" | "RNNCell"; I: number; H: number; bias: boolean; nonlinearity: "tanh" | "relu";
      forgetBias: number | null; state: "none" | "input" | "thread" | "carry"; loop: "unbind" | "slice" | "slice-batch-first"; readout: "last" | "all";
    }
  | {
      kind: "mha"; heads: number; headDim: number; batchFirst: boolean; bias: boolean; dropout: number; cross: number | null;
      keyPadding: MaskKind; attnMask: MaskKind | "per-head"; causal: boolean; needWeights: boolean; average: boolean; readout: "all" | "mean";
    }
  | {
      kind: "encoder"; heads: number; headDim: number; ff: number; dropout: number; activation: "relu" | "gelu"; normFirst: boolean;
      batchFirst: boolean; bias: boolean; keyPadding: MaskKind; srcMask: MaskKind; causal: boolean; readout: "all" | "mean";
    }
  | {
      kind: "conv"; dims: 1 | 2; groups: number; cg: number; og: number; k: number; stride: number; padding: number | "same";
      dilation: number; bias: boolean; size: number; act: Act;
      pool: null | { type: "max" | "avg"; k: number; stride: number | null; padding: number; dilation: number; countIncludePad: boolean };
    }
  | { kind: "mlp"; I: number; H: number; act: Act; dropout: number; layerNorm: boolean; seq: boolean }
  | {
      // issue 26's layers: a 3x3 Conv2d (asymmetric pairs, "same", 0 or 1), a norm, a pool (ceilMode, indices and
      // MaxUnpool2d, adaptive), an upsampling (ConvTranspose2d, interpolate, PixelShuffle)
      kind: "vision"; C: number; O: number; size: number; pad: "pairs" | "same" | 0 | 1;
      norm: "batch" | "batch-cumulative" | "group" | "instance" | "none"; act: Act;
      pool: "max-ceil" | "max-unpool" | "avg-ceil" | "adaptive" | "none"; up: "convT" | "bilinear" | "bilinear-corners" | "nearest" | "pixelShuffle" | "none";
    };

export type Loss =
  | { kind: "squareMean" }
  | { kind: "mse"; reduction: "mean" | "sum" | "none" }
  | { kind: "ce"; reduction: "mean" | "sum" | "none"; labelSmoothing: number; weight: number[] | null; ignoreIndex: number | null; probs: boolean }
  | { kind: "nll"; reduction: "mean" | "sum" | "none"; weight: number[] | null; ignoreIndex: number | null }
  | { kind: "bce"; reduction: "mean" | "sum" | "none"; weight: boolean; posWeight: number[] | null; hard: boolean };

export type Optim =
  | { kind: "SGD"; lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number; maximize: boolean }
  | { kind: "Adam" | "AdamW"; lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean };

export type Sched =
  | { kind: "StepLR"; stepSize: number; gamma: number }
  | { kind: "MultiStepLR"; milestones: number[]; gamma: number }
  | { kind: "ExponentialLR"; gamma: number }
  | { kind: "CosineAnnealingLR"; tMax: number; etaMin: number }
  | { kind: "LinearLR"; startFactor: number; endFactor: number; totalIters: number }
  | { kind: "LambdaLR"; base: number }
  | { kind: "OneCycleLR"; maxLr: number; totalSteps: number; pctStart: number; annealStrategy: "cos" | "linear"; cycleMomentum: boolean; threePhase: boolean }
  | { kind: "SequentialLR"; milestone: number; gamma: number; startFactor: number }
  | { kind: "manual"; every: number; factor: number };

export interface TrainingCase {
  dtype: DType;
  /** weights (and the recurrent stacks' and attention's own dropout) */
  seed: number;
  /** the Dropout modules' masks */
  dropSeed: number;
  /** inputs of call i come from RandomState(dataSeed + i) */
  dataSeed: number;
  B: number;
  T: number;
  /** an Embedding of this many ids in front of the body (sequence bodies and the MLP only) */
  vocab: number | null;
  body: Body;
  post: { layerNorm: boolean; dropout: number };
  head: { out: number; bias: boolean } | null;
  loss: Loss;
  optim: Optim;
  groups: 1 | 2;
  clip: { maxNorm: number; normType: number } | null;
  sched: Sched | null;
  mode: "train" | "eval";
  zeroGrad: "optimizer" | "module" | "after-step";
  returns: "loss" | "loss+logits" | "loss+norm";
}

// ---------------------------------------------------------------- generation

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const int = (min: number, max: number) => fc.integer({ min, max });
const maskKind = pick<MaskKind>("none", "none", "bool", "float");
const act = pick<Act>(
  "relu", "tanh", "sigmoid", "gelu", "gelu-tanh", "silu", "identity", "softmax", "logsoftmax",
  "leaky", "elu", "celu", "selu", "relu6", "hardtanh", "hardswish", "hardsigmoid", "softplus", "softsign", "mish", "logsigmoid", "softmin",
);
const dropP = pick(0, 0, 0.25, 0.5);
// "thread" is truncated BPTT as compile supports it: the last call's state, detached, returned and
// passed back in as an argument. "carry" keeps it in a closure instead, which compile refuses (a
// replay runs kernels, not the step's assignment to the closure variable): drawn rarely, to keep
// the refusal and its message in view.
const recurrentState = pick("none" as const, "none" as const, "none" as const, "input" as const, "input" as const, "thread" as const, "thread" as const, "none" as const, "input" as const, "thread" as const, "carry" as const);

const stack: fc.Arbitrary<Body> = fc
  .record({
    kind: fc.constant("stack" as const), cell: pick("LSTM" as const, "GRU" as const, "RNN" as const), I: int(1, 4), H: int(1, 6),
    numLayers: int(1, 3), batchFirst: fc.boolean(), bidirectional: fc.boolean(), bias: pick(true, true, true, false), dropout: dropP,
    nonlinearity: pick("tanh" as const, "relu" as const), forgetBias: pick<number | null>(null, null, 1), state: recurrentState,
    pad: pick("none" as const, "none" as const, "lengths" as const, "mask" as const), lengths: fc.array(int(1, 5), { minLength: 3, maxLength: 3 }),
    readout: pick("last" as const, "all" as const, "hidden" as const, "mean" as const),
  });

const cell: fc.Arbitrary<Body> = fc.record({
  kind: fc.constant("cell" as const), cell: pick("LSTMCell" as const, "GRUCell" as const, "RNNCell" as const), I: int(1, 4), H: int(1, 6), bias: fc.boolean(),
  nonlinearity: pick("tanh" as const, "relu" as const), forgetBias: pick<number | null>(null, null, 1), state: recurrentState,
  loop: pick("unbind" as const, "slice" as const, "slice-batch-first" as const), readout: pick("last" as const, "all" as const),
});

const mha: fc.Arbitrary<Body> = fc.record({
  kind: fc.constant("mha" as const), heads: int(1, 2), headDim: int(1, 3), batchFirst: fc.boolean(), bias: fc.boolean(), dropout: dropP,
  cross: pick<number | null>(null, null, 1, 3), keyPadding: maskKind, attnMask: pick<MaskKind | "per-head">("none", "none", "bool", "float", "per-head"),
  causal: fc.boolean(), needWeights: fc.boolean(), average: fc.boolean(), readout: pick("all" as const, "mean" as const),
});

const encoder: fc.Arbitrary<Body> = fc.record({
  kind: fc.constant("encoder" as const), heads: int(1, 2), headDim: int(1, 3), ff: int(1, 6), dropout: dropP, activation: pick("relu" as const, "gelu" as const),
  normFirst: fc.boolean(), batchFirst: fc.boolean(), bias: fc.boolean(), keyPadding: maskKind, srcMask: maskKind, causal: fc.boolean(),
  readout: pick("all" as const, "mean" as const),
});

const conv: fc.Arbitrary<Body> = fc.record({
  kind: fc.constant("conv" as const), dims: pick(1 as const, 2 as const), groups: int(1, 2), cg: int(1, 2), og: int(1, 2), k: int(1, 3), stride: int(1, 2),
  padding: pick<number | "same">(0, 0, 1, "same"), dilation: int(1, 2), bias: fc.boolean(), size: int(0, 3), act,
  pool: fc.option(fc.record({
    type: pick("max" as const, "avg" as const), k: int(1, 3), stride: pick<number | null>(null, 1, 2), padding: int(0, 1), dilation: int(1, 2),
    countIncludePad: fc.boolean(),
  }), { nil: null }),
}).map((b) => {
  // padding "same" needs stride 1; a pool's padding at most half its kernel; avg pools have no dilation
  if (b.padding === "same") b.stride = 1;
  if (b.pool) {
    b.pool.padding = Math.min(b.pool.padding, Math.floor(b.pool.k / 2));
    if (b.pool.type === "avg") b.pool.dilation = 1;
  }
  return b;
});

const mlp: fc.Arbitrary<Body> = fc.record({
  kind: fc.constant("mlp" as const), I: int(1, 4), H: int(1, 6), act, dropout: dropP, layerNorm: fc.boolean(), seq: fc.boolean(),
});

const vision: fc.Arbitrary<Body> = fc.record({
  kind: fc.constant("vision" as const), C: int(1, 2), O: int(1, 3), size: int(0, 2), pad: pick<"pairs" | "same" | 0 | 1>("pairs", "same", 0, 1),
  norm: pick("batch" as const, "batch-cumulative" as const, "group" as const, "instance" as const, "none" as const), act,
  pool: pick("max-ceil" as const, "max-unpool" as const, "avg-ceil" as const, "adaptive" as const, "none" as const),
  up: pick("convT" as const, "bilinear" as const, "bilinear-corners" as const, "nearest" as const, "pixelShuffle" as const, "none" as const),
}).map((b) => (b.up === "pixelShuffle" ? { ...b, O: 4 } : b));

const body: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: stack, weight: 7 }, { arbitrary: cell, weight: 3 }, { arbitrary: mha, weight: 2 }, { arbitrary: encoder, weight: 2 },
  { arbitrary: conv, weight: 3 }, { arbitrary: mlp, weight: 3 }, { arbitrary: vision, weight: 3 },
);

const reduction = pick("mean" as const, "mean" as const, "sum" as const, "none" as const);
const weights = fc.array(pick(0.5, 1, 1.5, 2), { minLength: 6, maxLength: 6 });
const loss: fc.Arbitrary<Loss> = fc.oneof(
  fc.constant({ kind: "squareMean" as const }),
  fc.record({ kind: fc.constant("mse" as const), reduction }),
  fc.record({
    kind: fc.constant("ce" as const), reduction, labelSmoothing: pick(0, 0, 0.1), weight: fc.option(weights, { nil: null }),
    ignoreIndex: pick<number | null>(null, null, -1, 0), probs: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("nll" as const), reduction, weight: fc.option(weights, { nil: null }), ignoreIndex: pick<number | null>(null, null, -1, 1) }),
  fc.record({ kind: fc.constant("bce" as const), reduction, weight: fc.boolean(), posWeight: fc.option(weights, { nil: null }), hard: fc.boolean() }),
);

const optim: fc.Arbitrary<Optim> = fc.oneof(
  fc.record({
    kind: fc.constant("SGD" as const), lr: pick(0.1, 0.05, 0.01), momentum: pick(0, 0, 0.9, 0.5), dampening: pick(0, 0, 0.1),
    nesterov: fc.boolean(), weightDecay: pick(0, 0, 0.01), maximize: pick(false, false, false, true),
  }).map((o) => (o.nesterov ? { ...o, momentum: o.momentum || 0.9, dampening: 0 } : o)),
  fc.record({
    kind: pick("Adam" as const, "AdamW" as const), lr: pick(0.01, 0.003, 0.05), betas: pick<[number, number]>([0.9, 0.999], [0.8, 0.99]),
    eps: pick(1e-8, 1e-6), weightDecay: pick(0, 0, 0.01, 0.1), amsgrad: fc.boolean(), maximize: pick(false, false, false, true),
  }),
);

const sched: fc.Arbitrary<Sched> = fc.oneof(
  fc.record({ kind: fc.constant("StepLR" as const), stepSize: int(1, 4), gamma: pick(0.5, 0.9) }),
  fc.record({ kind: fc.constant("MultiStepLR" as const), milestones: fc.array(int(1, 9), { minLength: 1, maxLength: 3 }), gamma: pick(0.5, 0.1) }),
  fc.record({ kind: fc.constant("ExponentialLR" as const), gamma: pick(0.9, 0.7) }),
  fc.record({ kind: fc.constant("CosineAnnealingLR" as const), tMax: int(2, 12), etaMin: pick(0, 0.001) }),
  fc.record({ kind: fc.constant("LinearLR" as const), startFactor: pick(1 / 3, 0.5), endFactor: pick(1, 0.8), totalIters: int(1, 6) }),
  fc.record({ kind: fc.constant("LambdaLR" as const), base: pick(0.9, 0.95) }),
  fc.record({
    kind: fc.constant("OneCycleLR" as const), maxLr: pick(0.05, 0.01), totalSteps: int(10, 14), pctStart: pick(0.3, 0.5),
    annealStrategy: pick("cos" as const, "linear" as const), cycleMomentum: fc.boolean(), threePhase: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("SequentialLR" as const), milestone: int(1, 6), gamma: pick(0.9, 0.8), startFactor: pick(0.5, 0.25) }),
  fc.record({ kind: fc.constant("manual" as const), every: int(1, 4), factor: pick(0.5, 0.8) }),
);

/** Random training steps; every field a user would set, sizes kept tiny (batch 1-3, seq 1-5, hidden 1-6). */
export const arbitrary: fc.Arbitrary<TrainingCase> = fc
  .record({
    dtype: pick<DType>("float64", "float32"), seed: int(0, 9999), dropSeed: int(0, 9999), dataSeed: int(0, 9999),
    B: int(1, 3), T: int(1, 5), vocab: pick<number | null>(null, null, 5), body, post: fc.record({ layerNorm: pick(false, false, true), dropout: pick(0, 0, 0.3) }),
    headOut: int(1, 4), headBias: fc.boolean(), headless: pick(false, false, true), loss, optim, twoGroups: fc.boolean(),
    clip: fc.option(fc.record({ maxNorm: pick(0.1, 0.5, 1, 100), normType: pick(2, 2, 1, Infinity, 3) }), { nil: null }),
    sched: fc.option(sched, { nil: null }), mode: pick("train" as const, "train" as const, "eval" as const),
    zeroGrad: pick("optimizer" as const, "optimizer" as const, "module" as const, "after-step" as const),
    // "loss+norm" returns clipGradNorm's number, a value read inside the step, which compile refuses
    returns: fc.oneof({ arbitrary: fc.constant("loss" as const), weight: 12 }, { arbitrary: fc.constant("loss+logits" as const), weight: 6 }, { arbitrary: fc.constant("loss+norm" as const), weight: 1 }),
  })
  .map((r): TrainingCase => {
    const b = r.body;
    if (b.kind === "stack") b.lengths = b.lengths.slice(0, r.B).map((l) => Math.min(l, r.T));
    if (b.kind === "stack" && b.cell !== "LSTM") b.forgetBias = null;
    if (b.kind === "cell" && b.cell !== "LSTMCell") b.forgetBias = null;
    if ((b.kind === "stack" || b.kind === "cell") && !b.bias) b.forgetBias = null;
    if (b.kind === "mha" && b.cross !== null) b.causal = false;
    const classes = r.loss.kind === "ce" || r.loss.kind === "nll";
    // A loss that picks classes needs a head of that many classes; squareMean and mse may train the body's features directly.
    const headless = r.headless && !classes && r.loss.kind !== "bce";
    let loss = r.loss;
    const C = Math.max(r.headOut, classes && (loss as { ignoreIndex: number | null }).ignoreIndex !== null ? 2 : 1);
    if (loss.kind === "ce" || loss.kind === "nll" || loss.kind === "bce") {
      const w = loss.kind === "bce" ? loss.posWeight : loss.weight;
      if (w) loss = loss.kind === "bce" ? { ...loss, posWeight: w.slice(0, C) } : { ...loss, weight: w.slice(0, C) };
    }
    const vocab = b.kind === "conv" || b.kind === "vision" ? null : r.vocab;
    return {
      dtype: r.dtype, seed: r.seed, dropSeed: r.dropSeed, dataSeed: r.dataSeed, B: r.B, T: r.T, vocab, body: b, post: r.post,
      head: headless ? null : { out: C, bias: r.headBias }, loss, optim: r.optim, groups: r.twoGroups && !headless ? 2 : 1,
      clip: r.clip, sched: r.sched, mode: r.mode, zeroGrad: r.zeroGrad, returns: r.returns === "loss+norm" && !r.clip ? "loss" : r.returns,
    };
  });

// ---------------------------------------------------------------- source text

/** A JS literal for a plain value (numbers, strings, booleans, arrays, objects; `{ raw }` verbatim). */
function lit(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : v > 0 ? "Infinity" : "-Infinity";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `[${v.map(lit).join(", ")}]`;
  const o = v as Record<string, unknown>;
  if (typeof o.raw === "string" && Object.keys(o).length === 1) return o.raw;
  const parts = Object.entries(o).filter(([, x]) => x !== undefined).map(([k, x]) => (k === lit(x) ? k : `${k}: ${lit(x)}`));
  return parts.length ? `{ ${parts.join(", ")} }` : "{}";
}
const raw = (s: string) => ({ raw: s });

interface Arg {
  name: string;
  type: "ag.Tensor" | "nd.NDArray";
  expr: string;
}

/** Everything the case becomes: lines of make() before the step, the step's arguments, body, closing lines, and the state. */
interface Program {
  setup: string[];
  modules: string[];
  args: Arg[];
  forward: string[];
  state: string[];
}

/** The source of `make` and `inputs`; with `ts`, type annotations for a .test.ts file. */
export function source(c: TrainingCase, ts: boolean): { make: string; inputs: string } {
  const t = (s: string) => (ts ? s : "");
  const dt = c.dtype === "float32" ? "float32" : undefined;
  const cast = c.dtype === "float32" ? `.astype("float32")` : "";
  const randn = (...shape: number[]) => `ag.tensor(r.randn(${shape.join(", ")})${cast})`;
  const w = { rng: raw("rng"), dtype: dt };
  const p: Program = { setup: [], modules: [], args: [], forward: [], state: [] };
  const returned: string[] = [];
  // state threaded through the calls: returned first, and passed back in as arguments (h0, c0)
  const threaded: string[] = [];
  const threadArgs = (first: string, lstm: boolean): void => {
    const from = (k: number) => `prev === undefined ? ${first} : (prev${t(" as ag.Tensor[]")})[${k}]${t("!")}`;
    p.args.push({ name: "h0", type: "ag.Tensor", expr: from(0) });
    if (lstm) p.args.push({ name: "c0", type: "ag.Tensor", expr: from(1) });
  };
  const { B, T } = c;
  let featShape: number[];
  // the input: dense floats, or ids through an Embedding
  const input = (shape: number[], dim: number): void => {
    if (c.vocab === null) {
      p.args.push({ name: "x", type: "ag.Tensor", expr: randn(...shape, dim) });
      p.forward.push(`let h = x;`);
    } else {
      p.setup.push(`const emb = new nn.Embedding(${c.vocab}, ${dim}, ${lit(w)});`);
      p.modules.push("emb");
      p.args.push({ name: "ids", type: "ag.Tensor", expr: `ag.tensor(r.randint(0, ${c.vocab}, [${shape.join(", ")}]))` });
      p.forward.push(`let h = emb.forward(ids);`);
    }
  };
  const b = c.body;
  const maskArg = (name: string, kind: MaskKind | "per-head", rows: number[], S: number): string | null => {
    if (kind === "none") return null;
    // bool: true = masked; column 0 never is, so no query is left with nothing to attend to
    const expr = kind === "float" ? `r.randn(${[...rows, S].join(", ")})${cast}` : `nd.gt(nd.mul(r.rand(${[...rows, S].join(", ")}), nd.arange(${S})), 0.6)`;
    p.args.push({ name, type: "nd.NDArray", expr });
    return name;
  };
  switch (b.kind) {
    case "stack": {
      const D = b.bidirectional ? 2 : 1;
      input(b.batchFirst ? [B, T] : [T, B], b.I);
      const o = {
        numLayers: b.numLayers > 1 ? b.numLayers : undefined, batchFirst: b.batchFirst || undefined, bidirectional: b.bidirectional || undefined,
        bias: b.bias ? undefined : false, dropout: b.dropout || undefined, nonlinearity: b.cell === "RNN" && b.nonlinearity === "relu" ? "relu" : undefined,
        forgetBias: b.forgetBias ?? undefined, ...w,
      };
      p.setup.push(`const model = new nn.${b.cell}(${b.I}, ${b.H}, ${lit(o)});`);
      p.modules.push("model");
      const lstm = b.cell === "LSTM";
      const stateType = lstm ? "[ag.Tensor, ag.Tensor]" : "ag.Tensor";
      let init = "undefined";
      if (b.state === "input") {
        p.args.push({ name: "h0", type: "ag.Tensor", expr: randn(b.numLayers * D, B, b.H) });
        if (lstm) p.args.push({ name: "c0", type: "ag.Tensor", expr: randn(b.numLayers * D, B, b.H) });
        init = lstm ? "[h0, c0]" : "h0";
      } else if (b.state === "thread") {
        threadArgs(randn(b.numLayers * D, B, b.H), lstm);
        init = lstm ? "[h0, c0]" : "h0";
      } else if (b.state === "carry") {
        p.setup.push(`let carry${t(`: ${stateType} | undefined`)};`);
        p.state.push("carry");
        init = "carry";
      }
      let seqOpts = "";
      if (b.pad === "lengths") seqOpts = `, { lengths: ${lit(b.lengths)} }`;
      if (b.pad === "mask") {
        p.args.push({ name: "mask", type: "nd.NDArray", expr: `nd.ge(r.rand(${b.batchFirst ? `${B}, ${T}` : `${T}, ${B}`}), 0.25)` });
        seqOpts = ", { mask }";
      }
      const call = `model.forward(h, ${init}${seqOpts})`.replace(/, undefined\)$/, ")");
      p.forward.push(lstm ? `const [out, [hN, cN]] = ${call};` : `const [out, hN] = ${call};`);
      if (b.state === "carry") p.forward.push(lstm ? `carry = [hN.detach(), cN.detach()];` : `carry = hN.detach();`);
      if (b.state === "thread") threaded.push(...(lstm ? ["hN.detach()", "cN.detach()"] : ["hN.detach()"]));
      const F = D * b.H;
      const timeAxis = b.batchFirst ? 1 : 0;
      if (b.readout === "last") p.forward.push(b.batchFirst ? `h = out.slice(null, ${T - 1});` : `h = out.slice(${T - 1});`), (featShape = [B, F]);
      else if (b.readout === "mean") p.forward.push(`h = out.mean(${timeAxis});`), (featShape = [B, F]);
      else if (b.readout === "hidden") p.forward.push(`h = hN.slice(${b.numLayers * D - 1});`), (featShape = [B, b.H]);
      else p.forward.push(b.batchFirst ? `h = out;` : `h = out.permute(1, 0, 2);`), (featShape = [B, T, F]);
      break;
    }
    case "cell": {
      const batchFirst = b.loop === "slice-batch-first";
      input(batchFirst ? [B, T] : [T, B], b.I);
      const o = { bias: b.bias ? undefined : false, nonlinearity: b.cell === "RNNCell" && b.nonlinearity === "relu" ? "relu" : undefined, forgetBias: b.forgetBias ?? undefined, ...w };
      p.setup.push(`const cell = new nn.${b.cell}(${b.I}, ${b.H}, ${lit(o)});`);
      p.modules.push("cell");
      const lstm = b.cell === "LSTMCell";
      const stateType = lstm ? "[ag.Tensor, ag.Tensor]" : "ag.Tensor";
      if (b.state === "input") {
        p.args.push({ name: "h0", type: "ag.Tensor", expr: randn(B, b.H) });
        if (lstm) p.args.push({ name: "c0", type: "ag.Tensor", expr: randn(B, b.H) });
        p.forward.push(`let s${t(`: ${stateType} | undefined`)} = ${lstm ? "[h0, c0]" : "h0"};`);
      } else if (b.state === "thread") {
        threadArgs(randn(B, b.H), lstm);
        p.forward.push(`let s${t(`: ${stateType} | undefined`)} = ${lstm ? "[h0, c0]" : "h0"};`);
      } else if (b.state === "carry") {
        p.setup.push(`let carry${t(`: ${stateType} | undefined`)};`);
        p.state.push("carry");
        p.forward.push(`let s = carry;`);
      } else p.forward.push(`let s${t(`: ${stateType} | undefined`)};`);
      const hOf = lstm ? "s[0]" : "s";
      const hOfAfter = lstm ? `s${t("!")}[0]` : `s${t("!")}`;
      p.forward.push(`const hs${t(": ag.Tensor[]")} = [];`);
      const stepLine = `s = cell.forward(xt, s); hs.push(${hOf});`;
      if (b.loop === "unbind") p.forward.push(`for (const xt of ag.unbind(h, 0)) { ${stepLine} }`);
      else p.forward.push(`for (let i = 0; i < ${T}; i++) { const xt = h.slice(${batchFirst ? "null, i" : "i"}); ${stepLine} }`);
      if (b.state === "carry") p.forward.push(lstm ? `carry = [s${t("!")}[0].detach(), s${t("!")}[1].detach()];` : `carry = s${t("!")}.detach();`);
      if (b.state === "thread") threaded.push(...(lstm ? [`s${t("!")}[0].detach()`, `s${t("!")}[1].detach()`] : [`s${t("!")}.detach()`]));
      if (b.readout === "last") p.forward.push(`h = ${hOfAfter};`), (featShape = [B, b.H]);
      else p.forward.push(`h = ag.stack(hs, 1);`), (featShape = [B, T, b.H]);
      break;
    }
    case "mha": {
      const E = b.heads * b.headDim;
      input(b.batchFirst ? [B, T] : [T, B], E);
      p.setup.push(`const attn = new nn.MultiheadAttention(${E}, ${b.heads}, ${lit({ dropout: b.dropout || undefined, bias: b.bias ? undefined : false, batchFirst: b.batchFirst || undefined, ...w })});`);
      p.modules.push("attn");
      const S = b.cross ?? T;
      let kv = "h";
      if (b.cross !== null) {
        p.args.push({ name: "kv", type: "ag.Tensor", expr: randn(...(b.batchFirst ? [B, S] : [S, B]), E) });
        kv = "kv";
      }
      const kpm = maskArg("keyPadding", b.keyPadding, [B], S);
      const am = maskArg("attnMask", b.attnMask === "per-head" ? "bool" : b.attnMask, b.attnMask === "per-head" ? [B * b.heads, T] : [T], S);
      const o = {
        keyPaddingMask: kpm ? raw(kpm) : undefined, attnMask: am ? raw(am) : undefined, isCausal: b.causal || undefined,
        needWeights: b.needWeights ? undefined : false, averageAttnWeights: b.needWeights && !b.average ? false : undefined,
      };
      p.forward.push(`const [out, weights] = attn.forward(h, ${kv}, ${kv}${lit(o) === "{}" ? "" : `, ${lit(o)}`});`);
      // returned, not kept in a closure: a replay runs kernels, not the step's assignments
      if (b.needWeights) returned.push("weights");
      else p.forward.push(`void weights;`);
      const seq = b.batchFirst ? "out" : "out.permute(1, 0, 2)";
      if (b.readout === "mean") p.forward.push(`h = ${seq}.mean(1);`), (featShape = [B, E]);
      else p.forward.push(`h = ${seq};`), (featShape = [B, T, E]);
      break;
    }
    case "encoder": {
      const E = b.heads * b.headDim;
      input(b.batchFirst ? [B, T] : [T, B], E);
      const o = {
        dimFeedforward: b.ff, dropout: b.dropout, activation: b.activation === "gelu" ? "gelu" : undefined, normFirst: b.normFirst || undefined,
        batchFirst: b.batchFirst || undefined, bias: b.bias ? undefined : false, ...w,
      };
      p.setup.push(`const layer = new nn.TransformerEncoderLayer(${E}, ${b.heads}, ${lit(o)});`);
      p.modules.push("layer");
      const kpm = maskArg("keyPadding", b.keyPadding, [B], T);
      const sm = maskArg("srcMask", b.srcMask, [T], T);
      const fo = { srcMask: sm ? raw(sm) : undefined, srcKeyPaddingMask: kpm ? raw(kpm) : undefined, isCausal: b.causal || undefined };
      p.forward.push(`const out = layer.forward(h${lit(fo) === "{}" ? "" : `, ${lit(fo)}`});`);
      const seq = b.batchFirst ? "out" : "out.permute(1, 0, 2)";
      if (b.readout === "mean") p.forward.push(`h = ${seq}.mean(1);`), (featShape = [B, E]);
      else p.forward.push(`h = ${seq};`), (featShape = [B, T, E]);
      break;
    }
    case "conv": {
      const Cin = b.groups * b.cg;
      const Cout = b.groups * b.og;
      const span = b.dilation * (b.k - 1) + 1;
      const pad = b.padding === "same" ? 0 : b.padding;
      const L = Math.max(1, span - 2 * pad) + b.size;
      const spatial = b.dims === 1 ? [L] : [L, L + (b.size % 2)];
      let outSpatial = spatial.map((d) => (b.padding === "same" ? d : Math.floor((d + 2 * pad - span) / b.stride) + 1));
      p.args.push({ name: "x", type: "ag.Tensor", expr: randn(B, Cin, ...spatial) });
      const kind = b.dims === 1 ? "Conv1d" : "Conv2d";
      const o = { stride: b.stride > 1 ? b.stride : undefined, padding: b.padding || undefined, dilation: b.dilation > 1 ? b.dilation : undefined, groups: b.groups > 1 ? b.groups : undefined, bias: b.bias ? undefined : false, ...w };
      p.setup.push(`const conv = new nn.${kind}(${Cin}, ${Cout}, ${b.k}, ${lit(o)});`);
      p.modules.push("conv");
      p.forward.push(`let h = conv.forward(x);`);
      const a = activation(b.act, "h", 1);
      if (a) p.forward.push(`h = ${a};`);
      const pl = b.pool;
      if (pl) {
        const pspan = pl.dilation * (pl.k - 1) + 1;
        if (outSpatial.every((d) => d + 2 * pl.padding >= pspan)) {
          const s = pl.stride ?? pl.k;
          outSpatial = outSpatial.map((d) => Math.floor((d + 2 * pl.padding - pspan) / s) + 1);
          const pk = `${pl.type === "max" ? "Max" : "Avg"}Pool${b.dims}d`;
          const po = {
            stride: pl.stride ?? undefined, padding: pl.padding || undefined, dilation: pl.type === "max" && pl.dilation > 1 ? pl.dilation : undefined,
            countIncludePad: pl.type === "avg" && !pl.countIncludePad && pl.padding > 0 ? false : undefined,
          };
          p.setup.push(`const pool = new nn.${pk}(${pl.k}${lit(po) === "{}" ? "" : `, ${lit(po)}`});`);
          p.forward.push(`h = pool.forward(h);`);
        }
      }
      const out = Cout * outSpatial.reduce((x, y) => x * y, 1);
      p.forward.push(`h = h.reshape([${B}, ${out}]);`);
      featShape = [B, out];
      break;
    }
    case "vision": {
      let [H, W] = [4 + b.size, 4 + b.size + (b.size % 2)];
      p.args.push({ name: "x", type: "ag.Tensor", expr: randn(B, b.C, H, W) });
      const padding = b.pad === "pairs" ? raw("[[1, 0], [0, 1]]") : b.pad === 0 ? undefined : b.pad;
      p.setup.push(`const conv = new nn.Conv2d(${b.C}, ${b.O}, 3, ${lit({ padding, ...w })});`);
      p.modules.push("conv");
      p.forward.push(`let h = conv.forward(x);`);
      const grow = b.pad === "pairs" ? -1 : b.pad === 0 ? -2 : 0;
      [H, W] = [H + grow, W + grow];
      const norms = {
        batch: `new nn.BatchNorm2d(${b.O}, ${lit({ dtype: dt })})`,
        "batch-cumulative": `new nn.BatchNorm2d(${b.O}, ${lit({ momentum: null, dtype: dt })})`,
        group: `new nn.GroupNorm(1, ${b.O}, ${lit({ dtype: dt })})`,
        instance: `new nn.InstanceNorm2d(${b.O}, ${lit({ affine: true, trackRunningStats: true, dtype: dt })})`,
      };
      if (b.norm !== "none") {
        p.setup.push(`const norm2d = ${norms[b.norm]};`);
        p.modules.push("norm2d");
        p.forward.push(`h = norm2d.forward(h);`);
        // the running statistics are state a replay must update as eager does
        if (b.norm !== "group") p.state.push("buffers: Object.fromEntries(net.namedBuffers())");
      }
      const a = activation(b.act, "h", 1);
      if (a) p.forward.push(`h = ${a};`);
      const ceilHalf = (d: number, pad: number) => {
        let o = Math.ceil((d + 2 * pad - 2) / 2) + 1;
        if ((o - 1) * 2 >= d + pad) o--;
        return o;
      };
      if (b.pool === "max-ceil") p.forward.push(`h = nn.maxPool2d(h, 2, { ceilMode: true });`), ([H, W] = [ceilHalf(H, 0), ceilHalf(W, 0)]);
      if (b.pool === "avg-ceil") p.forward.push(`h = nn.avgPool2d(h, 2, { ceilMode: true, padding: 1, countIncludePad: false });`), ([H, W] = [ceilHalf(H, 1), ceilHalf(W, 1)]);
      if (b.pool === "adaptive") p.forward.push(`h = nn.adaptiveAvgPool2d(h, [2, 1]);`), ([H, W] = [2, 1]);
      if (b.pool === "max-unpool") {
        p.setup.push(`const unpool = new nn.MaxUnpool2d(2);`);
        // the pooled input's own size: an odd one is within a stride of the default, and its indices reach it
        p.forward.push(`const [pooled, where] = nn.maxPool2d(h, 2, { returnIndices: true });`, `h = unpool.forward(pooled, where, [${H}, ${W}]);`);
      }
      let channels = b.O;
      if (b.up === "convT") {
        p.setup.push(`const up = new nn.ConvTranspose2d(${b.O}, ${b.O}, 2, ${lit({ stride: 2, outputPadding: 1, ...w })});`);
        p.modules.push("up");
        p.forward.push(`h = up.forward(h);`);
        [H, W] = [2 * H + 1, 2 * W + 1];
      }
      if (b.up === "bilinear" || b.up === "bilinear-corners") {
        p.forward.push(`h = nn.interpolate(h, ${lit({ scaleFactor: 1.5, mode: "bilinear", alignCorners: b.up === "bilinear-corners" || undefined })});`);
        [H, W] = [Math.floor(H * 1.5), Math.floor(W * 1.5)];
      }
      if (b.up === "nearest") p.forward.push(`h = nn.interpolate(h, { size: [${H + 1}, ${W + 2}] });`), ([H, W] = [H + 1, W + 2]);
      if (b.up === "pixelShuffle") p.forward.push(`h = nn.pixelShuffle(h, 2);`), ([H, W, channels] = [2 * H, 2 * W, b.O / 4]);
      const out = channels * H * W;
      p.forward.push(`h = h.reshape([${B}, ${out}]);`);
      featShape = [B, out];
      break;
    }
    case "mlp": {
      input(b.seq ? [B, T] : [B], b.I);
      const layers = [`new nn.Linear(${b.I}, ${b.H}, ${lit(w)})`];
      const a = activationModule(b.act);
      if (a) layers.push(a);
      if (b.dropout) layers.push(`new nn.Dropout(${b.dropout}, { rng: drop })`);
      if (b.layerNorm) layers.push(`new nn.LayerNorm(${b.H}${dt ? `, { dtype: "float32" }` : ""})`);
      layers.push(`new nn.Linear(${b.H}, ${b.H}, ${lit(w)})`);
      p.setup.push(`const mlp = new nn.Sequential(${layers.join(", ")});`);
      p.modules.push("mlp");
      p.forward.push(`h = mlp.forward(h);`);
      featShape = b.seq ? [B, T, b.H] : [B, b.H];
      break;
    }
  }
  const F = featShape[featShape.length - 1]!;
  if (c.post.layerNorm) {
    p.setup.push(`const norm = new nn.LayerNorm(${F}${dt ? `, { dtype: "float32" }` : ""});`);
    p.modules.push("norm");
    p.forward.push(`h = norm.forward(h);`);
  }
  if (c.post.dropout) {
    p.setup.push(`const dropout = new nn.Dropout(${c.post.dropout}, { rng: drop });`);
    p.forward.push(`h = dropout.forward(h);`);
  }
  const bodyModules = [...p.modules];
  let C = F;
  if (c.head) {
    p.setup.push(`const head = new nn.Linear(${F}, ${c.head.out}, ${lit({ bias: c.head.bias ? undefined : false, ...w })});`);
    p.modules.push("head");
    p.forward.push(`const logits = head.forward(h);`);
    C = c.head.out;
  } else p.forward.push(`const logits = h;`);
  const outShape = [...featShape.slice(0, -1), C];
  const seq = outShape.length === 3;
  // the loss, its target an argument of the step
  const L = c.loss;
  const red = (r: "mean" | "sum" | "none") => (r === "mean" ? undefined : r);
  const tail = (r: "mean" | "sum" | "none") => (r === "none" ? ".mean()" : "");
  const classLogits = seq ? "logits.permute(0, 2, 1)" : "logits";
  const targetShape = seq ? [B, T] : [B];
  switch (L.kind) {
    case "squareMean":
      p.forward.push(`const loss = logits.square().mean();`);
      break;
    case "mse":
      p.args.push({ name: "y", type: "ag.Tensor", expr: randn(...outShape) });
      p.forward.push(`const loss = nn.mseLoss(logits, y${lit({ reduction: red(L.reduction) }) === "{}" ? "" : `, ${lit({ reduction: red(L.reduction) })}`})${tail(L.reduction)};`);
      break;
    case "ce": {
      const shape = seq ? [B, C, T] : [B, C];
      if (L.probs) p.args.push({ name: "y", type: "ag.Tensor", expr: `ag.tensor(((q${t(": nd.NDArray")}) => nd.div(q, nd.sum(q, 1, true)))(r.rand(${shape.join(", ")}))${cast})` });
      else p.args.push({ name: "y", type: "ag.Tensor", expr: `ag.tensor(r.randint(${L.ignoreIndex === -1 ? -1 : 0}, ${C}, [${targetShape.join(", ")}]))` });
      const o = { reduction: red(L.reduction), labelSmoothing: L.labelSmoothing || undefined, weight: L.weight ?? undefined, ignoreIndex: L.probs ? undefined : L.ignoreIndex ?? undefined };
      p.forward.push(`const loss = nn.crossEntropy(${classLogits}, y${lit(o) === "{}" ? "" : `, ${lit(o)}`})${tail(L.reduction)};`);
      break;
    }
    case "nll": {
      p.args.push({ name: "y", type: "ag.Tensor", expr: `ag.tensor(r.randint(${L.ignoreIndex === -1 ? -1 : 0}, ${C}, [${targetShape.join(", ")}]))` });
      const o = { reduction: red(L.reduction), weight: L.weight ?? undefined, ignoreIndex: L.ignoreIndex ?? undefined };
      p.forward.push(`const loss = nn.nllLoss(ag.logSoftmax(${classLogits}, 1), y${lit(o) === "{}" ? "" : `, ${lit(o)}`})${tail(L.reduction)};`);
      break;
    }
    case "bce": {
      const y = L.hard ? `nd.ge(r.rand(${outShape.join(", ")}), 0.5).astype("${c.dtype}")` : `r.rand(${outShape.join(", ")})${cast}`;
      p.args.push({ name: "y", type: "ag.Tensor", expr: `ag.tensor(${y})` });
      if (L.weight) p.args.push({ name: "w", type: "ag.Tensor", expr: `ag.tensor(r.rand(${outShape.join(", ")})${cast})` });
      const o = { reduction: red(L.reduction), weight: L.weight ? raw("w") : undefined, posWeight: L.posWeight ?? undefined };
      p.forward.push(`const loss = nn.binaryCrossEntropyWithLogits(logits, y${lit(o) === "{}" ? "" : `, ${lit(o)}`})${tail(L.reduction)};`);
      break;
    }
  }
  // the optimizer, its groups, the scheduler
  const O = c.optim;
  const oo =
    O.kind === "SGD"
      ? { lr: O.lr, momentum: O.momentum || undefined, dampening: O.dampening || undefined, nesterov: O.nesterov || undefined, weightDecay: O.weightDecay || undefined, maximize: O.maximize || undefined }
      : { lr: O.lr, betas: O.betas, eps: O.eps === 1e-8 ? undefined : O.eps, weightDecay: O.weightDecay, amsgrad: O.amsgrad || undefined, maximize: O.maximize || undefined };
  p.setup.push(`const net = new nn.ModuleList([${p.modules.join(", ")}]);`);
  if (c.mode === "eval") p.setup.push(`net.eval();`);
  p.setup.push(`const params = net.parameters();`);
  if (c.groups === 2) {
    const bodyParams = bodyModules.map((m) => `...${m}.parameters()`).join(", ");
    p.setup.push(`const opt = new nn.${O.kind}([{ params: [${bodyParams}] }, { params: head.parameters(), lr: ${O.lr / 2} }], ${lit(oo)});`);
  } else p.setup.push(`const opt = new nn.${O.kind}(params, ${lit(oo)});`);
  let between: string | null = null;
  const S = c.sched;
  if (S) {
    let make = "";
    switch (S.kind) {
      case "StepLR": make = `new nn.StepLR(opt, ${lit({ stepSize: S.stepSize, gamma: S.gamma })})`; break;
      case "MultiStepLR": make = `new nn.MultiStepLR(opt, ${lit({ milestones: S.milestones, gamma: S.gamma })})`; break;
      case "ExponentialLR": make = `new nn.ExponentialLR(opt, ${lit({ gamma: S.gamma })})`; break;
      case "CosineAnnealingLR": make = `new nn.CosineAnnealingLR(opt, ${lit({ tMax: S.tMax, etaMin: S.etaMin || undefined })})`; break;
      case "LinearLR": make = `new nn.LinearLR(opt, ${lit({ startFactor: S.startFactor, endFactor: S.endFactor, totalIters: S.totalIters })})`; break;
      case "LambdaLR": make = `new nn.LambdaLR(opt, { lrLambda: (e${t(": number")}) => ${S.base} ** e })`; break;
      case "OneCycleLR":
        make = `new nn.OneCycleLR(opt, ${lit({
          maxLr: S.maxLr, totalSteps: S.totalSteps, pctStart: S.pctStart, annealStrategy: S.annealStrategy === "linear" ? "linear" : undefined,
          cycleMomentum: S.cycleMomentum ? undefined : false, threePhase: S.threePhase || undefined,
        })})`;
        break;
      case "SequentialLR":
        p.setup.push(`const warmup = new nn.LinearLR(opt, { startFactor: ${S.startFactor}, totalIters: ${S.milestone} });`);
        p.setup.push(`const decay = new nn.ExponentialLR(opt, { gamma: ${S.gamma} });`);
        make = `new nn.SequentialLR(opt, { schedulers: [warmup, decay], milestones: [${S.milestone}] })`;
        break;
      case "manual":
        between = `(i${t(": number")}) => { if (i % ${S.every} === ${S.every - 1}) for (const g of opt.paramGroups) g.lr *= ${S.factor}; }`;
        break;
    }
    if (make) {
      p.setup.push(`const sched = ${make};`);
      p.state.push("sched: sched.stateDict()", "lr: sched.getLastLr()");
      between = `() => sched.step()`;
    }
  }
  // the step
  const lines: string[] = [];
  if (c.zeroGrad === "optimizer") lines.push(`opt.zeroGrad();`);
  if (c.zeroGrad === "module") lines.push(`net.zeroGrad();`);
  lines.push(...p.forward, `loss.backward();`);
  if (c.clip) {
    const co = c.clip.normType === 2 ? "" : `, { normType: ${lit(c.clip.normType)} }`;
    lines.push(`${c.returns === "loss+norm" ? "const gradNorm = " : ""}nn.clipGradNorm(params, ${c.clip.maxNorm}${co});`);
  }
  lines.push(`opt.step();`);
  if (c.zeroGrad === "after-step") lines.push(`opt.zeroGrad();`);
  returned.unshift(...(c.returns === "loss" ? ["loss"] : c.returns === "loss+logits" ? ["loss", "logits"] : ["loss", "gradNorm"]));
  const all = [...threaded, ...returned];
  lines.push(all.length === 1 ? `return loss;` : `return [${all.join(", ")}];`);
  const sig = p.args.map((a) => `${a.name}${t(`: ${a.type}`)}`).join(", ");
  const make = [
    `()${t(": Subject")} => {`,
    `  const rng = new nd.RandomState(${c.seed});`,
    `  const drop = new nd.RandomState(${c.dropSeed});`,
    ...p.setup.map((l) => `  ${l}`),
    `  const step = (${sig}) => {`,
    ...lines.map((l) => `    ${l}`),
    `  };`,
    `  return {`,
    `    step,`,
    `    state: () => ({ params: Object.fromEntries(net.namedParameters()), opt: opt.stateDict(), groups: opt.paramGroups.map((g) => ({ ...g, params: null })), ` +
      `rng: rng.getState(), drop: drop.getState()${p.state.map((s) => `, ${s}`).join("")} }),`,
    ...(between ? [`    between: ${between},`] : []),
    `  };`,
    `}`,
  ].join("\n");
  const inputs = `(i${t(": number")}, prev${t("?: unknown")}) => {\n  const r = new nd.RandomState(${c.dataSeed} + i);\n  return [${p.args.map((a) => a.expr).join(", ")}];\n}`;
  return { make, inputs };
}

/** An activation applied to `x` as an expression, or null for the identity; `axis` is where a softmax normalises. */
function activation(a: Act, x: string, axis: number): string | null {
  switch (a) {
    case "relu": return `ag.relu(${x})`;
    case "tanh": return `ag.tanh(${x})`;
    case "sigmoid": return `ag.sigmoid(${x})`;
    case "gelu": return `nn.gelu(${x})`;
    case "gelu-tanh": return `nn.gelu(${x}, "tanh")`;
    case "silu": return `nn.silu(${x})`;
    case "softmax": return `ag.softmax(${x}, ${axis})`;
    case "logsoftmax": return `ag.logSoftmax(${x}, ${axis})`;
    case "identity": return null;
    case "leaky": return `nn.leakyRelu(${x}, 0.2)`;
    case "elu": return `nn.elu(${x})`;
    case "celu": return `nn.celu(${x}, 1.5)`;
    case "selu": return `nn.selu(${x})`;
    case "relu6": return `nn.relu6(${x})`;
    case "hardtanh": return `nn.hardtanh(${x}, -0.5, 0.5)`;
    case "hardswish": return `nn.hardswish(${x})`;
    case "hardsigmoid": return `nn.hardsigmoid(${x})`;
    case "softplus": return `nn.softplus(${x}, 2, 1)`;
    case "softsign": return `nn.softsign(${x})`;
    case "mish": return `nn.mish(${x})`;
    case "logsigmoid": return `nn.logSigmoid(${x})`;
    case "softmin": return `nn.softmin(${x}, ${axis})`;
  }
}

function activationModule(a: Act): string | null {
  switch (a) {
    case "relu": return "new nn.ReLU()";
    case "tanh": return "new nn.Tanh()";
    case "sigmoid": return "new nn.Sigmoid()";
    case "gelu": return "new nn.GELU()";
    case "gelu-tanh": return `new nn.GELU({ approximate: "tanh" })`;
    case "silu": return "new nn.SiLU()";
    case "softmax": return "new nn.Softmax(-1)";
    case "logsoftmax": return "new nn.LogSoftmax(-1)";
    case "identity": return "new nn.Identity()";
    case "leaky": return "new nn.LeakyReLU(0.2)";
    case "elu": return "new nn.ELU()";
    case "celu": return "new nn.CELU(1.5)";
    case "selu": return "new nn.SELU()";
    case "relu6": return "new nn.ReLU6()";
    case "hardtanh": return "new nn.Hardtanh(-0.5, 0.5)";
    case "hardswish": return "new nn.Hardswish()";
    case "hardsigmoid": return "new nn.Hardsigmoid()";
    case "softplus": return "new nn.Softplus(2, 1)";
    case "softsign": return "new nn.Softsign()";
    case "mish": return "new nn.Mish()";
    case "logsigmoid": return "new nn.LogSigmoid()";
    case "softmin": return "new nn.Softmin(-1)";
  }
}

// ---------------------------------------------------------------- running

/** Calls compared per case: the first traces, the rest replay. */
export const CALLS = 10;

/** The case's `make` and `inputs`, evaluated from the same text that `paste` prints. */
export function build(c: TrainingCase): { make: () => Subject; inputs: (i: number, prev?: unknown) => unknown[] } {
  const { make, inputs } = source(c, false);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the case's own source, so that paste prints what ran
  const f = new Function("nd", "ag", "nn", `return [${make}, ${inputs}];`) as (...m: unknown[]) => [() => Subject, (i: number, prev?: unknown) => unknown[]];
  const [m, i] = f(nd, ag, nn);
  return { make: m, inputs: i };
}

/** Runs one case through the harness: equal, refused, or eager-threw (an invalid case); throws Divergence. */
export function run(c: TrainingCase): Outcome {
  const { make, inputs } = build(c);
  return differential(make, inputs, { calls: CALLS });
}

/** Throws Divergence when the compiled step differs from the eager one; a refusal or an invalid case passes. */
export function check(c: TrainingCase): void {
  run(c);
}

/** A short name for a case: the body and the options that set it apart. */
export function describe(c: TrainingCase): string {
  const b = c.body;
  const parts: string[] = [];
  switch (b.kind) {
    case "stack":
      parts.push(`${b.cell}(${b.I}, ${b.H})`, ...(b.numLayers > 1 ? [`${b.numLayers} layers`] : []), ...(b.batchFirst ? ["batch-first"] : []), ...(b.bidirectional ? ["bidirectional"] : []));
      if (!b.bias) parts.push("no bias");
      if (b.dropout) parts.push(`dropout ${b.dropout}`);
      if (b.cell === "RNN" && b.nonlinearity === "relu") parts.push("relu");
      if (b.state !== "none") parts.push(`state ${b.state}`);
      if (b.pad !== "none") parts.push(`padded by ${b.pad}`);
      parts.push(`readout ${b.readout}`);
      break;
    case "cell": parts.push(`${b.cell}(${b.I}, ${b.H}) loop (${b.loop})`, ...(b.state !== "none" ? [`state ${b.state}`] : [])); break;
    case "mha": parts.push(`MultiheadAttention(${b.heads * b.headDim}, ${b.heads})`, ...(b.cross !== null ? ["cross"] : []), ...(b.causal ? ["causal"] : []), ...(b.keyPadding !== "none" ? [`${b.keyPadding} keyPaddingMask`] : []), ...(b.attnMask !== "none" ? [`${b.attnMask} attnMask`] : [])); break;
    case "encoder": parts.push(`TransformerEncoderLayer(${b.heads * b.headDim}, ${b.heads})`, ...(b.normFirst ? ["normFirst"] : []), ...(b.causal ? ["causal"] : [])); break;
    case "conv": parts.push(`Conv${b.dims}d k${b.k} s${b.stride} p${b.padding} d${b.dilation} g${b.groups}`, ...(b.pool ? [`${b.pool.type}-pool`] : [])); break;
    case "mlp": parts.push(`MLP ${b.act}`, ...(b.seq ? ["over a sequence"] : [])); break;
    case "vision": parts.push(`Conv2d(${b.C}, ${b.O}, 3) padding ${b.pad}`, `norm ${b.norm}`, `pool ${b.pool}`, `up ${b.up}`); break;
  }
  if (c.vocab !== null) parts.unshift("Embedding ->");
  const o = c.optim;
  const opt = o.kind === "SGD" ? `SGD${o.momentum ? (o.nesterov ? " nesterov" : " momentum") : ""}` : `${o.kind}${o.amsgrad ? " amsgrad" : ""}`;
  return [c.dtype, ...parts, c.loss.kind, opt, ...(c.clip ? ["clipGradNorm"] : []), ...(c.sched ? [c.sched.kind] : []), ...(c.mode === "eval" ? ["eval"] : [])].join(", ");
}

/** A vitest block that rebuilds the case from literals and asserts compile's contract (needs nd, ag, nn, differential, Subject, it, expect in scope). */
export function paste(c: TrainingCase, name = `training: ${describe(c)}`): string {
  const { make, inputs } = source(c, true);
  const ind = (s: string) => s.split("\n").join("\n  ");
  return [
    `it(${JSON.stringify(name)}, () => {`,
    `  // fuzz case ${JSON.stringify(c)}`,
    `  const make = ${ind(make)};`,
    `  const inputs = ${ind(inputs)};`,
    `  const outcome = differential(make, inputs, { calls: ${CALLS} });`,
    `  expect(outcome.kind).toBe("equal");`,
    `});`,
  ].join("\n");
}

/** The shape scripts/fuzz-compile.ts imports: a name, the cases, a check that throws Divergence, and the regression test of a case. */
export const trainingProperty = { name: "training", arbitrary, check, paste };

export { Divergence };
