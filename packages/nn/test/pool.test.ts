// MaxPool1d, MaxPool2d, AvgPool1d and AvgPool2d against real PyTorch
// (data/make-modules-reference.py ran torch in float64; ties included) and against finite
// differences.

import { describe, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("MaxPool and AvgPool (distinct values: max has no derivative at a tie)", () => {
    const distinct = (...s: number[]) => nd.array(Float64Array.from(rs.permutation(s.reduce((a, b) => a * b)).toFlat(), (v) => v * 0.37), s);
    const mp = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    check(mp, [distinct(1, 2, 5, 5)], (x) => mp.forward(x!), false);
    const mp1 = new nn.MaxPool1d(2, { dilation: 2, stride: 1 });
    check(mp1, [distinct(2, 2, 6)], (x) => mp1.forward(x!), false);
    const ap = new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false });
    check(ap, [randn(1, 2, 5, 4)], (x) => ap.forward(x!));
    const ap1 = new nn.AvgPool1d(3, { stride: 1, padding: 1 });
    check(ap1, [randn(2, 1, 5)], (x) => ap1.forward(x!));
  });
});
