// The training worker: the char-LSTM of examples/char-lstm on the same corpus, stepped in short
// slices so that pause, sample, save and load messages get in between; the page only draws.

import { RandomState } from "@tapegrad/tensor";
import type { NDArray } from "@tapegrad/tensor";
import type { Tensor } from "@tapegrad/autograd";
import { Adam } from "@tapegrad/nn";
import { CharModel, LN2, batchAt, readCharCheckpoint, encodeCheckpoint, evaluate, sampleText, unigramBits, type Checkpoint, type Config } from "../../char-lstm/model.js";
import { EVAL_EVERY, chars, configFor, corpus, ids, train, trainingStep, val } from "./setup.js";
import type { FromWorker, Point, ToWorker, TrainSettings } from "./protocol.js";

const SAMPLE_EVERY = 50;
const SLICE_MS = 60;

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(m, transfer);

const unigramBpc = unigramBits(ids, chars.length);

interface Run {
  config: Config;
  model: CharModel;
  opt: Adam;
  /** the training step on this model and optimizer (setup.ts: the one the compiled-against-eager panel times) */
  stepFn: (x: NDArray, y: NDArray) => Tensor;
  rng: RandomState;
  sampleRng: RandomState;
  step: number;
  seconds: number;
  history: Point[];
}

function newRun(s: TrainSettings): Run {
  const config = configFor(s);
  const rng = new RandomState(config.seed);
  const model = new CharModel(chars.length, config, rng);
  const opt = new Adam(model.parameters(), { lr: config.lr });
  return { config, model, opt, stepFn: trainingStep(model, opt, config.clip), rng, sampleRng: new RandomState(config.seed + 1), step: 0, seconds: 0, history: [] };
}

let run = newRun({ hidden: 64, lr: 0.01 });
let running = false;
let timer: ReturnType<typeof setTimeout> | null = null;

function ready(): void {
  post({ type: "ready", corpusChars: corpus.length, vocab: chars.length, unigramBpc, parameters: run.model.numParameters(), settings: { hidden: run.config.hidden, lr: run.config.lr }, step: run.step, history: run.history });
}

function trainStep(r: Run): Point {
  const { config: c, model } = r;
  const starts = r.rng.randint(0, train.length - c.seqLen - 1, [c.batch]).data;
  const { x, y } = batchAt(train, starts, c.seqLen);
  const loss = r.stepFn(x, y);
  r.step++;
  const point: Point = { step: r.step, train: loss.item() / LN2 };
  if (r.step % EVAL_EVERY === 0) point.val = evaluate(model, val, c.seqLen, 64);
  r.history.push(point);
  return point;
}

function slice(): void {
  timer = null;
  if (!running) return;
  const r = run;
  const t0 = performance.now();
  const points: Point[] = [];
  while (performance.now() - t0 < SLICE_MS) {
    points.push(trainStep(r));
    if (r.step % SAMPLE_EVERY === 0) post({ type: "sample", text: sampleText(r.model, chars, r.sampleRng, 160, 0.8), step: r.step, id: -1, seed: r.config.seed + 1 });
  }
  const ms = performance.now() - t0;
  r.seconds += ms / 1000;
  post({ type: "progress", points, step: r.step, stepMs: ms / points.length, running });
  timer = setTimeout(slice, 0);
}

function snapshot(r: Run): Checkpoint {
  return { config: r.config, chars, step: r.step, seconds: r.seconds, rng: r.rng.getState(), sampleRng: r.sampleRng.getState(), history: r.history };
}

/** A run from checkpoint bytes, or an error saying why these bytes are not one for this page; the current run is not touched. */
function runFrom(bytes: Uint8Array, name: string): Run {
  const { meta, restore } = readCharCheckpoint(bytes, name);
  if (meta.chars.length !== chars.length || meta.chars.some((ch, i) => ch !== chars[i])) {
    throw new Error(`${name}: trained on another text (its vocabulary has ${meta.chars.length} characters, this corpus has ${chars.length})`);
  }
  const config = meta.config;
  for (const k of ["hidden", "embed", "layers", "seqLen", "batch", "lr", "clip"] as const) {
    if (typeof config[k] !== "number" || !(config[k] > 0)) throw new Error(`${name}: its config has no valid ${k} (${JSON.stringify(config[k])})`);
  }
  const rng = new RandomState(config.seed);
  const model = new CharModel(chars.length, config, rng);
  const opt = new Adam(model.parameters(), { lr: config.lr });
  restore(model, opt); // strict: a missing, extra or misshapen tensor throws, naming it, and changes nothing
  if (meta.rng) rng.setState(meta.rng as never);
  const sampleRng = new RandomState(config.seed + 1);
  if (meta.sampleRng) sampleRng.setState(meta.sampleRng as never);
  return { config, model, opt, stepFn: trainingStep(model, opt, config.clip), rng, sampleRng, step: meta.step ?? 0, seconds: meta.seconds ?? 0, history: (meta.history ?? []) as Point[] };
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  try {
    switch (m.type) {
      case "reset":
        running = false;
        run = newRun(m.settings);
        ready();
        break;
      case "start":
        running = true;
        if (timer === null) timer = setTimeout(slice, 0);
        break;
      case "pause":
        running = false;
        post({ type: "progress", points: [], step: run.step, stepMs: 0, running });
        break;
      case "set-lr":
        run.config = { ...run.config, lr: m.lr };
        for (const g of run.opt.paramGroups) g.lr = m.lr;
        break;
      case "sample":
        post({ type: "sample", text: sampleText(run.model, chars, new RandomState(m.seed), m.length, m.temperature), step: run.step, id: m.id, seed: m.seed });
        break;
      case "save": {
        const bytes = encodeCheckpoint(run.model, run.opt, snapshot(run));
        post({ type: "saved", bytes, step: run.step }, [bytes.buffer as ArrayBuffer]);
        break;
      }
      case "load": {
        let next: Run;
        try {
          next = runFrom(m.bytes, m.name);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          post({ type: "load-error", message: message.startsWith(m.name) ? message : `${m.name}: ${message}` });
          break;
        }
        running = false;
        run = next;
        ready();
        break;
      }
    }
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};

ready();
