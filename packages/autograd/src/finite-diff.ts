// Central finite differences of a scalar function of one float64 buffer, shared by gradcheck and
// compareDerivatives so that both witnesses of "the numbers" are one loop.

/**
 * Writes (f(v + eps) - f(v - eps)) / 2eps into out[p] for each position p of flat (every
 * position when `positions` is omitted). Each entry is moved in place, evaluated, and put back
 * before the next, so `evaluate` must read `flat` afresh on every call.
 */
export function centralDifferences(flat: Float64Array, evaluate: () => number, eps: number, out: Float64Array, positions?: ArrayLike<number>): void {
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
