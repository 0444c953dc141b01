// Divergences the compile fuzzer found (fuzz/programs.ts, `pnpm fuzz:compile`), each shrunk to
// the program that shows it and kept here by name: compiled == eager bitwise over 10 calls, or
// compile refuses. A block is what `paste` printed, renamed for its trigger; the fuzz seed and
// the commit it failed at are in the comment above it.

import { describe, expect, it } from "vitest";
import { differential } from "./compile-harness.js";
import { makeSubject, programInputs, type Program } from "./fuzz/programs.js";

describe("compile regressions found by the fuzzer", () => {
  // fuzz:compile --seed 1 and 2 at 5bd4bf1: the fused loop read a stepped operand as if it
  // were contiguous (element 1 was the base's element 2, not 3: |Δ| about 4); fixed by 27f4ad9
  it("a fused chain reading a parameter sliced with step 2 (the loss's square of the param)", () => {
    // r0 = param f64[2] sliced [[1,4,2]] of [4]
    // r1 = unary {"fn":"neg","a":0}
    // loss = sum(r1); backward; update none
    // found: kernel #0 (neg, in a fused loop of [neg]) wrote result (float64[2]) with element 1 = -0.9787379841057392
    // where the eager kernel wrote -2.240893199201458; its arguments: float64[2] strides [2] offset 1
    const p: Program = {
      dtype: "float64", seed: 0, loss: "sum", ret: null, update: "none",
      leaves: [
        {role: "param", shape: [2], dtype: "float64", layout: {kind: "sliced", base: [4], specs: [[1, 4, 2]]}},
      ],
      ops: [
        {op: "unary", fn: "neg", a: 0},
      ],
    };
    const outcome = differential(() => makeSubject(p), (i) => programInputs(p, i), { calls: 10, compareArgs: true });
    expect(["equal", "refused"]).toContain(outcome.kind);
  });

  it("a fused square of a 2-d parameter stepping by 2 (its size-1 axis stepping backwards)", () => {
    // r0 = param f64[2,1] sliced [[1,4,2],[0,null,-2]] of [4,1]
    // r1 = arg f64[1]
    // r2 = unary {"fn":"neg","a":1}
    // loss = sum(r2) + sum(square(r0)); backward; update none
    // found (seeds 7..22 at 5bd4bf1): kernel #2 (square, in a fused loop of [square]) wrote element 1 = 0.958 where the
    // eager kernel wrote 5.022 (the square of the base's element 2, not 3); its arguments: float64[2,1] strides [2,-2] offset 1
    const p: Program = {
      dtype: "float64", seed: 0, loss: "sum", ret: null, update: "none",
      leaves: [
        {role: "param", shape: [2, 1], dtype: "float64", layout: {kind: "sliced", base: [4, 1], specs: [[1, 4, 2], [0, null, -2]]}},
        {role: "arg", shape: [1], dtype: "float64", requiresGrad: false},
      ],
      ops: [
        {op: "unary", fn: "neg", a: 1},
      ],
    };
    const outcome = differential(() => makeSubject(p), (i) => programInputs(p, i), { calls: 10, compareArgs: true });
    expect(["equal", "refused"]).toContain(outcome.kind);
  });

  // fuzz:compile --seed 5 at 5bd4bf1: a reversed operand was read through a flat subarray from
  // its offset, past the end of its storage: NaN; fixed by 27f4ad9
  it("a fused chain reading a reversed view (negative step) of a parameter", () => {
    // r0 = param f64[2]
    // r1 = slice {"a":0,"specs":[[null,null,-1]]}
    // r2 = unary {"fn":"neg","a":1}
    // loss = sum(r2); backward; update none
    // found: kernel #0 (neg, in a fused loop of [neg]) wrote result (float64[2]) with element 1 = NaN where the eager
    // kernel wrote -1.764052345967664; its arguments: float64[2] strides [-1] offset 1
    const p: Program = {
      dtype: "float64", seed: 0, loss: "sum", ret: null, update: "none",
      leaves: [
        {role: "param", shape: [2], dtype: "float64", layout: {kind: "plain"}},
      ],
      ops: [
        {op: "slice", a: 0, specs: [[null, null, -1]]},
        {op: "unary", fn: "neg", a: 1},
      ],
    };
    const outcome = differential(() => makeSubject(p), (i) => programInputs(p, i), { calls: 10, compareArgs: true });
    expect(["equal", "refused"]).toContain(outcome.kind);
  });

  it("a fused chain reading a constant that is a flipped view of a parameter's storage", () => {
    // r0 = param f64[2,1]
    // r1 = flip0 view of r0's storage [2,1]
    // r2 = unary {"fn":"neg","a":1}
    // loss = sum(r2) + sum(square(r0)); backward; update none
    // found (seed 7..22 at 5bd4bf1): kernel #0 (neg, in a fused loop of [neg]) wrote NaN; its arguments: float64[2,1] strides [-1,1] offset 1
    const p: Program = {
      dtype: "float64", seed: 0, loss: "sum", ret: null, update: "none",
      leaves: [
        {role: "param", shape: [2, 1], dtype: "float64", layout: {kind: "plain"}},
        {role: "alias", of: 0, how: "flip0", shape: [2, 1], dtype: "float64"},
      ],
      ops: [
        {op: "unary", fn: "neg", a: 1},
      ],
    };
    const outcome = differential(() => makeSubject(p), (i) => programInputs(p, i), { calls: 10, compareArgs: true });
    expect(["equal", "refused"]).toContain(outcome.kind);
  });

  it("a fused chain reading a reversed slice of a concat (a join, then a negative-step view)", () => {
    // r0 = param f64[1]
    // r1 = concat {"parts":[0,0],"axis":0}
    // r2 = slice {"a":1,"specs":[[null,null,-1]]}
    // r3 = unary {"fn":"neg","a":2}
    // loss = sum(r3); backward; update none
    // found (seed 4 at 5bd4bf1): kernel #1 (neg, in a fused loop of [neg]) wrote NaN; its arguments: float64[2] strides [-1] offset 1
    const p: Program = {
      dtype: "float64", seed: 0, loss: "sum", ret: null, update: "none",
      leaves: [
        {role: "param", shape: [1], dtype: "float64", layout: {kind: "plain"}},
      ],
      ops: [
        {op: "concat", parts: [0, 0], axis: 0},
        {op: "slice", a: 1, specs: [[null, null, -1]]},
        {op: "unary", fn: "neg", a: 2},
      ],
    };
    const outcome = differential(() => makeSubject(p), (i) => programInputs(p, i), { calls: 10, compareArgs: true });
    expect(["equal", "refused"]).toContain(outcome.kind);
  });
});
