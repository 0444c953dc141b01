// Gradient clipping, as torch.nn.utils does it: by the global norm (clip_grad_norm_: one norm
// over all parameters' gradients together, and every gradient scaled by the same factor), and
// by value (clip_grad_value_: each element clamped).

import * as nd from "@tapegrad/tensor";
import { NDArray, ValueError, fmtShape, kernel } from "@tapegrad/tensor";
import { Tensor } from "@tapegrad/autograd";

/** Options of clipGradNorm: the norm's order (default 2) and whether a non-finite total norm throws (default false, as in PyTorch). */
export interface ClipGradNormOptions {
  /** The norm's order: 2 (the default), any p > 0, or Infinity (the largest magnitude). */
  normType?: number;
  /** Throw, leaving the gradients as they were, when the total norm is NaN or infinite. */
  errorIfNonfinite?: boolean;
}

// Every value here is an array computed by kernels, the coefficient included, and the scaling
// is not skipped when it is 1 (multiplying by 1 changes no bit): so inside a compiled step the
// norm and the clipping are recomputed at every replay. Only the returned number is read out.

/** The p-norm of a's elements as a 0-d float64 array (0 for an empty array; NaN propagates). */
function norm(a: NDArray, p: number): NDArray {
  if (a.size === 0) return nd.scalar(0);
  const x = nd.abs(a.dtype === "float64" ? a : a.astype("float64"));
  if (p === Infinity) return nd.max(x);
  if (p === 2) return nd.sqrt(nd.sum(nd.mul(x, x)));
  if (p === 1) return nd.sum(x);
  return nd.pow(nd.sum(nd.pow(x, p)), 1 / p);
}

/** Throws, naming the parameters whose gradients are not finite, if the total norm is not (a kernel: checked at every replay). */
const checkFinite = kernel("clipGradNorm.checkFinite", (total: NDArray, norms: readonly NDArray[], where: readonly string[], p: number): void => {
  const v = total.item();
  if (Number.isFinite(v)) return;
  const bad = norms.map((n, i) => (Number.isFinite(n.item()) ? null : where[i]!)).filter((s) => s !== null);
  throw new ValueError(
    `clipGradNorm: the total norm of order ${p} of the gradients is ${v}, so they cannot be clipped; ` +
      `non-finite gradients in ${bad.join(", ")}. The gradients were left as they were ` +
      `(pass errorIfNonfinite: false to scale them by the non-finite norm anyway)`,
  );
});

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
  const total = norm(nd.stack(norms), p);
  if (options.errorIfNonfinite) {
    checkFinite(total, norms, withGrad.map((t) => `parameter ${list.indexOf(t)} (shape ${fmtShape(t.shape)})`), p);
  }
  // PyTorch multiplies by min(maxNorm / (norm + 1e-6), 1), a NaN norm making every gradient NaN
  const coef = nd.minimum(nd.div(maxNorm, nd.add(total, 1e-6)), 1);
  for (const t of withGrad) {
    const g = t.grad!;
    const c = coef.dtype === g.dtype ? coef : coef.astype(g.dtype);
    if (g.writable) nd.mul(g, c, g);
    else t.grad = nd.mul(g, c); // a broadcast view cannot be written element by element
  }
  return total.item();
}

/**
 * Clamps every gradient into [-clipValue, clipValue], in place (PyTorch's clip_grad_value_).
 * Parameters without a gradient are skipped; a NaN stays NaN, as torch.clamp leaves it. The
 * clamping is done by kernels, so inside a compiled step a replay clamps again.
 *
 * @example
 * ```ts
 * const p = new Parameter(nd.array([1, 2, 3]));
 * p.grad = nd.array([-5, 0.5, 7]);
 * clipGradValue([p], 1);
 * p.grad.toArray(); // [-1, 0.5, 1]
 * ```
 */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== "number" || !(clipValue >= 0)) {
    throw new ValueError(`clipGradValue: clipValue must be a non-negative number (the gradients are clamped into [-clipValue, clipValue]), got ${String(clipValue)}`);
  }
  const list = params instanceof Tensor ? [params] : Array.from(params);
  for (const t of list) {
    const g = t.grad;
    if (g === null) continue;
    if (g.writable) {
      nd.maximum(g, -clipValue, g);
      nd.minimum(g, clipValue, g);
    } else {
      t.grad = nd.minimum(nd.maximum(g, -clipValue), clipValue); // a broadcast view cannot be written element by element
    }
  }
}
