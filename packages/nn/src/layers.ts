// Small layers: Linear, Embedding, Dropout, activations, Sequential.

import * as nd from "@tapegrad/tensor";
import { RandomState, fmtShape, type DType } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module, Parameter, checkInputDType } from "./module.js";
import { getDefaultRng, normal, uniform } from "./init.js";

/** Options every layer with weights takes: the dtype of its parameters (default float64) and the random stream they are initialised from. */
export interface LayerOptions {
  dtype?: DType;
  /** Where initial weights come from (default: the stream manualSeed sets). */
  rng?: RandomState;
}

/**
 * y = x W^T + b, with PyTorch's layout (weight: (out, in)) and initialisation U(±1/sqrt(in)).
 * The input is (..., inFeatures), any leading dims, and the output (..., outFeatures); another
 * last dim is a ShapeError. `bias: false` leaves out b (bias is then null).
 *
 * @example
 * ```ts
 * const fc = new Linear(3, 2);
 * const y = fc.forward(tensor([[1, 2, 3], [4, 5, 6]])); // shape [2, 2]
 * y.sum().backward();
 * fc.weight.grad!.toArray(); // [[5, 7, 9], [5, 7, 9]]
 * fc.bias!.grad!.toArray(); // [2, 2]
 * ```
 */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true, dtype = "float64", rng = getDefaultRng() }: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    checkSize("Linear", { inFeatures, outFeatures });
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = new Parameter(uniform([outFeatures, inFeatures], bound, rng, dtype));
    this.bias = bias ? new Parameter(uniform([outFeatures], bound, rng, dtype)) : null;
  }

  forward(x: TensorLike): Tensor {
    const t = ag.toTensor(x);
    if (t.shape[t.ndim - 1] !== this.inFeatures) {
      throw new nd.ShapeError(`Linear: input has shape ${fmtShape(t.shape)}, expected last dim ${this.inFeatures}`);
    }
    checkInputDType("Linear", t, this.weight);
    const y = ag.matmul(t, this.weight.T);
    return this.bias ? y.add(this.bias) : y;
  }
}

/** A lookup table: ids (any shape, int32) to rows of weight (num, dim), initialised N(0, 1). */
export class Embedding extends Module {
  weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    { dtype = "float64", rng = getDefaultRng() }: LayerOptions = {},
  ) {
    super();
    checkSize("Embedding", { numEmbeddings, embeddingDim });
    this.weight = new Parameter(normal([numEmbeddings, embeddingDim], 1, rng, dtype));
  }

  /** ids: integers in [0, numEmbeddings); the result has shape ids.shape + [embeddingDim]. */
  forward(ids: nd.Indices | Tensor): Tensor {
    const raw = ids instanceof Tensor ? ids.data : ids;
    // An id is a row number, as in PyTorch: numpy's take would wrap -1 to the last row.
    const idx = nd.toIndexArray("Embedding", raw, this.numEmbeddings);
    const flat = typeof raw === "number" ? [raw] : raw instanceof nd.NDArray ? raw.toFlat() : raw;
    for (const v of flat) {
      if (v < 0) throw new nd.IndexError(`Embedding: id ${v} is out of range for ${this.numEmbeddings} embeddings`);
    }
    return ag.take(this.weight, idx, 0);
  }
}

/**
 * Zeroes each element with probability p while training, scaling the rest by 1/(1-p) so that
 * the expectation is unchanged; the identity in eval mode. p = 1 zeroes everything (PyTorch
 * accepts p in [0, 1]).
 */
export class Dropout extends Module {
  /** Without an rng option, masks come from the default stream at call time, so manualSeed reaches them. */
  private readonly rng: RandomState | undefined;

  constructor(readonly p = 0.5, { rng }: { rng?: RandomState } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new nd.ValueError(`Dropout: p must be in [0, 1], got ${p}`);
    this.rng = rng;
  }

  forward(x: TensorLike): Tensor {
    const t = ag.toTensor(x);
    // a compiled step replays the path taken here: it traces again if the mode changes between calls
    nd.traceGuard("Dropout.training", () => this.training);
    if (!this.training || this.p === 0) return t;
    if (this.p === 1) return t.mul(new Tensor(nd.zeros(t.shape, t.dtype)));
    const keep = nd.ge((this.rng ?? getDefaultRng()).rand(...t.shape), this.p).astype(t.dtype);
    nd.mul(keep, 1 / (1 - this.p), keep);
    return t.mul(new Tensor(keep));
  }
}

/** max(x, 0) elementwise, as a module (PyTorch's nn.ReLU); see autograd's relu. */
export class ReLU extends Module {
  forward(x: TensorLike): Tensor { return ag.relu(x); }
}
/** tanh(x) elementwise, as a module (PyTorch's nn.Tanh). */
export class Tanh extends Module {
  forward(x: TensorLike): Tensor { return ag.tanh(x); }
}
/** 1 / (1 + e^-x) elementwise, as a module (PyTorch's nn.Sigmoid). */
export class Sigmoid extends Module {
  forward(x: TensorLike): Tensor { return ag.sigmoid(x); }
}

// Sequential lives with the other containers; re-exported here, where it used to be.
export { Sequential } from "./containers.js";

export function checkSize(op: string, sizes: Record<string, number>): void {
  for (const [k, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v <= 0) throw new nd.ValueError(`${op}: ${k} must be a positive integer, got ${v}`);
  }
}
