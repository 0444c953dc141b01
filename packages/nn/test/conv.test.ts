// Conv1d and Conv2d against real PyTorch (data/make-modules-reference.py ran torch in float64),
// against finite differences (gradcheck and gradgradcheck), and their errors on bad input: typed,
// naming the module and the shapes, and leaving the module as it was.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError } from "@tapegrad/tensor";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("Conv1d", "Conv2d")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("Conv1d and Conv2d (stride, padding, dilation, groups)", () => {
    const c1 = new nn.Conv1d(2, 4, 3, { stride: 2, padding: 1, dilation: 1, groups: 2 });
    check(c1, [randn(2, 2, 7)], (x) => c1.forward(x!));
    const c2 = new nn.Conv2d(2, 3, [2, 3], { stride: [1, 2], padding: [1, 0], dilation: [2, 1] });
    check(c2, [randn(1, 2, 5, 6)], (x) => c2.forward(x!));
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("a wrong channel count", () => {
    expect(() => new nn.Conv2d(3, 4, 3).forward(nd.zeros([1, 2, 5, 5]))).toThrow(ShapeError);
    expect(() => new nn.Conv2d(3, 4, 3).forward(nd.zeros([1, 2, 5, 5]))).toThrow(/Conv2d: input has 2 channels, expected 3 \(input shape \[1,2,5,5\], weight \[4,3,3,3\]\)/);
    expect(() => new nn.Conv1d(3, 4, 3).forward(nd.zeros([1, 3, 2]))).toThrow(/Conv1d: kernel 3 at dilation 1 spans 3, more than the padded input 2/);
  });
  it("a failed forward leaves the module as it was", () => {
    const c = new nn.Conv2d(3, 4, 3);
    const before = c.weight.data.copy();
    expect(() => c.forward(nd.zeros([1, 2, 5, 5]))).toThrow();
    expect(nd.allclose(c.weight.data, before)).toBe(true);
    expect(c.weight.grad).toBeNull();
  });
});
