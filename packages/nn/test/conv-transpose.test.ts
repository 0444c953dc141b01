// ConvTranspose1d/2d, Conv3d, and asymmetric or negative conv padding against real PyTorch
// (data/make-layers-reference.py ran torch in float64; asymmetric padding is F.pad before the
// conv there), against finite differences, the adjoint law that defines a transposed
// convolution (<conv(x), y> = <x, convT(y)> with the same weight), and their errors.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { check } from "./module-helpers.js";
import { LAYERS, builder, expectModuleAsTorch, moduleCases } from "./layers-helpers.js";

builder("ConvTranspose1d", (a, o) => new nn.ConvTranspose1d(a[0]!, a[1]!, a[2]!, o));
builder("ConvTranspose2d", (a, o) => new nn.ConvTranspose2d(a[0]!, a[1]!, a[2]!, o));
builder("Conv3d", (a, o) => new nn.Conv3d(a[0]!, a[1]!, a[2]!, o));
builder("ConvTranspose3d", (a, o) => new nn.ConvTranspose3d(a[0]!, a[1]!, a[2]!, o));
builder("Conv1d", (a, o) => new nn.Conv1d(a[0]!, a[1]!, a[2]!, o));
builder("Conv2d", (a, o) => new nn.Conv2d(a[0]!, a[1]!, a[2]!, o));

const rs = new RandomState(17);
const dot = (a: Tensor, b: Tensor) => ag.sum(ag.mul(a, b)).item();

describe(`against PyTorch ${LAYERS.torch} (float64)`, () => {
  for (const c of moduleCases("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Conv3d", "Conv1d", "Conv2d")) it(c.name, () => expectModuleAsTorch(c));
});

describe("the adjoint law: <conv(x), y> = <x, convT(y)> for the same weight", () => {
  const cases: [string, number, Record<string, unknown>, number[]][] = [
    ["1-d, stride 2, padding 1, dilation 2, groups 2", 1, { stride: 2, padding: 1, dilation: 2, groups: 2 }, [2, 4, 11]],
    ["2-d, stride (2, 3), padding (1, 0)", 2, { stride: [2, 3], padding: [1, 0] }, [2, 2, 7, 8]],
  ];
  for (const [name, n, opts, xShape] of cases) {
    it(name, () => {
      const [Cin, Cout, k] = [xShape[1]!, 6, 3];
      const conv = n === 1 ? new nn.Conv1d(Cin, Cout, k, { ...opts, bias: false }) : new nn.Conv2d(Cin, Cout, k, { ...opts, bias: false });
      const x = tensor(rs.randn(...xShape));
      const cx = conv.forward(x);
      // the output size of the transposed conv must come back to x's: outputPadding makes up the floor
      const stride = (opts.stride ?? 1) as number | number[];
      const s = Array.isArray(stride) ? stride : Array(n).fill(stride);
      const pad = (Array.isArray(opts.padding) ? opts.padding : Array(n).fill(opts.padding ?? 0)) as number[];
      const dil = (opts.dilation ?? 1) as number;
      const outputPadding = s.map((si, i) => (xShape[2 + i]! + 2 * pad[i]! - dil * (k - 1) - 1) % si);
      const T = n === 1 ? nn.ConvTranspose1d : nn.ConvTranspose2d;
      const convT = new T(Cout, Cin, k, { ...opts, outputPadding, bias: false } as never);
      convT.weight.data.assign(conv.weight.data);
      const y = tensor(rs.randn(...cx.shape));
      const ty = convT.forward(y);
      expect(ty.shape).toEqual(x.shape);
      const lhs = dot(cx, y);
      expect(Math.abs(lhs - dot(x, ty))).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
    });
  }
});

describe("laws and small cases", () => {
  it("padding pairs of zeros equal no padding; symmetric pairs equal the number", () => {
    const c = new nn.Conv2d(2, 3, 3);
    const x = tensor(rs.randn(1, 2, 5, 6));
    const d = new nn.Conv2d(2, 3, 3, { padding: [[1, 1], [2, 2]] });
    d.loadStateDict(c.stateDict());
    const e = new nn.Conv2d(2, 3, 3, { padding: [1, 2] });
    e.loadStateDict(c.stateDict());
    expect(nd.maxAbsDiff(d.forward(x).data, e.forward(x).data)).toBe(0);
  });
  it("negative padding crops: [[-1, -2]] is the conv of x[..., 1:-2]", () => {
    const c = new nn.Conv1d(1, 1, 2, { padding: [[-1, -2]] });
    const plain = new nn.Conv1d(1, 1, 2);
    plain.loadStateDict(c.stateDict());
    const x = rs.randn(1, 1, 8);
    expect(nd.maxAbsDiff(c.forward(x).data, plain.forward(x.slice(null, null, [1, 6])).data)).toBe(0);
  });
  it("gradcheck: ConvTranspose2d with groups and output padding, Conv3d, negative padding", () => {
    const t = new nn.ConvTranspose2d(2, 4, 2, { stride: 2, padding: [1, 0], outputPadding: 1, groups: 2 });
    check(t, [rs.randn(1, 2, 3, 2)], (x) => t.forward(x!));
    const c3 = new nn.Conv3d(1, 2, 2, { stride: [1, 2, 1] });
    check(c3, [rs.randn(1, 1, 3, 4, 3)], (x) => c3.forward(x!));
    const neg = new nn.Conv2d(1, 2, 2, { padding: [[-1, 1], [0, -1]] });
    check(neg, [rs.randn(1, 1, 4, 4)], (x) => neg.forward(x!));
  });
  it("Conv3d with padding \"same\" keeps the size, and equals the explicit pairs it stands for", () => {
    const c = new nn.Conv3d(2, 2, [2, 3, 4], { padding: "same", dilation: [1, 2, 1] });
    const x = rs.randn(1, 2, 4, 5, 6);
    const y = c.forward(x);
    expect(y.shape).toEqual([1, 2, 4, 5, 6]);
    // PyTorch puts the odd zero after: total dilation (k - 1) = 1, 4, 3
    const p = new nn.Conv3d(2, 2, [2, 3, 4], { padding: [[0, 1], [2, 2], [1, 2]], dilation: [1, 2, 1] });
    p.loadStateDict(c.stateDict());
    expect(nd.maxAbsDiff(p.forward(x).data, y.data)).toBe(0);
  });
  it("outputSize picks the output padding, as PyTorch's output_size: the inverse size of a strided Conv2d", () => {
    const conv = new nn.Conv2d(2, 3, 3, { stride: 2, padding: 1 });
    const x = rs.randn(1, 2, 8, 7);
    const y = conv.forward(x); // 4 x 4: 8 and 7 both map there
    const up = new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1 });
    expect(up.forward(y, [8, 7]).shape).toEqual([1, 2, 8, 7]);
    expect(up.forward(y, [1, 2, 7, 8]).shape).toEqual([1, 2, 7, 8]);
    const withPadding = new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: [1, 0] });
    withPadding.loadStateDict(up.stateDict());
    expect(nd.maxAbsDiff(up.forward(y, [8, 7]).data, withPadding.forward(y).data)).toBe(0);
    expect(() => up.forward(y, [9, 7])).toThrow(/ConvTranspose2d: outputSize \[9,7\] must be between \[7,7\] and \[8,8\] for input \[1,3,4,4\]/);
  });
  it("an unbatched input", () => {
    const t = new nn.ConvTranspose1d(2, 3, 3, { stride: 2 });
    const x = rs.randn(2, 4);
    expect(nd.maxAbsDiff(t.forward(x).data, nd.squeeze(t.forward(x.unsqueeze(0)).data, 0))).toBe(0);
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("channels, rank, options", () => {
    expect(() => new nn.ConvTranspose2d(3, 2, 3).forward(nd.zeros([1, 2, 4, 4]))).toThrow(ShapeError);
    expect(() => new nn.ConvTranspose2d(3, 2, 3).forward(nd.zeros([1, 2, 4, 4]))).toThrow(/ConvTranspose2d: input has 2 channels, expected 3 \(input shape \[1,2,4,4\], weight \[3,2,3,3\]\)/);
    expect(() => new nn.Conv3d(1, 1, 2).forward(nd.zeros([1, 4, 4]))).toThrow(/Conv3d: input must be \(batch, channels, depth, height, width\) or without the batch dim, got \[1,4,4\]/);
    expect(() => new nn.ConvTranspose1d(1, 1, 3, { stride: 2, outputPadding: 2 })).toThrow(ValueError);
    expect(() => new nn.ConvTranspose1d(1, 1, 3, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding 2 must be smaller than the stride 2 or the dilation 1/);
    expect(() => new nn.ConvTranspose1d(1, 1, 1, { padding: 1 }).forward(nd.zeros([1, 1, 1]))).toThrow(/ConvTranspose1d: the output would be -1/);
    expect(() => new nn.Conv2d(1, 1, 2, { padding: [[1, 2]] })).toThrow(/Conv2d: padding pairs must be 2 \[before, after\] pairs of integers, got \[\[1,2\]\]/);
    expect(() => new nn.Conv1d(1, 1, 3, { padding: [[-2, 0]] }).forward(nd.zeros([1, 1, 4]))).toThrow(/Conv1d: kernel 3 at dilation 1 spans 3, more than the padded input 2 \(input \[1,1,4\], padding \[\[-2,0\]\]\)/);
  });
});
