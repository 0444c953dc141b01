// The LSTM step of `pnpm bench lstm` (forward plus the full backward: every weight and bias, x,
// h0) compiled for a GPUDevice (one command buffer per step), beside its tfjs-webgpu peer
// (bench/peers/tfjs-webgpu-lstm.ts: the same step in tfjs ops, dispatched op by op). Rows name
// the adapter; each size reports per step the dispatches, submits, host-to-GPU writes and
// readbacks (counted at the WebGPU API), the latency of one step awaited until its loss and
// gradients are read back and the queue has drained (median of --reps), the time per step of
// --reps steps issued back to back, and the loss's and gradients' largest error against the eager
// CPU step's from the same weights and inputs. Self-contained, so that the GPU kit bundles it
// (tfjs included):
//
//   bash ../shared/gpu/kit.sh bench/webgpu.ts     # then, on the GPU machine:
//   bash .gpu-kit/run.sh webgpu --sizes M,L --reps 50
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp \
//     npx tsx --conditions=source bench/webgpu.ts --sizes S --reps 3   # here, on SwiftShader
//
// Flags: --sizes S,M,L (default S,M), --reps N (default 20), --no-tfjs, --json. `pnpm bench
// webgpu` runs the same rows in the bench's report (runWebgpuBench).

import { pathToFileURL } from "node:url";
import { create, globals } from "webgpu";
import * as nd from "@tapegrad/tensor";
import { Tensor, compile } from "@tapegrad/autograd";
import { LSTM, LSTMCell } from "@tapegrad/nn";
import { SIZES, compareGrads, gradsFromPytorchLayout, lstmData, type GradName, type LstmData, type LstmSize, type NotebookGrads } from "./lstm-data.js";
import { fmt, out, printTable } from "./lib/table.js";
import { median } from "./lib/timing.js";
import { openTfjsWebgpu, tfjsWebgpuLstm } from "./peers/tfjs-webgpu-lstm.js";
import type { SizeName } from "./options.js";

/** The row's largest error over the CPU's, for "agrees": compile's check allows 2e-4 of an array's largest element and more. */
const AGREE = 2e-4;

/** The step of bench/lstm-impls.ts's tape row (nn.LSTM, PyTorch layout), returning its loss, with its gradients read as the notebook's. */
export function lstmStep({ n_x, n_a, m }: LstmSize, d: LstmData): { step: () => Tensor; grads: () => NotebookGrads & { dbHh: nd.NDArray } } {
  const from = LSTMCell.fromNotebookParams(d.p, { dtype: "float32" });
  const lstm = new LSTM(n_x, n_a, { dtype: "float32" });
  const cell = lstm.cell(0);
  cell.weight_ih.data.assign(from.weight_ih.data);
  cell.weight_hh.data.assign(from.weight_hh.data);
  cell.bias_ih!.data.assign(from.bias_ih!.data);
  cell.bias_hh!.data.assign(from.bias_hh!.data);
  const x = new Tensor(d.x.transpose(2, 1, 0).contiguous(), true);
  const h0 = new Tensor(d.a0.transpose().contiguous().reshape([1, m, n_a]), true);
  const c0 = new Tensor(nd.zeros([1, m, n_a], "float32"));
  const da = new Tensor(d.da.transpose(2, 1, 0).contiguous());
  return {
    step: () => {
      lstm.zeroGrad();
      x.zeroGrad();
      h0.zeroGrad();
      const [out] = lstm.forward(x, [h0, c0]);
      const loss = out.mul(da).sum();
      loss.backward();
      return loss;
    },
    grads: () => ({
      ...gradsFromPytorchLayout({ dWih: cell.weight_ih.grad!.copy(), dWhh: cell.weight_hh.grad!.copy(), db: cell.bias_ih!.grad!.copy(), dx: x.grad!.copy(), dh0: h0.grad!.reshape([m, n_a]).copy() }),
      dbHh: cell.bias_hh!.grad!.copy(),
    }),
  };
}

/** The largest error of `got` over the reference, bias_hh's gradient included (the notebook's layout has one bias). */
export function agreement(got: NotebookGrads & { dbHh: nd.NDArray }, ref: NotebookGrads & { dbHh: nd.NDArray }): { relErr: number; worst: GradName | "dbHh" } {
  const all = compareGrads(got, ref);
  const scale = Math.max(nd.max(nd.abs(ref.dbHh)).item(), 1e-300);
  const hh = nd.maxAbsDiff(got.dbHh.astype("float64"), ref.dbHh.astype("float64")) / scale;
  return hh > all.relErr || Number.isNaN(hh) ? { relErr: hh, worst: "dbHh" } : all;
}

/** WebGPU API calls, counted on the classes' prototypes: the same count for tapegrad and tfjs. */
interface Calls {
  dispatches: number;
  submits: number;
  writes: number;
  readbacks: number;
}
const calls: Calls = { dispatches: 0, submits: 0, writes: 0, readbacks: 0 };
let counting = false;
function countCalls(): void {
  if (counting) return;
  counting = true;
  const wrap = (cls: string, method: string, key: keyof Calls) => {
    const proto = (globals as Record<string, { prototype: Record<string, (...a: unknown[]) => unknown> } | undefined>)[cls]?.prototype;
    const original = proto?.[method];
    if (proto === undefined || original === undefined) return;
    proto[method] = function (this: unknown, ...a: unknown[]) {
      calls[key]++;
      return original.apply(this, a);
    };
  };
  wrap("GPUComputePassEncoder", "dispatchWorkgroups", "dispatches");
  wrap("GPUQueue", "submit", "submits");
  wrap("GPUQueue", "writeBuffer", "writes");
  wrap("GPUBuffer", "mapAsync", "readbacks");
}
async function callsOf(run: () => Promise<unknown>): Promise<Calls> {
  const before = { ...calls };
  await run();
  return { dispatches: calls.dispatches - before.dispatches, submits: calls.submits - before.submits, writes: calls.writes - before.writes, readbacks: calls.readbacks - before.readbacks };
}

/** Median ms of `one` awaited (reps samples), and ms per step of `backToBack(reps)`. */
async function timeSteps(one: () => Promise<unknown>, backToBack: (n: number) => Promise<unknown>, reps: number): Promise<{ latencyMs: number; perStepMs: number }> {
  const samples: number[] = [];
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    await one();
    samples.push(performance.now() - t0);
  }
  const t1 = performance.now();
  await backToBack(reps);
  return { latencyMs: median(samples), perStepMs: (performance.now() - t1) / reps };
}

export interface WebgpuOptions {
  sizes: SizeName[];
  reps: number;
  /** Run the tfjs-webgpu peer. */
  tfjs: boolean;
  /** Sizes to run when the only adapter is a fallback (SwiftShader: a CPU emulation, slow); default: all of `sizes`. */
  fallbackSizes?: SizeName[];
}

export interface WebgpuRow extends Calls {
  size: SizeName;
  impl: "tapegrad compiled" | "tfjs-webgpu";
  adapter: string;
  /** tapegrad's compute pipelines (step.plan()); null for tfjs. */
  pipelines: number | null;
  latencyMs: number;
  perStepMs: number;
  /** |loss - CPU's| / |CPU's|. */
  lossErr: number;
  /** Largest max|g - CPU's| / max|CPU's| over the gradients, and where. */
  relErr: number;
  worst: string;
}

export type WebgpuResults = { adapter: string; fallback: boolean; tfjs: string; rows: WebgpuRow[]; notes: string[] } | { missing: string };

let instance: GPU | undefined; // kept for the whole run: collected, it takes the devices with it

/** The rows of every size, or why none ran (no adapter). */
export async function runWebgpuBench(o: WebgpuOptions): Promise<WebgpuResults> {
  Object.assign(globalThis, globals);
  instance ??= create([]);
  const adapter = await instance.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) {
    return { missing: `no WebGPU adapter (Dawn, the npm package webgpu; VK_ICD_FILENAMES is ${process.env.VK_ICD_FILENAMES || "unset"}; on a machine without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp)` };
  }
  const info = adapter.info;
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const adapterName = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" / ") || "unnamed adapter";
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize },
  });
  countCalls();
  const notes: string[] = [];
  const sizes = fallback && o.fallbackSizes ? o.sizes.filter((s) => o.fallbackSizes!.includes(s)) : o.sizes;
  if (sizes.length < o.sizes.length) notes.push(`fallback adapter (a CPU emulation): sizes ${sizes.join(", ") || "none"} only; its timings measure the emulation, not a GPU`);
  const rows: WebgpuRow[] = [];
  let tfjsText = "not run (--no-tfjs)";
  const peer = o.tfjs ? await openTfjsWebgpu(instance) : null;
  if (peer !== null) tfjsText = "missing" in peer ? `missing: ${peer.missing}` : `@tensorflow/tfjs ${peer.version} webgpu backend, adapter ${peer.adapter}`;
  try {
    for (const name of sizes) {
      const size = SIZES[name];
      if (size === undefined) throw new Error(`--sizes: no size ${name} (S, M, L)`);
      const data = lstmData(size, "float32");
      // the reference: the eager CPU step from the same weights and inputs (no step changes them)
      const reference = lstmStep(size, data);
      const refLoss = reference.step().item();
      const refGrads = reference.grads();
      const lossErr = (loss: number) => Math.abs(loss - refLoss) / Math.max(Math.abs(refLoss), 1e-300);

      const onGpu = lstmStep(size, data);
      const step = compile(onGpu.step, { device });
      for (let k = 0; k < 4; k++) await step(); // traces, then the checked first replay
      await device.queue.onSubmittedWorkDone();
      const one = async () => {
        const loss = await step();
        await device.queue.onSubmittedWorkDone();
        return loss;
      };
      const counted = await callsOf(one);
      const t = await timeSteps(one, async (n) => {
        for (let k = 0; k < n; k++) await step();
        await device.queue.onSubmittedWorkDone();
      }, o.reps);
      const loss = (await one()).item();
      await step.sync();
      const g = agreement(onGpu.grads(), refGrads);
      const plan = step.plan();
      const pipelines = Number(/; (\d+) pipelines/.exec(plan)?.[1] ?? NaN);
      rows.push({ size: name, impl: "tapegrad compiled", adapter: adapterName, ...counted, pipelines, ...t, lossErr: lossErr(loss), relErr: g.relErr, worst: g.worst });

      if (peer !== null && !("missing" in peer)) {
        const tf = tfjsWebgpuLstm(peer, size, data);
        try {
          for (let k = 0; k < 2; k++) await tf.step(); // compiles its pipelines
          const countedTf = await callsOf(() => tf.step());
          const tt = await timeSteps(() => tf.step(), (n) => tf.steps(n), o.reps);
          const r = await tf.result();
          const gt = agreement({ ...r.grads, dbHh: r.dbHh }, refGrads);
          rows.push({ size: name, impl: "tfjs-webgpu", adapter: peer.adapter, ...countedTf, pipelines: null, ...tt, lossErr: lossErr(r.loss), relErr: gt.relErr, worst: gt.worst });
        } finally {
          tf.dispose();
        }
      }
    }
  } finally {
    // a process that exits with a live device crashed (Dawn)
    if (peer !== null && !("missing" in peer)) peer.close();
    device.destroy();
  }
  return { adapter: `${adapterName}${fallback ? " (fallback)" : ""}`, fallback, tfjs: tfjsText, rows, notes };
}

export function printWebgpu(r: WebgpuResults): void {
  if ("missing" in r) {
    out();
    out(`webgpu: skipped: ${r.missing}`);
    return;
  }
  const agrees = (e: number) => (e <= AGREE ? "agrees" : "DIFFERS");
  printTable(
    `webgpu: the LSTM step (forward + full backward, float32) on ${r.adapter}; per step: WebGPU calls, ms awaited to the readback (median), ms back to back`,
    ["size", "impl", "adapter", "dispatches", "submits", "writes", "readbacks", "awaited ms", "back to back ms", "loss vs CPU", "grads vs CPU (worst)"],
    r.rows.map((w) => [
      w.size,
      w.pipelines === null ? w.impl : `${w.impl} (${w.pipelines} pipelines)`,
      w.adapter,
      w.dispatches,
      w.submits,
      w.writes,
      w.readbacks,
      w.latencyMs,
      w.perStepMs,
      `${fmt(w.lossErr, 2)} ${agrees(w.lossErr)}`,
      `${fmt(w.relErr, 2)} (${w.worst}) ${agrees(w.relErr)}`,
    ]),
    [
      `sizes: ${[...new Set(r.rows.map((w) => w.size))].map((n) => `${n} (T=${SIZES[n].T}, B=${SIZES[n].m}, I=${SIZES[n].n_x}, H=${SIZES[n].n_a})`).join(", ")}`,
      `tfjs: ${r.tfjs}`,
      "vs CPU: the eager CPU step's loss and gradients from the same weights and inputs, as |a - b| / max|b| per array (the largest); agrees: <= 2e-4",
      "back to back: steps called one after another, the queue drained once at the end; tapegrad's step still reads x's and h0's gradients back each time, tfjs's steps read nothing until the last one's loss",
      ...r.notes,
    ],
  );
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runWebgpuBench({ sizes: arg("sizes", "S,M").split(",") as SizeName[], reps: Number(arg("reps", "20")), tfjs: !process.argv.includes("--no-tfjs") });
  printWebgpu(r);
  if (process.argv.includes("--json")) console.log(JSON.stringify(r));
  if ("missing" in r) process.exitCode = 1;
}
