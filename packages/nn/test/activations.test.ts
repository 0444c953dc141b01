// The activations: ReLU, Tanh and Sigmoid against their formulas; GELU (both forms), SiLU,
// Softmax, LogSoftmax, Flatten and Identity against real PyTorch (data/make-modules-reference.py)
// and against finite differences.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { ReLU, Sigmoid, Tanh } from "@tapegrad/nn";
import * as nn from "../src/index.js";
import { REF, check, expectAsTorch, expectClose, torchCases } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe("activations and Sequential", () => {
  it("ReLU, Tanh and Sigmoid compute max(0, x), tanh x and 1/(1 + e^-x)", () => {
    const xs = [-3, -0.5, 0, 0.25, 2];
    const x = ag.tensor(nd.array(xs));
    expect(new ReLU().forward(x).data.toFlat()).toEqual(xs.map((v) => Math.max(0, v)));
    expectClose(new Tanh().forward(x), nd.array(xs.map(Math.tanh)), { rtol: 1e-15, atol: 1e-16 }, "tanh");
    expectClose(new Sigmoid().forward(x), nd.array(xs.map((v) => 1 / (1 + Math.exp(-v)))), { rtol: 1e-15, atol: 1e-16 }, "sigmoid");
  });
});

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of torchCases("GELU", "SiLU", "Softmax", "LogSoftmax", "Flatten", "Identity")) {
    it(c.name, () => expectAsTorch(c));
  }
});

describe("gradcheck through each module, parameters and input", () => {
  it("GELU (both forms), SiLU, Softmax, LogSoftmax, Flatten", () => {
    for (const m of [new nn.GELU(), new nn.GELU({ approximate: "tanh" }), new nn.SiLU(), new nn.Softmax(1), new nn.LogSoftmax(0), new nn.Flatten()]) {
      check(m, [randn(2, 3, 2)], (x) => m.forward(x!));
    }
  });
});
