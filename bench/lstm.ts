// The lstm section (issue 6): the LSTM training step (forward + full backward) at sizes S, M, L
// in float64 and float32, for tapegrad's tape and closed form and for the peers (numpy running
// the closed form; TensorFlow.js cpu and wasm), all in this run; then the step's peak memory.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as nd from "@tapegrad/tensor";
import type { FloatDType } from "@tapegrad/tensor";
import { measure, type MeasureOptions } from "./lib/timing.js";
import { Footnotes, printTable, fmt, fmtRatio, ratio } from "./lib/table.js";
import { numpyEnv, runNumpy } from "./lib/numpy.js";
import { SIZES, lstmData, compareGrads, notebookCacheBytes, GRAD_NAMES, type LstmSize, type NotebookGrads } from "./lstm-data.js";
import { prepareClosed, prepareTape, type Missing, type Prepared } from "./lstm-impls.js";
import { describeBackend, loadTfjs, prepareTfjs } from "./tfjs.js";
import { DEFAULT_THREADS, readyThreads } from "./lib/threads.js";
import type { MemoryJob, MemoryResult } from "./lstm-memory.js";
import type { BenchOptions, SizeName } from "./options.js";

/** "-mt": on the default thread count (tapegrad's worker threads; numpy's and PyTorch's own); the others on one thread. */
export type ImplName =
  | "tape" | "tape-mt" | "compiled" | "compiled-mt" | "closed" | "closed-mt" | "numpy" | "numpy-mt"
  | "torch-lstm" | "torch-lstm-mt" | "torch-cell" | "tfjs-cpu" | "tfjs-wasm";
export const IMPLS: readonly ImplName[] = [
  "tape", "tape-mt", "compiled", "compiled-mt", "closed", "closed-mt", "numpy", "numpy-mt", "torch-lstm", "torch-lstm-mt", "torch-cell", "tfjs-cpu", "tfjs-wasm",
];
const LABEL: Record<ImplName, string> = {
  tape: "tapegrad tape (nn.LSTM)",
  "tape-mt": "tapegrad tape, threads",
  compiled: "tapegrad compiled (nn.LSTM)",
  "compiled-mt": "tapegrad compiled, threads",
  "torch-lstm": "PyTorch nn.LSTM",
  "torch-lstm-mt": "PyTorch nn.LSTM, threads",
  "torch-cell": "PyTorch LSTMCell loop",
  closed: "tapegrad closed form",
  "closed-mt": "tapegrad closed, threads",
  numpy: "numpy closed form",
  "numpy-mt": "numpy closed, threads",
  "tfjs-cpu": "tfjs cpu",
  "tfjs-wasm": "tfjs wasm",
};
const threaded = (impl: ImplName) => impl.endsWith("-mt");
const PEERS: readonly ImplName[] = ["numpy", "numpy-mt", "torch-lstm", "torch-lstm-mt", "torch-cell"];

export interface LstmRow {
  size: SizeName;
  dims: LstmSize;
  dtype: FloatDType;
  impl: ImplName;
  /** Median ms per step; null when the row is missing. */
  medianMs: number | null;
  minMs: number | null;
  runs: number;
  missing?: string;
  /** This row's time over numpy's, same size and dtype (a "-mt" row: over numpy's on its default threads). */
  vsNumpy: number | null;
  /** This row's time over the faster TensorFlow.js backend's (float32 only). */
  vsBestTfjs: number | null;
  /** This row's time over tapegrad's closed form (a "-mt" row: the closed form's on threads). */
  vsClosed: number | null;
  opsPerStep?: number;
  /** Step time over recorded ops (tape row). */
  usPerOp?: number;
  /** Gradients against the reference (numpy's, same dtype): max |Δ| / max |ref|. */
  check?: { relErr: number; worst: string; ok: boolean; against: ImplName };
}

export interface MemoryRow {
  impl: "tape" | "compiled" | "closed" | "numpy";
  size: SizeName;
  T: number;
  dtype: FloatDType;
  baselineMiB: number | null;
  peakMiB: number | null;
  /** peak - baseline: what the step itself added (saved values, temporaries, garbage not yet collected). */
  stepMiB: number | null;
  /** What the notebook's caches hold for the sequence: the floor for any implementation that caches. */
  cacheFloorMiB: number;
  ms: number | null;
  hwmReset: boolean;
  missing?: string;
}

export interface LstmResults {
  rows: LstmRow[];
  memory: MemoryRow[];
  tfjs: { version: string | null; backends: Record<string, string> };
  timing: Record<SizeName, MeasureOptions>;
}

function timingFor(size: SizeName, o: BenchOptions): MeasureOptions {
  if (size === "L") return { warmup: o.lWarmup, minRuns: o.lRuns, maxRuns: o.lRuns, minTimeMs: 0, maxTimeMs: 0, batchMs: 0 };
  if (o.quick) return size === "S" ? { warmup: 3, minRuns: 5, minTimeMs: 200, maxTimeMs: 1000 } : { warmup: 1, minRuns: 3, minTimeMs: 0, maxTimeMs: 0 };
  // At S a step is a fraction of a millisecond: V8 needs a few hundred calls before the code it
  // times is optimised, and the first implementation measured would otherwise pay for it.
  return size === "S" ? { warmup: 300, minRuns: 10, minTimeMs: 1500, maxTimeMs: 4000 } : { warmup: 2, minRuns: 5, maxRuns: 30, minTimeMs: 3000, maxTimeMs: 10_000 };
}

/** Gradients are compared at these sizes (an extra step per row); L is left out for time. */
const CHECK_SIZES: readonly SizeName[] = ["S", "M"];
const CHECK_TOL: Record<FloatDType, number> = { float64: 1e-9, float32: 1e-3 };

function log(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

interface NumpyLstm {
  medianMs: number;
  minMs: number;
  runs: number;
  grads?: Record<string, { shape: number[]; data: number[] }>;
}

function numpyGrads(g: NonNullable<NumpyLstm["grads"]>): NotebookGrads {
  return Object.fromEntries(GRAD_NAMES.map((k) => [k, nd.array(g[k]!.data, g[k]!.shape)])) as NotebookGrads;
}

async function prepare(impl: ImplName, size: LstmSize, dtype: FloatDType, d: ReturnType<typeof lstmData>): Promise<Prepared | Missing> {
  switch (impl) {
    case "tape":
    case "tape-mt":
      return prepareTape(size, dtype, d);
    case "compiled":
    case "compiled-mt":
      return prepareTape(size, dtype, d, { compiled: true });
    case "closed":
    case "closed-mt":
      return prepareClosed(size, dtype, d);
    case "tfjs-cpu": return prepareTfjs("cpu", size, dtype, d);
    case "tfjs-wasm": return prepareTfjs("wasm", size, dtype, d);
    case "numpy":
    case "numpy-mt":
    case "torch-lstm":
    case "torch-lstm-mt":
    case "torch-cell":
      throw new Error(`${impl} runs in its own process`);
  }
}

async function runCase(size: SizeName, dtype: FloatDType, o: BenchOptions): Promise<LstmRow[]> {
  const dims = SIZES[size];
  const timing = timingFor(size, o);
  const check = CHECK_SIZES.includes(size);
  const rows: LstmRow[] = [];
  const base = { size, dims, dtype, vsNumpy: null, vsBestTfjs: null, vsClosed: null };
  const missing = (impl: ImplName, why: string): LstmRow => ({ ...base, impl, medianMs: null, minMs: null, runs: 0, missing: why });

  // numpy first, in its own process (blocking, so nothing else runs beside it)
  let ref: NotebookGrads | null = null;
  if (o.numpy) {
    log(`${size} ${dtype} numpy ...`);
    const r = runNumpy<NumpyLstm[]>({ command: "lstm", cases: [{ ...dims, dtype, seed: 1, check, timing }] });
    if (r.ok) {
      const v = r.value[0]!;
      rows.push({ ...base, impl: "numpy", medianMs: v.medianMs, minMs: v.minMs, runs: v.runs });
      if (v.grads) ref = numpyGrads(v.grads);
      log(`${size} ${dtype} numpy: ${fmt(v.medianMs)} ms/step`);
    } else rows.push(missing("numpy", r.reason));
    log(`${size} ${dtype} numpy, default threads ...`);
    const mt = runNumpy<NumpyLstm[]>({ command: "lstm", cases: [{ ...dims, dtype, seed: 1, check: false, timing }] }, undefined, "default");
    if (mt.ok) rows.push({ ...base, impl: "numpy-mt", medianMs: mt.value[0]!.medianMs, minMs: mt.value[0]!.minMs, runs: mt.value[0]!.runs });
    else rows.push(missing("numpy-mt", mt.reason));
  } else rows.push(missing("numpy", "skipped (--no-numpy)"), missing("numpy-mt", "skipped (--no-numpy)"));

  // PyTorch next, in a process of its own too (one thread; Debian's python3, which has torch)
  if (o.numpy) {
    log(`${size} ${dtype} torch ...`);
    const r = runTorchLstm({ ...dims, dtype, seed: 1, timing });
    if ("missing" in r) {
      rows.push(missing("torch-lstm", r.missing), missing("torch-cell", r.missing));
      log(`${size} ${dtype} torch: missing (${r.missing})`);
    } else {
      rows.push({ ...base, impl: "torch-lstm", medianMs: r.lstm.medianMs, minMs: r.lstm.minMs, runs: r.lstm.runs });
      rows.push({ ...base, impl: "torch-cell", medianMs: r.cell.medianMs, minMs: r.cell.minMs, runs: r.cell.runs });
      log(`${size} ${dtype} torch ${r.version}: nn.LSTM ${fmt(r.lstm.medianMs)} ms/step, LSTMCell loop ${fmt(r.cell.medianMs)} ms/step`);
    }
    const mt = runTorchLstm({ ...dims, dtype, seed: 1, timing, threads: "default" });
    if ("missing" in mt) rows.push(missing("torch-lstm-mt", mt.missing));
    else rows.push({ ...base, impl: "torch-lstm-mt", medianMs: mt.lstm.medianMs, minMs: mt.lstm.minMs, runs: mt.lstm.runs });
  } else rows.push(missing("torch-lstm", "skipped (--no-numpy)"), missing("torch-lstm-mt", "skipped (--no-numpy)"), missing("torch-cell", "skipped (--no-numpy)"));

  const data = lstmData(dims, dtype);
  for (const impl of IMPLS) {
    if (PEERS.includes(impl)) continue;
    if (impl.startsWith("tfjs") && !o.tfjs) {
      rows.push(missing(impl, "skipped (--no-tfjs)"));
      continue;
    }
    if (threaded(impl) && DEFAULT_THREADS < 2) {
      rows.push(missing(impl, "the default is 1 thread (TAPEGRAD_NUM_THREADS, or one core)"));
      continue;
    }
    const why = await readyThreads(threaded(impl) ? DEFAULT_THREADS : 1);
    if (why !== null) {
      rows.push(missing(impl, `no threads: ${why}`));
      continue;
    }
    log(`${size} ${dtype} ${impl} ...`);
    const p = await prepare(impl, dims, dtype, data);
    if ("missing" in p) {
      rows.push(missing(impl, p.missing));
      log(`${size} ${dtype} ${impl}: missing (${p.missing})`);
      continue;
    }
    try {
      const t = measure(() => p.step(), timing);
      const row: LstmRow = { ...base, impl, medianMs: t.medianMs, minMs: t.minMs, runs: t.runs };
      if (p.opsPerStep) {
        row.opsPerStep = p.opsPerStep;
        row.usPerOp = (t.medianMs * 1000) / p.opsPerStep;
      }
      if (check) {
        const g = p.grads();
        if (ref === null && impl === "tape") ref = g; // no numpy: the tape is the reference
        const c = compareGrads(g, ref ?? g);
        row.check = { relErr: c.relErr, worst: c.worst, ok: c.relErr <= CHECK_TOL[dtype], against: rows.some((r) => r.impl === "numpy" && r.medianMs !== null) ? "numpy" : "tape" };
      }
      rows.push(row);
      log(`${size} ${dtype} ${impl}: ${fmt(t.medianMs)} ms/step (${t.runs} runs)`);
    } catch (e) {
      rows.push(missing(impl, `the step failed: ${(e as Error).message}`));
      log(`${size} ${dtype} ${impl}: failed (${(e as Error).message})`);
    } finally {
      p.dispose?.();
    }
  }
  await readyThreads(1);
  const ms = (impl: ImplName) => rows.find((r) => r.impl === impl)?.medianMs ?? null;
  const tf = [ms("tfjs-cpu"), ms("tfjs-wasm")].filter((v): v is number => v !== null);
  const bestTf = tf.length ? Math.min(...tf) : null;
  for (const r of rows) {
    const mt = threaded(r.impl);
    r.vsNumpy = ratio(r.medianMs, ms(mt ? "numpy-mt" : "numpy"));
    r.vsBestTfjs = ratio(r.medianMs, bestTf);
    r.vsClosed = ratio(r.medianMs, ms(mt ? "closed-mt" : "closed"));
  }
  // the row order of the table, whatever order they ran in
  return IMPLS.map((i) => rows.find((r) => r.impl === i)!).filter(Boolean);
}

interface TorchTiming {
  medianMs: number;
  minMs: number;
  runs: number;
}

const TORCH_PEER = fileURLToPath(new URL("./peers/lstm_torch_peer.py", import.meta.url));
const TORCH_PYTHON = process.env.BENCH_TORCH_PYTHON ?? "/usr/bin/python3";

/** bench/peers/lstm_torch_peer.py on one case: PyTorch's nn.LSTM and LSTMCell loop, or why not. */
function runTorchLstm(c: Record<string, unknown>): { version: string; lstm: TorchTiming; cell: TorchTiming } | { missing: string } {
  const r = spawnSync(TORCH_PYTHON, [TORCH_PEER], { input: JSON.stringify({ cases: [c] }), env: numpyEnv(c.threads === "default" ? "default" : "one"), encoding: "utf8", timeout: 30 * 60_000, maxBuffer: 2 ** 24 });
  if (r.error) return { missing: `${TORCH_PYTHON}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  if (r.status !== 0) return { missing: `torch peer exited ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").slice(-1)[0]}` };
  try {
    const v = JSON.parse(r.stdout) as { missing?: string; torch: string; cases: { lstm: TorchTiming; cell: TorchTiming; agree: number }[] };
    if (v.missing) return { missing: `torch is not installed for ${TORCH_PYTHON} (${v.missing}; apt-get install python3-torch libopenblas0-pthread)` };
    const k = v.cases[0]!;
    if (!(k.agree < 1e-6)) return { missing: `torch's nn.LSTM and LSTMCell loop disagree (${k.agree})` };
    return { version: v.torch, lstm: k.lstm, cell: k.cell };
  } catch (e) {
    return { missing: `torch peer printed no JSON: ${(e as Error).message}` };
  }
}

const MEMORY_CHILD = fileURLToPath(new URL("./lstm-memory.ts", import.meta.url));

function memoryRun(impl: MemoryRow["impl"], size: SizeName, T: number, dtype: FloatDType): MemoryRow {
  const dims = { ...SIZES[size], T };
  const row = { impl, size, T, dtype, cacheFloorMiB: notebookCacheBytes(dims, dtype) / 2 ** 20 };
  const empty = { baselineMiB: null, peakMiB: null, stepMiB: null, ms: null, hwmReset: false };
  let r: MemoryResult | { missing: string };
  if (impl === "numpy") {
    const p = runNumpy<MemoryResult>({ command: "lstm_memory", case: { ...dims, dtype, seed: 1 } });
    r = p.ok ? p.value : { missing: p.reason };
  } else {
    const job: MemoryJob = { impl, size: dims, dtype };
    // one thread, as the numpy peer runs here
    const env = { ...process.env, TAPEGRAD_NUM_THREADS: "1" };
    const c = spawnSync(process.execPath, [...process.execArgv, "--expose-gc", MEMORY_CHILD, JSON.stringify(job)], { encoding: "utf8", maxBuffer: 2 ** 24, timeout: 30 * 60_000, env });
    try {
      r = c.status === 0 ? (JSON.parse(c.stdout.trim().split("\n").pop()!) as MemoryResult) : { missing: `child exited ${c.status ?? c.signal}: ${(c.stderr ?? "").trim().split("\n").slice(-1)[0]}` };
    } catch (e) {
      r = { missing: `child printed no JSON: ${(e as Error).message}` };
    }
  }
  if ("missing" in r && r.missing) return { ...row, ...empty, missing: r.missing };
  const m = r as MemoryResult;
  const mib = (k: number | null) => (k === null ? null : k / 1024);
  const stepMiB = m.peakKiB !== null && m.baselineKiB !== null ? (m.peakKiB - m.baselineKiB) / 1024 : null;
  return { ...row, baselineMiB: mib(m.baselineKiB), peakMiB: mib(m.peakKiB), stepMiB, ms: m.ms, hwmReset: m.hwmReset };
}

export async function runLstmBench(o: BenchOptions): Promise<LstmResults> {
  const rows: LstmRow[] = [];
  for (const size of o.sizes) for (const dtype of o.dtypes) rows.push(...(await runCase(size, dtype, o)));

  const memory: MemoryRow[] = [];
  if (o.memory) {
    const dtype: FloatDType = o.dtypes.includes("float64") ? "float64" : "float32";
    for (const T of o.memoryT) {
      for (const impl of ["tape", "compiled", "closed", "numpy"] as const) {
        if (impl === "numpy" && !o.numpy) continue;
        log(`memory ${o.memorySize} T=${T} ${dtype} ${impl} ...`);
        const m = memoryRun(impl, o.memorySize, T, dtype);
        log(`memory ${o.memorySize} T=${T} ${impl}: ${m.missing ? `missing (${m.missing})` : `peak ${fmt(m.peakMiB)} MiB, step +${fmt(m.stepMiB)} MiB`}`);
        memory.push(m);
      }
    }
  }

  const t = o.tfjs ? await loadTfjs() : { error: "skipped (--no-tfjs)" };
  const backends: Record<string, string> = {};
  if (!("error" in t)) for (const b of ["cpu", "wasm"] as const) backends[b] = await describeBackend(b);
  const timing = { S: timingFor("S", o), M: timingFor("M", o), L: timingFor("L", o) };
  return { rows, memory, tfjs: { version: "error" in t ? null : t.version, backends }, timing };
}

export function printLstm(r: LstmResults): void {
  const fn = new Footnotes();
  const sizeText = (s: SizeName) => {
    const d = SIZES[s];
    return `${s} (${d.n_x},${d.n_a},${d.m},${d.T})`;
  };
  printTable(
    "lstm: one training step (forward + backward: all weights, x, h0), median ms/step",
    ["size (n_x,n_a,m,T)", "dtype", "implementation", "ms/step", "runs", "vs numpy", "vs best tfjs", "vs closed", "µs/op", "grads check"],
    r.rows.map((x) => [
      sizeText(x.size),
      x.dtype,
      LABEL[x.impl],
      x.missing ? fn.ref(x.missing) : x.medianMs,
      x.missing ? null : x.runs,
      fmtRatio(x.vsNumpy),
      fmtRatio(x.vsBestTfjs),
      fmtRatio(x.vsClosed),
      x.usPerOp ?? null,
      x.check ? `${x.check.ok ? "ok" : "MISMATCH"} ${fmt(x.check.relErr, 2)}${x.check.ok ? "" : ` (${x.check.worst})`}` : "",
    ]),
    [
      "vs X: this row's median over X's, same size and dtype (< 1: faster). tfjs has float32 kernels only.",
      `threads: tapegrad's rows run on one thread, its "threads" rows on ${DEFAULT_THREADS} (worker threads for large products); numpy's and PyTorch's "threads" rows on their default threads, the others on one. A threads row's "vs numpy" and "vs closed" are over the threads rows.`,
      "µs/op: the tape's step time over the ops it records per step (the kernels' time included).",
      `grads check: max |Δ| / max |ref| of all gradients (dx, da0, dW*, db*) against numpy's at ${CHECK_SIZES.join(", ")} (tolerance ${CHECK_TOL.float64} f64, ${CHECK_TOL.float32} f32).`,
      ...fn.notes(),
    ],
  );
  if (r.memory.length) {
    const mf = new Footnotes();
    printTable(
      "lstm: peak resident memory of one step, each in its own process",
      ["size", "T", "dtype", "implementation", "baseline MiB", "peak MiB", "step MiB", "notebook cache MiB", "step / cache", "ms"],
      r.memory.map((m) => [
        m.size,
        m.T,
        m.dtype,
        LABEL[m.impl],
        m.missing ? mf.ref(m.missing) : m.baselineMiB,
        m.peakMiB,
        m.stepMiB,
        m.cacheFloorMiB,
        fmtRatio(ratio(m.stepMiB, m.cacheFloorMiB)),
        m.ms,
      ]),
      [
        "baseline: resident set after setup and a GC; peak: VmHWM during the step (reset after setup); step = peak - baseline.",
        "notebook cache: what the notebook's caches hold (a, c, a_prev, c_prev, f, i, cc, o per step, and x): the floor for a cached backward.",
        ...mf.notes(),
      ],
    );
  }
}
