// Trains a character-level LSTM language model on Pride and Prejudice (data/corpus.txt,
// public domain; see data/SOURCE.md), samples text as it learns, and writes a loss curve and
// a safetensors checkpoint. Ctrl-C saves a checkpoint; --resume continues it exactly.
//
//   pnpm example char-lstm                 # the default run: a few minutes on 2 cores
//   pnpm example char-lstm --sample out/char-lstm/checkpoint.safetensors --temperature 0.7

import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { RandomState, type DType, type NDArray } from "@tapegrad/tensor";
import { compile, type Tensor } from "@tapegrad/autograd";
import { Adam, CosineAnnealingLR, Vocab, clipGradNorm, crossEntropy } from "@tapegrad/nn";
import { CharModel, LN2, batchAt, readCharCheckpoint, encodeCheckpoint, evaluate, compiledEvaluate, sampleText, unigramBits, type Checkpoint, type Config } from "./model.js";
import { parseOptions, usageError } from "../lib/cli.js";
import { Progress, formatDuration, devNull } from "../lib/progress.js";
import { lineChart } from "../lib/svg.js";
import { writeAtomic } from "../lib/files.js";

const here = dirname(fileURLToPath(import.meta.url));

const spec = {
  hidden: { type: "integer", min: 1, default: 192, help: "LSTM hidden size" },
  layers: { type: "integer", min: 1, default: 1, help: "LSTM layers" },
  embed: { type: "integer", min: 1, default: 32, help: "character embedding size" },
  "seq-len": { type: "integer", min: 1, default: 48, help: "characters per training sequence (truncated BPTT length)" },
  batch: { type: "integer", min: 1, default: 32, help: "sequences per batch" },
  lr: { type: "number", above: 0, default: 0.01, help: "Adam learning rate at the start (cosine decay to a tenth)" },
  steps: { type: "integer", min: 1, default: 800, help: "training steps" },
  seed: { type: "integer", min: 0, max: 2 ** 32 - 2, default: 1, help: "random seed (weights, batches, samples)" },
  clip: { type: "number", above: 0, default: 1, help: "gradient-clipping max norm" },
  dtype: { type: "string", choices: ["float32", "float64"], default: "float32", help: "floating-point type of the weights" },
  "eval-every": { type: "integer", min: 1, default: 100, help: "steps between validation checks and samples" },
  out: { type: "string", file: "outdir", default: "out/char-lstm", help: "output folder (checkpoint, loss curve)" },
  corpus: { type: "string", file: "exists", help: "train on another text file instead of the bundled novel" },
  resume: { type: "string", file: "safetensors", help: "continue training from this checkpoint" },
  "stop-at": { type: "integer", min: 1, help: "stop (saving a checkpoint) after this step, as Ctrl-C would" },
  sample: { type: "string", file: "safetensors", help: "only generate text from this checkpoint (no training)" },
  temperature: { type: "number", above: 0, default: 0.8, help: "sampling temperature (lower is more conservative)" },
  length: { type: "integer", min: 1, default: 400, help: "characters to generate with --sample" },
  "top-k": { type: "integer", min: 1, help: "sample only from the k most likely characters (--sample and the final sample)" },
  "top-p": { type: "number", above: 0, max: 1, help: "sample only from the most likely characters whose probabilities reach p (nucleus)" },
  json: { type: "boolean", help: "end with a one-line JSON summary" },
  quiet: { type: "boolean", help: "print only the summary" },
  "no-compile": { type: "boolean", help: "run the training step eagerly instead of compiled (the same numbers, slower)" },
  device: { type: "string", choices: ["cpu", "webgpu"], default: "cpu", help: "where compiled steps replay: webgpu runs them on a GPU through the npm package webgpu (float32)" },
} as const;

export interface Summary {
  steps: number;
  seconds: number;
  trainBpc: number;
  valBpc: number;
  unigramBpc: number;
}

function saveCheckpoint(path: string, model: CharModel, opt: Adam, meta: Checkpoint): void {
  writeAtomic(path, encodeCheckpoint(model, opt, meta));
}

// The flag's table has already checked that the file is safetensors; what is left to say is
// that it is not this example's checkpoint.
function loadCheckpoint(flag: string, path: string) {
  try {
    return readCharCheckpoint(readFileSync(path), path);
  } catch (e) {
    const why = (e as Error).message.split("\n")[0]!.replace(`${path}: `, "").replace(/^not a char-lstm checkpoint \((.*)\)$/, "it has $1");
    usageError(flag, path, `a char-lstm checkpoint (${why})`);
  }
}

export async function main(argv: string[]): Promise<Summary | undefined> {
  const o = parseOptions("usage: pnpm example char-lstm [options]\n\nTrains a character-level LSTM on Pride and Prejudice and samples from it.", spec, argv);
  const say = o.quiet ? () => {} : (s: string) => console.log(s);

  if (o.sample) {
    const { meta, restore } = loadCheckpoint("sample", o.sample);
    const model = new CharModel(meta.chars.length, meta.config, new RandomState(0));
    try {
      restore(model);
    } catch (e) {
      usageError("sample", o.sample, `a char-lstm checkpoint whose weights fit its own config (${(e as Error).message.split("\n")[0]})`);
    }
    console.log(sampleText(model, meta.chars, new RandomState(o.seed), o.length, o.temperature, "\n", { topK: o["top-k"], topP: o["top-p"] }));
    return undefined;
  }

  const text = readFileSync(o.corpus ?? join(here, "data", "corpus.txt"), "utf8");
  const resumed = o.resume ? loadCheckpoint("resume", o.resume) : null;
  const c: Config = resumed?.meta.config ?? {
    hidden: o.hidden, layers: o.layers, embed: o.embed, seqLen: o["seq-len"], batch: o.batch,
    lr: o.lr, steps: o.steps, seed: o.seed, clip: o.clip, dtype: o.dtype as DType, evalEvery: o["eval-every"],
  };
  if (resumed) c.steps = o.steps !== spec.steps.default ? o.steps : c.steps;

  // A resumed run keeps its checkpoint's vocabulary; a corpus with other characters is refused.
  const vocab = resumed ? new Vocab(resumed.meta.chars) : Vocab.fromText(text);
  const chars = [...vocab.tokens];
  let ids: Int32Array;
  try {
    ids = vocab.encode(text);
  } catch (e) {
    usageError("corpus", o.corpus ?? "the bundled novel", `a text whose characters are all in the checkpoint's vocabulary (${(e as Error).message})`);
  }
  const split = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, split);
  const val = ids.subarray(split);
  // A batch draws seqLen + 1 characters from the training part, and validation needs one window.
  if (val.length < 3) usageError("corpus", o.corpus, `a text of at least 30 characters (this one has ${text.length})`);
  if (val.length < c.seqLen + 1) {
    usageError(resumed ? "resume" : "seq-len", resumed ? o.resume : c.seqLen, `an integer of at most ${val.length - 1} for a corpus of ${text.length} characters (a tenth is held out for validation)`);
  }
  // Checks during training read the start of the validation text, to stay quick; the final figure reads all of it.
  const valQuick = val.subarray(0, Math.min(val.length, VAL_QUICK));
  const quickWhat = valQuick.length < val.length ? `the first ${fmtInt(valQuick.length)} validation chars` : `all ${fmtInt(val.length)} validation chars`;
  const unigramBpc = unigramBits(ids, chars.length);

  const rng = new RandomState(c.seed);
  const sampleRng = new RandomState(c.seed + 1);
  const model = new CharModel(chars.length, c, rng);
  const opt = new Adam(model.parameters(), { lr: c.lr });
  // Cosine decay from lr to lr/10 over the run: large steps early, fine ones at the end.
  const sched = new CosineAnnealingLR(opt, { tMax: c.steps, etaMin: c.lr / 10 });
  let step = 0;
  let seconds = 0;
  let history: Checkpoint["history"] = [];
  if (resumed) {
    try {
      resumed.restore(model, opt);
    } catch (e) {
      usageError("resume", o.resume, `a char-lstm checkpoint whose weights fit its own config (${(e as Error).message.split("\n")[0]})`);
    }
    rng.setState(resumed.meta.rng as never);
    sampleRng.setState(resumed.meta.sampleRng as never);
    ({ step, seconds, history } = resumed.meta);
    if (resumed.meta.sched) sched.loadStateDict(resumed.meta.sched);
    else for (let s = 0; s < step; s++) sched.step(); // an older checkpoint: replay the schedule to this step
    sched.tMax = c.steps; // --steps may lengthen a resumed run
    say(`resuming from ${o.resume} at step ${step}`);
  }

  const ckptPath = join(o.out, "checkpoint.safetensors");
  say(`corpus: ${fmtInt(text.length)} chars, ${chars.length} distinct; train ${fmtInt(train.length)}, validation ${fmtInt(val.length)} (checks every ${c.evalEvery} steps read ${quickWhat}; the final figure reads all)`);
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
    rng: rng.getState(), sampleRng: sampleRng.getState(), history, sched: sched.stateDict(),
  });

  // One training step. Compiled, its first calls trace it and later ones replay the kernels it
  // ran (docs/compile.md); the schedule's learning rate is read at every replay.
  const trainStep = (x: NDArray, y: NDArray): Tensor => {
    const [logits] = model.forward(x);
    const loss = crossEntropy(logits, y);
    loss.backward();
    clipGradNorm(model.parameters(), c.clip);
    opt.step();
    opt.zeroGrad();
    return loss;
  };
  const gpu = o.device === "webgpu" ? await openDevice(o["no-compile"], c.dtype) : null;
  const runStep: (x: NDArray, y: NDArray) => Tensor | Promise<Tensor> = gpu ? compile(trainStep, { device: gpu.device }) : o["no-compile"] ? trainStep : compile(trainStep);
  if (gpu) say(`device: WebGPU (${gpu.name}); each step replays as one command buffer`);
  // on the GPU the state stays there between steps: brought back before the CPU reads it
  const sync = async () => {
    if (gpu) await (runStep as unknown as { sync(): Promise<void> }).sync();
  };

  // validation's forward compiled as well, unless everything runs eagerly (the same numbers)
  const evaluateOn = o["no-compile"] ? (data: Int32Array, T: number, B: number) => evaluate(model, data, T, B) : compiledEvaluate(model);
  const validate = (data: Int32Array) => evaluateOn(data, c.seqLen, 64);

  while (step < c.steps && !stop) {
    const starts = rng.randint(0, train.length - c.seqLen - 1, [c.batch]).data;
    const { x, y } = batchAt(train, starts, c.seqLen);
    const loss = await runStep(x, y);
    sched.step();
    step++;
    const bpc = loss.item() / LN2;
    emaBpc = Number.isNaN(emaBpc) ? bpc : 0.9 * emaBpc + 0.1 * bpc;
    const entry: Checkpoint["history"][number] = { step, train: bpc };
    if (step % c.evalEvery === 0 || step === c.steps) {
      await sync();
      entry.val = validate(valQuick);
      progress.log(`step ${step}: train ${emaBpc.toFixed(3)} bits/char (moving average), validation ${entry.val.toFixed(3)} bits/char on ${quickWhat} (unigram ${unigramBpc.toFixed(3)})`);
      progress.log("  sample: " + JSON.stringify(sampleText(model, chars, sampleRng, 120, 0.8)));
    }
    history.push(entry);
    // loss is what the optimizer sees (cross-entropy in nats per character, this batch alone);
    // bpc is the same in bits, averaged over recent batches, comparable with validation.
    progress.update(step, { loss: `${loss.item().toFixed(3)} nats/char (batch)`, bpc: `${emaBpc.toFixed(3)} (moving avg)` });
    if (o["stop-at"] !== undefined && step >= o["stop-at"]) stop = true;
    // Let a pending Ctrl-C run its handler between steps.
    await new Promise((r) => setImmediate(r));
  }
  progress.done();
  process.removeListener("SIGINT", onSigint);
  await sync();
  gpu?.device.destroy(); // a process that exits with a live device crashed (Dawn)
  seconds = (performance.now() - t0) / 1000;
  saveCheckpoint(ckptPath, model, opt, snapshot());
  writeAtomic(join(o.out, "loss.svg"), lossCurve(history, unigramBpc));
  if (stop && step < c.steps) {
    say(`stopped at step ${step}; checkpoint saved to ${ckptPath} (continue with --resume ${ckptPath})`);
  }

  const valBpc = validate(val);
  const recent = history.slice(-50);
  const trainBpc = recent.reduce((s, h) => s + h.train, 0) / Math.max(recent.length, 1);
  const summary: Summary = { steps: step, seconds: +seconds.toFixed(1), trainBpc: +trainBpc.toFixed(4), valBpc: +valBpc.toFixed(4), unigramBpc: +unigramBpc.toFixed(4) };
  say(`\ndone: ${step} steps in ${formatDuration(seconds)}`);
  say(`validation on all ${fmtInt(val.length)} validation chars: ${valBpc.toFixed(3)} bits/char vs unigram entropy ${unigramBpc.toFixed(3)} bits/char (${((1 - valBpc / unigramBpc) * 100).toFixed(1)}% below)`);
  say(`wrote ${ckptPath} and ${join(o.out, "loss.svg")}`);
  say(`sample (temperature 0.7):\n${sampleText(model, chars, sampleRng, 300, 0.7, "\n", { topK: o["top-k"], topP: o["top-p"] })}`);
  if (o.json) console.log(JSON.stringify(summary));
  return summary;
}

/** A GPUDevice from the npm package webgpu (a dev dependency of the workspace, loaded only for --device webgpu). */
async function openDevice(noCompile: boolean | undefined, dtype: DType): Promise<{ device: GPUDevice; instance: unknown; name: string }> {
  if (noCompile) usageError("device", "webgpu", "cpu: an eager step (--no-compile) runs on the CPU");
  if (dtype !== "float32") usageError("dtype", dtype, "float32 with --device webgpu (WebGPU has no float64)");
  let webgpu: typeof import("webgpu");
  try {
    webgpu = await import("webgpu");
  } catch (e) {
    usageError("device", "webgpu", `cpu: the npm package webgpu does not load here (${(e as Error).message.split("\n")[0]})`);
  }
  Object.assign(globalThis, webgpu.globals);
  const instance = webgpu.create([]); // held with the device: collected, it takes the device with it
  const adapter = await instance.requestAdapter();
  if (adapter === null) usageError("device", "webgpu", "cpu: no WebGPU adapter here (without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp, slow)");
  const device = await adapter.requestDevice();
  return { device, instance, name: [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter((x) => x).join(" / ") };
}

const VAL_QUICK = 20_000;
const fmtInt = (n: number) => n.toLocaleString("en-US");

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
      { name: `validation (first ${fmtInt(VAL_QUICK)} chars)`, color: "#d62728", points: valPts },
    ],
    { title: "char-LSTM on Pride and Prejudice", xLabel: "step", yLabel: "bits per character", hlines: [{ y: unigram, label: "unigram entropy", color: "#888" }] },
  );
}
