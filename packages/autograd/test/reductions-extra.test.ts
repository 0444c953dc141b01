// Reductions and scans (issue 26) against PyTorch 1.13: values, returned indices, gradients and,
// for prod and cumprod at zeros, a gradient of the gradient, from data/reduce-reference.json
// (made by data/make-reduce-reference.py; prod's and cumprod's second derivatives there are
// closed forms). Then the laws: sort is a permutation, stable on ties, topk is the sort's head,
// cumsum is adjoint to its reverse, the gradients of the selections go to the returned index.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import * as ag from "../src/index.js";
import { Tensor, gradients, tensor } from "../src/index.js";

type Enc = number | string | Enc[];
interface Case {
  op: string;
  args: Record<string, unknown>;
  note: string;
  x: Enc;
  values: Enc;
  indices?: Enc;
  w: Enc;
  grad?: Enc;
  v?: Enc;
  grad2?: Enc;
}

const REF = JSON.parse(readFileSync(new URL("./data/reduce-reference.json", import.meta.url), "utf8")) as { cases: Case[] };

function dec(e: Enc): unknown {
  if (Array.isArray(e)) return e.map(dec);
  if (e === "nan") return NaN;
  if (e === "inf") return Infinity;
  if (e === "-inf") return -Infinity;
  return e;
}

const arr = (e: Enc) => nd.array(dec(e) as number[]);
const order = (p: unknown): number | "fro" => (p === "inf" ? Infinity : p === "-inf" ? -Infinity : (p as number | "fro"));

/** Runs a case's op: its values (a Tensor) and, for the ops that give them, the indices. */
function run(c: Case, x: Tensor): { values: Tensor; indices?: Tensor } {
  // the arguments as the script wrote them, each passed on as it is (never: any parameter type)
  const a = c.args as { [K in "axis" | "keepdims" | "descending" | "k" | "largest" | "correction" | "p" | "eps"]: never };
  switch (c.op) {
    case "prod": return { values: ag.prod(x, a.axis, a.keepdims) };
    case "cumsum": return { values: ag.cumsum(x, a.axis) };
    case "cumprod": return { values: ag.cumprod(x, a.axis) };
    case "logcumsumexp": return { values: ag.logcumsumexp(x, a.axis) };
    case "cummax": return ag.cummax(x, a.axis);
    case "cummin": return ag.cummin(x, a.axis);
    case "sort": return ag.sort(x, a.axis, a.descending);
    case "argsort": return { values: ag.argsort(x, a.axis, a.descending) };
    case "topk": return ag.topk(x, a.k, a.axis, a.largest);
    case "kthvalue": return ag.kthvalue(x, a.k, a.axis, a.keepdims);
    case "median": return a.axis === null ? { values: ag.median(x) } : ag.medianWithIndices(x, a.axis, a.keepdims);
    case "mode": return ag.mode(x, a.axis, a.keepdims);
    case "maxWithIndices": return ag.maxWithIndices(x, a.axis, a.keepdims);
    case "minWithIndices": return ag.minWithIndices(x, a.axis, a.keepdims);
    case "amax": return { values: ag.amax(x, a.axis, a.keepdims) };
    case "amin": return { values: ag.amin(x, a.axis, a.keepdims) };
    case "std": return { values: ag.std(x, a.axis, a.keepdims, a.correction) };
    case "norm": return { values: ag.norm(x, order(a.p), a.axis, a.keepdims) };
    case "normalize": return { values: ag.normalize(x, a.p, a.axis, a.eps) };
  }
  throw new Error(`no such op in the reference: ${c.op}`);
}

/** Elementwise agreement to `rel` of the larger magnitude (NaN with NaN, infinities exactly). */
function expectClose(got: nd.NDArray, want: nd.NDArray, what: string, rel = 1e-12): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const g = got.astype("float64").toFlat();
  const w = want.toFlat();
  for (let i = 0; i < w.length; i++) {
    const a = g[i]!, b = w[i]!;
    const ok = Number.isFinite(b) ? Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)) : Object.is(a, b) || (a !== a && b !== b);
    if (!ok) expect.fail(`${what}: element ${i} is ${a}, PyTorch's ${b}`);
  }
}

describe("PyTorch 1.13 parity (float64): values, indices, gradients", () => {
  for (const [k, c] of REF.cases.entries()) {
    const title = `${k}: ${c.op}(${JSON.stringify(c.args)})${c.note ? ` (${c.note})` : ""}`;
    it(title, () => {
      const x = new Tensor(arr(c.x), true);
      const { values, indices } = run(c, x);
      expectClose(values.data, arr(c.values), "values");
      if (c.indices !== undefined) {
        expect(indices, "indices").toBeDefined();
        expect(indices!.dtype).toBe("int32");
        expect(indices!.toArray(), "indices").toEqual(dec(c.indices));
      }
      if (c.grad === undefined || !values.requiresGrad) return;
      const second = c.grad2 !== undefined;
      const [g] = gradients([values], [x], [arr(c.w)], { createGraph: second });
      expectClose(g!.data, arr(c.grad), "gradient");
      if (second) {
        const [g2] = gradients([ag.sum(ag.mul(g!, arr(c.v!)))], [x]);
        expectClose(g2!.data, arr(c.grad2!), "gradient of the gradient", 1e-11);
      }
    });
  }
});

describe("prod and cumprod at zeros, by hand", () => {
  it("prod's gradient: only a lone zero gets one (the product of the others); two zeros give none", () => {
    const x = tensor([[2, 0, 3], [2, 0, 0], [2, 5, 3]], { requiresGrad: true });
    ag.prod(x, 1).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 6, 0], [0, 0, 0], [15, 6, 10]]);
  });

  it("two zeros: the second derivative between them is the product of the rest, not 0", () => {
    const x = tensor([2, 0, 3, 0], { requiresGrad: true });
    const [g] = gradients([ag.prod(x)], [x], undefined, { createGraph: true });
    expect(g!.toArray()).toEqual([0, 0, 0, 0]);
    // d^2 prod / dx_1 dx_3 = 2 * 3
    const [h] = gradients([g!.slice([1, 2]).sum()], [x]);
    expect(h!.toArray()).toEqual([0, 0, 0, 6]);
  });

  it("cumprod's gradient equals the closed form, zeros or not, with and without a graph being built", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0.5, -1.5, 2, 3), { minLength: 1, maxLength: 7 }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 7, maxLength: 7 }), (xs, ws) => {
        const x = tensor(xs, { requiresGrad: true });
        const w = nd.array(ws.slice(0, xs.length));
        const [plain] = gradients([ag.cumprod(x, 0)], [x], [w]);
        const [exact] = gradients([ag.cumprod(x, 0)], [x], [w], { createGraph: true });
        // the closed form, sum_{k >= i} w_k prod_{j <= k, j != i} x_j
        const want = xs.map((_, i) => {
          let s = 0;
          for (let k = i; k < xs.length; k++) {
            let p = w.get(k) as number;
            for (let j = 0; j <= k; j++) if (j !== i) p *= xs[j]!;
            s += p;
          }
          return s;
        });
        for (let i = 0; i < xs.length; i++) {
          expect(plain!.data.get(i) as number).toBeCloseTo(want[i]!, 12);
          expect(exact!.data.get(i) as number).toBeCloseTo(want[i]!, 12);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("logcumsumexp's gradient far from 0", () => {
  it("equals sum_{k >= i} g_k exp(x_i - y_k) for entries a thousand apart, both ways, to 1e-14", () => {
    const xs = [0, -800, 800, -800, 799.5, 3];
    const gs = [0.3, -1.7, 2.1, -0.4, 1e-9, -2.5];
    for (const reverse of [false, true]) {
      const x = tensor(xs, { requiresGrad: true });
      const y = ag.logcumsumexp(x, 0, reverse);
      const [g] = gradients([y], [x], [nd.array(gs)]);
      const yv = y.data.toFlat();
      xs.forEach((xi, i) => {
        let want = 0;
        for (let k = 0; k < xs.length; k++) if (reverse ? k <= i : k >= i) want += gs[k]! * Math.exp(xi - yv[k]!);
        expect(Math.abs((g!.data.get(i) as number) - want)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(want)));
      });
    }
  });
});

describe("laws", () => {
  const lineArb = fc.array(fc.constantFrom(-2, -1, 0, 1, 1.5, 3, NaN), { minLength: 0, maxLength: 9 });

  it("sort is a stable permutation: non-decreasing, NaN last, ties in index order (descending: non-increasing, NaN first)", () => {
    fc.assert(
      fc.property(lineArb, fc.boolean(), (xs, desc) => {
        const { values, indices } = ag.sort(tensor(xs), -1, desc);
        const v = values.data.toFlat();
        const idx = indices.data.toFlat();
        expect([...idx].sort((a, b) => a - b)).toEqual(xs.map((_, i) => i));
        idx.forEach((j, k) => expect(Object.is(v[k], xs[j]!) || (v[k] !== v[k] && xs[j] !== xs[j])).toBe(true));
        const asc = (p: number, q: number) => (p !== p ? (q !== q ? 0 : 1) : q !== q ? -1 : p < q ? -1 : p > q ? 1 : 0);
        for (let k = 1; k < v.length; k++) {
          const c = desc ? asc(v[k]!, v[k - 1]!) : asc(v[k - 1]!, v[k]!);
          expect(c).toBeLessThanOrEqual(0);
          if (c === 0) expect(idx[k - 1]!).toBeLessThan(idx[k]!);
        }
        expect(ag.argsort(tensor(xs), -1, desc).data.toFlat()).toEqual(idx);
      }),
      { numRuns: 200 },
    );
  });

  it("topk's values are the sort's head; unsorted, the same elements in index order", () => {
    fc.assert(
      fc.property(lineArb.filter((xs) => xs.length > 0), fc.nat(), fc.boolean(), (xs, kk, largest) => {
        const k = kk % (xs.length + 1);
        const s = ag.sort(tensor(xs), -1, largest);
        const t = ag.topk(tensor(xs), k, -1, largest);
        expect(t.indices.data.toFlat()).toEqual(s.indices.data.toFlat().slice(0, k));
        const u = ag.topk(tensor(xs), k, -1, largest, false);
        expect(u.indices.data.toFlat()).toEqual(s.indices.data.toFlat().slice(0, k).sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });

  it("kthvalue is the sort's k-th; median is the sort's middle (NaN: the first NaN)", () => {
    fc.assert(
      fc.property(lineArb.filter((xs) => xs.length > 0), fc.nat(), (xs, kk) => {
        const k = 1 + (kk % xs.length);
        const s = ag.sort(tensor(xs)).indices.data.toFlat();
        expect(ag.kthvalue(tensor(xs), k).indices.item()).toBe(s[k - 1]);
        const firstNaN = xs.findIndex((t) => t !== t);
        expect(ag.medianWithIndices(tensor(xs), 0).indices.item()).toBe(firstNaN >= 0 ? firstNaN : s[(xs.length - 1) >> 1]);
      }),
      { numRuns: 200 },
    );
  });

  it("cumsum and its reverse are adjoint: <cumsum(x), y> = <x, cumsum(y, reverse)>", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 12 }), fc.nat(), (xs, seed) => {
        const ys = xs.map((_, i) => Math.sin(seed + 3 * i));
        const lhs = nd.sum(nd.mul(nd.cumsum(nd.array(xs), 0), nd.array(ys))).item();
        const rhs = nd.sum(nd.mul(nd.array(xs), nd.cumsum(nd.array(ys), 0, true))).item();
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)));
      }),
    );
  });

  it("a selection's gradient goes to the returned index only (maxWithIndices on ties); max shares it", () => {
    const x = tensor([[1, 5, 5], [7, 7, 7]], { requiresGrad: true });
    const { values, indices } = ag.maxWithIndices(x, 1);
    expect(indices.toArray()).toEqual([1, 0]);
    values.sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
    const y = tensor([[1, 5, 5], [7, 7, 7]], { requiresGrad: true });
    ag.amax(y, 1).sum().backward();
    expect(y.grad!.toArray()).toEqual([[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]);
    const z = tensor([3, 1, 3, 0], { requiresGrad: true });
    const c = ag.cummax(z, 0);
    expect(c.indices.toArray()).toEqual([0, 0, 2, 2]);
    c.values.backward(nd.array([1, 10, 100, 1000]));
    expect(z.grad!.toArray()).toEqual([11, 0, 1100, 0]);
  });

  it("std's correction: a number (ddof) or PyTorch's { correction } / { unbiased }", () => {
    const x = tensor([1, 2, 3, 4]);
    expect(ag.std(x, null, false, 1).item()).toBe(ag.std(x, null, false, { unbiased: true }).item());
    expect(ag.std(x, null, false, { correction: 0 }).item()).toBe(ag.std(x).item());
    expect(ag.std(x, null, false, { unbiased: false }).item()).toBe(ag.std(x).item());
    expect(() => ag.std(x, null, false, -1)).toThrow(nd.ValueError);
  });
});

describe("bad input: a typed error naming the op and the values", () => {
  it("topk, kthvalue out of range; an empty line for median, mode, maxWithIndices; an axis list", () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => ag.topk(x, 4)).toThrow(/topk: k must be an integer in 0\.\.3/);
    expect(() => ag.kthvalue(x, 0)).toThrow(/kthvalue: k must be an integer in 1\.\.3/);
    expect(() => ag.median(tensor(nd.zeros([2, 0])), 1)).toThrow(nd.ValueError);
    expect(() => ag.mode(tensor(nd.zeros([2, 0])))).toThrow(/mode: axis 1 of shape \[2,0\] is empty/);
    expect(() => ag.maxWithIndices(tensor(nd.zeros([0, 2])), 0)).toThrow(nd.ValueError);
    expect(() => ag.sort(x, [0, 1] as unknown as number)).toThrow(nd.AxisError);
    expect(() => ag.cumsum(x, 2)).toThrow(nd.AxisError);
    expect(() => ag.norm(x, "nuc" as "fro")).toThrow(/norm: the order must be a number/);
  });
});

describe("compile traces the new kernels: replays equal eager, bitwise", () => {
  it("a step through sort, topk, cummax, median, cumsum, cumprod (zeros), logcumsumexp, prod, norm, std, normalize", () => {
    const w = tensor(nd.zeros([3, 4]), { requiresGrad: true });
    const step = (x: Tensor) => {
      w.zeroGrad();
      const y = w.add(x);
      const loss = ag.sum(ag.mul(ag.sort(y, 1).values, nd.array([1, 2, 3, 4])))
        .add(ag.topk(y, 2, 0).values.sum())
        .add(ag.cummax(y, 1).values.mul(0.5).sum())
        .add(ag.median(y, 1).sum())
        .add(ag.cumsum(y, 0).mul(y).sum())
        .add(ag.cumprod(y, 1).sum())
        .add(ag.logcumsumexp(y, 1).sum())
        .add(ag.prod(y, 0).sum())
        .add(ag.norm(y, 3, 1).sum())
        .add(ag.std(y, 1, false, 1).sum())
        .add(ag.normalize(y).sum())
        .add(ag.maxWithIndices(y, 1).values.sum());
      loss.backward();
      return loss;
    };
    const compiled = ag.compile(step);
    for (let i = 0; i < 6; i++) {
      // a different input each call, some entries exactly 0 (cumprod's and prod's masks change)
      const x = tensor(nd.array(Array.from({ length: 12 }, (_, k) => ((k * 7 + i * 5) % 11 === 0 ? 0 : Math.sin(k + 3 * i))), [3, 4]));
      const got = compiled(x).item();
      const gotGrad = w.grad!.copy();
      const want = step(x).item();
      expect(got).toBe(want);
      expect(nd.maxAbsDiff(gotGrad, w.grad!)).toBe(0);
    }
    expect(compiled.stats.replays).toBeGreaterThan(0);
  });
});

describe("empty lines", () => {
  it("prod over nothing is 1 with an empty gradient; the scans and sort of an empty axis are empty", () => {
    const x = tensor(nd.zeros([2, 0]), { requiresGrad: true });
    const p = ag.prod(x, 1);
    expect(p.toArray()).toEqual([1, 1]);
    p.sum().backward();
    expect(x.grad!.shape).toEqual([2, 0]);
    for (const f of [(t: Tensor) => ag.cumprod(t, 1), (t: Tensor) => ag.cumsum(t, 1), (t: Tensor) => ag.logcumsumexp(t, 1), (t: Tensor) => ag.sort(t, 1).values, (t: Tensor) => ag.cummax(t, 1).values]) {
      const y = tensor(nd.zeros([2, 0]), { requiresGrad: true });
      const out = f(y);
      expect(out.shape).toEqual([2, 0]);
      const [g] = gradients([out], [y], [nd.zeros([2, 0])]);
      expect(g!.shape).toEqual([2, 0]);
    }
  });
});

describe("float32 stays float32", () => {
  it("values and gradients of the scans, prod, norm, std and the selections", () => {
    const fs: ((t: Tensor) => Tensor)[] = [
      (t) => ag.cumsum(t, 1), (t) => ag.cumprod(t, 1), (t) => ag.logcumsumexp(t, 0), (t) => ag.prod(t, 1), (t) => ag.norm(t, 3, 1),
      (t) => ag.std(t, 1, false, 1), (t) => ag.normalize(t), (t) => ag.sort(t, 1).values, (t) => ag.topk(t, 2).values,
      (t) => ag.median(t, 1), (t) => ag.maxWithIndices(t, 0).values, (t) => ag.cummin(t, 1).values,
    ];
    for (const f of fs) {
      const x = tensor(nd.array([[0.5, -1.25, 2], [3, 0, -0.75]], undefined, "float32"), { requiresGrad: true });
      const y = f(x);
      expect(y.dtype).toBe("float32");
      y.sum().backward();
      expect(x.grad!.dtype).toBe("float32");
    }
  });
});
