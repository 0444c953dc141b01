// The compare example, run in-process with small sizes: for each model the three witnesses
// agree (tape = closed form to 1e-9 relative, both = finite differences to 1e-5), the table
// says so, and the picture of one LSTM step names its ops and parameters, in DOT and in SVG.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as nd from "@tapegrad/tensor";
import { main, difference, lstmStepDot, type CompareResult } from "./main.js";

async function run(argv: string[]): Promise<{ out: string; result: CompareResult }> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
  const result = await main(argv);
  return { out: lines.join("\n"), result };
}

afterEach(() => vi.restoreAllMocks());

function expectAgreement(result: CompareResult, names: string[]): void {
  expect(result.rows.map((r) => r.name)).toEqual(names);
  for (const r of result.rows) {
    expect(r.tapeVsClosed, r.name).not.toBeNull();
    expect(r.tapeVsClosed!.rel, r.name).toBeLessThan(1e-9);
    expect(r.tapeVsFd.rel, r.name).toBeLessThan(1e-5);
    expect(r.closedVsFd!.rel, r.name).toBeLessThan(1e-5);
  }
  expect(result.worst.tapeVsClosed).toBeLessThan(1e-9);
  expect(result.worst.vsFd).toBeLessThan(1e-5);
}

/** The table row for a gradient: its numeric cells, as printed. */
function printedRow(out: string, name: string): number[] {
  const line = out.split("\n").find((l) => l.trim().startsWith(name + " "));
  expect(line, name).toBeDefined();
  return line!.trim().split(/\s+/).slice(-6).map(Number);
}

const GATE_ROWS = ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"];

describe("examples/compare", () => {
  it("lstm-cell: tape, lstmCellBackward and finite differences agree, and the table prints it", async () => {
    const { out, result } = await run(["--model", "lstm-cell", "--no-graph", "--input", "2", "--hidden", "3", "--batch", "2", "--seed", "4"]);
    expectAgreement(result, ["xt", "a_prev", "c_prev", ...GATE_ROWS]);
    expect(result.rows.find((r) => r.name === "Wf")!.shape).toEqual([3, 5]);
    for (const r of result.rows) {
      const cells = printedRow(out, r.name);
      expect(cells.every(Number.isFinite), r.name).toBe(true);
      expect(cells[1]!, r.name).toBeLessThan(1e-9); // tape vs closed form, max rel
      expect(cells[3]!, r.name).toBeLessThan(1e-5); // tape vs finite differences, max rel
    }
    expect(out).toContain("The three agree");
    expect(result.graph).toBeNull();
  }, 20_000);

  it("lstm: tape through nn.LSTM, lstmBackward and finite differences agree, including x, a0 and c0", async () => {
    const { result } = await run(["--model", "lstm", "--no-graph", "--input", "2", "--hidden", "3", "--batch", "2", "--steps", "3"]);
    expectAgreement(result, ["x", "a0", "c0", ...GATE_ROWS]);
    expect(result.rows[0]!.shape).toEqual([2, 2, 3]);
  }, 20_000);

  it("mlp: tape, the backward derived by hand and finite differences agree", async () => {
    const { out, result } = await run(["--model", "mlp", "--no-graph", "--hidden", "5", "--batch", "4"]);
    expectAgreement(result, ["x", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(out).not.toContain("n/a");
  }, 20_000);

  it("draws one LSTM step: DOT with its ops and parameter names, rendered to SVG", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compare-"));
    const { out, result } = await run(["--model", "lstm-cell", "--out", dir]);
    const g = result.graph!;
    expect(g.dotPath).toBe(join(dir, "lstm-step.dot"));
    const dot = readFileSync(g.dotPath, "utf8");
    expect(dot).toBe(g.dot);
    expect(dot.startsWith("digraph")).toBe(true);
    // the composed cell: two matmuls, one split into the gates, three sigmoids, two tanh, ...
    for (const op of ["matmul", "add", "split", "sigmoid", "tanh", "mul", "permute"]) expect(dot).toMatch(new RegExp(`label="${op}\\\\n`));
    expect(g.ops).toMatchObject({ matmul: 2, split: 1, sigmoid: 3, tanh: 2, mul: 3, add: 4 });
    for (const name of ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]) expect(dot).toContain(`label="${name}\\n`);
    // shapes: hidden 4, so the stacked gates are 16 wide; the gates are labelled on the split's edges
    expect(dot).toContain('label="weight_ih\\n(16, 3)"');
    expect(dot).toContain('label="split\\n4 x (2, 4)"');
    for (const gate of ["i", "f", "g", "o"]) expect(dot).toContain(`[label="${gate}"]`);
    for (const io of ["x\\n(2, 3)", "h\\n(2, 4)", "c\\n(2, 4)", "h'\\n(2, 4)", "c'\\n(2, 4)"]) expect(dot).toContain(`label="${io}"`);
    const svg = readFileSync(g.svgPath, "utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("weight_hh");
    expect(svg).toContain("sigmoid");
    expect((svg.match(/<g id="node\d+" class="node">/g) ?? []).length).toBe(17 + 4 + 3 + 2); // ops, parameters, inputs, outputs
    expect(out).toContain(`wrote ${g.dotPath} and ${g.svgPath}`);
  }, 20_000);

  it("lstmStepDot draws what any sizes record", () => {
    const g = lstmStepDot(5, 2, 3);
    expect(g.leaves.sort()).toEqual(["bias_hh", "bias_ih", "weight_hh", "weight_ih"]);
    expect(g.dot).toContain('label="weight_hh\\n(8, 2)"');
    expect(g.dot).toContain('label="x\\n(3, 5)"');
  });

  it("difference: max abs and floored max rel", () => {
    const d = difference(nd.array([1, 2.002, 0]), nd.array([1, 2, 1e-9]));
    expect(d.abs).toBeCloseTo(0.002, 12);
    expect(d.rel).toBeCloseTo(0.001, 9);
    // an entry near zero is measured against 1e-3 of the array's largest, not against itself
    expect(difference(nd.array([1, 1e-6]), nd.array([1, 0])).rel).toBeCloseTo(1e-3, 9);
  });
});
