// The checks LSTM and GRU share, one body for both: gradients of a deep bidirectional stack
// against finite differences, and padded sequences (lengths or a mask) against each sequence
// run alone. lstm.test.ts and gru.test.ts each call it for their own kind.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import type { SequenceOptions } from "@tapegrad/nn";
import { PAD_LENGTHS, expectClose, gradcheckWith, makeStack, padVersusAlone, project, runStack, stackSlots } from "./module-helpers.js";

/** The shared checks for one kind of stack; `padSeed` seeds its padded-sequence case. */
export function stackChecks(kind: "lstm" | "gru", padSeed: number): void {
  describe("gradients against finite differences (gradcheck, float64)", () => {
    it.each<"lstm" | "gru">([kind])("%s: 2 layers, bidirectional, batchFirst: every parameter, the input and the initial state", (kind) => {
      const rs = new RandomState(kind === "lstm" ? 3 : 4);
      const m = makeStack(kind, 2, 2, { numLayers: 2, bidirectional: true, batchFirst: true, rng: rs });
      const x = ag.tensor(rs.randn(2, 3, 2));
      const h0 = ag.tensor(nd.mul(rs.randn(4, 2, 2), 0.5));
      const c0 = ag.tensor(nd.mul(rs.randn(4, 2, 2), 0.5));
      const [ro, rh, rc] = [rs.randn(2, 3, 4), rs.randn(4, 2, 2), rs.randn(4, 2, 2)];
      const inputs = kind === "lstm" ? [x, h0, c0] : [x, h0];
      const report = gradcheckWith(stackSlots(m), inputs, (xx, hh, cc) => {
        const r = runStack(m, xx!, hh, cc);
        const loss = project(r.out, ro).add(project(r.h, rh));
        return r.c ? loss.add(project(r.c, rc)) : loss;
      });
      expect(report.passed, report.toString()).toBe(true);
    });

    it.each<"lstm" | "gru">([kind])("%s: with padded sequences (lengths), bidirectional", (kind) => {
      const rs = new RandomState(kind === "lstm" ? 5 : 6);
      const m = makeStack(kind, 2, 3, { bidirectional: true, rng: rs });
      const x = ag.tensor(rs.randn(4, 3, 2));
      const [ro, rh] = [rs.randn(4, 3, 6), rs.randn(2, 3, 3)];
      const report = gradcheckWith(stackSlots(m), [x], (xx) => {
        const r = runStack(m, xx!, undefined, undefined, { lengths: [4, 1, 2] });
        return project(r.out, ro).add(project(r.h, rh));
      });
      expect(report.passed, report.toString()).toBe(true);
    });
  });

  describe("padded sequences (lengths or mask)", () => {
    const lengths = PAD_LENGTHS;

    it.each<["lstm" | "gru", number]>([[kind, padSeed]])("%s: padded steps change neither the outputs, the final state nor any gradient", (kind, seed) => {
      const { m, B, T, x, h0, c0, padded, paddedGrads, alone } = padVersusAlone(kind, seed);
      const tight = { rtol: 1e-12, atol: 1e-14 };
      for (let b = 0; b < B; b++) {
        const len = lengths[b]!;
        const { r, xb, hb, cb } = alone[b]!;
        expectClose(padded.out.data.slice(b, [0, len]), r.out.data.squeeze(0), tight, `output of sequence ${b}`);
        expect(padded.out.data.slice(b, [len, T]).toFlat().every((v) => v === 0), `padded outputs of sequence ${b} are 0`).toBe(true);
        // both directions' final states: the forward one after step len-1, the reverse one after step 0
        expectClose(padded.h.data.slice(null, b), r.h.data.squeeze(1), tight, `h_n of sequence ${b}`);
        if (padded.c) expectClose(padded.c.data.slice(null, b), r.c!.data.squeeze(1), tight, `c_n of sequence ${b}`);
        expectClose(x.grad!.slice(b, [0, len]), xb.grad!.squeeze(0), tight, `d/dx of sequence ${b}`);
        expect(x.grad!.slice(b, [len, T]).toFlat().every((v) => v === 0), `d/dx at padded steps of sequence ${b}`).toBe(true);
        expectClose(h0.grad!.slice(null, b), hb.grad!.squeeze(1), tight, `d/dh0 of sequence ${b}`);
        if (kind === "lstm") expectClose(c0.grad!.slice(null, b), cb.grad!.squeeze(1), tight, `d/dc0 of sequence ${b}`);
      }
      const aloneGrads = new Map(m.namedParameters().map(([n, p]) => [n, p.grad!]));
      for (const [n, g] of paddedGrads) expectClose(g, aloneGrads.get(n)!, { rtol: 1e-10, atol: 1e-13 }, `d/d${n}`);
    });

    it.each<"lstm" | "gru">([kind])("%s: a mask gives what the lengths give, in either layout", (kind) => {
      const rs = new RandomState(10);
      const [B, T] = [3, 4];
      const lens = [4, 1, 3];
      const maskBT = nd.zeros([B, T]);
      lens.forEach((len, b) => maskBT.slice(b, [0, len]).fill(1));
      for (const batchFirst of [true, false]) {
        const m = makeStack(kind, 2, 3, { bidirectional: true, numLayers: 2, batchFirst, rng: rs });
        const xd = batchFirst ? rs.randn(B, T, 2) : rs.randn(T, B, 2);
        const go = (opt: SequenceOptions) => {
          const x = ag.tensor(xd, { requiresGrad: true });
          m.zeroGrad();
          const r = runStack(m, x, undefined, undefined, opt);
          project(r.out, nd.onesLike(r.out.data)).add(r.h.sum()).backward();
          return [r.out.data, r.h.data, x.grad!, ...m.parameters().map((p) => p.grad!)];
        };
        const byLengths = go({ lengths: lens });
        const mask = batchFirst ? maskBT : maskBT.T.copy();
        for (const mk of [mask, nd.ne(mask, 0)]) {
          const byMask = go({ mask: mk });
          byMask.forEach((a, i) => expectClose(a, byLengths[i]!, { rtol: 0, atol: 0 }, `${batchFirst ? "(B, T)" : "(T, B)"} mask, item ${i}`));

        }
      }
    });
  });
}
