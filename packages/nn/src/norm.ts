// LayerNorm with PyTorch's names, shapes, defaults and initialisation (weight 1, bias 0),
// composed of mean, variance and elementwise ops.

import * as nd from "@tapegrad/tensor";
import { ShapeError, fmtShape, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module, Parameter, checkInputDType } from "./module.js";
import { checkSize } from "./layers.js";

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
