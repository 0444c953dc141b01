// The tensor section: matmul GFLOP/s (bench/matmul.ts: contiguous and transposed operands) and elementwise
// throughput (contiguous and strided), each beside numpy doing the same work in the same run.

import * as nd from "@tapegrad/tensor";
import type { FloatDType } from "@tapegrad/tensor";
import { measure, type MeasureOptions, type Timing } from "./lib/timing.js";
import { out, printTable, fmtRatio, ratio } from "./lib/table.js";
import { runNumpy } from "./lib/numpy.js";
import type { BenchOptions } from "./options.js";

type MatmulModule = typeof import("./matmul.js");
export type MatmulResults = Awaited<ReturnType<MatmulModule["runMatmulBench"]>>;
type MatmulRow = MatmulResults["rows"][number];

export interface ElementwiseCase {
  op: "add" | "sigmoid";
  layout: "contiguous" | "strided";
  dtype: FloatDType;
  rows: number;
  cols: number;
}

export interface ElementwiseRow extends ElementwiseCase {
  tapegrad: Timing & { elementsPerSec: number };
  numpy: (Timing & { elementsPerSec: number }) | null;
  vsNumpy: number | null;
}

export interface TensorResults {
  /** From bench/matmul.ts (runMatmulBench): the TypeScript and wasm kernels and numpy. */
  matmul: MatmulResults | { missing: string };
  elementwise: ElementwiseRow[];
  numpyMissing?: string;
}

export function elementwiseCases(quick: boolean, dtypes: readonly FloatDType[]): ElementwiseCase[] {
  const out: ElementwiseCase[] = [];
  for (const dtype of quick ? dtypes.slice(0, 1) : dtypes) {
    for (const op of ["add", "sigmoid"] as const) {
      for (const layout of ["contiguous", "strided"] as const) out.push({ op, layout, dtype, rows: 1000, cols: 1000 });
    }
  }
  return out;
}

function timeElementwise(c: ElementwiseCase, timing: MeasureOptions): Timing & { elementsPerSec: number } {
  const rs = new nd.RandomState(0);
  // strided: every other column of a (rows, 2*cols) array (inner stride 2), as numpy's a[:, ::2]
  const make = () =>
    c.layout === "strided"
      ? rs.randn(c.rows, 2 * c.cols).astype(c.dtype).slice(null, [0, 2 * c.cols, 2])
      : rs.randn(c.rows, c.cols).astype(c.dtype);
  const a = make();
  const b = make();
  const fn = c.op === "add" ? () => nd.add(a, b) : () => nd.sigmoid(a);
  const t = measure(fn, timing);
  return { ...t, elementsPerSec: (c.rows * c.cols) / (t.medianMs * 1e-3) };
}

/** The matmul rows come from bench/matmul.ts; if it fails to load, they are reported missing. */
async function runMatmul(o: BenchOptions): Promise<TensorResults["matmul"]> {
  try {
    const mod = await import("./matmul.js");
    const cases = o.quick ? mod.MATMUL_CASES.filter((c) => c.M * c.K * c.N <= 256 ** 3 || c.name.startsWith("gates")) : mod.MATMUL_CASES;
    return mod.runMatmulBench({
      cases,
      dtypes: o.dtypes,
      numpy: o.numpy,
      ...(o.quick ? { samples: 3, minSampleMs: 10 } : {}),
    });
  } catch (e) {
    return { missing: `bench/matmul.ts: ${(e as Error).message}` };
  }
}

export async function runTensorBench(o: BenchOptions): Promise<TensorResults> {
  const timing: MeasureOptions = o.quick ? { warmup: 1, minRuns: 3, minTimeMs: 50, maxTimeMs: 500 } : { warmup: 2, minRuns: 5, minTimeMs: 400, maxTimeMs: 3000 };
  const matmul = await runMatmul(o);
  const eCases = elementwiseCases(o.quick, o.dtypes);
  const np = o.numpy ? runNumpy<(ElementwiseCase & Timing & { elementsPerSec: number })[]>({ command: "elementwise", cases: eCases, timing }) : null;
  const numpyMissing = !np ? "skipped (--no-numpy)" : !np.ok ? np.reason : undefined;
  const elementwise: ElementwiseRow[] = eCases.map((c, i) => {
    const tapegrad = timeElementwise(c, timing);
    const numpy = np?.ok ? np.value[i]! : null;
    return { ...c, tapegrad, numpy: numpy && { medianMs: numpy.medianMs, minMs: numpy.minMs, runs: numpy.runs, reps: numpy.reps, elementsPerSec: numpy.elementsPerSec }, vsNumpy: ratio(tapegrad.medianMs, numpy?.medianMs) };
  });
  return { matmul, elementwise, ...(numpyMissing ? { numpyMissing } : {}) };
}

const LAYOUT_TEXT: Record<string, string> = { nn: "A·B", tn: "Aᵀview·B", nt: "A·Bᵀview" };

/** Per kernel and dtype, the worst transposed/plain time ratio (issue 6: <= 1.3x). */
export function worstTransposed(m: MatmulResults): { kernel: string; dtype: string; ratio: number; where: string }[] {
  const out = new Map<string, { kernel: string; dtype: string; ratio: number; where: string }>();
  for (const r of m.rows) {
    if (r.kernel === "numpy" || r.vsContiguous === undefined) continue;
    const key = `${r.kernel} ${r.dtype}`;
    const prev = out.get(key);
    if (!prev || r.vsContiguous > prev.ratio) out.set(key, { kernel: r.kernel, dtype: r.dtype, ratio: r.vsContiguous, where: `${r.case} ${r.layout}` });
  }
  return [...out.values()];
}

function printMatmul(m: TensorResults["matmul"]): void {
  if ("missing" in m) {
    out();
    out(`tensor: matmul: missing (${m.missing})`);
    return;
  }
  const kernels = [...new Set(m.rows.map((r) => r.kernel))];
  const groups = new Map<string, MatmulRow[]>();
  for (const r of m.rows) {
    const k = `${r.case}|${r.dtype}|${r.layout}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const tsKernels = kernels.filter((k) => k !== "numpy");
  printTable(
    "tensor: matmul, GFLOP/s (median of samples taken round-robin), from bench/matmul.ts",
    ["product", "dtype", "operands", ...kernels.map((k) => (k === "numpy" ? "numpy" : `tapegrad ${k}`)), ...tsKernels.map((k) => `${k} vs plain`), ...tsKernels.map((k) => `${k} vs numpy`)],
    [...groups.values()].map((rs) => {
      const r0 = rs[0]!;
      const by = (k: string) => rs.find((r) => r.kernel === k);
      return [
        r0.case, r0.dtype, LAYOUT_TEXT[r0.layout] ?? r0.layout,
        ...kernels.map((k) => by(k)?.gflops ?? null),
        ...tsKernels.map((k) => (r0.layout === "nn" ? "" : fmtRatio(by(k)?.vsContiguous ?? null))),
        ...tsKernels.map((k) => fmtRatio(by(k)?.vsNumpy ?? null)),
      ];
    }),
    [
      "vs plain: this layout's time over the A·B layout's, same kernel (issue 6 target <= 1.3x); vs numpy: time over numpy's (1 thread), same layout.",
      `numpy: ${m.numpy}`,
    ],
  );
}

export function printTensor(r: TensorResults): void {
  printMatmul(r.matmul);
  printTable(
    "tensor: elementwise, 1e6 elements, million elements/s (median); ratio = tapegrad time / numpy time",
    ["op", "layout", "dtype", "tapegrad", "numpy", "ratio"],
    r.elementwise.map((e) => [e.op, e.layout, e.dtype, e.tapegrad.elementsPerSec / 1e6, e.numpy ? e.numpy.elementsPerSec / 1e6 : null, fmtRatio(e.vsNumpy)]),
    [
      "strided: every other column of a (1000, 2000) array; numpy's sigmoid is 1 / (1 + np.exp(-x)).",
      ...(r.numpyMissing ? [`numpy: missing (${r.numpyMissing})`] : []),
    ],
  );
}
