// Against numbers numpy printed: every expected value here comes from data/tensor-numpy.json,
// written by data/make-tensor-data.py (the command and numpy version are at its top).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { array, type DType } from "../src/index.js";

type Enc = number | "nan" | "inf" | "-inf" | "-0";
const dec = (v: Enc): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : v);
const decs = (a: Enc[]) => a.map(dec);

const D = JSON.parse(readFileSync(new URL("./data/tensor-numpy.json", import.meta.url), "utf8"));

/** Same value, and the same sign when the value is zero. */
function sameSigned(got: readonly number[], want: readonly number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (!Object.is(g, w)) throw new Error(`${what}[${i}]: got ${Object.is(g, -0) ? "-0" : g}, numpy ${Object.is(w, -0) ? "-0" : w}`);
  });
}

/** Within `ulps` units in the last place of float32 at the expected value. */
function f32Close(got: readonly number[], want: readonly number[], ulps: number, what: string): void {
  got.forEach((g, i) => {
    const w = want[i]!;
    if (Object.is(g, w) || (g !== g && w !== w)) return;
    const ulp = Math.max(2 ** (Math.floor(Math.log2(Math.abs(w))) - 23), 2 ** -149);
    if (!(Math.abs(g - w) <= ulps * ulp)) throw new Error(`${what}[${i}]: got ${g}, numpy ${w} (${Math.abs(g - w) / ulp} ulps)`);
  });
}

it("the data was written by numpy", () => {
  expect(D.numpy).toMatch(/^\d+\.\d+/);
});

describe("rounding and signs", () => {
  it("round is half to even, keeping -0, in float64 and float32", () => {
    sameSigned(T.round(array(decs(D.round.x))).toFlat(), decs(D.round.float64), "round float64");
    sameSigned(T.round(array(decs(D.round.x32), undefined, "float32")).toFlat(), decs(D.round.float32), "round float32");
  });

  it("floor, ceil, sign, abs, neg, sqrt: values and signs of zero as numpy gives them", () => {
    const x = array(decs(D.signs.x));
    for (const op of ["floor", "ceil", "sign", "abs", "neg", "sqrt"] as const) {
      const y = op === "sqrt" ? T.sqrt(T.abs(x)) : T[op](x);
      sameSigned(y.toFlat(), decs(D.signs[op]), op);
    }
  });
});

describe("pow", () => {
  it("matches numpy on every pair of awkward values (0, -0, ±1, ±inf, NaN, tiny, huge)", () => {
    const x = array(decs(D.pow.x));
    const y = array(decs(D.pow.y));
    const got = T.pow(x, y).toFlat();
    const want = decs(D.pow.z);
    // Math.pow and C's pow may differ in the last bit of an inexact result; everything else exact.
    got.forEach((g, i) => {
      const w = want[i]!;
      const ok = Object.is(g, w) || (g !== g && w !== w) || (Number.isFinite(w) && w !== 0 && Math.abs(g - w) <= 2 ** -52 * Math.abs(w));
      if (!ok) throw new Error(`pow(${x.get(i)}, ${y.get(i)}): got ${g}, numpy ${w}`);
    });
  });
});

describe("maximum, minimum, comparisons with NaN", () => {
  it("propagate NaN (maximum/minimum), compare false (lt, eq) and true (ne)", () => {
    const x = array(decs(D.minmax.x));
    const y = array(decs(D.minmax.y));
    sameSigned(T.maximum(x, y).toFlat(), decs(D.minmax.maximum), "maximum");
    sameSigned(T.minimum(x, y).toFlat(), decs(D.minmax.minimum), "minimum");
    expect(T.lt(x, y).toArray()).toEqual(D.minmax.lt);
    expect(T.eq(x, y).toArray()).toEqual(D.minmax.eq);
    expect(T.ne(x, y).toArray()).toEqual(D.minmax.ne);
  });
});

describe("float32", () => {
  const F = D.float32;
  const a = array(decs(F.a), undefined, "float32");
  const b = array(decs(F.b), undefined, "float32");

  it("add, sub, mul, div, sqrt are correctly rounded: bit for bit numpy's", () => {
    sameSigned(T.add(a, b).toFlat(), decs(F.add), "add");
    sameSigned(T.sub(a, b).toFlat(), decs(F.sub), "sub");
    sameSigned(T.mul(a, b).toFlat(), decs(F.mul), "mul");
    sameSigned(T.div(a, b).toFlat(), decs(F.div), "div");
    sameSigned(T.sqrt(T.abs(a)).toFlat(), decs(F.sqrt), "sqrt");
    for (const y of [T.add(a, b), T.div(a, b), T.sqrt(a)]) expect(y.dtype).toBe("float32");
  });

  it("a Python-style scalar is weak: float32 + 0.1 rounds 0.1 to float32 first", () => {
    const y = T.add(a, 0.1);
    expect(y.dtype).toBe("float32");
    sameSigned(y.toFlat(), decs(F["add_scalar_0.1"]), "a + 0.1");
    sameSigned(T.mul(a, 3.3).toFlat(), decs(F["mul_scalar_3.3"]), "a * 3.3");
    sameSigned(T.sub(1e-3, a).toFlat(), decs(F["rsub_scalar_1e-3"]), "1e-3 - a");
  });

  it("float32 with float64 is float64, computed on the float32 values", () => {
    const y = T.add(a, b.astype("float64"));
    expect(y.dtype).toBe("float64");
    sameSigned(y.toFlat(), decs(F.mixed_add_float64), "a + float64(b)");
  });

  it("exp, log, tanh, sin, cos, sigmoid, expm1, log1p are within 2 float32 ulps of numpy's", () => {
    // numpy's float32 loops are not all correctly rounded; tapegrad rounds a float64 result once.
    f32Close(T.exp(a).toFlat(), decs(F.exp), 2, "exp");
    f32Close(T.log(T.abs(a)).toFlat(), decs(F.log), 2, "log");
    f32Close(T.tanh(a).toFlat(), decs(F.tanh), 2, "tanh");
    f32Close(T.sin(a).toFlat(), decs(F.sin), 2, "sin");
    f32Close(T.cos(a).toFlat(), decs(F.cos), 2, "cos");
    f32Close(T.sigmoid(a).toFlat(), decs(F.sigmoid), 2, "sigmoid");
    f32Close(T.expm1(a).toFlat(), decs(F.expm1), 2, "expm1");
    f32Close(T.log1p(T.abs(a)).toFlat(), decs(F.log1p), 2, "log1p");
  });
});

describe("dtype promotion", () => {
  it("promoteTypes is numpy's result_type for every pair", () => {
    for (const [x, y, r] of D.result_type as [DType, DType, DType][]) expect(T.promoteTypes(x, y), `${x} with ${y}`).toBe(r);
  });

  it("arrays with arrays: add gives result_type (bool+bool aside: tapegrad adds bools as int32)", () => {
    for (const [x, y, r] of D.result_type as [DType, DType, DType][]) {
      if (x === "bool" && y === "bool") continue;
      expect(T.add(T.zeros([2], x), T.zeros([2], y)).dtype, `${x} + ${y}`).toBe(r);
    }
  });

  it("arrays with JS numbers: the number is weak, as a Python scalar", () => {
    for (const [x, s, r] of D.weak_scalar as [DType, number, DType][]) {
      expect(T.add(T.zeros([2], x), s).dtype, `${x} + ${s}`).toBe(r);
      expect(T.mul(s, T.zeros([2], x)).dtype, `${s} * ${x}`).toBe(r);
    }
  });

  it("unary ops: transcendental ones make int32 float64, the others keep the dtype", () => {
    const names: Record<string, keyof typeof T> = { exp: "exp", sqrt: "sqrt", tanh: "tanh", negative: "neg", abs: "abs", square: "square", floor: "floor" };
    for (const [x, op, r] of D.unary_dtype as [DType, string, DType][]) {
      expect((T[names[op]!] as (a: T.NDArray) => T.NDArray)(T.ones([2], x)).dtype, `${op}(${x})`).toBe(r);
    }
  });

  it("comparisons give bool; argmax gives int32 (numpy's intp, narrowed)", () => {
    expect(T.lt(T.zeros([2], "float32"), T.zeros([2])).dtype).toBe(D.compare_dtype);
    expect(T.argmax(T.zeros([2, 2], "float32"), 0).dtype).toBe("int32");
  });
});

describe("reductions", () => {
  const R = D.nanreduce;
  const x = array(decs(R.x), R.shape);

  it("NaN: max/min propagate it, argmax/argmin return the first NaN, all/any count it as true", () => {
    expect(T.argmax(x, 0).toArray()).toEqual(R.argmax0);
    expect(T.argmax(x, 1).toArray()).toEqual(R.argmax1);
    expect(T.argmin(x, 1).toArray()).toEqual(R.argmin1);
    expect(T.argmax(x).item()).toBe(R.argmax);
    sameSigned(T.max(x, 0).toFlat(), decs(R.max0), "max0");
    sameSigned(T.min(x, 1).toFlat(), decs(R.min1), "min1");
    expect(T.all(x, 0).toArray()).toEqual(R.all0);
    expect(T.any(x, 1).toArray()).toEqual(R.any1);
    sameSigned(T.sum(x, 1).toFlat(), decs(R.sum1), "sum1");
  });

  it("variance, std and mean of values near 1e6 match numpy to 1e-9 relative", () => {
    const M = D.moments;
    const v = array(decs(M.x), M.shape);
    const near = (got: number[], want: number[], what: string) =>
      got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${what}[${i}]`).toBeLessThanOrEqual(1e-9 * Math.abs(want[i]!)));
    near(T.variance(v, 0).toFlat(), decs(M.var0), "var0");
    near(T.variance(v, 1, false, 1).toFlat(), decs(M.var1_ddof1), "var1 ddof=1");
    near([T.std(v).item()], [dec(M.std)], "std");
    near(T.mean(v, 1).toFlat(), decs(M.mean1), "mean1");
  });

  it("float32 mean, variance, std, sum are float32 and within 4 ulps of numpy's", () => {
    const M = D.moments32;
    const v = array(decs(M.x), M.shape, "float32");
    for (const [op, key] of [[T.mean, "mean1"], [T.variance, "var1"], [T.std, "std1"], [T.sum, "sum1"]] as const) {
      const y = op(v, 1);
      expect(y.dtype).toBe(M.dtype);
      // numpy sums float32 pairwise in float32; tapegrad in float64, rounded once.
      f32Close(y.toFlat(), decs(M[key]), 4, key);
    }
  });
});

describe("softmax, logsumexp, logSoftmax on awkward rows", () => {
  const S = D.softmax;
  const x = array(decs(S.x), S.shape);
  const near = (got: number[], want: number[], what: string) =>
    got.forEach((g, i) => {
      const w = want[i]!;
      const ok = Object.is(g, w) || Math.abs(g - w) <= 1e-15 * Math.max(1, Math.abs(w));
      if (!ok) throw new Error(`${what}[${i}]: got ${g}, numpy ${w}`);
    });

  it("match numpy's max-shifted formula (±1e4, -inf entries, near-underflow rows)", () => {
    near(T.softmax(x, 1).toFlat(), decs(S.softmax), "softmax");
    near(T.logsumexp(x, 1, true).toFlat(), decs(S.logsumexp), "logsumexp");
    near(T.logSoftmax(x, 1).toFlat(), decs(S.logSoftmax), "logSoftmax");
  });
});

describe("astype, arange, linspace", () => {
  const A = D.astype;

  it("astype to bool is nonzero (NaN true), to float32 rounds to nearest, to int32 truncates", () => {
    const x = array(decs(A.x));
    expect(x.astype("bool").toArray()).toEqual(A.bool);
    sameSigned(x.astype("float32").toFlat(), decs(A.float32), "float32");
    expect(array(decs(A.int32_finite_x)).astype("int32").toArray()).toEqual(A.int32_finite);
  });

  it("arange and linspace give numpy's numbers", () => {
    for (const [a, b, s, want] of D.arange as [number, number, number, Enc[]][]) {
      sameSigned(T.arange(a, b, s).toFlat(), decs(want), `arange(${a}, ${b}, ${s})`);
    }
    for (const [a, b, n, want] of D.linspace as [number, number, number, Enc[]][]) {
      sameSigned(T.linspace(a, b, n).toFlat(), decs(want), `linspace(${a}, ${b}, ${n})`);
    }
  });
});

describe("reshape: a view exactly when numpy returns one", () => {
  interface RCase { sshape: number[]; perm: number[]; slices: [number, number | null, number][]; shape: number[]; target: number[]; view: boolean; values: number[] }
  it("on 160 strided views, copies where numpy copies and shares where numpy shares", () => {
    let views = 0;
    for (const c of D.reshape as RCase[]) {
      const n = c.sshape.reduce((p, q) => p * q, 1);
      const storage = T.arange(n).reshape(c.sshape);
      const inv = c.perm.map((_, i) => c.perm.indexOf(i));
      const v = storage.permute(inv).slice(...c.slices);
      expect(v.shape).toEqual(c.shape);
      const r = v.reshape(c.target);
      const what = `sshape [${c.sshape}] perm [${c.perm}] slices ${JSON.stringify(c.slices)} -> [${c.target}]`;
      expect(r.data === storage.data, what).toBe(c.view);
      expect(r.toFlat(), what).toEqual(c.values);
      if (c.view) views++;
    }
    expect(views).toBeGreaterThan(20);
    expect(views).toBeLessThan((D.reshape as RCase[]).length - 20);
  });
});
