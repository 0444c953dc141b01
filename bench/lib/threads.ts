// Worker threads in the bench: rows run on one thread unless they say otherwise (their peers'
// one-thread rows are the comparison), and the "threads" rows on the default thread count.

import { getNumThreads, matmul, setNumThreads, zeros } from "@tapegrad/tensor";
import { threadsInfo } from "@tapegrad/tensor/internal";

/** The default thread count (TAPEGRAD_NUM_THREADS, else the cores), read before any row sets its own. */
export const DEFAULT_THREADS = getNumThreads();

/**
 * Sets n threads, with the workers started and ready, so that the first timed products do not
 * run while they boot; returns why not, if they could not all be had (null when they are).
 */
export async function readyThreads(n: number): Promise<string | null> {
  setNumThreads(n);
  if (n < 2) return null;
  const a = zeros([512, 512]);
  matmul(a, a); // starts the pool
  for (let i = 0; i < 300 && threadsInfo().workersReady < n - 1 && threadsInfo().off === null; i++) await new Promise((r) => setTimeout(r, 10));
  const t = threadsInfo();
  return t.off ?? (t.workersReady < n - 1 ? `${t.workersReady + 1} of ${n} threads ready` : null);
}
