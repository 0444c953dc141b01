// PyTorch's positional forms (torch.optim's and torch.optim.lr_scheduler's signatures, read
// from their docs): `Adam(params, 0.1)` is lr 0.1, `SGD(params, 0.1, 0.9)` is momentum 0.9,
// `StepLR(opt, 10, 0.5)` is stepSize 10 and gamma 0.5, ... The witness is the options form: a
// positional call must build the same groups and schedule the same lrs, step after step.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { ValueError } from "@tapegrad/tensor";
import { Parameter } from "../src/module.js";
import { Adam, AdamW, SGD } from "../src/optim.js";
import {
  CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiStepLR, OneCycleLR, SequentialLR, StepLR, type LRScheduler,
} from "../src/schedulers.js";

const params = () => [new Parameter(nd.array([1, 2, 3]))];
const groupOf = (o: { paramGroups: object[] }) => {
  const { params: _p, ...h } = o.paramGroups[0] as Record<string, unknown>;
  return JSON.parse(JSON.stringify(h)) as Record<string, unknown>;
};

describe("optimizers: PyTorch's positional order", () => {
  it("Adam(params, 0.1) trains at lr 0.1, not the default 0.001", () => {
    expect(new Adam(params(), 0.1).paramGroups[0]!.lr).toBe(0.1);
    expect(new AdamW(params(), 0.1).paramGroups[0]!.lr).toBe(0.1);
  });

  it("SGD(params, lr, momentum, dampening, weightDecay, nesterov) is torch.optim.SGD's order", () => {
    expect(groupOf(new SGD(params(), 0.1, 0.9, 0, 0.01, true))).toEqual(groupOf(new SGD(params(), { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true })));
  });

  it("Adam(params, lr, betas, eps, weightDecay, amsgrad) is torch.optim.Adam's order", () => {
    expect(groupOf(new Adam(params(), 0.01, [0.8, 0.99], 1e-6, 0.1, true))).toEqual(
      groupOf(new Adam(params(), { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true })),
    );
  });

  it("keyword-only options (maximize) follow the positional ones as an options object, as Python's keyword arguments do", () => {
    const g = new SGD(params(), 0.1, 0.9, { maximize: true }).paramGroups[0]!;
    expect([g.lr, g.momentum, g.maximize]).toEqual([0.1, 0.9, true]);
  });

  it("the options object alone still works, and no argument keeps PyTorch's defaults", () => {
    expect(new Adam(params(), { lr: 0.2 }).paramGroups[0]!.lr).toBe(0.2);
    expect(new Adam(params()).paramGroups[0]!.lr).toBe(1e-3);
  });

  it("a value that fits neither form is a ValueError saying what was expected", () => {
    expect(() => new Adam(params(), "0.1" as never)).toThrow(/Adam: expected lr as a number \(Adam\(params, lr\?, betas\?.*\) or an options object, got "0.1"/);
    expect(() => new SGD(params(), null as never)).toThrow(ValueError);
    expect(() => new SGD(params(), 0.1, 0.9, 0, 0, false, 7 as never)).toThrow(/SGD: takes at most 5 positional argument/);
    expect(() => new SGD(params(), 0.1, { lr: 0.2 })).toThrow(/SGD: got lr both as a positional argument \(0.1\) and in the options \(0.2\)/);
  });

  it("a positional value is validated as the option would be", () => {
    expect(() => new SGD(params(), -1)).toThrow(/learning rate -1/);
  });
});

/** Each scheduler's lr over 12 steps. */
function lrs(make: (opt: SGD) => LRScheduler): number[] {
  const opt = new SGD(params(), { lr: 0.1, momentum: 0.9 });
  const s = make(opt);
  const out = [opt.paramGroups[0]!.lr];
  for (let i = 0; i < 12; i++) {
    opt.step();
    s.step();
    out.push(opt.paramGroups[0]!.lr);
  }
  return out;
}

describe("schedulers: PyTorch's positional order", () => {
  const pairs: [string, (o: SGD) => LRScheduler, (o: SGD) => LRScheduler][] = [
    ["StepLR(opt, stepSize, gamma)", (o) => new StepLR(o, 3, 0.5), (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 })],
    ["StepLR(opt, stepSize)", (o) => new StepLR(o, 3), (o) => new StepLR(o, { stepSize: 3 })],
    ["MultiStepLR(opt, milestones, gamma)", (o) => new MultiStepLR(o, [2, 5], 0.3), (o) => new MultiStepLR(o, { milestones: [2, 5], gamma: 0.3 })],
    ["ExponentialLR(opt, gamma)", (o) => new ExponentialLR(o, 0.9), (o) => new ExponentialLR(o, { gamma: 0.9 })],
    ["CosineAnnealingLR(opt, tMax, etaMin)", (o) => new CosineAnnealingLR(o, 10, 0.001), (o) => new CosineAnnealingLR(o, { tMax: 10, etaMin: 0.001 })],
    ["LinearLR(opt, startFactor, endFactor, totalIters)", (o) => new LinearLR(o, 0.2, 0.9, 4), (o) => new LinearLR(o, { startFactor: 0.2, endFactor: 0.9, totalIters: 4 })],
    ["LambdaLR(opt, lrLambda)", (o) => new LambdaLR(o, (e) => 0.9 ** e), (o) => new LambdaLR(o, { lrLambda: (e) => 0.9 ** e })],
    ["OneCycleLR(opt, maxLr, totalSteps)", (o) => new OneCycleLR(o, 0.5, 12), (o) => new OneCycleLR(o, { maxLr: 0.5, totalSteps: 12 })],
    ["OneCycleLR(opt, maxLr, undefined, epochs, stepsPerEpoch)", (o) => new OneCycleLR(o, 0.5, undefined, 3, 4), (o) => new OneCycleLR(o, { maxLr: 0.5, epochs: 3, stepsPerEpoch: 4 })],
    ["OneCycleLR(opt, maxLr, totalSteps, { threePhase })", (o) => new OneCycleLR(o, 0.5, 12, { threePhase: true }), (o) => new OneCycleLR(o, { maxLr: 0.5, totalSteps: 12, threePhase: true })],
    [
      "SequentialLR(opt, schedulers, milestones)",
      (o) => new SequentialLR(o, [new LinearLR(o, 0.5, 1, 3), new ExponentialLR(o, 0.8)], [3]),
      (o) => new SequentialLR(o, { schedulers: [new LinearLR(o, { startFactor: 0.5, endFactor: 1, totalIters: 3 }), new ExponentialLR(o, { gamma: 0.8 })], milestones: [3] }),
    ],
  ];
  for (const [name, positional, options] of pairs) {
    it(`${name} schedules the lrs of the options form, bit for bit`, () => {
      expect(lrs(positional)).toEqual(lrs(options));
    });
  }

  it("the issue's case: new StepLR(opt, 10, 0.5) halves the lr at step 10", () => {
    const out = lrs((o) => new StepLR(o, 10, 0.5));
    expect(out[9]).toBe(0.1);
    expect(out[10]).toBe(0.05);
  });

  it("a value that fits neither form is a ValueError saying what was expected", () => {
    const opt = new SGD(params(), { lr: 0.1 });
    expect(() => new StepLR(opt, undefined as never)).toThrow(
      "StepLR: expected stepSize as a positive integer (StepLR(optimizer, stepSize, gamma?)) or an options object, got undefined",
    );
    expect(() => new (StepLR as unknown as new (o: SGD) => StepLR)(opt)).toThrow(/StepLR: expected stepSize as a positive integer/);
    expect(() => new ExponentialLR(opt, "0.9" as never)).toThrow(/ExponentialLR: expected gamma as a finite number \(ExponentialLR\(optimizer, gamma\)\) or an options object, got "0.9"/);
    expect(() => new LambdaLR(opt, 3 as never)).toThrow(/LambdaLR: expected lrLambda as a function or a list of functions/);
    expect(() => new StepLR(opt, 10, 0.5, 3 as never)).toThrow(/StepLR: takes at most 2 positional argument/);
    expect(() => new StepLR(opt, 10, { stepSize: 4 } as never)).toThrow(/StepLR: got stepSize both as a positional argument/);
    expect(() => new StepLR(opt, 0)).toThrow(/stepSize must be a positive integer, got 0/);
  });

  it("an error leaves the optimizer's lr as it was", () => {
    const opt = new SGD(params(), { lr: 0.1 });
    expect(() => new LinearLR(opt, 0.5, 1, -2)).toThrow(ValueError);
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
  });

  it("the state dict of a positional scheduler is the options form's", () => {
    const a = new StepLR(new SGD(params(), { lr: 0.1 }), 3, 0.5);
    const b = new StepLR(new SGD(params(), { lr: 0.1 }), { stepSize: 3, gamma: 0.5 });
    expect(a.stateDict()).toEqual(b.stateDict());
  });
});
