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

// Row layouts, for the kernels' fast paths: many arrays that are not contiguous are still
// rows of contiguous elements a fixed stride apart (a slice of columns, one gate's block of a
// stacked matrix), and a loop per row reads them without the walk's bookkeeping.

/**
 * The number of elements at the end of a layout that lie contiguously (stride 1, then the
 * stride that continues it, ...), size-1 dims ignored: the whole size for a contiguous array.
 */
export function rowRun(shape: Shape, strides: Shape): number {
  let run = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 1) continue;
    if (strides[i] !== run) break;
    run *= d;
  }
  return run;
}

/**
 * The stride between consecutive runs of `run` elements (a suffix of the dims, as rowRun
 * gives) when the dims outside the run step as one, else NaN: the layout is then rows of
 * `run` contiguous elements, `rowStride` apart.
 */
export function rowStride(shape: Shape, strides: Shape, run: number): number {
  let i = shape.length - 1;
  for (let acc = 1; i >= 0 && acc < run; i--) acc *= shape[i]!;
  let stride = NaN;
  let next = NaN; // the stride the next outer dim needs to continue the rows
  for (; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 1) continue;
    if (stride !== stride) stride = strides[i]!;
    else if (strides[i] !== next) return NaN;
    next = strides[i]! * d;
  }
  return stride !== stride ? run : stride; // a single row: any stride will do
}
