// A small causal transformer language model on the char-LSTM's corpus and metric (Pride and
// Prejudice, bits per character on the last 10%, against the unigram entropy): token and
// learned position embeddings, pre-norm TransformerEncoderLayers with a causal mask, a head.
//
//   pnpm example char-transformer                   # the default run
//   pnpm example char-transformer --seconds 300     # train for a wall-time budget instead

import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as nd from "@tapegrad/tensor";
import { RandomState, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import { Adam, DataLoader, Embedding, LayerNorm, Linear, Module, TransformerEncoderLayer, Vocab, clipGradNorm, crossEntropy, sampleLogits, type SampleOptions } from "@tapegrad/nn";
import { parseOptions, usageError } from "../lib/cli.js";
import { lineChart } from "../lib/svg.js";
import { writeAtomic } from "../lib/files.js";

const here = dirname(fileURLToPath(import.meta.url));

const spec = {
  "d-model": { type: "integer", min: 1, default: 64, help: "embedding and residual width" },
  heads: { type: "integer", min: 1, default: 4, help: "attention heads" },
  layers: { type: "integer", min: 1, default: 2, help: "encoder layers" },
  ff: { type: "integer", min: 1, default: 128, help: "feed-forward width" },
  "seq-len": { type: "integer", min: 1, default: 48, help: "context length in characters" },
  batch: { type: "integer", min: 1, default: 32, help: "sequences per batch" },
  lr: { type: "number", above: 0, default: 0.003, help: "Adam learning rate at the start (cosine decay to a tenth)" },
  steps: { type: "integer", min: 1, default: 800, help: "training steps (at most)" },
  seconds: { type: "number", above: 0, help: "stop after this much training time (the schedule follows the budget)" },
  seed: { type: "integer", min: 0, max: 2 ** 32 - 2, default: 1, help: "random seed (weights, batches, samples)" },
  clip: { type: "number", above: 0, default: 1, help: "gradient-clipping max norm" },
  dtype: { type: "string", choices: ["float32", "float64"], default: "float32", help: "floating-point type of the weights" },
  "eval-every": { type: "integer", min: 1, default: 100, help: "steps between validation checks and samples" },
  out: { type: "string", file: "outdir", default: "out/char-transformer", help: "output folder (loss curve)" },
  corpus: { type: "string", file: "exists", help: "train on another text file instead of the bundled novel" },
  temperature: { type: "number", above: 0, default: 0.8, help: "sampling temperature" },
  "top-k": { type: "integer", min: 1, help: "sample only from the k most likely characters" },
  "top-p": { type: "number", above: 0, max: 1, help: "sample only from the most likely characters whose probabilities reach p (nucleus)" },
  json: { type: "boolean", help: "end with a one-line JSON summary" },
  quiet: { type: "boolean", help: "print only the summary" },
} as const;

export interface Summary {
  steps: number;
  seconds: number;
  trainBpc: number;
  valBpc: number;
  unigramBpc: number;
  sample: string;
}

class CharTransformer extends Module {
  tok: Embedding;
  pos: Embedding;
  layers: TransformerEncoderLayer[];
  norm: LayerNorm;
  head: Linear;
  constructor(readonly vocab: number, readonly context: number, d: number, heads: number, n: number, ff: number, rng: RandomState, dtype: DType) {
    super();
    this.tok = new Embedding(vocab, d, { rng, dtype });
    this.pos = new Embedding(context, d, { rng, dtype });
    // small embeddings, so the residual stream starts near the scale the layers' outputs have
    for (const e of [this.tok, this.pos]) nd.mul(e.weight.data, 0.1, e.weight.data);
    this.layers = Array.from({ length: n }, () => new TransformerEncoderLayer(d, heads, { dimFeedforward: ff, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true, rng, dtype }));
    this.norm = new LayerNorm(d, { dtype });
    this.head = new Linear(d, vocab, { rng, dtype });
  }
  /** ids (B, T) -> logits (B, T, vocab); position t sees only positions <= t. */
  forward(ids: nd.NDArray): Tensor {
    const T = ids.shape[1]!;
    let h = ag.add(this.tok.forward(ids), this.pos.forward(nd.arange(0, T, 1, "int32")));
    for (const layer of this.layers) h = layer.forward(h, { isCausal: true });
    return this.head.forward(this.norm.forward(h));
  }
}

const LN2 = Math.log(2);

function unigramBits(ids: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab);
  for (const i of ids) counts[i]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log2(c / ids.length);
  return h;
}

/** B windows of T+1 characters, batch first: inputs the first T, targets the last T. */
function batchAt(data: Int32Array, starts: ArrayLike<number>, T: number): { x: nd.NDArray; y: nd.NDArray } {
  const B = starts.length;
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    x.set(data.subarray(starts[b]!, starts[b]! + T), b * T);
    y.set(data.subarray(starts[b]! + 1, starts[b]! + T + 1), b * T);
  }
  return { x: new nd.NDArray(x, [B, T]), y: new nd.NDArray(y, [B * T]) };
}

function loss(model: CharTransformer, x: nd.NDArray, y: nd.NDArray, reduction: "mean" | "sum" = "mean"): Tensor {
  return crossEntropy(ag.reshape(model.forward(x), [-1, model.vocab]), y, { reduction });
}

/** Bits per character over `data` in non-overlapping windows of T (as char-lstm measures it). */
function evaluate(model: CharTransformer, data: Int32Array, T: number, B: number): number {
  // every window of T + 1 characters that starts at a multiple of T, B to a batch
  const windows = new DataLoader({ length: Math.max(0, Math.floor((data.length - 1) / T)), get: (i: number) => i * T }, { batchSize: B, collate: (starts: number[]) => batchAt(data, starts, T) });
  return ag.noGrad(() => {
    let total = 0;
    let count = 0;
    for (const { x, y } of windows) {
      total += loss(model, x, y, "sum").item();
      count += y.size;
    }
    return total / count / LN2;
  });
}

function sampleText(model: CharTransformer, chars: string[], rng: RandomState, length: number, temperature: number, filters: Pick<SampleOptions, "topK" | "topP"> = {}): string {
  return ag.noGrad(() => {
    const ctx: number[] = [chars.indexOf("\n") >= 0 ? chars.indexOf("\n") : 0];
    let out = "";
    for (let n = 0; n < length; n++) {
      const window = ctx.slice(-model.context);
      const logits = model.forward(new nd.NDArray(Int32Array.from(window), [1, window.length])).data;
      const id = sampleLogits(logits.slice(0, window.length - 1), { temperature, ...filters, rng }).item();
      out += chars[id];
      ctx.push(id);
    }
    return out;
  });
}

export async function main(argv: string[]): Promise<Summary> {
  const o = parseOptions("usage: pnpm example char-transformer [options]\n\nTrains a small causal transformer on Pride and Prejudice and samples from it.", spec, argv);
  const say = o.quiet ? () => {} : (s: string) => console.log(s);
  const dtype = o.dtype as DType;
  if (o["d-model"] % o.heads !== 0) usageError("heads", o.heads, `a divisor of --d-model ${o["d-model"]} (each head takes d-model / heads dimensions)`);
  const text = readFileSync(o.corpus ?? join(here, "..", "char-lstm", "data", "corpus.txt"), "utf8");
  const vocab = Vocab.fromText(text);
  const chars = [...vocab.tokens];
  const ids = vocab.encode(text);
  const split = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, split);
  const val = ids.subarray(split);
  const unigramBpc = unigramBits(ids, chars.length);
  const T = o["seq-len"];
  if (val.length < 3) usageError("corpus", o.corpus, `a text of at least 30 characters (this one has ${text.length})`);
  if (val.length < T + 1) usageError("seq-len", T, `an integer of at most ${val.length - 1} for a corpus of ${text.length} characters (a tenth is held out for validation)`);

  const rng = new RandomState(o.seed);
  const sampleRng = new RandomState(o.seed + 1);
  const filters = { topK: o["top-k"], topP: o["top-p"] };
  const model = new CharTransformer(chars.length, T, o["d-model"], o.heads, o.layers, o.ff, rng, dtype);
  const opt = new Adam(model.parameters(), { lr: o.lr });
  say(`corpus: ${text.length} chars, ${chars.length} distinct; train ${train.length}, validation ${val.length}`);
  say(`model: ${o.layers} layers, d ${o["d-model"]}, ${o.heads} heads, ff ${o.ff}, context ${T}; ${model.numParameters()} parameters, ${dtype}; batch ${o.batch}, Adam lr ${o.lr}`);
  say(`unigram entropy: ${unigramBpc.toFixed(3)} bits/char`);

  const history: { step: number; seconds: number; train: number; val?: number }[] = [];
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let step = 0;
  let ema = NaN;
  while (step < o.steps && (o.seconds === undefined || elapsed() < o.seconds)) {
    const starts = rng.randint(0, train.length - T - 1, [o.batch]).data;
    const { x, y } = batchAt(train, starts, T);
    const l = loss(model, x, y);
    l.backward();
    clipGradNorm(model.parameters(), o.clip);
    const progress = Math.min(1, Math.max(step / o.steps, o.seconds !== undefined ? elapsed() / o.seconds : 0));
    for (const g of opt.paramGroups) g.lr = o.lr * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progress)));
    opt.step();
    opt.zeroGrad();
    step++;
    const bpc = l.item() / LN2;
    ema = Number.isNaN(ema) ? bpc : 0.9 * ema + 0.1 * bpc;
    const entry: (typeof history)[number] = { step, seconds: elapsed(), train: bpc };
    if (step % o["eval-every"] === 0) {
      entry.val = evaluate(model, val.subarray(0, Math.min(val.length, 20_000)), T, 64);
      say(`step ${step} (${entry.seconds.toFixed(0)} s): train ${ema.toFixed(3)} bpc, validation ${entry.val.toFixed(3)} bpc (unigram ${unigramBpc.toFixed(3)})`);
      say("  sample: " + JSON.stringify(sampleText(model, chars, sampleRng, 100, o.temperature, filters)));
    }
    history.push(entry);
  }
  const seconds = elapsed();
  const valBpc = evaluate(model, val, T, 64);
  history[history.length - 1]!.val ??= valBpc;
  writeAtomic(join(o.out, "loss.svg"), lossCurve(history, unigramBpc));
  const recent = history.slice(-50);
  const trainBpc = recent.reduce((s, h) => s + h.train, 0) / Math.max(recent.length, 1);
  const sample = sampleText(model, chars, sampleRng, 300, 0.7, filters);
  say(`\ndone: ${step} steps in ${seconds.toFixed(1)} s`);
  say(`validation ${valBpc.toFixed(3)} bits/char vs unigram entropy ${unigramBpc.toFixed(3)} bits/char (${((1 - valBpc / unigramBpc) * 100).toFixed(1)}% below)`);
  say(`wrote ${join(o.out, "loss.svg")}`);
  say(`sample (temperature 0.7):\n${sample}`);
  const summary: Summary = { steps: step, seconds: +seconds.toFixed(1), trainBpc: +trainBpc.toFixed(4), valBpc: +valBpc.toFixed(4), unigramBpc: +unigramBpc.toFixed(4), sample };
  if (o.json) console.log(JSON.stringify({ ...summary, sample: undefined }));
  return summary;
}

function lossCurve(history: { seconds: number; train: number; val?: number }[], unigram: number): string {
  const smooth: [number, number][] = [];
  let ema = NaN;
  for (const h of history) {
    ema = Number.isNaN(ema) ? h.train : 0.95 * ema + 0.05 * h.train;
    smooth.push([h.seconds, ema]);
  }
  const valPts = history.filter((h) => h.val !== undefined).map((h) => [h.seconds, h.val!] as [number, number]);
  return lineChart(
    [
      { name: "train (smoothed)", color: "#1f77b4", points: smooth },
      { name: "validation", color: "#d62728", points: valPts },
    ],
    { title: "char-transformer on Pride and Prejudice", xLabel: "seconds", yLabel: "bits per character", hlines: [{ y: unigram, label: "unigram entropy", color: "#888" }] },
  );
}
