// The layers as functions (torch.nn.functional's conv2d, conv_transpose2d, max_pool2d, batch_norm,
// ... in camelCase): the weights are arguments, nothing is initialised and no random stream is
// read. Each runs the same code as its module.

import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { checkInputDType } from "./module.js";
import { convolve, padWidths, parsePadding, spatial, transposedConvolve, type ConvOptions, type IntOrTuple } from "./conv.js";
import {
  AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, AvgPool3d,
  MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool2d, type AvgPoolOptions, type MaxPoolOptions,
} from "./pool.js";
import { PixelShuffle, PixelUnshuffle } from "./upsample.js";

/** Options of the functional convolutions: ConvOptions' stride, padding, dilation and groups. */
export type ConvFnOptions = Pick<ConvOptions, "stride" | "padding" | "dilation" | "groups">;

/** Options of the functional transposed convolutions. */
export interface ConvTransposeFnOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  dilation?: IntOrTuple;
  groups?: number;
}

function weightOf(kind: string, n: number, weight: TensorLike, bias: TensorLike | null | undefined, groups: number, outDim: number): [Tensor, Tensor | null] {
  const w = ag.toTensor(weight);
  if (w.ndim !== n + 2) throw new ShapeError(`${kind}: weight must have ${n + 2} dims (channels, channels, ...kernel), got ${fmtShape(w.shape)}`);
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${kind}: groups must be a positive integer, got ${groups}`);
  const out = outDim === 0 ? w.shape[0]! : w.shape[1]! * groups;
  const b = bias === null || bias === undefined ? null : ag.toTensor(bias);
  if (b && (b.ndim !== 1 || b.shape[0] !== out)) throw new ShapeError(`${kind}: bias must have shape [${out}] (one per output channel), got ${fmtShape(b.shape)} (weight ${fmtShape(w.shape)})`);
  return [w, b];
}

function convFn(kind: string, n: number, input: TensorLike, weight: TensorLike, bias: TensorLike | null | undefined, options: ConvFnOptions): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  const [w, b] = weightOf(kind, n, weight, bias, groups, 0);
  if (w.shape[0]! % groups !== 0) throw new ValueError(`${kind}: the weight's ${w.shape[0]} output channels are not divisible by groups ${groups}`);
  const s = spatial(kind, "stride", stride, n);
  const d = spatial(kind, "dilation", dilation, n);
  const widths = padWidths(parsePadding(kind, padding, n, s), w.shape.slice(2), d);
  const given = ag.toTensor(input);
  const unbatched = given.ndim === n + 1;
  const t = unbatched ? ag.unsqueeze(given, 0) : given;
  const inChannels = w.shape[1]! * groups;
  if (t.ndim !== n + 2 || t.shape[1] !== inChannels) {
    throw new ShapeError(`${kind}: input must be (N, ${inChannels}, ...) with ${n} spatial dims (the weight ${fmtShape(w.shape)} and groups ${groups} take ${inChannels} channels), got ${fmtShape(given.shape)}`);
  }
  checkInputDType(kind, t, w, "input");
  const y = convolve(kind, t, given.shape, w, b, widths, s, d, groups);
  return unbatched ? ag.squeeze(y, 0) : y;
}

/**
 * torch.nn.functional.conv1d: x (N, C, L) or (C, L), weight (O, C / groups, k), bias (O) or
 * null; padding as Conv1d's (a number, "same", "valid", or [before, after] pairs).
 *
 * @example
 * ```ts
 * conv1d(tensor([[[1, 2, 3, 4]]]), tensor([[[1, -1]]])).toArray(); // [[[-1, -1, -1]]]
 * ```
 */
export function conv1d(input: TensorLike, weight: TensorLike, bias?: TensorLike | null, options: ConvFnOptions = {}): Tensor {
  return convFn("conv1d", 1, input, weight, bias, options);
}

/**
 * torch.nn.functional.conv2d: x (N, C, H, W) or (C, H, W), weight (O, C / groups, kH, kW),
 * bias (O) or null; padding as Conv2d's, [[top, bottom], [left, right]] for asymmetric padding.
 *
 * @example
 * ```ts
 * conv2d(tensor(nd.ones([1, 1, 3, 3])), tensor(nd.ones([1, 1, 2, 2])), null, { padding: [[1, 0], [0, 1]] }).shape; // [1, 1, 3, 3]
 * ```
 */
export function conv2d(input: TensorLike, weight: TensorLike, bias?: TensorLike | null, options: ConvFnOptions = {}): Tensor {
  return convFn("conv2d", 2, input, weight, bias, options);
}

/**
 * torch.nn.functional.conv3d: x (N, C, D, H, W) or (C, D, H, W), weight (O, C / groups, kD, kH, kW).
 *
 * @example
 * ```ts
 * conv3d(tensor(nd.ones([1, 1, 3, 3, 3])), tensor(nd.ones([2, 1, 2, 2, 2]))).shape; // [1, 2, 2, 2, 2]
 * ```
 */
export function conv3d(input: TensorLike, weight: TensorLike, bias?: TensorLike | null, options: ConvFnOptions = {}): Tensor {
  return convFn("conv3d", 3, input, weight, bias, options);
}

function convTransposeFn(kind: string, n: number, input: TensorLike, weight: TensorLike, bias: TensorLike | null | undefined, options: ConvTransposeFnOptions): Tensor {
  const { stride = 1, padding = 0, outputPadding = 0, dilation = 1, groups = 1 } = options;
  const [w, b] = weightOf(kind, n, weight, bias, groups, 1);
  if (w.shape[0]! % groups !== 0) throw new ValueError(`${kind}: the weight's ${w.shape[0]} input channels are not divisible by groups ${groups}`);
  const s = spatial(kind, "stride", stride, n);
  const d = spatial(kind, "dilation", dilation, n);
  const op = spatial(kind, "outputPadding", outputPadding, n, 0);
  op.forEach((o, i) => {
    if (o >= s[i]! && o >= d[i]!) throw new ValueError(`${kind}: outputPadding ${o} must be smaller than the stride ${s[i]} or the dilation ${d[i]} (dim ${i})`);
  });
  return transposedConvolve(kind, input, w, b, s, spatial(kind, "padding", padding, n, 0), op, d, groups, w.shape[0]!);
}

/**
 * torch.nn.functional.conv_transpose1d: x (N, C, L) or (C, L), weight (C, O / groups, k).
 *
 * @example
 * ```ts
 * convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 10]]]), null, { stride: 2 }).toArray(); // [[[1, 10, 2, 20]]]
 * ```
 */
export function convTranspose1d(input: TensorLike, weight: TensorLike, bias?: TensorLike | null, options: ConvTransposeFnOptions = {}): Tensor {
  return convTransposeFn("convTranspose1d", 1, input, weight, bias, options);
}

/**
 * torch.nn.functional.conv_transpose2d: x (N, C, H, W) or (C, H, W), weight (C, O / groups, kH, kW).
 *
 * @example
 * ```ts
 * convTranspose2d(tensor(nd.ones([1, 4, 3, 3])), tensor(nd.ones([4, 2, 3, 3])), null, { stride: 2, padding: 1, outputPadding: 1 }).shape; // [1, 2, 6, 6]
 * ```
 */
export function convTranspose2d(input: TensorLike, weight: TensorLike, bias?: TensorLike | null, options: ConvTransposeFnOptions = {}): Tensor {
  return convTransposeFn("convTranspose2d", 2, input, weight, bias, options);
}

/**
 * torch.nn.functional.conv_transpose3d: x (N, C, D, H, W) or (C, D, H, W), weight (C, O / groups, kD, kH, kW).
 *
 * @example
 * ```ts
 * convTranspose3d(tensor(nd.ones([1, 2, 2, 2, 2])), tensor(nd.ones([2, 1, 2, 2, 2])), null, { stride: 2 }).shape; // [1, 1, 4, 4, 4]
 * ```
 */
export function convTranspose3d(input: TensorLike, weight: TensorLike, bias?: TensorLike | null, options: ConvTransposeFnOptions = {}): Tensor {
  return convTransposeFn("convTranspose3d", 3, input, weight, bias, options);
}

/**
 * torch.nn.functional.max_pool1d: MaxPool1d's forward; with returnIndices, [values, indices].
 *
 * @example
 * ```ts
 * maxPool1d(tensor([[[1, 3, 2, 5, 4]]]), 2, { ceilMode: true }).toArray(); // [[[3, 5, 4]]]
 * ```
 */
export function maxPool1d<I extends boolean = false>(input: TensorLike, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: I } = {}) {
  return new MaxPool1d<I>(kernelSize, options).forward(input);
}

/**
 * torch.nn.functional.max_pool2d: MaxPool2d's forward; with returnIndices, [values, indices].
 *
 * @example
 * ```ts
 * maxPool2d(tensor([[[[1, 2], [4, 3]]]]), 2).toArray(); // [[[[4]]]]
 * ```
 */
export function maxPool2d<I extends boolean = false>(input: TensorLike, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: I } = {}) {
  return new MaxPool2d<I>(kernelSize, options).forward(input);
}

/**
 * torch.nn.functional.max_pool3d: MaxPool3d's forward; with returnIndices, [values, indices].
 *
 * @example
 * ```ts
 * maxPool3d(tensor(nd.zeros([1, 1, 2, 2, 2])), 2).shape; // [1, 1, 1, 1, 1]
 * ```
 */
export function maxPool3d<I extends boolean = false>(input: TensorLike, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: I } = {}) {
  return new MaxPool3d<I>(kernelSize, options).forward(input);
}

/**
 * torch.nn.functional.avg_pool1d: AvgPool1d's forward.
 *
 * @example
 * ```ts
 * avgPool1d(tensor([[[1, 3, 2, 5]]]), 2).toArray(); // [[[2, 3.5]]]
 * ```
 */
export function avgPool1d(input: TensorLike, kernelSize: IntOrTuple, options: AvgPoolOptions = {}): Tensor {
  return new AvgPool1d(kernelSize, options).forward(input);
}

/**
 * torch.nn.functional.avg_pool2d: AvgPool2d's forward.
 *
 * @example
 * ```ts
 * avgPool2d(tensor([[[[1, 2], [3, 6]]]]), 2).toArray(); // [[[[3]]]]
 * ```
 */
export function avgPool2d(input: TensorLike, kernelSize: IntOrTuple, options: AvgPoolOptions = {}): Tensor {
  return new AvgPool2d(kernelSize, options).forward(input);
}

/**
 * torch.nn.functional.avg_pool3d: AvgPool3d's forward.
 *
 * @example
 * ```ts
 * avgPool3d(tensor(nd.ones([1, 1, 2, 2, 2])), 2).toArray(); // [[[[[1]]]]]
 * ```
 */
export function avgPool3d(input: TensorLike, kernelSize: IntOrTuple, options: AvgPoolOptions = {}): Tensor {
  return new AvgPool3d(kernelSize, options).forward(input);
}

/**
 * torch.nn.functional.adaptive_avg_pool1d: AdaptiveAvgPool1d's forward.
 *
 * @example
 * ```ts
 * adaptiveAvgPool1d(tensor([[[1, 2, 3, 4, 5]]]), 2).toArray(); // [[[2, 4]]]
 * ```
 */
export function adaptiveAvgPool1d(input: TensorLike, outputSize: number): Tensor {
  return new AdaptiveAvgPool1d(outputSize).forward(input);
}

/**
 * torch.nn.functional.adaptive_avg_pool2d: AdaptiveAvgPool2d's forward.
 *
 * @example
 * ```ts
 * adaptiveAvgPool2d(tensor(nd.ones([1, 3, 5, 4])), 1).shape; // [1, 3, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(input: TensorLike, outputSize: number | null | readonly (number | null)[]): Tensor {
  return new AdaptiveAvgPool2d(outputSize).forward(input);
}

/**
 * torch.nn.functional.adaptive_avg_pool3d: AdaptiveAvgPool3d's forward.
 *
 * @example
 * ```ts
 * adaptiveAvgPool3d(tensor(nd.ones([1, 1, 4, 4, 4])), 1).shape; // [1, 1, 1, 1, 1]
 * ```
 */
export function adaptiveAvgPool3d(input: TensorLike, outputSize: number | null | readonly (number | null)[]): Tensor {
  return new AdaptiveAvgPool3d(outputSize).forward(input);
}

/**
 * torch.nn.functional.adaptive_max_pool1d: AdaptiveMaxPool1d's forward; with returnIndices, [values, indices].
 *
 * @example
 * ```ts
 * adaptiveMaxPool1d(tensor([[[1, 5, 3, 2, 4]]]), 2).toArray(); // [[[5, 4]]]
 * ```
 */
export function adaptiveMaxPool1d<I extends boolean = false>(input: TensorLike, outputSize: number, options: { returnIndices?: I } = {}) {
  return new AdaptiveMaxPool1d<I>(outputSize, options).forward(input);
}

/**
 * torch.nn.functional.adaptive_max_pool2d: AdaptiveMaxPool2d's forward; with returnIndices, [values, indices].
 *
 * @example
 * ```ts
 * adaptiveMaxPool2d(tensor([[[[1, 7], [3, 2]]]]), 1).toArray(); // [[[[7]]]]
 * ```
 */
export function adaptiveMaxPool2d<I extends boolean = false>(input: TensorLike, outputSize: number | null | readonly (number | null)[], options: { returnIndices?: I } = {}) {
  return new AdaptiveMaxPool2d<I>(outputSize, options).forward(input);
}

/**
 * torch.nn.functional.max_unpool2d: MaxUnpool2d's forward.
 *
 * @example
 * ```ts
 * const [y, idx] = maxPool2d(tensor([[[[1, 2], [4, 3]]]]), 2, { returnIndices: true });
 * maxUnpool2d(y, idx, 2).toArray(); // [[[[0, 0], [4, 0]]]]
 * ```
 */
export function maxUnpool2d(
  input: TensorLike, indices: NDArray | Tensor, kernelSize: IntOrTuple,
  options: { stride?: IntOrTuple; padding?: IntOrTuple; outputSize?: readonly number[] } = {},
): Tensor {
  return new MaxUnpool2d(kernelSize, options).forward(input, indices, options.outputSize);
}

/**
 * torch.nn.functional.pixel_shuffle: (..., C r^2, H, W) -> (..., C, H r, W r).
 *
 * @example
 * ```ts
 * pixelShuffle(tensor(nd.zeros([1, 8, 2, 2])), 2).shape; // [1, 2, 4, 4]
 * ```
 */
export function pixelShuffle(input: TensorLike, upscaleFactor: number): Tensor {
  return new PixelShuffle(upscaleFactor).forward(input);
}

/**
 * torch.nn.functional.pixel_unshuffle: (..., C, H r, W r) -> (..., C r^2, H, W).
 *
 * @example
 * ```ts
 * pixelUnshuffle(tensor(nd.zeros([1, 2, 4, 4])), 2).shape; // [1, 8, 2, 2]
 * ```
 */
export function pixelUnshuffle(input: TensorLike, downscaleFactor: number): Tensor {
  return new PixelUnshuffle(downscaleFactor).forward(input);
}

/** Options of batchNorm (torch.nn.functional.batch_norm's, in camelCase). */
export interface BatchNormFnOptions {
  weight?: TensorLike | null;
  bias?: TensorLike | null;
  /** Normalise by the batch's statistics and update the running ones (default false: use the running ones). */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * torch.nn.functional.batch_norm: x (N, C, ...) normalised per channel by the batch's statistics
 * (training: running mean and running variance, when given, are updated in place by kernels,
 * the variance unbiased) or by the running ones (not training; then they must be given).
 *
 * @example
 * ```ts
 * const mean = nd.zeros([2]);
 * const variance = nd.ones([2]);
 * batchNorm(tensor([[1, 10], [3, 30]]), mean, variance, { training: true }).toArray(); // [[-1, -1], [1, 1]] (to eps)
 * mean.toArray(); // [0.2, 2]
 * ```
 */
export function batchNorm(input: TensorLike, runningMean: NDArray | null, runningVar: NDArray | null, options: BatchNormFnOptions = {}): Tensor {
  const { weight, bias, training = false, momentum = 0.1, eps = 1e-5 } = options;
  const x = ag.toTensor(input);
  if (x.ndim < 2) throw new ShapeError(`batchNorm: input must be (N, C, ...), got ${fmtShape(x.shape)}`);
  const C = x.shape[1]!;
  for (const [what, a] of [["runningMean", runningMean], ["runningVar", runningVar]] as const) {
    if (a !== null && (a.ndim !== 1 || a.shape[0] !== C)) throw new ShapeError(`batchNorm: ${what} must have shape [${C}] (the input ${fmtShape(x.shape)} has ${C} channels), got ${fmtShape(a.shape)}`);
  }
  if (!training && (runningMean === null || runningVar === null)) throw new ValueError("batchNorm: without training, runningMean and runningVar must be given");
  if (!(momentum >= 0 && momentum <= 1)) throw new ValueError(`batchNorm: momentum must be in [0, 1], got ${momentum}`);
  const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const w = weight === null || weight === undefined ? null : ag.toTensor(weight);
  const b = bias === null || bias === undefined ? null : ag.toTensor(bias);
  for (const [what, t] of [["weight", w], ["bias", b]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new ShapeError(`batchNorm: ${what} must have shape [${C}], got ${fmtShape(t.shape)}`);
  }
  let y: Tensor;
  if (training) {
    const n = x.size / C;
    if (n <= 1) throw new ValueError(`batchNorm: expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const mu = ag.mean(x, axes, true);
    const dev = ag.sub(x, mu);
    const v = ag.mean(ag.mul(dev, dev), axes, true);
    y = ag.div(dev, ag.sqrt(ag.add(v, eps)));
    const update = (running: NDArray | null, batch: NDArray) => {
      if (running) nd.add(nd.mul(running, 1 - momentum), nd.mul(batch.astype(running.dtype), momentum), running);
    };
    update(runningMean, mu.data.reshape([C]));
    update(runningVar, nd.mul(v.data.reshape([C]), n / (n - 1)));
  } else {
    y = ag.div(ag.sub(x, new Tensor(runningMean!.reshape(shape))), new Tensor(nd.sqrt(nd.add(runningVar!, eps)).reshape(shape)));
  }
  if (w) y = ag.mul(y, ag.reshape(w, shape));
  if (b) y = ag.add(y, ag.reshape(b, shape));
  return y;
}

/**
 * torch.nn.functional.group_norm: the channels of x (N, C, ...) in numGroups groups, each
 * (sample, group) normalised by its own mean and biased variance, then per-channel weight and bias.
 *
 * @example
 * ```ts
 * groupNorm(tensor([[1, 3, 10, 30]]), 2).toArray(); // [[-1, 1, -1, 1]] (to eps)
 * ```
 */
export function groupNorm(input: TensorLike, numGroups: number, options: { weight?: TensorLike | null; bias?: TensorLike | null; eps?: number } = {}): Tensor {
  const { weight, bias, eps = 1e-5 } = options;
  const x = ag.toTensor(input);
  if (x.ndim < 2) throw new ShapeError(`groupNorm: input must be (N, C, ...), got ${fmtShape(x.shape)}`);
  const C = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1 || C % numGroups !== 0) throw new ValueError(`groupNorm: ${C} channels (input ${fmtShape(x.shape)}) are not divisible by numGroups ${numGroups}`);
  const g = ag.reshape(x, [x.shape[0]!, numGroups, -1]);
  const mu = ag.mean(g, 2, true);
  const dev = ag.sub(g, mu);
  const v = ag.mean(ag.mul(dev, dev), 2, true);
  let y = ag.reshape(ag.div(dev, ag.sqrt(ag.add(v, eps))), x.shape);
  const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
  for (const [what, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t === null || t === undefined) continue;
    const tt = ag.toTensor(t);
    if (tt.ndim !== 1 || tt.shape[0] !== C) throw new ShapeError(`groupNorm: ${what} must have shape [${C}], got ${fmtShape(tt.shape)}`);
    y = what === "weight" ? ag.mul(y, ag.reshape(tt, shape)) : ag.add(y, ag.reshape(tt, shape));
  }
  return y;
}
