// Issue 26's losses against real PyTorch (data/make-layers-reference.py ran torch 1.13 in
// float64): binaryCrossEntropy (log clamped at -100), l1Loss, smoothL1Loss, huberLoss, klDivLoss
// (logTarget, batchmean), cosineEmbeddingLoss, and crossEntropy's label smoothing with class
// weights and ignoreIndex; values by hand, finite differences, and errors.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { DTypeError, NDArray, RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { expectClose } from "./module-helpers.js";
import { LAYERS, dec, expectFunctionAsTorch, functionCases } from "./layers-helpers.js";

const rs = new RandomState(37);
type In = Record<string, Tensor | NDArray>;
const T = (v: Tensor | NDArray | undefined) => v as Tensor;

const run: Record<string, (x: In, o: Record<string, unknown>) => Tensor> = {
  binaryCrossEntropy: (x, o) => nn.binaryCrossEntropy(T(x.x), T(x.y), { ...o, weight: x.weight as NDArray | undefined } as nn.BCELossOptions),
  l1Loss: (x, o) => nn.l1Loss(T(x.x), T(x.y), o),
  smoothL1Loss: (x, o) => nn.smoothL1Loss(T(x.x), T(x.y), o),
  huberLoss: (x, o) => nn.huberLoss(T(x.x), T(x.y), o),
  klDivLoss: (x, o) => nn.klDivLoss(T(x.x), T(x.y), o),
  cosineEmbeddingLoss: (x, o) => nn.cosineEmbeddingLoss(T(x.x), T(x.y), x.target!, o),
  crossEntropy: (x, o) => nn.crossEntropy(T(x.x), x.target as NDArray, { ...o, weight: x.weight as NDArray }),
};

describe(`against PyTorch ${LAYERS.torch} (float64)`, () => {
  for (const c of functionCases(...Object.keys(run))) {
    if (c.name.includes("at 0 and 1")) continue; // below: PyTorch's gradient formula differs at the clamp
    it(c.name, () => expectFunctionAsTorch(c, (x) => run[c.fn]!(x, c.opts)));
  }
  it("binaryCrossEntropy at 0 and 1: values as PyTorch's (log clamped at -100); gradients where no clamp is active", () => {
    const c = functionCases("binaryCrossEntropy").find((k) => k.name.includes("at 0 and 1"))!;
    const x = new Tensor(dec(c.inputs.x!), true);
    const y = new Tensor(dec(c.inputs.y!), true);
    const out = nn.binaryCrossEntropy(x, y, { reduction: "none" });
    expectClose(out, dec(c.output), { rtol: 1e-12, atol: 1e-12 }, "values");
    ag.sum(ag.mul(out, new Tensor(dec(c.cotangent)))).backward();
    const active = x.data.toFlat().map((p) => p === 0 || p === 1 || Math.log(p) < -100);
    const gx = x.grad!.toFlat();
    const want = dec(c.inputGrads.x!).toFlat();
    active.forEach((a, i) => {
      if (!a) expect(Math.abs(gx[i]! - want[i]!)).toBeLessThan(1e-10 * Math.max(1, Math.abs(want[i]!)));
    });
    expect(active.filter(Boolean).length).toBe(5); // 0, 1, 1, 0 and 1e-60 (log < -100)
  });
});

describe("by hand", () => {
  it("values", () => {
    expect(nn.binaryCrossEntropy(tensor([0.8, 0.1]), tensor([1, 0])).item()).toBeCloseTo((-Math.log(0.8) - Math.log(0.9)) / 2, 15);
    expect(nn.binaryCrossEntropy(tensor([0]), tensor([1])).item()).toBe(100);
    expect(nn.l1Loss(tensor([1, 2, 3]), tensor([2, 2, 5])).item()).toBe(1);
    expect(nn.smoothL1Loss(tensor([0, 0]), tensor([0.5, 3])).item()).toBe(1.3125);
    expect(nn.huberLoss(tensor([0, 0]), tensor([0.5, 3]), { delta: 2 }).item()).toBe(2.0625);
    // Huber with delta = smooth L1 with beta = delta, times delta
    const [a, b] = [rs.randn(4, 3), rs.randn(4, 3)];
    expectClose(nn.huberLoss(a, b, { delta: 0.6 }), nd.mul(nn.smoothL1Loss(a, b, { beta: 0.6 }).data, 0.6), { rtol: 1e-14, atol: 1e-15 }, "huber = delta smoothL1");
    expect(nn.klDivLoss(ag.logSoftmax(tensor([[0, 0]]), 1), tensor([[1, 0]]), { reduction: "batchmean" }).item()).toBeCloseTo(Math.log(2), 15);
    expect(nn.cosineEmbeddingLoss(tensor([[1, 0], [1, 0]]), tensor([[1, 0], [0, 1]]), tensor([1, -1])).item()).toBeLessThan(1e-12); // not exactly 0: the 1e-12 in the norms
  });
  it("klDivLoss of a distribution with itself is 0, in either target form", () => {
    const logp = ag.logSoftmax(tensor(rs.randn(3, 5)), 1);
    expect(Math.abs(nn.klDivLoss(logp, ag.exp(logp), { reduction: "sum" }).item())).toBeLessThan(1e-15);
    expect(nn.klDivLoss(logp, logp, { reduction: "sum", logTarget: true }).item()).toBe(0);
  });
  it("gradcheck (away from the kinks)", () => {
    const x = nd.add(nd.mul(rs.rand(3, 4), 0.8), 0.1);
    const y = rs.rand(3, 4);
    for (const f of [
      (p: Tensor) => nn.binaryCrossEntropy(p, y),
      (p: Tensor) => nn.smoothL1Loss(p, y, { beta: 0.3 }),
      (p: Tensor) => nn.huberLoss(p, y, { delta: 0.3 }),
      (p: Tensor) => nn.klDivLoss(ag.logSoftmax(p, 1), nd.softmax(y, 1), { reduction: "batchmean" }),
      (p: Tensor) => nn.cosineEmbeddingLoss(p, y, nd.array([1, -1, 1]), { margin: -0.5 }),
    ]) {
      const r = ag.gradcheck(f, [x]);
      expect(r.passed, String(r)).toBe(true);
    }
  });
});

describe("bad input: a typed error naming the loss and the shapes or values", () => {
  it("errors", () => {
    expect(() => nn.binaryCrossEntropy(tensor([0.5, 1.2]), tensor([1, 0]))).toThrow(ValueError);
    expect(() => nn.binaryCrossEntropy(tensor([0.5, 1.2]), tensor([1, 0]))).toThrow(/binaryCrossEntropy: input must hold probabilities in \[0, 1\], got 1.2 at position \[1\]/);
    expect(() => nn.l1Loss(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => nn.l1Loss(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/l1Loss: input shape \[2\] and target shape \[3\] differ/);
    expect(() => nn.smoothL1Loss(tensor([1]), tensor([1]), { beta: -1 })).toThrow(/smoothL1Loss: beta must be a non-negative number, got -1/);
    expect(() => nn.huberLoss(tensor([1]), tensor([1]), { delta: 0 })).toThrow(/huberLoss: delta must be a positive number, got 0/);
    expect(() => nn.klDivLoss(tensor([1]), tensor([1]), { reduction: "avg" as never })).toThrow(/klDivLoss: reduction must be/);
    expect(() => nn.cosineEmbeddingLoss(tensor([[1, 0]]), tensor([[1, 0]]), tensor([0]))).toThrow(/cosineEmbeddingLoss: target must hold 1 \(similar\) or -1 \(dissimilar\), got 0 at position \[0\]/);
    expect(() => nn.cosineEmbeddingLoss(tensor([[1, 0]]), tensor([[1, 0]]), tensor([1, 1]))).toThrow(/cosineEmbeddingLoss: inputs must be \(N, D\) or \(D\) with target \(N\) or \(\), got inputs \[1,2\] and target \[2\]/);
    expect(() => nn.l1Loss(nd.zeros([2], "int32"), tensor([1, 2]))).toThrow(DTypeError);
  });
});
