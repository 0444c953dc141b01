// `pnpm bench`: tapegrad against its peers, measured in one run on this machine.
// Sections: tensor (matmul, elementwise; numpy), tape (overhead per op, an MLP step), lstm (the
// LSTM training step; numpy, TensorFlow.js cpu/wasm; peak memory), conv (a Conv2d step; numpy, PyTorch),
// main (the main job, `pnpm demo`, against the same run in PyTorch), browser, webgpu (the LSTM step
// compiled for a GPUDevice beside tfjs-webgpu; bench/webgpu.ts). `pnpm bench --help` for options.

import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { describeMachine, type Machine } from "./lib/machine.js";
import { describeNumpy, numpyInfo } from "./lib/numpy.js";
import { out, printTable, fmtRatio, transcript } from "./lib/table.js";
import { parseOptions, USAGE, type BenchOptions } from "./options.js";
import { runTensorBench, printTensor, worstTransposed, type TensorResults } from "./tensor.js";
import { runTapeBench, printTape, type TapeResults } from "./tape.js";
import { runLstmBench, printLstm, type LstmResults, type LstmRow } from "./lstm.js";
import { runConvBench, printConv, type ConvResults } from "./conv.js";
import { runMainBench, printMain, type MainResults } from "./main-job.js";
import { runBrowserBench, printBrowser, type BrowserResults } from "./browser.js";
import type { WebgpuResults } from "./webgpu.js";
import { DEFAULT_THREADS } from "./lib/threads.js";
import { setNumThreads } from "@tapegrad/tensor";

interface Target {
  target: string;
  where: string;
  measured: number | null;
  limit: number;
  met: boolean | null;
}

/** Issue 6's, 10's, 11's and 25's targets, read off this run's rows. */
function targets(tensor: TensorResults | undefined, lstm: LstmResults | undefined, main?: MainResults): Target[] {
  const out: Target[] = [];
  const add = (target: string, where: string, measured: number | null, limit: number) =>
    out.push({ target, where, measured, limit, met: measured === null ? null : measured <= limit });
  if (lstm) {
    const row = (r: LstmRow) => `${r.size} ${r.dtype}`;
    for (const r of lstm.rows.filter((x) => x.impl === "tape")) {
      if (r.size === "S") add("tape <= 0.5x numpy", row(r), r.vsNumpy, 0.5);
      else if (r.dtype === "float64") add("tape <= 4x numpy", row(r), r.vsNumpy, 4);
      else add("tape <= 0.5x best tfjs", row(r), r.vsBestTfjs, 0.5);
      add("tape <= 1.5x closed form", row(r), r.vsClosed, 1.5);
    }
    // issue 10: compile
    for (const r of lstm.rows.filter((x) => x.impl === "compiled")) {
      if (r.size === "S") add("compiled <= 0.25x numpy", row(r), r.vsNumpy, 0.25);
      add("compiled <= 1.0x closed form", row(r), r.vsClosed, 1.0);
    }
    const peak = (impl: string) => lstm.memory.find((m) => m.impl === impl && m.T === 64)?.peakMiB ?? null;
    const [pc, pt] = [peak("compiled"), peak("tape")];
    if (lstm.memory.some((m) => m.T === 64)) add("compiled peak RSS <= tape's", `${lstm.memory[0]!.size} T=64`, pc !== null && pt !== null ? pc / pt : null, 1.0);
  }
  if (tensor && !("missing" in tensor.matmul)) {
    for (const w of worstTransposed(tensor.matmul)) add("matmul transposed <= 1.3x plain (worst)", `${w.kernel} ${w.dtype}: ${w.where}`, w.ratio, 1.3);
  }
  // issue 11: kernels at the machine's limit
  if (tensor) {
    for (const e of tensor.elementwise.filter((x) => x.layout === "contiguous")) {
      if (e.op === "add" || e.op === "mul") add("add, mul <= 1.3x numpy", `${e.op} ${e.dtype}`, e.vsNumpy, 1.3);
      if (e.op === "exp" || e.op === "tanh" || e.op === "sigmoid") add("exp, tanh, sigmoid <= 2x numpy", `${e.op} ${e.dtype}`, e.vsNumpy, 2);
    }
    if (!("missing" in tensor.matmul)) {
      const sq = tensor.matmul.rows.find((r) => r.case === "square 512" && r.dtype === "float32" && r.layout === "nn" && r.kernel === "wasm");
      // at least 0.55x OpenBLAS's speed: numpy's time over ours >= 0.55, i.e. ours over numpy's <= 1/0.55
      if (sq) add("float32 gemm 512 >= 0.55x OpenBLAS (1 thread; as time <= 1.82x)", "square 512 wasm", sq.vsNumpy ?? null, 1 / 0.55);
    }
  }
  if (lstm) {
    for (const r of lstm.rows) {
      const name = `${r.size} ${r.dtype} ${r.impl}`;
      if (r.size === "L" && (r.impl === "tape-mt" || r.impl === "compiled-mt" || r.impl === "closed-mt")) add("L step on threads <= 1.0x numpy's default threads", name, r.vsNumpy, 1.0);
      if (r.size === "M" && r.dtype === "float32" && (r.impl === "tape" || r.impl === "compiled" || r.impl === "closed")) add("M float32 step <= 2x numpy float32 (1 thread)", name, r.vsNumpy, 2);
    }
  }
  // issue 25: the main job at least 0.6x PyTorch's steps/s on one thread (as PyTorch's over ours <= 1/0.6)
  const tg = main?.rows.find((r) => r.impl === "tapegrad");
  if (tg) add("main job >= 0.6x PyTorch's steps/s (1 thread; as PyTorch's over ours <= 1.67)", `${main!.steps} steps`, tg.vsTorch === null ? null : 1 / tg.vsTorch, 1 / 0.6);
  return out;
}

async function main(): Promise<void> {
  let o: BenchOptions | "help";
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (o === "help") {
    console.log(USAGE);
    return;
  }
  const machine = describeMachine();
  const np = o.numpy ? numpyInfo() : null;
  const numpyText = o.numpy ? describeNumpy() : "skipped (--no-numpy)";
  out(`tapegrad bench${o.quick ? " (--quick)" : ""}: ${o.sections.join(", ")}`);
  out(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.platform}; node ${machine.node}`);
  out(`commit ${machine.commit}${machine.dirty ? " (uncommitted changes)" : ""}; load average ${machine.loadAtStart.toFixed(2)} at start`);
  out(`numpy: ${numpyText}`);
  out(`threads: every row runs on one thread unless it says "threads" (tapegrad: ${DEFAULT_THREADS}, its default here; numpy and PyTorch: their defaults).`);
  out("Timings are medians after warm-up; other processes may be running, so treat small differences as noise.");
  setNumThreads(1);

  const t0 = performance.now();
  let tensor: TensorResults | undefined;
  let tape: TapeResults | undefined;
  let lstm: LstmResults | undefined;
  let conv: ConvResults | undefined;
  let mainJob: MainResults | undefined;
  let browser: BrowserResults | undefined;
  let webgpu: WebgpuResults | undefined;
  for (const s of o.sections) {
    process.stderr.write(`[${s}] running ...\n`);
    if (s === "tensor") printTensor((tensor = await runTensorBench(o)));
    if (s === "tape") printTape((tape = runTapeBench(o)));
    if (s === "conv") printConv((conv = runConvBench(o)));
    if (s === "main") printMain((mainJob = runMainBench(o)));
    if (s === "lstm") {
      lstm = await runLstmBench(o);
      out();
      out(`tfjs: ${tfjsText(lstm)}`);
      printLstm(lstm);
    }
    if (s === "browser") printBrowser((browser = await runBrowserBench()));
    if (s === "webgpu") {
      // loaded here: Dawn's binding is only needed by this section, and may be missing on the platform
      let bench: typeof import("./webgpu.js") | undefined;
      try {
        bench = await import("./webgpu.js");
      } catch (e) {
        webgpu = { missing: `the npm package webgpu does not load here (${(e as Error).message.split("\n")[0]})` };
        out();
        out(`webgpu: skipped: ${webgpu.missing}`);
      }
      if (bench) bench.printWebgpu((webgpu = await bench.runWebgpuBench({ sizes: o.sizes, reps: o.quick ? 5 : 20, tfjs: o.tfjs, fallbackSizes: ["S"] })));
    }
  }

  const tg = targets(tensor, lstm, mainJob);
  if (tg.length) {
    printTable(
      "targets (issues 6, 10, 11 and 25): ratios of median times (and of peak RSS) from this run",
      ["target", "where", "measured", "met"],
      tg.map((t) => [t.target, t.where, fmtRatio(t.measured), t.met === null ? "—" : t.met ? "yes" : "no"]),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const loadAtEnd = os.loadavg()[0]!;
  out();
  out(`done in ${seconds.toFixed(0)} s; load average ${loadAtEnd.toFixed(2)} at the end (${machine.cores} cores).`);

  if (o.json) {
    const file = fileURLToPath(new URL("./results.json", import.meta.url));
    const results = {
      machine: { ...machine, loadAtEnd, seconds },
      numpy: np ? (np.ok ? np.value : { missing: np.reason }) : { missing: "skipped (--no-numpy)" },
      options: o,
      tensor,
      tape,
      lstm,
      conv,
      main: mainJob,
      browser,
      webgpu,
      targets: tg,
    };
    writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
    console.log(`wrote ${file}`);
  }
  if (o.writeResults) {
    const file = fileURLToPath(new URL("./RESULTS.md", import.meta.url));
    writeFileSync(file, resultsMarkdown({ machine, loadAtEnd, seconds, numpyText, tfjs: lstm ? tfjsText(lstm) : "not run", argv: process.argv.slice(2) }));
    console.log(`wrote ${file}`);
  }
}

function tfjsText(lstm: LstmResults): string {
  return lstm.tfjs.version ? `@tensorflow/tfjs-core ${lstm.tfjs.version}; ${Object.values(lstm.tfjs.backends).join("; ")}` : "missing";
}

/** bench/RESULTS.md: the machine, how to read the numbers, and this run's tables as printed. */
function resultsMarkdown(r: { machine: Machine; loadAtEnd: number; seconds: number; numpyText: string; tfjs: string; argv: string[] }): string {
  const m = r.machine;
  return [
    "# Benchmark results",
    "",
    `Written by \`pnpm bench ${r.argv.join(" ")}\` (bench/run.ts) on ${m.date.slice(0, 10)}, at commit \`${m.commit}\`${m.dirty ? " with uncommitted changes" : ""}, in ${r.seconds.toFixed(0)} s.`,
    "Rerun it after any change that moves a number, and commit the new file.",
    "",
    "## Machine",
    "",
    `- CPU: ${m.cpu}, ${m.cores} cores; ${m.memoryGiB} GiB memory; ${m.platform}`,
    `- Node ${m.node}`,
    `- ${r.numpyText}; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from numpy's environment`,
    `- TensorFlow.js: ${r.tfjs}`,
    `- load average (1 min): ${m.loadAtStart.toFixed(2)} at the start, ${r.loadAtEnd.toFixed(2)} at the end`,
    "",
    "## Reading the numbers",
    "",
    "- Every number is a median over repeated runs after warm-up (at size L only a few runs: a step takes seconds).",
    "- Other processes may have been running during this run (test suites of parallel work on the same",
    "  machine); a load average above the core count means they competed for the CPU. The numbers are",
    "  noisy: compare ratios within this run, and treat differences of a few tens of percent as noise.",
    "- The peers ran in the same run, on the same sizes and dtype, doing the same work: the LSTM step is",
    "  forward plus the full backward (all weights and biases, x and h0), loss = sum(da * h) for a fixed da.",
    "  The grads check compares every implementation's gradients with numpy's at S and M.",
    "- numpy and OpenBLAS ran on one thread; TensorFlow.js's wasm backend runs one thread in Node.",
    "",
    "## Results",
    "",
    "```text",
    ...transcript,
    "```",
    "",
  ].join("\n");
}

await main();
