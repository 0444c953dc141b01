// The loss modules: each forward equals its function bitwise (the functions are held against
// PyTorch in losses-extra.test.ts and losses.test.ts), and the state dicts have PyTorch's keys
// (a class weight and pos_weight are buffers; data/make-layers-reference.py stored torch 1.13's
// state dicts), loading torch's strictly.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { tensor, type Tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { LAYERS, dec } from "./layers-helpers.js";

const rs = new RandomState(41);
const same = (a: Tensor, b: Tensor) => expect(nd.maxAbsDiff(a.data, b.data)).toBe(0);

describe("each loss module's forward is its function", () => {
  const x = tensor(rs.randn(4, 3));
  const y = tensor(rs.randn(4, 3));
  const p = tensor(nd.add(nd.mul(rs.rand(4, 3), 0.9), 0.05));
  const q = tensor(rs.rand(4, 3));
  const cls = nd.array([0, 2, 1, 2]).astype("int32");
  const w = [1, 2, 0.5];
  it("regression and divergence losses", () => {
    same(new nn.MSELoss({ reduction: "sum" }).forward(x, y), nn.mseLoss(x, y, { reduction: "sum" }));
    same(new nn.L1Loss().forward(x, y), nn.l1Loss(x, y));
    same(new nn.SmoothL1Loss({ beta: 0.3 }).forward(x, y), nn.smoothL1Loss(x, y, { beta: 0.3 }));
    same(new nn.HuberLoss({ delta: 0.3, reduction: "none" }).forward(x, y), nn.huberLoss(x, y, { delta: 0.3, reduction: "none" }));
    const logp = ag.logSoftmax(x, 1);
    same(new nn.KLDivLoss({ reduction: "batchmean" }).forward(logp, q), nn.klDivLoss(logp, q, { reduction: "batchmean" }));
    same(new nn.CosineEmbeddingLoss({ margin: 0.1 }).forward(x, y, tensor([1, -1, -1, 1])), nn.cosineEmbeddingLoss(x, y, tensor([1, -1, -1, 1]), { margin: 0.1 }));
  });
  it("binary and class losses, weights as buffers", () => {
    same(new nn.BCELoss({ weight: w }).forward(p, q), nn.binaryCrossEntropy(p, q, { weight: w }));
    same(new nn.BCEWithLogitsLoss({ weight: w, posWeight: [3, 1, 2] }).forward(x, q), nn.binaryCrossEntropyWithLogits(x, q, { weight: w, posWeight: [3, 1, 2] }));
    same(new nn.NLLLoss({ weight: w, ignoreIndex: 1 }).forward(ag.logSoftmax(x, 1), cls), nn.nllLoss(ag.logSoftmax(x, 1), cls, { weight: w, ignoreIndex: 1 }));
    same(new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.2 }).forward(x, cls), nn.crossEntropy(x, cls, { weight: w, labelSmoothing: 0.2 }));
  });
  it("float32 inputs with a float64 weight buffer keep float32", () => {
    const loss = new nn.CrossEntropyLoss({ weight: w }).forward(x.astype("float32"), cls);
    expect(loss.dtype).toBe("float32");
  });
});

describe(`state dicts as PyTorch ${LAYERS.torch}'s`, () => {
  const built: Record<string, () => nn.Module> = {
    "nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]))": () => new nn.CrossEntropyLoss({ weight: [0, 0, 0] }),
    "nn.NLLLoss(weight=torch.tensor([1.0, 2.0, 0.5]))": () => new nn.NLLLoss({ weight: [0, 0, 0] }),
    "nn.NLLLoss()": () => new nn.NLLLoss(),
    "nn.BCELoss(weight=torch.tensor([1.0, 2.0, 0.5]))": () => new nn.BCELoss({ weight: [0, 0, 0] }),
    "nn.BCEWithLogitsLoss(weight=torch.tensor([1.0, 2.0, 0.5]), pos_weight=torch.tensor([3.0, 1.0, 2.0]))": () => new nn.BCEWithLogitsLoss({ weight: [0, 0, 0], posWeight: [0, 0, 0] }),
    "nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0, 1.0, 2.0]))": () => new nn.BCEWithLogitsLoss({ posWeight: [0, 0, 0] }),
    "nn.MSELoss()": () => new nn.MSELoss(),
    "nn.L1Loss()": () => new nn.L1Loss(),
  };
  it("covers every loss the reference stored", () => expect(Object.keys(built).sort()).toEqual(Object.keys(LAYERS.lossKeys).sort()));
  for (const [ctor, sd] of Object.entries(LAYERS.lossKeys)) {
    it(`${ctor}: the same keys, torch's state loads strictly and is used`, () => {
      const m = built[ctor]!();
      expect(Object.keys(m.stateDict())).toEqual(Object.keys(sd));
      m.loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, dec(v)])));
      for (const [k, v] of Object.entries(sd)) expect(m.stateDict()[k]!.toArray()).toEqual(dec(v).toArray());
    });
  }
  it("a loaded weight is the one the loss uses", () => {
    const m = new nn.CrossEntropyLoss({ weight: [1, 1, 1] });
    m.loadStateDict({ weight: nd.array([1, 2, 0.5]) });
    const x = tensor(rs.randn(3, 3));
    same(m.forward(x, [0, 1, 2]), nn.crossEntropy(x, [0, 1, 2], { weight: [1, 2, 0.5] }));
  });
});
