// matmul GFLOP/s: the TypeScript kernel against the WebAssembly SIMD kernel (on one thread, and
// split across worker threads) against numpy (one OpenBLAS thread, and its default), float64 and float32, each product with contiguous operands and with
// one operand a transposed view. Standalone, or `runMatmulBench(options)` from bench/run.ts.
// Run: npx tsx --conditions=source bench/matmul.ts [--quick] [--crossover] [--threads-crossover] [--main-shapes] [--no-numpy] [--json]
//
// Samples are taken round-robin over every configuration (each round times each one once), so
// that load from other processes spreads evenly over them; a row reports the median and the
// best sample (on a shared machine the best is the steadier estimate of what a kernel costs).

import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { RandomState, matmul, zeros, type NDArray } from "@tapegrad/tensor";
import { matmulWasmVariant, setMatmulBackend, setThreadMin, type MatmulBackend } from "@tapegrad/tensor/internal";
import { numpyEnv } from "./lib/numpy.js";
import { DEFAULT_THREADS, readyThreads } from "./lib/threads.js";

export type Layout = "nn" | "tn" | "nt";
/** wasm-mt: the wasm kernel on worker threads (the default thread count); numpy-mt: numpy with its default threads. */
export type Kernel = "ts" | "wasm" | "wasm-mt" | "auto" | "numpy" | "numpy-mt";
type Float = "float64" | "float32";

export interface MatmulCase {
  name: string;
  M: number;
  K: number;
  N: number;
}

export interface MatmulBenchRow {
  case: string;
  /** A is M x K, B is K x N. */
  M: number;
  K: number;
  N: number;
  /** nn: both contiguous; tn: A is a transposed view (of a K x M array); nt: B is (of N x K). */
  layout: Layout;
  dtype: Float;
  kernel: Kernel;
  /** Median and best of the samples, in GFLOP/s (2*M*N*K per product). */
  gflops: number;
  bestGflops: number;
  /** Median and least time of one product. */
  ms: number;
  bestMs: number;
  /** This row's median time over the same kernel's on the nn layout (and the same of the least times). */
  vsContiguous?: number;
  vsContiguousBest?: number;
  /** This row's time over numpy's on the same layout. */
  vsNumpy?: number;
}

export interface MatmulBenchOptions {
  dtypes?: Float[];
  kernels?: Exclude<Kernel, "numpy" | "numpy-mt">[];
  layouts?: Layout[];
  cases?: MatmulCase[];
  /** Time numpy too (python3 with numpy; reported missing otherwise). Default true. */
  numpy?: boolean;
  /** The multiply-adds from which wasm-mt rows use threads (default: the library's threshold). */
  threadMin?: number;
  /** Samples per configuration (default 9) and the least time of one sample (default 20 ms). */
  samples?: number;
  minSampleMs?: number;
  log?: (line: string) => void;
}

export interface MatmulBenchResult {
  rows: MatmulBenchRow[];
  /** The wasm kernel's build ("relaxed-simd" or "simd"), or why there is none. */
  wasm: string;
  /** The threads of the wasm-mt rows: how many, or why there were none. */
  threads: string;
  /** What numpy ran on ("missing: ..." when it could not run). */
  numpy: string;
}

/** The products of issue 6: square, the stacked gates, and an L-size LSTM step's (n_x 256, n_a 512, m 64). */
export const MATMUL_CASES: MatmulCase[] = [
  { name: "square 64", M: 64, K: 64, N: 64 },
  { name: "square 256", M: 256, K: 256, N: 256 },
  { name: "square 512", M: 512, K: 512, N: 512 },
  { name: "gates (2048x768)@(768x64)", M: 2048, K: 768, N: 64 },
  { name: "LSTM fwd (64x768)@(768x2048)", M: 64, K: 768, N: 2048 },
  { name: "LSTM dX (64x2048)@(2048x768)", M: 64, K: 2048, N: 768 },
  { name: "LSTM dW (768x64)@(64x2048)", M: 768, K: 64, N: 2048 },
];

interface Config {
  c: MatmulCase;
  layout: Layout;
  dtype: Float;
  kernel: Exclude<Kernel, "numpy" | "numpy-mt">;
  a: NDArray;
  b: NDArray;
  out: NDArray;
  reps: number;
  times: number[];
}

function operands(rs: RandomState, c: MatmulCase, layout: Layout, dtype: Float): [NDArray, NDArray] {
  const a = layout === "tn" ? rs.randn(c.K, c.M).astype(dtype).transpose() : rs.randn(c.M, c.K).astype(dtype);
  const b = layout === "nt" ? rs.randn(c.N, c.K).astype(dtype).transpose() : rs.randn(c.K, c.N).astype(dtype);
  return [a, b];
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)]!;
}

export async function runMatmulBench(options: MatmulBenchOptions = {}): Promise<MatmulBenchResult> {
  const dtypes = options.dtypes ?? ["float64", "float32"];
  const kernels = options.kernels ?? ["ts", "wasm", "wasm-mt"];
  const layouts = options.layouts ?? ["nn", "tn", "nt"];
  const cases = options.cases ?? MATMUL_CASES;
  const samples = options.samples ?? 9;
  const minMs = options.minSampleMs ?? 20;
  const log = options.log ?? (() => {});
  const rs = new RandomState(0);
  const configs: Config[] = [];
  for (const c of cases) {
    for (const dtype of dtypes) {
      for (const layout of layouts) {
        const [a, b] = operands(rs, c, layout, dtype);
        const out = zeros([c.M, c.N], dtype);
        for (const kernel of kernels) configs.push({ c, layout, dtype, kernel, a, b, out, reps: 1, times: [] });
      }
    }
  }
  // wasm and wasm-mt rows share one kernel and its ready workers; a wasm row keeps every
  // product on the calling thread (no product reaches the threads' size threshold)
  const nThreads = DEFAULT_THREADS;
  const why = kernels.includes("wasm-mt") ? (nThreads < 2 ? "the default is 1 thread" : await readyThreads(nThreads)) : "not run";
  const threads = why === null ? `${nThreads} threads (wasm-mt rows)` : `missing (${why}): the wasm-mt rows ran on one thread`;
  const previous = setMatmulBackend("auto");
  const prevMin = setThreadMin(Infinity);
  try {
    const once = (cf: Config) => {
      setMatmulBackend((cf.kernel === "wasm-mt" ? "wasm" : cf.kernel) as MatmulBackend);
      setThreadMin(cf.kernel === "wasm-mt" ? (options.threadMin ?? prevMin) : Infinity);
      const t0 = performance.now();
      for (let r = 0; r < cf.reps; r++) matmul(cf.a, cf.b, cf.out);
      return (performance.now() - t0) / cf.reps;
    };
    // warm up (JIT, wasm memory) and size each sample to at least minMs
    for (const cf of configs) {
      once(cf);
      const t = Math.max(once(cf), 1e-3);
      cf.reps = Math.max(1, Math.ceil(minMs / t));
    }
    for (let s = 0; s < samples; s++) for (const cf of configs) cf.times.push(once(cf));
  } finally {
    setMatmulBackend(previous);
    setThreadMin(prevMin);
    await readyThreads(1);
  }
  const rows: MatmulBenchRow[] = configs.map((cf) => {
    const flop = 2 * cf.c.M * cf.c.N * cf.c.K;
    const ms = median(cf.times);
    return {
      case: cf.c.name, M: cf.c.M, K: cf.c.K, N: cf.c.N, layout: cf.layout, dtype: cf.dtype, kernel: cf.kernel,
      gflops: flop / ms / 1e6, bestGflops: flop / Math.min(...cf.times) / 1e6, ms, bestMs: Math.min(...cf.times),
    };
  });
  let numpy = "not run";
  if (options.numpy ?? true) {
    const np = numpyRows(cases, dtypes, layouts, samples, "one");
    const mt = numpyRows(cases, dtypes, layouts, samples, "default");
    numpy = `${np.info}; numpy-mt: ${mt.info}`;
    rows.push(...np.rows, ...mt.rows);
  }
  for (const r of rows) {
    const same = (k: Kernel, layout: Layout) =>
      rows.find((q) => q.case === r.case && q.dtype === r.dtype && q.kernel === k && q.layout === layout);
    const plain = same(r.kernel, "nn");
    if (plain !== undefined && r.layout !== "nn") {
      r.vsContiguous = r.ms / plain.ms;
      r.vsContiguousBest = r.bestMs / plain.bestMs;
    }
    // one thread against one thread; threads against numpy's default threads
    const np = same(r.kernel === "wasm-mt" ? "numpy-mt" : "numpy", r.layout);
    if (np !== undefined && r.kernel !== "numpy" && r.kernel !== "numpy-mt") r.vsNumpy = r.ms / np.ms;
  }
  const wasm = matmulWasmVariant() ?? "missing (no WebAssembly SIMD): the wasm rows ran the TypeScript kernel";
  log(formatRows(rows, numpy, wasm));
  return { rows, numpy, wasm, threads };
}

// numpy in a child python3, one BLAS thread or its default. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are
// removed from its environment: set on some machines, they pin OpenBLAS to a slower kernel.
const NUMPY_SCRIPT = String.raw`
import json, sys, time, ctypes
import numpy as np
cases, samples, min_ms = json.loads(sys.stdin.read())
def blas():
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} threads={i.get('num_threads')}" for i in threadpool_info())
    except Exception:
        pass
    libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and '.so' in l})
    for path in libs:
        lib = ctypes.CDLL(path)
        for prefix in ('scipy_openblas_get_', 'openblas_get_'):
            for suffix in ('64_', ''):
                try:
                    f = getattr(lib, prefix + 'config' + suffix)
                except AttributeError:
                    continue
                f.restype = ctypes.c_char_p
                return f().decode()
    return "unknown BLAS (" + ", ".join(libs) + ")"
rng = np.random.default_rng(0)
out = []
for (name, M, K, N, layout, dtype) in cases:
    a = rng.standard_normal((K, M)).astype(dtype).T if layout == "tn" else rng.standard_normal((M, K)).astype(dtype)
    b = rng.standard_normal((N, K)).astype(dtype).T if layout == "nt" else rng.standard_normal((K, N)).astype(dtype)
    c = np.empty((M, N), dtype)
    np.matmul(a, b, out=c)
    t = time.perf_counter(); np.matmul(a, b, out=c); t = max(time.perf_counter() - t, 1e-6)
    reps = max(1, int(min_ms / 1000 / t + 0.999))
    times = []
    for s in range(samples):
        t = time.perf_counter()
        for r in range(reps): np.matmul(a, b, out=c)
        times.append((time.perf_counter() - t) / reps * 1000)
    out.append(times)
print(json.dumps({"blas": blas(), "numpy": np.__version__, "times": out}))
`;

function numpyRows(cases: MatmulCase[], dtypes: Float[], layouts: Layout[], samples: number, threads: "one" | "default"): { rows: MatmulBenchRow[]; info: string } {
  const list: [string, number, number, number, Layout, Float][] = [];
  for (const c of cases) for (const dtype of dtypes) for (const layout of layouts) list.push([c.name, c.M, c.K, c.N, layout, dtype]);
  const r = spawnSync("python3", ["-c", NUMPY_SCRIPT], { input: JSON.stringify([list, samples, 20]), env: numpyEnv(threads), encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error?.message ?? r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`;
    return { rows: [], info: `missing: ${why}` };
  }
  const res = JSON.parse(r.stdout) as { blas: string; numpy: string; times: number[][] };
  const rows = list.map(([name, M, K, N, layout, dtype], i): MatmulBenchRow => {
    const times = res.times[i]!;
    const ms = median(times);
    const flop = 2 * M * N * K;
    return { case: name, M, K, N, layout, dtype, kernel: threads === "one" ? "numpy" : "numpy-mt", gflops: flop / ms / 1e6, bestGflops: flop / Math.min(...times) / 1e6, ms, bestMs: Math.min(...times) };
  });
  return { rows, info: `numpy ${res.numpy}, ${res.blas}${threads === "one" ? ", OPENBLAS_NUM_THREADS=1" : ", default threads"}` };
}

/** The rows as a plain-text table. */
export function formatRows(rows: MatmulBenchRow[], numpy: string, wasm = matmulWasmVariant() ?? "missing"): string {
  const head = ["case", "dtype", "layout", "kernel", "GFLOP/s", "best", "ms", "vs nn", "(best)", "vs numpy"];
  const body = rows.map((r) => [
    r.case, r.dtype, r.layout, r.kernel, r.gflops.toFixed(2), r.bestGflops.toFixed(2), r.ms.toFixed(3),
    r.vsContiguous === undefined ? "" : r.vsContiguous.toFixed(2) + "x",
    r.vsContiguousBest === undefined ? "" : r.vsContiguousBest.toFixed(2) + "x",
    r.vsNumpy === undefined ? "" : r.vsNumpy.toFixed(2) + "x",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), ...body.map(line), `wasm kernel: ${wasm}`, `numpy: ${numpy}`].join("\n");
}

/** Square products from n = 2 up: where the wasm kernel starts to beat the TypeScript one. */
export function runCrossover(sizes = [2, 4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64], dtypes: Float[] = ["float64", "float32"]): Promise<MatmulBenchResult> {
  const cases = sizes.map((n) => ({ name: `square ${n}`, M: n, K: n, N: n }));
  return runMatmulBench({ cases, dtypes, kernels: ["ts", "wasm"], layouts: ["nn", "nt"], numpy: false, samples: 9, minSampleMs: 10 });
}

/** Products around the threads' size threshold, each on one thread and split (from any size). */
export function runThreadsCrossover(dtypes: Float[] = ["float64", "float32"]): Promise<MatmulBenchResult> {
  const cases = [
    ...[48, 64, 80, 96, 128, 160, 192, 256].map((n) => ({ name: `square ${n}`, M: n, K: n, N: n })),
    ...[64, 128, 256, 512].map((k) => ({ name: `(64x${k})@(${k}x256)`, M: 64, K: k, N: 256 })),
    ...[64, 128, 256].map((k) => ({ name: `(256x${k})@(${k}x32)`, M: 256, K: k, N: 32 })),
  ];
  return runMatmulBench({ cases, dtypes, kernels: ["wasm", "wasm-mt"], layouts: ["nn"], numpy: false, samples: 15, minSampleMs: 10, threadMin: 1 });
}

/** The main job's products (issue 25): the LSTM step's (32x192)@(192x768), its backward's (32x768)@(768x192), dW's (192x1536)@(1536x768), the head's. */
export const MAIN_JOB_CASES: MatmulCase[] = [
  { name: "h W_hh^T (32x192)@(192x768)", M: 32, K: 192, N: 768 },
  { name: "dh (32x768)@(768x192)", M: 32, K: 768, N: 192 },
  { name: "dW (192x1536)@(1536x768)", M: 192, K: 1536, N: 768 },
  { name: "x W_ih^T (1536x32)@(32x768)", M: 1536, K: 32, N: 768 },
  { name: "head (1536x192)@(192x75)", M: 1536, K: 192, N: 75 },
];

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const args = process.argv.slice(2);
  const res = await (args.includes("--crossover")
    ? runCrossover()
    : args.includes("--threads-crossover")
    ? runThreadsCrossover()
    : args.includes("--main-shapes")
    ? runMatmulBench({ cases: MAIN_JOB_CASES, dtypes: ["float32"], kernels: ["wasm"], numpy: !args.includes("--no-numpy"), log: () => {} })
    : runMatmulBench({
        numpy: !args.includes("--no-numpy"),
        ...(args.includes("--quick") ? { samples: 3, minSampleMs: 10 } : {}),
      }));
  if (args.includes("--json")) console.log(JSON.stringify(res, null, 2));
  else console.log(formatRows(res.rows, res.numpy, res.wasm));
}
