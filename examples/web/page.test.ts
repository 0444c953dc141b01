// The playground in the real browser (Debian's Chromium through playwright), built and served
// as a static site: it loads with no console errors; the loss falls below the unigram line
// within a minute of pressing Start; a downloaded checkpoint loads in Node and gives the same
// samples for the same seed as the page; a file that is no checkpoint for this model is refused
// with a message and leaves the model as it was; the other two tabs draw what they promise.

import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright";
import { RandomState } from "@tapegrad/tensor";
import { saveSafetensors } from "@tapegrad/nn";
import { CharModel, decodeCheckpoint, sampleText } from "../char-lstm/model.js";
import { PRINTED_CELL4 } from "../notebook/replay.js";
import { CHROMIUM_MISSING, findChromium } from "../lib/chromium.js";
import { buildSite, launchChromium, serve } from "./harness.js";

const chromiumPath = findChromium();
if (!chromiumPath && process.env.CI) throw new Error(`page test: ${CHROMIUM_MISSING}`);

describe.skipIf(!chromiumPath)(`the playground page in Chromium${chromiumPath ? "" : ` (skipped: ${CHROMIUM_MISSING})`}`, () => {
  let dir: string;
  let site: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = await buildSite();
    site = await serve(dir);
    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true });
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(site.url);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
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
    const { meta, model: weights } = decodeCheckpoint(bytes, "download");
    const model = new CharModel(meta.chars.length, meta.config, new RandomState(0));
    model.loadStateDict(weights);
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
    await page.click('button[data-tab="notebook"]');
    await expect.poll(() => page.locator("#notebook-table tr").count()).toBe(PRINTED_CELL4.length + 1);
    expect(await page.textContent("#notebook-why")).toContain("da_prevt");
    expect(problems).toEqual([]);
  }, 90_000);
});
