// pow, apart from the arithmetic because its derivative needs log (unary.ts), whose own
// derivative needs the arithmetic.

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import { bin, mul, sub, where, type Binary } from "./binary.js";
import { sumTo } from "./movement.js";
import { log } from "./unary.js";
import { constant, need } from "./helpers.js";

const ops = {
  pow: defineOp({
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

/**
 * a^b elementwise with numpy broadcasting (torch.pow); a negative base with a non-integer
 * exponent is NaN. Gradients: g b a^(b-1) for a (0 where b = 0) and g a^b log(a) for b (0 where
 * a = 0), each summed back to its operand's shape.
 */
export const pow: Binary = bin(ops.pow);
