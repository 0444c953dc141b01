// Pictures of the playground for the README: builds and serves the site, trains in headless
// Chromium for a while, and writes docs/img/playground.png (Train) and
// docs/img/playground-inside.png (Look inside), docs/img/playground-backward.png (the backward
// walk stepped to its 9th node, and the notebook's derivation with its first wrong node). Run: pnpm web:screenshot [seconds]

import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildSite, launchChromium, serve } from "./harness.js";

const seconds = Number(process.argv[2] ?? 40);
const img = (name: string) => fileURLToPath(new URL(`../../docs/img/${name}`, import.meta.url));

const dir = await buildSite();
const site = await serve(dir);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1180, height: 860 }, deviceScaleFactor: 1 });
  await page.goto(site.url);
  await page.waitForSelector("body[data-ready=true]");
  await page.selectOption("#hidden", "128");
  await page.waitForSelector("body[data-ready=true]");
  await page.click("#start");
  await page.waitForTimeout(seconds * 1000);
  await page.click("#pause");
  await page.waitForSelector("#start:not([disabled])");
  await page.click("#sample");
  await page.waitForSelector("#sample-out[data-id]");
  console.log(await page.textContent("#status"));
  await page.screenshot({ path: img("playground.png"), fullPage: true });
  await page.click('button[data-tab="inside"]');
  await page.waitForSelector("#graph[data-drawn=true] svg", { timeout: 60_000 });
  await page.screenshot({ path: img("playground-inside.png"), fullPage: false });
  // the backward walk stopped at its 9th node, and the notebook's derivation with its first wrong node
  for (let k = 0; k < 9; k++) await page.click("#bw-next");
  await page.waitForSelector("#derivation-seq[data-done=true]", { timeout: 60_000 });
  await page.screenshot({ path: img("playground-backward.png"), fullPage: true });
  console.log(`wrote ${img("playground.png")}, ${img("playground-inside.png")} and ${img("playground-backward.png")}`);
} finally {
  await browser.close();
  await site.close();
  rmSync(dir, { recursive: true, force: true });
}
