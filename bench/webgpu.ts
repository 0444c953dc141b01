// The LSTM step of `pnpm bench lstm` (forward plus the full backward: every weight and bias, x,
// h0) compiled for a GPUDevice: one command buffer per step. Rows name the adapter; each size
// reports the dispatches per step, the latency of one step awaited to the end of its GPU work,
// the time per step of steps submitted back to back, and the gradients' largest error against
// the CPU compiled step's. Self-contained, so that the GPU kit bundles it:
//
//   bash ../shared/gpu/kit.sh bench/webgpu.ts     # then, on the GPU machine:
//   bash .gpu-kit/run.sh webgpu --sizes M,L --reps 50
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp \
//     npx tsx --conditions=source bench/webgpu.ts --sizes S --reps 3   # here, on SwiftShader
//
// No tfjs-webgpu row yet: its peer (bench/tfjs.ts) loads tfjs through Node resolve hooks that
// the kit's single-file bundle does not carry.

import { create, globals } from "webgpu";
import * as nd from "@tapegrad/tensor";
import { Tensor, compile } from "@tapegrad/autograd";
import { LSTM, LSTMCell } from "@tapegrad/nn";
import { SIZES, compareGrads, gradsFromPytorchLayout, lstmData, type LstmData, type LstmSize, type NotebookGrads } from "./lstm-data.js";
import type { SizeName } from "./options.js";

/** The step of bench/lstm-impls.ts's tape row (nn.LSTM, PyTorch layout), with its gradients read as the notebook's. */
function lstmStep({ n_x, n_a, m }: LstmSize, d: LstmData): { step: () => void; grads: () => NotebookGrads } {
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
      out.mul(da).sum().backward();
    },
    grads: () =>
      gradsFromPytorchLayout({ dWih: cell.weight_ih.grad!.copy(), dWhh: cell.weight_hh.grad!.copy(), db: cell.bias_ih!.grad!.copy(), dx: x.grad!.copy(), dh0: h0.grad!.reshape([m, n_a]).copy() }),
  };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

Object.assign(globalThis, globals);
const instance = create([]); // kept for the whole run: collected, it takes the device with it
const adapter = await instance.requestAdapter({ powerPreference: "high-performance" });
if (adapter === null) {
  console.log("webgpu: no adapter (on a machine without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp)");
  process.exit(1);
}
const info = adapter.info;
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" / ") || "unnamed adapter";
const limits = adapter.limits;
const device = await adapter.requestDevice({
  requiredLimits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize },
});
const sizes = arg("sizes", "S,M").split(",") as SizeName[];
const reps = Number(arg("reps", "20"));
const rows: Record<string, unknown>[] = [];
console.log(`webgpu: adapter ${adapterName}${(info as { isFallbackAdapter?: boolean }).isFallbackAdapter ? " (fallback)" : ""}`);
try {
  for (const name of sizes) {
    const size = SIZES[name];
    if (size === undefined) throw new Error(`--sizes: no size ${name} (S, M, L)`);
    const data = lstmData(size, "float32");
    const onGpu = lstmStep(size, data);
    const step = compile(onGpu.step, { device });
    for (let k = 0; k < 4; k++) await step(); // traces, then the checked first replay
    await device.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let k = 0; k < reps; k++) {
      await step();
      await device.queue.onSubmittedWorkDone();
    }
    const latency = (performance.now() - t0) / reps;
    const t1 = performance.now();
    for (let k = 0; k < reps; k++) await step();
    await device.queue.onSubmittedWorkDone();
    const throughput = (performance.now() - t1) / reps;
    await step.sync();
    // the GPU's gradients against the eager CPU step's from the same weights (the step changes none)
    const got = onGpu.grads();
    const reference = lstmStep(size, data);
    reference.step();
    const { relErr, worst } = compareGrads(got, reference.grads());
    const plan = step.plan();
    const dispatches = Number(/webgpu: (\d+) dispatches/.exec(plan)?.[1] ?? NaN);
    const pipelines = Number(/; (\d+) pipelines/.exec(plan)?.[1] ?? NaN);
    rows.push({ size: name, adapter: adapterName, dispatches, pipelines, latencyMs: +latency.toFixed(3), perStepMs: +throughput.toFixed(3), relErr, worst });
    console.log(`  ${name} (T=${size.T}, B=${size.m}, I=${size.n_x}, H=${size.n_a}): ${dispatches} dispatches, ${pipelines} pipelines; ${latency.toFixed(2)} ms a step awaited, ${throughput.toFixed(2)} ms a step back to back; gradients within ${relErr.toExponential(1)} of the CPU's (worst ${worst})`);
  }
} finally {
  device.destroy(); // a process that exits with a live device crashed (Dawn)
}
if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
