// errorGrid folds one pair's |a - b| by max onto the axes asked for; heatmapSvg draws one cell
// per grid value. The expected grids are computed here by direct loops over the arrays.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { compareDerivatives, mul, sum } from "@tapegrad/autograd";
import { errorGrid, heatmapSvg } from "./heatmap.js";

// L = sum(w * x^2): dx = 2 w x; manual doubles it at every [i, j, 1], so the error is |2 w x| there
const rs = new nd.RandomState(2);
const x = rs.randn(2, 3, 4);
const w = rs.randn(2, 3, 4);
const report = compareDerivatives(
  ({ x, w }) => sum(mul(w, mul(x, x))),
  ({ x, w }) => {
    const dx = nd.mul(nd.mul(x, w), 2);
    dx.slice(null, null, 1).assign(nd.mul(dx.slice(null, null, 1), 2));
    return { x: dx, w: nd.mul(x, x) };
  },
  { x, w },
  { maxFdEntries: 6 },
);
const entry = report.inputs[0]!;

describe("errorGrid and heatmapSvg", () => {
  it("folds by max onto two axes, and onto one", () => {
    const g = errorGrid(entry, "tapeVsManual", [1, 2]);
    expect(g.axes).toEqual([1, 2]);
    expect(g.values.length).toBe(3);
    for (let j = 0; j < 3; j++) {
      for (let t = 0; t < 4; t++) {
        const want = Math.max(...[0, 1].map((i) => Math.abs(entry.tape.get(i, j, t) - entry.manual!.get(i, j, t))));
        expect(g.values[j]![t]).toBe(want);
        if (t !== 1) expect(want).toBe(0);
      }
    }
    const one = errorGrid(entry, "tapeVsManual", [2]);
    expect(one.axes).toEqual([2, null]);
    expect(one.values.length).toBe(1);
    expect(one.values[0]).toEqual([0, 1, 2, 3].map((t) => Math.max(...g.values.map((row) => row[t]!))));
  });

  it("leaves cells without a sampled finite difference as NaN, drawn grey", () => {
    const g = errorGrid(entry, "tapeVsFd", [0, 1]);
    const sampled = new Set(entry.sampled!.map(([i, j]) => `${i},${j}`));
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(Number.isNaN(g.values[i]![j]!)).toBe(!sampled.has(`${i},${j}`));
    const svg = heatmapSvg(g, { title: "t < & >" });
    expect(svg).toContain("t &lt; &amp; &gt;");
    expect([...svg.matchAll(/<rect class="cell"/g)].length).toBe(6);
    expect([...svg.matchAll(/fill="#dddddd"/g)].length).toBe(6 - sampled.size);
  });

  it("refuses a pair the entry lacks and an axis it does not have", () => {
    const missing = compareDerivatives(([x]) => sum(x!), () => [], [x]).inputs[0]!;
    expect(() => errorGrid(missing, "tapeVsManual", [0])).toThrow(/has no manual gradient/);
    expect(() => errorGrid(entry, "tapeVsManual", [3])).toThrow(/axis 3 is not an axis/);
  });
});
