// The shipped wasm builds, checked from Node: gemm-wasm.ts is what gemm.wat assembles to, and
// the relaxed-SIMD build is the one an engine with relaxed SIMD picks (a child Node with the
// flag). Kept apart from matmul-kernels.test.ts, which also runs in the browser project.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { matmulWasmVariant } from "../src/internal.js";
import { decodeBase64, instantiateGemmKernel } from "../src/wasm/gemm.js";
import { GEMM_WASM_RELAXED_BASE64 } from "../src/wasm/gemm-wasm.js";

describe("the shipped wasm builds", () => {
  it("is the committed build of gemm.wat (pnpm build:wasm)", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const out = execFileSync(process.execPath, ["scripts/build-wasm.mjs", "--check"], { cwd: root, encoding: "utf8" });
    expect(out).toMatch(/up to date/);
  });

  it("has a relaxed-SIMD build that engines with relaxed SIMD pick, and that agrees with the loop", () => {
    // Node 20 enables relaxed SIMD only behind a flag, so this runs in a child process with it.
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const out = execFileSync(
      process.execPath,
      ["--experimental-wasm-relaxed-simd", "--import", "tsx", "--conditions=source", "packages/tensor/test/relaxed-check.ts"],
      { cwd: root, encoding: "utf8" },
    );
    const res = JSON.parse(out.trim().split("\n").pop()!) as { ok: boolean; variant?: string; why?: string };
    expect(res).toMatchObject({ ok: true, variant: "relaxed-simd" });
    // and without the flag, this Node picks the plain build
    expect(matmulWasmVariant()).toBe(instantiateGemmKernel(decodeBase64(GEMM_WASM_RELAXED_BASE64)) !== null ? "relaxed-simd" : "simd");
  });
});
