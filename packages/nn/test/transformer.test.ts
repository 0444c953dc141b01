// TransformerEncoderLayer (post-norm and pre-norm, relu and gelu, masks) against real PyTorch
// (data/make-modules-reference.py ran torch in float64) and against finite differences.

import { describe, it } from "vitest";
import { RandomState } from "@tapegrad/tensor";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("TransformerEncoderLayer")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("TransformerEncoderLayer (post-norm relu, pre-norm gelu)", () => {
    const a = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 });
    check(a, [randn(3, 2, 4)], (x) => a.forward(x!, { isCausal: true }), false);
    const b = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst: true, activation: "gelu", batchFirst: true });
    check(b, [randn(2, 3, 4)], (x) => b.forward(x!));
  });
});
