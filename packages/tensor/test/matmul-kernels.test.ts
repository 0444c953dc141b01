// The two gemm kernels against each other and against a naive triple loop: the WebAssembly
// SIMD kernel (wasm/gemm.ts + gemm.wat) and the TypeScript one (gemmTs), on random shapes
// (1, odd, not multiples of the 4x4 / 4x8 tiles, K past the 256-deep blocks, N past a column
// chunk) and random layouts (transposed, stepped, reversed, broadcast, offset), float64 and
// float32; then matmul through both with batches; then the fallback when wasm is missing.

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { NDArray, RandomState, matmul, type Storage } from "../src/index.js";
import { gemm, gemmTs, matmulKernelFor, setMatmulBackend } from "../src/internal.js";
import { gemmKernel, instantiateGemmKernel, setGemmKernel, wasmGemm, type GemmKernel } from "../src/wasm/gemm.js";

afterEach(() => {
  setMatmulBackend("auto");
  setGemmKernel(undefined);
});

/** An operand laid out in a storage larger than it: row/column strides and an offset. */
interface Operand {
  data: Storage;
  off: number;
  rs: number;
  cs: number;
}

type Layout = "row" | "col" | "stepped" | "reversed" | "bcastRow" | "bcastCol";
const LAYOUTS: Layout[] = ["row", "col", "stepped", "reversed", "bcastRow", "bcastCol"];

/** rows x cols of random values in [-1, 1) (float32-exact when float32), laid out as asked. */
function operand(rng: RandomState, rows: number, cols: number, layout: Layout, f32: boolean): Operand {
  const pad = 3;
  let n: number, off: number, rs: number, cs: number;
  switch (layout) {
    case "row": [n, off, rs, cs] = [rows * cols, 0, cols, 1]; break;
    case "col": [n, off, rs, cs] = [rows * cols, 0, 1, rows]; break; // a transposed view
    case "stepped": [n, off, rs, cs] = [pad + rows * cols * 6, pad, 3 * cols * 2, 2]; break; // a[::3, ::2] of a bigger array
    case "reversed": [n, off, rs, cs] = [rows * cols, rows * cols - 1, -cols, -1]; break; // a[::-1, ::-1]
    case "bcastRow": [n, off, rs, cs] = [cols, 0, 0, 1]; break; // one row broadcast down
    case "bcastCol": [n, off, rs, cs] = [rows, 0, 1, 0]; break; // one column broadcast across
  }
  const data = f32 ? new Float32Array(n) : new Float64Array(n);
  const u = rng.rand(n).data;
  for (let i = 0; i < n; i++) data[i] = u[i]! * 2 - 1;
  return { data, off, rs, cs };
}

/** C = A·B by the definition, in float64, with the sum of |a||b| that bounds rounding error. */
function naive(M: number, N: number, K: number, A: Operand, B: Operand): { c: Float64Array; mag: Float64Array } {
  const c = new Float64Array(M * N);
  const mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const p = A.data[A.off + i * A.rs + k * A.cs]! * B.data[B.off + k * B.rs + j * B.cs]!;
        s += p;
        m += Math.abs(p);
      }
      c[i * N + j] = s;
      mag[i * N + j] = m;
    }
  }
  return { c, mag };
}

/** Runs a kernel into a fresh C (row-major, or column-major through strides) with a guard band. */
function run(
  kernel: typeof gemmTs,
  M: number, N: number, K: number, A: Operand, B: Operand, f32: boolean, cColMajor: boolean,
): (i: number, j: number) => number {
  const guard = 5;
  const c = f32 ? new Float32Array(M * N + 2 * guard) : new Float64Array(M * N + 2 * guard);
  c.fill(Number.NaN); // gemm overwrites, never reads, C
  const [crs, ccs] = cColMajor ? [1, M] : [N, 1];
  kernel(M, N, K, A.data, A.off, A.rs, A.cs, B.data, B.off, B.rs, B.cs, c, guard, crs, ccs);
  for (let g = 0; g < guard; g++) {
    expect(c[g]).toBeNaN();
    expect(c[guard + M * N + g]).toBeNaN();
  }
  return (i, j) => c[guard + i * crs + j * ccs]!;
}

/** Error bound: u * (K + 2) * sum|a||b|, u the unit roundoff of the accumulation. */
function expectClose(got: (i: number, j: number) => number, want: { c: Float64Array; mag: Float64Array }, M: number, N: number, K: number, f32: boolean, what: string): void {
  const u = f32 ? 2 ** -23 : 2 ** -52;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const g = got(i, j);
      const w = want.c[i * N + j]!;
      const tol = u * (K + 2) * want.mag[i * N + j]! + (f32 ? 1e-30 : 0);
      if (!(Math.abs(g - w) <= tol)) throw new Error(`${what}: C[${i},${j}] = ${g}, want ${w} (tolerance ${tol})`);
    }
  }
}

function wasmOnly(...args: Parameters<typeof gemmTs>): void {
  const k = gemmKernel();
  if (k === null) throw new Error("no wasm kernel");
  if (!wasmGemm(k, ...args)) throw new Error("wasmGemm declined");
}

describe("the wasm kernel", () => {
  it("instantiates here (Node 20 has WebAssembly SIMD)", () => {
    expect(gemmKernel()).not.toBeNull();
    expect(matmulKernelFor(64, 64, 64)).toBe("wasm");
    expect(matmulKernelFor(64, 64, 64, "int32")).toBe("ts");
  });
});

describe("wasm kernel = TypeScript kernel = naive loop", () => {
  const dimArb = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9), fc.integer({ min: 1, max: 70 }));
  const caseArb = fc.record({
    M: dimArb,
    N: dimArb,
    K: fc.oneof(dimArb, fc.integer({ min: 250, max: 600 })),
    la: fc.constantFrom(...LAYOUTS),
    lb: fc.constantFrom(...LAYOUTS),
    f32: fc.boolean(),
    cColMajor: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });

  it("on random shapes, layouts and dtypes", () => {
    fc.assert(
      fc.property(caseArb, ({ M, N, K, la, lb, f32, cColMajor, seed }) => {
        const rs = new RandomState(seed);
        const A = operand(rs, M, K, la, f32);
        const B = operand(rs, K, N, lb, f32);
        const want = naive(M, N, K, A, B);
        const what = `${M}x${K} (${la}) @ ${K}x${N} (${lb}) ${f32 ? "float32" : "float64"}${cColMajor ? ", C column-major" : ""}`;
        expectClose(run(wasmOnly, M, N, K, A, B, f32, cColMajor), want, M, N, K, f32, `wasm ${what}`);
        expectClose(run(gemmTs, M, N, K, A, B, f32, cColMajor), want, M, N, K, f32, `ts ${what}`);
      }),
      { numRuns: 300, seed: 20240611 },
    );
  });

  it.each([
    // past one A block (128 rows) and one K block (256), edges off the tile
    [131, 67, 259, "row", "row"],
    [131, 67, 259, "col", "col"],
    [130, 9, 513, "col", "row"], // A transposed and the larger: computed as C^T = B^T A^T
    [6, 130, 300, "row", "col"],
    // N past one packed column chunk (4M elements of B): K*N > 2^22
    [5, 1030, 4100, "row", "row"],
    [5, 1030, 4100, "row", "col"],
    // skinny: vector-matrix, matrix-vector, outer product
    [1, 300, 200, "row", "row"],
    [300, 1, 200, "col", "row"],
    [64, 64, 1, "row", "row"],
  ] as const)("%i x %i, K = %i, A %s, B %s", (M, N, K, la, lb) => {
    for (const f32 of [false, true]) {
      const rs = new RandomState(M * 7 + N * 13 + K);
      const A = operand(rs, M, K, la, f32);
      const B = operand(rs, K, N, lb, f32);
      const want = naive(M, N, K, A, B);
      for (const cColMajor of [false, true]) {
        expectClose(run(wasmOnly, M, N, K, A, B, f32, cColMajor), want, M, N, K, f32, `wasm f32=${f32}`);
        expectClose(run(gemmTs, M, N, K, A, B, f32, cColMajor), want, M, N, K, f32, `ts f32=${f32}`);
      }
    }
  });

  it("float32 and int32 operands into a float64 C run the float64 kernel, exactly converted", () => {
    const M = 9, N = 11, K = 13;
    const a = new Float32Array(M * K).map((_, i) => ((i * 37) % 17) / 8 - 1);
    const b = new Int32Array(K * N).map((_, i) => ((i * 11) % 7) - 3);
    const A = { data: a, off: 0, rs: K, cs: 1 };
    const B = { data: b, off: 0, rs: N, cs: 1 };
    const want = naive(M, N, K, A, B);
    const c = new Float64Array(M * N);
    wasmOnly(M, N, K, a, 0, K, 1, b, 0, N, 1, c, 0, N, 1);
    // small integers and eighths: every sum is exact in both kernels
    expect(Array.from(c)).toEqual(Array.from(want.c));
  });

  it("leaves C alone when M or N is 0, and writes zeros when K is 0", () => {
    const c = new Float64Array(6).fill(7);
    gemm(2, 3, 0, new Float64Array(0), 0, 0, 1, new Float64Array(0), 0, 3, 1, c, 0, 3, 1);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    c.fill(7);
    gemm(0, 3, 4, new Float64Array(0), 0, 4, 1, new Float64Array(12), 0, 3, 1, c, 0, 3, 1);
    expect(Array.from(c)).toEqual([7, 7, 7, 7, 7, 7]);
  });
});

describe("matmul on both kernels", () => {
  /** The same product through matmul on a backend, and by the definition on nested arrays. */
  function both(x: NDArray, y: NDArray): void {
    setMatmulBackend("wasm");
    const w = matmul(x, y);
    setMatmulBackend("ts");
    const t = matmul(x, y);
    setMatmulBackend("auto");
    expect(w.shape).toEqual(t.shape);
    expect(w.dtype).toBe(t.dtype);
    const f32 = w.dtype === "float32";
    const wd = w.contiguous().data;
    const td = t.contiguous().data;
    const K = x.shape[x.ndim - 1]!;
    const scale = (f32 ? 2 ** -23 : 2 ** -52) * (K + 2) * K; // operands are in [-1, 1)
    for (let i = 0; i < wd.length; i++) {
      if (!(Math.abs(wd[i]! - td[i]!) <= 2 * scale)) throw new Error(`element ${i}: wasm ${wd[i]}, ts ${td[i]}`);
    }
  }

  const rs = new RandomState(7);
  const U = (...shape: number[]) => rs.rand(...shape).mul(2).sub(1);

  it("batched, with broadcast batch dims and transposed views", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const a = U(3, 1, 37, 45).astype(dtype);
      const b = U(1, 4, 45, 29).astype(dtype);
      both(a, b);
      both(U(3, 1, 45, 37).astype(dtype).transpose(0, 1, 3, 2), b);
      both(a, U(4, 29, 45).astype(dtype).transpose(0, 2, 1));
    }
  });

  it("slices with steps, negative steps, and 1-D operands", () => {
    const big = U(90, 70);
    both(big.slice([1, null, 2], [null, null, 3]), U(24, 33)); // 45x24 @ 24x33
    both(big.slice([null, null, -1], [5, 40]), U(35, 18).slice(null, [null, null, -1]));
    both(U(50), U(50, 21));
    both(U(21, 50), U(50));
    both(U(300), U(300));
  });

  it("the LSTM's shapes: gates, and the backward products with a transposed operand", () => {
    const x = U(16, 96), w = U(96, 256), g = U(16, 256);
    both(x, w); // forward
    both(g, w.transpose()); // dX
    both(x.transpose(), g); // dW
  });
});

describe("the fallback", () => {
  it("instantiation fails cleanly on bad bytes and where WebAssembly is absent", () => {
    expect(instantiateGemmKernel(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]))).toBeNull();
    const saved = Object.getOwnPropertyDescriptor(globalThis, "WebAssembly")!;
    try {
      Object.defineProperty(globalThis, "WebAssembly", { value: undefined, configurable: true, writable: true });
      expect(instantiateGemmKernel()).toBeNull();
    } finally {
      Object.defineProperty(globalThis, "WebAssembly", saved);
    }
  });

  it("matmul runs on the TypeScript kernel when there is no wasm kernel", () => {
    const rs = new RandomState(3);
    const a = rs.randn(70, 90), b = rs.randn(90, 50);
    const withWasm = matmul(a, b);
    setGemmKernel(null);
    expect(matmulKernelFor(70, 50, 90)).toBe("ts");
    setMatmulBackend("wasm"); // even when asked for
    const without = matmul(a, b);
    setMatmulBackend("ts");
    const ts = matmul(a, b);
    expect(Array.from(without.data)).toEqual(Array.from(ts.data));
    const d = withWasm.sub(without).abs().max().data[0]!;
    expect(d).toBeLessThan(1e-12);
  });

  it("gemm falls back to TypeScript when wasm memory cannot grow", () => {
    const real = gemmKernel()!;
    const stuck: GemmKernel = {
      ...real,
      memory: { buffer: new ArrayBuffer(65536), grow: () => { throw new RangeError("out of memory"); } },
    };
    setGemmKernel(stuck);
    const M = 40, N = 30, K = 200;
    const rs = new RandomState(5);
    const a = rs.rand(M, K), b = rs.rand(K, N);
    const A = { data: a.data, off: 0, rs: K, cs: 1 };
    const B = { data: b.data, off: 0, rs: N, cs: 1 };
    expect(wasmGemm(stuck, M, N, K, a.data, 0, K, 1, b.data, 0, N, 1, new Float64Array(M * N), 0, N, 1)).toBe(false);
    expectClose(run(gemm, M, N, K, A, B, false, false), naive(M, N, K, A, B), M, N, K, false, "fallback");
  });

  it("setMatmulBackend rejects an unknown backend", () => {
    expect(() => setMatmulBackend("gpu" as "ts")).toThrow(/unknown backend "gpu"/);
  });
});
