// Trains a character-level LSTM language model on Pride and Prejudice (data/corpus.txt,
// public domain; see data/SOURCE.md), samples text as it learns, and writes a loss curve and
// a safetensors checkpoint. Ctrl-C saves a checkpoint; --resume continues it exactly.
//
//   pnpm example char-lstm                 # the default run: a few minutes on 2 cores
//   pnpm example char-lstm --sample out/char-lstm/checkpoint.safetensors --temperature 0.7

import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as nd from "@tapegrad/tensor";
import { RandomState, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import { Adam, Embedding, LSTM, Linear, Module, clipGradNorm, crossEntropy, parseSafetensors, saveSafetensors } from "@tapegrad/nn";
import { parseOptions } from "../lib/cli.js";
import { Progress, formatDuration, devNull } from "../lib/progress.js";
import { lineChart } from "../lib/svg.js";
import { writeAtomic } from "../lib/files.js";

const here = dirname(fileURLToPath(import.meta.url));

const spec = {
  hidden: { type: "number", default: 192, help: "LSTM hidden size" },
  layers: { type: "number", default: 1, help: "LSTM layers" },
  embed: { type: "number", default: 32, help: "character embedding size" },
  "seq-len": { type: "number", default: 48, help: "characters per training sequence (truncated BPTT length)" },
  batch: { type: "number", default: 32, help: "sequences per batch" },
  lr: { type: "number", default: 0.01, help: "Adam learning rate at the start (cosine decay to a tenth)" },
  steps: { type: "number", default: 800, help: "training steps" },
  seed: { type: "number", default: 1, help: "random seed (weights, batches, samples)" },
  clip: { type: "number", default: 1, help: "gradient-clipping max norm" },
  dtype: { type: "string", default: "float32", help: "float32 or float64" },
  "eval-every": { type: "number", default: 100, help: "steps between validation checks and samples" },
  out: { type: "string", default: "out/char-lstm", help: "output folder (checkpoint, loss curve)" },
  corpus: { type: "string", help: "train on another text file instead of the bundled novel" },
  resume: { type: "string", help: "continue training from this checkpoint" },
  "stop-at": { type: "number", help: "stop (saving a checkpoint) after this step, as Ctrl-C would" },
  sample: { type: "string", help: "only generate text from this checkpoint (no training)" },
  temperature: { type: "number", default: 0.8, help: "sampling temperature (lower is more conservative)" },
  length: { type: "number", default: 400, help: "characters to generate with --sample" },
  json: { type: "boolean", help: "end with a one-line JSON summary" },
  quiet: { type: "boolean", help: "print only the summary" },
} as const;

interface Config {
  hidden: number;
  layers: number;
  embed: number;
  seqLen: number;
  batch: number;
  lr: number;
  steps: number;
  seed: number;
  clip: number;
  dtype: DType;
  evalEvery: number;
}

export interface Summary {
  steps: number;
  seconds: number;
  trainBpc: number;
  valBpc: number;
  unigramBpc: number;
}

class CharModel extends Module {
  embed: Embedding;
  lstm: LSTM;
  head: Linear;
  constructor(readonly vocab: number, c: Config, rng: RandomState) {
    super();
    this.embed = new Embedding(vocab, c.embed, { rng, dtype: c.dtype });
    this.lstm = new LSTM(c.embed, c.hidden, { numLayers: c.layers, rng, dtype: c.dtype });
    this.head = new Linear(c.hidden, vocab, { rng, dtype: c.dtype });
  }
  /** ids (T, B) -> logits (T * B, vocab) and the final state. */
  forward(ids: nd.NDArray, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [out, s] = this.lstm.forward(this.embed.forward(ids), state);
    return [this.head.forward(out.reshape(-1, this.lstm.hiddenSize)), s];
  }
}

const LN2 = Math.log(2);

/** Entropy of the character distribution, in bits: the loss of the best model that ignores context. */
function unigramBits(ids: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab);
  for (const i of ids) counts[i]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log2(c / ids.length);
  return h;
}

/** B random windows of T+1 characters: inputs are the first T, targets the last T. */
function batchAt(data: Int32Array, starts: ArrayLike<number>, T: number): { x: nd.NDArray; y: nd.NDArray } {
  const B = starts.length;
  const x = new Int32Array(T * B);
  const y = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      x[t * B + b] = data[starts[b]! + t]!;
      y[t * B + b] = data[starts[b]! + t + 1]!;
    }
  }
  return { x: new nd.NDArray(x, [T, B]), y: new nd.NDArray(y, [T * B]) };
}

/** Mean loss in bits per character over the whole of `data`, in non-overlapping windows. */
function evaluate(model: CharModel, data: Int32Array, T: number, B: number): number {
  return ag.noGrad(() => {
    const starts: number[] = [];
    for (let s = 0; s + T + 1 <= data.length; s += T) starts.push(s);
    let total = 0;
    let count = 0;
    for (let i = 0; i < starts.length; i += B) {
      const chunk = starts.slice(i, i + B);
      const { x, y } = batchAt(data, chunk, T);
      const [logits] = model.forward(x);
      total += crossEntropy(logits, y, { reduction: "sum" }).item();
      count += y.size;
    }
    return total / count / LN2;
  });
}

function sampleText(model: CharModel, chars: string[], rng: RandomState, length: number, temperature: number, prime = "\n"): string {
  return ag.noGrad(() => {
    const index = new Map(chars.map((c, i) => [c, i]));
    let state: [Tensor, Tensor] | undefined;
    let logits!: Tensor;
    for (const ch of prime) {
      [logits, state] = model.forward(new nd.NDArray(Int32Array.of(index.get(ch) ?? 0), [1, 1]), state);
    }
    let out = "";
    for (let n = 0; n < length; n++) {
      const p = nd.softmax(nd.div(logits.data.astype("float64"), temperature), -1).reshape([-1]);
      const id = rng.choice(chars.length, { p }).item();
      out += chars[id];
      [logits, state] = model.forward(new nd.NDArray(Int32Array.of(id), [1, 1]), state);
    }
    return out;
  });
}

interface Checkpoint {
  config: Config;
  chars: string[];
  step: number;
  seconds: number;
  rng: unknown;
  sampleRng: unknown;
  history: { step: number; train: number; val?: number }[];
}

function saveCheckpoint(path: string, model: CharModel, opt: Adam, meta: Checkpoint): void {
  const sd: Record<string, nd.NDArray> = {};
  for (const [k, v] of Object.entries(model.stateDict())) sd[`model.${k}`] = v;
  const os = opt.stateDict();
  for (const [k, v] of Object.entries(os.tensors)) sd[`optim.${k}`] = v;
  writeAtomic(path, saveSafetensors(sd, { metadata: { tapegrad: JSON.stringify({ ...meta, optim: os.meta }) } }));
}

function loadCheckpoint(path: string) {
  const { tensors, metadata } = parseSafetensors(readFileSync(path));
  const meta = JSON.parse(metadata?.tapegrad ?? "null") as (Checkpoint & { optim: unknown }) | null;
  if (!meta) throw new Error(`${path}: not a char-lstm checkpoint (no tapegrad metadata)`);
  const pick = (prefix: string) => Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return { meta, model: pick("model."), optim: pick("optim.") };
}

export async function main(argv: string[]): Promise<Summary | undefined> {
  const o = parseOptions("usage: pnpm example char-lstm [options]\n\nTrains a character-level LSTM on Pride and Prejudice and samples from it.", spec, argv);
  const say = o.quiet ? () => {} : (s: string) => console.log(s);

  if (o.sample) {
    const { meta, model: weights } = loadCheckpoint(o.sample);
    const model = new CharModel(meta.chars.length, meta.config, new RandomState(0));
    model.loadStateDict(weights);
    console.log(sampleText(model, meta.chars, new RandomState(o.seed), o.length, o.temperature));
    return undefined;
  }

  const text = readFileSync(o.corpus ?? join(here, "data", "corpus.txt"), "utf8");
  const resumed = o.resume ? loadCheckpoint(o.resume) : null;
  const c: Config = resumed?.meta.config ?? {
    hidden: o.hidden, layers: o.layers, embed: o.embed, seqLen: o["seq-len"], batch: o.batch,
    lr: o.lr, steps: o.steps, seed: o.seed, clip: o.clip, dtype: o.dtype as DType, evalEvery: o["eval-every"],
  };
  if (resumed) c.steps = o.steps !== spec.steps.default ? o.steps : c.steps;
  if (c.dtype !== "float32" && c.dtype !== "float64") throw new Error(`--dtype must be float32 or float64, got ${c.dtype}`);

  const chars = resumed?.meta.chars ?? [...new Set(text)].sort();
  const index = new Map(chars.map((ch, i) => [ch, i]));
  const ids = Int32Array.from(text, (ch) => index.get(ch) ?? 0);
  const split = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, split);
  const val = ids.subarray(split);
  const unigramBpc = unigramBits(ids, chars.length);

  const rng = new RandomState(c.seed);
  const sampleRng = new RandomState(c.seed + 1);
  const model = new CharModel(chars.length, c, rng);
  const opt = new Adam(model.parameters(), { lr: c.lr });
  let step = 0;
  let seconds = 0;
  let history: Checkpoint["history"] = [];
  if (resumed) {
    model.loadStateDict(resumed.model);
    opt.loadStateDict({ tensors: resumed.optim, meta: resumed.meta.optim });
    rng.setState(resumed.meta.rng as never);
    sampleRng.setState(resumed.meta.sampleRng as never);
    ({ step, seconds, history } = resumed.meta);
    say(`resuming from ${o.resume} at step ${step}`);
  }

  const ckptPath = join(o.out, "checkpoint.safetensors");
  say(`corpus: ${text.length} chars, ${chars.length} distinct; train ${train.length}, validation ${val.length}`);
  say(`model: embed ${c.embed}, LSTM ${c.layers}x${c.hidden}, ${model.numParameters()} parameters, ${c.dtype}; batch ${c.batch} x ${c.seqLen} chars, Adam lr ${c.lr}`);
  say(`unigram entropy: ${unigramBpc.toFixed(3)} bits/char (the loss of a model that ignores context)`);

  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.once("SIGINT", onSigint);
  const progress = new Progress(c.steps, step, o.quiet ? devNull() : process.stdout);
  const t0 = performance.now() - seconds * 1000;
  let emaBpc = history.length ? history[history.length - 1]!.train : NaN;
  const snapshot = (): Checkpoint => ({
    config: c, chars, step, seconds: (performance.now() - t0) / 1000,
    rng: rng.getState(), sampleRng: sampleRng.getState(), history,
  });

  while (step < c.steps && !stop) {
    const starts = rng.randint(0, train.length - c.seqLen - 1, [c.batch]).data;
    const { x, y } = batchAt(train, starts, c.seqLen);
    const [logits] = model.forward(x);
    const loss = crossEntropy(logits, y);
    loss.backward();
    clipGradNorm(model.parameters(), c.clip);
    // Cosine decay from lr to lr/10 over the run: large steps early, fine ones at the end.
    for (const g of opt.paramGroups) g.lr = c.lr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * step) / c.steps)));
    opt.step();
    opt.zeroGrad();
    step++;
    const bpc = loss.item() / LN2;
    emaBpc = Number.isNaN(emaBpc) ? bpc : 0.9 * emaBpc + 0.1 * bpc;
    const entry: Checkpoint["history"][number] = { step, train: bpc };
    if (step % c.evalEvery === 0 || step === c.steps) {
      entry.val = evaluate(model, val.subarray(0, Math.min(val.length, 20_000)), c.seqLen, 64);
      progress.log(`step ${step}: train ${emaBpc.toFixed(3)} bpc, validation ${entry.val.toFixed(3)} bpc (unigram ${unigramBpc.toFixed(3)})`);
      progress.log("  sample: " + JSON.stringify(sampleText(model, chars, sampleRng, 120, 0.8)));
    }
    history.push(entry);
    progress.update(step, { loss: loss.item().toFixed(3), bpc: emaBpc.toFixed(3) });
    if (o["stop-at"] !== undefined && step >= o["stop-at"]) stop = true;
    // Let a pending Ctrl-C run its handler between steps.
    await new Promise((r) => setImmediate(r));
  }
  progress.done();
  process.removeListener("SIGINT", onSigint);
  seconds = (performance.now() - t0) / 1000;
  saveCheckpoint(ckptPath, model, opt, snapshot());
  writeAtomic(join(o.out, "loss.svg"), lossCurve(history, unigramBpc));
  if (stop && step < c.steps) {
    say(`stopped at step ${step}; checkpoint saved to ${ckptPath} (continue with --resume ${ckptPath})`);
  }

  const valBpc = evaluate(model, val, c.seqLen, 64);
  const recent = history.slice(-50);
  const trainBpc = recent.reduce((s, h) => s + h.train, 0) / Math.max(recent.length, 1);
  const summary: Summary = { steps: step, seconds: +seconds.toFixed(1), trainBpc: +trainBpc.toFixed(4), valBpc: +valBpc.toFixed(4), unigramBpc: +unigramBpc.toFixed(4) };
  say(`\ndone: ${step} steps in ${formatDuration(seconds)}`);
  say(`validation ${valBpc.toFixed(3)} bits/char vs unigram entropy ${unigramBpc.toFixed(3)} bits/char (${((1 - valBpc / unigramBpc) * 100).toFixed(1)}% below)`);
  say(`wrote ${ckptPath} and ${join(o.out, "loss.svg")}`);
  say(`sample (temperature 0.7):\n${sampleText(model, chars, sampleRng, 300, 0.7)}`);
  if (o.json) console.log(JSON.stringify(summary));
  return summary;
}

function lossCurve(history: Checkpoint["history"], unigram: number): string {
  const smooth: [number, number][] = [];
  let ema = NaN;
  for (const h of history) {
    ema = Number.isNaN(ema) ? h.train : 0.95 * ema + 0.05 * h.train;
    smooth.push([h.step, ema]);
  }
  const valPts = history.filter((h) => h.val !== undefined).map((h) => [h.step, h.val!] as [number, number]);
  return lineChart(
    [
      { name: "train (smoothed)", color: "#1f77b4", points: smooth },
      { name: "validation", color: "#d62728", points: valPts },
    ],
    { title: "char-LSTM on Pride and Prejudice", xLabel: "step", yLabel: "bits per character", hlines: [{ y: unigram, label: "unigram entropy", color: "#888" }] },
  );
}


