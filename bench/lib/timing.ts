// Timing: warm-up first, then repeated samples; the median is what gets reported, because
// this machine is shared and a mean would carry every hiccup of a neighbouring process.

export interface MeasureOptions {
  /** Calls before any sample is kept (JIT, caches, lazily allocated buffers). */
  warmup?: number;
  /** Samples to keep at least, whatever the time. */
  minRuns?: number;
  /** Samples to keep at most. */
  maxRuns?: number;
  /** Keep sampling until this much time has passed (once minRuns are in). */
  minTimeMs?: number;
  /** Stop sampling after this much time (once minRuns are in). */
  maxTimeMs?: number;
  /** A call shorter than this is repeated within one sample, so the clock's grain doesn't show. */
  batchMs?: number;
}

export interface Timing {
  /** Median ms per call. */
  medianMs: number;
  minMs: number;
  /** Samples kept (each one the mean of `reps` calls). */
  runs: number;
  reps: number;
}

const DEFAULTS: Required<MeasureOptions> = { warmup: 2, minRuns: 5, maxRuns: 200, minTimeMs: 500, maxTimeMs: 5000, batchMs: 2 };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function timeOnce(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Median ms per call of `fn`, after warm-up. */
export function measure(fn: () => unknown, options: MeasureOptions = {}): Timing {
  const o = { ...DEFAULTS, ...options };
  let t = Infinity;
  for (let i = 0; i < o.warmup; i++) t = timeOnce(fn);
  if (!Number.isFinite(t)) t = o.batchMs; // no warm-up: assume long enough, run singly
  const reps = t < o.batchMs ? Math.min(100_000, Math.ceil(o.batchMs / Math.max(t, 1e-4))) : 1;
  const samples: number[] = [];
  const start = performance.now();
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    samples.push((performance.now() - t0) / reps);
    const elapsed = performance.now() - start;
    if (samples.length >= o.maxRuns) break;
    if (samples.length >= o.minRuns && (elapsed >= o.minTimeMs || elapsed >= o.maxTimeMs)) break;
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), runs: samples.length, reps };
}
