// Learning-rate schedulers against real PyTorch's (data/torch-schedulers.json, written by
// data/make-torch-schedulers.py with torch 1.13's torch.optim.lr_scheduler): every group's lr,
// and the momentum or beta1 that OneCycleLR cycles, after construction and after each of 100
// steps; a resume from a state dict continues exactly; bad options are typed errors.

import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { ValueError } from "@tapegrad/tensor";
import { Parameter } from "../src/module.js";
import { Adam, SGD, type Optimizer } from "../src/optim.js";
import {
  CosineAnnealingLR, ExponentialLR, LRScheduler, LambdaLR, LinearLR, MultiStepLR, OneCycleLR, SequentialLR, StepLR, type SchedulerStateDict,
} from "../src/schedulers.js";

interface Spec {
  type: string;
  options?: Record<string, unknown>;
  schedulers?: Spec[];
  milestones?: number[];
}
interface Case {
  name: string;
  optimizer: "SGD" | "Adam";
  groups: { lr: number }[];
  scheduler: Spec;
  lrs: number[][];
  momentum: number[][];
}
const data = JSON.parse(readFileSync(new URL("./data/torch-schedulers.json", import.meta.url), "utf8")) as { cases: Case[] };

const LAMBDAS: Record<string, (e: number) => number> = {
  "pow0.95": (e) => 0.95 ** e,
  inverse: (e) => 1 / (1 + e),
  warmup10: (e) => Math.min(1, (e + 1) / 10),
};

function build(opt: Optimizer<object>, spec: Spec): LRScheduler {
  const o = (spec.options ?? {}) as never;
  switch (spec.type) {
    case "StepLR": return new StepLR(opt, o);
    case "MultiStepLR": return new MultiStepLR(opt, o);
    case "ExponentialLR": return new ExponentialLR(opt, o);
    case "CosineAnnealingLR": return new CosineAnnealingLR(opt, o);
    case "LinearLR": return new LinearLR(opt, o);
    case "OneCycleLR": return new OneCycleLR(opt, o);
    case "LambdaLR": {
      const f = (spec.options as { lrLambda: string | string[] }).lrLambda;
      return new LambdaLR(opt, { lrLambda: Array.isArray(f) ? f.map((k) => LAMBDAS[k]!) : LAMBDAS[f]! });
    }
    case "SequentialLR": return new SequentialLR(opt, { schedulers: spec.schedulers!.map((s) => build(opt, s)), milestones: spec.milestones! });
    default: throw new Error(`unknown scheduler ${spec.type}`);
  }
}

function setup(c: Case) {
  const params = c.groups.map(() => new Parameter(nd.zeros([2])));
  const groups = c.groups.map((g, i) => ({ params: [params[i]!], ...g }));
  const opt = (c.optimizer === "SGD" ? new SGD(groups, { lr: 0.1, momentum: 0.9 }) : new Adam(groups, { lr: 0.1 })) as unknown as Optimizer<object>;
  return { params, opt, sched: build(opt, c.scheduler) };
}

type G = { lr: number; momentum?: number; betas?: [number, number] };
const record = (opt: Optimizer<object>, c: Case) => {
  const gs = opt.paramGroups as unknown as G[];
  return { lr: gs.map((g) => g.lr), momentum: gs.map((g) => (c.optimizer === "SGD" ? g.momentum! : g.betas![0])) };
};

function advance(c: Case, params: Parameter[], opt: Optimizer<object>, sched: LRScheduler): void {
  for (const p of params) p.grad = nd.ones([2]);
  opt.step();
  sched.step();
}

/** The worst relative difference from torch seen, printed once (the bound is 1e-12). */
let worst = 0;
afterAll(() => console.log(`schedulers vs torch 1.13, worst relative difference: ${worst.toExponential(2)}`));

function expectNear(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => {
    const rel = Math.abs(g - want[i]!) / Math.max(1e-3, Math.abs(want[i]!));
    worst = Math.max(worst, rel);
    expect(rel, `${what}[${i}]: ${g} vs torch ${want[i]}`).toBeLessThanOrEqual(1e-12);
  });
}

describe("schedulers against torch.optim.lr_scheduler, 100 steps", () => {
  it.each(data.cases)("$name", (c) => {
    const { params, opt, sched } = setup(c);
    c.lrs.forEach((want, step) => {
      if (step > 0) advance(c, params, opt, sched);
      const now = record(opt, c);
      expectNear(now.lr, want, `${c.name} lr at step ${step}`);
      expectNear(sched.getLastLr(), want, `${c.name} getLastLr at step ${step}`);
      expectNear(now.momentum, c.momentum[step]!, `${c.name} momentum at step ${step}`);
    });
  });

  it("covers every scheduler named in the issue", () => {
    const kinds = new Set(data.cases.flatMap((c) => [c.scheduler.type, ...(c.scheduler.schedulers ?? []).map((s) => s.type)]));
    expect([...kinds].sort()).toEqual(["CosineAnnealingLR", "ExponentialLR", "LambdaLR", "LinearLR", "MultiStepLR", "OneCycleLR", "SequentialLR", "StepLR"]);
  });
});

describe("state dicts: a resumed run continues exactly", () => {
  it.each(data.cases)("$name: stop at step 37, save, rebuild, load, finish", (c) => {
    const a = setup(c);
    for (let s = 0; s < 37; s++) advance(c, a.params, a.opt, a.sched);
    const saved = JSON.parse(JSON.stringify({ opt: a.opt.stateDict().meta, sched: a.sched.stateDict() })) as { opt: unknown; sched: SchedulerStateDict };
    const b = setup(c);
    b.opt.loadStateDict({ tensors: a.opt.stateDict().tensors, meta: saved.opt as never });
    b.sched.loadStateDict(saved.sched);
    for (let s = 37; s < 100; s++) {
      advance(c, a.params, a.opt, a.sched);
      advance(c, b.params, b.opt, b.sched);
      expect(record(b.opt, c), `${c.name} step ${s + 1}`).toEqual(record(a.opt, c));
      expect(b.sched.getLastLr()).toEqual(a.sched.getLastLr());
    }
  });

  it("refuses another scheduler's state dict, or one for other groups, changing nothing", () => {
    const c = data.cases.find((k) => k.name === "StepLR")!;
    const { opt, sched } = setup(c);
    const before = JSON.stringify(sched.stateDict());
    const other = new ExponentialLR(setup(data.cases.find((k) => k.name === "ExponentialLR")!).opt, { gamma: 0.5 }).stateDict();
    expect(() => sched.loadStateDict(other)).toThrow(/StepLR.loadStateDict: the state dict is a ExponentialLR's, not a StepLR's/);
    expect(() => sched.loadStateDict({ ...sched.stateDict(), baseLrs: [0.1] })).toThrow(/baseLrs must be 2 finite numbers/);
    expect(JSON.stringify(sched.stateDict())).toBe(before);
    expect(opt.paramGroups).toHaveLength(2);
  });
});

describe("bad options: typed errors naming the scheduler and the value", () => {
  const opt = () => new SGD([new Parameter(nd.zeros([1]))], { lr: 0.1 }) as unknown as Optimizer<object>;
  it.each([
    ["StepLR stepSize 0", () => new StepLR(opt(), { stepSize: 0 }), /StepLR: stepSize must be a positive integer, got 0/],
    ["LinearLR startFactor 2", () => new LinearLR(opt(), { startFactor: 2 }), /LinearLR: startFactor must be in \[0, 1\], got 2/],
    ["CosineAnnealingLR tMax -1", () => new CosineAnnealingLR(opt(), { tMax: -1 }), /tMax must be a positive number, got -1/],
    ["OneCycleLR no steps", () => new OneCycleLR(opt(), { maxLr: 1 }), /give either totalSteps or \(epochs and stepsPerEpoch\)/],
    ["OneCycleLR pctStart 1.5", () => new OneCycleLR(opt(), { maxLr: 1, totalSteps: 10, pctStart: 1.5 }), /pctStart between 0 and 1, got 1.5/],
    ["OneCycleLR maxLr per group", () => new OneCycleLR(opt(), { maxLr: [1, 2], totalSteps: 10 }), /expected 1 finite values for maxLr/],
    ["LambdaLR count", () => new LambdaLR(opt(), { lrLambda: [() => 1, () => 1] }), /expected 1 lrLambda functions/],
    ["SequentialLR milestones", () => { const o = opt(); return new SequentialLR(o, { schedulers: [new StepLR(o, { stepSize: 2 })], milestones: [3] }); }, /expected 0 milestones/],
  ])("%s", (_, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });

  it("OneCycleLR refuses to step past totalSteps, as PyTorch does", () => {
    const o = opt();
    const s = new OneCycleLR(o, { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(/tried to step 5 times; totalSteps is 3/);
  });
});
