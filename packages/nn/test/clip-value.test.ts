// clipGradValue against torch.nn.utils.clip_grad_value_'s documented behaviour: each gradient
// element clamped into [-clip, clip] in place (torch.clamp: NaN stays NaN), parameters without a
// gradient skipped. The witness for compile is the eager loop (the differential harness):
// a compiled step that clips must equal the eager one bit for bit, call after call.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { ValueError } from "@tapegrad/tensor";
import { tensor, type Tensor } from "@tapegrad/autograd";
import { Linear, Parameter, ReLU, SGD, Sequential, clipGradValue, mseLoss } from "@tapegrad/nn";
import { differential } from "../../autograd/test/compile-harness.js";

describe("clipGradValue (torch.nn.utils.clip_grad_value_)", () => {
  it("clamps each element into [-clip, clip], in place", () => {
    const p = new Parameter(nd.zeros([2, 3]));
    const g = nd.array([[-5, 0.5, 7], [1, -1, -0.25]]);
    p.grad = g;
    clipGradValue([p], 1);
    expect(p.grad).toBe(g);
    expect(g.toArray()).toEqual([[-1, 0.5, 1], [1, -1, -0.25]]);
  });

  it("takes one tensor as well as a list, skips parameters without a gradient, and keeps NaN (as torch.clamp)", () => {
    const a = new Parameter(nd.zeros([3]));
    const b = new Parameter(nd.zeros([2]));
    a.grad = nd.array([NaN, -3, 3]);
    clipGradValue(a, 2);
    const got = a.grad.toArray() as number[];
    expect(Number.isNaN(got[0])).toBe(true);
    expect(got.slice(1)).toEqual([-2, 2]);
    expect(() => clipGradValue([a, b], 2)).not.toThrow();
    expect(b.grad).toBeNull();
  });

  it("keeps a float32 gradient float32, its clamped values being the float32 bounds", () => {
    const p = new Parameter(nd.zeros([2], "float32"));
    p.grad = nd.array([0.1, 9], undefined, "float32");
    clipGradValue([p], 0.3);
    expect(p.grad.dtype).toBe("float32");
    expect(p.grad.toArray()).toEqual([Math.fround(0.1), Math.fround(0.3)]);
  });

  it("replaces a broadcast (read-only) gradient by a clamped copy", () => {
    const p = new Parameter(nd.zeros([2, 2]));
    p.grad = nd.broadcastTo(nd.array([4, -4]), [2, 2]);
    clipGradValue([p], 1);
    expect(p.grad.toArray()).toEqual([[1, -1], [1, -1]]);
  });

  it("a negative or NaN clipValue is a ValueError that leaves the gradients unchanged", () => {
    const p = new Parameter(nd.zeros([2]));
    p.grad = nd.array([5, -5]);
    expect(() => clipGradValue([p], -1)).toThrow(ValueError);
    expect(() => clipGradValue([p], NaN)).toThrow(/clipGradValue: clipValue must be a non-negative number/);
    expect(p.grad.toArray()).toEqual([5, -5]);
  });

  it("inside a compiled step, replays clamp as the eager step does, bit for bit", () => {
    const make = () => {
      const rng = new nd.RandomState(3);
      const model = new Sequential(new Linear(3, 6, { rng }), new ReLU(), new Linear(6, 2, { rng }));
      const opt = new SGD(model.parameters(), 0.1, 0.9);
      const step = (x: Tensor, y: Tensor) => {
        opt.zeroGrad();
        const loss = mseLoss(model.forward(x) as Tensor, y);
        loss.backward();
        clipGradValue(model.parameters(), 0.05);
        opt.step();
        return loss;
      };
      return { step: step as never, state: () => ({ params: Object.fromEntries(model.namedParameters()), opt: opt.stateDict().tensors }) };
    };
    const data = (i: number) => {
      const r = new nd.RandomState(50 + i);
      return [tensor(nd.mul(r.randn(4, 3), 5)), tensor(nd.mul(r.randn(4, 2), 5))];
    };
    const out = differential(make, data, { calls: 8 });
    if (out.kind !== "equal") throw (out as { error: unknown }).error;
    expect(out.replays).toBeGreaterThanOrEqual(5);
  });
});
