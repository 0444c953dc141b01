// exp, log, tanh and sigmoid as table-driven polynomial kernels over typed arrays, one per
// dtype: within 2 ulp of the true function in float64 and 1 ulp in float32 (see the tests).
//
// Why not Math.*: V8 calls out of line for Math.exp/log/tanh (fdlibm), several times slower
// than a loop it can keep in registers. The float32 kernels use the float64 arithmetic JS
// has but shorter polynomials, since their results are rounded to float32 once at the store.
//
// How the loops are written, since V8 decides the speed:
// - Each function is one small core per element, `...Core(x, tables, constants)`, that
//   TurboFan inlines into the loop. The tables and constants come in as arguments read once
//   per call: read as module bindings inside the loop, each is reloaded and re-checked on
//   every element. The cores are `const` arrow functions: a function declaration's binding
//   can be reassigned, so the inlined call re-checks its target on every element.
// - No branch depends on the data's values in the range data lives in (only clamps and
//   special cases that typical data never takes): a branch on the sign or on |x| < c
//   mispredicts on every other element of normally distributed data. tanh and sigmoid are
//   each one expression over the whole line for that reason, with the sign carried through.
// - The exported scalar functions (exp64, tanh32, ...) call the same cores, so a fused loop
//   that calls them gives the same bits as these kernels.

import * as tables from "./transcendental-tables.js";

const EXP2_128 = tables.EXP2_128, EXP2_128_LO = tables.EXP2_128_LO;
const LOG_C = tables.LOG_C, LOG_INVC = tables.LOG_INVC, LOG_LOGC_HI = tables.LOG_LOGC_HI, LOG_LOGC_LO = tables.LOG_LOGC_LO;
const INV_LN2N = tables.INV_LN2N, LN2N_HI = tables.LN2N_HI, LN2N_LO = tables.LN2N_LO, LN2_HI = tables.LN2_HI, LN2_LO = tables.LN2_LO;
/** 256/ln2: tanh reduces 2x, and doubling is exact. */
const INV_LN2N_2 = 2 * INV_LN2N;

type F = Float64Array | Float32Array;

// 2^(i - 1100) for i in 0..2200 (0 and Infinity at the ends): exp's scale, applied as two
// factors so that subnormal results round once and 2^1024 is never needed; log's 2^-k.
const POW2 = new Float64Array(2201);
for (let i = 0; i < 2201; i++) POW2[i] = 2 ** (i - 1100);

// 6755399441055744 = 1.5 * 2^52: (v + it) - it rounds v to an integer. A literal wherever it is
// used, since TurboFan folds a literal into the code but reloads a module constant.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------- exp

/**
 * exp(x) in float64 precision: x = (128 k + j) ln2/128 + r with |r| <= ln2/256, so that
 * exp(x) = 2^k 2^(j/128) (1 + p(r)) with p a degree-5 Taylor polynomial (error < 2^-60).
 */
const exp64Core = (x: number, T: Float64Array, P: Float64Array, inv: number, hi: number, lo: number): number => {
  const xc = x > 710 ? 710 : x < -746 ? -746 : x; // NaN passes through both tests
  const kd = xc * inv + 6755399441055744 - 6755399441055744;
  const ki = kd | 0;
  const r = xc - kd * hi - kd * lo;
  const r2 = r * r;
  const p = r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720)));
  const t = T[ki & 127]!;
  const e = ki >> 7;
  const e1 = e >> 1;
  return (t + t * p) * P[e1 + 1100]! * P[e - e1 + 1100]!;
};

/**
 * exp for float32 results: the same reduction with a degree-3 polynomial (relative error
 * < 2^-32 with the dropped low part of ln2/128), clamped to where a float32 result is neither
 * 0 nor Infinity, so that one scale factor is enough.
 */
const exp32Core = (x: number, T: Float64Array, P: Float64Array, inv: number, hi: number): number => {
  const xc = x > 89 ? 89 : x < -104 ? -104 : x;
  const kd = xc * inv + 6755399441055744 - 6755399441055744;
  const ki = kd | 0;
  const r = xc - kd * hi;
  const p = r + r * r * (0.5 + r * (1 / 6));
  const t = T[ki & 127]!;
  return (t + t * p) * P[(ki >> 7) + 1100]!;
};

export function exp64(x: number): number {
  return exp64Core(x, EXP2_128, POW2, INV_LN2N, LN2N_HI, LN2N_LO);
}

/** exp(x) for a float32 result (to be rounded by the caller); a float64 value only near it. */
export function exp32(x: number): number {
  return exp32Core(x, EXP2_128, POW2, INV_LN2N, LN2N_HI);
}

export function expF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  const T = EXP2_128, P = POW2, inv = INV_LN2N, hi = LN2N_HI, lo = LN2N_LO;
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = exp64Core(a[pa]!, T, P, inv, hi, lo);
}

export function expF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  const T = EXP2_128, P = POW2, inv = INV_LN2N, hi = LN2N_HI;
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = exp32Core(a[pa]!, T, P, inv, hi);
}

// ---------------------------------------------------------------- log

/**
 * log(x) for a normal positive x with high word `hi`: x = 2^k z, z in [0.709, 1.418), z
 * in one of 128 intervals around c (c = 1 for the one holding 1, so that near 1 no rounding
 * enters r). r = (z - c)/c, the subtraction exact (Sterbenz); log x = k ln2 + log c + log1p(r),
 * with k ln2hi + log(c)hi exact by the tables' construction and the sum with r compensated.
 */
const log64Core = (x: number, hi: number, C: Float64Array, IC: Float64Array, LH: Float64Array, LL: Float64Array, P: Float64Array, l2h: number, l2l: number): number => {
  const tmp = hi - 0x3fe6b000;
  const k = tmp >> 20;
  const i = (tmp >>> 13) & 127;
  const z = x * P[1100 - k]!;
  const r = (z - C[i]!) * IC[i]!;
  const w = k * l2h + LH[i]!;
  const h = w + r;
  const lo = w - h + r;
  const r2 = r * r;
  // log1p(r) = r + r^2 q(r) on |r| < 2^-8
  const q = -1 / 2 + r * (1 / 3) + r2 * (-1 / 4 + r * (1 / 5) + r2 * (-1 / 6 + r * (1 / 7) + r2 * (-1 / 8)));
  return h + (lo + (k * l2l + LL[i]!) + r2 * q);
};

/** log for float32 results: the same intervals, r = z/c - 1 (off by 2^-53, far below a float32 ulp). */
const log32Core = (x: number, bits: number, IC: Float64Array, LH: Float64Array, P: Float64Array, ln2: number): number => {
  const tmp = bits - 0x3f358000; // the same intervals as the float64 kernel's (its OFF << 3)
  const k = tmp >> 23;
  const i = (tmp >>> 16) & 127;
  const r = x * P[1100 - k]! * IC[i]! - 1;
  const r2 = r * r;
  return k * ln2 + LH[i]! + (r + r2 * (-1 / 2 + r * (1 / 3) + r2 * (-1 / 4 + r * (1 / 5) + r2 * (-1 / 6))));
};

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
  return (hi - 0x00100000) >>> 0 < 0x7fe00000 ? log64Core(x, hi, LOG_C, LOG_INVC, LOG_LOGC_HI, LOG_LOGC_LO, POW2, LN2_HI, LN2_LO) : Math.log(x);
}

export function logF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.log(a[pa]!);
    return;
  }
  const w = wordsOf64(a);
  const C = LOG_C, IC = LOG_INVC, LH = LOG_LOGC_HI, LL = LOG_LOGC_LO, P = POW2, l2h = LN2_HI, l2l = LN2_LO;
  for (let i = 0; i < n; i++, po += so, pa += sa) {
    const x = a[pa]!;
    const hi = w[2 * pa + 1]!;
    // zero, subnormals, negatives, inf and NaN (rare) take Math.log, which is exact on them
    o[po] = (hi - 0x00100000) >>> 0 < 0x7fe00000 ? log64Core(x, hi, C, IC, LH, LL, P, l2h, l2l) : Math.log(x);
  }
}

export function logF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.log(a[pa]!);
    return;
  }
  const w = wordsOf32(a);
  const IC = LOG_INVC, LH = LOG_LOGC_HI, P = POW2, ln2 = LN2_HI + LN2_LO;
  for (let i = 0; i < n; i++, po += so, pa += sa) {
    const x = a[pa]!;
    const b = w[pa]!;
    o[po] = (b - 0x00800000) >>> 0 < 0x7f000000 ? log32Core(x, b, IC, LH, P, ln2) : Math.log(x);
  }
}

// ---------------------------------------------------------------- tanh

/**
 * tanh x = u/(u + 2) with u = expm1(2x), one formula for every x (clamped to |x| <= 20, past
 * which tanh rounds to ±1). 2x = (128 k + j) ln2/128 + r with r exact and s = 2^k 2^(j/128)
 * (s + s_lo, from two tables), so that with A + a_lo = s - 1 exactly and q = expm1(r) - r:
 *   u = (A + r) + [A r + (s_lo + a_lo - s kd ln2lo)(1 + r) + s q]
 * Near the edges of the table's cells A and r nearly cancel, so neither is rounded alone: A + r
 * is a TwoSum (h + l), and u is carried as uh + ul to about 2^-60. Then N/D with N = uh + ul
 * and D = (uh + 2) + dl exactly: t = uh/d rounds once, in the result's binade, and
 * (ul - t dl)/(d + dl) corrects it to first order, so the error is t's rounding and the last
 * sum's (about 1 ulp at most).
 */
const tanh64Core = (x: number, T: Float64Array, TL: Float64Array, P: Float64Array, inv2: number, hi: number, lo: number): number => {
  const xc = x > 20 ? 20 : x < -20 ? -20 : x;
  const kd = xc * inv2 + 6755399441055744 - 6755399441055744;
  const ki = kd | 0;
  const r = 2 * xc - kd * hi; // exact: kd hi has 48 bits, r < 2^-8
  const sc = P[(ki >> 7) + 1100]!;
  const j = ki & 127;
  const s = T[j]! * sc;
  const A = s - 1; // exact unless s < 1/2, where -1 + s is a Fast2Sum and al its error
  const al = s - (A + 1);
  const sl = TL[j]! * sc + al;
  const r2 = r * r;
  const q2 = r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720))); // expm1(r) - r
  const h = A + r; // TwoSum
  const bb = h - A;
  const l = A - (h - bb) + (r - bb);
  const c = A * r + (sl - s * (kd * lo)) * (1 + r) + s * q2;
  // u = uh + ul with |ul| about ulp(uh)/2, so that t below rounds in the result's binade; l
  // joins ul late, off the path to the division
  const uh = h + c; // Fast2Sum: |c| < |h|/100
  const ul = c - (uh - h) + l;
  const d = uh + 2; // TwoSum
  const db = d - uh;
  const dl = uh - (d - db) + (2 - db) + ul;
  const t = uh / d;
  const y = t + (ul - t * dl) / (d + dl);
  return x === 0 ? x : y; // keeps -0
};

/**
 * tanh for float32 results: u/(u + 2) with u = expm1(2x) = (s - 1) + s p, where the table's
 * rounding (absolute 2^-53) is far below a float32 ulp wherever s != 1, and s = 1 near 0
 * leaves u = p, relatively accurate. -(1 - s) rather than s - 1 gives -0 at x = -0.
 */
const tanh32Core = (x: number, T: Float64Array, P: Float64Array, inv2: number, hi: number): number => {
  const xc = x > 10 ? 10 : x < -10 ? -10 : x;
  const kd = xc * inv2 + 6755399441055744 - 6755399441055744;
  const ki = kd | 0;
  const r = 2 * xc - kd * hi;
  const p = r * (1 + r * (0.5 + r * (1 / 6)));
  const s = T[ki & 127]! * P[(ki >> 7) + 1100]!;
  const u = -(1 - s) + s * p;
  return u / (u + 2);
};

export function tanh64(x: number): number {
  return tanh64Core(x, EXP2_128, EXP2_128_LO, POW2, INV_LN2N_2, LN2N_HI, LN2N_LO);
}

export function tanh32(x: number): number {
  return tanh32Core(x, EXP2_128, POW2, INV_LN2N_2, LN2N_HI);
}

export function tanhF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  const T = EXP2_128, TL = EXP2_128_LO, P = POW2, inv2 = INV_LN2N_2, hi = LN2N_HI, lo = LN2N_LO;
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = tanh64Core(a[pa]!, T, TL, P, inv2, hi, lo);
}

export function tanhF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  const T = EXP2_128, P = POW2, inv2 = INV_LN2N_2, hi = LN2N_HI;
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = tanh32Core(a[pa]!, T, P, inv2, hi);
}

// ---------------------------------------------------------------- sigmoid

/**
 * sigmoid x = 1/(1 + E), E = exp(-x) = 2^k 2^(j/128) (1 + p), for both signs. Where E is
 * large, numerator and denominator are scaled by 2^-m, m = max(k, 0) >> 1, so that E never
 * overflows and a subnormal result rounds once: 2^-m / (2^-m + 2^(k-m) 2^(j/128) (1 + p)).
 * The denominator is a sum made exact (dh + dl), and 1/(dh + dl) = q - q^2 dl with q = 1/dh.
 */
const sigmoid64Core = (x: number, T: Float64Array, TL: Float64Array, P: Float64Array, inv: number, hi: number, lo: number): number => {
  const xc = x > 746 ? -746 : x < -746 ? 746 : -x;
  const kd = xc * inv + 6755399441055744 - 6755399441055744;
  const ki = kd | 0;
  const r = xc - kd * hi - kd * lo;
  const r2 = r * r;
  const p = r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720)));
  const e = ki >> 7;
  const m = (e & ~(e >> 31)) >> 1; // max(e, 0) >> 1, without a branch
  const f = P[1100 - m]!;
  const g = P[1100 + e - m]!;
  const j = ki & 127;
  const s = T[j]! * g;
  const sp = s * p;
  const s1 = s + sp; // Fast2Sum
  const d = f + s1; // TwoSum
  const db = d - s1;
  const dl = s1 - (d - db) + (f - db) + (sp - (s1 - s) + TL[j]! * g);
  const q = 1 / d;
  return (q - q * (q * dl)) * f;
};

/** sigmoid for float32 results: 1/(1 + exp(-x)), x clamped to ±104 (past which it rounds to 0 or 1). */
const sigmoid32Core = (x: number, T: Float64Array, P: Float64Array, inv: number, hi: number): number => {
  const xc = x > 104 ? -104 : x < -104 ? 104 : -x;
  const kd = xc * inv + 6755399441055744 - 6755399441055744;
  const ki = kd | 0;
  const r = xc - kd * hi;
  const p = r + r * r * (0.5 + r * (1 / 6));
  const t = T[ki & 127]!;
  return 1 / (1 + (t + t * p) * P[(ki >> 7) + 1100]!);
};

export function sigmoid64(x: number): number {
  return sigmoid64Core(x, EXP2_128, EXP2_128_LO, POW2, INV_LN2N, LN2N_HI, LN2N_LO);
}

export function sigmoid32(x: number): number {
  return sigmoid32Core(x, EXP2_128, POW2, INV_LN2N, LN2N_HI);
}

export function sigmoidF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number): void {
  const T = EXP2_128, TL = EXP2_128_LO, P = POW2, inv = INV_LN2N, hi = LN2N_HI, lo = LN2N_LO;
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = sigmoid64Core(a[pa]!, T, TL, P, inv, hi, lo);
}

export function sigmoidF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number): void {
  const T = EXP2_128, P = POW2, inv = INV_LN2N, hi = LN2N_HI;
  for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = sigmoid32Core(a[pa]!, T, P, inv, hi);
}

// ---------------------------------------------------------------- dispatch

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
