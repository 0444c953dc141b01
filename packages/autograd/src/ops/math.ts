// The rest of PyTorch's elementwise math: inverse and hyperbolic trig, log2/log10/exp2, rsqrt,
// atan2, hypot, copysign, the remainders, the rounding ops and the rounded divisions. Each VJP
// is PyTorch's (derivatives.yaml), written with differentiable ops. The rounding ops and the
// rounded divisions are recorded with a zero gradient, as PyTorch records them (x.grad is zeros,
// not null). Below the recorded ops: composites (frac, logaddexp, lerp, div with a rounding
// mode) and the predicates and logical ops, whose bool results carry no gradient.

import * as nd from "@tapegrad/tensor";
import { defineOp, type Op } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";
import { bin, add, div as trueDiv, mul, neg, sub, where, type Binary } from "./binary.js";
import { abs, exp, log1p, reciprocal, square } from "./unary.js";
import { sumTo } from "./movement.js";
import { constant, need } from "./helpers.js";

/** A zero gradient for t: what PyTorch gives a rounding op's input. */
const zerosOf = (t: Tensor): Tensor => constant(nd.zeros(t.shape, t.dtype));

/** An op whose forward is piecewise constant: recorded, with a zero gradient for every input. */
function stepOp(name: string, forward: (xs: readonly nd.NDArray[]) => nd.NDArray) {
  return defineOp({
    name,
    forward: (xs) => forward(xs),
    vjp: (_g, { inputs }) => inputs.map((t) => (need(t) ? zerosOf(t) : null)),
    watch: "none",
  });
}

const ops = {
  tan: defineOp({
    name: "tan",
    forward: ([x]) => nd.tan(x!),
    // d tan = 1 + tan^2, from the output
    vjp: ([g], { outputs: [y] }) => [mul(g!, add(square(y!), 1))],
    watch: "output",
  }),
  asin: defineOp({
    name: "asin",
    forward: ([x]) => nd.asin(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, rsqrt(sub(1, square(x!))))],
  }),
  acos: defineOp({
    name: "acos",
    forward: ([x]) => nd.acos(x!),
    vjp: ([g], { inputs: [x] }) => [neg(mul(g!, rsqrt(sub(1, square(x!)))))],
  }),
  atan: defineOp({
    name: "atan",
    forward: ([x]) => nd.atan(x!),
    vjp: ([g], { inputs: [x] }) => [trueDiv(g!, add(square(x!), 1))],
  }),
  sinh: defineOp({
    name: "sinh",
    forward: ([x]) => nd.sinh(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, cosh(x!))],
  }),
  cosh: defineOp({
    name: "cosh",
    forward: ([x]) => nd.cosh(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, sinh(x!))],
  }),
  asinh: defineOp({
    name: "asinh",
    forward: ([x]) => nd.asinh(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, rsqrt(add(square(x!), 1)))],
  }),
  acosh: defineOp({
    name: "acosh",
    forward: ([x]) => nd.acosh(x!),
    vjp: ([g], { inputs: [x] }) => [mul(g!, rsqrt(sub(square(x!), 1)))],
  }),
  atanh: defineOp({
    name: "atanh",
    forward: ([x]) => nd.atanh(x!),
    vjp: ([g], { inputs: [x] }) => [trueDiv(g!, sub(1, square(x!)))],
  }),
  log2: defineOp({
    name: "log2",
    forward: ([x]) => nd.log2(x!),
    vjp: ([g], { inputs: [x] }) => [trueDiv(g!, mul(x!, Math.LN2))],
  }),
  log10: defineOp({
    name: "log10",
    forward: ([x]) => nd.log10(x!),
    vjp: ([g], { inputs: [x] }) => [trueDiv(g!, mul(x!, Math.LN10))],
  }),
  exp2: defineOp({
    name: "exp2",
    forward: ([x]) => nd.exp2(x!),
    vjp: ([g], { outputs: [y] }) => [mul(g!, mul(y!, Math.LN2))],
    watch: "output",
  }),
  rsqrt: defineOp({
    name: "rsqrt",
    forward: ([x]) => nd.rsqrt(x!),
    // d x^(-1/2) = -x^(-3/2) / 2 = -y^3 / 2
    vjp: ([g], { outputs: [y] }) => [mul(mul(g!, mul(square(y!), y!)), -0.5)],
    watch: "output",
  }),
  atan2: defineOp({
    name: "atan2",
    forward: ([a, b]) => nd.atan2(a!, b!),
    // d atan2(a, b) = (b da - a db) / (a^2 + b^2); NaN at (0, 0), as in PyTorch
    vjp: ([g], { inputs: [a, b] }) => {
      const r = reciprocal(add(square(a!), square(b!)));
      return [need(a) ? sumTo(mul(mul(g!, b!), r), a!.shape) : null, need(b) ? sumTo(mul(mul(g!, neg(a!)), r), b!.shape) : null];
    },
  }),
  hypot: defineOp({
    name: "hypot",
    forward: ([a, b]) => nd.hypot(a!, b!),
    // d hypot = (a da + b db) / hypot; NaN at (0, 0), as in PyTorch
    vjp: ([g], { inputs: [a, b], outputs: [y] }) => [
      need(a) ? sumTo(trueDiv(mul(g!, a!), y!), a!.shape) : null,
      need(b) ? sumTo(trueDiv(mul(g!, b!), y!), b!.shape) : null,
    ],
    watch: "both",
  }),
  copysign: defineOp({
    name: "copysign",
    forward: ([a, b]) => nd.copysign(a!, b!),
    // ±1 where a != 0 (the sign the result gave a), 0 where a == 0, as PyTorch's
    // copysign_tensor_self_backward; b's gradient is zeros
    vjp: ([g], { inputs: [a, b], outputs: [y] }) => {
      const ad = a!.data;
      return [
        need(a) ? sumTo(mul(g!, constant(nd.where(nd.eq(ad, 0), 0, nd.div(y!.data, ad)))), a!.shape) : null,
        need(b) ? zerosOf(b!) : null,
      ];
    },
    watch: "both",
  }),
  remainder: defineOp({
    name: "remainder",
    forward: ([a, b]) => nd.remainder(a!, b!),
    // a - b floor(a / b): g for a, -g floor(a / b) for b (the floor's own derivative is 0)
    vjp: ([g], { inputs: [a, b] }) => [
      need(a) ? sumTo(g!, a!.shape) : null,
      need(b) ? sumTo(neg(mul(g!, constant(nd.floorDivide(a!.data, b!.data)))), b!.shape) : null,
    ],
  }),
  fmod: defineOp({
    name: "fmod",
    forward: ([a, b]) => nd.fmod(a!, b!),
    // a - b trunc(a / b): g for a, -g trunc(a / b) for b
    vjp: ([g], { inputs: [a, b] }) => [
      need(a) ? sumTo(g!, a!.shape) : null,
      need(b) ? sumTo(neg(mul(g!, constant(nd.truncDivide(a!.data, b!.data)))), b!.shape) : null,
    ],
  }),
  // PyTorch's sign gives 0 at NaN (numpy's, nd.sign, keeps NaN)
  sign: stepOp("sign", ([x]) => nd.where(nd.isnan(x!), 0, nd.sign(x!))),
  floor: stepOp("floor", ([x]) => nd.floor(x!)),
  ceil: stepOp("ceil", ([x]) => nd.ceil(x!)),
  round: stepOp("round", ([x]) => nd.round(x!)),
  trunc: stepOp("trunc", ([x]) => nd.trunc(x!)),
  floorDivide: stepOp("floorDivide", ([a, b]) => nd.floorDivide(a!, b!)),
  truncDivide: stepOp("truncDivide", ([a, b]) => nd.truncDivide(a!, b!)),
};

export const mathOps = ops;

type Unary = (x: TensorLike) => Tensor;
const un = (op: Op<undefined>): Unary => (x) => op([toTensor(x)], undefined);

/**
 * The tangent elementwise, in radians (torch.tan). Gradient: g (1 + tan^2 x), from the output.
 *
 * @example
 * ```ts
 * const x = tensor([0, 0.5], { requiresGrad: true });
 * tan(x).sum().backward();
 * x.grad!.toArray(); // [1, 1.2984464104095248]
 * ```
 */
export const tan: Unary = un(ops.tan);
/**
 * The arcsine elementwise (torch.asin): NaN outside [-1, 1]. Gradient: g / sqrt(1 - x^2).
 *
 * @example
 * ```ts
 * asin(tensor([0, 1])).toArray(); // [0, 1.5707963267948966]
 * ```
 */
export const asin: Unary = un(ops.asin);
/**
 * The arccosine elementwise (torch.acos): NaN outside [-1, 1]. Gradient: -g / sqrt(1 - x^2).
 *
 * @example
 * ```ts
 * acos(tensor([1])).toArray(); // [0]
 * ```
 */
export const acos: Unary = un(ops.acos);
/**
 * The arctangent elementwise (torch.atan). Gradient: g / (1 + x^2).
 *
 * @example
 * ```ts
 * atan(tensor([1])).toArray(); // [0.7853981633974483]
 * ```
 */
export const atan: Unary = un(ops.atan);
/**
 * The hyperbolic sine elementwise (torch.sinh). Gradient: g cosh(x).
 *
 * @example
 * ```ts
 * sinh(tensor([0])).toArray(); // [0]
 * ```
 */
export const sinh: Unary = un(ops.sinh);
/**
 * The hyperbolic cosine elementwise (torch.cosh). Gradient: g sinh(x).
 *
 * @example
 * ```ts
 * cosh(tensor([0])).toArray(); // [1]
 * ```
 */
export const cosh: Unary = un(ops.cosh);
/**
 * The inverse hyperbolic sine elementwise (torch.asinh). Gradient: g / sqrt(x^2 + 1).
 *
 * @example
 * ```ts
 * asinh(tensor([0])).toArray(); // [0]
 * ```
 */
export const asinh: Unary = un(ops.asinh);
/**
 * The inverse hyperbolic cosine elementwise (torch.acosh): NaN below 1. Gradient: g / sqrt(x^2 - 1).
 *
 * @example
 * ```ts
 * acosh(tensor([1])).toArray(); // [0]
 * ```
 */
export const acosh: Unary = un(ops.acosh);
/**
 * The inverse hyperbolic tangent elementwise (torch.atanh): ±inf at ±1. Gradient: g / (1 - x^2).
 *
 * @example
 * ```ts
 * atanh(tensor([0])).toArray(); // [0]
 * ```
 */
export const atanh: Unary = un(ops.atanh);
/**
 * The base-2 logarithm elementwise (torch.log2). Gradient: g / (x ln 2).
 *
 * @example
 * ```ts
 * log2(tensor([8])).toArray(); // [3]
 * ```
 */
export const log2: Unary = un(ops.log2);
/**
 * The base-10 logarithm elementwise (torch.log10). Gradient: g / (x ln 10).
 *
 * @example
 * ```ts
 * log10(tensor([100])).toArray(); // [2]
 * ```
 */
export const log10: Unary = un(ops.log10);
/**
 * 2^x elementwise (torch.exp2). Gradient: g 2^x ln 2, from the output.
 *
 * @example
 * ```ts
 * exp2(tensor([3])).toArray(); // [8]
 * ```
 */
export const exp2: Unary = un(ops.exp2);
/**
 * 1 / sqrt(x) elementwise (torch.rsqrt): inf at 0, NaN below. Gradient: -g y^3 / 2 from the output y.
 *
 * @example
 * ```ts
 * rsqrt(tensor([4])).toArray(); // [0.5]
 * ```
 */
export const rsqrt: Unary = un(ops.rsqrt);
/**
 * The angle of the point (b, a) elementwise, with broadcasting (torch.atan2). Gradients:
 * g b / (a^2 + b^2) for a and -g a / (a^2 + b^2) for b (NaN at the origin, as in PyTorch).
 *
 * @example
 * ```ts
 * atan2(tensor([1]), tensor([-1])).toArray(); // [2.356194490192345]
 * ```
 */
export const atan2: Binary = bin(ops.atan2);
/**
 * sqrt(a^2 + b^2) elementwise without overflow, with broadcasting (torch.hypot). Gradients:
 * g a / y and g b / y (NaN at the origin, as in PyTorch).
 *
 * @example
 * ```ts
 * hypot(tensor([3]), tensor([4])).toArray(); // [5]
 * ```
 */
export const hypot: Binary = bin(ops.hypot);
/**
 * |a| with the sign of b elementwise, with broadcasting (torch.copysign; b's sign bit counts, so
 * -0 is negative). Gradients: ±g for a (0 where a is 0), zeros for b.
 *
 * @example
 * ```ts
 * copysign(tensor([1, 2]), tensor([-3, 0])).toArray(); // [-1, 2]
 * ```
 */
export const copysign: Binary = bin(ops.copysign);
/**
 * The remainder with the divisor's sign, as Python's `%` (torch.remainder): a - b floor(a / b),
 * exact. Gradients: g for a, -g floor(a / b) for b.
 *
 * @example
 * ```ts
 * remainder(tensor([5, -5]), 3).toArray(); // [2, 1]
 * ```
 */
export const remainder: Binary = bin(ops.remainder);
/**
 * The remainder with the dividend's sign, as C's fmod (torch.fmod): a - b trunc(a / b), exact.
 * Gradients: g for a, -g trunc(a / b) for b.
 *
 * @example
 * ```ts
 * fmod(tensor([5, -5]), 3).toArray(); // [2, -2]
 * ```
 */
export const fmod: Binary = bin(ops.fmod);
/**
 * -1, 0 or 1 by the sign of each element (torch.sign: 0 at ±0 and at NaN). Gradient: zeros.
 *
 * @example
 * ```ts
 * sign(tensor([-2, 0, 3])).toArray(); // [-1, 0, 1]
 * ```
 */
export const sign: Unary = un(ops.sign);
/**
 * The largest integer <= x elementwise (torch.floor). Gradient: zeros.
 *
 * @example
 * ```ts
 * floor(tensor([1.5, -1.5])).toArray(); // [1, -2]
 * ```
 */
export const floor: Unary = un(ops.floor);
/**
 * The smallest integer >= x elementwise (torch.ceil). Gradient: zeros.
 *
 * @example
 * ```ts
 * ceil(tensor([1.5, -1.5])).toArray(); // [2, -1]
 * ```
 */
export const ceil: Unary = un(ops.ceil);
/**
 * x rounded to the nearest integer, halves to even (torch.round: 0.5 to 0, 1.5 to 2, -2.5 to -2).
 * Gradient: zeros.
 *
 * @example
 * ```ts
 * round(tensor([0.5, 1.5, -2.5])).toArray(); // [0, 2, -2]
 * ```
 */
export const round: Unary = un(ops.round);
/**
 * x rounded toward zero elementwise (torch.trunc). Gradient: zeros.
 *
 * @example
 * ```ts
 * trunc(tensor([1.7, -1.7])).toArray(); // [1, -1]
 * ```
 */
export const trunc: Unary = un(ops.trunc);
/**
 * Division rounded toward -inf, as Python's `//` (torch.floor_divide, and torch.div with
 * rounding_mode "floor"); exact, from the remainder. Ints stay ints. Gradients: zeros, as
 * torch.div with a rounding mode gives them (torch.floor_divide's backward raises in 1.13).
 *
 * @example
 * ```ts
 * floorDivide(tensor([7, -7]), 2).toArray(); // [3, -4]
 * ```
 */
export const floorDivide: Binary = bin(ops.floorDivide);

// ---------------------------------------------------------------- composites

/**
 * x - trunc(x) elementwise, the fractional part with x's sign (torch.frac). Gradient: g, as
 * PyTorch's (the trunc contributes zeros).
 *
 * @example
 * ```ts
 * frac(tensor([1.25, -1.25])).toArray(); // [0.25, -0.25]
 * ```
 */
export function frac(x: TensorLike): Tensor {
  const t = toTensor(x);
  return sub(t, trunc(t));
}

/** How `div` rounds its quotient: PyTorch's rounding_mode (null or omitted: true division). */
export interface DivOptions {
  roundingMode?: "trunc" | "floor" | null;
}

/**
 * a / b elementwise with broadcasting, as torch.div: true division, or with `{ roundingMode:
 * "trunc" }` rounded toward zero (C's integer division) and with `{ roundingMode: "floor" }`
 * toward -inf (Python's `//`, see {@link floorDivide}). Rounded quotients keep ints as ints and
 * have zero gradients, as PyTorch's; true division's gradients are g / b and -g a / b^2.
 *
 * @example
 * ```ts
 * div(tensor([7, -7]), 2).toArray(); // [3.5, -3.5]
 * div(tensor([7, -7]), 2, { roundingMode: "trunc" }).toArray(); // [3, -3]
 * div(tensor([7, -7]), 2, { roundingMode: "floor" }).toArray(); // [3, -4]
 * ```
 */
export function div(a: TensorLike, b: TensorLike, options: DivOptions = {}): Tensor {
  const mode = options.roundingMode ?? null;
  if (mode === null) return trueDiv(a, b);
  if (mode === "floor") return floorDivide(a, b);
  if (mode === "trunc") return bin(ops.truncDivide)(a, b);
  throw new nd.ValueError(`div: roundingMode must be "trunc", "floor" or null, got ${JSON.stringify(mode)}`);
}

/**
 * log(e^a + e^b) elementwise with broadcasting, without overflow (torch.logaddexp): max(a, b) +
 * log1p(e^-|a - b|), and a itself where a and b are the same infinity; differentiable twice,
 * ties included. Gradients: g / (1 +
 * e^(b - a)) for a and g / (1 + e^(a - b)) for b (each g / 2 where a = b).
 *
 * @example
 * ```ts
 * logaddexp(tensor([0, 1000]), tensor([0, 1000])).toArray(); // [0.6931471805599453, 1000.6931471805599]
 * ```
 */
export function logaddexp(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a, b instanceof Tensor ? b : null);
  const y = toTensor(b, x);
  // the larger and the smaller picked by a mask, not max(x, y) and |x - y|: their kinks at x = y
  // cancel in the gradient but not in its derivative (sign(0) is 0), so a second derivative at a
  // tie came out 0 instead of 1/4; hi + log1p(e^(lo - hi)) is the same value bit for bit
  const first = constant(nd.ge(x.data, y.data));
  const hi = where(first, x, y);
  const lo = where(first, y, x);
  const r = add(hi, log1p(exp(sub(lo, hi))));
  // (inf, inf) and (-inf, -inf): a - b is NaN there, and the sum is the infinity itself
  const same = nd.logicalAnd(nd.isinf(x.data), nd.eq(x.data, y.data));
  return where(constant(same), x, r);
}

/**
 * start + weight (end - start) elementwise with broadcasting (torch.lerp), computed as PyTorch
 * does for accuracy near weight 1: end - (end - start)(1 - weight) where |weight| >= 0.5.
 * `weight` is a number or a tensor. Gradients: g (1 - weight) for start, g weight for end,
 * g (end - start) for weight.
 *
 * @example
 * ```ts
 * lerp(tensor([0, 10]), tensor([10, 20]), 0.25).toArray(); // [2.5, 12.5]
 * ```
 */
export function lerp(start: TensorLike, end: TensorLike, weight: TensorLike): Tensor {
  const s = toTensor(start, end instanceof Tensor ? end : null);
  const e = toTensor(end, s);
  const d = sub(e, s);
  if (typeof weight === "number") return Math.abs(weight) < 0.5 ? add(s, mul(d, weight)) : sub(e, mul(d, 1 - weight));
  const w = toTensor(weight, s);
  const small = constant(nd.lt(nd.abs(w.data), 0.5));
  return where(small, add(s, mul(w, d)), sub(e, mul(d, sub(1, w))));
}

// ---------------------------------------------------------------- masks

const mask1 = (f: (a: nd.NDArray) => nd.NDArray) => (x: TensorLike): Tensor => new Tensor(f(toTensor(x).data));
const mask2 = (f: (a: nd.NDArray, b: nd.NDArray) => nd.NDArray) => (a: TensorLike, b: TensorLike): Tensor => {
  const x = toTensor(a, b instanceof Tensor ? b : null);
  return new Tensor(f(x.data, toTensor(b, x).data));
};

/**
 * Where x is NaN, as a bool tensor that takes no gradient (torch.isnan).
 *
 * @example
 * ```ts
 * isnan(tensor([1, NaN])).toArray(); // [false, true]
 * ```
 */
export const isnan = mask1(nd.isnan);
/**
 * Where x is ±inf, as a bool tensor that takes no gradient (torch.isinf).
 *
 * @example
 * ```ts
 * isinf(tensor([1, Infinity, -Infinity, NaN])).toArray(); // [false, true, true, false]
 * ```
 */
export const isinf = mask1(nd.isinf);
/**
 * Where x is neither NaN nor ±inf, as a bool tensor that takes no gradient (torch.isfinite).
 *
 * @example
 * ```ts
 * isfinite(tensor([1, Infinity, NaN])).toArray(); // [true, false, false]
 * ```
 */
export const isfinite = mask1(nd.isfinite);
/**
 * Logical not elementwise (nonzero, NaN included, is true), a bool tensor with no gradient (torch.logical_not).
 *
 * @example
 * ```ts
 * logicalNot(tensor([0, 2])).toArray(); // [true, false]
 * ```
 */
export const logicalNot = mask1(nd.logicalNot);
/**
 * Logical and elementwise with broadcasting, a bool tensor with no gradient (torch.logical_and).
 *
 * @example
 * ```ts
 * logicalAnd(tensor([1, 0]), tensor([1, 1])).toArray(); // [true, false]
 * ```
 */
export const logicalAnd = mask2(nd.logicalAnd);
/**
 * Logical or elementwise with broadcasting, a bool tensor with no gradient (torch.logical_or).
 *
 * @example
 * ```ts
 * logicalOr(tensor([1, 0]), tensor([0, 0])).toArray(); // [true, false]
 * ```
 */
export const logicalOr = mask2(nd.logicalOr);
/**
 * Logical exclusive or elementwise with broadcasting, a bool tensor with no gradient (torch.logical_xor).
 *
 * @example
 * ```ts
 * logicalXor(tensor([1, 1]), tensor([0, 1])).toArray(); // [true, false]
 * ```
 */
export const logicalXor = mask2(nd.logicalXor);
