// Sequential, ModuleList and ModuleDict against the key names and orders that real PyTorch gives
// (data/torch-keys.json, written by data/make-torch-keys.py with torch 1.13), tied weights under
// PyTorch's state_dict rule, and the old `layers.N.` keys still loading, with one warning; Sequential
// applying its layers in order.

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as nd from "@tapegrad/tensor";
import { IndexError, RandomState, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import {
  Embedding, LSTM, Linear, Module, ModuleDict, ModuleList, Parameter, ReLU, Sequential, StateDictError, Tanh,
} from "@tapegrad/nn";
import { expectClose } from "./module-helpers.js";

interface Described {
  state_dict: [string, number[]][];
  named_parameters: string[];
  named_modules: string[];
}
const torchKeys = JSON.parse(readFileSync(new URL("./data/torch-keys.json", import.meta.url), "utf8")) as { tied: Described; containers: Described };

const describeModule = (m: Module): Described => ({
  state_dict: Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]),
  named_parameters: m.namedParameters().map(([k]) => k),
  named_modules: [...m.namedModules()].map(([k]) => k),
});

class Containers extends Module {
  scale = new Parameter(nd.zeros([4]));
  seq = new Sequential(new Linear(3, 4), new Tanh(), new Sequential(new Linear(4, 4), new ReLU()), new Linear(4, 2));
  blocks = new ModuleList([new Linear(2, 2), new LSTM(2, 3, { numLayers: 2 })]);
  heads = new ModuleDict({ b: new Linear(3, 1), a: new Linear(3, 2, { bias: false }) });
  forward(): void {}
}

class Tied extends Module {
  emb = new Embedding(5, 3, { rng: new RandomState(1) });
  out = new Linear(3, 5, { bias: false, rng: new RandomState(2) });
  again: Linear;
  constructor() {
    super();
    this.out.weight = this.emb.weight;
    this.again = this.out;
  }
  forward(): void {}
}

describe("containers: PyTorch's key names", () => {
  it("Sequential, nested Sequential, ModuleList and ModuleDict give torch's state_dict keys, shapes and orders", () => {
    expect(describeModule(new Containers())).toEqual(torchKeys.containers);
  });

  it("a Sequential's own state dict is 0.weight, 0.bias, 2.weight ... as torch.nn.Sequential's", () => {
    const s = new Sequential(new Linear(2, 3), new Tanh(), new Linear(3, 1));
    expect(Object.keys(s.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(s.layers).toHaveLength(3);
    expect(s.get(-1)).toBe(s.layers[2]);
    // the forward is the composition, whatever the names
    const x = ag.tensor(new RandomState(3).randn(4, 2));
    const want = (s.get(2) as Linear).forward((s.get(0) as Linear).forward(x).tanh());
    expect(s.forward(x).data.toFlat()).toEqual(want.data.toFlat());
  });

  it("ModuleList: append, insert (renumbering), set, negative get; bad indices and non-modules are typed errors", () => {
    const a = new Linear(1, 1), b = new Linear(1, 2), c = new Linear(1, 3);
    const list = new ModuleList([a, c]);
    list.insert(1, b);
    expect([...list]).toEqual([a, b, c]);
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]);
    expect(list.stateDict()["1.weight"]).toBe(b.weight.data);
    expect(list.get(-3)).toBe(a);
    expect(() => list.get(3)).toThrow(IndexError);
    expect(() => list.get(3)).toThrow(/index 3 is out of range for 3 modules/);
    expect(() => list.append({} as Module)).toThrow(ValueError);
    expect(list.length).toBe(3);
    expect(() => list.forward()).toThrow(/has no forward/);
  });

  it("ModuleDict: insertion order, keys without dots, a bad update leaves it as it was", () => {
    const d = new ModuleDict({ enc: new Linear(2, 2) });
    d.set("dec", new Linear(2, 1));
    expect(d.keys()).toEqual(["enc", "dec"]);
    expect(Object.keys(d.stateDict())).toEqual(["enc.weight", "enc.bias", "dec.weight", "dec.bias"]);
    expect(() => d.set("a.b", new Linear(1, 1))).toThrow(/key must be a non-empty string without "."/);
    expect(() => d.update({ ok: new Linear(1, 1), bad: 3 as unknown as Module })).toThrow(ValueError);
    expect(d.keys()).toEqual(["enc", "dec"]);
    expect(() => d.get("nope")).toThrow(/no module "nope" \(keys: enc, dec\)/);
  });
});

describe("tied weights: PyTorch's state_dict rule", () => {
  it("a tied parameter appears under every name that reaches it in stateDict, once in namedParameters and namedModules", () => {
    expect(describeModule(new Tied())).toEqual(torchKeys.tied);
    const m = new Tied();
    const sd = m.stateDict();
    expect(sd["out.weight"]).toBe(m.emb.weight.data);
    expect(sd["again.weight"]).toBe(m.emb.weight.data);
  });

  it("strict load wants the tied weight under each name, and keeps the tie", () => {
    const src = new Tied();
    const dst = new Tied();
    nd.mul(dst.emb.weight.data, 0, dst.emb.weight.data);
    const sd = { ...src.stateDict() };
    delete sd["again.weight"];
    expect(() => dst.loadStateDict(sd)).toThrow(/missing keys: again\.weight/);
    expect(dst.emb.weight.data.toFlat().every((v) => v === 0)).toBe(true);
    dst.loadStateDict(src.stateDict());
    expect(dst.out.weight).toBe(dst.emb.weight);
    expect(dst.emb.weight.data.toFlat()).toEqual(src.emb.weight.data.toFlat());
  });
});

describe("old Sequential keys (layers.N.)", () => {
  afterEach(() => vi.restoreAllMocks());

  class Net extends Module {
    head = new Sequential(new Linear(2, 3), new Tanh(), new Sequential(new Linear(3, 1)));
    forward(): void {}
  }

  it("still load, nested too, with one deprecation warning per process", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const src = new Net();
    const old: Record<string, nd.NDArray> = {};
    for (const [k, v] of Object.entries(src.stateDict())) old[k.replace(/^head\.(\d)/, "head.layers.$1").replace(/^head\.layers\.2\./, "head.layers.2.layers.")] = v;
    expect(Object.keys(old)).toEqual(["head.layers.0.weight", "head.layers.0.bias", "head.layers.2.layers.0.weight", "head.layers.2.layers.0.bias"]);
    const dst = new Net();
    expect(dst.loadStateDict(old)).toEqual({ missing: [], unexpected: [] });
    for (const [k, v] of Object.entries(src.stateDict())) expect(dst.stateDict()[k]!.toFlat(), k).toEqual(v.toFlat());
    new Net().loadStateDict(old);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/"head\.layers\.0\.weight" is in the old Sequential spelling.*"head\.0\.weight"/);
  });

  it("are not guessed where no Sequential holds them: a field named layers keeps its name", () => {
    class Plain extends Module {
      layers = [new Linear(1, 1)];
      forward(): void {}
    }
    const p = new Plain();
    expect(Object.keys(p.stateDict())).toEqual(["layers.0.weight", "layers.0.bias"]);
    expect(() => p.loadStateDict({ "0.weight": nd.zeros([1, 1]), "0.bias": nd.zeros([1]) })).toThrow(StateDictError);
  });
});

describe("activations and Sequential", () => {
  it("Sequential applies its layers in order", () => {
    const rng = new RandomState(31);
    const a = new Linear(3, 4, { rng });
    const b = new Linear(4, 2, { rng });
    const seq = new Sequential(a, new Tanh(), b);
    const x = ag.tensor(rng.randn(5, 3));
    expectClose(seq.forward(x), b.forward(a.forward(x).tanh()), { rtol: 0, atol: 0 }, "sequential");
  });
});
