// Gradient clipping by the global norm, as torch.nn.utils.clip_grad_norm_: one norm over all
// parameters' gradients together, and every gradient scaled by the same factor.

import * as nd from "@tapegrad/tensor";
import { NDArray, ValueError, fmtShape } from "@tapegrad/tensor";
import { walk } from "@tapegrad/tensor/internal";
import { Tensor } from "@tapegrad/autograd";

export interface ClipGradNormOptions {
  /** The norm's order: 2 (the default), any p > 0, or Infinity (the largest magnitude). */
  normType?: number;
  /** Throw, leaving the gradients as they were, when the total norm is NaN or infinite. */
  errorIfNonfinite?: boolean;
}

function norm(a: NDArray, p: number): number {
  let acc = 0;
  walk(a.shape, [a.strides], [a.offset], (pos, n, inner) => {
    const d = a.data;
    for (let i = 0, q = pos[0]!, s = inner[0]!; i < n; i++, q += s) {
      const v = Math.abs(d[q]!);
      if (p === Infinity) acc = v > acc || v !== v ? v : acc;
      else if (p === 2) acc += v * v;
      else if (p === 1) acc += v;
      else acc += v ** p;
    }
  });
  return p === Infinity || p === 1 ? acc : p === 2 ? Math.sqrt(acc) : acc ** (1 / p);
}

function combine(norms: readonly number[], p: number): number {
  if (p === Infinity) return norms.reduce((m, v) => (v > m || v !== v ? v : m), 0);
  let acc = 0;
  for (const v of norms) acc += p === 2 ? v * v : v ** p;
  return p === 2 ? Math.sqrt(acc) : acc ** (1 / p);
}

/**
 * Computes the norm of all gradients together (the norm of the per-parameter norms, as
 * PyTorch does), and when maxNorm / (norm + 1e-6) < 1 multiplies every gradient by that
 * factor, in place. Parameters without a gradient are ignored. Returns the norm before
 * clipping. As in PyTorch, a NaN norm (without errorIfNonfinite) turns the gradients to NaN.
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const op = "clipGradNorm";
  const p = options.normType ?? 2;
  if (typeof p !== "number" || !(p > 0)) throw new ValueError(`${op}: normType must be a positive number or Infinity, got ${String(p)}`);
  if (typeof maxNorm !== "number" || !(maxNorm >= 0)) throw new ValueError(`${op}: maxNorm must be a non-negative number, got ${String(maxNorm)}`);
  const list = params instanceof Tensor ? [params] : Array.from(params);
  const withGrad = list.filter((t) => t.grad !== null);
  if (withGrad.length === 0) return 0;
  const norms = withGrad.map((t) => norm(t.grad!, p));
  const total = combine(norms, p);
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    const bad = withGrad
      .map((t, i) => (Number.isFinite(norms[i]!) ? null : `parameter ${list.indexOf(t)} (shape ${fmtShape(t.shape)})`))
      .filter((s) => s !== null);
    throw new ValueError(
      `${op}: the total norm of order ${p} of the gradients is ${total}, so they cannot be clipped; ` +
        `non-finite gradients in ${bad.join(", ")}. The gradients were left as they were ` +
        `(pass errorIfNonfinite: false to scale them by the non-finite norm anyway)`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  // PyTorch multiplies by min(coef, 1); multiplying by 1 changes nothing, so skip it.
  if (!(coef >= 1)) {
    for (const t of withGrad) {
      const g = t.grad!;
      if (g.writable) nd.mul(g, coef, g);
      else t.grad = nd.mul(g, coef); // a broadcast view cannot be written element by element
    }
  }
  return total;
}
