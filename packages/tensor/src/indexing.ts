// Indexing by arrays of indices: torch's gather and the scatter family, nonzero, oneHot, the
// triangles (triu, tril), and the plan of numpy's advanced indexing (index arrays on several
// axes), which `index` carries out with views and one take. Each index is checked against its
// axis, and an error names the op, the axis and the index.

import { NDArray } from "./ndarray.js";
import type { DType } from "./dtype.js";
import { allocate } from "./storage.js";
import { DTypeError, IndexError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { kernel, unwrapped } from "./kernel.js";
import { broadcastShapes, normalizeAxis, sizeOf } from "./shape.js";
import * as viewsModule from "./views.js";
import * as joinModule from "./join.js";
import { ellipsis, newaxis, type SliceSpec } from "./views.js";

const { slice, permute, reshape, broadcastTo } = unwrapped(viewsModule);
const { take } = unwrapped(joinModule);

/** How scatterReduce combines the values that land on one position. */
export type ScatterReduction = "sum" | "prod" | "mean" | "amax" | "amin";

/** The reductions scatterReduce knows, for messages and checks. */
export const SCATTER_REDUCTIONS: readonly ScatterReduction[] = ["sum", "prod", "mean", "amax", "amin"];

/** An index array as the gather/scatter family reads it: an int32 NDArray, or nested lists of integers. */
export type IndexArrayLike = NDArray | readonly number[] | readonly (readonly number[])[] | readonly (readonly (readonly number[])[])[];

/**
 * An index argument of the gather/scatter family as an NDArray of integer values (an NDArray of
 * any non-bool dtype is taken as it is, nested lists become int32), not yet checked against an
 * axis. Throws DTypeError for a bool array, IndexError for a non-integer in a list, ShapeError
 * for a ragged list; `op` starts the message.
 *
 * @example
 * ```ts
 * asIndexArray("gather", [[0, 1]]).shape; // [1, 2]
 * ```
 */
export const asIndexArray = kernel("asIndexArray", function asIndexArray(op: string, idx: IndexArrayLike): NDArray {
  return asIndexNDArray(op, idx);
});

function asIndexNDArray(op: string, idx: IndexArrayLike): NDArray {
  if (idx instanceof NDArray) {
    if (idx.dtype === "bool") throw new DTypeError(`${op}: index must hold integers, got a bool array`);
    return idx;
  }
  const flat: number[] = [];
  const shape: number[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (Array.isArray(v)) {
      if (shape.length <= depth) shape.push(v.length);
      else if (shape[depth] !== v.length) throw new ShapeError(`${op}: index is a ragged list`);
      for (const x of v) visit(x, depth + 1);
    } else {
      if (typeof v !== "number" || !Number.isInteger(v)) throw new IndexError(`${op}: index must hold integers, got ${String(v)}`);
      flat.push(v);
    }
  };
  visit(idx, 0);
  return new NDArray(Int32Array.from(flat), shape);
}

/** The coordinates of every position of `shape` in C order, as `visit(coords, flatPosition)`; coords is reused. */
function forEachPosition(shape: readonly number[], visit: (coords: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const c = new Array<number>(shape.length).fill(0);
  for (let p = 0; p < n; p++) {
    visit(c, p);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++c[d]! < shape[d]!) break;
      c[d] = 0;
    }
  }
}

/** The element offset of `coords` in `a`, with coordinate `axis` replaced by `at`. */
function offsetOf(a: NDArray, coords: readonly number[], axis: number, at: number): number {
  let o = a.offset;
  for (let d = 0; d < coords.length; d++) o += (d === axis ? at : coords[d]!) * a.strides[d]!;
  return o;
}

/** The index value at coords, wrapped and checked against an axis of `size`. */
function indexAt(op: string, idx: NDArray, coords: readonly number[], axis: number, size: number): number {
  let o = idx.offset;
  for (let d = 0; d < coords.length; d++) o += coords[d]! * idx.strides[d]!;
  const v = idx.data[o]!;
  if (!Number.isInteger(v) || v < -size || v >= size) throw new IndexError(`${op}: index ${v} is out of bounds for axis ${axis} with size ${size}`);
  return v < 0 ? v + size : v;
}

/** torch's shape rule for gather/scatter: index has a's ndim and fits in `a` (except on axis) and in `src`. */
function checkIndexShape(op: string, a: NDArray, axis: number, idx: NDArray, src: NDArray | null): void {
  if (idx.ndim !== a.ndim) {
    throw new ShapeError(`${op}: index has shape ${fmtShape(idx.shape)} but the input has shape ${fmtShape(a.shape)}; they need the same number of dims`);
  }
  for (let d = 0; d < a.ndim; d++) {
    if (d !== axis && idx.shape[d]! > a.shape[d]!) {
      throw new ShapeError(`${op}: index of shape ${fmtShape(idx.shape)} is larger than the input of shape ${fmtShape(a.shape)} on axis ${d}`);
    }
  }
  if (src === null) return;
  if (src.ndim !== idx.ndim || idx.shape.some((n, d) => n > src.shape[d]!)) {
    throw new ShapeError(`${op}: index of shape ${fmtShape(idx.shape)} does not fit in src of shape ${fmtShape(src.shape)}`);
  }
}

/**
 * torch.gather (numpy's take_along_axis): `out[i][j][k] = a[index[i][j][k]][j][k]` for axis 0,
 * and likewise for the other axes; the result has index's shape. `index` has a's number of dims
 * and is no larger than `a` on the other axes. Negative indices count from the end. Throws
 * IndexError naming the axis and the index for one out of bounds, ShapeError naming both shapes
 * for an index that does not fit.
 *
 * @example
 * ```ts
 * gather(array([[1, 2], [3, 4]]), 1, [[0, 0], [1, 0]]).toArray(); // [[1, 1], [4, 3]]
 * ```
 */
export const gather = kernel("gather", function gather(a: NDArray, axis: number, index: IndexArrayLike): NDArray {
  const ax = normalizeAxis("gather", axis, a.ndim);
  const idx = asIndexNDArray("gather", index);
  checkIndexShape("gather", a, ax, idx, null);
  const out = new NDArray(allocate(a.dtype, idx.size), idx.shape);
  const od = out.data;
  const ad = a.data;
  const size = a.shape[ax]!;
  forEachPosition(idx.shape, (c, p) => {
    od[p] = ad[offsetOf(a, c, ax, indexAt("gather", idx, c, ax, size))]!;
  });
  return out;
});

/**
 * torch.scatter_reduce (with torch.scatter and scatter_add as its "assign" and "sum" cases), as
 * a new array: a copy of `a` into which each element of `src` (a number stands for an array of
 * it) is combined at the position `index` names along `axis` (for axis 0,
 * `out[index[i][j]][j] op= src[i][j]`). `reduce` is "assign" (last write wins), "sum", "prod",
 * "mean", "amax" or "amin"; with `includeSelf` false a position that receives values starts
 * from the first of them rather than from `a` (positions none reach keep a's value). "mean"
 * divides by the number of values combined (a's own counted when included). Throws as gather
 * does, ValueError for an unknown reduction.
 *
 * @example
 * ```ts
 * scatterReduce(zeros([3]), 0, [0, 2, 0], array([1, 2, 3]), "sum").toArray(); // [4, 0, 2]
 * scatterReduce(ones([3]), 0, [0, 0], array([5, 7]), "amax", false).toArray(); // [7, 1, 1]
 * ```
 */
export const scatterReduce = kernel("scatterReduce", function scatterReduce(
  a: NDArray, axis: number, index: IndexArrayLike, src: NDArray | number, reduce: ScatterReduction | "assign" = "assign", includeSelf = true,
): NDArray {
  if (reduce !== "assign" && !SCATTER_REDUCTIONS.includes(reduce)) {
    throw new ValueError(`scatterReduce: reduce must be one of ${SCATTER_REDUCTIONS.join(", ")}, got ${JSON.stringify(reduce)}`);
  }
  return scatterInto("scatterReduce", a, axis, index, src, reduce, includeSelf);
});

/** The scatter family's one loop; `op` names the caller in messages. */
function scatterInto(op: string, a: NDArray, axis: number, index: IndexArrayLike, src: NDArray | number, reduce: ScatterReduction | "assign", includeSelf: boolean): NDArray {
  const ax = normalizeAxis(op, axis, a.ndim);
  const idx = asIndexNDArray(op, index);
  checkIndexShape(op, a, ax, idx, typeof src === "number" ? null : src);
  const out = a.copy();
  const od = out.data;
  const size = a.shape[ax]!;
  const first = includeSelf || reduce === "assign" ? null : new Uint8Array(out.size);
  const count = reduce === "mean" ? new Float64Array(out.size).fill(includeSelf ? 1 : 0) : null;
  forEachPosition(idx.shape, (c, _p) => {
    const i = indexAt(op, idx, c, ax, size);
    const o = offsetOf(out, c, ax, i);
    let v: number;
    if (typeof src === "number") v = src;
    else v = src.data[offsetOf(src, c, -1, 0)]!;
    if (count !== null) count[o]!++;
    if (first !== null && first[o] === 0) {
      first[o] = 1;
      od[o] = v;
      return;
    }
    const cur = od[o]!;
    switch (reduce) {
      case "assign": od[o] = v; break;
      case "sum": case "mean": od[o] = cur + v; break;
      case "prod": od[o] = cur * v; break;
      case "amax": od[o] = v > cur || v !== v ? v : cur; break;
      case "amin": od[o] = v < cur || v !== v ? v : cur; break;
    }
  });
  if (count !== null) {
    const integer = a.dtype === "int32";
    for (let o = 0; o < count.length; o++) {
      if (count[o]! > 1) od[o] = integer ? Math.floor(od[o]! / count[o]!) : od[o]! / count[o]!;
    }
  }
  return out;
}

/**
 * torch.scatter as a new array: a copy of `a` with `src` (or one number) written at the
 * positions `index` names along `axis`; where an index repeats, the last write wins.
 *
 * @example
 * ```ts
 * scatter(zeros([2, 3]), 1, [[2], [0]], array([[5], [6]])).toArray(); // [[0, 0, 5], [6, 0, 0]]
 * ```
 */
export const scatter = kernel("scatter", function scatter(a: NDArray, axis: number, index: IndexArrayLike, src: NDArray | number): NDArray {
  return scatterInto("scatter", a, axis, index, src, "assign", true);
});

/**
 * torch.scatter_add as a new array: a copy of `a` with each element of `src` added at the
 * position `index` names along `axis`; repeated indices accumulate.
 *
 * @example
 * ```ts
 * scatterAdd(zeros([3]), 0, [1, 1, 2], array([1, 2, 3])).toArray(); // [0, 3, 3]
 * ```
 */
export const scatterAdd = kernel("scatterAdd", function scatterAdd(a: NDArray, axis: number, index: IndexArrayLike, src: NDArray | number): NDArray {
  return scatterInto("scatterAdd", a, axis, index, src, "sum", true);
});

/**
 * torch.nonzero: the coordinates of a's non-zero (true) elements in C order, as an int32 array of
 * shape [count, ndim], one row per element.
 *
 * @example
 * ```ts
 * nonzero(array([[0, 1], [2, 0]])).toArray(); // [[0, 1], [1, 0]]
 * ```
 */
export const nonzero = kernel("nonzero", function nonzero(a: NDArray): NDArray {
  const rows: number[] = [];
  let n = 0;
  forEachPosition(a.shape, (c) => {
    if (a.data[offsetOf(a, c, -1, 0)] !== 0) {
      for (const x of c) rows.push(x);
      n++;
    }
  });
  return new NDArray(Int32Array.from(rows), [n, a.ndim]);
});

/**
 * torch.nn.functional.one_hot: integer class ids of any shape as an array of shape
 * `[...ids.shape, numClasses]` with 1 at each id and 0 elsewhere (int32 unless `dtype` says
 * otherwise). `numClasses` -1 (the default) takes the largest id plus one. Throws IndexError for
 * a negative id or one not below numClasses.
 *
 * @example
 * ```ts
 * oneHot(array([0, 2], undefined, "int32"), 3).toArray(); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export const oneHot = kernel("oneHot", function oneHot(ids: IndexArrayLike, numClasses = -1, dtype: DType = "int32"): NDArray {
  const idx = asIndexNDArray("oneHot", ids);
  const values: number[] = [];
  forEachPosition(idx.shape, (c) => values.push(idx.data[offsetOf(idx, c, -1, 0)]!));
  let k = numClasses;
  if (k === -1) k = values.length === 0 ? 0 : Math.max(...values) + 1;
  if (!Number.isInteger(k) || k < 0) throw new ValueError(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  const out = new NDArray(allocate(dtype, values.length * k), [...idx.shape, k]);
  values.forEach((v, p) => {
    if (!Number.isInteger(v) || v < 0 || v >= k) throw new IndexError(`oneHot: class id ${v} is out of bounds for ${k} classes`);
    out.data[p * k + v] = 1;
  });
  return out;
});

function triangle(op: "triu" | "tril", a: NDArray, k: number): NDArray {
  if (a.ndim < 2) throw new ShapeError(`${op}: needs an array of at least 2 dims, got shape ${fmtShape(a.shape)}`);
  if (!Number.isInteger(k)) throw new ValueError(`${op}: diagonal must be an integer, got ${k}`);
  const out = a.copy();
  const od = out.data;
  const n = a.shape[a.ndim - 2]!;
  const m = a.shape[a.ndim - 1]!;
  const batch = n * m === 0 ? 0 : out.size / (n * m);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const drop = op === "triu" ? j - i < k : j - i > k;
        if (drop) od[b * n * m + i * m + j] = 0;
      }
    }
  }
  return out;
}

/**
 * torch.triu (numpy's triu): a copy of `a` with the elements below diagonal `k` of its last two
 * axes set to 0 (k > 0 is above the main diagonal, k < 0 below). Throws ShapeError for fewer
 * than 2 dims.
 *
 * @example
 * ```ts
 * triu(ones([3, 3])).toArray(); // [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
 * ```
 */
export const triu = kernel("triu", function triu(a: NDArray, k = 0): NDArray {
  return triangle("triu", a, k);
});

/**
 * torch.tril (numpy's tril): a copy of `a` with the elements above diagonal `k` of its last two
 * axes set to 0. Throws ShapeError for fewer than 2 dims.
 *
 * @example
 * ```ts
 * tril(ones([2, 3]), 1).toArray(); // [[1, 1, 0], [1, 1, 1]]
 * ```
 */
export const tril = kernel("tril", function tril(a: NDArray, k = 0): NDArray {
  return triangle("tril", a, k);
});

// ---------------------------------------------------------------- advanced indexing

/**
 * One entry of {@link index}: a {@link SliceSpec} (a number, `null` for the whole axis, a
 * `[start, stop, step]` range, newaxis, `"..."`), or an index array: an integer NDArray picks
 * along its axis, a bool NDArray (a mask) stands for the index arrays of its true elements on as
 * many axes as it has dims.
 */
export type IndexSpec<A = NDArray> = SliceSpec | A;

/** How {@link index} (and autograd's) carries out an indexing: views, then one take. */
export interface IndexPlan {
  /** The basic part, for `slice`: index arrays replaced by whole axes. */
  basic: SliceSpec[];
  /** The axes of the sliced view that index arrays pick along, in order. */
  axes: number[];
  /** The flat (C-order) index into those axes together, of the index arrays' broadcast shape; null when there are no index arrays. */
  linear: NDArray | null;
  /** Where the picked dims go: at the first indexed axis's place (adjacent index arrays), or first (separated ones), as numpy. */
  at: number;
}

/** Whether a spec is an index array (of the given array class) rather than a slice spec. */
function isArraySpec<A>(s: IndexSpec<A>, isArray: (x: unknown) => x is A): s is A {
  return isArray(s);
}

/**
 * The plan of numpy's advanced indexing `a[specs]` for an array of `shape`, with the index arrays
 * read through `toND` (autograd passes tensors' data). With `integers` "numpy" (the default), an
 * integer beside index arrays counts as a 0-d index array, as in numpy (so `a[1, :, idx]` puts
 * the picked dim first); with "torch" an integer selects first, as basic indexing, as in PyTorch
 * (`x[1, :, idx]` keeps the picked dim in place). Throws IndexError for an index out of bounds (naming the axis and
 * the index) or a mask whose shape differs from the axes it covers, ShapeError for index arrays
 * that do not broadcast together.
 */
export function indexPlan<A>(
  shape: readonly number[], specs: readonly IndexSpec<A>[], isArray: (x: unknown) => x is A, toND: (a: A) => NDArray, integers: "numpy" | "torch" = "numpy",
): IndexPlan {
  // masks become their nonzero coordinates, one index array per axis they cover
  type Entry = SliceSpec | { arr: NDArray };
  const entries: (Entry | typeof ellipsis)[] = [];
  for (const s of specs) {
    if (!isArraySpec(s, isArray)) {
      entries.push(s as SliceSpec);
      continue;
    }
    const arr = toND(s);
    if (arr.dtype !== "bool") {
      entries.push({ arr });
      continue;
    }
    if (arr.ndim === 0) throw new IndexError(`index: a 0-d bool index is not supported (shape ${fmtShape(shape)})`);
    const coords = nonzero(arr);
    for (let d = 0; d < arr.ndim; d++) entries.push({ arr: slice(coords, [null, d]).contiguous() });
    (entries[entries.length - 1] as { arr: NDArray; mask?: NDArray }).mask = arr;
  }
  const hasArrays = integers === "numpy" && entries.some((e) => typeof e === "object" && e !== null && "arr" in e);
  const expanded = viewsModule.expandEllipsis<Entry>("index", entries, shape);
  const basic: SliceSpec[] = [];
  const axes: number[] = [];
  const arrays: { arr: NDArray; inputAxis: number }[] = [];
  let axis = 0; // input axis
  let out = 0; // axis of the sliced view
  for (const e of expanded) {
    if (e === newaxis) {
      basic.push(newaxis);
      out++;
      continue;
    }
    const isArr = typeof e === "object" && e !== null && "arr" in e;
    if (isArr || (hasArrays && typeof e === "number")) {
      const arr = isArr ? (e as { arr: NDArray }).arr : new NDArray(Int32Array.of(e as number), []);
      const mask = isArr ? (e as { mask?: NDArray }).mask : undefined;
      if (mask !== undefined) {
        const covered = shape.slice(axis - mask.ndim + 1, axis + 1);
        if (!covered.every((d, i) => d === mask.shape[i])) {
          throw new IndexError(`index: a bool mask of shape ${fmtShape(mask.shape)} does not match the axes ${axis - mask.ndim + 1}..${axis} of shape ${fmtShape(shape)} it covers`);
        }
      }
      if (axis >= shape.length) throw new IndexError(`index: too many indices for an array of shape ${fmtShape(shape)}`);
      basic.push(null);
      axes.push(out++);
      arrays.push({ arr, inputAxis: axis++ });
      continue;
    }
    basic.push(e as SliceSpec);
    if (typeof e !== "number") out++;
    axis++;
  }
  if (arrays.length === 0) return { basic, axes, linear: null, at: 0 };
  // mask coordinates were laid out one axis per entry: their check needs the input axis they cover
  const b = broadcastShapes("index", ...arrays.map((x) => x.arr.shape));
  const sizes = arrays.map((x) => shape[x.inputAxis]!);
  const linear = linearIndex(arrays.map((x) => x.arr), sizes, arrays.map((x) => x.inputAxis), b);
  const adjacent = axes.every((a, i) => a === axes[0]! + i);
  return { basic, axes, linear, at: adjacent ? axes[0]! : 0 };
}

/** The broadcast arrays' flat index into axes of `sizes` (C order), each checked and wrapped. */
const linearIndex = kernel("linearIndex", function linearIndex(arrays: readonly NDArray[], sizes: readonly number[], inputAxes: readonly number[], shape: readonly number[]): NDArray {
  const out = new Int32Array(sizeOf(shape));
  const views = arrays.map((a) => broadcastTo(a, shape));
  let scale = 1;
  for (let k = arrays.length - 1; k >= 0; k--) {
    const v = views[k]!;
    const size = sizes[k]!;
    forEachPosition(shape, (c, p) => {
      out[p]! += scale * indexAt("index", v, c, inputAxes[k]!, size);
    });
    scale *= size;
  }
  return new NDArray(out, shape);
});

/** The permutation that moves the `nb` leading dims of an array of `ndim` dims to position `at`. */
export function moveLeading(nb: number, at: number, ndim: number): number[] | null {
  if (at === 0) return null;
  const perm: number[] = [];
  for (let i = 0; i < at; i++) perm.push(nb + i);
  for (let i = 0; i < nb; i++) perm.push(i);
  for (let i = nb + at; i < ndim; i++) perm.push(i);
  return perm;
}

/**
 * numpy's (and torch's) indexing `a[specs]` with index arrays on any axes: a view when the
 * specs are all {@link SliceSpec}s, else a copy. Index arrays (integer NDArrays, or bool masks)
 * broadcast together; their dims replace the indexed axes where those are adjacent, and go
 * first where a slice separates them, as in numpy. Integers beside index arrays count as 0-d
 * index arrays, as in numpy (autograd's `index` follows PyTorch there instead). Throws IndexError naming the axis and index for one out of bounds, ShapeError
 * for index arrays that do not broadcast.
 *
 * @example
 * ```ts
 * const a = arange(12).reshape(3, 4);
 * index(a, [array([0, 2], undefined, "int32"), array([1, 3], undefined, "int32")]).toArray(); // [1, 11]
 * index(a, [null, array([0, 0], undefined, "int32")]).toArray(); // [[0, 0], [4, 4], [8, 8]]
 * index(a, [a.gt(9)]).toArray(); // [10, 11]
 * ```
 */
export function index(a: NDArray, specs: readonly IndexSpec[]): NDArray {
  const plan = indexPlan(a.shape, specs, (x): x is NDArray => x instanceof NDArray, (x) => x);
  const v = slice(a, plan.basic);
  if (plan.linear === null) return v;
  const rest = v.shape.map((_, i) => i).filter((i) => !plan.axes.includes(i));
  const moved = permute(v, [...plan.axes, ...rest]);
  const flat = reshape(moved, [sizeOf(plan.axes.map((i) => v.shape[i]!)), ...rest.map((i) => v.shape[i]!)]);
  const r = take(flat, plan.linear, 0);
  const perm = moveLeading(plan.linear.ndim, plan.at, r.ndim);
  return perm === null ? r : permute(r, perm);
}

// ---------------------------------------------------------------- movement by index

/** The (start, stop) cuts that roll an axis of size n by `shift`: the tail [n - s, n) comes first. */
export function rollSplit(n: number, shift: number): number {
  if (!Number.isInteger(shift)) throw new ValueError(`roll: shifts must be integers, got ${shift}`);
  return n === 0 ? 0 : ((shift % n) + n) % n;
}

/** roll's shifts paired with normalized axes; with no axis, the flattened array's one axis (-1). */
export function rollPairs(shape: readonly number[], shifts: number | readonly number[], axis?: number | readonly number[]): [number, number][] {
  if (axis === undefined || axis === null) {
    if (typeof shifts !== "number") {
      if (shifts.length !== 1) throw new ValueError(`roll: ${shifts.length} shifts need as many axes`);
      return [[-1, shifts[0]!]];
    }
    return [[-1, shifts]];
  }
  const ss = typeof shifts === "number" ? [shifts] : shifts;
  const as = typeof axis === "number" ? [axis] : axis;
  if (ss.length !== as.length) throw new ValueError(`roll: ${ss.length} shifts for ${as.length} axes ([${ss.join(",")}] along [${as.join(",")}])`);
  return as.map((a, i) => [normalizeAxis("roll", a, shape.length), ss[i]!]);
}

/**
 * torch.roll (numpy's roll): the elements shifted by `shifts` places along `axis` (a number or a
 * list, paired with shifts), those pushed off the end coming back at the start; with no axis the
 * array is rolled flattened and keeps its shape. A copy.
 *
 * @example
 * ```ts
 * roll(arange(5), 2).toArray(); // [3, 4, 0, 1, 2]
 * roll(arange(6).reshape(2, 3), [1, -1], [0, 1]).toArray(); // [[4, 5, 3], [1, 2, 0]]
 * ```
 */
export function roll(a: NDArray, shifts: number | readonly number[], axis?: number | readonly number[]): NDArray {
  let r = a;
  const pairs = rollPairs(a.shape, shifts, axis);
  if (pairs[0]![0] === -1) r = reshape(a, [-1]);
  for (const [ax0, shift] of pairs) {
    const ax = ax0 === -1 ? 0 : ax0;
    const n = r.shape[ax]!;
    const s = rollSplit(n, shift);
    if (s === 0) continue;
    const head: SliceSpec[] = r.shape.map((_, i) => (i === ax ? [n - s, n] : null));
    const tail: SliceSpec[] = r.shape.map((_, i) => (i === ax ? [0, n - s] : null));
    r = joinModule.concat([slice(r, head), slice(r, tail)], ax);
  }
  return r === a ? a.copy() : reshape(r, a.shape);
}

/** repeat's shapes: the input seen with as many dims as reps, interleaved with 1s, stretched, and the result. */
export function repeatShapes(shape: readonly number[], reps: readonly number[]): { lifted: number[]; stretched: number[]; result: number[] } {
  if (reps.length < shape.length) {
    throw new ValueError(`repeat: ${reps.length} repeats for an array of shape ${fmtShape(shape)}; give at least one per dim`);
  }
  for (const r of reps) if (!Number.isInteger(r) || r < 0) throw new ValueError(`repeat: repeats must be non-negative integers, got [${reps.join(",")}]`);
  const full = [...new Array<number>(reps.length - shape.length).fill(1), ...shape];
  return {
    lifted: full.flatMap((d) => [1, d]),
    stretched: full.flatMap((d, i) => [reps[i]!, d]),
    result: full.map((d, i) => d * reps[i]!),
  };
}

/**
 * torch's Tensor.repeat (numpy's tile with at least one repeat per dim): the array tiled
 * `reps[i]` times along axis i; extra leading reps add leading axes. A copy.
 *
 * @example
 * ```ts
 * repeat(array([1, 2]), [2, 2]).toArray(); // [[1, 2, 1, 2], [1, 2, 1, 2]]
 * ```
 */
export function repeat(a: NDArray, reps: readonly number[]): NDArray {
  const { lifted, stretched, result } = repeatShapes(a.shape, reps);
  return reshape(broadcastTo(reshape(a, lifted), stretched), result).contiguous();
}

/**
 * The take indices of torch.repeat_interleave along an axis of size n: each index i repeated
 * `repeats` times (one count for all, or one per index).
 */
export const repeatIndices = kernel("repeatIndices", function repeatIndices(n: number, repeats: number | IndexArrayLike): NDArray {
  let counts: number[];
  if (typeof repeats === "number") counts = new Array<number>(n).fill(repeats);
  else {
    const r = asIndexNDArray("repeatInterleave", repeats).toFlat();
    counts = r.length === 1 ? new Array<number>(n).fill(r[0]!) : r; // one count in an array stands for all, as torch's
  }
  if (counts.length !== n) throw new ShapeError(`repeatInterleave: ${counts.length} repeats for an axis of size ${n}`);
  const out: number[] = [];
  counts.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0) throw new ValueError(`repeatInterleave: repeats must be non-negative integers, got ${c}`);
    for (let k = 0; k < c; k++) out.push(i);
  });
  return new NDArray(Int32Array.from(out), [out.length]);
});

/**
 * torch.repeat_interleave (numpy's repeat): each element repeated `repeats` times along `axis`
 * (the flattened array when omitted); `repeats` is one count or one per element of the axis.
 *
 * @example
 * ```ts
 * repeatInterleave(array([1, 2]), 2).toArray(); // [1, 1, 2, 2]
 * repeatInterleave(array([[1, 2], [3, 4]]), [1, 2], 0).toArray(); // [[1, 2], [3, 4], [3, 4]]
 * ```
 */
export function repeatInterleave(a: NDArray, repeats: number | IndexArrayLike, axis?: number): NDArray {
  const src = axis === undefined || axis === null ? reshape(a, [-1]) : a;
  const ax = axis === undefined || axis === null ? 0 : normalizeAxis("repeatInterleave", axis, a.ndim);
  return take(src, repeatIndices(src.shape[ax]!, repeats), ax);
}
