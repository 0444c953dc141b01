// Linear against numbers computed by PyTorch (data/make-recurrent-reference.py), its
// initialisation checked statistically against PyTorch's, its gradients against finite
// differences.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Linear, manualSeed } from "@tapegrad/nn";
import { expectClose, expectUniform, gradcheckWith, project, ref, toND } from "./module-helpers.js";

describe("Linear", () => {
  it.each(ref.linear)("forward matches torch.nn.Linear: $name", (c) => {
    const lin = new Linear(c.inFeatures, c.outFeatures, { bias: c.bias !== undefined });
    lin.loadStateDict(c.bias ? { weight: toND(c.weight), bias: toND(c.bias) } : { weight: toND(c.weight) });
    expectClose(lin.forward(toND(c.x)), toND(c.y), undefined, c.name);
  });

  it("initialises weight and bias U(-1/sqrt(in), 1/sqrt(in)), as PyTorch (the bound follows inFeatures, not outFeatures)", () => {
    for (const [inF, outF] of [[64, 500], [9, 3000]] as const) {
      const lin = new Linear(inF, outF, { rng: new RandomState(inF) });
      expectUniform(lin.weight.data, 1 / Math.sqrt(inF), `Linear(${inF}, ${outF}).weight`);
      expectUniform(lin.bias!.data, 1 / Math.sqrt(inF), `Linear(${inF}, ${outF}).bias`);
    }
  });

  it("draws from the stream manualSeed sets, reproducibly", () => {
    manualSeed(42);
    const a = new Linear(3, 4);
    manualSeed(42);
    const b = new Linear(3, 4);
    expect(b.weight.data.toFlat()).toEqual(a.weight.data.toFlat());
    expect(new Linear(3, 4).weight.data.toFlat()).not.toEqual(a.weight.data.toFlat());
  });

  it("gradcheck: input, weight and bias", () => {
    const lin = new Linear(3, 2, { rng: new RandomState(17) });
    const x = ag.tensor(new RandomState(18).randn(2, 4, 3));
    const r = new RandomState(19).randn(2, 4, 2);
    const report = gradcheckWith([[lin, "weight"], [lin, "bias"]], [x], (xx) => project(lin.forward(xx), r));
    expect(report.passed, report.toString()).toBe(true);
  });

  it("float32 in, float32 out and float32 gradients", () => {
    const lin = new Linear(3, 2, { dtype: "float32" });
    const y = lin.forward(ag.tensor(nd.ones([4, 3], "float32")));
    expect(y.dtype).toBe("float32");
    y.sum().backward();
    expect(lin.weight.grad!.dtype).toBe("float32");
    expect(lin.bias!.grad!.dtype).toBe("float32");
  });

  it("rejects an input of the wrong width, naming the layer and the shape; and bad sizes", () => {
    const lin = new Linear(3, 2);
    expect(() => lin.forward(nd.ones([4, 5]))).toThrow(ShapeError);
    expect(() => lin.forward(nd.ones([4, 5]))).toThrow(/Linear.*\[4,5\].*3/);
    expect(() => new Linear(0, 2)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    expect(() => new Linear(2, 1.5)).toThrow(ValueError);
  });
});
