// Module, Parameter and the small layers, against what PyTorch documents: dotted parameter names,
// shared parameters counted once, train()/eval() reaching every submodule, strict state-dict
// loading that reports every problem and loads nothing; Linear and Embedding against numbers
// computed by PyTorch (data/make-recurrent-reference.py), their initialisation checked
// statistically against PyTorch's, their gradients against finite differences; Dropout's
// statistics.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { IndexError, NDArray, RandomState, ShapeError, TapegradError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import {
  Dropout, Embedding, GRU, MultiheadAttention, TransformerEncoderLayer, GRUCell, LSTM, LSTMCell, Linear, Module, Parameter, ReLU, Sequential, Sigmoid, StateDictError, Tanh, manualSeed,
} from "@tapegrad/nn";
import { expectClose, gradcheckWith, project, ref, toND } from "./module-helpers.js";

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

describe("Linear", () => {
  it.each(ref.linear)("forward matches torch.nn.Linear: $name", (c) => {
    const lin = new Linear(c.inFeatures, c.outFeatures, { bias: c.bias !== undefined });
    lin.loadStateDict(c.bias ? { weight: toND(c.weight), bias: toND(c.bias) } : { weight: toND(c.weight) });
    expectClose(lin.forward(toND(c.x)), toND(c.y), undefined, c.name);
  });

  it("initialises weight and bias U(-1/sqrt(in), 1/sqrt(in)), as PyTorch (the bound follows inFeatures, not outFeatures)", () => {
    for (const [inF, outF] of [[64, 500], [9, 3000]] as const) {
      const lin = new Linear(inF, outF, { rng: new RandomState(inF) });
      expectUniform(lin.weight.data, 1 / Math.sqrt(inF), `Linear(${inF}, ${outF}).weight`);
      expectUniform(lin.bias!.data, 1 / Math.sqrt(inF), `Linear(${inF}, ${outF}).bias`);
    }
  });

  it("draws from the stream manualSeed sets, reproducibly", () => {
    manualSeed(42);
    const a = new Linear(3, 4);
    manualSeed(42);
    const b = new Linear(3, 4);
    expect(b.weight.data.toFlat()).toEqual(a.weight.data.toFlat());
    expect(new Linear(3, 4).weight.data.toFlat()).not.toEqual(a.weight.data.toFlat());
  });

  it("gradcheck: input, weight and bias", () => {
    const lin = new Linear(3, 2, { rng: new RandomState(17) });
    const x = ag.tensor(new RandomState(18).randn(2, 4, 3));
    const r = new RandomState(19).randn(2, 4, 2);
    const report = gradcheckWith([[lin, "weight"], [lin, "bias"]], [x], (xx) => project(lin.forward(xx), r));
    expect(report.passed, report.toString()).toBe(true);
  });

  it("float32 in, float32 out and float32 gradients", () => {
    const lin = new Linear(3, 2, { dtype: "float32" });
    const y = lin.forward(ag.tensor(nd.ones([4, 3], "float32")));
    expect(y.dtype).toBe("float32");
    y.sum().backward();
    expect(lin.weight.grad!.dtype).toBe("float32");
    expect(lin.bias!.grad!.dtype).toBe("float32");
  });

  it("rejects an input of the wrong width, naming the layer and the shape; and bad sizes", () => {
    const lin = new Linear(3, 2);
    expect(() => lin.forward(nd.ones([4, 5]))).toThrow(ShapeError);
    expect(() => lin.forward(nd.ones([4, 5]))).toThrow(/Linear.*\[4,5\].*3/);
    expect(() => new Linear(0, 2)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    expect(() => new Linear(2, 1.5)).toThrow(ValueError);
  });
});

describe("Embedding", () => {
  it("forward matches torch.nn.Embedding (rows picked by id, any id shape)", () => {
    const c = ref.embedding;
    const emb = new Embedding(6, 3);
    emb.loadStateDict({ weight: toND(c.weight) });
    const ids = nd.array(c.ids.data, c.ids.shape, "int32");
    expectClose(emb.forward(ids), toND(c.y), { rtol: 0, atol: 0 }, "embedding");
    expect(emb.forward([2, 0]).shape).toEqual([2, 3]);
  });

  it("initialises weight N(0, 1), as PyTorch", () => {
    const w = new Embedding(1000, 50, { rng: new RandomState(20) }).weight.data.toFlat();
    const n = w.length;
    const mean = w.reduce((a, b) => a + b, 0) / n;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const within1 = w.filter((v) => Math.abs(v) < 1).length / n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // P(|Z| < 1) = erf(1/sqrt 2) = 0.682689...
    expect(Math.abs(within1 - 0.682689)).toBeLessThan(5 * Math.sqrt((0.6827 * 0.3173) / n));
  });

  it("accumulates the gradient of a repeated id (a scatter-add), as summed by hand", () => {
    const emb = new Embedding(5, 2, { rng: new RandomState(21) });
    const ids = [1, 3, 1, 1, 0];
    const r = new RandomState(22).randn(5, 2);
    project(emb.forward(ids), r).backward();
    const want = nd.zeros([5, 2]);
    ids.forEach((id, k) => {
      for (let j = 0; j < 2; j++) want.data[id * 2 + j] = want.data[id * 2 + j]! + r.get(k, j);
    });
    expectClose(emb.weight.grad!, want, undefined, "embedding grad");
    expect(emb.weight.grad!.toArray()).toContainEqual([0, 0]); // rows 2 and 4 are never looked up
  });

  it("gradcheck: weight, with repeated ids in a 2-D batch", () => {
    const emb = new Embedding(4, 3, { rng: new RandomState(23) });
    const ids = nd.array([[0, 2, 2], [3, 0, 2]], undefined, "int32");
    const r = new RandomState(24).randn(2, 3, 3);
    const report = gradcheckWith([[emb, "weight"]], [], () => project(emb.forward(ids), r));
    expect(report.passed, report.toString()).toBe(true);
  });

  it("rejects ids outside [0, numEmbeddings), negatives included (numpy's take would wrap them)", () => {
    const emb = new Embedding(4, 2);
    expect(() => emb.forward([4])).toThrow(IndexError);
    expect(() => emb.forward([-1])).toThrow(IndexError);
    expect(() => emb.forward([-1])).toThrow(/Embedding: id -1/);
    expect(() => emb.forward(nd.array([0, -2], undefined, "int32"))).toThrow(/Embedding/);
    expect(() => emb.forward([1.5])).toThrow(/Embedding/);
  });
});

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

describe("activations and Sequential", () => {
  it("ReLU, Tanh and Sigmoid compute max(0, x), tanh x and 1/(1 + e^-x)", () => {
    const xs = [-3, -0.5, 0, 0.25, 2];
    const x = ag.tensor(nd.array(xs));
    expect(new ReLU().forward(x).data.toFlat()).toEqual(xs.map((v) => Math.max(0, v)));
    expectClose(new Tanh().forward(x), nd.array(xs.map(Math.tanh)), { rtol: 1e-15, atol: 1e-16 }, "tanh");
    expectClose(new Sigmoid().forward(x), nd.array(xs.map((v) => 1 / (1 + Math.exp(-v)))), { rtol: 1e-15, atol: 1e-16 }, "sigmoid");
  });

  it("Sequential applies its layers in order", () => {
    const rng = new RandomState(31);
    const a = new Linear(3, 4, { rng });
    const b = new Linear(4, 2, { rng });
    const seq = new Sequential(a, new Tanh(), b);
    const x = ag.tensor(rng.randn(5, 3));
    expectClose(seq.forward(x), b.forward(a.forward(x).tanh()), { rtol: 0, atol: 0 }, "sequential");
  });
});

describe("recurrent initialisation", () => {
  it("LSTM, GRU and their cells draw every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)), as PyTorch", () => {
    const modules: [string, Module][] = [
      ["LSTM", new LSTM(10, 25, { numLayers: 2, bidirectional: true, rng: new RandomState(32) })],
      ["GRU", new GRU(40, 16, { numLayers: 2, rng: new RandomState(33) })],
      ["LSTMCell", new LSTMCell(60, 36, { rng: new RandomState(34) })],
      ["GRUCell", new GRUCell(7, 49, { rng: new RandomState(35) })],
    ];
    for (const [name, m] of modules) {
      const hidden = (m as unknown as { hiddenSize: number }).hiddenSize;
      const all = nd.concat(m.parameters().map((p) => p.data.reshape([-1])));
      expectUniform(all, 1 / Math.sqrt(hidden), name);
      // every tensor on its own reaches close to the bound too (the bound is not the input's)
      for (const [pn, p] of m.namedParameters()) {
        const top = Math.max(...p.data.toFlat().map(Math.abs));
        expect(top, `${name}.${pn}`).toBeLessThanOrEqual(1 / Math.sqrt(hidden));
        expect(top, `${name}.${pn}`).toBeGreaterThan(0.9 / Math.sqrt(hidden));
      }
    }
  });
});

/** Values from U(-k, k): inside the bound, reaching it, mean 0, variance k^2/3, half inside k/2. */
function expectUniform(a: NDArray, k: number, what: string): void {
  const v = a.toFlat();
  const n = v.length;
  const top = Math.max(...v.map(Math.abs));
  expect(top, `${what}: max |w|`).toBeLessThanOrEqual(k);
  // P(max |w| < k (1 - d)) = (1 - d)^n
  expect(top, `${what}: max |w|`).toBeGreaterThan(k * (1 - 20 / n));
  const mean = v.reduce((s, x) => s + x, 0) / n;
  expect(Math.abs(mean), `${what}: mean`).toBeLessThan(5 * k / Math.sqrt(3 * n));
  const m2 = v.reduce((s, x) => s + x * x, 0) / n;
  // Var(w^2) = k^4 (1/5 - 1/9) for U(-k, k)
  expect(Math.abs(m2 - (k * k) / 3), `${what}: E[w^2]`).toBeLessThan(5 * k * k * Math.sqrt((1 / 5 - 1 / 9) / n));
  const half = v.filter((x) => Math.abs(x) < k / 2).length / n;
  expect(Math.abs(half - 0.5), `${what}: P(|w| < k/2)`).toBeLessThan(5 * Math.sqrt(0.25 / n));
}
