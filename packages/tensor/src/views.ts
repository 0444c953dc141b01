// Views: each computes a new (shape, strides, offset) over the same storage and never copies,
// except reshape, which copies only when no strides can express the new shape (as numpy).

import { AxisError, IndexError, ShapeError, ValueError, fmtShape } from "./errors.js";
import type { NDArray, AxisArg } from "./ndarray.js";
import { kernel } from "./kernel.js";
import { checkShape, contiguousStrides, normalizeAxes, normalizeAxis, sizeOf, type Shape } from "./shape.js";

/**
 * The spec that inserts a new axis of size 1 into a slice (numpy's `np.newaxis`, torch's
 * `None`). In tapegrad `null` keeps its older meaning, the whole axis (numpy's `:`), which code
 * across the project relies on; so the new axis is spelled with this constant instead.
 *
 * @example
 * ```ts
 * slice(arange(3), [newaxis]).shape; // [1, 3]
 * slice(arange(3), [null, newaxis]).shape; // [3, 1]
 * ```
 */
export const newaxis = "newaxis" as const;

/**
 * The spec that stands for as many whole axes as needed (numpy's `...`): `slice(a, ["...", 0])`
 * picks index 0 of the last axis. At most one per spec list.
 *
 * @example
 * ```ts
 * slice(zeros([2, 3, 4]), [ellipsis, 1]).shape; // [2, 3]
 * ```
 */
export const ellipsis = "..." as const;

/**
 * One axis of a slice: a number selects an index and drops the axis (numpy's `a[i]`);
 * `null`/`undefined` keeps the whole axis; `[start, stop, step]` or `{ start, stop, step }`
 * is numpy's `start:stop:step`, with negative values counting from the end, a negative step
 * walking backwards, and bounds beyond the axis clipped to it; {@link newaxis} inserts a
 * size-1 axis; {@link ellipsis} (`"..."`) stands for the whole axes not otherwise named.
 */
export type SliceSpec =
  | number
  | null
  | undefined
  | typeof newaxis
  | typeof ellipsis
  | readonly [start?: number | null, stop?: number | null, step?: number | null]
  | { start?: number | null; stop?: number | null; step?: number | null };

/**
 * numpy's transpose with axes (torch's permute): a view whose dim i is a's dim `axes[i]`; no
 * copy. `undefined` reverses all axes (numpy's `.T`). Throws AxisError unless `axes` names each
 * of a's axes once (negative ones count from the end).
 *
 * @example
 * ```ts
 * permute(zeros([2, 3, 4]), [2, 0, 1]).shape; // [4, 2, 3]
 * ```
 */
export function permute(a: NDArray, axes: readonly number[] | undefined): NDArray {
  const nd = a.ndim;
  const shape = new Array<number>(nd);
  const strides = new Array<number>(nd);
  if (axes === undefined) {
    // all axes reversed (`.T`): nothing to check
    for (let i = 0; i < nd; i++) {
      shape[i] = a.shape[nd - 1 - i]!;
      strides[i] = a.strides[nd - 1 - i]!;
    }
    return a.view(shape, strides, a.offset);
  }
  if (axes.length !== nd) {
    throw new AxisError(`permute: axes [${axes.join(",")}] do not match an array of shape ${fmtShape(a.shape)}`);
  }
  const seen = new Array<boolean>(nd).fill(false);
  for (let i = 0; i < nd; i++) {
    const n = normalizeAxis("permute", axes[i]!, nd);
    if (seen[n]) throw new AxisError(`permute: repeated axis in [${axes.join(",")}] for shape ${fmtShape(a.shape)}`);
    seen[n] = true;
    shape[i] = a.shape[n]!;
    strides[i] = a.strides[n]!;
  }
  return a.view(shape, strides, a.offset);
}

/**
 * numpy's swapaxes: a view with axes `i` and `j` exchanged; no copy. Throws AxisError for an
 * axis out of range.
 *
 * @example
 * ```ts
 * swapaxes(zeros([2, 3, 4]), 0, -1).shape; // [4, 3, 2]
 * ```
 */
export function swapaxes(a: NDArray, i: number, j: number): NDArray {
  const nd = a.ndim;
  const x = normalizeAxis("swapaxes", i, nd);
  const y = normalizeAxis("swapaxes", j, nd);
  const perm = Array.from({ length: nd }, (_, k) => k);
  perm[x] = y;
  perm[y] = x;
  return permute(a, perm);
}

/**
 * A slice bound as numpy reads it: negative counts from the end, and what is still outside the
 * axis is clipped to it (to [0, d] walking forwards, [-1, d - 1] walking backwards).
 */
function sliceBound(op: string, v: number, d: number, axis: number, what: string, backwards: boolean): number {
  if (!Number.isInteger(v)) throw new IndexError(`${op}: ${what} ${v} on axis ${axis} is not an integer`);
  const w = v < 0 ? v + d : v;
  return backwards ? Math.min(Math.max(w, -1), d - 1) : Math.min(Math.max(w, 0), d);
}

/**
 * `specs` with the ellipsis replaced by whole axes (nulls), for an array of `shape`: the axes
 * the specs consume (`consumes`: one each; newaxis none) may number at most its ndim.
 */
export function expandEllipsis<S>(op: string, specs: readonly (S | typeof ellipsis)[], shape: readonly number[], consumes: (s: S) => number = () => 1): (S | null)[] {
  const ndim = shape.length;
  let at = -1;
  let used = 0;
  specs.forEach((s, i) => {
    if (s === ellipsis) {
      if (at >= 0) throw new IndexError(`${op}: an index can only have a single ellipsis ("...")`);
      at = i;
    } else if (s !== newaxis) used += consumes(s as S);
  });
  if (used > ndim) throw new IndexError(`${op}: too many indices (${used}) for an array of shape ${fmtShape(shape)}`);
  const rest = specs as readonly S[];
  if (at < 0) return rest.slice();
  return [...rest.slice(0, at), ...new Array<null>(ndim - used).fill(null), ...rest.slice(at + 1)];
}

/**
 * numpy's basic indexing `a[...]` as a view; no copy. `specs` holds one {@link SliceSpec} per
 * leading axis (the axes after them are kept whole): a number picks one index and drops the
 * axis, `null` keeps the axis, `[start, stop, step]` (or `{ start, stop, step }`) slices it,
 * {@link newaxis} inserts a size-1 axis and {@link ellipsis} (`"..."`) stands for the axes not
 * named. As in numpy, slice bounds beyond the axis are clipped (`[2, 99]` on an axis of 5 is
 * `2:5`) while an integer index beyond it throws IndexError; a step of 0 throws ValueError.
 *
 * @example
 * ```ts
 * const a = arange(6).reshape(2, 3); // [[0, 1, 2], [3, 4, 5]]
 * slice(a, [1]).toArray(); // [3, 4, 5]
 * slice(a, [null, [1]]).toArray(); // [[1, 2], [4, 5]]
 * slice(arange(5), [[null, null, -2]]).toArray(); // [4, 2, 0]
 * slice(arange(5), [[3, 99]]).toArray(); // [3, 4]
 * slice(a, ["...", 0, newaxis]).shape; // [2, 1]
 * ```
 */
export function slice(a: NDArray, specs: readonly SliceSpec[]): NDArray {
  const all = expandEllipsis<SliceSpec>("slice", specs, a.shape);
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = a.offset;
  let axis = 0;
  for (let k = 0; k < all.length || axis < a.ndim; k++) {
    const spec = all[k];
    if (spec === newaxis) {
      shape.push(1);
      strides.push(axis < a.ndim ? a.strides[axis]! * a.shape[axis]! : 1);
      continue;
    }
    const d = a.shape[axis]!;
    const st = a.strides[axis]!;
    if (spec === null || spec === undefined) {
      shape.push(d);
      strides.push(st);
      axis++;
      continue;
    }
    if (typeof spec === "number") {
      if (!Number.isInteger(spec) || spec < -d || spec >= d) {
        throw new IndexError(`slice: index ${spec} is out of bounds for axis ${axis} with size ${d} (shape ${fmtShape(a.shape)})`);
      }
      offset += (spec < 0 ? spec + d : spec) * st;
      axis++;
      continue;
    }
    if (typeof spec !== "object") throw new IndexError(`slice: ${JSON.stringify(spec)} on axis ${axis} is not a slice spec`);
    let start: number | null | undefined;
    let stop: number | null | undefined;
    let step: number | null | undefined;
    if (Array.isArray(spec)) [start, stop, step] = spec as [number?, number?, number?];
    else ({ start, stop, step } = spec as { start?: number; stop?: number; step?: number });
    const s = step ?? 1;
    if (!Number.isInteger(s) || s === 0) throw new ValueError(`slice: step must be a non-zero integer, got ${s} on axis ${axis}`);
    let lo: number;
    let hi: number;
    if (s > 0) {
      lo = start == null ? 0 : sliceBound("slice", start, d, axis, "start", false);
      hi = stop == null ? d : sliceBound("slice", stop, d, axis, "stop", false);
    } else {
      // Walking backwards: start defaults to the last element, stop to "before the first".
      lo = start == null ? d - 1 : sliceBound("slice", start, d, axis, "start", true);
      hi = stop == null ? -1 : sliceBound("slice", stop, d, axis, "stop", true);
    }
    const n = s > 0 ? Math.max(0, Math.ceil((hi - lo) / s)) : Math.max(0, Math.ceil((lo - hi) / -s));
    if (n > 0) offset += lo * st;
    shape.push(n);
    strides.push(st * s);
    axis++;
  }
  return a.view(shape, strides, offset);
}

/**
 * numpy's flip (torch.flip): a view with the order of the elements reversed along `axis` (a
 * number, a list, or every axis when omitted); no copy. Throws AxisError for an axis out of
 * range or named twice.
 *
 * @example
 * ```ts
 * flip(arange(6).reshape(2, 3), 1).toArray(); // [[2, 1, 0], [5, 4, 3]]
 * flip(arange(3)).toArray(); // [2, 1, 0]
 * ```
 */
export function flip(a: NDArray, axis?: AxisArg): NDArray {
  return slice(a, flipSpecs("flip", a.ndim, axis));
}

/** The slice specs that reverse `axis` (every axis when omitted) of an array of `ndim` dims. */
export function flipSpecs(op: string, ndim: number, axis?: AxisArg): SliceSpec[] {
  const axes = normalizeAxes(op, axis, ndim);
  if (Array.isArray(axis) && new Set(axes).size !== axes.length) throw new AxisError(`${op}: repeated axis in [${axis.join(",")}]`);
  const specs: SliceSpec[] = new Array<SliceSpec>(ndim).fill(null);
  for (const ax of axes) specs[ax] = [null, null, -1];
  return specs;
}

/**
 * torch.diagonal (numpy's diagonal): a view of the elements `a[..., i, i + offset, ...]` of the
 * two axes `axis1` and `axis2`, which are removed, and a new last axis holds the diagonal; no
 * copy. A positive `offset` is above the main diagonal, a negative one below; one beyond the
 * matrix gives an empty diagonal. Throws AxisError for the same axis twice or one out of range.
 *
 * @example
 * ```ts
 * const a = arange(9).reshape(3, 3);
 * diagonal(a).toArray(); // [0, 4, 8]
 * diagonal(a, 1).toArray(); // [1, 5]
 * diagonal(a, -2).toArray(); // [6]
 * ```
 */
export function diagonal(a: NDArray, offset = 0, axis1 = 0, axis2 = 1): NDArray {
  const { keep, length, start } = diagonalLayout("diagonal", a.shape, offset, axis1, axis2);
  const [d1, d2] = [normalizeAxis("diagonal", axis1, a.ndim), normalizeAxis("diagonal", axis2, a.ndim)];
  const shape = [...keep.map((i) => a.shape[i]!), length];
  const strides = [...keep.map((i) => a.strides[i]!), a.strides[d1]! + a.strides[d2]!];
  const off = length > 0 ? a.offset + start[0] * a.strides[d1]! + start[1] * a.strides[d2]! : a.offset;
  return a.view(shape, strides, off);
}

/**
 * Where a diagonal lies: the axes kept (in order), its length and its first element's (row,
 * column) along axis1 and axis2. Throws AxisError for an axis out of range or the same axis twice.
 */
export function diagonalLayout(op: string, shape: readonly number[], offset: number, axis1: number, axis2: number): { keep: number[]; length: number; start: [number, number] } {
  if (!Number.isInteger(offset)) throw new ValueError(`${op}: offset must be an integer, got ${offset}`);
  const d1 = normalizeAxis(op, axis1, shape.length);
  const d2 = normalizeAxis(op, axis2, shape.length);
  if (d1 === d2) throw new AxisError(`${op}: axis1 and axis2 cannot be the same axis (${axis1}, ${axis2}) for shape ${fmtShape(shape)}`);
  const n = shape[d1]!;
  const m = shape[d2]!;
  const start: [number, number] = offset >= 0 ? [0, offset] : [-offset, 0];
  const length = Math.max(0, Math.min(n - start[0], m - start[1]));
  const keep = shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  return { keep, length, start };
}

/** numpy's broadcast_to: a read-only view with stride 0 on the stretched dims. */
export function broadcastTo(a: NDArray, shape: Shape): NDArray {
  const target = checkShape("broadcastTo", shape);
  const nd = target.length;
  if (a.ndim > nd) {
    throw new ShapeError(`broadcastTo: cannot broadcast shape ${fmtShape(a.shape)} to ${fmtShape(target)}`);
  }
  const strides = new Array<number>(nd).fill(0);
  let stretched = false;
  for (let i = 0; i < nd; i++) {
    const j = i - (nd - a.ndim);
    if (j < 0) {
      if (target[i]! > 1) stretched = true;
      continue;
    }
    const d = a.shape[j]!;
    if (d === target[i]) strides[i] = a.strides[j]!;
    else if (d === 1) {
      if (target[i]! > 1) stretched = true;
    } else throw new ShapeError(`broadcastTo: cannot broadcast shape ${fmtShape(a.shape)} to ${fmtShape(target)}`);
  }
  return a.view(target, strides, a.offset, a.writable && !stretched);
}

/**
 * numpy's squeeze: a view without the size-1 dims, all of them or those named in `axis`; no
 * copy. Throws ShapeError for a named axis whose size is not 1.
 *
 * @example
 * ```ts
 * squeeze(zeros([1, 2, 1])).shape; // [2]
 * squeeze(zeros([1, 2, 1]), 0).shape; // [2, 1]
 * ```
 */
export function squeeze(a: NDArray, axis?: AxisArg): NDArray {
  const drop =
    axis === undefined || axis === null
      ? a.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : normalizeAxes("squeeze", axis, a.ndim);
  for (const i of drop) {
    if (a.shape[i] !== 1) {
      throw new ShapeError(`squeeze: cannot squeeze axis ${i} of size ${a.shape[i]} (shape ${fmtShape(a.shape)})`);
    }
  }
  const keep = a.shape.map((_, i) => i).filter((i) => !drop.includes(i));
  return a.view(
    keep.map((i) => a.shape[i]!),
    keep.map((i) => a.strides[i]!),
    a.offset,
  );
}

/**
 * torch's unsqueeze (numpy's expand_dims): a view with a new size-1 dim at `axis`, which may be
 * in [-(ndim + 1), ndim] (-1 appends it); no copy.
 *
 * @example
 * ```ts
 * unsqueeze(array([1, 2]), 0).shape; // [1, 2]
 * unsqueeze(array([1, 2]), -1).shape; // [2, 1]
 * ```
 */
export function unsqueeze(a: NDArray, axis: number): NDArray {
  const ax = normalizeAxis("unsqueeze", axis, a.ndim + 1);
  const shape = a.shape.slice();
  const strides = a.strides.slice();
  // The stride of a size-1 dim is never used to step; give it the contiguous value.
  const st = ax < a.ndim ? a.strides[ax]! * a.shape[ax]! : 1;
  shape.splice(ax, 0, 1);
  strides.splice(ax, 0, st);
  return a.view(shape, strides, a.offset);
}

function resolveShape(a: NDArray, shape: readonly number[]): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`reshape: only one dim can be -1, got ${fmtShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(`reshape: dims must be non-negative integers or -1, got ${fmtShape(shape)}`);
    } else known *= d;
  }
  const out = shape.slice();
  if (infer >= 0) {
    if (known === 0 || a.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape array of size ${a.size} (shape ${fmtShape(a.shape)}) into ${fmtShape(shape)}`);
    }
    out[infer] = a.size / known;
  } else if (known !== a.size) {
    throw new ShapeError(`reshape: cannot reshape array of size ${a.size} (shape ${fmtShape(a.shape)}) into ${fmtShape(shape)} (size ${known})`);
  }
  return out;
}

/**
 * Strides for `newShape` over `a`'s layout without copying, or null if none exist.
 * Groups old and new dims into runs of equal product; a run can be re-split only if the
 * old dims in it are laid out contiguously relative to each other (numpy's rule).
 */
function noCopyStrides(a: NDArray, newShape: readonly number[]): number[] | null {
  const oldShape: number[] = [];
  const oldStrides: number[] = [];
  for (let i = 0; i < a.ndim; i++) {
    if (a.shape[i] !== 1) {
      oldShape.push(a.shape[i]!);
      oldStrides.push(a.strides[i]!);
    }
  }
  const newStrides = new Array<number>(newShape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (oi < oldShape.length && ni < newShape.length) {
    // Skip new size-1 dims: they get a harmless stride below.
    if (newShape[ni] === 1) {
      ni++;
      continue;
    }
    let op = oldShape[oi]!;
    let np = newShape[ni]!;
    const oj0 = oi;
    const nj0 = ni;
    while (op !== np) {
      if (np < op) np *= newShape[++ni]!;
      else op *= oldShape[++oi]!;
    }
    for (let k = oj0; k < oi; k++) {
      if (oldStrides[k] !== oldStrides[k + 1]! * oldShape[k + 1]!) return null;
    }
    newStrides[ni] = oldStrides[oi]!;
    for (let k = ni; k > nj0; k--) newStrides[k - 1] = newStrides[k]! * newShape[k]!;
    oi++;
    ni++;
  }
  for (let k = 0; k < newShape.length; k++) {
    if (newShape[k] === 1) newStrides[k] = k + 1 < newShape.length ? newStrides[k + 1]! * newShape[k + 1]! : 1;
  }
  return newStrides;
}

/**
 * numpy's reshape: `a`'s elements, in C order, under a new `shape`, one of whose dims may be -1
 * (inferred from the others). A view of `a` when strides can express the new shape (always, for
 * a contiguous `a`), else a C-contiguous copy, as in numpy. Throws ShapeError when the sizes
 * differ, ValueError for a dim that is neither a non-negative integer nor -1.
 *
 * @example
 * ```ts
 * reshape(arange(6), [2, -1]).toArray(); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export const reshape = kernel("reshape", function reshape(a: NDArray, shape: readonly number[]): NDArray {
  const target = resolveShape(a, shape);
  if (a.size === 0) return a.view(target, target.map(() => 0), a.offset);
  if (a.isContiguous()) {
    return a.view(target, contiguousStrides(target), a.offset);
  }
  const strides = noCopyStrides(a, target);
  if (strides) return a.view(target, strides, a.offset);
  const c = a.copy();
  return c.view(target, contiguousStrides(target), 0, true);
});

export { sizeOf };
