// Tracing and fusion (trace.ts, fuse.ts, traced-ops.ts): a program replayed on new placeholder
// values gives, bit for bit, what the same code computes eagerly on fresh arrays holding those
// values; fused groups form where they should; kernel(), traceDifference and the random streams.
// References here are the eager ops themselves (run outside any trace) or plain index loops.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { Identities, Program, trace, traceDifference } from "@tapegrad/tensor/internal";
import { rng } from "./helpers.js";

type NDArray = nd.NDArray;
type FDType = "float64" | "float32";

// ---------------------------------------------------------------- plain helpers

/** The elements of `a` in C order, read through its strides (no kernel). */
function elements(a: NDArray): number[] {
  const out: number[] = [];
  const n = a.ndim;
  const idx = new Array<number>(n).fill(0);
  for (let count = 0; count < a.size; count++) {
    let p = a.offset;
    for (let d = 0; d < n; d++) p += idx[d]! * a.strides[d]!;
    out.push(a.data[p]!);
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d]! < a.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The first element where two arrays differ bitwise (Object.is: -0 and NaN count), or null. */
function firstDifference(got: NDArray, want: NDArray): string | null {
  if (got.shape.join(",") !== want.shape.join(",")) return `shape [${got.shape}] vs [${want.shape}]`;
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} vs ${want.dtype}`;
  const g = elements(got);
  const w = elements(want);
  for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) return `element ${i}: got ${g[i]}, want ${w[i]}`;
  return null;
}

function expectSame(got: readonly NDArray[], want: readonly NDArray[], what: string): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    const d = firstDifference(got[k]!, want[k]!);
    if (d !== null) throw new Error(`${what}: array #${k} differs from eager: ${d}`);
  }
}


/**
 * Traces `build` over two inputs of these shapes filled from `seeds[0]`, then, for each later
 * pair of seeds, writes new values into the inputs, replays, and holds the replay to eager
 * `build` on the same values (`label(k)` names replay k in a failure). Returns the program.
 */
function replayAgainstEager(
  build: (a: NDArray, b: NDArray) => NDArray[], shapes: readonly [readonly number[], readonly number[]], dtype: FDType, fuse: boolean,
  seeds: readonly (readonly [number, number])[], label: (k: number) => string,
): Program {
  const make = ([sa, sb]: readonly [number, number]) => shapes.map((sh, i) => filled(sh, dtype, values(i === 0 ? sa : sb, sh.reduce((x, y) => x * y, 1)))) as [NDArray, NDArray];
  const [a, b] = make(seeds[0]!);
  const { result, program } = trace(() => build(a, b), [a, b], new Identities(), { fuse });
  for (let k = 1; k < seeds.length; k++) {
    const [a2, b2] = make(seeds[k]!);
    a.assign(a2);
    b.assign(b2);
    program.run();
    expectSame(result, build(a2, b2), label(k));
  }
  return program;
}

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1, -1, 800, -800, 1e-300];

/** n values: mostly in (-4, 4), some special (signed zeros, NaN, infinities, exp overflow). */
function values(seed: number, n: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = r();
    out.push(u < 0.08 ? SPECIAL[Math.floor(r() * SPECIAL.length)]! : (r() - 0.5) * 8);
  }
  return out;
}

function filled(shape: readonly number[], dtype: FDType, vals: readonly number[]): NDArray {
  const a = nd.zeros(shape, dtype);
  for (let i = 0; i < a.size; i++) a.data[i] = vals[i]!;
  return a;
}

// ---------------------------------------------------------------- random elementwise chains

const UNARY = ["neg", "abs", "sqrt", "square", "relu", "exp", "tanh", "sigmoid", "copy"] as const;
const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "sigmoidBackward", "tanhBackward"] as const;
type UnaryName = (typeof UNARY)[number];
type BinaryName = (typeof BINARY)[number];

type Operand = { kind: "pool"; pick: number } | { kind: "num"; v: number } | { kind: "const"; pick: number };

interface OpSpec {
  op: UnaryName | BinaryName;
  /** the array operand: an index into the pool (modulo its length) */
  a: number;
  /** the second operand of a binary op */
  b: Operand;
  /** the array operand second (`nd.sub(b, a)`) */
  swap: boolean;
  /** where the result goes: a fresh array, or `out` = a pool array (modulo) */
  out: number | null;
}

/**
 * The arrays a chain starts from: `ph` holds the placeholders' shapes; `start` makes the first
 * pool entries (all of one shape) from the placeholders, with views and kernels, inside the trace.
 */
interface Scenario {
  name: string;
  ph: number[][];
  start: (ph: NDArray[]) => NDArray[];
  /** operands whose rows of contiguous elements differ in length (such an op runs unfused) */
  mixedRows?: boolean;
  /** pool entries that are read-only views (a broadcast): never an op's `out` */
  readOnly?: number;
}

const SCENARIOS: Scenario[] = [
  { name: "[7]", ph: [[7], [7]], start: (p) => [p[0]!, p[1]!] },
  { name: "[3,5]", ph: [[3, 5], [3, 5]], start: (p) => [p[0]!, p[1]!] },
  { name: "[4,1,6]", ph: [[4, 1, 6], [4, 1, 6]], start: (p) => [p[0]!, p[1]!] },
  {
    // column blocks of one [4, 20] matrix (a computed one and the placeholder itself): rows of 5, stride 20
    name: "column blocks",
    ph: [[4, 20], [4, 5]],
    start: (p) => {
      const m = nd.mul(p[0]!, 1.5);
      return [m.slice([], [0, 5]), m.slice([], [5, 10]), m.slice([], [10, 15]), p[0]!.slice([], [15, 20]), p[1]!];
    },
  },
  {
    // a transposed view: no rows of contiguous elements, so no fusion over it
    name: "transposed",
    ph: [[5, 3], [3, 5]],
    start: (p) => [p[0]!.T, p[1]!, nd.add(p[0]!, 0).T],
  },
  {
    // views of one storage at shifted offsets: writing one while reading another must not fuse
    name: "shifted 1-d views",
    ph: [[10], [8]],
    start: (p) => {
      const c = nd.add(p[0]!, 0);
      return [p[0]!.slice([0, 8]), p[0]!.slice([2, 10]), c.slice([0, 8]), c.slice([1, 9]), p[1]!];
    },
  },
  {
    // overlapping column blocks of one matrix: [0, 5) and [3, 8)
    name: "overlapping column blocks",
    ph: [[4, 20], [4, 5]],
    start: (p) => {
      const m = nd.sub(p[0]!, 0.25);
      return [m.slice([], [0, 5]), m.slice([], [3, 8]), m.slice([], [10, 15]), p[1]!];
    },
  },
  {
    // the permuted output of a batch-first module: [T, B, H] seen as [B, T, H], no rows of the pool's length
    name: "permuted 3-d",
    ph: [[5, 3, 4], [3, 5, 4]],
    start: (p) => [p[0]!.permute(1, 0, 2), p[1]!, nd.add(p[0]!, 0).permute(1, 0, 2), nd.mul(p[1]!, 1)],
  },
  {
    // negative steps: reversed rows and reversed columns of one storage, and the storage itself
    name: "negative steps",
    ph: [[6, 4], [6, 4]],
    start: (p) => {
      const c = nd.add(p[0]!, 0);
      return [c.slice([null, null, -1]), c.slice(null, [null, null, -1]), c, p[1]!.slice([null, null, -1], [null, null, -1])];
    },
  },
  {
    // a broadcast view (stride 0 along the rows) read beside whole arrays; and a view and its base
    name: "broadcast views",
    ph: [[4], [3, 4]],
    start: (p) => {
      const b = nd.add(p[1]!, 0);
      return [p[1]!, b, b.slice([1, 2]).broadcastTo([3, 4]), p[0]!.broadcastTo([3, 4])];
    },
    readOnly: 2,
  },
  {
    // [2, 2, 5] views with rows of 10 (x[:, 0:2] of a [2, 4, 5]) and of 5 (y[..., 0:5] of a [2, 2, 10])
    name: "mixed row lengths",
    ph: [[2, 4, 5], [2, 2, 10]],
    start: (p) => [p[0]!.slice([], [0, 2]), p[1]!.slice([], [], [0, 5]), p[0]!.slice([], [2, 4])],
    mixedRows: true,
  },
];

interface Chain {
  scenario: number;
  dtype: FDType;
  ops: OpSpec[];
  seeds: [number, number, number];
}

const numberArb = fc.oneof(
  fc.constantFrom(2, -0.5, 0.1, 1, 0, -0, 3.7, 1e-3),
  fc.double({ min: -10, max: 10, noNaN: true }),
);

const opArb: fc.Arbitrary<OpSpec> = fc.record({
  op: fc.constantFrom<UnaryName | BinaryName>(...UNARY, ...BINARY),
  a: fc.nat(40),
  b: fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("pool" as const), pick: fc.nat(40) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("num" as const), v: numberArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("const" as const), pick: fc.nat(3) }) },
  ),
  swap: fc.boolean(),
  out: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.nat(40) }),
});

const chainArb: fc.Arbitrary<Chain> = fc.record({
  scenario: fc.nat(SCENARIOS.length - 1),
  dtype: fc.constantFrom<FDType>("float64", "float32"),
  ops: fc.array(opArb, { minLength: 1, maxLength: 12 }),
  seeds: fc.tuple(fc.nat(), fc.nat(), fc.nat()),
});

/** Single values made before any trace (outside arrays to a trace): 0-d arrays and [1]s. */
function constants(dtype: FDType): NDArray[] {
  return [nd.scalar(1.25, dtype), nd.array([-0.75], [1], dtype), nd.scalar(-2, dtype), nd.array([0.5], [1], dtype)];
}

/** The storage positions of an array's elements, in C order. */
function positions(a: NDArray): number[] {
  const out: number[] = [];
  const idx = new Array<number>(a.ndim).fill(0);
  for (let count = 0; count < a.size; count++) {
    let p = a.offset;
    for (let d = 0; d < a.ndim; d++) p += idx[d]! * a.strides[d]!;
    out.push(p);
    for (let d = a.ndim - 1; d >= 0; d--) {
      if (++idx[d]! < a.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Whether `out` and `x` hold some element in common other than element for element (a shifted overlap). */
function overlapsShifted(out: NDArray, x: unknown): boolean {
  if (!(x instanceof nd.NDArray) || x.data !== out.data) return false;
  const po = positions(out);
  const px = positions(x);
  if (po.length === px.length && po.every((p, i) => p === px[i])) return false;
  const set = new Set(po);
  return px.some((p) => set.has(p));
}

/**
 * Runs the chain on placeholders `ph`; returns every array of the pool, as the chain left them.
 * With `shiftedWrites` false, an op whose `out` shares storage at a shift with one of its
 * operands or any array of the pool writes a fresh array instead (the cases a fuser must cut).
 */
function runChain(c: Chain, ph: NDArray[], consts: readonly NDArray[], shiftedWrites = true): NDArray[] {
  const pool = SCENARIOS[c.scenario]!.start(ph);
  const everything = [...pool];
  const f = nd as unknown as Record<string, (...args: unknown[]) => NDArray>;
  for (const s of c.ops) {
    const a = pool[s.a % pool.length]!;
    const ro = SCENARIOS[c.scenario]!.readOnly ?? Infinity;
    let out = s.out === null || s.op === "copy" || s.out % pool.length >= ro ? undefined : pool[s.out % pool.length]!;
    let r: NDArray;
    if ((UNARY as readonly string[]).includes(s.op)) {
      if (out !== undefined && !shiftedWrites && pool.some((x) => overlapsShifted(out!, x))) out = undefined;
      r = out === undefined ? f[s.op]!(a) : f[s.op]!(a, out);
    } else {
      const b = s.b.kind === "pool" ? pool[s.b.pick % pool.length]! : s.b.kind === "num" ? s.b.v : consts[s.b.pick % consts.length]!;
      const [x, y] = s.swap ? [b, a] : [a, b];
      if (out !== undefined && !shiftedWrites && (pool.some((z) => overlapsShifted(out!, z)) || overlapsShifted(out, x) || overlapsShifted(out, y))) out = undefined;
      r = out === undefined ? f[s.op]!(x, y) : f[s.op]!(x, y, out);
    }
    if (out !== undefined) expect(r).toBe(out);
    else {
      pool.push(r);
      everything.push(r);
    }
  }
  return everything;
}

/** What fast-check prints for a chain: the code it stands for. */
function describeChain(c: Chain): string {
  const sc = SCENARIOS[c.scenario]!;
  return `${sc.name} ${c.dtype} seeds ${c.seeds.join(",")}: ` + c.ops.map((s) => `${s.op}(a${s.a}${(UNARY as readonly string[]).includes(s.op) ? "" : `, ${JSON.stringify(s.b)}${s.swap ? " swapped" : ""}`})${s.out === null ? "" : ` -> out ${s.out}`}`).join("; ");
}

function placeholdersFor(c: Chain, seed: number): NDArray[] {
  return SCENARIOS[c.scenario]!.ph.map((shape, i) => filled(shape, c.dtype, values(seed * 7 + i, shape.reduce((x, y) => x * y, 1))));
}

/** Traces the chain on values A, replays it on B then C, each compared with the chain run eagerly. */
function replayMatchesEager(c: Chain, fuse: boolean, shiftedWrites = true): Program {
  const consts = constants(c.dtype);
  const ph = placeholdersFor(c, c.seeds[0]);
  const { result, program } = trace(() => runChain(c, ph, consts, shiftedWrites), ph, new Identities(), { fuse });
  // the traced call is the eager one: it returned what the chain computes on A
  expectSame(result, runChain(c, placeholdersFor(c, c.seeds[0]), consts, shiftedWrites), "traced call");
  for (const seed of [c.seeds[1], c.seeds[2]]) {
    const fresh = placeholdersFor(c, seed);
    ph.forEach((p, i) => p.data.set(fresh[i]!.data as never));
    program.run();
    const want = runChain(c, fresh, consts, shiftedWrites);
    expectSame(result, want, `replay (fuse ${fuse}) on seed ${seed}`);
  }
  if (!fuse) expect(program.groups).toEqual([]);
  return program;
}

const withToString = (arb: fc.Arbitrary<Chain>) => arb.map((c) => Object.assign(c, { toString: () => describeChain(c) }));

describe("trace: a replay equals the eager computation", () => {
  it("random elementwise chains, fuse false: every array bitwise equal to eager on new inputs", () => {
    fc.assert(
      fc.property(withToString(chainArb), (c) => {
        replayMatchesEager(c, false);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("random elementwise chains, fuse true: every array bitwise equal to eager on new inputs", () => {
    // Without the cases the fuser must cut or leave alone (the next test has them): writes into a
    // storage that the chain also sees at a shift, and operands of one op with rows of different
    // lengths. Here the loops must form.
    let groups = 0;
    let rowGroups = 0;
    let multi = 0;
    fc.assert(
      fc.property(withToString(chainArb.filter((c) => !SCENARIOS[c.scenario]!.mixedRows)), (c) => {
        const p = replayMatchesEager(c, true, false);
        groups += p.groups.length;
        multi += p.groups.filter((g) => g.kernels.length > 1).length;
        if (SCENARIOS[c.scenario]!.name === "column blocks") rowGroups += p.groups.filter((g) => g.source.includes("for (let i0")).length;
      }),
      { seed: 42, numRuns: 200 },
    );
    // the property saw fused loops: of several kernels, and over rows of column blocks
    expect(groups).toBeGreaterThan(0);
    expect(multi).toBeGreaterThan(0);
    expect(rowGroups).toBeGreaterThan(0);
  });

  // Every chain, shifted writes and mixed row lengths included (three bugs this property found in
  // fuse.ts's first version; their minimal cases follow).
  it("random elementwise chains, fuse true, including writes into shifted views and mixed row lengths", () => {
    fc.assert(
      fc.property(withToString(chainArb), (c) => {
        replayMatchesEager(c, true);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  for (const dtype of ["float64", "float32"] as const) {
    for (const fuse of [true, false]) {
      it(`gate-like chain over column blocks of one [4, 20] matrix, in place (${dtype}, fuse ${fuse})`, () => {
        // an LSTM cell's shape of work: gates are column blocks of one matrix, c and h updated in place
        const build = (x: NDArray, c: NDArray) => {
          const m = nd.add(x, 0.5);
          const i = m.slice([], [0, 5]);
          const f = m.slice([], [5, 10]);
          const g = m.slice([], [10, 15]);
          const o = m.slice([], [15, 20]);
          nd.sigmoid(i, i);
          nd.sigmoid(f, f);
          nd.tanh(g, g);
          nd.sigmoid(o, o);
          const fc_ = nd.mul(f, c);
          const ig = nd.mul(i, g);
          nd.add(fc_, ig, c); // c in place: c is a placeholder
          const h = nd.mul(o, nd.tanh(c));
          nd.add(h, 1, h);
          return [m, c, h, fc_, ig];
        };
        const program = replayAgainstEager(build, [[4, 20], [4, 5]], dtype, fuse, [[1, 2], [3, 13], [4, 14]], (k) => `seed ${k + 2}`);
        if (fuse) {
          expect(program.groups.length).toBeGreaterThan(0);
          // some loop reads or writes the gate blocks as rows of 5 elements 20 apart
          expect(program.groups.some((g) => g.source.includes("i0 * 20"))).toBe(true);
        } else expect(program.groups).toEqual([]);
      });
    }
  }

  it("a transposed operand fuses, read through its own strides, and the replay is right", () => {
    const build = (p: NDArray, q: NDArray) => {
      const t = p.T; // [3, 5] with strides [1, 3]
      const a = nd.exp(q);
      const b = nd.mul(a, t);
      const c = nd.add(b, 2);
      const d = nd.tanh(c);
      return [a, b, c, d];
    };
    for (const fuse of [true, false]) {
      const program = replayAgainstEager(build, [[5, 3], [3, 5]], "float64", fuse, [[5, 6], [7, 8]], () => `fuse ${fuse}`);
      // the loop walks the transposed view with its strides [1, 3]: one chain of all four kernels
      if (fuse) expect(program.groups.map((g) => g.kernels)).toEqual([["exp", "mul", "add", "tanh"]]);
    }
  });
});

describe("trace: aliasing cuts a fused chain", () => {
  // `nd.mul(x, 2, y)` with x = a[0:8] and y = a[2:10]: numpy semantics (as eager) compute the
  // whole product before writing, so y = 2 * (a[0:8] as it was); a loop that wrote y[i] while
  // later reading x[i + 2] would read its own output.
  const build = (a: NDArray, w: NDArray) => {
    const x = a.slice([0, 8]);
    const y = a.slice([2, 10]);
    const u = nd.neg(w); // an op before: the mul may join its group
    nd.mul(x, 2, y);
    const v = nd.add(x, 1); // reads x again, after the write through y
    const z = nd.mul(v, u);
    return [a, u, v, z];
  };
  const shiftedChain = (fuse: boolean) => {
    const a = filled([10], "float64", values(11, 10));
    const w = filled([8], "float64", values(12, 8));
    const { result, program } = trace(() => build(a, w), [a, w], new Identities(), { fuse });
    a.assign(nd.arange(0, 10));
    w.assign(nd.arange(1, 9));
    program.run();
    const want = build(nd.arange(0, 10), nd.arange(1, 9));
    // the reference by hand: a = [0, 1, 0, 2, 4, 6, 8, 10, 12, 14]
    expect(elements(want[0]!)).toEqual([0, 1, 0, 2, 4, 6, 8, 10, 12, 14]);
    expectSame(result, want, `fuse ${fuse}`);
  };
  it("an op writing a shifted view of its own operand, in a chain (fuse false)", () => shiftedChain(false));
  // A case fuse.ts's first version got wrong (fuse.ts, FusedGroup.tryAdd): the fused loop of `nd.mul(x, 2, y)` writes a[c + 2]
  // at iteration c and reads it back as x at iteration c + 2; tryAdd checks an op's arrays
  // against the slots of the ops before it, never its out against its own operands.
  // Replay gives a = [0, 1, 0, 2, 0, 4, 0, 8, 0, 16]; eager gives [0, 1, 0, 2, 4, 6, 8, 10, 12, 14].
  it("an op writing a shifted view of its own operand, in a chain (fuse true)", () => shiftedChain(true));

  const singleShifted = (fuse: boolean) => {
    // the minimal case: one kernel (a single op is a loop of its own since 81d3828)
    const a = nd.arange(0, 10);
    const { program } = trace(() => nd.mul(a.slice([0, 8]), 2, a.slice([2, 10])), [a], new Identities(), { fuse });
    expect(elements(a)).toEqual([0, 1, 0, 2, 4, 6, 8, 10, 12, 14]); // the traced (eager) call
    a.assign(nd.arange(0, 10));
    program.run();
    expect(elements(a)).toEqual([0, 1, 0, 2, 4, 6, 8, 10, 12, 14]);
  };
  it("a single nd.mul(a[0:8], 2, a[2:10]) replays as eager (fuse false)", () => singleShifted(false));
  // A case fuse.ts's first version got wrong (same as above): fused, the replay gives [0, 1, 0, 2, 0, 4, 0, 8, 0, 16].
  it("a single nd.mul(a[0:8], 2, a[2:10]) replays as eager (fuse true)", () => singleShifted(true));

  it("an op reading a shifted view of what an earlier op of the chain wrote is cut from its group", () => {
    // the write and the read are in two ops (the fuser's slots see both): the chain is cut there
    const build = (a: NDArray) => {
      const x = a.slice([0, 8]);
      const y = a.slice([2, 10]);
      const t = nd.mul(x, 3); // fresh
      nd.add(t, 1, t);
      nd.exp(t, x); // writes a[0:8]
      const r = nd.sub(y, t); // reads a[2:10]: shifted from what exp wrote
      const s = nd.square(r);
      return [a, t, r, s];
    };
    for (const fuse of [true, false]) {
      const a = filled([10], "float64", values(21, 10));
      const { result, program } = trace(() => build(a), [a], new Identities(), { fuse });
      const a2 = filled([10], "float64", values(22, 10));
      a.assign(a2);
      program.run();
      expectSame(result, build(filled([10], "float64", values(22, 10))), `fuse ${fuse}`);
      for (const g of program.groups) expect(g.kernels.join(",")).not.toContain("exp,sub");
    }
  });
});

describe("trace: fused groups", () => {
  const build = (x: NDArray, y: NDArray) => {
    const a = nd.mul(x, y);
    const b = nd.add(a, 1);
    const c = nd.tanh(b);
    const d = nd.sub(c, x);
    return [a, b, c, d];
  };
  for (const dtype of ["float64", "float32"] as const) {
    it(`a chain of 4 same-shape ops is one loop (${dtype}); none without fuse`, () => {
      const x = filled([3, 5], dtype, values(31, 15));
      const y = filled([3, 5], dtype, values(32, 15));
      const fused = trace(() => build(x, y), [x, y], new Identities(), { fuse: true });
      expect(fused.program.groups.length).toBe(1);
      expect(fused.program.groups[0]!.kernels).toEqual(["mul", "add", "tanh", "sub"]);
      expect(fused.program.groups[0]!.size).toBe(15);
      expect(fused.program.groups[0]!.source).toContain("for (let c = 0; c < 15; c++)");
      const plain = trace(() => build(x, y), [x, y], new Identities(), { fuse: false });
      expect(plain.program.groups).toEqual([]);
      // both replay to the eager values
      const x2 = filled([3, 5], dtype, values(33, 15));
      const y2 = filled([3, 5], dtype, values(34, 15));
      x.assign(x2);
      y.assign(y2);
      fused.program.run();
      plain.program.run();
      const want = build(x2, y2);
      expectSame(fused.result, want, "fused");
      expectSame(plain.result, want, "unfused");
    });
  }

  it("a kernel that is not elementwise ends a group; arrays of another size start a new one", () => {
    const x = filled([3, 5], "float64", values(41, 15));
    const build = () => {
      const a = nd.exp(x);
      const b = nd.mul(a, 2);
      const s = nd.sum(b, 1); // [3]
      const c = nd.neg(s);
      const d = nd.abs(c);
      return [a, b, s, c, d];
    };
    const { result, program } = trace(build, [x], new Identities(), { fuse: true });
    expect(program.groups.map((g) => [g.kernels, g.size])).toEqual([
      [["exp", "mul"], 15],
      [["neg", "abs"], 3],
    ]);
    const x2 = filled([3, 5], "float64", values(42, 15));
    x.assign(x2);
    program.run();
    const want = build(); // eager, on the new values
    expectSame(result, want, "replay");
  });
});

describe("trace: a write into an array the group already reads", () => {
  // u = x + y reads a[0:8] and a[2:10]; then y *= 2 in place writes a[2:10]. Eager, u is
  // computed from the old values.
  const readThenWrite = (fuse: boolean) => {
    const a = nd.arange(0, 10);
    const build = (a: NDArray) => {
      const x = a.slice([0, 8]);
      const y = a.slice([2, 10]);
      const u = nd.add(x, y);
      nd.mul(y, 2, y);
      return [a, u];
    };
    const { result, program } = trace(() => build(a), [a], new Identities(), { fuse });
    a.assign(nd.arange(0, 10));
    program.run();
    const want = build(nd.arange(0, 10));
    // by hand: u = [2, 4, 6, ..., 16], a = [0, 1, 4, 6, 8, ..., 18]
    expect(elements(want[1]!)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(elements(want[0]!)).toEqual([0, 1, 4, 6, 8, 10, 12, 14, 16, 18]);
    expectSame(result, want, `fuse ${fuse}`);
  };
  it("u = x + y, then y *= 2 over shifted views of one storage (fuse false)", () => readThenWrite(false));
  // A case fuse.ts's first version got wrong (fuse.ts, FusedGroup.tryAdd): the out y already has a slot (the add read it), so
  // tryAdd takes the `slotOf(a) >= 0` branch and never checks the write against the slot of x
  // (a[0:8]) that shares the storage at a shift. The fused loop writes a[c + 2] at iteration c
  // and reads it back as x[c + 2] two iterations later: replay gives u = [2, 4, 8, 11, 14, 17, 20, 23]
  // (a is right), eager u = [2, 4, 6, 8, 10, 12, 14, 16].
  it("u = x + y, then y *= 2 over shifted views of one storage (fuse true)", () => readThenWrite(true));
});

describe("trace: operands with rows of different lengths", () => {
  // x = p[:, 0:2] of a [2, 4, 5]: shape [2, 2, 5], strides [20, 5, 1], rows of 10 elements;
  // y = q[..., 0:5] of a [2, 2, 10]: shape [2, 2, 5], strides [20, 10, 1], rows of 5.
  const mixed = (fuse: boolean) => {
    const build = (p: NDArray, q: NDArray) => [nd.add(p.slice([], [0, 2]), q.slice([], [], [0, 5]))];
    replayAgainstEager(build, [[2, 4, 5], [2, 2, 10]], "float64", fuse, [[51, 52], [53, 54]], () => `fuse ${fuse}`);
  };
  it("nd.add of the two replays as eager (fuse false)", () => mixed(false));
  // A case fuse.ts's first version got wrong (trace.ts Program.fused / fuse.ts FusedGroup.tryAdd, since 81d3828): the op's row
  // lengths (10 and 5) disagree, tryAdd on a fresh group returns false, and trace() throws
  // "TraceError: trace: add does not fit a loop of its own" instead of leaving the op unfused.
  it("nd.add of the two replays as eager (fuse true)", () => mixed(true));
});

describe("trace: copies, concat and stack", () => {
  // since 81d3828 these are fused loops too (a copy per part, into the block of the result)
  const build = (m: NDArray, v: NDArray) => {
    const a = m.slice([], [0, 5]);
    const b = m.slice([], [5, 10]);
    const s = nd.sigmoid(a);
    const c = nd.copy(b);
    const cat = nd.concat([s, c, v], 1); // [4, 15]
    const st = nd.stack([s, v], 0); // [2, 4, 5]
    const t = nd.tanh(cat);
    const st2 = nd.stack([a, b], 2); // [4, 5, 2], parts strided
    return [s, c, cat, st, t, st2];
  };
  for (const dtype of ["float64", "float32"] as const) {
    for (const fuse of [true, false]) {
      it(`replays as eager (${dtype}, fuse ${fuse})`, () => {
        const program = replayAgainstEager(build, [[4, 20], [4, 5]], dtype, fuse, [[61, 62], [63, 163], [64, 164]], (k) => `seed ${k + 62}`);
        if (!fuse) expect(program.groups).toEqual([]);
      });
    }
  }
});

describe("kernel(name, fn)", () => {
  // a user's loop over .data: out[i] = 2 * x[i] + 1
  const twiceAddOne = (x: NDArray): NDArray => {
    const out = nd.zerosLike(x);
    const src = elements(x);
    for (let i = 0; i < out.size; i++) out.data[i] = 2 * src[i]! + 1;
    return out;
  };

  it("a wrapped function over .data is recorded and replayed", () => {
    const k = nd.kernel("twiceAddOne", twiceAddOne);
    const x = filled([6], "float64", [1, 2, 3, 4, 5, 6]);
    const { result, program } = trace(() => nd.exp(nd.neg(k(x))), [x], new Identities());
    expect(program.steps.map((s) => s.name)).toEqual(["twiceAddOne", "neg", "exp"]);
    x.assign(nd.array([0, -1, 10, 0.5, -0.5, 3]));
    program.run();
    const want = [0, -1, 10, 0.5, -0.5, 3].map((v) => Math.exp(-(2 * v + 1)));
    // the reference by hand, and by the eager ops
    const eager = nd.exp(nd.neg(twiceAddOne(nd.array([0, -1, 10, 0.5, -0.5, 3]))));
    expect(firstDifference(result, eager)).toBeNull();
    expect(nd.maxAbsDiff(result, nd.array(want))).toBeLessThan(1e-15);
  });

  it("a kernel returning a list of one array replays into the traced result", () => {
    // as nn's interpolation plans do: a list whose length depends on the call, here one
    const k = nd.kernel("twiceAddOneList", (x: NDArray): NDArray[] => [twiceAddOne(x)]);
    const x = filled([4], "float64", [1, 2, 3, 4]);
    const { result, program } = trace(() => nd.neg(k(x)[0]!), [x], new Identities());
    x.assign(nd.array([0, -1, 10, 0.5]));
    program.run();
    expect(elements(result)).toEqual([0, -1, 10, 0.5].map((v) => -(2 * v + 1)));
  });

  it("the same function unwrapped, read by a kernel, makes the trace throw a TraceError", () => {
    const x = filled([6], "float64", [1, 2, 3, 4, 5, 6]);
    let err: unknown;
    try {
      trace(() => nd.exp(twiceAddOne(x)), [x], new Identities());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(nd.TraceError);
    expect((err as Error).message).toContain("not a kernel");
    expect((err as Error).message).toContain("exp's argument 1");
    // the trace was dropped: another one can record
    expect(nd.isTracing()).toBe(false);
    const again = trace(() => nd.exp(x), [x], new Identities());
    expect(again.program.steps.length).toBe(1);
  });
});

describe("traceDifference", () => {
  const traced = (c: number, ids: Identities) => {
    const x = filled([4], "float64", [1, 2, 3, 4]);
    return trace(() => nd.mul(x, c), [x], ids).program;
  };

  it("a constant baked in differently: the message names the kernel and argument 2", () => {
    const ids = new Identities();
    const d = traceDifference(traced(2, ids), traced(3, ids));
    expect(d).not.toBeNull();
    expect(d).toContain("mul");
    expect(d).toContain("argument 2");
    expect(d).toContain("2");
    expect(d).toContain("3");
  });

  it("the same constant: the same program (null)", () => {
    const ids = new Identities();
    expect(traceDifference(traced(2, ids), traced(2, ids))).toBeNull();
  });
});

describe("RandomState draws are kernels", () => {
  it("each replay draws again, continuing the stream", () => {
    const rng = new nd.RandomState(5);
    const { result, program } = trace(() => rng.rand(3), [], new Identities());
    const ref = new nd.RandomState(5);
    const first = ref.rand(3);
    expect(firstDifference(result, first)).toBeNull();
    program.run();
    expect(firstDifference(result, ref.rand(3))).toBeNull();
    program.run();
    expect(firstDifference(result, ref.rand(3))).toBeNull();
    // and the draws differ from one another (a stream, not a constant)
    expect(elements(result)).not.toEqual(elements(first));
  });
});
