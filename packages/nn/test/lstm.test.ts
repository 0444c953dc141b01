// LSTM against what PyTorch documents: parameter names, shapes and layout; outputs and final
// states against real PyTorch 1.13's nn.LSTM (data/make-recurrent-reference.py wrote
// data/recurrent-reference.json, cross-checked there against numpy from the equations in the
// torch.nn docs); gradients against finite differences; padded steps against each sequence run
// alone; dropout between layers.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { LSTM, type SequenceOptions } from "@tapegrad/nn";
import {
  PAD_LENGTHS, expectClose, fromCase, gradcheckWith, makeStack, padVersusAlone, project, ref, runStack, shapes, stackSlots, toND,
} from "./module-helpers.js";
import { stackChecks } from "./stack-checks.js";

describe("parameter names and shapes are PyTorch's", () => {
  it("LSTM(3, 4, { numLayers: 2, bidirectional: true })", () => {
    const m = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    expect(shapes(m)).toEqual([
      ["weight_ih_l0", [16, 3]], ["weight_hh_l0", [16, 4]], ["bias_ih_l0", [16]], ["bias_hh_l0", [16]],
      ["weight_ih_l0_reverse", [16, 3]], ["weight_hh_l0_reverse", [16, 4]], ["bias_ih_l0_reverse", [16]], ["bias_hh_l0_reverse", [16]],
      ["weight_ih_l1", [16, 8]], ["weight_hh_l1", [16, 4]], ["bias_ih_l1", [16]], ["bias_hh_l1", [16]],
      ["weight_ih_l1_reverse", [16, 8]], ["weight_hh_l1_reverse", [16, 4]], ["bias_ih_l1_reverse", [16]], ["bias_hh_l1_reverse", [16]],
    ]);
    expect(Object.keys(m.stateDict())).toEqual(m.namedParameters().map(([n]) => n));
    // the named fields are the cells' own parameters, not copies
    const named = new Map(m.namedParameters());
    expect(named.get("weight_ih_l1_reverse")).toBe(m.cell(1, 1).weight_ih);
    expect(named.get("bias_hh_l0")).toBe(m.cell(0, 0).bias_hh);
    expect(() => m.cell(2, 0)).toThrow(ValueError);
  });
});

describe("forward against PyTorch's numbers", () => {
  it.each(ref.stacks.filter((c) => c.kind === "lstm"))("$name", (c) => {
    const m = fromCase(c);
    const opt: SequenceOptions = c.lengths ? { lengths: c.lengths } : {};
    const r = runStack(m, toND(c.x), c.h0 && toND(c.h0), c.c0 ? toND(c.c0) : c.h0 && nd.zeros(c.h0.shape), opt);
    expectClose(r.out, toND(c.output), undefined, "output");
    expectClose(r.h, toND(c.h_n), undefined, "h_n");
    if (c.c_n) expectClose(r.c!, toND(c.c_n), undefined, "c_n");
  });

  it("without an initial state the state starts at zero", () => {
    const c = ref.stacks.find((s) => s.kind === "lstm" && s.h0 && !s.lengths && !s.batchFirst && s.x.shape.length === 3)!;
    const m = fromCase(c);
    const x = toND(c.x);
    const zero = nd.zeros([c.numLayers * (c.bidirectional ? 2 : 1), x.shape[1]!, c.hiddenSize]);
    expectClose(runStack(m, x).out, runStack(m, x, zero, zero).out, { rtol: 0, atol: 0 });
  });
});

stackChecks("lstm", 8);

describe("options", () => {
  it("dropout acts between layers while training only, never after the last layer", () => {
    const rs = new RandomState(13);
    const x = ag.tensor(rs.randn(5, 2, 3));
    const one = new LSTM(3, 4, { dropout: 0.5, rng: rs });
    const a = one.forward(x)[0].data.toFlat();
    expect(one.forward(x)[0].data.toFlat()).toEqual(a); // a single layer: nothing to drop
    const two = new LSTM(3, 4, { numLayers: 2, dropout: 0.5, rng: rs });
    expect(two.forward(x)[0].data.toFlat()).not.toEqual(two.forward(x)[0].data.toFlat());
    two.eval();
    expect(two.forward(x)[0].data.toFlat()).toEqual(two.forward(x)[0].data.toFlat());
  });
});
