// Run by the browser project only: says that the suite there really runs in Chromium's main
// thread, with no Node globals, and that matmul there takes the relaxed-SIMD wasm build
// (Chromium ships relaxed SIMD; Node 20 has it only behind a flag).

import { describe, expect, it } from "vitest";
import { matmulKernelFor, matmulWasmVariant } from "../src/internal.js";

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
});
