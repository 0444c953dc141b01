// Scans along one axis: the running sum, product and log-sum-exp (each optionally from the
// end, which is how their gradients run), the first-order linear recurrence those gradients are
// made of, the running max and min with the index of each, and the flat positions that gather
// along an axis. One line of the axis at a time, in float64 whatever the dtype, each output
// rounded once.

import { floatResult, isFloat, type DType, type Storage } from "./dtype.js";
import { allocate } from "./storage.js";
import { IndexError, ShapeError, fmtShape } from "./errors.js";
import { walk } from "./iter.js";
import { NDArray } from "./ndarray.js";
import { kernel } from "./kernel.js";
import { contiguousStrides, normalizeAxis, type Shape } from "./shape.js";

/**
 * Calls `line(pos)` once for each line of `shape` along axis `ax`: `pos[k]` is where operand k
 * (strides `strides[k]`, offset `offsets[k]`, all of the full rank) has the line's first element.
 * An empty outer shape calls it once with the offsets; an axis of length 0 calls it as usual.
 */
export function eachLine(shape: Shape, ax: number, strides: readonly Shape[], offsets: readonly number[], line: (pos: readonly number[]) => void): void {
  const outer = shape.filter((_, i) => i !== ax);
  const outerStrides = strides.map((s) => s.filter((_, i) => i !== ax));
  walk(outer, outerStrides, offsets, (pos, n, inner) => {
    const p = pos.slice();
    for (let i = 0; i < n; i++) {
      line(p);
      for (let k = 0; k < p.length; k++) p[k]! += inner[k]!;
    }
  });
}

/** The array and axis a scan runs on: no axis flattens (numpy's rule), else the axis normalized. */
function scanInput(op: string, a: NDArray, axis: number | undefined | null): [NDArray, number] {
  if (axis === undefined || axis === null) return [a.reshape([-1]), 0];
  return [a, normalizeAxis(op, axis, a.ndim)];
}

/** The dtype of a running sum or product: a float stays itself, an integer or bool becomes float64 (exact to 2^53, never wrapping). */
export function accumulateResult(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float64";
}

const SUM = 0, PROD = 1, LSE = 2;

/** log(exp(a) + exp(b)) without overflow; NaN if either is; two infinities of one sign give that infinity. */
function logAddExp(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  const mx = a > b ? a : b;
  const mn = a > b ? b : a;
  if (mn === mx && !Number.isFinite(mn)) return a;
  return mx + Math.log1p(Math.exp(mn - mx));
}

function runScan(op: string, kind: number, a: NDArray, axis: number | undefined | null, reverse: boolean, dtype: DType): NDArray {
  const [x, ax] = scanInput(op, a, axis);
  const out = new NDArray(allocate(dtype, x.size), x.shape);
  const len = x.shape[ax]!;
  const sa = x.strides[ax]!;
  const so = out.strides[ax]!;
  const d = x.data;
  const o = out.data;
  eachLine(x.shape, ax, [x.strides, out.strides], [x.offset, 0], ([p0, q0]) => {
    let pa = p0!, po = q0!, step = sa, ostep = so;
    if (reverse) {
      pa += (len - 1) * sa;
      po += (len - 1) * so;
      step = -sa;
      ostep = -so;
    }
    let r = kind === PROD ? 1 : kind === SUM ? 0 : -Infinity;
    for (let i = 0; i < len; i++, pa += step, po += ostep) {
      const v = d[pa]!;
      r = kind === SUM ? r + v : kind === PROD ? r * v : i === 0 ? v : logAddExp(r, v);
      o[po] = r;
    }
  });
  return out;
}

/**
 * The running sum along `axis` (numpy's and torch's cumsum): element i is the sum of elements
 * 0..i of its line; with no axis, of the flattened array. `reverse` runs from the end (element
 * i sums i..n-1), the scan a cumsum's gradient is. Summed in float64 and each element rounded
 * once; an int32 or bool input gives float64, exact to 2^53 where numpy's int64 would be (no
 * silent wrap). Throws AxisError for an axis out of range (a 0-d array has none).
 *
 * @example
 * ```ts
 * cumsum(array([[1, 2, 3], [4, 5, 6]]), 1).toArray(); // [[1, 3, 6], [4, 9, 15]]
 * cumsum(array([1, 2, 3]), 0, true).toArray(); // [6, 5, 3]
 * ```
 */
export const cumsum = kernel("cumsum", function cumsum(a: NDArray, axis?: number | null, reverse = false): NDArray {
  return runScan("cumsum", SUM, a, axis, reverse, accumulateResult(a.dtype));
});

/**
 * The running product along `axis` (numpy's and torch's cumprod); axis, `reverse` and dtypes as
 * for {@link cumsum}.
 *
 * @example
 * ```ts
 * cumprod(array([1, 2, 3, 4]), 0).toArray(); // [1, 2, 6, 24]
 * ```
 */
export const cumprod = kernel("cumprod", function cumprod(a: NDArray, axis?: number | null, reverse = false): NDArray {
  return runScan("cumprod", PROD, a, axis, reverse, accumulateResult(a.dtype));
});

/**
 * torch's logcumsumexp: element i is log(sum(exp(x_0..x_i))) along `axis`, computed pairwise
 * without overflow (log(e^a + e^b) = max + log1p(e^-|a-b|)); a NaN spreads to the rest of its
 * line, and -Infinity entries add nothing. Axis and `reverse` as for {@link cumsum}; a float
 * result (float32 for float32, else float64).
 *
 * @example
 * ```ts
 * logcumsumexp(array([0, 0, 1000]), 0).toArray(); // [0, 0.6931471805599453, 1000]
 * ```
 */
export const logcumsumexp = kernel("logcumsumexp", function logcumsumexp(a: NDArray, axis?: number | null, reverse = false): NDArray {
  return runScan("logcumsumexp", LSE, a, axis, reverse, floatResult(a.dtype));
});

/**
 * The first-order linear recurrence along `axis`: h_i = b_i + a_i h_(i-1), starting from
 * h_0 = b_0 (from the end with `reverse`: h_i = b_i + a_i h_(i+1), h_(n-1) = b_(n-1)). a and b have
 * one shape; a's first element of each line (its last, reversed) is never read. Products and sums
 * only, so it stays exact where a holds zeros: autograd builds cumprod's and logcumsumexp's
 * gradients from it, and its own gradient is the same recurrence run the other way. Computed in
 * float64, each output rounded once; a float result (float32 when both are float32). Throws
 * ShapeError for shapes that differ.
 *
 * @example
 * ```ts
 * // h = [1, 2 * 1 + 3, 4 * 5 + 5] = [1, 5, 25]
 * linearRecurrence(array([9, 2, 4]), array([1, 3, 5]), 0).toArray(); // [1, 5, 25]
 * ```
 */
export const linearRecurrence = kernel("linearRecurrence", function linearRecurrence(a: NDArray, b: NDArray, axis: number, reverse = false): NDArray {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`linearRecurrence: coefficients ${fmtShape(a.shape)} and inputs ${fmtShape(b.shape)} must have one shape`);
  }
  const ax = normalizeAxis("linearRecurrence", axis, b.ndim);
  const dtype: DType = a.dtype === "float32" && b.dtype === "float32" ? "float32" : "float64";
  const out = new NDArray(allocate(dtype, b.size), b.shape);
  const len = b.shape[ax]!;
  const da = a.data, db = b.data, o = out.data;
  const sa = a.strides[ax]!, sb = b.strides[ax]!, so = out.strides[ax]!;
  eachLine(b.shape, ax, [a.strides, b.strides, out.strides], [a.offset, b.offset, 0], ([pa0, pb0, po0]) => {
    let pa = pa0!, pb = pb0!, po = po0!;
    let da_ = sa, db_ = sb, do_ = so;
    if (reverse) {
      pa += (len - 1) * sa;
      pb += (len - 1) * sb;
      po += (len - 1) * so;
      da_ = -sa;
      db_ = -sb;
      do_ = -so;
    }
    let h = 0;
    for (let i = 0; i < len; i++, pa += da_, pb += db_, po += do_) {
      h = i === 0 ? db[pb]! : db[pb]! + da[pa]! * h;
      o[po] = h;
    }
  });
  return out;
});

function runExtremum(op: string, isMax: boolean, a: NDArray, axis: number): [NDArray, NDArray] {
  const ax = normalizeAxis(op, axis, a.ndim);
  const values = new NDArray(allocate(a.dtype, a.size), a.shape);
  const indices = new NDArray(new Int32Array(a.size), a.shape);
  const len = a.shape[ax]!;
  const sa = a.strides[ax]!;
  const so = values.strides[ax]!;
  const d = a.data;
  const ov: Storage = values.data;
  const oi = indices.data;
  eachLine(a.shape, ax, [a.strides, values.strides], [a.offset, 0], ([p0, q0]) => {
    let pa = p0!, po = q0!;
    let best = d[pa]!;
    let idx = 0;
    for (let i = 0; i < len; i++, pa += sa, po += so) {
      const v = d[pa]!;
      // PyTorch's rule: a NaN takes over (each later NaN too), and ties go to the later index.
      if (v !== v || (best === best && (isMax ? v >= best : v <= best))) {
        best = v;
        idx = i;
      }
      ov[po] = best;
      oi[po] = idx;
    }
  });
  return [values, indices];
}

/**
 * torch.cummax: the running maximum along `axis` and, for each element, the index along the
 * axis where that maximum was found, as `[values, indices]` (indices int32). As PyTorch does,
 * ties go to the later index and a NaN takes over from where it occurs (a later NaN takes its
 * index). Values keep the input's dtype. Throws AxisError for an axis out of range.
 *
 * @example
 * ```ts
 * const [v, i] = cummax(array([1, 3, 2, 3]), 0);
 * v.toArray(); // [1, 3, 3, 3]
 * i.toArray(); // [0, 1, 1, 3]
 * ```
 */
export const cummax = kernel("cummax", function cummax(a: NDArray, axis: number): [NDArray, NDArray] {
  return runExtremum("cummax", true, a, axis);
});

/**
 * torch.cummin: the running minimum along `axis` and the index of each, as {@link cummax}
 * (ties go to the later index, NaN takes over).
 *
 * @example
 * ```ts
 * const [v, i] = cummin(array([3, 1, 2, 1]), 0);
 * v.toArray(); // [3, 1, 1, 1]
 * i.toArray(); // [0, 1, 1, 3]
 * ```
 */
export const cummin = kernel("cummin", function cummin(a: NDArray, axis: number): [NDArray, NDArray] {
  return runExtremum("cummin", false, a, axis);
});

/**
 * Flat C-order positions in an array of `shape` from indices along `axis`: where `indices`
 * (int32, of `shape` with any length along `axis`) holds j at position (..., i, ...), the
 * result holds the flat position of (..., j, ...). With `take` on the flattened array this
 * gathers along an axis (numpy's take_along_axis), and take's adjoint scatters a gradient back
 * to those positions. Throws IndexError for an index outside the axis, ShapeError for shapes
 * that differ off the axis.
 *
 * @example
 * ```ts
 * flatIndexAlong(array([[2], [0]], undefined, "int32"), [2, 3], 1).toArray(); // [[2], [3]]
 * ```
 */
export const flatIndexAlong = kernel("flatIndexAlong", function flatIndexAlong(indices: NDArray, shape: Shape, axis: number): NDArray {
  const ax = normalizeAxis("flatIndexAlong", axis, shape.length);
  if (indices.ndim !== shape.length || indices.shape.some((d, i) => i !== ax && d !== shape[i])) {
    throw new ShapeError(`flatIndexAlong: indices of shape ${fmtShape(indices.shape)} do not fit shape ${fmtShape(shape)} off axis ${ax}`);
  }
  const strides = contiguousStrides(shape);
  const out = new Int32Array(indices.size);
  const len = shape[ax]!;
  const st = strides[ax]!;
  const d = indices.data;
  let k = 0;
  const outShape = indices.shape;
  // position of each element: its coordinates off the axis (the same as shape's) plus j along it
  walk(outShape, [indices.strides], [indices.offset], (pos, n, inner) => {
    let p = pos[0]!;
    for (let i = 0; i < n; i++, p += inner[0]!, k++) {
      const j = d[p]!;
      if (!(j >= 0 && j < len)) throw new IndexError(`flatIndexAlong: index ${j} is out of bounds for axis ${ax} with size ${len}`);
      out[k] = baseOf(k, outShape, strides, ax) + j * st;
    }
  });
  return new NDArray(out, outShape);
});

/** The flat position in an array of contiguous `strides` of the C-order element k of `shape`, with coordinate 0 along `ax`. */
function baseOf(k: number, shape: Shape, strides: Shape, ax: number): number {
  let p = 0;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    const c = k % d;
    k = (k - c) / d;
    if (i !== ax) p += c * strides[i]!;
  }
  return p;
}
