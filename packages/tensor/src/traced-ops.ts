// The package's computing functions as kernels (trace.ts): what index.ts exports and what the
// NDArray methods call, so that a trace sees every call a user's code makes. The files that
// define them call each other directly, unwrapped: a kernel inside a kernel is part of it.
//
// The TSDoc of each export is here, on the const that index.ts re-exports: that is the
// declaration TypeDoc (and an editor's hover) reads, not the one in the file that defines it.

import * as cr from "./creation.js";
import * as ew from "./elementwise.js";
import * as red from "./reduce.js";
import * as mm from "./matmul.js";
import * as join from "./join.js";
import * as sp from "./special.js";
import * as views from "./views.js";
import { RandomState } from "./random.js";
import { kernel } from "./kernel.js";
import type { DType } from "./dtype.js";
import type { NDArray } from "./ndarray.js";

// ---- creation
/**
 * A new array from nested JS arrays, from flat data (a list or typed array) with a `shape`, or
 * from another NDArray, like numpy's `np.array`. The data is always copied. dtype defaults to
 * float64 (bool for nested booleans; a typed array's or an NDArray's own). Throws ShapeError
 * for ragged nesting or a `shape` whose size differs from the data's.
 *
 * @example
 * ```ts
 * array([[1, 2], [3, 4]]).toString(); // "[[1. 2.]\n [3. 4.]]"
 * array([1, 2, 3, 4, 5, 6], [2, 3]).shape; // [2, 3]
 * array([true, false]).dtype; // "bool"
 * array(new Int32Array([7, 8])).dtype; // "int32"
 * ```
 */
export const array = kernel("array", cr.array);
/**
 * A 0-d array holding `value`, in `dtype` (float64 by default); `.item()` reads it back.
 *
 * @example
 * ```ts
 * scalar(2.5).shape; // []
 * scalar(2.5, "int32").item(); // 2
 * ```
 */
export const scalar = kernel("scalar", cr.scalar);
/**
 * An array of `shape` whose values are unspecified (numpy's `empty`), for a result whose every
 * element is written before it is read. It comes zero-filled today, but a compiled step does not
 * clear it at a replay: it holds whatever the last step wrote.
 */
export const empty = kernel("empty", cr.empty, { uninitialized: true });
/**
 * An array of `shape` filled with 0, in `dtype` (float64 by default).
 *
 * @example
 * ```ts
 * zeros([2, 3]).toArray(); // [[0, 0, 0], [0, 0, 0]]
 * zeros([2], "int32").toString(); // "[0 0]"
 * ```
 */
export const zeros = kernel("zeros", cr.zeros);
/** An array of `shape` filled with 1, in `dtype` (float64 by default). */
export const ones = kernel("ones", cr.ones);
/**
 * An array of `shape` filled with `value`, in `dtype` (float64 by default).
 *
 * @example
 * ```ts
 * full([2, 2], 7).toArray(); // [[7, 7], [7, 7]]
 * ```
 */
export const full = kernel("full", cr.full);
/** Zeros of `a`'s shape, in `a`'s dtype unless `dtype` is given (numpy's `zeros_like`). */
export const zerosLike = kernel("zerosLike", cr.zerosLike);
/** Ones of `a`'s shape, in `a`'s dtype unless `dtype` is given (numpy's `ones_like`). */
export const onesLike = kernel("onesLike", cr.onesLike);
/**
 * `value` in every element of an array of `a`'s shape, in `a`'s dtype unless `dtype` is given
 * (numpy's `full_like`).
 */
export const fullLike = kernel("fullLike", cr.fullLike);
/**
 * numpy's arange: `arange(stop)` or `arange(start, stop, step?)`, the values start,
 * start + step, ... up to but excluding stop, as a 1-D array of ceil((stop - start) / step)
 * elements (none when that is negative) in `dtype` (float64 by default). Throws ValueError for
 * a step of 0 or an argument that is not finite.
 *
 * @example
 * ```ts
 * arange(3).toString(); // "[0. 1. 2.]"
 * arange(1, 2, 0.25).toArray(); // [1, 1.25, 1.5, 1.75]
 * arange(3, 0, -1).toArray(); // [3, 2, 1]
 * arange(3, undefined, 1, "int32").toString(); // "[0 1 2]"
 * ```
 */
export const arange = kernel("arange", cr.arange);
/**
 * numpy's linspace: `num` (50 by default) evenly spaced values from `start` to `stop`, both
 * included, as a 1-D array in `dtype` (float64 by default). Throws ValueError unless `num` is a
 * non-negative integer.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export const linspace = kernel("linspace", cr.linspace);
/**
 * numpy's eye: an `n` x `m` array (square by default) with ones on the main diagonal and zeros
 * elsewhere, in `dtype` (float64 by default).
 *
 * @example
 * ```ts
 * eye(2).toArray(); // [[1, 0], [0, 1]]
 * eye(2, 3).toArray(); // [[1, 0, 0], [0, 1, 0]]
 * ```
 */
export const eye = kernel("eye", cr.eye);
/**
 * A 0-d array holding `read()`, in `dtype` (float64 by default). In a compiled step, `read` is
 * called again at every replay: the way to bring a JS value that changes between steps (a
 * learning rate a scheduler sets) into a traced computation.
 */
export const scalarFrom = kernel("scalarFrom", (read: () => number, dtype: DType = "float64"): NDArray => cr.scalar(read(), dtype));

// ---- views that may copy (the others never do, so they need no recording)
/**
 * numpy's reshape: `a`'s elements, in C order, under a new `shape`, one of whose dims may be -1
 * (inferred from the others). A view of `a` when strides can express the new shape (always, for
 * a contiguous `a`), else a C-contiguous copy, as in numpy. Throws ShapeError when the sizes
 * differ, ValueError for a dim that is neither a non-negative integer nor -1.
 *
 * @example
 * ```ts
 * reshape(arange(6), [2, -1]).toArray(); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export const reshape = kernel("reshape", views.reshape);

// ---- elementwise: (a, out?) and (a, b, out?)
const U = { out: 1 };
const B = { out: 2 };
/**
 * Elementwise -a (numpy's negative); keeps the dtype (bool gives int32). `out`, when given,
 * receives the result, as for {@link add}.
 */
export const neg = kernel("neg", ew.neg, U);
/**
 * Elementwise e^a; a float result (float32 for float32, else float64). `out`, when given,
 * receives the result, as for {@link add}.
 */
export const exp = kernel("exp", ew.exp, U);
/**
 * Elementwise natural log (NaN below 0, -Infinity at 0); a float result (float32 for float32,
 * else float64). `out` as for {@link add}.
 */
export const log = kernel("log", ew.log, U);
/**
 * Elementwise square root (NaN below 0); a float result (float32 for float32, else float64).
 * `out` as for {@link add}.
 */
export const sqrt = kernel("sqrt", ew.sqrt, U);
/** Elementwise |a|; keeps the dtype (bool gives int32). `out` as for {@link add}. */
export const abs = kernel("abs", ew.abs, U);
/**
 * Elementwise hyperbolic tangent; a float result (float32 for float32, else float64). `out` as
 * for {@link add}.
 */
export const tanh = kernel("tanh", ew.tanh, U);
/**
 * Elementwise logistic function 1 / (1 + e^-a), computed so that no e^x overflows; a float result
 * (float32 for float32, else float64). `out` as for {@link add}.
 */
export const sigmoid = kernel("sigmoid", ew.sigmoid, U);
/**
 * Elementwise max(a, 0), with NaN kept as NaN; keeps the dtype (bool gives int32). `out` as for
 * {@link add}.
 */
export const relu = kernel("relu", ew.relu, U);
/** Elementwise a * a; keeps the dtype (bool gives int32). `out` as for {@link add}. */
export const square = kernel("square", ew.square, U);
/**
 * Elementwise sine (radians); a float result (float32 for float32, else float64). `out` as for
 * {@link add}.
 */
export const sin = kernel("sin", ew.sin, U);
/**
 * Elementwise cosine (radians); a float result (float32 for float32, else float64). `out` as for
 * {@link add}.
 */
export const cos = kernel("cos", ew.cos, U);
/**
 * numpy's sign: -1, 0 or 1 for each element by its sign (-0 gives 0, NaN stays NaN); keeps the
 * dtype (bool gives int32). `out` as for {@link add}.
 */
export const sign = kernel("sign", ew.sign, U);
/**
 * Elementwise 1 / a; a float result (float32 for float32, else float64: unlike numpy's, an int32
 * input does not stay integer). `out` as for {@link add}.
 */
export const reciprocal = kernel("reciprocal", ew.reciprocal, U);
/**
 * Elementwise log(1 + a), accurate for a near 0; a float result (float32 for float32, else
 * float64). `out` as for {@link add}.
 */
export const log1p = kernel("log1p", ew.log1p, U);
/**
 * Elementwise e^a - 1, accurate for a near 0; a float result (float32 for float32, else float64).
 * `out` as for {@link add}.
 */
export const expm1 = kernel("expm1", ew.expm1, U);
/**
 * Elementwise floor, the largest integer <= a; keeps the dtype (bool gives int32). `out` as for
 * {@link add}.
 */
export const floor = kernel("floor", ew.floor, U);
/**
 * Elementwise ceiling, the smallest integer >= a; keeps the dtype (bool gives int32). `out` as
 * for {@link add}.
 */
export const ceil = kernel("ceil", ew.ceil, U);
/**
 * Rounds each element to the nearest integer, halves to even as numpy does (0.5 to 0, 1.5 and
 * 2.5 to 2); keeps the dtype (bool gives int32). `out` as for {@link add}.
 *
 * @example
 * ```ts
 * round(array([0.5, 1.5, 2.5, 2.6])).toArray(); // [0, 2, 2, 3]
 * ```
 */
export const round = kernel("round", ew.round, U);
/** Elementwise test for NaN, as a bool array. */
export const isnan = kernel("isnan", ew.isnan);
/** Elementwise test for a finite value (neither NaN nor ±Infinity), as a bool array. */
export const isfinite = kernel("isfinite", ew.isfinite);
/**
 * Elementwise a + b with numpy broadcasting. Either operand may be a JS number, which is weak
 * (numpy's rule for Python scalars): it takes the array's dtype, so a float32 array plus 0.5
 * stays float32, except that a non-integer number with an int32 or bool array gives float64.
 * Otherwise the dtype is numpy's promotion of the two, with bool computed as int32.
 *
 * `out`, when given, must have the result's shape and a dtype that can hold it (a float `out`
 * holds any result, an int32 one an int32 or bool result, a bool one only bool), else ShapeError
 * or DTypeError; the result is written there, correctly even when `out` overlaps an operand,
 * and `out` is returned. The same `out` rule holds for every elementwise op. Throws ShapeError
 * when the shapes do not broadcast.
 *
 * @example
 * ```ts
 * add(array([[1], [2]]), array([10, 20, 30])).toArray(); // [[11, 21, 31], [12, 22, 32]]
 * add(arange(3, undefined, 1, "int32"), 1).toString(); // "[1 2 3]"
 * add(ones([2], "float32"), 0.5).dtype; // "float32"
 * ```
 */
export const add = kernel("add", ew.add, B);
/** Elementwise a - b; broadcasting, dtypes and `out` as for {@link add}. */
export const sub = kernel("sub", ew.sub, B);
/** Elementwise a * b; broadcasting, dtypes and `out` as for {@link add}. */
export const mul = kernel("mul", ew.mul, B);
/**
 * Elementwise true division a / b (x / 0 is ±Infinity or NaN, as in JS); broadcasting and `out`
 * as for {@link add}. A float result: float32 only when the promoted dtype is float32, so two
 * int32 arrays give float64.
 */
export const div = kernel("div", ew.div, B);
/**
 * Elementwise a ** b, by C's pow as numpy computes it (pow(1, y) is 1 even for a NaN y);
 * broadcasting, dtypes and `out` as for {@link add}. Throws ValueError for an int32 result with
 * a negative exponent: integers to negative integer powers need float operands.
 */
export const pow = kernel("pow", ew.pow, B);
/**
 * numpy's maximum: the elementwise larger of a and b, NaN winning over any number; broadcasting,
 * dtypes and `out` as for {@link add}.
 */
export const maximum = kernel("maximum", ew.maximum, B);
/**
 * numpy's minimum: the elementwise smaller of a and b, NaN winning over any number; broadcasting,
 * dtypes and `out` as for {@link add}.
 */
export const minimum = kernel("minimum", ew.minimum, B);
/**
 * Elementwise a == b as a bool array (NaN equals nothing, itself included); broadcasting and
 * numbers as for {@link add}.
 */
export const eq = kernel("eq", ew.eq, B);
/**
 * Elementwise a != b as a bool array (true wherever either is NaN); broadcasting and numbers as
 * for {@link add}.
 */
export const ne = kernel("ne", ew.ne, B);
/** Elementwise a < b as a bool array; broadcasting and numbers as for {@link add}. */
export const lt = kernel("lt", ew.lt, B);
/** Elementwise a <= b as a bool array; broadcasting and numbers as for {@link add}. */
export const le = kernel("le", ew.le, B);
/** Elementwise a > b as a bool array; broadcasting and numbers as for {@link add}. */
export const gt = kernel("gt", ew.gt, B);
/** Elementwise a >= b as a bool array; broadcasting and numbers as for {@link add}. */
export const ge = kernel("ge", ew.ge, B);
/**
 * sigmoid's gradient from its output: a * b * (1 - b) elementwise, for an incoming gradient `a`
 * and b = sigmoid(x), in one pass (PyTorch's sigmoid_backward(grad, result)). A float result as
 * for {@link div}; broadcasting and `out` as for {@link add}.
 */
export const sigmoidBackward = kernel("sigmoidBackward", ew.sigmoidBackward, B);
/**
 * tanh's gradient from its output: a * (1 - b^2) elementwise, for an incoming gradient `a` and
 * b = tanh(x), in one pass (PyTorch's tanh_backward). A float result as for {@link div};
 * broadcasting and `out` as for {@link add}.
 */
export const tanhBackward = kernel("tanhBackward", ew.tanhBackward, B);
/**
 * numpy's clip: each element limited to [lo, hi], computed as minimum(maximum(x, lo), hi), so
 * NaN stays NaN and the bounds are weak numbers as in {@link add}. A new array; throws
 * ValueError when lo > hi.
 *
 * @example
 * ```ts
 * clip(array([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * ```
 */
export const clip = kernel("clip", ew.clip);
/**
 * numpy's where: `x` where `mask` is nonzero (NaN counts as true), else `y`. The three
 * broadcast together, and `x` and `y` may be numbers; the result's dtype is the promotion of
 * x's and y's (the mask's plays no part). `out` as for {@link add}.
 *
 * @example
 * ```ts
 * where(array([true, false, true]), array([1, 2, 3]), 0).toArray(); // [1, 0, 3]
 * ```
 */
export const where = kernel("where", ew.where, { out: 3 });
/**
 * A C-contiguous copy of `a`, in `dtype` when given (numpy's astype, which `a.astype(dtype)`
 * calls). To int32, values are truncated toward zero as an Int32Array stores them (NaN and
 * ±Infinity become 0); to bool, any nonzero value (NaN included) becomes true.
 *
 * @example
 * ```ts
 * copy(array([1.7, -1.7, 0]), "int32").toArray(); // [1, -1, 0]
 * ```
 */
export const copy = kernel("copy", ew.copy);
/**
 * Writes `value` into every element of `a`, in place, through any view (numpy's `a.fill`);
 * returns nothing (the method `a.fill(value)` returns `a`). Throws ReadOnlyError for a
 * read-only (broadcast) view and ValueError when `value` is not a number.
 */
export const fill = kernel("fill", ew.fill);
/**
 * numpy's `dst[...] = src`: copies `src` (an array or a number), broadcast to dst's shape, into
 * dst's elements in place; returns nothing (the method `dst.assign(src)` returns `dst`). A
 * `src` that overlaps `dst` is read in full first. Throws ShapeError when src does not broadcast
 * to dst's shape, DTypeError when dst's dtype cannot hold src's (a float into int32), and
 * ReadOnlyError for a read-only (broadcast) `dst`.
 *
 * @example
 * ```ts
 * const m = zeros([2, 2]);
 * assign(m, array([1, 2]));
 * m.toArray(); // [[1, 2], [1, 2]]
 * ```
 */
export const assign = kernel("assign", ew.assign);

// ---- reductions
/**
 * numpy's sum over `axis` (one axis, a list of axes, or all of them when omitted or null;
 * negative ones count from the end), the reduced dims dropped, or kept with size 1 when
 * `keepdims`. Accumulated in float64 and rounded once to the result's dtype, the input's (bool
 * sums to int32); over no elements it is 0. Throws AxisError for an axis out of range or repeated.
 *
 * @example
 * ```ts
 * const a = arange(6).reshape(2, 3); // [[0, 1, 2], [3, 4, 5]]
 * sum(a).item(); // 15
 * sum(a, 0).toArray(); // [3, 5, 7]
 * sum(a, 1, true).toArray(); // [[3], [12]]
 * ```
 */
export const sum = kernel("sum", red.sum);
/**
 * numpy's prod: the product over `axis`; axes, keepdims and dtype as for {@link sum}; over no
 * elements it is 1.
 */
export const prod = kernel("prod", red.prod);
/**
 * numpy's mean over `axis` (axes and keepdims as for {@link sum}). A float result: float32 for a
 * float32 input, else float64. Over no elements it is NaN, as in numpy.
 *
 * @example
 * ```ts
 * mean(arange(6).reshape(2, 3), 1).toArray(); // [1, 4]
 * ```
 */
export const mean = kernel("mean", red.mean);
/**
 * numpy's max (amax): the largest element over `axis` (axes and keepdims as for {@link sum});
 * a NaN wins, as in numpy. Keeps the input's dtype. Throws ValueError for a reduction over no
 * elements, which has no identity.
 *
 * @example
 * ```ts
 * max(array([[1, 5], [7, 2]]), 0).toArray(); // [7, 5]
 * ```
 */
export const max = kernel("max", red.max);
/** numpy's min (amin): the smallest element over `axis`; as {@link max} otherwise. */
export const min = kernel("min", red.min);
/**
 * numpy's all: whether every element over `axis` is nonzero (NaN counts as true), as a bool
 * array; true over no elements. Axes and keepdims as for {@link sum}.
 */
export const all = kernel("all", red.all);
/**
 * numpy's any: whether some element over `axis` is nonzero (NaN counts as true), as a bool array;
 * false over no elements. Axes and keepdims as for {@link sum}.
 */
export const any = kernel("any", red.any);
/**
 * numpy's var (named `variance`, `var` being a JS keyword): the summed squared deviations from
 * the mean over `axis`, divided by n - ddof (0, the default: the population variance; 1: the
 * sample variance), by the two-pass formula. Axes and keepdims as for {@link sum}; a float result
 * as for {@link mean}. Where n - ddof <= 0 the division is by 0 (Infinity or NaN).
 *
 * @example
 * ```ts
 * variance(array([1, 2, 3, 4])).item(); // 1.25
 * ```
 */
export const variance = kernel("variance", red.variance);
/**
 * numpy's std: the square root of {@link variance}, with the same `axis`, `keepdims` and `ddof`.
 *
 * @example
 * ```ts
 * std(array([[1, 3], [5, 9]]), 1).toArray(); // [1, 2]
 * ```
 */
export const std = kernel("std", red.std);
/**
 * numpy's argmax: the index of the largest element along one `axis`, as an int32 array; with
 * no axis, the index into the flattened array (0-d, or all 1s with keepdims). Ties go to the
 * first; a NaN, the first one, wins. Throws ValueError for an empty axis and AxisError for a
 * list of axes.
 *
 * @example
 * ```ts
 * const a = array([[1, 5, 2], [7, 0, 7]]);
 * argmax(a, 1).toArray(); // [1, 0]
 * argmax(a).item(); // 3
 * ```
 */
export const argmax = kernel("argmax", red.argmax);
/**
 * numpy's argmin: the index of the smallest element along one `axis`; as {@link argmax}
 * otherwise.
 */
export const argmin = kernel("argmin", red.argmin);
/**
 * scipy's logsumexp: log(sum(exp(a))) over `axis`, computed without overflow (the max is taken
 * out first); axes and keepdims as for {@link sum}. A float result, as for {@link mean}. Over no
 * elements it is -Infinity.
 *
 * @example
 * ```ts
 * logsumexp(array([1000, 1000])).item(); // 1000.6931471805599
 * ```
 */
export const logsumexp = kernel("logsumexp", red.logsumexp);
/**
 * exp(a) / sum(exp(a)) along one `axis` (the last by default), shifted by the max so that large
 * values do not overflow; same shape as `a`, a float result (float32 for float32, else float64).
 *
 * @example
 * ```ts
 * softmax(array([[0, 0], [0, Math.log(3)]])).toString(); // "[[0.5  0.5 ]\n [0.25 0.75]]"
 * ```
 */
export const softmax = kernel("softmax", red.softmax);
/**
 * a - logsumexp(a) along one `axis` (the last by default): log(softmax(a)), computed without the
 * -Infinity that log(softmax(a)) gives where a probability underflows to 0; a float result
 * (float32 for float32, else float64).
 */
export const logSoftmax = kernel("logSoftmax", red.logSoftmax);
/**
 * Sums `a` down to `shape`, the inverse of broadcasting `shape` up to a's shape (a gradient's
 * un-broadcast): leading dims are summed away, and dims that are 1 in `shape` are summed with
 * keepdims. Returns `a` itself, not a copy, when it already has that shape. Throws ShapeError
 * when `shape` does not broadcast to a's shape.
 *
 * @example
 * ```ts
 * sumTo(ones([2, 3]), [3]).toArray(); // [2, 2, 2]
 * sumTo(ones([2, 3]), [2, 1]).toArray(); // [[3], [3]]
 * ```
 */
export const sumTo = kernel("sumTo", red.sumTo);

// ---- products, joins, gathers
/**
 * numpy's matmul (`x @ y`): the matrix product of 2-D operands; a 1-D operand gains a unit dim
 * that is dropped from the result (two vectors give their 0-d inner product); leading dims
 * broadcast as a batch. Strided operands (a transposed view) are read through their strides,
 * not made contiguous first. The dtype is the promotion of the two (bool gives int32); `out`
 * as for {@link add}. Throws ValueError for a 0-d operand, ShapeError when the inner dims
 * differ or the batch dims do not broadcast.
 *
 * @example
 * ```ts
 * matmul(array([[1, 2], [3, 4]]), array([[5], [6]])).toArray(); // [[17], [39]]
 * matmul(array([1, 2]), array([3, 4])).item(); // 11
 * matmul(ones([5, 2, 3]), ones([3, 4])).shape; // [5, 2, 4]
 * ```
 */
export const matmul = kernel("matmul", mm.matmul, B);
/**
 * matmul's weight gradient: a^T g summed over every row, for `a` (..., K) and `g` (..., N) with
 * the same leading dims, as a (K, N) array. For y = x @ W with x (T, B, K) this is dW, one
 * product over all T*B rows. Throws ShapeError unless the operands agree on every dim but the last.
 *
 * @example
 * ```ts
 * matmulTN(array([[1, 2], [3, 4]]), array([[1], [1]])).toArray(); // [[4], [6]]
 * ```
 */
export const matmulTN = kernel("matmulTN", mm.matmulTN);
/**
 * numpy's dot for 1-D and 2-D operands, where it is {@link matmul}: the inner product of two
 * vectors is 0-d. Throws ValueError for an operand of more than 2 dims.
 */
export const dot = kernel("dot", mm.dot);
/**
 * numpy's outer: x[i] * y[j] as an (x.size, y.size) array, operands of more than 1 dim being
 * flattened first.
 *
 * @example
 * ```ts
 * outer(array([1, 2]), array([3, 4, 5])).toArray(); // [[3, 4, 5], [6, 8, 10]]
 * ```
 */
export const outer = kernel("outer", mm.outer);
/**
 * numpy's concatenate: the arrays joined along an existing `axis` (0 by default), copied into a
 * new array of their promoted dtype. Shapes must agree except on `axis`. Throws ValueError for
 * an empty list, ShapeError for 0-d arrays or shapes that differ elsewhere.
 *
 * @example
 * ```ts
 * concat([array([1, 2]), array([3])]).toArray(); // [1, 2, 3]
 * concat([zeros([2, 1]), ones([2, 2])], 1).toArray(); // [[0, 1, 1], [0, 1, 1]]
 * ```
 */
export const concat = kernel("concat", join.concat);
/**
 * numpy's stack: arrays of one shape joined along a new axis at `axis` (0 by default), into a
 * new array. Throws ValueError for an empty list, ShapeError when the shapes differ.
 *
 * @example
 * ```ts
 * stack([array([1, 2]), array([3, 4])]).toArray(); // [[1, 2], [3, 4]]
 * stack([array([1, 2]), array([3, 4])], 1).toArray(); // [[1, 3], [2, 4]]
 * ```
 */
export const stack = kernel("stack", join.stack);

/**
 * @internal stack, except where the parts are already the consecutive slices along `axis` of one
 * C-contiguous array (as unbind cuts them): then that array itself, as a view, uncopied. Not a
 * kernel of its own: the view is no computation, and the copying case runs the stack kernel.
 * The autograd engine gathers unbind's step gradients into such slices of one array, so that
 * unbind's VJP (this join) reads them in place.
 */
export function stackParts(parts: readonly NDArray[], axis: number): NDArray {
  const whole = wholeOf(parts, axis);
  return whole ?? stack(parts, axis);
}

/** The array whose slices along axis the parts are, in order, when it is C-contiguous; else null. */
function wholeOf(parts: readonly NDArray[], axis: number): NDArray | null {
  const p0 = parts[0];
  if (p0 === undefined || parts.length < 2 || axis < 0 || axis > p0.ndim) return null;
  const step = parts[1]!.offset - p0.offset;
  if (step <= 0) return null;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.data !== p0.data || p.offset !== p0.offset + i * step || p.ndim !== p0.ndim) return null;
    for (let d = 0; d < p.ndim; d++) if (p.shape[d] !== p0.shape[d] || p.strides[d] !== p0.strides[d]) return null;
  }
  const shape = [...p0.shape.slice(0, axis), parts.length, ...p0.shape.slice(axis)];
  const strides = [...p0.strides.slice(0, axis), step, ...p0.strides.slice(axis)];
  const whole = p0.view(shape, strides, p0.offset);
  return whole.isContiguous() ? whole : null;
}
/**
 * numpy's split along `axis` (0 by default): `sections` as a count divides the axis into that
 * many equal parts (ShapeError if it cannot); as a list, it gives the indices where the parts
 * after the first start. The parts are views of `a`.
 *
 * @example
 * ```ts
 * split(arange(6), 3).map((p) => p.toArray()); // [[0, 1], [2, 3], [4, 5]]
 * split(arange(6), [1, 4]).map((p) => p.toArray()); // [[0], [1, 2, 3], [4, 5]]
 * ```
 */
export const split = kernel("split", join.split);
/**
 * torch's chunk: parts of ceil(n / chunks) along `axis` (0 by default), the last one smaller,
 * as views of `a`; fewer than `chunks` parts where n does not give that many.
 *
 * @example
 * ```ts
 * chunk(arange(5), 2).map((p) => p.toArray()); // [[0, 1, 2], [3, 4]]
 * chunk(arange(6), 4).length; // 3
 * ```
 */
export const chunk = kernel("chunk", join.chunk);
/**
 * numpy's take: gathers along `axis` (along the flattened array when omitted), into a new array
 * of shape a.shape[:axis] + indices.shape + a.shape[axis+1:]; a single number index drops the
 * axis. Negative indices count from the end; throws IndexError for one out of bounds. An
 * embedding lookup is `take(table, ids, 0)`.
 *
 * @example
 * ```ts
 * const table = array([[1, 2], [3, 4], [5, 6]]);
 * take(table, [2, 0], 0).toArray(); // [[5, 6], [1, 2]]
 * take(table, [1, -1]).toArray(); // [2, 6]
 * ```
 */
export const take = kernel("take", join.take);
/**
 * numpy's `np.add.at(target, (..., indices, ...), src)` along `axis` (0 by default), in place:
 * repeated indices accumulate. The adjoint of {@link take}: `src` has take's result shape,
 * target.shape[:axis] + indices.shape + target.shape[axis+1:] (ShapeError otherwise), and its
 * values are added in target's dtype, unchecked (a float `src` into an int32 `target` is
 * truncated). Returns `target`; throws ReadOnlyError for a read-only `target`.
 *
 * @example
 * ```ts
 * indexAdd(zeros([3]), [0, 0, 2], array([1, 2, 3])).toArray(); // [3, 0, 3]
 * ```
 */
export const indexAdd = kernel("indexAdd", join.indexAdd);
/**
 * Integer `indices` (an NDArray, a list, an Int32Array or one number) as a new int32 array of
 * their shape, each checked against an axis of `size` and negatives wrapped to size + i, as
 * {@link take} and {@link indexAdd} read them. Throws IndexError for a non-integer or
 * out-of-bounds index and DTypeError for a bool array, with `op` starting the message.
 */
export const toIndexArray = kernel("toIndexArray", join.toIndexArray);
/**
 * The error function, elementwise, to about one ulp in float64; a new array with a float result
 * (float32 for float32, else float64).
 */
export const erf = kernel("erf", sp.erf);
/**
 * The windows along one axis as a view, no copy (torch's x.unfold(axis, size, step), with
 * dilation): that axis becomes the window index and a new last axis holds each window's `size`
 * taps. The view is read-only, since windows overlap when step < size. Throws ValueError unless
 * size, step and dilation are positive integers, ShapeError when one window is longer than the
 * axis.
 *
 * @example
 * ```ts
 * unfold(arange(5), { axis: 0, size: 3, step: 1, dilation: 1 }).toArray();
 * // [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
 * ```
 */
export const unfold = kernel("unfold", sp.unfold);
/**
 * The adjoint of {@link unfold}: a new array of `shape` (unfold's input's) with each window tap of
 * `g` added at the position it was read from, so a position read by several windows gets their
 * sum. Throws ShapeError unless `g` has the shape unfold would give.
 *
 * @example
 * ```ts
 * const spec = { axis: 0, size: 3, step: 1, dilation: 1 };
 * unfoldBackward(ones([3, 3]), [5], spec).toArray(); // [1, 2, 3, 2, 1]
 * ```
 */
export const unfoldBackward = kernel("unfoldBackward", sp.unfoldBackward);

// ---- the random streams: a draw advances the stream, so a replay draws again
{
  const proto = RandomState.prototype as unknown as Record<string, (...args: never[]) => unknown>;
  for (const m of ["seed", "setState", "randn", "rand", "standardNormal", "normal", "uniform", "randint", "choice", "permutation", "shuffle"]) {
    proto[m] = kernel(`RandomState.${m}`, proto[m]!);
  }
}
