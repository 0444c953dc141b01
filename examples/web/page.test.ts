// The playground in the real browser (Debian's Chromium through playwright), built and served
// as a static site: it loads with no console errors; without WebGPU's flag the Train tab's GPU
// option is disabled and says why (gpu-page.test.ts runs the GPU); the loss falls below the
// unigram line within a minute of pressing Start; a downloaded checkpoint loads in Node and gives the same
// samples for the same seed as the page; a file that is no checkpoint for this model is refused
// with a message and leaves the model as it was; the other tabs draw what they promise, the
// compiled-against-eager panel timing both modes (no speed is asserted: only that the figures are
// sane and that the two runs are bitwise equal).

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright";
import { RandomState } from "@tapegrad/tensor";
import { saveSafetensors } from "@tapegrad/nn";
import { CharModel, readCharCheckpoint, sampleText } from "../char-lstm/model.js";
import { PRINTED_CELL4 } from "../notebook/replay.js";
import { CHROMIUM_MISSING, findChromium } from "../lib/chromium.js";
import { openPlayground, type OpenPlayground } from "./harness.js";

const chromiumPath = findChromium();
if (!chromiumPath && process.env.CI) throw new Error(`page test: ${CHROMIUM_MISSING}`);

describe.skipIf(!chromiumPath)(`the playground page in Chromium${chromiumPath ? "" : ` (skipped: ${CHROMIUM_MISSING})`}`, () => {
  let playground: OpenPlayground | undefined;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    playground = await openPlayground();
    ({ page, problems } = playground);
  }, 90_000);

  afterAll(async () => {
    await playground?.close();
  });

  const sampleInPage = async (seed: number, id: number) => {
    await page.fill("#sample-seed", String(seed));
    await page.click("#sample");
    await page.waitForSelector(`#sample-out[data-id="${id}"]`, { timeout: 30_000 });
    return (await page.textContent("#sample-out"))!;
  };

  it("loads with no console errors and shows the unigram line", async () => {
    const unigram = Number(await page.getAttribute("#status", "data-unigram"));
    expect(unigram).toBeGreaterThan(4);
    expect(unigram).toBeLessThan(5);
    expect(problems).toEqual([]);
  });

  it("offers the GPU only with an adapter: without WebGPU's flag the option is disabled and says why", async () => {
    await page.waitForSelector("#device[data-probed=true]", { timeout: 30_000 });
    expect(await page.getAttribute("#device", "data-gpu")).toBe("");
    expect(await page.isDisabled('#device option[value="webgpu"]')).toBe(true);
    expect(await page.getAttribute('#device option[value="webgpu"]', "title")).toMatch(/^not available: .*(no adapter|no WebGPU)/);
    expect(await page.inputValue("#device")).toBe("cpu");
    expect(await page.textContent("#speed")).toMatch(/^steps\/s at hidden size 64: CPU: not run yet$/);
  });

  it("trains in the worker: the loss falls below the unigram entropy within a minute", async () => {
    await page.click("#start");
    const t0 = Date.now();
    // (a string, evaluated in the page: this file is compiled without DOM typings)
    await page.waitForFunction("(() => { const s = document.getElementById('status').dataset; return Number(s.step) >= 20 && Number(s.bpc) < Number(s.unigram); })()", undefined, {
      timeout: 60_000,
      polling: 250,
    });
    const first = Number(await page.getAttribute("#status", "data-first"));
    const now = Number(await page.getAttribute("#status", "data-bpc"));
    const unigram = Number(await page.getAttribute("#status", "data-unigram"));
    console.log(`page: ${((Date.now() - t0) / 1000).toFixed(1)} s to go from ${first.toFixed(3)} to ${now.toFixed(3)} bits/char (unigram ${unigram.toFixed(3)}), ${await page.textContent("#status")}`);
    expect(first).toBeGreaterThan(unigram); // it starts at about log2(vocabulary)
    await page.click("#pause");
    await page.waitForSelector("#start:not([disabled])");
    expect(await page.locator("#chart svg").count()).toBe(1);
    expect(problems).toEqual([]);
  }, 90_000);

  it("a downloaded checkpoint loads in Node and samples what the page samples for the same seed", async () => {
    const inPage = await sampleInPage(7, 1);
    expect(inPage).toHaveLength(200);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const path = await download.path();
    const bytes = new Uint8Array(readFileSync(path));
    const { meta, restore } = readCharCheckpoint(bytes, "download");
    const model = new CharModel(meta.chars.length, meta.config, new RandomState(0));
    restore(model);
    expect(sampleText(model, meta.chars, new RandomState(7), 200, 0.8)).toBe(inPage);
    expect(meta.step).toBeGreaterThanOrEqual(20);

    // and loading it back into the page gives the same model again
    await page.setInputFiles("#load", { name: "back.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from(bytes) });
    await page.waitForSelector("#load-message.ok", { timeout: 30_000 });
    expect(await page.textContent("#load-message")).toContain(`step ${meta.step}`);
    expect(await sampleInPage(7, 2)).toBe(inPage);
  }, 60_000);

  it("refuses a file that is not a checkpoint for this model, says why, and keeps the model", async () => {
    const before = await sampleInPage(3, 3);
    const notes = Buffer.from("Call me Ishmael.");
    await page.setInputFiles("#load", { name: "notes.txt", mimeType: "text/plain", buffer: notes });
    await page.waitForFunction("(() => { const m = document.getElementById('load-message'); return m.className === 'error' && m.textContent.includes('notes.txt'); })()", undefined, { timeout: 30_000 });
    console.log(`page, on a text file: ${await page.textContent("#load-message")}`);
    expect(await page.textContent("#load-message")).toMatch(/notes\.txt.*(header|safetensors|bytes)/i);

    const other = saveSafetensors({ weight: new RandomState(1).randn(3, 3) }); // a valid safetensors file, but not this model's
    await page.setInputFiles("#load", { name: "other.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from(other) });
    await page.waitForFunction("(() => { const m = document.getElementById('load-message'); return m.className === 'error' && m.textContent.includes('other.safetensors'); })()", undefined, { timeout: 30_000 });
    expect(await page.textContent("#load-message")).toContain("not a char-lstm checkpoint");
    expect(await page.getAttribute("#load-message", "class")).toBe("error");
    expect(await sampleInPage(3, 4)).toBe(before);
  }, 60_000);

  it("draws the tape of one LSTM step with a gradient on its edges, and the notebook table", async () => {
    await page.click('button[data-tab="inside"]');
    await page.waitForSelector("#graph[data-drawn=true] svg", { timeout: 60_000 });
    const labels = await page.locator("#graph svg text").allTextContents();
    expect(labels.filter((t) => t.startsWith("|g|")).length).toBeGreaterThan(10);
    expect(labels).toContain("weight_ih");

    // step through the backward: the first node taken is the newest op of the step, each step
    // colours one node orange and the ones before it green, and the walk visits every drawn op
    const opBoxes = await page.locator("#graph svg g.node title").allTextContents();
    const drawnOps = opBoxes.filter((t) => /^n\d+$/.test(t)).length;
    await page.click("#bw-next");
    expect(await page.getAttribute("#bw-status", "data-index")).toBe("0");
    expect(await page.locator("#graph svg g.node.bw-current").count()).toBe(1);
    const firstTitle = await page.locator("#graph svg g.node.bw-current title").textContent();
    const newest = Math.max(...opBoxes.filter((t) => /^n\d+$/.test(t)).map((t) => Number(t.slice(1))));
    expect(firstTitle).toBe(`n${newest}`);
    expect(await page.locator("#bw-node tr").count()).toBeGreaterThan(1);
    await page.click("#bw-next");
    await page.click("#bw-next");
    expect(await page.locator("#graph svg g.node.bw-done").count()).toBe(2);
    await page.click("#bw-prev");
    expect(await page.getAttribute("#bw-status", "data-index")).toBe("1");
    for (let k = 0; k < drawnOps + 2; k++) await page.click("#bw-next");
    expect(await page.getAttribute("#bw-status", "data-index")).toBe(String(drawnOps - 1));
    expect(await page.locator("#graph svg g.node.bw-done").count()).toBe(drawnOps - 1);

    // your derivation: the notebook's lstm_backward as printed, first wrong node da_next[T-2]
    await page.waitForSelector("#derivation-seq[data-done=true]", { timeout: 60_000 });
    expect(await page.getAttribute("#derivation-story", "data-first-wrong")).toBe("da_next[3]");
    expect(await page.locator("#derivation-seq tr.first-wrong").getAttribute("data-name")).toBe("da_next[3]");
    expect(await page.textContent("#derivation-cell-story")).toContain("agrees");
    await page.click('button[data-tab="notebook"]');
    await expect.poll(() => page.locator("#notebook-table tr").count()).toBe(PRINTED_CELL4.length + 1);
    expect(await page.textContent("#notebook-why")).toContain("da_prevt");
    expect(problems).toEqual([]);
  }, 90_000);

  it("times the training step eagerly and compiled in a worker, and the two runs are bitwise equal", async () => {
    await page.click('button[data-tab="compile"]');
    expect(await page.isVisible("#compare-result")).toBe(false);
    await page.click("#compare-start");
    expect(await page.isDisabled("#compare-start")).toBe(true);
    await page.waitForSelector('#compare-result[data-id="1"]', { timeout: 120_000 });
    const data = async (key: string) => (await page.getAttribute("#compare-result", `data-${key}`))!;
    const text = async (selector: string) => (await page.textContent(selector))!.trim();
    const eager = Number(await data("eager-ms"));
    const compiled = Number(await data("compiled-ms"));
    console.log(`page, compiled against eager: ${await text("#compare-sizes")} eager ${eager.toFixed(2)} ms/step, compiled ${compiled.toFixed(2)} ms/step, ratio ${await text("#compare-ratio")}; ${await text("#compare-note")}`);
    for (const ms of [eager, compiled]) {
      expect(Number.isFinite(ms)).toBe(true);
      expect(ms).toBeGreaterThan(0);
    }
    // what the panel shows is what was measured, and the ratio is their quotient
    expect(await text("#compare-eager-ms")).toBe(eager.toFixed(2));
    expect(await text("#compare-compiled-ms")).toBe(compiled.toFixed(2));
    expect(Number(await data("ratio"))).toBe(eager / compiled);
    expect(await text("#compare-ratio")).toBe((eager / compiled).toFixed(2));
    // the same losses, weights and optimizer state from the same seed after the same steps
    expect(await data("equal")).toBe("true");
    expect(await text("#compare-agree")).toMatch(/^Same numbers: bitwise equal\. After 50 steps each, all 50 losses/);
    const note = await text("#compare-note");
    expect(note).toMatch(/traced \d+ calls and replayed \d+ \(every trace in the warm-up/);
    const [, traces, replays] = note.match(/traced (\d+) calls and replayed (\d+)/)!;
    expect(Number(traces) + Number(replays)).toBe(50);
    // the page heard from the worker while it measured, and the button is back
    expect(Number(await page.getAttribute("#compare-status", "data-progress"))).toBeGreaterThan(0);
    expect(await page.isDisabled("#compare-start")).toBe(false);
    expect(problems).toEqual([]);
  }, 150_000);
});
