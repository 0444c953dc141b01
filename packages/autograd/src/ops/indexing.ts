// Gathering and scattering by index arrays (torch's gather, scatter, scatter_add and
// scatter_reduce). gather and scatterAdd are each other's adjoints; scatter and scatterReduce
// differentiate as PyTorch 1.13's derivatives.yaml does, so that their gradients agree with
// torch's even where the function has none (repeated indices into scatter, ties in amax).

import * as nd from "@tapegrad/tensor";
import { asIndexArray } from "@tapegrad/tensor/internal";
import { defineOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { constant, need } from "./helpers.js";
import { div, mul, where } from "./binary.js";
import { movementOps } from "./movement.js";

type Axis = { axis: number };
type Reduce = Axis & { reduce: nd.ScatterReduction; includeSelf: boolean };

/** t, zero-padded at the end of each axis up to `shape` (src may be larger than its index). */
function fitTo(t: Tensor, shape: readonly number[]): Tensor {
  if (nd.shapesEqual(t.shape, shape)) return t;
  return movementOps.sliceGrad([t], { specs: t.shape.map((d) => [0, d] as const), shape });
}

/** x with 0 written where idx points (a constant src): the gradient of a position overwritten. */
function zeroAt(x: Tensor, idx: Tensor, axis: number): Tensor {
  return ops.scatter([x, idx, constant(nd.zeros(idx.shape, x.dtype))], { axis });
}

const ops = {
  gather: defineOp<Axis>({
    name: "gather",
    forward: ([x, idx], { axis }) => nd.gather(x!, axis, idx!),
    vjp: ([g], { inputs: [x, idx], attrs: { axis } }): (Tensor | null)[] => [ops.scatterAdd([constant(nd.zeros(x!.shape, g!.dtype)), idx!, g!], { axis }), null],
    watch: [1],
  }),
  scatterAdd: defineOp<Axis>({
    name: "scatterAdd",
    forward: ([x, idx, src], { axis }) => nd.scatterAdd(x!, axis, idx!, src!),
    vjp: ([g], { inputs: [x, idx, src], attrs: { axis } }): (Tensor | null)[] => [
      need(x) ? g! : null,
      null,
      need(src) ? fitTo(ops.gather([g!, idx!], { axis }), src!.shape) : null,
    ],
    watch: [1],
  }),
  scatter: defineOp<Axis>({
    name: "scatter",
    forward: ([x, idx, src], { axis }) => nd.scatter(x!, axis, idx!, src!),
    // as torch: every src element gets its gathered gradient, even one a repeated index overwrote
    vjp: ([g], { inputs: [x, idx, src], attrs: { axis } }): (Tensor | null)[] => [
      need(x) ? zeroAt(g!, idx!, axis) : null,
      null,
      need(src) ? fitTo(ops.gather([g!, idx!], { axis }), src!.shape) : null,
    ],
    watch: [1],
  }),
  scatterReduce: defineOp<Reduce>({
    name: "scatterReduce",
    forward: ([x, idx, src], { axis, reduce, includeSelf }) => nd.scatterReduce(x!, axis, idx!, src!, reduce, includeSelf),
    vjp: ([g], { inputs: [x, idx, src], outputs: [y], attrs }): (Tensor | null)[] => {
      const [gx, gs] = scatterReduceGrads(g!, x!, idx!, src!, y!, attrs);
      return [need(x) ? (attrs.includeSelf ? gx : zeroAt(gx, idx!, attrs.axis)) : null, null, need(src) ? fitTo(gs, src!.shape) : null];
    },
    watch: "both",
  }),
};

export const indexingOps = ops;

/** PyTorch 1.13's scatter_reduce_backward: the gradients of self and of src (the latter of index's shape). */
function scatterReduceGrads(g: Tensor, x: Tensor, idx: Tensor, src: Tensor, y: Tensor, { axis, reduce, includeSelf }: Reduce): [Tensor, Tensor] {
  const gather = (t: Tensor): Tensor => ops.gather([t, idx], { axis });
  const s = srcPart(src, idx);
  switch (reduce) {
    case "sum":
      return [g, gather(g)];
    case "mean": {
      // how many values each position averaged: a constant
      const start = includeSelf ? nd.onesLike(x.data) : nd.zerosLike(x.data);
      const count = nd.scatterReduce(start, axis, idx.data, nd.onesLike(s.data), "sum");
      const n = constant(nd.where(nd.eq(count, 0), 1, count));
      return [div(g, n), div(gather(g), gather(n))];
    }
    case "amax":
    case "amin": {
      // the gradient is shared evenly among the values equal to the result (ties included)
      const value = gather(y);
      const selfIs = constant(nd.eq(x.data, y.data).astype(x.dtype));
      const srcIs = constant(nd.eq(s.data, value.data).astype(x.dtype));
      const count = constant(nd.scatterReduce(selfIs.data, axis, idx.data, srcIs.data, "sum"));
      const shared = div(g, count);
      return [mul(selfIs, shared), mul(srcIs, gather(shared))];
    }
    case "prod": {
      // a zero among the factors: the product of the others, recomputed with that zero as 1
      const selfZero = constant(nd.eq(x.data, 0));
      const maskedSelf = where(selfZero, 1, x);
      const gx = div(mul(g, ops.scatterReduce([maskedSelf, idx, s], { axis, reduce, includeSelf })), maskedSelf);
      const srcZero = nd.eq(s.data, 0);
      const zerosThere = nd.gather(nd.scatterReduce(nd.zerosLike(x.data), axis, idx.data, srcZero.astype(x.dtype), "sum"), axis, idx.data);
      const single = constant(nd.mul(srcZero, nd.eq(zerosThere, 1)).astype("bool"));
      const maskedSrc = where(single, 1, s);
      const othersIfZero = gather(mul(g, ops.scatterReduce([x, idx, maskedSrc], { axis, reduce, includeSelf })));
      const othersElse = div(gather(mul(g, y)), where(constant(srcZero), 1, s));
      return [gx, where(single, othersIfZero, othersElse)];
    }
  }
}

/** The part of src that index reads (src may be larger than index). */
function srcPart(src: Tensor, idx: Tensor): Tensor {
  if (nd.shapesEqual(src.shape, idx.shape)) return src;
  return movementOps.slice([src], { specs: idx.shape.map((d) => [0, d] as const) });
}

/** An index argument as a constant int tensor (a Tensor's data is taken as it is). */
export function indexTensor(op: string, index: Tensor | nd.IndexArrayLike): Tensor {
  if (index instanceof Tensor) {
    if (index.requiresGrad) throw new nd.DTypeError(`${op}: the index must not require grad`);
    return new Tensor(asIndexArray(op, index.data));
  }
  return new Tensor(asIndexArray(op, index));
}

/**
 * torch.gather: `out[i][j] = x[index[i][j]][j]` for axis 0 (and likewise along other axes),
 * of index's shape; index has x's number of dims and fits in x on the other axes. Gradient: g
 * scatter-added back to where each element came from (repeated indices accumulate).
 *
 * @example
 * ```ts
 * gather(tensor([[1, 2], [3, 4]]), 1, [[0, 0], [1, 0]]).toArray(); // [[1, 1], [4, 3]]
 * ```
 */
export function gather(x: TensorLike, axis: number, index: Tensor | nd.IndexArrayLike): Tensor {
  const t = toTensor(x);
  const idx = indexTensor("gather", index);
  const ax = nd.normalizeAxis("gather", axis, t.ndim);
  return ops.gather([t, idx], { axis: ax });
}

/** src as a tensor of x's dtype; a number fills index's shape. */
function srcTensor(src: TensorLike, x: Tensor, idx: Tensor): Tensor {
  return typeof src === "number" ? constant(nd.full(idx.shape, src, x.dtype)) : toTensor(src, x);
}

/**
 * torch.scatter: a copy of x with src's elements (or one number) written where index points
 * along `axis` (for axis 0, `out[index[i][j]][j] = src[i][j]`); a repeated index keeps the last
 * write. Gradients as torch's: x's is g with the written positions zeroed, src's is g gathered
 * by index (for every src element, even one a repeated index overwrote).
 *
 * @example
 * ```ts
 * scatter(zeros([2, 3]), 1, [[2], [0]], tensor([[5], [6]])).toArray(); // [[0, 0, 5], [6, 0, 0]]
 * ```
 */
export function scatter(x: TensorLike, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor {
  const t = toTensor(x);
  const idx = indexTensor("scatter", index);
  const ax = nd.normalizeAxis("scatter", axis, t.ndim);
  return ops.scatter([t, idx, srcTensor(src, t, idx)], { axis: ax });
}

/**
 * torch.scatter_add: a copy of x with src's elements added where index points along `axis`;
 * repeated indices accumulate. Gradients: g for x, g gathered by index for src.
 *
 * @example
 * ```ts
 * scatterAdd(zeros([3]), 0, [1, 1, 2], tensor([1, 2, 3])).toArray(); // [0, 3, 3]
 * ```
 */
export function scatterAdd(x: TensorLike, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor {
  const t = toTensor(x);
  const idx = indexTensor("scatterAdd", index);
  const ax = nd.normalizeAxis("scatterAdd", axis, t.ndim);
  return ops.scatterAdd([t, idx, srcTensor(src, t, idx)], { axis: ax });
}

/**
 * torch.scatter_reduce: a copy of x into which src's elements are combined where index points
 * along `axis`, by `reduce` ("sum", "prod", "mean", "amax", "amin"); with `includeSelf` false
 * (default true) a position that receives values forgets x's. Gradients as PyTorch 1.13's: amax
 * and amin share g evenly among the values equal to the result; prod is right where a factor
 * is 0 (the product of the others).
 *
 * @example
 * ```ts
 * scatterReduce(ones([2]), 0, [0, 0, 1], tensor([2, 3, 4]), "prod").toArray(); // [6, 4]
 * scatterReduce(ones([2]), 0, [0, 0], tensor([2, 4]), "mean", { includeSelf: false }).toArray(); // [3, 1]
 * ```
 */
export function scatterReduce(
  x: TensorLike, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike, reduce: nd.ScatterReduction, options: { includeSelf?: boolean } = {},
): Tensor {
  const t = toTensor(x);
  if (!nd.SCATTER_REDUCTIONS.includes(reduce)) {
    throw new nd.ValueError(`scatterReduce: reduce must be one of ${nd.SCATTER_REDUCTIONS.join(", ")}, got ${JSON.stringify(reduce)}`);
  }
  const idx = indexTensor("scatterReduce", index);
  const ax = nd.normalizeAxis("scatterReduce", axis, t.ndim);
  return ops.scatterReduce([t, idx, srcTensor(src, t, idx)], { axis: ax, reduce, includeSelf: options.includeSelf ?? true });
}
