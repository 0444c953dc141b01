// What holds across the modules for small networks (norm, activations, conv, pool, RNN,
// attention, transformer) rather than for one of them: default-sized modules have torch's
// state-dict keys (data/make-modules-reference.py), bad options and inputs are typed errors naming
// the module, and a module built in float32 computes in float32. Each module's own tests are in
// its file (conv.test.ts, pool.test.ts, ...).

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import { Tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { REF } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  it("default-sized modules have torch's state-dict keys and shapes, in torch's order", () => {
    const made: Record<string, nn.Module> = {
      "new TransformerEncoderLayer(16, 4)": new nn.TransformerEncoderLayer(16, 4),
      "new MultiheadAttention(16, 4)": new nn.MultiheadAttention(16, 4),
      "new Conv2d(3, 8, 5)": new nn.Conv2d(3, 8, 5),
      "new RNN(3, 5, { numLayers: 2, bidirectional: true })": new nn.RNN(3, 5, { numLayers: 2, bidirectional: true }),
      "new LayerNorm([4, 6])": new nn.LayerNorm([4, 6]),
    };
    for (const [k, want] of Object.entries(REF.defaultKeys)) {
      expect(Object.entries(made[k]!.stateDict()).map(([n, v]) => [n, [...v.shape]]), k).toEqual(want);
    }
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("a kernel larger than the padded input", () => {
    expect(() => new nn.Conv2d(1, 1, 5, { padding: 1 }).forward(nd.zeros([1, 1, 2, 4]))).toThrow(
      /Conv2d: kernel 5x5 at dilation 1x1 spans 5x5, more than the padded input 4x6 \(input \[1,1,2,4\], padding 1x1\)/,
    );
    expect(() => new nn.MaxPool2d(3).forward(nd.zeros([1, 1, 2, 2]))).toThrow(ShapeError);
    expect(() => new nn.MaxPool2d(3).forward(nd.zeros([1, 1, 2, 2]))).toThrow(/MaxPool2d: kernel 3x3/);
  });
  it("options PyTorch refuses", () => {
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/Conv2d: inChannels 3 is not divisible by groups 2/);
    expect(() => new nn.Conv2d(3, 3, 3, { padding: "same", stride: 2 })).toThrow(ValueError);
    expect(() => new nn.MaxPool2d(2, { padding: 2 })).toThrow(/MaxPool2d: padding 2 is more than half the kernel size 2/);
    expect(() => new nn.GELU({ approximate: "erf" as never })).toThrow(/GELU: approximate must be/);
    expect(() => new nn.RNN(2, 3, { nonlinearity: "sigmoid" as never })).toThrow(/RNN: nonlinearity must be "tanh" or "relu"/);
  });
});

describe("float32", () => {
  it("each module built with dtype float32 computes in float32, close to the same module in float64", () => {
    type Forward = { forward(x: Tensor): Tensor | [Tensor, Tensor] };
    const pairs: [string, (dtype: nd.DType) => Forward, number[]][] = [
      ["LayerNorm", (dtype) => new nn.LayerNorm(4, { dtype }), [2, 3, 4]],
      ["Conv1d", (dtype) => new nn.Conv1d(2, 3, 3, { padding: 1, dtype, rng: new RandomState(1) }), [2, 2, 6]],
      ["Conv2d", (dtype) => new nn.Conv2d(2, 3, 3, { stride: 2, dtype, rng: new RandomState(1) }), [1, 2, 7, 7]],
      ["MaxPool2d", () => new nn.MaxPool2d(2), [1, 2, 4, 4]],
      ["AvgPool1d", () => new nn.AvgPool1d(2), [1, 2, 6]],
      ["GELU", () => new nn.GELU(), [3, 4]],
      ["TransformerEncoderLayer", (dtype) => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, dtype, rng: new RandomState(1) }), [3, 2, 4]],
      ["RNN", (dtype) => new nn.RNN(4, 3, { dtype, rng: new RandomState(1) }), [3, 2, 4]],
    ];
    const first = (y: Tensor | [Tensor, Tensor]) => (Array.isArray(y) ? y[0] : y);
    for (const [name, make, shape] of pairs) {
      const x64 = randn(...shape);
      const y64 = first(make("float64").forward(new Tensor(x64)));
      const y32 = first(make("float32").forward(new Tensor(x64.astype("float32"))));
      expect(y32.dtype, name).toBe("float32");
      expect(nd.maxAbsDiff(y32.data.astype("float64"), y64.data), name).toBeLessThan(1e-5);
    }
  });
});
