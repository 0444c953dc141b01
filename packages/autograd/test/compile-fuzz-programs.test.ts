// The fuzzer's witness for compile: random tensor programs (fuzz/programs.ts: views with steps,
// permuted and broadcast state, in-place writes, joins, matmuls, a backward and an update) run
// eagerly and compiled, 10 calls each; the one property is that every call of the compiled step
// equals the eager one bitwise (results, state, gradients, arguments), or compile refuses with a
// CompileError or TraceError. A failure prints the shrunk program as a pasteable regression test;
// `pnpm fuzz:compile --runs N` runs the same property longer.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkProgram, paste, programArbitrary } from "./fuzz/programs.js";

const SEED = 20240611;
const RUNS = 200;

describe("compile fuzz: random programs", () => {
  it(`replays ${RUNS} random programs as eager computes them, or refuses`, () => {
    const counts = { cases: 0, equal: 0, refused: 0, discarded: 0 };
    const reasons = new Map<string, number>();
    const t0 = performance.now();
    let shrinking = false;
    const details = fc.check(
      fc.property(programArbitrary, (p) => {
        if (shrinking) return checkProgram(p) !== null;
        counts.cases++;
        let o: ReturnType<typeof checkProgram>;
        try {
          o = checkProgram(p);
        } catch (e) {
          if (fc.PreconditionFailure.isFailure(e)) counts.discarded++;
          else shrinking = true;
          throw e;
        }
        if (o.kind === "equal") counts.equal++;
        else if (o.kind === "refused") {
          counts.refused++;
          const why = refusalReason(o.error);
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
        return true;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const refused = [...reasons].map(([r, n]) => `${n}x ${r}`).join("; ");
    console.log(
      `compile fuzz (programs, seed ${SEED}): ${counts.cases} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s: ` +
        `${counts.equal} equal, ${counts.refused} refused${refused ? ` (${refused})` : ""}, ${counts.discarded} discarded (the eager step threw)`,
    );
    if (details.failed) {
      const shrunk = details.counterexample?.[0];
      if (shrunk) console.log(`compile fuzz: the shrunk counterexample, as a regression test:\n${paste(shrunk)}`);
      throw new Error(fc.defaultReportMessage(details));
    }
    expect(counts.equal).toBeGreaterThan(RUNS / 2);
  });
});

/** A refusal's kind and the start of its message, numbers and shapes blurred, for the summary. */
export function refusalReason(e: Error): string {
  return `${e.name}: ${e.message.replace(/\[[^\]]*\]|\d+(\.\d+)?/g, "#").slice(0, 80)}`;
}
