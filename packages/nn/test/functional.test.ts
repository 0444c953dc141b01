// The functional layers (conv2d, convTranspose2d, maxPool2d, batchNorm, ...) against real PyTorch:
// the module cases of data/make-layers-reference.py run again through the functions, with the
// modules' state as arguments (torch's outputs, input gradients and running statistics); they
// read no random stream; their errors name the function and the shapes.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState, ShapeError, ValueError, getDefaultRng } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { expectClose } from "./module-helpers.js";
import { LAYERS, dec, moduleCases, type ModuleCase } from "./layers-helpers.js";

const TOL = { rtol: 1e-9, atol: 1e-11 };
type Fn = (x: Tensor, state: Record<string, NDArray>, c: ModuleCase) => Tensor | [Tensor, NDArray];
const o = (c: ModuleCase) => c.opts as never;
const a0 = (c: ModuleCase) => c.args[0] as never;

const FNS: Record<string, Fn> = {
  Conv1d: (x, s, c) => nn.conv1d(x, s.weight!, s.bias ?? null, o(c)),
  Conv2d: (x, s, c) => nn.conv2d(x, s.weight!, s.bias ?? null, o(c)),
  Conv3d: (x, s, c) => nn.conv3d(x, s.weight!, s.bias ?? null, o(c)),
  ConvTranspose1d: (x, s, c) => nn.convTranspose1d(x, s.weight!, s.bias ?? null, o(c)),
  ConvTranspose2d: (x, s, c) => nn.convTranspose2d(x, s.weight!, s.bias ?? null, o(c)),
  ConvTranspose3d: (x, s, c) => nn.convTranspose3d(x, s.weight!, s.bias ?? null, o(c)),
  MaxPool1d: (x, _s, c) => nn.maxPool1d(x, a0(c), o(c)),
  MaxPool2d: (x, _s, c) => nn.maxPool2d(x, a0(c), o(c)),
  MaxPool3d: (x, _s, c) => nn.maxPool3d(x, a0(c), o(c)),
  AvgPool1d: (x, _s, c) => nn.avgPool1d(x, a0(c), o(c)),
  AvgPool2d: (x, _s, c) => nn.avgPool2d(x, a0(c), o(c)),
  AvgPool3d: (x, _s, c) => nn.avgPool3d(x, a0(c), o(c)),
  AdaptiveAvgPool1d: (x, _s, c) => nn.adaptiveAvgPool1d(x, a0(c)),
  AdaptiveAvgPool2d: (x, _s, c) => nn.adaptiveAvgPool2d(x, a0(c)),
  AdaptiveAvgPool3d: (x, _s, c) => nn.adaptiveAvgPool3d(x, a0(c)),
  AdaptiveMaxPool1d: (x, _s, c) => nn.adaptiveMaxPool1d(x, a0(c)),
  AdaptiveMaxPool2d: (x, _s, c) => nn.adaptiveMaxPool2d(x, a0(c)),
  PixelShuffle: (x, _s, c) => nn.pixelShuffle(x, a0(c)),
  PixelUnshuffle: (x, _s, c) => nn.pixelUnshuffle(x, a0(c)),
  GroupNorm: (x, s, c) => nn.groupNorm(x, a0(c), { weight: s.weight, bias: s.bias, eps: (c.opts.eps as number | undefined) ?? 1e-5 }),
};

function runCase(c: ModuleCase, f: Fn): void {
  const state = Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, dec(v)]));
  const params = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, nd.isFloat(v.dtype) && !k.startsWith("running") ? new Tensor(v, true) : v])) as Record<string, never>;
  for (const call of c.calls) {
    const x = new Tensor(dec(call.inputs.x!), true);
    const out = f(x, params, c);
    const outs = Array.isArray(out) ? out : [out];
    expectClose(outs[0]!, dec(call.outputs[0]!), TOL, "output");
    if (outs[1]) expect((outs[1] as NDArray).toArray()).toEqual(dec(call.outputs[1]!).toArray());
    ag.sum(ag.mul(outs[0] as Tensor, new Tensor(dec(call.cotangents[0]!)))).backward();
    expectClose(x.grad!, dec(call.inputGrads.x!), TOL, "d/dx");
    for (const [k, g] of Object.entries(call.paramGrads)) {
      const p = params[k] as unknown as Tensor;
      expectClose(p.grad!, dec(g), TOL, `d/d${k}`);
      p.zeroGrad();
    }
  }
}

describe(`the functions against PyTorch ${LAYERS.torch} (float64), through the module cases`, () => {
  for (const c of moduleCases(...Object.keys(FNS))) it(`${c.name} as a function`, () => runCase(c, FNS[c.kind]!));
  for (const c of moduleCases("BatchNorm1d", "BatchNorm2d").filter((k) => k.opts.momentum !== null && k.opts.trackRunningStats !== false)) {
    it(`${c.name} as batchNorm(..., { training: ${c.train} }), running statistics updated in place`, () => {
      const mean = dec(c.state.running_mean!);
      const variance = dec(c.state.running_var!);
      runCase(c, (x, s) =>
        nn.batchNorm(x, mean, variance, { weight: s.weight, bias: s.bias, training: c.train, momentum: (c.opts.momentum as number | undefined) ?? 0.1, eps: (c.opts.eps as number | undefined) ?? 1e-5 }));
      expectClose(mean, dec(c.stateAfter.running_mean!), TOL, "running_mean");
      expectClose(variance, dec(c.stateAfter.running_var!), TOL, "running_var");
    });
  }
});

describe("laws", () => {
  it("the functions read no random stream (the modules' initialisation does)", () => {
    const before = getDefaultRng().getState();
    const rs = new RandomState(2);
    nn.conv2d(rs.randn(1, 2, 4, 4), rs.randn(3, 2, 3, 3), rs.randn(3), { padding: "same" });
    nn.convTranspose2d(rs.randn(1, 2, 3, 3), rs.randn(2, 4, 2, 2), null, { stride: 2 });
    const after = getDefaultRng().getState();
    expect(after.key).toEqual(before.key);
    expect(after.pos).toBe(before.pos);
  });
  it("conv2d with groups equals the per-group convolutions concatenated", () => {
    const rs = new RandomState(4);
    const x = rs.randn(2, 4, 5, 5);
    const w = rs.randn(6, 2, 3, 3);
    const y = nn.conv2d(x, w, null, { groups: 2 }).data;
    const parts = [0, 1].map((g) => nn.conv2d(x.slice(null, [2 * g, 2 * g + 2]), w.slice([3 * g, 3 * g + 3])).data);
    expect(nd.maxAbsDiff(y, nd.concat(parts, 1))).toBeLessThan(1e-13);
  });
});

describe("bad input: a typed error naming the function and the shapes", () => {
  it("weights, biases, channels, running statistics", () => {
    const x = nd.zeros([1, 3, 5, 5]);
    expect(() => nn.conv2d(x, nd.zeros([4, 2, 3, 3]))).toThrow(ShapeError);
    expect(() => nn.conv2d(x, nd.zeros([4, 2, 3, 3]))).toThrow(/conv2d: input must be \(N, 2, \.\.\.\) with 2 spatial dims \(the weight \[4,2,3,3\] and groups 1 take 2 channels\), got \[1,3,5,5\]/);
    expect(() => nn.conv2d(x, nd.zeros([4, 3, 3]))).toThrow(/conv2d: weight must have 4 dims \(channels, channels, \.\.\.kernel\), got \[4,3,3\]/);
    expect(() => nn.conv2d(x, nd.zeros([4, 3, 3, 3]), nd.zeros([3]))).toThrow(/conv2d: bias must have shape \[4\] \(one per output channel\), got \[3\]/);
    expect(() => nn.convTranspose2d(x, nd.zeros([3, 2, 3, 3]), null, { outputPadding: 1 })).toThrow(ValueError);
    expect(() => nn.batchNorm(tensor([[1, 2]]), null, null)).toThrow(/batchNorm: without training, runningMean and runningVar must be given/);
    expect(() => nn.batchNorm(tensor([[1, 2], [3, 4]]), nd.zeros([3]), nd.ones([3]))).toThrow(/batchNorm: runningMean must have shape \[2\] \(the input \[2,2\] has 2 channels\), got \[3\]/);
    expect(() => nn.groupNorm(tensor([[1, 2, 3]]), 2)).toThrow(/groupNorm: 3 channels \(input \[1,3\]\) are not divisible by numGroups 2/);
  });
});
