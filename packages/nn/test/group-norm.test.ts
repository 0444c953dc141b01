// GroupNorm against real PyTorch (data/make-layers-reference.py ran torch in float64), against
// finite differences, against LayerNorm and InstanceNorm where they coincide, and its errors.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import { tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { check, expectClose } from "./module-helpers.js";
import { LAYERS, builder, expectModuleAsTorch, moduleCases } from "./layers-helpers.js";

builder("GroupNorm", (a, o) => new nn.GroupNorm(a[0]!, a[1]!, o));

const rs = new RandomState(5);

describe(`GroupNorm against PyTorch ${LAYERS.torch} (float64)`, () => {
  for (const c of moduleCases("GroupNorm")) it(c.name, () => expectModuleAsTorch(c));
  it("PyTorch's keys", () => {
    expect(Object.keys(new nn.GroupNorm(2, 4).stateDict())).toEqual(["weight", "bias"]);
    expect(Object.keys(new nn.GroupNorm(2, 4, { affine: false }).stateDict())).toEqual([]);
  });
});

describe("laws", () => {
  it("one group is LayerNorm over (C, ...) without affine; C groups is InstanceNorm", () => {
    const x = tensor(rs.randn(3, 4, 5));
    const one = new nn.GroupNorm(1, 4, { affine: false }).forward(x);
    expectClose(one, new nn.LayerNorm([4, 5], { elementwiseAffine: false }).forward(x), { rtol: 1e-12, atol: 1e-13 }, "1 group");
    const each = new nn.GroupNorm(4, 4, { affine: false }).forward(x);
    expectClose(each, new nn.InstanceNorm1d(4).forward(x), { rtol: 1e-12, atol: 1e-13 }, "C groups");
  });
  it("gradcheck through weight, bias and input", () => {
    const g = new nn.GroupNorm(2, 4);
    g.weight!.data.assign(rs.randn(4));
    check(g, [rs.randn(2, 4, 3)], (x) => g.forward(x!));
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("channels and groups", () => {
    expect(() => new nn.GroupNorm(3, 4)).toThrow(ValueError);
    expect(() => new nn.GroupNorm(3, 4)).toThrow(/GroupNorm: numChannels 4 is not divisible by numGroups 3/);
    expect(() => new nn.GroupNorm(2, 4).forward(nd.zeros([2, 3, 5]))).toThrow(ShapeError);
    expect(() => new nn.GroupNorm(2, 4).forward(nd.zeros([2, 3, 5]))).toThrow(/GroupNorm: input must be \(N, 4, \.\.\.\) with the channels on axis 1, got \[2,3,5\]/);
  });
});
