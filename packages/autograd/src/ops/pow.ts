// pow, apart from the arithmetic because its derivative needs log (unary.ts), whose own
// derivative needs the arithmetic.

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import type { Tensor } from "../tensor.js";
import { bin, mul, sub, where, type Binary } from "./binary.js";
import { sumTo } from "./movement.js";
import { log } from "./unary.js";
import { constant, need } from "./helpers.js";

const ops = {
  pow: defineOp({
    name: "pow",
    forward: ([a, b]) => nd.pow(a!, b!),
    // PyTorch's pow_backward_self and pow_backward_exponent, special points included: 0 for a
    // where b = 0 (a^0 is constant) and 0 for b where a = 0 and b >= 0 (0^b is 0 or 1); elsewhere
    // the plain formulas give PyTorch's ±inf and NaN (0^-1: -inf for a, and inf * log 0 = -inf
    // for b; a negative base: NaN for b). Where a mask selects 0, the power and the log are taken
    // at harmless points (exponent 1, base 1) so that differentiating again meets no 0 * inf.
    vjp: ([g], { inputs: [a, b], outputs: [y] }) => {
      const ad = a!.data, bd = b!.data;
      let ga: Tensor | null = null, gb: Tensor | null = null;
      if (need(a)) {
        const constantPower = constant(nd.eq(bd, 0));
        const power = pow(a!, sub(where(constantPower, 1, b!), 1));
        ga = sumTo(where(constantPower, 0, mul(g!, mul(b!, power))), a!.shape);
      }
      if (need(b)) {
        const zeroBase = constant(nd.logicalAnd(nd.eq(ad, 0), nd.ge(bd, 0)));
        gb = sumTo(mul(g!, where(zeroBase, 0, mul(y!, log(where(zeroBase, 1, a!))))), b!.shape);
      }
      return [ga, gb];
    },
    watch: "both",
  }),
};

export const powOps = ops;

/**
 * a^b elementwise with numpy broadcasting (torch.pow); a negative base with a non-integer
 * exponent is NaN. Gradients, as PyTorch's at every special point: g b a^(b-1) for a (0 where
 * b = 0; ±inf at a = 0 with b < 1) and g a^b log(a) for b (0 where a = 0 and b >= 0; ±inf where
 * a = 0 and b < 0; NaN for a negative base), each summed back to its operand's shape.
 *
 * @example
 * ```ts
 * const a = tensor([0, 2], { requiresGrad: true });
 * const b = tensor([-1, 3], { requiresGrad: true });
 * pow(a, b).sum().backward();
 * a.grad!.toArray(); // [-Infinity, 12]
 * b.grad!.toArray(); // [-Infinity, 5.545177444479562]
 * ```
 */
export const pow: Binary = bin(ops.pow);
