// Replays the course notebook's two example cells (../shared/seed/lstm-from-scratch-notebook.txt)
// with numpy's draws: the forward cell's shapes and a_next of step 0, then the backward cell's
// gradients from the tape (nn.LSTM), from the closed form (lstmBackward) and as the notebook
// printed them, side by side, and why the printed ones differ.
//
//   pnpm example notebook             # seed 1, the notebook's own numbers
//   pnpm example notebook --seed 7    # the same comparison on other draws (no printed column)

import { parseOptions } from "../lib/cli.js";
import { PRINTED_CELL2, PRINTED_SHAPES, py, replayNotebook, whyPrintedDiffers, type NotebookResult } from "./replay.js";

export { PRINTED_CELL2, PRINTED_CELL4, PRINTED_SHAPES, replayNotebook, type NotebookResult, type NotebookRow } from "./replay.js";

const spec = {
  seed: { type: "integer", min: 0, max: 2 ** 32 - 1, default: 1, help: "seed for the draws; the notebook's printed numbers are for seed 1" },
  digits: { type: "integer", min: 1, max: 17, default: 9, help: "significant digits in the gradient table" },
  "no-as-written": { type: "boolean", help: "leave out the column that reruns the notebook's backward as written" },
} as const;

// ---------------------------------------------------------------- the program

export async function main(argv: string[]): Promise<NotebookResult> {
  const o = parseOptions(
    "usage: pnpm example notebook [options]\n\nReplays the course notebook's two example cells with numpy's seeded draws: prints what the\nforward cell printed, then each gradient the backward cell printed, from the tape (nn.LSTM),\nfrom the closed form (lstmBackward) and as the notebook printed it, and why they differ.",
    spec,
    argv,
  );
  const seed = o.seed;
  const notebookSeed = seed === 1;
  const asWrittenColumn = !o["no-as-written"];

  const { forwardText, forwardMatchesPrinted, rows, shapes, tapeVsClosedForm } = replayNotebook(seed, asWrittenColumn);
  say(`Cell 2 (forward): RandomState(${seed}) draws x (3,10,7), a_init (5,10), Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy (2,5), by (2,1) in that order and runs lstm_forward. It prints a.shape, y.shape, c.shape and print(caches[0]), whose first entry is a_next at step 0 (the rest of that print, the other cached arrays, is left out here):\n`);
  console.log(forwardText.replace(/^/gm, "    ") + ", ...]");
  if (forwardMatchesPrinted !== null) {
    const shown = PRINTED_CELL2.split("\n").length;
    console.log(
      forwardMatchesPrinted
        ? `\n  = the notebook's output, character for character, in all ${shown} lines its page shows.`
        : "\n  != the notebook's output: this text does not begin with what the notebook printed.",
    );
  }

  say(`\nCell 4 (backward): RandomState(${seed}) again, the same draws up to bc; Wy, by are cell 2's (not redrawn), so da = randn(5, 10, 4) comes from the stream right after bc. The cell's lstm_backward(da, caches) is the gradient of L = sum over t < 4 of sum(da[:,:,t] * a[:,:,t]). ${notebookSeed ? "The entries the notebook printed:" : "The entries the notebook prints (for seed 1):"}\n`);
  const fmt = (v: number) => (v === 0 ? "0" : v.toPrecision(o.digits));
  const header = ["entry", "tape (nn.LSTM)", "closed form", ...(notebookSeed ? ["notebook printed"] : []), ...(asWrittenColumn ? ["as written (*)"] : []), ...(notebookSeed ? ["correct?"] : [])];
  const body = rows.map((r) => [
    r.entry,
    fmt(r.tape),
    fmt(r.closedForm),
    ...(notebookSeed ? [r.printed!] : []),
    ...(asWrittenColumn ? [fmt(r.asWritten!)] : []),
    ...(notebookSeed ? [r.printedIsCorrect ? "yes" : "no"] : []),
  ]);
  console.log(table(header, body));
  console.log(`\nshapes (tape = closed form): dx ${py(shapes.dx.closedForm)}, da0 ${py(shapes.da0.closedForm)}, dW* ${py(shapes.dWf.closedForm)}, db* ${py(shapes.dbf.closedForm)}.`);
  if (notebookSeed) say(`The notebook printed the same shapes except dx ${py(PRINTED_SHAPES.dx)}: it takes the step count from da (4), not from x (7). Here dx has x's shape and is zero at steps 4-6, which the loss does not reach.`);
  console.log(`\ntape vs closed form, every entry of every gradient: at most ${tapeVsClosedForm.toExponential(1)} relative.`);
  if (notebookSeed) say("correct?: whether the notebook's printed value is the gradient (the tape's and the closed form's), to the digits it printed.");
  if (asWrittenColumn) say("(*) the notebook's lstm_backward rerun as it is written: notebookBackwardAsWritten in this file.");

  say("\n" + whyPrintedDiffers(notebookSeed, asWrittenColumn).join(" "));

  return { seed, forwardText, forwardMatchesPrinted, rows, tapeVsClosedForm, shapes };
}

/** Prints text wrapped at 88 columns (blank lines and leading newlines kept). */
function say(text: string, width = 88): void {
  const out = text.split("\n").map((para) => {
    const lines: string[] = [];
    let line = "";
    for (const word of para.split(" ").filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    return [...lines, line].join("\n");
  });
  console.log(out.join("\n"));
}

/** Left-aligned text columns, two spaces apart, with a rule under the header. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => "  " + r.map((s, c) => s.padEnd(w[c]!)).join("  ").trimEnd();
  return [line(header), "  " + w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}
