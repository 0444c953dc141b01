// The notebook example, run in-process: what it prints for the forward cell is what the
// notebook printed; the tape and closed-form columns agree; and both differ from the printed
// gradients exactly where packages/nn/docs/notebook.md says (everywhere but dx[1][2][3]).
// The notebook's printed text is read from the reference the nn tests keep
// (packages/nn/test/data/notebook-reference.json, made by running the notebook's cells), so
// the example's hard-coded copy of it is checked too.

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main, PRINTED_CELL2, PRINTED_CELL4, PRINTED_SHAPES, type NotebookResult } from "./main.js";

const REF = JSON.parse(readFileSync(new URL("../../packages/nn/test/data/notebook-reference.json", import.meta.url), "utf8")) as {
  cell2: { printed: string };
  cell4: { printed: string };
};

async function run(argv: string[]): Promise<{ out: string; result: NotebookResult }> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
  const result = await main(argv);
  return { out: lines.join("\n"), result };
}

afterEach(() => vi.restoreAllMocks());

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe("examples/notebook", () => {
  it("keeps the notebook's printed text as the notebook printed it", () => {
    expect(PRINTED_CELL2).toBe(REF.cell2.printed);
    const lines = REF.cell4.printed.split("\n");
    for (const p of PRINTED_CELL4) {
      const key = `gradients["${p.name}"][${p.index[0]}]`;
      const line = lines.find((l) => l.startsWith(p.name === "dx" ? `gradients["dx"][1][2]` : p.name === "da0" || p.name.startsWith("dW") ? `${key}[${p.index[1]}]` : key));
      expect(line, p.name).toBeDefined();
      expect(line!.split(" = ")[1]!.replace(/[[\]]/g, " ").trim().split(/\s+/)).toContain(p.text);
    }
    for (const [name, shape] of Object.entries(PRINTED_SHAPES)) expect(lines).toContain(`gradients["${name}"].shape = (${shape.join(", ")})`);
  });

  it("prints the forward cell's shapes and a_next of step 0 as the notebook did", async () => {
    const { out, result } = await run([]);
    expect(result.forwardMatchesPrinted).toBe(true);
    expect(result.forwardText.startsWith(REF.cell2.printed)).toBe(true);
    // in the terminal output (indented by four), every line the notebook printed, in order
    const indented = REF.cell2.printed.replace(/^/gm, "    ");
    expect(out).toContain(indented);
    // each whole printed entry of a_next (9 significant digits) appears in the output
    const entries = [...REF.cell2.printed.matchAll(/-?\d\.\d{8}e[+-]\d\d/g)].map((m) => m[0]);
    expect(entries.length).toBe(47);
    for (const e of entries) expect(out).toContain(e);
  }, 20_000);

  it("shows tape = closed form to 1e-9 relative, and both differ from the printed gradients except dx[1][2][3]", async () => {
    const { out, result } = await run([]);
    expect(result.tapeVsClosedForm).toBeLessThan(1e-9);
    expect(result.rows.map((r) => r.entry)).toEqual([
      "dx[1][2][0]", "dx[1][2][1]", "dx[1][2][2]", "dx[1][2][3]", "da0[2][3]",
      "dWf[3][1]", "dWi[1][2]", "dWc[3][1]", "dWo[1][2]", "dbf[4][0]", "dbi[4][0]", "dbc[4][0]", "dbo[4][0]",
    ]);
    for (const r of result.rows) {
      expect(rel(r.tape, r.closedForm), r.entry).toBeLessThan(1e-9);
      const printed = Number(r.printed);
      const decimals = r.printed!.split(".")[1]!.length;
      if (r.entry === "dx[1][2][3]") {
        expect(r.printedIsCorrect).toBe(true);
        expect(Math.abs(r.closedForm - printed)).toBeLessThanOrEqual(0.5 * 10 ** -decimals);
      } else {
        expect(r.printedIsCorrect, r.entry).toBe(false);
        // not a rounding matter: off by at least 1% of the value
        expect(rel(printed, r.closedForm), r.entry).toBeGreaterThan(0.01);
      }
      // the notebook's loop as written gives the printed number back, to the printed digits
      // (a full repr to 15 significant digits: the last digit depends on the machine)
      const tol = decimals >= 15 ? 1e-15 * Math.abs(printed) : 0.5 * 10 ** -decimals * (1 + 1e-9);
      expect(Math.abs(r.asWritten! - printed), r.entry).toBeLessThanOrEqual(tol);
    }
    // the table is in the output, one line per printed entry, the printed text verbatim
    for (const r of result.rows) {
      const line = out.split("\n").find((l) => l.trim().startsWith(r.entry + " "));
      expect(line, r.entry).toBeDefined();
      expect(line).toContain(r.printed!);
      expect(line!.trim().endsWith(r.entry === "dx[1][2][3]" ? "yes" : "no")).toBe(true);
    }
    expect(out).toContain("da_prevt");
    expect(out).toContain("never assigns them again");
    // shapes: only dx differs from what was printed
    for (const [k, s] of Object.entries(result.shapes)) {
      expect(s.tape, k).toEqual(s.closedForm);
      if (k === "dx") expect(s.tape).toEqual([3, 10, 7]);
      else expect(s.tape, k).toEqual(s.printed);
    }
  }, 20_000);

  it("runs on other draws without the printed column", async () => {
    const { out, result } = await run(["--seed", "3", "--no-as-written"]);
    expect(result.forwardMatchesPrinted).toBeNull();
    expect(result.rows.every((r) => r.printed === null && r.asWritten === null)).toBe(true);
    expect(result.tapeVsClosedForm).toBeLessThan(1e-9);
    const header = out.split("\n").find((l) => l.trim().startsWith("entry "))!;
    expect(header.split(/\s{2,}/).map((s) => s.trim()).filter(Boolean)).toEqual(["entry", "tape (nn.LSTM)", "closed form"]);
  }, 20_000);
});
