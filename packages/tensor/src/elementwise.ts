// Elementwise ops: unary, binary with numpy broadcasting, comparisons, where, copies.
// The common layouts take fast paths (see below); every other case runs through `walk`
// (iter.ts). The common ops have explicit loops, the rest call a small function per element.

import { arithmeticResult, castScalar, floatResult, promoteTypes, type DType, type Storage } from "./dtype.js";
import { allocate, allocateUninit, storageOverlaps } from "./storage.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { rowRun, rowStride, walk } from "./iter.js";
import { NDArray, type ArrayOrScalar } from "./ndarray.js";
import { exp32, exp64, sigmoid32, sigmoid64, tanh32, tanh64, transcendentalRow, type TranscendentalOp } from "./kernels/transcendental.js";
import { transcendentalRowWasm } from "./kernels/transcendental-wasm.js";
import { arithmeticRow } from "./kernels/binary.js";
import { broadcastShapes, broadcastStrides, shapesEqual, sizeOf, contiguousStrides, type Shape } from "./shape.js";
import { kernel, type Elementwise, type KernelInfo } from "./kernel.js";

// the index of the optional `out` argument of a unary and of a binary kernel (kernel.ts)
const U = { out: 1 };
const B = { out: 2 };

/** A unary kernel's info, with the element a fused loop computes (kernel.ts): the kernel's own arithmetic. */
function unaryOp(expr: Elementwise["expr"], fns?: Elementwise["fns"]): KernelInfo {
  return { out: 1, elementwise: { expr, fns } };
}

/** A binary kernel's info, with the element a fused loop computes (kernel.ts): the kernel's own arithmetic. */
function binaryOp(expr: Elementwise["expr"]): KernelInfo {
  return { out: 2, elementwise: { expr } };
}

// ---------------------------------------------------------------- operands and outputs

/** A JS number next to an array is "weak" (numpy's rule for Python scalars): see dtype.ts. */
function scalarDType(v: number, other: DType | null): DType {
  if (other === "float32" || other === "float64") return other;
  if (other === null) return "float64";
  return Number.isInteger(v) ? "int32" : "float64";
}

function asArray(x: ArrayOrScalar, other: ArrayOrScalar | null, op: string): NDArray {
  if (x instanceof NDArray) return x;
  if (typeof x === "boolean") x = x ? 1 : 0;
  if (typeof x !== "number") {
    throw new DTypeError(`${op}: operands must be NDArrays or numbers, got ${x === null ? "null" : typeof x}`);
  }
  const dt = scalarDType(x, other instanceof NDArray ? other.dtype : null);
  const d = allocate(dt, 1);
  d[0] = x;
  return new NDArray(d, []);
}

function sharesStorage(a: NDArray, b: NDArray): boolean {
  return storageOverlaps(a.data, b.data);
}

function sameLayout(a: NDArray, bStrides: Shape, bOffset: number, b: NDArray): boolean {
  if (a.offset !== bOffset) return false;
  for (let i = 0; i < a.ndim; i++) if (a.shape[i] !== 1 && a.strides[i] !== bStrides[i]) return false;
  return a.data === b.data;
}

function canHold(out: DType, result: DType): boolean {
  if (out === result) return true;
  if (out === "float64" || out === "float32") return true; // same_kind: any number fits a float
  if (out === "int32") return result === "int32" || result === "bool";
  return false;
}

/** Throws unless `out` can take a result of this shape and dtype. */
function checkOut(op: string, shape: Shape, dtype: DType, out: NDArray): void {
  if (!(out instanceof NDArray)) throw new DTypeError(`${op}: out must be an NDArray`);
  if (!shapesEqual(out.shape, shape)) {
    throw new ShapeError(`${op}: out has shape ${fmtShape(out.shape)} but the result has shape ${fmtShape(shape)}`);
  }
  if (!canHold(out.dtype, dtype)) {
    throw new DTypeError(`${op}: cannot write a ${dtype} result into an out array of dtype ${out.dtype}`);
  }
  out.checkWritable(op);
}

/**
 * The array a kernel writes into: a fresh contiguous one, or the caller's `out` after checks.
 * When `out` overlaps an input in any way other than element-for-element, the kernel writes a
 * temporary and `finishOut` copies it over, as numpy does, so no input is read after being written.
 */
export function prepareOut(op: string, shape: Shape, dtype: DType, out: NDArray | undefined, inputs: readonly { a: NDArray; strides: Shape }[]): NDArray {
  if (out === undefined) return new NDArray(allocateUninit(dtype, sizeOf(shape), op, shape), shape);
  checkOut(op, shape, dtype, out);
  const overlaps = inputs.some(({ a, strides }) => sharesStorage(a, out) && !sameLayout(out, strides, a.offset, a));
  return overlaps ? new NDArray(allocate(out.dtype, sizeOf(shape)), shape) : out;
}

/** The kernel has written `target` (from prepareOut): the result, with `out` brought up to date. */
export function finishOut(out: NDArray | undefined, target: NDArray): NDArray {
  if (out === undefined) return target;
  if (target !== out) copyInto(out, target);
  out.bumpVersion();
  return out;
}

// ---------------------------------------------------------------- fast paths
//
// Most calls, the tape's above all, see C-contiguous arrays of one shape, or an array and a
// number, or a matrix and a row (a bias) or a column. For those a kernel is one loop over the
// storage (or one per row), without the general walk: on small arrays, the walk's coalescing,
// its bookkeeping arrays and its per-call closure cost more than the arithmetic. Everything
// else takes the walk.

/**
 * Where a fast-path kernel writes a result of `shape` computed from the contiguous operands
 * `a` and `b` (b may be null): a fresh array, or `out` itself when it is contiguous and shares
 * no storage with an operand except element for element (a[i] -> out[i]). Null sends the call
 * to the general path, which handles every other `out`.
 */
function fastTarget(op: string, shape: Shape, dtype: DType, out: NDArray | undefined, a: NDArray, b: NDArray | null): NDArray | null {
  if (out === undefined) return new NDArray(allocateUninit(dtype, sizeOf(shape), op, shape), shape);
  checkOut(op, shape, dtype, out);
  if (!out.isContiguous()) return null;
  if (sharesStorage(a, out) && !sameElements(a, out)) return null;
  if (b !== null && sharesStorage(b, out) && !sameElements(b, out)) return null;
  return out;
}

/** Two contiguous arrays over the same elements: an op may read x[i] and write out[i] in one pass. */
function sameElements(x: NDArray, out: NDArray): boolean {
  return x.data === out.data && x.offset === out.offset && x.size === out.size && x.isContiguous();
}

/**
 * Where row r of an array starts, when `a` is read as rows of `run` contiguous elements (see
 * rowRun in iter.ts): `run` itself for a contiguous array, else the layout's row stride, or NaN
 * when `a` cannot be read so.
 */
function runStride(shape: Shape, strides: Shape, size: number, run: number): number {
  const own = rowRun(shape, strides);
  if (own === size) return run;
  return own === run ? rowStride(shape, strides, run) : NaN;
}

/** Every element of `x` is the one value at x.offset (a broadcast view of a single value). */
function isConstant(x: NDArray): boolean {
  for (let i = 0; i < x.ndim; i++) if (x.shape[i] !== 1 && x.strides[i] !== 0) return false;
  return true;
}

/** `a.shape` ends with `row` (ignoring row's leading 1s): `row` repeats along a's leading dims. */
function endsWith(shape: Shape, row: Shape): boolean {
  let k = 0;
  while (k < row.length && row[k] === 1) k++;
  const lead = shape.length - row.length;
  if (lead < 0) return false;
  for (let i = k; i < row.length; i++) if (shape[lead + i] !== row[i]) return false;
  return true;
}

/** `col.shape` is `shape` with its last dim 1: one value per row of `shape`. */
function isColumnOf(shape: Shape, col: Shape): boolean {
  const n = shape.length;
  if (col.length !== n || n === 0 || col[n - 1] !== 1) return false;
  for (let i = 0; i < n - 1; i++) if (col[i] !== shape[i]) return false;
  return true;
}

// ---------------------------------------------------------------- unary

type UnaryFn = (x: number) => number;

function sigmoidScalar(x: number): number {
  // Two branches so that exp never overflows: for x << 0, 1/(1+exp(-x)) would be 1/inf.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Result dtype: "float" for transcendental ops, "same" keeps ints as ints, "bool" for predicates. */
type Kind = "float" | "same" | "bool";

function unaryResult(kind: Kind, dtype: DType): DType {
  return kind === "float" ? floatResult(dtype) : kind === "bool" ? "bool" : arithmeticResult(dtype);
}

const NEG = 0, EXP = 1, LOG = 2, SQRT = 3, ABS = 4, TANH = 5, SIGMOID = 6, RELU = 7, SQUARE = 8, U_OTHER = 9;
const KERNEL_OF: (TranscendentalOp | undefined)[] = [undefined, "exp", "log", undefined, undefined, "tanh", "sigmoid"];

/**
 * o[po + i*so] = f(a[pa + i*sa]) for i < n. The ops the tape runs most have loops of their own:
 * through the one shared call site `f(...)`, which sees every op's function (megamorphic), V8
 * can inline none of them and pays a full call per element, several times the arithmetic of
 * neg or square. Each loop computes exactly what its `f` computes.
 */
function unaryRow(code: number, f: UnaryFn, o: Storage, po: number, so: number, a: Storage, pa: number, sa: number, n: number): void {
  // float in, same float out: the polynomial kernels of kernels/transcendental.ts, and for
  // contiguous rows of exp, tanh and sigmoid their WebAssembly SIMD twins (the same bits)
  const t = KERNEL_OF[code];
  if (t !== undefined) {
    if (so === 1 && sa === 1 && t !== "log" && transcendentalRowWasm(t, o, po, a, pa, n)) return;
    if (transcendentalRow(t, o, po, so, a, pa, sa, n)) return;
  }
  switch (code) {
    case NEG:
      for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = -a[pa]!;
      return;
    case EXP:
      for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.exp(a[pa]!);
      return;
    case LOG:
      for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.log(a[pa]!);
      return;
    case SQRT:
      for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.sqrt(a[pa]!);
      return;
    case ABS:
      for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.abs(a[pa]!);
      return;
    case TANH:
      for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = Math.tanh(a[pa]!);
      return;
    case SIGMOID:
      // sigmoidScalar's two branches as arithmetic, to the same bits: with e = exp(-|x|) <= 1
      // and p = 1 for x >= 0 (else 0), (p + (1 - p) e) / (1 + e) is 1 / (1 + e) or e / (1 + e).
      // A branch on the sign, mispredicted half the time on data of either sign, cost a fifth.
      for (let i = 0; i < n; i++, po += so, pa += sa) {
        const x = a[pa]!;
        const e = Math.exp(-Math.abs(x));
        const p = Number(x >= 0);
        o[po] = (p + (1 - p) * e) / (1 + e);
      }
      return;
    case RELU:
      for (let i = 0; i < n; i++, po += so, pa += sa) {
        const x = a[pa]!;
        o[po] = x > 0 ? x : x === x ? 0 : x;
      }
      return;
    case SQUARE:
      for (let i = 0; i < n; i++, po += so, pa += sa) {
        const x = a[pa]!;
        o[po] = x * x;
      }
      return;
    default:
      for (let i = 0; i < n; i++, po += so, pa += sa) o[po] = f(a[pa]!);
  }
}

function unary(op: string, kind: Kind, code: number, f: UnaryFn, a: NDArray, out?: NDArray): NDArray {
  if (!(a instanceof NDArray)) a = asArray(a as unknown as number, null, op);
  const dtype = unaryResult(kind, a.dtype);
  if (a.isContiguous()) {
    const o = fastTarget(op, a.shape, dtype, out, a, null);
    if (o !== null) {
      unaryRow(code, f, o.data, o.offset, 1, a.data, a.offset, 1, a.size);
      if (o === out) out.bumpVersion();
      return o;
    }
  } else if (a.size > 0) {
    // rows of contiguous elements (a slice of columns): one loop per row
    const n = rowRun(a.shape, a.strides);
    const rs = n > 1 ? rowStride(a.shape, a.strides, n) : NaN;
    const o = rs === rs ? fastTarget(op, a.shape, dtype, out, a, null) : null;
    if (o !== null) {
      const od = o.data, ad = a.data;
      for (let p = 0, pa = a.offset; p < a.size; p += n, pa += rs) unaryRow(code, f, od, o.offset + p, 1, ad, pa, 1, n);
      if (o === out) out.bumpVersion();
      return o;
    }
    // any other 2-D layout (a transposed view): one strided loop per row
    const o2 = a.ndim === 2 && rs !== rs ? fastTarget(op, a.shape, dtype, out, a, null) : null;
    if (o2 !== null) {
      const od = o2.data, ad = a.data;
      const [rows, cols, s0, s1] = [a.shape[0]!, a.shape[1]!, a.strides[0]!, a.strides[1]!];
      for (let i = 0; i < rows; i++) unaryRow(code, f, od, o2.offset + i * cols, 1, ad, a.offset + i * s0, s1, cols);
      if (o2 === out) out.bumpVersion();
      return o2;
    }
  }
  const target = prepareOut(op, a.shape, dtype, out, [{ a, strides: a.strides }]);
  const od = target.data;
  const ad = a.data;
  walk(a.shape, [target.strides, a.strides], [target.offset, a.offset], (pos, n, inner) => {
    unaryRow(code, f, od, pos[0]!, inner[0]!, ad, pos[1]!, inner[1]!, n);
  });
  return finishOut(out, target);
}

function defUnary(name: string, kind: Kind, f: UnaryFn, code = U_OTHER) {
  return (a: NDArray, out?: NDArray): NDArray => unary(name, kind, code, f, a, out);
}

/**
 * Elementwise -a (numpy's negative); keeps the dtype (bool gives int32). `out`, when given,
 * receives the result, as for {@link add}.
 */
export const neg = kernel("neg", defUnary("neg", "same", (x) => -x, NEG), unaryOp(([a]) => `-${a}`));
/**
 * Elementwise e^a; a float result (float32 for float32, else float64). `out`, when given,
 * receives the result, as for {@link add}.
 */
export const exp = kernel("exp", defUnary("exp", "float", Math.exp, EXP), unaryOp(([a], f32) => `${f32 ? "exp32" : "exp64"}(${a})`, { exp32, exp64 }));
/**
 * Elementwise natural log (NaN below 0, -Infinity at 0); a float result (float32 for float32,
 * else float64). `out` as for {@link add}.
 */
export const log = kernel("log", defUnary("log", "float", Math.log, LOG), U);
/**
 * Elementwise square root (NaN below 0); a float result (float32 for float32, else float64).
 * `out` as for {@link add}.
 */
export const sqrt = kernel("sqrt", defUnary("sqrt", "float", Math.sqrt, SQRT), unaryOp(([a]) => `Math.sqrt(${a})`));
/** Elementwise |a|; keeps the dtype (bool gives int32). `out` as for {@link add}. */
export const abs = kernel("abs", defUnary("abs", "same", Math.abs, ABS), unaryOp(([a]) => `Math.abs(${a})`));
/**
 * Elementwise hyperbolic tangent; a float result (float32 for float32, else float64). `out` as
 * for {@link add}.
 */
export const tanh = kernel("tanh", defUnary("tanh", "float", Math.tanh, TANH), unaryOp(([a], f32) => `${f32 ? "tanh32" : "tanh64"}(${a})`, { tanh32, tanh64 }));
/**
 * Elementwise logistic function 1 / (1 + e^-a), computed so that no e^x overflows; a float result
 * (float32 for float32, else float64). `out` as for {@link add}.
 */
export const sigmoid = kernel("sigmoid", defUnary("sigmoid", "float", sigmoidScalar, SIGMOID), unaryOp(([a], f32) => `${f32 ? "sigmoid32" : "sigmoid64"}(${a})`, { sigmoid32, sigmoid64 }));
/**
 * Elementwise max(a, 0), with NaN kept as NaN; keeps the dtype (bool gives int32). `out` as for
 * {@link add}.
 */
export const relu = kernel("relu", defUnary("relu", "same", (x) => (x > 0 ? x : x === x ? 0 : x), RELU), unaryOp(([a]) => `(${a} > 0 ? ${a} : ${a} === ${a} ? 0 : ${a})`));
/** Elementwise a * a; keeps the dtype (bool gives int32). `out` as for {@link add}. */
export const square = kernel("square", defUnary("square", "same", (x) => x * x, SQUARE), unaryOp(([a]) => `${a} * ${a}`));
/**
 * Elementwise sine (radians); a float result (float32 for float32, else float64). `out` as for
 * {@link add}.
 */
export const sin = kernel("sin", defUnary("sin", "float", Math.sin), U);
/**
 * Elementwise cosine (radians); a float result (float32 for float32, else float64). `out` as for
 * {@link add}.
 */
export const cos = kernel("cos", defUnary("cos", "float", Math.cos), U);
// numpy's sign(-0.0) is +0.0; NaN stays NaN.
/**
 * numpy's sign: -1, 0 or 1 for each element by its sign (-0 gives 0, NaN stays NaN); keeps the
 * dtype (bool gives int32). `out` as for {@link add}.
 */
export const sign = kernel("sign", defUnary("sign", "same", (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x)), U);
/**
 * Elementwise 1 / a; a float result (float32 for float32, else float64: unlike numpy's, an int32
 * input does not stay integer). `out` as for {@link add}.
 */
export const reciprocal = kernel("reciprocal", defUnary("reciprocal", "float", (x) => 1 / x), U);
/**
 * Elementwise log(1 + a), accurate for a near 0; a float result (float32 for float32, else
 * float64). `out` as for {@link add}.
 */
export const log1p = kernel("log1p", defUnary("log1p", "float", Math.log1p), U);
/**
 * Elementwise e^a - 1, accurate for a near 0; a float result (float32 for float32, else float64).
 * `out` as for {@link add}.
 */
export const expm1 = kernel("expm1", defUnary("expm1", "float", Math.expm1), U);
/**
 * Elementwise floor, the largest integer <= a; keeps the dtype (bool gives int32). `out` as for
 * {@link add}.
 */
export const floor = kernel("floor", defUnary("floor", "same", Math.floor), U);
/**
 * Elementwise ceiling, the smallest integer >= a; keeps the dtype (bool gives int32). `out` as
 * for {@link add}.
 */
export const ceil = kernel("ceil", defUnary("ceil", "same", Math.ceil), U);
/**
 * Rounds each element to the nearest integer, halves to even as numpy does (0.5 to 0, 1.5 and
 * 2.5 to 2); keeps the dtype (bool gives int32). `out` as for {@link add}.
 *
 * @example
 * ```ts
 * round(array([0.5, 1.5, 2.5, 2.6])).toArray(); // [0, 2, 2, 3]
 * ```
 */
export const round = kernel("round", defUnary("round", "same", (x) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}), U);
/** Elementwise test for NaN, as a bool array. */
export const isnan = kernel("isnan", (a: NDArray): NDArray => unary("isnan", "bool", U_OTHER, (x) => (x !== x ? 1 : 0), a));
/** Elementwise test for a finite value (neither NaN nor ±Infinity), as a bool array. */
export const isfinite = kernel("isfinite", (a: NDArray): NDArray => unary("isfinite", "bool", U_OTHER, (x) => (Number.isFinite(x) ? 1 : 0), a));

// ---------------------------------------------------------------- binary

const ADD = 0, SUB = 1, MUL = 2, DIV = 3, OTHER = 4, SIGMOID_BACKWARD = 5, TANH_BACKWARD = 6;

type BinaryFn = (x: number, y: number) => number;

function binaryRow(code: number, f: BinaryFn, o: Storage, po: number, so: number, a: Storage, pa: number, sa: number, b: Storage, pb: number, sb: number, n: number): void {
  // one float dtype throughout: the monomorphic loops of kernels/binary.ts
  if (code < OTHER && arithmeticRow(code, o, po, so, a, pa, sa, b, pb, sb, n)) return;
  switch (code) {
    case ADD:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! + b[pb]!;
      return;
    case SUB:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! - b[pb]!;
      return;
    case MUL:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! * b[pb]!;
      return;
    case DIV:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! / b[pb]!;
      return;
    case SIGMOID_BACKWARD:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) {
        const s = b[pb]!;
        o[po] = a[pa]! * s * (1 - s);
      }
      return;
    case TANH_BACKWARD:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) {
        const t = b[pb]!;
        o[po] = a[pa]! * (1 - t * t);
      }
      return;
    default:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = f(a[pa]!, b[pb]!);
  }
}

type BinaryKind = "arith" | "float" | "bool";

function binaryResult(kind: BinaryKind, a: DType, b: DType): DType {
  const p = promoteTypes(a, b);
  return kind === "float" ? floatResult(p) : kind === "bool" ? "bool" : arithmeticResult(p);
}

function checkPow(op: string, dtype: DType, b: NDArray): void {
  if (op === "pow" && dtype === "int32" && anyNegative(b)) {
    throw new ValueError("pow: integers to negative integer powers are not allowed; use float operands");
  }
}

/**
 * The fast paths of a binary op (see "fast paths" above), or null for the general walk: x and
 * y contiguous and either of one shape, or one of them a single value (a number or a
 * one-element array), a row that repeats along the other's leading dims, or a column.
 */
function binaryFast(op: string, code: number, kind: BinaryKind, f: BinaryFn, x: ArrayOrScalar, y: ArrayOrScalar, out: NDArray | undefined): NDArray | null {
  // A number becomes a one-element storage of its weak dtype (see dtype.ts), read with stride 0.
  const a = typeof x === "number" ? asArray(x, y, op) : x;
  const b = typeof y === "number" ? asArray(y, x, op) : y;
  if (!(a instanceof NDArray) || !(b instanceof NDArray)) return null;
  const dtype = binaryResult(kind, a.dtype, b.dtype);
  const ad = a.data, bd = b.data;
  let o: NDArray | null;
  if (!a.isContiguous() || !b.isContiguous()) {
    // Not both contiguous: only operands of one shape take a fast path here.
    if (a.size === 0 || !shapesEqual(a.shape, b.shape)) return null;
    const n = Math.min(rowRun(a.shape, a.strides), rowRun(b.shape, b.strides));
    const ra = runStride(a.shape, a.strides, a.size, n);
    const rb = runStride(b.shape, b.strides, b.size, n);
    if (n > 1 && ra === ra && rb === rb) {
      // rows of contiguous elements (slices of columns): one loop per row
      checkPow(op, dtype, b);
      if ((o = fastTarget(op, a.shape, dtype, out, a, b)) === null) return null;
      const od = o.data;
      for (let p = 0, pa = a.offset, pb = b.offset; p < a.size; p += n, pa += ra, pb += rb) binaryRow(code, f, od, o.offset + p, 1, ad, pa, 1, bd, pb, 1, n);
    } else if ((isConstant(b) && a.isContiguous()) || (isConstant(a) && b.isContiguous())) {
      // a single value broadcast to the other's shape (a gradient of a sum): as a number
      checkPow(op, dtype, b);
      if ((o = fastTarget(op, a.shape, dtype, out, a, b)) === null) return null;
      binaryRow(code, f, o.data, o.offset, 1, ad, a.offset, isConstant(a) ? 0 : 1, bd, b.offset, isConstant(b) ? 0 : 1, a.size);
    } else if (a.ndim === 2) {
      // any other 2-D layout (a transposed view): one strided loop per row
      checkPow(op, dtype, b);
      if ((o = fastTarget(op, a.shape, dtype, out, a, b)) === null) return null;
      const od = o.data;
      const [rows, cols] = [a.shape[0]!, a.shape[1]!];
      const [a0, a1, b0, b1] = [a.strides[0]!, a.strides[1]!, b.strides[0]!, b.strides[1]!];
      for (let i = 0; i < rows; i++) binaryRow(code, f, od, o.offset + i * cols, 1, ad, a.offset + i * a0, a1, bd, b.offset + i * b0, b1, cols);
    } else return null;
  } else if (shapesEqual(a.shape, b.shape)) {
    checkPow(op, dtype, b);
    if ((o = fastTarget(op, a.shape, dtype, out, a, b)) === null) return null;
    binaryRow(code, f, o.data, o.offset, 1, ad, a.offset, 1, bd, b.offset, 1, a.size);
  } else if (b.size === 1 && b.ndim <= a.ndim) {
    checkPow(op, dtype, b);
    if ((o = fastTarget(op, a.shape, dtype, out, a, b)) === null) return null;
    binaryRow(code, f, o.data, o.offset, 1, ad, a.offset, 1, bd, b.offset, 0, a.size);
  } else if (a.size === 1 && a.ndim <= b.ndim) {
    checkPow(op, dtype, b);
    if ((o = fastTarget(op, b.shape, dtype, out, a, b)) === null) return null;
    binaryRow(code, f, o.data, o.offset, 1, ad, a.offset, 0, bd, b.offset, 1, b.size);
  } else if (endsWith(a.shape, b.shape) || endsWith(b.shape, a.shape)) {
    // a row (a bias) against a matrix, either way round: one loop per repetition of the row
    const [big, rowIsB] = endsWith(a.shape, b.shape) ? [a, true] : [b, false];
    const n = rowIsB ? b.size : a.size;
    if (n === 0) return null;
    checkPow(op, dtype, b);
    if ((o = fastTarget(op, big.shape, dtype, out, a, b)) === null) return null;
    const od = o.data;
    for (let p = 0; p < big.size; p += n) {
      if (rowIsB) binaryRow(code, f, od, o.offset + p, 1, ad, a.offset + p, 1, bd, b.offset, 1, n);
      else binaryRow(code, f, od, o.offset + p, 1, ad, a.offset, 1, bd, b.offset + p, 1, n);
    }
  } else if (isColumnOf(a.shape, b.shape) || isColumnOf(b.shape, a.shape)) {
    // one value per row (a (m, 1) column against (m, n)), either way round
    const colIsB = isColumnOf(a.shape, b.shape);
    const big = colIsB ? a : b;
    const n = big.shape[big.ndim - 1]!;
    checkPow(op, dtype, b);
    if ((o = fastTarget(op, big.shape, dtype, out, a, b)) === null) return null;
    const od = o.data;
    for (let r = 0, p = 0; p < big.size; r++, p += n) {
      if (colIsB) binaryRow(code, f, od, o.offset + p, 1, ad, a.offset + p, 1, bd, b.offset + r, 0, n);
      else binaryRow(code, f, od, o.offset + p, 1, ad, a.offset + r, 0, bd, b.offset + p, 1, n);
    }
  } else return null;
  if (o === out) out.bumpVersion();
  return o;
}

function binary(op: string, code: number, kind: BinaryKind, f: BinaryFn, x: ArrayOrScalar, y: ArrayOrScalar, out?: NDArray): NDArray {
  const fast = binaryFast(op, code, kind, f, x, y, out);
  if (fast !== null) return fast;
  const a = asArray(x, y, op);
  const b = asArray(y, x, op);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = broadcastStrides(b.shape, b.strides, shape);
  const dtype = binaryResult(kind, a.dtype, b.dtype);
  checkPow(op, dtype, b);
  const target = prepareOut(op, shape, dtype, out, [
    { a, strides: sa },
    { a: b, strides: sb },
  ]);
  const od = target.data;
  const ad = a.data;
  const bd = b.data;
  walk(shape, [target.strides, sa, sb], [target.offset, a.offset, b.offset], (pos, n, inner) => {
    binaryRow(code, f, od, pos[0]!, inner[0]!, ad, pos[1]!, inner[1]!, bd, pos[2]!, inner[2]!, n);
  });
  return finishOut(out, target);
}

function anyNegative(b: NDArray): boolean {
  let neg = false;
  walk(b.shape, [b.strides], [b.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!; i < n; i++, p += inner[0]!) if (b.data[p]! < 0) neg = true;
  });
  return neg;
}

function defBinary(name: string, code: number, kind: BinaryKind, f: BinaryFn) {
  return (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => binary(name, code, kind, f, a, b, out);
}

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
export const add = kernel("add", defBinary("add", ADD, "arith", (x, y) => x + y), binaryOp(([a, b]) => `${a} + ${b}`));
/** Elementwise a - b; broadcasting, dtypes and `out` as for {@link add}. */
export const sub = kernel("sub", defBinary("sub", SUB, "arith", (x, y) => x - y), binaryOp(([a, b]) => `${a} - ${b}`));
/** Elementwise a * b; broadcasting, dtypes and `out` as for {@link add}. */
export const mul = kernel("mul", defBinary("mul", MUL, "arith", (x, y) => x * y), binaryOp(([a, b]) => `${a} * ${b}`));
/**
 * Elementwise true division a / b (x / 0 is ±Infinity or NaN, as in JS); broadcasting and `out`
 * as for {@link add}. A float result: float32 only when the promoted dtype is float32, so two
 * int32 arrays give float64.
 */
export const div = kernel("div", defBinary("div", DIV, "float", (x, y) => x / y), binaryOp(([a, b]) => `${a} / ${b}`));
/**
 * C's pow, which numpy calls. Math.pow differs only where it returns NaN: C gives
 * pow(1, y) = 1 for every y (NaN and ±inf included) and pow(-1, ±inf) = 1.
 */
function powScalar(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return Math.pow(x, y);
}
// The derivatives of sigmoid and tanh from their outputs y, times an incoming gradient g, in
// one pass (PyTorch's sigmoid_backward(grad, result) and tanh_backward): the composed
// g * (y * (1 - y)) would make two temporaries and read the operands three times.
/**
 * sigmoid's gradient from its output: a * b * (1 - b) elementwise, for an incoming gradient `a`
 * and b = sigmoid(x), in one pass (PyTorch's sigmoid_backward(grad, result)). A float result as
 * for {@link div}; broadcasting and `out` as for {@link add}.
 */
export const sigmoidBackward = kernel("sigmoidBackward", defBinary("sigmoidBackward", SIGMOID_BACKWARD, "float", (g, y) => g * y * (1 - y)), binaryOp(([g, s]) => `${g} * ${s} * (1 - ${s})`));
/**
 * tanh's gradient from its output: a * (1 - b^2) elementwise, for an incoming gradient `a` and
 * b = tanh(x), in one pass (PyTorch's tanh_backward). A float result as for {@link div};
 * broadcasting and `out` as for {@link add}.
 */
export const tanhBackward = kernel("tanhBackward", defBinary("tanhBackward", TANH_BACKWARD, "float", (g, y) => g * (1 - y * y)), binaryOp(([g, t]) => `${g} * (1 - ${t} * ${t})`));

/**
 * Elementwise a ** b, by C's pow as numpy computes it (pow(1, y) is 1 even for a NaN y);
 * broadcasting, dtypes and `out` as for {@link add}. Throws ValueError for an int32 result with
 * a negative exponent: integers to negative integer powers need float operands.
 */
export const pow = kernel("pow", defBinary("pow", OTHER, "arith", powScalar), B);
// NaN propagates through maximum/minimum, as in numpy (Math.max does the same).
/**
 * numpy's maximum: the elementwise larger of a and b, NaN winning over any number; broadcasting,
 * dtypes and `out` as for {@link add}.
 */
export const maximum = kernel("maximum", defBinary("maximum", OTHER, "arith", Math.max), binaryOp(([a, b]) => `Math.max(${a}, ${b})`));
/**
 * numpy's minimum: the elementwise smaller of a and b, NaN winning over any number; broadcasting,
 * dtypes and `out` as for {@link add}.
 */
export const minimum = kernel("minimum", defBinary("minimum", OTHER, "arith", Math.min), binaryOp(([a, b]) => `Math.min(${a}, ${b})`));
/**
 * Elementwise a == b as a bool array (NaN equals nothing, itself included); broadcasting and
 * numbers as for {@link add}.
 */
export const eq = kernel("eq", defBinary("eq", OTHER, "bool", (x, y) => (x === y ? 1 : 0)), B);
/**
 * Elementwise a != b as a bool array (true wherever either is NaN); broadcasting and numbers as
 * for {@link add}.
 */
export const ne = kernel("ne", defBinary("ne", OTHER, "bool", (x, y) => (x !== y ? 1 : 0)), B);
/** Elementwise a < b as a bool array; broadcasting and numbers as for {@link add}. */
export const lt = kernel("lt", defBinary("lt", OTHER, "bool", (x, y) => (x < y ? 1 : 0)), B);
/** Elementwise a <= b as a bool array; broadcasting and numbers as for {@link add}. */
export const le = kernel("le", defBinary("le", OTHER, "bool", (x, y) => (x <= y ? 1 : 0)), B);
/** Elementwise a > b as a bool array; broadcasting and numbers as for {@link add}. */
export const gt = kernel("gt", defBinary("gt", OTHER, "bool", (x, y) => (x > y ? 1 : 0)), B);
/** Elementwise a >= b as a bool array; broadcasting and numbers as for {@link add}. */
export const ge = kernel("ge", defBinary("ge", OTHER, "bool", (x, y) => (x >= y ? 1 : 0)), B);

/**
 * numpy's clip: each element limited to [lo, hi], computed as minimum(maximum(x, lo), hi), so
 * NaN stays NaN and the bounds are weak numbers as in {@link add}. A new array. With lo > hi
 * every element is hi, as numpy's and PyTorch's clip give.
 *
 * @example
 * ```ts
 * clip(array([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * clip(array([-2, 0.5, 3]), 1, 0).toArray(); // [0, 0, 0]
 * ```
 */
export const clip = kernel("clip", function clip(x: NDArray, lo: number, hi: number): NDArray {
  return minimum(maximum(x, lo), hi);
});

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
export const where = kernel("where", function where(mask: NDArray, x: ArrayOrScalar, y: ArrayOrScalar, out?: NDArray): NDArray {
  const m = asArray(mask, null, "where");
  const a = asArray(x, y, "where");
  const b = asArray(y, x, "where");
  const shape = broadcastShapes("where", m.shape, a.shape, b.shape);
  const sm = broadcastStrides(m.shape, m.strides, shape);
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = broadcastStrides(b.shape, b.strides, shape);
  const target = prepareOut("where", shape, promoteTypes(a.dtype, b.dtype), out, [
    { a: m, strides: sm },
    { a, strides: sa },
    { a: b, strides: sb },
  ]);
  const od = target.data, md = m.data, ad = a.data, bd = b.data;
  walk(shape, [target.strides, sm, sa, sb], [target.offset, m.offset, a.offset, b.offset], (pos, n, inner) => {
    let po = pos[0]!, pm = pos[1]!, pa = pos[2]!, pb = pos[3]!;
    const so = inner[0]!, smm = inner[1]!, saa = inner[2]!, sbb = inner[3]!;
    // `!== 0` rather than truthiness: a NaN in a float mask counts as true, as in numpy.
    for (let i = 0; i < n; i++, po += so, pm += smm, pa += saa, pb += sbb) od[po] = md[pm] !== 0 ? ad[pa]! : bd[pb]!;
  });
  return finishOut(out, target);
}, { out: 3 });

// ---------------------------------------------------------------- copies and writes

/** dst[...] = src elementwise, same shape, no checks (internal). */
function copyInto(dst: NDArray, src: NDArray, srcStrides: Shape = src.strides): void {
  const od = dst.data;
  const sd = src.data;
  const size = dst.size;
  if (size > 0) {
    // Both read as rows of contiguous elements (a slice written into a slice): a copy per row.
    const n = Math.min(rowRun(dst.shape, dst.strides), rowRun(dst.shape, srcStrides));
    const rd = runStride(dst.shape, dst.strides, size, n);
    const rs = runStride(dst.shape, srcStrides, size, n);
    if ((n > 1 || n === size) && rd === rd && rs === rs) {
      const same = od.constructor === sd.constructor && n >= 64;
      for (let p = 0, po = dst.offset, ps = src.offset; p < size; p += n, po += rd, ps += rs) {
        if (same) od.set(sd.subarray(ps, ps + n) as never, po);
        else for (let i = 0; i < n; i++) od[po + i] = sd[ps + i]!;
      }
      return;
    }
    if (dst.ndim === 2) {
      // any other 2-D layouts (a transposed view made contiguous): one strided loop per row
      const [rows, cols] = [dst.shape[0]!, dst.shape[1]!];
      const [d0, d1, s0, s1] = [dst.strides[0]!, dst.strides[1]!, srcStrides[0]!, srcStrides[1]!];
      for (let i = 0; i < rows; i++) {
        let po = dst.offset + i * d0;
        let ps = src.offset + i * s0;
        for (let k = 0; k < cols; k++, po += d1, ps += s1) od[po] = sd[ps]!;
      }
      return;
    }
  }
  walk(dst.shape, [dst.strides, srcStrides], [dst.offset, src.offset], (pos, n, inner) => {
    let po = pos[0]!;
    let ps = pos[1]!;
    const so = inner[0]!;
    const ss = inner[1]!;
    if (so === 1 && ss === 1 && od.constructor === sd.constructor) {
      od.set(sd.subarray(ps, ps + n) as never, po);
      return;
    }
    for (let i = 0; i < n; i++, po += so, ps += ss) od[po] = sd[ps]!;
  });
}

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
export const copy = kernel("copy", function copy(a: NDArray, dtype: DType = a.dtype): NDArray {
  const o = new NDArray(allocate(dtype, a.size), a.shape, contiguousStrides(a.shape));
  if (dtype === "bool" && a.dtype !== "bool") {
    const od = o.data;
    const ad = a.data;
    walk(a.shape, [o.strides, a.strides], [0, a.offset], (pos, n, inner) => {
      for (let i = 0, po = pos[0]!, pa = pos[1]!; i < n; i++, po += inner[0]!, pa += inner[1]!) od[po] = ad[pa] !== 0 ? 1 : 0;
    });
    return o;
  }
  copyInto(o, a);
  return o;
}, {
  // the element itself, where the copy keeps the dtype (a cast is not an elementwise loop's)
  elementwise: { expr: ([a]) => a!, ops: (args, target) => (target !== null && (args[1] === undefined || args[1] === target.dtype) ? [{ out: target, ins: [args[0]] }] : null) },
});

/**
 * Writes `value` into every element of `a`, in place, through any view (numpy's `a.fill`);
 * returns nothing (the method `a.fill(value)` returns `a`). Throws ReadOnlyError for a
 * read-only (broadcast) view and ValueError when `value` is not a number.
 */
export const fill = kernel("fill", function fill(a: NDArray, value: number): void {
  if (typeof value !== "number") throw new ValueError(`fill: value must be a number, got ${typeof value}`);
  a.checkWritable("fill");
  value = castScalar(a.dtype, value);
  const d = a.data;
  walk(a.shape, [a.strides], [a.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!, s = inner[0]!; i < n; i++, p += s) d[p] = value;
  });
  a.bumpVersion();
});

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
export const assign = kernel("assign", function assign(dst: NDArray, src: ArrayOrScalar): void {
  const s = asArray(src, dst, "assign");
  const shape = broadcastShapes("assign", dst.shape, s.shape);
  if (!shapesEqual(shape, dst.shape)) {
    throw new ShapeError(`assign: cannot broadcast source of shape ${fmtShape(s.shape)} into destination of shape ${fmtShape(dst.shape)}`);
  }
  if (!canHold(dst.dtype, s.dtype)) throw new DTypeError(`assign: cannot write ${s.dtype} values into a ${dst.dtype} array`);
  dst.checkWritable("assign");
  const ss = broadcastStrides(s.shape, s.strides, shape);
  const source = sharesStorage(dst, s) && !sameLayout(dst, ss, s.offset, s) ? copy(s) : s;
  copyInto(dst, source, broadcastStrides(source.shape, source.strides, shape));
  dst.bumpVersion();
});
