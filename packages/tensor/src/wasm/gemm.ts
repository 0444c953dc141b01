// The WebAssembly SIMD path of matmul: copies A and B into the module's memory, packs them
// there, runs the SIMD macro-kernel of gemm.wat on each block, and copies C out through its
// strides. Instantiated lazily and synchronously (each module is ~2.5 KB, under every engine's
// limit for synchronous compilation): the relaxed-SIMD build (fused multiply-add) where the
// engine has relaxed SIMD, else the plain SIMD one; where WebAssembly or SIMD is missing the
// kernel is null and matmul stays on its TypeScript kernel.

import type { Storage } from "../dtype.js";
import { GEMM_WASM_BASE64, GEMM_WASM_RELAXED_BASE64, GEMM_WASM_RELAXED_SHARED_BASE64, GEMM_WASM_SHARED_BASE64 } from "./gemm-wasm.js";
import { ROWS_ARG_COUNT, runRows } from "./gemm-rows.js";
import { awaitParts, now, postPart, threadsEpoch, threadsFor, threadsWanted, type SharedKernel } from "./threads.js";

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
  /** On a shared memory (a build for threads): the compiled module and the memory, for workers. */
  readonly module?: object;
  readonly memoryObject?: object;
}

// Only what is used of the WebAssembly API, looked up on globalThis so that this file needs no
// DOM or Node typings and loads where WebAssembly is absent.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => object;
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

/** The shipped builds, preferred first; `shared`: the twin on an imported shared memory. */
export const GEMM_BUILDS: readonly { variant: string; base64: string; shared: string }[] = [
  { variant: "relaxed-simd", base64: GEMM_WASM_RELAXED_BASE64, shared: GEMM_WASM_RELAXED_SHARED_BASE64 },
  { variant: "simd", base64: GEMM_WASM_BASE64, shared: GEMM_WASM_SHARED_BASE64 },
];

/** Its memory's most pages (1 GiB), as the shared builds declare it. */
const SHARED_MAX_PAGES = 16384;

/**
 * Instantiates a kernel from `bytes`, or else from the first shipped build the engine accepts;
 * null if none instantiates. `shared`: bytes of a shared-memory build, instantiated on a new
 * shared memory (for worker threads).
 */
export function instantiateGemmKernel(bytes?: Uint8Array, variant = "custom", shared = false): GemmKernel | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return null;
  if (bytes === undefined) {
    for (const build of GEMM_BUILDS) {
      const k = instantiateGemmKernel(decodeBase64(shared ? build.shared : build.base64), build.variant, shared);
      if (k !== null) return k;
    }
    return null;
  }
  try {
    const module = new api.Module(bytes);
    const memoryObject = shared ? new api.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true }) : undefined;
    const inst = new api.Instance(module, shared ? { env: { memory: memoryObject } } : {});
    const { memory, gemm_f64, gemm_f32, pack } = inst.exports as Partial<GemmKernel>;
    if (memory === undefined || typeof gemm_f64 !== "function" || typeof gemm_f32 !== "function" || typeof pack !== "function") return null;
    return shared ? { variant, memory, gemm_f64, gemm_f32, pack, module, memoryObject } : { variant, memory, gemm_f64, gemm_f32, pack };
  } catch {
    return null; // no (relaxed) SIMD or shared memory, a sync-compile limit, a CSP without wasm-unsafe-eval, ...
  }
}

let kernel: GemmKernel | null | undefined;
/** Set by setGemmKernel: the kernel stays what it was set to. */
let forced = false;
/** threadsEpoch() when the kernel was chosen: a change of the thread setting chooses again. */
let chosenAt = -1;

/**
 * The kernel in use, instantiated on first call; null when WebAssembly is unavailable. Where
 * threads are wanted and possible (threads.ts), a build on shared memory that workers share.
 */
export function gemmKernel(): GemmKernel | null {
  if (!forced && (kernel === undefined || chosenAt !== threadsEpoch())) {
    chosenAt = threadsEpoch();
    kernel = (threadsWanted() ? instantiateGemmKernel(undefined, "custom", true) : null) ?? instantiateGemmKernel();
    views = undefined;
  }
  return kernel ?? null;
}

/** Replaces the kernel in use: null forces the TypeScript kernel, undefined re-instantiates lazily. */
export function setGemmKernel(k: GemmKernel | null | undefined): void {
  kernel = k;
  forced = k !== undefined;
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

/** The kernel's memory as `pl`'s dtype, grown to at least `elements` of it; null when that cannot be had. */
function room(k: GemmKernel, pl: { f32: boolean; E: number }, elements: number): Float64Array | Float32Array | null {
  const total = elements * pl.E;
  if (total > MAX_BYTES) return null;
  const v = memoryViews(k, total);
  return v === null ? null : pl.f32 ? v.f32 : v.f64;
}

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

/** The blocking of one product: sizes that the one-thread and the threaded drivers share. */
interface Plan {
  f32: boolean;
  /** bytes per element */
  E: number;
  NR: number;
  /** column chunk: the packed B of one chunk holds at most B_MAX elements */
  nch: number;
  kcMax: number;
  /** B staged block by block (KC rows of a column chunk) rather than whole */
  bBlocks: boolean;
  bSize: number;
}

function plan(M: number, N: number, K: number, a: Storage, b: Storage, c: Storage, brs: number, bcs: number, bo: number): Plan {
  const f32 = c instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array;
  const NR = f32 ? 8 : 4;
  const nch = Math.min(roundUp(N, NR), Math.max(NR, Math.floor(B_MAX / K / NR) * NR));
  const kcMax = Math.min(KC, K);
  const bSpan = extent(0, brs, bcs, kcMax, Math.min(nch, N)).span;
  const bBlocks = (K > kcMax || N > nch) && dense(bSpan, kcMax, Math.min(nch, N));
  return { f32, E: f32 ? 4 : 8, NR, nch, kcMax, bBlocks, bSize: bBlocks ? bSpan : stagedSize(bo, brs, bcs, K, N) };
}

/** Packs B[:, jc:jc+nc] at pB as KC-row blocks, each ncPad/NR slivers of kc x NR (staging each block first when pl.bBlocks). */
function packB(k: GemmKernel, pl: Plan, mem: Float64Array | Float32Array, pB: number, rawB: number, b: Storage, bo: number, brs: number, bcs: number, K: number, jc: number, nc: number): void {
  const ncPad = roundUp(nc, pl.NR);
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    let [o, rs, cs] = [bo + pc * brs + jc * bcs, brs, bcs];
    if (pl.bBlocks) [o, rs, cs] = stage(mem, rawB, b, o, rs, cs, kc, nc);
    k.pack((pB + pc * ncPad) * pl.E, o * pl.E, cs * pl.E, rs * pl.E, nc, kc, pl.f32 ? 1 : 0, pl.NR);
  }
}

/** runRows' arguments for one part, at `i` parts into `args`. */
function setRowsArgs(
  args: Int32Array, i: number, f32: boolean, rows: number, K: number, ncPad: number, a0: number, ars: number, acs: number, pB: number, pA: number, pC: number,
  ldB = ncPad, j0 = 0, packB?: { cols: number; b0: number; brs: number; bcs: number },
): void {
  const b = packB ?? { cols: 0, b0: 0, brs: 0, bcs: 0 };
  args.set([f32 ? 1 : 0, rows, K, ncPad, a0, ars, acs, pB, pA, pC, MR, MC, KC, ldB, j0, b.cols, b.b0, b.brs, b.bcs, f32 ? 8 : 4], i * ROWS_ARG_COUNT);
}

const oneArgs = new Int32Array(ROWS_ARG_COUNT);

/**
 * float64 products with at least this many multiply-adds are split across threads where there
 * are workers, float32 ones from twice as many (they take half the time). Below it, waking a
 * worker and staging the operands (which only this thread can do) cost more than the split
 * saves; skinny products gain less than square ones, staging being a larger share.
 * `bench/matmul.ts --threads-crossover` measures it (figures: docs/kernels.md, "Threads").
 */
let threadMin = 1 << 22;
/** A part has at least this many rows. */
const PART_MIN_ROWS = 16;

/** @internal benchmarks and tests: the multiply-adds from which products use threads; returns the previous value. */
export function setThreadMin(n: number): number {
  const prev = threadMin;
  threadMin = n;
  return prev;
}

// B packed once per replay (issue 25). A compiled plan's products that read the same B (a
// weight, through the same view) one after another, with nothing written to it in between,
// share one handle: the first of them in a replay packs B into a region at the bottom of the
// kernel's memory, below where every product stages and packs its operands, and the others
// run their rows against that packing. A replay begins and ends with endPackings(), which
// invalidates every handle and frees the region, so a packing never outlives its replay: a
// write between replays (an optimizer's, the user's through .data) never meets a stale one.
// Reused or not, each element of C is the same sequence of multiply-adds.

/** A B operand's packing, shared by the products of a replay that read B unchanged. */
export interface PackedB {
  /** endPackings()'s count when B was packed (-1: never); another count means: pack again. */
  epoch: number;
  /** The kernel it was packed on, its build (f32), and where the packing lies (element offset). */
  kernel: GemmKernel | null;
  f32: boolean;
  at: number;
}

/** A handle for program.ts: packed by the first product of each replay that uses it. */
export function packedB(): PackedB {
  return { epoch: -1, kernel: null, f32: false, at: 0 };
}

let packEpoch = 0;
/** Bytes at the bottom of the kernel's memory held by this replay's packings (a multiple of 64). */
let pinnedBytes = 0;
const packCounts = { packed: 0, reused: 0 };

let packReuse = true;
/** @internal benchmarks: whether products share B's packing (default true); returns the previous setting. */
export function setPackReuse(on: boolean): boolean {
  const prev = packReuse;
  packReuse = on;
  return prev;
}

/** Ends every packing: the start and the end of a replay (program.ts). */
export function endPackings(): void {
  packEpoch++;
  pinnedBytes = 0;
}

/** @internal tests and benchmarks: B operands packed into a replay's region, and products that reused one, since the last call (which resets them). */
export function takePackCounts(): { packed: number; reused: number } {
  const r = { ...packCounts };
  packCounts.packed = packCounts.reused = 0;
  return r;
}

/** Where a product's own room starts, in elements of E bytes: above the replay's packings. */
const workBase = (E: number) => pinnedBytes / E;

/**
 * C[M,N] = A[M,K] · B[K,N] on the wasm kernel, with gemm's argument convention (see matmul.ts).
 * float32 when A, B and C are all float32 (accumulated in float32), float64 otherwise; C must
 * be a Float32Array or Float64Array. Large products on a shared-memory kernel are split by rows
 * across worker threads (threads.ts), to the same bits. Returns false, having written nothing,
 * when the memory cannot be had; the caller then runs the TypeScript kernel.
 */
export function wasmGemm(
  k: GemmKernel,
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
  reuse?: PackedB,
): boolean {
  const f32 = c instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array;
  if (k.module !== undefined && M * N * K >= (f32 ? 2 : 1) * threadMin && Math.max(M, N) >= 2 * PART_MIN_ROWS) {
    const T = threadsFor(k as SharedKernel & GemmKernel);
    if (T > 1) {
      // split the larger side: C's rows, or its columns
      const r = M >= N
        ? threaded(k as SharedKernel & GemmKernel, T, M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs)
        : threadedColumns(k as SharedKernel & GemmKernel, T, M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs);
      if (r === "done") return true;
      if (r === "lost") {
        // a worker died mid-part: threads are now off and the shared memory abandoned; start over
        const fresh = gemmKernel();
        return fresh !== null && fresh !== k && wasmGemm(fresh, M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs);
      }
    }
  }
  // C^T = B^T A^T: when A is a transposed view (columns contiguous) and the larger operand,
  // or both are, the swapped product packs the large operand through the fast staged path.
  if (ars === 1 && acs !== 1 && ((brs === 1 && bcs !== 1) || (M > N && N <= K))) {
    return oneThread(k, N, M, K, b, bo, bcs, brs, a, ao, acs, ars, c, co, ccs, crs);
  }
  return oneThread(k, M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs, reuse);
}

function oneThread(
  k: GemmKernel,
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
  reuse?: PackedB,
): boolean {
  const pl = plan(M, N, K, a, b, c, brs, bcs, bo);
  const { nch, kcMax } = pl;
  // B packed once for the replay: only where it is one column chunk (as the plain path packs it)
  const shared = reuse !== undefined && packReuse && N <= nch ? reuse : undefined;
  const fresh = shared !== undefined && (shared.epoch !== packEpoch || shared.kernel !== k || shared.f32 !== pl.f32);
  let pinned = 0;
  if (fresh) {
    // its region: the next rows of the replay's packings, which this product's room now starts above
    pinned = pinnedBytes / pl.E;
    const bytes = roundUp(K * roundUp(N, pl.NR) * pl.E, 64);
    if (pinnedBytes + bytes > MAX_BYTES / 2) return oneThread(k, M, N, K, a, ao, ars, acs, b, bo, brs, bcs, c, co, crs, ccs);
    pinnedBytes += bytes;
  }
  const mcMax = Math.min(MC, M);
  // A is staged block by block (MC rows) when a block's span is dense, so the copy stays in
  // cache for the pack that follows; otherwise (a transposed view, whose block is spread over
  // the whole array) it is staged whole, once. B likewise (plan).
  const aBlocks = M > mcMax && dense(extent(0, ars, acs, mcMax, K).span, mcMax, K);
  const aSize = aBlocks ? extent(0, ars, acs, mcMax, K).span : stagedSize(ao, ars, acs, M, K);
  // memory, in elements of the dtype: [this replay's packed Bs | packed A block | packed B
  // chunk (none when B's packing is shared) | C block | A | B], each start a multiple of 16
  // elements (64 bytes, a cache line)
  const pA = workBase(pl.E);
  const pB = shared !== undefined && !fresh ? shared.at : fresh ? pinned : pA + roundUp(roundUp(mcMax, MR) * kcMax, 16);
  const pC = pA + roundUp(roundUp(mcMax, MR) * kcMax, 16) + (shared !== undefined ? 0 : roundUp(K * nch, 16));
  const rawA = pC + roundUp(roundUp(mcMax, MR) * nch, 16);
  const rawB = rawA + roundUp(aSize, 16);
  const mem = room(k, pl, rawB + (shared !== undefined && !fresh ? 0 : pl.bSize));
  if (mem === null) {
    if (fresh) pinnedBytes -= roundUp(K * roundUp(N, pl.NR) * pl.E, 64);
    return false;
  }
  if (!aBlocks) [ao, ars, acs] = stage(mem, rawA, a, ao, ars, acs, M, K);
  if (!pl.bBlocks && (shared === undefined || fresh)) [bo, brs, bcs] = stage(mem, rawB, b, bo, brs, bcs, K, N);
  if (shared !== undefined) {
    if (fresh) {
      Object.assign(shared, { epoch: packEpoch, kernel: k, f32: pl.f32, at: pinned });
      packCounts.packed++;
    } else packCounts.reused++;
  }
  for (let jc = 0; jc < N; jc += nch) {
    const nc = Math.min(nch, N - jc);
    const ncPad = roundUp(nc, pl.NR);
    if (shared === undefined || fresh) packB(k, pl, mem, pB, rawB, b, bo, brs, bcs, K, jc, nc);
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      let [o, rs, cs] = [ao + ic * ars, ars, acs];
      if (aBlocks) [o, rs, cs] = stage(mem, rawA, a, o, rs, cs, mc, K);
      setRowsArgs(oneArgs, 0, pl.f32, mc, K, ncPad, o, rs, cs, pB, pA, pC);
      runRows(k, oneArgs, 0);
      copyOut(mem, pC, ncPad, c, co + ic * crs + jc * ccs, crs, ccs, mc, nc);
    }
  }
  return true;
}

/**
 * The product on T threads: C's rows split in parts (multiples of MR rows), part 0 on this
 * thread and the others on workers, each part with its own room for its staged rows of A, a
 * packed A block, and its rows of C. Per column chunk, B is packed here first. A worker's rows
 * of A are staged before its part is posted (the first chunk's), this thread's block by block
 * as it goes, as on one thread; when a block of A is not dense (a transposed view), A is
 * staged whole, once, and shared. "lost" when a worker died mid-part (C is then not to be
 * trusted).
 */
function threaded(
  k: SharedKernel & GemmKernel, T: number,
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
): "done" | "lost" | "memory" {
  const pl = plan(M, N, K, a, b, c, brs, bcs, bo);
  const { nch, kcMax } = pl;
  const per = roundUp(Math.ceil(M / Math.min(T, Math.floor(M / PART_MIN_ROWS))), MR);
  const parts = Math.ceil(M / per);
  const rowsOf = (t: number) => Math.min(per, M - t * per);
  const mcMax = Math.min(MC, per);
  const aBlocks = dense(extent(0, ars, acs, mcMax, K).span, mcMax, K);
  // memory, in elements: [this replay's packed Bs | packed B chunk | A whole, if not aBlocks | per part: packed A block, C rows, staged A rows]
  const pB = workBase(pl.E);
  let at = pB + roundUp(K * nch, 16);
  const rawAll = at;
  if (!aBlocks) at += roundUp(stagedSize(ao, ars, acs, M, K), 16);
  const pA: number[] = [], pC: number[] = [], rawA: number[] = [];
  for (let t = 0; t < parts; t++) {
    pA.push(at);
    at += roundUp(roundUp(Math.min(MC, rowsOf(t)), MR) * kcMax, 16);
    pC.push(at);
    at += roundUp(roundUp(rowsOf(t), MR) * nch, 16);
    rawA.push(at);
    if (aBlocks) at += roundUp(extent(0, ars, acs, t === 0 ? mcMax : rowsOf(t), K).span, 16);
  }
  const rawB = at;
  const mem = room(k, pl, rawB + pl.bSize);
  if (mem === null) return "memory";
  if (!aBlocks) [ao, ars, acs] = stage(mem, rawAll, a, ao, ars, acs, M, K);
  if (!pl.bBlocks) [bo, brs, bcs] = stage(mem, rawB, b, bo, brs, bcs, K, N);
  const args = new Int32Array(parts * ROWS_ARG_COUNT);
  // where part t's rows of A lie in wasm memory (t >= 1), staged on the first chunk
  const aAt: [number, number, number][] = [];
  for (let jc = 0; jc < N; jc += nch) {
    const nc = Math.min(nch, N - jc);
    const ncPad = roundUp(nc, pl.NR);
    packB(k, pl, mem, pB, rawB, b, bo, brs, bcs, K, jc, nc);
    for (let t = parts - 1; t >= 1; t--) {
      if (jc === 0) {
        const o = ao + t * per * ars;
        aAt[t] = aBlocks ? stage(mem, rawA[t]!, a, o, ars, acs, rowsOf(t), K) : [o, ars, acs];
      }
      const [o, rs, cs] = aAt[t]!;
      setRowsArgs(args, t, pl.f32, rowsOf(t), K, ncPad, o, rs, cs, pB, pA[t]!, pC[t]!);
      postPart(k, args, t);
    }
    // this thread's part, block by block, each copied out as it is done
    const t0 = now();
    for (let ic = 0; ic < rowsOf(0); ic += MC) {
      const mc = Math.min(MC, rowsOf(0) - ic);
      let [o, rs, cs] = [ao + ic * ars, ars, acs];
      if (aBlocks) [o, rs, cs] = stage(mem, rawA[0]!, a, o, rs, cs, mc, K);
      setRowsArgs(args, 0, pl.f32, mc, K, ncPad, o, rs, cs, pB, pA[0]!, pC[0]!);
      runRows(k, args, 0);
      copyOut(mem, pC[0]!, ncPad, c, co + ic * crs + jc * ccs, crs, ccs, mc, nc);
    }
    if (!awaitParts(k, args, parts, now() - t0)) return "lost";
    for (let t = 1; t < parts; t++) copyOut(mem, pC[t]!, ncPad, c, co + t * per * crs + jc * ccs, crs, ccs, rowsOf(t), nc);
  }
  return "done";
}

/**
 * The product on T threads, split by C's columns (for C wider than tall, such as a batch of 64
 * rows against 2048 gate columns): A staged whole, once; per column chunk, B staged here, then
 * its columns (whole NR-slivers of the packed B) split in parts, each part packing its columns
 * of B and running every row of A against them into its own C, which is copied out row by row. C^T = B^T A^T would
 * split rows instead, but would copy C out transposed, element by element.
 */
function threadedColumns(
  k: SharedKernel & GemmKernel, T: number,
  M: number, N: number, K: number,
  a: Storage, ao: number, ars: number, acs: number,
  b: Storage, bo: number, brs: number, bcs: number,
  c: Storage, co: number, crs: number, ccs: number,
): "done" | "lost" | "memory" {
  const pl = plan(M, N, K, a, b, c, brs, bcs, bo);
  const { nch, kcMax, NR } = pl;
  const most = Math.min(T, Math.floor(N / PART_MIN_ROWS));
  const widest = roundUp(Math.ceil(Math.min(nch, roundUp(N, NR)) / most), NR);
  // memory, in elements: [this replay's packed Bs | packed B chunk | A whole | per part: packed A block, its C (M x widest)]
  const pB = workBase(pl.E);
  let at = pB + roundUp(K * nch, 16);
  const rawA = at;
  at += roundUp(stagedSize(ao, ars, acs, M, K), 16);
  const pA: number[] = [], pC: number[] = [];
  for (let t = 0; t < most; t++) {
    pA.push(at);
    at += roundUp(roundUp(Math.min(MC, M), MR) * kcMax, 16);
    pC.push(at);
    at += roundUp(roundUp(M, MR) * widest, 16);
  }
  // B is staged a column chunk at a time (or whole, when that is no larger), and each part
  // packs its own columns of it
  const rawB = at;
  // (the room for the largest chunk: whole chunks, and the last, narrower one)
  const bChunk = Math.max(stagedSize(0, brs, bcs, K, Math.min(nch, N)), stagedSize(0, brs, bcs, K, N - Math.floor((N - 1) / nch) * nch));
  const bWhole = stagedSize(bo, brs, bcs, K, N);
  const mem = room(k, pl, rawB + Math.min(bChunk, bWhole));
  if (mem === null) return "memory";
  [ao, ars, acs] = stage(mem, rawA, a, ao, ars, acs, M, K);
  const whole = bWhole <= bChunk;
  if (whole) [bo, brs, bcs] = stage(mem, rawB, b, bo, brs, bcs, K, N);
  const args = new Int32Array(most * ROWS_ARG_COUNT);
  for (let jc = 0; jc < N; jc += nch) {
    const nc = Math.min(nch, N - jc);
    const ncPad = roundUp(nc, NR);
    const [b0, rs, cs] = whole ? [bo + jc * bcs, brs, bcs] : stage(mem, rawB, b, bo + jc * bcs, brs, bcs, K, nc);
    const w = roundUp(Math.ceil(ncPad / most), NR);
    const parts = Math.ceil(ncPad / w);
    const widthOf = (t: number) => Math.min(w, ncPad - t * w);
    for (let t = parts - 1; t >= 0; t--) {
      const cols = Math.min(w, nc - t * w);
      setRowsArgs(args, t, pl.f32, M, K, widthOf(t), ao, ars, acs, pB, pA[t]!, pC[t]!, ncPad, t * w, { cols, b0: b0 + t * w * cs, brs: rs, bcs: cs });
      if (t > 0) postPart(k, args, t);
    }
    const t0 = now();
    runRows(k, args, 0);
    copyOut(mem, pC[0]!, widthOf(0), c, co + jc * ccs, crs, ccs, M, Math.min(w, nc));
    if (!awaitParts(k, args, parts, now() - t0)) return "lost";
    for (let t = 1; t < parts; t++) copyOut(mem, pC[t]!, widthOf(t), c, co + (jc + t * w) * ccs, crs, ccs, M, Math.min(w, nc - t * w));
  }
  return "done";
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
