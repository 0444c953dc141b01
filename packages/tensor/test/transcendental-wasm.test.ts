// The WebAssembly SIMD exp/tanh/sigmoid (kernels/transcendental-wasm.ts) against the TypeScript
// kernels it mirrors: the same bits on every point, so that a caller may take either path. Also
// that the committed module is what scripts/gen-transcendental-wasm.mjs builds from today's tables.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expF32, expF64, sigmoidF32, sigmoidF64, tanhF32, tanhF64 } from "../src/kernels/transcendental.js";
import { WASM_MIN_ROW, transcendentalRowWasm, transcendentalWasmAvailable } from "../src/kernels/transcendental-wasm.js";
import { uint32Stream as rng } from "./helpers.js";

type Row = (o: never, po: number, so: number, a: never, pa: number, sa: number, n: number) => void;
const KERNELS = { exp: [expF64, expF32], tanh: [tanhF64, tanhF32], sigmoid: [sigmoidF64, sigmoidF32] } as const;


/** Working ranges, the clamps and the cells' edges, every binade, raw bit patterns, specials. */
function points(n: number): Float64Array {
  const next = rng(21);
  const x = new Float64Array(n);
  const words = new Uint32Array(x.buffer);
  for (let i = 0; i < n; i++) {
    const u = next() / 2 ** 32;
    switch (i % 5) {
      case 0: x[i] = 8 * u - 4; break;
      case 1: x[i] = 1600 * u - 800; break;
      case 2: x[i] = ((Math.round(3000 * u - 1500) + 0.5) * Math.LN2) / 128 * (1 + (next() % 7 - 3) * 2 ** -52) * [1, -1, 0.5, -0.5][next() & 3]!; break;
      case 3: x[i] = (next() & 1 ? -1 : 1) * 2 ** (-1074 + 1100 * u); break;
      default: words[2 * i] = next(); words[2 * i + 1] = next();
    }
  }
  x.set([0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 20, -20, 19.06, 10, -10, 89, 88.72, -104, 104, -103.97, 709.1, 709.2, 709.79, -709.1, -745.13, -745.2, 746, -746, 1e300, -1e300]);
  return x;
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (a !== a && b !== b);

describe.skipIf(!transcendentalWasmAvailable())("transcendental kernels in WebAssembly SIMD", () => {
  const x64 = points((1 << 20) + 3);
  const x32 = new Float32Array(x64);
  for (const op of ["exp", "tanh", "sigmoid"] as const) {
    for (const f32 of [false, true]) {
      it(`${op} ${f32 ? "float32" : "float64"} gives the TypeScript kernel's bits, at an offset and with a ragged tail`, () => {
        const a = f32 ? x32 : x64;
        const n = a.length - 4;
        const make = (): Float64Array | Float32Array => (f32 ? new Float32Array(n + 3) : new Float64Array(n + 3));
        const want = make(), got = make();
        (KERNELS[op][f32 ? 1 : 0] as Row)(want as never, 2, 1, a as never, 1, 1, n);
        expect(transcendentalRowWasm(op, got, 2, a, 1, n)).toBe(true);
        for (let i = 0; i < want.length; i++) if (!same(got[i]!, want[i]!)) expect(got[i], `${op}(${a[i - 1]})`).toBe(want[i]);
      });
    }
  }

  it("declines what it does not serve: short rows and mixed dtypes, writing nothing", () => {
    const o = new Float64Array(WASM_MIN_ROW);
    expect(transcendentalRowWasm("exp", o, 0, new Float64Array(WASM_MIN_ROW - 1), 0, WASM_MIN_ROW - 1)).toBe(false);
    expect(transcendentalRowWasm("exp", o, 0, new Float32Array(WASM_MIN_ROW), 0, WASM_MIN_ROW)).toBe(false);
    expect(transcendentalRowWasm("exp", new Int32Array(WASM_MIN_ROW), 0, new Int32Array(WASM_MIN_ROW), 0, WASM_MIN_ROW)).toBe(false);
    expect(o.every((v) => v === 0)).toBe(true);
  });
});

describe("the committed WebAssembly module", () => {
  it("is what scripts/gen-transcendental-wasm.mjs builds from the cores and tables of today", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const out = execFileSync(process.execPath, ["scripts/gen-transcendental-wasm.mjs", "--check"], { cwd: root, encoding: "utf8" });
    expect(out).toMatch(/up to date/);
  });
});
