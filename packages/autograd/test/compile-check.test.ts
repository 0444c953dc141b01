// compile's check, held to what it promises: the first replays of a plan run beside the eager
// function, from the same state, and any difference in results or state is a CompileError that
// names the first kernel whose output differs; a check that finds nothing leaves no trace (the
// arrays, gradients and RNG streams end as an eager call leaves them). The witness for "no
// trace" is the eager loop itself (differential, bitwise).

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import { CompileError, compile, tensor, type Tensor } from "@tapegrad/autograd";
import { differential } from "./compile-harness.js";

describe("compile: check compares the replay with the eager call", () => {
  // A kernel whose replay reads JS state that nothing saves: the eager call of the check moves it,
  // so the replay that follows computes something else. The check must see it and say which kernel.
  const noisyStep = () => {
    let counter = 0;
    const shift = nd.kernel("shift", (a: NDArray) => nd.add(a, ++counter));
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const step = (x: Tensor) => {
      w.zeroGrad();
      const loss = w.mul(x).sum();
      loss.backward();
      nd.add(w.data, shift(nd.zerosLike(w.data)), w.data); // w += counter, through a kernel
      return loss;
    };
    return { w, step, counter: () => counter };
  };

  it("a replay unlike the eager call is a CompileError naming the kernel, its shapes and strides", () => {
    const { w, step } = noisyStep();
    const f = compile(step);
    const x = tensor([1, 1, 1]);
    f(x);
    f(x); // two traces agree: the next call is the first replay, checked
    let error: unknown;
    try {
      f(x);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    const message = (error as Error).message;
    expect(message).toMatch(/^compile \(check\): call 3 of the step, replayed, differs from the eager call: kernel #\d+ \(shift, run as recorded\) wrote result \(float64\[3\], strides \[1\], offset 0\)/);
    expect(message).toMatch(/where the eager kernel wrote/);
    // the state is the eager call's: w moved by 1, 2, then 3 (the eager call of the check), not by the replay's 4
    expect(w.data.toArray()).toEqual([1 + 6, 2 + 6, 3 + 6]);
    // the signature refuses from then on, with the same error
    expect(() => f(x)).toThrow(error as Error);
  });

  it("check: 0 turns it off (and the stale replay goes unseen, which is why it is on by default)", () => {
    const { w, step } = noisyStep();
    const f = compile(step, { check: 0 });
    const x = tensor([1, 1, 1]);
    for (let i = 0; i < 4; i++) f(x);
    expect(w.data.toArray()).toEqual([1 + 10, 2 + 10, 3 + 10]);
  });

  it("the first replay is checked by default, the first three with check: true, none after", () => {
    for (const [check, eagerCalls] of [[undefined, 3], [true, 5], [2, 4], [false, 2]] as const) {
      let runs = 0;
      const w = tensor([1, 2], { requiresGrad: true });
      const f = compile((x: Tensor) => {
        runs++;
        w.zeroGrad();
        const loss = w.mul(x).sum();
        loss.backward();
        return loss;
      }, check === undefined ? {} : { check });
      for (let i = 0; i < 8; i++) expect(f(tensor([i, 1])).item()).toBe(i + 2);
      expect(runs, `check ${String(check)}`).toBe(eagerCalls);
      expect(f.stats).toEqual({ traces: 2, replays: 6, plans: 1 });
    }
  });

  it("a checked replay leaves no trace: RNG streams, gradients and state arrays end as the eager loop's (check: 5)", () => {
    const make = () => {
      const rng = new RandomState(11);
      const w = tensor(new RandomState(2).randn(3, 4), { requiresGrad: true });
      const m = nd.zeros([3, 4]);
      const step = (x: Tensor) => {
        w.zeroGrad();
        const mask = tensor(nd.lt(rng.rand(3, 4), 0.7).astype("float64")); // a dropout-like draw
        const loss = w.mul(mask).matmul(x).tanh().sum();
        loss.backward();
        nd.add(nd.mul(m, 0.9), w.grad!, m); // a momentum-like state array, in place
        nd.sub(w.data, nd.mul(m, 0.1), w.data);
        return loss;
      };
      return { step, state: () => ({ w, m, rng: rng.getState() }) };
    };
    const outcome = differential(make, (i) => [tensor(new RandomState(100 + i).randn(4, 2))], { calls: 10, compile: { check: 5 } });
    expect(outcome.kind).toBe("equal");
  });
});

describe("compile: numbers in the result", () => {
  it("a number read out of an array (item()) and returned is read again at every replay, as eagerly", () => {
    const make = () => {
      const w = tensor(new RandomState(5).randn(4), { requiresGrad: true });
      const step = (x: Tensor) => {
        w.zeroGrad();
        const loss = w.mul(x).square().sum();
        loss.backward();
        const g = nd.sqrt(nd.sum(nd.square(w.grad!))).item(); // a gradient norm, as a number
        nd.sub(w.data, nd.mul(w.grad!, 0.05), w.data);
        return { loss: loss.item(), g, both: [g, 3] };
      };
      return { step, state: () => ({ w }) };
    };
    const outcome = differential(make, (i) => [tensor(new RandomState(40 + i).randn(4))], { calls: 10 });
    expect(outcome).toMatchObject({ kind: "equal", replays: 8 });
  });

  it("a number computed in JS that changes from call to call is refused, saying it is not a value read out of an array", () => {
    let calls = 0;
    const f = compile((x: Tensor) => [x.sum(), ++calls]);
    f(tensor([1, 2]));
    f(tensor([1, 2]));
    expect(() => f(tensor([1, 2]))).toThrow(/returned the number 2 on one call and 3 on the next, not a value read out of an array by item\(\)/);
  });
});
