import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { CHROMIUM_ARGS, CHROMIUM_MISSING, findChromium } from "./examples/lib/chromium.js";

// Tests import the packages' TypeScript sources through the "source" export condition,
// so no build step stands between an edit and a test run.
//
// Two projects: "node" runs every test in Node; "browser" runs a real part of the suite (tensor
// laws, the wasm gemm, the gradcheck table, the LSTM witnesses, safetensors) in Debian's
// Chromium through playwright, since the packages promise to run unchanged in a browser.
// Playwright downloads no browser here: it is pointed at the system's binary.

/** The browser tests: files that import nothing from Node. */
export const BROWSER_TESTS = [
  "packages/tensor/test/laws.test.ts",
  "packages/tensor/test/matmul-kernels.test.ts",
  "packages/tensor/test/in-browser.browser.test.ts",
  "packages/autograd/test/gradcheck.test.ts",
  "packages/autograd/test/ops.test.ts",
  "packages/autograd/test/laws.test.ts",
  "packages/nn/test/witnesses.test.ts",
  "packages/nn/test/safetensors.test.ts",
];

const chromium = findChromium();
const browserProject = process.env.TAPEGRAD_BROWSER !== "0";
if (browserProject && !chromium) {
  const why = CHROMIUM_MISSING;
  // CI must run the browser tests: a missing browser there is a failure, not a skip.
  if (process.env.CI) throw new Error(`browser tests: ${why}`);
  console.warn(`\nbrowser tests skipped: ${why}\n`);
}

const node = {
  extends: true as const,
  test: {
    name: "node",
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/*.browser.test.ts"],
    pool: "threads" as const,
  },
};

const browser = {
  extends: true as const,
  test: {
    name: "browser",
    include: BROWSER_TESTS,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: chromium!, args: CHROMIUM_ARGS } }),
      instances: [{ browser: "chromium" as const }],
    },
  },
};

export default defineConfig({
  resolve: { conditions: ["source"] },
  // The test page is cross-origin isolated, as a page must be to have SharedArrayBuffer: so the
  // browser project runs matmul on worker threads (in-browser.browser.test.ts).
  server: { headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    testTimeout: 60_000,
    projects: chromium && browserProject ? [node, browser] : [node],
  },
});
