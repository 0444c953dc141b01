// Fused loops as generated WebAssembly (wasm/fused-wasm.ts; issue 25). References: the same
// code run eagerly, kernel by kernel, on arrays holding the same values (bit for bit: signed
// zeros count, a NaN is a NaN), and the same loop in JS
// (the wasm form switched off), on data with signed zeros, NaN, infinities, huge and tiny
// values; flat arrays with an odd length, rows of a wider array, a row broadcast over rows,
// results written in place; float32 sigmoid, tanh and exp over their whole range (the SIMD
// twins of their cores). Loops that cannot be emitted exactly (a comparison, a float64
// transcendental) stay JS.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { Identities, trace } from "@tapegrad/tensor/internal";
import { parseExpr, setFusedWasm, setWasmMinElements, takeFourLaneCount, takeInPlaceCount, takeWasmLoopCount } from "../src/wasm/fused-wasm.js";
import { arenaOf, setArenaMinBytes } from "../src/wasm/arena.js";
import { rng } from "./helpers.js";

type NDArray = nd.NDArray;
type FDType = "float64" | "float32";

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1, -1, 3e38, -3e38, 1e-40, 1e-310, 65504];

function filled(shape: readonly number[], dtype: FDType, seed: number): NDArray {
  const r = rng(seed);
  const a = nd.zeros(shape, dtype);
  for (let i = 0; i < a.size; i++) a.data[i] = r() < 0.1 ? SPECIAL[Math.floor(r() * SPECIAL.length)]! : (r() - 0.5) * 8;
  return a;
}

/**
 * Each element's value, compared with Object.is: signed zeros count; a NaN equals a NaN whatever
 * its sign and payload, which JS leaves open too (V8 may swap the operands of a commutative op,
 * and x86 returns the first operand's NaN).
 */
function expectSameBits(got: readonly NDArray[], want: readonly NDArray[], what: string): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    const g = Array.from(got[k]!.copy().data as Float64Array);
    const w = Array.from(want[k]!.copy().data as Float64Array);
    expect(g.length).toBe(w.length);
    for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) throw new Error(`${what}: result ${k}, element ${i}: ${g[i]} vs ${w[i]}`);
  }
}

interface Scenario {
  name: string;
  /** transcendentals: emitted in float32 loops only (float64 keeps the JS loop, tested below) */
  f32Only?: boolean;
  shapes: number[][];
  build: (xs: NDArray[]) => NDArray[];
}

// every plain-arithmetic kernel that fuses, chained, on fresh results and in place
const arithmetic = (a: NDArray, b: NDArray): NDArray[] => {
  const s = nd.add(nd.mul(a, b), 0.75);
  const t = nd.sub(nd.div(s, b), nd.neg(a));
  const u = nd.sigmoidBackward(t, a);
  const w = nd.tanhBackward(u, b);
  const m = nd.maximum(nd.minimum(w, a), nd.sqrt(nd.abs(b)));
  const q = nd.square(m);
  nd.add(q, a, q); // in place
  nd.mul(q, 1.5, q);
  return [s, t, w, m, q];
};

const SCENARIOS: Scenario[] = [
  { name: "flat, odd length", shapes: [[1001], [1001]], build: ([a, b]) => arithmetic(a!, b!) },
  {
    name: "rows of a wider array, and a row broadcast over rows",
    shapes: [[12, 300], [97]],
    build: ([a, r]) => arithmetic(nd.slice(a!, [null, [50, 147]]), nd.broadcastTo(r!, [12, 97]).copy().add(0)),
  },
  {
    name: "a broadcast row read by every row (no copy), accumulated into a slice in place",
    shapes: [[20, 64], [64], [40, 64]],
    build: ([a, r, acc]) => {
      const part = nd.slice(acc!, [[10, 30]]);
      nd.add(part, nd.mul(a!, r!), part);
      return [acc!, nd.sub(a!, r!)];
    },
  },
  {
    name: "an LSTM cell (sigmoid, tanh, exp) over gates in rows of a wider array",
    f32Only: true,
    shapes: [[32, 4 * 40], [32, 40]],
    build: ([gates, c]) => {
      const [i, f, g, o] = [0, 1, 2, 3].map((k) => nd.slice(gates!, [null, [k * 40, (k + 1) * 40]]));
      const c2 = nd.add(nd.mul(nd.sigmoid(f!), c!), nd.mul(nd.sigmoid(i!), nd.tanh(g!)));
      const h2 = nd.mul(nd.sigmoid(o!), nd.tanh(c2));
      return [c2, h2, nd.exp(nd.mul(h2, 30))];
    },
  },
  {
    name: "sigmoid, tanh and exp over their whole range (clamps, subnormal results, overflow)",
    f32Only: true,
    shapes: [[2000]],
    build: ([x]) => [nd.sigmoid(nd.mul(x!, 40)), nd.tanh(nd.mul(x!, 3)), nd.exp(nd.mul(x!, 30)), nd.sigmoid(x!), nd.exp(nd.neg(nd.mul(x!, 28)))],
  },
];

const CHAIN_UNARY = ["neg", "abs", "sqrt", "square", "sigmoid", "tanh", "exp", "copy"] as const;
const CHAIN_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "sigmoidBackward", "tanhBackward"] as const;

/**
 * Random chains of every fusible op (in place too, on views of rows), traced and replayed, each
 * held bitwise to eager. `own` wraps the inputs and each result (identity, or a copy into the
 * program's own arrays).
 */
function randomChainsEqualEager(own: (x: NDArray) => NDArray, seed: number): void {
  const op = fc.record({
    name: fc.constantFrom<string>(...CHAIN_UNARY, ...CHAIN_BINARY),
    a: fc.nat(),
    b: fc.nat(),
    scalar: fc.option(fc.constantFrom(0.5, -2, 3, 0), { nil: null }),
    inPlace: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.record({ rows: fc.integer({ min: 1, max: 5 }), cols: fc.integer({ min: 1, max: 9 }), wide: fc.boolean(), dtype: fc.constantFrom<FDType>("float32", "float64"), ops: fc.array(op, { minLength: 1, maxLength: 8 }), seed: fc.nat(1000) }),
      (c) => {
        const shape = [c.rows, c.wide ? 2 * c.cols + 1 : c.cols];
        const build = ([x, y]: NDArray[]): NDArray[] => {
          const view = (t: NDArray) => (c.wide ? nd.slice(t, [null, [1, 1 + c.cols]]) : t);
          const pool: NDArray[] = [view(own(x!)), view(own(y!))];
          for (const o of c.ops) {
            const a = pool[o.a % pool.length]!;
            const b = o.scalar ?? pool[o.b % pool.length]!;
            const out = o.inPlace && pool.length > 2 ? pool[2 + (o.a % (pool.length - 2))] : undefined;
            const f = (nd as unknown as Record<string, (...args: unknown[]) => NDArray>)[o.name]!;
            const unary = (CHAIN_UNARY as readonly string[]).includes(o.name);
            pool.push(o.name === "copy" ? a.copy() : unary ? (out ? f(a, out) : f(a)) : out ? f(a, b, out) : f(a, b));
          }
          return pool.slice(2).map(own);
        };
        const make = (s: number) => [filled(shape, c.dtype, s), filled(shape, c.dtype, s + 1)];
        const xs = make(c.seed);
        const { result, program } = trace(() => build(xs), xs, new Identities(), { fuse: true });
        const v = make(c.seed + 7);
        xs.forEach((x, i) => x.assign(v[i]!));
        program.run();
        expectSameBits(result, build(make(c.seed + 7)), JSON.stringify(c));
      },
    ),
    { numRuns: 150, seed },
  );
}

describe("fused loops as WebAssembly", () => {
  for (const dtype of ["float32", "float64"] as const) {
    for (const sc of SCENARIOS.filter((x) => dtype === "float32" || !x.f32Only)) {
      it(`${sc.name}, ${dtype}: wasm loops, bitwise equal to eager and to the JS loop`, () => {
        const make = (seed: number) => sc.shapes.map((sh, i) => filled(sh, dtype, seed + i));
        const xs = make(1);
        takeWasmLoopCount();
        takeFourLaneCount();
        const { result, program } = trace(() => sc.build(xs), xs, new Identities(), { fuse: true });
        program.run(); // plans and compiles the loops
        expect(takeWasmLoopCount()).toBeGreaterThan(0);
        // one operation an op, in float32: four lanes (the accumulation); the others need two
        expect(takeFourLaneCount() > 0).toBe(dtype === "float32" && sc.name.startsWith("a broadcast row"));
        const prev = setFusedWasm(false);
        const xsJs = make(1);
        let js: { result: NDArray[]; program: typeof program };
        try {
          js = trace(() => sc.build(xsJs), xsJs, new Identities(), { fuse: true });
          js.program.run();
          expect(takeWasmLoopCount()).toBe(0);
        } finally {
          setFusedWasm(prev);
        }
        for (const seed of [10, 20, 30]) {
          const v = make(seed);
          xs.forEach((x, i) => x.assign(v[i]!));
          xsJs.forEach((x, i) => x.assign(v[i]!));
          program.run();
          js.program.run();
          const eager = make(seed);
          const want = sc.build(eager);
          expectSameBits(result, want, `${sc.name} ${dtype} seed ${seed} against eager`);
          expectSameBits(result, js.result, `${sc.name} ${dtype} seed ${seed} against the JS loop`);
        }
      });
    }
  }

  it("a loop made before the shared memory grows (for a larger loop) still stages and copies back right after", () => {
    const build = (x: NDArray, y: NDArray) => [nd.sub(nd.mul(x, y), x)];
    const [a, b] = [filled([300], "float32", 5), filled([300], "float32", 6)];
    const small = trace(() => build(a, b), [a, b], new Identities(), { fuse: true });
    small.program.run();
    // a loop over 8 MiB of float64 staging grows the memory past its first pages
    const [c, d] = [filled([1 << 19], "float64", 7), filled([1 << 19], "float64", 8)];
    const large = trace(() => build(c, d), [c, d], new Identities(), { fuse: true });
    large.program.run();
    expectSameBits(large.result, build(c, d), "the large loop");
    const [a2, b2] = [filled([300], "float32", 9), filled([300], "float32", 10)];
    a.assign(a2);
    b.assign(b2);
    small.program.run();
    expectSameBits(small.result, build(a2, b2), "the small loop after the memory grew");
  });

  it("a loop with a comparison, or a float64 transcendental, stays JS, with the same bits as eager", () => {
    const a = filled([512], "float64", 3);
    takeWasmLoopCount();
    const build = (x: NDArray) => [nd.mul(nd.sigmoid(x), 2), nd.relu(nd.add(x, 1))];
    const { result, program } = trace(() => build(a), [a], new Identities(), { fuse: true });
    program.run();
    expect(takeWasmLoopCount()).toBe(0);
    const v = filled([512], "float64", 4);
    a.assign(v);
    program.run();
    expectSameBits(result, build(v), "sigmoid, relu");
  });

  it("random chains (every fusible op, all sizes down to one element, views of rows): replays equal eager", () => {
    const prevMin = setWasmMinElements(1);
    takeWasmLoopCount();
    takeFourLaneCount();
    try {
      randomChainsEqualEager((x) => x, 2525);
      // most cases made their loops as wasm (a case whose rows are not contiguous keeps JS), some
      // of them (float32, one operation an op) four float32 lanes at a time
      expect(takeWasmLoopCount()).toBeGreaterThan(100);
      expect(takeFourLaneCount()).toBeGreaterThan(10);
    } finally {
      setWasmMinElements(prevMin);
    }
  });

  it("a program's arrays come from an arena only past its size (1 MiB by default), and a GPU plan's never", () => {
    const small = [filled([512], "float32", 1)];
    const own = (x: NDArray) => nd.take(x, nd.arange(0, x.shape[0]!, 1, "int32"));
    const build = ([x]: NDArray[]) => [own(nd.mul(own(x!), 2))];
    const t = trace(() => build(small), small, new Identities(), { fuse: true });
    t.program.run();
    expect(takeInPlaceCount()).toBe(0);
    const prev = setArenaMinBytes(0);
    try {
      const u = trace(() => build(small), small, new Identities(), { fuse: true });
      u.program.run();
      expect(takeInPlaceCount()).toBe(1);
      expectSameBits(u.result, build(small), "in place");
    } finally {
      setArenaMinBytes(prev);
    }
  });

  it("parseExpr: the arithmetic subset, and nothing else", () => {
    for (const ok of ["sigmoid32(x6)", "F(tanh32(v1 * 2))", "x6 + k0", "g * s * (1 - s)", "v1 * (1 - v2 * v2)", "-x0", "Math.max(a, b)", "Math.sqrt(Math.abs(x1))", "x1 / 2.5e-3", "h3 - -k1"]) {
      expect(parseExpr(ok), ok).not.toBeNull();
    }
    for (const bad of ["f(a, b)", "f()", "(a > 0 ? a : 0)", "a % b", "Math.exp(a)", "Math.max(a)", "a +", "a b", "x[0]"]) {
      expect(parseExpr(bad), bad).toBeNull();
    }
  });
});

// The same loops run where a compiled program's own arrays lie (wasm/arena.ts): each input is
// first taken row by row (take does not fuse: an exact copy into the program's own array), so
// that the loops read only arrays in the arena, and each result is taken likewise from the
// loop's (a result the program returns is the caller's array, outside the arena, and a loop
// that touches one stages). References as above: eager, and the
// same program with every loop staged.
describe("fused loops in place, over a program's arena", () => {
  const own = (x: NDArray): NDArray => nd.take(x, nd.arange(0, x.shape[0]!, 1, "int32"), 0);
  // rows of an odd length stage: a SIMD step would pass the row's end
  const oddRows = new Set(["flat, odd length", "rows of a wider array, and a row broadcast over rows"]);
  // loops that must stage (their other loops may run in place)
  const mustStage = new Set(["a view shifted against the array written through it (reading behind the writes), flat and in rows"]);
  const inPlaceScenarios: Scenario[] = [
    ...SCENARIOS.map((sc) => ({ ...sc, build: (xs: NDArray[]) => sc.build(xs.map(own)).map(own) })),
    {
      name: "four column blocks of one wider result written by one loop (an LSTM's gate gradients)",
      shapes: [[32, 40], [32, 40]],
      build: ([a, b]) => {
        const [x, y] = [own(a!), own(b!)];
        return [own(nd.concat([nd.mul(x, y), nd.add(x, 1), nd.sub(y, x), nd.mul(nd.sigmoidBackward(x, y), 2)], 1))];
      },
    },
    {
      name: "a view shifted against the array written through it (reading behind the writes), flat and in rows",
      shapes: [[1024], [16, 72]],
      build: ([a, b]) => {
        const [x, y] = [own(a!), own(b!)];
        nd.tanh(nd.mul(nd.slice(x, [[0, 1020]]), 0.5), nd.slice(x, [[2, 1022]]));
        nd.add(nd.mul(nd.slice(y, [null, [0, 64]]), 0.5), 1, nd.slice(y, [null, [1, 65]]));
        return [own(x), own(y)];
      },
    },
    {
      name: "a result written over itself, and a row broadcast over rows",
      shapes: [[16, 64], [1, 64]],
      build: ([a, r]) => {
        const [x, row] = [own(a!), own(r!)];
        const s = nd.mul(x, row);
        nd.add(s, x, s);
        nd.mul(s, nd.broadcastTo(row, [16, 64]), s);
        return [own(s)];
      },
    },
  ];
  for (const dtype of ["float32", "float64"] as const) {
    for (const sc of inPlaceScenarios.filter((x) => dtype === "float32" || !x.f32Only)) {
      it(`${sc.name}, ${dtype}: in place, bitwise equal to eager and to the staged loops`, () => {
        const make = (seed: number) => sc.shapes.map((sh, i) => filled(sh, dtype, seed + i));
        const xs = make(1);
        const xsStaged = make(1);
        const prev = setArenaMinBytes(0);
        let t: ReturnType<typeof trace<NDArray[]>>;
        try {
          takeInPlaceCount();
          t = trace(() => sc.build(xs), xs, new Identities(), { fuse: true });
          t.program.run();
          const n = takeInPlaceCount();
          if (oddRows.has(sc.name)) expect(n).toBe(0);
          else if (!mustStage.has(sc.name)) expect(n).toBeGreaterThan(0);
        } finally {
          setArenaMinBytes(prev);
        }
        const prev2 = setArenaMinBytes(Infinity);
        let staged: ReturnType<typeof trace<NDArray[]>>;
        try {
          staged = trace(() => sc.build(xsStaged), xsStaged, new Identities(), { fuse: true });
          staged.program.run();
          expect(takeInPlaceCount()).toBe(0);
        } finally {
          setArenaMinBytes(prev2);
        }
        for (const seed of [10, 20]) {
          const v = make(seed);
          xs.forEach((x, i) => x.assign(v[i]!));
          xsStaged.forEach((x, i) => x.assign(v[i]!));
          t.program.run();
          staged.program.run();
          expectSameBits(t.result, sc.build(make(seed)), `${sc.name} ${dtype} seed ${seed} against eager`);
          expectSameBits(t.result, staged.result, `${sc.name} ${dtype} seed ${seed} against the staged loops`);
        }
      });
    }
  }

  it("random chains over the program's own arrays (views of rows, in-place ops): replays equal eager", () => {
    const prevMin = setWasmMinElements(1);
    const prevArena = setArenaMinBytes(0);
    takeInPlaceCount();
    try {
      randomChainsEqualEager(own, 2626);
      // the cases whose rows hold whole SIMD steps ran in place
      expect(takeInPlaceCount()).toBeGreaterThan(20);
    } finally {
      setWasmMinElements(prevMin);
      setArenaMinBytes(prevArena);
    }
  });

  it("the arrays a program keeps (its results) stay plain typed arrays; its intermediates are in the arena", () => {
    const x = [filled([8, 64], "float32", 3)];
    const prev = setArenaMinBytes(0);
    try {
      const { result, program } = trace(() => [nd.tanh(nd.mul(nd.take(x[0]!, nd.arange(0, 8, 1, "int32"), 0), 2))], x, new Identities(), { fuse: true });
      program.run();
      expect(arenaOf(result[0]!.data.buffer)).toBeUndefined();
      expectSameBits(result, [nd.tanh(nd.mul(nd.take(x[0]!, nd.arange(0, 8, 1, "int32"), 0), 2))], "kept result");
    } finally {
      setArenaMinBytes(prev);
    }
  });
});
