// LayerNorm with PyTorch's names, shapes, defaults and initialisation (weight 1, bias 0),
// composed of mean, variance and elementwise ops.

import * as nd from "@tapegrad/tensor";
import { ShapeError, fmtShape, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module, Parameter, checkInputDType } from "./module.js";
import { checkSize } from "./layers.js";
import { groupNorm } from "./functional.js";

/** Options of LayerNorm, with PyTorch's defaults: eps 1e-5, elementwiseAffine true, bias true, dtype float64. */
export interface LayerNormOptions {
  eps?: number;
  /** A learnt per-element scale (weight) and shift (bias), as PyTorch's elementwise_affine. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether there is a shift too. */
  bias?: boolean;
  dtype?: DType;
}

/** Normalises over the last dims (normalizedShape): (x - mean) / sqrt(var + eps) * weight + bias, var biased. */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], { eps = 1e-5, elementwiseAffine = true, bias = true, dtype = "float64" }: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    shape.forEach((d, i) => checkSize("LayerNorm", { [`normalizedShape[${i}]`]: d }));
    this.normalizedShape = shape;
    this.eps = eps;
    this.weight = elementwiseAffine ? new Parameter(nd.ones(shape, dtype)) : null;
    this.bias = elementwiseAffine && bias ? new Parameter(nd.zeros(shape, dtype)) : null;
  }

  forward(x: TensorLike): Tensor {
    const t = ag.toTensor(x);
    const k = this.normalizedShape.length;
    const tail = t.shape.slice(t.ndim - k);
    if (t.ndim < k || !nd.shapesEqual(tail, this.normalizedShape)) {
      throw new ShapeError(`LayerNorm: input has shape ${fmtShape(t.shape)}, expected it to end in ${fmtShape(this.normalizedShape)}`);
    }
    checkInputDType("LayerNorm", t, this.weight ?? this.bias);
    const axes = Array.from({ length: k }, (_, i) => t.ndim - k + i);
    const mu = ag.mean(t, axes, true);
    const d = ag.sub(t, mu);
    const v = ag.mean(ag.mul(d, d), axes, true);
    let y = ag.div(d, ag.sqrt(ag.add(v, this.eps)));
    if (this.weight) y = ag.mul(y, this.weight);
    if (this.bias) y = ag.add(y, this.bias);
    return y;
  }
}

/** Options of GroupNorm, with PyTorch's defaults: eps 1e-5, affine true, dtype float64. */
export interface GroupNormOptions {
  eps?: number;
  /** A learnt per-channel scale (weight, initialised 1) and shift (bias, initialised 0). */
  affine?: boolean;
  dtype?: DType;
}

/**
 * Group normalisation (PyTorch's nn.GroupNorm): the channels of (N, C, ...) are split into
 * numGroups groups, each (sample, group) is normalised by its own mean and biased variance, then
 * each channel is scaled by weight and shifted by bias. numChannels must be divisible by numGroups.
 *
 * @example
 * ```ts
 * const gn = new GroupNorm(2, 4);
 * gn.forward(tensor([[1, 3, 10, 30]])).toArray(); // [[-1, 1, -1, 1]] (to eps)
 * ```
 */
export class GroupNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;

  constructor(readonly numGroups: number, readonly numChannels: number, { eps = 1e-5, affine = true, dtype = "float64" }: GroupNormOptions = {}) {
    super();
    checkSize("GroupNorm", { numGroups, numChannels });
    if (numChannels % numGroups !== 0) throw new nd.ValueError(`GroupNorm: numChannels ${numChannels} is not divisible by numGroups ${numGroups}`);
    this.eps = eps;
    this.weight = affine ? new Parameter(nd.ones([numChannels], dtype)) : null;
    this.bias = affine ? new Parameter(nd.zeros([numChannels], dtype)) : null;
  }

  forward(x: TensorLike): Tensor {
    const t = ag.toTensor(x);
    if (t.ndim < 2 || t.shape[1] !== this.numChannels) {
      throw new ShapeError(`GroupNorm: input must be (N, ${this.numChannels}, ...) with the channels on axis 1, got ${fmtShape(t.shape)}`);
    }
    checkInputDType("GroupNorm", t, this.weight);
    return groupNorm(t, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}
