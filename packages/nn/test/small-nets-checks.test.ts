// The small-network modules held against finite differences (gradcheck, and gradgradcheck
// where the module is smooth), and their errors on bad input: typed, naming the module and shapes.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { gradcheckWith, type Slot } from "./module-helpers.js";

const rs = new RandomState(7);
const randn = (...s: number[]) => rs.randn(...s);
const slots = (m: nn.Module): Slot[] => {
  const out: Slot[] = [];
  for (const [, mod] of m.namedModules()) for (const [k, v] of Object.entries(mod)) if (v instanceof nn.Parameter) out.push([mod, k]);
  return out;
};

function check(m: nn.Module, inputs: nd.NDArray[], run: (...xs: Tensor[]) => Tensor, second = true): void {
  const ts = inputs.map((a) => new Tensor(a));
  const r = gradcheckWith(slots(m), ts, run);
  expect(r.passed, String(r)).toBe(true);
  if (second) {
    const rr = ag.gradgradcheck((...xs) => run(...xs), inputs);
    expect(rr.passed, String(rr)).toBe(true);
  }
}

describe("gradcheck through each module, parameters and input", () => {
  it("LayerNorm", () => {
    const m = new nn.LayerNorm([2, 3]);
    m.weight!.data.assign(randn(2, 3));
    m.bias!.data.assign(randn(2, 3));
    check(m, [randn(2, 2, 3)], (x) => m.forward(x!));
  });
  it("GELU (both forms), SiLU, Softmax, LogSoftmax, Flatten", () => {
    for (const m of [new nn.GELU(), new nn.GELU({ approximate: "tanh" }), new nn.SiLU(), new nn.Softmax(1), new nn.LogSoftmax(0), new nn.Flatten()]) {
      check(m, [randn(2, 3, 2)], (x) => m.forward(x!));
    }
  });
  it("Conv1d and Conv2d (stride, padding, dilation, groups)", () => {
    const c1 = new nn.Conv1d(2, 4, 3, { stride: 2, padding: 1, dilation: 1, groups: 2 });
    check(c1, [randn(2, 2, 7)], (x) => c1.forward(x!));
    const c2 = new nn.Conv2d(2, 3, [2, 3], { stride: [1, 2], padding: [1, 0], dilation: [2, 1] });
    check(c2, [randn(1, 2, 5, 6)], (x) => c2.forward(x!));
  });
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
  it("RNN (tanh, two layers; relu, bidirectional)", () => {
    const r1 = new nn.RNN(2, 3, { numLayers: 2 });
    check(r1, [randn(4, 2, 2)], (x) => r1.forward(x!)[0]);
    const r2 = new nn.RNN(2, 3, { nonlinearity: "relu", bidirectional: true, batchFirst: true });
    check(r2, [randn(2, 3, 2)], (x) => r2.forward(x!)[0], false);
  });
  it("MultiheadAttention, with masks, output and weights", () => {
    const m = new nn.MultiheadAttention(4, 2);
    const kpm = nd.array([[0, 0, 1], [0, 0, 0]]).astype("bool");
    check(m, [randn(2, 2, 4), randn(3, 2, 4), randn(3, 2, 4)], (q, k, v) => {
      const [o, w] = m.forward(q!, k!, v!, { keyPaddingMask: kpm, attnMask: nd.mul(randn(2, 3), 0) });
      return ag.concat([ag.reshape(o, [-1]), ag.reshape(w!, [-1])]);
    });
  });
  it("TransformerEncoderLayer (post-norm relu, pre-norm gelu)", () => {
    const a = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 });
    check(a, [randn(3, 2, 4)], (x) => a.forward(x!, { isCausal: true }), false);
    const b = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst: true, activation: "gelu", batchFirst: true });
    check(b, [randn(2, 3, 4)], (x) => b.forward(x!));
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("a wrong channel count", () => {
    expect(() => new nn.Conv2d(3, 4, 3).forward(nd.zeros([1, 2, 5, 5]))).toThrow(ShapeError);
    expect(() => new nn.Conv2d(3, 4, 3).forward(nd.zeros([1, 2, 5, 5]))).toThrow(/Conv2d: input has 2 channels, expected 3 \(input shape \[1,2,5,5\], weight \[4,3,3,3\]\)/);
    expect(() => new nn.Conv1d(3, 4, 3).forward(nd.zeros([1, 3, 2]))).toThrow(/Conv1d: kernel 3 at dilation 1 spans 3, more than the padded input 2/);
  });
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
  it("embedDim not divisible by numHeads", () => {
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(ValueError);
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(/MultiheadAttention: embedDim 10 is not divisible by numHeads 3/);
  });
  it("masks of the wrong shape", () => {
    const m = new nn.MultiheadAttention(4, 2);
    const q = nd.zeros([3, 2, 4]);
    const kv = nd.zeros([5, 2, 4]);
    expect(() => m.forward(q, kv, kv, { attnMask: nd.zeros([3, 4]) })).toThrow(/MultiheadAttention: attnMask has shape \[3,4\], expected \[3,5\] or \[4,3,5\]/);
    expect(() => m.forward(q, kv, kv, { keyPaddingMask: nd.zeros([5, 2]) })).toThrow(/MultiheadAttention: keyPaddingMask has shape \[5,2\], expected \[2,5\]/);
    expect(() => m.forward(q, nd.zeros([5, 2, 3]), kv)).toThrow(ShapeError);
  });
  it("LayerNorm on an input that does not end in normalizedShape", () => {
    expect(() => new nn.LayerNorm([3, 4]).forward(nd.zeros([2, 4, 3]))).toThrow(/LayerNorm: input has shape \[2,4,3\], expected it to end in \[3,4\]/);
  });
  it("a failed forward leaves the module as it was", () => {
    const c = new nn.Conv2d(3, 4, 3);
    const before = c.weight.data.copy();
    expect(() => c.forward(nd.zeros([1, 2, 5, 5]))).toThrow();
    expect(nd.allclose(c.weight.data, before)).toBe(true);
    expect(c.weight.grad).toBeNull();
  });
});

describe("dropout in attention", () => {
  it("drops attention weights only while training, and returns them as applied (as PyTorch does)", () => {
    const m = new nn.MultiheadAttention(4, 2, { dropout: 0.5, rng: new RandomState(3) });
    const x = randn(5, 1, 4);
    const [, wTrain] = m.forward(x, x, x, { averageAttnWeights: false });
    const dropped = wTrain!.data.toFlat().filter((v) => v === 0).length;
    expect(dropped).toBeGreaterThan(0);
    m.eval();
    const [, wEval] = m.forward(x, x, x, { averageAttnWeights: false });
    // eval: each row is a softmax, summing to 1, with nothing dropped
    const rows = nd.sum(wEval!.data, -1).toFlat();
    rows.forEach((s) => expect(s).toBeCloseTo(1, 12));
    expect(wEval!.data.toFlat().filter((v) => v === 0).length).toBe(0);
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
