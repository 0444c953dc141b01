// The math ops of src/ops/math.ts and pow, against PyTorch 1.13's float64 values and gradients
// (data/make-math-reference.py): ordinary and special inputs (NaN, ±inf, ±0, domain edges,
// half-integers for round), pow at every special point of base and exponent, lerp on both
// sides of its switch at |weight| = 0.5. Then the masks (no gradient) and the methods.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { Tensor, tensor } from "../src/index.js";

type Enc = number | "nan" | "inf" | "-inf" | "-0";
interface Ref {
  torch: string;
  w: number;
  x: Enc[];
  a: Enc[];
  b: Enc[];
  unary: Record<string, { y: Enc[]; gx: Enc[] }>;
  binary: Record<string, { y: Enc[]; ga: Enc[]; gb: Enc[] }>;
  lerp: { s: number[]; e: number[]; w: number[]; y: Enc[]; gs: Enc[]; ge: Enc[]; gw: Enc[] };
  pow: { a: Enc[]; b: Enc[]; y: Enc[]; ga: Enc[]; gb: Enc[] };
}
const D = JSON.parse(readFileSync(new URL("./data/math-reference.json", import.meta.url), "utf8")) as Ref;

const dec = (v: Enc): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : v);
const leaf = (vs: readonly Enc[]): Tensor => tensor(nd.array(vs.map(dec)), { requiresGrad: true });

/**
 * PyTorch's numbers: NaN, ±inf and zeros exactly (the sign of a zero too, unless `anyZero`);
 * other values within rtol (a few ulp: PyTorch's C library and the JS engine's Math differ there).
 */
function expectTorch(got: nd.NDArray | null, want: readonly Enc[], what: string, inputs: (i: number) => string, rtol = 2e-15, anyZero = false): void {
  expect(got, what).not.toBeNull();
  const g = Array.from(got!.contiguous().data, Number);
  want.forEach((e, i) => {
    const w = dec(e);
    const v = g[i]!;
    const msg = `${what} at ${inputs(i)}: got ${v}, PyTorch ${w}`;
    if (!Number.isFinite(w)) expect(Object.is(v, w), msg).toBe(true);
    else if (w === 0) expect(anyZero ? v === 0 : Object.is(v, w), msg).toBe(true);
    else expect(Math.abs(v - w), msg).toBeLessThanOrEqual(rtol * Math.abs(w));
  });
}

const UNARY: Record<string, (x: Tensor) => Tensor> = {
  tan: ag.tan, asin: ag.asin, acos: ag.acos, atan: ag.atan, sinh: ag.sinh, cosh: ag.cosh, asinh: ag.asinh, acosh: ag.acosh, atanh: ag.atanh,
  log2: ag.log2, log10: ag.log10, exp2: ag.exp2, rsqrt: ag.rsqrt, sign: ag.sign, floor: ag.floor, ceil: ag.ceil, round: ag.round, trunc: ag.trunc, frac: ag.frac,
};
// PyTorch's log1p is off by up to 15 ulp near 0.05: at (0, -3) logaddexp is log1p(e^-3) =
// 0.048587351573742060 (50 digits by Python's decimal), which is ours; PyTorch gives ...196
const RTOL: Record<string, number> = { logaddexp: 1e-14 };
const BINARY: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  atan2: ag.atan2, hypot: ag.hypot, copysign: ag.copysign, remainder: ag.remainder, fmod: ag.fmod, logaddexp: ag.logaddexp,
  divTrunc: (a, b) => ag.div(a, b, { roundingMode: "trunc" }),
  divFloor: (a, b) => ag.div(a, b, { roundingMode: "floor" }),
};

describe(`math ops against PyTorch ${D.torch}: values and gradients (float64)`, () => {
  for (const [name, f] of Object.entries(UNARY)) {
    it(`${name} on ${D.x.length} values, special ones included`, () => {
      const x = leaf(D.x);
      const y = f(x);
      ag.sum(ag.mul(y, D.w)).backward();
      const at = (i: number) => String(D.x[i]);
      expectTorch(y.data, D.unary[name]!.y, name, at);
      expectTorch(x.grad, D.unary[name]!.gx, `d${name}`, at);
    });
  }
  for (const [name, f] of Object.entries(BINARY)) {
    it(`${name} on ${D.a.length} pairs, special ones included`, () => {
      const a = leaf(D.a);
      const b = leaf(D.b);
      const y = f(a, b);
      ag.sum(ag.mul(y, D.w)).backward();
      const at = (i: number) => `(${D.a[i]}, ${D.b[i]})`;
      const rtol = RTOL[name];
      expectTorch(y.data, D.binary[name]!.y, name, at, rtol);
      expectTorch(a.grad, D.binary[name]!.ga, `d${name}/da`, at, rtol);
      expectTorch(b.grad, D.binary[name]!.gb, `d${name}/db`, at, rtol);
    });
  }
  it("lerp with tensor weights on both sides of ±0.5, where PyTorch switches formula", () => {
    const [s, e, w] = [leaf(D.lerp.s), leaf(D.lerp.e), leaf(D.lerp.w)];
    const y = ag.lerp(s, e, w);
    ag.sum(ag.mul(y, D.w)).backward();
    const at = (i: number) => `(${D.lerp.s[i]}, ${D.lerp.e[i]}, ${D.lerp.w[i]})`;
    expectTorch(y.data, D.lerp.y, "lerp", at);
    expectTorch(s.grad, D.lerp.gs, "dlerp/dstart", at);
    expectTorch(e.grad, D.lerp.ge, "dlerp/dend", at);
    expectTorch(w.grad, D.lerp.gw, "dlerp/dweight", at);
    // a number weight takes the same branch as the same weight in a tensor
    D.lerp.w.forEach((wi, i) => {
      const yi = ag.lerp(tensor([D.lerp.s[i]!]), tensor([D.lerp.e[i]!]), wi);
      expect(Object.is(yi.data.get(0), y.data.get(i)), `lerp with number weight ${wi}`).toBe(true);
    });
  });
});

describe(`pow's gradient at every special point, as PyTorch ${D.torch}'s`, () => {
  it(`${D.pow.a.length} (base, exponent) pairs: base ±0, ±1, ±2, ±0.5, ±inf, NaN; exponent integer, fractional, ±0, ±inf, NaN`, () => {
    const a = leaf(D.pow.a);
    const b = leaf(D.pow.b);
    const y = ag.pow(a, b);
    ag.sum(ag.mul(y, D.w)).backward();
    const at = (i: number) => `(${D.pow.a[i]}, ${D.pow.b[i]})`;
    expectTorch(y.data, D.pow.y, "pow", at);
    expectTorch(a.grad, D.pow.ga, "dpow/dbase", at);
    expectTorch(b.grad, D.pow.gb, "dpow/dexponent", at);
  });

  it("the points the issue names: 0^-1 gives -inf for the base and the exponent, 0^0 gives 0 for both", () => {
    const a = tensor([0, 0, -0], { requiresGrad: true });
    const b = tensor([-1, 0, -1], { requiresGrad: true });
    ag.pow(a, b).sum().backward();
    expect(a.grad!.toArray()).toEqual([-Infinity, 0, -Infinity]);
    expect(b.grad!.toArray()).toEqual([-Infinity, 0, Infinity]);
    // a number exponent: d/da 0^-2 = -2 / 0^3 = -inf
    const z = tensor([0], { requiresGrad: true });
    ag.pow(z, -2).sum().backward();
    expect(z.grad!.toArray()).toEqual([-Infinity]);
  });
});

describe("logaddexp's second derivative", () => {
  it("is sigma(d) sigma(-d) (d = x - y) and -that across, at a tie too (gradgradcheck once found 0 there)", () => {
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    for (const [x0, y0] of [[0.45, 0.45], [0, 0], [-3, -3], [1.5, -0.25], [-2, 7], [30, -30]] as const) {
      const gx = (x: Tensor, y: Tensor) => ag.grad((u: Tensor) => ag.logaddexp(u, y).sum())(x) as Tensor;
      const d = x0 - y0;
      const want = sig(d) * sig(-d);
      const x = tensor([x0]);
      const y = tensor([y0]);
      const hxx = (ag.grad((u: Tensor) => gx(u, y).sum())(x) as Tensor).item();
      const hxy = (ag.grad((v: Tensor) => gx(x, v).sum())(y) as Tensor).item();
      expect(Math.abs(hxx - want), `d2/dx2 at (${x0}, ${y0})`).toBeLessThan(1e-15);
      expect(Math.abs(hxy + want), `d2/dxdy at (${x0}, ${y0})`).toBeLessThan(1e-15);
      expect(gx(x, y).item()).toBeCloseTo(sig(d), 15);
    }
  });
});

describe("rounding", () => {
  it("round halves to even (0.5 to 0, 1.5 to 2, -2.5 to -2, -0.5 to -0), with a zero gradient, not none", () => {
    const x = tensor([0.5, 1.5, 2.5, -2.5, -0.5, 2.6], { requiresGrad: true });
    const y = ag.round(x);
    expect(Array.from(y.data.data)).toEqual([0, 2, 2, -2, -0, 3]);
    expect(Object.is(y.data.get(4), -0)).toBe(true);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("floorDivide and div with a rounding mode keep int32 tensors int32 (a JS number operand is a float64 constant)", () => {
    const ia = tensor(nd.array(new Int32Array([7, -7])));
    const two = tensor(nd.array(new Int32Array([2])));
    expect(ag.floorDivide(ia, two).dtype).toBe("int32");
    expect(ag.floorDivide(ia, 2).dtype).toBe("float64");
    expect(ag.div(ia, two, { roundingMode: "trunc" }).toArray()).toEqual([3, -3]);
    expect(ag.div(ia, two, { roundingMode: "floor" }).toArray()).toEqual([3, -4]);
    expect(ag.div(ia, two).toArray()).toEqual([3.5, -3.5]);
    expect(() => ag.div(ia, 2, { roundingMode: "round" as never })).toThrow(/div: roundingMode must be "trunc", "floor" or null, got "round"/);
  });
});

describe("masks: bool results that take no gradient", () => {
  it("isnan, isinf, isfinite and the logical ops, as functions and methods", () => {
    const x = tensor([1, NaN, Infinity, -Infinity, 0], { requiresGrad: true });
    const cases: [Tensor, boolean[]][] = [
      [ag.isnan(x), [false, true, false, false, false]],
      [x.isinf(), [false, false, true, true, false]],
      [x.isfinite(), [true, false, false, false, true]],
      [x.logicalNot(), [false, false, false, false, true]],
      [ag.logicalAnd(x, tensor([1, 1, 0, 1, 1])), [true, true, false, true, false]],
      [x.logicalOr(0), [true, true, true, true, false]],
      [x.logicalXor(tensor([1, 0, 1, 0, 1])), [false, true, false, true, true]],
    ];
    for (const [m, want] of cases) {
      expect(m.dtype).toBe("bool");
      expect(m.requiresGrad).toBe(false);
      expect(m.toArray()).toEqual(want);
    }
  });
});

describe("the ops as Tensor methods", () => {
  it("each method computes its function", () => {
    const x = tensor([0.3, -0.7, 0.55]);
    const y = tensor([1.7, 2.5, -0.4]);
    const same = (m: Tensor, f: Tensor) => expect(m.toArray()).toEqual(f.toArray());
    for (const name of ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "exp2", "sign", "floor", "ceil", "round", "trunc", "frac"] as const) {
      same(x[name](), ag[name](x));
    }
    for (const name of ["log2", "log10", "rsqrt", "acosh"] as const) same(y.abs().add(1)[name](), ag[name](y.abs().add(1)));
    for (const name of ["atan2", "hypot", "copysign", "remainder", "fmod", "floorDivide", "logaddexp"] as const) same(x[name](y), ag[name](x, y));
    same(x.lerp(y, 0.3), ag.lerp(x, y, 0.3));
    same(x.div(y, { roundingMode: "floor" }), ag.floorDivide(x, y));
    same(x.div(y), ag.div(x, y));
  });
});

describe("the math ops in a compiled step: replays bitwise equal to eager, forward and backward", () => {
  it("every recorded math op and composite, with new values at each call", () => {
    const w = tensor(nd.array([0.3, -0.6, 0.9, 1.4]), { requiresGrad: true });
    const f = (x: Tensor) => {
      w.zeroGrad();
      const a = ag.add(ag.tan(ag.mul(w, 0.5)), ag.atan(x));
      const b = ag.add(ag.asin(ag.mul(ag.tanh(w), 0.5)), ag.acos(ag.mul(ag.tanh(x), 0.5)));
      const c = ag.add(ag.sinh(w), ag.cosh(x)).add(ag.asinh(w)).add(ag.acosh(ag.add(ag.square(x), 1.5)));
      const d = ag.add(ag.atanh(ag.mul(ag.tanh(w), 0.5)), ag.log2(ag.add(ag.square(w), 1))).add(ag.log10(ag.add(ag.square(x), 1)));
      const e = ag.add(ag.exp2(w), ag.rsqrt(ag.add(ag.square(x), 1))).add(ag.atan2(w, ag.add(x, 3))).add(ag.hypot(w, x));
      const r = ag.add(ag.remainder(w, ag.add(x, 3.5)), ag.fmod(x, ag.add(w, 2.5))).add(ag.copysign(w, x)).add(ag.frac(ag.mul(w, 3)));
      const s = ag.add(ag.sign(w), ag.floor(w)).add(ag.ceil(x)).add(ag.round(ag.mul(w, 2))).add(ag.trunc(x)).add(ag.floorDivide(w, 0.7));
      const t = ag.add(ag.logaddexp(w, x), ag.lerp(w, x, ag.sigmoid(w))).add(ag.pow(ag.add(ag.square(w), 0.5), x)).add(ag.div(x, 0.3, { roundingMode: "trunc" }));
      const loss = ag.sum(ag.mul(a.add(b).add(c).add(d).add(e).add(r).add(s).add(t), ag.sin(x)));
      loss.backward();
      return loss;
    };
    const g = ag.compile(f);
    for (let i = 0; i < 5; i++) {
      const x = tensor(nd.array([0.2, -1.1, 0.7, 2.3]).mul(1 + 0.1 * i));
      const got = g(x).item();
      const gotGrad = w.grad!.copy();
      const want = f(x).item();
      expect(Object.is(got, want), `call ${i}: ${got} vs ${want}`).toBe(true);
      expect(nd.maxAbsDiff(gotGrad, w.grad!), `call ${i}`).toBe(0);
    }
    expect(g.stats.replays).toBeGreaterThan(0);
  });
});
