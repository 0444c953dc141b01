// clipGradNorm against norms computed by hand, PyTorch's behaviour on non-finite norms, and the
// law that after clipping the norm is maxNorm * norm / (norm + 1e-6).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { ValueError } from "@tapegrad/tensor";
import { tensor } from "@tapegrad/autograd";
import { clipGradNorm } from "../src/clip.js";

describe("clipGradNorm", () => {
  const withGrads = (...gs: (number[] | null)[]) =>
    gs.map((g) => {
      const t = tensor(g ?? [0], { requiresGrad: true });
      t.grad = g === null ? null : nd.array(g);
      return t;
    });

  it("the global 2-norm of [3, 4] and [12] is 13; above maxNorm every gradient is scaled by maxNorm / (13 + 1e-6)", () => {
    const ps = withGrads([3, 4], [12], null);
    expect(clipGradNorm(ps, 1)).toBe(13);
    const k = 1 / (13 + 1e-6);
    expect(ps[0]!.grad!.toFlat()).toEqual([3 * k, 4 * k]);
    expect(ps[1]!.grad!.toFlat()).toEqual([12 * k]);
    expect(ps[2]!.grad).toBeNull();
  });

  it("below maxNorm nothing changes", () => {
    const ps = withGrads([3, 4], [12]);
    expect(clipGradNorm(ps, 20)).toBe(13);
    expect(ps[0]!.grad!.toFlat()).toEqual([3, 4]);
  });

  it("other orders: Infinity (largest magnitude), 1, 3", () => {
    expect(clipGradNorm(withGrads([3, -4], [-12]), 100, { normType: Infinity })).toBe(12);
    expect(clipGradNorm(withGrads([3, -4], [-12]), 100, { normType: 1 })).toBe(19);
    expect(clipGradNorm(withGrads([3, -4], [-12]), 100, { normType: 3 })).toBeCloseTo(Math.cbrt(27 + 64 + 1728), 12);
    expect(clipGradNorm(withGrads(null), 1)).toBe(0);
  });

  it("a non-finite norm: with errorIfNonfinite it throws, naming the parameters, and leaves the gradients alone", () => {
    for (const bad of [NaN, Infinity]) {
      const ps = withGrads([3, 4], [bad, 1]);
      expect(() => clipGradNorm(ps, 1, { errorIfNonfinite: true })).toThrow(ValueError);
      expect(() => clipGradNorm(ps, 1, { errorIfNonfinite: true })).toThrow(/non-finite gradients in parameter 1 \(shape \[2\]\)/);
      expect(ps[0]!.grad!.toFlat()).toEqual([3, 4]);
      expect(ps[1]!.grad!.toFlat()).toEqual([bad, 1]);
    }
    // PyTorch's behaviour without the flag: the factor is NaN (or 0 for an infinite norm)
    const ps = withGrads([3, 4], [NaN]);
    expect(clipGradNorm(ps, 1)).toBeNaN();
    expect(ps[0]!.grad!.toFlat()).toEqual([NaN, NaN]);
  });

  it("a read-only (broadcast) gradient is replaced rather than written", () => {
    const t = tensor([0, 0, 0], { requiresGrad: true });
    t.grad = nd.broadcastTo(nd.array([4]), [3]);
    clipGradNorm([t], 1);
    const k = 1 / (Math.sqrt(48) + 1e-6);
    expect(t.grad!.toFlat()).toEqual([4 * k, 4 * k, 4 * k]);
  });

  it("after clipping, the norm is maxNorm * norm / (norm + 1e-6)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        (gs, maxNorm) => {
          const ps = withGrads(...gs);
          const total = Math.sqrt(gs.flat().reduce((s, v) => s + v * v, 0));
          expect(clipGradNorm(ps, maxNorm)).toBeCloseTo(total, 9);
          const after = Math.sqrt(ps.flatMap((p) => p.grad!.toFlat()).reduce((s, v) => s + v * v, 0));
          const want = maxNorm / (total + 1e-6) < 1 ? (maxNorm * total) / (total + 1e-6) : total;
          expect(Math.abs(after - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, want));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects a negative maxNorm and a non-positive order", () => {
    expect(() => clipGradNorm(withGrads([1]), -1)).toThrow(/maxNorm must be a non-negative number, got -1/);
    expect(() => clipGradNorm(withGrads([1]), 1, { normType: 0 })).toThrow(/normType must be a positive number/);
  });
});
