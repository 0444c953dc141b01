// compile's contract, op by op: placeholders and the plan key, retracing, what it refuses
// (values baked into a trace, computation a trace cannot see) and how it says so, check mode,
// arguments that require grad, failures part way, and the plan it prints. Whole training loops
// against eager are in packages/nn/test/compile.test.ts.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { NDArray, TraceError } from "@tapegrad/tensor";
import { CompileError, compile, tensor, type Tensor } from "@tapegrad/autograd";

const arange = (n: number, shape: number[]) => nd.arange(n).reshape(shape);

describe("compile", () => {
  it("replays a forward and backward with new argument values, as eager computes them", () => {
    const w = tensor(nd.array([[0.5, -1], [2, 0.25]]), { requiresGrad: true });
    const f = (x: Tensor) => {
      w.zeroGrad();
      const loss = x.matmul(w).tanh().square().sum();
      loss.backward();
      return loss;
    };
    const g = compile(f);
    for (let i = 0; i < 6; i++) {
      const x = tensor(arange(6, [3, 2]).mul(0.1 * (i + 1)));
      const got = g(x).item();
      const gotGrad = w.grad!.copy();
      const want = f(x).item();
      expect(got).toBe(want);
      expect(nd.maxAbsDiff(gotGrad, w.grad!)).toBe(0);
    }
    // call 1 traces and makes the VJPs' number constants (autograd caches them), so call 2's
    // program differs; call 3 agrees with call 2, and calls 4..6 replay
    expect(g.stats.replays).toBe(3);
  });

  it("keys plans by shape, dtype and plain values, and traces each new one", () => {
    const f = (x: Tensor, k: number) => x.mul(k).sum();
    const g = compile(f);
    const a = tensor(arange(4, [4]));
    const b = tensor(arange(6, [2, 3]));
    for (let i = 0; i < 3; i++) {
      expect(g(a, 2).item()).toBe(12);
      expect(g(a, 3).item()).toBe(18);
      expect(g(b, 2).item()).toBe(30);
    }
    expect(g.stats.plans).toBe(3);
    // the first trace of (a, 2) also made the constant 2 (autograd caches it), so its program
    // differs from the second's; that key replays from its fourth call
    expect(g.stats.replays).toBe(2);
    // a tensor that requires grad where the trace had one that did not is another plan
    const c = tensor(arange(4, [4]), { requiresGrad: true });
    expect(g(c, 2).item()).toBe(12);
    expect(g.stats.plans).toBe(4);
  });

  it("names the argument that keeps changing when the plans run out", () => {
    const g = compile((x: Tensor) => x.sum(), { maxPlans: 3 });
    for (let n = 1; n <= 3; n++) g(tensor(nd.ones([n])));
    expect(() => g(tensor(nd.ones([4])))).toThrow(CompileError);
    expect(() => g(tensor(nd.ones([5])))).toThrow(/argument 1 keeps changing \(Tensor float64\[1\]; Tensor float64\[2\]; Tensor float64\[3\]; Tensor float64\[5\]/);
  });

  it("returns arrays the caller keeps: a later replay does not overwrite them", () => {
    const g = compile((x: Tensor) => [x.exp(), x.data.mul(2)] as const);
    const outs = [1, 2, 3, 4].map((v) => g(tensor(nd.full([2], v))));
    outs.forEach(([e, d], i) => {
      expect(e.toArray()).toEqual(nd.exp(nd.full([2], i + 1)).toArray());
      expect((d as NDArray).toArray()).toEqual([2 * (i + 1), 2 * (i + 1)]);
      expect(e.requiresGrad).toBe(false);
    });
  });

  it("refuses a JS number that changes between calls (a step counter), naming the kernel", () => {
    let t = 0;
    const g = compile((x: Tensor) => {
      t++;
      return x.mul(1 / t).sum();
    });
    g(tensor(nd.ones([2])));
    g(tensor(nd.ones([2])));
    expect(() => g(tensor(nd.ones([2])))).toThrow(/kernel #0 \(scalar\) differs: argument 1 was 0\.5 on one call and 0\.3333333333333333 on the next/);
  });

  it("check mode catches a value that changes only after the first calls", () => {
    const make = (check: boolean) => {
      let calls = 0;
      const f = (x: Tensor) => x.mul(++calls > 3 ? 2 : 1).sum();
      return compile(f, { check });
    };
    const x = tensor(nd.ones([3]));
    const quiet = make(false);
    const results = [1, 2, 3, 4, 5].map(() => quiet(x).item());
    expect(results).toEqual([3, 3, 3, 3, 3]); // the stale constant: what check mode exists to catch
    const checked = make(true);
    for (let i = 0; i < 3; i++) checked(x);
    expect(() => checked(x)).toThrow(/compile \(check\): call 4 .*kernel #0 \(mul\) differs: argument 2 was an array from outside the trace holding 1 on one call and an array from outside the trace holding 2 on the next/);
  });

  it("refuses values computed by code that is not a kernel, and replays the same code wrapped in kernel()", () => {
    const double = (a: NDArray): NDArray => {
      const c = a.contiguous();
      const out = new Float64Array(c.size);
      for (let i = 0; i < c.size; i++) out[i] = 2 * c.data[c.offset + i]!;
      return new NDArray(out, c.shape);
    };
    const raw = compile((x: Tensor) => tensor(double(x.data)).sum());
    expect(() => raw(tensor(nd.ones([3])))).toThrow(TraceError);
    expect(() => raw(tensor(nd.ones([3])))).toThrow(/sum's argument 1 .* was computed inside the traced function by code that is not a kernel/);
    const k = nd.kernel("double", double);
    const wrapped = compile((x: Tensor) => tensor(k(x.data)).sum());
    for (let v = 1; v <= 5; v++) expect(wrapped(tensor(nd.full([3], v))).item()).toBe(6 * v);
    expect(wrapped.stats.replays).toBe(3);
  });

  it("refuses a write into a traced array by code that is not a kernel", () => {
    const g = compile((x: Tensor) => {
      const y = x.data.mul(3);
      y.data[0] = 100; // a replay would not repeat this
      return y.sum();
    });
    expect(() => g(tensor(nd.ones([4])))).toThrow(/whose values changed after mul last wrote or read it, by code that is not a kernel/);
  });

  it("gives a tensor argument that requires grad its gradient, accumulating as eager does", () => {
    const f = (x: Tensor) => x.mul(x).sum().backward();
    const g = compile(f);
    const x = tensor(nd.array([1, 2, 3]), { requiresGrad: true });
    for (let i = 0; i < 4; i++) g(x);
    expect(x.grad!.toArray()).toEqual([8, 16, 24]); // 4 calls of 2x
    const y = tensor(nd.array([1, 2, 3]), { requiresGrad: true });
    for (let i = 0; i < 4; i++) f(y);
    expect(y.grad!.toArray()).toEqual(x.grad!.toArray());
  });

  it("a call that fails part way leaves state as the eager call that fails at the same point", () => {
    const make = () => {
      const p = nd.array([1, 2, 3]);
      const f = (x: Tensor) => {
        nd.add(p, 1, p); // state updated in place before the failure
        return x.add(tensor(nd.ones([4]))).sum(); // a [3] input fails to broadcast with [4]
      };
      return { p, f };
    };
    const eager = make();
    const comp = make();
    const g = compile(comp.f);
    const bad = tensor(nd.ones([3]));
    expect(() => eager.f(bad)).toThrow(nd.ShapeError);
    expect(() => g(bad)).toThrow(nd.ShapeError);
    expect(comp.p.toArray()).toEqual(eager.p.toArray());
    // and the failed trace left no plan behind: a good call traces afresh
    const good = tensor(nd.ones([4]));
    expect(g(good).item()).toBe(eager.f(good).item());
    expect(comp.p.toArray()).toEqual(eager.p.toArray());
  });

  it("runs a compiled function called inside another's trace as part of that trace", () => {
    const inner = compile((x: Tensor) => x.mul(2));
    const outer = compile((x: Tensor) => inner(x).add(1).sum());
    for (let v = 1; v <= 4; v++) expect(outer(tensor(nd.full([2], v))).item()).toBe(2 * (2 * v + 1));
    expect(outer.stats.replays).toBe(2);
    expect(inner.stats.traces + inner.stats.replays).toBe(0);
  });

  it("prints its plan: kernels, how each replays, buffers and bytes", () => {
    const g = compile((x: Tensor) => x.exp().mul(x).sum());
    expect(g.plan()).toMatch(/no plans yet/);
    for (let i = 0; i < 3; i++) g(tensor(nd.ones([8])));
    const text = g.plan();
    expect(text).toMatch(/plan for \(Tensor float64\[8\]\): 2 trace\(s\), 1 replay\(s\)/);
    expect(text).toMatch(/3 kernel calls; 3 buffers, 136 B/); // exp [8], mul [8], sum []: 64 + 64 + 8 bytes
    expect(text).toMatch(/exp\s+1\s+out/);
    expect(text).toMatch(/sum\s+1\s+copy/);
    g.reset();
    expect(g.plan()).toMatch(/no plans yet/);
  });

  it("refuses options out of range, naming the option and the value", () => {
    const f = (x: Tensor) => x.mul(2);
    expect(() => compile(f, { maxTraces: 1 })).toThrow("compile: maxTraces must be an integer >= 2, got 1");
    expect(() => compile(f, { maxTraces: 2.5 })).toThrow("compile: maxTraces must be an integer >= 2, got 2.5");
    expect(() => compile(f, { maxPlans: 0 })).toThrow("compile: maxPlans must be an integer >= 1, got 0");
    expect(() => compile(f, { check: -1 })).toThrow("compile: check must be a boolean or a count >= 0, got -1");
  });
});
