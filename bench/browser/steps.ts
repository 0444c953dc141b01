// The LSTM training step of the lstm section (tape, nn.LSTM, forward + full backward), timed
// where this module runs: in Node by bench/browser.ts itself, and in Chromium's page and a
// worker through page.ts. No Node API here.

import type { FloatDType } from "@tapegrad/tensor";
import { matmulWasmVariant } from "@tapegrad/tensor/internal";
import { SIZES, lstmData } from "../lstm-data.js";
import { prepareTape } from "../lstm-impls.js";
import { measure } from "../lib/timing.js";
import type { SizeName } from "../options.js";

export interface StepTiming {
  size: SizeName;
  dtype: FloatDType;
  /** wall time of the first 60 steps from a fresh model, ms (what a short demo sees: JIT warm-up included) */
  first60Ms: number;
  /** ms of each of the first five steps */
  firstSteps: number[];
  /** median ms per step after warm-up */
  medianMs: number;
  runs: number;
}

export interface StepReport {
  where: string;
  wasm: string | null;
  timings: StepTiming[];
}

export const CASES: readonly { size: SizeName; dtype: FloatDType }[] = [
  { size: "S", dtype: "float64" },
  { size: "S", dtype: "float32" },
  { size: "M", dtype: "float32" },
];

export function timeSteps(where: string, cases = CASES): StepReport {
  const timings = cases.map(({ size, dtype }) => {
    const prepared = prepareTape(SIZES[size], dtype, lstmData(SIZES[size], dtype), { countOps: false });
    const n = size === "S" ? 60 : 5;
    const firstSteps: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const t1 = performance.now();
      prepared.step();
      if (i < 5) firstSteps.push(performance.now() - t1);
    }
    const first = ((performance.now() - t0) * 60) / n;
    const warm = size === "S" ? 300 : 3;
    const t = measure(() => prepared.step(), { warmup: warm, minRuns: size === "S" ? 50 : 10, maxRuns: 200, minTimeMs: 1500, maxTimeMs: 8000 });
    prepared.dispose?.();
    return { size, dtype, first60Ms: first, firstSteps, medianMs: t.medianMs, runs: t.runs };
  });
  return { where, wasm: matmulWasmVariant(), timings };
}
