// MaxPool1d/2d/3d, AvgPool1d/2d/3d, MaxUnpool1d/2d/3d, AdaptiveAvgPool1d/2d/3d and
// AdaptiveMaxPool1d/2d with PyTorch's options:
// windows of the spatial axes (unfold views), reduced by max or mean over their taps; ceilMode's
// last, partial windows come from extra padding after the input that no window counts. An
// adaptive average pool is a matmul with an averaging matrix per spatial axis, an adaptive max
// pool a first-maximum pick per bin and axis. No parameters.

import * as nd from "@tapegrad/tensor";
import { IndexError, NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module } from "./module.js";
import { checkFits, isPadPairs, padPairs, spatial, windows, type IntOrTuple, type PadPairs } from "./conv.js";

/** Options every pooling module takes: the stride (default: the kernel size), the padding, and ceilMode. */
export interface PoolOptions {
  /** Default: the kernel size (windows side by side). */
  stride?: IntOrTuple;
  /**
   * Padding on both sides of each spatial dim (default 0; at most half the kernel size, else a
   * ValueError, as PyTorch), or [before, after] pairs per spatial dim for asymmetric padding.
   */
  padding?: IntOrTuple | PadPairs;
  /** Round the output size up: a last window that starts inside the input (or the leading padding) but runs past the end is kept. */
  ceilMode?: boolean;
}

/** The spatial axes' names, by how many there are, for errors. */
const LAYOUTS = ["(N, C, L) or (C, L)", "(N, C, H, W) or (C, H, W)", "(N, C, D, H, W) or (C, D, H, W)"];

abstract class PoolNd extends Module {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  /** As given: one number per spatial dim (both sides), or [before, after] pairs. */
  readonly padding: readonly number[] | PadPairs;
  readonly dilation: readonly number[];
  readonly ceilMode: boolean;
  /** [before, after] zeros per spatial dim. */
  protected readonly widths: readonly (readonly [number, number])[];

  constructor(readonly kind: string, readonly n: number, kernelSize: IntOrTuple, { stride, padding = 0, ceilMode = false }: PoolOptions, dilation: IntOrTuple = 1) {
    super();
    this.kernelSize = spatial(kind, "kernelSize", kernelSize, n);
    this.stride = stride === undefined || stride === null ? this.kernelSize : spatial(kind, "stride", stride, n);
    this.dilation = spatial(kind, "dilation", dilation, n);
    this.ceilMode = ceilMode;
    if (isPadPairs(padding)) {
      const pairs = padPairs(kind, padding, n);
      if (pairs.some(([a, b]) => a < 0 || b < 0)) throw new ValueError(`${kind}: padding must be non-negative, got ${JSON.stringify(padding)}`);
      this.padding = pairs;
      this.widths = pairs;
    } else {
      const p = spatial(kind, "padding", padding as IntOrTuple, n, 0);
      // PyTorch's rule: a window must reach past the padding into the input
      p.forEach((w, i) => {
        if (w > Math.floor(this.kernelSize[i]! / 2)) throw new ValueError(`${kind}: padding ${w} is more than half the kernel size ${this.kernelSize[i]}`);
      });
      this.padding = p;
      this.widths = p.map((w) => [w, w] as const);
    }
  }

  /** The input made batched, and whether it was not. */
  protected batched(x: TensorLike): [Tensor, boolean] {
    const given = ag.toTensor(x);
    const unbatched = given.ndim === this.n + 1;
    const t = unbatched ? ag.unsqueeze(given, 0) : given;
    if (t.ndim !== this.n + 2) throw new ShapeError(`${this.kind}: input must be ${LAYOUTS[this.n - 1]}, got ${fmtShape(given.shape)}`);
    return [t, unbatched];
  }

  /**
   * [before, after] per spatial dim for input sizes sp: the padding, plus in ceilMode what the
   * last (partial) window needs after the input; also the output sizes.
   */
  protected layout(sp: readonly number[], shown: readonly number[]): { full: [number, number][]; out: number[] } {
    const full: [number, number][] = [];
    const out: number[] = [];
    sp.forEach((L, i) => {
      const [a, b] = this.widths[i]!;
      const span = this.dilation[i]! * (this.kernelSize[i]! - 1) + 1;
      const s = this.stride[i]!;
      const room = L + a + b - span;
      if (room < 0) checkFits(this.kind, shown, sp.map((d, j) => d + this.widths[j]![0] + this.widths[j]![1]), this.kernelSize, this.dilation, this.widths.map(([p]) => p));
      let o = (this.ceilMode ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
      // PyTorch's rule: the last window must start inside the input or the leading padding
      if (this.ceilMode && (o - 1) * s >= L + a) o--;
      out.push(o);
      full.push([a, Math.max(b, (o - 1) * s + span - L - a)]);
    });
    return { full, out };
  }

  /** The windows (N, C, ...out, ...k) of x padded (and extended, in ceilMode) with padValue. */
  protected windowsOf(t: Tensor, full: readonly (readonly [number, number])[], padValue: number): Tensor {
    let p = ag.pad(t, full);
    if (padValue !== 0 && full.some(([a, b]) => a > 0 || b > 0)) {
      const inside = nd.zeros(p.shape, "bool");
      nd.slice(inside, [null, null, ...full.map(([a], i) => [a, a + t.shape[2 + i]!] as const)]).fill(1);
      p = ag.where(new Tensor(inside), p, padValue);
    }
    return windows(p, this.kernelSize, this.stride, this.dilation);
  }

  protected tapAxes(u: Tensor): number[] {
    return Array.from({ length: this.n }, (_, i) => u.ndim - this.n + i);
  }
}

/** Options of the max pools: PoolOptions, the dilation between a window's taps (default 1), and returnIndices. */
export interface MaxPoolOptions extends PoolOptions {
  dilation?: IntOrTuple;
  /** forward returns [values, indices]: each maximum's flat position in its (sample, channel)'s spatial input, int32 (what MaxUnpool2d takes). */
  returnIndices?: boolean;
}

/**
 * The largest value of each window; padding counts as -inf. Where a window has tied maxima the
 * whole gradient goes to the first of them in the window's row-major order, as PyTorch's kernel
 * does: the taps are flattened, argmax (which keeps the first) picks one, and a `where` over that
 * one-hot mask reads it out, so the derivative is the mask's and no tie is split.
 */
class MaxPoolNd<I extends boolean> extends PoolNd {
  readonly returnIndices: I;
  constructor(kind: string, n: number, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: I }) {
    super(kind, n, kernelSize, options, options.dilation);
    this.returnIndices = (options.returnIndices ?? false) as I;
  }

  /** The maxima, or with returnIndices [maxima, indices]. */
  forward(x: TensorLike): I extends true ? [Tensor, NDArray] : Tensor {
    return this.pool(x, this.returnIndices) as never;
  }

  private pool(x: TensorLike, withIndices: boolean): Tensor | [Tensor, NDArray] {
    const [t, unbatched] = this.batched(x);
    const { full } = this.layout(t.shape.slice(2), ag.toTensor(x).shape);
    const u = this.windowsOf(t, full, -Infinity);
    const lead = u.shape.slice(0, u.ndim - this.n);
    const taps = this.kernelSize.reduce((a, b) => a * b, 1);
    const flat = ag.reshape(u, [...lead, taps]);
    const first = nd.argmax(flat.data, flat.ndim - 1, true);
    const pick = nd.eq(first, nd.arange(0, taps, 1, "int32"));
    const y = ag.sum(ag.where(new Tensor(pick), flat, 0), flat.ndim - 1);
    const values = unbatched ? ag.squeeze(y, 0) : y;
    if (!withIndices) return values;
    // the same windows over a grid of flat input positions (-1 in the padding) read at the pick
    const sp = t.shape.slice(2);
    const grid = nd.full([1, 1, ...sp.map((d, i) => d + full[i]![0] + full[i]![1])], -1, "int32");
    nd.slice(grid, [null, null, ...full.map(([a], i) => [a, a + sp[i]!] as const)]).assign(nd.arange(0, sp.reduce((a, b) => a * b, 1), 1, "int32").reshape([1, 1, ...sp]));
    let g = grid;
    for (let i = 0; i < this.n; i++) g = nd.unfold(g, { axis: 2 + i, size: this.kernelSize[i]!, step: this.stride[i]!, dilation: this.dilation[i]! });
    const positions = g.reshape([1, 1, ...lead.slice(2), taps]);
    let indices = nd.max(nd.where(pick, positions, -1), -1).astype("int32");
    if (unbatched) indices = nd.squeeze(indices, 0);
    return [values, indices];
  }
}

/**
 * The largest value of each window along the length (PyTorch's nn.MaxPool1d): (N, C, L) or
 * (C, L) to (N, C, L'), L' = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1 (ceil
 * with ceilMode). Padding counts as -inf; a tie sends the whole gradient to the first maximum,
 * as PyTorch does. With returnIndices, forward returns [values, indices].
 *
 * @example
 * ```ts
 * new MaxPool1d(2).forward(tensor([[[1, 3, 2, 5, 4]]])).toArray(); // [[[3, 5]]]
 * new MaxPool1d(2, { ceilMode: true }).forward(tensor([[[1, 3, 2, 5, 4]]])).toArray(); // [[[3, 5, 4]]]
 * ```
 */
export class MaxPool1d<I extends boolean = false> extends MaxPoolNd<I> {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: I } = {}) {
    super("MaxPool1d", 1, kernelSize, options);
  }
}

/**
 * The largest value of each window over height and width (PyTorch's nn.MaxPool2d): (N, C, H, W)
 * or (C, H, W) in, the same layout out. Padding counts as -inf; a tie sends the whole gradient to
 * the first maximum in the window's row-major order. With returnIndices, forward returns
 * [values, indices] for MaxUnpool2d.
 *
 * @example
 * ```ts
 * const [y, idx] = new MaxPool2d(2, { returnIndices: true }).forward(tensor([[[[1, 2], [4, 3]]]]));
 * y.toArray(); // [[[[4]]]]
 * idx.toArray(); // [[[[2]]]]: row 1, column 0 of the 2x2 input
 * ```
 */
export class MaxPool2d<I extends boolean = false> extends MaxPoolNd<I> {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: I } = {}) {
    super("MaxPool2d", 2, kernelSize, options);
  }
}

/**
 * The largest value of each window over depth, height and width (PyTorch's nn.MaxPool3d):
 * (N, C, D, H, W) or (C, D, H, W) in, the same layout out; options as MaxPool2d.
 *
 * @example
 * ```ts
 * new MaxPool3d(2).forward(tensor(nd.zeros([1, 2, 4, 4, 4]))).shape; // [1, 2, 2, 2, 2]
 * ```
 */
export class MaxPool3d<I extends boolean = false> extends MaxPoolNd<I> {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: I } = {}) {
    super("MaxPool3d", 3, kernelSize, options);
  }
}

/** Options of the average pools: PoolOptions and whether padding counts in each window's mean. */
export interface AvgPoolOptions extends PoolOptions {
  /** Whether padded zeros count in each window's mean (PyTorch's default: they do); ceilMode's extra positions never count. */
  countIncludePad?: boolean;
}

class AvgPoolNd extends PoolNd {
  readonly countIncludePad: boolean;
  constructor(kind: string, n: number, kernelSize: IntOrTuple, options: AvgPoolOptions) {
    super(kind, n, kernelSize, options);
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: TensorLike): Tensor {
    const [t, unbatched] = this.batched(x);
    const sp = t.shape.slice(2);
    const { full } = this.layout(sp, ag.toTensor(x).shape);
    const u = this.windowsOf(t, full, 0);
    const axes = this.tapAxes(u);
    const extended = full.some(([a, b], i) => a !== this.widths[i]![0] || b !== this.widths[i]![1]);
    const padded = this.widths.some(([a, b]) => a > 0 || b > 0);
    let y: Tensor;
    if (!extended && (this.countIncludePad || !padded)) y = ag.mean(u, axes);
    else {
      // divide by the positions each window counts: the input's, the padding's too with
      // countIncludePad, never ceilMode's extension
      const counted = this.countIncludePad ? sp.map((d, i) => d + this.widths[i]![0] + this.widths[i]![1]) : sp;
      const ones = nd.ones([1, 1, ...counted], t.dtype);
      const around = full.map(([a, b], i) => (this.countIncludePad ? [a - this.widths[i]![0], b - this.widths[i]![1]] : [a, b]) as [number, number]);
      let m = nd.zeros([1, 1, ...counted.map((d, i) => d + around[i]![0] + around[i]![1])], t.dtype);
      nd.slice(m, [null, null, ...around.map(([a], i) => [a, a + counted[i]!] as const)]).assign(ones);
      for (let i = 0; i < this.n; i++) m = nd.unfold(m, { axis: 2 + i, size: this.kernelSize[i]!, step: this.stride[i]!, dilation: this.dilation[i]! });
      const count = nd.sum(m, Array.from({ length: this.n }, (_, i) => m.ndim - this.n + i)).astype(t.dtype);
      y = ag.div(ag.sum(u, axes), new Tensor(count));
    }
    return unbatched ? ag.squeeze(y, 0) : y;
  }
}

/**
 * The mean of each window along the length (PyTorch's nn.AvgPool1d): (N, C, L) or (C, L) to
 * (N, C, L'), L' = floor((L + 2 padding - k) / stride) + 1 (ceil with ceilMode). Padded zeros
 * count in the mean unless countIncludePad is false.
 *
 * @example
 * ```ts
 * new AvgPool1d(2).forward(tensor([[[1, 3, 2, 5, 4]]])).toArray(); // [[[2, 3.5]]]
 * new AvgPool1d(2, { ceilMode: true }).forward(tensor([[[1, 3, 2, 5, 4]]])).toArray(); // [[[2, 3.5, 4]]]
 * ```
 */
export class AvgPool1d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super("AvgPool1d", 1, kernelSize, options);
  }
}

/**
 * The mean of each window over height and width (PyTorch's nn.AvgPool2d): (N, C, H, W) or
 * (C, H, W) in, the same layout out. Padded zeros count in the mean unless countIncludePad is false.
 *
 * @example
 * ```ts
 * new AvgPool2d(2).forward(tensor([[[[1, 2], [3, 6]]]])).toArray(); // [[[[3]]]]
 * ```
 */
export class AvgPool2d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super("AvgPool2d", 2, kernelSize, options);
  }
}

/**
 * The mean of each window over depth, height and width (PyTorch's nn.AvgPool3d): (N, C, D, H, W)
 * or (C, D, H, W) in, the same layout out; options as AvgPool2d.
 *
 * @example
 * ```ts
 * new AvgPool3d(2).forward(tensor(nd.ones([1, 1, 2, 2, 2]))).toArray(); // [[[[[1]]]]]
 * ```
 */
export class AvgPool3d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super("AvgPool3d", 3, kernelSize, options);
  }
}

/**
 * For each output position of an unpooling, which input element lands there: its flat position
 * in x (N*C*L), or N*C*L (a zero appended after x) where none does. `last` is the element a
 * write in input order leaves there (PyTorch's CPU loop: the last one wins where two inputs name
 * the same position); `layers` (R, total) holds the r-th of them in layer r, so that each input
 * element sits in exactly one layer. A kernel, so a compiled step reads each call's indices.
 */
const unpoolSources = nd.kernel("MaxUnpool.sources", (indices: NDArray, outSize: number, op: string, shown: string): [NDArray, NDArray] => {
  const idx = indices.toTypedArray() as Int32Array;
  const L = indices.shape[indices.ndim - 1]!;
  const rows = idx.length / Math.max(L, 1);
  const total = rows * outSize;
  const count = new Int32Array(total);
  const last = new Int32Array(total).fill(idx.length);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < L; i++) {
      const j = idx[r * L + i]!;
      if (j < 0 || j >= outSize) throw new IndexError(`${op}: index ${j} is out of range for an output of ${outSize} positions per channel (${shown})`);
      last[r * outSize + j] = r * L + i;
      count[r * outSize + j]!++;
    }
  }
  const R = count.reduce((a, b) => Math.max(a, b), 0);
  const layers = new Int32Array(R * total).fill(idx.length);
  count.fill(0);
  for (let q = 0; q < idx.length; q++) {
    const j = Math.floor(q / L) * outSize + idx[q]!;
    layers[count[j]!++ * total + j] = q;
  }
  return [new NDArray(last, [total]), new NDArray(layers, [R, total])];
});

abstract class MaxUnpoolNd extends Module {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];

  constructor(readonly kind: string, readonly n: number, kernelSize: IntOrTuple, { stride, padding = 0 }: { stride?: IntOrTuple; padding?: IntOrTuple } = {}) {
    super();
    this.kernelSize = spatial(kind, "kernelSize", kernelSize, n);
    this.stride = stride === undefined || stride === null ? this.kernelSize : spatial(kind, "stride", stride, n);
    this.padding = spatial(kind, "padding", padding, n, 0);
  }

  /** x and indices of one shape ((N, C, ...spatial) or unbatched); outputSize: the spatial sizes, or with the leading dims. */
  forward(x: TensorLike, indices: NDArray | Tensor, outputSize?: readonly number[]): Tensor {
    const n = this.n;
    const given = ag.toTensor(x);
    const idx = indices instanceof Tensor ? indices.data : indices;
    const shown = `input ${fmtShape(given.shape)}, indices ${fmtShape(idx.shape)}`;
    if ((given.ndim !== n + 1 && given.ndim !== n + 2) || !nd.shapesEqual(given.shape, idx.shape)) {
      throw new ShapeError(`${this.kind}: input must be ${LAYOUTS[n - 1]} with indices of the same shape, got ${shown}`);
    }
    if (idx.dtype !== "int32") throw new nd.DTypeError(`${this.kind}: indices must be int32, got ${idx.dtype}`);
    const sp = given.shape.slice(given.ndim - n);
    const def = sp.map((d, i) => (d - 1) * this.stride[i]! - 2 * this.padding[i]! + this.kernelSize[i]!);
    const out = outputSize ? [...outputSize].slice(-n) : def;
    if (out.length !== n || out.some((d, i) => !Number.isInteger(d) || Math.abs(d - def[i]!) >= this.stride[i]!)) {
      throw new ShapeError(`${this.kind}: outputSize ${JSON.stringify(outputSize)} must be within a stride of ${fmtShape(def)} (${shown})`);
    }
    const lead = given.shape.slice(0, given.ndim - n);
    const [last, layers] = unpoolSources(idx.reshape([...lead, -1]), out.reduce((a, b) => a * b, 1), this.kind, shown);
    const flat = ag.concat([ag.reshape(given, [-1]), new Tensor(nd.zeros([1], given.dtype))], 0);
    let y = ag.take(flat, last, 0);
    if (layers.shape[0]! > 1) {
      // Two inputs name one position (overlapping windows): the value is the last one's, and the
      // gradient reaches every input at its index, as PyTorch's gather backward: y = last + (s - s)
      // with s the sum of the layers, constant where detached, so the value is exactly last's.
      const s = ag.sum(ag.take(flat, layers.reshape([-1]), 0).reshape([layers.shape[0]!, -1]), 0);
      y = ag.add(y.detach(), ag.sub(s, s.detach()));
    }
    return ag.reshape(y, [...lead, ...out]);
  }
}

/**
 * The partial inverse of MaxPool1d (PyTorch's nn.MaxUnpool1d): forward(x, indices, outputSize?)
 * as MaxUnpool2d's, along the length.
 *
 * @example
 * ```ts
 * const [y, idx] = new MaxPool1d(2, { returnIndices: true }).forward(tensor([[[1, 3, 4, 2]]]));
 * new MaxUnpool1d(2).forward(y, idx).toArray(); // [[[0, 3, 4, 0]]]
 * ```
 */
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrTuple, options: { stride?: IntOrTuple; padding?: IntOrTuple } = {}) {
    super("MaxUnpool1d", 1, kernelSize, options);
  }
}

/**
 * The partial inverse of MaxPool2d (PyTorch's nn.MaxUnpool2d): forward(x, indices, outputSize?)
 * puts each value of x at the flat position its index names in its (sample, channel)'s output
 * of (H - 1) stride - 2 padding + k per dim (or outputSize), zeros elsewhere. The gradient with
 * respect to x reads the output's gradient at the indices.
 *
 * @example
 * ```ts
 * const pool = new MaxPool2d(2, { returnIndices: true });
 * const [y, idx] = pool.forward(tensor([[[[1, 2], [4, 3]]]]));
 * new MaxUnpool2d(2).forward(y, idx).toArray(); // [[[[0, 0], [4, 0]]]]
 * ```
 */
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrTuple, options: { stride?: IntOrTuple; padding?: IntOrTuple } = {}) {
    super("MaxUnpool2d", 2, kernelSize, options);
  }
}

/**
 * The partial inverse of MaxPool3d (PyTorch's nn.MaxUnpool3d): forward(x, indices, outputSize?)
 * as MaxUnpool2d's, over depth, height and width.
 *
 * @example
 * ```ts
 * const [y, idx] = new MaxPool3d(2, { returnIndices: true }).forward(tensor(nd.ones([1, 1, 2, 2, 2])));
 * new MaxUnpool3d(2).forward(y, idx).shape; // [1, 1, 2, 2, 2]: the one maximum back at index 0
 * ```
 */
export class MaxUnpool3d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrTuple, options: { stride?: IntOrTuple; padding?: IntOrTuple } = {}) {
    super("MaxUnpool3d", 3, kernelSize, options);
  }
}

/**
 * The averaging matrix (out, L) of an adaptive pool: row i averages positions floor(i L / out)
 * to ceil((i + 1) L / out), as PyTorch's adaptive_avg_pool bins them.
 */
const adaptiveMatrix = nd.kernel("AdaptiveAvgPool.matrix", (L: number, out: number, dtype: nd.DType): NDArray => {
  const m = nd.zeros([L, out], dtype);
  for (let i = 0; i < out; i++) {
    const a = Math.floor((i * L) / out);
    const b = Math.ceil(((i + 1) * L) / out);
    for (let j = a; j < b; j++) m.data[j * out + i] = 1 / (b - a);
  }
  return m;
});

abstract class AdaptivePoolNd extends Module {
  readonly outputSize: readonly (number | null)[];
  constructor(readonly kind: string, readonly n: number, outputSize: number | null | readonly (number | null)[]) {
    super();
    const sizes = outputSize === null || typeof outputSize === "number" ? Array.from({ length: n }, () => outputSize) : [...outputSize];
    if (sizes.length !== n || sizes.some((s) => s !== null && !(Number.isInteger(s) && s > 0))) {
      throw new ValueError(`${kind}: outputSize must be a positive integer (or null to keep a dim) or ${n} of them, got ${JSON.stringify(outputSize)}`);
    }
    this.outputSize = sizes;
  }

  /** One axis of x pooled from L positions into o bins. */
  protected abstract poolAxis(y: Tensor, axis: number, L: number, o: number): Tensor;

  /** x pooled to the output size, axis by axis. */
  protected poolAll(x: TensorLike): Tensor {
    const given = ag.toTensor(x);
    if (given.ndim !== this.n + 1 && given.ndim !== this.n + 2) throw new ShapeError(`${this.kind}: input must be ${LAYOUTS[this.n - 1]}, got ${fmtShape(given.shape)}`);
    if (!nd.isFloat(given.dtype)) throw new nd.DTypeError(`${this.kind}: input must be a float tensor, got dtype ${given.dtype}`);
    let y = given;
    // each axis in turn: a bin of a product of ranges is pooled one range at a time; the last
    // axis first, so that a max pool's first maximum is the first in the bin's row-major order
    for (let i = this.n - 1; i >= 0; i--) {
      const axis = given.ndim - this.n + i;
      const L = given.shape[axis]!;
      const o = this.outputSize[i] ?? L;
      if (L === 0) throw new ShapeError(`${this.kind}: input ${fmtShape(given.shape)} has an empty spatial dim`);
      if (o === L) continue;
      y = this.poolAxis(y, axis, L, o);
    }
    return y;
  }
}

abstract class AdaptiveAvgPoolNd extends AdaptivePoolNd {
  forward(x: TensorLike): Tensor {
    return this.poolAll(x);
  }

  protected poolAxis(y: Tensor, axis: number, L: number, o: number): Tensor {
    // move the axis last, contract it with the averaging matrix, move it back
    const order = [...Array(y.ndim).keys()].filter((a) => a !== axis).concat(axis);
    const back = order.map((_, j) => order.indexOf(j));
    return ag.permute(ag.matmul(ag.permute(y, order), new Tensor(adaptiveMatrix(L, o, y.dtype))), back);
  }
}

/**
 * Each adaptive bin's maximum as a flat position in its (sample, channel)'s spatial input, int32:
 * the bin scanned in row-major order, a larger value or a NaN taking the place (PyTorch's CPU
 * kernel's rule), so a tie keeps the first and a NaN the last.
 */
const adaptiveMaxIndices = nd.kernel("AdaptiveMaxPool.indices", (x: NDArray, out: readonly number[]): NDArray => {
  const n = out.length;
  const sp = x.shape.slice(x.ndim - n);
  const plane = sp.reduce((a, b) => a * b, 1);
  const lead = x.shape.slice(0, x.ndim - n).reduce((a, b) => a * b, 1);
  const src = x.contiguous().data;
  const bins = out.reduce((a, b) => a * b, 1);
  const result = nd.zeros([...x.shape.slice(0, x.ndim - n), ...out], "int32");
  const lo = new Array<number>(n);
  const hi = new Array<number>(n);
  const at = new Array<number>(n);
  for (let l = 0; l < lead; l++) {
    for (let b = 0; b < bins; b++) {
      for (let d = n - 1, rest = b; d >= 0; d--) {
        const i = rest % out[d]!;
        rest = Math.floor(rest / out[d]!);
        lo[d] = Math.floor((i * sp[d]!) / out[d]!);
        hi[d] = Math.ceil(((i + 1) * sp[d]!) / out[d]!);
        at[d] = lo[d]!;
      }
      let best = -Infinity;
      let where = -1;
      for (;;) {
        let flat = 0;
        for (let d = 0; d < n; d++) flat = flat * sp[d]! + at[d]!;
        const v = src[l * plane + flat]!;
        if (v > best || v !== v || where < 0) {
          best = v;
          where = flat;
        }
        let d = n - 1;
        while (d >= 0 && ++at[d]! >= hi[d]!) {
          at[d] = lo[d]!;
          d--;
        }
        if (d < 0) break;
      }
      result.data[l * bins + b] = where;
    }
  }
  return result;
});

abstract class AdaptiveMaxPoolNd<I extends boolean = false> extends AdaptivePoolNd {
  readonly returnIndices: I;
  constructor(kind: string, n: number, outputSize: number | null | readonly (number | null)[], options: { returnIndices?: I } = {}) {
    super(kind, n, outputSize);
    this.returnIndices = (options.returnIndices ?? false) as I;
  }

  /** The maxima, or with returnIndices [maxima, indices] (int32 flat positions in each spatial input, as MaxUnpool takes). */
  forward(x: TensorLike): I extends true ? [Tensor, NDArray] : Tensor {
    const values = this.poolAll(x);
    if (!this.returnIndices) return values as never;
    const given = ag.toTensor(x);
    const sp = given.shape.slice(given.ndim - this.n);
    return [values, adaptiveMaxIndices(given.data, this.outputSize.map((o, i) => o ?? sp[i]!))] as never;
  }

  protected poolAxis(y: Tensor, axis: number, L: number, o: number): Tensor {
    // each bin's first maximum along the axis, read out through a one-hot mask (as MaxPool's)
    const bins: Tensor[] = [];
    for (let i = 0; i < o; i++) {
      const a = Math.floor((i * L) / o);
      const b = Math.ceil(((i + 1) * L) / o);
      const spec: nd.SliceSpec[] = y.shape.map((_, j) => (j === axis ? [a, b] : null));
      const bin = ag.slice(y, spec);
      const first = nd.argmax(bin.data, axis, true);
      const pick = nd.eq(first, nd.arange(0, b - a, 1, "int32").reshape(y.shape.map((_, j) => (j === axis ? b - a : 1))));
      bins.push(ag.sum(ag.where(new Tensor(pick), bin, 0), axis, true));
    }
    return ag.concat(bins, axis);
  }
}

/**
 * Average pooling to a given output length (PyTorch's nn.AdaptiveAvgPool1d): (N, C, L) or
 * (C, L) to (N, C, out); output i averages input positions floor(i L / out) to ceil((i + 1) L / out).
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool1d(2).forward(tensor([[[1, 2, 3, 4, 5]]])).toArray(); // [[[2, 4]]]
 * ```
 */
export class AdaptiveAvgPool1d extends AdaptiveAvgPoolNd {
  constructor(outputSize: number) {
    super("AdaptiveAvgPool1d", 1, outputSize);
  }
}

/**
 * Average pooling to a given output size (PyTorch's nn.AdaptiveAvgPool2d): (N, C, H, W) or
 * (C, H, W) to (..., outH, outW), each dim binned as in AdaptiveAvgPool1d; null keeps a dim.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool2d(1).forward(tensor(nd.ones([2, 3, 5, 4]))).shape; // [2, 3, 1, 1]: global average pooling
 * ```
 */
export class AdaptiveAvgPool2d extends AdaptiveAvgPoolNd {
  constructor(outputSize: number | null | readonly (number | null)[]) {
    super("AdaptiveAvgPool2d", 2, outputSize);
  }
}

/**
 * Average pooling to a given output size over depth, height and width (PyTorch's
 * nn.AdaptiveAvgPool3d): (N, C, D, H, W) or (C, D, H, W) in; bins as AdaptiveAvgPool1d's.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool3d([1, 2, 2]).forward(tensor(nd.ones([1, 2, 3, 4, 5]))).shape; // [1, 2, 1, 2, 2]
 * ```
 */
export class AdaptiveAvgPool3d extends AdaptiveAvgPoolNd {
  constructor(outputSize: number | null | readonly (number | null)[]) {
    super("AdaptiveAvgPool3d", 3, outputSize);
  }
}

/**
 * Max pooling to a given output length (PyTorch's nn.AdaptiveMaxPool1d): output i is the largest
 * of positions floor(i L / out) to ceil((i + 1) L / out); a tie sends the gradient to the first.
 * With `{ returnIndices: true }`, forward returns [values, indices] (int32, each maximum's position).
 *
 * @example
 * ```ts
 * new AdaptiveMaxPool1d(2).forward(tensor([[[1, 5, 3, 2, 4]]])).toArray(); // [[[5, 4]]]
 * ```
 */
export class AdaptiveMaxPool1d<I extends boolean = false> extends AdaptiveMaxPoolNd<I> {
  constructor(outputSize: number, options: { returnIndices?: I } = {}) {
    super("AdaptiveMaxPool1d", 1, outputSize, options);
  }
}

/**
 * Max pooling to a given output size (PyTorch's nn.AdaptiveMaxPool2d): each bin (as
 * AdaptiveAvgPool2d's) gives its largest value; a tie sends the gradient to the first in the
 * bin's row-major order. null keeps a dim. With `{ returnIndices: true }`, forward returns
 * [values, indices]: each maximum's flat position in its H x W input, int32, as MaxUnpool2d takes.
 *
 * @example
 * ```ts
 * new AdaptiveMaxPool2d(1).forward(tensor([[[[1, 7], [3, 2]]]])).toArray(); // [[[[7]]]]
 * ```
 */
export class AdaptiveMaxPool2d<I extends boolean = false> extends AdaptiveMaxPoolNd<I> {
  constructor(outputSize: number | null | readonly (number | null)[], options: { returnIndices?: I } = {}) {
    super("AdaptiveMaxPool2d", 2, outputSize, options);
  }
}
