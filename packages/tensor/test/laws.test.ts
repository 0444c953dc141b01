// Laws that hold whatever the values: round trips of views, symmetry of broadcasting,
// associativity of matmul, the adjointness of broadcastTo and sumTo, and that a view and its
// contiguous copy give the same answers.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { NDArray, ShapeError } from "../src/index.js";
import { RUNS, arrayArb, broadcastableShapeArb, expectArray, finiteDraw, fullShapeArb, refBroadcast, shapeArb, type Nested } from "./helpers.js";

const anyArray = shapeArb().chain((s) => arrayArb(s));

function dotFlat(a: NDArray, b: NDArray): { v: number; mag: number } {
  const x = a.toFlat();
  const y = b.toFlat();
  let v = 0;
  let mag = 0;
  x.forEach((xi, i) => {
    v += xi * y[i]!;
    mag += Math.abs(xi * y[i]!);
  });
  return { v, mag };
}

describe("view round trips", () => {
  it("transpose twice is the identity (same view, same storage)", () => {
    fc.assert(
      fc.property(anyArray, (x) => {
        const y = x.T.T;
        expect(y.shape).toEqual(x.shape);
        expect(y.strides).toEqual(x.strides);
        expect(y.offset).toBe(x.offset);
        expect(y.data).toBe(x.data);
        expect(y.toArray()).toEqual(x.toArray());
      }),
      RUNS,
    );
  });

  it("permute then the inverse permutation is the identity", () => {
    const arb = shapeArb().chain((s) => fc.tuple(arrayArb(s), fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length })));
    fc.assert(
      fc.property(arb, ([x, p]) => {
        const inv = p.map((_, i) => p.indexOf(i));
        const y = x.permute(p).permute(inv);
        expect(y.shape).toEqual(x.shape);
        expect(y.strides).toEqual(x.strides);
        expect(y.toArray()).toEqual(x.toArray());
      }),
      RUNS,
    );
  });

  it("reshape to any shape of the same size and back reads the same elements", () => {
    const arb = fullShapeArb({ maxRank: 4 }).chain((s) =>
      fc.tuple(arrayArb(s), fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length })),
    );
    fc.assert(
      fc.property(arb, ([x, p]) => {
        // The target: x's dims in another order (same size, usually a copy).
        const t = p.map((i) => x.shape[i]!);
        const y = x.reshape(t).reshape([...x.shape]);
        expect(y.toArray()).toEqual(x.toArray());
        expect(x.reshape(-1).reshape([...x.shape]).toArray()).toEqual(x.toArray());
      }),
      RUNS,
    );
  });

  it("squeeze after unsqueeze, and split then concat, give x back", () => {
    const arb = fullShapeArb({ minRank: 1 }).chain((s) => fc.tuple(arrayArb(s), fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 1, max: 4 })));
    fc.assert(
      fc.property(arb, ([x, ax, k]) => {
        expect(x.unsqueeze(ax).squeeze(ax).toArray()).toEqual(x.toArray());
        expect(T.concat(T.chunk(x, k, ax), ax).toArray()).toEqual(x.toArray());
      }),
      RUNS,
    );
  });
});

describe("broadcasting", () => {
  const pairArb = fc.tuple(shapeArb({ maxRank: 4, maxDim: 3 }), shapeArb({ maxRank: 4, maxDim: 3 }));

  it("is symmetric: broadcastShapes(a, b) = broadcastShapes(b, a), both failing together", () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const want = refBroadcast(a, b);
        const run = (p: number[], q: number[]) => {
          try {
            return T.broadcastShapes("law", p, q);
          } catch (e) {
            expect(e).toBeInstanceOf(ShapeError);
            return null;
          }
        };
        expect(run(a, b)).toEqual(want);
        expect(run(b, a)).toEqual(want);
        // An op on arrays of those shapes gives that shape, or the same error, either way round.
        if (want) {
          expect(T.add(T.zeros(a), T.zeros(b)).shape).toEqual(want);
          expect(T.add(T.zeros(b), T.zeros(a)).shape).toEqual(want);
        } else {
          expect(() => T.add(T.zeros(a), T.zeros(b))).toThrow(ShapeError);
          expect(() => T.add(T.zeros(b), T.zeros(a))).toThrow(ShapeError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("broadcastTo and sumTo are adjoint: <broadcastTo(x, S), y> = <x, sumTo(y, x.shape)>", () => {
    const arb = shapeArb().chain((S) =>
      broadcastableShapeArb(S).chain((xs) => fc.tuple(fc.constant(S), arrayArb(xs, { values: finiteDraw }), arrayArb(S, { values: finiteDraw }))),
    );
    fc.assert(
      fc.property(arb, ([S, x, y]) => {
        const lhs = dotFlat(x.broadcastTo(S), y);
        const rhs = dotFlat(x, T.sumTo(y, x.shape));
        expect(Math.abs(lhs.v - rhs.v)).toBeLessThanOrEqual(1e-12 * (lhs.mag + 1));
      }),
      RUNS,
    );
  });
});

describe("matmul", () => {
  it("associates within tolerance: (AB)C = A(BC)", () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }))
      .chain(([m, k, n, p]) => fc.tuple(arrayArb([m, k], { values: finiteDraw }), arrayArb([k, n], { values: finiteDraw }), arrayArb([n, p], { values: finiteDraw })));
    fc.assert(
      fc.property(arb, ([a, b, c]) => {
        const l = T.matmul(T.matmul(a, b), c);
        const r = T.matmul(a, T.matmul(b, c));
        // Bound: |A||B||C| summed, times a few roundings per term.
        const mag = T.matmul(T.matmul(T.abs(a), T.abs(b)), T.abs(c));
        const diff = T.abs(T.sub(l, r));
        expect(T.all(T.le(diff, T.mul(mag, 1e-13))).item()).toBe(1);
      }),
      { numRuns: 30 },
    );
  });
});

describe("a view and its contiguous copy read alike", () => {
  it("for elementwise ops, reductions, softmax, matmul and take", () => {
    const arb = fullShapeArb({ minRank: 1, maxRank: 3 }).chain((s) => fc.tuple(arrayArb(s), fc.integer({ min: 0, max: s.length - 1 })));
    fc.assert(
      fc.property(arb, ([x, ax]) => {
        const c = x.contiguous().copy();
        expect(c.isContiguous()).toBe(true);
        // Bit for bit: both walk the elements in the same logical order.
        const eq = (f: (a: NDArray) => NDArray) => {
          const h = f(c);
          expectArray(f(x), h.shape, h.toArray() as Nested, (p, q) => Object.is(p, q));
        };
        eq((a) => T.exp(a));
        eq((a) => T.sigmoid(a));
        eq((a) => T.add(a, T.slice(a, [])));
        eq((a) => T.mul(a, a.T.T));
        eq((a) => T.where(T.gt(a, 0), a, -1));
        eq((a) => T.sum(a, ax));
        eq((a) => T.sum(a));
        eq((a) => T.max(a, ax, true));
        eq((a) => T.argmin(a, ax));
        eq((a) => T.mean(a, [ax]));
        eq((a) => T.logsumexp(a, ax));
        eq((a) => T.softmax(a, ax));
        eq((a) => T.take(a, [0, -1], ax));
        eq((a) => T.sumTo(a, a.shape.map((d, i) => (i === ax ? 1 : d))));
        // matmul may take another summation order for a strided operand: within tolerance.
        const m = x.reshape(x.shape[0]!, -1);
        const mc = c.reshape(c.shape[0]!, -1);
        const l = T.matmul(m.T, m);
        const r = T.matmul(mc.T, mc);
        expect(T.allclose(l, r, { rtol: 1e-12, atol: 1e-12, equalNan: true })).toBe(true);
      }),
      RUNS,
    );
  });
});

describe("softmax and logsumexp", () => {
  it("softmax sums to 1 and stays finite for inputs up to ±1e4; logsumexp stays finite", () => {
    const arb = fullShapeArb({ minRank: 1, maxRank: 3 }).chain((s) =>
      fc.tuple(arrayArb(s, { values: (r) => (r() < 0.5 ? (r() < 0.5 ? 1e4 : -1e4) : (r() - 0.5) * 2e4) }), fc.integer({ min: 0, max: s.length - 1 }), fc.constantFrom("float64", "float32") as fc.Arbitrary<"float64" | "float32">),
    );
    fc.assert(
      fc.property(arb, ([x0, ax, dt]) => {
        const x = x0.astype(dt);
        const s = T.softmax(x, ax);
        expect(T.all(T.isfinite(s)).item()).toBe(1);
        const tot = T.sum(s, ax);
        expect(T.all(T.le(T.abs(T.sub(tot, 1)), dt === "float32" ? 1e-5 : 1e-12)).item()).toBe(1);
        expect(T.all(T.isfinite(T.logsumexp(x, ax))).item()).toBe(1);
        expect(T.all(T.isfinite(T.logSoftmax(x, ax))).item()).toBe(1);
        // logsumexp is at least the max and at most max + log(n).
        const m = T.max(x, ax);
        const lse = T.logsumexp(x, ax);
        expect(T.all(T.ge(lse, m)).item()).toBe(1);
        expect(T.all(T.le(lse, T.add(m, Math.log(x.shape[ax]!) + 1e-3))).item()).toBe(1);
      }),
      RUNS,
    );
  });

  it("logsumexp equals log(sum(exp(x))) where exp does not overflow", () => {
    const arb = fullShapeArb({ minRank: 1, maxRank: 3 }).chain((s) => fc.tuple(arrayArb(s, { values: (r) => (r() - 0.5) * 200 }), fc.integer({ min: 0, max: s.length - 1 })));
    fc.assert(
      fc.property(arb, ([x, ax]) => {
        const direct = T.log(T.sum(T.exp(x), ax));
        expect(T.allclose(T.logsumexp(x, ax), direct, { rtol: 1e-13, atol: 1e-13 })).toBe(true);
      }),
      RUNS,
    );
  });
});
