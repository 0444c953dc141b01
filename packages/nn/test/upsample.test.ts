// interpolate, Upsample, PixelShuffle and PixelUnshuffle against real PyTorch
// (data/make-layers-reference.py ran torch in float64: sizes and scale factors, integer and
// not, alignCorners both ways), against finite differences, by-hand values and laws, and errors.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { DTypeError, RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { expectClose } from "./module-helpers.js";
import { LAYERS, builder, expectFunctionAsTorch, expectModuleAsTorch, functionCases, moduleCases } from "./layers-helpers.js";

builder("Upsample", (_a, o) => new nn.Upsample(o));
builder("PixelShuffle", (a) => new nn.PixelShuffle(a[0]!));
builder("PixelUnshuffle", (a) => new nn.PixelUnshuffle(a[0]!));

const rs = new RandomState(29);

describe(`against PyTorch ${LAYERS.torch} (float64)`, () => {
  for (const c of moduleCases("Upsample", "PixelShuffle", "PixelUnshuffle")) it(c.name, () => expectModuleAsTorch(c));
  for (const c of functionCases("interpolate")) it(c.name, () => expectFunctionAsTorch(c, (x) => nn.interpolate(x.x!, c.opts as nn.InterpolateOptions)));
});

describe("by hand and laws", () => {
  it("bilinear with alignCorners keeps the corners and is linear in between", () => {
    const x = tensor([[[[0, 3], [6, 9]]]]);
    const y = nn.interpolate(x, { size: [3, 4], mode: "bilinear", alignCorners: true });
    expectClose(y, nd.array([[[[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]]]), { rtol: 1e-15, atol: 1e-15 }, "bilinear");
  });
  it("nearest by an integer factor repeats each element; resizing to the same size is the identity", () => {
    const x = rs.randn(1, 2, 3, 2);
    const y = nn.interpolate(x, { scaleFactor: [2, 3] });
    expect(y.shape).toEqual([1, 2, 6, 6]);
    expect(y.data.get(0, 1, 5, 5)).toBe(x.get(0, 1, 2, 1));
    expect(nd.maxAbsDiff(nn.interpolate(x, { size: [3, 2], mode: "bilinear" }).data, x)).toBe(0);
  });
  it("interpolate's gradient is its adjoint: <interp(x), y> = <x, grad of sum(interp(x) * y)>", () => {
    const x = new Tensor(rs.randn(2, 1, 4, 5), true);
    const y = rs.randn(2, 1, 7, 3);
    const out = nn.interpolate(x, { size: [7, 3], mode: "bilinear" });
    ag.sum(ag.mul(out, new Tensor(y))).backward();
    // linear in x: <A x, y> = <x, A^T y>
    expect(Math.abs(nd.sum(nd.mul(out.data, y)).item() - nd.sum(nd.mul(x.data, x.grad!)).item())).toBeLessThan(1e-12);
  });
  it("gradcheck through linear, bilinear and bicubic, alignCorners both ways", () => {
    for (const alignCorners of [false, true]) {
      const r1 = ag.gradcheck((x) => nn.interpolate(x, { size: 7, mode: "linear", alignCorners }), [rs.randn(1, 2, 4)]);
      expect(r1.passed, String(r1)).toBe(true);
      const r2 = ag.gradcheck((x) => nn.interpolate(x, { scaleFactor: 1.5, mode: "bilinear", alignCorners }), [rs.randn(1, 1, 3, 4)]);
      expect(r2.passed, String(r2)).toBe(true);
      const r3 = ag.gradcheck((x) => nn.interpolate(x, { size: [4, 5], mode: "bicubic", alignCorners }), [rs.randn(1, 1, 3, 3)]);
      expect(r3.passed, String(r3)).toBe(true);
    }
  });
  it("PixelUnshuffle undoes PixelShuffle", () => {
    const x = rs.randn(2, 12, 3, 2);
    const y = new nn.PixelShuffle(2).forward(x);
    expect(y.shape).toEqual([2, 3, 6, 4]);
    expect(nd.maxAbsDiff(new nn.PixelUnshuffle(2).forward(y).data, x)).toBe(0);
  });
});

describe("bad input: a typed error naming the function and the shapes", () => {
  it("modes, ranks, sizes, options", () => {
    expect(() => nn.interpolate(nd.zeros([1, 2, 3]), { size: [4, 4], mode: "bilinear" })).toThrow(ShapeError);
    expect(() => nn.interpolate(nd.zeros([1, 2, 3]), { size: [4, 4], mode: "bilinear" })).toThrow(/interpolate: mode "bilinear" needs an input \(N, C, H, W\), got \[1,2,3\]/);
    expect(() => nn.interpolate(nd.zeros([1, 2, 3]), { size: 4, scaleFactor: 2 })).toThrow(/interpolate: give exactly one of size and scaleFactor/);
    expect(() => nn.interpolate(nd.zeros([1, 2, 3]), { size: 4, alignCorners: true })).toThrow(ValueError);
    expect(() => nn.interpolate(nd.zeros([1, 2, 3, 3]), { size: [4] })).toThrow(/interpolate: size must be a positive integer or 2 of them \(one per spatial dim\), got \[4\]/);
    expect(() => nn.interpolate(nd.zeros([1, 2, 3]), { scaleFactor: 0.2 })).toThrow(/interpolate: the output size would be 0 for input \[1,2,3\]/);
    expect(() => nn.interpolate(nd.zeros([1, 2, 3], "int32"), { size: 4 })).toThrow(DTypeError);
    expect(() => new nn.PixelShuffle(2).forward(nd.zeros([1, 6, 2, 2]))).toThrow(/PixelShuffle: 6 channels \(input \[1,6,2,2\]\) are not divisible by upscaleFactor\^2 = 4/);
    expect(() => new nn.PixelUnshuffle(2).forward(nd.zeros([1, 1, 3, 2]))).toThrow(/PixelUnshuffle: height 3 and width 2 \(input \[1,1,3,2\]\) must be divisible by downscaleFactor 2/);
  });
});
