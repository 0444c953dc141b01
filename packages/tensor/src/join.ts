// Joining and splitting along an axis, and gathering by index (take).

import { promoteTypes, type DType } from "./dtype.js";
import { allocate, allocateUninit, storageOverlaps } from "./storage.js";
import { DTypeError, IndexError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { walk } from "./iter.js";
import { NDArray } from "./ndarray.js";
import { contiguousStrides, normalizeAxis, sizeOf } from "./shape.js";
import { kernel, type Elementwise } from "./kernel.js";

/**
 * concat's and stack's elementwise form (kernel.ts): one copy per part, into the block of the
 * result that the part fills, seen as a view with the part's own shape.
 */
function partCopies(kind: "concat" | "stack"): Elementwise {
  return {
    expr: ([a]) => a!,
    ops(args, target) {
      if (target === null || !target.isContiguous() || !Array.isArray(args[0])) return null;
      const parts = args[0] as unknown[];
      if (!parts.every((p) => p instanceof NDArray && p.dtype === target.dtype)) return null;
      const ndim = target.ndim;
      const axis = (args[1] as number | undefined) ?? 0;
      const ax = axis < 0 ? axis + ndim : axis;
      if (!(ax >= 0 && ax < ndim)) return null;
      const ops: { out: NDArray; ins: NDArray[] }[] = [];
      let start = 0;
      for (const p of parts as NDArray[]) {
        const at = target.offset + start * target.strides[ax]!;
        const block = kind === "concat" ? target.view(p.shape, target.strides, at) : target.view(p.shape, target.strides.filter((_, i) => i !== ax), at);
        start += kind === "concat" ? p.shape[ax]! : 1;
        if (p.size > 0) ops.push({ out: block, ins: [p] });
      }
      return ops;
    },
  };
}

/**
 * numpy's concatenate: the arrays joined along an existing `axis` (0 by default), copied into a
 * new array of their promoted dtype. Shapes must agree except on `axis`. Throws ValueError for
 * an empty list, ShapeError for 0-d arrays or shapes that differ elsewhere.
 *
 * @example
 * ```ts
 * concat([array([1, 2]), array([3])]).toArray(); // [1, 2, 3]
 * concat([zeros([2, 1]), ones([2, 2])], 1).toArray(); // [[0, 1, 1], [0, 1, 1]]
 * ```
 */
export const concat = kernel("concat", function concat(arrays: readonly NDArray[], axis = 0): NDArray {
  if (!arrays || arrays.length === 0) throw new ValueError("concat: needs at least one array");
  const first = arrays[0]!;
  if (first.ndim === 0) throw new ShapeError("concat: zero-dimensional arrays cannot be concatenated");
  const ax = normalizeAxis("concat", axis, first.ndim);
  let total = 0;
  let dtype: DType = first.dtype;
  for (const a of arrays) {
    const ok = a.ndim === first.ndim && a.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!ok) {
      throw new ShapeError(`concat: shapes must match except on axis ${ax}: ${arrays.map((x) => fmtShape(x.shape)).join(", ")}`);
    }
    total += a.shape[ax]!;
    dtype = promoteTypes(dtype, a.dtype);
  }
  const shape = first.shape.slice();
  shape[ax] = total;
  const out = new NDArray(allocateUninit(dtype, sizeOf(shape), "concat", shape), shape); // the parts fill it
  if (concatDense(arrays, ax, out)) return out;
  let start = 0;
  for (const a of arrays) {
    const n = a.shape[ax]!;
    if (n > 0) out.slice(...shape.map((_, i) => (i === ax ? ([start, start + n] as const) : null))).assign(a);
    start += n;
  }
  // The writes above were into a fresh array: no one else has seen it, so no version to keep.
  out.storageInfo.version = 0;
  return out;
}, { elementwise: partCopies("concat") });

/**
 * concat's common case: contiguous parts of the result's dtype. Each index before the axis
 * copies one run of every part, e.g. one row of each gate's gradient into one row of an
 * LSTM's (batch, 4H) gate gradient. An element loop: the runs are short, and set(subarray)
 * costs more on them. False (nothing written) for any other case.
 */
function concatDense(parts: readonly NDArray[], axis: number, out: NDArray): boolean {
  for (const p of parts) if (p.dtype !== out.dtype || !p.isContiguous()) return false;
  const shape = out.shape;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  const total = outer === 0 ? 0 : out.size / outer;
  const o = out.data;
  let start = 0;
  for (const p of parts) {
    const src = p.data;
    const run = outer === 0 ? 0 : p.size / outer;
    for (let k = 0, from = p.offset, to = start; k < outer; k++, from += run, to += total) {
      for (let j = 0; j < run; j++) o[to + j] = src[from + j]!;
    }
    start += run;
  }
  return true;
}

/**
 * numpy's stack: arrays of one shape joined along a new axis at `axis` (0 by default), into a
 * new array. Throws ValueError for an empty list, ShapeError when the shapes differ.
 *
 * @example
 * ```ts
 * stack([array([1, 2]), array([3, 4])]).toArray(); // [[1, 2], [3, 4]]
 * stack([array([1, 2]), array([3, 4])], 1).toArray(); // [[1, 3], [2, 4]]
 * ```
 */
export const stack = kernel("stack", function stack(arrays: readonly NDArray[], axis = 0): NDArray {
  if (!arrays || arrays.length === 0) throw new ValueError("stack: needs at least one array");
  const first = arrays[0]!;
  for (const a of arrays) {
    if (a.ndim !== first.ndim || !a.shape.every((d, i) => d === first.shape[i])) {
      throw new ShapeError(`stack: all arrays must have the same shape: ${arrays.map((x) => fmtShape(x.shape)).join(", ")}`);
    }
  }
  const ax = normalizeAxis("stack", axis, first.ndim + 1);
  return concat(arrays.map((a) => a.unsqueeze(ax)), ax);
}, { elementwise: partCopies("stack") });

/**
 * numpy's split along `axis` (0 by default): `sections` as a count divides the axis into that
 * many equal parts (ShapeError if it cannot); as a list, it gives the indices where the parts
 * after the first start. The parts are views of `a`.
 *
 * @example
 * ```ts
 * split(arange(6), 3).map((p) => p.toArray()); // [[0, 1], [2, 3], [4, 5]]
 * split(arange(6), [1, 4]).map((p) => p.toArray()); // [[0], [1, 2, 3], [4, 5]]
 * ```
 */
export const split = kernel("split", function split(a: NDArray, sections: number | readonly number[], axis = 0): NDArray[] {
  const ax = normalizeAxis("split", axis, a.ndim);
  const n = a.shape[ax]!;
  let bounds: number[];
  if (typeof sections === "number") {
    if (!Number.isInteger(sections) || sections <= 0) throw new ValueError(`split: number of sections must be a positive integer, got ${sections}`);
    if (n % sections !== 0) {
      throw new ShapeError(`split: axis ${ax} of size ${n} (shape ${fmtShape(a.shape)}) does not divide into ${sections} equal sections`);
    }
    const w = n / sections;
    bounds = Array.from({ length: sections + 1 }, (_, i) => i * w);
  } else {
    let prev = 0;
    for (const s of sections) {
      if (!Number.isInteger(s) || s < prev || s > n) {
        throw new IndexError(`split: indices must be increasing integers within [0, ${n}] for axis ${ax} of shape ${fmtShape(a.shape)}, got [${sections.join(",")}]`);
      }
      prev = s;
    }
    bounds = [0, ...sections, n];
  }
  const parts: NDArray[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    parts.push(a.slice(...a.shape.map((_, k) => (k === ax ? ([bounds[i]!, bounds[i + 1]!] as const) : null))));
  }
  return parts;
});

/**
 * torch's chunk: parts of ceil(n / chunks) along `axis` (0 by default), the last one smaller,
 * as views of `a`; fewer than `chunks` parts where n does not give that many.
 *
 * @example
 * ```ts
 * chunk(arange(5), 2).map((p) => p.toArray()); // [[0, 1, 2], [3, 4]]
 * chunk(arange(6), 4).length; // 3
 * ```
 */
export const chunk = kernel("chunk", function chunk(a: NDArray, chunks: number, axis = 0): NDArray[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const ax = normalizeAxis("chunk", axis, a.ndim);
  const n = a.shape[ax]!;
  const w = Math.max(1, Math.ceil(n / chunks));
  const idx: number[] = [];
  for (let s = w; s < n; s += w) idx.push(s);
  return split(a, idx, ax);
});

/**
 * Integer indices, as `take` and `indexAdd` accept them: an NDArray of any shape and a
 * non-bool dtype, a list, an Int32Array, or one number (which drops the axis it indexes).
 */
export type Indices = NDArray | readonly number[] | Int32Array | number;

/**
 * Integer `indices` (an NDArray, a list, an Int32Array or one number) as a new int32 array of
 * their shape, each checked against an axis of `size` and negatives wrapped to size + i, as
 * {@link take} and {@link indexAdd} read them. Throws IndexError for a non-integer or
 * out-of-bounds index and DTypeError for a bool array, with `op` starting the message.
 */
export const toIndexArray = kernel("toIndexArray", function toIndexArray(op: string, indices: Indices, size: number): NDArray {
  let arr: NDArray;
  if (indices instanceof NDArray) {
    if (indices.dtype === "bool") throw new DTypeError(`${op}: indices must be integers, got a bool array`);
    arr = indices;
  } else {
    // Checked as numbers before they go into an Int32Array, which would wrap 2**32 to 0.
    const src = typeof indices === "number" ? [indices] : Array.from(indices as ArrayLike<number>);
    for (const v of src) {
      if (!Number.isInteger(v)) throw new IndexError(`${op}: indices must be integers, got ${v}`);
      if (v < -size || v >= size) throw new IndexError(`${op}: index ${v} is out of bounds for an axis of size ${size}`);
    }
    arr = new NDArray(Int32Array.from(src), typeof indices === "number" ? [] : [src.length]);
  }
  const out = new Int32Array(arr.size);
  let p = 0;
  let bad: number | undefined;
  walk(arr.shape, [arr.strides], [arr.offset], (pos, n, inner) => {
    for (let i = 0, q = pos[0]!; i < n; i++, q += inner[0]!) {
      const v = arr.data[q]!;
      if (!Number.isInteger(v) || v < -size || v >= size) bad ??= v;
      out[p++] = v < 0 ? v + size : v;
    }
  });
  if (bad !== undefined) throw new IndexError(`${op}: index ${bad} is out of bounds for an axis of size ${size}`);
  return new NDArray(out, arr.shape);
});

/**
 * numpy's take: gathers along `axis` (along the flattened array when omitted), into a new array
 * of shape a.shape[:axis] + indices.shape + a.shape[axis+1:]; a single number index drops the
 * axis. Negative indices count from the end; throws IndexError for one out of bounds. An
 * embedding lookup is `take(table, ids, 0)`.
 *
 * @example
 * ```ts
 * const table = array([[1, 2], [3, 4], [5, 6]]);
 * take(table, [2, 0], 0).toArray(); // [[5, 6], [1, 2]]
 * take(table, [1, -1]).toArray(); // [2, 6]
 * ```
 */
export const take = kernel("take", function take(a: NDArray, indices: Indices, axis?: number): NDArray {
  if (axis === undefined || axis === null) return take(a.reshape([-1]), indices, 0);
  const ax = normalizeAxis("take", axis, a.ndim);
  const idx = toIndexArray("take", indices, a.shape[ax]!);
  const outer = a.shape.slice(0, ax);
  const innerShape = a.shape.slice(ax + 1);
  const shape = [...outer, ...idx.shape, ...innerShape];
  const out = new NDArray(allocate(a.dtype, sizeOf(shape)), shape);
  const nOuter = sizeOf(outer);
  const nInner = sizeOf(innerShape);
  const ids = idx.data as Int32Array;
  // One slice a[o, id, ...] copied per (outer, index) pair.
  const innerStrides = a.strides.slice(ax + 1);
  const outerStrides = a.strides.slice(0, ax);
  const outerOffsets: number[] = [];
  walk(outer, [outerStrides], [a.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!; i < n; i++, p += inner[0]!) outerOffsets.push(p);
  });
  const od = out.data;
  const ad = a.data;
  const step = a.strides[ax]!;
  let q = 0;
  for (let o = 0; o < nOuter; o++) {
    for (let k = 0; k < ids.length; k++) {
      const base = outerOffsets[o]! + ids[k]! * step;
      if (nInner === 1) {
        od[q++] = ad[base]!;
        continue;
      }
      walk(innerShape, [innerStrides, contiguousStrides(innerShape)], [base, q], (pos, n, inner) => {
        for (let i = 0, p = pos[0]!, r = pos[1]!; i < n; i++, p += inner[0]!, r += inner[1]!) od[r] = ad[p]!;
      });
      q += nInner;
    }
  }
  return out;
});

/**
 * numpy's `np.add.at(target, (..., indices, ...), src)` along `axis` (0 by default), in place:
 * repeated indices accumulate. The adjoint of {@link take}: `src` has take's result shape,
 * target.shape[:axis] + indices.shape + target.shape[axis+1:] (ShapeError otherwise), and its
 * values are added in target's dtype, unchecked (a float `src` into an int32 `target` is
 * truncated). Returns `target`; throws ReadOnlyError for a read-only `target`.
 *
 * @example
 * ```ts
 * indexAdd(zeros([3]), [0, 0, 2], array([1, 2, 3])).toArray(); // [3, 0, 3]
 * ```
 */
export const indexAdd = kernel("indexAdd", function indexAdd(target: NDArray, indices: Indices, src: NDArray, axis = 0): NDArray {
  const ax = normalizeAxis("indexAdd", axis, target.ndim);
  const idx = toIndexArray("indexAdd", indices, target.shape[ax]!);
  const expect = [...target.shape.slice(0, ax), ...idx.shape, ...target.shape.slice(ax + 1)];
  if (expect.length !== src.ndim || expect.some((d, i) => d !== src.shape[i])) {
    throw new ShapeError(`indexAdd: src has shape ${fmtShape(src.shape)} but indices ${fmtShape(idx.shape)} into ${fmtShape(target.shape)} on axis ${ax} need ${fmtShape(expect)}`);
  }
  target.checkWritable("indexAdd");
  // A src that shares the target's storage is read in full before any element is written.
  const s = storageOverlaps(src.data, target.data) ? src.copy() : src.contiguous();
  const outer = target.shape.slice(0, ax);
  const innerShape = target.shape.slice(ax + 1);
  const nInner = sizeOf(innerShape);
  const ids = idx.data as Int32Array;
  const td = target.data;
  const sd = s.data;
  const step = target.strides[ax]!;
  const innerStrides = target.strides.slice(ax + 1);
  const outerOffsets: number[] = [];
  walk(outer, [target.strides.slice(0, ax)], [target.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!; i < n; i++, p += inner[0]!) outerOffsets.push(p);
  });
  let q = s.offset;
  for (const base0 of outerOffsets) {
    for (let k = 0; k < ids.length; k++) {
      walk(innerShape, [innerStrides, contiguousStrides(innerShape)], [base0 + ids[k]! * step, q], (pos, n, inner) => {
        for (let i = 0, p = pos[0]!, r = pos[1]!; i < n; i++, p += inner[0]!, r += inner[1]!) td[p]! += sd[r]!;
      });
      q += nInner;
    }
  }
  target.bumpVersion();
  return target;
});

/**
 * @internal stack, except where the parts are already the consecutive slices along `axis` of one
 * C-contiguous array (as unbind cuts them): then that array itself, as a view, uncopied. Not a
 * kernel of its own: the view is no computation, and the copying case runs the stack kernel.
 * The autograd engine gathers unbind's step gradients into such slices of one array, so that
 * unbind's VJP (this join) reads them in place.
 */
export function stackParts(parts: readonly NDArray[], axis: number): NDArray {
  const whole = wholeOf(parts, axis);
  return whole ?? stack(parts, axis);
}

function wholeOf(parts: readonly NDArray[], axis: number): NDArray | null {
  const p0 = parts[0];
  if (p0 === undefined || parts.length < 2 || axis < 0 || axis > p0.ndim) return null;
  const step = parts[1]!.offset - p0.offset;
  if (step <= 0) return null;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.data !== p0.data || p.offset !== p0.offset + i * step || p.ndim !== p0.ndim) return null;
    for (let d = 0; d < p.ndim; d++) if (p.shape[d] !== p0.shape[d] || p.strides[d] !== p0.strides[d]) return null;
  }
  const shape = [...p0.shape.slice(0, axis), parts.length, ...p0.shape.slice(axis)];
  const strides = [...p0.strides.slice(0, axis), step, ...p0.strides.slice(axis)];
  const whole = p0.view(shape, strides, p0.offset);
  return whole.isContiguous() ? whole : null;
}
