// Module and Parameter against what PyTorch documents: dotted parameter names, shared parameters
// counted once, train()/eval() reaching every submodule, strict state-dict loading that reports
// every problem and loads nothing.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, TapegradError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import { Dropout, Embedding, LSTM, Linear, Module, Parameter, Sequential, StateDictError, Tanh } from "@tapegrad/nn";
import { expectClose, gradcheckWith, project } from "./module-helpers.js";

/** A model with every way of holding parameters: own, in a child, in an array, in a Sequential. */
class Net extends Module {
  scale: Parameter;
  enc: Linear;
  blocks: Linear[];
  extras: Parameter[];
  head: Sequential;
  constructor(rng: RandomState) {
    super();
    this.enc = new Linear(3, 4, { rng });
    this.scale = new Parameter(rng.randn(4));
    this.blocks = [new Linear(4, 4, { rng }), new Linear(4, 2, { rng, bias: false })];
    this.extras = [new Parameter(rng.randn(2)), new Parameter(rng.randn(1, 2))];
    this.head = new Sequential(new Linear(2, 3, { rng }), new Tanh(), new Dropout(0.5, { rng }), new Linear(3, 1, { rng }));
  }
  forward(x: Tensor): Tensor {
    let y = this.enc.forward(x).mul(this.scale).tanh();
    for (const b of this.blocks) y = b.forward(y).tanh();
    y = y.mul(this.extras[0]!).add(this.extras[1]!);
    return this.head.forward(y);
  }
}

const NET_NAMES: [string, number[]][] = [
  // PyTorch's order: a module's own parameters, then each child's, depth first
  ["scale", [4]],
  ["extras.0", [2]],
  ["extras.1", [1, 2]],
  ["enc.weight", [4, 3]],
  ["enc.bias", [4]],
  ["blocks.0.weight", [4, 4]],
  ["blocks.0.bias", [4]],
  ["blocks.1.weight", [2, 4]],
  ["head.0.weight", [3, 2]],
  ["head.0.bias", [3]],
  ["head.3.weight", [1, 3]],
  ["head.3.bias", [1]],
];

const snapshot = (m: Module): Record<string, number[]> => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toFlat()]));

describe("Module: parameters and names", () => {
  it("names parameters with dots through fields, arrays and Sequential (0.weight, as PyTorch)", () => {
    const net = new Net(new RandomState(0));
    expect(net.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual(NET_NAMES);
    expect(net.parameters()).toEqual(net.namedParameters().map(([, p]) => p));
    expect(net.parameters().every((p) => p instanceof Parameter && p.requiresGrad && p.isLeaf)).toBe(true);
    expect(net.numParameters()).toBe(NET_NAMES.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0));
    expect([...net.namedModules()].map(([n]) => n)).toEqual([
      "", "enc", "blocks.0", "blocks.1", "head", "head.0", "head.1", "head.2", "head.3",
    ]);
  });

  it("counts a shared parameter or module once, under its first name, and accumulates its gradient", () => {
    class Tied extends Module {
      emb = new Embedding(5, 3, { rng: new RandomState(1) });
      out = new Linear(3, 5, { bias: false, rng: new RandomState(2) });
      again: Linear;
      constructor() {
        super();
        this.out.weight = this.emb.weight; // weight tying, (5, 3) both
        this.again = this.out; // the same module twice
      }
      forward(ids: number[]): Tensor {
        return this.again.forward(this.out.forward(this.emb.forward(ids)).tanh().matmul(this.emb.weight));
      }
    }
    const m = new Tied();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["emb.weight"]);
    expect(m.parameters()).toHaveLength(1);
    expect(m.numParameters()).toBe(15);
    // one parameter used three times: its gradient is the sum, as finite differences say
    const report = gradcheckWith([[m.emb, "weight"]], [], () => {
      // route every use through the swapped field
      m.out.weight = m.emb.weight;
      return project(m.forward([1, 4, 1]), new RandomState(3).randn(3, 5));
    });
    m.out.weight = m.emb.weight;
    expect(report.passed, report.toString()).toBe(true);
    // the state dict round trip still works with the tie in place
    const copy = new Tied();
    copy.out.weight = copy.emb.weight;
    copy.loadStateDict(m.stateDict());
    expect(copy.emb.weight.data.toFlat()).toEqual(m.emb.weight.data.toFlat());
    expect(copy.out.weight).toBe(copy.emb.weight);
  });

  it("zeroGrad clears every gradient, so the next backward does not accumulate", () => {
    const net = new Net(new RandomState(4)).eval();
    const x = ag.tensor(new RandomState(5).randn(6, 3));
    net.forward(x).sum().backward();
    const first = net.parameters().map((p) => p.grad!.toFlat());
    expect(first.every((g) => g.some((v) => v !== 0))).toBe(true);
    net.zeroGrad();
    for (const p of net.parameters()) expect(p.grad === null || p.grad.toFlat().every((v) => v === 0)).toBe(true);
    net.forward(x).sum().backward();
    expect(net.parameters().map((p) => p.grad!.toFlat())).toEqual(first);
  });
});

describe("Module: train() and eval()", () => {
  class Model extends Module {
    inner = new Sequential(new Linear(4, 4, { rng: new RandomState(6) }), new Dropout(0.5, { rng: new RandomState(7) }));
    rnn = new LSTM(4, 3, { numLayers: 2, dropout: 0.5, rng: new RandomState(8) });
    forward(x: Tensor): Tensor {
      return this.rnn.forward(this.inner.forward(x))[0];
    }
  }

  it("reach every submodule, however deep", () => {
    const m = new Model();
    expect([...m.namedModules()].every(([, s]) => s.training)).toBe(true);
    m.eval();
    expect([...m.namedModules()].map(([n, s]) => [n, s.training])).toEqual([
      ["", false], ["inner", false], ["inner.0", false], ["inner.1", false], ["rnn", false],
    ]);
    m.train();
    expect([...m.namedModules()].every(([, s]) => s.training)).toBe(true);
    expect(m.train(false)).toBe(m);
    expect(m.training).toBe(false);
  });

  it("in eval, Dropout is the identity, also the LSTM's dropout between layers when the LSTM is nested", () => {
    const m = new Model();
    const x = ag.tensor(new RandomState(9).randn(5, 2, 4));
    m.eval();
    const drop = m.inner.layers[1] as Dropout;
    expect(drop.forward(x).data.toFlat()).toEqual(x.data.toFlat());
    const a = m.forward(x).data.toFlat();
    expect(m.forward(x).data.toFlat()).toEqual(a);
    // the same weights without dropout give the same output
    const plain = new LSTM(4, 3, { numLayers: 2, dropout: 0 });
    plain.loadStateDict(m.rnn.stateDict());
    expectClose(nd.array(a, [5, 2, 3]), plain.forward(m.inner.forward(x))[0], { rtol: 0, atol: 0 }, "eval output");
    // and back in training it is random again
    m.train();
    expect(m.forward(x).data.toFlat()).not.toEqual(a);
  });
});

describe("Module: stateDict and loadStateDict", () => {
  it("round-trips: the copy holds the same values and computes the same function, without sharing storage", () => {
    const a = new Net(new RandomState(10)).eval();
    const b = new Net(new RandomState(11)).eval();
    const x = ag.tensor(new RandomState(12).randn(4, 3));
    expect(b.forward(x).data.toFlat()).not.toEqual(a.forward(x).data.toFlat());
    expect(Object.keys(a.stateDict())).toEqual(NET_NAMES.map(([n]) => n));
    expect(b.loadStateDict(a.stateDict())).toEqual({ missing: [], unexpected: [] });
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(b.forward(x).data.toFlat()).toEqual(a.forward(x).data.toFlat());
    a.enc.weight.data.fill(7);
    expect(b.enc.weight.data.toFlat().every((v) => v !== 7)).toBe(true);
  });

  it("strict: reports missing, unexpected and mis-shaped keys together in one StateDictError and loads nothing", () => {
    const src = new Net(new RandomState(13));
    const dst = new Net(new RandomState(14));
    const before = snapshot(dst);
    const sd = { ...src.stateDict() };
    delete sd["blocks.1.weight"];
    sd["head.9.weight"] = nd.zeros([2, 2]);
    sd["enc.bias"] = nd.zeros([5]);
    let err: unknown;
    try {
      dst.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    // one of the package's errors, as every other it throws, and named for its class
    expect(err).toBeInstanceOf(TapegradError);
    expect((err as Error).name).toBe("StateDictError");
    const msg = (err as Error).message;
    expect(msg).toMatch(/3 problem/);
    expect(msg).toContain("missing keys: blocks.1.weight");
    expect(msg).toContain("unexpected keys: head.9.weight");
    expect(msg).toMatch(/enc\.bias: shape \[5\].*\[4\]/);
    expect(snapshot(dst)).toEqual(before);
    // strict is the default, and also the explicit option
    expect(() => dst.loadStateDict(sd, { strict: true })).toThrow(StateDictError);
    expect(snapshot(dst)).toEqual(before);
  });

  it("non-strict: loads the keys that match and returns the rest; a shape mismatch is still an error", () => {
    const src = new Net(new RandomState(15));
    const dst = new Net(new RandomState(16));
    const before = snapshot(dst);
    const sd = { ...src.stateDict() };
    delete sd["scale"];
    delete sd["extras.1"];
    sd["not.a.param"] = nd.ones([3]);
    expect(dst.loadStateDict(sd, { strict: false })).toEqual({ missing: ["scale", "extras.1"], unexpected: ["not.a.param"] });
    const after = snapshot(dst);
    const want = snapshot(src);
    for (const [k] of NET_NAMES) expect(after[k], k).toEqual(k === "scale" || k === "extras.1" ? before[k] : want[k]);
    // as PyTorch's strict=False: a key that matches by name but not by shape is not skipped
    const again = snapshot(dst);
    expect(() => dst.loadStateDict({ "enc.weight": nd.zeros([3, 4]) }, { strict: false })).toThrow(/enc\.weight: shape \[3,4\]/);
    expect(snapshot(dst)).toEqual(again);
  });

  it("casts values to each parameter's dtype and ignores Object.prototype names", () => {
    const lin = new Linear(2, 2, { dtype: "float32" });
    lin.loadStateDict({ weight: nd.array([[0.1, 0.2], [0.3, 0.4]]), bias: nd.array([1, 2]) });
    expect(lin.weight.dtype).toBe("float32");
    expect(lin.weight.data.toFlat()).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    expect(() => lin.loadStateDict({ weight: nd.zeros([2, 2]), bias: nd.zeros([2]), toString: nd.zeros([1]) })).toThrow(/unexpected keys: toString/);
    class Odd extends Module {
      constructor() {
        super();
        (this as unknown as Record<string, Parameter>)["constructor"] = new Parameter(nd.ones([1]));
      }
      forward(): void {}
    }
    // a key named like an Object.prototype member is looked up in the dict itself, not its prototype
    expect(() => new Odd().loadStateDict({})).toThrow(/missing keys: constructor/);
  });
});
