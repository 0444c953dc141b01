// B packed once per replay (issue 25; pack-reuse.ts, wasm/gemm.ts): a compiled plan's products
// that read one weight unchanged share its packing within a replay. The reference is the same
// code run eagerly (every product packing its own B) on arrays holding the same values: a
// replay must equal it bit for bit, including when the weight is written inside the step
// between its products, or from outside between replays. The counts of packings made and
// reused say that the sharing happened (and that each replay packs anew).

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { Identities, Program, trace } from "@tapegrad/tensor/internal";
import { setPackReuse, takePackCounts } from "../src/wasm/gemm.js";
import { recordedWrites, sharePackings, type PlanItem } from "../src/pack-reuse.js";
import { rng } from "./helpers.js";

type NDArray = nd.NDArray;
type FDType = "float64" | "float32";

function filled(shape: readonly number[], dtype: FDType, seed: number): NDArray {
  const r = rng(seed);
  const a = nd.zeros(shape, dtype);
  for (let i = 0; i < a.size; i++) a.data[i] = (r() - 0.5) * 2;
  return a;
}

/** The elements in C order, read through the strides, as bit-exact comparable numbers. */
const flat = (a: NDArray): number[] => Array.from(a.copy().data as ArrayLike<number>);

function expectBitwise(got: readonly NDArray[], want: readonly NDArray[], what: string): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    const g = flat(got[k]!);
    const w = flat(want[k]!);
    expect(g.length, what).toBe(w.length);
    for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) throw new Error(`${what}: result ${k} element ${i}: replay ${g[i]}, eager ${w[i]}`);
  }
}

interface Case {
  M: number;
  K: number;
  N: number;
  T: number;
  dtype: FDType;
  /** the forward reads W (K x N as stored) or W's transpose view (W stored N x K), as h W^T */
  transposed: boolean;
  /** after this many forward products, W is written in place inside the step (null: never) */
  writeAt: number | null;
  /** the write is a fused elementwise op, or a product whose result is W itself */
  writeBy: "elementwise" | "product";
}

/**
 * An LSTM-like step: T forward products y_t = h_t B (B = W or W^T) with h_{t+1} = tanh(h_t +
 * x_t) between them, then T backward-like products d_t = g_t B^T, all reading the one weight W
 * (optionally written in place part-way). Returns the values a caller reads.
 */
function step(c: Case, W: NDArray, x: NDArray, h0: NDArray, g: NDArray, P: NDArray): NDArray[] {
  const B = c.transposed ? W.transpose() : W; // K x N
  const outs: NDArray[] = [];
  let h = h0;
  for (let t = 0; t < c.T; t++) {
    if (c.writeAt === t) {
      if (c.writeBy === "elementwise") nd.mul(W, 0.5, W);
      else nd.matmul(P, W, W); // W (square here) replaced by P W, by a product whose result is W
    }
    outs.push(nd.matmul(h, B));
    h = nd.tanh(nd.add(h, nd.slice(x, [t])));
  }
  for (let t = 0; t < c.T; t++) outs.push(nd.matmul(nd.slice(g, [t]), B.transpose()));
  return outs;
}

/**
 * Traces `step` on arrays from seed 1, then replays it `replays` times, each after new values
 * (new inputs, and a new weight written into W from outside, as an optimizer would), holding
 * each replay to eager on fresh arrays with the same values. Returns the program and the
 * packing counts of the replays.
 */
function replayAgainstEager(c: Case, replays = 2): { program: Program; counts: { packed: number; reused: number }[] } {
  const wShape = c.transposed ? [c.N, c.K] : [c.K, c.N];
  const make = (seed: number) => ({
    W: filled(wShape, c.dtype, seed),
    x: filled([c.T, c.M, c.K], c.dtype, seed + 1),
    h0: filled([c.M, c.K], c.dtype, seed + 2),
    g: filled([c.T, c.M, c.N], c.dtype, seed + 3),
    P: filled([c.K, c.K], c.dtype, seed + 4),
  });
  const first = make(1);
  const W = first.W.copy();
  const P = first.P.copy();
  const [x, h0, g] = [first.x.copy(), first.h0.copy(), first.g.copy()];
  // the trace runs the step once (its writes to W included), as a compiled step's first call does
  const { result, program } = trace(() => step(c, W, x, h0, g, P), [x, h0, g], new Identities(), { fuse: true });
  const counts: { packed: number; reused: number }[] = [];
  for (let r = 0; r < replays; r++) {
    const v = make(10 * (r + 1));
    W.assign(v.W); // from outside, between replays
    x.assign(v.x);
    h0.assign(v.h0);
    g.assign(v.g);
    takePackCounts();
    program.run();
    counts.push(takePackCounts());
    const eagerW = v.W.copy();
    const want = step(c, eagerW, v.x, v.h0, v.g, P.copy());
    expectBitwise(result, want, `replay ${r + 1} of ${JSON.stringify(c)}`);
    expectBitwise([W], [eagerW], `W after replay ${r + 1}`);
  }
  return { program, counts };
}

describe("B packed once per replay", () => {
  it("an LSTM-like step: each direction's products share one packing, made anew in every replay, and the replay equals eager bitwise", () => {
    for (const dtype of ["float32", "float64"] as const) {
      for (const transposed of [true, false]) {
        const c: Case = { M: 32, K: 48, N: 96, T: 6, dtype, transposed, writeAt: null, writeBy: "elementwise" };
        const { program, counts } = replayAgainstEager(c, 3);
        // the T forward products read B, the T backward ones B^T: two chains
        expect(program.sharedPackings).toBe(2 * c.T);
        for (const n of counts) expect(n).toEqual({ packed: 2, reused: 2 * c.T - 2 });
      }
    }
  });

  it("a write to the weight inside the step ends the chain: the products after it pack the new weight", () => {
    for (const writeBy of ["elementwise", "product"] as const) {
      for (const transposed of [true, false]) {
        const c: Case = { M: 16, K: 40, N: 40, T: 5, dtype: "float32", transposed, writeAt: 2, writeBy };
        const { program, counts } = replayAgainstEager(c, 2);
        // forward products 0-1 share one packing, 2-4 another (after the write); the backward five a third
        expect(program.sharedPackings).toBe(c.T * 2);
        for (const n of counts) expect(n).toEqual({ packed: 3, reused: 2 * c.T - 3 });
      }
    }
  });

  it("on random shapes, layouts, dtypes and writes, a replay equals eager bitwise (K past a block: B staged block by block)", () => {
    fc.assert(
      fc.property(
        fc.record({
          M: fc.integer({ min: 1, max: 24 }),
          K: fc.integer({ min: 1, max: 300 }),
          N: fc.integer({ min: 1, max: 120 }),
          T: fc.integer({ min: 1, max: 4 }),
          dtype: fc.constantFrom<FDType>("float32", "float64"),
          transposed: fc.boolean(),
          writeAt: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
          writeBy: fc.constant<"elementwise">("elementwise"),
        }),
        (c) => {
          replayAgainstEager(c, 2);
        },
      ),
      { numRuns: 30, seed: 25 },
    );
  });

  it("with the sharing switched off, the same replay gives the same bits and packs nothing into the replay's region", () => {
    const c: Case = { M: 8, K: 64, N: 72, T: 4, dtype: "float32", transposed: true, writeAt: null, writeBy: "elementwise" };
    const prev = setPackReuse(false);
    try {
      const { counts } = replayAgainstEager(c, 2);
      for (const n of counts) expect(n).toEqual({ packed: 0, reused: 0 });
    } finally {
      setPackReuse(prev);
    }
  });
});

describe("sharePackings (which products share)", () => {
  const W = nd.zeros([4, 6], "float32");
  const other = nd.zeros([4, 6], "float32");
  const product = (b: NDArray, log: number[], id: number): PlanItem["product"] => ({ b, share: () => void log.push(id) });

  it("chains products reading one view of one storage, until an item that may write it", () => {
    const log: number[] = [];
    const n = sharePackings([
      { product: product(W, log, 0), writes: [other] },
      { writes: [other] },
      { product: product(W, log, 1), writes: [other] },
      { product: product(W.transpose(), log, 2), writes: [other] }, // another view: another chain (alone)
      { writes: [nd.slice(W, [[1, 2]])] }, // writes part of W: the chain ends
      { product: product(W, log, 3), writes: [other] }, // alone after the write
    ]);
    expect(n).toBe(2);
    expect(log).toEqual([0, 1]);
  });

  it("an item that may write anything ends every chain; a product writing its own B ends its chain after it", () => {
    const log: number[] = [];
    sharePackings([
      { product: product(W, log, 0), writes: [other] },
      { writes: "all" },
      { product: product(W, log, 1), writes: [W] },
      { product: product(W, log, 2), writes: [other] },
      { product: product(W, log, 3), writes: [other] },
    ]);
    expect(log).toEqual([2, 3]);
  });

  it("recordedWrites: results and array arguments; 'all' for a function, an object, a raw storage", () => {
    const a = nd.zeros([2]);
    const b = nd.zeros([3]);
    expect(recordedWrites([a], undefined, [b, 2, [a], { x: b }])).toEqual([a, b, a, b]);
    expect(recordedWrites([a], undefined, [() => 0])).toBe("all");
    expect(recordedWrites([a], new Map(), [])).toBe("all");
    expect(recordedWrites([a], undefined, [new Float64Array(2)])).toBe("all");
  });
});
