// The closed-form LSTM against independent witnesses: a scalar-loop forward written here from
// the equations, central finite differences of that forward in float64, a tape LSTM composed
// of autograd primitives, and the laws that tie the step and sequence backward together.

import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState, ShapeError, ValueError } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, gradcheck } from "@tapegrad/autograd";
import {
  lstmBackward,
  lstmCellBackward,
  lstmCellForward,
  lstmForward,
  type LSTMCellCache,
  type LSTMParameters,
} from "../src/closed-form.js";
import { lstmFused } from "../src/fused.js";

// ---------------------------------------------------------------- a problem as flat float64 arrays

const GATES = ["f", "i", "c", "o"] as const;
type Gate = (typeof GATES)[number];

/** Everything in C order: x (n_x, m, T), a0 and c0 (n_a, m), W (n_a, K), b (n_a), Wy (n_y, n_a), by (n_y). */
interface Problem {
  nX: number;
  nA: number;
  m: number;
  T: number;
  nY: number;
  x: Float64Array;
  a0: Float64Array;
  c0: Float64Array;
  W: Record<Gate, Float64Array>;
  b: Record<Gate, Float64Array>;
  Wy: Float64Array;
  by: Float64Array;
}

function draw(rs: RandomState, ...shape: number[]): Float64Array {
  return rs.randn(...shape).toTypedArray() as Float64Array;
}

function makeProblem(seed: number, nX: number, nA: number, m: number, T: number, nY = 2, withC0 = true): Problem {
  const rs = new RandomState(seed);
  const K = nA + nX;
  const W = {} as Record<Gate, Float64Array>;
  const b = {} as Record<Gate, Float64Array>;
  for (const g of GATES) {
    W[g] = draw(rs, nA, K);
    b[g] = draw(rs, nA);
  }
  return {
    nX, nA, m, T, nY,
    x: draw(rs, nX, m, T),
    a0: draw(rs, nA, m),
    c0: withC0 ? draw(rs, nA, m) : new Float64Array(nA * m),
    W, b,
    Wy: draw(rs, nY, nA),
    by: draw(rs, nY),
  };
}

function params(P: Problem): LSTMParameters {
  const K = P.nA + P.nX;
  const arr = (v: Float64Array, shape: number[]) => nd.array(v, shape);
  return {
    Wf: arr(P.W.f, [P.nA, K]), bf: arr(P.b.f, [P.nA, 1]),
    Wi: arr(P.W.i, [P.nA, K]), bi: arr(P.b.i, [P.nA, 1]),
    Wc: arr(P.W.c, [P.nA, K]), bc: arr(P.b.c, [P.nA, 1]),
    Wo: arr(P.W.o, [P.nA, K]), bo: arr(P.b.o, [P.nA, 1]),
    Wy: arr(P.Wy, [P.nY, P.nA]), by: arr(P.by, [P.nY, 1]),
  };
}

// ---------------------------------------------------------------- the scalar-loop reference

const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** One element at a time, straight from the equations; a, c: (n_a, m, T), y: (n_y, m, T), C order. */
function refForward(P: Problem): { a: Float64Array; c: Float64Array; y: Float64Array } {
  const { nX, nA, m, T, nY } = P;
  const K = nA + nX;
  const a = new Float64Array(nA * m * T);
  const c = new Float64Array(nA * m * T);
  const y = new Float64Array(nY * m * T);
  let aPrev = Array.from({ length: nA }, (_, q) => Array.from({ length: m }, (_, j) => P.a0[q * m + j]!));
  let cPrev = Array.from({ length: nA }, (_, q) => Array.from({ length: m }, (_, j) => P.c0[q * m + j]!));
  for (let t = 0; t < T; t++) {
    const aNew: number[][] = [];
    const cNew: number[][] = [];
    for (let q = 0; q < nA; q++) {
      aNew.push([]);
      cNew.push([]);
      for (let j = 0; j < m; j++) {
        const pre = (g: Gate) => {
          let s = P.b[g][q]!;
          for (let k = 0; k < K; k++) {
            const zk = k < nA ? aPrev[k]![j]! : P.x[((k - nA) * m + j) * T + t]!;
            s += P.W[g][q * K + k]! * zk;
          }
          return s;
        };
        const f = sig(pre("f")), i = sig(pre("i")), g = Math.tanh(pre("c")), o = sig(pre("o"));
        const cc = f * cPrev[q]![j]! + i * g;
        cNew[q]!.push(cc);
        aNew[q]!.push(o * Math.tanh(cc));
        a[(q * m + j) * T + t] = o * Math.tanh(cc);
        c[(q * m + j) * T + t] = cc;
      }
    }
    for (let j = 0; j < m; j++) {
      const logits = Array.from({ length: nY }, (_, r) => {
        let s = P.by[r]!;
        for (let q = 0; q < nA; q++) s += P.Wy[r * nA + q]! * aNew[q]![j]!;
        return s;
      });
      const mx = Math.max(...logits);
      const e = logits.map((v) => Math.exp(v - mx));
      const tot = e.reduce((u, v) => u + v, 0);
      for (let r = 0; r < nY; r++) y[(r * m + j) * T + t] = e[r]! / tot;
    }
    aPrev = aNew;
    cPrev = cNew;
  }
  return { a, c, y };
}

/** L = Σ_{t < T_da} sum(da[:,:,t] a[:,:,t]) + Σ_{t < T_dc} sum(dc[:,:,t] c[:,:,t]); da: (n_a, m, T_da), C order. */
function refLoss(P: Problem, da: Float64Array, Tda: number, dc: Float64Array | null, Tdc: number): number {
  const { a, c } = refForward(P);
  let L = 0;
  for (let q = 0; q < P.nA; q++) {
    for (let j = 0; j < P.m; j++) {
      for (let t = 0; t < Tda; t++) L += da[(q * P.m + j) * Tda + t]! * a[(q * P.m + j) * P.T + t]!;
      if (dc) for (let t = 0; t < Tdc; t++) L += dc[(q * P.m + j) * Tdc + t]! * c[(q * P.m + j) * P.T + t]!;
    }
  }
  return L;
}

const H = 1e-6;

/** Central differences of `loss` in each element of `v` (perturbed in place and restored). */
function centralDiff(v: Float64Array, loss: () => number): Float64Array {
  const out = new Float64Array(v.length);
  for (let p = 0; p < v.length; p++) {
    const keep = v[p]!;
    v[p] = keep + H;
    const up = loss();
    v[p] = keep - H;
    const down = loss();
    v[p] = keep;
    out[p] = (up - down) / (2 * H);
  }
  return out;
}

/** The worst closed-form-vs-finite-difference disagreement seen over every check in this file. */
const worst = { abs: 0, rel: 0, where: "" };
/** ... and the worst closed-form-vs-tape one, |diff| / max(1, |tape|). */
let worstTape = 0;
const FD_ATOL = 1e-7;
const FD_RTOL = 1e-6;

function expectFD(name: string, analytic: NDArray, numeric: Float64Array): void {
  const an = analytic.toFlat();
  expect(an.length).toBe(numeric.length);
  for (let p = 0; p < an.length; p++) {
    const err = Math.abs(an[p]! - numeric[p]!);
    const rel = err / Math.max(Math.abs(numeric[p]!), 1e-3);
    if (err > worst.abs) worst.abs = err;
    if (rel > worst.rel) Object.assign(worst, { rel, where: `${name}[${p}]: closed form ${an[p]}, finite differences ${numeric[p]}` });
    if (!(err <= FD_ATOL + FD_RTOL * Math.abs(numeric[p]!))) {
      throw new Error(`${name}[${p}]: closed form ${an[p]} vs finite differences ${numeric[p]} (error ${err})`);
    }
  }
}

afterAll(() => {
  console.log(`closed form vs central differences (h = ${H}), worst: abs ${worst.abs.toExponential(2)}, rel ${worst.rel.toExponential(2)} (${worst.where})`);
  console.log(`closed form vs tape of primitives, worst: ${worstTape.toExponential(2)} (|diff| / max(1, |tape|))`);
});

/** The largest |actual - expected| / max(1, |expected|), asserted to be at most tol; returned. */
function expectClose(actual: NDArray, expected: ArrayLike<number>, tol: number, what = ""): number {
  const a = actual.toFlat();
  expect(a.length, what).toBe(expected.length);
  let m = 0;
  for (let p = 0; p < a.length; p++) m = Math.max(m, Math.abs(a[p]! - expected[p]!) / Math.max(1, Math.abs(expected[p]!)));
  expect(m, what).toBeLessThanOrEqual(tol);
  return m;
}

// ---------------------------------------------------------------- a tape LSTM of autograd primitives

/** The same LSTM composed of tape ops (concat, matmul, add, sigmoid, tanh, mul): a third witness. */
function tapeForward(x: Tensor, a0: Tensor, p: Record<string, Tensor>, c0?: Tensor): { a: Tensor; c: Tensor } {
  const T = x.shape[2]!;
  let a = a0;
  let c = c0 ?? ag.tensor(nd.zeros(a0.shape));
  const as: Tensor[] = [];
  const cs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const z = ag.concat([a, ag.slice(x, [null, null, t])], 0);
    const gate = (g: Gate) => ag.add(ag.matmul(p[`W${g}`]!, z), p[`b${g}`]!);
    const f = ag.sigmoid(gate("f")), i = ag.sigmoid(gate("i")), g = ag.tanh(gate("c")), o = ag.sigmoid(gate("o"));
    c = ag.add(ag.mul(f, c), ag.mul(i, g));
    a = ag.mul(o, ag.tanh(c));
    as.push(a);
    cs.push(c);
  }
  return { a: ag.stack(as, 2), c: ag.stack(cs, 2) };
}

// ---------------------------------------------------------------- forward

describe("lstmForward and lstmCellForward", () => {
  it("match the scalar-loop forward (a, c, y)", () => {
    fc.assert(
      fc.property(
        fc.record({
          nX: fc.integer({ min: 1, max: 4 }), nA: fc.integer({ min: 1, max: 5 }), m: fc.integer({ min: 1, max: 4 }),
          T: fc.integer({ min: 1, max: 6 }), nY: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        }),
        ({ nX, nA, m, T, nY, seed }) => {
          const P = makeProblem(seed, nX, nA, m, T, nY);
          const ref = refForward(P);
          const r = lstmForward(nd.array(P.x, [nX, m, T]), nd.array(P.a0, [nA, m]), params(P), { c0: nd.array(P.c0, [nA, m]) });
          expect(r.a.shape).toEqual([nA, m, T]);
          expect(r.c.shape).toEqual([nA, m, T]);
          expect(r.y!.shape).toEqual([nY, m, T]);
          expectClose(r.a, ref.a, 1e-12, "a");
          expectClose(r.c, ref.c, 1e-12, "c");
          expectClose(r.y!, ref.y, 1e-12, "y");
          expect(r.caches[0].length).toBe(T);
          expect(r.caches[1]).toBe(r.caches[1]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("lstmCellForward is one step of lstmForward, and each step's cache holds that step", () => {
    const P = makeProblem(7, 3, 4, 5, 4);
    const pr = params(P);
    const x = nd.array(P.x, [3, 5, 4]);
    const r = lstmForward(x, nd.array(P.a0, [4, 5]), pr, { c0: nd.array(P.c0, [4, 5]) });
    let a = nd.array(P.a0, [4, 5]);
    let c = nd.array(P.c0, [4, 5]);
    for (let t = 0; t < 4; t++) {
      const s = lstmCellForward(x.slice(null, null, t), a, c, pr);
      const step = r.caches[0][t]!;
      expectClose(s.aNext, r.a.slice(null, null, t).toFlat(), 1e-15);
      expectClose(s.cNext, r.c.slice(null, null, t).toFlat(), 1e-15);
      expectClose(s.ytPred!, r.y!.slice(null, null, t).toFlat(), 1e-15);
      for (const k of ["aNext", "cNext", "aPrev", "cPrev", "ft", "it", "cct", "ot", "xt"] as const) {
        expectClose(step[k], s.cache[k].toFlat(), 1e-15, k);
      }
      a = s.aNext;
      c = s.cNext;
    }
  });

  it("starts the cell state at zeros, as the notebook does", () => {
    const P = makeProblem(3, 2, 3, 2, 3, 2, false);
    const ref = refForward(P);
    const r = lstmForward(nd.array(P.x, [2, 2, 3]), nd.array(P.a0, [3, 2]), params(P));
    expectClose(r.a, ref.a, 1e-12);
  });

  it("reads strided inputs (a transposed x, a sliced a0) as their values", () => {
    const P = makeProblem(11, 3, 2, 4, 5);
    const x = nd.array(P.x, [3, 4, 5]);
    const xT = x.permute(2, 1, 0).contiguous().permute(2, 1, 0); // same values, reversed strides
    const a0Wide = nd.zeros([2, 8]);
    const a0 = a0Wide.slice(null, [0, 8, 2]);
    a0.assign(nd.array(P.a0, [2, 4]));
    const r1 = lstmForward(x, nd.array(P.a0, [2, 4]), params(P), { c0: nd.array(P.c0, [2, 4]) });
    const r2 = lstmForward(xT, a0, params(P), { c0: nd.array(P.c0, [2, 4]) });
    expectClose(r2.a, r1.a.toFlat(), 0);
    const da = new RandomState(1).randn(2, 4, 5);
    const g1 = lstmBackward(da, r1.caches);
    const g2 = lstmBackward(da.permute(1, 0, 2).contiguous().permute(1, 0, 2), r2.caches);
    for (const k of ["dx", "da0", "dWf", "dbo"] as const) expectClose(g2[k], g1[k].toFlat(), 0, k);
  });

  it("keeps y finite when the logits of different columns are far apart", () => {
    // the notebook's softmax shifts by the max of the whole matrix; a column far below it underflows to 0/0
    const P = makeProblem(5, 2, 3, 4, 2);
    P.Wy = P.Wy.map((v) => v * 2000);
    const r = lstmForward(nd.array(P.x, [2, 4, 2]), nd.array(P.a0, [3, 4]), params(P));
    expect(r.y!.toFlat().every(Number.isFinite)).toBe(true);
    expectClose(r.y!.sum(0), new Float64Array(8).fill(1), 1e-15);
  });

  it("returns float32 results for float32 inputs", () => {
    const P = makeProblem(2, 2, 3, 2, 3);
    const p32 = Object.fromEntries(Object.entries(params(P)).map(([k, v]) => [k, v!.astype("float32")])) as unknown as LSTMParameters;
    const r = lstmForward(nd.array(P.x, [2, 2, 3]).astype("float32"), nd.array(P.a0, [3, 2]).astype("float32"), p32);
    expect([r.a.dtype, r.c.dtype, r.y!.dtype]).toEqual(["float32", "float32", "float32"]);
    const g = lstmBackward(nd.ones([3, 2, 3], "float32"), r.caches);
    expect([g.dx.dtype, g.da0.dtype, g.dWf.dtype, g.dbc.dtype]).toEqual(["float32", "float32", "float32", "float32"]);
  });

  it("computes no y without Wy and by", () => {
    const P = makeProblem(2, 2, 3, 2, 3);
    const { Wy: _wy, by: _by, ...gates } = params(P);
    const r = lstmForward(nd.array(P.x, [2, 2, 3]), nd.array(P.a0, [3, 2]), gates);
    expect(r.y).toBeNull();
    expect(lstmCellForward(nd.array(P.x, [2, 2, 3]).slice(null, null, 0), nd.array(P.a0, [3, 2]), nd.zeros([3, 2]), gates).ytPred).toBeNull();
  });
});

// ---------------------------------------------------------------- backward through time

const seqArb = fc
  .record({
    nX: fc.integer({ min: 1, max: 4 }),
    nA: fc.integer({ min: 1, max: 4 }),
    m: fc.integer({ min: 1, max: 3 }),
    T: fc.integer({ min: 1, max: 5 }),
    Tda: fc.integer({ min: 0, max: 5 }),
    Tdc: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
    withC0: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  })
  .map((r) => ({ ...r, Tda: Math.min(r.Tda, r.T), Tdc: r.Tdc === null ? null : Math.min(r.Tdc, r.T) }));

describe("lstmBackward", () => {
  it("agrees with central finite differences for every parameter, dx and da0 (and dc0), with da shorter than x", () => {
    fc.assert(
      fc.property(seqArb, ({ nX, nA, m, T, Tda, Tdc, withC0, seed }) => {
        const P = makeProblem(seed, nX, nA, m, T, 2, withC0);
        const rs = new RandomState((seed ^ 0x5a5a5a5a) >>> 0);
        const da = draw(rs, nA, m, Tda);
        const dc = Tdc === null ? null : draw(rs, nA, m, Tdc);
        const r = lstmForward(nd.array(P.x, [nX, m, T]), nd.array(P.a0, [nA, m]), params(P), withC0 ? { c0: nd.array(P.c0, [nA, m]) } : {});
        const g = lstmBackward(nd.array(da, [nA, m, Tda]), r.caches, dc ? { dc: nd.array(dc, [nA, m, Tdc!]) } : {});
        const loss = () => refLoss(P, da, Tda, dc, Tdc ?? 0);
        expect(g.dx.shape).toEqual([nX, m, T]);
        expectFD("dx", g.dx, centralDiff(P.x, loss));
        expectFD("da0", g.da0, centralDiff(P.a0, loss));
        expectFD("dc0", g.dc0, centralDiff(P.c0, loss));
        for (const k of GATES) {
          expectFD(`dW${k}`, g[`dW${k}`], centralDiff(P.W[k], loss));
          expectFD(`db${k}`, g[`db${k}`], centralDiff(P.b[k], loss));
        }
        // no gradient reaches a step at or after max(T_da, T_dc)
        const Te = Math.max(Tda, Tdc ?? 0);
        if (Te < T) expect(g.dx.slice(null, null, [Te, T]).abs().max().item()).toBe(0);
      }),
      { numRuns: 120 },
    );
  });

  it("is the carried loop of lstmCellBackward over the forward's step caches", () => {
    fc.assert(
      fc.property(seqArb, ({ nX, nA, m, T, Tda, Tdc, seed }) => {
        const P = makeProblem(seed, nX, nA, m, T);
        const rs = new RandomState((seed + 1) % 2 ** 32);
        const da = rs.randn(nA, m, Tda);
        const dc = Tdc === null ? null : rs.randn(nA, m, Tdc);
        const r = lstmForward(nd.array(P.x, [nX, m, T]), nd.array(P.a0, [nA, m]), params(P));
        const g = lstmBackward(da, r.caches, dc ? { dc } : {});
        // backward through time by hand: what each step sends back is added to the step before
        let aBar = nd.zeros([nA, m]);
        let cBar = nd.zeros([nA, m]);
        const sums: Record<string, NDArray> = {};
        const dx = nd.zeros([nX, m, T]);
        for (let t = T - 1; t >= 0; t--) {
          const dA = t < Tda ? aBar.add(da.slice(null, null, t)) : aBar;
          const dC = dc && t < Tdc! ? cBar.add(dc.slice(null, null, t)) : cBar;
          const s = lstmCellBackward(dA, dC, r.caches[0][t]!);
          dx.slice(null, null, t).assign(s.dxt);
          for (const k of ["dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"] as const) sums[k] = sums[k] ? sums[k]!.add(s[k]) : s[k];
          aBar = s.da_prev;
          cBar = s.dc_prev;
        }
        expectClose(g.dx, dx.toFlat(), 1e-12, "dx");
        expectClose(g.da0, aBar.toFlat(), 1e-12, "da0");
        expectClose(g.dc0, cBar.toFlat(), 1e-12, "dc0");
        for (const [k, v] of Object.entries(sums)) expectClose(g[k as "dWf"], v.toFlat(), 1e-12, k);
      }),
      { numRuns: 60 },
    );
  });

  it("agrees with the tape (an LSTM composed of autograd primitives) to 1e-9", () => {
    fc.assert(
      fc.property(seqArb, ({ nX, nA, m, T, Tda, Tdc, withC0, seed }) => {
        const P = makeProblem(seed, nX, nA, m, T, 2, withC0);
        const pr = params(P);
        const rs = new RandomState((seed + 2) % 2 ** 32);
        const da = rs.randn(nA, m, Tda);
        const dc = Tdc === null ? null : rs.randn(nA, m, Tdc);
        const r = lstmForward(nd.array(P.x, [nX, m, T]), nd.array(P.a0, [nA, m]), pr, { c0: nd.array(P.c0, [nA, m]) });
        const g = lstmBackward(da, r.caches, dc ? { dc } : {});

        const leaf = (v: NDArray) => ag.tensor(v, { requiresGrad: true });
        const x = leaf(nd.array(P.x, [nX, m, T]));
        const a0 = leaf(nd.array(P.a0, [nA, m]));
        const c0 = leaf(nd.array(P.c0, [nA, m]));
        const tp: Record<string, Tensor> = {};
        for (const k of GATES) {
          tp[`W${k}`] = leaf(pr[`W${k}`]);
          tp[`b${k}`] = leaf(pr[`b${k}`]);
        }
        const out = tapeForward(x, a0, tp, c0);
        let L = ag.sum(ag.mul(ag.slice(out.a, [null, null, [0, Tda]]), ag.tensor(da)));
        if (dc) L = ag.add(L, ag.sum(ag.mul(ag.slice(out.c, [null, null, [0, Tdc!]]), ag.tensor(dc))));
        L.backward();
        const seen = [
          expectClose(g.dx, x.grad!.toFlat(), 1e-9, "dx"),
          expectClose(g.da0, a0.grad!.toFlat(), 1e-9, "da0"),
          expectClose(g.dc0, c0.grad!.toFlat(), 1e-9, "dc0"),
          ...GATES.flatMap((k) => [
            expectClose(g[`dW${k}`], tp[`W${k}`]!.grad!.toFlat(), 1e-9, `dW${k}`),
            expectClose(g[`db${k}`], tp[`b${k}`]!.grad!.toFlat(), 1e-9, `db${k}`),
          ]),
        ];
        worstTape = Math.max(worstTape, ...seen);
      }),
      { numRuns: 40 },
    );
  });

  it("gives zero gradients for an empty da", () => {
    const P = makeProblem(1, 2, 3, 2, 4);
    const r = lstmForward(nd.array(P.x, [2, 2, 4]), nd.array(P.a0, [3, 2]), params(P));
    const g = lstmBackward(nd.zeros([3, 2, 0]), r.caches);
    expect(g.dx.shape).toEqual([2, 2, 4]);
    for (const v of [g.dx, g.da0, g.dWf, g.dbo]) expect(v.abs().max().item()).toBe(0);
  });
});

// ---------------------------------------------------------------- one step

describe("lstmCellBackward", () => {
  it("agrees with central finite differences for dxt, da_prev, dc_prev and every parameter, given da_next and dc_next", () => {
    fc.assert(
      fc.property(
        fc.record({
          nX: fc.integer({ min: 1, max: 5 }), nA: fc.integer({ min: 1, max: 5 }), m: fc.integer({ min: 1, max: 4 }),
          seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }), ownCache: fc.boolean(),
        }),
        ({ nX, nA, m, seed, ownCache }) => {
          const P = makeProblem(seed, nX, nA, m, 1);
          const rs = new RandomState((seed ^ 0x1234567) >>> 0);
          const daNext = draw(rs, nA, m);
          const dcNext = draw(rs, nA, m);
          const s = lstmCellForward(nd.array(P.x, [nX, m]), nd.array(P.a0, [nA, m]), nd.array(P.c0, [nA, m]), params(P));
          // a cache built by hand (plain copies, no link to the forward's storage) must work the same
          const cache: LSTMCellCache = ownCache
            ? { ...(Object.fromEntries(Object.entries(s.cache).map(([k, v]) => [k, v instanceof NDArray ? v.copy() : v])) as unknown as LSTMCellCache), parameters: params(P) }
            : s.cache;
          const g = lstmCellBackward(nd.array(daNext, [nA, m]), nd.array(dcNext, [nA, m]), cache);
          const loss = () => refLoss(P, daNext, 1, dcNext, 1);
          expectFD("dxt", g.dxt, centralDiff(P.x, loss));
          expectFD("da_prev", g.da_prev, centralDiff(P.a0, loss));
          expectFD("dc_prev", g.dc_prev, centralDiff(P.c0, loss));
          for (const k of GATES) {
            expectFD(`dW${k}`, g[`dW${k}`], centralDiff(P.W[k], loss));
            expectFD(`db${k}`, g[`db${k}`], centralDiff(P.b[k], loss));
          }
          expect(g.daPrev).toBe(g.da_prev);
          expect(g.dcPrev).toBe(g.dc_prev);
          expect(g.dWf.shape).toEqual([nA, nA + nX]);
          expect(g.dbf.shape).toEqual([nA, 1]);
        },
      ),
      { numRuns: 120 },
    );
  });
});

// ---------------------------------------------------------------- the fused op on the tape

function fusedInputs(P: Problem): NDArray[] {
  const p = params(P);
  return [nd.array(P.x, [P.nX, P.m, P.T]), nd.array(P.a0, [P.nA, P.m]), p.Wf, p.bf, p.Wi, p.bi, p.Wc, p.bc, p.Wo, p.bo];
}

describe("lstmFused", () => {
  const call = (xs: Tensor[]) => lstmFused(xs[0]!, xs[1]!, xs[2]!, xs[3]!, xs[4]!, xs[5]!, xs[6]!, xs[7]!, xs[8]!, xs[9]!);

  it("passes gradcheck for every input", () => {
    for (const [seed, nX, nA, m, T] of [[1, 2, 3, 2, 3], [2, 1, 2, 3, 4], [3, 3, 1, 1, 2]] as const) {
      const report = gradcheck((...xs) => call(xs), fusedInputs(makeProblem(seed, nX, nA, m, T, 2, false)));
      expect(report.passed, report.toString()).toBe(true);
    }
  });

  it("returns lstmForward's a and, composed with other ops, the closed form's gradients", () => {
    const P = makeProblem(9, 3, 4, 2, 5, 2, false);
    const ins = fusedInputs(P);
    const leaves = ins.map((v) => ag.tensor(v, { requiresGrad: true }));
    const a = call(leaves);
    const r = lstmForward(ins[0]!, ins[1]!, params(P));
    expectClose(a.data, r.a.toFlat(), 0);
    // L = sum(a^2) over the first 3 steps + sum(a0^2): da = 2a there, and a0 gets 2*a0 more
    const L = ag.add(ag.sum(ag.square(ag.slice(a, [null, null, [0, 3]]))), ag.sum(ag.square(leaves[1]!)));
    L.backward();
    const g = lstmBackward(r.a.slice(null, null, [0, 3]).mul(2), r.caches);
    const want = [g.dx, g.da0.add(ins[1]!.mul(2)), g.dWf, g.dbf, g.dWi, g.dbi, g.dWc, g.dbc, g.dWo, g.dbo];
    want.forEach((w, k) => expectClose(leaves[k]!.grad!, w.toFlat(), 1e-12, `input ${k}`));
  });

  it("agrees with the tape LSTM of primitives", () => {
    const P = makeProblem(4, 2, 3, 3, 4, 2, false);
    const ins = fusedInputs(P);
    const l1 = ins.map((v) => ag.tensor(v, { requiresGrad: true }));
    const l2 = ins.map((v) => ag.tensor(v, { requiresGrad: true }));
    const r = new RandomState(5).randn(3, 3, 4);
    ag.sum(ag.mul(call(l1), ag.tensor(r))).backward();
    const p: Record<string, Tensor> = { Wf: l2[2]!, bf: l2[3]!, Wi: l2[4]!, bi: l2[5]!, Wc: l2[6]!, bc: l2[7]!, Wo: l2[8]!, bo: l2[9]! };
    ag.sum(ag.mul(tapeForward(l2[0]!, l2[1]!, p).a, ag.tensor(r))).backward();
    l1.forEach((t, k) => expectClose(t.grad!, l2[k]!.grad!.toFlat(), 1e-9, `input ${k}`));
  });
});

// ---------------------------------------------------------------- errors

describe("argument checks", () => {
  const P = makeProblem(1, 3, 5, 10, 7);
  const x = nd.array(P.x, [3, 10, 7]);
  const a0 = nd.array(P.a0, [5, 10]);
  const pr = params(P);

  it("name the function and the shapes", () => {
    expect(() => lstmForward(x, a0, { ...pr, Wf: nd.zeros([5, 7]) })).toThrow(ShapeError);
    expect(() => lstmForward(x, a0, { ...pr, Wf: nd.zeros([5, 7]) })).toThrow(
      "lstmForward: parameters.Wf has shape [5,7], expected [5,8] ((n_a, n_a + n_x) with n_a = 5 from a0 [5,10] and n_x = 3 from x [3,10,7])",
    );
    expect(() => lstmForward(x, a0, { ...pr, bi: nd.zeros([5]) })).toThrow("lstmForward: parameters.bi has shape [5], expected [5,1]");
    expect(() => lstmForward(x, a0, { ...pr, by: nd.zeros([3, 1]) })).toThrow("lstmForward: parameters.by has shape [3,1], expected [2,1]");
    expect(() => lstmForward(x.slice(null, null, 0), a0, pr)).toThrow("lstmForward: x must be 3-D (n_x, m, T_x), got shape [3,10]");
    expect(() => lstmForward(x, nd.zeros([5, 9]), pr)).toThrow("lstmForward: a0 has shape [5,9], expected [5,10] (n_a, m) with m = 10 from x [3,10,7]");
    expect(() => lstmForward(x, a0, pr, { c0: nd.zeros([5, 9]) })).toThrow("lstmForward: c0 has shape [5,9], expected [5,10]");
    expect(() => lstmCellForward(x.slice(null, null, 0), a0, nd.zeros([4, 10]), pr)).toThrow("lstmCellForward: c_prev has shape [4,10], expected [5,10]");
    expect(() => lstmCellForward(x, a0, a0, pr)).toThrow("lstmCellForward: xt must be 2-D (n_x, m), got shape [3,10,7]");
    expect(() => lstmCellForward(x.slice(null, null, 0), nd.zeros([5, 9]), nd.zeros([5, 9]), pr)).toThrow(
      "lstmCellForward: a_prev has shape [5,9], expected [5,10] (n_a, m) with m = 10 from xt [3,10]",
    );
    expect(() => lstmCellForward(x.slice(null, null, 0), a0, a0, { ...pr, Wc: nd.zeros([5, 5]) })).toThrow(
      "lstmCellForward: parameters.Wc has shape [5,5], expected [5,8] ((n_a, n_a + n_x) with n_a = 5 from a_prev [5,10] and n_x = 3 from xt [3,10])",
    );

    const r = lstmForward(x, a0, pr);
    expect(() => lstmBackward(nd.zeros([5, 10, 8]), r.caches)).toThrow(ShapeError);
    expect(() => lstmBackward(nd.zeros([5, 10, 8]), r.caches)).toThrow("lstmBackward: da has shape [5,10,8], expected [5,10,T] with T <= T_x = 7");
    expect(() => lstmBackward(nd.zeros([4, 10, 4]), r.caches)).toThrow("lstmBackward: da has shape [4,10,4]");
    expect(() => lstmBackward(nd.zeros([5, 10]), r.caches)).toThrow("lstmBackward: da must be 3-D (n_a, m, T), got shape [5,10]");
    expect(() => lstmBackward(nd.zeros([5, 10, 4]), r.caches, { dc: nd.zeros([5, 9, 4]) })).toThrow("lstmBackward: options.dc has shape [5,9,4]");
    const step = r.caches[0][2]!;
    expect(() => lstmCellBackward(nd.zeros([5, 9]), nd.zeros([5, 10]), step)).toThrow(
      "lstmCellBackward: da_next has shape [5,9], expected [5,10] ((n_a, m) like cache.a_next [5,10])",
    );
    expect(() => lstmCellBackward(nd.zeros([5, 10]), nd.zeros([10, 5]), step)).toThrow("lstmCellBackward: dc_next has shape [10,5]");
  });

  it("reject what is not an NDArray, and caches that lstmForward did not make", () => {
    expect(() => lstmForward(x, a0, { ...pr, Wo: undefined as unknown as NDArray })).toThrow(ValueError);
    expect(() => lstmForward(x, a0, { ...pr, Wo: undefined as unknown as NDArray })).toThrow("lstmForward: parameters.Wo must be an NDArray, got undefined");
    expect(() => lstmForward([[1]] as unknown as NDArray, a0, pr)).toThrow("lstmForward: x must be an NDArray, got object");
    const r = lstmForward(x, a0, pr);
    expect(() => lstmBackward(nd.zeros([5, 10, 7]), [r.caches[0].slice(), x])).toThrow("lstmBackward: caches must be the caches returned by lstmForward");
    expect(() => lstmBackward(nd.zeros([5, 10, 7]), [r.caches[0], x.copy()])).toThrow(ValueError);
  });

  it("refuse a backward after the forward's a (which shares storage with the caches) was written in place", () => {
    const r = lstmForward(x, a0, pr);
    lstmBackward(nd.zeros([5, 10, 7]), r.caches);
    r.a.slice(null, null, 3).fill(0);
    expect(() => lstmBackward(nd.zeros([5, 10, 7]), r.caches)).toThrow("lstmBackward: the forward's a, c or caches were written in place after lstmForward");
    const r2 = lstmForward(x, a0, pr);
    r2.caches[0][1]!.ft.assign(0.5);
    expect(() => lstmBackward(nd.zeros([5, 10, 7]), r2.caches)).toThrow(ValueError);
  });
});
