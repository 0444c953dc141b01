// Gradient-check cases for reductions and scans (issue 26): one per recorded op (cumsum,
// cumprod, logcumsumexp, linearRecurrence, prod, norm) and one per composite, spread into cases.ts's tables.
// prod, cumprod and linearRecurrence are polynomials, so central differences are exact at 0 too: their inputs
// often hold exact zeros (one, two, several per line), to first and second order. The
// selections (sort, topk, max with indices, ...) draw distinct values: a tie has no derivative.

import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { OPS } from "../src/internal.js";
import { LAYOUTS, arrayArb, axesArb, shapeArb, type Values } from "./helpers.js";
import type { GradCase, Sample } from "./cases.js";

/** Layouts without the stride-0 one, whose repeated elements are ties (std 0, equal |x|, equal values to sort). */
const NO_REPEATS = LAYOUTS.filter((l) => l !== "broadcast");

function sample(note: string, inputs: NDArray[], f: Sample["f"]): Sample {
  const full = `${note} on ${inputs.map((a) => `${nd.fmtShape(a.shape)} strides ${nd.fmtShape(a.strides)}`).join(", ")}`;
  return { f, inputs, note: full, [fc.toStringMethod]: () => full } as Sample;
}

/** Values in [-2, 2], and sometimes those below 0.6 in size set to exactly 0 (about a third). */
function maybeZerosArb(shape: readonly number[]): fc.Arbitrary<NDArray> {
  return fc.tuple(arrayArb(shape, "any"), fc.boolean()).map(([x, zeros]) => (zeros ? nd.where(nd.lt(nd.abs(x), 0.6), 0, x) : x));
}

/** A shape of ndim 1..3 and one axis of it, negative or not. */
function axisCaseArb(values: Values | "zeros", maxSide = 4): fc.Arbitrary<[NDArray, number]> {
  return shapeArb(1, 3, maxSide).chain((shape) =>
    fc.tuple(values === "zeros" ? maybeZerosArb(shape) : arrayArb(shape, values, values === "distinct" ? NO_REPEATS : LAYOUTS), fc.integer({ min: -shape.length, max: shape.length - 1 })),
  );
}

function scan(name: "cumsum" | "cumprod" | "logcumsumexp", values: Values | "zeros"): GradCase {
  return {
    sample: fc.tuple(axisCaseArb(values), fc.boolean()).map(([[x, axis], reverse]) =>
      sample(`${name}(axis=${axis}, reverse=${reverse})`, [x], (t) => ag[name](t, axis, reverse)),
    ),
  };
}

const NORM_ORDERS: { p: number | "fro"; values: Values }[] = [
  { p: 2, values: "any" },
  { p: "fro", values: "any" },
  { p: 3, values: "awayFromZero" },
  { p: 1.5, values: "awayFromZero" },
  { p: 1, values: "awayFromZero" },
  { p: 0.5, values: "awayFromZero" },
  { p: -1, values: "awayFromZero" },
  { p: Infinity, values: "distinct" },
  { p: -Infinity, values: "distinct" },
  { p: 0, values: "awayFromZero" },
];

export const REDUCE_OP_CASES = {
  cumsum: scan("cumsum", "any"),
  cumprod: scan("cumprod", "zeros"),
  logcumsumexp: scan("logcumsumexp", "any"),
  // called directly (cumprod's gradient is made of it): coefficients with zeros, both inputs checked
  linearRecurrence: {
    sample: fc
      .tuple(axisCaseArb("zeros"), fc.nat(), fc.boolean())
      .chain(([[a, axis], seed, reverse]) => arrayArb(a.shape).map((b) => ({ a, b, axis, reverse, seed })))
      .map(({ a, b, axis, reverse }) => {
        const ax = axis < 0 ? axis + a.ndim : axis;
        return sample(`linearRecurrence(axis=${axis}, reverse=${reverse})`, [a, b], (x, y) => OPS.linearRecurrence([x, y!], { axis: ax, reverse }));
      }),
  },
  prod: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(maybeZerosArb(shape), axesArb(shape.length), fc.boolean()))
      .map(([x, axis, keepdims]) => sample(`prod(axis=${JSON.stringify(axis)}, keepdims=${keepdims})`, [x], (t) => ag.prod(t, axis, keepdims))),
  },
  norm: {
    sample: fc
      .tuple(shapeArb(1, 3, 3), fc.constantFrom(...NORM_ORDERS))
      .chain(([shape, { p, values }]) => fc.tuple(arrayArb(shape, values, NO_REPEATS), fc.constant(p), axesArb(shape.length), fc.boolean()))
      .map(([x, p, axis, keepdims]) => sample(`norm(p=${p}, axis=${JSON.stringify(axis)}, keepdims=${keepdims})`, [x], (t) => ag.norm(t, p, axis, keepdims))),
  },
} satisfies Partial<Record<keyof typeof OPS, GradCase>>;

/** A selection that returns { values, indices }: the values, checked on distinct inputs. */
function selection(name: string, f: (t: Tensor, axis: number) => Tensor, maxSide = 4): GradCase {
  return {
    sample: axisCaseArb("distinct", maxSide).map(([x, axis]) => sample(`${name}(axis=${axis})`, [x], (t) => f(t, axis))),
  };
}

export const REDUCE_COMPOSITE_CASES: Record<string, GradCase> = {
  std: {
    sample: shapeArb(1, 3, 3, 2)
      .chain((shape) => fc.tuple(arrayArb(shape, "any", NO_REPEATS), axesArb(shape.length), fc.boolean(), fc.constantFrom(0, 1)))
      .map(([x, axis, keepdims, c]) => sample(`std(axis=${JSON.stringify(axis)}, keepdims=${keepdims}, correction=${c})`, [x], (t) => ag.std(t, axis, keepdims, c))),
  },
  normalize: {
    sample: fc
      .tuple(shapeArb(1, 3, 3), fc.constantFrom<[number, Values]>([2, "any"], [1, "awayFromZero"], [3, "awayFromZero"]))
      .chain(([shape, [p, values]]) => fc.tuple(arrayArb(shape, values), fc.constant(p), fc.integer({ min: -shape.length, max: shape.length - 1 })))
      .map(([x, p, axis]) => sample(`normalize(p=${p}, axis=${axis})`, [x], (t) => ag.normalize(t, p, axis))),
  },
  amax: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape, "distinct", NO_REPEATS), axesArb(shape.length), fc.boolean()))
      .map(([x, axis, keepdims]) => sample(`amax(axis=${JSON.stringify(axis)}, keepdims=${keepdims})`, [x], (t) => ag.amax(t, axis, keepdims))),
  },
  amin: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape, "distinct", NO_REPEATS), axesArb(shape.length), fc.boolean()))
      .map(([x, axis, keepdims]) => sample(`amin(axis=${JSON.stringify(axis)}, keepdims=${keepdims})`, [x], (t) => ag.amin(t, axis, keepdims))),
  },
  maxWithIndices: selection("maxWithIndices", (t, axis) => ag.maxWithIndices(t, axis).values),
  minWithIndices: selection("minWithIndices(keepdims)", (t, axis) => ag.minWithIndices(t, axis, true).values),
  cummax: selection("cummax", (t, axis) => ag.cummax(t, axis).values),
  cummin: selection("cummin", (t, axis) => ag.cummin(t, axis).values),
  sort: selection("sort", (t, axis) => ag.sort(t, axis).values),
  sortDescending: selection("sort(descending)", (t, axis) => ag.sort(t, axis, true).values),
  topk: selection("topk(k=min(2,n))", (t, axis) => ag.topk(t, Math.min(2, t.shape[axis < 0 ? axis + t.ndim : axis]!), axis).values),
  topkSmallestUnsorted: selection("topk(k=1, largest=false, sorted=false)", (t, axis) => ag.topk(t, 1, axis, false, false).values),
  kthvalue: selection("kthvalue(k=1)", (t, axis) => ag.kthvalue(t, 1, axis).values),
  median: selection("median", (t, axis) => ag.median(t, axis)),
  medianAll: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => arrayArb(shape, "distinct", NO_REPEATS))
      .map((x) => sample("median()", [x], (t) => ag.median(t))),
  },
  mode: selection("mode", (t, axis) => ag.mode(t, axis).values),
};
