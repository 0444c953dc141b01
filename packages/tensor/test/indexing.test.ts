// Indexing and movement kernels against numpy (data/make-indexing-data.py: advanced indexing,
// slices beyond the axis, np.pad's modes, roll, tile, repeat, take_along_axis, put_along_axis,
// add.at, nonzero, triu/tril, diagonal, flip), against laws (a slice clips exactly as Python's
// range does, flip and diagonal are views, pad's crop is a slice), and bad input.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { AxisError, IndexError, NDArray, ShapeError, ValueError, array, arange, ellipsis, newaxis, zeros } from "../src/index.js";

interface Enc {
  dtype: "float" | "int" | "bool";
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  inputs: Enc[];
  out: Enc;
  [k: string]: unknown;
}
const NP = JSON.parse(readFileSync(new URL("./data/indexing-numpy.json", import.meta.url), "utf8")) as { numpy: string; cases: Case[] };
const decode = (e: Enc) => array(e.data, e.shape, e.dtype === "float" ? "float64" : e.dtype === "int" ? "int32" : "bool");

/** Each case's call, by the case's name. */
const CALLS: Record<string, (a: NDArray[], c: Case) => NDArray> = {
  "[i, :, j] separated: the picked dims first": ([x, i, j]) => T.index(x!, [i!, null, j!]),
  "[:, i, j] adjacent: in place": ([x, i, j]) => x!.index(null, i!, j!),
  "[1, :, j] an integer counts as an index array": ([x, j]) => T.index(x!, [1, null, j!]),
  "[newaxis, i, ..., 1:]": ([x, i]) => T.index(x!, [newaxis, i!, ellipsis, [1]]),
  "[mask] over two axes": ([x, m]) => T.index(x!, [m!]),
  "[::-2, i, 1::2]": ([x, i]) => T.index(x!, [[null, null, -2], i!, [1, null, 2]]),
  "[..., i] on the last axis": ([x, i]) => T.index(x!, [ellipsis, i!]),
  "[i, newaxis, j] separated by a newaxis": ([x, i, j]) => T.index(x!, [i!, newaxis, j!]),
  "slice bounds beyond the axis": ([x]) => x!.slice([1, 99], [-99, 3], [10]),
  "backwards slice bounds beyond the axis": ([x]) => x!.slice([99, -99, -1], [2, -99, -2], -1),
  "newaxis in a slice": ([x]) => T.slice(x!, [null, newaxis, 0, newaxis]),
  "roll flattened": ([a]) => T.roll(a!, 7),
  "roll two axes": ([a]) => T.roll(a!, [-1, 2], [1, 0]),
  "tile (repeat) with an extra leading rep": ([a]) => T.repeat(a!, [2, 1, 2]),
  "repeat (repeatInterleave) with counts": ([a]) => T.repeatInterleave(a!, [1, 0, 3], 0),
  "take_along_axis (gather)": ([a, i]) => a!.gather(1, i!),
  "put_along_axis (scatter)": ([a, i, v]) => T.scatter(a!, 0, i!, v!),
  "add.at (scatterAdd) with repeats": ([a, i, v]) => T.scatterAdd(a!, 0, i!, v!),
  nonzero: ([a]) => a!.nonzero(),
  "triu -1": ([a]) => T.triu(a!, -1),
  "tril 2": ([a]) => T.tril(a!, 2),
  "diagonal offset 1 of axes (2, 0)": ([a]) => a!.diagonal(1, 2, 0),
  "flip axes (0, 2)": ([a]) => a!.flip([0, 2]),
};

describe(`indexing and movement against numpy ${NP.numpy}`, () => {
  for (const c of NP.cases) {
    it(c.name, () => {
      const args = c.inputs.map(decode);
      const out = c.name.startsWith("pad")
        ? T.pad(args[0]!, c.widths as [number, number][], { mode: c.mode as T.PadMode, value: c.value as number | undefined })
        : CALLS[c.name]!(args, c);
      expect(out.shape).toEqual(c.out.shape);
      expect(out.toFlat()).toEqual(c.out.data);
    });
  }
});

describe("slices clip as Python's slices do", () => {
  it("any start, stop and step on an axis of any size read the elements of Python's range(n)[start:stop:step]", () => {
    const opt = fc.option(fc.integer({ min: -12, max: 12 }), { nil: null });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), opt, opt, fc.integer({ min: -4, max: 4 }).filter((s) => s !== 0), (n, start, stop, step) => {
        // Python's slice.indices, written out: the reference
        const norm = (v: number | null, dflt: number, lo: number, hi: number) => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi));
        const [a, b] = step > 0 ? [norm(start, 0, 0, n), norm(stop, n, 0, n)] : [norm(start, n - 1, -1, n - 1), norm(stop, -1, -1, n - 1)];
        const want: number[] = [];
        for (let k = a; step > 0 ? k < b : k > b; k += step) want.push(k);
        expect(arange(n).slice([start, stop, step]).toFlat()).toEqual(want);
      }),
    );
  });

  it("an integer index out of range still throws, naming the axis", () => {
    expect(() => arange(6).reshape(2, 3).slice(null, 3)).toThrow(/slice: index 3 is out of bounds for axis 1 with size 3/);
  });
});

describe("views", () => {
  it("flip, diagonal and slices with newaxis share storage; index does when it has no index arrays", () => {
    const a = arange(12).reshape(3, 4);
    for (const v of [T.flip(a), T.diagonal(a, 1), T.slice(a, [newaxis, ellipsis, [1, 3]]), T.index(a, [null, [null, null, -1]])]) expect(v.data).toBe(a.data);
    expect(T.index(a, [array([0], undefined, "int32")]).data).not.toBe(a.data);
  });

  it("a diagonal beyond the matrix is empty", () => {
    expect(T.diagonal(zeros([2, 3]), 3).shape).toEqual([0]);
    expect(T.diagonal(zeros([2, 3]), -2).shape).toEqual([0]);
  });

  it("pad's negative widths crop: pad(a, [[-p, -q]]) is a[p:n-q]", () => {
    const a = arange(10).reshape(2, 5);
    expect(T.pad(a, [[-1, -2]]).toArray()).toEqual(a.slice(null, [1, 3]).toArray());
    expect(T.pad(a, [[-1, 2]], { mode: "replicate" }).toArray()).toEqual([[1, 2, 3, 4, 4, 4], [6, 7, 8, 9, 9, 9]]);
  });

  it("reflect mirrors about the input's edges and then crops, as torch 1.13's reflection pad", () => {
    const a = arange(10).reshape(2, 5);
    // torch.nn.functional.pad(a, (3, -3), mode="reflect") and (-2, 4), printed by torch 1.13
    expect(T.pad(a, [[3, -3]], { mode: "reflect" }).toArray()).toEqual([[3, 2, 1, 0, 1], [8, 7, 6, 5, 6]]);
    expect(T.pad(a, [[-2, 4]], { mode: "reflect" }).toArray()).toEqual([[2, 3, 4, 3, 2, 1, 0], [7, 8, 9, 8, 7, 6, 5]]);
    expect(() => T.pad(a, [[5, -1]], { mode: "reflect" })).toThrow(/reflect padding of \[5, -1\] does not fit axis 1 of 5 elements/);
  });

  it("nonzero of an all-zero array is empty, [0, ndim]", () => {
    expect(T.nonzero(zeros([2, 2])).shape).toEqual([0, 2]);
  });

  it("oneHot takes numClasses from the largest id, and its dtype", () => {
    expect(T.oneHot([1, 3]).toArray()).toEqual([[0, 1, 0, 0], [0, 0, 0, 1]]);
    expect(T.oneHot([[2]], 3, "float32").dtype).toBe("float32");
  });

  it("scatterReduce's reductions on one position: sum, prod, mean, amax, amin, with and without self", () => {
    const x = array([10, 1]);
    const src = array([2, 3, 4]);
    const want: Record<string, [number[], number[]]> = {
      sum: [[19, 1], [9, 1]],
      prod: [[240, 1], [24, 1]],
      mean: [[19 / 4, 1], [3, 1]],
      amax: [[10, 1], [4, 1]],
      amin: [[2, 1], [2, 1]],
    };
    for (const r of T.SCATTER_REDUCTIONS) {
      expect(T.scatterReduce(x, 0, [0, 0, 0], src, r).toFlat(), r).toEqual(want[r]![0]);
      expect(T.scatterReduce(x, 0, [0, 0, 0], src, r, false).toFlat(), r).toEqual(want[r]![1]);
    }
  });
});

describe("bad input", () => {
  const a = arange(6).reshape(2, 3);
  const i32 = (v: number[]) => array(v, undefined, "int32");
  const rows: [string, () => unknown, new (...x: never[]) => Error, string[]][] = [
    ["index out of range", () => T.index(a, [null, i32([3])]), IndexError, ["index", "axis 1", "index 3", "size 3"]],
    ["index arrays that do not broadcast", () => T.index(a, [i32([0, 1]), i32([0, 1, 2])]), ShapeError, ["index", "[2]", "[3]"]],
    ["two ellipses", () => T.index(a, [ellipsis, ellipsis]), IndexError, ["index", "ellipsis"]],
    ["gather out of range", () => T.gather(a, 0, [[2, 0, 0]]), IndexError, ["gather", "axis 0", "index 2", "size 2"]],
    ["scatter src too small", () => T.scatter(a, 1, [[0, 1]], array([[1]])), ShapeError, ["scatter", "[1,2]", "[1,1]"]],
    ["scatterReduce unknown reduction", () => T.scatterReduce(a, 1, [[0]], array([[1]]), "max" as T.ScatterReduction), ValueError, ["scatterReduce", '"max"']],
    ["flip an axis twice", () => T.flip(a, [1, 1]), AxisError, ["flip", "1,1"]],
    ["pad circular wider than the axis", () => T.pad(a, [[0, 4]], { mode: "circular" }), ValueError, ["pad", "circular", "axis 1"]],
    ["pad replicate of an empty axis", () => T.pad(zeros([2, 0]), [[1, 0]], { mode: "replicate" }), ValueError, ["pad", "replicate", "0 elements"]],
    ["repeat with a negative rep", () => T.repeat(a, [1, -1]), ValueError, ["repeat", "-1"]],
    ["oneHot of a negative id", () => T.oneHot([-1, 0], 2), IndexError, ["oneHot", "-1"]],
  ];
  for (const [name, f, type, parts] of rows) {
    it(name, () => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(type);
      for (const p of parts) expect((err as Error).message).toContain(p);
    });
  }
});
