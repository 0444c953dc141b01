// The three witnesses: for random sizes, seeds, initial states and upstream gradients, the
// tape (autograd through LSTMCell / LSTM, weights from fromNotebookParams), the closed form
// (lstmCellBackward / lstmBackward) and central finite differences must agree: tape with
// closed form to 1e-9 relative, both with finite differences to finite-difference tolerance.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { LSTM, LSTMCell, notebookLayout, lstmBackward, lstmCellBackward, lstmCellForward, lstmForward, type LSTMParameters } from "../src/index.js";

const GATES = ["f", "i", "c", "o"] as const;

function drawParams(rs: RandomState, nX: number, nA: number, nY: number, scale: number): Required<LSTMParameters> {
  const p: Record<string, NDArray> = {};
  for (const g of GATES) {
    p[`W${g}`] = nd.mul(rs.randn(nA, nA + nX), scale);
    p[`b${g}`] = nd.mul(rs.randn(nA, 1), scale);
  }
  p.Wy = rs.randn(nY, nA);
  p.by = rs.randn(nY, 1);
  return p as unknown as Required<LSTMParameters>;
}

/** Elementwise |a - b| <= rtol * |b| + atol; returns the worst ratio to that bound (<= 1 passes). */
function worst(a: NDArray, b: NDArray, rtol: number, atol: number): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.toFlat();
  const y = b.toFlat();
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i]! - y[i]!) / (rtol * Math.abs(y[i]!) + atol));
  return w;
}

/** Largest |a - b| / max(|b|, floor) seen: reported, not asserted. */
function relErr(a: NDArray, b: NDArray, floor = 1e-6): number {
  const x = a.toFlat();
  const y = b.toFlat();
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(y[i]!), floor));
  return w;
}

const finiteDiff = (f: () => number, a: NDArray, eps = 1e-6): NDArray => ag.centralDifferences(f, a, eps);

const observed = { tapeVsClosed: 0, closedVsFd: 0, tapeVsFd: 0 };

/** The tape's view of the notebook's loss L = sum_t<Tda sum(da_t * a_t), through nn.LSTM. */
function tapeSequence(x: NDArray, a0: NDArray, p: LSTMParameters, da: NDArray) {
  const nX = x.shape[0]!;
  const nA = a0.shape[0]!;
  const cell = LSTMCell.fromNotebookParams(p);
  const lstm = new LSTM(nX, nA);
  lstm.loadStateDict({ weight_ih_l0: cell.weight_ih.data, weight_hh_l0: cell.weight_hh.data, bias_ih_l0: cell.bias_ih!.data, bias_hh_l0: cell.bias_hh!.data });
  const xt = ag.tensor(x, { requiresGrad: true });
  const a0t = ag.tensor(a0, { requiresGrad: true });
  // notebook layout (n_x, m, T) <-> PyTorch layout (T, m, n_x); states (n_a, m) <-> (1, m, n_a)
  const h0 = a0t.T.unsqueeze(0);
  const c0 = ag.tensor(nd.zeros([1, a0.shape[1]!, nA]));
  const [out, [, cN]] = lstm.forward(xt.permute(2, 1, 0), [h0, c0]);
  const a = out.permute(2, 1, 0);
  const Tda = da.shape[2]!;
  const loss = a.slice(null, null, [0, Tda]).mul(ag.tensor(da)).sum();
  loss.backward();
  const l0 = lstm as unknown as Record<string, ag.Tensor>;
  const grads = notebookLayout(l0.weight_ih_l0!.grad!, l0.weight_hh_l0!.grad!, l0.bias_ih_l0!.grad!);
  return { a: a.data, cN: cN.data, dx: xt.grad!, da0: a0t.grad!, grads, loss: loss.item() };
}

function closedLoss(x: NDArray, a0: NDArray, p: LSTMParameters, da: NDArray): number {
  const { a } = lstmForward(x, a0, p);
  const Tda = da.shape[2]!;
  return nd.sum(nd.mul(a.slice(null, null, [0, Tda]), da)).item();
}

describe("three witnesses over a sequence (LSTM / lstmBackward / finite differences)", () => {
  it("agree for random sizes, seeds, states and short upstream gradients", () => {
    fc.assert(
      fc.property(
        fc.record({
          nX: fc.integer({ min: 1, max: 4 }),
          nA: fc.integer({ min: 1, max: 4 }),
          m: fc.integer({ min: 1, max: 3 }),
          T: fc.integer({ min: 1, max: 5 }),
          cut: fc.integer({ min: 0, max: 4 }),
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
          scale: fc.constantFrom(0.3, 1),
        }),
        ({ nX, nA, m, T, cut, seed, scale }) => {
          const Tda = Math.max(1, T - cut);
          const rs = new RandomState(seed);
          const x = rs.randn(nX, m, T);
          const a0 = rs.randn(nA, m);
          const p = drawParams(rs, nX, nA, 2, scale);
          const da = rs.randn(nA, m, Tda);

          const fwd = lstmForward(x, a0, p);
          const closed = lstmBackward(da, fwd.caches);
          const tape = tapeSequence(x, a0, p, da);

          // forward values: tape against closed form
          expect(worst(tape.a, fwd.a, 1e-12, 1e-14)).toBeLessThanOrEqual(1);
          expect(worst(tape.cN.reshape([m, nA]).T, fwd.c.slice(null, null, T - 1), 1e-12, 1e-14)).toBeLessThanOrEqual(1);

          // 1 = 2 to 1e-9 relative
          const pairs: [string, NDArray, NDArray][] = [
            ["dx", tape.dx, closed.dx],
            ["da0", tape.da0, closed.da0],
            ...GATES.flatMap((g) => [
              [`dW${g}`, tape.grads[`W${g}`], closed[`dW${g}`]] as [string, NDArray, NDArray],
              [`db${g}`, tape.grads[`b${g}`], closed[`db${g}`]] as [string, NDArray, NDArray],
            ]),
          ];
          for (const [name, t, c] of pairs) {
            const w = worst(t, c, 1e-9, 1e-15);
            observed.tapeVsClosed = Math.max(observed.tapeVsClosed, relErr(t, c));
            if (w > 1) throw new Error(`${name}: tape and closed form differ beyond 1e-9 relative (ratio ${w})`);
          }

          // 3: central finite differences of the same loss, through the closed-form forward
          const fdTargets: [string, NDArray, NDArray, NDArray][] = [
            ["dx", x, closed.dx, tape.dx],
            ["da0", a0, closed.da0, tape.da0],
            ...GATES.flatMap((g) => [
              [`dW${g}`, p[`W${g}`], closed[`dW${g}`], tape.grads[`W${g}`]] as [string, NDArray, NDArray, NDArray],
              [`db${g}`, p[`b${g}`], closed[`db${g}`], tape.grads[`b${g}`]] as [string, NDArray, NDArray, NDArray],
            ]),
          ];
          for (const [name, arr, c, t] of fdTargets) {
            const num = finiteDiff(() => closedLoss(x, a0, p, da), arr);
            observed.closedVsFd = Math.max(observed.closedVsFd, relErr(c, num, 1e-3));
            observed.tapeVsFd = Math.max(observed.tapeVsFd, relErr(t, num, 1e-3));
            const w = Math.max(worst(c, num, 1e-5, 1e-7), worst(t, num, 1e-5, 1e-7));
            if (w > 1) throw new Error(`${name}: finite differences disagree (ratio ${w})`);
          }
        },
      ),
      { numRuns: 40, seed: 20261128 },
    );
    console.log(`witnesses (sequence), worst relative disagreement: tape vs closed ${observed.tapeVsClosed.toExponential(2)}, closed vs FD ${observed.closedVsFd.toExponential(2)}, tape vs FD ${observed.tapeVsFd.toExponential(2)}`);
  });
});

describe("three witnesses for one step (LSTMCell / lstmCellBackward / finite differences)", () => {
  it("agree with upstream gradients on both h and c", () => {
    const seen = { tapeVsClosed: 0, fd: 0 };
    fc.assert(
      fc.property(
        fc.record({
          nX: fc.integer({ min: 1, max: 4 }),
          nA: fc.integer({ min: 1, max: 4 }),
          m: fc.integer({ min: 1, max: 3 }),
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
        }),
        ({ nX, nA, m, seed }) => {
          const rs = new RandomState(seed);
          const xt = rs.randn(nX, m);
          const aPrev = rs.randn(nA, m);
          const cPrev = rs.randn(nA, m);
          const p = drawParams(rs, nX, nA, 3, 0.7);
          const daNext = rs.randn(nA, m);
          const dcNext = rs.randn(nA, m);

          const f = lstmCellForward(xt, aPrev, cPrev, p);
          const closed = lstmCellBackward(daNext, dcNext, f.cache);

          const cell = LSTMCell.fromNotebookParams(p);
          const x = ag.tensor(xt, { requiresGrad: true });
          const h = ag.tensor(aPrev, { requiresGrad: true });
          const c = ag.tensor(cPrev, { requiresGrad: true });
          const [h2, c2] = cell.forward(x.T, [h.T, c.T]);
          expect(worst(h2.data.T, f.aNext, 1e-12, 1e-14)).toBeLessThanOrEqual(1);
          expect(worst(c2.data.T, f.cNext, 1e-12, 1e-14)).toBeLessThanOrEqual(1);
          // the notebook's prediction, composed on the tape: softmax over rows of Wy a + by
          const y = ag.softmax(ag.matmul(ag.tensor(p.Wy), h2.T).add(ag.tensor(p.by)), 0);
          expect(worst(y.data, f.ytPred!, 1e-12, 1e-14)).toBeLessThanOrEqual(1);
          h2.T.mul(ag.tensor(daNext)).sum().add(c2.T.mul(ag.tensor(dcNext)).sum()).backward();
          const tg = cell.notebookGrads();

          const pairs: [string, NDArray, NDArray][] = [
            ["dxt", x.grad!, closed.dxt],
            ["da_prev", h.grad!, closed.da_prev],
            ["dc_prev", c.grad!, closed.dc_prev],
            ...GATES.flatMap((g) => [
              [`dW${g}`, tg[`W${g}`], closed[`dW${g}`]] as [string, NDArray, NDArray],
              [`db${g}`, tg[`b${g}`], closed[`db${g}`]] as [string, NDArray, NDArray],
            ]),
          ];
          for (const [name, t, cl] of pairs) {
            seen.tapeVsClosed = Math.max(seen.tapeVsClosed, relErr(t, cl));
            const w = worst(t, cl, 1e-9, 1e-15);
            if (w > 1) throw new Error(`${name}: tape and closed form differ beyond 1e-9 relative (ratio ${w})`);
          }
          const loss = () => {
            const r = lstmCellForward(xt, aPrev, cPrev, p);
            return nd.sum(nd.mul(r.aNext, daNext)).item() + nd.sum(nd.mul(r.cNext, dcNext)).item();
          };
          const fdTargets: [string, NDArray, NDArray][] = [
            ["dxt", xt, closed.dxt],
            ["da_prev", aPrev, closed.da_prev],
            ["dc_prev", cPrev, closed.dc_prev],
            ...GATES.flatMap((g) => [
              [`dW${g}`, p[`W${g}`], closed[`dW${g}`]] as [string, NDArray, NDArray],
              [`db${g}`, p[`b${g}`], closed[`db${g}`]] as [string, NDArray, NDArray],
            ]),
          ];
          for (const [name, arr, cl] of fdTargets) {
            const num = finiteDiff(loss, arr);
            seen.fd = Math.max(seen.fd, relErr(cl, num, 1e-3));
            if (worst(cl, num, 1e-5, 1e-7) > 1) throw new Error(`${name}: finite differences disagree`);
          }
        },
      ),
      { numRuns: 60, seed: 1128 },
    );
    console.log(`witnesses (one step), worst relative disagreement: tape vs closed ${seen.tapeVsClosed.toExponential(2)}, closed vs FD ${seen.fd.toExponential(2)}`);
  });
});

describe("a bad witness is caught", () => {
  it("a wrong gradient (one gate's bias doubled) fails the comparison", () => {
    const rs = new RandomState(3);
    const x = rs.randn(2, 2, 3);
    const a0 = rs.randn(3, 2);
    const p = drawParams(rs, 2, 3, 2, 1);
    const da = rs.randn(3, 2, 3);
    const closed = lstmBackward(da, lstmForward(x, a0, p).caches);
    const num = finiteDiff(() => closedLoss(x, a0, p, da), p.bf);
    expect(worst(closed.dbf, num, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
    expect(worst(nd.mul(closed.dbf, 2), num, 1e-5, 1e-7)).toBeGreaterThan(1);
  });
});
