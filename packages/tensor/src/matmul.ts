// Matrix products. numpy's matmul rules: 2-D is the plain product, a 1-D operand gains a
// unit dim that is dropped again, leading dims broadcast as a batch. Operands are read
// through their strides: a transposed view is packed block by block, never made contiguous.
// Two kernels: the WebAssembly SIMD one (wasm/gemm.ts, which first copies each operand's
// storage as it lies into wasm memory, the same bytes for a transposed view as for a plain
// one) where WebAssembly is available, and the plain TypeScript one below, the fallback.

import { promoteTypes, arithmeticResult, isFloat, type DType, type Storage } from "./dtype.js";
import { allocate, allocateUninit } from "./storage.js";
import { ShapeError, ValueError, fmtShape } from "./errors.js";
import { rowStride, walk } from "./iter.js";
import { NDArray } from "./ndarray.js";
import { finishOut, prepareOut } from "./elementwise.js";
import { kernel } from "./kernel.js";
import { broadcastShapes, broadcastStrides } from "./shape.js";
import { gemmKernel, wasmGemm, type PackedB } from "./wasm/gemm.js";

// Blocking: a KC x NC block of B and an MC x KC block of A are packed into panels that the
// 4x4 micro-kernel streams through: A's panel (MC*KC doubles, 64 KiB) stays in L2, one
// 4-column sliver of B's panel (KC*4 doubles, 4 KiB) stays in L1 while it meets every row panel.
const MR = 4;
const NR = 4;
const KC = 128;
const MC = 64;
const NC = 512;
/** Below this many multiply-adds, packing costs more than it saves. */
const SMALL = 32 * 32 * 32;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);

/** Which gemm kernel runs: "auto" picks by size, "ts" and "wasm" force one (for tests, benchmarks). */
export type MatmulBackend = "auto" | "ts" | "wasm";
let backend: MatmulBackend = "auto";

/** Sets the gemm kernel; returns the previous setting. "wasm" falls back to "ts" where WebAssembly is unavailable. */
export function setMatmulBackend(next: MatmulBackend): MatmulBackend {
  if (next !== "auto" && next !== "ts" && next !== "wasm") throw new ValueError(`setMatmulBackend: unknown backend ${JSON.stringify(next)}`);
  const prev = backend;
  backend = next;
  return prev;
}

/** The wasm kernel's build in use ("relaxed-simd" or "simd"), or null when there is none. */
export function matmulWasmVariant(): string | null {
  return gemmKernel()?.variant ?? null;
}

/** The kernel that a product of this size would run on now: "wasm" or "ts". */
export function matmulKernelFor(M: number, N: number, K: number, dtype: DType = "float64"): "wasm" | "ts" {
  if (backend === "ts" || K === 0 || M === 0 || N === 0 || !isFloat(dtype) || gemmKernel() === null) return "ts";
  return backend === "wasm" || wasmPays(M, N, K) ? "wasm" : "ts";
}

// The wasm path has a fixed cost a call (staging, packing, copying C out) that the TypeScript
// loops do not; below about WASM_MIN multiply-adds the loops finish first. The crossover is
// measured by bench/matmul.ts --crossover; its figures are in docs/kernels.md.
function wasmPays(M: number, N: number, K: number): boolean {
  return M * N * K >= WASM_MIN;
}
const WASM_MIN = 128;

/**
 * C[M,N] = A[M,K] · B[K,N]. A and B are read at `a[ao + i*ars + k*acs]`, `b[bo + k*brs + j*bcs]`;
 * C is written at `c[co + i*crs + j*ccs]` (overwritten, not accumulated). Runs the WebAssembly
 * SIMD kernel (wasm/gemm.ts) for float C where it pays and is available, else `gemmTs`.
 * `reuse` (a compiled plan's, program.ts): B's packing, shared with the replay's other products
 * that read the same B unchanged; the wasm kernel packs B into it once per replay.
 */
export function gemm(
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
  reuse?: PackedB,
): void {
  if (M === 0 || N === 0) return;
  if (backend !== "ts" && K > 0 && (c instanceof Float64Array || c instanceof Float32Array) && (backend === "wasm" || wasmPays(M, N, K))) {
    const k = gemmKernel();
    if (k !== null && wasmGemm(k, M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs, reuse)) return;
  }
  gemmTs(M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs);
}

/** gemm on the plain TypeScript kernel: the fallback, and the reference the wasm kernel is tested against. */
export function gemmTs(
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0 || M * N * K <= SMALL) {
    smallGemm(M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs);
    return;
  }
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) c[co + i * crs + j * ccs] = 0;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    const ncPad = Math.ceil(nc / NR) * NR;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packPanelB(b, bo + pc * brs + jc * bcs, brs, bcs, kc, nc, ncPad);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        const mcPad = Math.ceil(mc / MR) * MR;
        packPanelA(a, ao + ic * ars + pc * acs, ars, acs, mc, kc, mcPad);
        for (let jr = 0; jr < ncPad; jr += NR) {
          for (let ir = 0; ir < mcPad; ir += MR) {
            micro(kc, ir * kc, jr * kc, c, co + (ic + ir) * crs + (jc + jr) * ccs, crs, ccs, Math.min(MR, mc - ir), Math.min(NR, nc - jr));
          }
        }
      }
    }
  }
}

/** B's block as NR-wide column slivers, each k-major: packB[jr*kc + k*NR + j]; zero-padded. */
function packPanelB(b: Storage, base: number, brs: number, bcs: number, kc: number, nc: number, ncPad: number): void {
  if (packB.length < kc * ncPad) packB = new Float64Array(kc * ncPad);
  const p = packB;
  for (let jr = 0; jr < ncPad; jr += NR) {
    const w = Math.min(NR, nc - jr);
    let q = jr * kc;
    for (let k = 0; k < kc; k++) {
      const row = base + k * brs + jr * bcs;
      for (let j = 0; j < NR; j++) p[q++] = j < w ? b[row + j * bcs]! : 0;
    }
  }
}

/** A's block as MR-tall row slivers, each k-major: packA[ir*kc + k*MR + i]; zero-padded. */
function packPanelA(a: Storage, base: number, ars: number, acs: number, mc: number, kc: number, mcPad: number): void {
  if (packA.length < mcPad * kc) packA = new Float64Array(mcPad * kc);
  const p = packA;
  for (let ir = 0; ir < mcPad; ir += MR) {
    const h = Math.min(MR, mc - ir);
    let q = ir * kc;
    for (let k = 0; k < kc; k++) {
      const col = base + ir * ars + k * acs;
      for (let i = 0; i < MR; i++) p[q++] = i < h ? a[col + i * ars]! : 0;
    }
  }
}

/** C[4x4 tile] += A sliver · B sliver, with the 16 sums held in locals (registers). */
function micro(kc: number, pa: number, pb: number, c: Storage, cp: number, crs: number, ccs: number, h: number, w: number): void {
  const A = packA;
  const B = packB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < kc; k++, pa += 4, pb += 4) {
    const a0 = A[pa]!, a1 = A[pa + 1]!, a2 = A[pa + 2]!, a3 = A[pa + 3]!;
    const b0 = B[pb]!, b1 = B[pb + 1]!, b2 = B[pb + 2]!, b3 = B[pb + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (h === 4 && w === 4) {
    let r = cp;
    c[r]! += c00; c[r + ccs]! += c01; c[r + 2 * ccs]! += c02; c[r + 3 * ccs]! += c03; r += crs;
    c[r]! += c10; c[r + ccs]! += c11; c[r + 2 * ccs]! += c12; c[r + 3 * ccs]! += c13; r += crs;
    c[r]! += c20; c[r + ccs]! += c21; c[r + 2 * ccs]! += c22; c[r + 3 * ccs]! += c23; r += crs;
    c[r]! += c30; c[r + ccs]! += c31; c[r + 2 * ccs]! += c32; c[r + 3 * ccs]! += c33;
    return;
  }
  const t = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) c[cp + i * crs + j * ccs]! += t[i * 4 + j]!;
}

/** Unpacked loops for small products, ordered so the innermost loop reads memory in order. */
function smallGemm(
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
): void {
  if (bcs === 1 || brs !== 1) {
    // Rows of B are contiguous (or neither axis is): C[i,:] += A[i,k] * B[k,:].
    const row = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      row.fill(0);
      const ai = ao + i * ars;
      for (let k = 0; k < K; k++) {
        const aik = a[ai + k * acs]!;
        const bk = bo + k * brs;
        for (let j = 0; j < N; j++) row[j]! += aik * b[bk + j * bcs]!;
      }
      const ci = co + i * crs;
      for (let j = 0; j < N; j++) c[ci + j * ccs] = row[j]!;
    }
    return;
  }
  // Columns of B are contiguous (B is a transposed view): dot products along k.
  for (let i = 0; i < M; i++) {
    const ai = ao + i * ars;
    for (let j = 0; j < N; j++) {
      const bj = bo + j * bcs;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ai + k * acs]! * b[bj + k]!;
      c[co + i * crs + j * ccs] = s;
    }
  }
}

/**
 * numpy's matmul (`x @ y`): the matrix product of 2-D operands; a 1-D operand gains a unit dim
 * that is dropped from the result (two vectors give their 0-d inner product); leading dims
 * broadcast as a batch. Strided operands (a transposed view) are read through their strides,
 * not made contiguous first. The dtype is the promotion of the two (bool gives int32); `out`
 * as for {@link add}. Throws ValueError for a 0-d operand, ShapeError when the inner dims
 * differ or the batch dims do not broadcast.
 *
 * @example
 * ```ts
 * matmul(array([[1, 2], [3, 4]]), array([[5], [6]])).toArray(); // [[17], [39]]
 * matmul(array([1, 2]), array([3, 4])).item(); // 11
 * matmul(ones([5, 2, 3]), ones([3, 4])).shape; // [5, 2, 4]
 * ```
 */
export const matmul = kernel("matmul", function matmul(x: NDArray, y: NDArray, out?: NDArray): NDArray {
  if (!(x instanceof NDArray) || !(y instanceof NDArray)) throw new ValueError("matmul: operands must be NDArrays");
  if (x.ndim === 0 || y.ndim === 0) {
    throw new ValueError(`matmul: operands must have at least 1 dim, got ${fmtShape(x.shape)} @ ${fmtShape(y.shape)}`);
  }
  if (x.ndim === 2 && y.ndim === 2 && out === undefined) {
    // The common case, with no batch dims to broadcast and no out to check: straight to gemm.
    const [M, K, N] = [x.shape[0]!, x.shape[1]!, y.shape[1]!];
    if (K !== y.shape[0]) throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(x.shape)} @ ${fmtShape(y.shape)}`);
    const dtype = arithmeticResult(promoteTypes(x.dtype, y.dtype));
    const c = allocateUninit(dtype, M * N, "matmul", [M, N]); // gemm writes every element
    gemm(M, N, K, x.data, x.offset, x.strides[0]!, x.strides[1]!, y.data, y.offset, y.strides[0]!, y.strides[1]!, c, 0, N, 1);
    return new NDArray(c, [M, N]);
  }
  const a = x.ndim === 1 ? x.unsqueeze(0) : x;
  const b = y.ndim === 1 ? y.unsqueeze(1) : y;
  const M = a.shape[a.ndim - 2]!;
  const K = a.shape[a.ndim - 1]!;
  const K2 = b.shape[b.ndim - 2]!;
  const N = b.shape[b.ndim - 1]!;
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(x.shape)} @ ${fmtShape(y.shape)}`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (refuses(batchA, batchB)) {
    throw new ShapeError(`matmul: batch dims ${fmtShape(batchA)} and ${fmtShape(batchB)} do not broadcast: ${fmtShape(x.shape)} @ ${fmtShape(y.shape)}`);
  }
  const batch = broadcastShapes("matmul", batchA, batchB);
  const outShape = [...batch, ...(x.ndim === 1 ? [] : [M]), ...(y.ndim === 1 ? [] : [N])];
  const dtype = arithmeticResult(promoteTypes(x.dtype, y.dtype));
  const t0 = prepareOut("matmul", outShape, dtype, out, [
    { a: x, strides: [] },
    { a: y, strides: [] },
  ]);
  // Write through a view of the target with the dropped unit dims restored.
  let t = t0;
  if (x.ndim === 1) t = t.unsqueeze(batch.length);
  if (y.ndim === 1) t = t.unsqueeze(t.ndim);
  const ab = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
  const bb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
  const tb = t.strides.slice(0, -2);
  const [ars, acs] = [a.strides[a.ndim - 2]!, a.strides[a.ndim - 1]!];
  const [brs, bcs] = [b.strides[b.ndim - 2]!, b.strides[b.ndim - 1]!];
  const [crs, ccs] = [t.strides[t.ndim - 2]!, t.strides[t.ndim - 1]!];
  if (batch.length === 0) {
    // the common 2-D product: no batch walk (and no closure to allocate)
    gemm(M, N, K, a.data, a.offset, ars, acs, b.data, b.offset, brs, bcs, t.data, t.offset, crs, ccs);
    return finishOut(out, t0);
  }
  const folded = b.ndim === 2 && x.ndim >= 3 ? foldedRows(a, t) : null;
  if (folded !== null) {
    // (..., M, K) @ (K, N) where the rows of x and of the result each step as one (a contiguous
    // x, say): one product over all the rows, as the input projection of every time step at once
    gemm(folded.rows, N, K, a.data, a.offset, folded.ars, acs, b.data, b.offset, brs, bcs, t.data, t.offset, folded.crs, ccs);
    return finishOut(out, t0);
  }
  walk(batch, [ab, bb, tb], [a.offset, b.offset, t.offset], (pos, n, inner) => {
    let pa = pos[0]!, pb = pos[1]!, pc = pos[2]!;
    for (let i = 0; i < n; i++, pa += inner[0]!, pb += inner[1]!, pc += inner[2]!) {
      gemm(M, N, K, a.data, pa, ars, acs, b.data, pb, brs, bcs, t.data, pc, crs, ccs);
    }
  });
  return finishOut(out, t0);
}, { out: 2 });

/**
 * The rows of a (..., M, K) operand and of its (..., M, N) result as one run of rows: their
 * count and each one's row stride, when the leading dims of both step as one; else null.
 * matmul multiplies such a batch as one product, and compile's replay calls gemm the same way.
 */
export function foldedRows(a: NDArray, t: NDArray): { rows: number; ars: number; crs: number } | null {
  if (a.ndim < 2 || t.ndim !== a.ndim) return null;
  const lead = a.shape.slice(0, -1);
  const ars = rowStride(lead, a.strides.slice(0, -1), 1);
  const crs = rowStride(t.shape.slice(0, -1), t.strides.slice(0, -1), 1);
  if (ars !== ars || crs !== crs) return null;
  let rows = 1;
  for (const d of lead) rows *= d;
  return { rows, ars, crs };
}

function refuses(p: readonly number[], q: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(p.length, q.length); i++) {
    const u = p[p.length - i]!;
    const v = q[q.length - i]!;
    if (u !== v && u !== 1 && v !== 1) return true;
  }
  return false;
}

/**
 * matmul's weight gradient: a^T g summed over every row, for `a` (..., K) and `g` (..., N) with
 * the same leading dims, as a (K, N) array. For y = x @ W with x (T, B, K) this is dW, one
 * product over all T*B rows. Throws ShapeError unless the operands agree on every dim but the last.
 *
 * @example
 * ```ts
 * matmulTN(array([[1, 2], [3, 4]]), array([[1], [1]])).toArray(); // [[4], [6]]
 * ```
 */
export const matmulTN = kernel("matmulTN", function matmulTN(a: NDArray, g: NDArray): NDArray {
  if (!(a instanceof NDArray) || !(g instanceof NDArray)) throw new ValueError("matmulTN: operands must be NDArrays");
  const lead = a.shape.slice(0, -1);
  if (a.ndim < 1 || g.ndim !== a.ndim || !lead.every((d, i) => d === g.shape[i])) {
    throw new ShapeError(`matmulTN: operands must agree on every dim but the last: ${fmtShape(a.shape)}, ${fmtShape(g.shape)}`);
  }
  const K = a.shape[a.ndim - 1]!;
  const N = g.shape[g.ndim - 1]!;
  const A = asRows(a, K);
  const G = asRows(g, N);
  const rows = A.shape[0]!;
  const dtype = arithmeticResult(promoteTypes(a.dtype, g.dtype));
  const c = allocateUninit(dtype, K * N, "matmulTN", [K, N]); // gemm writes every element
  gemm(K, N, rows, A.data, A.offset, A.strides[1]!, A.strides[0]!, G.data, G.offset, G.strides[0]!, G.strides[1]!, c, 0, N, 1);
  return new NDArray(c, [K, N]);
});

/** x as (rows, n): a view when its leading dims fold (a contiguous x), else a copy. */
function asRows(x: NDArray, n: number): NDArray {
  if (x.ndim === 2) return x;
  const rows = n === 0 ? 0 : x.size / n;
  const c = x.isContiguous() ? x : x.contiguous();
  return c.view([rows, n], [n, 1], c.offset);
}

/**
 * numpy's dot for 1-D and 2-D operands, where it is {@link matmul}: the inner product of two
 * vectors is 0-d. Throws ValueError for an operand of more than 2 dims.
 */
export const dot = kernel("dot", function dot(x: NDArray, y: NDArray): NDArray {
  if (x.ndim > 2 || y.ndim > 2) throw new ValueError(`dot: only 1-D and 2-D operands are supported, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  return matmul(x, y);
});

/**
 * numpy's outer: x[i] * y[j] as an (x.size, y.size) array, operands of more than 1 dim being
 * flattened first.
 *
 * @example
 * ```ts
 * outer(array([1, 2]), array([3, 4, 5])).toArray(); // [[3, 4, 5], [6, 8, 10]]
 * ```
 */
export const outer = kernel("outer", function outer(x: NDArray, y: NDArray): NDArray {
  return matmul(x.reshape([-1, 1]), y.reshape([1, -1]));
});
