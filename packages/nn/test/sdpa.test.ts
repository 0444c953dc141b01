// scaledDotProductAttention against real PyTorch numbers (data/make-layers-reference.py: torch
// 1.13 in float64 running PyTorch 2's formula, softmax(q k^T scale + mask) v, since 1.13 has no
// F.scaled_dot_product_attention), against MultiheadAttention's own attention, finite
// differences, dropout's expectation over many draws, and errors.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { expectClose } from "./module-helpers.js";
import { LAYERS, expectFunctionAsTorch, functionCases } from "./layers-helpers.js";

const rs = new RandomState(31);

describe(`against PyTorch ${LAYERS.torch} (float64)`, () => {
  for (const c of functionCases("sdpa")) {
    it(c.name, () =>
      expectFunctionAsTorch(c, (x) => nn.scaledDotProductAttention(x.q!, x.k!, x.v!, { ...(c.opts as nn.SDPAOptions), attnMask: x.attnMask as NDArray | undefined })));
  }
});

describe("laws", () => {
  it("isCausal equals a bool lower-triangular mask and an additive -inf one", () => {
    const [q, k, v] = [rs.randn(2, 5, 4), rs.randn(2, 5, 4), rs.randn(2, 5, 3)];
    const causal = nn.scaledDotProductAttention(q, k, v, { isCausal: true });
    const lower = nd.le(nd.arange(5).reshape([1, 5]), nd.arange(5).reshape([5, 1]));
    expect(nd.maxAbsDiff(causal.data, nn.scaledDotProductAttention(q, k, v, { attnMask: lower }).data)).toBe(0);
    expect(nd.maxAbsDiff(causal.data, nn.scaledDotProductAttention(q, k, v, { attnMask: nn.causalMask(5) }).data)).toBe(0);
    // the first query sees only the first key: its output is v's first row
    expectClose(causal.data.slice(null, 0), v.slice(null, 0), { rtol: 1e-15, atol: 0 }, "row 0");
  });
  it("dropout: the mean over many draws approaches the output without dropout; p = 1 gives zeros", () => {
    const [q, k, v] = [rs.randn(1, 3, 2), rs.randn(1, 4, 2), rs.randn(1, 4, 2)];
    const plain = nn.scaledDotProductAttention(q, k, v).data;
    const rng = new RandomState(3);
    const n = 4000;
    let acc = nd.zeros(plain.shape);
    for (let i = 0; i < n; i++) acc = nd.add(acc, nn.scaledDotProductAttention(q, k, v, { dropoutP: 0.3, rng }).data);
    // each output is a sum of 4 independent keep/(1-p) terms: its sd is at most sqrt(4 p/(1-p)) max|w v|
    expect(nd.maxAbsDiff(nd.div(acc, n), plain)).toBeLessThan(5 * Math.sqrt((4 * 0.3) / 0.7) * nd.max(nd.abs(v)).item() / Math.sqrt(n));
    expect(nd.max(nd.abs(nn.scaledDotProductAttention(q, k, v, { dropoutP: 1 }).data)).item()).toBe(0);
    // seeded: the same stream gives the same masks
    const a = nn.scaledDotProductAttention(q, k, v, { dropoutP: 0.5, rng: new RandomState(9) });
    const b = nn.scaledDotProductAttention(q, k, v, { dropoutP: 0.5, rng: new RandomState(9) });
    expect(nd.maxAbsDiff(a.data, b.data)).toBe(0);
  });
  it("gradcheck with respect to q, k and v, with an additive mask", () => {
    const mask = rs.randn(3, 4);
    const r = ag.gradcheck((q, k, v) => nn.scaledDotProductAttention(q, k, v, { attnMask: mask, scale: 0.7 }), [rs.randn(2, 3, 2), rs.randn(2, 4, 2), rs.randn(2, 4, 3)]);
    expect(r.passed, String(r)).toBe(true);
  });
  it("a fully masked row is NaN, as in PyTorch", () => {
    const mask = nd.array([[1, 1], [0, 0]]).astype("bool");
    const out = nn.scaledDotProductAttention(tensor(rs.randn(2, 2)), tensor(rs.randn(2, 2)), tensor(rs.randn(2, 2)), { attnMask: mask });
    expect(Number.isNaN(out.data.get(1, 0))).toBe(true);
    expect(Number.isNaN(out.data.get(0, 0))).toBe(false);
  });
});

describe("bad input: a typed error naming the function and the shapes", () => {
  it("shapes and options", () => {
    const q = nd.zeros([2, 3, 4]);
    expect(() => nn.scaledDotProductAttention(q, nd.zeros([2, 5, 3]), nd.zeros([2, 5, 4]))).toThrow(ShapeError);
    expect(() => nn.scaledDotProductAttention(q, nd.zeros([2, 5, 3]), nd.zeros([2, 5, 4]))).toThrow(/scaledDotProductAttention: key must be \(\.\.\., S, 4\) and value \(\.\.\., S, Ev\) with the same S, got query \[2,3,4\], key \[2,5,3\], value \[2,5,4\]/);
    expect(() => nn.scaledDotProductAttention(q, q, q, { attnMask: nd.zeros([4, 3]) })).toThrow(/scaledDotProductAttention: attnMask of shape \[4,3\] does not broadcast to the scores' shape \[2,3,3\]/);
    expect(() => nn.scaledDotProductAttention(q, q, q, { dropoutP: 1.5 })).toThrow(ValueError);
    expect(() => nn.scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: nd.zeros([3, 3]) })).toThrow(/give attnMask or isCausal, not both/);
    expect(() => nn.scaledDotProductAttention(nd.zeros([3]), q, q)).toThrow(/need at least 2 dims/);
  });
});
