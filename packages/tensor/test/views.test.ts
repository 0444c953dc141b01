// Views: layouts built through permute/slice/broadcastTo read the elements the layout says;
// slicing follows Python's start:stop:step; views share storage; broadcast views are
// read-only; reshape is a view exactly when some strides can express it (numpy's rule).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NDArray, ReadOnlyError, arange, array, add, exp, zeros, type DType } from "../src/index.js";
import {
  RUNS, arrayArb, at, bidx, build, expectArray, flatten, indices, layoutArb, layoutValue, makeArray, ravel,
  drawValues, shapeArb, size, storageOf, storageShape,
} from "./helpers.js";

/** Storage offsets of an array's elements in C order, from shape/strides/offset alone. */
function offsets(x: NDArray): number[] {
  return indices(x.shape).map((idx) => x.offset + idx.reduce((s, v, i) => s + v * x.strides[i]!, 0));
}

describe("layouts", () => {
  it("a permuted, stepped, padded, broadcast view reads the elements its layout names", () => {
    const arb = shapeArb().chain((shape) =>
      fc.tuple(fc.constant(shape), layoutArb(shape), fc.integer()).map(([sh, l, seed]) =>
        [sh, l, drawValues(size(storageShape(sh, l)), seed, (r) => Math.floor(r() * 199) - 99)] as const),
    );
    fc.assert(
      fc.property(arb, ([shape, l, values]) => {
        const x = makeArray(shape, l, values);
        const want = build(shape, (idx) => layoutValue(shape, l, values, idx));
        expectArray(x, shape, want);
        for (const idx of indices(shape)) expect(x.get(...idx)).toBe(layoutValue(shape, l, values, idx));
        // The C-order flat copies agree with the nested view.
        expect(x.toFlat()).toEqual(flatten(want));
        expectArray(x.contiguous(), shape, want);
      }),
      RUNS,
    );
  });

  it("get accepts negative indices as numpy does", () => {
    const x = arange(12).reshape(3, 4);
    expect(x.get(-1, -1)).toBe(11);
    expect(x.get(-3, 0)).toBe(0);
    expect(x.get(1, -4)).toBe(4);
  });

  it("isContiguous is true exactly when the C-order offsets are offset, offset+1, ...", () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayArb(s)), (x) => {
        const offs = offsets(x);
        const want = offs.every((o, i) => o === x.offset + i);
        expect(x.isContiguous()).toBe(want);
      }),
      RUNS,
    );
  });

  it("contiguous() returns the array itself when contiguous, else a C-ordered copy", () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayArb(s)), (x) => {
        const c = x.contiguous();
        if (x.isContiguous()) {
          expect(c).toBe(x);
        } else {
          expect(c.data).not.toBe(x.data);
          expect(offsets(c)).toEqual(Array.from({ length: x.size }, (_, i) => c.offset + i));
          expect(c.toArray()).toEqual(x.toArray());
          expect(c.writable).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- slice

type Spec = number | null | [number | null, number | null, number | null];

/** Python's slice.indices followed by range(): the indices a[start:stop:step] selects. */
function pySlice(d: number, start: number | null, stop: number | null, step: number | null): number[] {
  const s = step ?? 1;
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
  let b: number;
  let e: number;
  if (s > 0) {
    b = start === null ? 0 : norm(start, 0, d);
    e = stop === null ? d : norm(stop, 0, d);
  } else {
    b = start === null ? d - 1 : norm(start, -1, d - 1);
    e = stop === null ? -1 : norm(stop, -1, d - 1);
  }
  const out: number[] = [];
  for (let i = b; s > 0 ? i < e : i > e; i += s) out.push(i);
  return out;
}

function specArb(d: number): fc.Arbitrary<Spec> {
  const bound = fc.oneof(fc.constant(null), fc.integer({ min: -d, max: d }));
  const range = fc.tuple(bound, bound, fc.constantFrom(null, 1, 2, 3, -1, -2, -3)) as fc.Arbitrary<Spec>;
  if (d === 0) return fc.oneof(fc.constant(null), range);
  return fc.oneof(fc.constant(null), fc.integer({ min: -d, max: d - 1 }), range, range);
}

describe("slice", () => {
  it("selects what Python's start:stop:step selects, on any layout", () => {
    const arb = shapeArb({ minRank: 1 }).chain((shape) =>
      fc.tuple(arrayArb(shape), fc.tuple(...shape.map(specArb)) as fc.Arbitrary<Spec[]>, fc.integer({ min: 0, max: shape.length })),
    );
    fc.assert(
      fc.property(arb, ([x, specs, nspecs]) => {
        const used = specs.slice(0, nspecs);
        const v = x.slice(...used);
        const xs = x.toArray() as never;
        // Per axis: the source indices selected, or a single index that drops the axis.
        const picks = x.shape.map((d, i) => {
          const sp = used[i];
          if (sp === undefined || sp === null) return Array.from({ length: d }, (_, k) => k);
          if (typeof sp === "number") return sp < 0 ? sp + d : sp;
          return pySlice(d, sp[0], sp[1], sp[2]);
        });
        const outShape = picks.filter((p) => Array.isArray(p)).map((p) => (p as number[]).length);
        const want = build(outShape, (idx) => {
          let k = 0;
          const src = picks.map((p) => (Array.isArray(p) ? p[idx[k++]!]! : p));
          return at(xs, src);
        });
        expectArray(v, outShape, want);
        expect(v.data).toBe(x.data);
      }),
      { numRuns: 150 },
    );
  });

  it("accepts { start, stop, step } objects like tuples", () => {
    const x = arange(10);
    expect(x.slice({ start: 8, stop: 1, step: -3 }).toArray()).toEqual([8, 5, 2]);
    expect(x.slice({ step: -1 }).toArray()).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(x.slice([-3]).toArray()).toEqual([7, 8, 9]);
    expect(x.slice([null, -7]).toArray()).toEqual([0, 1, 2]);
  });
});

// ---------------------------------------------------------------- other views

describe("permute, transpose, swapaxes, squeeze, unsqueeze, broadcastTo", () => {
  const permArb = shapeArb().chain((shape) =>
    fc.tuple(arrayArb(shape), fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length })),
  );

  it("permute(p) reads x[idx[p^-1]]", () => {
    fc.assert(
      fc.property(permArb, ([x, p]) => {
        const v = x.permute(p);
        const outShape = p.map((i) => x.shape[i]!);
        const xs = x.toArray() as never;
        expectArray(v, outShape, build(outShape, (idx) => {
          const src = new Array<number>(p.length);
          p.forEach((ax, k) => (src[ax] = idx[k]!));
          return at(xs, src);
        }));
        expect(v.data).toBe(x.data);
      }),
      RUNS,
    );
  });

  it("transpose() and .T reverse the axes; swapaxes swaps two", () => {
    const x = arange(24).reshape(2, 3, 4);
    const t = x.transpose();
    expect(t.shape).toEqual([4, 3, 2]);
    expect(t.get(3, 2, 1)).toBe(x.get(1, 2, 3));
    expect(x.T.shape).toEqual([4, 3, 2]);
    const s = x.swapaxes(0, -1);
    expect(s.shape).toEqual([4, 3, 2]);
    expect(s.get(3, 1, 0)).toBe(x.get(0, 1, 3));
    expect(x.transpose(1, 0, 2).get(2, 1, 3)).toBe(x.get(1, 2, 3));
  });

  it("squeeze drops size-1 axes (all, or the named ones); unsqueeze inserts one", () => {
    const arb = shapeArb({ maxRank: 4, maxDim: 3 }).chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -(shape.length + 1), max: shape.length })));
    fc.assert(
      fc.property(arb, ([x, ax]) => {
        const xs = x.toArray() as never;
        const sq = x.squeeze();
        const keep = x.shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
        const sqShape = keep.map((i) => x.shape[i]!);
        expectArray(sq, sqShape, build(sqShape, (idx) => at(xs, x.shape.map((d, i) => (d === 1 ? 0 : idx[keep.indexOf(i)]!)))));
        const u = x.unsqueeze(ax);
        const pos = ax < 0 ? ax + x.ndim + 1 : ax;
        const uShape = [...x.shape.slice(0, pos), 1, ...x.shape.slice(pos)];
        expectArray(u, uShape, build(uShape, (idx) => at(xs, idx.filter((_, i) => i !== pos))));
        expect(u.squeeze(pos).toArray()).toEqual(xs);
        expect(u.data).toBe(x.data);
        // A unit axis inserted anywhere leaves a contiguous array contiguous.
        if (x.isContiguous()) expect(u.isContiguous()).toBe(true);
      }),
      RUNS,
    );
    const y = zeros([1, 3, 1]);
    expect(y.squeeze(0).shape).toEqual([3, 1]);
    expect(y.squeeze([0, -1]).shape).toEqual([3]);
  });

  it("broadcastTo reads x at the broadcast index, with stride 0 on stretched dims", () => {
    const arb = shapeArb().chain((out) =>
      fc.record({ ones: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }), drop: fc.integer({ min: 0, max: out.length }) })
        .chain(({ ones, drop }) => {
          const s = out.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d));
          return fc.tuple(fc.constant(out), arrayArb(s));
        }),
    );
    fc.assert(
      fc.property(arb, ([out, x]) => {
        const v = x.broadcastTo(out);
        const xs = x.toArray() as never;
        expectArray(v, out, build(out, (idx) => at(xs, bidx(idx, x.shape))));
        const lead = out.length - x.ndim;
        out.forEach((d, i) => {
          if (i < lead || (x.shape[i - lead] === 1 && d !== 1)) expect(v.strides[i]).toBe(0);
        });
        expect(v.data).toBe(x.data);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- sharing storage

describe("views share storage", () => {
  const arb = shapeArb({ minRank: 1 }).filter((s) => size(s) > 0).chain((shape) =>
    fc.tuple(arrayArb(shape, { broadcast: false }), fc.nat(), fc.constantFrom("permute", "slice", "reshape", "unsqueeze", "squeeze", "T", "flatten", "split")),
  );

  it("writing through a view shows in the base and the other way round", () => {
    fc.assert(
      fc.property(arb, ([x, pick, kind]) => {
        let v: NDArray;
        switch (kind) {
          case "permute": v = x.permute([...x.shape.keys()].reverse()); break;
          case "slice": v = x.slice(...x.shape.map((d) => [d - 1, null, -1] as [number, null, number])); break;
          case "reshape": v = x.reshape(-1); break;
          case "unsqueeze": v = x.unsqueeze(0); break;
          case "squeeze": v = x.squeeze(); break;
          case "T": v = x.T; break;
          case "flatten": v = x.flatten(); break;
          default: v = x.split([0], 0)[1]!;
        }
        if (v.data !== x.data) {
          // reshape may copy; that case is tested below. Everything else must share.
          expect(["reshape", "flatten"]).toContain(kind);
          return;
        }
        const vIdx = indices(v.shape)[pick % v.size]!;
        const before = x.version;
        v.set(vIdx, 12345);
        expect(x.version).toBe(before + 1);
        // Find where that element sits in x by its storage offset.
        const vOff = v.offset + vIdx.reduce((s, k, i) => s + k * v.strides[i]!, 0);
        const xIdx = indices(x.shape).find((idx) => x.offset + idx.reduce((s, k, i) => s + k * x.strides[i]!, 0) === vOff)!;
        expect(x.get(...xIdx)).toBe(12345);
        x.set(xIdx, -777);
        expect(v.get(...vIdx)).toBe(-777);
      }),
      RUNS,
    );
  });

  it("in-place ops through a slice write into the base", () => {
    const base = arange(12).reshape(3, 4);
    const col = base.slice(null, 1);
    col.fill(-1);
    expect(base.toArray()).toEqual([[0, -1, 2, 3], [4, -1, 6, 7], [8, -1, 10, 11]]);
    const rev = base.slice([null, 0, -1], [1, 3]); // rows 2, 1; columns 1, 2
    rev.assign(array([[100, 200], [300, 400]]));
    expect(base.toArray()).toEqual([[0, -1, 2, 3], [4, 300, 400, 7], [8, 100, 200, 11]]);
    add(rev, rev.slice([null, null, -1]), rev); // rev + rev with its rows swapped, in place
    expect(base.toArray()).toEqual([[0, -1, 2, 3], [4, 400, 600, 7], [8, 400, 600, 11]]);
  });
});

describe("broadcast views are read-only", () => {
  it("set, fill, assign, out= and indexAdd on a stretched view throw ReadOnlyError and write nothing", () => {
    const base = arange(3);
    const b = base.broadcastTo([2, 3]);
    expect(b.writable).toBe(false);
    const v0 = base.version;
    const stored = Array.from(base.data);
    expect(() => b.set([0, 0], 5)).toThrow(ReadOnlyError);
    expect(() => b.fill(5)).toThrow(ReadOnlyError);
    expect(() => b.assign(1)).toThrow(ReadOnlyError);
    expect(() => exp(zeros([2, 3]), b)).toThrow(ReadOnlyError);
    expect(() => add(zeros([2, 3]), 1, b)).toThrow(ReadOnlyError);
    expect(() => b.fill(5)).toThrow(/fill.*\[2,3\]/);
    expect(base.version).toBe(v0);
    expect(Array.from(base.data)).toEqual(stored);
    // Views of a read-only view stay read-only; a copy is writable.
    expect(b.slice(0).writable).toBe(false);
    expect(b.T.writable).toBe(false);
    expect(b.reshape(2, 1, 3).writable).toBe(false);
    expect(() => b.T.fill(1)).toThrow(ReadOnlyError);
    expect(b.contiguous().writable).toBe(true);
    expect(b.copy().writable).toBe(true);
    // The base itself stays writable.
    base.set([0], 7);
    expect(b.get(1, 0)).toBe(7);
  });
});

// ---------------------------------------------------------------- reshape

/**
 * Strides that express `target` over x's elements without copying, if any exist: the stride
 * of each axis is read off the storage offsets and then checked at every element. This is the
 * definition of "reshape can be a view", independent of how reshape searches for one.
 */
function viewPossible(x: NDArray, target: readonly number[]): boolean {
  const offs = offsets(x);
  if (offs.length <= 1) return true;
  const st = target.map((d, i) => (d <= 1 ? 0 : offs[ravel(target.map((_, j) => (j === i ? 1 : 0)), target)]! - offs[0]!));
  return indices(target).every((idx, f) => offs[f] === offs[0]! + idx.reduce((s, k, i) => s + k * st[i]!, 0));
}

/** Random shapes of the same size: merge runs of adjacent dims, split some, insert 1s. */
function reshapeTargetArb(shape: readonly number[]): fc.Arbitrary<number[]> {
  return fc.array(fc.nat(), { minLength: 12, maxLength: 12 }).map((r) => {
    const dims = shape.filter((d) => d !== 1);
    let t: number[] = [];
    let k = 0;
    for (let i = 0; i < dims.length; ) {
      const len = 1 + (r[k++ % r.length]! % 3);
      t.push(dims.slice(i, i + len).reduce((a, b) => a * b, 1));
      i += len;
    }
    t = t.flatMap((d, i) => {
      const c = r[(k + i) % r.length]!;
      for (let f = 2; f < d; f++) if (d % f === 0 && c % 2 === 0) return [f, d / f];
      return [d];
    });
    if (r[0]! % 3 === 0) t.splice(r[1]! % (t.length + 1), 0, 1);
    if (r[2]! % 4 === 0) t.push(1);
    return t;
  });
}

describe("reshape", () => {
  it("keeps C order, and is a view exactly when strides can express the new shape", () => {
    const arb = shapeArb({ maxRank: 4, maxDim: 4 }).chain((shape) => fc.tuple(arrayArb(shape), reshapeTargetArb(shape), fc.boolean()));
    let views = 0;
    let copies = 0;
    fc.assert(
      fc.property(arb, ([x, target, useInfer]) => {
        const arg = useInfer && target.length > 0 && size(x.shape) > 0 ? target.map((d, i) => (i === 0 ? -1 : d)) : target;
        const r = x.reshape(arg);
        expect(r.shape).toEqual(target);
        expect(r.toFlat()).toEqual(x.toFlat());
        if (viewPossible(x, target)) {
          views++;
          expect(r.data).toBe(x.data);
          expect(r.writable).toBe(x.writable);
          if (x.writable && r.size > 0) {
            r.set(new Array<number>(target.length).fill(0), 4242);
            expect(x.toFlat()[0]).toBe(4242);
          }
        } else {
          copies++;
          expect(r.data).not.toBe(x.data);
          expect(r.writable).toBe(true);
        }
      }),
      // a fixed seed: the coverage check below is about this draw, not a lucky one
      { numRuns: 200, seed: 20261202 },
    );
    // The draw covers both outcomes.
    expect(views).toBeGreaterThan(10);
    expect(copies).toBeGreaterThan(10);
  });

  it("examples numpy gives: a transposed matrix flattens by copy, splits its rows by view", () => {
    const x = arange(6).reshape(2, 3);
    expect(x.reshape(3, 2).data).toBe(x.data);
    const t = x.T; // (3, 2), strides (1, 3)
    const f = t.reshape(6);
    expect(f.data).not.toBe(x.data);
    expect(f.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    expect(t.reshape(3, 1, 2).data).toBe(x.data);
    const y = arange(24).reshape(2, 3, 4).permute(1, 0, 2); // (3, 2, 4): the last axis stays contiguous
    expect(y.reshape(3, 8).data).not.toBe(y.data);
    expect(y.reshape(3, 2, 2, 2).data).toBe(y.data);
    expect(y.reshape(3, 2, 2, 2).get(2, 1, 1, 0)).toBe(y.get(2, 1, 2));
    const s = arange(20).reshape(4, 5).slice([null, null, 2], [1, 5]); // (2, 4) rows 0,2, cols 1..4
    expect(s.reshape(8).data).not.toBe(s.data);
    expect(s.reshape(2, 2, 2).data).toBe(s.data);
  });
});

// ---------------------------------------------------------------- copies

describe("copy and astype", () => {
  const toInt32 = (v: number) => (Number.isFinite(v) ? Math.trunc(v) : NaN);
  const conv: Record<DType, (v: number) => number> = {
    float64: (v) => v,
    float32: Math.fround,
    int32: toInt32,
    bool: (v) => (v !== 0 ? 1 : 0),
  };

  it("astype converts each element as numpy does and always copies", () => {
    const arb = shapeArb().chain((s) =>
      fc.tuple(
        arrayArb(s, { values: (r) => (r() < 0.3 ? [0, -0, 0.5, -0.5, 256, 1e-300, NaN, 3.9, -3.9][Math.floor(r() * 9)]! : (r() - 0.5) * 2e6) }),
        fc.constantFrom<DType>("float64", "float32", "int32", "bool"),
      ),
    );
    fc.assert(
      fc.property(arb, ([x, dt]) => {
        const y = x.astype(dt);
        expect(y.dtype).toBe(dt);
        expect(y.data).not.toBe(x.data);
        const xs = x.toArray() as never;
        expectArray(y, x.shape, build(x.shape, (idx) => conv[dt](at(xs, idx))), (a, b) => (b !== b ? dt !== "float64" && dt !== "float32" ? true : a !== a : a === b));
      }),
      RUNS,
    );
  });

  it("to bool: nonzero is true, NaN included (numpy's bool(nan) is True)", () => {
    expect(array([0, -0, 0.5, 256, NaN, -1e-300]).astype("bool").toArray()).toEqual([false, false, true, true, true, true]);
    expect(array([2, 0.5, 0], undefined, "bool").toArray()).toEqual([true, true, false]);
  });

  it("copy() of any layout is contiguous, equal, and independent", () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => arrayArb(s)), (x) => {
        const c = x.copy();
        expect(c.isContiguous()).toBe(true);
        expect(c.dtype).toBe(x.dtype);
        expectArray(c, x.shape, x.toArray() as never);
        if (c.size > 0) {
          const before = x.toArray();
          c.fill(31337);
          expect(x.toArray()).toEqual(before);
        }
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- in-place writes on raw strided views

/**
 * A strided view of a storage of length L with strides of any sign. With selfOverlap false the
 * strides are products of the extents in a random axis order (so no two elements alias), with
 * random gaps when they fit; otherwise any strides in [-5, 5], 0 included.
 */
function rawViewArb(L: number, shape: readonly number[], { selfOverlap = true } = {}): fc.Arbitrary<{ strides: number[]; offset: number }> {
  const r = shape.length;
  const place = (strides: number[], u: number) => {
    let lo = 0;
    let hi = 0;
    shape.forEach((d, i) => {
      const span = strides[i]! * Math.max(d - 1, 0);
      if (span < 0) lo += span;
      else hi += span;
    });
    if (hi - lo > L - 1) return null;
    return { strides, offset: -lo + (u % (L - (hi - lo))) };
  };
  if (selfOverlap) {
    return fc
      .tuple(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: r, maxLength: r }), fc.nat())
      .map(([st, u]) => place(st, u) ?? place(st.map((v) => Math.sign(v)), u)!);
  }
  return fc
    .tuple(
      fc.shuffledSubarray([...shape.keys()], { minLength: r, maxLength: r }),
      fc.array(fc.boolean(), { minLength: r, maxLength: r }),
      fc.array(fc.constantFrom(1, 1, 2), { minLength: r, maxLength: r }),
      fc.nat(),
    )
    .map(([order, neg, gaps, u]) => {
      const make = (g: number[]) => {
        const st = new Array<number>(r).fill(0);
        let acc = 1;
        for (const [k, ax] of order.entries()) {
          st[ax] = neg[ax] ? -acc : acc;
          acc *= Math.max(shape[ax]!, 1) * g[k]!;
        }
        return st;
      };
      return place(make(gaps), u) ?? place(make(gaps.map(() => 1)), u)!;
    });
}

function rawOffsets(shape: readonly number[], strides: readonly number[], offset: number): number[] {
  return indices(shape).map((idx) => idx.reduce((s, k, i) => s + k * strides[i]!, offset));
}

describe("assign, fill and out= on overlapping views of one storage", () => {
  const L = 70;
  const arb = shapeArb({ maxRank: 3, maxDim: 4 }).chain((dshape) =>
    fc.record({
      dshape: fc.constant(dshape),
      sshape: fc.record({ drop: fc.integer({ min: 0, max: dshape.length }), ones: fc.array(fc.boolean(), { minLength: dshape.length, maxLength: dshape.length }) })
        .map(({ drop, ones }) => dshape.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d))),
      values: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: L, maxLength: L }),
      dst: rawViewArb(L, dshape, { selfOverlap: false }),
      dtype: fc.constantFrom<DType>("float64", "float32"),
    }).chain((r) => fc.tuple(fc.constant(r), rawViewArb(L, r.sshape))),
  );

  it("assign reads the source as it was before the write, whatever the overlap", () => {
    fc.assert(
      fc.property(arb, ([{ dshape, sshape, values, dst, dtype }, src]) => {
        const base = array(values, [L], dtype);
        const d = base.view(dshape, dst.strides, dst.offset);
        const s = base.view(sshape, src.strides, src.offset);
        const before = storageOf(base);
        const want = before.slice();
        const doffs = rawOffsets(dshape, dst.strides, dst.offset);
        indices(dshape).forEach((idx, f) => {
          want[doffs[f]!] = before[bidx(idx, sshape).reduce((acc, k, i) => acc + k * src.strides[i]!, src.offset)]!;
        });
        const v0 = base.version;
        d.assign(s);
        expect(storageOf(base)).toEqual(want);
        expect(base.version).toBeGreaterThan(v0);
      }),
      { numRuns: 150 },
    );
  });

  it("fill writes every element of the view and nothing else", () => {
    fc.assert(
      fc.property(arb, ([{ dshape, values, dst }]) => {
        const base = array(values, [L]);
        const want = values.slice();
        for (const o of rawOffsets(dshape, dst.strides, dst.offset)) want[o] = 0.25;
        base.view(dshape, dst.strides, dst.offset).fill(0.25);
        expect(Array.from(base.data)).toEqual(want);
      }),
      RUNS,
    );
  });

  it("a unary op with out= overlapping its input reads every input before writing", () => {
    const uarb = shapeArb({ maxRank: 3, maxDim: 4 }).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.array(fc.integer({ min: -50, max: 50 }), { minLength: L, maxLength: L }), rawViewArb(L, shape, { selfOverlap: false }), rawViewArb(L, shape)),
    );
    fc.assert(
      fc.property(uarb, ([shape, values, o, i]) => {
        const base = array(values, [L]);
        const want = values.slice();
        const io = rawOffsets(shape, i.strides, i.offset);
        rawOffsets(shape, o.strides, o.offset).forEach((p, f) => (want[p] = -values[io[f]!]!));
        const out = base.view(shape, o.strides, o.offset);
        const r = base.view(shape, i.strides, i.offset).neg(out);
        expect(r).toBe(out);
        expect(Array.from(base.data)).toEqual(want);
      }),
      RUNS,
    );
  });

  it("a binary op with out= aliasing both inputs through different layouts", () => {
    fc.assert(
      fc.property(arb, ([{ dshape, sshape, values, dst }, src]) => {
        const base = array(values, [L]);
        const before = values.slice();
        const want = before.slice();
        const doffs = rawOffsets(dshape, dst.strides, dst.offset);
        indices(dshape).forEach((idx, f) => {
          const sv = before[bidx(idx, sshape).reduce((acc, k, i) => acc + k * src.strides[i]!, src.offset)]!;
          want[doffs[f]!] = before[doffs[f]!]! - sv;
        });
        const d = base.view(dshape, dst.strides, dst.offset);
        d.sub(base.view(sshape, src.strides, src.offset), d);
        expect(Array.from(base.data)).toEqual(want);
      }),
      { numRuns: 150 },
    );
  });
});
