// The backward walk's onNode events: the order the walk takes nodes in (newest first, from the
// roots), and each node's complete output gradient, which must equal what gradients() gives for
// that tensor, and must not change what the walk computes.

import { describe, expect, it } from "vitest";
import { RandomState } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import type { BackwardNodeEvent, Tensor } from "../src/index.js";

function rnnLoss(rs: RandomState, steps: number) {
  const W = ag.tensor(rs.randn(4, 4), { requiresGrad: true });
  const U = ag.tensor(rs.randn(3, 4), { requiresGrad: true });
  const xs = Array.from({ length: steps }, () => ag.tensor(rs.randn(5, 3)));
  let h = ag.zeros([5, 4]);
  const hs: Tensor[] = [];
  for (const x of xs) {
    h = ag.tanh(ag.add(ag.matmul(h, W), ag.matmul(x, U)));
    hs.push(h);
  }
  const loss = ag.sum(ag.mul(ag.stack(hs, 0), ag.tensor(rs.randn(steps, 5, 4))));
  return { W, U, hs, loss };
}

describe("backward onNode events", () => {
  it("come newest first, from the loss towards the leaves", () => {
    const x = ag.tensor([1, 2], { requiresGrad: true });
    const met: string[] = [];
    ag.tanh(x.mul(3)).sum().backward({ onNode: (e) => met.push(e.op) });
    expect(met).toEqual(["sum", "tanh", "mul"]);
  });

  it("give each node's output gradient as gradients() gives it, and ids that decrease", () => {
    const { hs, loss, W, U } = rnnLoss(new RandomState(3), 6);
    const events: BackwardNodeEvent[] = [];
    const [gW, gU] = ag.gradients(loss, [W, U], undefined, { retainGraph: true, onNode: (e) => events.push(e) });
    for (let k = 1; k < events.length; k++) expect(events[k]!.id).toBeLessThan(events[k - 1]!.id);
    const byOutput = new Map<Tensor, Float64Array>();
    for (const e of events) e.outputs.forEach((t, i) => byOutput.set(t, e.gradients[i]!.toFlat() as unknown as Float64Array));
    const direct = ag.gradients(loss, hs, undefined, { retainGraph: true });
    hs.forEach((h, t) => expect(Array.from(byOutput.get(h)!)).toEqual(direct[t]!.data.toFlat()));
    // watching changed nothing the walk computes
    const plain = ag.gradients(loss, [W, U]);
    expect(gW!.data.toFlat()).toEqual(plain[0]!.data.toFlat());
    expect(gU!.data.toFlat()).toEqual(plain[1]!.data.toFlat());
  });

  it("hand out copies: a leaf's .grad and later events are unaffected by what a listener does with them", () => {
    const a = rnnLoss(new RandomState(5), 4);
    const b = rnnLoss(new RandomState(5), 4);
    a.loss.backward({ onNode: (e) => e.gradients.forEach((g) => g.fill(Number.NaN)) });
    b.loss.backward();
    expect(a.W.grad!.toFlat()).toEqual(b.W.grad!.toFlat());
    expect(a.U.grad!.toFlat()).toEqual(b.U.grad!.toFlat());
  });
});
