// LSTMCell, LSTM, GRUCell and GRU against what PyTorch documents: parameter names, shapes and
// layout; outputs and final states against real PyTorch 1.13's nn.LSTM, GRU, LSTMCell and GRUCell
// (data/make-recurrent-reference.py wrote data/recurrent-reference.json, cross-checked there
// against numpy from the equations in the torch.nn docs);
// gradients against finite differences; padded steps against each sequence run alone; the
// notebook's weight layout against the notebook's own equations.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor } from "@tapegrad/autograd";
import { GRU, GRUCell, LSTM, LSTMCell, type NotebookParams, type SequenceOptions, type StackOptions } from "@tapegrad/nn";
import {
  cellSlots, expectClose, gradcheckWith, project, ref, stateDictOf, toND, type CellCase, type Slot, type StackCase,
} from "./module-helpers.js";

type Stack = LSTM | GRU;
interface Run {
  out: Tensor;
  h: Tensor;
  c: Tensor | null;
}

function runStack(m: Stack, x: Tensor | NDArray, h0?: Tensor | NDArray, c0?: Tensor | NDArray, options: SequenceOptions = {}): Run {
  if (m instanceof LSTM) {
    const [out, [h, c]] = m.forward(x, h0 && c0 ? [h0, c0] : undefined, options);
    return { out, h, c };
  }
  const [out, h] = m.forward(x, h0, options);
  return { out, h, c: null };
}

function makeStack(kind: "lstm" | "gru", inputSize: number, hiddenSize: number, options: StackOptions): Stack {
  return kind === "lstm" ? new LSTM(inputSize, hiddenSize, options) : new GRU(inputSize, hiddenSize, options);
}

function fromCase(c: StackCase, dtype: nd.DType = "float64"): Stack {
  const m = makeStack(c.kind, c.inputSize, c.hiddenSize, { numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst, bias: c.bias, dtype });
  m.loadStateDict(stateDictOf(c.params, dtype)); // strict: the names and shapes are PyTorch's
  return m;
}

/** Every (cell, field) whose parameter a stack's forward reads. */
function stackSlots(m: Stack): Slot[] {
  const slots: Slot[] = [];
  for (let l = 0; l < m.numLayers; l++) for (let d = 0; d < (m.bidirectional ? 2 : 1); d++) slots.push(...cellSlots(m.cell(l, d)));
  return slots;
}

const shapes = (m: { namedParameters(): [string, { shape: readonly number[] }][] }) => m.namedParameters().map(([n, p]) => [n, [...p.shape]]);

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

  it("GRU(5, 2, { numLayers: 2, bidirectional: true }): gates r, z, n stacked, 3 * hidden rows", () => {
    const m = new GRU(5, 2, { numLayers: 2, bidirectional: true });
    expect(shapes(m)).toEqual([
      ["weight_ih_l0", [6, 5]], ["weight_hh_l0", [6, 2]], ["bias_ih_l0", [6]], ["bias_hh_l0", [6]],
      ["weight_ih_l0_reverse", [6, 5]], ["weight_hh_l0_reverse", [6, 2]], ["bias_ih_l0_reverse", [6]], ["bias_hh_l0_reverse", [6]],
      ["weight_ih_l1", [6, 4]], ["weight_hh_l1", [6, 2]], ["bias_ih_l1", [6]], ["bias_hh_l1", [6]],
      ["weight_ih_l1_reverse", [6, 4]], ["weight_hh_l1_reverse", [6, 2]], ["bias_ih_l1_reverse", [6]], ["bias_hh_l1_reverse", [6]],
    ]);
  });

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
  it.each(ref.stacks)("$name", (c) => {
    const m = fromCase(c);
    const opt: SequenceOptions = c.lengths ? { lengths: c.lengths } : {};
    const r = runStack(m, toND(c.x), c.h0 && toND(c.h0), c.c0 ? toND(c.c0) : c.h0 && nd.zeros(c.h0.shape), opt);
    expectClose(r.out, toND(c.output), undefined, "output");
    expectClose(r.h, toND(c.h_n), undefined, "h_n");
    if (c.c_n) expectClose(r.c!, toND(c.c_n), undefined, "c_n");
  });

  it.each(ref.cells)("$name", (c: CellCase) => {
    const x = toND(c.x);
    if (c.kind === "lstm") {
      const cell = new LSTMCell(c.inputSize, c.hiddenSize);
      cell.loadStateDict(stateDictOf(c.params));
      const [h, cc] = cell.forward(x, [toND(c.h), toND(c.c!)]);
      expectClose(h, toND(c.h_next), undefined, "h'");
      expectClose(cc, toND(c.c_next!), undefined, "c'");
    } else {
      const cell = new GRUCell(c.inputSize, c.hiddenSize);
      cell.loadStateDict(stateDictOf(c.params));
      expectClose(cell.forward(x, toND(c.h)), toND(c.h_next), undefined, "h'");
    }
  });

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

  it("without an initial state the state starts at zero", () => {
    const c = ref.stacks.find((s) => s.kind === "lstm" && s.h0 && !s.lengths && !s.batchFirst && s.x.shape.length === 3)!;
    const m = fromCase(c);
    const x = toND(c.x);
    const zero = nd.zeros([c.numLayers * (c.bidirectional ? 2 : 1), x.shape[1]!, c.hiddenSize]);
    expectClose(runStack(m, x).out, runStack(m, x, zero, zero).out, { rtol: 0, atol: 0 });
  });
});

describe("gradients against finite differences (gradcheck, float64)", () => {
  it.each(["lstm", "gru"] as const)("%s: 2 layers, bidirectional, batchFirst: every parameter, the input and the initial state", (kind) => {
    const rs = new RandomState(kind === "lstm" ? 3 : 4);
    const m = makeStack(kind, 2, 2, { numLayers: 2, bidirectional: true, batchFirst: true, rng: rs });
    const x = ag.tensor(rs.randn(2, 3, 2));
    const h0 = ag.tensor(nd.mul(rs.randn(4, 2, 2), 0.5));
    const c0 = ag.tensor(nd.mul(rs.randn(4, 2, 2), 0.5));
    const [ro, rh, rc] = [rs.randn(2, 3, 4), rs.randn(4, 2, 2), rs.randn(4, 2, 2)];
    const inputs = kind === "lstm" ? [x, h0, c0] : [x, h0];
    const report = gradcheckWith(stackSlots(m), inputs, (xx, hh, cc) => {
      const r = runStack(m, xx!, hh, cc);
      const loss = project(r.out, ro).add(project(r.h, rh));
      return r.c ? loss.add(project(r.c, rc)) : loss;
    });
    expect(report.passed, report.toString()).toBe(true);
  });

  it.each(["lstm", "gru"] as const)("%s: with padded sequences (lengths), bidirectional", (kind) => {
    const rs = new RandomState(kind === "lstm" ? 5 : 6);
    const m = makeStack(kind, 2, 3, { bidirectional: true, rng: rs });
    const x = ag.tensor(rs.randn(4, 3, 2));
    const [ro, rh] = [rs.randn(4, 3, 6), rs.randn(2, 3, 3)];
    const report = gradcheckWith(stackSlots(m), [x], (xx) => {
      const r = runStack(m, xx!, undefined, undefined, { lengths: [4, 1, 2] });
      return project(r.out, ro).add(project(r.h, rh));
    });
    expect(report.passed, report.toString()).toBe(true);
  });

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
  const lengths = [5, 2, 3, 1];

  /**
   * The batch run with padding, and each sequence run alone over its real steps only (a batch
   * of one, no padding at all), with the same upstream gradients on the real positions.
   */
  function padVersusAlone(kind: "lstm" | "gru", seed: number) {
    const rs = new RandomState(seed);
    const [B, T, I, H, D] = [lengths.length, 5, 3, 2, 2];
    const m = makeStack(kind, I, H, { numLayers: 2, bidirectional: true, batchFirst: true, rng: rs });
    const xd = rs.randn(B, T, I);
    lengths.forEach((len, b) => xd.slice(b, [len, T]).assign(nd.mul(rs.randn(T - len, I), 100))); // loud padding
    const h0d = rs.randn(2 * D, B, H);
    const c0d = rs.randn(2 * D, B, H);
    const [ro, rh, rc] = [rs.randn(B, T, D * H), rs.randn(2 * D, B, H), rs.randn(2 * D, B, H)];
    const lossOf = (r: Run, o: NDArray, hh: NDArray, cc: NDArray) => {
      const l = project(r.out, o).add(project(r.h, hh));
      return r.c ? l.add(project(r.c, cc)) : l;
    };

    const x = ag.tensor(xd, { requiresGrad: true });
    const h0 = ag.tensor(h0d, { requiresGrad: true });
    const c0 = ag.tensor(c0d, { requiresGrad: true });
    const padded = runStack(m, x, h0, c0, { lengths });
    lossOf(padded, ro, rh, rc).backward();
    const paddedGrads = m.namedParameters().map(([n, p]) => [n, p.grad!.copy()] as const);
    m.zeroGrad();

    // alone: the parameter gradients accumulate over the sequences, as the batch's sum over b
    const alone = lengths.map((len, b) => {
      const xb = ag.tensor(xd.slice(b, [0, len]).unsqueeze(0).copy(), { requiresGrad: true });
      const hb = ag.tensor(h0d.slice(null, [b, b + 1]).copy(), { requiresGrad: true });
      const cb = ag.tensor(c0d.slice(null, [b, b + 1]).copy(), { requiresGrad: true });
      const r = runStack(m, xb, hb, cb);
      lossOf(r, ro.slice([b, b + 1], [0, len]), rh.slice(null, [b, b + 1]), rc.slice(null, [b, b + 1])).backward();
      return { r, xb, hb, cb };
    });
    return { m, B, T, x, h0, c0, padded, paddedGrads, alone };
  }

  it.each([["lstm", 8], ["gru", 9]] as const)("%s: padded steps change neither the outputs, the final state nor any gradient", (kind, seed) => {
    const { m, B, T, x, h0, c0, padded, paddedGrads, alone } = padVersusAlone(kind, seed);
    const tight = { rtol: 1e-12, atol: 1e-14 };
    for (let b = 0; b < B; b++) {
      const len = lengths[b]!;
      const { r, xb, hb, cb } = alone[b]!;
      expectClose(padded.out.data.slice(b, [0, len]), r.out.data.squeeze(0), tight, `output of sequence ${b}`);
      expect(padded.out.data.slice(b, [len, T]).toFlat().every((v) => v === 0), `padded outputs of sequence ${b} are 0`).toBe(true);
      // both directions' final states: the forward one after step len-1, the reverse one after step 0
      expectClose(padded.h.data.slice(null, b), r.h.data.squeeze(1), tight, `h_n of sequence ${b}`);
      if (padded.c) expectClose(padded.c.data.slice(null, b), r.c!.data.squeeze(1), tight, `c_n of sequence ${b}`);
      expectClose(x.grad!.slice(b, [0, len]), xb.grad!.squeeze(0), tight, `d/dx of sequence ${b}`);
      expect(x.grad!.slice(b, [len, T]).toFlat().every((v) => v === 0), `d/dx at padded steps of sequence ${b}`).toBe(true);
      expectClose(h0.grad!.slice(null, b), hb.grad!.squeeze(1), tight, `d/dh0 of sequence ${b}`);
      if (kind === "lstm") expectClose(c0.grad!.slice(null, b), cb.grad!.squeeze(1), tight, `d/dc0 of sequence ${b}`);
    }
    const aloneGrads = new Map(m.namedParameters().map(([n, p]) => [n, p.grad!]));
    for (const [n, g] of paddedGrads) expectClose(g, aloneGrads.get(n)!, { rtol: 1e-10, atol: 1e-13 }, `d/d${n}`);
  });

  it.each(["lstm", "gru"] as const)("%s: a mask gives what the lengths give, in either layout", (kind) => {
    const rs = new RandomState(10);
    const [B, T] = [3, 4];
    const lens = [4, 1, 3];
    const maskBT = nd.zeros([B, T]);
    lens.forEach((len, b) => maskBT.slice(b, [0, len]).fill(1));
    for (const batchFirst of [true, false]) {
      const m = makeStack(kind, 2, 3, { bidirectional: true, numLayers: 2, batchFirst, rng: rs });
      const xd = batchFirst ? rs.randn(B, T, 2) : rs.randn(T, B, 2);
      const go = (opt: SequenceOptions) => {
        const x = ag.tensor(xd, { requiresGrad: true });
        m.zeroGrad();
        const r = runStack(m, x, undefined, undefined, opt);
        project(r.out, nd.onesLike(r.out.data)).add(r.h.sum()).backward();
        return [r.out.data, r.h.data, x.grad!, ...m.parameters().map((p) => p.grad!)];
      };
      const byLengths = go({ lengths: lens });
      const mask = batchFirst ? maskBT : maskBT.T.copy();
      for (const mk of [mask, nd.ne(mask, 0)]) {
        const byMask = go({ mask: mk });
        byMask.forEach((a, i) => expectClose(a, byLengths[i]!, { rtol: 0, atol: 0 }, `${batchFirst ? "(B, T)" : "(T, B)"} mask, item ${i}`));
      }
    }
  });

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

  it("forgetBias = b with zero weights makes the forget gate sigmoid(b): c' = sigmoid(b) c", () => {
    const cell = new LSTMCell(2, 3, { forgetBias: 1 });
    for (const p of cell.parameters()) p.data.fill(0);
    cell.bias_ih!.data.slice([3, 6]).fill(1);
    // i = sigmoid(0), g = tanh(0) = 0: c' = f c
    const c = new RandomState(12).randn(4, 3);
    const [, c2] = cell.forward(nd.ones([4, 2]), [nd.zeros([4, 3]), c]);
    expectClose(c2, nd.mul(c, 1 / (1 + Math.exp(-1))), { rtol: 1e-15, atol: 0 });
  });

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

describe("the notebook's layout", () => {
  const nb = ref.notebookCell;
  const params = () => Object.fromEntries(Object.entries(nb.params).map(([k, v]) => [k, toND(v)])) as unknown as NotebookParams;

  it("fromNotebookParams: the cell computes the notebook's a_next, c_next (examples as columns there, rows here)", () => {
    const cell = LSTMCell.fromNotebookParams(params());
    const [h, c] = cell.forward(toND(nb.xt).T, [toND(nb.a_prev).T, toND(nb.c_prev).T]);
    expectClose(h.data.T, toND(nb.a_next), undefined, "a_next");
    expectClose(c.data.T, toND(nb.c_next), undefined, "c_next");
  });

  it("toNotebookParams inverts fromNotebookParams exactly; the other way round folds bias_hh into the one bias", () => {
    const p = params();
    const back = LSTMCell.fromNotebookParams(p).toNotebookParams();
    for (const k of Object.keys(p) as (keyof NotebookParams)[]) {
      expect(back[k].shape, k).toEqual(p[k].shape);
      expect(back[k].toFlat(), k).toEqual(p[k].toFlat());
    }
    const cell = new LSTMCell(3, 5, { rng: new RandomState(14) });
    const again = LSTMCell.fromNotebookParams(cell.toNotebookParams());
    expect(again.weight_ih.data.toFlat()).toEqual(cell.weight_ih.data.toFlat());
    expect(again.weight_hh.data.toFlat()).toEqual(cell.weight_hh.data.toFlat());
    expect(again.bias_ih!.data.toFlat()).toEqual(nd.add(cell.bias_ih!.data, cell.bias_hh!.data).toFlat());
    expect(again.bias_hh!.data.toFlat().every((v) => v === 0)).toBe(true);
    const x = new RandomState(15).randn(2, 3);
    expectClose(again.forward(x)[0], cell.forward(x)[0], { rtol: 1e-14, atol: 1e-16 });
  });

  it("notebookGrads: the gradient with respect to each notebook weight, as finite differences on those weights say", () => {
    const p = params();
    const x = toND(nb.xt).T;
    const [a0, c0] = [toND(nb.a_prev).T, toND(nb.c_prev).T];
    const rs = new RandomState(16);
    const [rh, rc] = [rs.randn(...a0.shape), rs.randn(...c0.shape)];
    const loss = (cell: LSTMCell) => {
      const [h, c] = cell.forward(x, [a0, c0]);
      return project(h, rh).add(project(c, rc));
    };
    const cell = LSTMCell.fromNotebookParams(p);
    loss(cell).backward();
    const g = cell.notebookGrads();
    const eps = 1e-6;
    for (const k of Object.keys(p) as (keyof NotebookParams)[]) {
      const fd = ag.centralDifferences(() => ag.noGrad(() => loss(LSTMCell.fromNotebookParams(p)).item()), p[k], eps);
      expectClose(g[k], fd, { rtol: 1e-6, atol: 1e-8 }, `d/d${k}`);
    }
    expect(() => new LSTMCell(2, 2).notebookGrads()).toThrow(/run backward first/);
  });
});
