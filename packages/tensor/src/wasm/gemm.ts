// The WebAssembly SIMD path of matmul: copies A and B into the module's memory, packs them
// there, runs the SIMD macro-kernel of gemm.wat on each block, and copies C out through its
// strides. Instantiated lazily and synchronously (each module is ~2.5 KB, under every engine's
// limit for synchronous compilation): the relaxed-SIMD build (fused multiply-add) where the
// engine has relaxed SIMD, else the plain SIMD one; where WebAssembly or SIMD is missing the
// kernel is null and matmul stays on its TypeScript kernel.

import type { Storage } from "../dtype.js";
import { GEMM_WASM_BASE64, GEMM_WASM_RELAXED_BASE64 } from "./gemm-wasm.js";

type KernelFn = (mc: number, nc: number, kc: number, pa: number, pb: number, pc: number, ldc: number, acc: number) => void;
type PackFn = (dst: number, src: number, os: number, ks: number, n: number, kc: number, f32: number, w: number) => void;

/** An instantiated kernel and its memory (the exports of gemm.wat). */
export interface GemmKernel {
  /** Which build: "relaxed-simd" (fused multiply-add) or "simd". */
  readonly variant: string;
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly gemm_f64: KernelFn;
  readonly gemm_f32: KernelFn;
  readonly pack: PackFn;
}

// Only what is used of the WebAssembly API, looked up on globalThis so that this file needs no
// DOM or Node typings and loads where WebAssembly is absent.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

export function decodeBase64(s: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const value = new Uint8Array(128);
  for (let i = 0; i < 64; i++) value[alphabet.charCodeAt(i)] = i;
  const n = s.replace(/=+$/, "").length;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    acc = (acc << 6) | value[s.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** The shipped builds, preferred first. */
export const GEMM_BUILDS: readonly { variant: string; base64: string }[] = [
  { variant: "relaxed-simd", base64: GEMM_WASM_RELAXED_BASE64 },
  { variant: "simd", base64: GEMM_WASM_BASE64 },
];

/**
 * Instantiates a kernel from `bytes`, or else from the first shipped build the engine accepts;
 * null if none instantiates.
 */
export function instantiateGemmKernel(bytes?: Uint8Array, variant = "custom"): GemmKernel | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return null;
  if (bytes === undefined) {
    for (const build of GEMM_BUILDS) {
      const k = instantiateGemmKernel(decodeBase64(build.base64), build.variant);
      if (k !== null) return k;
    }
    return null;
  }
  try {
    const inst = new api.Instance(new api.Module(bytes), {});
    const { memory, gemm_f64, gemm_f32, pack } = inst.exports as Partial<GemmKernel>;
    if (memory === undefined || typeof gemm_f64 !== "function" || typeof gemm_f32 !== "function" || typeof pack !== "function") return null;
    return { variant, memory, gemm_f64, gemm_f32, pack };
  } catch {
    return null; // no (relaxed) SIMD, a sync-compile limit, a CSP without wasm-unsafe-eval, ...
  }
}

let kernel: GemmKernel | null | undefined;

/** The kernel in use, instantiated on first call; null when WebAssembly is unavailable. */
export function gemmKernel(): GemmKernel | null {
  if (kernel === undefined) kernel = instantiateGemmKernel();
  return kernel;
}

/** Replaces the kernel in use: null forces the TypeScript kernel, undefined re-instantiates lazily. */
export function setGemmKernel(k: GemmKernel | null | undefined): void {
  kernel = k;
  views = undefined;
}

// Blocking (elements). The micro-tile is MR x NR (4x4 doubles, 4x8 floats, see gemm.wat).
// KC x MC: an A block of 128 x 256 (256 KiB as doubles) stays in the 1 MiB L2 while the
// B slivers of the whole column chunk stream past it, each (KC x NR, 8 KiB) held in L1 for
// the MC/MR tiles that use it. B is packed whole, once per call (in column chunks of at most
// B_MAX elements, so that memory stays bounded), and each block of A once per chunk.
//
// Staging: wasm cannot read a JS array, so each operand is first copied into wasm memory as
// it lies (a memcpy of the span the view touches, strides kept), then packed there by SIMD
// code. Packing straight from the JS array, element by element, cost about 1 ns per element,
// as much as the arithmetic of a skinny LSTM shape. Where a block's span is contiguous (A's
// rows, B's K-rows, both plain row-major) the copy is made block by block so that the pack
// that follows reads it from cache; a transposed operand is copied whole, once.
const MR = 4;
const KC = 256;
const MC = 128;
const B_MAX = 1 << 22;
/** Beyond this much wasm memory, leave the product to the TypeScript kernel. */
const MAX_BYTES = 1 << 30;

interface Views { buffer: ArrayBuffer; f64: Float64Array; f32: Float32Array }
let views: Views | undefined;

function memoryViews(k: GemmKernel, bytes: number): Views | null {
  const mem = k.memory;
  const have = mem.buffer.byteLength;
  if (have < bytes) {
    try {
      mem.grow(Math.ceil((bytes - have) / 65536));
    } catch {
      return null;
    }
  }
  if (views === undefined || views.buffer !== mem.buffer) {
    views = { buffer: mem.buffer, f64: new Float64Array(mem.buffer), f32: new Float32Array(mem.buffer) };
  }
  return views;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** The elements a rows x cols view touches: [lo, lo + span). */
function extent(off: number, rs: number, cs: number, rows: number, cols: number): { lo: number; span: number } {
  let lo = off;
  let hi = off;
  if (rs > 0) hi += (rows - 1) * rs;
  else lo += (rows - 1) * rs;
  if (cs > 0) hi += (cols - 1) * cs;
  else lo += (cols - 1) * cs;
  return { lo, span: hi - lo + 1 };
}

/** A span worth one memcpy: not much larger than the view (a transposed view is; a stepped slice is not). */
const dense = (span: number, rows: number, cols: number) => span <= 2 * rows * cols + 64;

/**
 * Copies a rows x cols view of src into mem at `at`: its whole span when dense (strides kept),
 * else gathered row-major. Returns the view's offset and strides in mem, in elements.
 */
function stage(mem: Float64Array | Float32Array, at: number, src: Storage, off: number, rs: number, cs: number, rows: number, cols: number): [number, number, number] {
  const { lo, span } = extent(off, rs, cs, rows, cols);
  if (dense(span, rows, cols)) {
    mem.set(src.subarray(lo, lo + span), at);
    return [at + off - lo, rs, cs];
  }
  for (let i = 0, q = at; i < rows; i++) {
    for (let j = 0, p = off + i * rs; j < cols; j++, p += cs) mem[q++] = src[p]!;
  }
  return [at, cols, 1];
}

function stagedSize(off: number, rs: number, cs: number, rows: number, cols: number): number {
  const { span } = extent(off, rs, cs, rows, cols);
  return dense(span, rows, cols) ? span : rows * cols;
}

/**
 * C[M,N] = A[M,K] · B[K,N] on the wasm kernel, with gemm's argument convention (see matmul.ts).
 * float32 when A, B and C are all float32 (accumulated in float32), float64 otherwise; C must
 * be a Float32Array or Float64Array. Returns false, having written nothing, when the memory
 * cannot be had; the caller then runs the TypeScript kernel.
 */
export function wasmGemm(
  k: GemmKernel,
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
): boolean {
  // C^T = B^T A^T: when A is a transposed view (columns contiguous) and the larger operand,
  // or both are, the swapped product packs the large operand through the fast staged path.
  if (ars === 1 && acs !== 1 && ((brs === 1 && bcs !== 1) || (M > N && N <= K))) {
    return wasmGemm(k, N, M, K, b, bo, bcs, brs, a, ao, acs, ars, c, co, ccs, crs);
  }
  const f32 = c instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array;
  const E = f32 ? 4 : 8;
  const NR = f32 ? 8 : 4;
  const run = f32 ? k.gemm_f32 : k.gemm_f64;
  const pack = k.pack;
  // column chunk: the packed B of one chunk holds at most B_MAX elements
  const nch = Math.min(roundUp(N, NR), Math.max(NR, Math.floor(B_MAX / K / NR) * NR));
  const mcMax = Math.min(MC, M);
  const kcMax = Math.min(KC, K);
  // An operand is staged block by block (A: MC rows, B: KC rows of a column chunk) when a
  // block's span is dense, so the copy stays in cache for the pack that follows; otherwise
  // (a transposed view, whose block is spread over the whole array) it is staged whole, once.
  const aBlocks = M > mcMax && dense(extent(0, ars, acs, mcMax, K).span, mcMax, K);
  const bBlocks = (K > kcMax || N > nch) && dense(extent(0, brs, bcs, kcMax, Math.min(nch, N)).span, kcMax, Math.min(nch, N));
  const aSize = aBlocks ? extent(0, ars, acs, mcMax, K).span : stagedSize(ao, ars, acs, M, K);
  const bSize = bBlocks ? extent(0, brs, bcs, kcMax, Math.min(nch, N)).span : stagedSize(bo, brs, bcs, K, N);
  // memory, in elements of E bytes: [packed A block | packed B chunk | C block | A | B],
  // each start a multiple of 16 elements (64 bytes, a cache line)
  const pA = 0;
  const pB = pA + roundUp(roundUp(mcMax, MR) * kcMax, 16);
  const pC = pB + roundUp(K * nch, 16);
  const rawA = pC + roundUp(roundUp(mcMax, MR) * nch, 16);
  const rawB = rawA + roundUp(aSize, 16);
  const total = (rawB + bSize) * E;
  if (total > MAX_BYTES) return false;
  const v = memoryViews(k, total);
  if (v === null) return false;
  const mem = f32 ? v.f32 : v.f64;
  const f = f32 ? 1 : 0;
  if (!aBlocks) [ao, ars, acs] = stage(mem, rawA, a, ao, ars, acs, M, K);
  if (!bBlocks) [bo, brs, bcs] = stage(mem, rawB, b, bo, brs, bcs, K, N);
  for (let jc = 0; jc < N; jc += nch) {
    const nc = Math.min(nch, N - jc);
    const ncPad = roundUp(nc, NR);
    // B[:, jc:jc+nc] as KC-row blocks, each ncPad/NR slivers of kc x NR
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      let [o, rs, cs] = [bo + pc * brs + jc * bcs, brs, bcs];
      if (bBlocks) [o, rs, cs] = stage(mem, rawB, b, o, rs, cs, kc, nc);
      pack((pB + pc * ncPad) * E, o * E, cs * E, rs * E, nc, kc, f, NR);
    }
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      const mcPad = roundUp(mc, MR);
      let [o, rs, cs] = [ao + ic * ars, ars, acs];
      if (aBlocks) [o, rs, cs] = stage(mem, rawA, a, o, rs, cs, mc, K);
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        pack(pA * E, (o + pc * cs) * E, rs * E, cs * E, mc, kc, f, MR);
        run(mcPad, ncPad, kc, pA * E, (pB + pc * ncPad) * E, pC * E, ncPad * E, pc === 0 ? 0 : 1);
      }
      copyOut(mem, pC, ncPad, c, co + ic * crs + jc * ccs, crs, ccs, mc, nc);
    }
  }
  return true;
}

/** C's block (mc x nc, row stride ld in wasm memory) into c through its strides. */
function copyOut(src: Float64Array | Float32Array, q: number, ld: number, c: Storage, base: number, crs: number, ccs: number, mc: number, nc: number): void {
  const same = ccs === 1 && src.constructor === c.constructor;
  if (same && nc === ld && (crs === nc || mc === 1)) {
    (c as Float64Array).set(src.subarray(q, q + mc * nc), base);
    return;
  }
  for (let i = 0; i < mc; i++, q += ld, base += crs) {
    if (same && nc >= 16) {
      (c as Float64Array).set(src.subarray(q, q + nc), base);
    } else {
      for (let j = 0, d = base; j < nc; j++, d += ccs) c[d] = src[q + j]!;
    }
  }
}
