// What holds across the recurrent modules (LSTMCell, LSTM, GRUCell, GRU) rather than for one of
// them, each test exercising several: the cells' parameter names, unbatched input, the cells'
// gradients, the errors that name the module and the shapes, forgetBias through a stack and a
// cell, float32, and PyTorch's initialisation. Each module's own tests are in lstm.test.ts,
// lstm-cell.test.ts, gru.test.ts and gru-cell.test.ts.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { GRU, GRUCell, LSTM, LSTMCell, Module } from "@tapegrad/nn";
import { cellSlots, expectClose, expectUniform, fromCase, gradcheckWith, project, ref, runStack, shapes, toND } from "./module-helpers.js";

describe("parameter names and shapes are PyTorch's", () => {
  it("one direction, no bias; and the cells", () => {
    expect(shapes(new LSTM(3, 4, { numLayers: 2, bias: false }))).toEqual([
      ["weight_ih_l0", [16, 3]], ["weight_hh_l0", [16, 4]], ["weight_ih_l1", [16, 4]], ["weight_hh_l1", [16, 4]],
    ]);
    expect(shapes(new LSTMCell(3, 4))).toEqual([["weight_ih", [16, 3]], ["weight_hh", [16, 4]], ["bias_ih", [16]], ["bias_hh", [16]]]);
    expect(shapes(new GRUCell(3, 4))).toEqual([["weight_ih", [12, 3]], ["weight_hh", [12, 4]], ["bias_ih", [12]], ["bias_hh", [12]]]);
    expect(shapes(new GRUCell(3, 4, { bias: false }))).toEqual([["weight_ih", [12, 3]], ["weight_hh", [12, 4]]]);
  });
});

describe("forward against PyTorch's numbers", () => {
  it("unbatched input (seq, input) is a batch of one, squeezed, as in PyTorch; the cells likewise", () => {
    for (const kind of ["lstm", "gru"] as const) {
      const c = ref.stacks.find((s) => s.kind === kind && s.batchFirst && s.h0 && !s.lengths)!;
      const m = fromCase({ ...c, batchFirst: false });
      const x = toND(c.x).slice(0); // (T, I): the first sequence
      const h0 = toND(c.h0!).slice(null, 0);
      const c0 = c.c0 ? toND(c.c0).slice(null, 0) : undefined;
      const un = runStack(m, x, h0, c0);
      const b = runStack(m, x.unsqueeze(1), h0.unsqueeze(1), c0?.unsqueeze(1));
      expect(un.out.shape).toEqual([x.shape[0], 8]);
      expect(un.h.shape).toEqual([4, 4]);
      expectClose(un.out, b.out.data.squeeze(1), { rtol: 0, atol: 0 }, "output");
      expectClose(un.h, b.h.data.squeeze(1), { rtol: 0, atol: 0 }, "h_n");
      // batchFirst does not apply to unbatched input
      expectClose(runStack(fromCase(c), x, h0, c0).out, un.out, { rtol: 0, atol: 0 }, "batchFirst unbatched");
    }
    const cell = new LSTMCell(3, 2, { rng: new RandomState(1) });
    const x = new RandomState(2).randn(3);
    const [h, c] = cell.forward(x);
    const [hb, cb] = cell.forward(x.unsqueeze(0));
    expect(h.shape).toEqual([2]);
    expectClose(h, hb.data.squeeze(0), { rtol: 0, atol: 0 });
    expectClose(c, cb.data.squeeze(0), { rtol: 0, atol: 0 });
  });
});

describe("gradients against finite differences (gradcheck, float64)", () => {
  it("LSTMCell and GRUCell: parameters, input and state", () => {
    const rs = new RandomState(7);
    const lstm = new LSTMCell(3, 2, { rng: rs });
    const [x, h, c] = [ag.tensor(rs.randn(2, 3)), ag.tensor(rs.randn(2, 2)), ag.tensor(rs.randn(2, 2))];
    const [r1, r2] = [rs.randn(2, 2), rs.randn(2, 2)];
    let report = gradcheckWith(cellSlots(lstm), [x, h, c], (xx, hh, cc) => {
      const [h2, c2] = lstm.forward(xx!, [hh!, cc!]);
      return project(h2, r1).add(project(c2, r2));
    });
    expect(report.passed, report.toString()).toBe(true);
    const gru = new GRUCell(3, 2, { rng: rs });
    report = gradcheckWith(cellSlots(gru), [x, h], (xx, hh) => project(gru.forward(xx!, hh!), r1));
    expect(report.passed, report.toString()).toBe(true);
  });
});

describe("padded sequences (lengths or mask)", () => {
  it("rejects bad lengths and masks, naming the module", () => {
    const m = new LSTM(2, 3);
    const x = nd.ones([4, 2, 2]); // (T=4, B=2)
    expect(() => m.forward(x, undefined, { lengths: [4] })).toThrow(/LSTM: 1 lengths for a batch of 2/);
    expect(() => m.forward(x, undefined, { lengths: [4, 5] })).toThrow(/LSTM: length 5/);
    expect(() => m.forward(x, undefined, { lengths: [4, 1.5] })).toThrow(ValueError);
    expect(() => m.forward(x, undefined, { lengths: [4, -1] })).toThrow(ValueError);
    expect(() => m.forward(x, undefined, { mask: nd.ones([2, 4]) })).toThrow(/LSTM: mask has shape \[2,4\], expected \[4,2\]/);
    expect(() => m.forward(x, undefined, { lengths: [4, 4], mask: nd.ones([4, 2]) })).toThrow(/lengths or mask/);
    expect(() => new GRU(2, 3).forward(x, undefined, { lengths: [1, 2, 3] })).toThrow(/GRU: 3 lengths/);
  });
});

describe("options", () => {
  it("forgetBias sets bias_ih's forget block (rows H..2H) and zeroes bias_hh's, in every layer and direction", () => {
    const H = 4;
    const m = new LSTM(3, H, { numLayers: 2, bidirectional: true, forgetBias: 1, rng: new RandomState(11) });
    const k = 1 / Math.sqrt(H);
    for (const [name, p] of m.namedParameters()) {
      if (!name.startsWith("bias")) continue;
      const v = p.data.toFlat();
      const f = v.slice(H, 2 * H);
      expect(f, name).toEqual(new Array(H).fill(name.startsWith("bias_ih") ? 1 : 0));
      // the other gates keep PyTorch's initialisation
      const rest = [...v.slice(0, H), ...v.slice(2 * H)];
      expect(rest.every((u) => Math.abs(u) <= k && u !== 0), name).toBe(true);
    }
    const cell = new LSTMCell(2, 3, { forgetBias: 2.5 });
    expect(cell.bias_ih!.data.toFlat().slice(3, 6)).toEqual([2.5, 2.5, 2.5]);
    expect(cell.bias_hh!.data.toFlat().slice(3, 6)).toEqual([0, 0, 0]);
    expect(() => new LSTMCell(2, 3, { forgetBias: 1, bias: false })).toThrow(/forgetBias/);
  });

  it("float32 modules give float32 outputs, states and gradients, close to float64's", () => {
    for (const kind of ["lstm", "gru"] as const) {
      const c = ref.stacks.find((s) => s.kind === kind && s.h0 && s.batchFirst && !s.lengths)!;
      const m32 = fromCase(c, "float32");
      const m64 = fromCase(c, "float64");
      m64.loadStateDict(m32.stateDict()); // the same (float32-representable) weights
      const x32 = ag.tensor(toND(c.x, "float32"));
      const h032 = toND(c.h0!, "float32");
      const c032 = c.c0 ? toND(c.c0, "float32") : undefined;
      const r32 = runStack(m32, x32, h032, c032);
      const r64 = runStack(m64, x32.data.astype("float64"), h032.astype("float64"), c032?.astype("float64"));
      expect([r32.out.dtype, r32.h.dtype, r32.c?.dtype ?? "float32"]).toEqual(["float32", "float32", "float32"]);
      expectClose(r32.out.data.astype("float64"), r64.out, { rtol: 1e-5, atol: 1e-6 }, "float32 output");
      r32.out.sum().backward();
      for (const [n, p] of m32.namedParameters()) expect(p.grad!.dtype, n).toBe("float32");
      const cell = kind === "lstm" ? new LSTMCell(3, 2, { dtype: "float32" }) : new GRUCell(3, 2, { dtype: "float32" });
      const y = cell instanceof LSTMCell ? cell.forward(nd.ones([1, 3], "float32"))[0] : cell.forward(nd.ones([1, 3], "float32"));
      expect(y.dtype).toBe("float32");
    }
  });
});

describe("errors name the module and the shapes", () => {
  it("LSTM and GRU", () => {
    const m = new LSTM(3, 4);
    expect(() => m.forward(nd.ones([5, 2, 7]))).toThrow(ShapeError);
    expect(() => m.forward(nd.ones([5, 2, 7]))).toThrow(/LSTM: input must be \(seq, batch, 3\).*got \[5,2,7\]/);
    expect(() => m.forward(nd.ones([5, 2, 3, 1]))).toThrow(/LSTM.*\[5,2,3,1\]/);
    expect(() => m.forward(nd.ones([5, 2, 3]), [nd.zeros([1, 2, 5]), nd.zeros([1, 2, 4])])).toThrow(/LSTM: h0 has shape \[1,2,5\], expected \[1,2,4\]/);
    expect(() => m.forward(nd.ones([5, 2, 3]), [nd.zeros([1, 2, 4]), nd.zeros([2, 2, 4])])).toThrow(/LSTM: c0 has shape \[2,2,4\], expected \[1,2,4\]/);
    const bf = new GRU(3, 4, { batchFirst: true, numLayers: 2 });
    expect(() => bf.forward(nd.ones([2, 5, 4]))).toThrow(/GRU: input must be \(batch, seq, 3\).*got \[2,5,4\]/);
    expect(() => bf.forward(nd.ones([2, 5, 3]), nd.zeros([1, 2, 4]))).toThrow(/GRU: h0 has shape \[1,2,4\], expected \[2,2,4\]/);
    expect(() => m.forward(nd.ones([0, 2, 3]))).toThrow(/LSTM: the sequence has no steps \(input shape \[0,2,3\]\)/);
    expect(() => bf.forward(nd.ones([2, 0, 3]))).toThrow(/GRU: the sequence has no steps \(input shape \[2,0,3\]\)/);
    expect(() => new LSTM(0, 4)).toThrow(/LSTM: inputSize must be a positive integer, got 0/);
    expect(() => new GRU(3, 4, { numLayers: 0 })).toThrow(/GRU: numLayers must be a positive integer, got 0/);
  });

  it("LSTMCell and GRUCell", () => {
    const cell = new LSTMCell(3, 4);
    expect(() => cell.forward(nd.ones([2, 5]))).toThrow(/LSTMCell: input must be \(batch, 3\), got \[2,5\]/);
    expect(() => cell.forward(nd.ones([2, 3]), [nd.zeros([2, 3]), nd.zeros([2, 4])])).toThrow(/LSTMCell: h has shape \[2,3\], expected \[2,4\]/);
    expect(() => cell.forward(nd.ones([2, 3]), [nd.zeros([2, 4]), nd.zeros([1, 4])])).toThrow(/LSTMCell: c has shape \[1,4\], expected \[2,4\]/);
    expect(() => new GRUCell(3, 4).forward(nd.ones([2, 3]), nd.zeros([3, 4]))).toThrow(/GRUCell: h has shape \[3,4\], expected \[2,4\]/);
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
