// RNN (tanh and relu) against real PyTorch (data/make-modules-reference.py ran torch in float64)
// and against finite differences.

import { describe, it } from "vitest";
import { RandomState } from "@tapegrad/tensor";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("RNN")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("RNN (tanh, two layers; relu, bidirectional)", () => {
    const r1 = new nn.RNN(2, 3, { numLayers: 2 });
    check(r1, [randn(4, 2, 2)], (x) => r1.forward(x!)[0]);
    const r2 = new nn.RNN(2, 3, { nonlinearity: "relu", bidirectional: true, batchFirst: true });
    check(r2, [randn(2, 3, 2)], (x) => r2.forward(x!)[0], false);
  });
});
