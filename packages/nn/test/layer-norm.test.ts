// LayerNorm against real PyTorch (data/make-modules-reference.py ran torch in float64), against
// finite differences (gradcheck and gradgradcheck), and its error on an input of the wrong shape.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("LayerNorm")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("LayerNorm", () => {
    const m = new nn.LayerNorm([2, 3]);
    m.weight!.data.assign(randn(2, 3));
    m.bias!.data.assign(randn(2, 3));
    check(m, [randn(2, 2, 3)], (x) => m.forward(x!));
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("LayerNorm on an input that does not end in normalizedShape", () => {
    expect(() => new nn.LayerNorm([3, 4]).forward(nd.zeros([2, 4, 3]))).toThrow(/LayerNorm: input has shape \[2,4,3\], expected it to end in \[3,4\]/);
  });
});
