// The course notebook's own numbers (../shared/seed/lstm-from-scratch-notebook.txt): both example
// cells reproduced with RandomState(1) in the notebook's drawing order, the printed forward
// values matched to the printed precision, and every printed gradient held against three
// witnesses (the closed form, central finite differences, a tape LSTM of autograd primitives)
// and against a reproduction of the notebook's backward as it is written, bug included.
//
// docs/notebook.md carries the table this file computes. Regenerate it after a change with
//     UPDATE_NOTEBOOK_DOC=1 npx vitest run packages/nn/test/notebook.test.ts

import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import type { Tensor } from "@tapegrad/autograd";
import {
  lstmBackward,
  lstmCellBackward,
  lstmForward,
  type LSTMCaches,
  type LSTMGradients,
  type LSTMParameters,
} from "../src/closed-form.js";

// ---------------------------------------------------------------- what the notebook printed

/** Cell 2's output as the notebook shows it (the page cuts the print of caches[0] short). */
const PRINTED_CELL2 = `(5, 10, 7)
(2, 10, 7)
(5, 10, 7)
[[array([[-9.33678954e-02, -9.94427536e-03, -6.89604887e-01,
         8.02285664e-05,  2.64105714e-03, -7.16370282e-01,
         1.09448250e-01, -4.26364353e-03,  3.91304859e-01,
         4.95836794e-02],
       [-4.44388117e-02, -9.99951099e-02,  7.46237646e-01,
         5.39692846e-03, -1.41244687e-02,  6.66375788e-02,
        -9.14219442e-03,  6.27036212e-02,  4.71265675e-04,
         1.61618387e-01],
       [ 3.41927573e-05,  1.01274129e-01,  1.24706965e-04,
        -1.18058078e-01, -2.03633470e-01,  4.49525468e-04,
        -6.32216789e-01, -4.89184968e-02, -5.63963319e-01,
         5.91721790e-02],
       [ 6.85612578e-01,  1.52796322e-02,  7.53701290e-01,
         6.64597075e-01,  1.63649743e-04, -5.55934368e-01,
        -1.26292382e-04,  7.29775370e-02, -1.23973124e-02,
         1.08059007e-01],
       [ 7.83827844e-04,  1.40913141e-01,  2.53684278e-08,
         1.19680515e-01,  5.42610667e-01,  4.76839380e-06,
         1.74401804e-02,  1.7730957`;

/** Cell 4's output, whole. */
const PRINTED_CELL4 = `gradients["dx"][1][2] = [-0.00173313  0.08287442 -0.30545663 -0.43281115]
gradients["dx"].shape = (3, 10, 4)
gradients["da0"][2][3] = -0.09591150195400468
gradients["da0"].shape = (5, 10)
gradients["dWf"][3][1] = -0.06981985612744009
gradients["dWf"].shape = (5, 8)
gradients["dWi"][1][2] = 0.10237182024854774
gradients["dWi"].shape = (5, 8)
gradients["dWc"][3][1] = -0.06249837949274524
gradients["dWc"].shape = (5, 8)
gradients["dWo"][1][2] = 0.04843891314443013
gradients["dWo"].shape = (5, 8)
gradients["dbf"][4] = [-0.0565788]
gradients["dbf"].shape = (5, 1)
gradients["dbi"][4] = [-0.15399065]
gradients["dbi"].shape = (5, 1)
gradients["dbc"][4] = [-0.29691142]
gradients["dbc"].shape = (5, 1)
gradients["dbo"][4] = [-0.29798344]
gradients["dbo"].shape = (5, 1)`;

type GradName = "dx" | "da0" | "dWf" | "dbf" | "dWi" | "dbi" | "dWc" | "dbc" | "dWo" | "dbo";

/** One printed number: where it sits, the text printed, and how many decimals that text carries. */
interface PrintedValue {
  name: GradName;
  index: number[];
  text: string;
  /** half a unit in the last printed place: "to the printed digits" means within this */
  halfUlp: number;
  /** printed as numpy's full repr (17 significant digits) rather than an array entry (8 decimals) */
  fullRepr: boolean;
}

function parsePrintedGradients(text: string): { values: PrintedValue[]; shapes: Record<string, number[]> } {
  const values: PrintedValue[] = [];
  const shapes: Record<string, number[]> = {};
  for (const line of text.split("\n")) {
    const shape = /^gradients\["(\w+)"\]\.shape = \(([\d, ]+)\)$/.exec(line);
    if (shape) {
      shapes[shape[1]!] = shape[2]!.split(",").map(Number);
      continue;
    }
    const m = /^gradients\["(\w+)"\]((?:\[\d+\])+) = (.*)$/.exec(line);
    if (!m) throw new Error(`unparsed line: ${line}`);
    const name = m[1] as GradName;
    const index = [...m[2]!.matchAll(/\d+/g)].map((v) => Number(v[0]));
    const rhs = m[3]!;
    const decimals = (s: string) => s.split(".")[1]!.length;
    if (rhs.startsWith("[")) {
      // an array printed by numpy: 8 decimals, trailing zeros dropped
      rhs.slice(1, -1).trim().split(/\s+/).forEach((s, k) => {
        values.push({ name, index: [...index, k], text: s, halfUlp: 0.5 * 10 ** -decimals(s), fullRepr: false });
      });
    } else {
      values.push({ name, index, text: rhs, halfUlp: 0.5 * 10 ** -decimals(rhs), fullRepr: true });
    }
  }
  return { values, shapes };
}

const PRINTED = parsePrintedGradients(PRINTED_CELL4);
const label = (v: { name: string; index: number[] }) => `${v.name}${v.index.map((i) => `[${i}]`).join("")}`;

// ---------------------------------------------------------------- the notebook's reference data

interface Flat {
  shape: number[];
  values: number[];
}
const REF = JSON.parse(readFileSync(new URL("./data/notebook-reference.json", import.meta.url), "utf8")) as {
  meta: Record<string, string>;
  cell2: { a: Flat; y: Flat; c: Flat; x: Flat; a_init: Flat; printed: string; rerun: string };
  cell4: { da: Flat; gradients: Record<GradName, Flat>; printed: string; rerun: string };
};

// ---------------------------------------------------------------- the two cells, in the notebook's order

/** Cell 2: seed 1, then x, a_init, Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by (Wo before Wc). */
function cell2() {
  const rs = new RandomState(1);
  const x = rs.randn(3, 10, 7);
  const a_init = rs.randn(5, 10);
  const Wf = rs.randn(5, 5 + 3), bf = rs.randn(5, 1);
  const Wi = rs.randn(5, 5 + 3), bi = rs.randn(5, 1);
  const Wo = rs.randn(5, 5 + 3), bo = rs.randn(5, 1);
  const Wc = rs.randn(5, 5 + 3), bc = rs.randn(5, 1);
  const Wy = rs.randn(2, 5), by = rs.randn(2, 1);
  const parameters: LSTMParameters = { Wf, Wi, Wo, Wc, Wy, bf, bi, bo, bc, by };
  return { x, a_init, parameters, ...lstmForward(x, a_init, parameters) };
}

/**
 * Cell 4: seed 1 again and the same draws up to bc, but not Wy and by (it reuses cell 2's), so
 * da = randn(5, 10, 4) comes from the stream right after bc. da covers 4 of x's 7 steps.
 */
function cell4(fromCell2: LSTMParameters) {
  const rs = new RandomState(1);
  const x = rs.randn(3, 10, 7);
  const a0 = rs.randn(5, 10);
  const Wf = rs.randn(5, 5 + 3), bf = rs.randn(5, 1);
  const Wi = rs.randn(5, 5 + 3), bi = rs.randn(5, 1);
  const Wo = rs.randn(5, 5 + 3), bo = rs.randn(5, 1);
  const Wc = rs.randn(5, 5 + 3), bc = rs.randn(5, 1);
  const parameters: LSTMParameters = { Wf, Wi, Wo, Wc, Wy: fromCell2.Wy!, bf, bi, bo, bc, by: fromCell2.by! };
  const fwd = lstmForward(x, a0, parameters);
  const da = rs.randn(5, 10, 4);
  return { x, a0, parameters, da, ...fwd };
}

// ---------------------------------------------------------------- the notebook's backward, as written

/**
 * REPRODUCTION OF THE NOTEBOOK'S BUG, kept here to explain its printed numbers; not a backward
 * pass, and not in the library. It follows the notebook's lstm_backward line for line in what
 * it does: the number of steps comes from da (so dx has da's time length), the loop walks
 * t = T_da-1 .. 0 pairing da[:,:,t] with caches[t], each step is differentiated with
 * da[:,:,t] + da_prevt and dc_prevt, and the gradient for a0 is the last step's da_prev. But
 * da_prevt and dc_prevt are set to zeros before the loop and never assigned again, so no step
 * hears from the steps after it. `carry: true` adds the two missing assignments.
 * The single-step backward is lstmCellBackward: the notebook's lstm_cell_backward computes the
 * same thing (its formulas are the chain rule above; closed-form.test.ts checks that step
 * against finite differences), so the loop is where every difference comes from.
 */
function notebookBackwardAsWritten(da: NDArray, caches: LSTMCaches, { carry = false } = {}): Record<GradName, NDArray> {
  const [steps] = caches;
  const [nA, m, Tx] = da.shape as [number, number, number]; // the notebook's "n_a, m, T_x = da.shape"
  const nX = steps[0]!.xt.shape[0]!;
  const dx = nd.zeros([nX, m, Tx]);
  let daPrevt = nd.zeros([nA, m]);
  let dcPrevt = nd.zeros([nA, m]);
  const sums: Record<string, NDArray> = {};
  for (const k of ["f", "i", "c", "o"]) {
    sums[`dW${k}`] = nd.zeros([nA, nA + nX]);
    sums[`db${k}`] = nd.zeros([nA, 1]);
  }
  let last: ReturnType<typeof lstmCellBackward> | null = null;
  for (let t = Tx - 1; t >= 0; t--) {
    const g = lstmCellBackward(da.slice(null, null, t).add(daPrevt), dcPrevt, steps[t]!);
    dx.slice(null, null, t).assign(g.dxt);
    for (const k of Object.keys(sums)) sums[k] = sums[k]!.add(g[k as "dWf"]);
    if (carry) {
      daPrevt = g.da_prev;
      dcPrevt = g.dc_prev;
    }
    last = g;
  }
  return { dx, da0: last!.da_prev, ...(sums as Record<"dWf" | "dbf" | "dWi" | "dbi" | "dWc" | "dbc" | "dWo" | "dbo", NDArray>) };
}

// ---------------------------------------------------------------- the witnesses at the printed entries

const C2 = cell2();
const C4 = cell4(C2.parameters);
const TDA = C4.da.shape[2]!;
const CORRECT: LSTMGradients = lstmBackward(C4.da, C4.caches);
const AS_WRITTEN = notebookBackwardAsWritten(C4.da, C4.caches);

/** L = Σ_{t < 4} sum(da[:,:,t] * a[:,:,t]) for the cell's inputs with one entry moved. */
function loss(x: NDArray, a0: NDArray, p: LSTMParameters): number {
  const { a } = lstmForward(x, a0, p);
  return a.slice(null, null, [0, TDA]).mul(C4.da).sum().item();
}

/** h: at 1e-6 rounding in the 200-term loss costs ~1e-8 absolute; at 1e-5 both errors stay near 2e-8 relative. */
const H = 1e-5;
/** Central difference in one entry of x, a0 or a parameter, in float64. */
function finiteDifference(name: GradName, index: number[]): number {
  const shift = (d: number) => {
    const x = C4.x.copy();
    const a0 = C4.a0.copy();
    const p = { ...C4.parameters };
    const target = name === "dx" ? x : name === "da0" ? a0 : (p[name.slice(1) as "Wf"] = p[name.slice(1) as "Wf"].copy());
    target.set(index, target.get(...index) + d);
    return loss(x, a0, p);
  };
  return (shift(H) - shift(-H)) / (2 * H);
}

/** The tape's gradients: the LSTM composed of autograd primitives, backward through the recorded graph. */
function tapeGradients(): Record<GradName, NDArray> {
  const leaf = (v: NDArray) => ag.tensor(v, { requiresGrad: true });
  const x = leaf(C4.x);
  const a0 = leaf(C4.a0);
  const p: Record<string, Tensor> = {};
  for (const k of ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"] as const) p[k] = leaf(C4.parameters[k]);
  let a: Tensor = a0;
  let c: Tensor = ag.tensor(nd.zeros([5, 10]));
  const as: Tensor[] = [];
  for (let t = 0; t < 7; t++) {
    const z = ag.concat([a, ag.slice(x, [null, null, t])], 0);
    const gate = (g: string) => ag.add(ag.matmul(p[`W${g}`]!, z), p[`b${g}`]!);
    const f = ag.sigmoid(gate("f")), i = ag.sigmoid(gate("i")), g = ag.tanh(gate("c")), o = ag.sigmoid(gate("o"));
    c = ag.add(ag.mul(f, c), ag.mul(i, g));
    a = ag.mul(o, ag.tanh(c));
    as.push(a);
  }
  ag.sum(ag.mul(ag.slice(ag.stack(as, 2), [null, null, [0, TDA]]), ag.tensor(C4.da))).backward();
  const out = { dx: x.grad!, da0: a0.grad! } as Record<GradName, NDArray>;
  for (const k of ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"] as const) out[`d${k}`] = p[k]!.grad!;
  return out;
}
const TAPE = tapeGradients();

interface Row {
  printed: PrintedValue;
  asWritten: number;
  closedForm: number;
  finiteDiff: number;
  tape: number;
}
const ROWS: Row[] = PRINTED.values.map((pv) => ({
  printed: pv,
  asWritten: AS_WRITTEN[pv.name].get(...pv.index),
  closedForm: CORRECT[pv.name].get(...pv.index),
  finiteDiff: finiteDifference(pv.name, pv.index),
  tape: TAPE[pv.name].get(...pv.index),
}));

/** Whether a value shows as the printed text, to the printed digits. */
function matchesPrinted(v: number, pv: PrintedValue): boolean {
  // A full repr is the shortest text that names the notebook's double. Another machine (another
  // BLAS, another summation order) lands a few ulps away: numpy 2.4.6 here prints dWf[3][1] as
  // -0.06981985612744011 where the notebook shows ...09. So for those, 15 significant digits.
  const tol = pv.fullRepr ? 1e-15 * Math.abs(Number(pv.text)) : pv.halfUlp * (1 + 1e-9);
  return Math.abs(v - Number(pv.text)) <= tol;
}

// ---------------------------------------------------------------- tests

describe("the notebook's cell 2 (forward)", () => {
  it("prints the shapes and the start of caches[0] exactly as the notebook does", () => {
    const py = (s: readonly number[]) => `(${s.join(", ")})`;
    const [steps] = C2.caches;
    // print(caches[0]): the list of step caches, whose first entry starts with a_next of step 0
    const text = `${py(C2.a.shape)}\n${py(C2.y!.shape)}\n${py(C2.c.shape)}\n[[${nd.formatRepr(steps[0]!.aNext)}`;
    expect(text.startsWith(PRINTED_CELL2)).toBe(true);
  });

  it("matches each printed entry of a_next at step 0 to its 9 significant digits (and the cut-off one to its 8)", () => {
    const shown = [...PRINTED_CELL2.matchAll(/-?\d\.\d{8}e[+-]\d\d/g)].map((m) => m[0]);
    expect(shown.length).toBe(47);
    const ours = C2.caches[0][0]!.aNext.toFlat();
    const numpyStyle = (v: number) => v.toExponential(8).replace(/e([+-])(\d)$/, "e$10$2");
    shown.forEach((s, k) => expect(numpyStyle(ours[k]!), `entry ${k}`).toBe(s));
    expect(numpyStyle(ours[47]!).startsWith("1.7730957")).toBe(true);
    // a_next of step 0 is a[:, :, 0]
    expect(C2.a.slice(null, null, 0).toFlat()).toEqual(ours);
  });

  it("agrees with the notebook's code run by numpy, in full (a, y, c)", () => {
    expect(C2.x.toFlat()).toEqual(REF.cell2.x.values);
    for (const k of ["a", "y", "c"] as const) {
      const ours = k === "y" ? C2.y! : C2[k];
      expect(ours.shape).toEqual(REF.cell2[k].shape);
      const d = Math.max(...ours.toFlat().map((v, p) => Math.abs(v - REF.cell2[k].values[p]!)));
      expect(d, k).toBeLessThan(1e-14);
    }
    expect(REF.cell2.printed).toBe(PRINTED_CELL2);
  });
});

describe("the notebook's cell 4 (backward)", () => {
  it("draws da from the stream right after bc (Wy, by are reused, not redrawn)", () => {
    expect(C4.da.toFlat()).toEqual(REF.cell4.da.values);
    expect(C4.x.toFlat()).toEqual(C2.x.toFlat());
    expect(C4.a0.toFlat()).toEqual(C2.a_init.toFlat());
  });

  it("prints what the notebook's backward as written computes: every printed number, to the printed digits", () => {
    for (const r of ROWS) expect(matchesPrinted(r.asWritten, r.printed), `${label(r.printed)}: ${r.asWritten} vs printed ${r.printed.text}`).toBe(true);
    for (const [name, shape] of Object.entries(PRINTED.shapes)) expect(AS_WRITTEN[name as GradName].shape, name).toEqual(shape);
    // and every entry, printed or not, is what numpy computes running the notebook's code
    for (const [name, ref] of Object.entries(REF.cell4.gradients)) {
      const ours = AS_WRITTEN[name as GradName];
      expect(ours.shape).toEqual(ref.shape);
      const d = Math.max(...ours.toFlat().map((v, p) => Math.abs(v - ref.values[p]!)));
      expect(d, name).toBeLessThan(1e-14);
    }
    expect(REF.cell4.printed).toBe(PRINTED_CELL4);
  });

  it("the three witnesses agree: closed form = tape to 1e-12, both = finite differences to 1e-7 relative", () => {
    for (const r of ROWS) {
      const scale = Math.max(Math.abs(r.finiteDiff), 1e-3);
      expect(Math.abs(r.closedForm - r.tape), label(r.printed)).toBeLessThan(1e-12);
      expect(Math.abs(r.closedForm - r.finiteDiff) / scale, label(r.printed)).toBeLessThan(1e-7);
    }
    // whole arrays, not just the printed entries
    for (const k of Object.keys(TAPE) as GradName[]) {
      const d = Math.max(...CORRECT[k].toFlat().map((v, p) => Math.abs(v - TAPE[k].toFlat()[p]!)));
      expect(d, k).toBeLessThan(1e-12);
    }
  });

  it("the printed numbers disagree with the witnesses, except dx[1][2][3], the last step da reaches", () => {
    const agreeing = ROWS.filter((r) => matchesPrinted(r.closedForm, r.printed)).map((r) => label(r.printed));
    expect(agreeing).toEqual(["dx[1][2][3]"]);
    // shapes: only dx differs, (3, 10, 4) printed, x's (3, 10, 7) here, zero past step 3
    expect(PRINTED.shapes.dx).toEqual([3, 10, 4]);
    expect(CORRECT.dx.shape).toEqual([3, 10, 7]);
    expect(CORRECT.dx.slice(null, null, [TDA, 7]).abs().max().item()).toBe(0);
    for (const k of ["da0", "dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc", "dbo"] as const) expect(CORRECT[k].shape).toEqual(PRINTED.shapes[k]);
  });

  it("the missing carry is the whole numerical difference: the notebook's loop with it gives the closed form", () => {
    const fixed = notebookBackwardAsWritten(C4.da, C4.caches, { carry: true });
    for (const k of Object.keys(fixed) as GradName[]) {
      const want = k === "dx" ? CORRECT.dx.slice(null, null, [0, TDA]) : CORRECT[k];
      const d = Math.max(...fixed[k].toFlat().map((v, p) => Math.abs(v - want.toFlat()[p]!)));
      expect(d, k).toBeLessThan(1e-14);
    }
  });

  // With UPDATE_NOTEBOOK_DOC set, the table is written instead of checked: the check is skipped.
  const updating = Boolean(process.env.UPDATE_NOTEBOOK_DOC);
  const docParts = () => {
    const docUrl = new URL("../docs/notebook.md", import.meta.url);
    const doc = readFileSync(docUrl, "utf8");
    const [start, end] = ["<!-- notebook-table:start -->", "<!-- notebook-table:end -->"];
    const i = doc.indexOf(start);
    const j = doc.indexOf(end);
    expect(i >= 0 && j > i, "docs/notebook.md has the table markers").toBe(true);
    return { docUrl, doc, i: i + start.length, j };
  };

  it.skipIf(updating)(`docs/notebook.md carries the table computed here${updating ? " (skipped: UPDATE_NOTEBOOK_DOC rewrites it instead)" : ""}`, () => {
    const { doc, i, j } = docParts();
    const table = renderTable();
    expectSameTable(doc.slice(i, j).trim(), table.trim());
  });

  it.runIf(updating)("UPDATE_NOTEBOOK_DOC: writes the table computed here into docs/notebook.md", () => {
    const { docUrl, doc, i, j } = docParts();
    writeFileSync(docUrl, `${doc.slice(0, i)}\n${renderTable()}\n${doc.slice(j)}`);
  });
});

// ---------------------------------------------------------------- the table for docs/notebook.md

function fmt(v: number): string {
  return v === 0 ? "0" : v.toPrecision(10);
}

function renderTable(): string {
  const lines = [
    "| entry | notebook prints | as written, reproduced | closed form | finite differences | tape (primitives) | printed = correct? |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of ROWS) {
    const ok = matchesPrinted(r.closedForm, r.printed) ? "yes" : "no";
    lines.push(`| ${label(r.printed)} | ${r.printed.text} | ${String(r.asWritten)} | ${fmt(r.closedForm)} | ${fmt(r.finiteDiff)} | ${fmt(r.tape)} | ${ok} |`);
  }
  return lines.join("\n");
}

/** Text cells equal; numeric cells equal to 1e-8 relative (finite differences may move in the 10th digit elsewhere). */
function expectSameTable(got: string, want: string): void {
  const hint = "regenerate with UPDATE_NOTEBOOK_DOC=1 npx vitest run packages/nn/test/notebook.test.ts";
  const g = got.split("\n");
  const w = want.split("\n");
  expect(g.length, hint).toBe(w.length);
  g.forEach((line, k) => {
    const a = line.split("|").map((s) => s.trim());
    const b = w[k]!.split("|").map((s) => s.trim());
    expect(a.length, hint).toBe(b.length);
    a.forEach((cell, n) => {
      const x = Number(cell);
      const y = Number(b[n]);
      if (cell !== "" && Number.isFinite(x) && Number.isFinite(y)) {
        expect(Math.abs(x - y) / Math.max(Math.abs(y), 1e-3), `${hint}: row ${k} column ${n}`).toBeLessThan(1e-8);
      } else {
        expect(cell, `${hint}: row ${k} column ${n}`).toBe(b[n]);
      }
    });
  });
}
