// Reductions over any set of axes, with keepdims. The accumulating ones walk the input in its
// own order and add into an accumulator whose strides are 0 along the reduced axes, so a
// reduction over a leading axis (a bias gradient) still reads memory in order. Accumulation
// is in float64 whatever the dtype; the result is rounded once at the end.

import { floatResult, type DType, type Storage } from "./dtype.js";
import { allocate } from "./storage.js";
import { AxisError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { walk } from "./iter.js";
import { NDArray, type AxisArg } from "./ndarray.js";
import * as elementwise from "./elementwise.js";
import { kernel, unwrapped } from "./kernel.js";
import { accumulateResult } from "./scan.js";
import { exp32, exp64, log64, transcendentalRow } from "./kernels/transcendental.js";
import { broadcastShapes, contiguousStrides, normalizeAxes, normalizeAxis, shapesEqual, type Shape } from "./shape.js";

const ew = unwrapped(elementwise);

const SUM = 0, PROD = 1, MAX = 2, MIN = 3, ALL = 4, ANY = 5;
const INIT = [0, 1, -Infinity, Infinity, 1, 0];

function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function finalShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  return keepdims ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

function accumulate(op: string, kind: number, a: NDArray, axis: AxisArg, keepdims: boolean, dtype: DType, allowEmpty = false): NDArray {
  const axes = normalizeAxes(op, axis, a.ndim);
  const kept = keptShape(a.shape, axes);
  let count = 1;
  for (const i of axes) count *= a.shape[i]!;
  const outSize = kept.reduce((x, y) => x * y, 1);
  // numpy refuses whenever a group is empty, even when there are no groups ((0,0).max(axis=1)).
  if (count === 0 && !allowEmpty && (kind === MAX || kind === MIN)) {
    throw new ValueError(`${op}: zero-size reduction over axes [${axes.join(",")}] of shape ${fmtShape(a.shape)} has no identity`);
  }
  const acc = (allocate("float64", outSize) as Float64Array).fill(INIT[kind]!);
  if (!accumulateBlock(kind, a, axes, acc)) accumulateWalk(kind, a, kept, axes, acc);
  const shape = finalShape(a.shape, axes, keepdims);
  if (dtype === "float64") return new NDArray(acc, shape);
  const out = allocate(dtype, outSize);
  for (let i = 0; i < outSize; i++) out[i] = acc[i]!;
  return new NDArray(out, shape);
}

/**
 * Where the reduced axes of a contiguous array are its trailing or its leading dims (size-1
 * dims count as either), which of the two, and the products of the dims before and after
 * the boundary. Null otherwise.
 */
function blockSplit(a: NDArray, axes: readonly number[]): [leading: boolean, outer: number, inner: number] | null {
  if (a.size === 0 || !a.isContiguous()) return null;
  const nd = a.ndim;
  const reduced = (i: number) => a.shape[i] === 1 || axes.includes(i);
  const kept = (i: number) => a.shape[i] === 1 || !axes.includes(i);
  // trailing (tried first, so that a full reduction is one fold): kept dims, then reduced dims
  let p = 0;
  while (p < nd && kept(p)) p++;
  let q = p;
  while (q < nd && reduced(q)) q++;
  if (q === nd) return [false, sizeOfDims(a.shape, 0, p), sizeOfDims(a.shape, p, nd)];
  // leading: reduced dims, then kept dims
  p = 0;
  while (p < nd && reduced(p)) p++;
  q = p;
  while (q < nd && kept(q)) q++;
  if (q === nd) return [true, sizeOfDims(a.shape, 0, p), sizeOfDims(a.shape, p, nd)];
  return null;
}

function sizeOfDims(shape: Shape, from: number, to: number): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i]!;
  return n;
}

/**
 * The reductions that matter most without the walk: over the leading dims of a contiguous
 * array (a bias gradient: (batch, n) -> (n)), where each input row is added into the one
 * accumulator row, and over the trailing dims (a row sum, a full sum), where each run is
 * folded in a local. Both read memory in order and combine in the same order as the walk, so
 * the results are the same to the bit. Returns false when the axes are neither.
 */
function accumulateBlock(kind: number, a: NDArray, axes: readonly number[], acc: Float64Array): boolean {
  if (kind !== SUM && kind !== MAX && kind !== MIN) return false;
  const split = blockSplit(a, axes);
  if (split === null) return false;
  const [leading, outer, inner] = split;
  const d = a.data;
  const off = a.offset;
  if (leading) {
    // acc (inner) gets every row of the (outer, inner) block in turn
    for (let r = 0, p = off; r < outer; r++, p += inner) {
      switch (kind) {
        case SUM: for (let j = 0; j < inner; j++) acc[j]! += d[p + j]!; break;
        case MAX: for (let j = 0; j < inner; j++) { const v = d[p + j]!; const m = acc[j]!; if (v > m || (v !== v && m === m)) acc[j] = v; } break;
        case MIN: for (let j = 0; j < inner; j++) { const v = d[p + j]!; const m = acc[j]!; if (v < m || (v !== v && m === m)) acc[j] = v; } break;
      }
    }
    return true;
  }
  // acc (outer): each row of `inner` elements folds into one value
  for (let o = 0, p = off; o < outer; o++, p += inner) {
    let r = acc[o]!;
    switch (kind) {
      case SUM: for (let j = 0; j < inner; j++) r += d[p + j]!; break;
      case MAX: for (let j = 0; j < inner; j++) { const v = d[p + j]!; if (v > r || v !== v) r = v; if (r !== r) break; } break;
      case MIN: for (let j = 0; j < inner; j++) { const v = d[p + j]!; if (v < r || v !== v) r = v; if (r !== r) break; } break;
    }
    acc[o] = r;
  }
  return true;
}

/** Any axes, any layout: a walk over the input with an accumulator whose strides are 0 on the reduced axes. */
function accumulateWalk(kind: number, a: NDArray, kept: Shape, axes: readonly number[], acc: Float64Array): void {
  const accStrides = contiguousStrides(kept).map((s, i) => (axes.includes(i) ? 0 : s));
  const d = a.data;
  walk(a.shape, [accStrides, a.strides], [0, a.offset], (pos, n, inner) => {
    let po = pos[0]!;
    let pa = pos[1]!;
    const so = inner[0]!;
    const sa = inner[1]!;
    if (so === 0) {
      // The row runs along a reduced axis: fold it locally, then combine once.
      let r = acc[po]!;
      switch (kind) {
        case SUM: for (let i = 0; i < n; i++, pa += sa) r += d[pa]!; break;
        case PROD: for (let i = 0; i < n; i++, pa += sa) r *= d[pa]!; break;
        case MAX: for (let i = 0; i < n; i++, pa += sa) { const v = d[pa]!; if (v > r || v !== v) r = v; if (r !== r) break; } break;
        case MIN: for (let i = 0; i < n; i++, pa += sa) { const v = d[pa]!; if (v < r || v !== v) r = v; if (r !== r) break; } break;
        // Compared with 0, not tested for truth: NaN is true in numpy (bool(nan)).
        case ALL: for (let i = 0; i < n; i++, pa += sa) if (d[pa] === 0) r = 0; break;
        case ANY: for (let i = 0; i < n; i++, pa += sa) if (d[pa] !== 0) r = 1; break;
      }
      acc[po] = r;
      return;
    }
    switch (kind) {
      case SUM: for (let i = 0; i < n; i++, po += so, pa += sa) acc[po]! += d[pa]!; break;
      case PROD: for (let i = 0; i < n; i++, po += so, pa += sa) acc[po]! *= d[pa]!; break;
      case MAX: for (let i = 0; i < n; i++, po += so, pa += sa) { const v = d[pa]!; const r = acc[po]!; if (v > r || (v !== v && r === r)) acc[po] = v; } break;
      case MIN: for (let i = 0; i < n; i++, po += so, pa += sa) { const v = d[pa]!; const r = acc[po]!; if (v < r || (v !== v && r === r)) acc[po] = v; } break;
      case ALL: for (let i = 0; i < n; i++, po += so, pa += sa) if (d[pa] === 0) acc[po] = 0; break;
      case ANY: for (let i = 0; i < n; i++, po += so, pa += sa) if (d[pa] !== 0) acc[po] = 1; break;
    }
  });
}

/**
 * numpy's sum over `axis` (one axis, a list of axes, or all of them when omitted or null;
 * negative ones count from the end), the reduced dims dropped, or kept with size 1 when
 * `keepdims`. Accumulated in float64 and rounded once to the result's dtype: a float input's
 * own; an int32 or bool input gives float64, exact to 2^53 (numpy's int64 sum, which never
 * wraps as an int32 sum would: 2e9 + 2e9 is 4e9). Over no elements it is 0. Throws AxisError
 * for an axis out of range or repeated.
 *
 * @example
 * ```ts
 * const a = arange(6).reshape(2, 3); // [[0, 1, 2], [3, 4, 5]]
 * sum(a).item(); // 15
 * sum(a, 0).toArray(); // [3, 5, 7]
 * sum(a, 1, true).toArray(); // [[3], [12]]
 * ```
 */
export const sum = kernel("sum", function sum(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  return accumulate("sum", SUM, a, axis, keepdims, accumulateResult(a.dtype));
});

/**
 * numpy's prod: the product over `axis`; axes, keepdims and dtype as for {@link sum} (an
 * int32 or bool input gives float64); over no elements it is 1.
 *
 * @example
 * ```ts
 * prod(array([[1, 2], [3, 4]]), 1).toArray(); // [2, 12]
 * prod(array([65536, 65536], undefined, "int32")).item(); // 4294967296
 * ```
 */
export const prod = kernel("prod", function prod(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  return accumulate("prod", PROD, a, axis, keepdims, accumulateResult(a.dtype));
});

/**
 * numpy's max (amax): the largest element over `axis` (axes and keepdims as for {@link sum});
 * a NaN wins, as in numpy. Keeps the input's dtype. Throws ValueError for a reduction over no
 * elements, which has no identity.
 *
 * @example
 * ```ts
 * max(array([[1, 5], [7, 2]]), 0).toArray(); // [7, 5]
 * ```
 */
export const max = kernel("max", function max(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  return accumulate("max", MAX, a, axis, keepdims, a.dtype);
});

/** numpy's min (amin): the smallest element over `axis`; as {@link max} otherwise. */
export const min = kernel("min", function min(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  return accumulate("min", MIN, a, axis, keepdims, a.dtype);
});

/**
 * numpy's amax: the same function as {@link max} (PyTorch's name for it, torch.amax).
 *
 * @example
 * ```ts
 * amax(array([[1, 5], [7, 2]]), 1).toArray(); // [5, 7]
 * ```
 */
export const amax = max;

/**
 * numpy's amin: the same function as {@link min} (torch.amin).
 *
 * @example
 * ```ts
 * amin(array([[1, 5], [7, 2]]), 1).toArray(); // [1, 2]
 * ```
 */
export const amin = min;

/** A norm's order as a number (Infinity for "inf"; "fro" is 2), or a ValueError naming the op. */
function normOrder(op: string, ord: number | "fro"): number {
  if (ord === "fro") return 2;
  if (typeof ord !== "number" || ord !== ord) throw new ValueError(`${op}: the order must be a number, Infinity, -Infinity or "fro", got ${JSON.stringify(ord)}`);
  return ord;
}

/**
 * torch.linalg.vector_norm: the `ord`-norm of the elements over `axis` (axes and keepdims as
 * for {@link sum}; all of them when omitted), taken as one vector: ord 2 (the default, also
 * "fro") is sqrt(sum(x^2)), 1 is sum(|x|), Infinity max(|x|), -Infinity min(|x|), 0 the count
 * of nonzero elements (NaN counts), any other p sum(|x|^p)^(1/p). Computed in float64; a float
 * result (float32 for float32, else float64). Over no elements: 0, but a ValueError for
 * ±Infinity, as for {@link max}.
 *
 * @example
 * ```ts
 * vectorNorm(array([3, -4])).item(); // 5
 * vectorNorm(array([[3, -4], [1, 0]]), Infinity, 1).toArray(); // [4, 1]
 * vectorNorm(array([1, 0, 2]), 0).item(); // 2
 * ```
 */
export const vectorNorm = kernel("vectorNorm", function vectorNorm(a: NDArray, ord: number | "fro" = 2, axis?: AxisArg, keepdims = false): NDArray {
  const p = normOrder("vectorNorm", ord);
  const x = ew.abs(a.dtype === "float64" ? a : a.astype("float64"));
  let r: NDArray;
  if (p === Infinity) r = accumulate("vectorNorm", MAX, x, axis, keepdims, "float64");
  else if (p === -Infinity) r = accumulate("vectorNorm", MIN, x, axis, keepdims, "float64");
  else if (p === 0) r = accumulate("vectorNorm", SUM, ew.ne(x, 0).astype("float64"), axis, keepdims, "float64");
  else if (p === 1) r = accumulate("vectorNorm", SUM, x, axis, keepdims, "float64");
  else if (p === 2) {
    r = accumulate("vectorNorm", SUM, ew.mul(x, x, x), axis, keepdims, "float64");
    ew.sqrt(r, r);
  } else {
    r = accumulate("vectorNorm", SUM, ew.pow(x, p, x), axis, keepdims, "float64");
    ew.pow(r, 1 / p, r);
  }
  return floatResult(a.dtype) === "float32" ? r.astype("float32") : r;
});

/**
 * numpy's all: whether every element over `axis` is nonzero (NaN counts as true), as a bool
 * array; true over no elements. Axes and keepdims as for {@link sum}.
 */
export const all = kernel("all", function all(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  return accumulate("all", ALL, a, axis, keepdims, "bool");
});

/**
 * numpy's any: whether some element over `axis` is nonzero (NaN counts as true), as a bool array;
 * false over no elements. Axes and keepdims as for {@link sum}.
 */
export const any = kernel("any", function any(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  return accumulate("any", ANY, a, axis, keepdims, "bool");
});

function reducedCount(op: string, a: NDArray, axis: AxisArg): number {
  let n = 1;
  for (const i of normalizeAxes(op, axis, a.ndim)) n *= a.shape[i]!;
  return n;
}

/**
 * numpy's mean over `axis` (axes and keepdims as for {@link sum}). A float result: float32 for a
 * float32 input, else float64. Over no elements it is NaN, as in numpy.
 *
 * @example
 * ```ts
 * mean(arange(6).reshape(2, 3), 1).toArray(); // [1, 4]
 * ```
 */
export const mean = kernel("mean", function mean(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  const s = accumulate("mean", SUM, a, axis, keepdims, "float64");
  const r = ew.div(s, reducedCount("mean", a, axis), s);
  return a.dtype === "float32" ? r.astype("float32") : r;
});

/**
 * numpy's var (named `variance`, `var` being a JS keyword): the summed squared deviations from
 * the mean over `axis`, divided by n - ddof (0, the default: the population variance; 1: the
 * sample variance), by the two-pass formula. Axes and keepdims as for {@link sum}; a float result
 * as for {@link mean}. Where n - ddof <= 0 the division is by 0 (Infinity or NaN).
 *
 * @example
 * ```ts
 * variance(array([1, 2, 3, 4])).item(); // 1.25
 * ```
 */
export const variance = kernel("variance", function variance(a: NDArray, axis?: AxisArg, keepdims = false, ddof = 0): NDArray {
  const n = reducedCount("variance", a, axis);
  const m = accumulate("variance", SUM, a, axis, true, "float64");
  ew.div(m, n, m);
  // float32 deviations from the float32-rounded mean, as numpy computes them
  const dev = ew.sub(a, a.dtype === "float32" ? m.astype("float32") : m);
  ew.mul(dev, dev, dev);
  const s = accumulate("variance", SUM, dev, axis, keepdims, "float64");
  ew.div(s, Math.max(n - ddof, 0), s);
  return a.dtype === "float32" ? s.astype("float32") : s;
});

/**
 * numpy's std: the square root of {@link variance}, with the same `axis`, `keepdims` and `ddof`.
 *
 * @example
 * ```ts
 * std(array([[1, 3], [5, 9]]), 1).toArray(); // [1, 2]
 * ```
 */
export const std = kernel("std", function std(a: NDArray, axis?: AxisArg, keepdims = false, ddof = 0): NDArray {
  const v = variance(a, axis, keepdims, ddof);
  return ew.sqrt(v, v);
});

function argReduce(op: string, isMax: boolean, a: NDArray, axis: number | undefined, keepdims: boolean): NDArray {
  if (axis === undefined || axis === null) {
    const flat = a.reshape([-1]);
    const r = argReduce(op, isMax, flat, 0, false);
    return keepdims ? r.reshape(a.shape.map(() => 1)) : r;
  }
  if (Array.isArray(axis)) throw new AxisError(`${op}: axis must be a single integer, got [${(axis as number[]).join(",")}]`);
  const ax = normalizeAxis(op, axis, a.ndim);
  const len = a.shape[ax]!;
  if (len === 0) throw new ValueError(`${op}: attempt to get ${op} of an empty sequence (axis ${ax} of shape ${fmtShape(a.shape)})`);
  const outerShape = a.shape.filter((_, i) => i !== ax);
  const outerStrides = a.strides.filter((_, i) => i !== ax);
  const step = a.strides[ax]!;
  const out = new Int32Array(outerShape.reduce((x, y) => x * y, 1));
  const d = a.data;
  walk(outerShape, [contiguousStrides(outerShape), outerStrides], [0, a.offset], (pos, n, inner) => {
    let po = pos[0]!;
    let pa = pos[1]!;
    for (let i = 0; i < n; i++, po += inner[0]!, pa += inner[1]!) {
      let best = d[pa]!;
      let idx = 0;
      // The first NaN wins, as in numpy.
      if (best === best) {
        for (let k = 1, p = pa + step; k < len; k++, p += step) {
          const v = d[p]!;
          if (v !== v) { idx = k; break; }
          if (isMax ? v > best : v < best) { best = v; idx = k; }
        }
      }
      out[po] = idx;
    }
  });
  const shape = keepdims ? a.shape.map((s, i) => (i === ax ? 1 : s)) : outerShape;
  return new NDArray(out, shape);
}

/**
 * numpy's argmax: the index of the largest element along one `axis`, as an int32 array; with
 * no axis, the index into the flattened array (0-d, or all 1s with keepdims). Ties go to the
 * first; a NaN, the first one, wins. Throws ValueError for an empty axis and AxisError for a
 * list of axes.
 *
 * @example
 * ```ts
 * const a = array([[1, 5, 2], [7, 0, 7]]);
 * argmax(a, 1).toArray(); // [1, 0]
 * argmax(a).item(); // 3
 * ```
 */
export const argmax = kernel("argmax", function argmax(a: NDArray, axis?: number, keepdims = false): NDArray {
  return argReduce("argmax", true, a, axis, keepdims);
});

/**
 * numpy's argmin: the index of the smallest element along one `axis`; as {@link argmax}
 * otherwise.
 */
export const argmin = kernel("argmin", function argmin(a: NDArray, axis?: number, keepdims = false): NDArray {
  return argReduce("argmin", false, a, axis, keepdims);
});

/**
 * The max along the axes with infinities replaced by 0: a shift that never makes inf - inf.
 * An empty group gets 0 too, so logsumexp over nothing is log(0) = -inf and softmax is empty.
 */
function stableShift(a: NDArray, axis: AxisArg): NDArray {
  const m = accumulate("logsumexp", MAX, a, axis, true, "float64", true);
  const d = m.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) d[i] = 0;
  return m;
}

/** stableShift for one run of n elements from p: the run's max (NaN if any), or 0 where not finite. */
function runShift(d: Storage, p: number, n: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = d[p + j]!;
    if (v > m || v !== v) m = v;
    if (m !== m) break;
  }
  return Number.isFinite(m) ? m : 0;
}

/**
 * scipy's logsumexp: log(sum(exp(a))) over `axis`, computed without overflow (the max is taken
 * out first); axes and keepdims as for {@link sum}. A float result, as for {@link mean}. Over no
 * elements it is -Infinity.
 *
 * @example
 * ```ts
 * logsumexp(array([1000, 1000])).item(); // 1000.6931471805599
 * ```
 */
export const logsumexp = kernel("logsumexp", function logsumexp(a: NDArray, axis?: AxisArg, keepdims = false): NDArray {
  const axes = normalizeAxes("logsumexp", axis, a.ndim);
  const split = blockSplit(a, axes);
  if (split !== null && !split[0]) {
    // Over the trailing dims of a contiguous array (a row's logsumexp): one pass per row,
    // computing what the general path below computes, in the same order.
    const [, rows, n] = split;
    const r = allocate("float64", rows) as Float64Array;
    const d = a.data;
    for (let i = 0, p = a.offset; i < rows; i++, p += n) {
      const m = runShift(d, p, n);
      let s = 0;
      // what the general path computes: x - max stored in the float dtype, ew.exp's kernel
      if (a.dtype === "float32") for (let j = 0; j < n; j++) s += Math.fround(exp32(Math.fround(d[p + j]! - m)));
      else for (let j = 0; j < n; j++) s += exp64(d[p + j]! - m);
      r[i] = log64(s) + m;
    }
    const res = new NDArray(r, finalShape(a.shape, axes, keepdims));
    return floatResult(a.dtype) === "float32" ? res.astype("float32") : res;
  }
  const m = stableShift(a, axis);
  // x - max in the input's float dtype (float32 stays float32), summed in float64
  const e = ew.sub(a, m, new NDArray(allocate(floatResult(a.dtype), a.size), a.shape));
  ew.exp(e, e);
  const s = accumulate("logsumexp", SUM, e, axis, true, "float64");
  ew.log(s, s);
  ew.add(s, m, s);
  const r = keepdims ? s : s.reshape(finalShape(a.shape, axes, false));
  return floatResult(a.dtype) === "float32" ? r.astype("float32") : r;
});

/**
 * exp(a) / sum(exp(a)) along one `axis` (the last by default), shifted by the max so that large
 * values do not overflow; same shape as `a`, a float result (float32 for float32, else float64).
 *
 * @example
 * ```ts
 * softmax(array([[0, 0], [0, Math.log(3)]])).toString(); // "[[0.5  0.5 ]\n [0.25 0.75]]"
 * ```
 */
export const softmax = kernel("softmax", function softmax(a: NDArray, axis = -1): NDArray {
  const ax = normalizeAxis("softmax", axis, a.ndim);
  const split = blockSplit(a, [ax]);
  if (split !== null && !split[0]) {
    // Along the last (non-unit) axis of a contiguous array: each row shifted, exponentiated,
    // summed and divided in place in the result, the same steps, in the same order and with
    // the same roundings (each stored in the result's dtype), as the general path below.
    const [, rows, n] = split;
    const o = allocate(floatResult(a.dtype), a.size);
    const d = a.data;
    for (let i = 0, p = a.offset, q = 0; i < rows; i++, p += n, q += n) {
      const m = runShift(d, p, n);
      for (let j = 0; j < n; j++) o[q + j] = d[p + j]! - m;
      if (!transcendentalRow("exp", o, q, 1, o, q, 1, n)) for (let j = 0; j < n; j++) o[q + j] = Math.exp(o[q + j]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += o[q + j]!;
      for (let j = 0; j < n; j++) o[q + j] = o[q + j]! / s;
    }
    return new NDArray(o, a.shape);
  }
  const e = ew.sub(a, stableShift(a, ax), new NDArray(allocate(floatResult(a.dtype), a.size), a.shape));
  ew.exp(e, e);
  const s = accumulate("softmax", SUM, e, ax, true, "float64");
  return ew.div(e, s, e);
});

/**
 * a - logsumexp(a) along one `axis` (the last by default): log(softmax(a)), computed without the
 * -Infinity that log(softmax(a)) gives where a probability underflows to 0; a float result
 * (float32 for float32, else float64).
 */
export const logSoftmax = kernel("logSoftmax", function logSoftmax(a: NDArray, axis = -1): NDArray {
  const ax = normalizeAxis("logSoftmax", axis, a.ndim);
  const r = ew.sub(a, logsumexp(a, ax, true));
  return r.dtype === floatResult(a.dtype) ? r : r.astype(floatResult(a.dtype));
});

/**
 * sumTo's common case, the un-broadcast of a bias: `shape` is a's trailing dims, so the sum
 * runs over whole leading rows, e.g. a (batch, 4H) gate gradient down to the (4H) bias. Summed
 * in float64 (for float32 too), one row at a time, so a is read once, in order. Null for any
 * other reduction (dims of 1 kept, a non-contiguous a).
 */
function sumLeading(a: NDArray, shape: Shape): NDArray | null {
  const lead = a.ndim - shape.length;
  if (lead <= 0 || (a.dtype !== "float64" && a.dtype !== "float32") || !a.isContiguous()) return null;
  let inner = 1;
  for (let i = 0; i < shape.length; i++) {
    if (a.shape[lead + i] !== shape[i]) return null;
    inner *= shape[i]!;
  }
  const d = a.data;
  const rows = inner === 0 ? 0 : a.size / inner;
  const acc = new Float64Array(inner);
  let r = 0;
  let p = a.offset;
  // eight rows a pass, added to each column's sum one after another as the loop below adds
  // them (so the same bits), with a column's sum read and written once instead of eight times
  for (; r + 8 <= rows; r += 8, p += 8 * inner) {
    const p1 = p + inner, p2 = p1 + inner, p3 = p2 + inner, p4 = p3 + inner, p5 = p4 + inner, p6 = p5 + inner, p7 = p6 + inner;
    for (let j = 0; j < inner; j++) acc[j] = acc[j]! + d[p + j]! + d[p1 + j]! + d[p2 + j]! + d[p3 + j]! + d[p4 + j]! + d[p5 + j]! + d[p6 + j]! + d[p7 + j]!;
  }
  for (; r < rows; r++, p += inner) {
    for (let j = 0; j < inner; j++) acc[j]! += d[p + j]!;
  }
  return new NDArray(a.dtype === "float32" ? Float32Array.from(acc) : acc, shape);
}

/**
 * Sums `a` down to `shape`, the inverse of broadcasting `shape` up to a's shape (a gradient's
 * un-broadcast): leading dims are summed away, and dims that are 1 in `shape` are summed with
 * keepdims. Returns `a` itself, not a copy, when it already has that shape; otherwise an int32
 * or bool `a` sums to float64, as in {@link sum}. Throws ShapeError when `shape` does not
 * broadcast to a's shape.
 *
 * @example
 * ```ts
 * sumTo(ones([2, 3]), [3]).toArray(); // [2, 2, 2]
 * sumTo(ones([2, 3]), [2, 1]).toArray(); // [[3], [3]]
 * ```
 */
export const sumTo = kernel("sumTo", function sumTo(a: NDArray, shape: Shape): NDArray {
  if (shapesEqual(a.shape, shape)) return a;
  const rows = sumLeading(a, shape); // checks that shape is a's trailing dims
  if (rows !== null) return rows;
  let ok = shape.length <= a.ndim;
  if (ok) {
    try {
      ok = shapesEqual(broadcastShapes("sumTo", shape, a.shape), a.shape);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new ShapeError(`sumTo: shape ${fmtShape(shape)} does not broadcast to ${fmtShape(a.shape)}`);
  const lead = a.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < a.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && a.shape[i] !== 1)) axes.push(i);
  }
  const s = accumulate("sumTo", SUM, a, axes, true, accumulateResult(a.dtype));
  return s.reshape([...shape]);
});
