// No operation returns NaN (or an infinity) where numpy returns a finite number: the values
// that break naive formulas (exp overflow in sigmoid/softmax/logsumexp, -0, huge magnitudes).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { array, type NDArray } from "../src/index.js";
import { arrayArb, fullShapeArb } from "./helpers.js";

const noNaN = (y: NDArray) => T.any(T.isnan(y)).item() === 0;
const finite = (y: NDArray) => T.all(T.isfinite(y)).item() === 1;

describe("exact values at the extremes", () => {
  it("sigmoid(±1000) is 1 and 0, in float64 and float32; sigmoid(0) is 1/2", () => {
    for (const dt of ["float64", "float32"] as const) {
      const tiny = Math.exp(-100) / (1 + Math.exp(-100)); // 3.7e-44: a float32 subnormal
      const y = T.sigmoid(array([-1000, 1000, 0, -100, 100], undefined, dt)).toArray() as number[];
      expect([y[0], y[1], y[2], y[4]]).toEqual([0, 1, 0.5, 1]);
      // the kernel is within 2 ulp of the true value (transcendental.test.ts), not Math's bits
      expect(Math.abs(y[3]! - tiny) / tiny).toBeLessThan(dt === "float32" ? 2 ** -4 : 5e-16);
    }
  });

  it("tanh(±1000) is ±1, exp(-1000) is 0, log1p and expm1 keep tiny values", () => {
    expect(T.tanh(array([-1000, 1000])).toArray()).toEqual([-1, 1]);
    expect(T.exp(array([-1000])).toArray()).toEqual([0]);
    expect(T.log1p(array([1e-20])).item()).toBe(1e-20);
    expect(T.expm1(array([1e-20])).item()).toBe(1e-20);
  });

  it("relu(-0) is 0 and relu of large negatives 0, not NaN", () => {
    const y = T.relu(array([-0, -1e308, -Infinity, 0]));
    expect(y.toArray()).toEqual([0, 0, 0, 0]);
    expect(noNaN(y)).toBe(true);
    expect(T.relu(array([NaN])).toArray()).toEqual([NaN]);
  });

  it("softmax at ±1e4 is one-hot, finite; rows of equal large values are uniform", () => {
    const x = array([[1e4, -1e4, 0], [1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]]);
    const s = T.softmax(x, 1);
    expect(s.toArray()).toEqual([[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3]]);
    const s32 = T.softmax(x.astype("float32"), 1);
    expect(finite(s32)).toBe(true);
    expect(s32.get(0, 0)).toBe(1);
    expect(T.softmax(array([-Infinity, 0]), 0).toArray()).toEqual([0, 1]);
  });

  it("logsumexp of large values is the max plus log(n); of -inf entries ignores them", () => {
    expect(T.logsumexp(array([1e4, 1e4])).item()).toBe(1e4 + Math.log(2));
    expect(T.logsumexp(array([-1e4, -1e4])).item()).toBe(-1e4 + Math.log(2));
    expect(T.logsumexp(array([1e308, 1e308])).item()).toBe(1e308 + Math.log(2));
    expect(T.logsumexp(array([-Infinity, 0])).item()).toBe(0);
    expect(T.logsumexp(array([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(T.logsumexp(array([Infinity, 0])).item()).toBe(Infinity);
    expect(T.logsumexp(array([1e4, 1e4], undefined, "float32")).item()).toBe(Math.fround(1e4 + Math.log(2)));
  });

  it("logSoftmax at ±1e4 is [0, -2e4], finite", () => {
    const y = T.logSoftmax(array([1e4, -1e4]));
    expect(y.toArray()).toEqual([0, -2e4]);
    expect(T.logSoftmax(array([1e4, -1e4], undefined, "float32")).toArray()).toEqual([0, -2e4]);
  });

  it("variance of large, close values is small and exact-ish (two passes, no cancellation)", () => {
    const v = T.variance(array([1e9 + 1, 1e9 + 2, 1e9 + 3]));
    expect(Math.abs(v.item() - 2 / 3)).toBeLessThan(1e-9);
    expect(T.variance(T.full([5], 1e200)).item()).toBe(0);
  });

  it("pow(1, NaN), pow(1, ±inf), pow(-1, ±inf), pow(NaN, 0) are 1, as C's pow", () => {
    expect(T.pow(array([1, 1, 1, -1, -1, NaN]), array([NaN, Infinity, -Infinity, Infinity, -Infinity, 0])).toArray()).toEqual([1, 1, 1, 1, 1, 1]);
    expect(T.pow(1, array([NaN], undefined, "float32")).toArray()).toEqual([1]);
  });
});

describe("finite in, no NaN out", () => {
  // Finite values across the dtype's whole range: huge, tiny and ±1e4.
  const wide = (maxExp: number) => (r: () => number) => {
    const u = r();
    if (u < 0.2) return (r() < 0.5 ? -1 : 1) * 1e4;
    if (u < 0.4) return (r() - 0.5) * 10 ** (Math.floor(r() * 2 * maxExp) - maxExp);
    return (r() - 0.5) * 2e4;
  };
  const arb = fc.constantFrom("float64" as const, "float32" as const).chain((dt) =>
    fullShapeArb({ minRank: 1, maxRank: 3 }).chain((s) =>
      fc.tuple(arrayArb(s, { dtype: dt, values: wide(dt === "float32" ? 37 : 300) }), fc.integer({ min: 0, max: s.length - 1 })),
    ),
  );

  it("sigmoid, tanh, relu, softmax, logSoftmax, logsumexp, clip, maximum, sign, round give no NaN for finite input", () => {
    fc.assert(
      fc.property(arb, ([x, ax]) => {
        expect(finite(x)).toBe(true);
        for (const y of [T.sigmoid(x), T.tanh(x), T.relu(x), T.sign(x), T.round(x), T.clip(x, -1, 1), T.maximum(x, 0), T.softmax(x, ax)]) {
          expect(finite(y)).toBe(true);
        }
        // No NaN; an infinity only where the exact answer overflows (a mean of 1e300s in float32 ...).
        for (const y of [T.logsumexp(x, ax), T.logSoftmax(x, ax), T.mean(x, ax)]) expect(noNaN(y)).toBe(true);
      }),
      { numRuns: 80 },
    );
  });
});
