// Sampling the next token of a language model from its logits: temperature, top-k and top-p
// (nucleus) filtering, then one multinomial draw per row from a seeded stream.

import * as nd from "@tapegrad/tensor";
import { DTypeError, NDArray, RandomState, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import { Tensor } from "@tapegrad/autograd";

/** Options of sampleLogits: the temperature (default 1; 0 picks the largest logit), top-k and top-p filtering (off by default), and the random stream. */
export interface SampleOptions {
  /** Logits are divided by it before the softmax: below 1 sharpens, above 1 flattens; 0 is greedy (the first largest logit, no draw). */
  temperature?: number;
  /** Keep only the k largest logits of each row (and any tied with the k-th). */
  topK?: number;
  /** Keep the most probable tokens whose probabilities together first reach p, in (0, 1]. */
  topP?: number;
  /** Where the draws come from (default: the stream manualSeed sets). */
  rng?: RandomState;
}

function rowsOf(op: string, logits: NDArray | Tensor): NDArray {
  const a = logits instanceof Tensor ? logits.data : logits;
  if (!(a instanceof NDArray)) throw new ValueError(`${op}: logits must be an NDArray or a Tensor`);
  if (!nd.isFloat(a.dtype)) throw new DTypeError(`${op}: logits must be float32 or float64, got ${a.dtype}`);
  if (a.ndim < 1 || a.shape[a.ndim - 1] === 0) throw new ShapeError(`${op}: logits must be (..., vocab) with a non-empty last dim, got ${fmtShape(a.shape)}`);
  return a;
}

/** The logits in float64 as rows of the last dim, and how many. */
function flatRows(a: NDArray): [Float64Array, number, number] {
  const V = a.shape[a.ndim - 1]!;
  return [Float64Array.from(a.toFlat()), a.size / V, V];
}

const topKKernel = nd.kernel("sampling.topK", (a: NDArray, k: number): NDArray => {
  const [v, rows, V] = flatRows(a);
  const out = new Float64Array(v.length);
  for (let r = 0; r < rows; r++) {
    const row = v.subarray(r * V, (r + 1) * V);
    const kth = Float64Array.from(row).sort((x, y) => y - x)[Math.min(k, V) - 1]!;
    for (let i = 0; i < V; i++) out[r * V + i] = row[i]! >= kth ? row[i]! : -Infinity;
  }
  return new NDArray(out, a.shape).astype(a.dtype);
});

/**
 * The logits with all but the k largest of each row (along the last dim) set to -inf; logits
 * tied with the k-th largest are kept too. k at least the vocabulary keeps everything.
 *
 * @example
 * ```ts
 * topKFilter(nd.array([1, 3, 2, 0]), 2).toArray(); // [-Infinity, 3, 2, -Infinity]
 * ```
 */
export function topKFilter(logits: NDArray | Tensor, k: number): NDArray {
  const a = rowsOf("topKFilter", logits);
  if (!Number.isInteger(k) || k < 1) throw new ValueError(`topKFilter: k must be a positive integer, got ${k}`);
  return topKKernel(a, k);
}

const topPKernel = nd.kernel("sampling.topP", (a: NDArray, p: number): NDArray => {
  const [v, rows, V] = flatRows(a);
  const out = new Float64Array(v.length).fill(-Infinity);
  const order = new Int32Array(V);
  for (let r = 0; r < rows; r++) {
    const row = v.subarray(r * V, (r + 1) * V);
    let m = -Infinity;
    for (const x of row) m = Math.max(m, x);
    const e = row.map((x) => Math.exp(x - m));
    const total = e.reduce((s, x) => s + x, 0);
    for (let i = 0; i < V; i++) order[i] = i;
    // most probable first; equal ones in index order
    order.sort((i, j) => e[j]! - e[i]! || i - j);
    let cum = 0;
    for (const i of order) {
      if (cum >= p) break;
      out[r * V + i] = row[i]!;
      cum += e[i]! / total;
    }
  }
  return new NDArray(out, a.shape).astype(a.dtype);
});

/**
 * Nucleus filtering: per row, the logits of the most probable tokens (under softmax) whose
 * probabilities together first reach p are kept, the rest set to -inf. The most probable token is
 * always kept; p = 1 keeps every token of positive probability.
 *
 * @example
 * ```ts
 * // probabilities [0.5, 0.3, 0.2] (as logs): the first two reach 0.7
 * topPFilter(nd.log(nd.array([0.5, 0.3, 0.2])), 0.7).toArray(); // [log 0.5, log 0.3, -Infinity]
 * ```
 */
export function topPFilter(logits: NDArray | Tensor, p: number): NDArray {
  const a = rowsOf("topPFilter", logits);
  if (!(p > 0 && p <= 1)) throw new ValueError(`topPFilter: p must be in (0, 1], got ${p}`);
  return topPKernel(a, p);
}

/**
 * One token per row of logits (..., vocab): the logits divided by the temperature, filtered by
 * topK then topP, turned into probabilities by softmax, and one category drawn per row by
 * multinomial (inverse CDF on a uniform draw). Returns int32 of shape logits.shape without its
 * last dim (0-d for one row of logits). Temperature 0 takes the largest logit instead.
 *
 * @example
 * ```ts
 * const rng = new RandomState(0);
 * sampleLogits(nd.array([2, 1, 0.1, -1]), { temperature: 0.8, topK: 3, topP: 0.9, rng }).item(); // 0 or 1 (or 2): never 3
 * sampleLogits(nd.array([[2, 5], [7, 1]]), { temperature: 0 }).toArray(); // [1, 0]: greedy
 * ```
 */
export function sampleLogits(logits: NDArray | Tensor, options: SampleOptions = {}): NDArray {
  const { temperature = 1, topK, topP, rng } = options;
  let a = rowsOf("sampleLogits", logits);
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new ValueError(`sampleLogits: temperature must be a non-negative number, got ${temperature}`);
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw new ValueError(`sampleLogits: topK must be a positive integer, got ${topK}`);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new ValueError(`sampleLogits: topP must be in (0, 1], got ${topP}`);
  const lead = a.shape.slice(0, -1);
  if (temperature === 0) return nd.argmax(a, -1);
  a = nd.div(a.astype("float64"), temperature);
  if (topK !== undefined) a = topKKernel(a, topK);
  if (topP !== undefined) a = topPKernel(a, topP);
  const probs = nd.softmax(a.reshape([-1, a.shape[a.ndim - 1]!]), -1);
  return nd.multinomial(probs, 1, { replacement: true, rng }).reshape(lead);
}
