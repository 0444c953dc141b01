// ReduceLROnPlateau against PyTorch 1.13's algorithm (torch/optim/lr_scheduler.py, traced by
// hand below for each case): is_better with rel/abs thresholds in min/max mode, patience counted
// in bad steps (a cut once num_bad_epochs > patience), cooldown steps that count no bad step,
// new_lr = max(lr * factor, min_lr) written only when old - new > eps. A resumed scheduler
// continues as the one that never stopped; inside a compiled step its step is a CompileError.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { ValueError } from "@tapegrad/tensor";
import { CompileError, compile, tensor, type Tensor } from "@tapegrad/autograd";
import { Linear, Parameter, ReduceLROnPlateau, SGD, mseLoss, type ReduceLROnPlateauStateDict } from "@tapegrad/nn";

const sgd = (lr: number, groups = 1) =>
  new SGD(Array.from({ length: groups }, () => ({ params: [new Parameter(nd.zeros([1]))] })), { lr });

/** The lr of group 0 after each metric. */
function run(sched: ReduceLROnPlateau, metrics: number[]): number[] {
  return metrics.map((m) => {
    sched.step(m);
    return (sched.optimizer.paramGroups[0] as unknown as { lr: number }).lr;
  });
}

describe("ReduceLROnPlateau: PyTorch's rules, traced by hand", () => {
  it("min mode, patience 2: the third step without beating the best cuts the lr by factor", () => {
    // 1 (best), 0.9 (best), 0.95 (bad 1), 0.92 (bad 2), 0.91 (bad 3 > 2: cut, bad 0), 0.93 (bad 1)
    const s = new ReduceLROnPlateau(sgd(0.1), { patience: 2, factor: 0.5 });
    expect(run(s, [1, 0.9, 0.95, 0.92, 0.91, 0.93])).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05]);
    expect(s.best).toBe(0.9);
    expect(s.numBadEpochs).toBe(1);
  });

  it("rel against abs threshold: 9.5 after 10 beats best - 0.1 (abs) but not best * 0.9 (rel)", () => {
    const rel = new ReduceLROnPlateau(sgd(1), { patience: 0, threshold: 0.1, thresholdMode: "rel" });
    const abs = new ReduceLROnPlateau(sgd(1), { patience: 0, threshold: 0.1, thresholdMode: "abs" });
    expect(run(rel, [10, 9.5])).toEqual([1, 0.1]);
    expect(run(abs, [10, 9.5])).toEqual([1, 1]);
    expect(abs.best).toBe(9.5);
  });

  it("max mode: a rising metric is an improvement, a falling one is not", () => {
    const s = new ReduceLROnPlateau(sgd(1), "max", 0.5, 1);
    expect(run(s, [0.5, 0.6, 0.7, 0.65, 0.6, 0.8])).toEqual([1, 1, 1, 1, 0.5, 0.5]);
  });

  it("cooldown: after a cut, `cooldown` steps count no bad step", () => {
    // patience 0, cooldown 2, a flat metric: s1 best; s2 bad 1 > 0: cut, cooldown 2; s3, s4 in
    // cooldown (counter 1, 0; bad reset); s5 bad 1: cut
    const s = new ReduceLROnPlateau(sgd(1), { patience: 0, cooldown: 2, factor: 0.1 });
    const got = run(s, [5, 5, 5, 5, 5]);
    expect(got).toEqual([1, 0.1, 0.1, 0.1, 0.1 * 0.1]);
  });

  it("minLr floors the lr, per group, and a cut smaller than eps is not made", () => {
    const s = new ReduceLROnPlateau(sgd(0.1, 2), { patience: 0, factor: 0.1, minLr: [0.05, 0] });
    run(s, [1, 1, 1]);
    expect(s.optimizer.paramGroups.map((g) => (g as unknown as { lr: number }).lr)).toEqual([0.05, 0.1 * 0.1 * 0.1]);
    const tiny = new ReduceLROnPlateau(sgd(1e-8), { patience: 0, factor: 0.5 });
    expect(run(tiny, [1, 1])).toEqual([1e-8, 1e-8]); // 1e-8 - 5e-9 is not > eps = 1e-8
    expect(s.getLastLr()).toEqual([0.05, 0.1 * 0.1 * 0.1]);
  });

  it("a one-element tensor counts as its number, as float(metrics) does", () => {
    const s = new ReduceLROnPlateau(sgd(1), { patience: 0 });
    s.step(tensor([3]));
    s.step(nd.scalar(4));
    expect(s.best).toBe(3);
    expect(() => s.step(tensor([1, 2]))).toThrow(/ReduceLROnPlateau.step: expected the metric as a number/);
  });

  it("bad options are ValueErrors naming the option and the value", () => {
    expect(() => new ReduceLROnPlateau(sgd(1), { factor: 1 })).toThrow(/factor must be a number below 1, got 1/);
    expect(() => new ReduceLROnPlateau(sgd(1), { mode: "mean" as never })).toThrow(/mode must be "min" or "max", got "mean"/);
    expect(() => new ReduceLROnPlateau(sgd(1), { thresholdMode: "pct" as never })).toThrow(ValueError);
    expect(() => new ReduceLROnPlateau(sgd(1), { patience: 1.5 })).toThrow(/patience must be a non-negative integer/);
    expect(() => new ReduceLROnPlateau(sgd(1, 2), { minLr: [0.1] })).toThrow(/expected minLr as one non-negative number or 2/);
    expect(() => new ReduceLROnPlateau(sgd(1), { pateince: 3 } as never)).toThrow(/unknown option "pateince"/);
    expect(() => new ReduceLROnPlateau(sgd(1), 0.5 as never)).toThrow(/ReduceLROnPlateau: expected mode as "min" or "max"/);
  });
});

describe("ReduceLROnPlateau's state dict", () => {
  const metrics = [1, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79, 0.6, 0.61, 0.62];

  it("a resume after a JSON round trip continues as the scheduler that never stopped", () => {
    const straight = new ReduceLROnPlateau(sgd(0.1), { patience: 1, cooldown: 1, factor: 0.5 });
    const want = run(straight, metrics);
    for (const k of [0, 3, 7]) {
      const a = new ReduceLROnPlateau(sgd(0.1), { patience: 1, cooldown: 1, factor: 0.5 });
      run(a, metrics.slice(0, k));
      const saved = JSON.parse(JSON.stringify({ opt: a.optimizer.stateDict().meta, sched: a.stateDict() })) as { opt: unknown; sched: ReduceLROnPlateauStateDict };
      const opt = sgd(0.1);
      opt.loadStateDict({ tensors: {}, meta: saved.opt });
      const b = new ReduceLROnPlateau(opt, { patience: 1, cooldown: 1, factor: 0.5 });
      b.loadStateDict(saved.sched);
      expect([...want.slice(0, k), ...run(b, metrics.slice(k))], `resumed after ${k}`).toEqual(want);
    }
  });

  it("a state dict that does not fit is a ValueError that changes nothing", () => {
    const s = new ReduceLROnPlateau(sgd(0.1, 2), { patience: 1 });
    run(s, [1, 2]);
    const before = s.stateDict();
    const bad = { ...before, minLrs: [0] };
    expect(() => s.loadStateDict(bad)).toThrow(/minLrs must be 2 finite numbers/);
    expect(() => s.loadStateDict({ ...before, scheduler: "StepLR" } as never)).toThrow(/a StepLR's, not a ReduceLROnPlateau's/);
    expect(s.stateDict()).toEqual(before);
  });
});

describe("ReduceLROnPlateau and compile", () => {
  it("step(metric) inside a compiled step is a CompileError at trace time naming the call", () => {
    const fc = new Linear(2, 1);
    const opt = new SGD(fc.parameters(), 0.1);
    const sched = new ReduceLROnPlateau(opt);
    const step = compile((x: Tensor) => {
      const loss = fc.forward(x).square().mean();
      loss.backward();
      opt.step();
      sched.step(1);
      return loss;
    });
    expect(() => step(tensor([[1, 2]]))).toThrow(CompileError);
    expect(() => step(tensor([[1, 2]]))).toThrow(/ReduceLROnPlateau.step\(metric\) called inside a compiled step/);
  });

  it("stepped between compiled calls, the lr it cuts is the one the replays use: equal to eager, bit for bit", () => {
    const build = () => {
      const fc = new Linear(3, 1, { rng: new nd.RandomState(4) });
      const opt = new SGD(fc.parameters(), 0.2, 0.5);
      const sched = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, threshold: 0.5 });
      const step = (x: Tensor, y: Tensor) => {
        opt.zeroGrad();
        const loss = mseLoss(fc.forward(x), y);
        loss.backward();
        opt.step();
        return loss;
      };
      return { fc, opt, sched, step };
    };
    const eager = build();
    const comp = build();
    const compiled = compile(comp.step);
    for (let i = 0; i < 8; i++) {
      const r = new nd.RandomState(i);
      const [x, y] = [tensor(r.randn(4, 3)), tensor(r.randn(4, 1))];
      eager.sched.step(eager.step(x, y).item());
      comp.sched.step(compiled(x, y).item());
      expect(comp.fc.weight.data.toArray()).toEqual(eager.fc.weight.data.toArray());
      expect(comp.sched.getLastLr()).toEqual(eager.sched.getLastLr());
    }
    expect(eager.sched.getLastLr()[0]).toBeLessThan(0.2); // the threshold made it cut
  });
});
