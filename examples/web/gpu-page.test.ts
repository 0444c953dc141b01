// The playground's GPU device in real Chromium with WebGPU on (SwiftShader's adapter where there
// is no GPU). Witness: the page's own CPU run. The same seed and batches trained on the CPU and
// then, from a reset, on the GPU give the same first step losses within float32 tolerance; a
// checkpoint saved and a sample drawn while the weights live on the GPU agree with each other in
// Node (so both read the synced weights); switching back to the CPU continues the same model;
// steps/s is shown for both devices; a float64 model is kept off the GPU with a message; no
// console errors. Skipped, with the reason, where Chromium
// or its WebGPU adapter is missing; under CI=true that fails instead.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright";
import { RandomState } from "@tapegrad/tensor";
import { Adam } from "@tapegrad/nn";
import { CharModel, encodeCheckpoint, readCharCheckpoint, sampleText } from "../char-lstm/model.js";
import { CHROMIUM_MISSING, CHROMIUM_WEBGPU_ARGS, findChromium } from "../lib/chromium.js";
import { launchChromium, openPlayground, serve, type OpenPlayground } from "./harness.js";

/** Why this test cannot run here, or null: Chromium, and an adapter in a page from localhost. */
async function missing(): Promise<string | null> {
  if (!findChromium()) return CHROMIUM_MISSING;
  const empty = mkdtempSync(join(tmpdir(), "tapegrad-gpu-probe-"));
  const site = await serve(empty);
  const browser = await launchChromium(CHROMIUM_WEBGPU_ARGS);
  try {
    const page = await browser.newPage();
    await page.goto(site.url); // a 404 page, but a secure context (localhost): navigator.gpu is there
    const found = await page.evaluate("(async () => !!navigator.gpu && (await navigator.gpu.requestAdapter()) !== null)()");
    return found ? null : `Chromium with ${CHROMIUM_WEBGPU_ARGS.join(" ")} found no WebGPU adapter`;
  } finally {
    await browser.close();
    await site.close();
    rmSync(empty, { recursive: true, force: true });
  }
}

const why = await missing();
if (why !== null && process.env.CI) throw new Error(`playground GPU page test: ${why}; CI must run it`);

/** Steps compared between the devices: two traces (eager, on the CPU), the checked first replay, then plain replays. */
const N = 10;

describe.skipIf(why !== null)(`the playground's GPU device in Chromium${why ? ` (skipped: ${why})` : ""}`, () => {
  let playground: OpenPlayground | undefined;
  let page: Page;
  let problems: string[] = [];

  const attr = async (selector: string, name: string) => (await page.getAttribute(selector, name)) ?? "";
  const losses = async () => (await attr("#chart", "data-losses")).split(",").filter((v) => v !== "").map(Number);
  const readyCount = async () => Number(await attr("body", "data-ready-count"));
  /** Start, train until `step` or beyond, pause, and wait for the pause to land. */
  const trainTo = async (step: number, timeout: number) => {
    await page.click("#start");
    await page.waitForFunction(`Number(document.getElementById('status').dataset.step) >= ${step}`, undefined, { timeout, polling: 100 });
    await page.click("#pause");
    await page.waitForSelector("#start:not([disabled])");
  };
  const chooseDevice = async (device: string) => {
    const changes = Number(await attr("#device", "data-changes"));
    await page.selectOption("#device", device);
    await page.waitForFunction(`Number(document.getElementById('device').dataset.changes) > ${changes}`, undefined, { timeout: 30_000 });
    expect(await attr("#device", "data-current")).toBe(device);
  };

  beforeAll(async () => {
    playground = await openPlayground(CHROMIUM_WEBGPU_ARGS);
    ({ page, problems } = playground);
    await page.waitForSelector("#device[data-probed=true]", { timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await playground?.close();
  });

  it("offers the GPU, naming its adapter", async () => {
    const name = await attr("#device", "data-gpu");
    console.log(`page, WebGPU adapter: ${name}`);
    expect(name).not.toBe("");
    expect(await page.isDisabled('#device option[value="webgpu"]')).toBe(false);
    expect(await attr('#device option[value="webgpu"]', "title")).toContain(name);
    expect(await page.textContent('#device option[value="webgpu"]')).toBe("GPU (WebGPU)");
    expect(problems).toEqual([]);
  });

  it("trains on the GPU as on the CPU: the same seed gives the same step losses within float32 tolerance", async () => {
    const t0 = Date.now();
    const before = await readyCount();
    await page.selectOption("#hidden", "32"); // a new model, small: SwiftShader is slow
    await page.waitForFunction(`Number(document.body.dataset.readyCount) > ${before}`);
    await trainTo(N, 30_000);
    const cpu = (await losses()).slice(0, N);

    const again = await readyCount();
    await page.click("#reset"); // the same seed: the same initial weights and the same batches
    await page.waitForFunction(`Number(document.body.dataset.readyCount) > ${again}`);
    expect(await attr("#status", "data-step")).toBe("0");
    await chooseDevice("webgpu");
    const t1 = Date.now();
    await trainTo(N, 90_000); // SwiftShader compiles its pipelines at the first replay: seconds, more on a busy machine
    const gpu = (await losses()).slice(0, N);
    console.log(`page, GPU: ${N} steps in ${((Date.now() - t1) / 1000).toFixed(1)} s; CPU losses ${cpu.map((v) => v.toFixed(5)).join(" ")}; largest relative difference ${Math.max(...cpu.map((v, i) => Math.abs(gpu[i]! - v) / v)).toExponential(2)}`);
    expect(cpu).toHaveLength(N);
    expect(gpu).toHaveLength(N);
    cpu.forEach((v, i) => expect(Math.abs(gpu[i]! - v) / v, `step ${i + 1}: CPU ${v}, GPU ${gpu[i]}`).toBeLessThan(1e-4));
    expect(cpu[N - 1]).toBeLessThan(cpu[0]!); // and it learned something
    expect(await page.textContent("#device-message")).toContain("GPU");
    console.log(`page: ${((Date.now() - t0) / 1000).toFixed(1)} s for both runs`);
    expect(problems).toEqual([]);
  }, 150_000);

  it("syncs before it samples and saves: a checkpoint saved from the GPU samples in Node what the page sampled", async () => {
    expect(await attr("#device", "data-current")).toBe("webgpu");
    await page.fill("#sample-seed", "7");
    await page.click("#sample");
    await page.waitForSelector('#sample-out[data-id="1"]', { timeout: 30_000 });
    const inPage = (await page.textContent("#sample-out"))!;
    expect(inPage).toHaveLength(200);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const { meta, restore } = readCharCheckpoint(new Uint8Array(readFileSync(await download.path())), "download");
    expect(String(meta.step)).toBe(await attr("#status", "data-step"));
    const model = new CharModel(meta.chars.length, meta.config, new RandomState(0));
    restore(model);
    expect(sampleText(model, meta.chars, new RandomState(7), 200, 0.8)).toBe(inPage);
    expect(problems).toEqual([]);
  }, 60_000);

  it("switches back to the CPU with the same model, and shows steps/s for both devices", async () => {
    const step = Number(await attr("#status", "data-step"));
    const last = (await losses()).at(-1)!;
    await chooseDevice("cpu");
    await trainTo(step + 5, 30_000);
    const after = (await losses()).slice(step);
    expect(after.length).toBeGreaterThanOrEqual(5);
    // the next batch on the model the GPU left: about where the GPU run was, not back at the start
    expect(Math.abs(after[0]! - last)).toBeLessThan(0.5);
    expect(after[0]).toBeLessThan((await losses())[0]! - 0.5);

    const speed = (await page.textContent("#speed"))!;
    const cpuRate = Number(await attr("#speed", "data-cpu"));
    const gpuRate = Number(await attr("#speed", "data-webgpu"));
    console.log(`page: ${speed}`);
    expect(cpuRate).toBeGreaterThan(0);
    expect(gpuRate).toBeGreaterThan(0);
    expect(speed).toMatch(/^steps\/s at hidden size 32: CPU: [\d.]+ steps\/s · GPU \(.+\): [\d.]+ steps\/s$/);
    expect(speed).toContain(await attr("#device", "data-gpu"));
    expect(problems).toEqual([]);
  }, 60_000);

  it("keeps a float64 model off the GPU, says why, and stays usable on the CPU", async () => {
    await chooseDevice("webgpu");
    // this page's vocabulary and settings, from a checkpoint of its own, in float64
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const { meta } = readCharCheckpoint(new Uint8Array(readFileSync(await download.path())), "download");
    const config = { ...meta.config, dtype: "float64" as const };
    const model = new CharModel(meta.chars.length, config, new RandomState(config.seed));
    const bytes = encodeCheckpoint(model, new Adam(model.parameters(), { lr: config.lr }), { ...meta, config, step: 0, seconds: 0, history: [] });
    const changes = Number(await attr("#device", "data-changes"));
    await page.setInputFiles("#load", { name: "f64.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from(bytes) });
    await page.waitForSelector("#load-message.ok", { timeout: 30_000 });
    await page.waitForFunction(`Number(document.getElementById('device').dataset.changes) > ${changes}`, undefined, { timeout: 30_000 });
    expect(await attr("#device", "data-current")).toBe("cpu");
    expect(await page.getAttribute("#device-message", "class")).toBe("error");
    expect(await page.textContent("#device-message")).toMatch(/float64.*WebGPU has no float64.*CPU/);
    // choosing the GPU again is refused the same way
    await page.selectOption("#device", "webgpu");
    await page.waitForFunction(`Number(document.getElementById('device').dataset.changes) > ${changes + 1}`, undefined, { timeout: 30_000 });
    expect(await attr("#device", "data-current")).toBe("cpu");
    expect(await page.textContent("#device-message")).toContain("float64");
    await trainTo(3, 30_000);
    expect((await losses()).slice(0, 3).every(Number.isFinite)).toBe(true);
    expect(problems).toEqual([]);
  }, 60_000);
});
