// The fast paths of a plain backward (fused VJP loops, gradients added in place, storage
// reused, values the tape does not keep) against the differentiable rules: the same graph
// differentiated with createGraph takes none of them, so the two must agree. Random programs
// reuse their intermediates, so that gradients meet, are passed on by add to two inputs, and
// flow through views (split, stack, unbind, reshape) as well as through fresh arrays.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gc, itWithGc } from "./gc.js";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { AutogradError, Tensor } from "../src/index.js";
import { rng } from "./helpers.js";
import { setValueFreeMinSize } from "../src/internal.js";
import { setDeferBudgetFloor } from "../src/internal.js";

// stand-ins for tensors of any size (by default only tensors of 256 elements or more get them;
// smaller ones are made unreadable only while a VJP runs), so that the small tensors here exercise them
let minSize: number;
beforeAll(() => {
  minSize = setValueFreeMinSize(0);
});
afterAll(() => {
  setValueFreeMinSize(minSize);
});

type Step = { op: string; a: number; b: number };

const OPS = ["add", "sub", "mul", "sigmoid", "tanh", "exp", "matmul", "matmulT", "chunk", "stack", "bias", "sumRows", "reshape", "square"] as const;

const stepArb: fc.Arbitrary<Step> = fc.record({ op: fc.constantFrom(...OPS), a: fc.nat(), b: fc.nat() });

/**
 * Runs a program over (B, H) tensors: each step applies an op to earlier values (picked by
 * index, so values are reused) and appends the result; the loss weights the last values.
 */
function program(steps: readonly Step[], leaves: { x: Tensor; y: Tensor; w: Tensor; b: Tensor }): Tensor {
  const vals: Tensor[] = [leaves.x, leaves.y];
  const pick = (k: number) => vals[k % vals.length]!;
  for (const { op, a, b } of steps) {
    const u = pick(a);
    const v = pick(b);
    switch (op) {
      case "add": vals.push(u.add(v)); break;
      case "sub": vals.push(u.sub(v)); break;
      case "mul": vals.push(u.mul(v)); break;
      case "sigmoid": vals.push(u.sigmoid()); break;
      case "tanh": vals.push(u.tanh()); break;
      case "exp": vals.push(u.tanh().exp()); break;
      case "square": vals.push(ag.square(u)); break;
      case "matmul": vals.push(ag.matmul(u, leaves.w)); break;
      case "matmulT": vals.push(ag.matmul(u, leaves.w.T)); break;
      case "bias": vals.push(u.add(leaves.b)); break;
      case "sumRows": vals.push(u.sum(0, true).add(v)); break;
      case "reshape": vals.push(u.reshape([-1]).reshape(u.shape)); break;
      case "chunk": {
        // the gates' pattern: chunk along the columns, a different op on each part, joined back
        const [p, q] = u.chunk(2, 1) as [Tensor, Tensor];
        vals.push(ag.concat([p.sigmoid().mul(v.chunk(2, 1)[0]!), q.tanh()], 1));
        break;
      }
      case "stack": {
        const [s, t] = ag.unbind(ag.stack([u, v, u.mul(v)], 0), 0) as [Tensor, Tensor];
        vals.push(s.add(t));
        break;
      }
    }
  }
  let loss = vals[vals.length - 1]!.sum();
  for (let i = 2; i < vals.length; i += 3) loss = loss.add(vals[i]!.mul((i % 5) - 2).sum());
  return loss;
}

function leavesFor(seed: number, B: number, H: number, dtype: nd.FloatDType) {
  const next = rng(seed);
  const draw = (shape: number[]) => {
    const a = nd.zeros(shape, dtype);
    const d = a.data;
    for (let i = 0; i < d.length; i++) d[i] = 2 * next() - 1;
    return new Tensor(a, true);
  };
  return { x: draw([B, H]), y: draw([B, H]), w: draw([H, H]), b: draw([H]) };
}

const maxRelDiff = (a: nd.NDArray, b: nd.NDArray): number => {
  const scale = Math.max(1, nd.max(nd.abs(b)).item());
  return nd.max(nd.abs(nd.sub(a.astype("float64"), b.astype("float64")))).item() / scale;
};

describe("fast paths of a plain backward agree with the differentiable rules", () => {
  for (const [dtype, floor] of [["float64", 1 << 20], ["float32", 1 << 20], ["float64", 0]] as const) {
    // floor 0: a weight's deferred gradient is multiplied out part by part (deferred.ts)
    it(`random programs that reuse their values (${dtype}${floor === 0 ? ", weight gradients summed in parts" : ""})`, () => {
      const prevFloor = setDeferBudgetFloor(floor);
      fc.assert(
        fc.property(fc.array(stepArb, { minLength: 1, maxLength: 14 }), fc.nat(), fc.integer({ min: 1, max: 4 }), fc.constantFrom(2, 4, 6), (steps, seed, B, H) => {
          const leaves = leavesFor(seed, B, H, dtype);
          const all = [leaves.x, leaves.y, leaves.w, leaves.b];
          // the differentiable rules: with createGraph no fast path runs
          const slow = ag.gradients(program(steps, leaves), all, undefined, { createGraph: true }).map((g) => g.data);
          const tol = dtype === "float64" ? 1e-12 : 1e-5;
          // gradients() without a graph: the fast paths, returned rather than accumulated
          const plain = ag.gradients(program(steps, leaves), all);
          plain.forEach((g, i) => expect(maxRelDiff(g.data, slow[i]!), `gradients() of leaf ${i} after ${JSON.stringify(steps)}`).toBeLessThanOrEqual(tol));
          program(steps, leaves).backward();
          all.forEach((t, i) => {
            const fast = t.grad ?? nd.zerosLike(t.data);
            expect(maxRelDiff(fast, slow[i]!), `leaf ${i} after ${JSON.stringify(steps)}`).toBeLessThanOrEqual(tol);
          });
          // a second backward accumulates: arrays handed to .grad are the leaves' own
          program(steps, leaves).backward();
          all.forEach((t, i) => {
            const twice = t.grad ?? nd.zerosLike(t.data);
            expect(maxRelDiff(twice, nd.mul(slow[i]!, 2)), `leaf ${i}, accumulated`).toBeLessThanOrEqual(2 * tol);
          });
        }),
        { numRuns: 150 },
      );
      setDeferBudgetFloor(prevFloor);
    });
  }

  it("gradients() of an intermediate through a weight used at every step of a loop", () => {
    // h_t = tanh(h_{t-1} @ W^T): W^T's gradient is one deferred sum over the steps; asking for
    // the gradient of an intermediate (a target that is not a leaf) reads the sums on the way
    const next = rng(7);
    const w = new Tensor(nd.array(Array.from({ length: 9 }, () => next() - 0.5), [3, 3]), true);
    const h0 = new Tensor(nd.array([[0.3, -0.2, 0.9]]), true);
    const run = () => {
      const wT = w.T;
      const hs = [h0];
      for (let t = 0; t < 6; t++) hs.push(ag.matmul(hs[t]!, wT).tanh());
      return { wT, loss: ag.stack(hs, 0).sum() };
    };
    const a = run();
    const slow = ag.gradients(a.loss, [a.wT, w, h0], undefined, { createGraph: true }).map((g) => g.data);
    const b = run();
    const fast = ag.gradients(b.loss, [b.wT, w, h0]);
    fast.forEach((g, i) => expect(maxRelDiff(g.data, slow[i]!)).toBeLessThan(1e-13));
  });

  it("a summed gradient that add hands to both inputs is reused by neither", () => {
    // s's gradient is a sum the engine made (s is used twice); add passes it to q and p. p's
    // VJPs run first and allocate; q's must still read the sum, not a reused array.
    const x = new Tensor(nd.array([[0.5, -1], [2, 0.25]]), true);
    const q = x.tanh();
    const p = x.sigmoid().mul(x);
    const s = q.add(p);
    const loss = s.exp().sum().add(s.sigmoid().sum());
    const [slow] = ag.gradients(loss, [x], undefined, { createGraph: true });
    loss.backward();
    expect(maxRelDiff(x.grad!, slow!.data)).toBeLessThan(1e-14);
  });

  it("gradients() returns arrays that later backward passes do not touch", () => {
    const x = new Tensor(nd.array([[0.3, -0.7, 1.1, 0.2]]), true);
    const f = () => {
      const [a, b] = x.chunk(2, 1) as [Tensor, Tensor];
      return a.sigmoid().mul(b.tanh()).add(x.chunk(2, 1)[0]!).sum();
    };
    const [g1] = ag.gradients(f(), [x]);
    const kept = g1!.data.copy();
    for (let i = 0; i < 3; i++) ag.gradients(f(), [x]);
    f().backward();
    expect(nd.maxAbsDiff(g1!.data, kept)).toBe(0);
  });
});

describe("what a node keeps", () => {
  it("an op keeps no values it does not read: add's inputs and mul's output are value-free", () => {
    const x = new Tensor(nd.array([1, 2, 3]), true);
    const a = x.exp();
    const b = x.sin();
    const s = a.add(b);
    const m = s.mul(x);
    const addNode = s.gradFn!;
    const mulNode = m.gradFn!;
    expect(() => addNode.inputs[0]!.data).toThrow(AutogradError);
    expect(() => mulNode.outputs[0]!.data).toThrow(/does not watch/);
    // the graph's structure is all there: shapes, producers, output slots
    expect(addNode.inputs[0]!.shape).toEqual([3]);
    expect(addNode.inputs[0]!.gradFn).toBe(a.gradFn);
    expect(mulNode.inputs[0]!.data).toBe(s.data); // mul reads its inputs
    expect(mulNode.inputs[1]).toBe(x); // leaves stay as they are
    m.sum().backward();
    const want = [1, 2, 3].map((v) => (Math.exp(v) + Math.cos(v)) * v + Math.exp(v) + Math.sin(v));
    (x.grad!.toArray() as number[]).forEach((g, k) => expect(g).toBeCloseTo(want[k]!, 12));
  });

  itWithGc("values only unwatched ops consumed are collectable before backward", async () => {
    const x = new Tensor(nd.ones([64, 64]), true);
    let ref: WeakRef<object>;
    const loss = (() => {
      const gates = ag.matmul(x, x).add(x); // read by chunk's split only as a shape
      ref = new WeakRef(gates.data.data);
      const [i, f] = gates.chunk(2, 1) as [Tensor, Tensor];
      return i.sigmoid().mul(f.sigmoid()).sum();
    })();
    for (let k = 0; k < 5 && ref!.deref() !== undefined; k++) {
      await new Promise((r) => setTimeout(r, 0));
      gc();
    }
    expect(ref!.deref()).toBeUndefined();
    loss.backward();
    expect(x.grad!.shape).toEqual([64, 64]);
  });
});

