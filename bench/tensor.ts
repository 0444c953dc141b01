// The tensor section: matmul GFLOP/s (bench/matmul.ts: contiguous and transposed operands) and elementwise
// throughput (contiguous and strided), each beside numpy doing the same work in the same run.

import * as nd from "@tapegrad/tensor";
import type { FloatDType } from "@tapegrad/tensor";
import { measure, type MeasureOptions, type Timing } from "./lib/timing.js";
import { out, printTable, fmtRatio, ratio } from "./lib/table.js";
import { runNumpy } from "./lib/numpy.js";
import { transcendentalWasmAvailable } from "@tapegrad/tensor/internal";
import type { BenchOptions } from "./options.js";

type MatmulModule = typeof import("./matmul.js");
export type MatmulResults = Awaited<ReturnType<MatmulModule["runMatmulBench"]>>;
type MatmulRow = MatmulResults["rows"][number];

type BinaryOp = "add" | "sub" | "mul" | "div";
type UnaryOp = "exp" | "log" | "tanh" | "sigmoid";

export interface ElementwiseCase {
  op: BinaryOp | UnaryOp;
  /** strided: every other column; row/column: b is (cols,) or (rows, 1); transposed: a is a (cols, rows) array's .T */
  layout: "contiguous" | "strided" | "row" | "column" | "transposed";
  dtype: FloatDType;
  rows: number;
  cols: number;
}

export interface ElementwiseRow extends ElementwiseCase {
  tapegrad: Timing & { elementsPerSec: number };
  /** The same op into a preallocated `out` (contiguous rows only): the kernel without the allocation. */
  tapegradOut: (Timing & { elementsPerSec: number }) | null;
  /** A plain JS loop into a preallocated output (contiguous rows only). */
  plainPre: (Timing & { elementsPerSec: number }) | null;
  /** The kernel the row ran (the dispatch in elementwise.ts is by op and storage type). */
  kernel: string;
  /** A plain JS loop over preallocated typed arrays passed as arguments (contiguous rows only). */
  plain: (Timing & { elementsPerSec: number }) | null;
  vsPlain: number | null;
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
  const c = { rows: 1000, cols: 1000 };
  for (const dtype of quick ? dtypes.slice(0, 1) : dtypes) {
    for (const op of quick ? (["add", "exp"] as const) : (["add", "sub", "mul", "div", "exp", "log", "tanh", "sigmoid"] as const)) out.push({ op, layout: "contiguous", dtype, ...c });
    if (quick) continue;
    for (const layout of ["strided", "row", "column", "transposed"] as const) out.push({ op: "add", layout, dtype, ...c });
    out.push({ op: "sigmoid", layout: "strided", dtype, ...c });
  }
  return out;
}

const BINARY: readonly string[] = ["add", "sub", "mul", "div"];

function kernelName(c: ElementwiseCase): string {
  const t = c.dtype === "float64" ? "f64" : "f32";
  if (BINARY.includes(c.op)) return `kernels/binary ${c.op}F${t.slice(1)}`;
  // contiguous rows of exp, tanh, sigmoid go to the WebAssembly SIMD twins where there is SIMD
  if (c.op !== "log" && c.layout !== "transposed" && transcendentalWasmAvailable()) return `kernels/transcendental-wasm ${c.op}_${t} (SIMD)`;
  return `kernels/transcendental ${c.op}F${t.slice(1)} (JS poly)`;
}

type Arr = Float64Array | Float32Array;
// The plain loops: what a user writes by hand, each op its own function so each stays monomorphic.
const PLAIN: Record<ElementwiseCase["op"], (o: Arr, a: Arr, b: Arr, n: number) => void> = {
  add: (o, a, b, n) => { for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!; },
  sub: (o, a, b, n) => { for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!; },
  mul: (o, a, b, n) => { for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!; },
  div: (o, a, b, n) => { for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!; },
  exp: (o, a, _b, n) => { for (let i = 0; i < n; i++) o[i] = Math.exp(a[i]!); },
  log: (o, a, _b, n) => { for (let i = 0; i < n; i++) o[i] = Math.log(a[i]!); },
  tanh: (o, a, _b, n) => { for (let i = 0; i < n; i++) o[i] = Math.tanh(a[i]!); },
  sigmoid: (o, a, _b, n) => { for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-a[i]!)); },
};

function timePlain(c: ElementwiseCase, timing: MeasureOptions, preallocated = false): (Timing & { elementsPerSec: number }) | null {
  if (c.layout !== "contiguous") return null;
  const n = c.rows * c.cols;
  const make = () => (c.dtype === "float32" ? new Float32Array(n) : new Float64Array(n));
  const rs = new nd.RandomState(0);
  const a = make(), b = make();
  a.set(rs.randn(n).data as Float64Array);
  b.set(rs.randn(n).data as Float64Array);
  if (c.op === "log") for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]!);
  const loop = PLAIN[c.op];
  // the output allocated in the timed call, as the op allocates its result (or once, before)
  const pre = make();
  const t = measure(preallocated ? () => loop(pre, a, b, n) : () => loop(make(), a, b, n), timing);
  return { ...t, elementsPerSec: n / (t.medianMs * 1e-3) };
}

function timeElementwise(c: ElementwiseCase, timing: MeasureOptions, intoOut = false): Timing & { elementsPerSec: number } {
  const rs = new nd.RandomState(0);
  // strided: every other column of a (rows, 2*cols) array (inner stride 2), as numpy's a[:, ::2]
  const make = () =>
    c.layout === "strided"
      ? rs.randn(c.rows, 2 * c.cols).astype(c.dtype).slice(null, [0, 2 * c.cols, 2])
      : rs.randn(c.rows, c.cols).astype(c.dtype);
  let a = c.layout === "transposed" ? rs.randn(c.cols, c.rows).astype(c.dtype).transpose() : make();
  const b = c.layout === "row" ? rs.randn(c.cols).astype(c.dtype) : c.layout === "column" ? rs.randn(c.rows, 1).astype(c.dtype) : make();
  if (c.op === "log") a = nd.abs(a);
  const f = (nd as unknown as Record<string, (x: nd.NDArray, y?: nd.NDArray, o?: nd.NDArray) => nd.NDArray>)[c.op]!;
  const out = nd.zerosLike(a);
  const fn = BINARY.includes(c.op) ? (intoOut ? () => f(a, b, out) : () => f(a, b)) : intoOut ? () => f(a, out) : () => f(a);
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
    const plain = timePlain(c, timing);
    const contiguous = c.layout === "contiguous";
    const tapegradOut = contiguous ? timeElementwise(c, timing, true) : null;
    const plainPre = contiguous ? timePlain(c, timing, true) : null;
    const numpy = np?.ok ? np.value[i]! : null;
    return { ...c, tapegrad, tapegradOut, plainPre, kernel: kernelName(c), plain, vsPlain: ratio(tapegrad.medianMs, plain?.medianMs), numpy: numpy && { medianMs: numpy.medianMs, minMs: numpy.minMs, runs: numpy.runs, reps: numpy.reps, elementsPerSec: numpy.elementsPerSec }, vsNumpy: ratio(tapegrad.medianMs, numpy?.medianMs) };
  });
  return { matmul, elementwise, ...(numpyMissing ? { numpyMissing } : {}) };
}

const LAYOUT_TEXT: Record<string, string> = { nn: "A·B", tn: "Aᵀview·B", nt: "A·Bᵀview" };

/** Per kernel and dtype, the worst transposed/plain time ratio (issue 6: <= 1.3x). */
export function worstTransposed(m: MatmulResults): { kernel: string; dtype: string; ratio: number; where: string }[] {
  const out = new Map<string, { kernel: string; dtype: string; ratio: number; where: string }>();
  for (const r of m.rows) {
    if (r.kernel === "numpy" || r.kernel === "numpy-mt" || r.vsContiguous === undefined) continue;
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
  const tsKernels = kernels.filter((k) => k !== "numpy" && k !== "numpy-mt");
  const label = (k: string) => (k === "numpy" ? "numpy" : k === "numpy-mt" ? "numpy threads" : `tapegrad ${k}`);
  printTable(
    "tensor: matmul, GFLOP/s (median of samples taken round-robin), from bench/matmul.ts",
    ["product", "dtype", "operands", ...kernels.map(label), ...tsKernels.map((k) => `${k} vs plain`), ...tsKernels.map((k) => `${k} vs numpy`)],
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
      "vs plain: this layout's time over the A·B layout's, same kernel (issue 6 target <= 1.3x); vs numpy: time over numpy's, same layout: 1 thread against 1 thread, wasm-mt against numpy's default threads.",
      `kernels: ts = the TypeScript loops; wasm = WebAssembly ${m.wasm}, one thread; wasm-mt = the same kernel on ${m.threads}`,
      `numpy: ${m.numpy}`,
    ],
  );
}

export function printTensor(r: TensorResults): void {
  printMatmul(r.matmul);
  printTable(
    "tensor: elementwise, 1e6 elements, million elements/s (median); ratio = tapegrad time / numpy time",
    ["op", "layout", "dtype", "kernel", "tapegrad", "tapegrad, out", "plain JS", "plain JS, prealloc", "numpy", "vs plain", "vs plain prealloc", "vs numpy"],
    r.elementwise.map((e) => [
      e.op, e.layout, e.dtype, e.kernel, e.tapegrad.elementsPerSec / 1e6, e.tapegradOut ? e.tapegradOut.elementsPerSec / 1e6 : null,
      e.plain ? e.plain.elementsPerSec / 1e6 : null, e.plainPre ? e.plainPre.elementsPerSec / 1e6 : null, e.numpy ? e.numpy.elementsPerSec / 1e6 : null,
      fmtRatio(e.vsPlain), fmtRatio(ratio(e.tapegrad.medianMs, e.plainPre?.medianMs)), fmtRatio(e.vsNumpy),
    ]),
    [
      "strided: every other column of a (1000, 2000) array; row: b is (1000,); column: b is (1000, 1); transposed: a is a (1000, 1000) array's .T; numpy's sigmoid is 1 / (1 + np.exp(-x)); log runs on |x|.",
      "tapegrad, out: the op into a preallocated out. plain JS: a hand-written loop over typed arrays passed as arguments, output allocated per call (prealloc: allocated once), Math.* for the transcendental ops. vs plain prealloc: tapegrad, allocating, over the preallocated loop (issue 11's first target); one thread (elementwise ops do not use worker threads: see docs/kernels.md, Threads).",
      ...(r.numpyMissing ? [`numpy: missing (${r.numpyMissing})`] : []),
    ],
  );
}
