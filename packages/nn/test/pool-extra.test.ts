// Pooling beyond the basics against real PyTorch (data/make-layers-reference.py ran torch in
// float64): ceilMode, countIncludePad with it, returnIndices and MaxUnpool2d, the 3-d pools and
// the adaptive average pools; against finite differences, by-hand cases, and their errors.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { IndexError, NDArray, RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import { Tensor, tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { check, expectClose } from "./module-helpers.js";
import { LAYERS, builder, expectModuleAsTorch, moduleCases } from "./layers-helpers.js";

builder("MaxPool1d", (a, o) => new nn.MaxPool1d(a[0]!, o));
builder("MaxPool2d", (a, o) => new nn.MaxPool2d(a[0]!, o));
builder("MaxPool3d", (a, o) => new nn.MaxPool3d(a[0]!, o));
builder("AvgPool1d", (a, o) => new nn.AvgPool1d(a[0]!, o));
builder("AvgPool2d", (a, o) => new nn.AvgPool2d(a[0]!, o));
builder("AvgPool3d", (a, o) => new nn.AvgPool3d(a[0]!, o));
builder("AdaptiveAvgPool1d", (a) => new nn.AdaptiveAvgPool1d(a[0]!));
builder("AdaptiveAvgPool2d", (a) => new nn.AdaptiveAvgPool2d(a[0]!));
builder("MaxUnpool2d", (a, o) => new nn.MaxUnpool2d(a[0]!, o));
builder("MaxUnpool1d", (a, o) => new nn.MaxUnpool1d(a[0]!, o));
builder("MaxUnpool3d", (a, o) => new nn.MaxUnpool3d(a[0]!, o));
builder("AdaptiveAvgPool3d", (a) => new nn.AdaptiveAvgPool3d(a[0]!));
builder("AdaptiveMaxPool1d", (a) => new nn.AdaptiveMaxPool1d(a[0]!));
builder("AdaptiveMaxPool2d", (a) => new nn.AdaptiveMaxPool2d(a[0]!));

const rs = new RandomState(23);

describe(`against PyTorch ${LAYERS.torch} (float64)`, () => {
  for (const c of moduleCases(
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
  )) {
    it(c.name, () => expectModuleAsTorch(c));
  }
  for (const c of moduleCases("MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d")) {
    it(c.name, () =>
      expectModuleAsTorch(c, (m, x) => {
        const size = c.name.includes("output_size") ? [7, 6] : undefined;
        return [(m as unknown as nn.MaxUnpool2d).forward(x.x!, x.indices as NDArray, size)];
      }));
  }
});

describe("by hand and laws", () => {
  it("ceilMode keeps a last partial window; without it the input's tail is dropped", () => {
    const x = tensor([[[1, 3, 2, 5, 4, 0, 9]]]);
    expect(new nn.MaxPool1d(3, { stride: 2 }).forward(x).toArray()).toEqual([[[3, 5, 9]]]);
    expect(new nn.MaxPool1d(2, { stride: 2, ceilMode: true }).forward(x).toArray()).toEqual([[[3, 5, 4, 9]]]);
    // the partial window [9] averages over the one position it covers
    expect(new nn.AvgPool1d(2, { ceilMode: true }).forward(x).toArray()).toEqual([[[2, 3.5, 2, 9]]]);
  });
  it("asymmetric pool padding as [before, after] pairs: MaxPool1d with [[0, 1]] pads one -inf after", () => {
    const x = tensor([[[1, 3, 2]]]);
    expect(new nn.MaxPool1d(2, { padding: [[0, 1]] }).forward(x).toArray()).toEqual([[[3, 2]]]);
    expect(new nn.AvgPool1d(2, { padding: [[1, 0]] }).forward(x).toArray()).toEqual([[[0.5, 2.5]]]);
    expect(new nn.AvgPool1d(2, { padding: [[1, 0]], countIncludePad: false }).forward(x).toArray()).toEqual([[[1, 2.5]]]);
  });
  it("MaxUnpool2d after MaxPool2d puts each maximum back where it was (the input where it is a window's max, 0 elsewhere)", () => {
    const x = tensor(nd.add(nd.abs(rs.randn(2, 3, 4, 6)), 0.1)); // positive, so that the zeros around a maximum are smaller
    const [y, idx] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x);
    const back = new nn.MaxUnpool2d(2).forward(y, idx);
    const again = new nn.MaxPool2d(2).forward(back);
    expect(nd.maxAbsDiff(again.data, y.data)).toBe(0);
    const kept = nd.ne(back.data, 0);
    expect(nd.sum(kept.astype("float64")).item()).toBe(2 * 3 * 2 * 3);
    expect(nd.maxAbsDiff(nd.where(kept, x.data, 0), back.data)).toBe(0);
  });
  it("AdaptiveAvgPool2d(1) is the global mean; an adaptive pool that divides evenly is AvgPool2d", () => {
    const x = tensor(rs.randn(2, 3, 6, 4));
    expectClose(new nn.AdaptiveAvgPool2d(1).forward(x), nd.mean(x.data, [2, 3], true), { rtol: 1e-14, atol: 1e-15 }, "global");
    expectClose(new nn.AdaptiveAvgPool2d([3, 2]).forward(x), new nn.AvgPool2d(2).forward(x), { rtol: 1e-14, atol: 1e-15 }, "even");
    expect(new nn.AdaptiveAvgPool2d([null, 1]).forward(x).shape).toEqual([2, 3, 6, 1]);
  });
  it("gradcheck: ceilMode max and average pools, 3-d pools, the adaptive pools, unpooling", () => {
    const inputs = [rs.randn(1, 2, 5, 5)];
    const mp = new nn.MaxPool2d(2, { ceilMode: true, padding: 1 });
    check(mp, inputs, (x) => mp.forward(x!), false);
    const ap = new nn.AvgPool2d(3, { stride: 2, ceilMode: true, padding: 1, countIncludePad: false });
    check(ap, inputs, (x) => ap.forward(x!));
    const a3 = new nn.AvgPool3d(2, { stride: 1 });
    check(a3, [rs.randn(1, 1, 3, 3, 2)], (x) => a3.forward(x!));
    const m3 = new nn.MaxPool3d(2);
    check(m3, [rs.randn(1, 1, 2, 4, 2)], (x) => m3.forward(x!), false);
    const ad = new nn.AdaptiveAvgPool2d([2, 3]);
    check(ad, [rs.randn(1, 2, 5, 4)], (x) => ad.forward(x!));
    const am = new nn.AdaptiveMaxPool2d([2, 3]);
    check(am, [rs.randn(1, 2, 5, 4)], (x) => am.forward(x!), false);
    const [, idx] = new nn.MaxPool2d(2, { returnIndices: true }).forward(rs.randn(1, 2, 4, 4));
    const un = new nn.MaxUnpool2d(2);
    check(un, [rs.randn(1, 2, 2, 2)], (x) => un.forward(x!, idx));
  });
  it("unbatched input gives unbatched values and indices", () => {
    const x = rs.randn(2, 4, 4);
    const [y, idx] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x);
    const [yb, idxb] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x.unsqueeze(0));
    expect(y.shape).toEqual([2, 2, 2]);
    expect(idx.toArray()).toEqual((idxb as NDArray).squeeze(0).toArray());
    expect(nd.maxAbsDiff(y.data, (yb as Tensor).data.squeeze(0))).toBe(0);
  });
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("rank, indices, sizes", () => {
    expect(() => new nn.MaxPool3d(2).forward(nd.zeros([1, 4, 4]))).toThrow(ShapeError);
    expect(() => new nn.MaxPool3d(2).forward(nd.zeros([1, 4, 4]))).toThrow(/MaxPool3d: input must be \(N, C, D, H, W\) or \(C, D, H, W\), got \[1,4,4\]/);
    const un = new nn.MaxUnpool2d(2);
    expect(() => un.forward(nd.zeros([1, 1, 2, 2]), nd.zeros([1, 1, 2, 1], "int32"))).toThrow(/MaxUnpool2d: input must be \(N, C, H, W\) or \(C, H, W\) with indices of the same shape, got input \[1,1,2,2\], indices \[1,1,2,1\]/);
    expect(() => un.forward(nd.zeros([1, 1, 2, 2]), nd.full([1, 1, 2, 2], 16, "int32"))).toThrow(IndexError);
    expect(() => un.forward(nd.zeros([1, 1, 2, 2]), nd.full([1, 1, 2, 2], 16, "int32"))).toThrow(/MaxUnpool2d: index 16 is out of range for an output of 16 positions per channel/);
    expect(() => un.forward(nd.zeros([1, 1, 2, 2]), nd.zeros([1, 1, 2, 2], "int32"), [6, 4])).toThrow(/MaxUnpool2d: outputSize \[6,4\] must be within a stride of \[4,4\]/);
    expect(() => new nn.AdaptiveAvgPool2d([2, 0])).toThrow(ValueError);
    expect(() => new nn.AvgPool1d(2, { padding: [[0, -1]] })).toThrow(/AvgPool1d: padding must be non-negative, got \[\[0,-1\]\]/);
    expect(() => new nn.MaxPool1d(2, { padding: 2 })).toThrow(/MaxPool1d: padding 2 is more than half the kernel size 2/);
  });
});

describe("AdaptiveMaxPool returnIndices, against torch 1.13 (data/make-adaptive-max-indices.py: ties and NaNs)", () => {
  interface Case { kind: 1 | 2; shape: number[]; out: number | (number | null)[]; x: (number | null)[]; values: (number | null)[]; vshape: number[]; indices: number[] }
  const D = JSON.parse(readFileSync(new URL("./data/adaptive-max-indices.json", import.meta.url), "utf8")) as { cases: Case[] };
  const num = (v: number | null) => (v === null ? NaN : v);
  for (const c of D.cases) {
    it(`${c.kind}d ${JSON.stringify(c.shape)} to ${JSON.stringify(c.out)}`, () => {
      const x = tensor(nd.array(c.x.map(num), c.shape));
      const [values, indices] = c.kind === 1
        ? new nn.AdaptiveMaxPool1d(c.out as number, { returnIndices: true }).forward(x)
        : new nn.AdaptiveMaxPool2d(c.out, { returnIndices: true }).forward(x);
      expect(values.shape).toEqual(c.vshape);
      expect(indices.shape).toEqual(c.vshape);
      expect(indices.dtype).toBe("int32");
      expect(Array.from(indices.contiguous().data)).toEqual(c.indices);
      values.data.toFlat().forEach((v, k) => expect(Object.is(v, num(c.values[k]!)) || (Number.isNaN(v) && c.values[k] === null), `value ${k}`).toBe(true));
      // without returnIndices, the same values (and a functional form with the option)
      const plain = c.kind === 1 ? nn.adaptiveMaxPool1d(x, c.out as number) : nn.adaptiveMaxPool2d(x, c.out);
      expect(plain.data.toFlat()).toEqual(values.data.toFlat());
    });
  }
  it("the indices unpool: MaxUnpool2d puts each maximum back where it came from", () => {
    const x = tensor(nd.array([[[[1, 9, 2, 0], [3, 4, 8, 5], [7, 6, 0, 1]]]]));
    const [y, idx] = nn.adaptiveMaxPool2d(x, [1, 2], { returnIndices: true });
    expect(y.toArray()).toEqual([[[[9, 8]]]]);
    expect(Array.from(idx.data)).toEqual([1, 6]);
    const back = new nn.MaxUnpool2d([3, 2]).forward(y, idx, [3, 4]);
    expect(back.toArray()).toEqual([[[[0, 9, 0, 0], [0, 0, 8, 0], [0, 0, 0, 0]]]]);
  });
});
