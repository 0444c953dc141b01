// Accuracy of the exp/log/tanh/sigmoid kernels over about a million points each: float64
// against a double-double reference written here (about 100 bits), float32 against float64
// Math.* (exact to far below a float32 ulp). Points: the functions' working ranges, random bit
// patterns (every binade, subnormals, NaN), and the special values.

import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { uint32Stream as rng } from "./helpers.js";
import { exp32, exp64, expF32, expF64, log64, logF32, logF64, sigmoid32, sigmoid64, sigmoidF32, sigmoidF64, tanh32, tanh64, tanhF32, tanhF64 } from "../src/kernels/transcendental.js";

// ---------------------------------------------------------------- double-double arithmetic

type DD = [number, number];

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

const SPLIT = 134217729; // 2^27 + 1
function twoProd(a: number, b: number): DD {
  const p = a * b;
  const ta = SPLIT * a, ah = ta - (ta - a), al = a - ah;
  const tb = SPLIT * b, bh = tb - (tb - b), bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function ddAdd(x: DD, y: DD): DD {
  const [s, e] = twoSum(x[0], y[0]);
  return twoSum(s, e + x[1] + y[1]);
}

function ddMul(x: DD, y: DD): DD {
  const [p, e] = twoProd(x[0], y[0]);
  return twoSum(p, e + x[0] * y[1] + x[1] * y[0]);
}

function ddDiv(x: DD, y: DD): DD {
  const q1 = x[0] / y[0];
  const r = ddAdd(x, ddMul([-q1, 0], y));
  const q2 = r[0] / y[0];
  const r2 = ddAdd(r, ddMul([-q2, 0], y));
  return twoSum(q1, q2 + r2[0] / y[0]);
}

const LN2: DD = [0.6931471805599453, 2.3190468138462996e-17];

/** exp(x) as a double-double: x = k ln2 + r, exp(r/1024) by Taylor, squared ten times. */
function refExp(x: number): DD {
  if (x !== x) return [NaN, 0];
  if (x > 709.8) return [Infinity, 0];
  if (x < -746) return [0, 0];
  const k = Math.round(x / LN2[0]);
  const r = ddAdd([x, 0], ddMul([-k, 0], LN2));
  const s: DD = [r[0] / 1024, r[1] / 1024];
  let term: DD = [1, 0];
  let sum: DD = [1, 0];
  for (let n = 1; n <= 10; n++) {
    term = ddMul(term, s);
    term = [term[0] / n, term[1] / n];
    sum = ddAdd(sum, term);
  }
  for (let i = 0; i < 10; i++) sum = ddMul(sum, sum);
  const k1 = k >> 1, k2 = k - k1;
  const f1 = 2 ** k1, f2 = 2 ** k2;
  return [sum[0] * f1 * f2, sum[1] * f1 * f2];
}

/** log(x): near 1 the series of log1p(u), u = x - 1 exact; elsewhere one Newton step on refExp. */
function refLog(x: number): DD {
  if (x !== x || x < 0) return [NaN, 0];
  if (x === 0) return [-Infinity, 0];
  if (x === Infinity) return [Infinity, 0];
  const u = x - 1;
  if (Math.abs(u) < 1 / 64) {
    let p = 0;
    for (let n = 24; n >= 2; n--) p = p * u + (n % 2 === 0 ? -1 : 1) / n;
    return twoSum(u, u * u * p);
  }
  // subnormals and the top binades (where refExp would overflow): log(x 2^s) - s ln2
  const sc = x < 2.2250738585072014e-308 ? 64 : x > 1e300 ? -64 : 0;
  const scaled = sc !== 0;
  const xs = x * 2 ** sc;
  const y0 = Math.log(xs);
  const e = refExp(y0);
  const d = ddDiv(ddAdd([xs, 0], [-e[0], -e[1]]), e);
  let y = twoSum(y0, d[0]);
  if (scaled) y = ddAdd(y, ddMul([-sc, 0], LN2));
  return y;
}

/** expm1(y) for |y| < 1/4 by Taylor: y + y^2 (1/2 + y/6 + ...), the tail in doubles. */
function refExpm1Small(y: number): DD {
  let p = 0;
  let f = 1;
  const c: number[] = [];
  for (let n = 2; n <= 24; n++) c.push(1 / (f *= n));
  for (let i = c.length - 1; i >= 0; i--) p = p * y + c[i]!;
  return twoSum(y, y * y * p);
}

function refTanh(x: number): DD {
  if (x !== x) return [NaN, 0];
  const ax = Math.abs(x);
  if (ax > 20) return [Math.sign(x), 0];
  let t: DD;
  if (ax < 1 / 16) {
    const m = refExpm1Small(2 * ax);
    t = ddDiv(m, ddAdd(m, [2, 0]));
  } else {
    const e = refExp(2 * ax);
    t = ddDiv(ddAdd(e, [-1, 0]), ddAdd(e, [1, 0]));
  }
  return x < 0 || Object.is(x, -0) ? [-t[0], -t[1]] : t;
}

function refSigmoid(x: number): DD {
  if (x !== x) return [NaN, 0];
  const e = refExp(-Math.abs(x));
  const d = ddAdd([1, 0], e);
  return x >= 0 ? ddDiv([1, 0], d) : ddDiv(e, d);
}

// ---------------------------------------------------------------- ulps

const f64 = new Float64Array(1);
const u64 = new Uint32Array(f64.buffer);

function ulp64(v: number): number {
  f64[0] = v;
  const e = (u64[1]! >>> 20) & 0x7ff;
  return e === 0 ? 2 ** -1074 : 2 ** (e - 1075);
}

/** Distance of y from the reference in units of the reference's last place (Infinity if a special differs). */
function ulps64(y: number, r: DD): number {
  if (!Number.isFinite(r[0])) return Object.is(y, r[0]) || (y !== y && r[0] !== r[0]) ? 0 : Infinity;
  if (!Number.isFinite(y)) return Infinity;
  return Math.abs(y - r[0] - r[1]) / ulp64(r[0]);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function ulp32(v: number): number {
  f32[0] = Math.abs(v);
  const e = (u32[0]! >>> 23) & 0xff;
  return e === 0 ? 2 ** -149 : 2 ** (e - 150);
}

function ulps32(y: number, r: number): number {
  const r32 = Math.fround(r);
  if (!Number.isFinite(r32) || r !== r) {
    if (Object.is(y, r32) || (y !== y && r !== r)) return 0;
    // a true value just above float32's largest may round to it or to infinity
    return Math.abs(r) < 3.4028235677973366e38 * (1 + 2 ** -24) && Math.abs(y) === 3.4028234663852886e38 ? 0 : Infinity;
  }
  if (!Number.isFinite(y)) return Infinity;
  return Math.abs(y - r) / ulp32(r32);
}

// ---------------------------------------------------------------- points


const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 2.2250738585072014e-308, -2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 1, -1, 2, 0.5, 1e-300, -1e-300, 1e-20, -1e-20, 709.782712893384, 709.7827128933841, -745.1332191019411, -745.1332191019412, -708.4, 88.72283, 88.72284, -103.97, -87.33, 0.55, -0.55, 0.549999999, 20, -20, 37, -37];

/** n points: half uniform in [lo, hi], a quarter log-uniform in magnitude, a quarter raw bit patterns. */
function points(n: number, lo: number, hi: number, seed: number, positive = false): Float64Array {
  const next = rng(seed);
  const p = new Float64Array(n);
  p.set(SPECIAL.map((v) => (positive ? Math.abs(v) : v)));
  const bits = new Uint32Array(2);
  const asF = new Float64Array(bits.buffer);
  for (let i = SPECIAL.length; i < n; i++) {
    const u = next() / 2 ** 32;
    const k = i % 4;
    let v: number;
    if (k < 2) v = lo + (hi - lo) * u;
    else if (k === 2) v = (next() & 1 ? -1 : 1) * 2 ** (-1074 + 1100 * u) * (1 + next() / 2 ** 32);
    else {
      bits[0] = next();
      bits[1] = next();
      v = asF[0]!;
    }
    p[i] = positive ? Math.abs(v) : v;
  }
  return p;
}

type Kernel64 = (o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, n: number) => void;
type Kernel32 = (o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, n: number) => void;

const CASES: { name: string; k64: Kernel64; k32: Kernel32; ref: (x: number) => DD; math: (x: number) => number; lo: number; hi: number; positive?: boolean }[] = [
  { name: "exp", k64: expF64, k32: expF32, ref: refExp, math: Math.exp, lo: -750, hi: 712 },
  { name: "log", k64: logF64, k32: logF32, ref: refLog, math: Math.log, lo: 0, hi: 4, positive: true },
  { name: "tanh", k64: tanhF64, k32: tanhF32, ref: refTanh, math: Math.tanh, lo: -4, hi: 4 },
  { name: "sigmoid", k64: sigmoidF64, k32: sigmoidF32, ref: refSigmoid, math: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), lo: -40, hi: 40 },
];

const N = 1 << 20;

describe("transcendental kernels: accuracy", () => {
  for (const c of CASES) {
    it(`${c.name} float64 is within 2 ulp of a double-double reference on ${N} points`, () => {
      const x = points(N, c.lo, c.hi, 11, c.positive);
      // near 1 for log: where cancellation would show
      if (c.name === "log") for (let i = 0; i < N; i += 8) x[i] = 1 + (x[i]! - 2) / 64;
      const y = new Float64Array(N);
      c.k64(y, 0, 1, x, 0, 1, N);
      let worst = 0, at = 0;
      for (let i = 0; i < N; i++) {
        const e = ulps64(y[i]!, c.ref(x[i]!));
        if (e > worst) [worst, at] = [e, i];
      }
      expect(worst, `${c.name}(${x[at]}) = ${y[at]}, reference ${c.ref(x[at]!)[0]}`).toBeLessThanOrEqual(2);
      // the sign of zero and exact specials
      for (const v of [0, -0, Infinity, -Infinity]) {
        const o = new Float64Array(1);
        c.k64(o, 0, 1, new Float64Array([v]), 0, 1, 1);
        const r = c.ref(v)[0];
        if (r === 0 || !Number.isFinite(r)) expect(Object.is(o[0], r) || (r !== r && o[0] !== o[0]), `${c.name}(${v})`).toBe(true);
      }
    });

    it(`${c.name} float32 is within 1 ulp of the true value on ${N} points`, () => {
      const x = new Float32Array(points(N, c.lo, c.hi, 12, c.positive));
      if (c.name === "log") for (let i = 0; i < N; i += 8) x[i] = 1 + (x[i]! - 2) / 64;
      const y = new Float32Array(N);
      c.k32(y, 0, 1, x, 0, 1, N);
      let worst = 0, at = 0;
      for (let i = 0; i < N; i++) {
        const e = ulps32(y[i]!, c.math(x[i]!));
        if (e > worst) [worst, at] = [e, i];
      }
      expect(worst, `${c.name}(${x[at]}) = ${y[at]}, reference ${c.math(x[at]!)}`).toBeLessThanOrEqual(1);
    });
  }

  it("the scalar functions that fused loops call give the kernels' bits", () => {
    const x = points(1 << 16, -30, 30, 5);
    const pairs = [[expF64, exp64], [tanhF64, tanh64], [sigmoidF64, sigmoid64]] as const;
    for (const [k, f] of pairs) {
      const y = new Float64Array(x.length);
      k(y, 0, 1, x, 0, 1, x.length);
      for (let i = 0; i < x.length; i++) if (!Object.is(y[i], f(x[i]!))) expect(f(x[i]!), `${f.name}(${x[i]})`).toBe(y[i]);
    }
    const x32 = new Float32Array(x);
    const pairs32 = [[expF32, exp32], [tanhF32, tanh32], [sigmoidF32, sigmoid32]] as const;
    for (const [k, f] of pairs32) {
      const y = new Float32Array(x32.length);
      k(y, 0, 1, x32, 0, 1, x32.length);
      for (let i = 0; i < x32.length; i++) if (!Object.is(y[i], Math.fround(f(x32[i]!)))) expect(Math.fround(f(x32[i]!)), `${f.name}(${x32[i]})`).toBe(y[i]);
    }
    const xl = x.map(Math.abs);
    const yl = new Float64Array(xl.length);
    logF64(yl, 0, 1, xl, 0, 1, xl.length);
    for (let i = 0; i < xl.length; i++) if (!Object.is(yl[i], log64(xl[i]!))) expect(log64(xl[i]!), `log64(${xl[i]})`).toBe(yl[i]);
  });

  it("reads and writes with strides and offsets the same values as contiguously", () => {
    const next = rng(3);
    for (const c of CASES) {
      const src = new Float64Array(300).map(() => (next() / 2 ** 32) * 6 - (c.positive ? 0 : 3));
      const dense = new Float64Array(100);
      c.k64(dense, 0, 1, src.filter((_, i) => i % 3 === 1), 0, 1, 100);
      const strided = new Float64Array(250);
      c.k64(strided, 249, -2, src, 1, 3, 100);
      for (let i = 0; i < 100; i++) expect(strided[249 - 2 * i], c.name).toBe(dense[i]);
    }
  });

  it("the public ops run these kernels on every layout", () => {
    const x = T.array([[-2.5, -1e-9, 0.3], [0.7, 3, 40]]);
    const xt = x.transpose();
    for (const [op, k] of [[T.exp, expF64], [T.tanh, tanhF64], [T.sigmoid, sigmoidF64], [T.log, logF64]] as const) {
      const xa = op === T.log ? T.abs(xt) : xt;
      const vals = new Float64Array((xa.toArray() as number[][]).flat());
      const want = new Float64Array(6);
      k(want, 0, 1, vals, 0, 1, 6);
      expect((op(xa).toArray() as number[][]).flat()).toEqual([...want]);
      expect((op(xa.contiguous()).toArray() as number[][]).flat()).toEqual([...want]);
    }
  });
});

// ---------------------------------------------------------------- the formulations' seams

/** v moved by k units in its last place (k may be negative). */
function stepUlps(v: number, k: number): number {
  f64[0] = v;
  const big = (BigInt(u64[1]!) << 32n) | BigInt(u64[0]!);
  const moved = v === 0 ? BigInt(k) : big + BigInt(Object.is(v, -0) || v < 0 ? -k : k);
  u64[0] = Number(moved & 0xffffffffn);
  u64[1] = Number((moved >> 32n) & 0xffffffffn);
  return f64[0];
}

/**
 * Where each kernel's formula changes hands: the edges of the reduction's cells,
 * y = (k + 1/2) ln2/128, for y = x (exp), -x (sigmoid) and 2x (tanh), each with a few
 * neighbours; near 0 every cell, far out the cells where 2^k's exponent steps (sigmoid's
 * scaling, tanh's s < 1/2); the clamps; and the subnormal and tiny arguments.
 */
function seams(name: string, f32: boolean): Float64Array {
  const ys: number[] = [];
  const cell = (k: number): void => {
    const y = ((k + 0.5) * Math.LN2) / 128;
    for (const d of [-3, -1, 0, 1, 3]) ys.push(stepUlps(y, d));
    ys.push(y * (1 - 1e-9), y * (1 + 1e-9));
  };
  for (let k = -3000; k <= 3000; k++) cell(k);
  for (let e = -1100; e <= 1100; e++) for (const j of [-2, -1, 0, 1]) cell(128 * e + j);
  const xs: number[] = [];
  const scale = name === "tanh" ? 0.5 : name === "sigmoid" ? -1 : 1;
  for (const y of ys) xs.push(y * scale, -y * scale);
  const clamps = [20, 19.06, 19.1, 10, 9.01, 746, 745.2, 745.13, 744.4, 709.78, 708.4, 104, 103.97, 103.3, 89, 88.72, 87.33, 0.55];
  for (const c of clamps) for (const d of [-2, -1, 0, 1, 2]) xs.push(stepUlps(c, d), -stepUlps(c, d));
  for (let e = -1074; e <= -900; e += 3) xs.push(2 ** e, -(2 ** e), 3 * 2 ** e);
  for (let e = -60; e <= 0; e++) xs.push(2 ** e, -(2 ** e), 1.37 * 2 ** e, -1.37 * 2 ** e);
  xs.push(0, -0);
  const out = new Float64Array(xs);
  return f32 ? new Float64Array(new Float32Array(out)) : out;
}

describe("transcendental kernels: the seams of their formulations", () => {
  for (const c of CASES) {
    if (c.name === "log") continue;
    it(`${c.name} float64 is within 2 ulp at every seam`, () => {
      const x = seams(c.name, false);
      const y = new Float64Array(x.length);
      c.k64(y, 0, 1, x, 0, 1, x.length);
      let worst = 0, at = 0;
      for (let i = 0; i < x.length; i++) {
        const e = ulps64(y[i]!, c.ref(x[i]!));
        if (e > worst) [worst, at] = [e, i];
      }
      expect(worst, `${c.name}(${x[at]}) = ${y[at]}, reference ${c.ref(x[at]!)[0]}`).toBeLessThanOrEqual(2);
      for (let i = 0; i < x.length; i++) if (x[i] === 0) expect(Object.is(y[i], c.name === "tanh" ? x[i] : y[i]), `${c.name}(${x[i]})`).toBe(true);
    });

    it(`${c.name} float32 is within 1 ulp at every seam`, () => {
      const x = new Float32Array(seams(c.name, true));
      const y = new Float32Array(x.length);
      c.k32(y, 0, 1, x, 0, 1, x.length);
      let worst = 0, at = 0;
      for (let i = 0; i < x.length; i++) {
        const e = ulps32(y[i]!, c.math(x[i]!));
        if (e > worst) [worst, at] = [e, i];
      }
      expect(worst, `${c.name}(${x[at]}) = ${y[at]}, reference ${c.math(x[at]!)}`).toBeLessThanOrEqual(1);
      for (let i = 0; i < x.length; i++) if (x[i] === 0 && c.name === "tanh") expect(Object.is(y[i], x[i]), `tanh(${x[i]})`).toBe(true);
    });
  }

  it("log at the edges of its 128 intervals and of every binade", () => {
    // the intervals' edges in [0.709, 1.418) are the high words 0x3fe6b000 + 8192 i
    const edges: number[] = [];
    for (let i = 0; i <= 128; i++) {
      u64[1] = 0x3fe6b000 + i * 8192;
      u64[0] = 0;
      edges.push(f64[0]!);
    }
    const xs: number[] = [];
    for (let e = -1022; e <= 1022; e += Math.abs(e) <= 8 || Math.abs(e) >= 1000 ? 1 : 37) {
      for (const edge of edges) for (const d of [-2, -1, 0, 1, 2]) xs.push(stepUlps(edge * 2 ** e, d));
    }
    const x = new Float64Array(xs.filter((v) => v > 0 && Number.isFinite(v)));
    const y = new Float64Array(x.length);
    logF64(y, 0, 1, x, 0, 1, x.length);
    let worst = 0, at = 0;
    for (let i = 0; i < x.length; i++) {
      const e = ulps64(y[i]!, refLog(x[i]!));
      if (e > worst) [worst, at] = [e, i];
    }
    expect(worst, `log(${x[at]}) = ${y[at]}`).toBeLessThanOrEqual(2);
    const x32 = new Float32Array(x.filter((v) => v > 1.2e-38 && v < 3.4e38));
    const y32 = new Float32Array(x32.length);
    logF32(y32, 0, 1, x32, 0, 1, x32.length);
    worst = 0;
    for (let i = 0; i < x32.length; i++) {
      const e = ulps32(y32[i]!, Math.log(x32[i]!));
      if (e > worst) [worst, at] = [e, i];
    }
    expect(worst, `log(${x32[at]}) = ${y32[at]} (float32)`).toBeLessThanOrEqual(1);
  });
});
