// Gradient-check cases for indexing and movement (issue 26): one per recorded op (gather,
// scatter, scatterAdd, scatterReduce), and one per composite, spread into cases.ts's tables.
// Index arrays repeat and go negative where the op's gradient is a sum over repeats; scatter's
// indices are distinct per target (a repeated write has no derivative for the overwritten
// value), and amax/amin draw values with no ties.

import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { arrayArb, makeArray, rng, shapeArb } from "./helpers.js";
import type { GradCase, Sample } from "./cases.js";

function sample(note: string, inputs: NDArray[], f: Sample["f"], check?: number[]): Sample {
  const full = `${note} on ${inputs.map((a) => `${nd.fmtShape(a.shape)} strides ${nd.fmtShape(a.strides)}`).join(", ")}${check ? ` check ${JSON.stringify(check)}` : ""}`;
  return { f, inputs, check, note: full, [fc.toStringMethod]: () => full } as Sample;
}

const ints = (values: readonly number[], shape: readonly number[]) => new NDArray(Int32Array.from(values), shape.slice());
const list = (a: NDArray) => JSON.stringify(Array.from(a.data));

/** x's shape, an axis, and an index shape that fits (same ndim, no larger off the axis). */
function gatherShapesArb(): fc.Arbitrary<{ shape: number[]; axis: number; ishape: number[]; seed: number }> {
  return shapeArb(1, 3, 3).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axis: fc.integer({ min: 0, max: shape.length - 1 }),
      sizes: fc.tuple(...shape.map((d) => fc.integer({ min: 1, max: Math.max(d, 3) }))),
      seed: fc.nat(),
    }).map(({ shape, axis, sizes, seed }) => ({ shape, axis, seed, ishape: sizes.map((k, d) => (d === axis ? k : Math.min(k, shape[d]!))) })),
  );
}

/** Indices in [-n, n) of `shape` (repeats and negatives), from a seed. */
function randomIndices(shape: readonly number[], n: number, seed: number): NDArray {
  const next = rng(seed);
  return ints(Array.from({ length: nd.sizeOf(shape) }, () => Math.floor(next() * 2 * n) - n), shape);
}

/** Indices of `shape` into an axis of size n that are distinct along `axis` (at most n along it). */
function distinctIndices(shape: readonly number[], axis: number, n: number, seed: number): NDArray {
  const next = rng(seed);
  const out = new Int32Array(nd.sizeOf(shape));
  const strides = nd.contiguousStrides(shape);
  for (let p = 0; p < out.length; p++) {
    const along = Math.floor(p / strides[axis]!) % shape[axis]!;
    if (along !== 0) continue;
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    for (let k = 0; k < shape[axis]!; k++) out[p + k * strides[axis]!] = perm[k]!;
  }
  return new NDArray(out, shape.slice());
}

/** A src at least as large as the index: some dims one larger. */
function srcShapeArb(ishape: readonly number[]): fc.Arbitrary<number[]> {
  return fc.tuple(...ishape.map((d) => fc.integer({ min: d, max: d + 1 })));
}

const idxArb = (n: number) =>
  fc.tuple(shapeArb(0, 2, 3), fc.nat()).map(([shape, seed]) => randomIndices(shape, n, seed));

export const INDEXING_OP_CASES: Record<"gather" | "scatter" | "scatterAdd" | "scatterReduce", GradCase> = {
  gather: {
    sample: gatherShapesArb().chain(({ shape, axis, ishape, seed }) => {
      const idx = randomIndices(ishape, shape[axis]!, seed);
      return arrayArb(shape).map((x) => sample(`gather(axis=${axis}, index=${list(idx)} ${nd.fmtShape(ishape)})`, [x, idx], (t, i) => ag.gather(t, axis, i!)));
    }),
  },
  scatterAdd: {
    sample: gatherShapesArb().chain(({ shape, axis, ishape, seed }) => {
      const idx = randomIndices(ishape, shape[axis]!, seed);
      return srcShapeArb(ishape).chain((sshape) =>
        fc.tuple(arrayArb(shape), arrayArb(sshape), fc.constantFrom<number[] | undefined>(undefined, [0], [2])).map(([x, src, check]) =>
          sample(`scatterAdd(axis=${axis}, index=${list(idx)} ${nd.fmtShape(ishape)})`, [x, idx, src], (t, i, s) => ag.scatterAdd(t, axis, i!, s!), check),
        ),
      );
    }),
  },
  scatter: {
    sample: gatherShapesArb().chain(({ shape, axis, ishape, seed }) => {
      const is = ishape.map((d, k) => (k === axis ? Math.min(d, shape[axis]!) : d));
      const idx = distinctIndices(is, axis, shape[axis]!, seed);
      return srcShapeArb(is).chain((sshape) =>
        fc.tuple(arrayArb(shape), arrayArb(sshape), fc.constantFrom<number[] | undefined>(undefined, [0], [2])).map(([x, src, check]) =>
          sample(`scatter(axis=${axis}, index=${list(idx)} ${nd.fmtShape(is)})`, [x, idx, src], (t, i, s) => ag.scatter(t, axis, i!, s!), check),
        ),
      );
    }),
  },
  scatterReduce: {
    // sum and mean with repeats; prod away from zero; amax and amin with no ties between any two values
    sample: gatherShapesArb().chain(({ shape, axis, ishape, seed }) => {
      const idx = randomIndices(ishape, shape[axis]!, seed);
      return fc
        .tuple(fc.constantFrom<nd.ScatterReduction>("sum", "prod", "mean", "amax", "amin"), fc.boolean(), srcShapeArb(ishape), fc.nat(), fc.nat(), fc.constantFrom<number[] | undefined>(undefined, [0], [2]))
        .map(([reduce, includeSelf, sshape, s1, s2, check]) => {
          const kind = reduce === "prod" ? "awayFromZero" : reduce === "amax" || reduce === "amin" ? "distinct" : "any";
          const x = makeArray(shape, "contiguous", kind, s1);
          const src0 = makeArray(sshape, "permuted", kind, s2);
          const src = kind === "distinct" ? nd.add(src0, 0.25) : src0;
          return sample(`scatterReduce(axis=${axis}, ${reduce}, includeSelf=${includeSelf}, index=${list(idx)} ${nd.fmtShape(ishape)})`, [x, idx, src], (t, i, s) =>
            ag.scatterReduce(t, axis, i!, s!, reduce, { includeSelf }), check);
        });
    }),
  },
};

/** A slice spec per axis with bounds beyond the axis (clipped), newaxis and an ellipsis mixed in. */
function wideSpecsArb(shape: readonly number[]): fc.Arbitrary<nd.SliceSpec[]> {
  const axis = (d: number): fc.Arbitrary<nd.SliceSpec> =>
    fc.oneof(
      fc.constant(null),
      fc.integer({ min: -d, max: d - 1 }),
      fc.tuple(fc.option(fc.integer({ min: -2 * d - 2, max: 2 * d + 2 })), fc.option(fc.integer({ min: -2 * d - 2, max: 2 * d + 2 })), fc.constantFrom(1, 2, -1, -2)).map(([a, b, s]) => [a, b, s] as const),
    );
  return fc.tuple(fc.tuple(...shape.map(axis)), fc.integer({ min: 0, max: shape.length }), fc.integer({ min: 0, max: shape.length }), fc.boolean()).map(([specs, at, cut, ell]) => {
    const out: nd.SliceSpec[] = specs.slice(0, Math.max(cut, 1));
    out.splice(at % (out.length + 1), 0, nd.newaxis);
    if (ell) out.splice(out.length, 0, nd.ellipsis);
    return out;
  });
}

/** Advanced-index specs for a shape: per axis a slice, an index array (broadcasting shapes), an integer, a newaxis. */
function advancedSpecsArb(shape: readonly number[]): fc.Arbitrary<(nd.SliceSpec | NDArray)[]> {
  const b = fc.constantFrom<number[]>([2], [1], [2, 1], [1, 2], [2, 2]); // any two broadcast together
  const entry = (d: number): fc.Arbitrary<nd.SliceSpec | NDArray> =>
    fc.oneof(
      fc.constant(null),
      fc.constant([null, null, -1] as const),
      fc.integer({ min: -d, max: d - 1 }),
      fc.tuple(b, fc.nat()).map(([s, seed]) => randomIndices(s, d, seed)),
      fc.tuple(b, fc.nat()).map(([s, seed]) => randomIndices(s, d, seed)),
    );
  return fc.tuple(...shape.map(entry), fc.integer({ min: 0, max: shape.length }), fc.boolean()).map((all) => {
    const specs = all.slice(0, shape.length) as (nd.SliceSpec | NDArray)[];
    const at = all[shape.length] as number;
    if (all[shape.length + 1]) specs.splice(at, 0, nd.newaxis);
    return specs;
  });
}

const describeSpecs = (specs: readonly unknown[]) =>
  specs.map((s) => (s instanceof NDArray ? `idx${list(s)}${nd.fmtShape(s.shape)}` : JSON.stringify(s))).join(", ");

export const INDEXING_COMPOSITE_CASES: Record<string, GradCase> = {
  "slice with clipped bounds, newaxis and ellipsis": {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), wideSpecsArb(shape)))
      .map(([x, specs]) => sample(`slice(${JSON.stringify(specs)})`, [x], (t) => ag.slice(t, specs))),
  },
  "index (advanced indexing)": {
    // the gradient of a repeated index is a sum (take's scatter-add)
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), advancedSpecsArb(shape)))
      .map(([x, specs]) => sample(`index(${describeSpecs(specs)})`, [x], (t) => ag.index(t, specs))),
  },
  "index with a bool mask": {
    sample: shapeArb(1, 3, 3).chain((shape) =>
      fc.tuple(arrayArb(shape), fc.integer({ min: 1, max: shape.length }), fc.nat()).map(([x, k, seed]) => {
        const mask = nd.gt(makeArray(shape.slice(0, k), "contiguous", "any", seed), 0);
        return sample(`index(mask ${list(mask)} ${nd.fmtShape(mask.shape)})`, [x], (t) => ag.index(t, [mask]));
      }),
    ),
  },
  flip: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.option(fc.subarray(shape.map((_, i) => i), { minLength: 1 }), { nil: undefined })))
      .map(([x, axis]) => sample(`flip(${JSON.stringify(axis)})`, [x], (t) => ag.flip(t, axis))),
  },
  roll: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -4, max: 4 }), fc.option(fc.integer({ min: -shape.length, max: shape.length - 1 }), { nil: undefined })))
      .map(([x, shift, axis]) => sample(`roll(${shift}, ${axis})`, [x], (t) => ag.roll(t, shift, axis))),
  },
  repeat: {
    sample: shapeArb(0, 2, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: shape.length, maxLength: shape.length + 1 })))
      .map(([x, reps]) => sample(`repeat(${JSON.stringify(reps)})`, [x], (t) => ag.repeat(t, reps))),
  },
  repeatInterleave: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.nat()))
      .map(([x, axis, seed]) => {
        const next = rng(seed);
        const reps = Array.from({ length: x.shape[axis]! }, () => Math.floor(next() * 3));
        return sample(`repeatInterleave(${JSON.stringify(reps)}, axis=${axis})`, [x], (t) => ag.repeatInterleave(t, reps, axis));
      }),
  },
  diagonal: {
    sample: shapeArb(2, 3, 4)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: shape.length - 1 })))
      .map(([x, offset, a1, step]) => {
        const a2 = (a1 + step) % x.ndim;
        return sample(`diagonal(${offset}, ${a1}, ${a2})`, [x], (t) => ag.diagonal(t, offset, a1, a2));
      }),
  },
  diag: {
    sample: fc
      .tuple(fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: -2, max: 2 }))
      .chain(([vec, n, m, k]) => arrayArb(vec ? [n] : [n, m]).map((x) => sample(`diag(${k})`, [x], (t) => ag.diag(t, k)))),
  },
  "triu and tril": {
    sample: shapeArb(2, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: -2, max: 2 }), fc.boolean()))
      .map(([x, k, upper]) => sample(`${upper ? "triu" : "tril"}(${k})`, [x], (t) => (upper ? ag.triu(t, k) : ag.tril(t, k)))),
  },
  meshgrid: {
    sample: fc
      .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), fc.constantFrom<"ij" | "xy">("ij", "xy"))
      .chain(([sizes, indexing]) =>
        fc.tuple(...sizes.map((n) => arrayArb([n]))).map((xs) =>
          sample(`meshgrid(${indexing})`, xs, (...ts) => ag.stack(ag.meshgrid(ts, { indexing }).map((g, i) => ag.mul(g, i + 1)), 0)),
        ),
      ),
  },
  "maskedFill (number and tensor values)": {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), arrayArb([]), fc.nat(), fc.boolean()))
      .map(([x, v, seed, tensorValue]) => {
        const mask = nd.gt(makeArray(x.shape.slice(1), "contiguous", "any", seed), 0);
        return sample(`maskedFill(${list(mask)}, ${tensorValue ? "tensor" : "0.5"})`, [x, v], (t, val) => ag.maskedFill(t, mask, tensorValue ? val! : 0.5), tensorValue ? undefined : [0]);
      }),
  },
  maskedSelect: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.nat()))
      .map(([x, seed]) => {
        const mask = nd.gt(makeArray([x.shape[x.ndim - 1]!], "contiguous", "any", seed), 0);
        return sample(`maskedSelect(${list(mask)})`, [x], (t) => ag.maskedSelect(t, mask));
      }),
  },
  indexSelect: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), fc.integer({ min: 0, max: shape.length - 1 })))
      .chain(([x, axis]) => idxArb(x.shape[axis]!).map((raw) => {
        const idx = raw.reshape(-1);
        return sample(`indexSelect(${axis}, ${list(idx)})`, [x], (t) => ag.indexSelect(t, axis, idx));
      })),
  },
  "indexAdd (alpha)": {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: 4 }), fc.nat()))
      .chain(([shape, axis, k, seed]) => {
        const idx = randomIndices([k], shape[axis]!, seed);
        const sshape = shape.map((d, i) => (i === axis ? k : d));
        return fc.tuple(arrayArb(shape), arrayArb(sshape), fc.constantFrom(1, -2.5)).map(([x, src, alpha]) =>
          sample(`indexAdd(${axis}, ${list(idx)}, alpha=${alpha})`, [x, src], (t, s) => ag.indexAdd(t, axis, idx, s!, { alpha })),
        );
      }),
  },
  indexCopy: {
    sample: shapeArb(1, 3, 3)
      .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.nat()))
      .chain(([shape, axis, seed]) => {
        const n = shape[axis]!;
        const idx = distinctIndices([n], 0, n, seed).slice([0, Math.max(1, n - 1)]);
        const sshape = shape.map((d, i) => (i === axis ? idx.size : d));
        return fc.tuple(arrayArb(shape), arrayArb(sshape)).map(([x, src]) =>
          sample(`indexCopy(${axis}, ${list(idx.contiguous())})`, [x, src], (t, s) => ag.indexCopy(t, axis, idx, s!)),
        );
      }),
  },
  "pad (value, negative widths, modes)": {
    sample: shapeArb(1, 3, 4, 2)
      .chain((shape) =>
        fc.tuple(
          arrayArb(shape),
          fc.constantFrom<nd.PadMode>("constant", "reflect", "replicate", "circular"),
          fc.array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), { minLength: 1, maxLength: shape.length }),
          fc.constantFrom(0, 1.5),
        ),
      )
      .map(([x, mode, raw, value]) => {
        // keep each border within what the mode can fill after cropping
        const lead = x.ndim - raw.length;
        const widths = raw.map(([a, b], i) => {
          const kept = x.shape[lead + i]! + Math.min(a, 0) + Math.min(b, 0);
          const lim = mode === "reflect" ? kept - 1 : mode === "constant" ? 2 : kept;
          return [Math.min(a, lim), Math.min(b, lim)] as [number, number];
        });
        return sample(`pad(${JSON.stringify(widths)}, ${mode}, value=${value})`, [x], (t) => ag.pad(t, widths, { mode, value }));
      }),
  },
  "einsum (matmul, batch, trace, outer, ellipsis)": {
    sample: fc
      .constantFrom(
        { eq: "ij,jk->ik", shapes: [[2, 3], [3, 2]] },
        { eq: "bij,bjk->bik", shapes: [[2, 2, 3], [2, 3, 1]] },
        { eq: "ii->", shapes: [[3, 3]] },
        { eq: "ii->i", shapes: [[3, 3]] },
        { eq: "i,j->ij", shapes: [[2], [3]] },
        { eq: "...ij,...jk", shapes: [[2, 1, 2, 3], [3, 3, 2]] },
        { eq: "ijk->kji", shapes: [[1, 2, 3]] },
        { eq: "ij,ij->", shapes: [[2, 3], [2, 3]] },
        { eq: "ij,jk,kl->il", shapes: [[2, 3], [3, 2], [2, 2]] },
        { eq: "iij,jk", shapes: [[2, 2, 3], [3, 2]] },
      )
      .chain(({ eq, shapes }) => fc.tuple(...shapes.map((s) => arrayArb(s))).map((xs) => sample(`einsum(${eq})`, xs, (...ts: Tensor[]) => ag.einsum(eq, ...ts)))),
  },
};
