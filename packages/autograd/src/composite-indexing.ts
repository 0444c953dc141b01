// Indexing and movement built from other ops, with no VJP of their own: advanced indexing is a
// slice, a permute, a reshape and one take (whose gradient accumulates on repeated indices);
// flip is a slice with step -1; roll is two slices joined; repeat is a broadcast; a diagonal is
// a strided slice of the flattened matrix; triu and tril are a where with a constant mask.

import * as nd from "@tapegrad/tensor";
import { diagonalLayout, flipSpecs, indexPlan, moveLeading, repeatIndices, repeatShapes, rollPairs, rollSplit } from "@tapegrad/tensor/internal";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { add, mul, where } from "./ops/binary.js";
import { broadcastTo, concat, movementOps, permute, reshape, slice, take } from "./ops/movement.js";
import { pad } from "./ops/window.js";
import { indexTensor, indexingOps } from "./ops/indexing.js";

/** An entry of {@link index}: a slice spec, or an index array (an int or bool Tensor or NDArray). */
export type TensorIndexSpec = nd.IndexSpec<Tensor | nd.NDArray>;

const isIndexArray = (x: unknown): x is Tensor | nd.NDArray => x instanceof Tensor || x instanceof nd.NDArray;
const dataOf = (x: Tensor | nd.NDArray): nd.NDArray => (x instanceof Tensor ? x.data : x);

/**
 * numpy's and PyTorch's indexing `x[specs]` with index arrays: each entry is a slice spec (a
 * number, `null` for the whole axis, `[start, stop, step]`, `newaxis`, `"..."`) or an index
 * array (an int Tensor or NDArray picks along its axis; a bool one is a mask over as many axes as
 * it has dims). Index arrays broadcast together; their dims replace the indexed axes where those
 * are adjacent and go first where a slice separates them. An integer selects first, as basic
 * indexing, as in PyTorch (`x[1, :, idx]` keeps idx's dim in place; numpy, and the tensor
 * package's `index`, count the 1 as an index array and put the dim first). Gradient: g scattered
 * back, repeated indices accumulating. An index out of bounds is an IndexError naming the axis
 * and the index; index arrays that do not broadcast are a ShapeError naming their shapes.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * index(x, [nd.array([1, 0, 1], undefined, "int32"), nd.array([2, 0, 2], undefined, "int32")]).toArray(); // [6, 1, 6]
 * index(x, [null, nd.array([0, 0], undefined, "int32")]).toArray(); // [[1, 1], [4, 4]]
 * index(x, [x.gt(3)]).toArray(); // [4, 5, 6]
 * ```
 */
export function index(x: TensorLike, specs: readonly TensorIndexSpec[]): Tensor {
  const t = toTensor(x);
  const plan = indexPlan(t.shape, specs, isIndexArray, dataOf, "torch");
  const v = plan.basic.length === 0 ? t : slice(t, plan.basic);
  if (plan.linear === null) return v;
  const rest = v.shape.map((_, i) => i).filter((i) => !plan.axes.includes(i));
  const moved = permute(v, [...plan.axes, ...rest]);
  const picked = nd.sizeOf(plan.axes.map((i) => v.shape[i]!));
  const flat = reshape(moved, [picked, ...rest.map((i) => v.shape[i]!)]);
  const r = take(flat, plan.linear, 0);
  const perm = moveLeading(plan.linear.ndim, plan.at, r.ndim);
  return perm === null ? r : permute(r, perm);
}

/**
 * torch.index_select: the entries of x at the 1-D `index` along `axis`, a copy. Gradient: g
 * scatter-added back (repeated indices accumulate).
 *
 * @example
 * ```ts
 * indexSelect(tensor([[1, 2], [3, 4], [5, 6]]), 0, [2, 0]).toArray(); // [[5, 6], [1, 2]]
 * ```
 */
export function indexSelect(x: TensorLike, axis: number, index: Tensor | nd.IndexArrayLike): Tensor {
  const t = toTensor(x);
  const { ax, idx } = axisIndex("indexSelect", t, axis, index);
  return take(t, idx, ax);
}

/** A 1-D index checked against an axis of x (negatives wrapped), for indexAdd and indexCopy. */
function axisIndex(op: string, t: Tensor, axis: number, index: Tensor | nd.IndexArrayLike): { ax: number; idx: nd.NDArray } {
  const ax = nd.normalizeAxis(op, axis, t.ndim);
  const raw = indexTensor(op, index).data;
  if (raw.ndim > 1) throw new nd.ShapeError(`${op}: index must be 1-D, got shape ${nd.fmtShape(raw.shape)}`);
  return { ax, idx: nd.toIndexArray(`${op} (axis ${ax})`, raw.reshape([-1]), t.shape[ax]!) };
}

/**
 * torch.index_add: x plus `alpha` times src's slices added at the positions of the 1-D `index`
 * along `axis` (src is x's shape with index's length on that axis); repeated indices
 * accumulate. Gradients: g for x, alpha times g's slices at index for src.
 *
 * @example
 * ```ts
 * indexAdd(zeros([3, 2]), 0, [0, 0, 2], ones([3, 2])).toArray(); // [[2, 2], [0, 0], [1, 1]]
 * ```
 */
export function indexAdd(x: TensorLike, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike, options: { alpha?: number } = {}): Tensor {
  const t = toTensor(x);
  const { ax, idx } = axisIndex("indexAdd", t, axis, index);
  const s = toTensor(src, t);
  const scaled = options.alpha === undefined || options.alpha === 1 ? s : mul(s, options.alpha);
  return add(t, movementOps.takeGrad([scaled, new Tensor(idx)], { axis: ax, shape: t.shape }));
}

/**
 * torch.index_copy: x with the slices along `axis` at the 1-D `index` replaced by src's (src is
 * x's shape with index's length on that axis); where an index repeats, the last slice wins.
 * Gradients: g with the replaced slices zeroed for x, g's slices at index for src.
 *
 * @example
 * ```ts
 * indexCopy(zeros([3]), 0, [2, 0], tensor([7, 8])).toArray(); // [8, 0, 7]
 * ```
 */
export function indexCopy(x: TensorLike, axis: number, index: Tensor | nd.IndexArrayLike, src: TensorLike): Tensor {
  const t = toTensor(x);
  const { ax, idx } = axisIndex("indexCopy", t, axis, index);
  const s = toTensor(src, t);
  const want = t.shape.map((d, i) => (i === ax ? idx.size : d));
  if (!nd.shapesEqual(want, s.shape)) {
    throw new nd.ShapeError(`indexCopy: src has shape ${nd.fmtShape(s.shape)} but ${idx.size} indices into x of shape ${nd.fmtShape(t.shape)} on axis ${ax} need ${nd.fmtShape(want)}`);
  }
  // index_copy is a scatter whose index repeats each position across the other axes
  const lifted = nd.reshape(idx, t.shape.map((_, i) => (i === ax ? idx.size : 1)));
  const spread = nd.copy(nd.broadcastTo(lifted, want));
  return indexingOps.scatter([t, new Tensor(spread), s], { axis: ax });
}

/** The mask as a bool array that broadcasts to `shape` without growing it. */
function maskFor(op: string, mask: TensorLike, shape: readonly number[]): nd.NDArray {
  const m = toTensor(mask).data;
  if (m.dtype !== "bool") throw new nd.DTypeError(`${op}: mask must be a bool array, got dtype ${m.dtype}`);
  const b = nd.broadcastShapes(op, shape, m.shape);
  if (!nd.shapesEqual(b, shape)) throw new nd.ShapeError(`${op}: mask of shape ${nd.fmtShape(m.shape)} does not broadcast to x's shape ${nd.fmtShape(shape)}`);
  return m;
}

/**
 * torch.masked_fill: x with `value` where the bool `mask` (broadcast to x's shape) is true.
 * Gradients: g where the mask is false for x; the sum of g where it is true for a tensor value.
 *
 * @example
 * ```ts
 * maskedFill(tensor([1, 2, 3]), tensor([1, 2, 3]).gt(1), 0).toArray(); // [1, 0, 0]
 * ```
 */
export function maskedFill(x: TensorLike, mask: TensorLike, value: TensorLike): Tensor {
  const t = toTensor(x);
  const m = maskFor("maskedFill", mask, t.shape);
  if (value instanceof Tensor && value.ndim !== 0) throw new nd.ShapeError(`maskedFill: value must be a number or a 0-d tensor, got shape ${nd.fmtShape(value.shape)}`);
  return where(new Tensor(m), value, t);
}

/**
 * torch.masked_select: the elements of x where the bool `mask` is true (the two broadcast
 * together), in C order, as a 1-D copy. Gradient: g scattered back to those elements.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * maskedSelect(x, x.gt(1)).toArray(); // [2, 3, 4]
 * ```
 */
export function maskedSelect(x: TensorLike, mask: TensorLike): Tensor {
  const t = toTensor(x);
  const m = toTensor(mask).data;
  if (m.dtype !== "bool") throw new nd.DTypeError(`maskedSelect: mask must be a bool array, got dtype ${m.dtype}`);
  const shape = nd.broadcastShapes("maskedSelect", t.shape, m.shape);
  const at = nd.reshape(nd.nonzero(nd.reshape(nd.broadcastTo(m, shape), [-1])), [-1]);
  return take(reshape(broadcastTo(t, shape), [-1]), at, 0);
}

/**
 * torch.nonzero: the coordinates of x's non-zero (true) elements, in C order, as an int32
 * tensor of shape [count, ndim]; with `asTuple`, one 1-D tensor per axis (numpy's nonzero, and
 * torch.where with one argument). Carries no gradient.
 *
 * @example
 * ```ts
 * nonzero(tensor([[0, 1], [2, 0]])).toArray(); // [[0, 1], [1, 0]]
 * nonzero(tensor([[0, 1], [2, 0]]), { asTuple: true }).map((t) => t.toArray()); // [[0, 1], [1, 0]]
 * ```
 */
export function nonzero(x: TensorLike, options?: { asTuple?: false }): Tensor;
export function nonzero(x: TensorLike, options: { asTuple: true }): Tensor[];
export function nonzero(x: TensorLike, options: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  const coords = nd.nonzero(toTensor(x).data);
  if (!options.asTuple) return new Tensor(coords);
  return coords.shape.slice(1).length === 0 ? [] : Array.from({ length: coords.shape[1]! }, (_, d) => new Tensor(nd.copy(nd.slice(coords, [null, d]))));
}

/**
 * torch.flip: x with the order of its elements reversed along `axis` (a number or a list; every
 * axis when omitted). A view; the gradient is g flipped back.
 *
 * @example
 * ```ts
 * flip(tensor([[1, 2], [3, 4]]), 1).toArray(); // [[2, 1], [4, 3]]
 * ```
 */
export function flip(x: TensorLike, axis?: nd.AxisArg): Tensor {
  const t = toTensor(x);
  const specs = flipSpecs("flip", t.ndim, axis);
  if (specs.every((s) => s === null)) return t;
  return slice(t, specs);
}

/**
 * torch.roll: x's elements shifted by `shifts` places along `axis` (a number or a list paired
 * with shifts), those pushed off the end coming back at the start; with no axis x is rolled
 * flattened and keeps its shape. Gradient: g rolled back.
 *
 * @example
 * ```ts
 * roll(tensor([1, 2, 3, 4, 5]), 2).toArray(); // [4, 5, 1, 2, 3]
 * ```
 */
export function roll(x: TensorLike, shifts: number | readonly number[], axis?: number | readonly number[]): Tensor {
  const t = toTensor(x);
  const pairs = rollPairs(t.shape, shifts, axis);
  let r = pairs[0]![0] === -1 ? reshape(t, [-1]) : t;
  for (const [ax0, shift] of pairs) {
    const ax = ax0 === -1 ? 0 : ax0;
    const n = r.shape[ax]!;
    const s = rollSplit(n, shift);
    if (s === 0) continue;
    const head: nd.SliceSpec[] = r.shape.map((_, i) => (i === ax ? [n - s, n] : null));
    const tail: nd.SliceSpec[] = r.shape.map((_, i) => (i === ax ? [0, n - s] : null));
    r = concat([slice(r, head), slice(r, tail)], ax);
  }
  return reshape(r, t.shape);
}

/**
 * torch's Tensor.repeat (numpy's tile): x tiled `reps[i]` times along axis i, with at least one
 * rep per dim (extra leading reps add leading axes). Gradient: g's tiles summed.
 *
 * @example
 * ```ts
 * repeat(tensor([1, 2]), [2, 2]).toArray(); // [[1, 2, 1, 2], [1, 2, 1, 2]]
 * ```
 */
export function repeat(x: TensorLike, reps: readonly number[]): Tensor {
  const t = toTensor(x);
  const { lifted, stretched, result } = repeatShapes(t.shape, reps);
  return reshape(broadcastTo(reshape(t, lifted), stretched), result);
}

/**
 * torch.repeat_interleave: each element of x repeated `repeats` times (one count, or one per
 * element) along `axis` (the flattened x when omitted). Gradient: the sum of g over each
 * element's copies.
 *
 * @example
 * ```ts
 * repeatInterleave(tensor([1, 2]), [1, 3]).toArray(); // [1, 2, 2, 2]
 * ```
 */
export function repeatInterleave(x: TensorLike, repeats: number | Tensor | nd.IndexArrayLike, axis?: number): Tensor {
  let t = toTensor(x);
  if (axis === undefined || axis === null) {
    t = reshape(t, [-1]);
    axis = 0;
  }
  const ax = nd.normalizeAxis("repeatInterleave", axis, t.ndim);
  const reps = repeats instanceof Tensor ? repeats.data : repeats;
  return take(t, repeatIndices(t.shape[ax]!, reps), ax);
}

/**
 * torch.diagonal: the elements `x[..., i, i + offset, ...]` of axes axis1 and axis2 (0 and 1 by
 * default), which are removed, with a new last axis for the diagonal. Gradient: g written on
 * the diagonal of zeros.
 *
 * @example
 * ```ts
 * diagonal(tensor([[1, 2], [3, 4]])).toArray(); // [1, 4]
 * diagonal(tensor([[1, 2], [3, 4]]), 1).toArray(); // [2]
 * ```
 */
export function diagonal(x: TensorLike, offset = 0, axis1 = 0, axis2 = 1): Tensor {
  const t = toTensor(x);
  const { keep, length, start } = diagonalLayout("diagonal", t.shape, offset, axis1, axis2);
  const d1 = nd.normalizeAxis("diagonal", axis1, t.ndim);
  const d2 = nd.normalizeAxis("diagonal", axis2, t.ndim);
  const m = t.shape[d2]!;
  // the matrix flattened: its diagonal is every (m + 1)-th element from the first one
  const flat = reshape(permute(t, [...keep, d1, d2]), [...keep.map((i) => t.shape[i]!), t.shape[d1]! * m]);
  const first = start[0] * m + start[1];
  const range: nd.SliceSpec = length === 0 ? [0, 0] : [first, first + (length - 1) * (m + 1) + 1, m + 1];
  return slice(flat, [...keep.map(() => null), range]);
}

/**
 * torch.diag: a 1-D x becomes the square matrix with x on diagonal `offset` (zeros elsewhere);
 * a 2-D x gives its diagonal `offset` as 1-D. Gradient: the diagonal of g, or g on a diagonal.
 *
 * @example
 * ```ts
 * diag(tensor([1, 2])).toArray(); // [[1, 0], [0, 2]]
 * diag(tensor([[1, 2], [3, 4]])).toArray(); // [1, 4]
 * ```
 */
export function diag(x: TensorLike, offset = 0): Tensor {
  const t = toTensor(x);
  if (!Number.isInteger(offset)) throw new nd.ValueError(`diag: offset must be an integer, got ${offset}`);
  if (t.ndim === 2) return diagonal(t, offset);
  if (t.ndim !== 1) throw new nd.ShapeError(`diag: needs a 1-D or 2-D tensor, got shape ${nd.fmtShape(t.shape)}`);
  const n = t.shape[0]!;
  const square = mul(new Tensor(nd.eye(n, n, nd.isFloat(t.dtype) ? t.dtype : "float64")), t);
  const k = Math.abs(offset);
  return k === 0 ? square : pad(square, offset > 0 ? [[0, k], [k, 0]] : [[k, 0], [0, k]]);
}

function triangle(op: "triu" | "tril", x: TensorLike, k: number): Tensor {
  const t = toTensor(x);
  if (t.ndim < 2) throw new nd.ShapeError(`${op}: needs a tensor of at least 2 dims, got shape ${nd.fmtShape(t.shape)}`);
  const keep = nd[op](nd.ones(t.shape.slice(-2), "bool"), k);
  return where(new Tensor(keep), t, 0);
}

/**
 * torch.triu: x with the elements below diagonal `k` of its last two axes set to 0 (k > 0 above
 * the main diagonal, k < 0 below). Gradient: g with the same elements zeroed.
 *
 * @example
 * ```ts
 * triu(tensor([[1, 2], [3, 4]])).toArray(); // [[1, 2], [0, 4]]
 * ```
 */
export function triu(x: TensorLike, k = 0): Tensor {
  return triangle("triu", x, k);
}

/**
 * torch.tril: x with the elements above diagonal `k` of its last two axes set to 0. Gradient: g
 * with the same elements zeroed.
 *
 * @example
 * ```ts
 * tril(tensor([[1, 2], [3, 4]])).toArray(); // [[1, 0], [3, 4]]
 * ```
 */
export function tril(x: TensorLike, k = 0): Tensor {
  return triangle("tril", x, k);
}

/**
 * torch.meshgrid: from 1-D tensors of sizes n0, n1, ..., one tensor each of shape [n0, n1, ...]
 * holding its input along its own axis ("ij", the default) or with the first two axes swapped
 * ("xy", numpy's default, for Cartesian x and y). Views; each gradient is g summed over the
 * other axes.
 *
 * @example
 * ```ts
 * const [a, b] = meshgrid([tensor([1, 2]), tensor([3, 4, 5])]);
 * a.shape; // [2, 3]
 * b.toArray(); // [[3, 4, 5], [3, 4, 5]]
 * ```
 */
export function meshgrid(xs: readonly TensorLike[], options: { indexing?: "ij" | "xy" } = {}): Tensor[] {
  const indexing = options.indexing ?? "ij";
  if (indexing !== "ij" && indexing !== "xy") throw new nd.ValueError(`meshgrid: indexing must be "ij" or "xy", got ${JSON.stringify(indexing)}`);
  const ts = xs.map((x) => toTensor(x));
  ts.forEach((t, i) => {
    if (t.ndim > 1) throw new nd.ShapeError(`meshgrid: input ${i} must be 0-d or 1-D, got shape ${nd.fmtShape(t.shape)}`);
  });
  const axisOf = ts.map((_, i) => (indexing === "xy" && ts.length >= 2 && i < 2 ? 1 - i : i));
  const shape = new Array<number>(ts.length);
  ts.forEach((t, i) => (shape[axisOf[i]!] = t.size));
  return ts.map((t, i) => broadcastTo(reshape(t, shape.map((d, a) => (a === axisOf[i] ? d : 1))), shape));
}

/**
 * torch.nn.functional.one_hot: integer class ids as an int32 tensor of shape
 * `[...ids.shape, numClasses]`, 1 at each id; numClasses -1 (the default) is the largest id
 * plus one. An id out of range is an IndexError. Carries no gradient.
 *
 * @example
 * ```ts
 * oneHot([2, 0], 3).toArray(); // [[0, 0, 1], [1, 0, 0]]
 * ```
 */
export function oneHot(ids: Tensor | nd.IndexArrayLike, numClasses = -1): Tensor {
  return new Tensor(nd.oneHot(ids instanceof Tensor ? ids.data : ids, numClasses));
}
