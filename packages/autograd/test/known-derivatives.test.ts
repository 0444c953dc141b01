// Derivatives known on paper, against the tape. Each reference is computed in plain numbers,
// independently of the tape and of the tensor kernels.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { Tensor, grad, hvp, tensor } from "../src/index.js";
import { flat } from "./helpers.js";

const vec = (n: number, lo = -2, hi = 2) => fc.array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: n, maxLength: n });
const oneVec = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(vec(n)));
const twoVecs = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(vec(n), vec(n)));
const matrix = (n: number) => fc.array(vec(n), { minLength: n, maxLength: n });

function softmaxPlain(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function expectClose(got: readonly number[], want: readonly number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]!))));
}

describe("closed forms", () => {
  it("d/dx sum(softmax(x) * t) = s * (t - <s, t>)", () => {
    fc.assert(
      fc.property(twoVecs, ([x, t]) => {
        const s = softmaxPlain(x);
        const st = s.reduce((a, v, i) => a + v * t[i]!, 0);
        const g = grad((v: Tensor) => v.softmax().mul(tensor(t)).sum())(tensor(x));
        expectClose(flat(g), s.map((si, i) => si * (t[i]! - st)));
      }),
    );
  });

  it("the same along each row of a matrix (softmax over axis 1 and over axis 0)", () => {
    const x = [[0.1, -1, 2], [3, 0.5, -0.5]];
    const t = [[1, 2, 3], [-1, 0, 4]];
    const g = grad((v: Tensor) => v.softmax(1).mul(tensor(t)).sum())(tensor(x));
    const want = x.flatMap((row, r) => {
      const s = softmaxPlain(row);
      const st = s.reduce((a, v, i) => a + v * t[r]![i]!, 0);
      return s.map((si, i) => si * (t[r]![i]! - st));
    });
    expectClose(flat(g), want);
    // axis 0: the columns
    const g0 = grad((v: Tensor) => v.softmax(0).mul(tensor(t)).sum())(tensor(x));
    const want0 = [0, 1, 2].map((c) => {
      const col = [x[0]![c]!, x[1]![c]!];
      const s = softmaxPlain(col);
      const st = s[0]! * t[0]![c]! + s[1]! * t[1]![c]!;
      return [s[0]! * (t[0]![c]! - st), s[1]! * (t[1]![c]! - st)];
    });
    expectClose(flat(g0), [want0[0]![0]!, want0[1]![0]!, want0[2]![0]!, want0[0]![1]!, want0[1]![1]!, want0[2]![1]!]);
  });

  it("the gradient of logsumexp is softmax, and stays finite for large inputs", () => {
    fc.assert(
      fc.property(oneVec, ([x]) => {
        expectClose(flat(grad((v: Tensor) => v.logsumexp())(tensor(x))), softmaxPlain(x));
      }),
    );
    const big = [1000, 1001, 999];
    expectClose(flat(grad((v: Tensor) => v.logsumexp())(tensor(big))), softmaxPlain(big));
  });

  it("cross-entropy: d/dx -sum(t * logSoftmax(x)) = softmax(x) * sum(t) - t", () => {
    fc.assert(
      fc.property(twoVecs, ([x, t]) => {
        const s = softmaxPlain(x);
        const st = t.reduce((a, b) => a + b, 0);
        const g = grad((v: Tensor) => v.logSoftmax().mul(tensor(t)).sum().neg())(tensor(x));
        expectClose(flat(g), s.map((si, i) => si * st - t[i]!));
      }),
    );
  });

  it("the gradient of the quadratic form x^T A x is (A + A^T) x", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(matrix(n), vec(n))),
        ([A, x]) => {
          const want = x.map((_, i) => x.reduce((s, xj, j) => s + (A[i]![j]! + A[j]![i]!) * xj, 0));
          const g = grad((v: Tensor) => ag.matmul(v, ag.matmul(tensor(A), v)))(tensor(x));
          expectClose(flat(g), want, 1e-11);
        },
      ),
    );
  });

  it("the Hessian-vector product of a quadratic is (A + A^T) v, at any x", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(matrix(n), vec(n), vec(n))),
        ([A, x, v]) => {
          const want = v.map((_, i) => v.reduce((s, vj, j) => s + (A[i]![j]! + A[j]![i]!) * vj, 0));
          const Hv = hvp((y: Tensor) => ag.matmul(y, ag.matmul(tensor(A), y)), tensor(x), tensor(v));
          expectClose(flat(Hv), want, 1e-11);
        },
      ),
    );
  });

  it("the Hessian-vector product of sum(sin(x)) is -sin(x) * v, and of sum(exp(x))^2 is 2 (e e^T + S diag(e)) v", () => {
    const x = [0.3, -1.2, 2];
    const v = [1, -2, 0.5];
    expectClose(flat(hvp((y: Tensor) => y.sin().sum(), tensor(x), tensor(v))), x.map((xi, i) => -Math.sin(xi) * v[i]!));
    const e = x.map(Math.exp);
    const S = e.reduce((a, b) => a + b, 0);
    const ev = e.reduce((a, ei, i) => a + ei * v[i]!, 0);
    expectClose(flat(hvp((y: Tensor) => y.exp().sum().square(), tensor(x), tensor(v))), e.map((ei, i) => 2 * (ei * ev + S * ei * v[i]!)));
  });

  it("matmul: d/dA sum((A @ B) * G) = G B^T and d/dB = A^T G", () => {
    const A = [[1, 2, 3], [4, 5, 6]];
    const B = [[1, -1], [0.5, 2], [-3, 1]];
    const G = [[1, 2], [3, 4]];
    const [gA, gB] = grad((a: Tensor, b: Tensor) => ag.matmul(a, b).mul(tensor(G)).sum(), [0, 1])(tensor(A), tensor(B));
    const want = (r: number, c: number, m: number, f: (k: number) => number) => Array.from({ length: m }, (_, k) => f(k)).reduce((a, b) => a + b, 0);
    expectClose(flat(gA!), [0, 1].flatMap((i) => [0, 1, 2].map((j) => want(i, j, 2, (k) => G[i]![k]! * B[j]![k]!))));
    expectClose(flat(gB!), [0, 1, 2].flatMap((i) => [0, 1].map((j) => want(i, j, 2, (k) => A[k]![i]! * G[k]![j]!))));
  });

  it("variance: d var(x) / dx = 2 (x - mean) / (n - ddof)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((n) => vec(n)),
        fc.constantFrom(0, 1),
        (x, ddof) => {
          const m = x.reduce((a, b) => a + b, 0) / x.length;
          const g = grad((v: Tensor) => v.variance(undefined, false, ddof))(tensor(x));
          expectClose(flat(g), x.map((xi) => (2 * (xi - m)) / (x.length - ddof)), 1e-11);
        },
      ),
    );
  });

  it("sigmoid, tanh, and their second derivatives", () => {
    for (const v of [-3, -0.5, 0, 0.8, 4]) {
      const s = 1 / (1 + Math.exp(-v));
      const th = Math.tanh(v);
      const d = (f: (x: Tensor) => Tensor) => grad((x: Tensor) => f(x).sum());
      const dd = (f: (x: Tensor) => Tensor) => grad((x: Tensor) => (d(f)(x) as Tensor).sum());
      expect(d((x) => x.sigmoid())(tensor(v)).item()).toBeCloseTo(s * (1 - s), 14);
      expect(dd((x) => x.sigmoid())(tensor(v)).item()).toBeCloseTo(s * (1 - s) * (1 - 2 * s), 14);
      expect(d((x) => x.tanh())(tensor(v)).item()).toBeCloseTo(1 - th * th, 14);
      expect(dd((x) => x.tanh())(tensor(v)).item()).toBeCloseTo(-2 * th * (1 - th * th), 14);
    }
  });

  it("pow: d/da a^b = b a^(b-1), d/db a^b = a^b log a, and at a = 0 the exponent's gradient is 0", () => {
    const [ga, gb] = grad((a: Tensor, b: Tensor) => a.pow(b).sum(), [0, 1])(tensor([2, 0.5]), tensor([3, -1.5]));
    expectClose(flat(ga!), [3 * 2 ** 2, -1.5 * 0.5 ** -2.5]);
    expectClose(flat(gb!), [2 ** 3 * Math.log(2), 0.5 ** -1.5 * Math.log(0.5)]);
    expect(flat(grad((b: Tensor) => tensor(0).pow(b).sum())(tensor([2])))).toEqual([0]);
  });

  it("pow: x^0 is constant, so its derivative is 0 even at x = 0 (polynomial features 1, x, x^2 ...)", () => {
    const features = (x: Tensor) => ag.stack([0, 1, 2, 3].map((k) => x.pow(k)), 0).sum();
    // d/dx (1 + x + x^2 + x^3) = 1 + 2x + 3x^2
    expect(flat(grad(features)(tensor([0, 2])))).toEqual([1, 1 + 4 + 12]);
    // ln 3 = 1.0986122886681096914 (to 20 digits); the log kernel is within 2 ulp of it
    const [g0, g1] = flat(grad((e: Tensor) => tensor([0, 3]).pow(e).sum())(tensor([0, 0]))) as number[];
    expect(g0).toBe(0);
    expect(Math.abs(g1! - 1.0986122886681096914)).toBeLessThan(5e-16);
    // and the second derivative: 2 + 6x
    const d2 = grad((x: Tensor) => (grad(features)(x) as Tensor).sum());
    expect(flat(d2(tensor([0, 2])))).toEqual([2, 14]);
  });

  it("max and min share the gradient evenly among tied elements", () => {
    const g = grad((v: Tensor) => v.max())(tensor([1, 3, 3, 2]));
    expect(flat(g)).toEqual([0, 0.5, 0.5, 0]);
    const gm = grad((v: Tensor) => v.min(1).sum())(tensor([[1, 1, 1], [5, 2, 4]]));
    expect(flat(gm)).toEqual([1 / 3, 1 / 3, 1 / 3, 0, 1, 0]);
    const [ga, gb] = grad((a: Tensor, b: Tensor) => ag.maximum(a, b).sum(), [0, 1])(tensor([1, 2, 3]), tensor([3, 2, 1]));
    expect(flat(ga!)).toEqual([0, 0.5, 1]);
    expect(flat(gb!)).toEqual([1, 0.5, 0]);
  });

  it("relu and abs: 0 at 0 for relu (PyTorch's choice), sign elsewhere for abs", () => {
    expect(flat(grad((v: Tensor) => v.relu().sum())(tensor([-1, 0, 2])))).toEqual([0, 0, 1]);
    expect(flat(grad((v: Tensor) => v.abs().sum())(tensor([-1, 0, 2])))).toEqual([-1, 0, 1]);
  });

  it("an embedding lookup's gradient counts each row's uses", () => {
    const table = nd.array([[1, 2], [3, 4], [5, 6]]);
    const ids = nd.array([[2, 0], [2, 2]], undefined, "int32");
    const g = grad((t: Tensor) => ag.take(t, ids, 0).sum())(tensor(table));
    expect(g.toArray()).toEqual([[1, 1], [0, 0], [3, 3]]);
  });

  it("broadcasting: the gradient of a broadcast operand is the sum over the broadcast dims", () => {
    const [ga, gb] = grad((a: Tensor, b: Tensor) => a.mul(b).sum(), [0, 1])(tensor([[1], [2]]), tensor([[10, 20, 30]]));
    expect(ga!.toArray()).toEqual([[60], [60]]);
    expect(gb!.toArray()).toEqual([[3, 3, 3]]);
  });
});
