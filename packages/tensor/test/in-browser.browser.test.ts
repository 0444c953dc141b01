// Run by the browser project only: says that the suite there really runs in Chromium's main
// thread, with no Node globals, and that matmul there takes the relaxed-SIMD wasm build
// (Chromium ships relaxed SIMD; Node 20 has it only behind a flag), on worker threads: the page
// is cross-origin isolated (vitest.config.ts), and its main thread, which may not block, spins.

import { describe, expect, it } from "vitest";
import { RandomState, matmul, setNumThreads } from "../src/index.js";
import { matmulKernelFor, matmulWasmVariant, threadsInfo } from "../src/internal.js";

describe("the browser project", () => {
  it("runs in Chromium, not in Node", () => {
    const g = globalThis as { navigator?: { userAgent: string }; process?: unknown; Buffer?: unknown; document?: unknown };
    expect(g.navigator?.userAgent).toMatch(/Chrome\//);
    expect(g.document).toBeDefined();
    expect(g.Buffer).toBeUndefined();
  });

  it("multiplies with the relaxed-SIMD wasm gemm", () => {
    expect(matmulKernelFor(64, 64, 64)).toBe("wasm");
    expect(matmulWasmVariant()).toBe("relaxed-simd");
  });

  it("splits a large product across Blob-URL workers, to the bits of one thread", async () => {
    expect((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated).toBe(true);
    const rs = new RandomState(3);
    const a = rs.randn(3, 400, 300), b = rs.randn(300, 200); // a few ms each: the workers wake in time
    setNumThreads(1);
    const one = matmul(a, b);
    setNumThreads(2);
    matmul(a, b); // starts the workers
    for (let i = 0; i < 1000 && threadsInfo().workersReady < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(threadsInfo()).toMatchObject({ workersReady: 1, off: null });
    // a worker slow to wake (the whole suite runs at once) may see its part taken back: then
    // the next product; every one gives the bits of one thread
    const before = threadsInfo().workerParts;
    for (let i = 0; i < 20 && threadsInfo().workerParts === before; i++) {
      expect(Array.from(matmul(a, b).data)).toEqual(Array.from(one.data));
    }
    expect(threadsInfo().workerParts).toBeGreaterThan(before);
    setNumThreads(1);
  });
});
