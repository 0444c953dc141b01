// pow, apart from the arithmetic because its derivative needs log (unary.ts), whose own
// derivative needs the arithmetic.

import * as nd from "@tapegrad/tensor";
import { builtinOp } from "../define-op.js";
import { Tensor } from "../tensor.js";
import { bin, mul, sub, where, type Binary } from "./binary.js";
import { sumTo } from "./movement.js";
import { log } from "./unary.js";

const constant = (a: nd.NDArray): Tensor => new Tensor(a);
const need = (t: Tensor | undefined): boolean => t !== undefined && t.requiresGrad;

const ops = {
  pow: builtinOp({
    name: "pow",
    forward: ([a, b]) => nd.pow(a!, b!),
    vjp: ([g], { inputs: [a, b], outputs: [y] }) => [
      // d(a^b)/da = b a^(b-1). Where b == 0 that is 0 (a^0 is constant), but 0 * 0^-1 would be
      // NaN at a == 0, so there the power is taken with exponent 0 instead (b times it is still 0)
      need(a) ? sumTo(mul(g!, mul(b!, pow(a!, sub(where(constant(nd.eq(b!.data, 0)), 1, b!), 1)))), a!.shape) : null,
      // d(a^b)/db = a^b log a; where a == 0 the limit is 0 (for b > 0), and log would give -inf * 0
      need(b) ? sumTo(mul(g!, mul(y!, log(where(constant(nd.eq(a!.data, 0)), 1, a!)))), b!.shape) : null,
    ],
    watch: "both",
  }),
};

export const powOps = ops;

export const pow: Binary = bin(ops.pow);
