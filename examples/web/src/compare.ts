// Compiled against eager: the page's char-LSTM training step (setup.ts) run as it is and through
// compile() (docs/compile.md), timed where this module runs (the page calls it in
// compare.worker.ts), and the two runs held to the same numbers. No DOM here.
//
// Two models start from the same seed and draw the same batches from their own RandomState, as
// the training worker does. Their steps interleave, so that whatever else the machine is doing
// (and the JIT warming up, and garbage collection) falls on both alike: a warm-up of single
// steps taken in turn, untimed (the compiled step traces its first calls, three for this step:
// Adam makes its moments on the first, and replay starts once two traces agree), then rounds of a few timed steps of one mode and then the other, the mode that
// goes first alternating from round to round. After the same number of steps each, every loss
// and every byte of the weights and of Adam's state are compared.

import { RandomState, type NDArray } from "@tapegrad/tensor";
import { compile, type CompiledFunction, type Tensor } from "@tapegrad/autograd";
import { Adam } from "@tapegrad/nn";
import { CharModel, batchAt, type Config } from "../../char-lstm/model.js";
import type { Agreement, CompareResult, ModeTiming } from "./protocol.js";
import { chars, configFor, train, trainingStep } from "./setup.js";

export interface MeasureOptions {
  /** untimed steps of each mode before timing (default 10) */
  warmup?: number;
  /** rounds of timed steps (default 8), each `perRound` steps of one mode then of the other */
  rounds?: number;
  perRound?: number;
  onProgress?: (done: number, total: number, phase: "warm-up" | "timing") => void;
}

type Step = (x: NDArray, y: NDArray) => Tensor;

interface Side {
  config: Config;
  model: CharModel;
  opt: Adam;
  rng: RandomState;
  step: Step;
  losses: number[];
  times: number[];
}

function side(config: Config, compiled: boolean): Side & { compiled: CompiledFunction<Step> | null } {
  const rng = new RandomState(config.seed);
  const model = new CharModel(chars.length, config, rng);
  const opt = new Adam(model.parameters(), { lr: config.lr });
  const eager = trainingStep(model, opt, config.clip);
  const c = compiled ? compile(eager) : null;
  return { config, model, opt, rng, step: c ?? eager, compiled: c, losses: [], times: [] };
}

/** One step on the next batch of this side's stream; the step and the read of its loss are timed. */
function advance(s: Side, timed: boolean): void {
  const c = s.config;
  const starts = s.rng.randint(0, train.length - c.seqLen - 1, [c.batch]).data;
  const { x, y } = batchAt(train, starts, c.seqLen);
  const t0 = performance.now();
  const loss = s.step(x, y).item();
  const ms = performance.now() - t0;
  s.losses.push(loss);
  if (timed) s.times.push(ms);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timing(s: Side): ModeTiming {
  return { medianMs: median(s.times), minMs: Math.min(...s.times), timed: s.times.length };
}

/** The array's bytes, in element order. */
function bytesOf(a: NDArray): Uint8Array {
  const c = a.isContiguous() ? a : a.copy();
  const el = c.data.BYTES_PER_ELEMENT;
  return new Uint8Array(c.data.buffer, c.data.byteOffset + c.offset * el, c.size * el);
}

function sameBytes(a: NDArray, b: NDArray): boolean {
  if (a.dtype !== b.dtype || a.size !== b.size || a.shape.join() !== b.shape.join()) return false;
  const x = bytesOf(a);
  const y = bytesOf(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The arrays a step changes: the weights (model.*) and Adam's moments (optim.*). */
function stateOf(s: Side): Record<string, NDArray> {
  const out: Record<string, NDArray> = {};
  for (const [k, v] of Object.entries(s.model.stateDict())) out[`model.${k}`] = v;
  for (const [k, v] of Object.entries(s.opt.stateDict().tensors)) out[`optim.${k}`] = v;
  return out;
}

function agreement(e: Side, c: Side): Agreement {
  const steps = e.losses.length;
  let firstLossDifference: Agreement["firstLossDifference"];
  for (let i = 0; i < steps; i++) {
    const a = e.losses[i]!;
    const b = c.losses[i];
    // a loss is a float32 read as a number, so equal numbers are equal bits (Object.is: -0 is not 0)
    if (b === undefined || !Object.is(a, b)) {
      firstLossDifference = { step: i + 1, eager: a, compiled: b ?? NaN };
      break;
    }
  }
  const se = stateOf(e);
  const sc = stateOf(c);
  const names = [...new Set([...Object.keys(se), ...Object.keys(sc)])];
  const differing: Agreement["differing"] = [];
  let values = 0;
  for (const name of names) {
    const a = se[name];
    const b = sc[name];
    if (a) values += a.size;
    if (a && b && sameBytes(a, b)) continue;
    let maxAbs = NaN;
    if (a && b && a.size === b.size) {
      const fa = a.toFlat();
      const fb = b.toFlat();
      maxAbs = 0;
      for (let i = 0; i < fa.length; i++) maxAbs = Math.max(maxAbs, Math.abs(fa[i]! - fb[i]!));
    }
    differing.push({ name, maxAbs });
  }
  // the rest of Adam's state: its step counts and hyperparameters
  if (JSON.stringify(e.opt.stateDict().meta) !== JSON.stringify(c.opt.stateDict().meta)) differing.push({ name: "optim (step counts, options)", maxAbs: NaN });
  const lossesEqual = firstLossDifference === undefined && c.losses.length === steps;
  return { equal: lossesEqual && differing.length === 0, steps, lossesEqual, firstLossDifference, tensors: names.length, values, differing };
}

/** Times the page's training step at this hidden size eagerly and compiled, and compares the two runs. */
export function measureCompiledAgainstEager(id: number, hidden: number, o: MeasureOptions = {}): CompareResult {
  const warmup = o.warmup ?? 10;
  const rounds = o.rounds ?? 8;
  const perRound = o.perRound ?? 5;
  const config = configFor({ hidden, lr: 0.01 });
  const eager = side(config, false);
  const compiled = side(config, true);
  const total = 2 * (warmup + rounds * perRound);
  let done = 0;
  for (let i = 0; i < warmup; i++) {
    advance(eager, false);
    advance(compiled, false);
    done += 2;
    o.onProgress?.(done, total, "warm-up");
  }
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 === 0 ? [eager, compiled] : [compiled, eager]) {
      for (let i = 0; i < perRound; i++) advance(s, true);
      done += perRound;
    }
    o.onProgress?.(done, total, "timing");
  }
  const te = timing(eager);
  const tc = timing(compiled);
  const stats = compiled.compiled!.stats;
  return {
    id,
    sizes: { vocab: chars.length, embed: config.embed, hidden: config.hidden, layers: config.layers, batch: config.batch, seqLen: config.seqLen, dtype: config.dtype, parameters: eager.model.numParameters() },
    warmup,
    eager: te,
    compiled: tc,
    ratio: te.medianMs / tc.medianMs,
    agreement: agreement(eager, compiled),
    compileStats: { traces: stats.traces, replays: stats.replays },
    plan: compiled.compiled!.plan(),
  };
}
