// Every recorded op, and every composite op, against central finite differences (gradcheck)
// and, for second order, against finite differences of its recorded VJP (gradgradcheck).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { Tensor, gradcheck, gradgradcheck, square } from "../src/index.js";
import { OPS } from "../src/internal.js";
import { COMPOSITE_CASES, OP_CASES, type GradCase, type Sample } from "./cases.js";
import { recordedOps } from "./helpers.js";

const RUNS = 40;

// The tape keeps every non-leaf tensor that a VJP does not read as a stand-in without readable
// values, at any size: a VJP reading a value its op does not watch then throws, so each case
// below also checks its op's watch list.

function leavesOf(s: Sample): Tensor[] {
  return s.inputs.map((a) => new Tensor(a, nd.isFloat(a.dtype)));
}

function check(c: GradCase, s: Sample): void {
  const first = gradcheck(s.f, s.inputs, { ...c.options, check: s.check });
  if (!first.passed) throw new Error(`gradcheck failed for ${s.note}:\n${first}`);
  if (c.noSecond) return;
  // square(f): its gradient runs f's VJP on a value that depends on the inputs, so the
  // second-order check differentiates that VJP even for ops that are linear
  const g = (...xs: Tensor[]) => square(s.f(...xs));
  const second = gradgradcheck(g, s.inputs, { ...c.options, check: s.check });
  if (!second.passed) throw new Error(`gradgradcheck failed for ${s.note}:\n${second}`);
}

describe("gradcheck: one case per recorded op", () => {
  it("the table's keys are exactly the ops in OPS", () => {
    expect(Object.keys(OP_CASES).sort()).toEqual(Object.keys(OPS).sort());
  });

  for (const [name, c] of Object.entries(OP_CASES)) {
    it(name, () => {
      fc.assert(
        fc.property(c.sample, (s) => {
          // the case exercises the op it is filed under
          expect(recordedOps(s.f(...leavesOf(s))), s.note).toContain(name);
          check(c, s);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe("gradcheck: composite ops", () => {
  for (const [name, c] of Object.entries(COMPOSITE_CASES)) {
    it(name, () => {
      fc.assert(fc.property(c.sample, (s) => check(c, s)), { numRuns: RUNS });
    });
  }
});
