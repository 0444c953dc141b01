// MultiheadAttention with PyTorch's keys (in_proj_weight, in_proj_bias, out_proj.*), shapes,
// defaults and initialisation: scaled dot-product attention per head, composed of matmul,
// softmax and reshapes, with key-padding and attention masks.

import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module, Parameter, checkInputDType } from "./module.js";
import { getDefaultRng, uniform } from "./init.js";
import { checkSize, Dropout, Linear, type LayerOptions } from "./layers.js";

/** Options of MultiheadAttention, with PyTorch's defaults: dropout 0, bias true, batchFirst false, plus LayerOptions (dtype, rng). */
export interface MultiheadAttentionOptions extends LayerOptions {
  /** Dropout on the attention weights while training. */
  dropout?: number;
  bias?: boolean;
  /** Inputs and output are (batch, seq, embed) instead of (seq, batch, embed). */
  batchFirst?: boolean;
}

/** A mask: bool (true = may not attend) or float (added to the scores, -inf to forbid). */
export type AttentionMask = NDArray | Tensor;

/** Per-call options of MultiheadAttention.forward: masks (key padding, attention, causal) and which attention weights to return. */
export interface AttentionForwardOptions {
  /** (batch, S) or (S) unbatched: which keys are padding. */
  keyPaddingMask?: AttentionMask;
  /** (L, S) or (batch * numHeads, L, S). */
  attnMask?: AttentionMask;
  /** Return the attention weights (default true); false returns null in their place. */
  needWeights?: boolean;
  /** Average the weights over heads (default true): (batch, L, S); else (batch, numHeads, L, S). */
  averageAttnWeights?: boolean;
  /** A causal mask (key j > query i forbidden), alone or with attnMask. */
  isCausal?: boolean;
}

/** A mask as an additive float array: 0 where attending is allowed, -inf (bool) or its value (float). */
function additive(m: AttentionMask, dtype: nd.DType): NDArray {
  const a = m instanceof Tensor ? m.data : m;
  if (a.dtype === "bool") return nd.where(a, -Infinity, 0).astype(dtype);
  return a.astype(dtype);
}

/** A causal mask of n x n: 0 on and below the diagonal, -inf above (torch's generate_square_subsequent_mask). */
export const causalMask = nd.kernel("causalMask", (n: number, dtype: nd.DType = "float64"): NDArray => {
  const m = nd.zeros([n, n], dtype);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) m.data[i * n + j] = -Infinity;
  return m;
});

/**
 * Multi-head scaled dot-product attention (PyTorch's nn.MultiheadAttention), with its
 * state-dict keys (in_proj_weight, in_proj_bias, out_proj.*) and initialisation. forward(query,
 * key, value, options?) -> [output, weights or null]. embedDim must be divisible by numHeads
 * (else a ValueError); shapes that do not fit are a ShapeError.
 *
 * @example
 * ```ts
 * const mha = new MultiheadAttention(8, 2, { batchFirst: true });
 * const x = tensor(nd.zeros([3, 5, 8])); // (batch, seq, embed)
 * const [out, weights] = mha.forward(x, x, x, { isCausal: true });
 * out.shape; // [3, 5, 8]
 * weights!.shape; // [3, 5, 5], averaged over the heads
 * ```
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropoutP: number;
  readonly #dropout: Dropout;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    { dropout = 0, bias = true, batchFirst = false, dtype = "float64", rng: given }: MultiheadAttentionOptions = {},
  ) {
    super();
    checkSize("MultiheadAttention", { embedDim, numHeads });
    if (embedDim % numHeads !== 0) throw new ValueError(`MultiheadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    if (!(dropout >= 0 && dropout <= 1)) throw new ValueError(`MultiheadAttention: dropout must be in [0, 1], got ${dropout}`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = batchFirst;
    this.dropoutP = dropout;
    // without an rng option the masks come from the default stream at call time (manualSeed reaches them)
    this.#dropout = new Dropout(dropout, given ? { rng: given } : {});
    const rng = given ?? getDefaultRng();
    // PyTorch: xavier_uniform on the stacked (3E, E) projection, zero biases, out_proj's weight as a Linear's
    this.in_proj_weight = new Parameter(uniform([3 * embedDim, embedDim], Math.sqrt(6 / (4 * embedDim)), rng, dtype));
    this.in_proj_bias = bias ? new Parameter(nd.zeros([3 * embedDim], dtype)) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, dtype, rng });
    if (this.out_proj.bias) this.out_proj.bias.data.fill(0);
  }

  private project(x: Tensor, k: number): Tensor {
    const E = this.embedDim;
    const w = ag.slice(this.in_proj_weight, [[k * E, (k + 1) * E]]);
    const y = ag.matmul(x, ag.transpose(w));
    return this.in_proj_bias ? ag.add(y, ag.slice(this.in_proj_bias, [[k * E, (k + 1) * E]])) : y;
  }

  /**
   * query (L, N, E), key and value (S, N, E) (batch first: (N, L, E), (N, S, E); unbatched:
   * (L, E), (S, E)). Returns [output like query, weights or null].
   */
  forward(query: TensorLike, key: TensorLike, value: TensorLike, options: AttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const { needWeights = true, averageAttnWeights = true, isCausal = false } = options;
    const E = this.embedDim;
    const H = this.numHeads;
    let [q, k, v] = [ag.toTensor(query), ag.toTensor(key), ag.toTensor(value)];
    const shapes = `query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)}, value ${fmtShape(v.shape)}`;
    const unbatched = q.ndim === 2;
    if (![q, k, v].every((t) => t.ndim === q.ndim && (t.ndim === 2 || t.ndim === 3) && t.shape[t.ndim - 1] === E)) {
      throw new ShapeError(`MultiheadAttention: query, key and value must all be ${this.batchFirst ? "(batch, seq" : "(seq, batch"}, ${E}) or (seq, ${E}), got ${shapes}`);
    }
    checkInputDType("MultiheadAttention", q, this.in_proj_weight, "query");
    checkInputDType("MultiheadAttention", k, this.in_proj_weight, "key");
    checkInputDType("MultiheadAttention", v, this.in_proj_weight, "value");
    if (unbatched) [q, k, v] = [q, k, v].map((t) => ag.unsqueeze(t, 1)) as [Tensor, Tensor, Tensor];
    else if (this.batchFirst) [q, k, v] = [q, k, v].map((t) => ag.permute(t, [1, 0, 2])) as [Tensor, Tensor, Tensor];
    const [L, N] = [q.shape[0]!, q.shape[1]!];
    const S = k.shape[0]!;
    if (k.shape[1] !== N || v.shape[1] !== N || v.shape[0] !== S) throw new ShapeError(`MultiheadAttention: batch or key/value lengths differ: ${shapes}`);
    const mask = this.maskOf(options, L, S, N, q.dtype, unbatched, isCausal);
    // (T, N, E) -> (N*H, T, hd), heads beside the batch, as PyTorch lays them out
    const heads = (t: Tensor, T: number) => ag.permute(ag.reshape(t, [T, N * H, this.headDim]), [1, 0, 2]);
    const qh = heads(ag.mul(this.project(q, 0), 1 / Math.sqrt(this.headDim)), L);
    const kh = heads(this.project(k, 1), S);
    const vh = heads(this.project(v, 2), S);
    let scores = ag.matmul(qh, ag.permute(kh, [0, 2, 1]));
    if (mask) scores = ag.add(scores, new Tensor(mask));
    let attn = ag.softmax(scores, -1);
    this.#dropout.training = this.training;
    if (this.dropoutP > 0) attn = this.#dropout.forward(attn);
    const ctx = ag.reshape(ag.permute(ag.matmul(attn, vh), [1, 0, 2]), [L, N, E]);
    let out = this.out_proj.forward(ctx);
    if (unbatched) out = ag.squeeze(out, 1);
    else if (this.batchFirst) out = ag.permute(out, [1, 0, 2]);
    if (!needWeights) return [out, null];
    // the weights as applied, after dropout (as PyTorch returns them)
    let w = ag.reshape(attn, [N, H, L, S]);
    if (averageAttnWeights) w = ag.mean(w, 1);
    if (unbatched) w = ag.squeeze(w, 0);
    return [out, w];
  }

  /** The masks as one additive (N*H, L, S) or (L, S) array, or null; shapes checked against PyTorch's. */
  private maskOf(o: AttentionForwardOptions, L: number, S: number, N: number, dtype: nd.DType, unbatched: boolean, isCausal: boolean): NDArray | null {
    const H = this.numHeads;
    let total: NDArray | null = null;
    const plus = (m: NDArray) => (total = total === null ? m : nd.add(total, m));
    if (o.attnMask !== undefined) {
      const m = additive(o.attnMask, dtype);
      const ok = nd.shapesEqual(m.shape, [L, S]) || nd.shapesEqual(m.shape, [N * H, L, S]);
      if (!ok) throw new ShapeError(`MultiheadAttention: attnMask has shape ${fmtShape(m.shape)}, expected [${L},${S}] or [${N * H},${L},${S}]`);
      plus(m);
    }
    if (isCausal) {
      if (L !== S) throw new ShapeError(`MultiheadAttention: isCausal needs as many queries as keys, got ${L} and ${S}`);
      plus(causalMask(L, dtype));
    }
    if (o.keyPaddingMask !== undefined) {
      const m = additive(o.keyPaddingMask, dtype);
      const want = unbatched ? [S] : [N, S];
      if (!nd.shapesEqual(m.shape, want)) throw new ShapeError(`MultiheadAttention: keyPaddingMask has shape ${fmtShape(m.shape)}, expected ${fmtShape(want)}`);
      // (N, S) -> (N, H, 1, S) -> (N*H, 1, S)
      plus(nd.reshape(nd.broadcastTo(nd.reshape(m, [N, 1, 1, S]), [N, H, 1, S]), [N * H, 1, S]));
    }
    return total;
  }
}

/** Options of scaledDotProductAttention (torch.nn.functional.scaled_dot_product_attention's, in camelCase). */
export interface SDPAOptions {
  /**
   * Broadcast to (..., L, S): bool (true = may attend, as PyTorch's function; note that
   * MultiheadAttention's bool masks mean the opposite) or float (added to the scores, -inf to forbid).
   */
  attnMask?: AttentionMask;
  /** A causal mask: query i attends to keys 0..i (the top-left triangle when L differs from S, as PyTorch's tril). Not with attnMask. */
  isCausal?: boolean;
  /** Dropout on the attention weights, applied whenever > 0 (a function has no training mode). */
  dropoutP?: number;
  /** The factor on q k^T (default 1 / sqrt(E)). */
  scale?: number;
  /** Where dropout masks come from (default: the stream manualSeed sets). */
  rng?: nd.RandomState;
}

/**
 * softmax(q k^T scale + mask) v, as torch.nn.functional.scaled_dot_product_attention (PyTorch 2's
 * formula): q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev), leading dims
 * broadcast. A row whose keys are all masked is NaN, as in PyTorch. Composed of matmul, softmax
 * and where, so every input gets its gradient.
 *
 * @example
 * ```ts
 * const q = tensor(nd.ones([2, 4, 8])); // (batch, L, E)
 * const out = scaledDotProductAttention(q, q, tensor(nd.ones([2, 4, 3])), { isCausal: true });
 * out.shape; // [2, 4, 3]
 * ```
 */
export function scaledDotProductAttention(query: TensorLike, key: TensorLike, value: TensorLike, options: SDPAOptions = {}): Tensor {
  const { attnMask, isCausal = false, dropoutP = 0, scale, rng } = options;
  const [q, k, v] = [ag.toTensor(query), ag.toTensor(key), ag.toTensor(value)];
  const shapes = `query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)}, value ${fmtShape(v.shape)}`;
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) throw new ShapeError(`scaledDotProductAttention: query, key and value need at least 2 dims (..., seq, features), got ${shapes}`);
  const [L, E] = q.shape.slice(-2) as [number, number];
  const S = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== E || v.shape[v.ndim - 2] !== S) {
    throw new ShapeError(`scaledDotProductAttention: key must be (..., S, ${E}) and value (..., S, Ev) with the same S, got ${shapes}`);
  }
  if (!(dropoutP >= 0 && dropoutP <= 1)) throw new ValueError(`scaledDotProductAttention: dropoutP must be in [0, 1], got ${dropoutP}`);
  if (scale !== undefined && !Number.isFinite(scale)) throw new ValueError(`scaledDotProductAttention: scale must be a finite number, got ${scale}`);
  if (isCausal && attnMask !== undefined) throw new ValueError("scaledDotProductAttention: give attnMask or isCausal, not both (as PyTorch)");
  let scores = ag.mul(ag.matmul(q, ag.transpose(k, [...Array(k.ndim - 2).keys(), k.ndim - 1, k.ndim - 2])), scale ?? 1 / Math.sqrt(E));
  let mask: NDArray | null = null;
  let addMask: Tensor | null = null;
  if (isCausal) mask = nd.triu(nd.full([L, S], -Infinity, q.dtype), 1);
  else if (attnMask !== undefined) {
    const m = attnMask instanceof Tensor ? attnMask.data : attnMask;
    let ok = true;
    try {
      ok = nd.shapesEqual(nd.broadcastShapes("scaledDotProductAttention", m.shape, scores.shape), scores.shape);
    } catch {
      ok = false;
    }
    if (!ok) throw new ShapeError(`scaledDotProductAttention: attnMask of shape ${fmtShape(m.shape)} does not broadcast to the scores' shape ${fmtShape(scores.shape)} (${shapes})`);
    if (m.dtype === "bool") mask = nd.where(m, 0, -Infinity).astype(q.dtype);
    // an additive float mask is an input like the others: its gradient is the scores' (PyTorch's)
    else addMask = attnMask instanceof Tensor && m.dtype === q.dtype ? attnMask : new Tensor(m.astype(q.dtype));
  }
  if (mask) scores = ag.add(scores, new Tensor(mask));
  if (addMask) scores = ag.add(scores, addMask);
  let attn = ag.softmax(scores, -1);
  if (dropoutP > 0) {
    const keep = dropoutP === 1 ? nd.zeros(attn.shape, attn.dtype) : nd.ge((rng ?? getDefaultRng()).rand(...attn.shape), dropoutP).astype(attn.dtype);
    if (dropoutP < 1) nd.mul(keep, 1 / (1 - dropoutP), keep);
    attn = ag.mul(attn, new Tensor(keep));
  }
  return ag.matmul(attn, v);
}
