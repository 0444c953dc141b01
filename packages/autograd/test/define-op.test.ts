// defineOp: a user's op is an op like the built-in ones. Its node keeps only what its watch list
// names, at any size, and in a backward without a graph the engine reuses the gradients its VJP
// consumed, as it does for the built-in ops (the rule at define-op.ts's OpSpec).

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { AutogradError, Tensor, defineOp, mul, tensor } from "../src/index.js";

// x * y, as the built-in mul defines it, but a user's op: once passing the output's gradient
// through a view of itself (reshape), once making new arrays
const myMul = defineOp({
  name: "myMul",
  forward: ([a, b]) => nd.mul(a!, b!),
  vjp: ([g], { inputs: [a, b] }) => [ag.sumTo(mul(g!, b!), a!.shape), ag.sumTo(mul(g!, a!), b!.shape)],
});
const myIdentity = defineOp({
  name: "myIdentity",
  forward: ([a]) => nd.copy(a!),
  vjp: ([g]) => [g!.reshape(g!.shape)],
  watch: "none",
});

describe("defineOp", () => {
  for (const n of [1, 7, 1000]) {
    it(`a VJP that reads a value its op does not watch gets an error naming the op (${n} elements)`, () => {
      const careless = defineOp({
        name: "careless",
        forward: ([a]) => nd.mul(a!, a!),
        vjp: ([g], { inputs: [a] }) => [mul(g!, mul(2, a!))],
        watch: "none", // wrong: the VJP reads a
      });
      const x = tensor(Array.from({ length: n }, (_, i) => i / n), { requiresGrad: true });
      const y = careless([x.mul(3)], undefined); // a is not a leaf: the node keeps a stand-in
      let caught: unknown;
      try {
        y.sum().backward();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AutogradError);
      expect((caught as Error).message).toBe(
        `backward: the VJP of careless read the values of a [${n}] tensor (made by mul) that careless does not watch; add it to the watch list of careless (OpSpec.watch)`,
      );
      // nothing was accumulated
      expect(x.grad).toBeNull();
    });
  }

  it("user ops reuse storage only where it is dead: their plain backward gives the built-in ops' createGraph gradients", () => {
    // a program that reuses its intermediates: gradients are summed (fan-out), handed on by a
    // VJP to an input (myIdentity), and consumed; any storage reused too early would show
    const r = new nd.RandomState(7);
    const xs = [r.standardNormal([4, 6]), r.standardNormal([4, 6]), r.standardNormal([6]), r.standardNormal([6, 6])];
    const run = (mulOp: (a: Tensor, b: Tensor) => Tensor, idOp: (a: Tensor) => Tensor, createGraph: boolean) => {
      const [x, y, b, w] = xs.map((a) => new Tensor(a.copy(), true));
      let h = mulOp(x!, y!);
      for (let i = 0; i < 6; i++) {
        const u = idOp(h.matmul(w!));
        h = mulOp(u, h.tanh()).add(mulOp(u, b!)).sigmoid();
      }
      h.sum().backward({ createGraph });
      return [x!.grad!, y!.grad!, b!.grad!, w!.grad!];
    };
    // the reference: the built-in ops, differentiated with createGraph, which reuses no storage
    const builtin = run((a, b) => a.mul(b), (a) => a.clone(), true);
    const user = run((a, b) => myMul([a, b], undefined), (a) => myIdentity([a], undefined), false);
    for (let i = 0; i < builtin.length; i++) {
      expect(user[i]!.shape).toEqual(builtin[i]!.shape);
      const got = Array.from(user[i]!.contiguous().data);
      const want = Array.from(builtin[i]!.contiguous().data);
      // equal up to the order of the sums: w's gradient is summed as one product over all
      // steps' rows without a graph, step by step with one
      const scale = Math.max(...want.map(Math.abs));
      const worst = Math.max(...got.map((v, k) => Math.abs(v - want[k]!)));
      expect(worst).toBeLessThanOrEqual(1e-13 * scale);
    }
  });
});
