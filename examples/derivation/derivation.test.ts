// The derivation example, run in-process: its verdicts against facts from outside the tool. The
// notebook's loop as printed is held against the library's carried lstmBackward (a fourth,
// independent closed form); the forgotten 1/batch must make the logits' gradient exactly batch
// times the true one; and the heatmap's cells are the per-(example, step) maxima of |tape - manual|.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as nd from "@tapegrad/tensor";
import { lstmBackward, lstmForward } from "@tapegrad/nn";
import { main, type DerivationResult } from "./main.js";

async function run(argv: string[]): Promise<{ out: string; result: DerivationResult }> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
  const result = await main([...argv, "--out", mkdtempSync(join(tmpdir(), "derivation-"))]);
  return { out: lines.join("\n"), result };
}

afterEach(() => vi.restoreAllMocks());

type Case = DerivationResult["cases"][0];

const LSTM_INPUTS = ["x", "a0", "Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc"];

describe("examples/derivation", () => {
  for (const argv of [[], ["--seed", "3", "--steps", "5", "--batch", "6"]]) {
    it(`gives the three verdicts ${argv.length ? `(${argv.join(" ")})` : "(defaults)"}`, async () => {
      const { out, result } = await run(argv);
      const byName = (n: string) => result.cases.find((c) => c.name === n)!;
      expect(result.cases.map((c) => c.name)).toEqual(["lstm-as-printed", "gru-cell", "gru-cell-z-sign-flipped", "cross-entropy-forgets-batch"]);
      const [lstm, gru, gruFlip, ce] = ["lstm-as-printed", "gru-cell", "gru-cell-z-sign-flipped", "cross-entropy-forgets-batch"].map(byName) as [Case, Case, Case, Case];
      const node = (c: Case, n: string) => c.report.nodes.find((e) => e.name === n)!;
      const T = argv.length ? 5 : 7;
      const batch = argv.length ? 6 : 4;

      // 1. the notebook's loop: manual outvoted on every input, tape and fd agreeing throughout
      expect(lstm.report.ok).toBe(false);
      expect([...lstm.manualOdd].sort()).toEqual([...LSTM_INPUTS].sort());
      for (const e of lstm.report.inputs) expect(e.tapeVsFd.close, e.name).toBe(true);
      // the tape is the carried closed form (nn's lstmBackward), which is what the notebook meant
      const get = (n: string) => lstm.report.inputs.find((e) => e.name === n)!;
      const { x, a0, ...params } = result.lstmInputs;
      const carried = lstmBackward(result.lstmUpstream, lstmForward(x, a0, params).caches);
      const asRecord = carried as unknown as Record<string, nd.NDArray>;
      for (const n of LSTM_INPUTS) expect(nd.maxAbsDiff(asRecord[`d${n}`]!, get(n).tape), n).toBeLessThan(1e-10);
      // per step: zero at the last step, of the gradient's own size at every earlier one
      expect(result.lstmErrorPerStep.length).toBe(T);
      expect(result.lstmErrorPerStep[T - 1]).toBeLessThan(1e-12);
      for (let t = 0; t < T - 1; t++) expect(result.lstmRelErrorPerStep[t], `step ${t}`).toBeGreaterThan(0.1);
      // the last step's dx is the same as a one-step backward would give: the notebook's loop is right there
      const dxTape = get("x").tape.slice(null, null, T - 1);
      const dxManual = get("x").manual!.slice(null, null, T - 1);
      expect(nd.maxAbsDiff(dxTape, dxManual)).toBeLessThan(1e-12);
      // its first wrong node, from the derivation: the loop hands step t da[:,:,t] + da_prevt with
      // da_prevt never updated from zeros. At t = T-1 that is the whole gradient (no later step
      // sends anything back), so da_next[T-1] agrees; at t = T-2 it misses what step T-1 sends back
      // through a_{T-2}, so da_next[T-2] is the first line that is wrong, read from da_next[T-1].
      expect(lstm.report.nodes.map((e) => e.name)).toEqual(Array.from({ length: T }, (_, k) => `da_next[${T - 1 - k}]`));
      expect(lstm.report.firstWrong?.name).toBe(`da_next[${T - 2}]`);
      expect(lstm.report.firstWrong?.agreeing).toEqual([`da_next[${T - 1}]`]);
      expect(lstm.report.firstWrong?.neighbours).toEqual([`da_next[${T - 1}]`]);
      // the tape's da_next[T-1] is the upstream slice alone: nothing after the last step
      expect(nd.maxAbsDiff(node(lstm, `da_next[${T - 1}]`).tape, result.lstmUpstream.slice(null, null, T - 1))).toBeLessThan(1e-15);

      // 2. the GRU cell: all agree, inputs and watched nodes, so no first wrong node
      expect(gru.report.ok).toBe(true);
      expect(gru.report.inputs.map((e) => e.verdict)).toEqual(gru.report.inputs.map(() => "agree"));
      // met from the loss: h' (the output), then n (made after z), z, r
      expect(gru.report.nodes.map((e) => e.name)).toEqual(["h'", "n", "z", "r"]);
      expect(gru.report.nodes.every((e) => e.agree)).toBe(true);
      expect(gru.report.firstWrong).toBeNull();

      // 2b. the z line's sign flipped (dz = G (n - h) for G (h - n)). h' and n are computed from G
      // and z alone, so they agree; z is the first wrong node, read from h', its only consumer. r's
      // line reads da_n, not dz, so r still agrees after it. Every input reads da_z, so all are
      // outvoted; and z's manual gradient is exactly minus the tape's.
      expect(gruFlip.report.ok).toBe(false);
      expect([...gruFlip.manualOdd].sort()).toEqual(["bias_hh", "bias_ih", "h", "weight_hh", "weight_ih", "x"]);
      expect(gruFlip.report.firstWrong?.name).toBe("z");
      expect(gruFlip.report.firstWrong?.agreeing).toEqual(["h'", "n"]);
      expect(gruFlip.report.firstWrong?.neighbours).toEqual(["h'"]);
      expect(node(gruFlip, "z").oddOne).toBe("manual");
      expect(node(gruFlip, "r").agree).toBe(true);
      expect(nd.maxAbsDiff(nd.neg(node(gruFlip, "z").manual!), node(gruFlip, "z").tape)).toBeLessThan(1e-14);
      // the flip changes manual only: the tape is the right derivation's
      expect(nd.maxAbsDiff(node(gruFlip, "z").tape, node(gru, "z").manual!)).toBeLessThan(1e-14);

      // 3. the forgotten 1/batch: the logits alone, by exactly the batch size
      expect(ce.report.ok).toBe(false);
      expect(ce.manualOdd).toEqual(["logits"]);
      const [logits, targets] = ce.report.inputs as [DerivationResult["cases"][0]["report"]["inputs"][0], DerivationResult["cases"][0]["report"]["inputs"][0]];
      expect(targets.agree).toBe(true);
      expect(nd.maxAbsDiff(nd.div(logits.manual!, batch), logits.tape)).toBeLessThan(1e-14);
      // its first wrong node: L = mean(nll) makes dL/dnll = 1/B, the line written as 1. nll is the
      // node next to the loss, so it is met first, with no watched node between; logp reads it
      // and inherits the factor B.
      expect(ce.report.nodes.map((e) => e.name)).toEqual(["nll", "logp"]);
      expect(ce.report.firstWrong?.name).toBe("nll");
      expect(ce.report.firstWrong?.agreeing).toEqual([]);
      expect(ce.report.firstWrong?.neighbours).toEqual([]);
      expect(nd.maxAbsDiff(node(ce, "nll").tape, nd.full([batch], 1 / batch))).toBeLessThan(1e-15);
      expect(nd.maxAbsDiff(node(ce, "nll").manual!, nd.ones([batch]))).toBe(0);
      expect(nd.maxAbsDiff(nd.div(node(ce, "logp").manual!, batch), node(ce, "logp").tape)).toBeLessThan(1e-14);

      // what it prints
      expect(out).toContain("manual is the odd one on: x, a0, Wf, bf, Wi, bi, Wo, bo, Wc, bc");
      expect(out).toContain("ok: every input agrees");
      expect(out).toContain("manual is the odd one on: logits;");
      expect(out).toContain(`wrote ${result.svgPath}`);
      expect(out).toContain(`da_next[${T - 2}] is the first wrong node: da_next[${T - 1}] agrees;`);
      expect(out).toContain("z is the first wrong node: h' agrees;");
      expect(out).toContain("nll is the first wrong node: its gradient comes from the loss with no watched node between;");

      // the heatmap: one cell per (example, step), each the max over features of |tape - manual|
      const svg = readFileSync(result.svgPath, "utf8");
      expect(svg).toBe(result.svg);
      const cells = [...svg.matchAll(/<rect class="cell" data-row="(\d+)" data-col="(\d+)" data-value="([^"]+)"/g)];
      expect(cells.length).toBe(10 * T);
      const tape = get("x").tape;
      const manual = get("x").manual!;
      for (const [, i, j, v] of cells) {
        let m = 0;
        for (let f = 0; f < 3; f++) m = Math.max(m, Math.abs(tape.get(f, Number(i), Number(j)) - manual.get(f, Number(i), Number(j))));
        expect(Number(v)).toBe(m);
      }
      if (!argv.length) {
        // the copy the notebook docs show is this run's picture (values to 1e-12, for other machines' last bits)
        const copy = readFileSync(new URL("../../docs/img/derivation-lstm-dx-error.svg", import.meta.url), "utf8");
        const values = (t: string) => [...t.matchAll(/data-value="([^"]+)"/g)].map((c) => Number(c[1]));
        const [mine, theirs] = [values(svg), values(copy)];
        expect(theirs.length).toBe(mine.length);
        mine.forEach((v, k) => expect(Math.abs(v - theirs[k]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))));
        const strip = (t: string) => t.replace(/data-value="[^"]+"|<title>[^<]*<\/title>|fill="rgb\([^)]*\)"/g, "");
        expect(strip(copy)).toBe(strip(svg));
      }
    }, 60_000);
  }
});

