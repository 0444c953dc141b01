// The messages between the page and its workers: the training worker (train.worker.ts) and the
// compiled-against-eager measurement (compare.worker.ts).

/** What the page can change; a new hidden size means a new model (reset). */
export interface TrainSettings {
  hidden: number;
  lr: number;
}

export type ToWorker =
  | { type: "reset"; settings: TrainSettings }
  | { type: "start" }
  | { type: "pause" }
  | { type: "set-lr"; lr: number }
  | { type: "sample"; seed: number; length: number; temperature: number; id: number }
  | { type: "save" }
  | { type: "load"; bytes: Uint8Array; name: string }
  | { type: "set-device"; device: Device };

/** Where the Train tab's steps run: eagerly on the CPU, or compiled for WebGPU (`compile(step, { device })`). */
export type Device = "cpu" | "webgpu";

/** The worker's WebGPU adapter, as `navigator.gpu.requestAdapter()` found it (once, at start), or why there is none. */
export type GpuProbe = { available: true; name: string; fallback: boolean } | { available: false; why: string };

/** Steps run and seconds spent in them on one device, at one hidden size (the GPU's counts only its replays: traces run on the CPU). */
export interface DeviceSpeed {
  steps: number;
  seconds: number;
}

export interface Point {
  step: number;
  /** training loss of this step, bits per character */
  train: number;
  /** validation loss, bits per character, every EVAL_EVERY steps */
  val?: number;
}

export type FromWorker =
  | { type: "ready"; corpusChars: number; vocab: number; unigramBpc: number; parameters: number; settings: TrainSettings; step: number; history: Point[] }
  | { type: "progress"; points: Point[]; step: number; stepMs: number; running: boolean }
  | { type: "sample"; text: string; step: number; id: number; seed: number }
  | { type: "saved"; bytes: Uint8Array; step: number }
  | { type: "load-error"; message: string }
  | { type: "error"; message: string }
  /** the WebGPU probe's answer, once, soon after the worker starts */
  | { type: "devices"; gpu: GpuProbe }
  /** where steps run now (after a set-device, a reset or load, or a fallback to the CPU) */
  | { type: "device"; device: Device; step: number }
  /** the GPU could not take or keep the run: why, and what the worker did (the run is now on the CPU) */
  | { type: "device-error"; message: string }
  /** steps/s so far of the current hidden size on each device (posted with progress, about every slice) */
  | { type: "speed"; hidden: number; cpu: DeviceSpeed; webgpu: DeviceSpeed };

// ---------------------------------------------------------------- compiled against eager

export type ToCompareWorker = { type: "measure"; id: number; hidden: number };

/** The model and batch that were timed. */
export interface CompareSizes {
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
  batch: number;
  seqLen: number;
  dtype: string;
  parameters: number;
}

export interface ModeTiming {
  /** median ms of one step over the timed steps (after warm-up) */
  medianMs: number;
  minMs: number;
  /** steps timed, after `warmup` untimed ones */
  timed: number;
}

export interface Agreement {
  /** every loss and every byte of the parameters and of Adam's state the same in both runs */
  equal: boolean;
  steps: number;
  /** the step losses, compared as float bits */
  lossesEqual: boolean;
  /** the first step whose loss differs, if one does */
  firstLossDifference?: { step: number; eager: number; compiled: number };
  /** tensors compared (parameters and optimizer state) and their values in all */
  tensors: number;
  values: number;
  /** names of the tensors whose bytes differ (model.* and optim.*), with their largest absolute difference (NaN: not comparable) */
  differing: { name: string; maxAbs: number }[];
}

export interface CompareResult {
  id: number;
  sizes: CompareSizes;
  warmup: number;
  eager: ModeTiming;
  compiled: ModeTiming;
  /** eager.medianMs / compiled.medianMs */
  ratio: number;
  agreement: Agreement;
  /** the compiled step's calls that traced and that replayed */
  compileStats: { traces: number; replays: number };
  /** what compile made of the step (CompiledFunction.plan()) */
  plan: string;
}

export type FromCompareWorker =
  | { type: "progress"; id: number; done: number; total: number; phase: "warm-up" | "timing" }
  | { type: "result"; result: CompareResult }
  | { type: "error"; id: number; message: string };
