// The closed form's float32 path computes in float32, as numpy does with float32 arrays. Its
// witnesses: the float64 path on the same (float32-exact) inputs, the tape (nn.LSTM, a module of
// autograd primitives, run in float32), and identities that hold between the float32 arrays a
// step stores only if each was rounded to float32 where it was stored, not computed in float64
// and converted at the end.

import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray, RandomState } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { LSTM, LSTMCell, notebookLayout } from "../src/index.js";
import { lstmBackward, lstmCellBackward, lstmCellForward, lstmForward, type LSTMParameters } from "../src/closed-form.js";

const GATES = ["f", "i", "c", "o"] as const;
const GRADS = ["dx", "da0", "dc0", ...GATES.flatMap((g) => [`dW${g}`, `db${g}`] as const)] as const;

/**
 * float32 keeps 24 bits: each rounding is off by at most u = 2^-24 (6e-8) relative. A value here
 * is a dot product of K <= 9 terms plus a few roundings per step, carried through T <= 6 steps;
 * a gradient also sums over the batch and the steps (dW over up to m*T = 24 products). Bounds of
 * that length are some tens to a couple of hundred u; 1e-5 is 168 u, several times what
 * thousands of drawn problems reached (the worst seen is printed below). Two float32 computations
 * (closed form and tape) may each be that far from the float64 result: they are held to twice it.
 */
const TOL32 = 1e-5;

/** The largest |a - b| / max(1, |b|) over all elements. */
function relDiff(a: NDArray, b: NDArray): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.toFlat();
  const y = b.toFlat();
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(y[i]!)));
  return w;
}

/** How many elements of a differ, bit for bit, from b. */
function bitsDiffer(a: NDArray, b: NDArray): number {
  const x = a.toFlat();
  const y = b.toFlat();
  let n = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) n++;
  return n;
}

const seen = { vs64: 0, vsTape: 0 };
afterAll(() => {
  console.log(`closed form float32, worst |diff| / max(1, |ref|): vs float64 ${seen.vs64.toExponential(2)}, vs float32 tape ${seen.vsTape.toExponential(2)} (tolerance ${TOL32}, ${2 * TOL32})`);
});

/** A problem drawn in float64 and rounded to float32 once; `f64` holds the same values as float64. */
function problem(seed: number, nX: number, nA: number, m: number, T: number, withC0 = true, scale = 1) {
  const rs = new RandomState(seed);
  const p: Record<string, NDArray> = {};
  for (const g of GATES) {
    p[`W${g}`] = nd.mul(rs.randn(nA, nA + nX), scale).astype("float32");
    p[`b${g}`] = nd.mul(rs.randn(nA, 1), scale).astype("float32");
  }
  p.Wy = rs.randn(2, nA).astype("float32");
  p.by = rs.randn(2, 1).astype("float32");
  const f32 = {
    x: rs.randn(nX, m, T).astype("float32"),
    a0: rs.randn(nA, m).astype("float32"),
    c0: withC0 ? rs.randn(nA, m).astype("float32") : undefined,
    da: rs.randn(nA, m, T).astype("float32"),
    p: p as unknown as Required<LSTMParameters>,
  };
  const up = (a: NDArray) => a.astype("float64");
  const f64 = {
    x: up(f32.x),
    a0: up(f32.a0),
    c0: f32.c0 && up(f32.c0),
    da: up(f32.da),
    p: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, up(v)])) as unknown as Required<LSTMParameters>,
  };
  return { f32, f64 };
}

type Inputs = ReturnType<typeof problem>["f32"];

function run(v: Inputs) {
  const fwd = lstmForward(v.x, v.a0, v.p, v.c0 ? { c0: v.c0 } : {});
  return { fwd, grads: lstmBackward(v.da, fwd.caches) };
}

/** nn.LSTM in float32 (PyTorch's layout), weights from the notebook's; returns a and the gradients in the notebook's layout. */
function tape(v: Inputs) {
  const [nX, m] = [v.x.shape[0]!, v.x.shape[1]!];
  const nA = v.a0.shape[0]!;
  const cell = LSTMCell.fromNotebookParams(v.p);
  const lstm = new LSTM(nX, nA, { dtype: "float32" });
  lstm.loadStateDict({ weight_ih_l0: cell.weight_ih.data, weight_hh_l0: cell.weight_hh.data, bias_ih_l0: cell.bias_ih!.data, bias_hh_l0: cell.bias_hh!.data });
  const x = ag.tensor(v.x, { requiresGrad: true });
  const a0 = ag.tensor(v.a0, { requiresGrad: true });
  const c0 = ag.tensor(v.c0 ?? nd.zeros([nA, m], "float32"), { requiresGrad: true });
  const [out] = lstm.forward(x.permute(2, 1, 0), [a0.T.unsqueeze(0), c0.T.unsqueeze(0)]);
  const a = out.permute(2, 1, 0);
  a.mul(ag.tensor(v.da)).sum().backward();
  const l0 = lstm as unknown as Record<string, ag.Tensor>;
  const w = notebookLayout(l0.weight_ih_l0!.grad!, l0.weight_hh_l0!.grad!, l0.bias_ih_l0!.grad!);
  const grads: Record<string, NDArray> = { dx: x.grad!, da0: a0.grad!, dc0: c0.grad! };
  for (const g of GATES) {
    grads[`dW${g}`] = w[`W${g}`];
    grads[`db${g}`] = w[`b${g}`];
  }
  return { a: a.data, grads };
}

const sizes = fc.record({
  nX: fc.integer({ min: 1, max: 4 }),
  nA: fc.integer({ min: 1, max: 5 }),
  m: fc.integer({ min: 1, max: 4 }),
  T: fc.integer({ min: 1, max: 6 }),
  withC0: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

describe("the closed form on float32 inputs", () => {
  it("holds every result, cache and gradient in float32 storage", () => {
    const { f32 } = problem(1, 3, 4, 2, 5);
    const { fwd, grads } = run(f32);
    const step = fwd.caches[0][2]!;
    const cell = lstmCellForward(f32.x.slice(null, null, 0), f32.a0, f32.c0!, f32.p);
    const cellGrads = lstmCellBackward(f32.a0, f32.c0!, step);
    const arrays: [string, NDArray][] = [
      ["a", fwd.a], ["c", fwd.c], ["y", fwd.y!],
      ...(["aNext", "cNext", "aPrev", "cPrev", "ft", "it", "cct", "ot"] as const).map((k) => [`cache.${k}`, step[k]] as [string, NDArray]),
      ...GRADS.map((k) => [k, grads[k]] as [string, NDArray]),
      ["cell aNext", cell.aNext], ["cell cNext", cell.cNext], ["cell ytPred", cell.ytPred!], ["cell cache.ft", cell.cache.ft],
      ...(["dxt", "da_prev", "dc_prev", "dWf", "dbo"] as const).map((k) => [`cell ${k}`, cellGrads[k]] as [string, NDArray]),
    ];
    for (const [name, v] of arrays) expect(v.data instanceof Float32Array, `${name} is ${v.dtype}`).toBe(true);
    // without c0 the forward starts from float32 zeros, so dc0 is float32 too
    const { f32: noC0 } = problem(2, 3, 4, 2, 5, false);
    expect(run(noC0).grads.dc0.dtype).toBe("float32");
  });

  it(`agrees with the float64 path on the same values to ${TOL32} (forward and every gradient)`, () => {
    fc.assert(
      fc.property(sizes, ({ nX, nA, m, T, withC0, seed }) => {
        const { f32, f64 } = problem(seed, nX, nA, m, T, withC0);
        const r32 = run(f32);
        const r64 = run(f64);
        const pairs: [string, NDArray, NDArray][] = [
          ["a", r32.fwd.a, r64.fwd.a], ["c", r32.fwd.c, r64.fwd.c], ["y", r32.fwd.y!, r64.fwd.y!],
          ...GRADS.map((k) => [k, r32.grads[k], r64.grads[k]] as [string, NDArray, NDArray]),
        ];
        for (const [name, a, b] of pairs) {
          expect(a.dtype, name).toBe("float32");
          const d = relDiff(a, b);
          seen.vs64 = Math.max(seen.vs64, d);
          expect(d, name).toBeLessThanOrEqual(TOL32);
        }
      }),
      { numRuns: 100 },
    );
  });

  it(`agrees with the tape (nn.LSTM of autograd primitives, in float32) to ${2 * TOL32}`, () => {
    fc.assert(
      fc.property(sizes, ({ nX, nA, m, T, withC0, seed }) => {
        const { f32 } = problem(seed, nX, nA, m, T, withC0);
        const closed = run(f32);
        const tp = tape(f32);
        const pairs: [string, NDArray, NDArray][] = [["a", closed.fwd.a, tp.a], ...GRADS.map((k) => [k, closed.grads[k], tp.grads[k]!] as [string, NDArray, NDArray])];
        for (const [name, a, b] of pairs) {
          expect(b.dtype, `tape ${name}`).toBe("float32");
          const d = relDiff(a, b);
          seen.vsTape = Math.max(seen.vsTape, d);
          expect(d, name).toBeLessThanOrEqual(2 * TOL32);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("rounds each value to float32 where it is stored: c_t = fl(f c_{t-1} + i g) and a_t = fl(o tanh(c_t)) with nd.tanh on float32, bit for bit", () => {
    // With every gate and state a float32 array, c_t and a_t follow from the step's own arrays
    // by one float32 rounding each. Computed in float64 and converted at the end, the stored
    // gates are roundings of values that c_t never saw, and the identities fail.
    const holds = (steps: ReturnType<typeof lstmForward>["caches"][0]) => {
      let broken = 0;
      for (const s of steps) {
        const [f, i, g, cp, c] = [s.ft, s.it, s.cct, s.cPrev, s.cNext].map((v) => v.astype("float32").toFlat());
        for (let k = 0; k < c!.length; k++) if (!Object.is(c![k], Math.fround(f![k]! * cp![k]! + i![k]! * g![k]!))) broken++;
        // a_t against numpy's float32 expression ot * np.tanh(c_next), on nd's float32 tanh
        const c32 = s.cNext.astype("float32");
        broken += bitsDiffer(s.aNext.astype("float32"), nd.mul(s.ot.astype("float32"), nd.tanh(c32)));
      }
      return broken;
    };
    const { f32, f64 } = problem(3, 5, 8, 6, 6);
    expect(holds(run(f32).fwd.caches[0])).toBe(0);
    // the check has teeth: the float64 path's arrays, converted to float32 at the end, break it
    expect(holds(run(f64).fwd.caches[0])).toBeGreaterThan(0);
  });

  it("returns results that are not the float64 results converted to float32 (what a float64 computation would return)", () => {
    const { f32, f64 } = problem(4, 5, 8, 6, 6);
    const r32 = run(f32);
    const r64 = run(f64);
    for (const [name, a, b] of [["a", r32.fwd.a, r64.fwd.a], ...GRADS.map((k) => [k, r32.grads[k], r64.grads[k]])] as [string, NDArray, NDArray][]) {
      // every element within TOL32 of the float64 value, yet some not its float32 rounding
      expect(relDiff(a, b), name).toBeLessThanOrEqual(TOL32);
      expect(bitsDiffer(a, b.astype("float32")), name).toBeGreaterThan(0);
    }
  });

  it("computes in float64 when any input is float64, returning float32 where that input's source was float32 (as before)", () => {
    const { f32, f64 } = problem(5, 3, 4, 2, 5);
    // float64 c0 beside float32 x, a0 and gates: the forward runs in float64, a and c come back float32
    const mixed = lstmForward(f32.x, f32.a0, f32.p, { c0: f64.c0! });
    const all64 = lstmForward(f64.x, f64.a0, f64.p, { c0: f64.c0! });
    expect([mixed.a.dtype, mixed.caches[0][0]!.ft.dtype]).toEqual(["float32", "float64"]);
    expect(bitsDiffer(mixed.a, all64.a.astype("float32"))).toBe(0);
    // a float64 da after a float32 forward: the backward reads the forward's float32 values as float64
    const fwd32 = lstmForward(f32.x, f32.a0, f32.p, { c0: f32.c0! });
    const g = lstmBackward(f64.da, fwd32.caches);
    expect([g.dx.dtype, g.dWf.dtype, g.dc0.dtype]).toEqual(["float32", "float32", "float32"]);
    expect(relDiff(g.dWf, lstmBackward(f32.da, fwd32.caches).dWf)).toBeLessThanOrEqual(TOL32);
  });
});
