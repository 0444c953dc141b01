// The playground's "your derivation" view, in Node: the notebook's lstm_cell_backward agrees
// with the tape and finite differences at every watched node and input; its lstm_backward as
// printed has da_next[T-2] as its first wrong node, read from the last step's gate gradients.
// The notebook's cell is also held against the closed form of packages/nn, an independent writing.

import { describe, expect, it } from "vitest";
import { RandomState } from "@tapegrad/tensor";
import { lstmCellBackward, lstmForward, type LSTMParameters } from "@tapegrad/nn";
import { cellDerivation, notebookCellBackward, sequenceDerivation } from "./derivation.js";

describe("your derivation", () => {
  it("lstm_cell_backward: every node and input agrees", () => {
    const v = cellDerivation(1);
    expect(v.firstWrong).toBeNull();
    expect(v.rows.filter((r) => r.kind === "node").map((r) => r.name)).toEqual(["dot", "dcct", "dit", "dft"]);
    for (const r of v.rows) expect(r.agree, `${r.name}: ${r.verdict}`).toBe(true);
    expect(v.story).toMatch(/every one of the 4 watched nodes agrees/);
  });

  it.each([5, 7])("lstm_backward as printed (T = %i): the first wrong node is da_next[T-2]", (T) => {
    const v = sequenceDerivation(1, T);
    expect(v.firstWrong?.name).toBe(`da_next[${T - 2}]`);
    const last = T - 1;
    expect(v.firstWrong?.agreeing).toEqual([`da_next[${last}]`, `dot[${last}]`, `dcct[${last}]`, `dit[${last}]`, `dft[${last}]`]);
    expect([...v.firstWrong!.neighbours].sort()).toEqual([`dcct[${last}]`, `dft[${last}]`, `dit[${last}]`, `dot[${last}]`]);
    expect(v.rows.filter((r) => r.firstWrong).map((r) => r.name)).toEqual([`da_next[${T - 2}]`]);
    expect(v.story).toMatch(new RegExp(`^da_next\\[${T - 2}\\] is the first wrong node`));
  });

  it("the notebook's cell, transcribed here, equals packages/nn's closed form", () => {
    const rs = new RandomState(4);
    const p = {} as LSTMParameters;
    for (const g of ["f", "i", "c", "o"]) Object.assign(p, { [`W${g}`]: rs.randn(4, 7), [`b${g}`]: rs.randn(4, 1) });
    const { caches } = lstmForward(rs.randn(3, 6, 1), rs.randn(4, 6), p, { c0: rs.randn(4, 6) });
    const da = rs.randn(4, 6), dc = rs.randn(4, 6);
    const mine = notebookCellBackward(da, dc, caches[0][0]!);
    const theirs = lstmCellBackward(da, dc, caches[0][0]!);
    for (const k of ["dxt", "da_prev", "dc_prev", "dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc", "dbo"] as const) {
      const a = mine[k].toFlat(), b = (theirs as unknown as Record<string, { toFlat(): number[] }>)[k]!.toFlat();
      a.forEach((x, i) => expect(Math.abs(x - b[i]!), k).toBeLessThan(1e-12));
    }
  });
});
