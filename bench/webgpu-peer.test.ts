// The tfjs-webgpu peer of bench/webgpu.ts (bench/peers/tfjs-webgpu-lstm.ts) against tapegrad's
// eager CPU step, the witness: from the same weights and inputs, at a tiny size on SwiftShader,
// its loss and every gradient (x, h0, weight_ih, weight_hh, bias_ih, bias_hh) within float32
// tolerance. Without an adapter the test skips, saying why; under CI=true a missing adapter fails.

import { afterAll, expect, test } from "vitest";
import { create, globals } from "webgpu";
import { lstmData, type LstmSize } from "./lstm-data.js";
import { openTfjsWebgpu, tfjsWebgpuLstm } from "./peers/tfjs-webgpu-lstm.js";
import { agreement, lstmStep } from "./webgpu.js";

const ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
Object.assign(globalThis, globals);
const gpu = create([]); // kept: collected, it takes tfjs's device with it
const adapter = await gpu.requestAdapter();
const why = adapter === null ? `no WebGPU adapter (VK_ICD_FILENAMES is ${process.env.VK_ICD_FILENAMES || "unset"}; run with VK_ICD_FILENAMES=${ICD} XDG_RUNTIME_DIR=/tmp)` : null;
if (why !== null && process.env.CI) throw new Error(`tfjs-webgpu peer test: ${why}; CI must run it (see .ci/run)`);
if (why !== null) console.warn(`\ntfjs-webgpu peer test skipped: ${why}\n`);
const peer = why === null ? await openTfjsWebgpu(gpu) : null;

afterAll(() => {
  if (peer !== null && !("missing" in peer)) peer.close(); // a live device at exit crashed Dawn
});

test.skipIf(why !== null)("tfjs-webgpu's LSTM step: loss and gradients equal tapegrad's eager CPU step's", async () => {
  if (peer === null || "missing" in peer) throw new Error(`tfjs-webgpu does not start: ${peer?.missing}`);
  const size: LstmSize = { n_x: 3, n_a: 4, m: 2, T: 3 };
  const data = lstmData(size, "float32", 7);
  const reference = lstmStep(size, data);
  const refLoss = reference.step().item();
  const step = tfjsWebgpuLstm(peer, size, data);
  try {
    const r = await step.result();
    expect(Math.abs(r.loss - refLoss)).toBeLessThanOrEqual(1e-5 * Math.abs(refLoss) + 1e-6);
    const { relErr, worst } = agreement({ ...r.grads, dbHh: r.dbHh }, reference.grads());
    expect(relErr, `worst: ${worst}`).toBeLessThanOrEqual(2e-5);
    // a step changes nothing: a second one gives the same loss
    expect(await step.step()).toBeCloseTo(r.loss, 5);
  } finally {
    step.dispose();
  }
});
