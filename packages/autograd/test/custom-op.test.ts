// customOp: a user op with a hand-written backward on NDArrays, recorded like any other.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { AutogradError, Tensor, customOp, grad, gradcheck, noGrad, tensor } from "../src/index.js";
import { arrayArb, flat, shapeArb } from "./helpers.js";

/** x^3 with its own backward: 3 x^2 g. */
const cube = customOp({
  name: "cube",
  forward: (ctx, x) => {
    ctx.save(x);
    return nd.mul(nd.mul(x, x), x);
  },
  backward: (ctx, g) => {
    const [x] = ctx.saved as [nd.NDArray];
    return [nd.mul(g, nd.mul(nd.mul(x, x), 3))];
  },
}) as (x: ag.TensorLike) => Tensor;

/** (a, b) -> [a * b, a + b]: two outputs, each with its own gradient. */
const prodSum = customOp({
  name: "prodSum",
  forward: (ctx, a, b) => {
    ctx.save(a, b);
    return [nd.mul(a, b), nd.add(a, b)];
  },
  backward: (ctx, gProd, gSum) => {
    const [a, b] = ctx.saved as [nd.NDArray, nd.NDArray];
    return [nd.add(nd.mul(gProd, b), gSum), ctx.needsGrad[1] ? nd.add(nd.mul(gProd, a), gSum) : null];
  },
}) as (a: ag.TensorLike, b: ag.TensorLike) => Tensor[];

describe("customOp", () => {
  it("a custom cube agrees with x*x*x built from primitives, value and gradient", () => {
    const v = [-1.5, 0.3, 2];
    const x1 = tensor(v, { requiresGrad: true });
    const x2 = tensor(v, { requiresGrad: true });
    const y1 = cube(x1);
    const y2 = x2.mul(x2).mul(x2);
    expect(flat(y1)).toEqual(flat(y2));
    expect(y1.gradFn!.op).toBe("cube");
    y1.sin().sum().backward();
    y2.sin().sum().backward();
    // d/dx sin(x^3) = 3 x^2 cos(x^3)
    expect(flat(x1.grad!)).toEqual(v.map((x) => expect.closeTo(3 * x * x * Math.cos(x ** 3), 12)));
    expect(flat(x1.grad!)).toEqual(flat(x2.grad!).map((g) => expect.closeTo(g, 12)));
  });

  it("composes with other ops inside a larger expression (gradcheck)", () => {
    fc.assert(
      fc.property(
        shapeArb(1, 2, 3).chain((s) => fc.tuple(arrayArb(s), arrayArb(s))),
        ([x, w]) => {
          const f = (a: Tensor, b: Tensor) => cube(a.tanh().mul(b)).add(a).softmax(-1).mul(cube(b)).sum();
          const r = gradcheck(f, [x, w]);
          expect(r.passed, r.toString()).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("a multi-output op: both outputs used, one used, and the other input constant", () => {
    const a = nd.array([0.5, -1, 2]);
    const b = nd.array([1.5, 0.25, -0.5]);
    const both = gradcheck((x, y) => { const [p, s] = prodSum(x, y); return p!.sin().add(s!.square()).sum(); }, [a, b]);
    expect(both.passed, both.toString()).toBe(true);
    // only the sum is used: the product's gradient comes in as zeros
    const onlySum = gradcheck((x, y) => prodSum(x, y)[1]!.exp().sum(), [a, b]);
    expect(onlySum.passed, onlySum.toString()).toBe(true);
    const onlyA = gradcheck((x, y) => prodSum(x, y)[0]!.sum(), [a, b], { check: [0] });
    expect(onlyA.passed, onlyA.toString()).toBe(true);
    // and by hand: d/da sum(a*b) = b, d/db = a; d/da sum(a+b) = 1
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([3, 4], { requiresGrad: true });
    const [p, s] = prodSum(x, y);
    p!.sum().add(s!.sum().mul(10)).backward();
    expect(flat(x.grad!)).toEqual([13, 14]);
    expect(flat(y.grad!)).toEqual([11, 12]);
  });

  it("an int output (indices) is a constant; the float output carries the gradient", () => {
    // max along the last axis, returning the values and where they are
    const maxWithIndex = customOp({
      name: "maxWithIndex",
      forward: (ctx, x) => {
        const idx = nd.argmax(x, -1);
        ctx.save(x.shape, idx);
        return [nd.max(x, -1), idx];
      },
      backward: (ctx, g) => {
        const [shape, idx] = ctx.saved as [number[], nd.NDArray];
        const dx = nd.zeros(shape);
        for (let r = 0; r < shape[0]!; r++) dx.set([r, idx.get(r)], g!.get(r));
        return [dx];
      },
    }) as (x: Tensor) => Tensor[];
    const x = tensor([[1, 5, 2], [7, 0, 3]], { requiresGrad: true });
    const [values, indices] = maxWithIndex(x);
    expect(indices!.dtype).toBe("int32");
    expect(indices!.requiresGrad).toBe(false);
    expect(indices!.gradFn).toBeNull();
    values!.mul(tensor([10, 20])).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 10, 0], [20, 0, 0]]);
  });

  it("needsGrad says which inputs require a gradient", () => {
    const seen: boolean[][] = [];
    const probe = customOp({
      name: "probe",
      forward: (ctx, a, b) => {
        seen.push([...ctx.needsGrad]);
        return nd.add(a, b);
      },
      backward: (_ctx, g) => [g, g],
    });
    probe(tensor([1], { requiresGrad: true }), tensor([2]));
    expect(seen).toEqual([[true, false]]);
  });

  it("records nothing under noGrad or when no input requires grad", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(noGrad(() => cube(x)).requiresGrad).toBe(false);
    expect(cube(tensor([1, 2])).gradFn).toBeNull();
  });

  it("a backward returning the wrong shape is a clear error", () => {
    const bad = customOp({
      name: "badShape",
      forward: (_ctx, x) => nd.mul(x, 2),
      backward: (_ctx, g) => [nd.sum(g, 0, true)],
    }) as (x: Tensor) => Tensor;
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(() => bad(x).sum().backward()).toThrow(AutogradError);
    expect(() => bad(x).sum().backward()).toThrow("customOp badShape: backward returned shape [1,2] for input 0 of shape [2,2]");
  });

  it("a backward returning the wrong number of gradients is a clear error", () => {
    const bad = customOp({
      name: "badCount",
      forward: (_ctx, a, b) => nd.add(a, b),
      backward: (_ctx, g) => [g],
    }) as (a: Tensor, b: Tensor) => Tensor;
    const a = tensor([1], { requiresGrad: true });
    expect(() => bad(a, a).sum().backward()).toThrow("customOp badCount: backward must return 2 gradient(s), one per input, got 1");
  });

  it("createGraph through a custom op gives the documented error", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => cube(x).sum().backward({ createGraph: true })).toThrow(AutogradError);
    expect(() => cube(x).sum().backward({ createGraph: true })).toThrow(
      "customOp cube: its backward works on NDArrays and cannot be recorded; createGraph (higher-order gradients) is not available through it",
    );
    // grad of grad asks for the same thing
    const d2 = grad((t: Tensor) => (grad((u: Tensor) => cube(u).sum())(t) as Tensor).sum());
    expect(() => d2(tensor([1]))).toThrow(/customOp cube: .*createGraph/);
    // first order through grad() is fine: 3 x^2
    expect(flat(grad((u: Tensor) => cube(u).sum())(tensor([1, 2])))).toEqual([3, 12]);
  });
});
