// compile against eager on whole training loops: the same model, optimizer and data from the
// same seeds, one loop eager and one compiled, 50 steps. The compiled replay calls the same
// kernels on the same values in the same order, so the parameters must be bitwise equal (the
// issue's bar is 1e-12 relative; bitwise is what the design promises while kernels are shared).

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { compile, tensor, type Tensor } from "@tapegrad/autograd";
import {
  Adam, AdamW, SGD, Dropout, GRU, LSTM, Linear, Module, ReLU, Sequential, StepLR, clipGradNorm, crossEntropy, mseLoss,
  type Optimizer,
} from "@tapegrad/nn";

type Step = (x: Tensor, y: Tensor) => Tensor;
interface Setup {
  model: Module;
  opt: Optimizer<{ lr: number }>;
  step: Step;
  /** called between steps, outside the step (a scheduler, a manual lr change) */
  between?: (i: number) => void;
}

function run(make: () => Setup, data: (i: number) => [Tensor, Tensor], steps: number, compiled: boolean) {
  const s = make();
  const step = compiled ? compile(s.step) : s.step;
  const losses: Tensor[] = [];
  for (let i = 0; i < steps; i++) {
    const [x, y] = data(i);
    losses.push(step(x, y));
    s.between?.(i);
  }
  return { s, losses, step };
}

function expectSame(make: () => Setup, data: (i: number) => [Tensor, Tensor], steps = 50) {
  const eager = run(make, data, steps, false);
  const comp = run(make, data, steps, true);
  // the losses returned by earlier calls were kept, not overwritten by later replays
  expect(comp.losses.map((l) => l.item())).toEqual(eager.losses.map((l) => l.item()));
  const pe = eager.s.model.namedParameters();
  const pc = new Map(comp.s.model.namedParameters());
  for (const [name, p] of pe) {
    const q = pc.get(name)!;
    expect(nd.maxAbsDiff(p.data, q.data), name).toBe(0);
    expect(q.grad, `${name}.grad`).not.toBeNull();
    expect(nd.maxAbsDiff(p.grad!, q.grad!), `${name}.grad`).toBe(0);
  }
  // the optimizer's state (moments, step counts) is where the eager loop left it
  const se = eager.s.opt.stateDict();
  const sc = comp.s.opt.stateDict();
  expect(sc.meta).toEqual(se.meta);
  for (const k of Object.keys(se.tensors)) expect(nd.maxAbsDiff(se.tensors[k]!, sc.tensors[k]!), k).toBe(0);
  const stats = (comp.step as unknown as { stats: { traces: number; replays: number } }).stats;
  expect(stats.replays).toBeGreaterThanOrEqual(steps - 3);
  return comp;
}

function classification(seed: number, n: number, inputs: number, classes: number, seqLen?: number) {
  const rng = new nd.RandomState(seed);
  const batches = Array.from({ length: 50 }, () => {
    const x = seqLen === undefined ? rng.randn(n, inputs) : rng.randn(n, seqLen, inputs);
    const y = rng.randint(0, classes, [n]);
    return [tensor(x), tensor(y)] as [Tensor, Tensor];
  });
  return (i: number) => batches[i % batches.length]!;
}

describe("compile: a replayed training loop equals the eager one", () => {
  it("MLP with dropout from a seeded stream, Adam, clipGradNorm, and a StepLR schedule", () => {
    const make = (): Setup => {
      const rng = new nd.RandomState(0);
      const drop = new nd.RandomState(7);
      const model = new Sequential(new Linear(4, 16, { rng }), new ReLU(), new Dropout(0.3, { rng: drop }), new Linear(16, 3, { rng }));
      const opt = new Adam(model.parameters(), { lr: 0.02 });
      const sched = new StepLR(opt, { stepSize: 7, gamma: 0.5 });
      const step: Step = (x, y) => {
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(x), y);
        loss.backward();
        clipGradNorm(model.parameters(), 0.5);
        opt.step();
        return loss;
      };
      return { model, opt: opt as never, step, between: () => sched.step() };
    };
    expectSame(make, classification(1, 8, 4, 3));
  });

  it("LSTM of two layers with inter-layer dropout, a linear head, Adam with AMSGrad, lr set by hand mid-run", () => {
    const make = (): Setup => {
      const rng = new nd.RandomState(3);
      const lstm = new LSTM(3, 6, { numLayers: 2, dropout: 0.25, batchFirst: true, rng });
      const head = new Linear(6, 4, { rng });
      const model = new Sequential(lstm as never, head); // parameters of both, for the checks
      const opt = new Adam(model.parameters(), { lr: 0.01, amsgrad: true });
      const step: Step = (x, y) => {
        opt.zeroGrad();
        const [out] = lstm.forward(x);
        const last = out.slice([], [out.shape[1]! - 1], []).reshape([out.shape[0]!, 6]);
        const loss = crossEntropy(head.forward(last), y);
        loss.backward();
        clipGradNorm(model.parameters(), 1);
        opt.step();
        return loss;
      };
      return { model, opt: opt as never, step, between: (i) => { if (i === 20) opt.paramGroups[0]!.lr = 0.003; } };
    };
    expectSame(make, classification(2, 5, 3, 4, 7));
  });

  it("GRU with AdamW (weight decay scaled by the learning rate) and an mse loss", () => {
    const make = (): Setup => {
      const rng = new nd.RandomState(5);
      const gru = new GRU(2, 5, { rng });
      const head = new Linear(5, 1, { rng });
      const model = new Sequential(gru as never, head);
      const opt = new AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.1 });
      const step: Step = (x, y) => {
        opt.zeroGrad();
        const [, h] = gru.forward(x);
        const loss = mseLoss(head.forward(h.reshape([h.shape[1]!, 5])), y);
        loss.backward();
        clipGradNorm(model.parameters(), 1, { normType: Infinity });
        opt.step();
        return loss;
      };
      return { model, opt: opt as never, step, between: (i) => { if (i % 10 === 9) opt.paramGroups[0]!.lr *= 0.7; } };
    };
    const rng = new nd.RandomState(9);
    const batches = Array.from({ length: 50 }, () => [tensor(rng.randn(6, 4, 2)), tensor(rng.randn(4, 1))] as [Tensor, Tensor]);
    expectSame(make, (i) => batches[i]!);
  });

  it("SGD with Nesterov momentum and weight decay in float32", () => {
    const make = (): Setup => {
      const rng = new nd.RandomState(11);
      const model = new Sequential(new Linear(3, 8, { rng, dtype: "float32" }), new ReLU(), new Linear(8, 2, { rng, dtype: "float32" }));
      const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 });
      const step: Step = (x, y) => {
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss;
      };
      return { model, opt: opt as never, step, between: (i) => { if (i === 30) opt.paramGroups[0]!.lr = 0.01; } };
    };
    const rng = new nd.RandomState(12);
    const batches = Array.from({ length: 50 }, () => [tensor(rng.randn(10, 3).astype("float32")), tensor(rng.randint(0, 2, [10]))] as [Tensor, Tensor]);
    expectSame(make, (i) => batches[i]!);
  });
});
