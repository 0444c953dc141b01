// saveCheckpoint / loadCheckpoint. The witness is the unbroken run: training N steps straight
// must leave the same bits (parameters, optimizer state, scheduler state, lr, generators) as
// training k steps, saving, loading into freshly made objects and training N - k more, eagerly
// and through compile. A file that is not a checkpoint, or does not fit, is a CheckpointError
// after which every object is bit for bit what it was.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import { compile, tensor, type Tensor } from "@tapegrad/autograd";
import {
  Adam, CheckpointError, Dropout, Linear, OneCycleLR, ReLU, ReduceLROnPlateau, SGD, Sequential, StepLR, getDefaultRng, loadCheckpoint, manualSeed,
  mseLoss, readCheckpointInfo, saveCheckpoint, saveSafetensors, type LRScheduler, type Module, type Optimizer,
} from "@tapegrad/nn";

interface Run {
  model: Module;
  opt: Optimizer<object>;
  sched: LRScheduler;
  data: RandomState;
  step: (x: Tensor, y: Tensor) => Tensor;
}

/** A model with Dropout (the default generator), Adam, OneCycleLR (which cycles beta1) and a data stream of its own. */
function build(initSeed: number, compiled: boolean, dtype: "float64" | "float32" = "float64"): Run {
  const rng = new RandomState(initSeed);
  const model = new Sequential(new Linear(3, 8, { rng, dtype }), new ReLU(), new Dropout(0.2), new Linear(8, 2, { rng, dtype }));
  const opt = new Adam(model.parameters(), 0.01, [0.9, 0.99], 1e-8, 0.01) as unknown as Optimizer<object>;
  const sched = new OneCycleLR(opt, 0.05, 20);
  const fn = (x: Tensor, y: Tensor) => {
    opt.zeroGrad();
    const loss = mseLoss(model.forward(x) as Tensor, y);
    loss.backward();
    opt.step();
    sched.step();
    return loss;
  };
  return { model, opt, sched, data: new RandomState(99), step: compiled ? compile(fn) : fn };
}

function train(r: Run, steps: number, dtype: "float64" | "float32" = "float64"): void {
  for (let i = 0; i < steps; i++) {
    const x = tensor(r.data.randn([4, 3], { dtype }));
    const y = tensor(r.data.randn([4, 2], { dtype }));
    r.step(x, y);
  }
}

/** Every bit a run holds, as comparable plain values (typed arrays compared as raw bytes). */
function bits(r: Run): unknown {
  const raw = (a: NDArray) => {
    const d = a.copy().data as unknown as ArrayBufferView;
    return `${a.dtype} [${a.shape.join(",")}] ${Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("hex")}`;
  };
  const osd = r.opt.stateDict();
  return {
    params: Object.fromEntries(Object.entries(r.model.stateDict()).map(([k, v]) => [k, raw(v)])),
    optTensors: Object.fromEntries(Object.entries(osd.tensors).map(([k, v]) => [k, raw(v)])),
    optMeta: osd.meta,
    sched: r.sched.stateDict(),
    data: r.data.getState(),
    dflt: getDefaultRng().getState(),
  };
}

describe("a resumed run is bit for bit the unbroken run", () => {
  for (const compiled of [false, true]) {
    for (const dtype of ["float64", "float32"] as const) {
      it(`${compiled ? "compiled" : "eager"}, ${dtype}: 12 steps straight = 5, save, load into fresh objects, 7`, () => {
        manualSeed(1);
        const straight = build(0, compiled, dtype);
        train(straight, 12, dtype);
        const want = bits(straight);

        manualSeed(1);
        const first = build(0, compiled, dtype);
        train(first, 5, dtype);
        const bytes = saveCheckpoint({ model: first.model, optimizer: first.opt, scheduler: first.sched, step: 5, extra: { note: "half way", inf: Infinity }, rngs: { data: first.data } });

        manualSeed(777); // another process: other initial weights, the default generator elsewhere
        const second = build(31, compiled, dtype);
        const loaded = loadCheckpoint(bytes, { model: second.model, optimizer: second.opt, scheduler: second.sched, rngs: { data: second.data } });
        expect(loaded.step).toBe(5);
        expect(loaded.extra).toEqual({ note: "half way", inf: Infinity });
        expect(loaded.rngs.sort()).toEqual(["data", "default"]);
        train(second, 7, dtype);
        expect(bits(second)).toEqual(want);
      });
    }
  }

  it("loaded into the objects of a compiled step that has already run, the replays go on from the loaded state", () => {
    manualSeed(1);
    const straight = build(0, false);
    train(straight, 12);
    const want = bits(straight);
    manualSeed(1);
    const first = build(0, false);
    train(first, 5);
    const bytes = saveCheckpoint({ model: first.model, optimizer: first.opt, scheduler: first.sched, rngs: { data: first.data } });
    const second = build(31, true);
    train(second, 4); // traced and replayed: its replays hold the optimizer's state arrays
    loadCheckpoint(bytes, { model: second.model, optimizer: second.opt, scheduler: second.sched, rngs: { data: second.data } });
    train(second, 7);
    expect(bits(second)).toEqual(want);
  });

  it("a checkpoint with less optimizer state than a compiled step traced (saved before the first step) is refused at replay, and resumes after step.reset()", () => {
    const make = () => {
      const model = new Linear(3, 2, { rng: new RandomState(0) });
      const opt = new SGD(model.parameters(), 0.1, 0.9);
      const fn = (x: Tensor, y: Tensor) => {
        opt.zeroGrad();
        const loss = mseLoss(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss;
      };
      return { model, opt, fn };
    };
    const batch = (i: number) => {
      const r = new RandomState(i);
      return [tensor(r.randn(4, 3)), tensor(r.randn(4, 2))] as const;
    };
    const eager = make();
    const bytes = saveCheckpoint({ model: eager.model, optimizer: eager.opt as never });
    for (let i = 0; i < 4; i++) eager.fn(...batch(i));
    const comp = make();
    const step = compile(comp.fn);
    for (let i = 0; i < 4; i++) step(...batch(50 + i));
    loadCheckpoint(bytes, { model: comp.model, optimizer: comp.opt as never });
    expect(() => step(...batch(0))).toThrow(/SGD.step: parameter group 0 now has .*state none for every parameter.*traced with .*state momentum_buffer.*call step.reset\(\)/);
    step.reset();
    for (let i = 0; i < 4; i++) step(...batch(i));
    expect(comp.model.weight.data.toArray()).toEqual(eager.model.weight.data.toArray());
  });

  it("ReduceLROnPlateau's state (best = inf before any metric) and SGD's momentum come back too", () => {
    const make = () => {
      const model = new Linear(2, 1, { rng: new RandomState(5) });
      const opt = new SGD(model.parameters(), 0.1, 0.9) as unknown as Optimizer<object>;
      return { model, opt, sched: new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 }) };
    };
    const a = make();
    const bytes0 = saveCheckpoint({ model: a.model, optimizer: a.opt, scheduler: a.sched });
    const b = make();
    b.sched.step(3);
    loadCheckpoint(bytes0, { model: b.model, optimizer: b.opt, scheduler: b.sched });
    expect(b.sched.best).toBe(Infinity);
    a.sched.step(1);
    a.sched.step(2);
    const bytes = saveCheckpoint({ model: a.model, optimizer: a.opt, scheduler: a.sched });
    const c = make();
    loadCheckpoint(bytes, { model: c.model, optimizer: c.opt, scheduler: c.sched });
    expect(c.sched.stateDict()).toEqual(a.sched.stateDict());
    expect(c.opt.paramGroups[0]!).toMatchObject({ lr: 0.05 });
  });

  it("readCheckpointInfo reads the step, extra and contents without loading (to build the model first)", () => {
    const model = new Linear(2, 3, { dtype: "float32" });
    const opt = new SGD(model.parameters(), 0.1, 0.9);
    const bytes = saveCheckpoint({ model, optimizer: opt as never, scheduler: new StepLR(opt, 3), step: 7, extra: { config: { hidden: 3 } }, rngs: { data: new RandomState(1) } });
    expect(readCheckpointInfo(bytes)).toEqual({
      step: 7, extra: { config: { hidden: 3 } }, optimizer: "SGD", scheduler: "StepLR", rngs: ["default", "data"],
      model: { weight: { shape: [3, 2], dtype: "float32" }, bias: { shape: [3], dtype: "float32" } },
    });
    expect(() => readCheckpointInfo(saveSafetensors(model as never))).toThrow(CheckpointError);
  });

  it("the weights are an ordinary safetensors file: model.<state-dict key>", () => {
    const m = new Linear(2, 3);
    const bytes = saveCheckpoint({ model: m });
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))))) as Record<string, unknown>;
    expect(Object.keys(header).filter((k) => k !== "__metadata__").sort()).toEqual(["model.bias", "model.weight"]);
  });
});

describe("a file that does not fit is a CheckpointError that changes nothing", () => {
  const setup = () => {
    manualSeed(2);
    const r = build(0, false);
    train(r, 3);
    return r;
  };

  /** Loads and expects a CheckpointError matching `message`, with every object's bits unchanged. */
  function refuses(r: Run, bytes: Uint8Array, message: RegExp, extra: { scheduler?: unknown; optimizer?: unknown } = {}): void {
    const before = bits(r);
    expect(() => loadCheckpoint(bytes, { model: r.model, optimizer: r.opt, scheduler: r.sched, rngs: { data: r.data }, ...(extra as object) })).toThrow(CheckpointError);
    expect(() => loadCheckpoint(bytes, { model: r.model, optimizer: r.opt, scheduler: r.sched, rngs: { data: r.data }, ...(extra as object) })).toThrow(message);
    expect(bits(r)).toEqual(before);
  }

  it("bytes that are no safetensors file (a text file), and a safetensors file of weights alone", () => {
    const r = setup();
    refuses(r, new TextEncoder().encode("# README\nThis is a text file, not a checkpoint.\n"), /not a checkpoint: not a safetensors file/);
    refuses(r, saveSafetensors(r.model as never), /not a checkpoint: a safetensors file without "tapegrad.checkpoint" metadata/);
  });

  it("a model of another shape, with other keys, or of another dtype", () => {
    const r = setup();
    const other = (m: Module) => saveCheckpoint({ model: m, optimizer: r.opt, scheduler: r.sched, rngs: { data: r.data } });
    refuses(r, other(new Sequential(new Linear(3, 5), new ReLU(), new Dropout(0.2), new Linear(5, 2))), /0.weight: shape \[5,3\] in the checkpoint, \[8,3\] in the model/);
    refuses(r, other(new Sequential(new Linear(3, 8), new ReLU(), new Dropout(0.2), new Linear(8, 2, { bias: false }))), /missing from the checkpoint: 3.bias/);
    refuses(r, other(new Sequential(new Linear(3, 8), new ReLU(), new Linear(8, 8), new Linear(8, 2))), /in the checkpoint but not the model: 2\.(bias|weight), 2\.(bias|weight)/);
    refuses(r, other(new Sequential(new Linear(3, 8, { dtype: "float32" }), new ReLU(), new Dropout(0.2), new Linear(8, 2, { dtype: "float32" }))), /0.weight: dtype float32 in the checkpoint, float64 in the model/);
  });

  it("an optimizer of another kind, a scheduler of another kind, a missing part or generator", () => {
    const r = setup();
    const withSgd = saveCheckpoint({ model: r.model, optimizer: new SGD(r.model.parameters(), 0.1, 0.9) as never, scheduler: r.sched, rngs: { data: r.data } });
    refuses(r, withSgd, /optimizer state does not fit the optimizer/);
    const withStep = saveCheckpoint({ model: r.model, optimizer: r.opt, scheduler: new StepLR(new SGD(r.model.parameters(), 0.1), 3), rngs: { data: r.data } });
    refuses(r, withStep, /scheduler state does not fit the scheduler.*StepLR/);
    refuses(r, saveCheckpoint({ model: r.model, scheduler: r.sched, rngs: { data: r.data } }), /the checkpoint holds no optimizer state/);
    refuses(r, saveCheckpoint({ model: r.model, optimizer: r.opt, rngs: { data: r.data } }), /the checkpoint holds no scheduler state/);
    refuses(r, saveCheckpoint({ model: r.model, optimizer: r.opt, scheduler: r.sched }), /holds no generator named "data"/);
  });

  it("saveCheckpoint refuses what it cannot write, naming it", () => {
    const r = setup();
    expect(() => saveCheckpoint({ model: {} as never })).toThrow(/saveCheckpoint: model must be a Module/);
    expect(() => saveCheckpoint({ model: r.model, step: -1 })).toThrow(/step must be a non-negative integer/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => saveCheckpoint({ model: r.model, extra: cyclic })).toThrow(/extra cannot be written as JSON/);
    expect(() => saveCheckpoint({ model: r.model, optimizer: r.opt, scheduler: 5 as never })).toThrow(CheckpointError);
  });

  it("an unused part of the file is left alone: a model alone loads from a full checkpoint", () => {
    const r = setup();
    const bytes = saveCheckpoint({ model: r.model, optimizer: r.opt, scheduler: r.sched, step: 3 });
    const fresh = new Sequential(new Linear(3, 8), new ReLU(), new Dropout(0.2), new Linear(8, 2));
    expect(loadCheckpoint(bytes, { model: fresh, restoreDefaultRng: false }).step).toBe(3);
    expect(fresh.stateDict()["0.weight"]!.toArray()).toEqual(r.model.stateDict()["0.weight"]!.toArray());
    expect(nd.shapesEqual(fresh.stateDict()["3.bias"]!.shape, [2])).toBe(true);
  });
});
