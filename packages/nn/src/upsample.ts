// interpolate and Upsample (nearest, nearest-exact, linear, bilinear, trilinear; alignCorners) with PyTorch 1.13's source
// positions, and PixelShuffle / PixelUnshuffle. Resizing is separable: each spatial axis in turn
// (the last first, as PyTorch's bilinear kernel nests them) gathers its neighbours with take and
// blends them with constant weights, so the gradient is take's scatter-add.

import * as nd from "@tapegrad/tensor";
import { DTypeError, NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module } from "./module.js";
import { checkSize } from "./layers.js";
import { AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d } from "./pool.js";

/**
 * How interpolate computes each output value: the nearest input ("nearest": the floor of
 * dst * in / out, PyTorch's legacy rule; "nearest-exact": of the pixel centre (dst + 0.5) in /
 * out), a linear blend of the two around the source position, per spatial dim, a cubic one of
 * the four around it ("bicubic", Keys' kernel with a = -0.75 and edge pixels repeated, as
 * PyTorch's), or the mean of each output pixel's bin ("area": adaptive average pooling).
 */
export type InterpolateMode = "nearest" | "nearest-exact" | "linear" | "bilinear" | "trilinear" | "bicubic" | "area";

/** Options of interpolate and Upsample: exactly one of size and scaleFactor, the mode (default "nearest"), and alignCorners for the linear modes. */
export interface InterpolateOptions {
  /** The output's spatial size: one number for every spatial dim, or one each. */
  size?: number | readonly number[];
  /** The output's spatial size as a multiple of the input's (floored); the source positions use 1 / scaleFactor, as PyTorch's do. */
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  /** Linear modes only: the corner pixels' centres of input and output coincide (source = dst (in - 1) / (out - 1)); default false (half-pixel centres). */
  alignCorners?: boolean;
}

const SPATIAL: Record<InterpolateMode, number | null> = { nearest: null, "nearest-exact": null, linear: 1, bilinear: 2, trilinear: 3, bicubic: 2, area: null };
/** The modes without a notion of corners. */
const isNearest = (m: InterpolateMode) => m === "nearest" || m === "nearest-exact" || m === "area";

/** One value per spatial dim from a number or a tuple, checked. */
function perDim(what: string, v: number | readonly number[], n: number, integer: boolean): number[] {
  const out = typeof v === "number" ? Array.from({ length: n }, () => v) : [...v];
  if (out.length !== n || out.some((d) => !(Number.isFinite(d) && d > 0) || (integer && !Number.isInteger(d)))) {
    throw new ValueError(`interpolate: ${what} must be ${integer ? "a positive integer" : "a positive number"} or ${n} of them (one per spatial dim), got ${JSON.stringify(v)}`);
  }
  return out;
}

/**
 * The source index of each output position of one axis for the nearest modes (PyTorch 1.13's
 * nearest_idx; "nearest-exact" reads the pixel centre).
 */
const nearestPlan = nd.kernel("interpolate.nearest", (L: number, out: number, exact: boolean, scale: number | null): NDArray => {
  const i0 = new Int32Array(out);
  const s = scale !== null ? 1 / scale : L / out;
  const half = exact ? 0.5 : 0;
  for (let j = 0; j < out; j++) i0[j] = Math.min(Math.floor((j + half) * s), L - 1);
  return new NDArray(i0, [out]);
});

/**
 * The two source indices and their weights for each output position of one axis in the linear
 * modes (PyTorch 1.13's area_pixel_compute_scale and source index rules).
 */
const linearPlan = nd.kernel("interpolate.linear", (L: number, out: number, alignCorners: boolean, scale: number | null, dtype: nd.DType): NDArray[] => {
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const w0 = nd.zeros([out], dtype);
  const w1 = nd.zeros([out], dtype);
  const s = alignCorners ? (out > 1 ? (L - 1) / (out - 1) : 0) : scale !== null ? 1 / scale : L / out;
  for (let j = 0; j < out; j++) {
    const src = alignCorners ? s * j : Math.max(s * (j + 0.5) - 0.5, 0);
    const a = Math.floor(src);
    const l1 = src - a;
    i0[j] = a;
    i1[j] = a < L - 1 ? a + 1 : a;
    w0.data[j] = 1 - l1;
    w1.data[j] = l1;
  }
  return [new NDArray(i0, [out]), new NDArray(i1, [out]), w0, w1];
});

/**
 * The four source indices (clamped to the axis) and their weights for each output position of
 * one axis in the bicubic mode: PyTorch 1.13's source position without the clamp at 0, and its
 * cubic convolution coefficients (A = -0.75).
 */
const cubicPlan = nd.kernel("interpolate.cubic", (L: number, out: number, alignCorners: boolean, scale: number | null, dtype: nd.DType): NDArray[] => {
  const A = -0.75;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| <= 1
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2
  const idx = Array.from({ length: 4 }, () => new Int32Array(out));
  const w = Array.from({ length: 4 }, () => nd.zeros([out], dtype));
  const s = alignCorners ? (out > 1 ? (L - 1) / (out - 1) : 0) : scale !== null ? 1 / scale : L / out;
  for (let j = 0; j < out; j++) {
    const src = alignCorners ? s * j : s * (j + 0.5) - 0.5;
    const a = Math.floor(src);
    const t = src - a;
    const coef = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) {
      idx[k]![j] = Math.min(Math.max(a - 1 + k, 0), L - 1);
      w[k]!.data[j] = coef[k]!;
    }
  }
  return [...idx.map((i) => new NDArray(i, [out])), ...w];
});

/**
 * Resizes the spatial dims of x (N, C, ...spatial) as torch.nn.functional.interpolate: "nearest"
 * and "nearest-exact" (any number of spatial dims), "linear" (N, C, L), "bilinear" and "bicubic"
 * (N, C, H, W), "trilinear" (N, C, D, H, W), "area" (1 to 3 spatial dims), to `size` or to
 * floor(in * scaleFactor). Differentiable with respect to x.
 *
 * @example
 * ```ts
 * interpolate(tensor([[[1, 2]]]), { scaleFactor: 2 }).toArray(); // [[[1, 1, 2, 2]]]
 * interpolate(tensor([[[1, 2]]]), { size: 4, mode: "linear" }).toArray(); // [[[1, 1.25, 1.75, 2]]]
 * interpolate(tensor([[[1, 2]]]), { size: 3, mode: "linear", alignCorners: true }).toArray(); // [[[1, 1.5, 2]]]
 * ```
 */
export function interpolate(input: TensorLike, options: InterpolateOptions): Tensor {
  const { size, scaleFactor, mode = "nearest", alignCorners } = options;
  const x = ag.toTensor(input);
  if (!(mode in SPATIAL)) throw new ValueError(`interpolate: mode must be "nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic" or "area", got ${JSON.stringify(mode)}`);
  if (!nd.isFloat(x.dtype)) throw new DTypeError(`interpolate: input must be a float tensor, got dtype ${x.dtype}`);
  const n = x.ndim - 2;
  const want = SPATIAL[mode];
  if (n < 1 || (want !== null && n !== want) || (mode === "area" && n > 3)) {
    const layout = want === 1 ? "(N, C, L)" : want === 2 ? "(N, C, H, W)" : want === 3 ? "(N, C, D, H, W)" : mode === "area" ? "(N, C, L), (N, C, H, W) or (N, C, D, H, W)" : "(N, C, ...spatial)";
    throw new ShapeError(`interpolate: mode "${mode}" needs an input ${layout}, got ${fmtShape(x.shape)}`);
  }
  if (isNearest(mode) && alignCorners !== undefined) throw new ValueError(`interpolate: alignCorners is for the linear modes only, not "${mode}"`);
  if ((size === undefined) === (scaleFactor === undefined)) throw new ValueError("interpolate: give exactly one of size and scaleFactor");
  const sp = x.shape.slice(2);
  const scales = scaleFactor !== undefined ? perDim("scaleFactor", scaleFactor, n, false) : null;
  const out = scales ? sp.map((d, i) => Math.floor(d * scales[i]!)) : perDim("size", size!, n, true);
  if (out.some((d) => d < 1)) throw new ShapeError(`interpolate: the output size would be ${out.join("x")} for input ${fmtShape(x.shape)} and scaleFactor ${JSON.stringify(scaleFactor)}`);
  if (mode === "area") {
    // PyTorch's "area" is adaptive average pooling to the output size
    const pool = n === 1 ? new AdaptiveAvgPool1d(out[0]!) : n === 2 ? new AdaptiveAvgPool2d(out) : new AdaptiveAvgPool3d(out);
    return pool.forward(x);
  }
  let y = x;
  for (let i = n - 1; i >= 0; i--) {
    const axis = 2 + i;
    if (isNearest(mode) && out[i] === sp[i] && (scales === null || scales[i] === 1)) continue;
    if (isNearest(mode)) {
      y = ag.take(y, nearestPlan(sp[i]!, out[i]!, mode === "nearest-exact", scales ? scales[i]! : null), axis);
      continue;
    }
    const shape = y.shape.map((d, j) => (j === axis ? out[i]! : 1));
    if (mode === "bicubic") {
      // x0 c0 + x1 c1 + x2 c2 + x3 c3, summed in PyTorch's order
      const plan = cubicPlan(sp[i]!, out[i]!, alignCorners ?? false, scales ? scales[i]! : null, x.dtype);
      let acc: Tensor | null = null;
      for (let k = 0; k < 4; k++) {
        const term = ag.mul(ag.take(y, plan[k]!, axis), new Tensor(plan[4 + k]!.reshape(shape)));
        acc = acc === null ? term : ag.add(acc, term);
      }
      y = acc!;
      continue;
    }
    const plan = linearPlan(sp[i]!, out[i]!, alignCorners ?? false, scales ? scales[i]! : null, x.dtype);
    const lo = ag.mul(ag.take(y, plan[0]!, axis), new Tensor(plan[2]!.reshape(shape)));
    const hi = ag.mul(ag.take(y, plan[1]!, axis), new Tensor(plan[3]!.reshape(shape)));
    y = ag.add(lo, hi);
  }
  return y;
}

/**
 * interpolate as a module (PyTorch's nn.Upsample): the same options, fixed at construction.
 *
 * @example
 * ```ts
 * const up = new Upsample({ scaleFactor: 2, mode: "bilinear" });
 * up.forward(tensor(nd.zeros([1, 3, 4, 5]))).shape; // [1, 3, 8, 10]
 * ```
 */
export class Upsample extends Module {
  constructor(readonly options: InterpolateOptions) {
    super();
    if ((options.size === undefined) === (options.scaleFactor === undefined)) throw new ValueError("Upsample: give exactly one of size and scaleFactor");
  }

  forward(x: TensorLike): Tensor {
    return interpolate(x, this.options);
  }
}

function checkPixelInput(op: string, x: Tensor): void {
  if (x.ndim < 3) throw new ShapeError(`${op}: input must be (..., C, H, W), got ${fmtShape(x.shape)}`);
}

/**
 * Rearranges (..., C r^2, H, W) into (..., C, H r, W r) (PyTorch's nn.PixelShuffle): channel
 * c r^2 + i r + j becomes the sub-pixel (i, j) of channel c. A reshape and a permute.
 *
 * @example
 * ```ts
 * new PixelShuffle(2).forward(tensor([[[[1]], [[2]], [[3]], [[4]]]])).toArray(); // [[[[1, 2], [3, 4]]]]
 * ```
 */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
    checkSize("PixelShuffle", { upscaleFactor });
  }

  forward(x: TensorLike): Tensor {
    const t = ag.toTensor(x);
    checkPixelInput("PixelShuffle", t);
    const r = this.upscaleFactor;
    const lead = t.shape.slice(0, -3);
    const [C, H, W] = t.shape.slice(-3) as [number, number, number];
    if (C % (r * r) !== 0) throw new ShapeError(`PixelShuffle: ${C} channels (input ${fmtShape(t.shape)}) are not divisible by upscaleFactor^2 = ${r * r}`);
    const k = lead.length;
    const y = ag.reshape(t, [...lead, C / (r * r), r, r, H, W]);
    const order = [...Array(k).keys(), k, k + 3, k + 1, k + 4, k + 2];
    return ag.reshape(ag.permute(y, order), [...lead, C / (r * r), H * r, W * r]);
  }
}

/**
 * The inverse of PixelShuffle (PyTorch's nn.PixelUnshuffle): (..., C, H r, W r) into
 * (..., C r^2, H, W).
 *
 * @example
 * ```ts
 * new PixelUnshuffle(2).forward(tensor([[[[1, 2], [3, 4]]]])).toArray(); // [[[[1]], [[2]], [[3]], [[4]]]]
 * ```
 */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
    checkSize("PixelUnshuffle", { downscaleFactor });
  }

  forward(x: TensorLike): Tensor {
    const t = ag.toTensor(x);
    checkPixelInput("PixelUnshuffle", t);
    const r = this.downscaleFactor;
    const lead = t.shape.slice(0, -3);
    const [C, H, W] = t.shape.slice(-3) as [number, number, number];
    if (H % r !== 0 || W % r !== 0) throw new ShapeError(`PixelUnshuffle: height ${H} and width ${W} (input ${fmtShape(t.shape)}) must be divisible by downscaleFactor ${r}`);
    const k = lead.length;
    const y = ag.reshape(t, [...lead, C, H / r, r, W / r, r]);
    const order = [...Array(k).keys(), k, k + 2, k + 4, k + 1, k + 3];
    return ag.reshape(ag.permute(y, order), [...lead, C * r * r, H / r, W / r]);
  }
}
