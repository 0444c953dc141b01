// multinomial held by statistics: over many draws each category's frequency lies within 5
// standard errors of its probability (with replacement), and without replacement the draws never
// repeat, and the second draw follows the closed form of sampling without replacement,
// P(second = j) = sum over i != j of p_i p_j / (1 - p_i). Zero weights are never drawn; bad
// weights are a ValueError that leaves the stream where it was.

import { describe, expect, it } from "vitest";
import { DTypeError, RandomState, ShapeError, ValueError, array, zeros } from "@tapegrad/tensor";
import { multinomial } from "../src/multinomial.js";

/** |freq - p| <= 5 sqrt(p (1 - p) / n) for each category. */
function expectFrequencies(counts: number[], p: number[], n: number): void {
  p.forEach((pi, i) => {
    const freq = counts[i]! / n;
    expect(Math.abs(freq - pi), `category ${i}: ${freq} vs ${pi}`).toBeLessThanOrEqual(5 * Math.sqrt((pi * (1 - pi)) / n) + 1e-12);
  });
}

describe("multinomial with replacement: inverse CDF", () => {
  it("frequencies follow the probabilities, per row of a batch; a zero weight is never drawn", () => {
    const probs = array([[0.1, 0, 0.2, 0.7], [0.25, 0.25, 0.25, 0.25], [0, 0, 0, 3]]);
    const n = 20000;
    const draws = multinomial(probs, n, { replacement: true, rng: new RandomState(1) });
    expect(draws.shape).toEqual([3, n]);
    expect(draws.dtype).toBe("int32");
    const rows = draws.toArray() as number[][];
    const want = [[0.1, 0, 0.2, 0.7], [0.25, 0.25, 0.25, 0.25], [0, 0, 0, 1]];
    rows.forEach((row, r) => {
      const counts = [0, 0, 0, 0];
      for (const k of row) counts[k]!++;
      expectFrequencies(counts, want[r]!, n);
      want[r]!.forEach((p, k) => {
        if (p === 0) expect(counts[k], `row ${r}, category ${k} has weight 0`).toBe(0);
      });
    });
  });
  it("weights need not sum to 1: scaling them by 4 draws the very same categories", () => {
    const a = multinomial(array([0.3, 1.1, 0.6]), 50, { replacement: true, rng: new RandomState(5) });
    const b = multinomial(array([1.2, 4.4, 2.4]), 50, { replacement: true, rng: new RandomState(5) });
    expect(a.toArray()).toEqual(b.toArray());
  });
  it("seeded: the same stream draws the same indices; a 1-d input gives a 1-d result", () => {
    const a = multinomial(array([0.5, 0.5]), 10, { replacement: true, rng: new RandomState(7) });
    const b = multinomial(array([0.5, 0.5]), 10, { replacement: true, rng: new RandomState(7) });
    expect(a.shape).toEqual([10]);
    expect(a.toArray()).toEqual(b.toArray());
  });
});

describe("multinomial without replacement (the default): one category after another", () => {
  it("never repeats; drawing every category gives a permutation; zero weights never drawn", () => {
    const rng = new RandomState(3);
    for (let t = 0; t < 200; t++) {
      const d = multinomial(array([[0.5, 0, 0.2, 0.3, 0.1]]), 4, { rng }).toArray() as number[][];
      expect(new Set(d[0]).size).toBe(4);
      expect(d[0]).not.toContain(1);
      expect([...d[0]!].sort()).toEqual([0, 2, 3, 4]);
    }
  });
  it("the first draw follows p, the second the closed form sum_i p_i p_j / (1 - p_i)", () => {
    const p = [0.5, 0.2, 0.2, 0.1];
    const n = 20000;
    const probs = array(Array.from({ length: n }, () => p));
    const d = multinomial(probs, 2, { rng: new RandomState(11) }).toArray() as number[][];
    const first = [0, 0, 0, 0];
    const second = [0, 0, 0, 0];
    for (const [a, b] of d as [number, number][]) {
      first[a]!++;
      second[b]!++;
      expect(a).not.toBe(b);
    }
    expectFrequencies(first, p, n);
    const q = p.map((pj, j) => p.reduce((s, pi, i) => (i === j ? s : s + (pi * pj) / (1 - pi)), 0));
    expect(q.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 14);
    expectFrequencies(second, q, n);
  });
});

describe("bad input: a typed error naming the row and category, the stream left as it was", () => {
  it("negative, all zero, NaN, infinite, too many without replacement", () => {
    const rng = new RandomState(2);
    const before = rng.getState();
    expect(() => multinomial(array([[0.5, 0.5], [0.2, -0.1]]), 1, { rng })).toThrow(ValueError);
    expect(() => multinomial(array([[0.5, 0.5], [0.2, -0.1]]), 1, { rng })).toThrow(/multinomial: probabilities must be non-negative, got -0.1 at category 1 in row 1 \(probs \[2,2\]\)/);
    expect(() => multinomial(array([0, 0, 0]), 1, { rng, replacement: true })).toThrow(/multinomial: probabilities sum to 0; at least one must be positive \(probs \[3\]\)/);
    expect(() => multinomial(array([0.5, NaN]), 1, { rng })).toThrow(/multinomial: probabilities must be finite, got NaN at category 1/);
    expect(() => multinomial(array([0.5, Infinity]), 1, { rng })).toThrow(/must be finite, got Infinity/);
    expect(() => multinomial(array([0.5, 0, 0.5]), 3, { rng })).toThrow(/multinomial: cannot draw 3 samples without replacement from 2 categories of positive probability/);
    expect(() => multinomial(array([0.5, 0.5]), 3, { rng })).toThrow(/cannot draw 3 samples without replacement from 2 categories \(probs \[2\]\)/);
    expect(() => multinomial(array([0.5, 0.5]), 0, { rng })).toThrow(/the number of samples must be a positive integer, got 0/);
    expect(() => multinomial(zeros([2, 2, 2]), 1, { rng })).toThrow(ShapeError);
    expect(() => multinomial(zeros([2], "int32"), 1, { rng })).toThrow(DTypeError);
    // the stream is where it was: the same draws as a fresh copy
    const fresh = new RandomState(2);
    fresh.setState(before);
    expect(multinomial(array([0.3, 0.7]), 5, { replacement: true, rng }).toArray()).toEqual(multinomial(array([0.3, 0.7]), 5, { replacement: true, rng: fresh }).toArray());
  });
});
