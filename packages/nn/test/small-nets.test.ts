// The modules for small networks (norm, activations, conv, pool, RNN, attention, transformer)
// against real PyTorch: data/make-modules-reference.py ran torch in float64 and stored each
// module's state dict, input, output and gradients. Each case loads torch's state dict strictly
// (so the keys and shapes are PyTorch's), runs forward and backward, and compares.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import * as nn from "../src/index.js";
import { expectClose } from "./module-helpers.js";

interface Enc { shape: number[]; data: (number | "inf" | "-inf")[]; dtype?: "bool" }
interface Case {
  name: string;
  kind: string;
  args: unknown[];
  opts: Record<string, unknown>;
  forward?: Record<string, unknown>;
  keys: [string, number[]][];
  state: Record<string, Enc>;
  inputs: Record<string, Enc>;
  outputs: Enc[];
  cotangents: Enc[];
  inputGrads: Record<string, Enc>;
  paramGrads: Record<string, Enc>;
}

const REF = JSON.parse(readFileSync(new URL("./data/modules-reference.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: Case[];
  defaultKeys: Record<string, [string, number[]][]>;
};

const dec = (e: Enc): NDArray => {
  const vals = e.data.map((v) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : v));
  const a = nd.array(Float64Array.from(vals), e.shape);
  return e.dtype === "bool" ? nd.ne(a, 0) : a;
};

type AnyModule = nn.Module & { forward(...a: unknown[]): unknown };

function build(c: Case): AnyModule {
  const a = c.args as never[];
  const o = c.opts as never;
  const make: Record<string, () => nn.Module> = {
    LayerNorm: () => new nn.LayerNorm(a[0]!, o),
    GELU: () => new nn.GELU(o),
    SiLU: () => new nn.SiLU(),
    Softmax: () => new nn.Softmax(a[0]),
    LogSoftmax: () => new nn.LogSoftmax(a[0]),
    Flatten: () => new nn.Flatten(),
    Identity: () => new nn.Identity(),
    Conv1d: () => new nn.Conv1d(a[0]!, a[1]!, a[2]!, o),
    Conv2d: () => new nn.Conv2d(a[0]!, a[1]!, a[2]!, o),
    MaxPool1d: () => new nn.MaxPool1d(a[0]!, o),
    MaxPool2d: () => new nn.MaxPool2d(a[0]!, o),
    AvgPool1d: () => new nn.AvgPool1d(a[0]!, o),
    AvgPool2d: () => new nn.AvgPool2d(a[0]!, o),
    RNN: () => new nn.RNN(a[0]!, a[1]!, o),
    MultiheadAttention: () => new nn.MultiheadAttention(a[0]!, a[1]!, o),
    TransformerEncoderLayer: () => new nn.TransformerEncoderLayer(a[0]!, a[1]!, o),
  };
  const m = make[c.kind];
  if (!m) throw new Error(`no builder for ${c.kind}`);
  return m() as AnyModule;
}

/** Runs the module the way the script called torch's, returning the outputs torch returned. */
function run(c: Case, m: AnyModule, x: Record<string, Tensor | NDArray>): Tensor[] {
  switch (c.kind) {
    case "RNN": {
      const [out, h] = (m as unknown as nn.RNN).forward(x.x as Tensor, x.h0 as Tensor | undefined);
      return [out, h];
    }
    case "MultiheadAttention": {
      const opts: nn.AttentionForwardOptions = { ...(c.forward ?? {}) };
      if (x.keyPaddingMask) opts.keyPaddingMask = x.keyPaddingMask as NDArray;
      if (x.attnMask) opts.attnMask = x.attnMask as NDArray;
      const [out, w] = (m as unknown as nn.MultiheadAttention).forward(x.q as Tensor, x.k as Tensor, x.v as Tensor, opts);
      return [out, w!];
    }
    case "TransformerEncoderLayer": {
      const opts: nn.EncoderForwardOptions = {};
      if (x.srcMask) opts.srcMask = x.srcMask as NDArray;
      if (x.srcKeyPaddingMask) opts.srcKeyPaddingMask = x.srcKeyPaddingMask as NDArray;
      return [(m as unknown as nn.TransformerEncoderLayer).forward(x.x as Tensor, opts)];
    }
    default:
      return [m.forward(x.x) as Tensor];
  }
}

describe(`small-network modules against PyTorch ${REF.torch} (float64)`, () => {
  for (const c of REF.cases) {
    it(c.name, () => {
      const m = build(c);
      // strict: every one of torch's keys, and nothing else, with torch's shapes
      expect(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]])).toEqual(c.keys);
      m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, dec(v)])));
      m.eval();
      const inputs: Record<string, Tensor | NDArray> = {};
      for (const [k, v] of Object.entries(c.inputs)) {
        const a = dec(v);
        inputs[k] = v.dtype === "bool" || k.toLowerCase().includes("mask") ? a : new Tensor(a, true);
      }
      const outs = run(c, m, inputs);
      expect(outs.length).toBe(c.outputs.length);
      outs.forEach((o, i) => expectClose(o, dec(c.outputs[i]!), { rtol: 1e-9, atol: 1e-11 }, `output ${i}`));
      const loss = outs.map((o, i) => ag.sum(ag.mul(o, new Tensor(dec(c.cotangents[i]!))))).reduce((s, t) => ag.add(s, t));
      loss.backward();
      for (const [k, g] of Object.entries(c.inputGrads)) {
        const t = inputs[k];
        if (!(t instanceof Tensor)) continue;
        expectClose(t.grad ?? nd.zeros(t.shape), dec(g), { rtol: 1e-9, atol: 1e-11 }, `d/d${k}`);
      }
      const params = new Map(m.namedParameters());
      expect([...params.keys()].sort()).toEqual(Object.keys(c.paramGrads).sort());
      for (const [k, g] of Object.entries(c.paramGrads)) expectClose(params.get(k)!.grad!, dec(g), { rtol: 1e-9, atol: 1e-11 }, `d/d${k}`);
    });
  }

  it("default-sized modules have torch's state-dict keys and shapes, in torch's order", () => {
    const made: Record<string, nn.Module> = {
      "new TransformerEncoderLayer(16, 4)": new nn.TransformerEncoderLayer(16, 4),
      "new MultiheadAttention(16, 4)": new nn.MultiheadAttention(16, 4),
      "new Conv2d(3, 8, 5)": new nn.Conv2d(3, 8, 5),
      "new RNN(3, 5, { numLayers: 2, bidirectional: true })": new nn.RNN(3, 5, { numLayers: 2, bidirectional: true }),
      "new LayerNorm([4, 6])": new nn.LayerNorm([4, 6]),
    };
    for (const [k, want] of Object.entries(REF.defaultKeys)) {
      expect(Object.entries(made[k]!.stateDict()).map(([n, v]) => [n, [...v.shape]]), k).toEqual(want);
    }
  });
});
