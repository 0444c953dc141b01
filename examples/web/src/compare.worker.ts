// The compiled-against-eager measurement in a worker of its own, started fresh for each press of
// the button (so that every measurement starts from the same cold JIT) and ended after it: the
// page stays responsive while it runs, and the training worker's state is not touched.

import { measureCompiledAgainstEager } from "./compare.js";
import type { FromCompareWorker, ToCompareWorker } from "./protocol.js";

const post = (m: FromCompareWorker) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

self.onmessage = (e: MessageEvent<ToCompareWorker>) => {
  const m = e.data;
  try {
    const result = measureCompiledAgainstEager(m.id, m.hidden, { onProgress: (done, total, phase) => post({ type: "progress", id: m.id, done, total, phase }) });
    post({ type: "result", result });
  } catch (err) {
    post({ type: "error", id: m.id, message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};
