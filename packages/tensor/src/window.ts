// Sliding windows along one axis (torch's Tensor.unfold: a strided view, no copy) and their
// adjoint, the scatter-add that folds windows back: what convolutions and pools are built from.

import { NDArray } from "./ndarray.js";
import * as creation from "./creation.js";
import { kernel, unwrapped } from "./kernel.js";
import { ShapeError, ValueError, fmtShape } from "./errors.js";
import { normalizeAxis } from "./shape.js";

const { zeros } = unwrapped(creation);

/** The sliding windows of `unfold` and `unfoldBackward`, along one axis. */
export interface WindowSpec {
  /** The axis the windows slide along (negative counts from the end). */
  axis: number;
  /** The taps in each window, a positive integer. */
  size: number;
  /** How far each window starts from the previous one, a positive integer. */
  step: number;
  /** The distance between a window's taps, a positive integer (1: adjacent). */
  dilation: number;
}

/** How many windows of `size` taps, `dilation` apart, fit in n positions at a stride of `step`. */
export function windowCount(n: number, size: number, step: number, dilation: number): number {
  const span = dilation * (size - 1) + 1;
  return n < span ? 0 : Math.floor((n - span) / step) + 1;
}

function checkWindow(op: string, a: NDArray, { axis, size, step, dilation }: WindowSpec): number {
  const ax = normalizeAxis(op, axis, a.ndim);
  for (const [k, v] of [["size", size], ["step", step], ["dilation", dilation]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${op}: ${k} must be a positive integer, got ${v}`);
  }
  const n = a.shape[ax]!;
  if (n < dilation * (size - 1) + 1) {
    throw new ShapeError(`${op}: a window of ${size} taps at dilation ${dilation} spans ${dilation * (size - 1) + 1}, more than axis ${ax} of ${fmtShape(a.shape)}`);
  }
  return ax;
}

/**
 * The windows along one axis as a view, no copy (torch's x.unfold(axis, size, step), with
 * dilation): that axis becomes the window index and a new last axis holds each window's `size`
 * taps. The view is read-only, since windows overlap when step < size. Throws ValueError unless
 * size, step and dilation are positive integers, ShapeError when one window is longer than the
 * axis.
 *
 * @example
 * ```ts
 * unfold(arange(5), { axis: 0, size: 3, step: 1, dilation: 1 }).toArray();
 * // [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
 * ```
 */
export const unfold = kernel("unfold", function unfold(a: NDArray, spec: WindowSpec): NDArray {
  const ax = checkWindow("unfold", a, spec);
  const { size, step, dilation } = spec;
  const count = windowCount(a.shape[ax]!, size, step, dilation);
  const shape = [...a.shape];
  const strides = [...a.strides];
  shape[ax] = count;
  strides[ax] = a.strides[ax]! * step;
  shape.push(size);
  strides.push(a.strides[ax]! * dilation);
  return a.view(shape, strides, a.offset, false);
});

/**
 * The adjoint of {@link unfold}: a new array of `shape` (unfold's input's) with each window tap of
 * `g` added at the position it was read from, so a position read by several windows gets their
 * sum. Throws ShapeError unless `g` has the shape unfold would give.
 *
 * @example
 * ```ts
 * const spec = { axis: 0, size: 3, step: 1, dilation: 1 };
 * unfoldBackward(ones([3, 3]), [5], spec).toArray(); // [1, 2, 3, 2, 1]
 * ```
 */
export const unfoldBackward = kernel("unfoldBackward", function unfoldBackward(g: NDArray, shape: readonly number[], spec: WindowSpec): NDArray {
  const out = zeros(shape, g.dtype);
  const ax = checkWindow("unfoldBackward", out, spec);
  const { size, step, dilation } = spec;
  const count = windowCount(shape[ax]!, size, step, dilation);
  const want = [...shape];
  want[ax] = count;
  want.push(size);
  if (g.ndim !== want.length || g.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`unfoldBackward: gradient has shape ${fmtShape(g.shape)}, expected ${fmtShape(want)}`);
  }
  // In C order g is [outer, count, inner, size] and out is [outer, n, inner]: tap k of window
  // w lands at position w*step + k*dilation. One pass over a contiguous g, no strided walk.
  const gc = g.contiguous();
  const gd = gc.data as Float64Array | Float32Array;
  const od = out.data as Float64Array | Float32Array;
  const n = shape[ax]!;
  let outer = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i]!;
  let inner = 1;
  for (let i = ax + 1; i < shape.length; i++) inner *= shape[i]!;
  let q = gc.offset;
  for (let o = 0; o < outer; o++) {
    for (let w = 0; w < count; w++) {
      const base = out.offset + (o * n + w * step) * inner;
      for (let i = 0; i < inner; i++) {
        for (let k = 0; k < size; k++) {
          const j = base + k * dilation * inner + i;
          od[j] = od[j]! + gd[q++]!;
        }
      }
    }
  }
  return out;
});
