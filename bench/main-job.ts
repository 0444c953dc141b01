// The main section (issue 25): the main job, `pnpm demo` (examples/char-lstm's training run),
// against the same run written in PyTorch (bench/peers/main_job_torch.py), which draws the same
// weights and batches from numpy's RandomState and so ends at the same validation bits/char.
// Each run is a child process of its own, one thread each (TAPEGRAD_NUM_THREADS=1;
// OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1)); with --main-runs=N the two alternate,
// tapegrad, PyTorch, tapegrad, ..., so that a change in the machine's load falls on both.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./lib/timing.js";
import { numpyEnv } from "./lib/numpy.js";
import { Footnotes, fmt, fmtRatio, printTable, ratio } from "./lib/table.js";
import type { BenchOptions } from "./options.js";

export type MainImpl = "tapegrad" | "torch" | "tapegrad-relaxed" | "tapegrad-mt" | "torch-mt";
const LABEL: Record<MainImpl, string> = {
  tapegrad: "tapegrad, compiled (pnpm demo)",
  "tapegrad-relaxed": "tapegrad, --experimental-wasm-relaxed-simd",
  torch: "PyTorch nn.LSTM",
  "tapegrad-mt": "tapegrad, compiled, threads",
  "torch-mt": "PyTorch nn.LSTM, threads",
};

/** One training run's outcome, as the demo's --json reports it (and the peer likewise). */
export interface MainRun {
  steps: number;
  /** The training loop, its validation checks and samples included. */
  seconds: number;
  valBpc: number;
  trainBpc: number;
}

export interface MainRow {
  impl: MainImpl;
  runs: MainRun[];
  /** Median over runs of steps / seconds; null when the row is missing. */
  stepsPerSec: number | null;
  /** The fastest run's and the slowest run's steps/s: how noisy the machine was. */
  range: [number, number] | null;
  /** Final validation bits/char (every run of a row ends at the same one; the first run's). */
  valBpc: number | null;
  trainBpc: number | null;
  /** tapegrad's steps/s over PyTorch's on the same threads (a PyTorch row: 1). */
  vsTorch: number | null;
  missing?: string;
  version?: string;
}

export interface MainResults {
  steps: number;
  runs: number;
  rows: MainRow[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLES = join(ROOT, "examples", "run.ts");
const PEER = fileURLToPath(new URL("./peers/main_job_torch.py", import.meta.url));
const TORCH_PYTHON = process.env.BENCH_TORCH_PYTHON ?? "/usr/bin/python3";
const TIMEOUT_MS = 60 * 60_000;

function log(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

/** The flag that turns relaxed SIMD on where the engine has it behind one (Node 20 and 21). */
const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";

/** `pnpm demo --steps N --json --quiet` in a child process: tapegrad's run, or why not. */
function runTapegrad(steps: number, threads: "one" | "default", nodeFlags: readonly string[] = []): MainRun | { missing: string } {
  const dir = mkdtempSync(join(tmpdir(), "tapegrad-main-"));
  try {
    const env = { ...process.env };
    if (threads === "one") env.TAPEGRAD_NUM_THREADS = "1";
    else delete env.TAPEGRAD_NUM_THREADS;
    const args = [...nodeFlags, ...process.execArgv, EXAMPLES, "char-lstm", "--steps", String(steps), "--json", "--quiet", "--out", dir];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: "utf8", timeout: TIMEOUT_MS, maxBuffer: 2 ** 24 });
    if (r.error) return { missing: `the demo failed to start: ${r.error.message}` };
    if (r.status !== 0) return { missing: `the demo exited ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").slice(-1)[0]}` };
    const v = JSON.parse(r.stdout.trim().split("\n").pop()!) as MainRun;
    return { steps: v.steps, seconds: v.seconds, valBpc: v.valBpc, trainBpc: v.trainBpc };
  } catch (e) {
    return { missing: `the demo printed no JSON: ${(e as Error).message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bench/peers/main_job_torch.py: PyTorch's run, or why not. */
function runTorch(steps: number, threads: "one" | "default"): (MainRun & { version: string }) | { missing: string } {
  const r = spawnSync(TORCH_PYTHON, [PEER], { input: JSON.stringify({ steps, threads }), env: numpyEnv(threads), encoding: "utf8", timeout: TIMEOUT_MS, maxBuffer: 2 ** 24 });
  if (r.error) return { missing: `${TORCH_PYTHON}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  if (r.status !== 0) return { missing: `the PyTorch peer exited ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").slice(-1)[0]}` };
  try {
    const v = JSON.parse(r.stdout) as MainRun & { torch: string; missing?: string };
    if (v.missing) return { missing: `torch is not installed for ${TORCH_PYTHON} (${v.missing}; apt-get install python3-torch)` };
    return { steps: v.steps, seconds: v.seconds, valBpc: v.valBpc, trainBpc: v.trainBpc, version: v.torch };
  } catch (e) {
    return { missing: `the PyTorch peer printed no JSON: ${(e as Error).message}` };
  }
}

function row(impl: MainImpl, runs: MainRun[], missing: string | undefined, version?: string): MainRow {
  const sps = runs.map((r) => r.steps / r.seconds);
  return {
    impl, runs,
    stepsPerSec: sps.length ? median(sps) : null,
    range: sps.length ? [Math.min(...sps), Math.max(...sps)] : null,
    valBpc: runs[0]?.valBpc ?? null,
    trainBpc: runs[0]?.trainBpc ?? null,
    vsTorch: null,
    ...(missing !== undefined && !runs.length ? { missing } : {}),
    ...(version ? { version } : {}),
  };
}

/** One pair of rows (tapegrad, PyTorch) on the given threads, their runs interleaved. */
function runPair(o: BenchOptions, threads: "one" | "default"): MainRow[] {
  const tg: MainRun[] = [];
  const pt: MainRun[] = [];
  let tgMissing: string | undefined;
  let ptMissing: string | undefined = o.numpy ? undefined : "skipped (--no-numpy)";
  let version: string | undefined;
  const sfx = threads === "one" ? "" : ", threads";
  for (let i = 0; i < o.mainRuns; i++) {
    if (tgMissing === undefined) {
      log(`main tapegrad${sfx}, ${o.mainSteps} steps (run ${i + 1} of ${o.mainRuns}) ...`);
      const r = runTapegrad(o.mainSteps, threads);
      if ("missing" in r) tgMissing = r.missing;
      else tg.push(r);
      log(`main tapegrad${sfx}: ${"missing" in r ? `missing (${r.missing})` : `${fmt(r.steps / r.seconds)} steps/s, validation ${r.valBpc} bits/char`}`);
    }
    if (ptMissing === undefined) {
      log(`main PyTorch${sfx}, ${o.mainSteps} steps (run ${i + 1} of ${o.mainRuns}) ...`);
      const r = runTorch(o.mainSteps, threads);
      if ("missing" in r) ptMissing = r.missing;
      else {
        pt.push(r);
        version = r.version;
      }
      log(`main PyTorch${sfx}: ${"missing" in r ? `missing (${r.missing})` : `${fmt(r.steps / r.seconds)} steps/s, validation ${r.valBpc.toFixed(4)} bits/char`}`);
    }
  }
  const a = row(threads === "one" ? "tapegrad" : "tapegrad-mt", tg, tgMissing);
  const b = row(threads === "one" ? "torch" : "torch-mt", pt, ptMissing, version);
  a.vsTorch = ratio(a.stepsPerSec, b.stepsPerSec);
  b.vsTorch = b.stepsPerSec === null ? null : 1;
  return [a, b];
}

/** tapegrad's run with relaxed SIMD switched on by its flag (one thread), or why not. */
function runRelaxed(o: BenchOptions, torch: MainRow): MainRow {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return row("tapegrad-relaxed", [], `node ${process.versions.node} has relaxed SIMD without a flag: the first row has it`);
  const runs: MainRun[] = [];
  let missing: string | undefined;
  for (let i = 0; i < o.mainRuns && missing === undefined; i++) {
    log(`main tapegrad ${RELAXED_FLAG}, ${o.mainSteps} steps (run ${i + 1} of ${o.mainRuns}) ...`);
    const r = runTapegrad(o.mainSteps, "one", [RELAXED_FLAG]);
    if ("missing" in r) missing = r.missing;
    else runs.push(r);
  }
  const x = row("tapegrad-relaxed", runs, missing);
  x.vsTorch = ratio(x.stepsPerSec, torch.stepsPerSec);
  return x;
}

export function runMainBench(o: BenchOptions): MainResults {
  const rows = runPair(o, "one");
  if (o.mainRelaxed) rows.splice(1, 0, runRelaxed(o, rows[1]!));
  if (o.mainThreads) rows.push(...runPair(o, "default"));
  return { steps: o.mainSteps, runs: o.mainRuns, rows };
}

export function printMain(r: MainResults): void {
  const fn = new Footnotes();
  const version = r.rows.find((x) => x.version)?.version;
  printTable(
    `main: the main job (pnpm demo: embedding 32, LSTM 192, linear head, float32, batch 32 x 48, Adam), ${r.steps} steps, ${r.runs} run${r.runs === 1 ? "" : "s"} each`,
    ["implementation", "steps/s", "slowest..fastest", "vs PyTorch", "validation bits/char", "train bits/char (last 50)"],
    r.rows.map((x) => [
      LABEL[x.impl] + (x.version ? ` (torch ${x.version})` : ""),
      x.missing ? fn.ref(x.missing) : x.stepsPerSec,
      x.range ? `${fmt(x.range[0])}..${fmt(x.range[1])}` : null,
      fmtRatio(x.vsTorch),
      x.valBpc === null ? null : x.valBpc.toFixed(4),
      x.trainBpc === null ? null : x.trainBpc.toFixed(4),
    ]),
    [
      "steps/s: steps over the seconds of the training loop, its validation checks and samples included (the demo's --json seconds); the median over runs.",
      "vs PyTorch: tapegrad's steps/s over PyTorch's on the same threads (above 1 is faster). Runs alternate between the two.",
      `threads: the first pair on one thread each (TAPEGRAD_NUM_THREADS=1; OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1))${r.rows.length > 2 ? "; the \"threads\" pair on each one's default threads" : ""}.`,
      "Both draw the same initial weights and batches from numpy's RandomState in the demo's order: the validation bits/char agree to about 1e-4 (float32 sums in another order).",
      ...fn.notes(),
    ],
  );
}
