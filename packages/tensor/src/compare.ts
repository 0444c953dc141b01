// Closeness checks, numpy's rule: |a - b| <= atol + rtol * |b|, NaNs equal only when asked.

import { broadcastShapes, broadcastStrides } from "./shape.js";
import { walk } from "./iter.js";
import type { NDArray } from "./ndarray.js";

/**
 * numpy's allclose: whether |a - b| <= atol + rtol * |b| for every element of the broadcast
 * shape (rtol 1e-5 and atol 1e-8 by default; not symmetric in a and b, as in numpy). Equal
 * infinities are close; NaNs are close to each other only with `equalNan`. Throws ShapeError
 * when the shapes do not broadcast.
 *
 * @example
 * ```ts
 * allclose(array([1, 2]), array([1, 2 + 1e-9])); // true
 * allclose(array([NaN]), array([NaN]), { equalNan: true }); // true
 * ```
 */
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
      // an infinity is close only to itself (numpy's isclose), although inf <= atol + rtol * inf
      if (x === Infinity || x === -Infinity || y === Infinity || y === -Infinity) ok = false;
      else if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) ok = false;
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
