// Reductions built from other ops, with no VJP of their own: std and normalize from variance
// and norm, and the selections (sort, topk, kthvalue, median, mode, max/min with indices,
// cummax/cummin). A selection's indices come from a kernel; its values are gathered from x at
// those indices with `take`, whose gradient scatters g back to exactly those positions.

import * as nd from "@tapegrad/tensor";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { div, maximum, where } from "./ops/binary.js";
import { sqrt } from "./ops/unary.js";
import { max, min, norm } from "./ops/reduce.js";
import { reshape, take } from "./ops/movement.js";
import { variance } from "./composite.js";

/** Values with the indices they were taken from, as torch's (values, indices) named tuples. */
export interface ValuesIndices {
  /** The selected values; differentiable: the gradient goes to the elements at `indices`. */
  values: Tensor;
  /** Where along the axis each value was found: an int32 tensor that takes no gradient. */
  indices: Tensor;
}

/** x's elements at `idx` (int32, indices along `axis`, of x's shape off the axis): numpy's take_along_axis, differentiable in x. */
function takeAlong(x: Tensor, idx: nd.NDArray, axis: number): Tensor {
  const flat = nd.flatIndexAlong(idx, x.shape, axis);
  return reshape(take(reshape(x, [-1]), new Tensor(flat)), idx.shape);
}

/** A pair from a selection kernel run with keepdims: values gathered from x, both reshaped to the result's shape. */
function select(x: Tensor, idx: nd.NDArray, axis: number, keepdims: boolean): ValuesIndices {
  const values = takeAlong(x, idx, axis);
  if (keepdims) return { values, indices: new Tensor(idx) };
  const shape = idx.shape.filter((_, i) => i !== axis);
  return { values: reshape(values, shape), indices: new Tensor(idx.reshape(shape)) };
}

function axisOf(op: string, x: Tensor, axis: number): number {
  if (typeof axis !== "number") throw new nd.AxisError(`${op}: axis must be a single integer, got ${JSON.stringify(axis)}`);
  return nd.normalizeAxis(op, axis, x.ndim);
}

/**
 * The standard deviation over `axis` (omitted: every element): the square root of
 * {@link variance} with n - correction in the denominator. `correction` is a number (numpy's
 * ddof) or PyTorch's `{ correction }` / `{ unbiased }`; the default 0 is numpy's and this
 * package's variance's, while torch.std's is 1 (pass 1 for PyTorch's default). Gradient:
 * (x - mean) / ((n - correction) std), and 0 where std is 0, as PyTorch's.
 *
 * @example
 * ```ts
 * std(tensor([1, 2, 3, 4])).item(); // 1.118033988749895
 * std(tensor([1, 2, 3, 4]), null, false, 1).item(); // 1.2909944487358056 (torch.std's default)
 * std(tensor([[1, 3], [5, 9]]), 1, false, { unbiased: false }).toArray(); // [1, 2]
 * ```
 */
export function std(x: TensorLike, axis?: nd.AxisArg, keepdims = false, correction: number | { correction?: number; unbiased?: boolean } = 0): Tensor {
  let ddof: number;
  if (typeof correction === "number") ddof = correction;
  else if (correction !== null && typeof correction === "object") {
    if (correction.correction !== undefined && correction.unbiased !== undefined) throw new nd.ValueError("std: give correction or unbiased, not both");
    ddof = correction.correction ?? (correction.unbiased === false ? 0 : 1);
  } else throw new nd.ValueError(`std: correction must be a number or { correction } / { unbiased }, got ${String(correction)}`);
  if (!Number.isFinite(ddof) || ddof < 0) throw new nd.ValueError(`std: correction must be a non-negative number, got ${ddof}`);
  const v = variance(x, axis, keepdims, ddof);
  // sqrt has no derivative at 0: PyTorch takes 0 there, and so does this (the mask is a constant)
  const zero = new Tensor(nd.eq(v.data, 0));
  return where(zero, 0, sqrt(where(zero, 1, v)));
}

/**
 * torch.nn.functional.normalize: x divided by its p-norm along `axis` (default 1, as PyTorch),
 * the norm held at least `eps` so that a zero vector stays zero. Gradient through both.
 *
 * @example
 * ```ts
 * normalize(tensor([[3, 4], [0, 0]])).toArray(); // [[0.6, 0.8], [0, 0]]
 * normalize(tensor([1, 3]), 1, 0).toArray(); // [0.25, 0.75]
 * ```
 */
export function normalize(x: TensorLike, p: number | "fro" = 2, axis = 1, eps = 1e-12): Tensor {
  const t = toTensor(x);
  const ax = nd.normalizeAxis("normalize", axis, t.ndim);
  return div(t, maximum(norm(t, p, ax, true), eps));
}

/**
 * torch.amax: the same as {@link max} (the largest element over `axis`; ties share the gradient).
 *
 * @example
 * ```ts
 * amax(tensor([[1, 5], [7, 2]]), 1).toArray(); // [5, 7]
 * ```
 */
export function amax(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  return max(x, axis, keepdims);
}

/**
 * torch.amin: the same as {@link min} (the smallest element over `axis`; ties share the gradient).
 *
 * @example
 * ```ts
 * amin(tensor([[1, 5], [7, 2]]), 1).toArray(); // [1, 2]
 * ```
 */
export function amin(x: TensorLike, axis?: nd.AxisArg, keepdims = false): Tensor {
  return min(x, axis, keepdims);
}

/**
 * torch.max(x, dim): the largest element along `axis` and the index of its first occurrence
 * (a NaN, the first, wins), the axis dropped unless `keepdims`. The gradient goes to that one
 * element, not shared among ties as {@link max}'s is.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 5, 5], [7, 0, 2]], { requiresGrad: true });
 * const { values, indices } = maxWithIndices(x, 1);
 * values.toArray(); // [5, 7]
 * indices.toArray(); // [1, 0]
 * values.sum().backward();
 * x.grad!.toArray(); // [[0, 1, 0], [1, 0, 0]]
 * ```
 */
export function maxWithIndices(x: TensorLike, axis: number, keepdims = false): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("maxWithIndices", t, axis);
  return select(t, nd.maxWithIndices(t.data, ax, true)[1], ax, keepdims);
}

/**
 * torch.min(x, dim): the smallest element along `axis` and the index of its first occurrence;
 * as {@link maxWithIndices} otherwise.
 *
 * @example
 * ```ts
 * minWithIndices(tensor([[1, 0, 0], [7, 9, 2]]), 1).indices.toArray(); // [1, 2]
 * ```
 */
export function minWithIndices(x: TensorLike, axis: number, keepdims = false): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("minWithIndices", t, axis);
  return select(t, nd.minWithIndices(t.data, ax, true)[1], ax, keepdims);
}

/**
 * torch.cummax: the running maximum along `axis` and where each was found (ties go to the later
 * index, a NaN takes over, as PyTorch). The gradient of each value goes to the element at its index.
 *
 * @example
 * ```ts
 * const { values, indices } = cummax(tensor([1, 3, 2, 5]), 0);
 * values.toArray(); // [1, 3, 3, 5]
 * indices.toArray(); // [0, 1, 1, 3]
 * ```
 */
export function cummax(x: TensorLike, axis: number): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("cummax", t, axis);
  return select(t, nd.cummax(t.data, ax)[1], ax, true);
}

/**
 * torch.cummin: the running minimum along `axis` and where each was found; as {@link cummax}.
 *
 * @example
 * ```ts
 * cummin(tensor([3, 1, 2, 0]), 0).values.toArray(); // [3, 1, 1, 0]
 * ```
 */
export function cummin(x: TensorLike, axis: number): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("cummin", t, axis);
  return select(t, nd.cummin(t.data, ax)[1], ax, true);
}

/**
 * torch.sort: each line along `axis` (the last by default) in ascending order (descending with
 * `descending`), stably (equal values keep their order, in both directions), NaN above every
 * number; with the index each value came from. Gradient: g sent back to those positions (the
 * inverse permutation).
 *
 * @example
 * ```ts
 * const { values, indices } = sort(tensor([3, 1, 2]));
 * values.toArray(); // [1, 2, 3]
 * indices.toArray(); // [1, 2, 0]
 * ```
 */
export function sort(x: TensorLike, axis = -1, descending = false): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("sort", t, axis);
  return select(t, nd.argsort(t.data, ax, descending), ax, true);
}

/**
 * torch.argsort (stable): the indices that sort each line along `axis`, as an int32 tensor
 * that takes no gradient. NaN sorts above every number.
 *
 * @example
 * ```ts
 * argsort(tensor([3, 1, 2]), -1, true).toArray(); // [0, 2, 1]
 * ```
 */
export function argsort(x: TensorLike, axis = -1, descending = false): Tensor {
  const t = toTensor(x);
  return new Tensor(nd.argsort(t.data, axisOf("argsort", t, axis), descending));
}

/**
 * torch.topk: the `k` largest elements along `axis` (the last by default; the smallest with
 * `largest = false`) and their indices, largest first when `sorted` (else in index order).
 * Among equal values the earlier index is taken first; NaN counts as the largest. Gradient: g
 * to the chosen elements.
 *
 * @example
 * ```ts
 * const { values, indices } = topk(tensor([1, 5, 3, 4]), 2);
 * values.toArray(); // [5, 4]
 * indices.toArray(); // [1, 3]
 * ```
 */
export function topk(x: TensorLike, k: number, axis = -1, largest = true, sorted = true): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("topk", t, axis);
  return select(t, nd.topk(t.data, k, ax, largest, sorted)[1], ax, true);
}

/**
 * torch.kthvalue: the `k`-th smallest element (k from 1) along `axis` (the last by default)
 * and its index (among equal values, that of the stable sort), the axis dropped unless
 * `keepdims`. Gradient: g to that element.
 *
 * @example
 * ```ts
 * kthvalue(tensor([[4, 1, 3], [0, 9, 8]]), 2).values.toArray(); // [3, 8]
 * ```
 */
export function kthvalue(x: TensorLike, k: number, axis = -1, keepdims = false): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("kthvalue", t, axis);
  return select(t, nd.kthvalue(t.data, k, ax, true)[1], ax, keepdims);
}

/**
 * torch.median along `axis` with the index of the median: the lower median (of an even count,
 * the smaller middle value, not numpy's mean of the two); NaN if the line holds one (with the
 * first NaN's index). No axis: over the flattened tensor, the index into it. Gradient: g to
 * the median element.
 *
 * @example
 * ```ts
 * const { values, indices } = medianWithIndices(tensor([[3, 1, 2, 4]]), 1);
 * values.toArray(); // [2]
 * indices.toArray(); // [2]
 * ```
 */
export function medianWithIndices(x: TensorLike, axis?: number | null, keepdims = false): ValuesIndices {
  const t = toTensor(x);
  if (axis === undefined || axis === null) {
    const flat = reshape(t, [-1]);
    const r = select(flat, nd.medianWithIndices(flat.data, 0, true)[1], 0, false);
    if (!keepdims) return r;
    const ones = t.shape.map(() => 1);
    return { values: reshape(r.values, ones), indices: new Tensor(r.indices.data.reshape(ones)) };
  }
  const ax = axisOf("median", t, axis);
  return select(t, nd.medianWithIndices(t.data, ax, true)[1], ax, keepdims);
}

/**
 * torch.median: the lower median over the flattened tensor (a 0-d tensor), or along `axis`
 * (the values of {@link medianWithIndices}). Gradient: g to the median element.
 *
 * @example
 * ```ts
 * median(tensor([1, 4, 2, 3])).item(); // 2
 * ```
 */
export function median(x: TensorLike, axis?: number | null, keepdims = false): Tensor {
  return medianWithIndices(x, axis, keepdims).values;
}

/**
 * torch.mode: the most frequent value along `axis` (the last by default; of those equally
 * frequent, the smallest) and the index of its last occurrence, as PyTorch; the axis dropped
 * unless `keepdims`. Gradient: g to that element.
 *
 * @example
 * ```ts
 * const { values, indices } = mode(tensor([1, 2, 2, 1, 1, 3]));
 * values.item(); // 1
 * indices.item(); // 4
 * ```
 */
export function mode(x: TensorLike, axis = -1, keepdims = false): ValuesIndices {
  const t = toTensor(x);
  const ax = axisOf("mode", t, axis);
  return select(t, nd.mode(t.data, ax, true)[1], ax, keepdims);
}
