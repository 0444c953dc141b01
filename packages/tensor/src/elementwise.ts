// Elementwise ops: unary, binary with numpy broadcasting, comparisons, where, copies.
// Every op runs through `walk` (iter.ts); the common arithmetic has explicit loops, the rest
// calls a small scalar function per element.

import { allocate, arithmeticResult, castScalar, floatResult, promoteTypes, type DType, type Storage } from "./dtype.js";
import { DTypeError, ShapeError, ValueError, fmtShape } from "./errors.js";
import { walk } from "./iter.js";
import { NDArray, type ArrayOrScalar } from "./ndarray.js";
import { broadcastShapes, broadcastStrides, shapesEqual, sizeOf, contiguousStrides, type Shape } from "./shape.js";

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
  return a.data.buffer === b.data.buffer;
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

/**
 * The array a kernel writes into: a fresh contiguous one, or the caller's `out` after checks.
 * When `out` overlaps an input in any way other than element-for-element, the kernel writes a
 * temporary and `finish` copies it over, as numpy does, so no input is read after being written.
 */
export function prepareOut(op: string, shape: Shape, dtype: DType, out: NDArray | undefined, inputs: readonly { a: NDArray; strides: Shape }[]) {
  if (out === undefined) {
    const o = new NDArray(allocate(dtype, sizeOf(shape)), shape);
    return { target: o, finish: () => o };
  }
  if (!(out instanceof NDArray)) throw new DTypeError(`${op}: out must be an NDArray`);
  if (!shapesEqual(out.shape, shape)) {
    throw new ShapeError(`${op}: out has shape ${fmtShape(out.shape)} but the result has shape ${fmtShape(shape)}`);
  }
  if (!canHold(out.dtype, dtype)) {
    throw new DTypeError(`${op}: cannot write a ${dtype} result into an out array of dtype ${out.dtype}`);
  }
  out.checkWritable(op);
  const overlaps = inputs.some(({ a, strides }) => sharesStorage(a, out) && !sameLayout(out, strides, a.offset, a));
  if (!overlaps) {
    return {
      target: out,
      finish: () => {
        out.bumpVersion();
        return out;
      },
    };
  }
  const tmp = new NDArray(allocate(out.dtype, sizeOf(shape)), shape);
  return {
    target: tmp,
    finish: () => {
      copyInto(out, tmp);
      out.bumpVersion();
      return out;
    },
  };
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

function unary(op: string, kind: Kind, f: UnaryFn, a: NDArray, out?: NDArray): NDArray {
  if (!(a instanceof NDArray)) a = asArray(a as unknown as number, null, op);
  const { target, finish } = prepareOut(op, a.shape, unaryResult(kind, a.dtype), out, [{ a, strides: a.strides }]);
  const od = target.data;
  const ad = a.data;
  walk(a.shape, [target.strides, a.strides], [target.offset, a.offset], (pos, n, inner) => {
    let po = pos[0]!;
    let pa = pos[1]!;
    const so = inner[0]!;
    const sa = inner[1]!;
    for (let i = 0; i < n; i++) {
      od[po] = f(ad[pa]!);
      po += so;
      pa += sa;
    }
  });
  return finish();
}

function defUnary(name: string, kind: Kind, f: UnaryFn) {
  return (a: NDArray, out?: NDArray): NDArray => unary(name, kind, f, a, out);
}

export const neg = defUnary("neg", "same", (x) => -x);
export const exp = defUnary("exp", "float", Math.exp);
export const log = defUnary("log", "float", Math.log);
export const sqrt = defUnary("sqrt", "float", Math.sqrt);
export const abs = defUnary("abs", "same", Math.abs);
export const tanh = defUnary("tanh", "float", Math.tanh);
export const sigmoid = defUnary("sigmoid", "float", sigmoidScalar);
export const relu = defUnary("relu", "same", (x) => (x > 0 ? x : x === x ? 0 : x));
export const square = defUnary("square", "same", (x) => x * x);
export const sin = defUnary("sin", "float", Math.sin);
export const cos = defUnary("cos", "float", Math.cos);
// numpy's sign(-0.0) is +0.0; NaN stays NaN.
export const sign = defUnary("sign", "same", (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x));
export const reciprocal = defUnary("reciprocal", "float", (x) => 1 / x);
export const log1p = defUnary("log1p", "float", Math.log1p);
export const expm1 = defUnary("expm1", "float", Math.expm1);
export const floor = defUnary("floor", "same", Math.floor);
export const ceil = defUnary("ceil", "same", Math.ceil);
/** Rounds half to even, as numpy does (2.5 -> 2, 3.5 -> 4). */
export const round = defUnary("round", "same", (x) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
});
export const isnan = (a: NDArray): NDArray => unary("isnan", "bool", (x) => (x !== x ? 1 : 0), a);
export const isfinite = (a: NDArray): NDArray => unary("isfinite", "bool", (x) => (Number.isFinite(x) ? 1 : 0), a);

// ---------------------------------------------------------------- binary

const ADD = 0, SUB = 1, MUL = 2, DIV = 3, OTHER = 4;

type BinaryFn = (x: number, y: number) => number;

function binaryRow(code: number, f: BinaryFn, o: Storage, po: number, so: number, a: Storage, pa: number, sa: number, b: Storage, pb: number, sb: number, n: number): void {
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
    default:
      for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = f(a[pa]!, b[pb]!);
  }
}

type BinaryKind = "arith" | "float" | "bool";

function binaryResult(kind: BinaryKind, a: DType, b: DType): DType {
  const p = promoteTypes(a, b);
  return kind === "float" ? floatResult(p) : kind === "bool" ? "bool" : arithmeticResult(p);
}

function binary(op: string, code: number, kind: BinaryKind, f: BinaryFn, x: ArrayOrScalar, y: ArrayOrScalar, out?: NDArray): NDArray {
  const a = asArray(x, y, op);
  const b = asArray(y, x, op);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = broadcastStrides(b.shape, b.strides, shape);
  const dtype = binaryResult(kind, a.dtype, b.dtype);
  if (op === "pow" && dtype === "int32" && anyNegative(b)) {
    throw new ValueError("pow: integers to negative integer powers are not allowed; use float operands");
  }
  const { target, finish } = prepareOut(op, shape, dtype, out, [
    { a, strides: sa },
    { a: b, strides: sb },
  ]);
  const od = target.data;
  const ad = a.data;
  const bd = b.data;
  walk(shape, [target.strides, sa, sb], [target.offset, a.offset, b.offset], (pos, n, inner) => {
    binaryRow(code, f, od, pos[0]!, inner[0]!, ad, pos[1]!, inner[1]!, bd, pos[2]!, inner[2]!, n);
  });
  return finish();
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

export const add = defBinary("add", ADD, "arith", (x, y) => x + y);
export const sub = defBinary("sub", SUB, "arith", (x, y) => x - y);
export const mul = defBinary("mul", MUL, "arith", (x, y) => x * y);
export const div = defBinary("div", DIV, "float", (x, y) => x / y);
/**
 * C's pow, which numpy calls. Math.pow differs only where it returns NaN: C gives
 * pow(1, y) = 1 for every y (NaN and ±inf included) and pow(-1, ±inf) = 1.
 */
function powScalar(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return Math.pow(x, y);
}
export const pow = defBinary("pow", OTHER, "arith", powScalar);
// NaN propagates through maximum/minimum, as in numpy (Math.max does the same).
export const maximum = defBinary("maximum", OTHER, "arith", Math.max);
export const minimum = defBinary("minimum", OTHER, "arith", Math.min);
export const eq = defBinary("eq", OTHER, "bool", (x, y) => (x === y ? 1 : 0));
export const ne = defBinary("ne", OTHER, "bool", (x, y) => (x !== y ? 1 : 0));
export const lt = defBinary("lt", OTHER, "bool", (x, y) => (x < y ? 1 : 0));
export const le = defBinary("le", OTHER, "bool", (x, y) => (x <= y ? 1 : 0));
export const gt = defBinary("gt", OTHER, "bool", (x, y) => (x > y ? 1 : 0));
export const ge = defBinary("ge", OTHER, "bool", (x, y) => (x >= y ? 1 : 0));

/** numpy's clip: min(max(x, lo), hi). */
export function clip(x: NDArray, lo: number, hi: number): NDArray {
  if (lo > hi) throw new ValueError(`clip: lower bound ${lo} is above upper bound ${hi}`);
  return minimum(maximum(x, lo), hi);
}

/** `where(mask, a, b)`: a where mask is nonzero, else b; all three broadcast together. */
export function where(mask: NDArray, x: ArrayOrScalar, y: ArrayOrScalar, out?: NDArray): NDArray {
  const m = asArray(mask, null, "where");
  const a = asArray(x, y, "where");
  const b = asArray(y, x, "where");
  const shape = broadcastShapes("where", m.shape, a.shape, b.shape);
  const sm = broadcastStrides(m.shape, m.strides, shape);
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = broadcastStrides(b.shape, b.strides, shape);
  const { target, finish } = prepareOut("where", shape, promoteTypes(a.dtype, b.dtype), out, [
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
  return finish();
}

// ---------------------------------------------------------------- copies and writes

/** dst[...] = src elementwise, same shape, no checks (internal). */
function copyInto(dst: NDArray, src: NDArray, srcStrides: Shape = src.strides): void {
  const od = dst.data;
  const sd = src.data;
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

/** A C-contiguous copy, optionally in another dtype. */
export function copy(a: NDArray, dtype: DType = a.dtype): NDArray {
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
}

export function fill(a: NDArray, value: number): void {
  if (typeof value !== "number") throw new ValueError(`fill: value must be a number, got ${typeof value}`);
  a.checkWritable("fill");
  value = castScalar(a.dtype, value);
  const d = a.data;
  walk(a.shape, [a.strides], [a.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!, s = inner[0]!; i < n; i++, p += s) d[p] = value;
  });
  a.bumpVersion();
}

/** dst[...] = src, with src broadcast to dst's shape (never the other way). */
export function assign(dst: NDArray, src: ArrayOrScalar): void {
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
}
