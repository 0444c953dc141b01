// The error function, elementwise (GELU's exact form needs it; JS has no Math.erf).

import { NDArray } from "./ndarray.js";
import * as elementwise from "./elementwise.js";
import { kernel, unwrapped } from "./kernel.js";
import { isFloat } from "./dtype.js";

const { copy } = unwrapped(elementwise);

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf of one number, to about one ulp in float64. Below |x| = 2.5 the series
 * erf x = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)) has only positive terms (no
 * cancellation); above, erfc's continued fraction (Lentz's method) converges in a few dozen terms.
 */
export function erfScalar(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax > 6) return x > 0 ? 1 : -1;
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  // erfc(a) = e^(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
  const tiny = 1e-300;
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = d === 0 ? tiny : d;
    c = ax + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return x > 0 ? 1 - erfc : erfc - 1;
}

/**
 * The error function, elementwise, to about one ulp in float64; a new array with a float result
 * (float32 for float32, else float64).
 */
export const erf = kernel("erf", function erf(a: NDArray): NDArray {
  const out = copy(a, isFloat(a.dtype) ? a.dtype : "float64");
  const d = out.data as Float64Array | Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = erfScalar(d[i]!);
  return out;
});
