// MaxPool1d/2d and AvgPool1d/2d with PyTorch's options: windows of the spatial axes (unfold
// views), reduced by max or mean over their taps. No parameters.

import * as nd from "@tapegrad/tensor";
import { ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module } from "./module.js";
import { checkFits, spatial, windows, type IntOrTuple } from "./conv.js";

/** Options every pooling module takes: the stride (default: the kernel size) and the padding on both sides of each spatial dim (default 0; at most half the kernel size, else a ValueError). */
export interface PoolOptions {
  /** Default: the kernel size (windows side by side). */
  stride?: IntOrTuple;
  padding?: IntOrTuple;
}

abstract class PoolNd extends Module {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];

  constructor(readonly kind: string, readonly n: number, kernelSize: IntOrTuple, { stride, padding = 0 }: PoolOptions, dilation: IntOrTuple = 1) {
    super();
    this.kernelSize = spatial(kind, "kernelSize", kernelSize, n);
    this.stride = stride === undefined ? this.kernelSize : spatial(kind, "stride", stride, n);
    this.padding = spatial(kind, "padding", padding, n, 0);
    this.dilation = spatial(kind, "dilation", dilation, n);
    // PyTorch's rule: a window must reach past the padding into the input
    this.padding.forEach((p, i) => {
      if (p > Math.floor(this.kernelSize[i]! / 2)) throw new ValueError(`${kind}: padding ${p} is more than half the kernel size ${this.kernelSize[i]}`);
    });
  }

  /** The windows (N, C, ...out, ...k) of x padded with padValue, and whether a batch dim was added. */
  protected windowsOf(x: TensorLike, padValue: number): [Tensor, boolean] {
    let t = ag.toTensor(x);
    const n = this.n;
    const unbatched = t.ndim === n + 1;
    if (unbatched) t = ag.unsqueeze(t, 0);
    if (t.ndim !== n + 2) throw new ShapeError(`${this.kind}: input must have ${n + 1} or ${n + 2} dims, got ${fmtShape(ag.toTensor(x).shape)}`);
    const padded = t.shape.slice(2).map((d, i) => d + 2 * this.padding[i]!);
    checkFits(this.kind, ag.toTensor(x).shape, padded, this.kernelSize, this.dilation, this.padding);
    let p = ag.pad(t, this.padding.map((w) => [w, w] as [number, number]));
    if (padValue !== 0 && this.padding.some((w) => w > 0)) {
      const inside = nd.zeros(p.shape, "bool");
      nd.slice(inside, [null, null, ...this.padding.map((w, i) => [w, w + t.shape[2 + i]!] as const)]).fill(1);
      p = ag.where(new Tensor(inside), p, padValue);
    }
    return [windows(p, this.kernelSize, this.stride, this.dilation), unbatched];
  }

  protected tapAxes(u: Tensor): number[] {
    return Array.from({ length: this.n }, (_, i) => u.ndim - this.n + i);
  }
}

/**
 * The largest value of each window; padding counts as -inf. Where a window has tied maxima the
 * whole gradient goes to the first of them in the window's row-major order, as PyTorch's kernel
 * does: the taps are flattened, argmax (which keeps the first) picks one, and a `where` over that
 * one-hot mask reads it out, so the derivative is the mask's and no tie is split.
 */
class MaxPoolNd extends PoolNd {
  forward(x: TensorLike): Tensor {
    const [u, unbatched] = this.windowsOf(x, -Infinity);
    const lead = u.shape.slice(0, u.ndim - this.n);
    const taps = this.kernelSize.reduce((a, b) => a * b, 1);
    const flat = ag.reshape(u, [...lead, taps]);
    const first = nd.argmax(flat.data, flat.ndim - 1, true);
    const pick = nd.eq(first, nd.arange(0, taps, 1, "int32"));
    const y = ag.sum(ag.where(new Tensor(pick), flat, 0), flat.ndim - 1);
    return unbatched ? ag.squeeze(y, 0) : y;
  }
}

/** Options of MaxPool1d and MaxPool2d: PoolOptions and the dilation between a window's taps (default 1). */
export interface MaxPoolOptions extends PoolOptions {
  dilation?: IntOrTuple;
}

/**
 * The largest value of each window along the length (PyTorch's nn.MaxPool1d): (N, C, L) or
 * (C, L) to (N, C, L'), L' = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1. Padding
 * counts as -inf; a tie sends the whole gradient to the first maximum, as PyTorch does.
 *
 * @example
 * ```ts
 * new MaxPool1d(2).forward(tensor([[[1, 3, 2, 5, 4]]])).toArray(); // [[[3, 5]]]
 * ```
 */
export class MaxPool1d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions = {}) {
    super("MaxPool1d", 1, kernelSize, options, options.dilation);
  }
}

/** The largest value of each window over height and width (PyTorch's nn.MaxPool2d): (N, C, H, W) or (C, H, W) in, the same layout out. Padding counts as -inf; a tie sends the whole gradient to the first maximum in the window's row-major order. */
export class MaxPool2d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions = {}) {
    super("MaxPool2d", 2, kernelSize, options, options.dilation);
  }
}

/** Options of AvgPool1d and AvgPool2d: PoolOptions and whether padding counts in each window's mean. */
export interface AvgPoolOptions extends PoolOptions {
  /** Whether padded zeros count in each window's mean (PyTorch's default: they do). */
  countIncludePad?: boolean;
}

class AvgPoolNd extends PoolNd {
  readonly countIncludePad: boolean;
  constructor(kind: string, n: number, kernelSize: IntOrTuple, options: AvgPoolOptions) {
    super(kind, n, kernelSize, options);
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: TensorLike): Tensor {
    const [u, unbatched] = this.windowsOf(x, 0);
    const axes = this.tapAxes(u);
    let y: Tensor;
    if (this.countIncludePad || this.padding.every((p) => p === 0)) y = ag.mean(u, axes);
    else {
      // divide by the number of real (unpadded) positions in each window
      const t = ag.toTensor(x);
      const sp = t.shape.slice(t.ndim - this.n);
      const ones = ag.pad(new Tensor(nd.ones([1, 1, ...sp], u.dtype)), this.padding.map((w) => [w, w] as [number, number]));
      const count = ag.sum(windows(ones, this.kernelSize, this.stride, this.dilation), axes);
      y = ag.div(ag.sum(u, axes), new Tensor(count.data));
    }
    return unbatched ? ag.squeeze(y, 0) : y;
  }
}

/**
 * The mean of each window along the length (PyTorch's nn.AvgPool1d): (N, C, L) or (C, L) to
 * (N, C, L'), L' = floor((L + 2 padding - k) / stride) + 1. Padded zeros count in the mean unless
 * countIncludePad is false.
 *
 * @example
 * ```ts
 * new AvgPool1d(2).forward(tensor([[[1, 3, 2, 5, 4]]])).toArray(); // [[[2, 3.5]]]
 * ```
 */
export class AvgPool1d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super("AvgPool1d", 1, kernelSize, options);
  }
}

/** The mean of each window over height and width (PyTorch's nn.AvgPool2d): (N, C, H, W) or (C, H, W) in, the same layout out. Padded zeros count in the mean unless countIncludePad is false. */
export class AvgPool2d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super("AvgPool2d", 2, kernelSize, options);
  }
}
