// torch.manual_seed seeds initialisation and torch.randn alike, from one default generator.
// Witness: an independent RandomState seeded alike, drawing Linear's U(±1/sqrt(in)) weights
// (PyTorch's init, as uniform() draws it) and then randn's values, in that order.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import { randn } from "@tapegrad/autograd";
import { Linear, getDefaultRng, manualSeed } from "@tapegrad/nn";

describe("one default generator for nn's initialisation and autograd's randn", () => {
  it("nn's manualSeed and getDefaultRng are the tensor package's", () => {
    expect(manualSeed).toBe(nd.manualSeed);
    expect(getDefaultRng()).toBe(nd.getDefaultRng());
  });

  it("after manualSeed, a Linear's weights and the randn drawn next continue one stream", () => {
    manualSeed(123);
    const fc = new Linear(4, 2, { bias: false });
    const noise = randn(3);
    const ref = new RandomState(123);
    expect(fc.weight.data.toArray()).toEqual(ref.uniform(-0.5, 0.5, [2, 4]).toArray());
    expect(noise.toArray()).toEqual(ref.randn(3).toArray());
  });

  it("reseeding in place: the generator is the same object before and after", () => {
    const g = getDefaultRng();
    manualSeed(1);
    expect(getDefaultRng()).toBe(g);
  });
});
