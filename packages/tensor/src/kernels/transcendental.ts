// exp, log, tanh and sigmoid as table-driven polynomial kernels over typed arrays, one per
// dtype: within 2 ulp of the true function in float64 and 1 ulp in float32 (see the tests).
//
// Why not Math.*: V8 calls out of line for Math.exp/log/tanh (fdlibm), several times slower
// than a loop it can keep in registers. The float32 kernels use the float64 arithmetic JS
// has but shorter polynomials, since their results are rounded to float32 once at the store.

import * as tables from "./transcendental-tables.js";

// Module-local copies: an imported binding may be read through the namespace object (a
// transpiler's CommonJS output does so), a property load per element in the loops below.
const EXP2_128 = tables.EXP2_128, LOG_C = tables.LOG_C, LOG_INVC = tables.LOG_INVC;
const LOG_LOGC_HI = tables.LOG_LOGC_HI, LOG_LOGC_LO = tables.LOG_LOGC_LO, TANH_TAYLOR = tables.TANH_TAYLOR;
const INV_LN2N = tables.INV_LN2N, LN2N_HI = tables.LN2N_HI, LN2N_LO = tables.LN2N_LO, LN2_HI = tables.LN2_HI, LN2_LO = tables.LN2_LO;

type F = Float64Array | Float32Array;

// 2^(i - 1100) for i in 0..2200 (0 and Infinity at the ends): exp's scale, applied as two
// factors so that subnormal results round once and 2^1024 is never needed; log's 2^-k.
const POW2 = new Float64Array(2201);
for (let i = 0; i < 2201; i++) POW2[i] = 2 ** (i - 1100);
const SHIFT = 6755399441055744; // 1.5 * 2^52: (v + SHIFT) - SHIFT rounds v to an integer

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const T1 = 0.5, T2 = 1 / 6, T3 = 1 / 24, T4 = 1 / 120;
// log1p(r) = r + r^2 * (L0 + r*(L1 + ...)) on |r| < 2^-8
const L0 = -1 / 2, L1 = 1 / 3, L2 = -1 / 4, L3 = 1 / 5, L4 = -1 / 6, L5 = 1 / 7, L6 = -1 / 8;
const tc = (i: number): number => TANH_TAYLOR[i]!;
const C3 = tc(1), C5 = tc(2), C7 = tc(3), C9 = tc(4), C11 = tc(5), C13 = tc(6), C15 = tc(7), C17 = tc(8), C19 = tc(9), C21 = tc(10), C23 = tc(11), C25 = tc(12), C27 = tc(13), C29 = tc(14), C31 = tc(15), C33 = tc(16), C35 = tc(17), C37 = tc(18);

/**
 * exp(x) in float64 precision: x = (128 k + j) ln2/128 + r with |r| <= ln2/256, so that
 * exp(x) = 2^k 2^(j/128) (1 + p(r)) with p a degree-5 Taylor polynomial (error < 2^-60).
 */
export function exp64(x: number): number {
  const xc = x > 710 ? 710 : x < -746 ? -746 : x; // NaN passes through both tests
  const kd = xc * INV_LN2N + SHIFT - SHIFT;
  const ki = kd | 0;
  const r = xc - kd * LN2N_HI - kd * LN2N_LO;
  const r2 = r * r;
  const p = r + r2 * (T1 + r * T2 + r2 * (T3 + r * T4 + r2 * (1 / 720)));
  const t = EXP2_128[ki & 127]!;
  const e = ki >> 7;
  const e1 = e >> 1;
  return (t + t * p) * POW2[e1 + 1100]! * POW2[e - e1 + 1100]!;
}

/** exp for float32 results: the same reduction, a degree-3 polynomial (relative error < 2^-38). */
export function exp32(x: number): number {
  const xc = x > 710 ? 710 : x < -746 ? -746 : x;
  const kd = xc * INV_LN2N + SHIFT - SHIFT;
  const ki = kd | 0;
  const r = xc - kd * LN2N_HI;
  const p = r + r * r * (T1 + r * T2);
  const t = EXP2_128[ki & 127]!;
  const e = ki >> 7;
  const e1 = e >> 1;
  return (t + t * p) * POW2[e1 + 1100]! * POW2[e - e1 + 1100]!;
}

export function expF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = exp64(a[pa]!);
}

export function expF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = exp32(a[pa]!);
}

/**
 * log(x) for a normal positive x with high word `hi`: x = 2^k z, z in [0.709, 1.418), z
 * in one of 128 intervals around c (c = 1 for the one holding 1, so that near 1 no rounding
 * enters r). r = (z - c)/c, the subtraction exact (Sterbenz); log x = k ln2 + log c + log1p(r),
 * with k ln2hi + log(c)hi exact by the tables' construction and the sum with r compensated.
 */
function logNormal64(x: number, hi: number): number {
  const tmp = hi - 0x3fe6b000;
  const k = tmp >> 20;
  const i = (tmp >>> 13) & 127;
  const z = x * POW2[1100 - k]!;
  const c = LOG_C[i]!;
  const r = (z - c) * LOG_INVC[i]!;
  const w = k * LN2_HI + LOG_LOGC_HI[i]!;
  const h = w + r;
  const lo = w - h + r;
  const r2 = r * r;
  const q = L0 + r * L1 + r2 * (L2 + r * L3 + r2 * (L4 + r * L5 + r2 * L6));
  return h + (lo + (k * LN2_LO + LOG_LOGC_LO[i]!) + r2 * q);
}

function logNormal32(x: number, bits: number): number {
  const tmp = bits - 0x3f358000; // the same intervals as the float64 kernel's (its OFF << 3)
  const k = tmp >> 23;
  const i = (tmp >>> 16) & 127;
  const z = x * POW2[1100 - k]!;
  const r = (z - LOG_C[i]!) * LOG_INVC[i]!;
  const r2 = r * r;
  return k * (LN2_HI + LN2_LO) + LOG_LOGC_HI[i]! + (r + r2 * (L0 + r * L1 + r2 * (L2 + r * L3 + r2 * L4)));
}

// Views of a storage's bits, kept for the last buffer seen: building one costs more than a
// small kernel call.
let bits64Buf: ArrayBufferLike | null = null;
let bits64: Uint32Array = new Uint32Array(0);
let bits32Buf: ArrayBufferLike | null = null;
let bits32: Uint32Array = new Uint32Array(0);

function wordsOf64(a: Float64Array): Uint32Array {
  if (a.buffer !== bits64Buf || bits64.byteOffset !== a.byteOffset || bits64.length !== 2 * a.length) {
    bits64 = new Uint32Array(a.buffer, a.byteOffset, 2 * a.length);
    bits64Buf = a.buffer;
  }
  return bits64;
}

function wordsOf32(a: Float32Array): Uint32Array {
  if (a.buffer !== bits32Buf || bits32.byteOffset !== a.byteOffset || bits32.length !== a.length) {
    bits32 = new Uint32Array(a.buffer, a.byteOffset, a.length);
    bits32Buf = a.buffer;
  }
  return bits32;
}

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

/** One float64 log, the same bits as logF64 gives (for loops that fold it into a reduction). */
export function log64(x: number): number {
  if (!LITTLE_ENDIAN) return Math.log(x);
  scratch[0] = x;
  const hi = scratchWords[1]!;
  return (hi - 0x00100000) >>> 0 < 0x7fe00000 ? logNormal64(x, hi) : Math.log(x);
}

export function logF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.log(a[pa]!);
    return;
  }
  const w = wordsOf64(a);
  for (let i = 0; i < n; i++, po += so, pa += sa) {
    const x = a[pa]!;
    const hi = w[2 * pa + 1]!;
    // zero, subnormals, negatives, inf and NaN (rare) take Math.log, which is exact on them
    o[po] = (hi - 0x00100000) >>> 0 < 0x7fe00000 ? logNormal64(x, hi) : Math.log(x);
  }
}

export function logF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.log(a[pa]!);
    return;
  }
  const w = wordsOf32(a);
  for (let i = 0; i < n; i++, po += so, pa += sa) {
    const x = a[pa]!;
    const b = w[pa]!;
    o[po] = (b - 0x00800000) >>> 0 < 0x7f000000 ? logNormal32(x, b) : Math.log(x);
  }
}

/**
 * tanh: an odd Taylor series below |x| = 0.55 (19 terms, truncation < 2^-56 relative), and
 * 1 - 2/(exp(2|x|) + 1) above, where the result is at least 1/2 and the subtraction loses nothing.
 */
export function tanh64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 0.55) {
    const s = x * x;
    const s2 = s * s;
    const q = C3 + s * C5 + s2 * (C7 + s * C9) + s2 * s2 * (C11 + s * C13 + s2 * (C15 + s * C17)) +
      s2 * s2 * s2 * s2 * (C19 + s * C21 + s2 * (C23 + s * C25) + s2 * s2 * (C27 + s * C29 + s2 * (C31 + s * C33)) + s2 * s2 * s2 * s2 * (C35 + s * C37));
    return x === 0 ? x : x + x * s * q; // keeps -0 (x s q is +0 there)
  }
  const t = 1 - 2 / (exp64(2 * ax) + 1);
  return x < 0 ? -t : t;
}

/** tanh for float32 results: 1 - 2/(exp(2|x|) + 1) loses only absolute 2^-53, fine above 2^-6. */
export function tanh32(x: number): number {
  const ax = Math.abs(x);
  if (ax < 0.015625) {
    const s = x * x;
    return x === 0 ? x : x + x * s * (C3 + s * C5);
  }
  const t = 1 - 2 / (exp64(2 * ax) + 1);
  return x < 0 ? -t : t;
}

export function tanhF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = tanh64(a[pa]!);
}

export function tanhF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = tanh32(a[pa]!);
}

// sigmoid(x) = 1/(1 + e) for x >= 0 and e/(1 + e) below, e = exp(-|x|) <= 1: never overflows.
export function sigmoid64(x: number): number {
  const e = exp64(-Math.abs(x));
  // d + dl = 1 + e exactly; dividing by d and correcting by dl/d keeps the sum's rounding out
  const d = 1 + e;
  const dl = 1 - d + e;
  const q = (x >= 0 ? 1 : e) / d;
  return q - q * (dl / d);
}

export function sigmoid32(x: number): number {
  const e = exp32(-Math.abs(x));
  return (x >= 0 ? 1 : e) / (1 + e);
}

export function sigmoidF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = sigmoid64(a[pa]!);
}

export function sigmoidF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = sigmoid32(a[pa]!);
}

type Kernel = (o: F, po: number, so: number, a: F, pa: number, sa: number, n: number) => void;

export type TranscendentalOp = "exp" | "log" | "tanh" | "sigmoid";

const KERNELS: Record<TranscendentalOp, [Kernel, Kernel]> = {
  exp: [expF64 as Kernel, expF32 as Kernel],
  log: [logF64 as Kernel, logF32 as Kernel],
  tanh: [tanhF64 as Kernel, tanhF32 as Kernel],
  sigmoid: [sigmoidF64 as Kernel, sigmoidF32 as Kernel],
};

/**
 * o[po + i*so] = op(a[pa + i*sa]) for i < n when input and output are both float64 or both
 * float32 storages, returning true; false (nothing written) for any other pair.
 */
export function transcendentalRow(op: TranscendentalOp, o: unknown, po: number, so: number, a: unknown, pa: number, sa: number, n: number): boolean {
  if (o instanceof Float64Array && a instanceof Float64Array) KERNELS[op][0](o, po, so, a, pa, sa, n);
  else if (o instanceof Float32Array && a instanceof Float32Array) KERNELS[op][1](o, po, so, a, pa, sa, n);
  else return false;
  return true;
}
