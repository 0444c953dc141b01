// Reductions over random axis sets (a number, negative, a list in any order, or all) with and
// without keepdims, on random layouts, against references folded from the nested arrays.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { NDArray, ValueError, array, type DType } from "../src/index.js";
import {
  RUNS, arrayArb, at, axesOf, axisArgArb, bidx, broadcastableShapeArb, build, close, expectArray, finiteDraw, floatDraw,
  fullShapeArb, indices, ravel, refReduce, same, shapeArb, size, type Draw, type Nested,
} from "./helpers.js";

const f32 = Math.fround;

type Red = (x: NDArray, axis?: number | number[], keepdims?: boolean) => NDArray;

/** A float sum's reference and how far another summation order may land from it. */
function sumRef(vals: number[]): { v: number; tol: number } {
  let v = 0;
  let mag = 0;
  for (const x of vals) {
    v += x;
    mag += Math.abs(x);
  }
  return { v, tol: 1e-13 * mag + 1e-300 };
}

function caseArb(shape: fc.Arbitrary<number[]>, dtype: DType, values: Draw) {
  return shape.chain((s) => fc.tuple(arrayArb(s, { dtype, values }), axisArgArb(s.length), fc.boolean()));
}

/**
 * Checks `op(x, axis, keepdims)` against a per-group reference: `ref(vals)` gives the value and
 * the tolerance for one output element (vals are the group's elements in C order).
 */
function checkReduction(
  op: Red,
  x: NDArray,
  axis: number | number[] | undefined,
  keepdims: boolean,
  ref: (vals: number[]) => { v: number; tol: number },
  dtype: DType,
): void {
  const axes = axesOf(axis, x.ndim);
  const y = op(x, axis, keepdims);
  expect(y.dtype).toBe(dtype);
  const want = refReduce(x.toArray() as Nested, x.shape, axes, keepdims, (vals) => vals.length);
  const groups: { v: number; tol: number }[] = [];
  refReduce(x.toArray() as Nested, x.shape, axes, keepdims, (vals) => (groups.push(ref(vals)), 0));
  let k = 0;
  const expected = build(want.shape, () => groups[k++]!.v);
  k = 0;
  const tols = build(want.shape, () => groups[k++]!.tol);
  expect(y.shape).toEqual(want.shape);
  const got = y.toArray() as Nested;
  for (const idx of indices(want.shape)) {
    const g = at(got, idx);
    const w = dtype === "float32" ? f32(at(expected, idx)) : at(expected, idx);
    const tol = at(tols, idx) + (dtype === "float32" ? 1.2e-7 * Math.abs(w) : 0);
    const ok = !Number.isFinite(w) ? same(g, w) : Math.abs(g - w) <= tol;
    if (!ok) throw new Error(`at [${idx}] of shape [${y.shape}] (axis ${JSON.stringify(axis)}, keepdims ${keepdims}): got ${g}, want ${w} ± ${tol}`);
  }
}

describe("sum, mean, prod", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it(`sum over any axes equals the grouped sum (${dtype})`, () => {
      fc.assert(
        fc.property(caseArb(shapeArb(), dtype, floatDraw), ([x, axis, kd]) => {
          checkReduction(T.sum, x, axis, kd, sumRef, dtype);
          checkReduction((a, ax, k) => a.sum(ax, k), x, axis, kd, sumRef, dtype);
        }),
        RUNS,
      );
    });

    it(`mean is the grouped sum over the count; NaN over nothing (${dtype})`, () => {
      fc.assert(
        fc.property(caseArb(shapeArb(), dtype, finiteDraw), ([x, axis, kd]) => {
          checkReduction(T.mean, x, axis, kd, (vals) => {
            const s = sumRef(vals);
            return { v: s.v / vals.length, tol: s.tol / Math.max(vals.length, 1) };
          }, dtype);
        }),
        RUNS,
      );
    });

    it(`prod over any axes equals the grouped product (${dtype})`, () => {
      fc.assert(
        fc.property(caseArb(shapeArb(), dtype, (r) => (r() - 0.5) * 3), ([x, axis, kd]) => {
          checkReduction(T.prod, x, axis, kd, (vals) => {
            const v = vals.reduce((a, b) => a * b, 1);
            return { v, tol: 1e-13 * Math.abs(v) + 1e-300 };
          }, dtype);
        }),
        RUNS,
      );
    });
  }

  it("sums over nothing are 0, products 1, means NaN (numpy's identities)", () => {
    const e = T.zeros([2, 0, 3]);
    expect(T.sum(e, 1).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(T.prod(e, [1, 2]).toArray()).toEqual([1, 1]);
    expect(T.sum(e).toArray()).toBe(0);
    expect(T.mean(e, 1).toArray()).toEqual([[NaN, NaN, NaN], [NaN, NaN, NaN]]);
    expect(T.sum(e, 0).shape).toEqual([0, 3]);
  });

  it("an empty axis list reduces nothing", () => {
    const x = T.arange(6).reshape(2, 3);
    expect(T.sum(x, []).toArray()).toEqual(x.toArray());
    expect(T.max(x, [], true).shape).toEqual([2, 3]);
  });

  it("accumulates float32 in float64 and rounds once", () => {
    // 1 + 1e-8 * 1e4 in float32 steps stays 1; summed in float64 it is 1.0001.
    const x = T.full([10001], 1e-8, "float32");
    x.set([0], 1);
    expect(T.sum(x).item()).toBe(f32(1 + 1e4 * f32(1e-8)));
  });

  it("int32 and bool sums are float64 (exact, never wrapping: numpy's int64); means of them float64", () => {
    const i = array([1, 2, 3, 4], [2, 2], "int32");
    expect(T.sum(i, 0).dtype).toBe("float64");
    expect(T.sum(i, 0).toArray()).toEqual([4, 6]);
    expect(T.mean(i).dtype).toBe("float64");
    expect(T.mean(i).item()).toBe(2.5);
    const b = array([true, false, true]);
    expect(T.sum(b).dtype).toBe("float64");
    expect(T.sum(b).item()).toBe(2);
  });
});

describe("max, min", () => {
  const maxRef = (vals: number[]) => ({ v: vals.some((v) => v !== v) ? NaN : Math.max(...vals), tol: 0 });
  const minRef = (vals: number[]) => ({ v: vals.some((v) => v !== v) ? NaN : Math.min(...vals), tol: 0 });
  for (const dtype of ["float64", "float32"] as const) {
    it(`max and min over any axes: the extreme, NaN if any NaN (${dtype})`, () => {
      fc.assert(
        fc.property(caseArb(shapeArb(), dtype, floatDraw), ([x, axis, kd]) => {
          const count = axesOf(axis, x.ndim).reduce((n, a) => n * x.shape[a]!, 1);
          if (count === 0) {
            // numpy: "zero-size array to reduction operation maximum which has no identity".
            expect(() => T.max(x, axis, kd)).toThrow(ValueError);
            expect(() => T.min(x, axis, kd)).toThrow(ValueError);
            return;
          }
          checkReduction(T.max, x, axis, kd, maxRef, dtype);
          checkReduction(T.min, x, axis, kd, minRef, dtype);
        }),
        RUNS,
      );
    });
  }

  it("throws on an empty reduction even when the result is empty, as numpy does", () => {
    expect(() => T.max(T.zeros([0, 0]), 1)).toThrow(ValueError);
    expect(() => T.min(T.zeros([0, 3]), 0)).toThrow(/min.*\[0,3\]/);
    expect(T.max(T.zeros([3, 0]), 0).shape).toEqual([0]);
    expect(T.max(T.zeros([0, 3]), 1).shape).toEqual([0]);
  });
});

describe("argmax, argmin", () => {
  const argRef = (isMax: boolean) => (vals: number[]) => {
    let best = 0;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i]!;
      if (v !== v) return { v: i, tol: 0 }; // the first NaN, as numpy
      if (isMax ? v > vals[best]! : v < vals[best]!) best = i;
    }
    return { v: best, tol: 0 };
  };
  const arb = fullShapeArb({ minRank: 1 }).chain((s) =>
    fc.tuple(arrayArb(s, { values: (r) => (r() < 0.05 ? NaN : Math.floor(r() * 5)) }), fc.option(fc.integer({ min: -s.length, max: s.length - 1 }), { nil: undefined }), fc.boolean()),
  );
  it("gives the first index of the extreme along an axis (or of the flattened array), as int32", () => {
    fc.assert(
      fc.property(arb, ([x, axis, kd]) => {
        for (const [op, isMax] of [[T.argmax, true], [T.argmin, false]] as const) {
          const y = op(x, axis, kd);
          expect(y.dtype).toBe("int32");
          if (axis === undefined) {
            const flat = x.toFlat();
            expect(y.shape).toEqual(kd ? x.shape.map(() => 1) : []);
            expect(y.toFlat()).toEqual([argRef(isMax)(flat).v]);
          } else {
            checkReduction((a, ax, k) => op(a, ax as number, k), x, axis, kd, argRef(isMax), "int32");
          }
        }
      }),
      RUNS,
    );
  });

  it("refuses an empty axis; allows empty other axes", () => {
    expect(() => T.argmax(T.zeros([0]))).toThrow(ValueError);
    expect(() => T.argmin(T.zeros([2, 0]), 1)).toThrow(/argmin/);
    expect(T.argmax(T.zeros([0, 3]), 1).shape).toEqual([0]);
  });
});

describe("all, any", () => {
  it("test nonzero-ness (NaN counts as true, -0 as false), bool result", () => {
    const arb = caseArb(shapeArb(), "float64", (r) => [0, -0, 1, NaN, -2, 0][Math.floor(r() * 6)]!);
    fc.assert(
      fc.property(arb, ([x, axis, kd]) => {
        checkReduction(T.all, x, axis, kd, (vals) => ({ v: +vals.every((v) => v !== 0), tol: 0 }), "bool");
        checkReduction(T.any, x, axis, kd, (vals) => ({ v: +vals.some((v) => v !== 0), tol: 0 }), "bool");
      }),
      RUNS,
    );
  });
});

describe("variance, std", () => {
  it("are the two-pass mean square deviation, with ddof", () => {
    const arb = caseArb(shapeArb(), "float64", finiteDraw).chain((c) => fc.tuple(fc.constant(c), fc.constantFrom(0, 1)));
    fc.assert(
      fc.property(arb, ([[x, axis, kd], ddof]) => {
        const varRef = (vals: number[]) => {
          const m = vals.reduce((a, b) => a + b, 0) / vals.length;
          const ss = vals.reduce((a, b) => a + (b - m) * (b - m), 0);
          return { v: ss / Math.max(vals.length - ddof, 0), tol: 1e-12 * (ss + 1) };
        };
        checkReduction((a, ax, k) => T.variance(a, ax, k, ddof), x, axis, kd, varRef, "float64");
        checkReduction((a, ax, k) => T.std(a, ax, k, ddof), x, axis, kd, (vals) => {
          const r = varRef(vals);
          return { v: Math.sqrt(r.v), tol: 1e-12 * (Math.sqrt(r.v) + 1) };
        }, "float64");
      }),
      RUNS,
    );
  });

  it("float32 in, float32 out", () => {
    const x = array([1, 2, 3, 4], [4], "float32");
    expect(T.variance(x).dtype).toBe("float32");
    expect(T.variance(x).item()).toBe(1.25);
    expect(T.std(x, 0, false, 1).item()).toBe(f32(Math.sqrt(5 / 3)));
  });
});

describe("logsumexp, softmax, logSoftmax", () => {
  it("logsumexp is log(sum(exp(x))) over any axes where that does not overflow", () => {
    fc.assert(
      fc.property(caseArb(fullShapeArb(), "float64", (r) => (r() - 0.5) * 40), ([x, axis, kd]) => {
        checkReduction(T.logsumexp, x, axis, kd, (vals) => {
          const v = Math.log(vals.reduce((a, b) => a + Math.exp(b), 0));
          return { v, tol: 1e-13 * (Math.abs(v) + 1) };
        }, "float64");
      }),
      RUNS,
    );
  });

  it("softmax and logSoftmax along an axis are exp(x)/sum and x - log(sum(exp))", () => {
    const arb = fullShapeArb({ minRank: 1 }).chain((s) =>
      fc.tuple(arrayArb(s, { values: (r) => (r() - 0.5) * 40 }), fc.integer({ min: -s.length, max: s.length - 1 }), fc.constantFrom<DType>("float64", "float32")),
    );
    fc.assert(
      fc.property(arb, ([x0, axis, dt]) => {
        const x = dt === "float32" ? x0.astype("float32") : x0;
        const ax = axis < 0 ? axis + x.ndim : axis;
        const xs = x.toArray() as Nested;
        const denom = (idx: number[]) => {
          let s = 0;
          for (let k = 0; k < x.shape[ax]!; k++) s += Math.exp(at(xs, idx.map((v, i) => (i === ax ? k : v))));
          return s;
        };
        // float32 softmax shifts and exponentiates in float32 (as numpy would): x - max carries
        // a relative error of 2^-24 * |x - max| into exp, a few ulps for |x| <= 20.
        const tol = dt === "float32" ? 4e-6 : 1e-14;
        const sm = T.softmax(x, axis);
        expect(sm.dtype).toBe(dt);
        expectArray(sm, x.shape, build(x.shape, (idx) => Math.exp(at(xs, idx)) / denom(idx)), (a, b) => close(a, b, tol, 1e-300));
        const ls = T.logSoftmax(x, axis);
        expect(ls.dtype).toBe(dt);
        expectArray(ls, x.shape, build(x.shape, (idx) => at(xs, idx) - Math.log(denom(idx))), (a, b) => close(a, b, tol * 10, tol * 100));
        expect(x.softmax(axis).toArray()).toEqual(sm.toArray());
      }),
      RUNS,
    );
  });

  it("over an empty axis: logsumexp is -inf (log of an empty sum), softmax is empty", () => {
    expect(T.logsumexp(T.zeros([2, 0]), 1).toArray()).toEqual([-Infinity, -Infinity]);
    expect(T.softmax(T.zeros([2, 0]), 1).shape).toEqual([2, 0]);
    expect(T.logSoftmax(T.zeros([0, 3]), 1).shape).toEqual([0, 3]);
  });
});

describe("sumTo", () => {
  it("sums x down to a shape that broadcasts to x's: each target element is the sum of the elements broadcasting reads from it", () => {
    const arb = shapeArb().chain((s) => fc.tuple(arrayArb(s, { values: finiteDraw }), broadcastableShapeArb(s)));
    fc.assert(
      fc.property(arb, ([x, target]) => {
        const y = T.sumTo(x, target);
        expect(y.shape).toEqual(target);
        const groups: number[][] = Array.from({ length: size(target) }, () => []);
        const xs = x.toArray() as Nested;
        for (const idx of indices(x.shape)) groups[ravel(bidx(idx, target), target)]!.push(at(xs, idx));
        const got = y.toFlat();
        groups.forEach((g, i) => {
          const r = sumRef(g);
          expect(Math.abs(got[i]! - r.v)).toBeLessThanOrEqual(r.tol);
        });
        expect(x.sumTo(target).toArray()).toEqual(y.toArray());
      }),
      RUNS,
    );
  });

  it("summing leading dims away (a bias's gradient) adds each column's rows in order in float64, rounded once: the same bits for every row count", () => {
    // rows from 1 to 40 cover the kernel's eight-row passes and every remainder after them
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 13 }), fc.constantFrom<"float32" | "float64">("float32", "float64"), fc.integer({ min: 0, max: 1000 }), (rows, cols, dtype, seed) => {
        const x = T.zeros([rows, cols], dtype);
        let s = seed + 1;
        for (let i = 0; i < x.size; i++) {
          s = (s * 48271) % 2147483647;
          x.data[i] = ((s / 2147483647) - 0.5) * 10 ** ((s % 7) - 3); // magnitudes 1e-3 to 1e3: the order shows in the bits
        }
        const want: number[] = [];
        for (let j = 0; j < cols; j++) {
          let acc = 0;
          for (let r = 0; r < rows; r++) acc += x.data[r * cols + j]!;
          want.push(dtype === "float32" ? f32(acc) : acc);
        }
        expect(Array.from(T.sumTo(x, [cols]).data)).toEqual(want);
      }),
      RUNS,
    );
  });
});
