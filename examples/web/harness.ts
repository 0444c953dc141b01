// Node-side helpers for the playground's page test and screenshot: build the site into a
// folder, serve that folder over HTTP (as any static host would), open it in the system's
// headless Chromium.

import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, existsSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { chromium, type Browser, type Page } from "playwright";
import { CHROMIUM_ARGS, CHROMIUM_MISSING, findChromium } from "../lib/chromium.js";

const here = fileURLToPath(new URL(".", import.meta.url));

/** `pnpm web:build` into a fresh temp folder (or `outDir`); returns the folder. */
export async function buildSite(outDir?: string): Promise<string> {
  return buildWith(join(here, "vite.config.ts"), outDir);
}

/** A vite build of the site that `configFile` describes, into a fresh temp folder (or `outDir`). */
export async function buildWith(configFile: string, outDir = mkdtempSync(join(tmpdir(), "tapegrad-site-"))): Promise<string> {
  await build({ configFile, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  return outDir;
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".wasm": "application/wasm", ".json": "application/json" };

/** A plain static file server on a free port. */
export async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(dir, path);
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The system's Chromium, headless, with a fresh profile. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(CHROMIUM_MISSING);
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/** The playground built, served and open in a fresh Chromium, once it says it is ready. */
export interface OpenPlayground {
  page: Page;
  /** console errors and page errors seen so far */
  problems: string[];
  close(): Promise<void>;
}

/** Builds the site, serves it, opens it in Chromium (with `extraArgs`) and waits for body[data-ready=true]; close() undoes all of it. */
export async function openPlayground(extraArgs: readonly string[] = []): Promise<OpenPlayground> {
  const dir = await buildSite();
  const site = await serve(dir);
  const browser = await launchChromium(extraArgs);
  const close = async () => {
    await browser.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const problems: string[] = [];
  const page = await browser.newPage({ acceptDownloads: true });
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(site.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  return { page, problems, close };
}
