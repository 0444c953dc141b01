// The tape itself: graph lifetime (release after backward, retainGraph), detectAnomaly, and
// the version counter that catches a saved value modified in place.

import { describe, expect, it } from "vitest";
import { gc, itWithGc } from "./gc.js";
import * as nd from "@tapegrad/tensor";
import { ShapeError } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { AutogradError, Tensor, detectAnomaly, tensor } from "../src/index.js";
import { flat } from "./helpers.js";

const leaf = (v: Parameters<typeof tensor>[0], dtype: "float64" | "float32" = "float64") => tensor(v, { requiresGrad: true, dtype });

describe("graph lifetime", () => {
  it("a second backward through a released graph is an AutogradError saying so", () => {
    const x = leaf([1, 2, 3]);
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/already released.*retainGraph/);
  });

  it("the released error also comes from a later graph that reuses a released part", () => {
    const x = leaf([1, 2]);
    const h = x.mul(x); // computed once, e.g. state carried between steps
    h.sum().backward();
    expect(() => h.add(1).sum().backward()).toThrow(/through mul was already released/);
  });

  it("with retainGraph a second backward gives the same gradient, accumulated", () => {
    const x = leaf([0.5, -1, 2]);
    const y = x.mul(x).sin().sum();
    y.backward({ retainGraph: true });
    const first = flat(x.grad!);
    // d/dx sin(x^2) = 2x cos(x^2)
    expect(first).toEqual([0.5, -1, 2].map((v) => 2 * v * Math.cos(v * v)).map((v) => expect.closeTo(v, 12)));
    y.backward();
    expect(flat(x.grad!)).toEqual(first.map((v) => expect.closeTo(2 * v, 12)));
    expect(() => y.backward()).toThrow(/released/);
  });

  it("leaves hold no graph: a leaf's gradient is a plain array, and its gradFn stays null", () => {
    const x = leaf([1, 2]);
    const y = x.mul(3).exp().sum();
    y.backward();
    expect(x.gradFn).toBeNull();
    expect(x.gradTensor!.gradFn).toBeNull();
    expect(x.gradTensor!.requiresGrad).toBe(false);
  });

  it("a released node keeps no saved tensors", () => {
    const x = leaf([1, 2]);
    const y = x.exp();
    const node = y.gradFn!;
    expect(node.ctx).not.toBeNull();
    y.sum().backward();
    expect(node.ctx).toBeNull();
    expect(node.watched).toHaveLength(0);
  });

  it("a backward that fails releases nothing, so the same error comes again", () => {
    const x = leaf([1, 2]);
    const w = tensor([3, 4]);
    const y = x.mul(w).exp().sum();
    w.data.fill(0);
    expect(() => y.backward()).toThrow(/mul saved/);
    expect(() => y.backward()).toThrow(/mul saved/);
    expect(x.grad).toBeNull();
  });

  itWithGc("once the output is dropped, the graph can be collected while the leaf lives on", async () => {
    const x = leaf([1, 2, 3]);
    let ref: WeakRef<object>;
    (() => {
      const y = x.mul(2).exp().sum();
      ref = new WeakRef(y.gradFn!);
      y.backward();
    })();
    for (let i = 0; i < 5 && ref!.deref() !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 0));
      gc();
    }
    expect(ref!.deref()).toBeUndefined();
    expect(x.grad).not.toBeNull();
  });

  itWithGc("after backward, intermediates saved for it are freed even while the output lives", async () => {
    const x = leaf([1, 2, 3]);
    let ref: WeakRef<object>;
    const y = (() => {
      const h = x.exp(); // saved by mul below
      ref = new WeakRef(h.data);
      return h.mul(h).sum();
    })();
    y.backward();
    for (let i = 0; i < 5 && ref!.deref() !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 0));
      gc();
    }
    expect(ref!.deref()).toBeUndefined();
    expect(y.gradFn).not.toBeNull(); // the output (and the graph's structure) is still here
  });
});


describe("detectAnomaly", () => {
  it("throws at the first forward that yields Inf (log(0)), naming the op and shapes", () => {
    const x = leaf([1, 0, 2]);
    expect(() => detectAnomaly(() => x.log())).toThrow(AutogradError);
    expect(() => detectAnomaly(() => x.mul(2).log().sum())).toThrow(/forward of log produced NaN or Inf \(inputs \[3\] -> output \[3\]\)/);
  });

  it("throws at 0/0 in a forward, naming div and both input shapes", () => {
    const a = leaf([[0, 1]]);
    const b = tensor([0]);
    expect(() => detectAnomaly(() => a.div(b))).toThrow(/forward of div produced NaN or Inf \(inputs \[1,2\], \[1\] -> output \[1,2\]\)/);
  });

  it("throws at the first backward that yields Inf (sqrt at 0), naming that op", () => {
    const x = leaf([0, 4]);
    const y = detectAnomaly(() => x.sqrt().sum()); // the forward is finite: sqrt(0) = 0
    expect(() => detectAnomaly(() => y.backward())).toThrow(/backward of sqrt\(\[2\]\) produced NaN or Inf in the gradient of input 0 \(shape \[2\]\)/);
  });

  it("names the op whose backward first goes wrong, not one further down", () => {
    // z = log(x) * 0: the backward of mul is finite (0 * ...), the backward of log at x = 0 gives 0/0
    const x = leaf([0, 1]);
    const z = x.exp().sub(1).log().mul(0).sum();
    expect(() => detectAnomaly(() => z.backward())).toThrow(/backward of log\(/);
  });

  it("outside detectAnomaly nothing throws, and the NaN/Inf values come through", () => {
    const x = leaf([0, 4]);
    const y = x.log();
    expect(y.get(0)).toBe(-Infinity);
    y.sum().backward();
    expect(x.grad!.get(0)).toBe(Infinity);
    const s = leaf([0]);
    s.sqrt().sum().backward();
    expect(s.grad!.get(0)).toBe(Infinity);
  });

  it("is switched off again after fn returns or throws", () => {
    const x = leaf([0]);
    expect(() => detectAnomaly(() => x.log())).toThrow();
    expect(() => x.log()).not.toThrow();
    expect(detectAnomaly(() => 5)).toBe(5);
    expect(ag.isGradEnabled()).toBe(true);
  });
});

describe("version counter: in-place changes to saved values", () => {
  const modifications: [string, (a: nd.NDArray) => void][] = [
    ["data.fill(0)", (a) => a.fill(0)],
    ["nd.add(a, b, a) via out", (a) => nd.add(a, nd.onesLike(a), a)],
    ["assign", (a) => a.assign(7)],
    ["set", (a) => a.set([0], 5)],
    ["a write through a view", (a) => a.reshape([-1]).slice([0, 1]).fill(3)],
  ];

  for (const [how, modify] of modifications) {
    it(`an input of mul modified by ${how} is reported at backward`, () => {
      const x = leaf([1, 2, 3]);
      const w = tensor([4, 5, 6]);
      const y = x.mul(w).sum();
      modify(w.data);
      expect(() => y.backward()).toThrow(AutogradError);
      expect(() => y.backward()).toThrow(/shape \[3\] that mul saved for its gradient was modified in place/);
    });
  }

  it("the output of exp, which its VJP reads, modified in place is reported", () => {
    const x = leaf([1, 2]);
    const y = x.exp();
    const loss = y.sum();
    y.data.fill(0);
    expect(() => loss.backward()).toThrow(/that exp saved for its gradient was modified in place/);
  });

  it("the output of sigmoid modified in place is reported", () => {
    const x = leaf([1, 2]);
    const y = x.sigmoid();
    const loss = y.sum();
    y.data.set([1], 0.5);
    expect(() => loss.backward()).toThrow(/sigmoid saved/);
  });

  it("a leaf modified in place after use (an optimizer step before backward) is reported", () => {
    const x = leaf([1, 2]);
    const loss = x.mul(x).sum();
    nd.sub(x.data, 0.1, x.data);
    expect(() => loss.backward()).toThrow(/mul saved/);
  });

  it("an input of add is not saved, so modifying it is fine and the gradient is right", () => {
    const x = leaf([1, 2, 3]);
    const b = tensor([4, 5, 6]);
    const y = x.add(b).mul(2).sum();
    b.data.fill(0);
    y.backward();
    expect(flat(x.grad!)).toEqual([2, 2, 2]);
  });

  it("replacing a saved tensor's data (t.data = ...) is reported too, not silently used", () => {
    const x = leaf([1, 2]);
    const w = tensor([3, 4]);
    const y = x.mul(w).sum();
    w.data = nd.array([10, 20]);
    expect(() => y.backward()).toThrow(/mul saved for its gradient was (modified in place|replaced)/);
  });

  it("modifying a saved value after backward is fine (the graph is gone)", () => {
    const x = leaf([1, 2]);
    const w = tensor([3, 4]);
    x.mul(w).sum().backward();
    w.data.fill(0);
    expect(flat(x.grad!)).toEqual([3, 4]);
  });

  it("Tensor.data rejects an array of another shape", () => {
    const x = leaf([1, 2]);
    expect(() => (x.data = nd.zeros([3]))).toThrow(ShapeError);
    expect(() => (x.data = nd.zeros([3]))).toThrow(/cannot replace data of shape \[2\] with shape \[3\]/);
  });
});

describe("float32", () => {
  it("gradients of float32 leaves are float32, through every family of op", () => {
    const x = leaf([0.5, 1.5, 2.5], "float32");
    const W = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true, dtype: "float32" });
    const y = ag.matmul(W, x).tanh().add(x.sum()).mul(2.5).logsumexp().add(x.max()).add(ag.take(x, [0, 0, 2]).sum());
    expect(y.dtype).toBe("float32");
    y.backward();
    expect(x.grad!.dtype).toBe("float32");
    expect(W.grad!.dtype).toBe("float32");
  });

  it("a float32 leaf mixed with float64 values still gets a float32 gradient", () => {
    const x = leaf([1, 2], "float32");
    const w = tensor([0.1, 0.2]); // float64
    const y = x.mul(w).sum();
    expect(y.dtype).toBe("float64");
    y.backward();
    expect(x.grad!.dtype).toBe("float32");
    expect(flat(x.grad!)).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });

  it("float32 gradients match float64 ones to float32 precision", () => {
    const v = [0.3, -0.7, 1.1];
    const f = (x: Tensor) => x.sigmoid().mul(x.sin()).div(x.square().add(1)).sum();
    const x32 = leaf(v, "float32");
    const x64 = leaf(v);
    f(x32).backward();
    f(x64).backward();
    flat(x32.grad!).forEach((g, i) => expect(g).toBeCloseTo(x64.grad!.get(i), 6));
  });
});
