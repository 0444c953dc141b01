// TransformerEncoderLayer with PyTorch's keys (self_attn.*, linear1, linear2, norm1, norm2),
// defaults and both orders (post-norm, PyTorch's default, and normFirst).

import { ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module } from "./module.js";
import { getDefaultRng } from "./init.js";
import { Dropout, Linear, type LayerOptions } from "./layers.js";
import { LayerNorm } from "./norm.js";
import { MultiheadAttention, type AttentionMask } from "./attention.js";
import { gelu } from "./activations.js";

export interface TransformerEncoderLayerOptions extends LayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: "relu" | "gelu";
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm: x + sa(norm1(x)), then x + ff(norm2(x)). Default post-norm: norm1(x + sa(x)), ... */
  normFirst?: boolean;
  bias?: boolean;
}

export interface EncoderForwardOptions {
  srcMask?: AttentionMask;
  srcKeyPaddingMask?: AttentionMask;
  isCausal?: boolean;
}

export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: "relu" | "gelu";

  constructor(readonly dModel: number, readonly nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const {
      dimFeedforward = 2048, dropout = 0.1, activation = "relu", layerNormEps = 1e-5, batchFirst = false, normFirst = false,
      bias = true, dtype = "float64", rng = getDefaultRng(),
    } = options;
    if (activation !== "relu" && activation !== "gelu") throw new ValueError(`TransformerEncoderLayer: activation must be "relu" or "gelu", got ${JSON.stringify(activation)}`);
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, dtype, rng });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, dtype, rng });
    this.dropout = new Dropout(dropout, { rng });
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, dtype, rng });
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias, dtype });
    this.dropout1 = new Dropout(dropout, { rng });
    this.dropout2 = new Dropout(dropout, { rng });
    this.normFirst = normFirst;
    this.activation = activation;
  }

  private sa(x: Tensor, o: EncoderForwardOptions): Tensor {
    const [y] = this.self_attn.forward(x, x, x, {
      ...(o.srcMask !== undefined ? { attnMask: o.srcMask } : {}),
      ...(o.srcKeyPaddingMask !== undefined ? { keyPaddingMask: o.srcKeyPaddingMask } : {}),
      isCausal: o.isCausal ?? false,
      needWeights: false,
    });
    return this.dropout1.forward(y);
  }

  private ff(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    const a = this.activation === "relu" ? ag.relu(h) : gelu(h);
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
  }

  /** src (S, N, E), or (N, S, E) with batchFirst, or (S, E); the output has its shape. */
  forward(src: TensorLike, options: EncoderForwardOptions = {}): Tensor {
    let x = ag.toTensor(src);
    if (this.normFirst) {
      x = ag.add(x, this.sa(this.norm1.forward(x), options));
      return ag.add(x, this.ff(this.norm2.forward(x)));
    }
    x = this.norm1.forward(ag.add(x, this.sa(x, options)));
    return this.norm2.forward(ag.add(x, this.ff(x)));
  }
}
