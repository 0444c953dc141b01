// The one strided walk every kernel uses: C order over a shape, one callback per innermost
// row, with a running offset per operand. Dims are coalesced first, so contiguous and simply
// broadcast operands are a single long row and the callback runs once.

import { coalesce, type Shape } from "./shape.js";

/**
 * Calls `row(pos, n, inner)` for each innermost row of `shape`: `pos[k]` is operand k's
 * offset at the row's start, `inner[k]` its stride along the row, `n` the row's length.
 * `pos` is reused between calls; read it, do not keep it.
 */
export function walk(
  shape: Shape,
  strides: readonly Shape[],
  offsets: readonly number[],
  row: (pos: number[], n: number, inner: number[]) => void,
): void {
  for (const d of shape) if (d === 0) return;
  const c = coalesce(shape, strides);
  const nd = c.shape.length;
  const k = strides.length;
  const pos = offsets.slice();
  if (nd === 0) {
    row(pos, 1, new Array<number>(k).fill(0));
    return;
  }
  const n = c.shape[nd - 1]!;
  const inner = c.strides.map((s) => s[nd - 1]!);
  if (nd === 1) {
    row(pos, n, inner);
    return;
  }
  const counter = new Array<number>(nd - 1).fill(0);
  for (;;) {
    row(pos, n, inner);
    let d = nd - 2;
    for (; d >= 0; d--) {
      if (++counter[d]! < c.shape[d]!) {
        for (let j = 0; j < k; j++) pos[j]! += c.strides[j]![d]!;
        break;
      }
      counter[d] = 0;
      for (let j = 0; j < k; j++) pos[j]! -= c.strides[j]![d]! * (c.shape[d]! - 1);
    }
    if (d < 0) return;
  }
}
