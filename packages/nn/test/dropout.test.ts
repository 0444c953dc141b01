// Dropout's statistics (the fraction dropped, the scale of the survivors, the mean), its gradient,
// and its masks following manualSeed as torch.manual_seed, inside the modules that hold a Dropout
// too.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Dropout, LSTM, MultiheadAttention, TransformerEncoderLayer, manualSeed } from "@tapegrad/nn";

describe("Dropout", () => {
  const n = 200_000;

  it.each([0.1, 0.5, 0.8])("p = %s: zeroes a fraction p, scales survivors by 1/(1-p), keeps the mean", (p) => {
    const drop = new Dropout(p, { rng: new RandomState(25) });
    const y = drop.forward(ag.tensor(nd.ones([n]))).data.toFlat();
    const zeros = y.filter((v) => v === 0).length / n;
    expect(Math.abs(zeros - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    const survivors = y.filter((v) => v !== 0);
    for (const v of new Set(survivors)) expect(v).toBeCloseTo(1 / (1 - p), 12);
    // E[y] = 1, with standard deviation sqrt(p / (1 - p)) per element
    const mean = y.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(p / (1 - p) / n));
  });

  it("the gradient is the same mask: zero where dropped, 1/(1-p) where kept", () => {
    const drop = new Dropout(0.3, { rng: new RandomState(26) });
    const x = ag.tensor(new RandomState(27).randn(50, 40), { requiresGrad: true });
    const y = drop.forward(x);
    y.sum().backward();
    const ys = y.data.toFlat();
    const xs = x.data.toFlat();
    const g = x.grad!.toFlat();
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] === 0) expect(g[i]).toBe(0);
      else {
        expect(g[i]).toBeCloseTo(1 / 0.7, 12);
        expect(ys[i]).toBeCloseTo(xs[i]! / 0.7, 12);
      }
    }
  });

  it("draws a fresh mask every call, and is the identity in eval mode", () => {
    const drop = new Dropout(0.5, { rng: new RandomState(28) });
    const x = ag.tensor(new RandomState(29).randn(100));
    expect(drop.forward(x).data.toFlat()).not.toEqual(drop.forward(x).data.toFlat());
    drop.eval();
    expect(drop.forward(x).data.toFlat()).toEqual(x.data.toFlat());
  });

  it("without an rng option, masks follow manualSeed at call time (as torch.manual_seed), also the LSTM's", () => {
    const x = ag.tensor(nd.ones([64]));
    const drop = new Dropout(0.5);
    const lstm = new LSTM(2, 3, { numLayers: 2, dropout: 0.5 });
    const xs = ag.tensor(nd.ones([4, 1, 2]));
    manualSeed(123);
    const a = drop.forward(x).data.toFlat();
    const la = lstm.forward(xs)[0].data.toFlat();
    manualSeed(123);
    expect(drop.forward(x).data.toFlat()).toEqual(a);
    expect(lstm.forward(xs)[0].data.toFlat()).toEqual(la);
  });

  it("so do the masks inside MultiheadAttention and TransformerEncoderLayer", () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0.5 });
    const mha = new MultiheadAttention(4, 2, { dropout: 0.5 });
    const src = ag.tensor(new RandomState(5).randn(3, 2, 4));
    manualSeed(7);
    const a = layer.forward(src).data.toFlat();
    const m = mha.forward(src, src, src)[0].data.toFlat();
    manualSeed(7);
    expect(layer.forward(src).data.toFlat()).toEqual(a);
    expect(mha.forward(src, src, src)[0].data.toFlat()).toEqual(m);
    // and a second call without reseeding draws new masks
    expect(layer.forward(src).data.toFlat()).not.toEqual(a);
  });

  it("keeps float32 as float32; p = 0 is the identity and p = 1 zeroes everything (PyTorch accepts p in [0, 1])", () => {
    const x32 = ag.tensor(nd.ones([10], "float32"));
    expect(new Dropout(0.5).forward(x32).dtype).toBe("float32");
    const x = ag.tensor(new RandomState(30).randn(20), { requiresGrad: true });
    expect(new Dropout(0).forward(x).data.toFlat()).toEqual(x.data.toFlat());
    const y = new Dropout(1).forward(x);
    expect(y.data.toFlat().every((v) => v === 0)).toBe(true);
    y.sum().backward();
    expect(x.grad!.toFlat().every((v) => v === 0)).toBe(true);
  });

  it("rejects p outside [0, 1], echoing it", () => {
    for (const p of [-0.1, 1.5, Number.NaN]) {
      expect(() => new Dropout(p)).toThrow(ValueError);
      expect(() => new Dropout(p)).toThrow(`got ${p}`);
    }
    expect(() => new LSTM(2, 2, { dropout: 2 })).toThrow(/LSTM: dropout must be in \[0, 1\], got 2/);
  });
});
