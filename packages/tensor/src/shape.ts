// Shape arithmetic: validation, sizes, strides, broadcasting, axes.

import { AxisError, ShapeError, ValueError, fmtShape } from "./errors.js";

/** An array's dims, outermost first: `[]` is 0-d, `[3]` a vector, `[2, 3]` two rows of three. */
export type Shape = readonly number[];

/** A shape's dims must be non-negative integers; returns a fresh copy. */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new ValueError(`${op}: a shape is an array of dims, got ${String(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ValueError(`${op}: dims must be non-negative integers, got ${fmtShape(shape as number[])}`);
    }
  }
  return shape.slice() as number[];
}

/** The number of elements of an array of `shape`: the product of its dims (1 for `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The strides, in elements, of a C-contiguous (row-major) array of `shape`, as a new array
 * (a dim of 0 counts as 1 there).
 *
 * @example
 * ```ts
 * contiguousStrides([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
}

/** Whether two shapes have the same dims, in the same order. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** numpy's broadcasting: align on the right; dims must be equal or 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = nd - s.length + i;
      const d = s[i]!;
      const cur = out[j]!;
      if (d === cur || d === 1) continue;
      if (cur === 1) out[j] = d;
      else {
        throw new ShapeError(`${op}: shapes cannot be broadcast together: ${shapes.map(fmtShape).join(" vs ")}`);
      }
    }
  }
  return out;
}

/** Strides that read an array of `shape`/`strides` as if it had `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: Shape, outShape: Shape): number[] {
  const nd = outShape.length;
  const res = new Array<number>(nd).fill(0);
  const lead = nd - shape.length;
  for (let i = 0; i < shape.length; i++) {
    res[lead + i] = shape[i] === 1 ? 0 : strides[i]!;
  }
  return res;
}

/**
 * `axis`, an integer in [-ndim, ndim), as a non-negative index (negative ones count from the end);
 * throws AxisError, with `op` starting the message, for anything else.
 *
 * @example
 * ```ts
 * normalizeAxis("myOp", -1, 3); // 2
 * ```
 */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (typeof axis !== "number" || !Number.isInteger(axis)) {
    throw new AxisError(`${op}: axis must be an integer, got ${String(axis)}`);
  }
  if (axis < -ndim || axis >= ndim) {
    throw new AxisError(`${op}: axis ${axis} is out of bounds for an array of ndim ${ndim}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Axes given as a number, an array, or nothing (all); sorted, unique, non-negative. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axis === undefined || axis === null) {
    const all = new Array<number>(ndim);
    for (let i = 0; i < ndim; i++) all[i] = i;
    return all;
  }
  if (typeof axis === "number") return [normalizeAxis(op, axis, ndim)];
  const list = axis;
  if (!Array.isArray(list)) throw new AxisError(`${op}: axis must be a number or an array of numbers, got ${String(axis)}`);
  const seen = new Set<number>();
  for (const a of list) {
    const n = normalizeAxis(op, a, ndim);
    if (seen.has(n)) throw new AxisError(`${op}: repeated axis ${a} in [${list.join(",")}]`);
    seen.add(n);
  }
  return [...seen].sort((x, y) => x - y);
}

/**
 * Merges adjacent dims that every operand walks as one (stride[i] == stride[i+1] * shape[i+1])
 * and drops size-1 dims, so a contiguous or simply broadcast walk becomes one long inner row.
 */
export function coalesce(shape: Shape, strides: readonly Shape[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0) {
      let mergeable = true;
      for (let k = 0; k < strides.length; k++) {
        if (outStrides[k]![last] !== strides[k]![i]! * d) {
          mergeable = false;
          break;
        }
      }
      if (mergeable) {
        outShape[last] = outShape[last]! * d;
        for (let k = 0; k < strides.length; k++) outStrides[k]![last] = strides[k]![i]!;
        continue;
      }
    }
    outShape.push(d);
    for (let k = 0; k < strides.length; k++) outStrides[k]!.push(strides[k]![i]!);
  }
  return { shape: outShape, strides: outStrides };
}
