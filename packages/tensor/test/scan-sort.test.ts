// Scans, sorts and the selections made from them, on random shapes, axes, layouts and dtypes,
// against plain references folded line by line from the nested arrays (no kernel involved):
// the running sum/product/log-sum-exp in float64, PyTorch's cummax rule (NaN takes over, ties go
// to the later index), a stable (value, index) sort with NaN last. Then the integer-sum fix,
// vectorNorm against its formulas, flatIndexAlong against take_along_axis, and the errors.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { AxisError, IndexError, NDArray, ShapeError, ValueError, array, type DType } from "../src/index.js";
import { RUNS, arrayArb, at, build, close, expectArray, finiteDraw, floatDraw, indices, same, shapeArb, smallIntDraw, type Draw, type Nested } from "./helpers.js";

const f32 = Math.fround;

/** The lines of `x` along `ax`: for each index off the axis, the values along it (C order of the rest). */
function lines(x: NDArray, ax: number): { outer: number[]; vals: number[] }[] {
  const nested = x.toArray() as Nested;
  const outerShape = x.shape.filter((_, i) => i !== ax);
  return indices(outerShape).map((outer) => {
    const vals: number[] = [];
    for (let j = 0; j < x.shape[ax]!; j++) vals.push(at(nested, [...outer.slice(0, ax), j, ...outer.slice(ax)]));
    return { outer, vals };
  });
}

/** Nested arrays of x's shape with `len` along `ax`, filled from per-line results. */
function fromLines(shape: readonly number[], ax: number, len: number, per: (outer: number[], j: number) => number): Nested {
  const s = shape.map((d, i) => (i === ax ? len : d));
  return build(s, (idx) => per([...idx.slice(0, ax), ...idx.slice(ax + 1)], idx[ax]!));
}

const key = (outer: number[]) => outer.join(",");

function caseArb(dtype: DType, values: Draw, minRank = 1) {
  return shapeArb({ minRank, maxRank: 3, maxDim: 5 }).chain((s) =>
    fc.tuple(arrayArb(s, { dtype, values }), fc.integer({ min: -Math.max(s.length, 1), max: Math.max(s.length, 1) - 1 })),
  );
}

/** A stable ascending sort of a line's positions, NaN last (the reference: JS's sort is stable). */
function refOrder(vals: number[], descending: boolean): number[] {
  const cmp = (a: number, b: number) => (a !== a ? (b !== b ? 0 : 1) : b !== b ? -1 : a < b ? -1 : a > b ? 1 : 0);
  return vals.map((_, i) => i).sort((i, j) => (descending ? cmp(vals[j]!, vals[i]!) : cmp(vals[i]!, vals[j]!)));
}

describe("cumsum, cumprod, logcumsumexp", () => {
  const scans = [
    { name: "cumsum", f: T.cumsum, step: (r: number, v: number) => r + v, init: 0 },
    { name: "cumprod", f: T.cumprod, step: (r: number, v: number) => r * v, init: 1 },
  ] as const;
  for (const { name, f, step, init } of scans) {
    for (const dtype of ["float64", "float32", "int32"] as const) {
      it(`${name} along any axis, either way, equals the running fold in float64 (${dtype})`, () => {
        fc.assert(
          fc.property(caseArb(dtype, dtype === "int32" ? smallIntDraw : name === "cumprod" ? finiteDraw : floatDraw), fc.boolean(), ([x, axis], reverse) => {
            const ax = axis < 0 ? axis + x.ndim : axis;
            const y = f(x, axis, reverse);
            expect(y.dtype).toBe(dtype === "int32" ? "float64" : dtype);
            const res = new Map<string, number[]>();
            for (const { outer, vals } of lines(x, ax)) {
              const v = reverse ? [...vals].reverse() : vals;
              let r: number = init;
              const out = v.map((t) => (r = step(r, t)));
              res.set(key(outer), reverse ? out.reverse() : out);
            }
            const want = fromLines(x.shape, ax, x.shape[ax]!, (o, j) => {
              const v = res.get(key(o))![j]!;
              return dtype === "float32" ? f32(v) : v;
            });
            expectArray(y, x.shape, want, (a, b) => same(a, b), `${name}(axis=${axis}, reverse=${reverse})`);
          }),
          RUNS,
        );
      });
    }
  }

  it("with no axis they run over the flattened array (numpy's rule), a 0-d array included", () => {
    const x = array([[1, 2], [3, 4]]);
    expect(T.cumsum(x).toArray()).toEqual([1, 3, 6, 10]);
    expect(T.cumprod(x).toArray()).toEqual([1, 2, 6, 24]);
    expect(T.cumsum(array(5)).toArray()).toEqual([5]);
    expect(x.cumsum(1).toArray()).toEqual([[1, 3], [3, 7]]);
  });

  it("logcumsumexp equals log(cumsum(exp)) where that is finite, and does not overflow where it is not", () => {
    fc.assert(
      fc.property(caseArb("float64", finiteDraw), fc.boolean(), ([x, axis], reverse) => {
        const want = T.log(T.cumsum(T.exp(x), axis, reverse));
        const got = T.logcumsumexp(x, axis, reverse);
        expectArray(got, x.shape, want.toArray() as Nested, (a, b) => close(a, b, 1e-13, 1e-14));
      }),
      RUNS,
    );
    expect(T.logcumsumexp(array([1000, 1000, -Infinity, Infinity, 0]), 0).toArray()).toEqual([1000, 1000 + Math.LN2, 1000 + Math.LN2, Infinity, Infinity]);
    expect(T.logcumsumexp(array([-Infinity, -Infinity, NaN, 1]), 0).toArray()).toEqual([-Infinity, -Infinity, NaN, NaN]);
    expect(T.logcumsumexp(array([1, 2], undefined, "float32"), 0).dtype).toBe("float32");
  });
});

describe("linearRecurrence", () => {
  it("h_i = b_i + a_i h_(i-1) (reversed: h_(i+1)), along any axis, zeros in a included", () => {
    fc.assert(
      fc.property(caseArb("float64", (r) => (r() < 0.25 ? 0 : finiteDraw(r))), fc.integer(), fc.boolean(), ([a, axis], seed, reverse) => {
        const ax = axis < 0 ? axis + a.ndim : axis;
        const b = T.array(Array.from({ length: a.size }, (_, k) => Math.sin(seed + k)), a.shape.slice());
        const h = T.linearRecurrence(a, b, axis, reverse);
        const bl = new Map(lines(b, ax).map(({ outer, vals }) => [key(outer), vals]));
        const res = new Map<string, number[]>();
        for (const { outer, vals } of lines(a, ax)) {
          const bv = bl.get(key(outer))!;
          const n = vals.length;
          const out = new Array<number>(n);
          for (let t = 0; t < n; t++) {
            const i = reverse ? n - 1 - t : t;
            const prev = reverse ? i + 1 : i - 1;
            out[i] = t === 0 ? bv[i]! : bv[i]! + vals[i]! * out[prev]!;
          }
          res.set(key(outer), out);
        }
        expectArray(h, a.shape, fromLines(a.shape, ax, a.shape[ax]!, (o, j) => res.get(key(o))![j]!), same);
      }),
      RUNS,
    );
    expect(() => T.linearRecurrence(T.zeros([2]), T.zeros([3]), 0)).toThrow(/linearRecurrence: coefficients \[2\] and inputs \[3\]/);
  });
});

describe("cummax, cummin", () => {
  for (const [name, f, better] of [["cummax", T.cummax, (v: number, b: number) => v >= b], ["cummin", T.cummin, (v: number, b: number) => v <= b]] as const) {
    it(`${name}: values and indices by PyTorch's rule (NaN takes over, ties go to the later index)`, () => {
      fc.assert(
        fc.property(caseArb("float64", (r) => (r() < 0.1 ? NaN : smallIntDraw(r))), ([x, axis]) => {
          const ax = axis < 0 ? axis + x.ndim : axis;
          const [v, i] = f(x, axis);
          expect(i.dtype).toBe("int32");
          const vals = new Map<string, number[]>();
          const idxs = new Map<string, number[]>();
          for (const { outer, vals: line } of lines(x, ax)) {
            let best = line[0]!, at = 0;
            const vs: number[] = [], is: number[] = [];
            line.forEach((t, j) => {
              if (t !== t || (best === best && better(t, best))) { best = t; at = j; }
              vs.push(best);
              is.push(at);
            });
            vals.set(key(outer), vs);
            idxs.set(key(outer), is);
          }
          expectArray(v, x.shape, fromLines(x.shape, ax, x.shape[ax]!, (o, j) => vals.get(key(o))![j]!), same);
          expectArray(i, x.shape, fromLines(x.shape, ax, x.shape[ax]!, (o, j) => idxs.get(key(o))![j]!), same);
        }),
        RUNS,
      );
    });
  }
});

describe("sort and the selections", () => {
  const ties: Draw = (r) => (r() < 0.1 ? NaN : r() < 0.1 ? -0 : smallIntDraw(r));

  it("sort and argsort: the stable order, NaN last (first descending), any axis and layout, every dtype", () => {
    for (const dtype of ["float64", "float32", "int32"] as const) {
      fc.assert(
        fc.property(caseArb(dtype, dtype === "int32" ? smallIntDraw : ties), fc.boolean(), ([x, axis], desc) => {
          const ax = axis < 0 ? axis + x.ndim : axis;
          const [v, i] = T.sort(x, axis, desc);
          expect(v.dtype).toBe(dtype);
          const orders = new Map(lines(x, ax).map(({ outer, vals }) => [key(outer), { vals, order: refOrder(vals, desc) }]));
          expectArray(i, x.shape, fromLines(x.shape, ax, x.shape[ax]!, (o, j) => orders.get(key(o))!.order[j]!), same);
          expectArray(v, x.shape, fromLines(x.shape, ax, x.shape[ax]!, (o, j) => { const r = orders.get(key(o))!; return r.vals[r.order[j]!]!; }), same);
          expectArray(T.argsort(x, axis, desc), x.shape, i.toArray() as Nested, same);
        }),
        RUNS,
      );
    }
  });

  it("topk, kthvalue, median, mode, max/minWithIndices: what the stable sort of each line gives", () => {
    fc.assert(
      fc.property(caseArb("float64", ties), fc.nat(), fc.boolean(), fc.boolean(), ([x, axis], kk, largest, keepdims) => {
        const ax = axis < 0 ? axis + x.ndim : axis;
        const n = x.shape[ax]!;
        const ls = new Map(lines(x, ax).map(({ outer, vals }) => [key(outer), vals]));
        const pick = (name: string, pair: [NDArray, NDArray], len: number, which: (vals: number[]) => number[], kept = true) => {
          const shape = kept ? x.shape.map((d, i) => (i === ax ? len : d)) : x.shape.filter((_, i) => i !== ax);
          const per = (o: number[], j: number) => which(ls.get(key(o))!)[j]!;
          const wantI = kept ? fromLines(x.shape, ax, len, per) : build(shape, (o) => per(o, 0));
          expectArray(pair[1], shape, wantI, same, `${name} indices`);
          const wantV = kept ? fromLines(x.shape, ax, len, (o, j) => ls.get(key(o))![per(o, j)]!) : build(shape, (o) => ls.get(key(o))![per(o, 0)]!);
          expectArray(pair[0], shape, wantV, same, `${name} values`);
        };
        const k = kk % (n + 1);
        pick("topk", T.topk(x, k, axis, largest), k, (vals) => refOrder(vals, largest).slice(0, k));
        pick("topk unsorted", T.topk(x, k, axis, largest, false), k, (vals) => refOrder(vals, largest).slice(0, k).sort((a, b) => a - b));
        if (n === 0) return;
        const k1 = 1 + (kk % n);
        pick("kthvalue", T.kthvalue(x, k1, axis, keepdims), 1, (vals) => [refOrder(vals, false)[k1 - 1]!], keepdims);
        pick("median", T.medianWithIndices(x, axis, keepdims), 1, (vals) => {
          const nan = vals.findIndex((t) => t !== t);
          return [nan >= 0 ? nan : refOrder(vals, false)[(n - 1) >> 1]!];
        }, keepdims);
        pick("mode", T.mode(x, axis, keepdims), 1, (vals) => {
          // the most frequent (NaNs as one value), the smallest of those, its last index
          const eq = (a: number, b: number) => a === b || (a !== a && b !== b);
          const order = refOrder(vals, false);
          let best = -1, count = 0;
          for (const i of order) {
            const c = vals.filter((t) => eq(t, vals[i]!)).length;
            if (c > count) { count = c; best = i; } else if (eq(vals[i]!, vals[best]!)) best = Math.max(best, i);
          }
          return [best];
        }, keepdims);
        pick("maxWithIndices", T.maxWithIndices(x, axis, keepdims), 1, (vals) => {
          const nan = vals.findIndex((t) => t !== t);
          return [nan >= 0 ? nan : vals.indexOf(Math.max(...vals))];
        }, keepdims);
        pick("minWithIndices", T.minWithIndices(x, axis, keepdims), 1, (vals) => {
          const nan = vals.findIndex((t) => t !== t);
          return [nan >= 0 ? nan : vals.findIndex((t) => t === Math.min(...vals))];
        }, keepdims);
      }),
      RUNS,
    );
  });

  it("median with no axis: the lower median of all elements, a 0-d array", () => {
    expect(T.median(array([[4, 1], [3, 2]])).item()).toBe(2);
    expect(T.median(array([[4, 1], [3, 2]])).shape).toEqual([]);
    expect(T.medianWithIndices(array([[4, 1], [3, 2]]))[1].item()).toBe(3);
    expect(T.median(array([[4, 1], [3, 2]]), null, true).shape).toEqual([1, 1]);
  });
});

describe("integer reductions never wrap", () => {
  it("sum and prod of int32 and bool are float64, exact to 2^53", () => {
    const big = array([2e9, 2e9], undefined, "int32");
    expect(T.sum(big).dtype).toBe("float64");
    expect(T.sum(big).item()).toBe(4e9);
    expect(T.prod(array([65536, 65536, 3], undefined, "int32")).item()).toBe(65536 * 65536 * 3);
    expect(T.sum(array([true, false, true])).dtype).toBe("float64");
    expect(T.cumsum(big).toArray()).toEqual([2e9, 4e9]);
    expect(T.mean(big).item()).toBe(2e9);
    expect(T.sum(array([2 ** 30, 2 ** 30, 2 ** 30, 2 ** 30], [2, 2], "int32"), 0).toArray()).toEqual([2 ** 31, 2 ** 31]);
  });
});

describe("vectorNorm", () => {
  const formulas: [number | "fro", (a: number[]) => number][] = [
    [2, (a) => Math.sqrt(a.reduce((s, t) => s + t * t, 0))],
    ["fro", (a) => Math.sqrt(a.reduce((s, t) => s + t * t, 0))],
    [1, (a) => a.reduce((s, t) => s + Math.abs(t), 0)],
    [Infinity, (a) => Math.max(...a.map(Math.abs))],
    [-Infinity, (a) => Math.min(...a.map(Math.abs))],
    [0, (a) => a.filter((t) => t !== 0).length],
    [3, (a) => Math.cbrt(a.reduce((s, t) => s + Math.abs(t) ** 3, 0))],
    [0.5, (a) => a.reduce((s, t) => s + Math.sqrt(Math.abs(t)), 0) ** 2],
  ];
  for (const [p, ref] of formulas) {
    it(`ord ${String(p)} over one axis equals its formula`, () => {
      fc.assert(
        fc.property(caseArb("float64", (r) => (r() < 0.2 ? 0 : finiteDraw(r))), ([x, axis]) => {
          const ax = axis < 0 ? axis + x.ndim : axis;
          if (x.shape[ax] === 0 && (p === Infinity || p === -Infinity)) return;
          const got = T.vectorNorm(x, p, axis);
          const res = new Map(lines(x, ax).map(({ outer, vals }) => [key(outer), ref(vals)]));
          expectArray(got, x.shape.filter((_, i) => i !== ax), build(x.shape.filter((_, i) => i !== ax), (o) => res.get(key(o))!), (a, b) => close(a, b, 1e-13, 1e-300));
        }),
        RUNS,
      );
    });
  }
  it("keepdims, all axes, float32 and int inputs, bad orders", () => {
    expect(T.vectorNorm(array([[3, 4]]), 2, undefined, true).toArray()).toEqual([[5]]);
    expect(T.vectorNorm(array([3, 4], undefined, "float32")).dtype).toBe("float32");
    expect(T.vectorNorm(array([3, 4], undefined, "int32")).item()).toBe(5);
    expect(() => T.vectorNorm(array([1]), NaN)).toThrow(ValueError);
    expect(() => T.vectorNorm(T.zeros([0]), Infinity)).toThrow(ValueError);
    expect(T.vectorNorm(T.zeros([0]), 2).item()).toBe(0);
  });
});

describe("flatIndexAlong", () => {
  it("gives the flat positions that take_along_axis reads", () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3, maxDim: 4 }).filter((s) => s.every((d) => d > 0)), fc.nat(), fc.integer({ min: 1, max: 4 }), (shape, seed, m) => {
        const ax = seed % shape.length;
        const ishape = shape.map((d, i) => (i === ax ? m : d));
        const idx = new NDArray(Int32Array.from({ length: ishape.reduce((a, b) => a * b, 1) }, (_, k) => (seed + 7 * k) % shape[ax]!), ishape);
        const flat = T.flatIndexAlong(idx, shape, ax);
        const want = build(ishape, (p) => {
          const q = [...p];
          q[ax] = at(idx.toArray() as Nested, p);
          let f = 0;
          for (let i = 0; i < shape.length; i++) f = f * shape[i]! + q[i]!;
          return f;
        });
        expectArray(flat, ishape, want, same);
      }),
      RUNS,
    );
    expect(() => T.flatIndexAlong(array([3], undefined, "int32"), [3], 0)).toThrow(IndexError);
    expect(() => T.flatIndexAlong(array([[0]], undefined, "int32"), [2, 3], 1)).toThrow(ShapeError);
  });
});

describe("errors name the op and the values", () => {
  it("axes, k, empty lines", () => {
    const x = array([[1, 2, 3]]);
    expect(() => T.cumsum(x, 2)).toThrow(AxisError);
    expect(() => T.cummax(array(1), 0)).toThrow(AxisError);
    expect(() => T.sort(x, [0] as unknown as number)).toThrow(/sort: axis must be a single integer/);
    expect(() => T.topk(x, 4)).toThrow(/topk: k must be an integer in 0\.\.3 \(axis 1 of shape \[1,3\]\), got 4/);
    expect(() => T.kthvalue(x, 1.5)).toThrow(/kthvalue: k must be an integer in 1\.\.3/);
    expect(() => T.median(T.zeros([2, 0]), 1)).toThrow(/median: axis 1 of shape \[2,0\] is empty/);
    expect(() => T.maxWithIndices(T.zeros([0]), 0)).toThrow(ValueError);
    // an empty array sorts to an empty array
    expect(T.sort(T.zeros([2, 0]))[0].shape).toEqual([2, 0]);
  });
});
