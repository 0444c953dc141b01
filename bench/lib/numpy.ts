// Runs bench/peers/numpy_peer.py: one JSON job in, one JSON result out. One BLAS thread, and
// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed (this machine may set them, and they slow
// OpenBLAS down by forcing a kernel or a cache size that isn't this CPU's).

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../peers/numpy_peer.py", import.meta.url));
const PYTHON = process.env.BENCH_PYTHON ?? "python3";

const ONE_THREAD = {
  OPENBLAS_NUM_THREADS: "1",
  OMP_NUM_THREADS: "1",
  MKL_NUM_THREADS: "1",
  BLIS_NUM_THREADS: "1",
  VECLIB_MAXIMUM_THREADS: "1",
  NUMEXPR_NUM_THREADS: "1",
};

/** Peers' thread counts: one thread, or the library's default (every core, for OpenBLAS and PyTorch). */
export type PeerThreads = "one" | "default";

export function numpyEnv(threads: PeerThreads = "one"): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...(threads === "one" ? ONE_THREAD : {}) };
  if (threads === "default") for (const k of Object.keys(ONE_THREAD)) delete env[k];
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

export type PeerResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Runs one job; a missing python3 or numpy, or a crash, comes back as a reason, never as numbers. */
export function runNumpy<T>(job: { command: string } & Record<string, unknown>, timeoutMs = 30 * 60_000, threads: PeerThreads = "one"): PeerResult<T> {
  const r = spawnSync(PYTHON, [SCRIPT], {
    input: JSON.stringify(job),
    env: numpyEnv(threads),
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
    timeout: timeoutMs,
  });
  if (r.error) return { ok: false, reason: `${PYTHON}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  if (r.status !== 0) {
    const err = (r.stderr ?? "").trim().split("\n").slice(-1)[0] ?? "";
    return { ok: false, reason: /No module named 'numpy'/.test(r.stderr ?? "") ? "numpy is not installed" : `numpy peer exited ${r.status ?? r.signal}: ${err}` };
  }
  try {
    return { ok: true, value: JSON.parse(r.stdout) as T };
  } catch (e) {
    return { ok: false, reason: `numpy peer printed no JSON: ${(e as Error).message}` };
  }
}

export interface NumpyInfo {
  numpy: string;
  python: string;
  blas: { source: string; library?: string; version?: string; kernel?: string; threads?: number; error?: string };
  env: Record<string, string | null>;
}

let cachedInfo: PeerResult<NumpyInfo> | undefined;

export function numpyInfo(): PeerResult<NumpyInfo> {
  cachedInfo ??= runNumpy<NumpyInfo>({ command: "info" }, 60_000);
  return cachedInfo;
}

export function describeNumpy(): string {
  const i = numpyInfo();
  if (!i.ok) return `numpy missing (${i.reason})`;
  const b = i.value.blas;
  return `numpy ${i.value.numpy} (python ${i.value.python}), BLAS ${b.library ?? "?"} ${b.version ?? ""}, kernel ${b.kernel ?? "?"}, ${b.threads ?? "?"} thread(s) [${b.source}]`;
}
