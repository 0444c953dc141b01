// GRUCell: one step against real PyTorch 1.13's nn.GRUCell (data/make-recurrent-reference.py).

import { describe, it } from "vitest";
import { GRUCell } from "@tapegrad/nn";
import { expectClose, ref, stateDictOf, toND, type CellCase } from "./module-helpers.js";

describe("forward against PyTorch's numbers", () => {
  it.each(ref.cells.filter((c) => c.kind === "gru"))("$name", (c: CellCase) => {
    const x = toND(c.x);
    const cell = new GRUCell(c.inputSize, c.hiddenSize);
    cell.loadStateDict(stateDictOf(c.params));
    expectClose(cell.forward(x, toND(c.h)), toND(c.h_next), undefined, "h'");
  });
});
