// Gradient-check cases for the math ops of src/ops/math.ts (issue 26): one per recorded op, and
// one per composite (frac, logaddexp, lerp, div with a rounding mode), spread into cases.ts's
// tables. Inputs keep clear of each op's poles, branch cuts and jumps: the argument of asin,
// acos and atanh is scaled into (-1, 1), acosh's shifted above 1, tan's kept inside
// (-pi/2, pi/2); the remainders and divisions see |b| near 2.5 and a near odd integers, so that
// a / b is never an integer; the rounding ops see values away from where they jump.

import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { arrayArb, broadcastableArb, shapeArb, type Values } from "./helpers.js";
import type { GradCase, Sample } from "./cases.js";

function sample(note: string, inputs: NDArray[], f: Sample["f"], check?: number[]): Sample {
  const full = `${note} on ${inputs.map((a) => `${nd.fmtShape(a.shape)} strides ${nd.fmtShape(a.strides)}`).join(", ")}${check ? ` check ${JSON.stringify(check)}` : ""}`;
  return { f, inputs, check, note: full, [fc.toStringMethod]: () => full } as Sample;
}

function checkArb(n: number): fc.Arbitrary<number[] | undefined> {
  return fc.oneof(fc.constant(undefined), fc.subarray(Array.from({ length: n }, (_, i) => i), { minLength: 1 }));
}

function unary(name: string, fn: (x: Tensor) => Tensor, values: Values, map?: (a: NDArray) => NDArray): GradCase {
  return {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => arrayArb(shape, values))
      .map((x) => sample(name, [map ? map(x) : x], fn)),
  };
}

function binary(name: string, fn: (a: Tensor, b: Tensor) => Tensor, va: Values, vb: Values, mapB?: (b: NDArray) => NDArray): GradCase {
  return {
    sample: shapeArb(0, 3, 3)
      .chain((out) => fc.tuple(broadcastableArb(out), broadcastableArb(out)))
      .chain(([sa, sb]) => fc.tuple(arrayArb(sa, va), arrayArb(sb, vb), checkArb(2)))
      .map(([a, b, check]) => sample(name, [a, mapB ? mapB(b) : b], fn, check)),
  };
}

/** ±[0.3, 2] to ±[2.465, 2.55]: a divisor that no a near an odd integer in [-5, 3] divides. */
const nearTwoAndAHalf = (b: NDArray): NDArray => nd.add(nd.mul(b, 0.05), nd.mul(nd.sign(b), 2.45));
/** Near odd integers to 2k + 1.5 ± 0.3: no integer nearby (floor, ceil, trunc jump there). */
const offInteger = (x: NDArray): NDArray => nd.add(x, 0.5);

export const MATH_CASES = {
  tan: unary("tan(0.7 x)", (t) => ag.tan(ag.mul(t, 0.7)), "any"),
  asin: unary("asin(0.4 x)", (t) => ag.asin(ag.mul(t, 0.4)), "any"),
  acos: unary("acos(0.4 x)", (t) => ag.acos(ag.mul(t, 0.4)), "any"),
  atan: unary("atan", ag.atan, "any"),
  sinh: unary("sinh", ag.sinh, "any"),
  cosh: unary("cosh", ag.cosh, "any"),
  asinh: unary("asinh", ag.asinh, "any"),
  acosh: unary("acosh(x + 1)", (t) => ag.acosh(ag.add(t, 1)), "positive"),
  atanh: unary("atanh(0.4 x)", (t) => ag.atanh(ag.mul(t, 0.4)), "any"),
  log2: unary("log2", ag.log2, "positive"),
  log10: unary("log10", ag.log10, "positive"),
  exp2: unary("exp2", ag.exp2, "any"),
  rsqrt: unary("rsqrt", ag.rsqrt, "positive"),
  // away from the origin, and a away from 0 where atan2 jumps from pi to -pi (b < 0)
  atan2: binary("atan2", ag.atan2, "awayFromZero", "awayFromZero"),
  hypot: binary("hypot", ag.hypot, "awayFromZero", "awayFromZero"),
  copysign: binary("copysign", ag.copysign, "awayFromZero", "awayFromZero"),
  remainder: binary("remainder", ag.remainder, "nearOdd", "awayFromZero", nearTwoAndAHalf),
  fmod: binary("fmod", ag.fmod, "nearOdd", "awayFromZero", nearTwoAndAHalf),
  sign: unary("sign", ag.sign, "awayFromZero"),
  floor: unary("floor", ag.floor, "nearOdd", offInteger),
  ceil: unary("ceil", ag.ceil, "nearOdd", offInteger),
  // round jumps at half-integers, which 2k + 1 ± 0.3 keeps clear of
  round: unary("round", ag.round, "nearOdd"),
  trunc: unary("trunc", ag.trunc, "nearOdd", offInteger),
  floorDivide: binary("floorDivide", ag.floorDivide, "nearOdd", "awayFromZero", nearTwoAndAHalf),
  truncDivide: binary("div(trunc)", (a, b) => ag.div(a, b, { roundingMode: "trunc" }), "nearOdd", "awayFromZero", nearTwoAndAHalf),
} satisfies Record<string, GradCase>;

export const MATH_COMPOSITE_CASES: Record<string, GradCase> = {
  frac: unary("frac", ag.frac, "nearOdd", offInteger),
  "div(floor)": binary("div(floor)", (a, b) => ag.div(a, b, { roundingMode: "floor" }), "nearOdd", "awayFromZero", nearTwoAndAHalf),
  "div (true division through the rounding-mode entry)": binary("div", (a, b) => ag.div(a, b, { roundingMode: null }), "any", "awayFromZero"),
  // smooth everywhere; a == b (where maximum splits its gradient) is held to PyTorch in math-ops.test.ts
  logaddexp: binary("logaddexp", ag.logaddexp, "any", "any"),
  "lerp, tensor weight on both sides of 0.5": {
    sample: shapeArb(0, 3, 3)
      .chain((out) => fc.tuple(broadcastableArb(out), broadcastableArb(out), broadcastableArb(out)))
      .chain(([s1, s2, s3]) => fc.tuple(arrayArb(s1), arrayArb(s2), arrayArb(s3, "nearEven"), checkArb(3)))
      // weights 0.5 k + [-0.15, 0.15]: never at |w| = 0.5, where the formula switches
      .map(([s, e, w, check]) => sample("lerp", [s, e, nd.mul(w, 0.5)], (a, b, c) => ag.lerp(a, b!, c!), check)),
  },
  "lerp, number weight": {
    sample: shapeArb(0, 3, 3)
      .chain((shape) => fc.tuple(arrayArb(shape), arrayArb(shape), fc.constantFrom(0.25, -0.3, 0.75, 1.5), checkArb(2)))
      .map(([s, e, w, check]) => sample(`lerp(weight=${w})`, [s, e], (a, b) => ag.lerp(a, b!, w), check)),
  },
};
