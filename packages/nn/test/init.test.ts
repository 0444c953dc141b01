// nn.init (issue 26): against torch.nn.init's own code with its draws replaced by numpy's
// RandomState stream (data/make-init-reference.py), which tapegrad's RandomState reproduces;
// by statistics on a million draws (bounds, std) and by the law Q^T Q = I for orthogonal.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as nn from "../src/index.js";
import { init, Parameter } from "../src/index.js";

const REF = JSON.parse(readFileSync(new URL("./data/init-reference.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: { fn: string; shape: number[]; options: Record<string, number | string>; seed: number; values: number[] }[];
  gains: Record<string, number>;
};

function run(c: (typeof REF.cases)[number], target: Parameter): void {
  const rng = new RandomState(c.seed);
  const o = c.options;
  switch (c.fn) {
    case "uniform": init.uniform(target, o.a as number, o.b as number, { rng }); break;
    case "normal": init.normal(target, o.mean as number, o.std as number, { rng }); break;
    default: (init as unknown as Record<string, (t: Parameter, o: object) => void>)[c.fn]!(target, { ...o, rng });
  }
}

describe(`nn.init against torch.nn.init (PyTorch ${REF.torch}) on numpy's draws`, () => {
  for (const c of REF.cases) {
    it(`${c.fn}(${JSON.stringify(c.shape)}, ${JSON.stringify(c.options)})`, () => {
      const w = new Parameter(nd.zeros(c.shape));
      run(c, w);
      const got = Array.from(w.data.data);
      // the uniform and normal ones are the same arithmetic on the same draws; QR is rounding apart
      const tol = c.fn === "orthogonal" ? 1e-14 : 0;
      c.values.forEach((v, i) => expect(Math.abs(got[i]! - v), `element ${i}: ${got[i]} vs ${v}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
    });
  }
  it("calculateGain", () => {
    for (const [name, g] of Object.entries(REF.gains)) {
      const m = /^(\w+)\((.*)\)$/.exec(name);
      const got = m ? nn.calculateGain(m[1] as nn.InitNonlinearity, Number(m[2])) : nn.calculateGain(name as nn.InitNonlinearity);
      expect(got, name).toBe(g);
    }
  });
});

function stats(a: nd.NDArray): { min: number; max: number; mean: number; std: number } {
  const d = a.data;
  let min = Infinity, max = -Infinity, s = 0, s2 = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    min = Math.min(min, v);
    max = Math.max(max, v);
    s += v;
    s2 += v * v;
  }
  const mean = s / d.length;
  return { min, max, mean, std: Math.sqrt(s2 / d.length - mean * mean) };
}

describe("nn.init: the distributions, on a million draws", () => {
  const rng = new RandomState(26);
  it("kaimingUniform: within ±gain sqrt(3 / fan), reaching both ends, std gain / sqrt(fan)", () => {
    // (1000, 250, 2, 2): fan_in = 1000, fan_out = 4000
    const w = nn.kaimingUniform(nd.zeros([1000, 250, 2, 2]), { nonlinearity: "relu", rng });
    const bound = Math.SQRT2 * Math.sqrt(3 / 1000);
    const s = stats(w);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.max).toBeGreaterThan(0.999 * bound);
    expect(s.min).toBeLessThan(-0.999 * bound);
    expect(Math.abs(s.std / (Math.SQRT2 / Math.sqrt(1000)) - 1)).toBeLessThan(0.005);
    expect(Math.abs(s.mean)).toBeLessThan(0.005 * bound);
  });
  it("kaimingNormal with fan_out: std gain / sqrt(fanOut), mean 0", () => {
    const w = nn.kaimingNormal(nd.zeros([1000, 250, 2, 2]), { mode: "fan_out", nonlinearity: "tanh", rng });
    const std = 5 / 3 / Math.sqrt(4000);
    const s = stats(w);
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.005);
    expect(Math.abs(s.mean)).toBeLessThan(0.005 * std);
  });
  it("xavierUniform and xavierNormal: a = gain sqrt(6 / (fanIn + fanOut)), std = gain sqrt(2 / (fanIn + fanOut))", () => {
    const u = stats(nn.xavierUniform(nd.zeros([800, 1250]), { gain: 2, rng }));
    const a = 2 * Math.sqrt(6 / 2050);
    expect(u.min).toBeGreaterThanOrEqual(-a);
    expect(u.max).toBeLessThanOrEqual(a);
    expect(u.max).toBeGreaterThan(0.999 * a);
    expect(Math.abs(u.std / (a / Math.sqrt(3)) - 1)).toBeLessThan(0.005);
    const n = stats(nn.xavierNormal(nd.zeros([800, 1250]), { rng }));
    expect(Math.abs(n.std / Math.sqrt(2 / 2050) - 1)).toBeLessThan(0.005);
  });
});

describe("nn.init.orthogonal: Q^T Q = I (or Q Q^T = I), times the gain", () => {
  const rng = new RandomState(7);
  for (const shape of [[40, 25], [25, 40], [30, 30], [6, 4, 3], [1, 9], [9, 1]]) {
    it(JSON.stringify(shape), () => {
      const w = nn.orthogonal(nd.zeros(shape), { gain: 1.5, rng });
      const m = w.reshape(shape[0]!, -1);
      const [r, c] = m.shape as [number, number];
      const g = r >= c ? nd.matmul(m.transpose(), m) : nd.matmul(m, m.transpose());
      const k = Math.min(r, c);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) expect(Math.abs(g.get(i, j) - (i === j ? 2.25 : 0)), `(${i}, ${j})`).toBeLessThan(1e-13);
    });
  }
});

describe("nn.init: targets, dtypes and errors", () => {
  it("fills a Parameter, a Tensor or an NDArray in place and returns it; float32 stays float32", () => {
    const p = new Parameter(nd.ones([3, 2], "float32"));
    expect(nn.kaimingUniform(p)).toBe(p);
    expect(p.data.dtype).toBe("float32");
    expect(p.requiresGrad).toBe(true);
    const a = nd.ones([2, 2]);
    expect(init.zeros(a)).toBe(a);
    expect(a.toArray()).toEqual([[0, 0], [0, 0]]);
    expect(init.ones(new Parameter(nd.zeros([2]))).data.toArray()).toEqual([1, 1]);
    expect(init.constant(nd.zeros([2]), 0.5).toArray()).toEqual([0.5, 0.5]);
  });
  it("the same seed gives the same weights; the default stream follows manualSeed", () => {
    const a = nn.xavierUniform(nd.zeros([4, 5]), { rng: new RandomState(3) });
    const b = nn.xavierUniform(nd.zeros([4, 5]), { rng: new RandomState(3) });
    expect(a.toArray()).toEqual(b.toArray());
    nn.manualSeed(11);
    const c = nn.orthogonal(nd.zeros([3, 3]));
    nn.manualSeed(11);
    expect(nn.orthogonal(nd.zeros([3, 3])).toArray()).toEqual(c.toArray());
  });
  it("bad input is a ValueError naming the initialiser and the value; the target is left unchanged", () => {
    const v = nd.ones([3]);
    expect(() => nn.kaimingUniform(v)).toThrow(/kaimingUniform: fan in and fan out cannot be computed for a tensor of fewer than 2 dimensions \(shape \[3\]\)/);
    expect(() => nn.xavierNormal(v)).toThrow(nd.ValueError);
    expect(() => nn.orthogonal(v)).toThrow(/orthogonal: only tensors of 2 or more dimensions/);
    expect(v.toArray()).toEqual([1, 1, 1]);
    const w = nd.ones([2, 2]);
    expect(() => nn.kaimingNormal(w, { mode: "fan_sideways" as never })).toThrow(/kaimingNormal: mode must be "fan_in" or "fan_out", got "fan_sideways"/);
    expect(() => nn.kaimingUniform(w, { nonlinearity: "swish" as never })).toThrow(/calculateGain: unsupported nonlinearity "swish"/);
    expect(() => nn.kaimingUniform(nd.zeros([0, 3]), { mode: "fan_out" })).toThrow(/the fan is 0/);
    expect(w.toArray()).toEqual([[1, 1], [1, 1]]);
  });
});
