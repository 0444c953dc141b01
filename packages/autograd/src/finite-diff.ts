// Central finite differences of a scalar function: one loop, shared by gradcheck,
// compareDerivatives and (through the NDArray form) the tests and examples.

import * as nd from "@tapegrad/tensor";
import { NDArray, fmtShape } from "@tapegrad/tensor";
import { AutogradError } from "./tape.js";

/**
 * Writes (f(v + eps) - f(v - eps)) / 2eps into out[p] for each position p of flat (every
 * position when `positions` is omitted). Each entry is moved in place, evaluated, and put back
 * before the next, so `evaluate` must read `flat` afresh on every call.
 */
export function centralDifferencesAt(flat: Float64Array | Float32Array, evaluate: () => number, eps: number, out: Float64Array, positions?: ArrayLike<number>): void {
  const n = positions ? positions.length : flat.length;
  for (let k = 0; k < n; k++) {
    const p = positions ? positions[k]! : k;
    const v = flat[p]!;
    flat[p] = v + eps;
    const up = evaluate();
    flat[p] = v - eps;
    const down = evaluate();
    flat[p] = v;
    out[p] = (up - down) / (2 * eps);
  }
}

/**
 * Central differences of a scalar function in every element of `a`: each element is moved by
 * +eps and -eps in place (and put back), and (f(+) - f(-)) / 2 eps is that element's entry of
 * the float64 result, of a's shape. `a` must be contiguous and writable; f reads it as it stands.
 */
export function centralDifferences(f: () => number, a: NDArray, eps = 1e-6): NDArray {
  if (!a.isContiguous() || !a.writable || (a.dtype !== "float64" && a.dtype !== "float32")) {
    throw new AutogradError(`centralDifferences: the array of shape ${fmtShape(a.shape)} (${a.dtype}) must be a contiguous, writable float array (it is perturbed in place)`);
  }
  const out = nd.zeros(a.shape);
  const view = (a.data as Float64Array | Float32Array).subarray(a.offset, a.offset + a.size);
  centralDifferencesAt(view, f, eps, out.data as Float64Array);
  return out;
}
