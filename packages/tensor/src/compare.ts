// Closeness checks, numpy's rule: |a - b| <= atol + rtol * |b|, NaNs equal only when asked.

import { broadcastShapes, broadcastStrides } from "./shape.js";
import { walk } from "./iter.js";
import type { NDArray } from "./ndarray.js";

export function allclose(a: NDArray, b: NDArray, { rtol = 1e-5, atol = 1e-8, equalNan = false } = {}): boolean {
  const shape = broadcastShapes("allclose", a.shape, b.shape);
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = broadcastStrides(b.shape, b.strides, shape);
  let ok = true;
  walk(shape, [sa, sb], [a.offset, b.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!, q = pos[1]!; i < n && ok; i++, p += inner[0]!, q += inner[1]!) {
      const x = a.data[p]!;
      const y = b.data[q]!;
      if (x === y) continue;
      if (x !== x || y !== y) {
        ok = equalNan && x !== x && y !== y;
        continue;
      }
      if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) ok = false;
    }
  });
  return ok;
}

/** The largest |a - b| over the broadcast shape (NaN if either holds a NaN). */
export function maxAbsDiff(a: NDArray, b: NDArray): number {
  const shape = broadcastShapes("maxAbsDiff", a.shape, b.shape);
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = broadcastStrides(b.shape, b.strides, shape);
  let m = 0;
  walk(shape, [sa, sb], [a.offset, b.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!, q = pos[1]!; i < n; i++, p += inner[0]!, q += inner[1]!) {
      const d = Math.abs(a.data[p]! - b.data[q]!);
      if (d > m || d !== d) m = d;
    }
  });
  return m;
}
