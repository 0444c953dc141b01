// GRU against what PyTorch documents: parameter names, shapes and layout (gates r, z, n);
// outputs and final states against real PyTorch 1.13's nn.GRU (data/make-recurrent-reference.py
// wrote data/recurrent-reference.json, cross-checked there against numpy from the equations in
// the torch.nn docs); gradients against finite differences; padded steps against each sequence
// run alone.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { GRU, type SequenceOptions } from "@tapegrad/nn";
import {
  PAD_LENGTHS, expectClose, fromCase, gradcheckWith, makeStack, padVersusAlone, project, ref, runStack, shapes, stackSlots, toND,
} from "./module-helpers.js";
import { stackChecks } from "./stack-checks.js";

describe("parameter names and shapes are PyTorch's", () => {
  it("GRU(5, 2, { numLayers: 2, bidirectional: true }): gates r, z, n stacked, 3 * hidden rows", () => {
    const m = new GRU(5, 2, { numLayers: 2, bidirectional: true });
    expect(shapes(m)).toEqual([
      ["weight_ih_l0", [6, 5]], ["weight_hh_l0", [6, 2]], ["bias_ih_l0", [6]], ["bias_hh_l0", [6]],
      ["weight_ih_l0_reverse", [6, 5]], ["weight_hh_l0_reverse", [6, 2]], ["bias_ih_l0_reverse", [6]], ["bias_hh_l0_reverse", [6]],
      ["weight_ih_l1", [6, 4]], ["weight_hh_l1", [6, 2]], ["bias_ih_l1", [6]], ["bias_hh_l1", [6]],
      ["weight_ih_l1_reverse", [6, 4]], ["weight_hh_l1_reverse", [6, 2]], ["bias_ih_l1_reverse", [6]], ["bias_hh_l1_reverse", [6]],
    ]);
  });
});

describe("forward against PyTorch's numbers", () => {
  it.each(ref.stacks.filter((c) => c.kind === "gru"))("$name", (c) => {
    const m = fromCase(c);
    const opt: SequenceOptions = c.lengths ? { lengths: c.lengths } : {};
    const r = runStack(m, toND(c.x), c.h0 && toND(c.h0), c.c0 ? toND(c.c0) : c.h0 && nd.zeros(c.h0.shape), opt);
    expectClose(r.out, toND(c.output), undefined, "output");
    expectClose(r.h, toND(c.h_n), undefined, "h_n");
    if (c.c_n) expectClose(r.c!, toND(c.c_n), undefined, "c_n");
  });
});

stackChecks("gru", 9);
