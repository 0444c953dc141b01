// LSTMCell: one step against real PyTorch 1.13's nn.LSTMCell (data/make-recurrent-reference.py);
// forgetBias; the notebook's weight layout (fromNotebookParams, toNotebookParams, notebookGrads)
// against the notebook's own equations and finite differences. Tests that exercise LSTMCell
// together with LSTM or GRUCell are in recurrent.test.ts; the three witnesses (tape, closed form,
// finite differences) in witnesses.test.ts.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { LSTMCell, type NotebookParams } from "@tapegrad/nn";
import { expectClose, project, ref, stateDictOf, toND, type CellCase } from "./module-helpers.js";

describe("forward against PyTorch's numbers", () => {
  it.each(ref.cells.filter((c) => c.kind === "lstm"))("$name", (c: CellCase) => {
    const x = toND(c.x);
    const cell = new LSTMCell(c.inputSize, c.hiddenSize);
    cell.loadStateDict(stateDictOf(c.params));
    const [h, cc] = cell.forward(x, [toND(c.h), toND(c.c!)]);
    expectClose(h, toND(c.h_next), undefined, "h'");
    expectClose(cc, toND(c.c_next!), undefined, "c'");
  });
});

describe("options", () => {
  it("forgetBias = b with zero weights makes the forget gate sigmoid(b): c' = sigmoid(b) c", () => {
    const cell = new LSTMCell(2, 3, { forgetBias: 1 });
    for (const p of cell.parameters()) p.data.fill(0);
    cell.bias_ih!.data.slice([3, 6]).fill(1);
    // i = sigmoid(0), g = tanh(0) = 0: c' = f c
    const c = new RandomState(12).randn(4, 3);
    const [, c2] = cell.forward(nd.ones([4, 2]), [nd.zeros([4, 3]), c]);
    expectClose(c2, nd.mul(c, 1 / (1 + Math.exp(-1))), { rtol: 1e-15, atol: 0 });
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
