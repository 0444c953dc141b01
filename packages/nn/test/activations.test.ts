// The activations: ReLU, Tanh and Sigmoid against their formulas; GELU (both forms), SiLU,
// Softmax, LogSoftmax, Flatten and Identity against real PyTorch (data/make-modules-reference.py)
// and against finite differences; issue 26's (LeakyReLU ... Softmin) against PyTorch's values and
// gradients at their kinks and special values (data/make-activations-reference.py).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { ReLU, Sigmoid, Tanh } from "@tapegrad/nn";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, expectClose, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe("activations and Sequential", () => {
  it("ReLU, Tanh and Sigmoid compute max(0, x), tanh x and 1/(1 + e^-x)", () => {
    const xs = [-3, -0.5, 0, 0.25, 2];
    const x = ag.tensor(nd.array(xs));
    expect(new ReLU().forward(x).data.toFlat()).toEqual(xs.map((v) => Math.max(0, v)));
    expectClose(new Tanh().forward(x), nd.array(xs.map(Math.tanh)), { rtol: 1e-15, atol: 1e-16 }, "tanh");
    expectClose(new Sigmoid().forward(x), nd.array(xs.map((v) => 1 / (1 + Math.exp(-v)))), { rtol: 1e-15, atol: 1e-16 }, "sigmoid");
  });
});

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("GELU", "SiLU", "Softmax", "LogSoftmax", "Flatten", "Identity")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("GELU (both forms), SiLU, Softmax, LogSoftmax, Flatten", () => {
    for (const m of [new nn.GELU(), new nn.GELU({ approximate: "tanh" }), new nn.SiLU(), new nn.Softmax(1), new nn.LogSoftmax(0), new nn.Flatten()]) {
      check(m, [randn(2, 3, 2)], (x) => m.forward(x!));
    }
  });
});

// ---------------------------------------------------------------- issue 26's activations
// against PyTorch 1.13 (data/make-activations-reference.py): values and gradients at the kinks
// (PyTorch's one-sided derivatives there), at ±inf and NaN, and at random points

type Enc = number | "nan" | "inf" | "-inf" | "-0";
const ACT = JSON.parse(readFileSync(new URL("./data/activations-reference.json", import.meta.url), "utf8")) as {
  torch: string;
  w: number;
  x: Enc[];
  fns: Record<string, { y: Enc[]; gx: Enc[] }>;
  softmin: { x: number[]; r: number[]; byDim: Record<string, { y: number[]; gx: number[] }> };
};
const dec = (v: Enc): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : v);

const FNS: Record<string, (x: ag.Tensor) => ag.Tensor> = {
  leakyRelu: (x) => nn.leakyRelu(x), "leakyRelu(0.2)": (x) => nn.leakyRelu(x, 0.2),
  elu: (x) => nn.elu(x), "elu(0.5)": (x) => nn.elu(x, 0.5),
  celu: (x) => nn.celu(x), "celu(2)": (x) => nn.celu(x, 2),
  selu: nn.selu, relu6: nn.relu6, hardtanh: (x) => nn.hardtanh(x), "hardtanh(-2,3)": (x) => nn.hardtanh(x, -2, 3),
  hardswish: nn.hardswish, hardsigmoid: nn.hardsigmoid,
  softplus: (x) => nn.softplus(x), "softplus(2,10)": (x) => nn.softplus(x, 2, 10), "softplus(0.5,3)": (x) => nn.softplus(x, 0.5, 3),
  softsign: nn.softsign, mish: nn.mish, logSigmoid: nn.logSigmoid,
};
// log1p differs by up to 15 ulp between PyTorch (the C library) and V8 (see autograd's
// math-ops test); elsewhere a few ulp
const RTOL: Record<string, number> = { softplus: 1e-14, "softplus(2,10)": 1e-14, "softplus(0.5,3)": 1e-14, mish: 1e-14, logSigmoid: 1e-14 };
// Gradients where PyTorch's own differ from the exact ones: its hardsigmoid_backward multiplies by
// 1/6 as a float32 constant even in float64 (2.2e-8 off); softsign's gradient 1/(1+|x|)^2 is
// computed by both as div's two terms, which cancel at large |x| (800: 1e-13 relative apart)
const GRAD_RTOL: Record<string, number> = { hardsigmoid: 3e-8, softsign: 1e-12 };

/** PyTorch's numbers: NaN and ±inf exactly, zeros as zeros (of either sign), the rest within rtol. */
function expectTorchValues(got: nd.NDArray, want: readonly Enc[], rtol: number, what: string): void {
  const g = Array.from(got.data, Number);
  want.forEach((e, i) => {
    const w = dec(e);
    const msg = `${what} at x = ${ACT.x[i]}: got ${g[i]}, PyTorch ${w}`;
    if (!Number.isFinite(w)) expect(Object.is(g[i], w), msg).toBe(true);
    else if (w === 0) expect(g[i] === 0, msg).toBe(true);
    else expect(Math.abs(g[i]! - w), msg).toBeLessThanOrEqual(rtol * Math.abs(w));
  });
}

describe(`issue 26's activations against PyTorch ${ACT.torch}: values and gradients at kinks, infinities, NaN and random points`, () => {
  for (const [name, f] of Object.entries(FNS)) {
    it(name, () => {
      const x = ag.tensor(nd.array(ACT.x.map(dec)), { requiresGrad: true });
      const y = f(x);
      ag.sum(ag.mul(y, ACT.w)).backward();
      const rtol = RTOL[name] ?? 2e-15;
      expectTorchValues(y.data, ACT.fns[name]!.y, rtol, name);
      expectTorchValues(x.grad!, ACT.fns[name]!.gx, GRAD_RTOL[name] ?? rtol, `d${name}`);
    });
  }
  it("softmin along each dim of a (3, 4) input", () => {
    for (const [dim, want] of Object.entries(ACT.softmin.byDim)) {
      const x = ag.tensor(nd.array(ACT.softmin.x, [3, 4]), { requiresGrad: true });
      const y = new nn.Softmin(Number(dim)).forward(x);
      ag.sum(ag.mul(y, nd.array(ACT.softmin.r, [3, 4]))).backward();
      expectClose(y, nd.array(want.y, [3, 4]), { rtol: 1e-14, atol: 1e-16 }, `softmin(dim=${dim})`);
      expectClose(x.grad!, nd.array(want.gx, [3, 4]), { rtol: 1e-13, atol: 1e-16 }, `dsoftmin(dim=${dim})`);
    }
  });
  it("ELU's e^x - 1 is PyTorch's exp(x) - 1, digit for digit near 0 (expm1 would differ there)", () => {
    expect(nn.elu(ag.tensor([-1e-10])).data.get(0)).toBe(-1.000000082740371e-10);
  });
});

describe("issue 26's activation modules", () => {
  it("each module computes its function, with PyTorch's positional and option forms", () => {
    const x = ag.tensor(randn(2, 5).mul(4));
    const same = (m: nn.Module & { forward(x: ag.Tensor): ag.Tensor }, want: ag.Tensor) => expect(m.forward(x).toArray()).toEqual(want.toArray());
    same(new nn.LeakyReLU(), nn.leakyRelu(x));
    same(new nn.LeakyReLU(0.2), nn.leakyRelu(x, 0.2));
    same(new nn.LeakyReLU({ negativeSlope: 0.3 }), nn.leakyRelu(x, 0.3));
    same(new nn.ELU(0.5), nn.elu(x, 0.5));
    same(new nn.ELU({ alpha: 2 }), nn.elu(x, 2));
    same(new nn.CELU(2), nn.celu(x, 2));
    same(new nn.SELU(), nn.selu(x));
    same(new nn.ReLU6(), nn.relu6(x));
    same(new nn.Hardtanh(-2, 3), nn.hardtanh(x, -2, 3));
    same(new nn.Hardtanh({ maxVal: 2 }), nn.hardtanh(x, -1, 2));
    same(new nn.Hardswish(), nn.hardswish(x));
    same(new nn.Hardsigmoid(), nn.hardsigmoid(x));
    same(new nn.Softplus(2, 10), nn.softplus(x, 2, 10));
    same(new nn.Softplus({ threshold: 5 }), nn.softplus(x, 1, 5));
    same(new nn.Softsign(), nn.softsign(x));
    same(new nn.Mish(), nn.mish(x));
    same(new nn.LogSigmoid(), nn.logSigmoid(x));
    same(new nn.Softmin(0), nn.softmin(x, 0));
  });

  it("gradcheck (and gradgradcheck) through each function away from its kinks, float64", () => {
    const mods = [new nn.LeakyReLU(0.2), new nn.ELU(0.7), new nn.CELU(1.5), new nn.SELU(), new nn.ReLU6(), new nn.Hardtanh(-2, 2), new nn.Hardswish(), new nn.Hardsigmoid(), new nn.Softplus(2, 3), new nn.Softsign(), new nn.Mish(), new nn.LogSigmoid(), new nn.Softmin(1)];
    for (const m of mods) {
      // values spread over every piece: the kinks at 0, ±1, ±2, ±3, 6 and the softplus threshold 1.5
      check(m, [nd.mul(randn(3, 4), 3.5)], (x) => m.forward(x!));
    }
  });

  it("float32 in, float32 out", () => {
    const x = ag.tensor(nd.array([-4, -1, 0.5, 4], undefined, "float32"));
    for (const f of Object.values(FNS)) expect(f(x).dtype).toBe("float32");
  });

  it("bad settings are ValueErrors naming the module and the value", () => {
    expect(() => new nn.Hardtanh(2, -2)).toThrow(/Hardtanh: minVal 2 is above maxVal -2/);
    expect(() => nn.hardtanh(ag.tensor([1]), 1, 0)).toThrow(nd.ValueError);
    expect(() => new nn.CELU(0)).toThrow(/CELU: alpha must not be 0/);
    expect(() => new nn.Softplus(0)).toThrow(/Softplus: beta must not be 0/);
    expect(() => new nn.LeakyReLU(NaN)).toThrow(/LeakyReLU: negativeSlope must be a finite number, got NaN/);
    expect(() => nn.elu(ag.tensor([1]), Infinity)).toThrow(nd.ValueError);
  });
});

describe("issue 26's activations in a compiled step", () => {
  it("replays forward and backward bitwise equal to eager, values crossing every kink between calls", () => {
    const w = new nn.Parameter(nd.array([0.5, -1.5, 2.5, -3.5, 4.5, 7]));
    const acts = Object.values(FNS).concat([(x) => nn.softmin(x, 0)]);
    const f = (x: ag.Tensor) => {
      w.zeroGrad();
      const h = ag.mul(w, x);
      let total = ag.sum(h);
      for (const act of acts) total = ag.add(total, ag.sum(ag.mul(act(h), x)));
      total.backward();
      return total;
    };
    const g = ag.compile(f);
    for (let i = 0; i < 5; i++) {
      const x = ag.tensor(nd.array([1, 0.4, -1, 0.9, 1.2, -0.3]).mul(1 - 0.45 * i));
      const got = g(x).item();
      const gotGrad = w.grad!.copy();
      const want = f(x).item();
      expect(Object.is(got, want), `call ${i}: ${got} vs ${want}`).toBe(true);
      expect(nd.maxAbsDiff(gotGrad, w.grad!), `call ${i}`).toBe(0);
    }
    expect(g.stats.replays).toBeGreaterThan(0);
  });
});
