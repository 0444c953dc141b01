// Where the system's Chromium is, and the flags it runs with, for the browser tests, the page
// test, the screenshot and the browser benchmark. Nothing downloads a browser: Debian's
// chromium package provides it (apt-get install chromium).

import { existsSync } from "node:fs";

/** Flags for a headless Chromium that phones nowhere and keeps no state between runs (each launch gets a fresh profile). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Added to CHROMIUM_ARGS where a page needs WebGPU: headless Chromium then offers an adapter
 * (SwiftShader's, on the CPU, where there is no GPU) to pages from localhost, --disable-gpu
 * notwithstanding. Kept apart so that the other browser tests run as before.
 */
export const CHROMIUM_WEBGPU_ARGS = ["--enable-unsafe-webgpu"];

export const CHROMIUM_MISSING = "no Chromium at $CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser (apt-get install chromium)";

export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((p): p is string => !!p && existsSync(p));
}
