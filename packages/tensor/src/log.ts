// A correctly rounded natural log, the same bits on every JS engine: what RandomState's
// Gaussian draws need to match numpy's (random.ts).
//
// Math.log is implementation-defined (V8 and SpiderMonkey use fdlibm, others the system libm)
// and V8's result differs from glibc's in about 3% of the polar method's calls, so randn would
// neither match numpy nor agree across JS engines. This log is computed in double-double
// arithmetic (about 100 bits) from IEEE +, -, *, / only, then rounded once: the same bits on
// every engine, and the correctly rounded value, which is what glibc's log returns in all but
// about 0.07% of calls (glibc itself is accurate to 0.52 ulp, not correctly rounded).

const SPLIT = 134217729; // 2**27 + 1, Veltkamp's splitter for exact products
const LN2_HI = 0.6931471805599453; // ln 2 rounded to a double
const LN2_LO = 2.3190468138462996e-17; // ln 2 - LN2_HI
const LN2_HI_H = SPLIT * LN2_HI - (SPLIT * LN2_HI - LN2_HI); // LN2_HI split for exact products
const LN2_HI_L = LN2_HI - LN2_HI_H;
// The (hi, lo) results of the double-double helpers below, which only build LOG_TABLE at load.
let ddHi = 0;
let ddLo = 0;

/** a * b exactly, as ddHi + ddLo (Dekker). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  ddHi = p;
  ddLo = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** (ah + al) + (bh + bl), as ddHi + ddLo, normalized. */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const v = s - ah;
  const e = ah - (s - v) + (bh - v) + al + bl;
  ddHi = s + e;
  ddLo = e - (ddHi - s);
}

/** (ah + al) * (bh + bl), as ddHi + ddLo. */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = ddHi;
  const e = ddLo + (ah * bl + al * bh);
  ddHi = p + e;
  ddLo = e - (ddHi - p);
}

/** (ah + al) / (bh + bl), as ddHi + ddLo (one correction step of the quotient). */
function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  const q = ah / bh;
  twoProd(q, bh);
  const r = ah - ddHi - ddLo + al - q * bl;
  const ql = r / bh;
  ddHi = q + ql;
  ddLo = ql - (ddHi - q);
}

// log(k / 128) for k in 96..192 as (hi, lo), from the atanh series at load time (97 entries).
const LOG_TABLE = new Float64Array(2 * 97);
for (let k = 96; k <= 192; k++) {
  const c = k / 128;
  ddDiv(c - 1, 0, c + 1, 0);
  const sh = ddHi;
  const sl = ddLo;
  ddMul(sh, sl, sh, sl);
  const zh = ddHi;
  const zl = ddLo;
  // atanh(s) = s + s**3/3 + s**5/5 + ...; |s| <= 1/5 here, so 40 terms reach far below 2**-110.
  let th = sh;
  let tl = sl;
  let acch = sh;
  let accl = sl;
  for (let j = 1; j <= 40; j++) {
    ddMul(th, tl, zh, zl);
    th = ddHi;
    tl = ddLo;
    ddDiv(th, tl, 2 * j + 1, 0);
    ddAdd(acch, accl, ddHi, ddLo);
    acch = ddHi;
    accl = ddLo;
  }
  LOG_TABLE[2 * (k - 96)] = 2 * acch;
  LOG_TABLE[2 * (k - 96) + 1] = 2 * accl;
}

// A double and its two 32-bit halves, to read and set the exponent without allocating.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: word 1

/** @internal The natural log rounded to nearest (see the note above); exported for tests. */
export function logCorrectlyRounded(x: number): number {
  if (!(x > 0) || x === Infinity) return x === 0 ? -Infinity : x === Infinity ? Infinity : NaN;
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2**54 lifts a subnormal into the normal range
    e = -54;
  }
  f64[0] = x;
  const hw = u32[HI]!;
  e += ((hw >>> 20) & 0x7ff) - 1023;
  u32[HI] = (hw & 0x000fffff) | 0x3ff00000;
  let m = f64[0]!; // x = m * 2**e, m in [1, 2)
  // Centering m in [0.75, 1.5) makes x near 1 take e = 0 and the table's exact log(1) = 0.
  if (m >= 1.5) {
    m *= 0.5;
    e += 1;
  }
  const k = Math.round(m * 128);
  const c = k / 128;

  // log(m) = log(c) + 2 atanh(s) with s = (m - c) / (m + c), |s| < 2**-8. The double-double
  // steps are written out (Dekker's product, Knuth's sum) because this runs once per two
  // Gaussians and calls or shared scratch cost several times the arithmetic.
  const d = m - c; // exact: m and c are within a factor of 2
  const S = m + c;
  const Sb = S - m;
  const Sl = m - (S - Sb) + (c - Sb);
  const sh = d / S;
  let t = SPLIT * sh;
  const shH = t - (t - sh);
  const shL = sh - shH;
  t = SPLIT * S;
  const SH = t - (t - S);
  const SL = S - SH;
  const p = sh * S;
  const pe = shH * SH - p + shH * SL + shL * SH + shL * SL;
  const sl = (d - p - pe - sh * Sl) / S;

  // z = s**2
  const zh = sh * sh;
  const zl = shH * shH - zh + 2 * shH * shL + shL * shL + 2 * sh * sl;
  // q = z/3 + z**2/5 + z**3/7 + ...; only z/3 needs its low part.
  const q3 = zh / 3;
  t = SPLIT * q3;
  const q3H = t - (t - q3);
  const q3L = q3 - q3H;
  const p3 = q3 * 3;
  const p3e = q3H * 3 - p3 + q3L * 3;
  const ql = (zh - p3 - p3e + zl) / 3 + zh * zh * (1 / 5 + zh * (1 / 7 + zh * (1 / 9 + zh * (1 / 11))));

  // s * q, with q = q3 + ql
  const sq = sh * q3;
  const sqe = shH * q3H - sq + shH * q3L + shL * q3H + shL * q3L + (sh * ql + sl * q3);

  // atanh(s) = s + s q, then log(m) = log(c) + 2 atanh(s), then + e ln 2.
  let hi = sh + sq;
  let bb = hi - sh;
  let lo = sh - (hi - bb) + (sq - bb) + (sl + sqe);
  const th = LOG_TABLE[2 * (k - 96)]!;
  const tl = LOG_TABLE[2 * (k - 96) + 1]!;
  let a = th + 2 * hi;
  bb = a - th;
  lo = th - (a - bb) + (2 * hi - bb) + (tl + 2 * lo);
  hi = a;
  if (e !== 0) {
    const eh = e * LN2_HI;
    t = SPLIT * e;
    const eH = t - (t - e);
    const eL = e - eH;
    const eLo = eH * LN2_HI_H - eh + eH * LN2_HI_L + eL * LN2_HI_H + eL * LN2_HI_L + e * LN2_LO;
    a = eh + hi;
    bb = a - eh;
    lo = eh - (a - bb) + (hi - bb) + (eLo + lo);
    hi = a;
  }
  return hi + lo;
}
