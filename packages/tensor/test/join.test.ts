// concat, stack, split, chunk, take and indexAdd on random layouts, against index arithmetic
// on the nested arrays.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { NDArray, array, type DType } from "../src/index.js";
import { RUNS, arrayArb, at, build, expectArray, indices, ravel, shapeArb, size, type Nested } from "./helpers.js";

/** Arrays that agree on every axis but `axis`, which varies (0 included), with mixed layouts and dtypes. */
const concatArb = shapeArb({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((shape) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: shape.length - 1 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom<DType>("float64", "float32", "float64")), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .chain(([axis, parts, neg]) =>
      fc.tuple(
        fc.constant(neg ? axis - shape.length : axis),
        fc.tuple(...parts.map(([n, dt]) => arrayArb(shape.map((d, i) => (i === axis ? n : d)), { dtype: dt }))),
      ),
    ),
);

describe("concat and stack", () => {
  it("concat places each array's elements after the previous ones along the axis", () => {
    fc.assert(
      fc.property(concatArb, ([axis, arrays]) => {
        const y = T.concat(arrays, axis);
        const ax = axis < 0 ? axis + arrays[0]!.ndim : axis;
        const starts: number[] = [];
        let total = 0;
        for (const a of arrays) {
          starts.push(total);
          total += a.shape[ax]!;
        }
        const shape = arrays[0]!.shape.map((d, i) => (i === ax ? total : d));
        const nested = arrays.map((a) => a.toArray() as Nested);
        expect(y.dtype).toBe(arrays.some((a) => a.dtype === "float64") ? "float64" : "float32");
        expectArray(y, shape, build(shape, (idx) => {
          const k = idx[ax]!;
          const p = arrays.findIndex((a, i) => starts[i]! <= k && k < starts[i]! + a.shape[ax]!);
          return at(nested[p]!, idx.map((v, i) => (i === ax ? v - starts[p]! : v)));
        }));
        expect(y.data).not.toBe(arrays[0]!.data);
      }),
      RUNS,
    );
  });

  it("stack puts the arrays on a new axis", () => {
    const arb = shapeArb({ maxRank: 3, maxDim: 4 }).chain((shape) =>
      fc.tuple(fc.integer({ min: -(shape.length + 1), max: shape.length }), fc.array(arrayArb(shape), { minLength: 1, maxLength: 4 })),
    );
    fc.assert(
      fc.property(arb, ([axis, arrays]) => {
        const y = T.stack(arrays, axis);
        const ax = axis < 0 ? axis + arrays[0]!.ndim + 1 : axis;
        const shape = [...arrays[0]!.shape];
        shape.splice(ax, 0, arrays.length);
        const nested = arrays.map((a) => a.toArray() as Nested);
        expectArray(y, shape, build(shape, (idx) => at(nested[idx[ax]!]!, idx.filter((_, i) => i !== ax))));
      }),
      RUNS,
    );
  });

  it("concat of a 0-d array is refused; stack of 0-d arrays makes a vector", () => {
    expect(() => T.concat([T.scalar(1)])).toThrow(T.ShapeError);
    expect(T.stack([T.scalar(1), T.scalar(2)]).toArray()).toEqual([1, 2]);
  });
});

describe("split and chunk", () => {
  const arb = shapeArb({ minRank: 1, maxRank: 3, maxDim: 6 }).chain((shape) =>
    fc.tuple(arrayArb(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.nat({ max: 6 }), { maxLength: 4 })),
  );

  /** The parts' ranges along the axis, and that each part reads x there and shares its storage. */
  function checkParts(x: NDArray, ax: number, parts: NDArray[], bounds: number[]): void {
    expect(parts.length).toBe(bounds.length - 1);
    const xs = x.toArray() as Nested;
    parts.forEach((p, k) => {
      const lo = bounds[k]!;
      const shape = x.shape.map((d, i) => (i === ax ? bounds[k + 1]! - lo : d));
      expectArray(p, shape, build(shape, (idx) => at(xs, idx.map((v, i) => (i === ax ? v + lo : v)))));
      expect(p.data).toBe(x.data);
    });
  }

  it("split by a count gives equal parts, by indices the parts between them (views)", () => {
    fc.assert(
      fc.property(arb, ([x, ax, count, cuts]) => {
        const n = x.shape[ax]!;
        if (n % count === 0) {
          checkParts(x, ax, T.split(x, count, ax), Array.from({ length: count + 1 }, (_, i) => (i * n) / count));
        } else {
          expect(() => T.split(x, count, ax)).toThrow(T.ShapeError);
        }
        const idx = cuts.map((c) => Math.min(c, n)).sort((a, b) => a - b);
        checkParts(x, ax, x.split(idx, ax), [0, ...idx, n]);
      }),
      RUNS,
    );
  });

  it("chunk gives parts of ceil(n / chunks), the last one smaller, as torch does", () => {
    fc.assert(
      fc.property(arb, ([x, ax, chunks]) => {
        const n = x.shape[ax]!;
        const w = Math.ceil(n / chunks);
        const bounds = [0];
        for (let s = w; s < n; s += w) bounds.push(s);
        bounds.push(n);
        if (n === 0) {
          // An empty axis: whatever the count of parts, they hold nothing.
          expect(T.chunk(x, chunks, ax).every((p) => p.shape[ax] === 0)).toBe(true);
          return;
        }
        checkParts(x, ax, T.chunk(x, chunks, ax), bounds);
        expect(x.chunk(chunks, ax).length).toBe(bounds.length - 1);
      }),
      RUNS,
    );
    // torch.chunk(torch.arange(5), 3) -> sizes 2, 2, 1; torch.chunk(torch.arange(6), 4) -> 2, 2, 2
    expect(T.chunk(T.arange(5), 3).map((p) => p.size)).toEqual([2, 2, 1]);
    expect(T.chunk(T.arange(6), 4).map((p) => p.size)).toEqual([2, 2, 2]);
  });
});

describe("take and indexAdd", () => {
  const arb = shapeArb({ minRank: 1, maxRank: 3, maxDim: 5 })
    .filter((s) => s.every((d) => d > 0))
    .chain((shape) =>
      fc.tuple(
        arrayArb(shape),
        fc.integer({ min: 0, max: shape.length - 1 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
        fc.integer(),
        fc.constantFrom("list", "int32", "float64", "strided", "number"),
      ),
    );

  function indicesFor(n: number, ishape: number[], seed: number, kind: string): { ids: T.Indices; flat: number[]; shape: number[] } {
    let s = seed >>> 0;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % (2 * n)) - n; // in [-n, n)
    if (kind === "number") {
      const v = next();
      return { ids: v, flat: [v], shape: [] };
    }
    const flat = Array.from({ length: size(ishape) }, next);
    if (kind === "list" && ishape.length === 1) return { ids: flat, flat, shape: ishape };
    if (kind === "int32") return { ids: array(flat, ishape, "int32"), flat, shape: ishape };
    if (kind === "strided" && flat.length > 0) {
      // The same indices through a reversed view of a larger int32 array.
      const big = array([...flat.slice().reverse(), 0].flatMap((v) => [v, 99]), [flat.length + 1, 2], "int32");
      const v = big.slice([flat.length - 1, null, -1], 0).reshape(ishape);
      return { ids: v, flat, shape: ishape };
    }
    return { ids: array(flat, ishape), flat, shape: ishape };
  }

  it("take gathers a.shape[:axis] + indices.shape + a.shape[axis+1:], negative indices from the end", () => {
    fc.assert(
      fc.property(arb, ([x, ax, ishape, seed, kind]) => {
        const n = x.shape[ax]!;
        const { ids, flat, shape: is } = indicesFor(n, ishape, seed, kind);
        const y = T.take(x, ids, ax);
        const shape = [...x.shape.slice(0, ax), ...is, ...x.shape.slice(ax + 1)];
        const xs = x.toArray() as Nested;
        expectArray(y, shape, build(shape, (idx) => {
          const k = flat[ravel(idx.slice(ax, ax + is.length), is)]!;
          return at(xs, [...idx.slice(0, ax), k < 0 ? k + n : k, ...idx.slice(ax + is.length)]);
        }));
        expect(y.dtype).toBe(x.dtype);
      }),
      RUNS,
    );
  });

  it("take without an axis gathers from the flattened array", () => {
    const x = T.arange(12).reshape(3, 4).T;
    expect(T.take(x, [0, 1, -1]).toArray()).toEqual([0, 4, 11]);
    expect(x.take(array([[5]], undefined, "int32")).toArray()).toEqual([[9]]);
  });

  it("indexAdd accumulates src into target at the indices (repeats add up), and is take's adjoint", () => {
    fc.assert(
      fc.property(arb, fc.integer(), ([x0, ax, ishape, seed, kind], seed2) => {
        const target = x0.copy().astype("float64");
        const base = target.toArray() as Nested;
        const n = target.shape[ax]!;
        const { ids, flat, shape: is } = indicesFor(n, ishape, seed, kind);
        const sshape = [...target.shape.slice(0, ax), ...is, ...target.shape.slice(ax + 1)];
        const src = array(Array.from({ length: size(sshape) }, (_, i) => ((i * 7 + seed2) % 11) - 5), sshape);
        const want = build(target.shape, (idx) => at(base, idx));
        const set = (idx: number[], v: number) => {
          let cur = want as Nested[];
          for (const i of idx.slice(0, -1)) cur = cur[i] as Nested[];
          cur[idx[idx.length - 1]!] = v;
        };
        const srcs = src.toArray() as Nested;
        for (const sidx of indices(sshape)) {
          const k = flat[ravel(sidx.slice(ax, ax + is.length), is)]!;
          const tidx = [...sidx.slice(0, ax), k < 0 ? k + n : k, ...sidx.slice(ax + is.length)];
          set(tidx, at(want, tidx) + at(srcs, sidx));
        }
        const v0 = target.version;
        expect(T.indexAdd(target, ids, src, ax)).toBe(target);
        expectArray(target, target.shape, want, (a, b) => a === b || (a !== a && b !== b));
        expect(target.version).toBeGreaterThan(v0);
      }),
      RUNS,
    );
    // np.add.at(z, [0, 2, 0], [1, 2, 3]) on zeros(3) -> [4, 0, 2]
    const z = T.zeros([3]);
    T.indexAdd(z, [0, 2, 0], array([1, 2, 3]));
    expect(z.toArray()).toEqual([4, 0, 2]);
  });

  it("indexAdd into a strided view writes only the view's elements", () => {
    const base = T.zeros([4, 6]);
    const v = base.slice([null, null, -1], [null, null, 2]); // rows reversed, every other column
    T.indexAdd(v, [1, 1], T.ones([4, 2]), 1);
    const want = [0, 0, 2, 0, 0, 0];
    expect(base.toArray()).toEqual([want, want, want, want]);
  });

  it("indexAdd reads src before writing when src is a view of the target", () => {
    const t = array([1, 2, 3, 4]);
    T.indexAdd(t, [1, 2, 3], t.slice([0, 3]));
    // np.add.at(t, [1, 2, 3], t[0:3].copy())
    expect(t.toArray()).toEqual([1, 3, 5, 7]);
  });

  it("int32 indices beyond 32 bits are out of range, not wrapped", () => {
    const x = T.arange(5);
    expect(() => T.take(x, 2 ** 32)).toThrow(T.IndexError);
    expect(() => T.take(x, [2 ** 32 + 1])).toThrow(T.IndexError);
    expect(() => T.take(x, [-(2 ** 32)])).toThrow(/4294967296/);
  });

  it("int32 tables gather into int32", () => {
    const x = array([[1, 2], [3, 4]], undefined, "int32");
    expect(T.take(x, [1, 0, 1], 0).dtype).toBe("int32");
    expect(T.take(x, [1, 0, 1], 0).toArray()).toEqual([[3, 4], [1, 2], [3, 4]]);
  });
});
