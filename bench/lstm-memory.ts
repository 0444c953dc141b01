// Peak memory of one LSTM step, measured in a process of its own so that runs don't mix: set
// up, collect garbage, note the resident set, reset the high-water mark (Linux: writing 5 to
// /proc/self/clear_refs), take one step, read the high-water mark (VmHWM).
// bench/lstm.ts starts it: node --expose-gc <tsx loader> bench/lstm-memory.ts '<json job>'.

import { readFileSync, writeFileSync } from "node:fs";
import type { FloatDType } from "@tapegrad/tensor";
import { lstmData, type LstmSize } from "./lstm-data.js";
import { prepareClosed, prepareTape } from "./lstm-impls.js";

export interface MemoryJob {
  /** compiled: the tape's step through compile, measured on a replay (its traces run first, before the baseline) */
  impl: "tape" | "compiled" | "closed";
  size: LstmSize;
  dtype: FloatDType;
}

export interface MemoryResult {
  baselineKiB: number | null;
  peakKiB: number | null;
  /** Whether the high-water mark could be reset after setup (else the peak may include setup). */
  hwmReset: boolean;
  ms: number;
  missing?: string;
}

function statusKiB(field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function run(job: MemoryJob): MemoryResult {
  const data = lstmData(job.size, job.dtype);
  const p =
    job.impl === "closed" ? prepareClosed(job.size, job.dtype, data) : prepareTape(job.size, job.dtype, data, { countOps: false, compiled: job.impl === "compiled" });
  if ("missing" in p) return { baselineKiB: null, peakKiB: null, hwmReset: false, ms: 0, missing: p.missing };
  if (job.impl === "compiled") for (let i = 0; i < 3; i++) p.step(); // the traces; the measured step replays
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baselineKiB = statusKiB("VmRSS");
  let hwmReset = true;
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    hwmReset = false;
  }
  const t0 = performance.now();
  p.step();
  const ms = performance.now() - t0;
  const peakKiB = statusKiB("VmHWM") ?? process.resourceUsage().maxRSS;
  return { baselineKiB, peakKiB, hwmReset, ms };
}

const job = JSON.parse(process.argv[2] ?? "null") as MemoryJob | null;
if (job) process.stdout.write(JSON.stringify(run(job)) + "\n");
