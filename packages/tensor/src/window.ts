// Sliding windows along one axis (torch's Tensor.unfold: a strided view, no copy) and their
// adjoint, the scatter-add that folds windows back: what convolutions and pools are built from;
// and pad, with torch's modes.

import { NDArray } from "./ndarray.js";
import * as creation from "./creation.js";
import { kernel, unwrapped } from "./kernel.js";
import { ShapeError, ValueError, fmtShape } from "./errors.js";
import { normalizeAxis } from "./shape.js";
import { slice } from "./views.js";
import * as join from "./join.js";

const { zeros, full } = unwrapped(creation);
const { take } = unwrapped(join);

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
  // a window of no taps spans nothing: one at every step from 0 to n inclusive, as torch's unfold
  const span = size === 0 ? 0 : dilation * (size - 1) + 1;
  return n < span ? 0 : Math.floor((n - span) / step) + 1;
}

function checkWindow(op: string, a: NDArray, { axis, size, step, dilation }: WindowSpec): number {
  const ax = normalizeAxis(op, axis, a.ndim);
  if (!Number.isInteger(size) || size < 0) throw new ValueError(`${op}: size must be a non-negative integer, got ${size}`);
  for (const [k, v] of [["step", step], ["dilation", dilation]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${op}: ${k} must be a positive integer, got ${v}`);
  }
  const n = a.shape[ax]!;
  if (size > 0 && n < dilation * (size - 1) + 1) {
    throw new ShapeError(`${op}: a window of ${size} taps at dilation ${dilation} spans ${dilation * (size - 1) + 1}, more than axis ${ax} of ${fmtShape(a.shape)}`);
  }
  return ax;
}

/**
 * The windows along one axis as a view, no copy (torch's x.unfold(axis, size, step), with
 * dilation): that axis becomes the window index and a new last axis holds each window's `size`
 * taps. The view is read-only, since windows overlap when step < size. Size 0 gives empty
 * windows, floor(n / step) + 1 of them, as torch's unfold. Throws ValueError unless size is a
 * non-negative integer and step and dilation positive ones, ShapeError when one window is longer
 * than the axis.
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

/** How {@link pad} fills the border: torch.nn.functional.pad's modes. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/** pad's options: the mode (default "constant") and the constant mode's fill value (default 0). */
export interface PadOptions {
  mode?: PadMode;
  value?: number;
}

const PAD_MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

/**
 * pad's widths checked: one `[before, after]` pair of integers per trailing axis of `shape`,
 * negative ones cropping; returns the mode. Throws ShapeError for more pairs than axes or a crop
 * larger than the axis, ValueError for a non-integer width, an unknown mode, or a border wider
 * than the mode can fill (reflect: less than the input's axis, as torch, which reflects before it
 * crops; circular: at most the cropped axis; replicate: an axis of at least one element).
 */
export function checkPad(shape: readonly number[], widths: readonly (readonly [number, number])[], options: PadOptions = {}): PadMode {
  const mode = options.mode ?? "constant";
  if (!PAD_MODES.includes(mode)) throw new ValueError(`pad: mode must be one of ${PAD_MODES.join(", ")}, got ${JSON.stringify(mode)}`);
  if (widths.length > shape.length) throw new ShapeError(`pad: ${widths.length} pad widths for shape ${fmtShape(shape)}`);
  const lead = shape.length - widths.length;
  widths.forEach(([a, b], i) => {
    if (!(Number.isInteger(a) && Number.isInteger(b))) throw new ValueError(`pad: widths must be integers, got ${JSON.stringify(widths)}`);
    const n = shape[lead + i]!;
    const kept = n + Math.min(a, 0) + Math.min(b, 0);
    if (kept < 0) throw new ShapeError(`pad: widths [${a}, ${b}] crop more than axis ${lead + i} of shape ${fmtShape(shape)} holds`);
    const border = Math.max(a, b, 0);
    if (border === 0 || mode === "constant") return;
    const bad = mode === "reflect" ? border >= n : mode === "circular" ? border > kept : kept === 0;
    if (bad) throw new ValueError(`pad: ${mode} padding of [${a}, ${b}] does not fit axis ${lead + i} of ${mode === "reflect" ? n : kept} elements (shape ${fmtShape(shape)})`);
  });
  return mode;
}

/**
 * The source positions of a padded axis: for each of the `before + n + after` outputs, the index
 * into the n inputs it copies in `mode` (reflect mirrors without repeating the edge, replicate
 * repeats the edge, circular wraps around). A kernel, so that a trace records the indices.
 */
export const padIndices = kernel("padIndices", function padIndices(n: number, before: number, after: number, mode: Exclude<PadMode, "constant">): NDArray {
  const out = new Int32Array(before + n + after);
  for (let k = 0; k < out.length; k++) {
    const i = k - before;
    let j: number;
    if (mode === "replicate") j = Math.min(Math.max(i, 0), n - 1);
    else if (mode === "circular") j = ((i % n) + n) % n;
    else {
      // reflect about the first and last elements: period 2(n - 1)
      const p = 2 * (n - 1);
      j = p === 0 ? 0 : ((i % p) + p) % p;
      if (j >= n) j = p - j;
    }
    out[k] = j;
  }
  return new NDArray(out, [out.length]);
});

/**
 * torch.nn.functional.pad on the trailing widths.length axes, `[before, after]` per axis (from
 * the first padded axis to the last, not torch's last-first flat list): a negative width crops.
 * Modes: "constant" fills with `value` (default 0); "reflect" mirrors the edge without repeating
 * it; "replicate" repeats the edge; "circular" wraps around. A copy. See {@link checkPad} for
 * what throws.
 *
 * @example
 * ```ts
 * pad(array([1, 2, 3]), [[2, 1]]).toArray(); // [0, 0, 1, 2, 3, 0]
 * pad(array([1, 2, 3]), [[2, 1]], { mode: "reflect" }).toArray(); // [3, 2, 1, 2, 3, 2]
 * pad(array([1, 2, 3]), [[-1, 1]], { value: 9 }).toArray(); // [2, 3, 9]
 * ```
 */
export const pad = kernel("pad", function pad(a: NDArray, widths: readonly (readonly [number, number])[], options: PadOptions = {}): NDArray {
  const mode = checkPad(a.shape, widths, options);
  const lead = a.ndim - widths.length;
  if (mode === "reflect") {
    // torch reflects about the input's edges, then crops: one take per axis does both
    let r = a;
    widths.forEach(([p, q], i) => {
      if (p !== 0 || q !== 0) r = take(r, padIndices(r.shape[lead + i]!, p, q, mode), lead + i);
    });
    return r === a ? a.copy() : r.contiguous();
  }
  // crop first: a negative width is a slice
  const crop = slice(a, a.shape.map((d, i) => (i < lead ? null : ([Math.max(-widths[i - lead]![0], 0), d - Math.max(-widths[i - lead]![1], 0)] as const))));
  const grow = widths.map(([p, q]) => [Math.max(p, 0), Math.max(q, 0)] as const);
  if (mode === "constant") {
    const shape = crop.shape.map((d, i) => (i < lead ? d : d + grow[i - lead]![0] + grow[i - lead]![1]));
    const out = full(shape, options.value ?? 0, a.dtype);
    slice(out, crop.shape.map((d, i) => (i < lead ? null : ([grow[i - lead]![0], grow[i - lead]![0] + d] as const)))).assign(crop);
    return out;
  }
  let r = crop;
  grow.forEach(([p, q], i) => {
    if (p > 0 || q > 0) r = take(r, padIndices(r.shape[lead + i]!, p, q, mode), lead + i);
  });
  return r === crop ? crop.copy() : r.contiguous();
});
