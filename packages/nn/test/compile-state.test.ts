// Plain JS state that tapegrad's own code changes inside a compiled step: a scheduler's step,
// manualSeed, train()/eval(), and optimizer hyperparameters. The witness is the eager loop: the
// same step built twice from the same seeds, one side compiled, compared bitwise after every one
// of 10 calls (params, grads, optimizer state, scheduler state, lr) by the differential harness;
// what cannot replay must be a CompileError at trace time that names the call and the fix.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { restoreState, sameSnapshot, saveState, type ReplayState } from "@tapegrad/tensor/internal";
import { CompileError, compile, tensor, type Tensor } from "@tapegrad/autograd";
import {
  Adam, AdamW, CosineAnnealingLR, Dropout, ExponentialLR, LambdaLR, Linear, LinearLR, MultiStepLR, OneCycleLR, ReLU, SGD, Sequential,
  SequentialLR, StepLR, getDefaultRng, manualSeed, mseLoss, type LRScheduler, type Module, type Optimizer,
} from "@tapegrad/nn";
import { differential, type Subject } from "../../autograd/test/compile-harness.js";

type AnyOpt = Optimizer<object>;

interface Parts {
  model: Module;
  opt: AnyOpt;
  sched?: LRScheduler;
}

function mlp(dropout?: Dropout): Sequential {
  const rng = new nd.RandomState(0);
  return dropout ? new Sequential(new Linear(3, 6, { rng }), new ReLU(), dropout, new Linear(6, 2, { rng })) : new Sequential(new Linear(3, 6, { rng }), new ReLU(), new Linear(6, 2, { rng }));
}

/** Everything a call can change, by name: parameters with grads, optimizer state, scheduler state and lrs, modes. */
function stateOf({ model, opt, sched }: Parts): Record<string, unknown> {
  const sd = opt.stateDict();
  return {
    params: Object.fromEntries(model.namedParameters()),
    optTensors: sd.tensors,
    optMeta: sd.meta,
    lrs: opt.paramGroups.map((g) => (g as unknown as { lr: number }).lr),
    sched: sched ? sched.stateDict() : null,
    lastLr: sched ? sched.getLastLr() : null,
    modes: [...model.namedModules()].map(([, m]) => m.training),
  };
}

/** A training step; `inside` runs in the step after opt.step() (a scheduler's step, a mode change ...). */
function training(make: () => Parts, inside: (p: Parts) => void = () => {}, between?: (p: Parts, i: number) => void): () => Subject {
  return () => {
    const p = make();
    const step = (x: Tensor, y: Tensor) => {
      p.opt.zeroGrad();
      const loss = mseLoss(p.model.forward(x as never) as Tensor, y);
      loss.backward();
      p.opt.step();
      inside(p);
      return loss;
    };
    return { step: step as never, state: () => stateOf(p), ...(between ? { between: (i: number) => between(p, i) } : {}) };
  }
}

const data = (i: number): [Tensor, Tensor] => {
  const r = new nd.RandomState(100 + i);
  return [tensor(r.randn(5, 3)), tensor(r.randn(5, 2))];
};

function expectEqual(make: () => Subject): void {
  const out = differential(make, data, { calls: 10 });
  if (out.kind !== "equal") throw (out as { error: unknown }).error;
  expect(out.replays).toBeGreaterThanOrEqual(6);
}

const schedulers: [string, (opt: AnyOpt) => LRScheduler, "sgd" | "adam"][] = [
  ["StepLR", (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 }), "sgd"],
  ["MultiStepLR", (o) => new MultiStepLR(o, { milestones: [2, 5, 5, 8], gamma: 0.7 }), "adam"],
  ["ExponentialLR", (o) => new ExponentialLR(o, { gamma: 0.9 }), "adam"],
  ["CosineAnnealingLR", (o) => new CosineAnnealingLR(o, { tMax: 4, etaMin: 0.001 }), "sgd"],
  ["LinearLR", (o) => new LinearLR(o, { startFactor: 0.25, totalIters: 6 }), "adam"],
  ["LambdaLR", (o) => new LambdaLR(o, { lrLambda: (e) => 1 / (1 + e) }), "sgd"],
  ["OneCycleLR cycling SGD's momentum", (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 14 }), "sgd"],
  ["OneCycleLR cycling Adam's beta1, three phases", (o) => new OneCycleLR(o, { maxLr: 0.05, totalSteps: 16, threePhase: true, annealStrategy: "linear" }), "adam"],
  ["SequentialLR of LinearLR and ExponentialLR", (o) => new SequentialLR(o, { schedulers: [new LinearLR(o, { totalIters: 3 }), new ExponentialLR(o, { gamma: 0.8 })], milestones: [4] }), "adam"],
];

const optimizerOf = (kind: "sgd" | "adam", model: Module): AnyOpt =>
  (kind === "sgd" ? new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 0.01 }) : new Adam(model.parameters(), { lr: 0.02, weightDecay: 0.01 })) as never;

describe("scheduler.step() inside a compiled step replays exactly", () => {
  for (const [name, makeSched, kind] of schedulers) {
    it(`${name} (${kind})`, () => {
      expectEqual(training(() => {
        const model = mlp();
        const opt = optimizerOf(kind, model);
        return { model, opt, sched: makeSched(opt) };
      }, (p) => p.sched!.step()));
    });
  }

  it("two groups with their own lrs, and an lr set by hand between calls (the scheduler chains from it)", () => {
    expectEqual(training(() => {
      const model = mlp();
      const [a, b, c, d] = model.parameters();
      const opt = new AdamW([{ params: [a!, b!] }, { params: [c!, d!], lr: 0.003 }], { lr: 0.01 }) as never as AnyOpt;
      return { model, opt, sched: new ExponentialLR(opt, { gamma: 0.95 }) };
    }, (p) => p.sched!.step(), (p, i) => {
      if (i === 5) (p.opt.paramGroups[1] as unknown as { lr: number }).lr = 0.02;
    }));
  });

  it("saving, stepping eagerly and restoring leaves no trace (compile's check relies on it), group lrs and momenta included", () => {
    for (const [name, makeSched, kind] of schedulers) {
      const model = mlp();
      const opt = optimizerOf(kind, model);
      const sched = makeSched(opt) as unknown as LRScheduler & ReplayState;
      sched.step();
      const before = { sd: sched.stateDict(), meta: opt.stateDict().meta, snap: sched[saveState]() };
      const snap = sched[saveState]();
      sched.step();
      sched.step();
      expect(sameSnapshot(sched[saveState](), before.snap), name).toBe(false);
      sched[restoreState](snap);
      expect(sched.stateDict(), name).toEqual(before.sd);
      expect(opt.stateDict().meta, name).toEqual(before.meta);
      expect(sameSnapshot(sched[saveState](), before.snap), name).toBe(true);
      // and it steps on from there as it did before
      sched.step();
      const again = { sd: sched.stateDict(), meta: opt.stateDict().meta };
      sched[restoreState](snap);
      sched.step();
      expect({ sd: sched.stateDict(), meta: opt.stateDict().meta }, name).toEqual(again);
    }
  });
});

describe("optimizer hyperparameters", () => {
  it("set between calls (lr, betas, eps, weight decay): a replay reads each as an eager call does", () => {
    expectEqual(training(() => {
      const model = mlp();
      return { model, opt: new Adam(model.parameters(), { lr: 0.02, weightDecay: 0.01 }) as never };
    }, undefined, (p, i) => {
      const g = p.opt.paramGroups[0] as unknown as { lr: number; betas: [number, number]; eps: number; weightDecay: number };
      if (i === 3) g.betas = [0.8, 0.99];
      if (i === 4) g.eps = 1e-3;
      if (i === 5) g.weightDecay = 0.2;
      if (i === 6) g.lr = 0.005;
    }));
  });

  it("set between calls on SGD (momentum, dampening, weight decay): read at every replay", () => {
    expectEqual(training(() => {
      const model = mlp();
      return { model, opt: new SGD(model.parameters(), { lr: 0.05, momentum: 0.5, weightDecay: 0.01 }) as never };
    }, undefined, (p, i) => {
      const g = p.opt.paramGroups[0] as unknown as { momentum: number; dampening: number; weightDecay: number };
      if (i === 3) g.momentum = 0.9;
      if (i === 5) g.dampening = 0.1;
      if (i === 6) g.weightDecay = 0.001;
    }));
  });

  it("a change between calls that alters which kernels the update runs is a CompileError at the next replay, saying to reset", () => {
    for (const [key, value, make] of [
      ["momentum", 0.9, (m: Module) => new SGD(m.parameters(), { lr: 0.05 })],
      ["weightDecay", 0.1, (m: Module) => new Adam(m.parameters(), { lr: 0.02 })],
      ["amsgrad", true, (m: Module) => new Adam(m.parameters(), { lr: 0.02 })],
    ] as const) {
      const out = differential(training(() => {
        const model = mlp();
        return { model, opt: make(model) as never };
      }, undefined, (p, i) => {
        if (i === 4) (p.opt.paramGroups[0] as unknown as Record<string, unknown>)[key] = value;
      }), data, { calls: 10 });
      expect(out.kind, key).toBe("refused");
      const e = (out as { error: Error }).error;
      expect(e).toBeInstanceOf(CompileError);
      expect(e.message).toContain("parameter group 0");
      expect(e.message).toContain("step.reset()");
    }
  });

  it("after step.reset(), a structural change is traced again and the loop matches eager", () => {
    const make = () => {
      const model = mlp();
      return { model, opt: new SGD(model.parameters(), { lr: 0.05 }) as never as AnyOpt };
    };
    const run = (compiled: boolean) => {
      const p = make();
      const fn = (x: Tensor, y: Tensor) => {
        p.opt.zeroGrad();
        const loss = mseLoss(p.model.forward(x as never) as Tensor, y);
        loss.backward();
        p.opt.step();
        return loss;
      };
      const step = compiled ? compile(fn) : fn;
      for (let i = 0; i < 10; i++) {
        step(...data(i));
        if (i === 4) {
          (p.opt.paramGroups[0] as unknown as { momentum: number }).momentum = 0.9;
          (step as { reset?: () => void }).reset?.();
        }
      }
      return stateOf(p);
    };
    const a = run(false);
    const b = run(true);
    const pa = a.params as Record<string, Tensor>;
    const pb = b.params as Record<string, Tensor>;
    for (const k of Object.keys(pa)) expect(nd.maxAbsDiff(pa[k]!.data, pb[k]!.data), k).toBe(0);
  });

  for (const [field, value, kind] of [
    ["lr", 0.5, "adam"], ["betas", [0.5, 0.9], "adam"], ["eps", 1e-4, "adam"], ["weightDecay", 0.1, "adam"], ["momentum", 0.1, "sgd"],
  ] as const) {
    it(`${field} written inside a compiled step is a CompileError at trace time naming the optimizer and field`, () => {
      const model = mlp();
      const opt = optimizerOf(kind, model);
      const step = compile((x: Tensor, y: Tensor) => {
        opt.zeroGrad();
        mseLoss(model.forward(x as never) as Tensor, y).backward();
        opt.step();
        (opt.paramGroups[0] as unknown as Record<string, unknown>)[field] = value;
      });
      const label = kind === "sgd" ? "SGD" : "Adam";
      expect(() => step(...data(0))).toThrow(CompileError);
      expect(() => step(...data(0))).toThrow(`${label}.paramGroups[0].${field} set inside a compiled step`);
      expect(() => step(...data(0))).toThrow("Set it between calls");
    });
  }

  it("loading an optimizer state dict inside a compiled step is refused the same way; between calls it works", () => {
    const model = mlp();
    const opt = new Adam(model.parameters(), { lr: 0.02 });
    const saved = opt.stateDict();
    const step = compile(() => opt.loadStateDict(saved));
    expect(() => step()).toThrow("Adam.paramGroups[0].lr set inside a compiled step");
    opt.loadStateDict(saved);
    expect(opt.stateDict().meta).toEqual(saved.meta);
  });

  it("a scheduler made inside a compiled step is refused (its first lr is written by traced code)", () => {
    const model = mlp();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const step = compile(() => {
      new StepLR(opt, { stepSize: 2 });
    });
    expect(() => step()).toThrow("SGD.paramGroups[0].lr set inside a compiled step");
  });

  it("groups still read, spread, serialize and take writes between calls as plain objects", () => {
    const model = mlp();
    const opt = new Adam(model.parameters(), { lr: 0.02 });
    const g = opt.paramGroups[0]!;
    g.lr = 0.1;
    expect(g.lr).toBe(0.1);
    const { params, ...h } = g;
    expect(params).toHaveLength(4);
    expect(h).toEqual({ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
    expect(JSON.parse(JSON.stringify({ ...g, params: [] }))).toEqual({ ...h, params: [] });
    expect(Object.keys(g)).toEqual(["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize", "params"]);
  });
});

describe("manualSeed inside a compiled step replays exactly", () => {
  it("reseeds the default stream at every replay: the same dropout masks each call, as eagerly", () => {
    // both sides draw from the one default stream, taking turns: only a reseed in each call makes them agree
    expectEqual(() => {
      const model = mlp(new Dropout(0.4));
      const opt = new SGD(model.parameters(), { lr: 0.05 });
      const p: Parts = { model, opt: opt as never };
      return {
        step: ((x: Tensor, y: Tensor) => {
          manualSeed(11);
          opt.zeroGrad();
          const loss = mseLoss(model.forward(x) as Tensor, y);
          loss.backward();
          opt.step();
          return loss;
        }) as never,
        state: () => stateOf(p),
      };
    });
  });

  it("leaves the default stream where a fresh stream from the seed would be after the step's draws", () => {
    const drop = new Dropout(0.5);
    const step = compile((x: Tensor) => {
      manualSeed(5);
      return drop.forward(x);
    });
    const want = (() => {
      const r = new nd.RandomState(5);
      r.rand(4, 3);
      return r.getState();
    })();
    for (let i = 0; i < 6; i++) {
      const y = step(tensor(nd.ones([4, 3])));
      expect(getDefaultRng().getState()).toEqual(want);
      manualSeed(5);
      expect(nd.maxAbsDiff(y.data, drop.forward(tensor(nd.ones([4, 3]))).data)).toBe(0);
      getDefaultRng().randn(7); // moved between calls: the next call reseeds anyway
    }
    expect((step as unknown as { stats: { replays: number } }).stats.replays).toBeGreaterThan(0);
  });

  it("keeps its eager meaning: the same object, drawing as a fresh RandomState(seed)", () => {
    const before = getDefaultRng();
    manualSeed(42);
    expect(getDefaultRng()).toBe(before);
    expect(getDefaultRng().randn(5).toArray()).toEqual(new nd.RandomState(42).randn(5).toArray());
    getDefaultRng().randn(1);
    manualSeed(42);
    expect(getDefaultRng().getState()).toEqual(new nd.RandomState(42).getState());
  });
});

/** An MLP with Dropout (its own seeded stream) and plain SGD: the subject of the mode tests. */
const dropoutMlp = (): Parts => {
  const model = mlp(new Dropout(0.3, { rng: new nd.RandomState(9) }));
  return { model, opt: new SGD(model.parameters(), { lr: 0.05 }) as never };
};

describe("train()/eval() inside a compiled step replay exactly", () => {
  it("eval() for a validation forward, then train() for the update: modes and values as eager", () => {
    expectEqual(() => {
      const model = mlp(new Dropout(0.3, { rng: new nd.RandomState(9) }));
      const opt = new Adam(model.parameters(), { lr: 0.01 });
      const p: Parts = { model, opt: opt as never };
      return {
        step: ((x: Tensor, y: Tensor) => {
          model.eval();
          const val = mseLoss(model.forward(x) as Tensor, y);
          model.train();
          opt.zeroGrad();
          const loss = mseLoss(model.forward(x) as Tensor, y);
          loss.backward();
          opt.step();
          return [loss, val];
        }) as never,
        state: () => stateOf(p),
      };
    });
  });

  it("a step that ends in eval mode: the mode it leaves is the eager one at every call", () => {
    expectEqual(training(dropoutMlp, (p) => p.model.eval()));
  });

  it("eval()/train() between calls, outside the step: the plan's path no longer holds, so the step traces again (Dropout's guard)", () => {
    const make = training(
      dropoutMlp,
      () => {},
      (p, i) => (i === 4 ? p.model.eval() : i === 7 ? p.model.train() : undefined),
    );
    const out = differential(make, data, { calls: 12 });
    expect(out.kind).toBe("equal");
  });

  it("train() in train mode stays harmless", () => {
    expectEqual(training(dropoutMlp, (p) => p.model.train()));
  });

  it("a module saves and restores the modes of its tree (compile's check relies on it)", () => {
    const model = mlp(new Dropout(0.3)) as Sequential & ReplayState;
    const snap = model[saveState]();
    model.eval();
    expect(sameSnapshot(model[saveState](), snap)).toBe(false);
    model[restoreState](snap);
    expect([...model.namedModules()].every(([, m]) => m.training)).toBe(true);
    expect(sameSnapshot(model[saveState](), snap)).toBe(true);
  });
});
