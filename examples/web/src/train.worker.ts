// The training worker: the char-LSTM of examples/char-lstm on the same corpus, stepped in short
// slices so that pause, sample, save and load messages get in between; the page only draws.
// Steps run eagerly on the CPU, or compiled for WebGPU (docs/compile.md): there they are async
// and the weights and Adam's state stay on the GPU, so every message and slice takes its turn in
// one queue, and whatever reads the weights on the CPU (validation, samples, a save) syncs first.

/// <reference types="@webgpu/types" />
import { RandomState } from "@tapegrad/tensor";
import type { NDArray } from "@tapegrad/tensor";
import { compile, type GpuCompiledFunction, type Tensor } from "@tapegrad/autograd";
import { Adam } from "@tapegrad/nn";
import { CharModel, LN2, batchAt, readCharCheckpoint, encodeCheckpoint, evaluate, sampleText, unigramBits, type Checkpoint, type Config } from "../../char-lstm/model.js";
import { EVAL_EVERY, chars, configFor, corpus, ids, train, trainingStep, val } from "./setup.js";
import type { Device, DeviceSpeed, FromWorker, GpuProbe, Point, ToWorker, TrainSettings } from "./protocol.js";

const SAMPLE_EVERY = 50;
const SLICE_MS = 60;

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(m, transfer);

const unigramBpc = unigramBits(ids, chars.length);

type StepFn = (x: NDArray, y: NDArray) => Tensor;

interface Run {
  config: Config;
  model: CharModel;
  opt: Adam;
  /** the training step on this model and optimizer (setup.ts: the one the compiled-against-eager panel times) */
  stepFn: StepFn;
  /** the same step compiled for the GPU, made at this run's first step there and kept while the device lives */
  gpuStep: GpuCompiledFunction<StepFn> | null;
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
  return { config, model, opt, stepFn: trainingStep(model, opt, config.clip), gpuStep: null, rng, sampleRng: new RandomState(config.seed + 1), step: 0, seconds: 0, history: [] };
}

let run = newRun({ hidden: 64, lr: 0.01 });
let running = false;
/** a slice is queued or running (at most one at a time) */
let looping = false;

// ---------------------------------------------------------------- the queue

/** Thrown by syncRun after the GPU failed: the page has had a device-error already. */
class DeviceGone extends Error {}

let queue: Promise<void> = Promise.resolve();

/** Runs `task` after every task before it: a message, a slice, a device event. */
function enqueue(task: () => void | Promise<void>): void {
  queue = queue.then(task).catch((err: unknown) => {
    if (err instanceof DeviceGone) return;
    post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  });
}

// ---------------------------------------------------------------- the devices

/** Where steps run; a new model (reset, load) keeps the choice. */
let device: Device = "cpu";
/** The GPUDevice, opened at the first choice of the GPU and held for the worker's lifetime (until it is lost). */
let gpu: { device: GPUDevice; name: string } | null = null;

const adapterName = (a: GPUAdapter) => [a.info.vendor, a.info.architecture, a.info.description].filter((x) => x).join(" ") || "an unnamed adapter";
const isFallback = (a: GPUAdapter) => (a.info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (a as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
const NO_ADAPTER = "navigator.gpu.requestAdapter() found no adapter (no usable GPU, or WebGPU is off in this browser; Chromium without a GPU: --enable-unsafe-webgpu gives its SwiftShader one)";
const NO_WEBGPU = "this browser has no WebGPU (navigator.gpu is undefined; it needs a secure context: https or localhost)";

async function probeGpu(): Promise<GpuProbe> {
  if (!navigator.gpu) return { available: false, why: NO_WEBGPU };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (adapter === null) return { available: false, why: NO_ADAPTER };
    return { available: true, name: adapterName(adapter) + (isFallback(adapter) ? ", fallback adapter" : ""), fallback: isFallback(adapter) };
  } catch (err) {
    return { available: false, why: `navigator.gpu.requestAdapter() failed: ${(err as Error).message}` };
  }
}

async function openGpu(): Promise<{ device: GPUDevice; name: string }> {
  if (gpu !== null) return gpu;
  if (!navigator.gpu) throw new Error(NO_WEBGPU);
  const adapter = await navigator.gpu.requestAdapter(); // a fresh one: an adapter gives one device
  if (adapter === null) throw new Error(NO_ADAPTER);
  const opened = { device: await adapter.requestDevice(), name: adapterName(adapter) };
  if (isFallback(adapter)) opened.name += ", fallback adapter";
  gpu = opened;
  void opened.device.lost.then((info) => {
    if (gpu !== opened) return;
    gpu = null;
    enqueue(() => leaveGpu(`the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ""})`));
  });
  return opened;
}

function postDevice(): void {
  post({ type: "device", device, step: run.step });
}

/** Makes `d` the device of the run, the model and Adam's state moving with it; a device-error says why not. */
async function setDevice(d: Device): Promise<void> {
  if (d === "webgpu" && device !== "webgpu") {
    if (run.config.dtype !== "float32") {
      post({ type: "device-error", message: `This model is ${run.config.dtype} (from its checkpoint); WebGPU has no float64, so it stays on the CPU.` });
    } else {
      try {
        await openGpu();
        device = "webgpu";
      } catch (err) {
        post({ type: "device-error", message: `The GPU could not be opened, so steps stay on the CPU: ${(err as Error).message}` });
      }
    }
  } else if (d === "cpu" && device !== "cpu") {
    await syncRun(run);
    device = "cpu";
  }
  postDevice();
}

/** The GPU state back in the CPU arrays, before anything reads them there. */
async function syncRun(r: Run): Promise<void> {
  if (r.gpuStep === null) return;
  try {
    await r.gpuStep.sync();
  } catch (err) {
    await leaveGpu(`bringing the weights back from the GPU failed (${(err as Error).message})`);
    throw new DeviceGone();
  }
}

/**
 * After the GPU failed (a step refused or threw, the device was lost): training pauses and
 * continues on the CPU, with the same model if its state can still be read back, else a new one.
 */
async function leaveGpu(what: string): Promise<void> {
  const r = run;
  if (r.gpuStep === null && device === "cpu") return; // nothing of this run was on the GPU
  let kept = true;
  try {
    await r.gpuStep?.sync();
  } catch {
    kept = false;
  }
  r.gpuStep = null; // a later choice of the GPU compiles the step again, on a device that works
  if (device === "cpu" && kept) {
    post({ type: "device-error", message: `GPU: ${what}. The model was on the CPU already and is unchanged.` });
    return;
  }
  device = "cpu";
  running = false;
  if (!kept) replaceRun(newRun({ hidden: r.config.hidden, lr: r.config.lr }));
  post({
    type: "device-error",
    message: `GPU: ${what}. Training paused and moved to the CPU` + (kept ? ` with the model as its last step left it (step ${r.step}).` : `; the weights since the last sync were on the GPU and are lost, so a new model starts.`),
  });
  postDevice();
  post({ type: "progress", points: [], step: run.step, stepMs: 0, running });
}

// ---------------------------------------------------------------- steps/s on each device

const speeds = new Map<number, Record<Device, DeviceSpeed>>();

function speedOf(hidden: number): Record<Device, DeviceSpeed> {
  let s = speeds.get(hidden);
  if (s === undefined) speeds.set(hidden, (s = { cpu: { steps: 0, seconds: 0 }, webgpu: { steps: 0, seconds: 0 } }));
  return s;
}

function postSpeed(): void {
  const s = speedOf(run.config.hidden);
  post({ type: "speed", hidden: run.config.hidden, cpu: { ...s.cpu }, webgpu: { ...s.webgpu } });
}

// ---------------------------------------------------------------- training

function ready(): void {
  post({ type: "ready", corpusChars: corpus.length, vocab: chars.length, unigramBpc, parameters: run.model.numParameters(), settings: { hidden: run.config.hidden, lr: run.config.lr }, step: run.step, history: run.history });
  postDevice();
  postSpeed();
}

async function trainStep(r: Run): Promise<Point> {
  const { config: c, model } = r;
  const starts = r.rng.randint(0, train.length - c.seqLen - 1, [c.batch]).data;
  const { x, y } = batchAt(train, starts, c.seqLen);
  const t0 = performance.now();
  let loss: Tensor;
  let timed = true;
  if (device === "webgpu") {
    r.gpuStep ??= compile(r.stepFn, { device: (await openGpu()).device });
    const replays = r.gpuStep.stats.replays;
    loss = await r.gpuStep(x, y);
    // the first calls trace (eagerly, on the CPU) and the first replay is checked against an
    // eager call (compile's default check): only the plain replays after them time the GPU
    const now = r.gpuStep.stats.replays;
    timed = now > replays && now > 1;
  } else loss = r.stepFn(x, y);
  const seconds = (performance.now() - t0) / 1000;
  if (timed) {
    const s = speedOf(c.hidden)[device];
    s.steps++;
    s.seconds += seconds;
  }
  r.step++;
  const point: Point = { step: r.step, train: loss.item() / LN2 };
  if (r.step % EVAL_EVERY === 0) {
    await syncRun(r);
    point.val = evaluate(model, val, c.seqLen, 64);
  }
  r.history.push(point);
  return point;
}

/** Steps for about SLICE_MS (at least one), then the next slice after whatever messages came meanwhile. */
async function slice(): Promise<void> {
  looping = false;
  if (!running) return;
  const r = run;
  const t0 = performance.now();
  const points: Point[] = [];
  try {
    while (performance.now() - t0 < SLICE_MS) {
      points.push(await trainStep(r));
      if (r.step % SAMPLE_EVERY === 0) {
        await syncRun(r);
        post({ type: "sample", text: sampleText(r.model, chars, r.sampleRng, 160, 0.8), step: r.step, id: -1, seed: r.config.seed + 1 });
      }
    }
  } catch (err) {
    if (err instanceof DeviceGone) return;
    if (device !== "webgpu") {
      running = false;
      post({ type: "progress", points, step: r.step, stepMs: 0, running });
      throw err;
    }
    post({ type: "progress", points, step: r.step, stepMs: 0, running });
    await leaveGpu(`the step failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return;
  }
  const ms = performance.now() - t0;
  r.seconds += ms / 1000;
  post({ type: "progress", points, step: r.step, stepMs: ms / points.length, running });
  postSpeed();
  loop();
}

function loop(): void {
  if (looping || !running) return;
  looping = true;
  setTimeout(() => enqueue(slice), 0);
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
  return { config, model, opt, stepFn: trainingStep(model, opt, config.clip), gpuStep: null, rng, sampleRng, step: meta.step ?? 0, seconds: meta.seconds ?? 0, history: (meta.history ?? []) as Point[] };
}

/** A new model in place of the current one (reset, load): paused, on the device chosen, if it can run there. */
function replaceRun(next: Run): void {
  running = false;
  run = next;
  if (device === "webgpu" && next.config.dtype !== "float32") {
    device = "cpu";
    post({ type: "device-error", message: `This model is ${next.config.dtype} (from its checkpoint); WebGPU has no float64, so it runs on the CPU.` });
  }
  ready();
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case "reset":
      replaceRun(newRun(m.settings));
      break;
    case "start":
      running = true;
      loop();
      break;
    case "pause":
      running = false;
      post({ type: "progress", points: [], step: run.step, stepMs: 0, running });
      break;
    case "set-lr": // read by the compiled step at every replay too
      run.config = { ...run.config, lr: m.lr };
      for (const g of run.opt.paramGroups) g.lr = m.lr;
      break;
    case "sample":
      await syncRun(run);
      post({ type: "sample", text: sampleText(run.model, chars, new RandomState(m.seed), m.length, m.temperature), step: run.step, id: m.id, seed: m.seed });
      break;
    case "save": {
      await syncRun(run);
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
      replaceRun(next);
      break;
    }
    case "set-device":
      await setDevice(m.device);
      if (running) loop();
      break;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => enqueue(() => handle(e.data));

ready();
enqueue(async () => post({ type: "devices", gpu: await probeGpu() }));
