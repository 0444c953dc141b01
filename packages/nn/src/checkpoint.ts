// A training checkpoint in one safetensors file: the model's state dict under "model.", the
// optimizer's arrays under "optimizer.", and everything else (the optimizer's hyperparameters
// and counters, the scheduler's state, the step, the caller's extra, random generators' states)
// as JSON in the file's metadata. Loading checks every part against the objects it goes into
// before it changes any, so that a file that does not fit leaves them as they were.

import { NDArray, RandomState, TapegradError, fmtShape, getDefaultRng } from "@tapegrad/tensor";
import { Module } from "./module.js";
import { Optimizer } from "./optim.js";
import type { OptimizerMeta } from "./optim-state.js";
import { SafetensorsError, parseSafetensors, saveSafetensors } from "./safetensors.js";

/** A file that is not a tapegrad checkpoint, or one that does not fit the objects it is loaded into; nothing was changed. */
export class CheckpointError extends TapegradError {}

/** What a checkpoint saves and restores of a scheduler: every scheduler here (LRScheduler's kinds, ReduceLROnPlateau) has these. */
export interface CheckpointScheduler {
  stateDict(): object;
  loadStateDict(sd: never): void;
}

/** What saveCheckpoint writes. */
export interface SaveCheckpointOptions {
  model: Module;
  optimizer?: Optimizer<object>;
  scheduler?: CheckpointScheduler;
  /** The training step reached (a non-negative integer). */
  step?: number;
  /** Anything else to keep, as JSON (a config, a vocabulary, a loss history ...). */
  extra?: unknown;
  /** Random generators whose positions to keep, by name (a data sampler's ...); the default generator is always kept, as "default". */
  rngs?: Record<string, RandomState>;
}

/** What loadCheckpoint restores into. */
export interface LoadCheckpointOptions {
  model: Module;
  /** Restored when given; the file must then hold an optimizer's state of the same kind. */
  optimizer?: Optimizer<object>;
  /** Restored when given; the file must then hold a scheduler's state of the same kind. */
  scheduler?: CheckpointScheduler;
  /** Generators to put back where they were when saved, by the names they were saved under. */
  rngs?: Record<string, RandomState>;
  /** Put the default generator back where it was when saved (default true: a resumed run's Dropout draws what the unbroken run's would). */
  restoreDefaultRng?: boolean;
}

/** What loadCheckpoint returns besides what it restored: the step and the extra that were saved (null when none). */
export interface LoadedCheckpoint {
  step: number | null;
  extra: unknown;
  /** The names of the generators the file holds ("default" and those saved through `rngs`). */
  rngs: string[];
}

/** The metadata key and the format tag: a file without them is not a checkpoint. */
const KEY = "tapegrad.checkpoint";
const FORMAT = "tapegrad.checkpoint/1";

interface Meta {
  format: typeof FORMAT;
  optimizer: OptimizerMeta | null;
  scheduler: object | null;
  step: number | null;
  extra: unknown;
  rngs: Record<string, unknown>;
}

// JSON has no Infinity or NaN; a scheduler's state may hold them (ReduceLROnPlateau's best
// starts at inf), and so may the caller's extra. They travel as {"$float": "Infinity"}.
const encodeFloats = (_k: string, v: unknown): unknown => (typeof v === "number" && !Number.isFinite(v) ? { $float: String(v) } : v);
const decodeFloats = (_k: string, v: unknown): unknown => {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const f = (v as { $float?: unknown }).$float;
    if (keys.length === 1 && (f === "Infinity" || f === "-Infinity" || f === "NaN")) return Number(f);
  }
  return v;
};

/**
 * Writes a model, and optionally its optimizer, scheduler, step, an extra JSON value and random
 * generators' positions, into one safetensors file (bytes), from which loadCheckpoint resumes
 * training bit for bit as if it had never stopped. The model's tensors keep their state-dict
 * names under "model." (so any safetensors reader sees the weights); the rest is JSON in the
 * metadata under "tapegrad.checkpoint".
 *
 * @example
 * ```ts
 * const bytes = saveCheckpoint({ model, optimizer: opt, scheduler: sched, step: 1000, extra: { config } });
 * writeFileSync("checkpoint.safetensors", bytes);
 * // later, in a fresh process, with freshly made objects:
 * const { step, extra } = loadCheckpoint(readFileSync("checkpoint.safetensors"), { model, optimizer: opt, scheduler: sched });
 * ```
 */
export function saveCheckpoint(options: SaveCheckpointOptions): Uint8Array {
  const op = "saveCheckpoint";
  if (typeof options !== "object" || options === null) throw new CheckpointError(`${op}: expected { model, optimizer?, scheduler?, step?, extra?, rngs? }, got ${String(options)}`);
  const { model, optimizer, scheduler, step, extra, rngs = {} } = options;
  if (!(model instanceof Module)) throw new CheckpointError(`${op}: model must be a Module, got ${describe(model)}`);
  if (optimizer !== undefined && !(optimizer instanceof Optimizer)) throw new CheckpointError(`${op}: optimizer must be an Optimizer, got ${describe(optimizer)}`);
  if (scheduler !== undefined && !isScheduler(scheduler)) throw new CheckpointError(`${op}: scheduler must have stateDict() and loadStateDict(), got ${describe(scheduler)}`);
  if (step !== undefined && !(Number.isInteger(step) && step >= 0)) throw new CheckpointError(`${op}: step must be a non-negative integer, got ${describe(step)}`);
  const gens: Record<string, unknown> = { default: getDefaultRng().getState() };
  for (const [name, rng] of Object.entries(rngs)) {
    if (!(rng instanceof RandomState)) throw new CheckpointError(`${op}: rngs.${name} must be a RandomState, got ${describe(rng)}`);
    if (name === "default") throw new CheckpointError(`${op}: rngs.default is the default generator's place; name yours otherwise`);
    gens[name] = rng.getState();
  }
  const tensors: Record<string, NDArray> = {};
  for (const [k, v] of Object.entries(model.stateDict())) tensors[`model.${k}`] = v;
  let optMeta: OptimizerMeta | null = null;
  if (optimizer) {
    const sd = optimizer.stateDict();
    for (const [k, v] of Object.entries(sd.tensors)) tensors[`optimizer.${k}`] = v;
    optMeta = sd.meta;
  }
  const meta: Meta = { format: FORMAT, optimizer: optMeta, scheduler: scheduler ? scheduler.stateDict() : null, step: step ?? null, extra: extra ?? null, rngs: gens };
  let json: string;
  try {
    json = JSON.stringify(meta, encodeFloats);
  } catch (e) {
    throw new CheckpointError(`${op}: extra cannot be written as JSON: ${(e as Error).message}`);
  }
  return saveSafetensors(tensors, { metadata: { [KEY]: json } });
}

/**
 * Restores a saveCheckpoint file into the model and, when given, the optimizer, the scheduler
 * and named random generators; puts the default generator back where it was (unless
 * `restoreDefaultRng: false`); and returns the step and extra. Every part is checked first:
 * a file that is not a checkpoint, a model whose keys, shapes or dtypes differ, an optimizer or
 * scheduler of another kind or size, is a CheckpointError naming what does not fit, and nothing
 * is changed.
 *
 * @example
 * ```ts
 * const model = new Net();
 * const opt = new Adam(model.parameters(), 0.01);
 * const { step } = loadCheckpoint(bytes, { model, optimizer: opt });
 * for (let s = step ?? 0; s < total; s++) trainStep();
 * ```
 */
export function loadCheckpoint(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options: LoadCheckpointOptions): LoadedCheckpoint {
  const op = "loadCheckpoint";
  if (typeof options !== "object" || options === null) throw new CheckpointError(`${op}: expected { model, optimizer?, scheduler?, rngs? } to load into, got ${String(options)}`);
  const { model, optimizer, scheduler, rngs = {}, restoreDefaultRng = true } = options;
  if (!(model instanceof Module)) throw new CheckpointError(`${op}: model must be a Module, got ${describe(model)}`);
  if (optimizer !== undefined && !(optimizer instanceof Optimizer)) throw new CheckpointError(`${op}: optimizer must be an Optimizer, got ${describe(optimizer)}`);
  if (scheduler !== undefined && !isScheduler(scheduler)) throw new CheckpointError(`${op}: scheduler must have stateDict() and loadStateDict(), got ${describe(scheduler)}`);

  const { meta, modelSd, optTensors } = parse(op, bytes);

  // the model: keys, shapes and dtypes exactly (a resume must be bitwise, so no cast)
  const own = model.stateDict();
  const problems: string[] = [];
  const missing = Object.keys(own).filter((k) => !Object.prototype.hasOwnProperty.call(modelSd, k));
  const unexpected = Object.keys(modelSd).filter((k) => !Object.prototype.hasOwnProperty.call(own, k));
  if (missing.length) problems.push(`missing from the checkpoint: ${missing.join(", ")}`);
  if (unexpected.length) problems.push(`in the checkpoint but not the model: ${unexpected.join(", ")}`);
  for (const [k, dst] of Object.entries(own)) {
    const src = modelSd[k];
    if (!src) continue;
    if (src.shape.length !== dst.shape.length || src.shape.some((d, i) => d !== dst.shape[i])) problems.push(`${k}: shape ${fmtShape(src.shape)} in the checkpoint, ${fmtShape(dst.shape)} in the model`);
    else if (src.dtype !== dst.dtype) problems.push(`${k}: dtype ${src.dtype} in the checkpoint, ${dst.dtype} in the model`);
  }
  if (problems.length) throw new CheckpointError(`${op}: the checkpoint does not fit the model (${problems.length} problem(s), nothing was loaded):\n  ${problems.join("\n  ")}`);

  // the optimizer: checked as its loadStateDict checks, without loading
  const optSd = meta.optimizer ? { tensors: optTensors, meta: meta.optimizer } : null;
  if (optimizer) {
    if (!optSd) throw new CheckpointError(`${op}: an optimizer was given, but the checkpoint holds no optimizer state; nothing was loaded`);
    try {
      optimizer.checkStateDict(optSd);
    } catch (e) {
      throw new CheckpointError(`${op}: the checkpoint's optimizer state does not fit the optimizer, nothing was loaded: ${(e as Error).message}`);
    }
  }
  if (scheduler && meta.scheduler === null) throw new CheckpointError(`${op}: a scheduler was given, but the checkpoint holds no scheduler state; nothing was loaded`);

  // the generators: each state checked on a scratch generator first
  const gens = meta.rngs && typeof meta.rngs === "object" ? meta.rngs : {};
  const wanted: [RandomState, unknown][] = [];
  for (const [name, rng] of Object.entries(rngs)) {
    if (!(rng instanceof RandomState)) throw new CheckpointError(`${op}: rngs.${name} must be a RandomState, got ${describe(rng)}`);
    if (!(name in gens)) throw new CheckpointError(`${op}: the checkpoint holds no generator named ${JSON.stringify(name)} (it holds ${Object.keys(gens).join(", ") || "none"}); nothing was loaded`);
    wanted.push([rng, gens[name]]);
  }
  if (restoreDefaultRng && "default" in gens) wanted.push([getDefaultRng(), gens.default]);
  const scratch = new RandomState(0);
  for (const [, state] of wanted) {
    try {
      scratch.setState(state as never);
    } catch (e) {
      throw new CheckpointError(`${op}: a generator's state in the checkpoint is damaged (${(e as Error).message}); nothing was loaded`);
    }
  }

  // The scheduler is the one part whose check cannot be run apart from its load: it goes first,
  // and is put back from its own state dict should it refuse.
  if (scheduler) {
    const before = scheduler.stateDict();
    try {
      scheduler.loadStateDict(meta.scheduler as never);
    } catch (e) {
      try {
        scheduler.loadStateDict(before as never);
      } catch {
        // its own state dict always loads; nothing more can be done here
      }
      throw new CheckpointError(`${op}: the checkpoint's scheduler state does not fit the scheduler, nothing was loaded: ${(e as Error).message}`);
    }
  }
  if (optimizer && optSd) optimizer.loadStateDict(optSd);
  model.loadStateDict(modelSd);
  for (const [rng, state] of wanted) rng.setState(state as never);
  return { step: meta.step ?? null, extra: meta.extra ?? null, rngs: Object.keys(gens) };
}

/** The file's parts, checked to be a checkpoint: its metadata, and its tensors split by owner. */
function parse(op: string, bytes: Uint8Array | ArrayBuffer | ArrayBufferView): { meta: Meta; modelSd: Record<string, NDArray>; optTensors: Record<string, NDArray> } {
  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`${op}: not a checkpoint: not a safetensors file (${e.message})`);
    throw e;
  }
  const raw = file.metadata?.[KEY];
  if (raw === undefined) {
    throw new CheckpointError(
      `${op}: not a checkpoint: a safetensors file without "${KEY}" metadata (a file of weights alone loads with loadSafetensors and model.loadStateDict)`,
    );
  }
  let meta: Meta;
  try {
    meta = JSON.parse(raw, decodeFloats) as Meta;
  } catch (e) {
    throw new CheckpointError(`${op}: not a checkpoint: its "${KEY}" metadata is not JSON (${(e as Error).message})`);
  }
  if (typeof meta !== "object" || meta === null || meta.format !== FORMAT) {
    throw new CheckpointError(`${op}: not a checkpoint of this version: format ${JSON.stringify((meta as { format?: unknown } | null)?.format)}, expected ${JSON.stringify(FORMAT)}`);
  }

  const modelSd: Record<string, NDArray> = {};
  const optTensors: Record<string, NDArray> = {};
  const strays: string[] = [];
  for (const [k, v] of Object.entries(file.tensors)) {
    if (k.startsWith("model.")) modelSd[k.slice(6)] = v;
    else if (k.startsWith("optimizer.")) optTensors[k.slice(10)] = v;
    else strays.push(k);
  }
  if (strays.length) throw new CheckpointError(`${op}: not a checkpoint: tensors outside model.* and optimizer.*: ${strays.join(", ")}`);
  return { meta, modelSd, optTensors };
}

/** What a checkpoint holds besides the arrays, read without loading anything. */
export interface CheckpointInfo {
  step: number | null;
  extra: unknown;
  /** The model's state-dict keys with their shapes and dtypes. */
  model: Record<string, { shape: number[]; dtype: string }>;
  /** The optimizer's kind ("Adam") when the file holds its state, else null. */
  optimizer: string | null;
  /** The scheduler's kind ("StepLR") when the file holds its state, else null. */
  scheduler: string | null;
  /** The names of the generators it holds. */
  rngs: string[];
}

/**
 * Reads a checkpoint's step, extra and contents without loading it into anything: what a program
 * needs to build the model before loadCheckpoint (a config kept in `extra`, say). A file that is
 * not a checkpoint is a CheckpointError.
 *
 * @example
 * ```ts
 * const { extra } = readCheckpointInfo(bytes);
 * const model = new Net((extra as { config: Config }).config);
 * loadCheckpoint(bytes, { model });
 * ```
 */
export function readCheckpointInfo(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): CheckpointInfo {
  const { meta, modelSd } = parse("readCheckpointInfo", bytes);
  const kind = (x: unknown, field: string): string | null => (x && typeof x === "object" && typeof (x as Record<string, unknown>)[field] === "string" ? ((x as Record<string, unknown>)[field] as string) : null);
  return {
    step: meta.step ?? null,
    extra: meta.extra ?? null,
    model: Object.fromEntries(Object.entries(modelSd).map(([k, v]) => [k, { shape: [...v.shape], dtype: v.dtype }])),
    optimizer: kind(meta.optimizer, "optimizer"),
    scheduler: kind(meta.scheduler, "scheduler"),
    rngs: Object.keys(meta.rngs && typeof meta.rngs === "object" ? meta.rngs : {}),
  };
}

function isScheduler(s: unknown): s is CheckpointScheduler {
  return typeof s === "object" && s !== null && typeof (s as CheckpointScheduler).stateDict === "function" && typeof (s as CheckpointScheduler).loadStateDict === "function";
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
