// The witness for compile on training steps: random steps of the kind users write (fuzz/training.ts)
// run eagerly and compiled from the same seeds, compared bitwise after each of 10 calls (the
// first traces, the rest replay). The one property is compile's contract: equal, or refused with
// a CompileError/TraceError. A failure prints the case as a ready-to-paste regression test.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { arbitrary, describe as name, paste, run, Divergence, type TrainingCase } from "./fuzz/training.js";

const SEED = 20261204;
const RUNS = 150;

/** A refusal's reason without its numbers, so that like refusals count together. */
function reason(message: string): string {
  if (/part at the function returned/.test(message)) return "a plain value in the result (not recomputed by a replay)";
  if (/was an array from outside the trace/.test(message)) return "a tensor kept from the previous call (an argument from outside the trace changes)";
  return message.replace(/-?\d+(\.\d+)?(e-?\d+)?/g, "N").slice(0, 120);
}

describe("compile: random training steps replay bitwise or refuse", () => {
  it(`${RUNS} random training steps, ${10} calls each`, () => {
    const counts = { cases: 0, equal: 0, refused: 0, invalid: 0 };
    const reasons = new Map<string, number>();
    const invalid = new Map<string, number>();
    const started = performance.now();
    fc.assert(
      fc.property(arbitrary, (c: TrainingCase) => {
        let outcome;
        try {
          outcome = run(c);
        } catch (e) {
          if (e instanceof Divergence) throw new Divergence(`${name(c)}\n${e.message}\n\nas a regression test:\n${paste(c)}`);
          throw e;
        }
        if (outcome.kind === "eager-threw") {
          // a case the eager step rejects is no training step; counted, so a generator bug shows
          const m = String((outcome.error as Error)?.message ?? outcome.error).slice(0, 80);
          invalid.set(m, (invalid.get(m) ?? 0) + 1);
          counts.invalid++;
          fc.pre(false);
        }
        counts.cases++;
        if (outcome.kind === "equal") counts.equal++;
        else if (outcome.kind === "refused") {
          counts.refused++;
          const r = reason(outcome.error.message);
          reasons.set(r, (reasons.get(r) ?? 0) + 1);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const by = [...reasons].map(([r, n]) => `${n} ${r}`).join("; ");
    const bad = [...invalid].map(([r, n]) => `${n} ${r}`).join("; ");
    console.log(
      `compile fuzz (training): ${counts.cases} cases in ${seconds} s, ${counts.equal} equal, ${counts.refused} refused` +
        `${by ? ` (${by})` : ""}${counts.invalid ? `, ${counts.invalid} invalid eagerly (${bad})` : ""}`,
    );
    expect(counts.cases).toBeGreaterThan(0);
  }, 300_000);
});
