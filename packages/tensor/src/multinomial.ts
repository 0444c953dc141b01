// multinomial: category indices drawn from rows of non-negative weights (torch.multinomial), from
// a seeded RandomState, so that a text sampler draws the same characters each run.

import { NDArray } from "./ndarray.js";
import { RandomState } from "./random.js";
import { getDefaultRng } from "./default-rng.js";
import { kernel } from "./kernel.js";
import { isFloat } from "./dtype.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "./errors.js";

/** Options of multinomial: whether a category can be drawn more than once (default false, as PyTorch), and the random stream. */
export interface MultinomialOptions {
  replacement?: boolean;
  /** Where the uniform draws come from (default: the stream manualSeed sets). */
  rng?: RandomState;
}

/** The first index whose running sum exceeds u, skipping zero weights; `last` if rounding leaves u at the total. */
function search(cum: Float64Array, lo: number, hi: number, u: number, last: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! <= u) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, last);
}

const draw = kernel("multinomial", function multinomial(probs: NDArray, n: number, replacement: boolean, rng: RandomState): NDArray {
  const C = probs.shape[probs.ndim - 1]!;
  const rows = probs.ndim === 1 ? 1 : probs.shape[0]!;
  const p = Float64Array.from(probs.toFlat());
  const out = new Int32Array(rows * n);
  const cum = new Float64Array(C);
  const lastPositive = new Int32Array(rows);
  // every row is checked before the first draw, so a bad row leaves the stream where it was
  for (let r = 0; r < rows; r++) {
    const row = p.subarray(r * C, (r + 1) * C);
    const where = probs.ndim === 1 ? "" : ` in row ${r}`;
    let total = 0;
    let positive = 0;
    for (let c = 0; c < C; c++) {
      const v = row[c]!;
      if (Number.isNaN(v) || v === Infinity) throw new ValueError(`multinomial: probabilities must be finite, got ${v} at category ${c}${where} (probs ${fmtShape(probs.shape)})`);
      if (v < 0) throw new ValueError(`multinomial: probabilities must be non-negative, got ${v} at category ${c}${where} (probs ${fmtShape(probs.shape)})`);
      if (v > 0) {
        positive++;
        lastPositive[r] = c;
      }
      total += v;
    }
    if (!(total > 0)) throw new ValueError(`multinomial: probabilities sum to ${total}${where}; at least one must be positive (probs ${fmtShape(probs.shape)})`);
    if (!Number.isFinite(total)) throw new ValueError(`multinomial: probabilities${where} sum to ${total}, too large to normalise (probs ${fmtShape(probs.shape)})`);
    if (!replacement && positive < n) {
      throw new ValueError(`multinomial: cannot draw ${n} samples without replacement from ${positive} categories of positive probability${where} (probs ${fmtShape(probs.shape)})`);
    }
  }
  for (let r = 0; r < rows; r++) {
    const row = p.subarray(r * C, (r + 1) * C);
    if (replacement) {
      // inverse CDF: one uniform u per draw, the first category whose running sum exceeds u * total
      let s = 0;
      for (let c = 0; c < C; c++) cum[c] = s += row[c]!;
      for (let i = 0; i < n; i++) out[r * n + i] = search(cum, 0, C, rng.randomSample() * s, lastPositive[r]!);
    } else {
      // one category after another, each by inverse CDF over the weights not yet drawn (a drawn
      // category's weight becomes 0): PyTorch's semantics of sampling without replacement
      const w = Float64Array.from(row);
      for (let i = 0; i < n; i++) {
        let s = 0;
        let last = -1;
        for (let c = 0; c < C; c++) {
          cum[c] = s += w[c]!;
          if (w[c]! > 0) last = c;
        }
        const k = search(cum, 0, C, rng.randomSample() * s, last);
        out[r * n + i] = k;
        w[k] = 0;
      }
    }
  }
  return new NDArray(out, probs.ndim === 1 ? [n] : [rows, n]);
});

/**
 * n category indices per row of `probs` (torch.multinomial): probs is (C) or (batch, C) of
 * non-negative weights (they need not sum to 1); the result is int32 (n) or (batch, n).
 *
 * With replacement, each draw is by inverse CDF: a uniform u in [0, 1) from the rng, and the
 * first category whose running sum of weights exceeds u times the total, so a category of weight
 * 0 is never drawn. Without replacement (the default, as PyTorch), the categories are drawn one
 * after another, each by inverse CDF over the weights not yet drawn; n may not exceed the number
 * of positive weights. A negative, NaN or infinite weight, or a row of zeros, is a ValueError
 * naming the row and category.
 *
 * @example
 * ```ts
 * const rng = new RandomState(0);
 * multinomial(array([0.1, 0, 0.9]), 5, { replacement: true, rng }).toArray(); // five of 0 and 2, mostly 2, never 1
 * multinomial(array([[1, 1, 1, 1]]), 4, { rng }).shape; // [1, 4]: a permutation of 0..3
 * ```
 */
export function multinomial(probs: NDArray, n: number, options: MultinomialOptions = {}): NDArray {
  const { replacement = false, rng = getDefaultRng() } = options;
  if (!(probs instanceof NDArray)) throw new ValueError(`multinomial: probs must be an NDArray, got ${typeof probs}`);
  if (!isFloat(probs.dtype)) throw new DTypeError(`multinomial: probs must be float32 or float64, got ${probs.dtype}`);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new ShapeError(`multinomial: probs must be (C) or (batch, C), got ${fmtShape(probs.shape)}`);
  if (probs.shape[probs.ndim - 1] === 0) throw new ShapeError(`multinomial: probs has no categories (shape ${fmtShape(probs.shape)})`);
  if (!Number.isInteger(n) || n <= 0) throw new ValueError(`multinomial: the number of samples must be a positive integer, got ${n}`);
  if (!replacement && n > probs.shape[probs.ndim - 1]!) {
    throw new ValueError(`multinomial: cannot draw ${n} samples without replacement from ${probs.shape[probs.ndim - 1]} categories (probs ${fmtShape(probs.shape)})`);
  }
  if (!(rng instanceof RandomState)) throw new ValueError("multinomial: rng must be a RandomState");
  return draw(probs, n, replacement, rng);
}
