// The user-facing API: .grad accumulation, backward's arguments, grad / valueAndGrad /
// gradients, noGrad, higher order, and the errors each of them raises on bad input.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { DTypeError, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { AutogradError, Tensor, enableGrad, grad, gradients, hvp, noGrad, tensor, valueAndGrad } from "../src/index.js";
import { flat } from "./helpers.js";

const leaf = (v: Parameters<typeof tensor>[0]) => tensor(v, { requiresGrad: true });
const close = (xs: readonly number[], digits = 12) => xs.map((v) => expect.closeTo(v, digits));

describe(".grad and backward", () => {
  it("accumulates across backward calls until zeroed, as PyTorch does", () => {
    const x = leaf([1, -2, 3]);
    const f = () => x.mul(x).sum(); // d/dx = 2x
    expect(x.grad).toBeNull();
    f().backward();
    expect(flat(x.grad!)).toEqual([2, -4, 6]);
    f().backward();
    expect(flat(x.grad!)).toEqual([4, -8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    f().backward();
    expect(flat(x.grad!)).toEqual([2, -4, 6]);
    x.grad = null;
    f().backward();
    expect(flat(x.grad!)).toEqual([2, -4, 6]);
  });

  it("accumulates a leaf used several times in one graph (the sum of the paths)", () => {
    const x = leaf(3);
    // f = x * x + sin(x) + x: df = 2x + cos(x) + 1
    x.mul(x).add(x.sin()).add(x).backward();
    expect(x.grad!.item()).toBeCloseTo(2 * 3 + Math.cos(3) + 1, 12);
  });

  it("accumulates into an assigned .grad", () => {
    const x = leaf([1, 2]);
    x.grad = nd.array([10, 20]);
    x.mul(3).sum().backward();
    expect(flat(x.grad!)).toEqual([13, 23]);
  });

  it("a scalar needs no gradient; a one-element tensor of any rank is a scalar", () => {
    const x = leaf([[2]]);
    x.mul(x).backward();
    expect(flat(x.grad!)).toEqual([4]);
  });

  it("backward on a non-scalar without a gradient is a clear error", () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow("backward: a gradient can be implied only for a one-element output, got shape [3]; pass a gradient of that shape");
  });

  it("backward with a gradient computes the vector-Jacobian product", () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(x); // J = diag(2x)
    y.backward(tensor([1, 10, 100]));
    expect(flat(x.grad!)).toEqual([2, 40, 600]);
    const z = leaf([1, 2]);
    z.mul(3).backward({ gradient: nd.array([1, -1]) });
    expect(flat(z.grad!)).toEqual([3, -3]);
    const w = leaf([1, 2]);
    w.mul(3).backward(nd.array([2, 2]), { retainGraph: false });
    expect(flat(w.grad!)).toEqual([6, 6]);
  });

  it("a number gradient seeds a 0-d output, and the gradient it leaves is the leaf's own", () => {
    const x = leaf(3);
    x.mul(x).backward(2);
    expect(x.grad!.item()).toBe(12);
    const z = leaf(1);
    z.add(0).backward(5, { createGraph: true });
    z.grad!.fill(0); // writable, and no shared constant changes
    expect(z.add(0).mul(5).item()).toBe(5);
  });

  it("number operands work alongside tensors of either float dtype, and in both positions", () => {
    const x = tensor([1, 2], { requiresGrad: true, dtype: "float32" });
    const y = ag.sub(10, x.mul(3)).div(2); // (10 - 3x) / 2
    expect(y.dtype).toBe("float32");
    expect(flat(y)).toEqual([3.5, 2]);
    y.sum().backward();
    expect(flat(x.grad!)).toEqual([-1.5, -1.5]);
  });

  it("a gradient of the wrong shape is a ShapeError naming both shapes", () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.backward(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => y.backward(tensor([1, 2]))).toThrow("backward: gradient has shape [2] but the output has shape [3]");
  });

  it("backward on a tensor that does not require grad is an error", () => {
    const y = tensor([1, 2]).mul(2).sum();
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/does not require grad/);
  });

  it("only float tensors can require gradients", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    expect(() => (i.requiresGrad = true)).toThrow(AutogradError);
    expect(() => (i.requiresGrad = true)).toThrow("requiresGrad: only float tensors can require gradients, got dtype int32");
    expect(() => tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow(/got dtype int32/);
    expect(() => tensor([true, false], { dtype: "bool", requiresGrad: true })).toThrow(/got dtype bool/);
    expect(() => new Tensor(nd.array([1, 2], undefined, "int32"), true)).toThrow("Tensor: only float tensors can require gradients, got dtype int32");
  });

  it("a gradient assigned with another dtype is a DTypeError", () => {
    const x = tensor([1, 2], { requiresGrad: true, dtype: "float32" });
    expect(() => (x.grad = nd.zeros([2]))).toThrow(DTypeError);
    expect(() => (x.grad = nd.zeros([2]))).toThrow("grad: cannot assign a float64 gradient to a float32 tensor");
  });

  it("backward on a leaf gives it a gradient of ones", () => {
    const x = leaf(2);
    x.backward();
    expect(x.grad!.item()).toBe(1);
  });

  it("requiresGrad cannot be turned off on a non-leaf", () => {
    const y = leaf([1]).mul(2);
    expect(() => (y.requiresGrad = false)).toThrow(/cannot turn off requiresGrad on a non-leaf tensor; use detach\(\)/);
    expect(y.detach().requiresGrad).toBe(false);
    expect(y.detach().gradFn).toBeNull();
  });

  it("a gradient assigned with the wrong shape is a ShapeError", () => {
    const x = leaf([1, 2]);
    expect(() => (x.grad = nd.zeros([3]))).toThrow(ShapeError);
    expect(() => (x.grad = nd.zeros([3]))).toThrow("grad: cannot assign a gradient of shape [3] to a tensor of shape [2]");
  });

  it("where's mask cannot require grad", () => {
    const m = leaf([1, 0]);
    expect(() => ag.where(m, 1, 2)).toThrow(DTypeError);
    expect(() => ag.where(m, 1, 2)).toThrow(/mask must not require grad/);
  });

  it("comparisons give bool masks that never require grad", () => {
    const x = leaf([1, 2, 3]);
    const m = x.gt(1.5);
    expect(m.dtype).toBe("bool");
    expect(m.requiresGrad).toBe(false);
    expect(flat(m)).toEqual([0, 1, 1]);
  });

  it("non-tensor arguments are rejected with the type named", () => {
    expect(() => ag.exp("x" as never)).toThrow(ValueError);
    expect(() => ag.exp("x" as never)).toThrow("expected a Tensor, NDArray or number, got string");
    expect(() => ag.add(null as never, 1)).toThrow("got null");
  });

  it("matmul of mismatched shapes names both", () => {
    const a = leaf([[1, 2, 3]]);
    expect(() => ag.matmul(a, tensor([[1, 2]]))).toThrow("matmul: inner dimensions differ: [1,3] @ [1,2]");
    expect(() => ag.matmul(a, tensor(2))).toThrow(/at least 1 dim/);
  });
});

describe("grad, valueAndGrad, gradients", () => {
  it("grad returns the gradient without touching .grad", () => {
    const x = leaf([1, 2, 3]);
    x.grad = nd.array([7, 7, 7]);
    const g = grad((t: Tensor) => t.mul(t).sum())(x) as Tensor;
    expect(flat(g)).toEqual([2, 4, 6]);
    expect(flat(x.grad!)).toEqual([7, 7, 7]);
    expect(g.requiresGrad).toBe(false);
  });

  it("grad with argnums: a number gives one gradient, an array gives a list", () => {
    // f(a, b, c) = sum(a * b) + c * 0: df/da = b, df/db = a
    const f = (a: Tensor, b: Tensor, c: Tensor) => a.mul(b).sum().add(c.mul(0).sum());
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    const c = tensor([5]);
    expect(flat(grad(f, 1)(a, b, c))).toEqual([1, 2]);
    const [ga, gb, gc] = grad(f, [0, 1, 2])(a, b, c);
    expect(flat(ga!)).toEqual([3, 4]);
    expect(flat(gb!)).toEqual([1, 2]);
    expect(flat(gc!)).toEqual([0]);
    // the inputs stay as they were
    expect(a.requiresGrad).toBe(false);
    expect(a.grad).toBeNull();
  });

  it("grad takes numbers and NDArrays as arguments", () => {
    expect(grad((x: Tensor) => x.mul(x).mul(x))(2 as never).item()).toBe(12);
    expect(flat(grad((x: Tensor) => x.exp().sum())(nd.array([0, 0]) as never))).toEqual([1, 1]);
  });

  it("grad of a function that ignores its argument is zeros", () => {
    expect(flat(grad((_x: Tensor) => tensor(3))(tensor([1, 2])))).toEqual([0, 0]);
  });

  it("valueAndGrad returns the value (cut from the graph) and the gradient", () => {
    const [v, g] = valueAndGrad((x: Tensor) => x.sin().sum())(tensor([0, Math.PI / 2]));
    expect(v.item()).toBeCloseTo(1, 15);
    expect(v.requiresGrad).toBe(false);
    expect(flat(g)).toEqual(close([1, 0]));
  });

  it("grad of a non-scalar f is an error that says what to do", () => {
    const f = grad((x: Tensor) => x.mul(2));
    expect(() => f(tensor([1, 2]))).toThrow(AutogradError);
    expect(() => f(tensor([1, 2]))).toThrow("grad: f must return a one-element tensor, got shape [2]; reduce it (sum, mean) or use gradients() with a gradient");
  });

  it("bad argnums are errors naming the argnum", () => {
    const f = (a: Tensor) => a.sum();
    expect(() => grad(f, 1)(tensor([1]))).toThrow(AutogradError);
    expect(() => grad(f, 1)(tensor([1]))).toThrow("grad: argnums 1 is out of range for 1 argument(s)");
    expect(() => grad(f, -1)(tensor([1]))).toThrow("argnums -1 is out of range");
    expect(() => grad(f, 0.5)(tensor([1]))).toThrow("argnums 0.5 is out of range");
    expect(() => valueAndGrad(f, [0, 3])(tensor([1]))).toThrow("valueAndGrad: argnums 3 is out of range for 1 argument(s)");
  });

  it("an int argument cannot be differentiated", () => {
    const f = (a: Tensor) => a.astype("float64").sum();
    expect(() => grad(f)(tensor([1, 2], { dtype: "int32" }))).toThrow("grad: argument 0 has dtype int32; only float inputs can be differentiated");
  });

  it("gradients() gives gradients for leaves and non-leaves, zeros for unused inputs", () => {
    const x = leaf([1, 2]);
    const unused = leaf([5]);
    const h = x.mul(3);
    const y = h.square().sum(); // dy/dh = 2h, dy/dx = 6h = 18x
    const [gx, gh, gu] = gradients(y, [x, h, unused]);
    expect(flat(gx!)).toEqual([18, 36]);
    expect(flat(gh!)).toEqual([6, 12]);
    expect(flat(gu!)).toEqual([0]);
    expect(x.grad).toBeNull();
  });

  it("grad with respect to an intermediate leaves the rest of the graph usable", () => {
    const p = leaf([1, 2]);
    const h = p.exp(); // an intermediate the user keeps
    const g = grad((t: Tensor) => t.square().sum())(h);
    expect(flat(g)).toEqual(close([2 * Math.E, 2 * Math.E ** 2]));
    h.sum().backward(); // the graph behind h was neither used nor released by grad
    expect(flat(p.grad!)).toEqual(close([Math.E, Math.E ** 2]));
  });

  it("grad walks only what leads to its inputs: other parameters' graphs are left alone", () => {
    const w = leaf([2]);
    const scaled = w.mul(3); // e.g. a parameter's use computed outside f
    const g = grad((x: Tensor) => x.mul(scaled).sum())(tensor([4]));
    expect(flat(g)).toEqual([6]);
    scaled.sum().backward();
    expect(flat(w.grad!)).toEqual([3]);
  });
});

describe("noGrad", () => {
  it("records nothing: results do not require grad and have no gradFn", () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => x.mul(2).exp().sum());
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(() => y.backward()).toThrow(/does not require grad/);
  });

  it("enableGrad records again inside noGrad; both restore the mode, even on a throw", () => {
    const x = leaf([1]);
    const y = noGrad(() => enableGrad(() => x.mul(2)));
    expect(y.requiresGrad).toBe(true);
    expect(() =>
      noGrad(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(ag.isGradEnabled()).toBe(true);
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it("grad still works inside noGrad (it records its own trace)", () => {
    const g = noGrad(() => grad((x: Tensor) => x.square().sum())(tensor([3])));
    expect(flat(g)).toEqual([6]);
  });
});

describe("higher order", () => {
  it("grad(grad(sin)) is -sin, and a third grad gives -cos", () => {
    const d1 = grad((x: Tensor) => x.sin().sum());
    const d2 = grad((x: Tensor) => (d1(x) as Tensor).sum());
    const d3 = grad((x: Tensor) => (d2(x) as Tensor).sum());
    for (const v of [-2, -0.5, 0, 0.7, 3]) {
      expect(d1(tensor(v)).item()).toBeCloseTo(Math.cos(v), 14);
      expect(d2(tensor(v)).item()).toBeCloseTo(-Math.sin(v), 14);
      expect(d3(tensor(v)).item()).toBeCloseTo(-Math.cos(v), 14);
    }
  });

  it("nested grads keep their variables apart: d/dx [x * d/dy (x y)] = 2x", () => {
    // the inner derivative is x (a function of the outer variable), so the outer one is of x^2
    const inner = (x: Tensor) => grad((y: Tensor) => x.mul(y).sum())(tensor(1)) as Tensor;
    const outer = grad((x: Tensor) => x.mul(inner(x)).sum());
    expect(outer(tensor(3)).item()).toBe(6);
  });

  it("mixed second derivatives with argnums: d/db d/da sin(a b) = cos(ab) - ab sin(ab)", () => {
    const dA = (a: Tensor, b: Tensor) => grad((u: Tensor, v: Tensor) => u.mul(v).sin().sum(), 0)(a, b) as Tensor;
    const dAB = grad((a: Tensor, b: Tensor) => dA(a, b).sum(), 1);
    const [a, b] = [0.7, -1.3];
    expect(dAB(tensor(a), tensor(b)).item()).toBeCloseTo(Math.cos(a * b) - a * b * Math.sin(a * b), 14);
  });

  it("d2/dx2 of x^3 is 6x, through backward({ createGraph: true })", () => {
    const x = leaf([1, -2]);
    x.mul(x).mul(x).sum().backward({ createGraph: true });
    const g = x.gradTensor!;
    expect(flat(g)).toEqual([3, 12]);
    expect(g.requiresGrad).toBe(true);
    x.zeroGrad();
    g.sum().backward();
    expect(flat(x.grad!)).toEqual([6, -12]);
  });

  it("gradients from a createGraph backward are not shared between leaves", () => {
    // y = (a + b) * w: add's VJP hands the same gradient to a and b
    const a = leaf([1, 2]);
    const b = leaf([3, 4]);
    const w = tensor([5, 6]);
    a.add(b).mul(w).sum().backward({ createGraph: true });
    expect(flat(a.grad!)).toEqual([5, 6]);
    expect(flat(b.grad!)).toEqual([5, 6]);
    a.sum().backward(); // accumulates into a.grad only
    expect(flat(a.grad!)).toEqual([6, 7]);
    expect(flat(b.grad!)).toEqual([5, 6]);
  });

  it("a user's gradient tensor is never written by a later accumulation", () => {
    const x = leaf([1, 2]);
    const seed = tensor([1, 1]);
    x.add(0).backward(seed, { createGraph: true });
    x.sum().backward();
    expect(flat(seed)).toEqual([1, 1]);
    expect(flat(x.grad!)).toEqual([2, 2]);
  });
});

describe("clip", () => {
  it("passes the whole gradient at the bounds and inside, none outside or at NaN (PyTorch's clamp)", () => {
    // d clamp(x, lo, hi) / dx is 1 for lo <= x <= hi: PyTorch's rule, bounds included
    const x = tensor([-2, -1, 0, 1, 2, Number.NaN], { requiresGrad: true });
    ag.clip(x, -1, 1).mul(tensor([1, 2, 3, 4, 5, 6])).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 2, 3, 4, 0, 0]);
  });
});
