// Sorting and the selections made from a sort, along one axis, each giving values and the
// indices they came from (an autograd layer sends a gradient back through the indices). NaN
// sorts above every number, as in PyTorch and numpy; equal values keep their order (stable),
// in descending order too. Results are `[values, indices]` pairs so that a trace records one call.

import { allocate } from "./storage.js";
import { AxisError, ValueError, fmtShape } from "./errors.js";
import { NDArray } from "./ndarray.js";
import { kernel } from "./kernel.js";
import { normalizeAxis, type Shape } from "./shape.js";
import { eachLine } from "./scan.js";

/** Ascending order with NaN above everything; 0 for equal values (-0 equals 0). */
function ascending(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Visits each line along `axis` sorted (stably, ascending or descending), handing `pick` the
 * line's values, the sorted positions and where the line's results start in an output laid out
 * like `outShape` (the input's shape with `outLen` along the axis); `pick` writes `outLen`
 * results per line through `put(j, position)`.
 */
function sortedLines(
  a: NDArray, ax: number, descending: boolean, outLen: number,
  pick: (vals: Float64Array, order: Int32Array, put: (j: number, i: number) => void) => void,
): [NDArray, NDArray] {
  const len = a.shape[ax]!;
  const outShape = a.shape.map((d, i) => (i === ax ? outLen : d));
  const values = new NDArray(allocate(a.dtype, outShape.reduce((x, y) => x * y, 1)), outShape);
  const indices = new NDArray(new Int32Array(values.size), outShape);
  const sa = a.strides[ax]!;
  const so = values.strides[ax]!;
  const d = a.data;
  const vals = new Float64Array(len);
  const order = new Int32Array(len);
  // ties broken by position: stable whatever the engine's sort is
  const cmp = descending
    ? (i: number, j: number) => ascending(vals[j]!, vals[i]!) || i - j
    : (i: number, j: number) => ascending(vals[i]!, vals[j]!) || i - j;
  eachLine(a.shape, ax, [a.strides, values.strides], [a.offset, 0], ([p0, q0]) => {
    for (let i = 0, p = p0!; i < len; i++, p += sa) {
      vals[i] = d[p]!;
      order[i] = i;
    }
    order.sort(cmp);
    const q = q0!;
    pick(vals, order, (j, i) => {
      values.data[q + j * so] = vals[i]!;
      indices.data[q + j * so] = i;
    });
  });
  return [values, indices];
}

function sortAxis(op: string, a: NDArray, axis: number): number {
  if (typeof axis !== "number") throw new AxisError(`${op}: axis must be a single integer, got ${JSON.stringify(axis)}`);
  return normalizeAxis(op, axis, a.ndim);
}

/**
 * torch.sort: the elements of each line along `axis` (the last by default) in ascending order,
 * or descending with `descending`, and the index each came from, as `[values, indices]`
 * (indices int32). Stable in both directions: equal values keep their order. NaN sorts above
 * every number (last ascending, first descending), as in PyTorch; -0 and 0 are equal. Throws
 * AxisError for an axis out of range (a 0-d array has none, numpy's rule).
 *
 * @example
 * ```ts
 * const [v, i] = sort(array([3, 1, NaN, 1]));
 * v.toArray(); // [1, 1, 3, NaN]
 * i.toArray(); // [1, 3, 0, 2]
 * sort(array([3, 1, 2]), -1, true)[0].toArray(); // [3, 2, 1]
 * ```
 */
export const sort = kernel("sort", function sort(a: NDArray, axis = -1, descending = false): [NDArray, NDArray] {
  const ax = sortAxis("sort", a, axis);
  const len = a.shape[ax]!;
  return sortedLines(a, ax, descending, len, (_, order, put) => {
    for (let j = 0; j < len; j++) put(j, order[j]!);
  });
});

/**
 * The indices that sort each line along `axis` (numpy's and torch's argsort, stable): the
 * second array of {@link sort}.
 *
 * @example
 * ```ts
 * argsort(array([[3, 1, 2], [0, 0, -1]])).toArray(); // [[1, 2, 0], [2, 0, 1]]
 * ```
 */
export const argsort = kernel("argsort", function argsort(a: NDArray, axis = -1, descending = false): NDArray {
  return sort(a, axis, descending)[1];
});

/**
 * torch.topk: the `k` largest elements of each line along `axis` (the last by default), or the
 * smallest with `largest = false`, and their indices, as `[values, indices]`. With `sorted`
 * (the default) they come in order, largest first (smallest first when not `largest`), equal
 * values by index; otherwise in the order of their indices. The chosen elements are the head
 * of the stable {@link sort} (so among ties the earlier index wins); NaN counts as the largest.
 * Throws ValueError for k not in 0..n.
 *
 * @example
 * ```ts
 * const [v, i] = topk(array([1, 5, 3, 5]), 2);
 * v.toArray(); // [5, 5]
 * i.toArray(); // [1, 3]
 * ```
 */
export const topk = kernel("topk", function topk(a: NDArray, k: number, axis = -1, largest = true, sorted = true): [NDArray, NDArray] {
  const ax = sortAxis("topk", a, axis);
  const len = a.shape[ax]!;
  if (!Number.isInteger(k) || k < 0 || k > len) {
    throw new ValueError(`topk: k must be an integer in 0..${len} (axis ${ax} of shape ${fmtShape(a.shape)}), got ${k}`);
  }
  return sortedLines(a, ax, largest, k, (_, order, put) => {
    const head = order.subarray(0, k);
    if (!sorted) head.sort();
    for (let j = 0; j < k; j++) put(j, head[j]!);
  });
});

/** Drops axis `ax` from a [values, indices] pair whose length there is 1, unless `keepdims`. */
function reduced(pair: [NDArray, NDArray], ax: number, keepdims: boolean): [NDArray, NDArray] {
  if (keepdims) return pair;
  const shape: Shape = pair[0].shape.filter((_, i) => i !== ax);
  return [pair[0].reshape(shape), pair[1].reshape(shape)];
}

function checkNonEmpty(op: string, a: NDArray, ax: number): void {
  if (a.shape[ax] === 0) throw new ValueError(`${op}: axis ${ax} of shape ${fmtShape(a.shape)} is empty`);
}

/**
 * torch.kthvalue: the `k`-th smallest element (k counts from 1) of each line along `axis` (the
 * last by default) and its index, as `[values, indices]`, the axis dropped unless `keepdims`.
 * Position k - 1 of the stable ascending {@link sort} (among equal values the earlier index;
 * PyTorch leaves which one unspecified); NaN counts as the largest. Throws ValueError for k not
 * in 1..n.
 *
 * @example
 * ```ts
 * const [v, i] = kthvalue(array([[4, 1, 3], [0, 9, 8]]), 2);
 * v.toArray(); // [3, 8]
 * i.toArray(); // [2, 2]
 * ```
 */
export const kthvalue = kernel("kthvalue", function kthvalue(a: NDArray, k: number, axis = -1, keepdims = false): [NDArray, NDArray] {
  const ax = sortAxis("kthvalue", a, axis);
  const len = a.shape[ax]!;
  if (!Number.isInteger(k) || k < 1 || k > len) {
    throw new ValueError(`kthvalue: k must be an integer in 1..${len} (axis ${ax} of shape ${fmtShape(a.shape)}), got ${k}`);
  }
  return reduced(sortedLines(a, ax, false, 1, (_, order, put) => put(0, order[k - 1]!)), ax, keepdims);
});

/**
 * torch.median along `axis`: the lower median of each line (the element at position
 * floor((n - 1) / 2) of the stable ascending sort: of an even count, the smaller middle one, not
 * numpy's mean of the two) and its index, as `[values, indices]`, the axis dropped unless
 * `keepdims`. A line holding NaN gives NaN and the index of its first NaN, as PyTorch. With no
 * axis, over the flattened array (the index is into it). Throws ValueError for an empty line.
 *
 * @example
 * ```ts
 * const [v, i] = medianWithIndices(array([[3, 1, 2, 4], [5, NaN, 0, 1]]), 1);
 * v.toArray(); // [2, NaN]
 * i.toArray(); // [2, 1]
 * medianWithIndices(array([1, 4, 2, 3]))[0].item(); // 2
 * ```
 */
export const medianWithIndices = kernel("medianWithIndices", function medianWithIndices(a: NDArray, axis?: number | null, keepdims = false): [NDArray, NDArray] {
  if (axis === undefined || axis === null) {
    const [v, i] = medianWithIndices(a.reshape([-1]), 0, false);
    return keepdims ? [v.reshape(a.shape.map(() => 1)), i.reshape(a.shape.map(() => 1))] : [v, i];
  }
  const ax = sortAxis("median", a, axis);
  checkNonEmpty("median", a, ax);
  const mid = (a.shape[ax]! - 1) >> 1;
  // NaN sorts last, so a line with NaN has one at its end; its first NaN is the smallest index among them
  return reduced(sortedLines(a, ax, false, 1, (vals, order, put) => {
    const last = order[order.length - 1]!;
    if (vals[last] !== vals[last]) {
      let first = order.length - 1;
      while (first > 0 && vals[order[first - 1]!] !== vals[order[first - 1]!]) first--;
      put(0, order[first]!);
    } else put(0, order[mid]!);
  }), ax, keepdims);
});

/**
 * torch.median's value alone: the lower median over the flattened array (a 0-d array), or
 * along `axis`; see {@link medianWithIndices}.
 *
 * @example
 * ```ts
 * median(array([1, 4, 2, 3])).item(); // 2
 * ```
 */
export const median = kernel("median", function median(a: NDArray, axis?: number | null, keepdims = false): NDArray {
  return medianWithIndices(a, axis, keepdims)[0];
});

/**
 * torch.mode: the most frequent value of each line along `axis` (the last by default), the
 * smallest of those equally frequent, and the index of its last occurrence (PyTorch's choice),
 * as `[values, indices]`, the axis dropped unless `keepdims`. NaNs count as one value, above
 * every number. Throws ValueError for an empty line.
 *
 * @example
 * ```ts
 * const [v, i] = mode(array([1, 2, 2, 1, 1, 3]));
 * v.item(); // 1
 * i.item(); // 4
 * ```
 */
export const mode = kernel("mode", function mode(a: NDArray, axis = -1, keepdims = false): [NDArray, NDArray] {
  const ax = sortAxis("mode", a, axis);
  checkNonEmpty("mode", a, ax);
  return reduced(sortedLines(a, ax, false, 1, (vals, order, put) => {
    // runs of equal values in the sorted order; within a run indices ascend, so its end is the last occurrence
    let best = 0, bestLen = 0;
    for (let s = 0; s < order.length;) {
      let e = s + 1;
      while (e < order.length && ascending(vals[order[e]!]!, vals[order[s]!]!) === 0) e++;
      if (e - s > bestLen) {
        bestLen = e - s;
        best = order[e - 1]!;
      }
      s = e;
    }
    put(0, best);
  }), ax, keepdims);
});

function extremeWithIndex(op: string, isMax: boolean, a: NDArray, axis: number, keepdims: boolean): [NDArray, NDArray] {
  const ax = sortAxis(op, a, axis);
  checkNonEmpty(op, a, ax);
  const len = a.shape[ax]!;
  const shape = a.shape.map((d, i) => (i === ax ? 1 : d));
  const values = new NDArray(allocate(a.dtype, shape.reduce((x, y) => x * y, 1)), shape);
  const indices = new NDArray(new Int32Array(values.size), shape);
  const sa = a.strides[ax]!;
  const d = a.data;
  eachLine(a.shape, ax, [a.strides, values.strides], [a.offset, 0], ([p0, q0]) => {
    let p = p0!;
    let best = d[p]!;
    let idx = 0;
    // the first extreme wins, and the first NaN over everything (PyTorch's and numpy's rule)
    if (best === best) {
      for (let i = 1; i < len; i++) {
        p += sa;
        const v = d[p]!;
        if (v !== v) { best = v; idx = i; break; }
        if (isMax ? v > best : v < best) { best = v; idx = i; }
      }
    }
    values.data[q0!] = best;
    indices.data[q0!] = idx;
  });
  return reduced([values, indices], ax, keepdims);
}

/**
 * torch.max(x, dim): the largest element of each line along `axis` and the index of its first
 * occurrence, as `[values, indices]`, the axis dropped unless `keepdims`; a NaN (the first)
 * wins, as in PyTorch. Values keep the input's dtype. Throws ValueError for an empty axis.
 *
 * @example
 * ```ts
 * const [v, i] = maxWithIndices(array([[1, 5, 5], [7, 0, 2]]), 1);
 * v.toArray(); // [5, 7]
 * i.toArray(); // [1, 0]
 * ```
 */
export const maxWithIndices = kernel("maxWithIndices", function maxWithIndices(a: NDArray, axis: number, keepdims = false): [NDArray, NDArray] {
  return extremeWithIndex("maxWithIndices", true, a, axis, keepdims);
});

/**
 * torch.min(x, dim): the smallest element of each line along `axis` and the index of its first
 * occurrence; as {@link maxWithIndices} otherwise.
 *
 * @example
 * ```ts
 * minWithIndices(array([[1, 0, 0], [7, 9, 2]]), 1)[1].toArray(); // [1, 2]
 * ```
 */
export const minWithIndices = kernel("minWithIndices", function minWithIndices(a: NDArray, axis: number, keepdims = false): [NDArray, NDArray] {
  return extremeWithIndex("minWithIndices", false, a, axis, keepdims);
});
