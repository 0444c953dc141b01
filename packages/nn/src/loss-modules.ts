// The losses as modules (PyTorch's nn.MSELoss, nn.CrossEntropyLoss, ...): the options fixed at
// construction, forward(input, target) calling the function of the same name. A class weight
// (and BCEWithLogitsLoss's pos_weight) is a buffer, so the state dict has PyTorch's keys.

import * as nd from "@tapegrad/tensor";
import { NDArray, type DType } from "@tapegrad/tensor";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module } from "./module.js";
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, cosineEmbeddingLoss, crossEntropy, huberLoss, klDivLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss,
  type ClassTarget, type CosineEmbeddingLossOptions, type HuberLossOptions, type KLDivLossOptions, type NumberArray, type Reduction,
  type SmoothL1LossOptions,
} from "./losses.js";

/** A weight option of a loss module: an NDArray, a tensor's values, or numbers (kept as a float64 buffer unless an NDArray of its own dtype). */
export type LossWeight = NDArray | Tensor | NumberArray;

function asBuffer(w: LossWeight, dtype: DType = "float64"): NDArray {
  if (w instanceof Tensor) return w.data.copy();
  if (w instanceof NDArray) return w.copy();
  return nd.array(w as number[], undefined, dtype);
}

/**
 * mseLoss as a module (PyTorch's nn.MSELoss).
 *
 * @example
 * ```ts
 * new MSELoss().forward(tensor([1, 2]), tensor([1, 4])).item(); // 2
 * ```
 */
export class MSELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
  }
  forward(input: TensorLike, target: TensorLike): Tensor {
    return mseLoss(input, target, this.options);
  }
}

/**
 * l1Loss as a module (PyTorch's nn.L1Loss).
 *
 * @example
 * ```ts
 * new L1Loss({ reduction: "sum" }).forward(tensor([1, 2]), tensor([1, 4])).item(); // 2
 * ```
 */
export class L1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
  }
  forward(input: TensorLike, target: TensorLike): Tensor {
    return l1Loss(input, target, this.options);
  }
}

/**
 * smoothL1Loss as a module (PyTorch's nn.SmoothL1Loss, with beta).
 *
 * @example
 * ```ts
 * new SmoothL1Loss({ beta: 0.5 }).forward(tensor([0]), tensor([2])).item(); // 1.75
 * ```
 */
export class SmoothL1Loss extends Module {
  constructor(readonly options: SmoothL1LossOptions = {}) {
    super();
  }
  forward(input: TensorLike, target: TensorLike): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}

/**
 * huberLoss as a module (PyTorch's nn.HuberLoss, with delta).
 *
 * @example
 * ```ts
 * new HuberLoss({ delta: 0.5 }).forward(tensor([0]), tensor([2])).item(); // 0.875
 * ```
 */
export class HuberLoss extends Module {
  constructor(readonly options: HuberLossOptions = {}) {
    super();
  }
  forward(input: TensorLike, target: TensorLike): Tensor {
    return huberLoss(input, target, this.options);
  }
}

/**
 * klDivLoss as a module (PyTorch's nn.KLDivLoss; input log-probabilities).
 *
 * @example
 * ```ts
 * new KLDivLoss({ reduction: "batchmean" }).forward(tensor([[Math.log(0.5), Math.log(0.5)]]), tensor([[1, 0]])).item(); // log 2
 * ```
 */
export class KLDivLoss extends Module {
  constructor(readonly options: KLDivLossOptions = {}) {
    super();
  }
  forward(input: TensorLike, target: TensorLike): Tensor {
    return klDivLoss(input, target, this.options);
  }
}

/**
 * cosineEmbeddingLoss as a module (PyTorch's nn.CosineEmbeddingLoss): forward(x1, x2, target).
 *
 * @example
 * ```ts
 * new CosineEmbeddingLoss({ margin: 0.5 }).forward(tensor([[1, 0]]), tensor([[1, 1]]), tensor([-1])).item(); // cos 45° - 0.5 = 0.2071...
 * ```
 */
export class CosineEmbeddingLoss extends Module {
  constructor(readonly options: CosineEmbeddingLossOptions = {}) {
    super();
  }
  forward(input1: TensorLike, input2: TensorLike, target: TensorLike): Tensor {
    return cosineEmbeddingLoss(input1, input2, target, this.options);
  }
}

/** Options of BCELoss: a per-element weight (a buffer, PyTorch's `weight` key) and the reduction. */
export interface BCELossModuleOptions {
  weight?: LossWeight;
  reduction?: Reduction;
}

/**
 * binaryCrossEntropy (on probabilities) as a module (PyTorch's nn.BCELoss).
 *
 * @example
 * ```ts
 * new BCELoss().forward(tensor([0.5]), tensor([1])).item(); // log 2
 * ```
 */
export class BCELoss extends Module {
  readonly weight: NDArray | null;
  readonly reduction: Reduction | undefined;
  constructor({ weight, reduction }: BCELossModuleOptions = {}) {
    super();
    this.weight = weight === undefined ? null : asBuffer(weight);
    if (this.weight) this.registerBuffer("weight", this.weight);
    this.reduction = reduction;
  }
  forward(input: TensorLike, target: TensorLike): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight ?? undefined });
  }
}

/** Options of BCEWithLogitsLoss: weight and posWeight (buffers, PyTorch's `weight` and `pos_weight` keys) and the reduction. */
export interface BCEWithLogitsLossModuleOptions {
  weight?: LossWeight;
  posWeight?: LossWeight;
  reduction?: Reduction;
}

/**
 * binaryCrossEntropyWithLogits as a module (PyTorch's nn.BCEWithLogitsLoss).
 *
 * @example
 * ```ts
 * const loss = new BCEWithLogitsLoss({ posWeight: [2] });
 * Object.keys(loss.stateDict()); // ["pos_weight"]
 * loss.forward(tensor([0]), tensor([1])).item(); // 2 log 2
 * ```
 */
export class BCEWithLogitsLoss extends Module {
  readonly weight: NDArray | null;
  readonly pos_weight: NDArray | null;
  readonly reduction: Reduction | undefined;
  constructor({ weight, posWeight, reduction }: BCEWithLogitsLossModuleOptions = {}) {
    super();
    this.weight = weight === undefined ? null : asBuffer(weight);
    this.pos_weight = posWeight === undefined ? null : asBuffer(posWeight);
    if (this.weight) this.registerBuffer("weight", this.weight);
    if (this.pos_weight) this.registerBuffer("pos_weight", this.pos_weight);
    this.reduction = reduction;
  }
  forward(input: TensorLike, target: TensorLike): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight ?? undefined, posWeight: this.pos_weight ?? undefined });
  }
}

/** Options of NLLLoss and CrossEntropyLoss: a class weight (a buffer, PyTorch's `weight` key), ignoreIndex, the reduction (and CrossEntropyLoss's labelSmoothing). */
export interface ClassLossModuleOptions {
  weight?: LossWeight;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/**
 * nllLoss as a module (PyTorch's nn.NLLLoss): forward(logProbabilities, classIndices).
 *
 * @example
 * ```ts
 * new NLLLoss().forward(tensor([[-1, -2]]), [1]).item(); // 2
 * ```
 */
export class NLLLoss extends Module {
  readonly weight: NDArray | null;
  constructor(readonly options: Omit<ClassLossModuleOptions, "labelSmoothing"> = {}) {
    super();
    this.weight = options.weight === undefined ? null : asBuffer(options.weight);
    if (this.weight) this.registerBuffer("weight", this.weight);
  }
  forward(input: TensorLike, target: ClassTarget): Tensor {
    return nllLoss(input, target, { reduction: this.options.reduction, ignoreIndex: this.options.ignoreIndex, weight: this.weight ?? undefined });
  }
}

/**
 * crossEntropy as a module (PyTorch's nn.CrossEntropyLoss): forward(logits, target), the target
 * class indices or class probabilities.
 *
 * @example
 * ```ts
 * const loss = new CrossEntropyLoss({ weight: [1, 2], labelSmoothing: 0.1 });
 * Object.keys(loss.stateDict()); // ["weight"]
 * loss.forward(tensor([[0, 0]]), [1]).item(); // log 2
 * ```
 */
export class CrossEntropyLoss extends Module {
  readonly weight: NDArray | null;
  constructor(readonly options: ClassLossModuleOptions = {}) {
    super();
    this.weight = options.weight === undefined ? null : asBuffer(options.weight);
    if (this.weight) this.registerBuffer("weight", this.weight);
  }
  forward(input: TensorLike, target: ClassTarget | TensorLike): Tensor {
    const { reduction, ignoreIndex, labelSmoothing } = this.options;
    return crossEntropy(input, target, { reduction, ignoreIndex, labelSmoothing, weight: this.weight ?? undefined });
  }
}
