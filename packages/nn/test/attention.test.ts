// MultiheadAttention against real PyTorch (data/make-modules-reference.py ran torch in float64;
// masks, batch-first, per-head weights, unbatched), against finite differences, its errors on bad
// input, and its dropout on the attention weights.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("MultiheadAttention")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("MultiheadAttention, with masks, output and weights", () => {
    const m = new nn.MultiheadAttention(4, 2);
    const kpm = nd.array([[0, 0, 1], [0, 0, 0]]).astype("bool");
    check(m, [randn(2, 2, 4), randn(3, 2, 4), randn(3, 2, 4)], (q, k, v) => {
      const [o, w] = m.forward(q!, k!, v!, { keyPaddingMask: kpm, attnMask: nd.mul(randn(2, 3), 0) });
      return ag.concat([ag.reshape(o, [-1]), ag.reshape(w!, [-1])]);
    });
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("embedDim not divisible by numHeads", () => {
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(ValueError);
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(/MultiheadAttention: embedDim 10 is not divisible by numHeads 3/);
  });
  it("masks of the wrong shape", () => {
    const m = new nn.MultiheadAttention(4, 2);
    const q = nd.zeros([3, 2, 4]);
    const kv = nd.zeros([5, 2, 4]);
    expect(() => m.forward(q, kv, kv, { attnMask: nd.zeros([3, 4]) })).toThrow(/MultiheadAttention: attnMask has shape \[3,4\], expected \[3,5\] or \[4,3,5\]/);
    expect(() => m.forward(q, kv, kv, { keyPaddingMask: nd.zeros([5, 2]) })).toThrow(/MultiheadAttention: keyPaddingMask has shape \[5,2\], expected \[2,5\]/);
    expect(() => m.forward(q, nd.zeros([5, 2, 3]), kv)).toThrow(ShapeError);
  });
});

describe("dropout in attention", () => {
  it("drops attention weights only while training, and returns them as applied (as PyTorch does)", () => {
    const m = new nn.MultiheadAttention(4, 2, { dropout: 0.5, rng: new RandomState(3) });
    const x = randn(5, 1, 4);
    const [, wTrain] = m.forward(x, x, x, { averageAttnWeights: false });
    const dropped = wTrain!.data.toFlat().filter((v) => v === 0).length;
    expect(dropped).toBeGreaterThan(0);
    m.eval();
    const [, wEval] = m.forward(x, x, x, { averageAttnWeights: false });
    // eval: each row is a softmax, summing to 1, with nothing dropped
    const rows = nd.sum(wEval!.data, -1).toFlat();
    rows.forEach((s) => expect(s).toBeCloseTo(1, 12));
    expect(wEval!.data.toFlat().filter((v) => v === 0).length).toBe(0);
  });
});
