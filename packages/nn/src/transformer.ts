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

/** Options of TransformerEncoderLayer, with PyTorch's defaults: dimFeedforward 2048, dropout 0.1, activation "relu", layerNormEps 1e-5, batchFirst false, normFirst false, bias true. */
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

/** Per-call options of TransformerEncoderLayer.forward: the attention mask, the key-padding mask and isCausal, passed to its self-attention (MultiheadAttention's attnMask, keyPaddingMask, isCausal). */
export interface EncoderForwardOptions {
  srcMask?: AttentionMask;
  srcKeyPaddingMask?: AttentionMask;
  isCausal?: boolean;
}

/**
 * One transformer encoder block (PyTorch's nn.TransformerEncoderLayer): self-attention, then a
 * feed-forward network (linear1, activation, linear2), each with dropout, a residual connection and
 * a LayerNorm, after (the default) or before (normFirst) the sublayer. State-dict keys are
 * PyTorch's; forward(src, options?) keeps src's shape.
 *
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
 * layer.eval(); // no dropout
 * layer.forward(tensor(nd.zeros([3, 5, 8]))).shape; // [3, 5, 8]
 * ```
 */
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
      bias = true, dtype = "float64", rng: given,
    } = options;
    // the weights are drawn now; dropout masks without an rng option come from the default
    // stream at call time, so that manualSeed reaches them, as for a plain Dropout
    const rng = given ?? getDefaultRng();
    const masks = given ? { rng: given } : {};
    if (activation !== "relu" && activation !== "gelu") throw new ValueError(`TransformerEncoderLayer: activation must be "relu" or "gelu", got ${JSON.stringify(activation)}`);
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, dtype, ...(given ? { rng } : {}) });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, dtype, rng });
    this.dropout = new Dropout(dropout, masks);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, dtype, rng });
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias, dtype });
    this.dropout1 = new Dropout(dropout, masks);
    this.dropout2 = new Dropout(dropout, masks);
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
