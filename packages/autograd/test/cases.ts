// The gradient-check cases: one per recorded op (typed Record<OpName, GradCase>, so an op
// added to OPS without a case fails the type check), and one per composite op. Each case
// draws shapes, layouts and values with fast-check, keeping inputs clear of the points where
// the op has no derivative.

import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { Tensor, type GradcheckOptions } from "../src/index.js";
import { OPS, type OpName } from "../src/internal.js";
import { arrayArb, axesArb, broadcastableArb, permutationArb, rng, shapeArb, type Values } from "./helpers.js";
import { INDEXING_COMPOSITE_CASES, INDEXING_OP_CASES } from "./cases-indexing.js";
import { REDUCE_COMPOSITE_CASES, REDUCE_OP_CASES } from "./cases-reduce.js";
import { MATH_COMPOSITE_CASES, MATH_CASES } from "./cases-math.js";

export interface Sample {
  /** The function whose gradient is checked; inputs that are not float arrays are passed through. */
  f: (...xs: Tensor[]) => Tensor;
  inputs: NDArray[];
  /** Which inputs to differentiate (default: every float input); the others do not require grad. */
  check?: number[];
  /** What fast-check prints for a counterexample. */
  note: string;
}

export interface GradCase {
  sample: fc.Arbitrary<Sample>;
  /** The second-order check runs unless this says why not. */
  noSecond?: string;
  options?: GradcheckOptions;
}

function describe(a: NDArray): string {
  return `${nd.fmtShape(a.shape)}${a.dtype === "float64" ? "" : ` ${a.dtype}`} strides ${nd.fmtShape(a.strides)}`;
}

export function sample(note: string, inputs: NDArray[], f: Sample["f"], check?: number[]): Sample {
  const full = `${note} on ${inputs.map(describe).join(", ")}${check ? ` check ${JSON.stringify(check)}` : ""}`;
  return { f, inputs, check, note: full, [fc.toStringMethod]: () => full } as Sample;
}

/** Which of n inputs to differentiate: all, or a non-empty subset (the others take the "no gradient" path). */
function checkArb(n: number): fc.Arbitrary<number[] | undefined> {
  if (n === 1) return fc.constant(undefined);
  return fc.oneof(fc.constant(undefined), fc.subarray(Array.from({ length: n }, (_, i) => i), { minLength: 1 }));
}

// ---------------------------------------------------------------- families

function unary(name: string, fn: (x: Tensor) => Tensor, values: Values): GradCase {
  return {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => arrayArb(shape, values))
      .map((x) => sample(name, [x], fn)),
  };
}

function binary(name: string, fn: (a: Tensor, b: Tensor) => Tensor, va: Values, vb: Values): GradCase {
  return {
    sample: shapeArb(0, 3, 3)
      .chain((out) => fc.tuple(broadcastableArb(out), broadcastableArb(out)))
      .chain(([sa, sb]) => fc.tuple(arrayArb(sa, va), arrayArb(sb, vb), checkArb(2)))
      .map(([a, b, check]) => sample(name, [a, b], fn, check)),
  };
}

function reduction(name: string, fn: (x: Tensor, axis: number | number[] | undefined, keepdims: boolean) => Tensor, values: Values): GradCase {
  return {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape, values), axesArb(shape.length), fc.boolean()))
      .map(([x, axis, keepdims]) => sample(`${name}(axis=${JSON.stringify(axis)}, keepdims=${keepdims})`, [x], (t) => fn(t, axis, keepdims))),
  };
}

function softmaxLike(name: string, fn: (x: Tensor, axis: number) => Tensor): GradCase {
  return {
    sample: shapeArb(1, 3, 4)
      .chain((shape) => fc.tuple(arrayArb(shape, "any"), fc.integer({ min: -shape.length, max: shape.length - 1 })))
      .map(([x, axis]) => sample(`${name}(axis=${axis})`, [x], (t) => fn(t, axis))),
  };
}

/** One slice spec per axis (sometimes fewer): whole axis, an index (drops the axis), or start:stop:step. */
function sliceSpecsArb(shape: readonly number[]): fc.Arbitrary<nd.SliceSpec[]> {
  const axis = (d: number): fc.Arbitrary<nd.SliceSpec> =>
    fc.oneof(
      fc.constant(null),
      fc.integer({ min: -d, max: d - 1 }),
      fc
        .tuple(fc.option(fc.integer({ min: -d, max: d })), fc.option(fc.integer({ min: -d, max: d })), fc.constantFrom(1, 2, 3, -1, -2))
        .map(([a, b, s]) => [a, b, s] as const),
    );
  return fc.tuple(...shape.map(axis)).chain((specs) => fc.integer({ min: 0, max: specs.length }).map((n) => specs.slice(0, n)));
}

/** A reshape target of the same size: the dims shuffled, maybe a unit dim, maybe one -1. */
function reshapeTargetArb(shape: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(permutationArb(shape.length), fc.boolean(), fc.boolean())
    .map(([perm, unit, inferred]) => {
      let t = perm.map((i) => shape[i]!);
      if (unit) t.splice(Math.floor(t.length / 2), 0, 1);
      if (nd.shapesEqual(t, shape)) t = [...t, 1]; // an equal shape records nothing
      if (inferred) t[0] = -1;
      return t;
    });
}

/** A batched matmul pair: a (...batchA, n, k) @ b (...batchB, k, m), batch dims broadcasting. */
export function matmulShapesArb(maxBatch = 2): fc.Arbitrary<[number[], number[]]> {
  return fc
    .tuple(shapeArb(0, maxBatch, 3), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
    .chain(([batch, n, k, m]) =>
      fc.tuple(broadcastableArb(batch), broadcastableArb(batch)).map(([ba, bb]): [number[], number[]] => [
        [...ba, n, k],
        [...bb, k, m],
      ]),
    );
}

/** Integer indices (some repeated, some negative) of a shape of ndim 0..2 into an axis of size d. */
function indicesArb(d: number): fc.Arbitrary<NDArray> {
  return fc
    .tuple(shapeArb(0, 2, 3), fc.nat())
    .map(([shape, seed]) => {
      const next = rng(seed);
      const n = shape.reduce((a, b) => a * b, 1);
      const ids = Int32Array.from({ length: n }, () => Math.floor(next() * 2 * d) - d);
      return new NDArray(ids, shape);
    });
}

/** sum_i (i + 1) * sum(part_i), over all parts or only the even-numbered ones. */
function weightedParts(parts: readonly Tensor[], useAll: boolean): Tensor {
  const terms = parts.flatMap((p, i) => (useAll || i % 2 === 0 ? [ag.sum(ag.mul(p, i + 1))] : []));
  return ag.stack(terms, 0);
}

// ---------------------------------------------------------------- one case per recorded op

export const OP_CASES: Record<OpName, GradCase> = {
  neg: unary("neg", ag.neg, "any"),
  exp: unary("exp", ag.exp, "any"),
  log: unary("log", ag.log, "positive"),
  sqrt: unary("sqrt", ag.sqrt, "positive"),
  abs: unary("abs", ag.abs, "awayFromZero"),
  tanh: unary("tanh", ag.tanh, "any"),
  sigmoid: unary("sigmoid", ag.sigmoid, "any"),
  sigmoidBackward: binary("sigmoidBackward", ag.sigmoidBackward, "any", "any"),
  tanhBackward: binary("tanhBackward", ag.tanhBackward, "any", "any"),
  relu: unary("relu", ag.relu, "awayFromZero"),
  square: unary("square", ag.square, "any"),
  sin: unary("sin", ag.sin, "any"),
  cos: unary("cos", ag.cos, "any"),
  log1p: unary("log1p", ag.log1p, "aboveMinusOne"),
  expm1: unary("expm1", ag.expm1, "any"),
  reciprocal: unary("reciprocal", ag.reciprocal, "awayFromZero"),

  add: binary("add", ag.add, "any", "any"),
  sub: binary("sub", ag.sub, "any", "any"),
  mul: binary("mul", ag.mul, "any", "any"),
  div: binary("div", ag.div, "any", "awayFromZero"),
  // a positive base keeps a^b real and log a (the exponent's derivative) finite
  pow: {
    sample: shapeArb(0, 3, 3)
      .chain((out) => fc.tuple(broadcastableArb(out), broadcastableArb(out)))
      .chain(([sa, sb]) => fc.tuple(arrayArb(sa, "positive"), arrayArb(sb, "any"), checkArb(2)))
      .map(([a, b, check]) => sample("pow", [a, b], ag.pow, check)),
  },
  maximum: binary("maximum", ag.maximum, "nearEven", "nearOdd"),
  minimum: binary("minimum", ag.minimum, "nearEven", "nearOdd"),
  where: {
    sample: shapeArb(0, 3, 3)
      .chain((out) => fc.tuple(broadcastableArb(out), broadcastableArb(out), broadcastableArb(out)))
      .chain(([sm, sa, sb]) => fc.tuple(arrayArb(sm, "any"), arrayArb(sa, "any"), arrayArb(sb, "any"), checkArb(2)))
      .map(([m, a, b, check]) => {
        const mask = nd.gt(m, 0);
        return sample("where", [a, b, mask], (x, y, k) => ag.where(k!, x!, y!), check);
      }),
  },

  sum: reduction("sum", ag.sum, "any"),
  // distinct values: no ties, where max/min have no derivative
  max: reduction("max", ag.max, "distinct"),
  min: reduction("min", ag.min, "distinct"),
  logsumexp: reduction("logsumexp", ag.logsumexp, "any"),
  softmax: softmaxLike("softmax", ag.softmax),
  logSoftmax: softmaxLike("logSoftmax", ag.logSoftmax),

  reshape: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), reshapeTargetArb(shape)))
      .map(([x, target]) => sample(`reshape(${JSON.stringify(target)})`, [x], (t) => ag.reshape(t, target))),
  },
  permute: {
    sample: shapeArb(2, 4, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), permutationArb(shape.length), fc.boolean()))
      .map(([x, perm, negative]) => {
        if (perm.every((p, i) => p === i)) perm.reverse(); // the identity records nothing
        const axes = negative ? perm.map((p) => p - perm.length) : perm;
        return sample(`permute(${JSON.stringify(axes)})`, [x], (t) => ag.permute(t, axes));
      }),
  },
  slice: {
    sample: shapeArb(1, 3, 4)
      .chain((shape) => fc.tuple(arrayArb(shape), sliceSpecsArb(shape)))
      .map(([x, specs]) => sample(`slice(${JSON.stringify(specs)})`, [x], (t) => ag.slice(t, specs))),
  },
  sliceGrad: {
    // the adjoint of slice, called directly: its input has the sliced shape
    sample: shapeArb(1, 3, 4)
      .chain((shape) => sliceSpecsArb(shape).map((specs) => ({ shape, specs, out: nd.slice(nd.zeros(shape), specs).shape })))
      .chain(({ shape, specs, out }) =>
        arrayArb(out).map((g) => sample(`sliceGrad(${JSON.stringify(specs)}, ${JSON.stringify(shape)})`, [g], (t) => OPS.sliceGrad([t], { specs, shape }))),
      ),
  },
  broadcastTo: {
    sample: shapeArb(0, 3, 3)
      .chain((out) => fc.tuple(fc.constant(out), broadcastableArb(out)))
      .chain(([out, from]) => {
        const target = nd.shapesEqual(out, from) ? [2, ...out] : out;
        return arrayArb(from).map((x) => sample(`broadcastTo(${JSON.stringify(target)})`, [x], (t) => ag.broadcastTo(t, target)));
      }),
  },
  sumTo: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), broadcastableArb(shape)))
      .map(([x, to]) => {
        const target = nd.shapesEqual(to, x.shape) ? x.shape.slice(1) : to;
        return sample(`sumTo(${JSON.stringify(target)})`, [x], (t) => ag.sumTo(t, target));
      }),
  },
  concat: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: -shape.length, max: shape.length - 1 }),
          fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        ),
      )
      .chain(([shape, axis, sizes]) => {
        const ax = axis < 0 ? axis + shape.length : axis;
        const shapes = sizes.map((n) => shape.map((d, i) => (i === ax ? n : d)));
        return fc
          .tuple(fc.tuple(...shapes.map((s) => arrayArb(s))), checkArb(shapes.length))
          .map(([xs, check]) => sample(`concat(axis=${axis})`, xs, (...ts) => ag.concat(ts, axis), check));
      }),
  },
  take: {
    // repeated and negative indices; the gradient of a repeated index is a sum
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.option(fc.integer({ min: -shape.length, max: shape.length - 1 }), { nil: undefined })))
      .chain(([x, axis]) => {
        const d = axis === undefined ? x.size : x.shape[axis < 0 ? axis + x.ndim : axis]!;
        return indicesArb(d).map((idx) => sample(`take(axis=${axis}, indices=${JSON.stringify(Array.from(idx.data))})`, [x, idx], (t, i) => ag.take(t, i!, axis)));
      }),
  },
  takeGrad: {
    // the adjoint of take (a scatter-add), called directly with checked, non-negative indices
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 })))
      .chain(([shape, axis]) =>
        indicesArb(shape[axis]!).chain((raw) => {
          const idx = nd.toIndexArray("test", raw, shape[axis]!);
          const gShape = [...shape.slice(0, axis), ...idx.shape, ...shape.slice(axis + 1)];
          return arrayArb(gShape).map((g) =>
            sample(`takeGrad(axis=${axis}, indices=${JSON.stringify(Array.from(idx.data))}, ${JSON.stringify(shape)})`, [g], (t) =>
              OPS.takeGrad([t, new Tensor(idx)], { axis, shape }),
            ),
          );
        }),
      ),
  },
  split: {
    // numpy's split, by a count of equal parts or by cut indices (empty parts included);
    // parts are weighted differently, and sometimes only some are used (the rest get zeros)
    sample: shapeArb(1, 3, 4)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.boolean()))
      .chain(([x, axis, useAll]) => {
        const d = x.shape[axis < 0 ? axis + x.ndim : axis]!;
        const equal = Array.from({ length: d }, (_, i) => i + 1).filter((k) => d % k === 0 && k > 1);
        const cuts = fc.uniqueArray(fc.integer({ min: 0, max: d }), { minLength: 1, maxLength: 3 }).map((v) => v.sort((p, q) => p - q));
        const sections: fc.Arbitrary<number | number[]> = equal.length > 0 ? fc.oneof(fc.constantFrom(...equal), cuts) : cuts;
        return sections.map((s) => sample(`split(${JSON.stringify(s)}, axis=${axis}, useAll=${useAll})`, [x], (t) => weightedParts(ag.split(t, s, axis), useAll)));
      }),
  },
  unbind: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.boolean()))
      .map(([x, axis, useAll]) => sample(`unbind(axis=${axis}, useAll=${useAll})`, [x], (t) => weightedParts(ag.unbind(t, axis), useAll))),
  },
  stack: {
    sample: fc
      .tuple(shapeArb(0, 2, 3), fc.integer({ min: 1, max: 3 }))
      .chain(([shape, n]) =>
        fc.tuple(fc.tuple(...Array.from({ length: n }, () => arrayArb(shape))), fc.integer({ min: -shape.length - 1, max: shape.length }), checkArb(n)),
      )
      .map(([xs, axis, check]) => sample(`stack(axis=${axis})`, xs, (...ts) => ag.stack(ts, axis), check)),
  },
  unbindBackward: {
    // stack's values from separate arrays (the copying case); the slices of one array are the
    // fast tests' and the LSTM's
    sample: fc
      .tuple(shapeArb(0, 2, 3), fc.integer({ min: 1, max: 3 }))
      .chain(([shape, n]) => fc.tuple(fc.tuple(...Array.from({ length: n }, () => arrayArb(shape))), fc.integer({ min: 0, max: shape.length }), checkArb(n)))
      .map(([xs, axis, check]) => sample(`unbindBackward(axis=${axis})`, xs, (...ts) => OPS.unbindBackward(ts, { axis }), check)),
  },
  cast: {
    // float64 -> float32 rounds to ~1e-7, so a wider step keeps the differences accurate
    sample: shapeArb(0, 3, 3)
      .chain((shape) => arrayArb(shape))
      .map((x) => sample("cast(float32)", [x], (t) => ag.cast(t, "float32"))),
    options: { eps: 1e-2, atol: 1e-4 },
  },
  contiguous: {
    // a stride-0 leading axis of size 2 is never contiguous, whatever the input's own layout
    sample: shapeArb(0, 3, 3)
      .chain((shape) => arrayArb(shape))
      .map((x) => sample("contiguous", [x], (t) => ag.contiguous(ag.broadcastTo(t, [2, ...t.shape])))),
  },
  clip: {
    // values near even integers, bounds at odd ones: never on a bound
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape, "nearEven"), fc.integer({ min: -2, max: 1 }), fc.integer({ min: 0, max: 2 })))
      .map(([x, lo, width]) => {
        const a = 2 * lo + 1;
        const b = a + 2 * width;
        return sample(`clip(${a}, ${b})`, [x], (t) => ag.clip(t, a, b));
      }),
  },
  clone: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => arrayArb(shape))
      .map((x) => sample("clone", [x], (t) => ag.clone(t).mul(t))),
  },
  matmul: {
    sample: matmulShapesArb()
      .chain(([sa, sb]) => fc.tuple(arrayArb(sa), arrayArb(sb), checkArb(2)))
      .map(([a, b, check]) => sample("matmul", [a, b], ag.matmul, check)),
  },

  erf: unary("erf", ag.erf, "any"),
  unfold: {
    // overlapping (step < size), disjoint and gapped windows, with dilation
    sample: windowArb().chain(({ shape, spec }) =>
      arrayArb(shape).map((x) => sample(`unfold(${JSON.stringify(spec)})`, [x], (t) => ag.unfold(t, spec.axis, spec.size, spec.step, spec.dilation))),
    ),
  },
  unfoldBackward: {
    // the adjoint of unfold (a scatter-add), called directly: its input has unfold's output shape
    sample: windowArb().chain(({ shape, spec }) =>
      arrayArb(nd.unfold(nd.zeros(shape), spec).shape).map((g) =>
        sample(`unfoldBackward(${JSON.stringify(spec)}, ${JSON.stringify(shape)})`, [g], (t) => OPS.unfoldBackward([t], { ...spec, shape })),
      ),
    ),
  },
  matmulWeightGrad: {
    // A (..., K) and G (..., N) with the same leading dims, 2 or 3 dims in all
    sample: fc
      .tuple(shapeArb(1, 2, 3), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
      .chain(([lead, k, n]) => fc.tuple(arrayArb([...lead, k]), arrayArb([...lead, n]), checkArb(2)))
      .map(([a, g, check]) => sample("matmulWeightGrad", [a, g], (x, y) => OPS.matmulWeightGrad([x, y!], undefined), check)),
  },
  ...INDEXING_OP_CASES,
  ...REDUCE_OP_CASES,
  ...MATH_CASES,
};

/** A shape and a window spec along one of its axes that fits at least one window. */
function windowArb(): fc.Arbitrary<{ shape: number[]; spec: nd.WindowSpec }> {
  return fc
    .tuple(shapeArb(0, 2, 3), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 3 }))
    .chain(([rest, size, step, dilation, extra]) => {
      const n = dilation * (size - 1) + 1 + extra;
      return fc.integer({ min: 0, max: rest.length }).map((axis) => {
        const shape = [...rest.slice(0, axis), n, ...rest.slice(axis)];
        return { shape, spec: { axis, size, step, dilation } };
      });
    });
}

// ---------------------------------------------------------------- composite ops

export const COMPOSITE_CASES: Record<string, GradCase> = {
  ...INDEXING_COMPOSITE_CASES,
  ...REDUCE_COMPOSITE_CASES,
  ...MATH_COMPOSITE_CASES,
  pad: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: shape.length })))
      .map(([x, widths]) => sample(`pad(${JSON.stringify(widths)})`, [x], (t) => ag.pad(t, widths))),
  },
  mean: reduction("mean", ag.mean, "any"),
  variance: {
    sample: shapeArb(1, 3, 3, 2)
      .chain((shape) => fc.tuple(arrayArb(shape), axesArb(shape.length), fc.boolean(), fc.constantFrom(0, 1)))
      .map(([x, axis, keepdims, ddof]) =>
        sample(`variance(axis=${JSON.stringify(axis)}, keepdims=${keepdims}, ddof=${ddof})`, [x], (t) => ag.variance(t, axis, keepdims, ddof)),
      ),
  },
  transpose: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.option(permutationArb(shape.length), { nil: undefined })))
      .map(([x, axes]) => sample(`transpose(${JSON.stringify(axes)})`, [x], (t) => ag.transpose(t, axes))),
  },
  squeeze: {
    sample: shapeArb(1, 4, 2)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.option(fc.subarray(shape.flatMap((d, i) => (d === 1 ? [i] : []))), { nil: undefined })))
      .map(([x, axis]) => sample(`squeeze(${JSON.stringify(axis)})`, [x], (t) => ag.squeeze(t, axis))),
  },
  unsqueeze: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -shape.length - 1, max: shape.length })))
      .map(([x, axis]) => sample(`unsqueeze(${axis})`, [x], (t) => ag.unsqueeze(t, axis))),
  },
  flatten: {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => arrayArb(shape))
      .map((x) => sample("flatten", [x], (t) => ag.flatten(t))),
  },
  chunk: {
    sample: shapeArb(1, 3, 4)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.integer({ min: 1, max: 4 }), fc.boolean()))
      .map(([x, axis, n, useAll]) => sample(`chunk(${n}, axis=${axis}, useAll=${useAll})`, [x], (t) => weightedParts(ag.chunk(t, n, axis), useAll))),
  },
  "matmul 1-D @ 1-D": {
    sample: fc
      .integer({ min: 1, max: 4 })
      .chain((k) => fc.tuple(arrayArb([k]), arrayArb([k]), checkArb(2)))
      .map(([a, b, check]) => sample("dot", [a, b], ag.matmul, check)),
  },
  "matmul 1-D @ N-D": {
    sample: fc
      .tuple(shapeArb(0, 2, 3), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
      .chain(([batch, k, m]) => fc.tuple(arrayArb([k]), arrayArb([...batch, k, m]), checkArb(2)))
      .map(([a, b, check]) => sample("vector @ matrix", [a, b], ag.matmul, check)),
  },
  "matmul N-D @ 1-D": {
    sample: fc
      .tuple(shapeArb(0, 2, 3), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
      .chain(([batch, n, k]) => fc.tuple(arrayArb([...batch, n, k]), arrayArb([k]), checkArb(2)))
      .map(([a, b, check]) => sample("matrix @ vector", [a, b], ag.matmul, check)),
  },
  "matmul 2-D": {
    sample: matmulShapesArb(0)
      .chain(([sa, sb]) => fc.tuple(arrayArb(sa), arrayArb(sb)))
      .map(([a, b]) => sample("matrix @ matrix", [a, b], ag.matmul)),
  },
  "matmul batched, broadcast batch dims": {
    sample: matmulShapesArb(3)
      .chain(([sa, sb]) => fc.tuple(arrayArb(sa), arrayArb(sb), checkArb(2)))
      .map(([a, b, check]) => sample("batched matmul", [a, b], ag.matmul, check)),
  },
  "take as an embedding lookup (repeated ids)": {
    // a (vocab, dim) table, ids of shape (batch, seq) with repeats: each row's gradient sums its uses
    sample: fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.nat())
      .chain(([vocab, dim, batch, seq, seed]) => {
        const next = rng(seed);
        const ids = new NDArray(Int32Array.from({ length: batch * seq }, () => Math.floor(next() * vocab)), [batch, seq]);
        return arrayArb([vocab, dim]).map((table) =>
          sample(`embedding(${JSON.stringify(Array.from(ids.data))})`, [table, ids], (t, i) => ag.tanh(ag.take(t, i!, 0))),
        );
      }),
  },
  "comparisons give masks that carry no gradient": {
    // where(x > y, x, y) is maximum, built from a comparison mask
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape, "nearEven"), arrayArb(shape, "nearOdd")))
      .map(([a, b]) => sample("where(gt)", [a, b], (x, y) => ag.where(ag.gt(x, y), x, y))),
  },
};
