// Losses against two witnesses that are not this code: numbers computed by real PyTorch 1.13
// (torch.nn.functional's losses, their gradients by torch.autograd; data/make-nn-reference.py
// wrote data/losses-reference.json, cross-checked there against numpy from the formulas in the
// torch.nn docs, quoted at the top of that script); and central finite differences (gradcheck).
// Plus laws any cross entropy obeys.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { DTypeError, IndexError, NDArray, ShapeError, ValueError } from "@tapegrad/tensor";
import { Tensor, gradcheck, tensor } from "@tapegrad/autograd";
import { binaryCrossEntropyWithLogits, crossEntropy, mseLoss, nllLoss } from "../src/losses.js";

interface Arr {
  shape: number[];
  data: number[];
}
interface LossCase {
  name: string;
  fn: "crossEntropy" | "nllLoss" | "mseLoss" | "binaryCrossEntropyWithLogits";
  input: Arr;
  target: Arr;
  options: Record<string, unknown>;
  loss: number | Arr;
  grad: Arr;
}

const ref = JSON.parse(readFileSync(new URL("./data/losses-reference.json", import.meta.url), "utf8")) as { cases: LossCase[] };
const isArr = (v: unknown): v is Arr => typeof v === "object" && v !== null && "shape" in v && "data" in v;
const toND = (a: Arr, dtype: nd.DType = "float64") => nd.array(a.data, a.shape, dtype);
const intTarget = (c: LossCase) => c.fn !== "mseLoss" && c.fn !== "binaryCrossEntropyWithLogits" && c.target.data.every(Number.isInteger) && !c.name.includes("probabilities");

function options(c: LossCase): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c.options).map(([k, v]) => [k, isArr(v) ? toND(v) : v]));
}

function run(c: LossCase, x: Tensor, target: unknown): Tensor {
  const o = options(c);
  switch (c.fn) {
    case "crossEntropy": return crossEntropy(x, target as never, o);
    case "nllLoss": return nllLoss(x, target as never, o);
    case "mseLoss": return mseLoss(x, target as never, o);
    case "binaryCrossEntropyWithLogits": return binaryCrossEntropyWithLogits(x, target as never, o);
  }
}

function expectClose(actual: NDArray, expected: { shape: number[]; data: number[] }, rtol: number, atol: number, label: string): void {
  expect(actual.shape, `${label}: shape`).toEqual(expected.shape);
  const a = actual.toFlat();
  a.forEach((v, i) => {
    const e = expected.data[i]!;
    if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${label}: element ${i} is ${v}, expected ${e} (diff ${Math.abs(v - e)})`);
    }
  });
}

const asArr = (v: number | Arr): Arr => (typeof v === "number" ? { shape: [], data: [v] } : v);

describe("losses against PyTorch's numbers", () => {
  for (const c of ref.cases) {
    it(`${c.name}: value and gradient`, () => {
      const x = tensor(toND(c.input), { requiresGrad: true });
      const target = intTarget(c) ? toND(c.target, "int32") : toND(c.target);
      const loss = run(c, x, target);
      expectClose(loss.data, asArr(c.loss), 1e-12, 1e-12, "loss");
      (loss.ndim === 0 ? loss : loss.sum()).backward();
      expectClose(x.grad!, c.grad, 1e-10, 1e-12, "grad");
    });
  }

  it("float32 logits give a float32 loss within float32 rounding of the float64 reference", () => {
    const c = ref.cases.find((k) => k.name === "ce (6,5) weight labelSmoothing 0.25 ignoreIndex mean")!;
    const x = tensor(toND(c.input, "float32"), { requiresGrad: true });
    const loss = crossEntropy(x, toND(c.target, "int32"), { ...options(c), weight: toND(c.options.weight as Arr, "float32") });
    expect(loss.dtype).toBe("float32");
    expectClose(loss.data, asArr(c.loss), 1e-6, 1e-6, "loss");
    loss.backward();
    expect(x.grad!.dtype).toBe("float32");
    expectClose(x.grad!, c.grad, 1e-5, 1e-6, "grad");
  });

  it("extreme logits: losses 2000, 1600 and ln 3, with no overflow", () => {
    // logsumexp([1000, 0, -1000]) = 1000 and logsumexp([-800, 800, 0]) = 800 in float64; the
    // uniform row costs ln 3 (a vectorised log may return it 1 ulp low, so compare within 2 ulp)
    const c = ref.cases.find((k) => k.name === "ce extreme logits")!;
    const loss = crossEntropy(toND(c.input), toND(c.target, "int32"), { reduction: "none" }).data.toFlat();
    for (const got of [asArr(c.loss).data, loss]) {
      expect(got.slice(0, 2)).toEqual([2000, 1600]);
      expect(Math.abs(got[2]! - Math.log(3))).toBeLessThanOrEqual(2 * 2 ** -52);
    }
  });
});

describe("crossEntropy targets and shapes", () => {
  const logits = nd.array([[0.5, -1, 2], [1, 1, 0], [-2, 0.25, 3]]);
  const classes = [2, 0, 1];
  // the definition: mean over rows of logsumexp(row) - row[y]
  const byHand = classes.reduce((s, y, n) => {
    const row = [0, 1, 2].map((c) => logits.get(n, c));
    return s + Math.log(row.reduce((t, v) => t + Math.exp(v), 0)) - row[y]!;
  }, 0) / 3;

  it("takes int32 arrays, tensors and plain numbers alike", () => {
    for (const t of [nd.array(classes, [3], "int32"), tensor(nd.array(classes, [3], "int32")), classes]) {
      expect(crossEntropy(logits, t as never).item()).toBeCloseTo(byHand, 14);
    }
  });

  it("one unbatched sample: logits (C,) and a single class", () => {
    const row = nd.array([0.5, -1, 2]);
    expect(crossEntropy(row, 2).item()).toBeCloseTo(Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2)) - 2, 14);
  });

  it("names an out-of-range class, and where it is", () => {
    expect(() => crossEntropy(logits, [2, 3, 1])).toThrow(IndexError);
    expect(() => crossEntropy(logits, [2, 3, 1])).toThrow(/target 3 at position \[1\] is out of range for 3 classes; expected 0\.\.2/);
    expect(() => crossEntropy(logits, [2, -1, 1])).toThrow(/target -1 at position \[1\]/);
    const x4 = nd.zeros([2, 3, 2]);
    expect(() => crossEntropy(x4, nd.array([[0, 1], [7, 2]], undefined, "int32"))).toThrow(/target 7 at position \[1,0\]/);
    expect(() => nllLoss(logits, [5, 0, 0])).toThrow(/nllLoss: target 5 at position \[0\]/);
  });

  it("rejects non-integer and non-int32 targets with a message that says what to pass", () => {
    expect(() => crossEntropy(logits, [2, 1.5, 1])).toThrow(/target 1.5 at position \[1\] is not an integer/);
    expect(() => crossEntropy(logits, nd.array(classes))).toThrow(DTypeError);
    expect(() => crossEntropy(logits, nd.array(classes))).toThrow(/class-index targets must be int32, got float64 of shape \[3\]/);
  });

  it("checks shapes, reductions, weights and smoothing", () => {
    expect(() => crossEntropy(logits, [1, 2])).toThrow(ShapeError);
    expect(() => crossEntropy(logits, [1, 2])).toThrow(/target shape \[2\] does not match input shape \[3,3\]; class indices need shape \[3\]/);
    expect(() => crossEntropy(logits, classes, { reduction: "avg" as never })).toThrow(ValueError);
    expect(() => crossEntropy(logits, classes, { weight: [1, 2] })).toThrow(/weight must have shape \[3\]/);
    expect(() => crossEntropy(logits, classes, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\], got 1.5/);
    expect(() => mseLoss(nd.zeros([3, 1]), nd.zeros([3]))).toThrow(/mseLoss: input shape \[3,1\] and target shape \[3\] differ/);
    expect(() => binaryCrossEntropyWithLogits(nd.zeros([2, 3]), nd.zeros([2, 3]), { posWeight: [1, 2] })).toThrow(/posWeight of shape \[2\] does not broadcast/);
  });

  it("every target ignored: the mean is 0/0 = NaN (as in PyTorch), the sum 0", () => {
    expect(crossEntropy(logits, [-100, -100, -100]).item()).toBeNaN();
    expect(crossEntropy(logits, [-100, -100, -100], { reduction: "sum" }).item()).toBe(0);
  });

  it("an ignored target gets no gradient, and ignored rows may hold any class number", () => {
    const x = tensor(logits, { requiresGrad: true });
    crossEntropy(x, [2, 99, 1], { ignoreIndex: 99 }).backward();
    expect(x.grad!.toArray()).toSatisfy((g: number[][]) => g[1]!.every((v) => v === 0));
  });
});

describe("laws", () => {
  const shapes = fc.record({ n: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 2, max: 6 }) });
  const problem = shapes.chain(({ n, c }) =>
    fc.record({
      n: fc.constant(n),
      c: fc.constant(c),
      x: fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: n * c, maxLength: n * c }),
      y: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
      shift: fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: n, maxLength: n }),
    }),
  );

  it("the mean is the mean of logsumexp(row) - row[y]; adding a constant to a row changes nothing", () => {
    fc.assert(
      fc.property(problem, ({ n, c, x, y, shift }) => {
        const logits = nd.array(x, [n, c]);
        let want = 0;
        for (let i = 0; i < n; i++) {
          const row = x.slice(i * c, i * c + c);
          const m = Math.max(...row);
          want += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[y[i]!]!;
        }
        want /= n;
        const got = crossEntropy(logits, y).item();
        const shifted = crossEntropy(nd.add(logits, nd.array(shift, [n, 1])), y).item();
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
        expect(Math.abs(shifted - want)).toBeLessThanOrEqual(1e-11 * Math.max(1, Math.abs(want)));
      }),
      { numRuns: 200 },
    );
  });

  it("each row of the gradient is (softmax - onehot) / N: it sums to 0 and lies in [-1/N, 1/N]", () => {
    fc.assert(
      fc.property(problem, ({ n, c, x, y }) => {
        const t = tensor(nd.array(x, [n, c]), { requiresGrad: true });
        crossEntropy(t, y, { labelSmoothing: 0.1 }).backward();
        const g = t.grad!.toArray() as number[][];
        for (const row of g) {
          expect(Math.abs(row.reduce((s, v) => s + v, 0))).toBeLessThan(1e-14);
          for (const v of row) expect(Math.abs(v)).toBeLessThanOrEqual(1 / n + 1e-15);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("nllLoss of logSoftmax is crossEntropy", () => {
    fc.assert(
      fc.property(problem, ({ n, c, x, y }) => {
        const logits = nd.array(x, [n, c]);
        expect(nllLoss(nd.logSoftmax(logits, 1), y).item()).toBeCloseTo(crossEntropy(logits, y).item(), 12);
      }),
      { numRuns: 100 },
    );
  });
});

describe("gradients against finite differences", () => {
  const rs = new nd.RandomState(3);

  it("crossEntropy with weights, smoothing and ignored targets, (N, C, d) logits; also with respect to the weights", () => {
    const x = rs.randn(3, 4, 2);
    const w = nd.add(rs.rand(4), 0.5);
    const y = nd.array([[0, 3], [-100, 1], [2, 2]], undefined, "int32");
    const report = gradcheck((xs, ws) => crossEntropy(xs!, y, { weight: ws, labelSmoothing: 0.3 }), [x, w]);
    expect(report.passed, report.toString()).toBe(true);
  });

  it("crossEntropy with probability targets", () => {
    const x = rs.randn(4, 3);
    const p = nd.softmax(rs.randn(4, 3), 1);
    const report = gradcheck((xs) => crossEntropy(xs!, p, { labelSmoothing: 0.2, reduction: "sum" }), [x]);
    expect(report.passed, report.toString()).toBe(true);
  });

  it("nllLoss, mseLoss (in both arguments)", () => {
    const lp = rs.randn(5, 3);
    expect(gradcheck((a) => nllLoss(a!, [0, 2, 1, 1, -100], { weight: [0.5, 1, 2] }), [lp]).passed).toBe(true);
    const report = gradcheck((a, b) => mseLoss(a!, b!, { reduction: "sum" }), [rs.randn(2, 3), rs.randn(2, 3)]);
    expect(report.passed, report.toString()).toBe(true);
  });

  it("binaryCrossEntropyWithLogits, including the softplus kink at 0 and large logits", () => {
    const x = nd.array([[0, 35, -35], [1.5, -0.5, 2]]);
    const t = nd.array([[0.3, 1, 0], [0, 1, 0.5]]);
    const report = gradcheck((a) => binaryCrossEntropyWithLogits(a!, t, { posWeight: [2, 0.5, 1], weight: [[1], [3]] }), [x]);
    expect(report.passed, report.toString()).toBe(true);
    // d/dx at 0 is sigmoid(0) - y = 0.5 - y, averaged over the 6 elements (posWeight 1 there)
    const z = tensor(nd.array([0, 0]), { requiresGrad: true });
    binaryCrossEntropyWithLogits(z, nd.array([0.25, 1])).backward();
    expect(z.grad!.toFlat()).toEqual([(0.5 - 0.25) / 2, (0.5 - 1) / 2]);
  });
});

describe("dtypes", () => {
  it("float32 logits keep a float32 loss whatever the dtype of targets and weights", () => {
    const x = nd.array([[1, 2, 3], [0, 0, 1]], undefined, "float32");
    const probs = nd.array([[0.2, 0.3, 0.5], [1, 0, 0]]);
    expect(crossEntropy(x, probs).dtype).toBe("float32");
    expect(crossEntropy(x, [0, 2], { weight: nd.array([1, 2, 3]) }).dtype).toBe("float32");
    expect(mseLoss(x, nd.zeros([2, 3])).dtype).toBe("float32");
    expect(binaryCrossEntropyWithLogits(x, probs, { posWeight: nd.array([1, 2, 3]) }).dtype).toBe("float32");
    expect(() => crossEntropy(x, [0, 2], { weight: nd.array([1, 2, 3], [3], "int32") })).toThrow(/weight must be a float tensor, got dtype int32/);
  });
});
