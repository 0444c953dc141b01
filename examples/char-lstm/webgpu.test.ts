// `pnpm example char-lstm --device webgpu`: the same run as on the CPU, within float32
// tolerance (on SwiftShader where there is no GPU; tiny settings, since it is slow). Skipped,
// with the reason, where Dawn finds no adapter; under CI=true that fails instead.

import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSafetensors } from "@tapegrad/nn";
import { main } from "./main.js";

/** Kept for the whole file: a collected instance takes its devices down with it (Dawn). */
let instance: unknown = null;

async function adapterMissing(): Promise<string | null> {
  try {
    const webgpu = await import("webgpu");
    const gpu = webgpu.create([]);
    instance = gpu;
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return `no WebGPU adapter (run with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp and Debian's libvulkan1)`;
    const device = await adapter.requestDevice();
    device.destroy();
    return null;
  } catch (e) {
    return `the npm package webgpu does not load (${(e as Error).message.split("\n")[0]})`;
  }
}

const why = await adapterMissing();
void instance;
if (why !== null && process.env.CI) throw new Error(`char-lstm --device webgpu: ${why}; CI must run it (see .ci/run)`);

const tiny = ["--hidden", "16", "--embed", "8", "--batch", "4", "--seq-len", "8", "--lr", "0.02", "--eval-every", "4", "--steps", "8", "--quiet"];

describe.skipIf(why !== null)("char-lstm --device webgpu", () => {
  it("trains as on the CPU: the same bits per character and weights within float32 tolerance", async () => {
    const a = mkdtempSync(join(tmpdir(), "char-lstm-cpu-"));
    const b = mkdtempSync(join(tmpdir(), "char-lstm-gpu-"));
    const cpu = (await main([...tiny, "--out", a]))!;
    const gpu = (await main([...tiny, "--out", b, "--device", "webgpu"]))!;
    expect(Math.abs(gpu.trainBpc - cpu.trainBpc)).toBeLessThan(1e-3);
    expect(Math.abs(gpu.valBpc - cpu.valBpc)).toBeLessThan(1e-3);
    const ta = parseSafetensors(readFileSync(join(a, "checkpoint.safetensors"))).tensors;
    const tb = parseSafetensors(readFileSync(join(b, "checkpoint.safetensors"))).tensors;
    for (const k of Object.keys(ta)) {
      const x = ta[k]!.toFlat();
      const y = tb[k]!.toFlat();
      const scale = Math.max(1e-6, ...x.map(Math.abs));
      x.forEach((v, i) => expect(Math.abs(y[i]! - v), `${k}[${i}]`).toBeLessThan(1e-3 * scale));
    }
  }, 300_000);

  it("refuses float64 and an eager step on the GPU with a usage error", async () => {
    await expect(main([...tiny, "--device", "webgpu", "--dtype", "float64", "--out", mkdtempSync(join(tmpdir(), "cl-"))])).rejects.toThrow(/float32/);
    await expect(main([...tiny, "--device", "webgpu", "--no-compile", "--out", mkdtempSync(join(tmpdir(), "cl-"))])).rejects.toThrow(/--no-compile|eager/);
  });
});
