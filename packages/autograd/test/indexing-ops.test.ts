// Indexing and movement (issue 26) against real PyTorch 1.13 (data/make-indexing-reference.py ran
// torch in float64: each case's output and the gradients of sum(w * out)), against laws (flip
// twice is the identity, roll by n then -n too, scatter then gather round-trips, each linear op's
// VJP is its adjoint), and the errors bad input gets: an index out of range names the op, the
// axis and the index; shapes that do not fit name both.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { IndexError, NDArray, ShapeError, ValueError, DTypeError } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { Tensor, gradients, newaxis, ellipsis } from "../src/index.js";
import { arrayArb, flat, makeArray, shapeArb } from "./helpers.js";
import { REF, checkCase, type Args, type Case } from "./indexing-reference.js";
import { INDEXING_OP_CASES } from "./cases-indexing.js";

const I = (i: Tensor | NDArray) => i as Tensor;

/** Each case's tapegrad call, by the case's name; float inputs arrive as Tensors, int and bool ones as NDArrays. */
const CALLS: Record<string, (a: Args, c: Case) => Tensor | Tensor[]> = {
  "gather axis 1": ([x, i]) => ag.gather(x!, 1, i!),
  "gather axis 0, smaller index": ([x, i]) => ag.gather(x!, 0, i!),
  "scatter axis 1": ([x, i, s]) => ag.scatter(x!, 1, i!, s!),
  "scatter value": ([x, i]) => ag.scatter(x!, 0, i!, 7.5),
  "scatterAdd axis 0, repeats": ([x, i, s]) => ag.scatterAdd(x!, 0, i!, s!),
  indexSelect: ([x, i]) => ag.indexSelect(x!, 1, i!),
  "indexAdd alpha": ([x, i, s]) => ag.indexAdd(x!, 0, i!, s!, { alpha: -1.5 }),
  indexCopy: ([x, i, s]) => ag.indexCopy(x!, 1, i!, s!),
  maskedFill: ([x, m]) => ag.maskedFill(x!, m!, -3.25),
  "maskedFill broadcast mask, tensor value": ([x, m, v]) => ag.maskedFill(x!, m!, I(v!)),
  "maskedSelect broadcast": ([x, m]) => ag.maskedSelect(x!, m!),
  nonzero: ([x]) => ag.nonzero(x!),
  "where(cond)": ([x]) => ag.where(x!),
  "flip [0, 2]": ([x]) => ag.flip(x!, [0, 2]),
  "roll flattened": ([x]) => ag.roll(x!, 5),
  "roll [1, -3] on [2, 0]": ([x]) => ag.roll(x!, [1, -3], [2, 0]),
  "repeat [2, 1, 3]": ([x]) => I(x!).repeat(2, 1, 3),
  "repeatInterleave tensor repeats axis 1": ([x]) => ag.repeatInterleave(x!, ag.tensor(nd.array([2, 0, 1, 3], undefined, "int32")), 1),
  "repeatInterleave flattened": ([x]) => ag.repeatInterleave(x!, 2),
  "diagonal offset 1 axes (2, 0)": ([x]) => ag.diagonal(x!, 1, 2, 0),
  "diagonal offset -1": ([x]) => I(x!).diagonal(-1),
  "diag of a vector, offset -2": ([x]) => ag.diag(x!, -2),
  "diag of a matrix, offset 2": ([x]) => ag.diag(x!, 2),
  "triu 1": ([x]) => ag.triu(x!, 1),
  "tril -1": ([x]) => I(x!).tril(-1),
  "meshgrid ij": (xs) => ag.meshgrid(xs, { indexing: "ij" }),
  "meshgrid xy": (xs) => ag.meshgrid(xs, { indexing: "xy" }),
  oneHot: ([i]) => ag.oneHot(i as NDArray, 5),
  "index [i, :, j] separated": ([x, i, j]) => ag.index(x!, [i!, null, j!]),
  "index [:, i, j] adjacent": ([x, i, j]) => I(x!).index(null, i!, j!),
  "index [1, :, j] integer counts as an index": ([x, j]) => ag.index(x!, [1, null, j!]),
  "index [None, i, ..., 1:]": ([x, i]) => ag.index(x!, [newaxis, i!, ellipsis, [1]]),
  "index [mask] on two axes": ([x, m]) => ag.index(x!, [m!]),
  "index [::-2, i, 1::2]": ([x, i]) => ag.index(x!, [[null, null, -2], i!, [1, null, 2]]),
  "slice out of range": ([x]) => ag.slice(x!, [[1, 99], [-99, 3], [10]]),
  "slice backwards out of range": ([x]) => ag.slice(x!, [[99, -99, -1], [2, -99, -2]]),
};

function call(c: Case, args: Args): Tensor | Tensor[] {
  if (c.name.startsWith("scatterReduce")) {
    const [x, i, s] = args;
    return ag.scatterReduce(x!, 1, i!, s!, c.reduce as nd.ScatterReduction, { includeSelf: c.includeSelf as boolean });
  }
  if (c.name.startsWith("pad")) return ag.pad(args[0]!, c.widths as [number, number][], { mode: c.mode as nd.PadMode, value: c.value as number | undefined });
  if (c.name.startsWith("einsum")) return ag.einsum(c.equation as string, ...args);
  const f = CALLS[c.name];
  if (!f) throw new Error(`no tapegrad call for the reference case "${c.name}"`);
  return f(args, c);
}

describe(`indexing and movement against PyTorch ${REF.torch} (float64, values and gradients)`, () => {
  for (const c of REF.cases.filter((c) => !c.name.startsWith("einsum"))) it(c.name, () => checkCase(c, (args) => call(c, args)));
});

describe("laws", () => {
  it("flip twice is the identity, and the gradient of a flip is g flipped back", () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 3).chain((s) => fc.tuple(arrayArb(s), fc.subarray(s.map((_, i) => i)))), ([x, axes]) => {
        expect(ag.flip(ag.flip(x, axes), axes).toArray()).toEqual(x.toArray());
        expect(nd.flip(nd.flip(x, axes), axes).toArray()).toEqual(x.toArray());
      }),
    );
  });

  it("roll by n then by -n is the identity, along an axis or flattened", () => {
    fc.assert(
      fc.property(shapeArb(1, 3, 3).chain((s) => fc.tuple(arrayArb(s), fc.integer({ min: -7, max: 7 }), fc.option(fc.integer({ min: 0, max: s.length - 1 }), { nil: undefined }))), ([x, n, axis]) => {
        expect(ag.roll(ag.roll(x, n, axis), -n, axis).toArray()).toEqual(x.toArray());
        expect(nd.roll(nd.roll(x, n, axis), -n, axis).toArray()).toEqual(x.toArray());
      }),
    );
  });

  it("scatter into zeros then gather with the same (distinct) index round-trips src", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (n, m, seed) => {
        // a permutation per column (the ranks of distinct values): each position written once
        const v = makeArray([n, m], "contiguous", "distinct", seed);
        const ranks = Array.from({ length: n * m }, (_, p) => {
          const [r, c] = [Math.floor(p / m), p % m];
          return Array.from({ length: n }, (_, k) => v.get(k, c)).filter((u) => u < v.get(r, c)).length;
        });
        const idx = nd.array(ranks, [n, m], "int32");
        const src = makeArray([n, m], "contiguous", "any", seed + 1);
        const y = ag.scatter(nd.zeros([n, m]), 0, idx, src);
        expect(ag.gather(y, 0, idx).toArray()).toEqual(src.toArray());
      }),
    );
  });

  it("repeat equals concatenating copies; repeatInterleave equals take with each index repeated", () => {
    const x = nd.arange(6).reshape(2, 3);
    expect(ag.repeat(x, [2, 2]).toArray()).toEqual(nd.concat([nd.concat([x, x], 1), nd.concat([x, x], 1)], 0).toArray());
    expect(ag.repeatInterleave(x, [2, 1], 0).toArray()).toEqual(nd.take(x, [0, 0, 1], 0).toArray());
  });

  it("index with an index array on one axis is take; with several it is the element-by-element pick", () => {
    const x = nd.arange(24).reshape(2, 3, 4);
    const i = nd.array([2, 0, 2], undefined, "int32");
    expect(ag.index(x, [null, i]).toArray()).toEqual(nd.take(x, i, 1).toArray());
    const a = nd.array([1, 0], undefined, "int32");
    const b = nd.array([3, 1], undefined, "int32");
    // separated by a slice, the picked dim goes first: r[k][j] = x[a[k], j, b[k]]
    const want = [0, 1].map((k) => [0, 1, 2].map((j) => x.get(a.get(k), j, b.get(k))));
    expect(ag.index(x, [a, null, b]).toArray()).toEqual(want);
  });

  it("a view-only index is a view: slice specs alone share storage", () => {
    const x = nd.arange(6).reshape(2, 3);
    expect(nd.index(x, [newaxis, [1], ellipsis]).data).toBe(x.data);
    expect(nd.index(x, [nd.array([0], undefined, "int32")]).data).not.toBe(x.data);
  });
});

describe("each linear op's VJP is its adjoint: <L x, y> = <x, L^T y>", () => {
  const linear: [string, (x: Tensor) => Tensor, number[]][] = [
    ["index", (x) => ag.index(x, [nd.array([[0, 2], [2, 2]], undefined, "int32"), null, nd.array([1, 1], undefined, "int32")]), [3, 2, 4]],
    ["pad reflect", (x) => ag.pad(x, [[2, 1], [0, 3]], { mode: "reflect" }), [2, 3, 4]],
    ["pad circular", (x) => ag.pad(x, [[3, 2]], { mode: "circular" }), [2, 3]],
    ["pad replicate with a crop", (x) => ag.pad(x, [[-1, 3]], { mode: "replicate" }), [2, 3]],
    ["diagonal", (x) => ag.diagonal(x, -1, 2, 1), [2, 3, 4]],
    ["diag", (x) => ag.diag(x, 1), [3]],
    ["roll", (x) => ag.roll(x, [2, -1], [0, 1]), [3, 4]],
    ["repeat", (x) => ag.repeat(x, [2, 1, 2]), [3, 2]],
    ["repeatInterleave", (x) => ag.repeatInterleave(x, [0, 2, 3], 0), [3, 2]],
    ["maskedSelect", (x) => ag.maskedSelect(x, nd.array([true, false, true], undefined, "bool")), [2, 3]],
    ["einsum", (x) => ag.einsum("iij->ji", x), [3, 3, 2]],
  ];
  for (const [name, f, shape] of linear) {
    it(name, () => {
      fc.assert(
        fc.property(fc.nat(), (seed) => {
          const x = new Tensor(makeArray(shape, "contiguous", "any", seed), true);
          const out = f(x);
          const y = makeArray(out.shape, "contiguous", "any", seed + 1);
          const lhs = flat(out).reduce((s, v, i) => s + v * flat(y)[i]!, 0);
          const [g] = gradients(out, [x], [y]);
          const rhs = flat(x).reduce((s, v, i) => s + v * flat(g!)[i]!, 0);
          expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)));
        }),
        { numRuns: 20 },
      );
    });
  }
});

describe("gather, scatterAdd and scatter are linear: each VJP is the op's adjoint", () => {
  for (const name of ["gather", "scatterAdd", "scatter"] as const) {
    it(name, () => {
      fc.assert(
        fc.property(INDEXING_OP_CASES[name].sample, fc.nat(), (smp, seed) => {
          // every float input differentiated: L is the whole linear map
          const which = smp.inputs.flatMap((a, i) => (nd.isFloat(a.dtype) ? [i] : []));
          const leaves = smp.inputs.map((a, i) => new Tensor(a, which.includes(i)));
          const out = smp.f(...leaves);
          const y = makeArray(out.shape, "contiguous", "any", seed);
          const lhs = flat(out).reduce((acc, v, i) => acc + v * flat(y)[i]!, 0);
          const gs = gradients(out, which.map((i) => leaves[i]!), [y]);
          const rhs = which.reduce((acc, i, k) => acc + flat(smp.inputs[i]!).reduce((a2, v, j) => a2 + v * flat(gs[k]!)[j]!, 0), 0);
          expect(Math.abs(lhs - rhs), smp.note).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)));
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe("index arrays as int Tensors", () => {
  it("index takes int Tensors as it takes NDArrays, and the gradient of a repeated index accumulates", () => {
    const x = new Tensor(nd.arange(6).reshape(2, 3), true);
    const rows = ag.tensor(nd.array([1, 1, 0], undefined, "int32"));
    const y = ag.index(x, [rows, ag.tensor(nd.array([2, 2, 0], undefined, "int32"))]);
    expect(y.toArray()).toEqual([5, 5, 0]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[1, 0, 0], [0, 0, 2]]);
  });
});

describe("bad input", () => {
  const x = ag.tensor([[1, 2, 3], [4, 5, 6]]);
  const i32 = (v: number[] | number[][]) => nd.array(v as number[], undefined, "int32");
  const cases: [string, () => unknown, new (...a: never[]) => Error, (string | RegExp)[]][] = [
    ["gather index out of range", () => ag.gather(x, 1, [[0, 3]]), IndexError, ["gather", "axis 1", "index 3", "size 3"]],
    ["gather index shape too large", () => ag.gather(x, 1, [[0], [1], [2]]), ShapeError, ["gather", "[3,1]", "[2,3]"]],
    ["gather index of another ndim", () => ag.gather(x, 0, [0, 1]), ShapeError, ["gather", "[2]", "[2,3]"]],
    ["scatter index out of range", () => ag.scatter(x, 0, [[2, 0, 0]], ag.tensor([[1, 2, 3]])), IndexError, ["scatter", "axis 0", "index 2", "size 2"]],
    ["scatterAdd src too small", () => ag.scatterAdd(x, 0, [[1, 0, 0]], ag.tensor([[1, 2]])), ShapeError, ["scatterAdd", "[1,3]", "[1,2]"]],
    ["scatterReduce unknown reduction", () => ag.scatterReduce(x, 0, [[0]], ag.tensor([[1]]), "max" as nd.ScatterReduction), ValueError, ["scatterReduce", "amax", '"max"']],
    ["index out of range", () => ag.index(x, [null, i32([0, 3])]), IndexError, ["index", "axis 1", "index 3", "size 3"]],
    ["index negative out of range", () => ag.index(x, [i32([-3])]), IndexError, ["index", "axis 0", "index -3", "size 2"]],
    ["index arrays that do not broadcast", () => ag.index(x, [i32([0, 1]), i32([0, 1, 2])]), ShapeError, ["index", "[2]", "[3]"]],
    ["index with a mask of the wrong shape", () => ag.index(x, [nd.array([true, false, true], undefined, "bool")]), IndexError, ["index", "[3]", "[2,3]"]],
    ["index with too many entries", () => ag.index(x, [0, 0, 0]), IndexError, ["index", "[2,3]"]],
    ["slice integer out of range still throws", () => ag.slice(x, [null, 3]), IndexError, ["slice", "3", "axis 1"]],
    ["indexSelect index out of range", () => ag.indexSelect(x, 1, [5]), IndexError, ["indexSelect", "5"]],
    ["indexAdd src shape", () => ag.indexAdd(x, 0, [0], ag.tensor([[1, 2]])), ShapeError, ["indexAdd", "[1,2]", "[2,3]"]],
    ["indexCopy src shape", () => ag.indexCopy(x, 1, [0, 2], ag.tensor([[1, 2, 3]])), ShapeError, ["indexCopy", "[1,3]", "[2,3]"]],
    ["indexCopy index out of range", () => ag.indexCopy(x, 1, [0, 3], ag.tensor([[1, 2], [3, 4]])), IndexError, ["indexCopy", "axis 1", "3"]],
    ["maskedFill with a float mask", () => ag.maskedFill(x, ag.tensor([1, 0, 1]), 0), DTypeError, ["maskedFill", "bool", "float64"]],
    ["maskedFill with a mask that grows x", () => ag.maskedFill(x, nd.ones([3, 2, 3], "bool"), 0), ShapeError, ["maskedFill", "[3,2,3]", "[2,3]"]],
    ["repeat with fewer reps than dims", () => ag.repeat(x, [2]), ValueError, ["repeat", "[2,3]"]],
    ["repeatInterleave with a count per element of the wrong length", () => ag.repeatInterleave(x, [1, 2, 3], 0), ShapeError, ["repeatInterleave", "3", "2"]],
    ["diagonal on the same axis twice", () => ag.diagonal(x, 0, 1, -1), nd.AxisError, ["diagonal", "[2,3]"]],
    ["diag of a 3-d tensor", () => ag.diag(nd.zeros([2, 2, 2])), ShapeError, ["diag", "[2,2,2]"]],
    ["triu of a vector", () => ag.triu(ag.tensor([1, 2])), ShapeError, ["triu", "[2]"]],
    ["meshgrid of a matrix", () => ag.meshgrid([x]), ShapeError, ["meshgrid", "[2,3]"]],
    ["oneHot id out of range", () => ag.oneHot([0, 3], 3), IndexError, ["oneHot", "3", "3 classes"]],
    ["pad reflect wider than the axis", () => ag.pad(x, [[3, 0]], { mode: "reflect" }), ValueError, ["pad", "reflect", "axis 1", "3"]],
    ["pad crop larger than the axis", () => ag.pad(x, [[-2, -2]]), ShapeError, ["pad", "[-2, -2]", "[2,3]"]],
    ["pad with an unknown mode", () => ag.pad(x, [[1, 1]], { mode: "mirror" as nd.PadMode }), ValueError, ["pad", "mirror"]],
    ["roll with shifts and axes of different lengths", () => ag.roll(x, [1, 2], 0), ValueError, ["roll", "2 shifts", "1 axes"]],
  ];
  for (const [name, f, type, parts] of cases) {
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

  it("a failed scatter leaves its input unchanged", () => {
    const t = nd.array([1, 2, 3]);
    expect(() => ag.scatter(t, 0, [0, 9], ag.tensor([5, 6]))).toThrow(IndexError);
    expect(t.toArray()).toEqual([1, 2, 3]);
  });
});

describe("compile traces the indexing kernels", () => {
  it("a step through gather, scatterReduce, index, pad, roll, diagonal and einsum replays as eager computes it", () => {
    const w = new Tensor(nd.array([[0.5, -1, 2], [0.25, 1.5, -0.75], [1, 0.5, -2]]), true);
    const ids = nd.array([[2, 0, 0], [1, 1, 2]], undefined, "int32");
    const rows = nd.array([2, 0, 2], undefined, "int32");
    const f = (x: Tensor) => {
      w.zeroGrad();
      const a = ag.gather(x.matmul(w), 0, ids); // [2, 3]
      const b = ag.scatterReduce(ag.zerosLike(w), 0, ids, a, "amax", { includeSelf: false });
      const c = ag.index(ag.pad(b, [[1, 1]], { mode: "reflect" }), [rows, [1, 4]]);
      const d = ag.einsum("ij,ij->i", ag.roll(c, 1, 0), c).sum().add(ag.diagonal(w, 1).sum());
      d.backward();
      return d;
    };
    const g = ag.compile(f);
    for (let i = 0; i < 5; i++) {
      const x = new Tensor(nd.arange(9).reshape(3, 3).mul(0.1 * (i + 1)).sub(0.3));
      const got = g(x).item();
      const gotGrad = w.grad!.copy();
      const want = f(x).item();
      expect(got).toBe(want);
      expect(nd.maxAbsDiff(gotGrad, w.grad!)).toBe(0);
    }
    expect(g.stats.replays).toBeGreaterThan(0);
  });

  it("a shape that depends on values (maskedSelect's) is refused with a CompileError, never replayed wrong", () => {
    const f = (x: Tensor) => ag.maskedSelect(x, x.gt(0)).sum();
    const g = ag.compile(f);
    let refused = 0;
    for (const v of [[1, -1, 2], [1, 2, 3], [-1, -2, 5], [1, 1, -1], [4, -1, -1]]) {
      const x = new Tensor(nd.array(v));
      try {
        expect(g(x).item()).toBe(f(x).item());
      } catch (e) {
        expect(e).toBeInstanceOf(ag.CompileError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});
