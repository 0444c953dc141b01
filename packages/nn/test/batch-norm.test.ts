// BatchNorm1d/2d and InstanceNorm1d/2d against real PyTorch (data/make-layers-reference.py ran
// torch in float64: three training calls in a row, then the running statistics and
// num_batches_tracked they leave; eval mode with loaded statistics), against finite differences,
// and a compiled training step against the eager one, bitwise, running statistics included.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import { compile, tensor, type Tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { check, expectClose } from "./module-helpers.js";
import { LAYERS, builder, dec, expectModuleAsTorch, moduleCases } from "./layers-helpers.js";

builder("BatchNorm1d", (a, o) => new nn.BatchNorm1d(a[0]!, o));
builder("BatchNorm2d", (a, o) => new nn.BatchNorm2d(a[0]!, o));
builder("InstanceNorm1d", (a, o) => new nn.InstanceNorm1d(a[0]!, o));
builder("InstanceNorm2d", (a, o) => new nn.InstanceNorm2d(a[0]!, o));
builder("BatchNorm3d", (a, o) => new nn.BatchNorm3d(a[0]!, o));
builder("InstanceNorm3d", (a, o) => new nn.InstanceNorm3d(a[0]!, o));

const rs = new RandomState(11);

describe(`BatchNorm and InstanceNorm against PyTorch ${LAYERS.torch} (float64)`, () => {
  for (const c of moduleCases("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")) it(c.name, () => expectModuleAsTorch(c));

  it("PyTorch's keys, shapes and initial values", () => {
    const bn = new nn.BatchNorm2d(3);
    expect(Object.keys(bn.stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(bn.num_batches_tracked!.shape).toEqual([]);
    expect(bn.running_var!.toArray()).toEqual([1, 1, 1]);
    expect(Object.keys(new nn.BatchNorm1d(3, { affine: false, trackRunningStats: false }).stateDict())).toEqual([]);
    expect(Object.keys(new nn.InstanceNorm1d(3).stateDict())).toEqual([]);
    expect(Object.keys(new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }).stateDict())).toEqual(
      ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"],
    );
    expect(new nn.BatchNorm1d(2).numParameters()).toBe(4); // the buffers are not parameters
  });
});

describe("gradcheck through each module, parameters and input", () => {
  it("BatchNorm1d and BatchNorm2d in training mode (batch statistics)", () => {
    const b1 = new nn.BatchNorm1d(2, { trackRunningStats: false });
    check(b1, [rs.randn(4, 2, 3)], (x) => b1.forward(x!));
    const b2 = new nn.BatchNorm2d(2, { trackRunningStats: false });
    check(b2, [rs.randn(2, 2, 2, 3)], (x) => b2.forward(x!));
  });
  it("BatchNorm in eval mode (running statistics, an affine map)", () => {
    const b = new nn.BatchNorm1d(3);
    b.running_mean!.assign(rs.randn(3));
    b.eval();
    check(b, [rs.randn(4, 3)], (x) => b.forward(x!));
  });
  it("InstanceNorm2d with affine parameters", () => {
    const m = new nn.InstanceNorm2d(2, { affine: true });
    check(m, [rs.randn(2, 2, 3, 2)], (x) => m.forward(x!));
  });
});

describe("running statistics by hand", () => {
  it("momentum null keeps the plain average of the batches' statistics", () => {
    const bn = new nn.BatchNorm1d(1, { momentum: null });
    const batches = [[1, 3], [5, 9], [0, 2]];
    for (const b of batches) bn.forward(tensor(b.map((v) => [v])));
    // batch means 2, 7, 1; unbiased variances 2, 8, 2 (n = 2); averaged with the initial stats dropped at step 1
    expect(bn.running_mean!.toFlat()[0]).toBeCloseTo(10 / 3, 14);
    expect(bn.running_var!.toFlat()[0]).toBeCloseTo(4, 14);
    expect(bn.num_batches_tracked!.item()).toBe(3);
  });
  it("float32: the running statistics stay float32 and equal the float64 update to float32 rounding", () => {
    const x = rs.randn(6, 2, 3);
    const b32 = new nn.BatchNorm1d(2, { dtype: "float32" });
    const b64 = new nn.BatchNorm1d(2);
    b32.forward(x.astype("float32"));
    b64.forward(x);
    expect(b32.running_var!.dtype).toBe("float32");
    expectClose(b32.running_var!.astype("float64"), b64.running_var!, { rtol: 1e-6, atol: 1e-7 }, "running_var");
    expectClose(b32.running_mean!.astype("float64"), b64.running_mean!, { rtol: 1e-6, atol: 1e-7 }, "running_mean");
  });
  it("eval mode neither uses nor changes the running statistics' counters", () => {
    const bn = new nn.BatchNorm1d(2).eval();
    bn.forward(tensor(rs.randn(5, 2)));
    expect(bn.num_batches_tracked!.item()).toBe(0);
    expect(bn.running_mean!.toArray()).toEqual([0, 0]);
    bn.resetRunningStats();
  });
});

describe("compile: a step with BatchNorm replays the running-statistics update", () => {
  for (const momentum of [0.1, null]) {
    it(`BatchNorm2d (momentum ${momentum}) + Conv2d + SGD, 18 steps: 10 in training, 4 in eval, 4 in training: eager and compiled bitwise`, () => {
      const run = (compiled: boolean) => {
        const rng = new RandomState(3);
        const conv = new nn.Conv2d(2, 3, 3, { padding: 1, rng });
        const bn = new nn.BatchNorm2d(3, { momentum });
        const model = new nn.Sequential(conv, bn, new nn.ReLU(), new nn.Flatten(), new nn.Linear(3 * 4 * 4, 2, { rng }));
        const opt = new nn.SGD(model.parameters(), { lr: 0.05 });
        const data = new RandomState(9);
        const batches = Array.from({ length: 4 }, () => [tensor(data.randn(3, 2, 4, 4)), tensor(data.randint(0, 2, [3]))] as [Tensor, Tensor]);
        const body = (x: Tensor, y: Tensor) => {
          opt.zeroGrad();
          const loss = nn.crossEntropy(model.forward(x), y);
          loss.backward();
          opt.step();
          return loss;
        };
        const step = compiled ? compile(body) : body;
        const losses: number[] = [];
        for (let i = 0; i < 18; i++) {
          model.train(i < 10 || i >= 14); // in eval mode the running statistics are read, not updated
          const [x, y] = batches[i % batches.length]!;
          losses.push(step(x, y).item());
        }
        const stats = compiled ? (step as unknown as { stats: { replays: number } }).stats : null;
        return { model, losses, stats };
      };
      const eager = run(false);
      const comp = run(true);
      expect(comp.losses).toEqual(eager.losses);
      expect(comp.stats!.replays, "replays, not eager calls").toBeGreaterThanOrEqual(10);
      const se = eager.model.stateDict();
      const sc = comp.model.stateDict();
      expect(Object.keys(sc)).toEqual(Object.keys(se));
      for (const k of Object.keys(se)) expect(nd.maxAbsDiff(sc[k]!, se[k]!), k).toBe(0);
      expect(sc["1.num_batches_tracked"]!.item()).toBe(14);
      expect(nd.maxAbsDiff(sc["1.running_mean"]!, nd.zeros([3]))).toBeGreaterThan(0);
    });
  }
});

describe("bad input: a typed error naming the module and the shapes", () => {
  it("wrong channels, wrong rank, a single value per channel", () => {
    expect(() => new nn.BatchNorm1d(3).forward(nd.zeros([4, 2]))).toThrow(ShapeError);
    expect(() => new nn.BatchNorm1d(3).forward(nd.zeros([4, 2]))).toThrow(/BatchNorm1d: input has 2 channels \(axis 1 of \[4,2\]\), expected numFeatures 3/);
    expect(() => new nn.BatchNorm2d(3).forward(nd.zeros([4, 3, 2]))).toThrow(/BatchNorm2d: input must be \(N, C, H, W\), got \[4,3,2\]/);
    const bn = new nn.BatchNorm1d(3);
    expect(() => bn.forward(nd.zeros([1, 3]))).toThrow(ValueError);
    expect(() => bn.forward(nd.zeros([1, 3]))).toThrow(/BatchNorm1d: expected more than 1 value per channel when training, got input of shape \[1,3\]/);
    expect(bn.num_batches_tracked!.item()).toBe(0); // left unchanged
    expect(() => new nn.InstanceNorm1d(2).forward(nd.zeros([2, 2, 1]))).toThrow(/InstanceNorm1d: expected more than 1 spatial element/);
  });
  it("bad options", () => {
    expect(() => new nn.BatchNorm1d(0)).toThrow(/BatchNorm1d: numFeatures must be a positive integer, got 0/);
    expect(() => new nn.BatchNorm1d(2, { momentum: 2 })).toThrow(/BatchNorm1d: momentum must be in \[0, 1\] or null, got 2/);
    expect(() => new nn.BatchNorm1d(2, { dtype: "int32" })).toThrow(ValueError);
  });
});

describe("PyTorch's own file: a float32 Conv2d + BatchNorm2d saved by torch after two training steps", () => {
  it("loads strictly from safetensors (num_batches_tracked I64 -> int32) and computes torch's eval output", () => {
    const bytes = readFileSync(new URL("./data/torch-batchnorm.safetensors", import.meta.url));
    const sd = nn.loadSafetensors(new Uint8Array(bytes));
    const net = new nn.Sequential(new nn.Conv2d(2, 3, 3, { dtype: "float32" }), new nn.BatchNorm2d(3, { dtype: "float32" }));
    net.loadStateDict(sd);
    const bn = net.get(1) as nn.BatchNorm2d;
    expect(bn.num_batches_tracked!.dtype).toBe("int32");
    expect(bn.num_batches_tracked!.item()).toBe(LAYERS.batchnormFile.numBatchesTracked);
    net.eval();
    const y = net.forward(dec(LAYERS.batchnormFile.x).astype("float32")) as Tensor;
    expect(y.dtype).toBe("float32");
    expectClose(y.data.astype("float64"), dec(LAYERS.batchnormFile.y), { rtol: 1e-5, atol: 1e-5 }, "eval output");
    // and tapegrad's state dict saves back with torch's keys
    expect(Object.keys(nn.loadSafetensors(nn.saveSafetensors(net))).sort()).toEqual(Object.keys(sd).sort());
  });
});
