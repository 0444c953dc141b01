// Laws the tape must obey whatever the op: a linear op's VJP is its adjoint
// (<L x, y> = <x, L^T y>), and gradients do not depend on how an input is laid out in memory.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { Tensor, gradients } from "../src/index.js";
import type { OpName } from "../src/internal.js";
import { OP_CASES, type Sample } from "./cases.js";
import { flat, makeArray } from "./helpers.js";

/** Ops that are linear in their float inputs jointly (cast is linear too, but rounds to float32). */
const LINEAR: readonly OpName[] = [
  "neg", "add", "sub", "where", "sum", "reshape", "permute", "slice", "sliceGrad",
  "broadcastTo", "sumTo", "concat", "take", "takeGrad", "contiguous", "split", "unbind", "unfold", "unfoldBackward",
  "cumsum",
];

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

function floatInputs(s: Sample): number[] {
  return s.inputs.flatMap((a, i) => (nd.isFloat(a.dtype) && (s.check === undefined || s.check.includes(i)) ? [i] : []));
}

describe("a linear op's VJP is its adjoint: <L x, y> = <x, L^T y>", () => {
  for (const name of LINEAR) {
    it(name, () => {
      fc.assert(
        fc.property(OP_CASES[name].sample, fc.nat(), (s, seed) => {
          // every float input is differentiated, so L is the whole linear map
          const which = floatInputs({ ...s, check: undefined });
          const leaves = s.inputs.map((a, i) => new Tensor(a, which.includes(i)));
          const out = s.f(...leaves);
          const y = makeArray(out.shape, "contiguous", "any", seed);
          const lhs = dot(flat(out), flat(y));
          const gs = gradients(out, which.map((i) => leaves[i]!), [y]);
          const rhs = which.reduce((acc, i, k) => acc + dot(flat(s.inputs[i]!), flat(gs[k]!)), 0);
          expect(Math.abs(lhs - rhs), `${s.note}: <Lx,y> = ${lhs}, <x,L^T y> = ${rhs}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)));
        }),
        { numRuns: 50 },
      );
    });
  }
});

describe("gradients do not depend on the inputs' memory layout", () => {
  for (const [name, c] of Object.entries(OP_CASES)) {
    it(name, () => {
      fc.assert(
        fc.property(c.sample, (s) => {
          const which = floatInputs(s);
          const grads = (inputs: nd.NDArray[]) => {
            const leaves = inputs.map((a, i) => new Tensor(a, which.includes(i)));
            const out = s.f(...leaves).astype("float64");
            const r = makeArray(out.shape, "contiguous", "any", 7);
            return gradients(out, which.map((i) => leaves[i]!), [r]).map(flat);
          };
          const asDrawn = grads(s.inputs);
          const copied = grads(s.inputs.map((a) => a.copy()));
          asDrawn.forEach((g, k) => g.forEach((v, j) => expect(Math.abs(v - copied[k]![j]!), s.note).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)))));
        }),
        { numRuns: 30 },
      );
    });
  }
});
