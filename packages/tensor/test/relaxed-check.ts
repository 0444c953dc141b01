// Run by matmul-kernels.test.ts in a child `node --experimental-wasm-relaxed-simd` (Node 20 has
// relaxed SIMD off by default): the relaxed-SIMD build must be the one picked, and must agree
// with a naive loop. Prints one JSON line.

import { gemmKernel, wasmGemm } from "../src/wasm/gemm.js";

const k = gemmKernel();
if (k === null || k.variant !== "relaxed-simd") {
  console.log(JSON.stringify({ ok: false, why: `kernel ${k?.variant ?? "missing"}` }));
  process.exit(0);
}
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
let worst = 0;
let cases = 0;
for (const f32 of [false, true]) {
  for (const [M, N, K, transA, transB] of [[1, 1, 1, false, false], [7, 9, 300, false, true], [131, 67, 259, true, false], [33, 130, 64, true, true]] as const) {
    const A = f32 ? new Float32Array(M * K) : new Float64Array(M * K);
    const B = f32 ? new Float32Array(K * N) : new Float64Array(K * N);
    A.forEach((_, i) => (A[i] = rand()));
    B.forEach((_, i) => (B[i] = rand()));
    const [ars, acs] = transA ? [1, M] : [K, 1];
    const [brs, bcs] = transB ? [1, K] : [N, 1];
    const C = f32 ? new Float32Array(M * N) : new Float64Array(M * N);
    if (!wasmGemm(k, M, N, K, A, 0, ars, acs, B, 0, brs, bcs, C, 0, N, 1)) throw new Error("wasmGemm declined");
    const u = f32 ? 2 ** -23 : 2 ** -52;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        let m = 0;
        for (let q = 0; q < K; q++) {
          const p = A[i * ars + q * acs]! * B[q * brs + j * bcs]!;
          s += p;
          m += Math.abs(p);
        }
        const err = Math.abs(C[i * N + j]! - s) / (u * (K + 2) * m);
        worst = Math.max(worst, err);
      }
    }
    cases++;
  }
}
console.log(JSON.stringify({ ok: worst <= 1, variant: k.variant, cases, worstErrorOverBound: worst }));
