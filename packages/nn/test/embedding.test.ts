// Embedding against numbers computed by PyTorch (data/make-recurrent-reference.py), its
// initialisation checked statistically against PyTorch's N(0, 1), its gradient summed by hand and
// against finite differences.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { IndexError, RandomState } from "@tapegrad/tensor";
import { Embedding } from "@tapegrad/nn";
import { expectClose, gradcheckWith, project, ref, toND } from "./module-helpers.js";

describe("Embedding", () => {
  it("forward matches torch.nn.Embedding (rows picked by id, any id shape)", () => {
    const c = ref.embedding;
    const emb = new Embedding(6, 3);
    emb.loadStateDict({ weight: toND(c.weight) });
    const ids = nd.array(c.ids.data, c.ids.shape, "int32");
    expectClose(emb.forward(ids), toND(c.y), { rtol: 0, atol: 0 }, "embedding");
    expect(emb.forward([2, 0]).shape).toEqual([2, 3]);
  });

  it("initialises weight N(0, 1), as PyTorch", () => {
    const w = new Embedding(1000, 50, { rng: new RandomState(20) }).weight.data.toFlat();
    const n = w.length;
    const mean = w.reduce((a, b) => a + b, 0) / n;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const within1 = w.filter((v) => Math.abs(v) < 1).length / n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // P(|Z| < 1) = erf(1/sqrt 2) = 0.682689...
    expect(Math.abs(within1 - 0.682689)).toBeLessThan(5 * Math.sqrt((0.6827 * 0.3173) / n));
  });

  it("accumulates the gradient of a repeated id (a scatter-add), as summed by hand", () => {
    const emb = new Embedding(5, 2, { rng: new RandomState(21) });
    const ids = [1, 3, 1, 1, 0];
    const r = new RandomState(22).randn(5, 2);
    project(emb.forward(ids), r).backward();
    const want = nd.zeros([5, 2]);
    ids.forEach((id, k) => {
      for (let j = 0; j < 2; j++) want.data[id * 2 + j] = want.data[id * 2 + j]! + r.get(k, j);
    });
    expectClose(emb.weight.grad!, want, undefined, "embedding grad");
    expect(emb.weight.grad!.toArray()).toContainEqual([0, 0]); // rows 2 and 4 are never looked up
  });

  it("gradcheck: weight, with repeated ids in a 2-D batch", () => {
    const emb = new Embedding(4, 3, { rng: new RandomState(23) });
    const ids = nd.array([[0, 2, 2], [3, 0, 2]], undefined, "int32");
    const r = new RandomState(24).randn(2, 3, 3);
    const report = gradcheckWith([[emb, "weight"]], [], () => project(emb.forward(ids), r));
    expect(report.passed, report.toString()).toBe(true);
  });

  it("rejects ids outside [0, numEmbeddings), negatives included (numpy's take would wrap them)", () => {
    const emb = new Embedding(4, 2);
    expect(() => emb.forward([4])).toThrow(IndexError);
    expect(() => emb.forward([-1])).toThrow(IndexError);
    expect(() => emb.forward([-1])).toThrow(/Embedding: id -1/);
    expect(() => emb.forward(nd.array([0, -2], undefined, "int32"))).toThrow(/Embedding/);
    expect(() => emb.forward([1.5])).toThrow(/Embedding/);
  });
});
