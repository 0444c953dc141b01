// The browser section: the lstm section's tape step (nn.LSTM, forward + full backward) at S and
// M, timed in this Node process and, from a minified vite build of bench/browser/, in Debian's
// headless Chromium on the page's main thread and in a worker: the same code, three engines'
// worth of places. Reports the first 60 steps from a fresh model (what a short demo feels,
// JIT warm-up included) beside the warm median.

import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildWith, launchChromium, serve } from "../examples/web/harness.js";
import { findChromium, CHROMIUM_MISSING } from "../examples/lib/chromium.js";
import { printTable, fmt, fmtRatio } from "./lib/table.js";
import { timeSteps, type StepReport } from "./browser/steps.js";

export interface BrowserResults {
  chromium: string | null;
  reports: StepReport[];
  missing?: string;
}

export async function runBrowserBench(): Promise<BrowserResults> {
  const node = timeSteps(`Node ${process.version}`);
  const path = findChromium();
  if (!path) return { chromium: null, reports: [node], missing: CHROMIUM_MISSING };
  const dir = await buildWith(fileURLToPath(new URL("./browser/vite.config.ts", import.meta.url)));
  const site = await serve(dir);
  // BENCH_CHROMIUM_FLAGS: extra flags for an experiment, e.g. "--js-flags=--max-semi-space-size=64"
  const browser = await launchChromium(process.env.BENCH_CHROMIUM_FLAGS?.split(" ").filter(Boolean) ?? []);
  try {
    const page = await browser.newPage();
    await page.goto(site.url);
    await page.waitForFunction("window.benchResult || window.benchError", undefined, { timeout: 600_000, polling: 500 });
    const error = (await page.evaluate("window.benchError")) as string | undefined;
    if (error) throw new Error(`browser bench: ${error}`);
    const inPage = (await page.evaluate("window.benchResult")) as StepReport[];
    return { chromium: `Chromium ${browser.version()}`, reports: [node, ...inPage] };
  } finally {
    await browser.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printBrowser(r: BrowserResults): void {
  const node = r.reports[0]!;
  const rows = r.reports.flatMap((rep) =>
    rep.timings.map((t, i) => {
      const base = node.timings[i]!;
      return [`${t.size} ${t.dtype}`, rep.where, rep.wasm ?? "ts", fmt(t.first60Ms), fmt(t.medianMs), rep === node ? "1x" : fmtRatio(t.medianMs / base.medianMs), rep === node ? "1x" : fmtRatio(t.first60Ms / base.first60Ms)];
    }),
  );
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  printTable(
    `browser: the lstm tape step (forward + backward) in Node and in ${r.chromium ?? "Chromium (missing)"}`,
    ["size dtype", "where", "matmul", "first 60 steps ms", "warm ms/step", "warm vs Node", "first 60 vs Node"],
    rows,
    [
      "first 60 steps: a fresh model's first steps (60 at S; at M the first 5, scaled to 60), JIT warm-up included; warm: median after warm-up.",
      "Chromium runs a minified vite build of bench/browser/ (the same sources), headless, on the page's main thread and in a dedicated worker.",
      ...(r.missing ? [`Chromium rows missing: ${r.missing}`] : []),
    ],
  );
}
