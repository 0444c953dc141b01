// Sampling from logits held by statistics: over many draws each token's frequency lies within 5
// standard errors of softmax(logits / temperature) renormalised over the tokens top-k and top-p
// keep (computed here by hand), filtered tokens are never drawn, temperature 0 is the argmax;
// the filters by hand; a compiled sampler draws what the eager one draws; errors.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ValueError } from "@tapegrad/tensor";
import { compile, tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";

function frequencies(draws: number[], V: number): number[] {
  const c = new Array<number>(V).fill(0);
  for (const d of draws) c[d]!++;
  return c.map((x) => x / draws.length);
}

function expectNear(freq: number[], p: number[], n: number): void {
  p.forEach((pi, i) => expect(Math.abs(freq[i]! - pi), `token ${i}: ${freq[i]} vs ${pi}`).toBeLessThanOrEqual(5 * Math.sqrt((pi * (1 - pi)) / n) + 1e-12));
}

const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe("filters by hand", () => {
  it("topKFilter keeps the k largest (and ties with the k-th) per row", () => {
    expect(nn.topKFilter(nd.array([1, 3, 2, 0]), 2).toArray()).toEqual([-Infinity, 3, 2, -Infinity]);
    expect(nn.topKFilter(nd.array([[1, 3, 3, 0], [5, 4, 3, 2]]), 2).toArray()).toEqual([[-Infinity, 3, 3, -Infinity], [5, 4, -Infinity, -Infinity]]);
    expect(nn.topKFilter(nd.array([1, 2]), 5).toArray()).toEqual([1, 2]);
    expect(nn.topKFilter(nd.array([1, 2, 2, 2]), 1).toArray()).toEqual([-Infinity, 2, 2, 2]);
  });
  it("topPFilter keeps the most probable tokens until their probabilities reach p", () => {
    const l = nd.log(nd.array([0.5, 0.3, 0.15, 0.05]));
    const keep = (p: number) => (nn.topPFilter(l, p).toFlat() as number[]).map((x) => x !== -Infinity);
    expect(keep(0.5)).toEqual([true, false, false, false]);
    expect(keep(0.51)).toEqual([true, true, false, false]);
    expect(keep(0.9)).toEqual([true, true, true, false]);
    expect(keep(1)).toEqual([true, true, true, true]);
    expect(keep(0.01)).toEqual([true, false, false, false]); // the most probable is always kept
  });
});

describe("sampleLogits by statistics", () => {
  const logits = [2, 1, 0.5, 0.1, -1, -3];
  const n = 20000;
  it("temperature alone: frequencies follow softmax(logits / T)", () => {
    for (const T of [0.5, 1, 2]) {
      const rng = new RandomState(4);
      const rows = nd.array(Array.from({ length: n }, () => logits));
      const draws = nn.sampleLogits(rows, { temperature: T, rng });
      expect(draws.shape).toEqual([n]);
      expectNear(frequencies(draws.toFlat(), 6), softmax(logits.map((x) => x / T)), n);
    }
  });
  it("top-k then top-p: the kept tokens renormalised, the others never drawn", () => {
    const T = 0.8;
    const rng = new RandomState(6);
    const rows = nd.array(Array.from({ length: n }, () => logits));
    const draws = nn.sampleLogits(rows, { temperature: T, topK: 4, topP: 0.8, rng }).toFlat();
    // by hand: softmax over the 4 largest, then the smallest prefix reaching 0.8
    const p4 = softmax(logits.slice(0, 4).map((x) => x / T));
    let cum = 0;
    const kept = p4.map((p) => {
      const k = cum < 0.8;
      cum += p;
      return k;
    });
    const z = p4.reduce((s, p, i) => (kept[i] ? s + p : s), 0);
    const want = [...p4.map((p, i) => (kept[i] ? p / z : 0)), 0, 0];
    expect(kept).toEqual([true, true, false, false]); // 0.61 + 0.22 reaches 0.8
    const freq = frequencies(draws, 6);
    expectNear(freq, want, n);
    want.forEach((w, i) => {
      if (w === 0) expect(freq[i], `token ${i} was filtered`).toBe(0);
    });
  });
  it("temperature 0 is greedy; a single row of logits gives a 0-d index; seeded draws repeat", () => {
    expect(nn.sampleLogits(nd.array([[2, 5, 1], [7, 1, 7]]), { temperature: 0 }).toArray()).toEqual([1, 0]);
    const one = nn.sampleLogits(tensor([0.1, 0.2, 0.3]), { rng: new RandomState(1) });
    expect(one.shape).toEqual([]);
    const a = nn.sampleLogits(nd.array([[0.1, 0.2, 0.3]]), { rng: new RandomState(8), topP: 0.9 });
    const b = nn.sampleLogits(nd.array([[0.1, 0.2, 0.3]]), { rng: new RandomState(8), topP: 0.9 });
    expect(a.toArray()).toEqual(b.toArray());
  });
  it("under compile, replays draw what eager draws (the stream advances at each replay)", () => {
    const run = (compiled: boolean) => {
      const rng = new RandomState(12);
      const f = (x: nd.NDArray) => nn.sampleLogits(x, { temperature: 0.7, topK: 3, rng });
      const step = compiled ? compile(f) : f;
      const x = nd.array([[1, 2, 3, 0.5], [0, 0, 1, 2]]);
      return Array.from({ length: 8 }, () => step(x).toArray());
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe("bad input: a typed error naming the function and the value", () => {
  it("options and logits", () => {
    expect(() => nn.sampleLogits(nd.array([1, 2]), { temperature: -1 })).toThrow(ValueError);
    expect(() => nn.sampleLogits(nd.array([1, 2]), { temperature: -1 })).toThrow(/sampleLogits: temperature must be a non-negative number, got -1/);
    expect(() => nn.sampleLogits(nd.array([1, 2]), { topK: 0 })).toThrow(/sampleLogits: topK must be a positive integer, got 0/);
    expect(() => nn.sampleLogits(nd.array([1, 2]), { topP: 0 })).toThrow(/sampleLogits: topP must be in \(0, 1\], got 0/);
    expect(() => nn.sampleLogits(nd.array([1, NaN]))).toThrow(/multinomial: probabilities must be finite, got NaN/);
    expect(() => nn.sampleLogits(nd.zeros([2, 0]))).toThrow(/sampleLogits: logits must be \(\.\.\., vocab\) with a non-empty last dim, got \[2,0\]/);
    expect(() => nn.topKFilter(nd.array([1, 2]), 1.5)).toThrow(/topKFilter: k must be a positive integer, got 1.5/);
  });
});
