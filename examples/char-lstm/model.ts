// The char-LSTM's model and data, free of Node so that the web playground trains the same thing:
// the model (embedding, LSTM, linear head), batches, evaluation in bits per character,
// sampling, and the checkpoint as safetensors bytes (model.*, optim.*, and the run's metadata).

import * as nd from "@tapegrad/tensor";
import { RandomState, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import {
  Adam, DataLoader, Embedding, LSTM, Linear, Module, crossEntropy, loadCheckpoint, parseSafetensors, readCheckpointInfo, sampleLogits, saveCheckpoint,
  type SchedulerStateDict, type StateDict,
} from "@tapegrad/nn";

export interface Config {
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


export class CharModel extends Module {
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

export const LN2 = Math.log(2);

/** Entropy of the character distribution, in bits: the loss of the best model that ignores context. */
export function unigramBits(ids: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab);
  for (const i of ids) counts[i]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log2(c / ids.length);
  return h;
}

/** B random windows of T+1 characters: inputs are the first T, targets the last T. */
export function batchAt(data: Int32Array, starts: ArrayLike<number>, T: number): { x: nd.NDArray; y: nd.NDArray } {
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
export function evaluate(model: CharModel, data: Int32Array, T: number, B: number): number {
  return evaluateWith(windowLoss(model), data, T, B);
}

/** The summed cross-entropy (nats) of one window batch, without a tape. */
function windowLoss(model: CharModel): (x: nd.NDArray, y: nd.NDArray) => Tensor {
  return (x, y) => ag.noGrad(() => crossEntropy(model.forward(x)[0], y, { reduction: "sum" }));
}

function evaluateWith(batchLoss: (x: nd.NDArray, y: nd.NDArray) => Tensor, data: Int32Array, T: number, B: number): number {
  let total = 0;
  let count = 0;
  for (const { x, y } of windows(data, T, B)) {
    total += batchLoss(x, y).item();
    count += y.size;
  }
  return total / count / LN2;
}

/**
 * evaluate, with each window batch's forward compiled (docs/compile.md): the same numbers bit
 * for bit, faster once each batch shape (full, and the last one) has been traced. The model's
 * weights are read at every call, so one evaluator serves a whole training run.
 */
export function compiledEvaluate(model: CharModel): (data: Int32Array, T: number, B: number) => number {
  const batchLoss = ag.compile(windowLoss(model));
  return (data, T, B) => evaluateWith(batchLoss, data, T, B);
}

/** The non-overlapping windows of T + 1 characters of `data`, B to a batch (the last batch may be smaller), as (x, y) in the model's (T, B) layout. */
export function windows(data: Int32Array, T: number, B: number): DataLoader<number, { x: nd.NDArray; y: nd.NDArray }> {
  const dataset = { length: Math.max(0, Math.floor((data.length - 1) / T)), get: (i: number) => i * T };
  return new DataLoader(dataset, { batchSize: B, collate: (starts) => batchAt(data, starts, T) });
}

/** Top-k and top-p (nucleus) filtering of each step's logits (nn's sampleLogits); both off by default. */
export interface SampleFilters {
  topK?: number;
  topP?: number;
}

/** `length` characters, each drawn from the model's next-character logits at `temperature` (with the filters), after feeding `prime`. */
export function sampleText(model: CharModel, chars: string[], rng: RandomState, length: number, temperature: number, prime = "\n", filters: SampleFilters = {}): string {
  return ag.noGrad(() => {
    const index = new Map(chars.map((c, i) => [c, i]));
    let state: [Tensor, Tensor] | undefined;
    let logits!: Tensor;
    for (const ch of prime) {
      [logits, state] = model.forward(new nd.NDArray(Int32Array.of(index.get(ch) ?? 0), [1, 1]), state);
    }
    let out = "";
    for (let n = 0; n < length; n++) {
      const id = sampleLogits(logits.data.reshape([-1]), { temperature, ...filters, rng }).item();
      out += chars[id];
      [logits, state] = model.forward(new nd.NDArray(Int32Array.of(id), [1, 1]), state);
    }
    return out;
  });
}

export interface Checkpoint {
  config: Config;
  chars: string[];
  step: number;
  seconds: number;
  rng: unknown;
  sampleRng: unknown;
  history: { step: number; train: number; val?: number }[];
  /** The learning-rate scheduler's state (absent in checkpoints written before it existed). */
  sched?: SchedulerStateDict;
}

/**
 * A checkpoint as safetensors bytes, written by nn's saveCheckpoint: the model's weights and
 * Adam's state as arrays, the run (config, vocabulary, step, streams, history) as its `extra`.
 */
export function encodeCheckpoint(model: CharModel, opt: Adam, meta: Checkpoint): Uint8Array {
  return saveCheckpoint({ model, optimizer: opt, step: meta.step, extra: meta });
}

/** A char-lstm checkpoint read: the run it holds, and how to put its weights (and Adam's state) into objects built from meta.config. */
export interface CharCheckpoint {
  meta: Checkpoint;
  /** Loads the weights into `model` and, when given and the file has it, Adam's state into `opt`; throws, changing nothing, when they do not fit. */
  restore(model: CharModel, opt?: Adam): void;
}

function isRun(x: unknown): x is Checkpoint {
  return typeof x === "object" && x !== null && Array.isArray((x as Checkpoint).chars) && typeof (x as Checkpoint).config === "object" && (x as Checkpoint).config !== null;
}

/**
 * Reads a checkpoint: nn's saveCheckpoint format, or the format this example wrote before it
 * (tensors under model.* and optim.*, the run in a "tapegrad" metadata entry), so that older
 * files still resume. Throws, naming `source`, when the bytes are no char-lstm checkpoint.
 */
export function readCharCheckpoint(bytes: Uint8Array, source = "checkpoint"): CharCheckpoint {
  let info: ReturnType<typeof readCheckpointInfo> | null = null;
  try {
    info = readCheckpointInfo(bytes);
  } catch {
    info = null;
  }
  if (info !== null) {
    if (!isRun(info.extra)) throw new Error(`${source}: not a char-lstm checkpoint (its extra holds no config and vocabulary)`);
    const hasOptimizer = info.optimizer !== null;
    return {
      meta: info.extra,
      // the example's own streams are in meta; the default generator is not the example's to move
      restore: (model, opt) => void loadCheckpoint(bytes, { model, ...(opt && hasOptimizer ? { optimizer: opt } : {}), restoreDefaultRng: false }),
    };
  }
  const old = decodeLegacy(bytes, source);
  return {
    meta: old.meta,
    restore: (model, opt) => {
      model.loadStateDict(old.model); // strict: a missing, extra or misshapen tensor throws, naming it
      if (opt && Object.keys(old.optim).length) opt.loadStateDict({ tensors: old.optim, meta: old.meta.optim as never });
    },
  };
}

function decodeLegacy(bytes: Uint8Array, source: string): { meta: Checkpoint & { optim: unknown }; model: StateDict; optim: StateDict } {
  const { tensors, metadata } = parseSafetensors(bytes);
  let meta: (Checkpoint & { optim: unknown }) | null = null;
  try {
    meta = JSON.parse(metadata?.tapegrad ?? "null") as (Checkpoint & { optim: unknown }) | null;
  } catch {
    meta = null;
  }
  if (!isRun(meta)) {
    throw new Error(`${source}: not a char-lstm checkpoint (no tapegrad metadata with a config and a vocabulary)`);
  }
  const pick = (prefix: string) => Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return { meta, model: pick("model."), optim: pick("optim.") };
}
