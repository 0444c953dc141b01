// Runs timeSteps on the page's main thread and then in a dedicated worker, and leaves the two
// reports on window.benchResult for bench/browser.ts to read.

import { timeSteps, type StepReport } from "./steps.js";

const out = document.getElementById("out")!;
const results: StepReport[] = [];
const show = () => (out.textContent = JSON.stringify(results, null, 2));
const w = window as unknown as { benchResult?: StepReport[]; benchError?: string };

try {
  const which = new URLSearchParams(location.search).get("where") ?? "page,worker";
  if (which.includes("page")) {
    results.push(timeSteps("Chromium page (main thread)"));
    show();
  }
  if (which.includes("worker")) {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    results.push(await new Promise<StepReport>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<StepReport>) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
    }));
    show();
  }
  w.benchResult = results;
} catch (e) {
  w.benchError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
