// The rest of the elementwise math PyTorch users reach for: inverse and hyperbolic trig, base-2
// and base-10 logs, exp2, rsqrt, trunc, atan2, hypot, copysign, the two remainders and the two
// rounded divisions, isinf and the logical ops. The common ops (elementwise.ts) have loops of
// their own; these call one small function per element, through the one strided walk (iter.ts).
// The transcendentals are the JS engine's Math.* (no polynomial twin, as exp and tanh have).
// Each float kernel declares its element (KernelInfo.elementwise), so compile can fuse it.

import { arithmeticResult, floatResult, isFloat, promoteTypes, type DType } from "./dtype.js";
import { allocate } from "./storage.js";
import { DTypeError, ValueError } from "./errors.js";
import { walk } from "./iter.js";
import { NDArray, type ArrayOrScalar } from "./ndarray.js";
import { broadcastShapes, broadcastStrides } from "./shape.js";
import { prepareOut, finishOut } from "./elementwise.js";
import { kernel, type Elementwise, type KernelInfo } from "./kernel.js";

type UnaryFn = (x: number) => number;
type BinaryFn = (x: number, y: number) => number;

/** The result's dtype: "float" for transcendentals, "same" keeps ints (bool gives int32), "bool" for predicates. */
type Kind = "float" | "same" | "bool";

function resultOf(kind: Kind, dtype: DType): DType {
  return kind === "float" ? floatResult(dtype) : kind === "bool" ? "bool" : arithmeticResult(dtype);
}

/** A JS number beside an array is weak, as in elementwise.ts: it takes the array's float dtype. */
function asArray(x: ArrayOrScalar, other: ArrayOrScalar | null, op: string): NDArray {
  if (x instanceof NDArray) return x;
  if (typeof x === "boolean") x = x ? 1 : 0;
  if (typeof x !== "number") throw new DTypeError(`${op}: operands must be NDArrays or numbers, got ${x === null ? "null" : typeof x}`);
  const od = other instanceof NDArray ? other.dtype : null;
  const dt: DType = od === "float32" || od === "float64" ? od : od === null ? "float64" : Number.isInteger(x) ? "int32" : "float64";
  const d = allocate(dt, 1);
  d[0] = x;
  return new NDArray(d, []);
}

function mapUnary(op: string, kind: Kind, f: UnaryFn, x: NDArray, out: NDArray | undefined): NDArray {
  const a = asArray(x, null, op);
  const target = prepareOut(op, a.shape, resultOf(kind, a.dtype), out, [{ a, strides: a.strides }]);
  const od = target.data, ad = a.data;
  walk(a.shape, [target.strides, a.strides], [target.offset, a.offset], (pos, n, inner) => {
    for (let i = 0, po = pos[0]!, pa = pos[1]!, so = inner[0]!, sa = inner[1]!; i < n; i++, po += so, pa += sa) od[po] = f(ad[pa]!);
  });
  return finishOut(out, target);
}

/**
 * A binary op with numpy broadcasting. `fInt` computes an integer result (int32 operands) and
 * `zeroDivides` makes an integer 0 divisor a ValueError before anything is written.
 */
function mapBinary(op: string, kind: Kind, f: BinaryFn, x: ArrayOrScalar, y: ArrayOrScalar, out: NDArray | undefined, fInt?: BinaryFn, zeroDivides = false): NDArray {
  const a = asArray(x, y, op);
  const b = asArray(y, x, op);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = broadcastStrides(b.shape, b.strides, shape);
  const dtype = resultOf(kind, promoteTypes(a.dtype, b.dtype));
  const integer = kind !== "bool" && !isFloat(dtype);
  if (integer && zeroDivides && hasZero(b)) throw new ValueError(`${op}: integer division by zero (a ${b.dtype} divisor of shape [${b.shape.join(",")}] holds a 0); use float operands for IEEE results`);
  const g = integer && fInt !== undefined ? fInt : f;
  const target = prepareOut(op, shape, dtype, out, [
    { a, strides: sa },
    { a: b, strides: sb },
  ]);
  const od = target.data, ad = a.data, bd = b.data;
  walk(shape, [target.strides, sa, sb], [target.offset, a.offset, b.offset], (pos, n, inner) => {
    let po = pos[0]!, pa = pos[1]!, pb = pos[2]!;
    const so = inner[0]!, s1 = inner[1]!, s2 = inner[2]!;
    for (let i = 0; i < n; i++, po += so, pa += s1, pb += s2) od[po] = g(ad[pa]!, bd[pb]!);
  });
  return finishOut(out, target);
}

function hasZero(b: NDArray): boolean {
  let zero = false;
  walk(b.shape, [b.strides], [b.offset], (pos, n, inner) => {
    for (let i = 0, p = pos[0]!; i < n; i++, p += inner[0]!) if (b.data[p] === 0) zero = true;
  });
  return zero;
}

/** A float unary kernel's info: its element as the JS expression `Math.<fn>(x)` (the kernel's own call). */
function unaryInfo(expr: Elementwise["expr"], fns?: Elementwise["fns"]): KernelInfo {
  return { out: 1, elementwise: { expr, fns } };
}

/** A binary kernel's info, as unaryInfo. */
function binaryInfo(expr: Elementwise["expr"], fns?: Record<string, BinaryFn | UnaryFn>): KernelInfo {
  // A generator binds `fns` by name and calls them as `expr` does; Elementwise's type names
  // one-argument functions, and these take the two operands.
  return { out: 2, elementwise: { expr, fns: fns as Elementwise["fns"] } };
}

function defUnary(name: string, kind: Kind, f: UnaryFn) {
  return (a: NDArray, out?: NDArray): NDArray => mapUnary(name, kind, f, a, out);
}

// ---------------------------------------------------------------- unary

/**
 * Elementwise tangent (radians); a float result (float32 for float32, else float64). `out`, when
 * given, receives the result, as for `add`.
 *
 * @example
 * ```ts
 * tan(array([0, Math.PI / 4])).toArray(); // [0, 0.9999999999999999]
 * ```
 */
export const tan = kernel("tan", defUnary("tan", "float", Math.tan), unaryInfo(([a]) => `Math.tan(${a})`));
/**
 * Elementwise arcsine in radians (NaN outside [-1, 1]); a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * asin(array([0, 1])).toArray(); // [0, 1.5707963267948966]
 * ```
 */
export const asin = kernel("asin", defUnary("asin", "float", Math.asin), unaryInfo(([a]) => `Math.asin(${a})`));
/**
 * Elementwise arccosine in radians (NaN outside [-1, 1]); a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * acos(array([1, 0])).toArray(); // [0, 1.5707963267948966]
 * ```
 */
export const acos = kernel("acos", defUnary("acos", "float", Math.acos), unaryInfo(([a]) => `Math.acos(${a})`));
/**
 * Elementwise arctangent in radians, in (-pi/2, pi/2); a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * atan(array([0, Infinity])).toArray(); // [0, 1.5707963267948966]
 * ```
 */
export const atan = kernel("atan", defUnary("atan", "float", Math.atan), unaryInfo(([a]) => `Math.atan(${a})`));
/**
 * Elementwise hyperbolic sine; a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * sinh(array([0])).toArray(); // [0]
 * ```
 */
export const sinh = kernel("sinh", defUnary("sinh", "float", Math.sinh), unaryInfo(([a]) => `Math.sinh(${a})`));
/**
 * Elementwise hyperbolic cosine; a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * cosh(array([0])).toArray(); // [1]
 * ```
 */
export const cosh = kernel("cosh", defUnary("cosh", "float", Math.cosh), unaryInfo(([a]) => `Math.cosh(${a})`));
/**
 * Elementwise inverse hyperbolic sine; a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * asinh(array([0])).toArray(); // [0]
 * ```
 */
export const asinh = kernel("asinh", defUnary("asinh", "float", Math.asinh), unaryInfo(([a]) => `Math.asinh(${a})`));
/**
 * Elementwise inverse hyperbolic cosine (NaN below 1); a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * acosh(array([1])).toArray(); // [0]
 * ```
 */
export const acosh = kernel("acosh", defUnary("acosh", "float", Math.acosh), unaryInfo(([a]) => `Math.acosh(${a})`));
/**
 * Elementwise inverse hyperbolic tangent (±Infinity at ±1, NaN beyond); a float result. `out`
 * as for {@link tan}.
 *
 * @example
 * ```ts
 * atanh(array([0, 1])).toArray(); // [0, Infinity]
 * ```
 */
export const atanh = kernel("atanh", defUnary("atanh", "float", Math.atanh), unaryInfo(([a]) => `Math.atanh(${a})`));
/**
 * Elementwise base-2 logarithm (exact at powers of 2); a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * log2(array([1, 8, 0.5])).toArray(); // [0, 3, -1]
 * ```
 */
export const log2 = kernel("log2", defUnary("log2", "float", Math.log2), unaryInfo(([a]) => `Math.log2(${a})`));
/**
 * Elementwise base-10 logarithm; a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * log10(array([1, 100])).toArray(); // [0, 2]
 * ```
 */
export const log10 = kernel("log10", defUnary("log10", "float", Math.log10), unaryInfo(([a]) => `Math.log10(${a})`));
/**
 * Elementwise 2^a; a float result. `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * exp2(array([3, -1])).toArray(); // [8, 0.5]
 * ```
 */
export const exp2 = kernel("exp2", defUnary("exp2", "float", (x) => Math.pow(2, x)), unaryInfo(([a]) => `Math.pow(2, ${a})`));
/**
 * Elementwise 1 / sqrt(a), computed as exactly that (Infinity at 0, NaN below); a float result.
 * `out` as for {@link tan}.
 *
 * @example
 * ```ts
 * rsqrt(array([4, 0])).toArray(); // [0.5, Infinity]
 * ```
 */
export const rsqrt = kernel("rsqrt", defUnary("rsqrt", "float", (x) => 1 / Math.sqrt(x)), unaryInfo(([a]) => `1 / Math.sqrt(${a})`));
/**
 * Elementwise rounding toward zero (-0.5 gives -0); keeps the dtype (bool gives int32). `out` as
 * for {@link tan}.
 *
 * @example
 * ```ts
 * trunc(array([1.7, -1.7])).toArray(); // [1, -1]
 * ```
 */
export const trunc = kernel("trunc", defUnary("trunc", "same", Math.trunc), unaryInfo(([a]) => `Math.trunc(${a})`));
/**
 * Elementwise test for ±Infinity, as a bool array (NaN is not infinite).
 *
 * @example
 * ```ts
 * isinf(array([1, Infinity, -Infinity, NaN])).toArray(); // [false, true, true, false]
 * ```
 */
export const isinf = kernel("isinf", (a: NDArray): NDArray => mapUnary("isinf", "bool", (x) => (x === Infinity || x === -Infinity ? 1 : 0), a, undefined));
/**
 * Elementwise logical not, as a bool array: true where `a` is 0 (NaN counts as true, so gives false).
 *
 * @example
 * ```ts
 * logicalNot(array([0, 2, NaN])).toArray(); // [true, false, false]
 * ```
 */
export const logicalNot = kernel("logicalNot", (a: NDArray): NDArray => mapUnary("logicalNot", "bool", (x) => (x === 0 ? 1 : 0), a, undefined));

// ---------------------------------------------------------------- binary

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: the sign is in word 1

/** 1 where x's sign bit is set (-0 and a negative NaN included), else 0: C's signbit. */
function signbit(x: number): number {
  if (x === x) return x < 0 || (x === 0 && 1 / x < 0) ? 1 : 0;
  F64[0] = x;
  return U32[HI]! >>> 31;
}

/** C's copysign: |a| with the sign bit of b. */
function copysignScalar(a: number, b: number): number {
  return signbit(b) ? -Math.abs(a) : Math.abs(a);
}

/** Python's and PyTorch's remainder: C's fmod moved to the divisor's sign (PyTorch's CPU kernel). */
function remainderScalar(a: number, b: number): number {
  let mod = a % b;
  if (mod !== 0 && b < 0 !== mod < 0) mod += b;
  return mod;
}

/**
 * Floor division as Python and PyTorch (div_floor_floating) compute it: from the exact remainder,
 * so that a // b and a % b agree (floor(a / b) can be one off: 1 // 0.1 is 9, not 10).
 */
function floorDivideScalar(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return signbit(a / b) ? -0 : 0;
  let fd = Math.floor(div);
  if (div - fd > 0.5) fd += 1;
  return fd;
}

/**
 * Elementwise atan2(a, b): the angle of the point (b, a) in (-pi, pi], with C's signs at ±0 and
 * ±Infinity; a float result. Broadcasting, numbers and `out` as for `add`.
 *
 * @example
 * ```ts
 * atan2(array([1, 1]), array([1, -1])).toArray(); // [0.7853981633974483, 2.356194490192345]
 * ```
 */
export const atan2 = kernel("atan2", (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("atan2", "float", Math.atan2, a, b, out), binaryInfo(([a, b]) => `Math.atan2(${a}, ${b})`));
/**
 * Elementwise sqrt(a^2 + b^2) without overflow or underflow in between; a float result.
 * Broadcasting, numbers and `out` as for `add`.
 *
 * @example
 * ```ts
 * hypot(array([3, 1e200]), array([4, 1e200])).toArray(); // [5, 1.414213562373095e200]
 * ```
 */
export const hypot = kernel("hypot", (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("hypot", "float", Math.hypot, a, b, out), binaryInfo(([a, b]) => `Math.hypot(${a}, ${b})`));
/**
 * Elementwise |a| with the sign of b, as C's copysign: b's sign bit counts, so -0 and a negative
 * NaN are negative; a float result. Broadcasting, numbers and `out` as for `add`.
 *
 * @example
 * ```ts
 * copysign(array([1, 2, 3]), array([-1, -0, 0])).toArray(); // [-1, -2, 3]
 * ```
 */
export const copysign = kernel("copysign", (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("copysign", "float", copysignScalar, a, b, out), {
  out: 2,
  elementwise: { expr: ([a, b]) => `(mathSignbit(${b}) ? -Math.abs(${a}) : Math.abs(${a}))`, fns: { mathSignbit: signbit } },
});
/**
 * The remainder with the sign of the divisor, as Python's `%` and torch.remainder: a - b *
 * floor(a / b), computed from C's fmod so that it is exact. Keeps ints as ints (an int 0 divisor
 * is a ValueError); float x % 0 is NaN. Broadcasting, numbers and `out` as for `add`.
 *
 * @example
 * ```ts
 * remainder(array([5, -5, 5]), array([3, 3, -3])).toArray(); // [2, 1, -1]
 * ```
 */
export const remainder = kernel(
  "remainder",
  (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("remainder", "same", remainderScalar, a, b, out, remainderScalar, true),
  binaryInfo(([a, b]) => `mathRemainder(${a}, ${b})`, { mathRemainder: remainderScalar }),
);
/**
 * The remainder with the sign of the dividend, as C's fmod, JS's `%` and torch.fmod: exact.
 * Keeps ints as ints (an int 0 divisor is a ValueError); float x fmod 0 is NaN. Broadcasting,
 * numbers and `out` as for `add`.
 *
 * @example
 * ```ts
 * fmod(array([5, -5, 5]), array([3, 3, -3])).toArray(); // [2, -2, 2]
 * ```
 */
export const fmod = kernel(
  "fmod",
  (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("fmod", "same", (x, y) => x % y, a, b, out, undefined, true),
  binaryInfo(([a, b]) => `${a} % ${b}`),
);
/**
 * Division rounded toward -Infinity, as Python's `//`, numpy's floor_divide and
 * `torch.div(a, b, rounding_mode="floor")`: computed from the exact remainder, so that
 * `floorDivide(a, b) * b + remainder(a, b)` is a (1 // 0.1 is 9). Keeps ints as ints (an int 0
 * divisor is a ValueError); a float x // 0 is x / 0 (±Infinity or NaN). Broadcasting, numbers and
 * `out` as for `add`.
 *
 * @example
 * ```ts
 * floorDivide(array([7, -7]), 2).toArray(); // [3, -4]
 * ```
 */
export const floorDivide = kernel(
  "floorDivide",
  (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("floorDivide", "same", floorDivideScalar, a, b, out, (x, y) => Math.floor(x / y), true),
  binaryInfo(([a, b]) => `mathFloorDivide(${a}, ${b})`, { mathFloorDivide: floorDivideScalar }),
);
/**
 * Division rounded toward zero, as C's integer division and `torch.div(a, b,
 * rounding_mode="trunc")`: trunc(a / b). Keeps ints as ints (an int 0 divisor is a ValueError).
 * Broadcasting, numbers and `out` as for `add`.
 *
 * @example
 * ```ts
 * truncDivide(array([7, -7]), 2).toArray(); // [3, -3]
 * ```
 */
export const truncDivide = kernel(
  "truncDivide",
  (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("truncDivide", "same", (x, y) => Math.trunc(x / y), a, b, out, undefined, true),
  binaryInfo(([a, b]) => `Math.trunc(${a} / ${b})`),
);

const truthy = (x: number): boolean => x !== 0; // NaN is true, as numpy's and PyTorch's bool(nan)

/**
 * Elementwise logical and, as a bool array: nonzero counts as true (NaN included). Broadcasting
 * and numbers as for `add`.
 *
 * @example
 * ```ts
 * logicalAnd(array([1, 0, NaN]), array([2, 1, 1])).toArray(); // [true, false, true]
 * ```
 */
export const logicalAnd = kernel("logicalAnd", (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("logicalAnd", "bool", (x, y) => (truthy(x) && truthy(y) ? 1 : 0), a, b, out), { out: 2 });
/**
 * Elementwise logical or, as a bool array; truth as for {@link logicalAnd}.
 *
 * @example
 * ```ts
 * logicalOr(array([1, 0, 0]), array([0, 0, 3])).toArray(); // [true, false, true]
 * ```
 */
export const logicalOr = kernel("logicalOr", (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("logicalOr", "bool", (x, y) => (truthy(x) || truthy(y) ? 1 : 0), a, b, out), { out: 2 });
/**
 * Elementwise logical exclusive or, as a bool array; truth as for {@link logicalAnd}.
 *
 * @example
 * ```ts
 * logicalXor(array([1, 0, 1]), array([0, 0, 3])).toArray(); // [true, false, false]
 * ```
 */
export const logicalXor = kernel("logicalXor", (a: ArrayOrScalar, b: ArrayOrScalar, out?: NDArray): NDArray => mapBinary("logicalXor", "bool", (x, y) => (truthy(x) !== truthy(y) ? 1 : 0), a, b, out), { out: 2 });
