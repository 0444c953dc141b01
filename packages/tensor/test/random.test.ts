// RandomState against numpy's legacy RandomState: every number in data/random-*.json was drawn
// by numpy (see data/make-random-data.py for the command and version), and each test makes the
// same calls here and compares bit for bit.
//
// One documented exception: numpy's Gaussians go through glibc's log(), which is not correctly
// rounded for about 0.07% of inputs; tapegrad's log is. Where that changes a Gaussian, the data
// carries the value a correctly rounded log gives (`cr`: [flat index, value]), computed by the
// same script, and the test expects that value there and numpy's everywhere else.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReadOnlyError, ShapeError, ValueError } from "../src/errors.js";
import { NDArray } from "../src/index.js";
import { RandomState, type NumpyStateTuple, type RandomStateSnapshot } from "../src/random.js";
import { logCorrectlyRounded } from "../src/log.js";

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./data/${name}`, import.meta.url), "utf8")) as T;
}

interface Call {
  op: string;
  shape?: number[];
  size?: number[] | null;
  loc?: number;
  scale?: number;
  low?: number;
  high?: number | null;
  n?: number;
  replace?: boolean;
  p?: number[] | null;
  name?: string;
  outShape: number[];
  values: number[];
  cr?: [number, number][];
}

interface Final {
  key: number[];
  pos: number;
  hasGauss: boolean;
  gauss: number;
  numpyGauss: number;
}

interface Streams {
  meta: Record<string, string>;
  cases: { seed: number; calls: Call[]; final: Final; note?: string }[];
  seeding: { seed: number | number[]; key: number[]; pos: number }[];
  resume: { state: NumpyStateTuple; calls: Call[]; final: Final };
}

interface Notebook {
  seed: number;
  draws: Call[];
  reseeded: { redraw: string[]; then: Call };
  final: Final;
}

const streams = load<Streams>("random-streams.json");
const notebook = load<Notebook>("random-notebook.json");
const logData = load<{ cases: [number, number, number][] }>("random-log.json");

/** numpy's values with the correctly-rounded-log overrides applied. */
function expected(call: Call): number[] {
  const want = call.values.slice();
  for (const [i, v] of call.cr ?? []) want[i] = v;
  return want;
}

/** Exact (Object.is) comparison that reports the first few differing indices. */
function expectExact(got: ArrayLike<number>, want: readonly number[], label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const bad: [number, number, number][] = [];
  for (let i = 0; i < want.length && bad.length < 5; i++) {
    if (!Object.is(got[i], want[i])) bad.push([i, got[i]!, want[i]!]);
  }
  expect(bad, `${label}: [index, got, numpy]`).toEqual([]);
}

function arange(shape: readonly number[]): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new NDArray(data, shape);
}

function flatOf(a: NDArray): number[] {
  const out: number[] = [];
  const rec = (dim: number, p: number): void => {
    if (dim === a.ndim) {
      out.push(a.data[p]!);
      return;
    }
    for (let i = 0; i < a.shape[dim]!; i++) rec(dim + 1, p + i * a.strides[dim]!);
  };
  rec(0, a.offset);
  return out;
}

const FLOAT_OPS = new Set(["randn", "standardNormal", "normal", "rand", "uniform"]);

/** Makes one recorded call on `rs`; returns the result's shape, dtype and values in C order. */
function replay(rs: RandomState, call: Call): { shape: readonly number[]; dtype: string; values: ArrayLike<number> } {
  const size = call.size ?? undefined;
  let out: NDArray;
  switch (call.op) {
    case "randn":
      out = rs.randn(...call.shape!);
      break;
    case "rand":
      out = rs.rand(...call.shape!);
      break;
    case "standardNormal":
      out = rs.standardNormal(size);
      break;
    case "normal":
      out = rs.normal(call.loc, call.scale, size);
      break;
    case "uniform":
      out = rs.uniform(call.low, call.high ?? undefined, size);
      break;
    case "randomSample":
      return { shape: [], dtype: "number", values: [rs.randomSample()] };
    case "randint":
      out = rs.randint(call.low!, call.high ?? undefined, size);
      break;
    case "choice":
      out = rs.choice(call.n!, { size, replace: call.replace!, p: call.p ?? undefined });
      break;
    case "permutation":
      out = rs.permutation(call.n!);
      break;
    case "permutationArray": {
      const x = arange(call.shape!);
      out = rs.permutation(x);
      expect(flatOf(x), "permutation leaves its input alone").toEqual(flatOf(arange(call.shape!)));
      break;
    }
    case "shuffle":
      out = arange(call.shape!);
      rs.shuffle(out);
      break;
    case "shuffleList": {
      const list = Array.from({ length: call.n! }, (_, i) => i);
      rs.shuffle(list);
      return { shape: [list.length], dtype: "list", values: list };
    }
    default:
      throw new Error(`unknown op ${call.op}`);
  }
  return { shape: out.shape, dtype: out.dtype, values: flatOf(out) };
}

function expectState(rs: RandomState, final: Final, label: string): void {
  const st = rs.getState();
  expect(st.pos, `${label}: pos`).toBe(final.pos);
  expect(st.hasGauss, `${label}: hasGauss`).toBe(final.hasGauss);
  expect(Object.is(st.gauss, final.gauss), `${label}: gauss ${st.gauss} vs ${final.gauss}`).toBe(true);
  expectExact(st.key, final.key, `${label}: key`);
}

function describeCall(c: Call): string {
  const { values: _v, outShape: _o, cr: _c, ...args } = c;
  return JSON.stringify(args);
}

describe("RandomState draws numpy's legacy streams", () => {
  it(`records its numpy version (${streams.meta.numpy})`, () => {
    expect(streams.meta.numpy).toMatch(/^\d+\.\d+/);
  });

  for (const c of streams.cases) {
    it(`seed ${c.seed}${c.note ? ` (${c.note})` : ""}: ${c.calls.length} calls in sequence, then the same state`, () => {
      const rs = new RandomState(c.seed);
      for (const [k, call] of c.calls.entries()) {
        const label = `seed ${c.seed}, call ${k} ${describeCall(call)}`;
        const got = replay(rs, call);
        expect([...got.shape], `${label}: shape`).toEqual(call.outShape);
        if (FLOAT_OPS.has(call.op)) expect(got.dtype, label).toBe("float64");
        if (["randint", "choice", "permutation"].includes(call.op)) expect(got.dtype, label).toBe("int32");
        expectExact(got.values, expected(call), label);
      }
      expectState(rs, c.final, `seed ${c.seed}`);
    });
  }

  it("the glibc-miss case does differ from numpy, by at most 4 ulp, only at the recorded draws", () => {
    const c = streams.cases.find((x) => x.note === "glibc log miss")!;
    const overrides = c.calls.flatMap((x) => x.cr ?? []);
    expect(overrides.length).toBeGreaterThan(0);
    const values = c.calls[0]!.values;
    for (const [i, v] of c.calls[0]!.cr!) {
      expect(v).not.toBe(values[i]);
      expect(Math.abs(v - values[i]!)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(values[i]!));
    }
  });
});

describe("seeding", () => {
  for (const s of streams.seeding) {
    it(`seed ${JSON.stringify(s.seed)} gives numpy's 624 words`, () => {
      const st = new RandomState(s.seed).getState();
      expect(st.pos).toBe(s.pos);
      expect(st.hasGauss).toBe(false);
      expectExact(st.key, s.key, `seed ${JSON.stringify(s.seed)}`);
    });
  }

  it("a one-word list seeds through init_by_array, unlike the same int (as numpy's lists do)", () => {
    expect(new RandomState([5]).getState().key).not.toEqual(new RandomState(5).getState().key);
    expect(new RandomState(new Uint32Array([1, 2, 3])).getState()).toEqual(new RandomState([1, 2, 3]).getState());
  });

  it("seed() reseeds in place and clears the cached Gaussian", () => {
    const rs = new RandomState(3);
    rs.randn(3);
    expect(rs.getState().hasGauss).toBe(true);
    rs.seed(7);
    expect(rs.getState()).toEqual(new RandomState(7).getState());
  });

  it("without a seed, draws from fresh entropy: two generators differ", () => {
    const a = new RandomState().rand(8);
    const b = new RandomState().rand(8);
    expect(flatOf(a)).not.toEqual(flatOf(b));
    for (const v of flatOf(a)) expect(v >= 0 && v < 1).toBe(true);
  });
});

describe("the course notebook's draws after np.random.seed(1)", () => {
  it("x, a0, Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by in order", () => {
    const rs = new RandomState(notebook.seed);
    for (const call of notebook.draws) {
      const got = rs.randn(...call.shape!);
      expect([...got.shape]).toEqual(call.shape);
      expectExact(got.data, expected(call), call.name!);
    }
  });

  it("after re-seeding and redrawing up to bc, da = randn(5, 10, 4)", () => {
    const rs = new RandomState(12345);
    rs.seed(notebook.seed);
    for (const name of notebook.reseeded.redraw) {
      const call = notebook.draws.find((d) => d.name === name)!;
      expectExact(rs.randn(...call.shape!).data, expected(call), `redraw ${name}`);
    }
    const da = notebook.reseeded.then;
    const got = rs.randn(5, 10, 4);
    expect([...got.shape]).toEqual([5, 10, 4]);
    expectExact(got.data, expected(da), "da");
    expectState(rs, notebook.final, "after da");
  });
});

describe("getState / setState", () => {
  it("resumes numpy's own state tuple (taken mid-stream, with a cached Gaussian)", () => {
    const { state, calls, final } = streams.resume;
    const rs = new RandomState(0);
    rs.setState(state);
    const st = rs.getState();
    expect(st.hasGauss).toBe(true);
    expect(st.gauss).toBe(state[4]);
    for (const call of calls) expectExact(replay(rs, call).values, expected(call), `resume ${describeCall(call)}`);
    expectState(rs, final, "resume");
  });

  it("a snapshot survives JSON and resumes the identical stream (across block boundaries)", () => {
    const rs = new RandomState(2024);
    rs.randn(5); // odd: a Gaussian is cached
    const snap = JSON.parse(JSON.stringify(rs.getState())) as RandomStateSnapshot;
    expect(snap.hasGauss).toBe(true);
    expect(snap.key).toHaveLength(624);
    const first = [flatOf(rs.randn(700)), flatOf(rs.rand(300)), flatOf(rs.randint(0, 17, [50]))];
    const other = new RandomState(1);
    other.setState(snap);
    const again = [flatOf(other.randn(700)), flatOf(other.rand(300)), flatOf(other.randint(0, 17, [50]))];
    expect(again).toEqual(first);
    expect(other.getState()).toEqual(rs.getState());
  });

  it("property: any seed, any split of draws, a snapshot resumes exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.nat(1500), fc.nat(1500), (seed, before, after) => {
        const rs = new RandomState(seed);
        rs.randn(before);
        const snap = rs.getState();
        const a = flatOf(rs.randn(after));
        const b = new RandomState(0);
        b.setState(snap);
        expect(flatOf(b.randn(after))).toEqual(a);
      }),
      { numRuns: 40 },
    );
  });

  it("the snapshot is a copy: drawing more does not change an old snapshot", () => {
    const rs = new RandomState(5);
    const snap = rs.getState();
    const copy = JSON.stringify(snap);
    rs.rand(2000);
    expect(JSON.stringify(snap)).toBe(copy);
  });
});

describe("shapes, dtypes and options", () => {
  it("randn(2, 3) and randn([2, 3]) draw alike; randn() is 0-d", () => {
    expect(flatOf(new RandomState(9).randn(2, 3))).toEqual(flatOf(new RandomState(9).randn([2, 3])));
    const z = new RandomState(9).randn();
    expect(z.shape).toEqual([]);
    expect(z.item()).toBe(new RandomState(9).randn(1).data[0]);
  });

  it("empty shapes draw nothing", () => {
    const rs = new RandomState(11);
    const before = rs.getState();
    expect(rs.randn(0, 3).shape).toEqual([0, 3]);
    expect(rs.rand([4, 0]).size).toBe(0);
    expect(rs.randint(0, 5, [0]).size).toBe(0);
    expect(rs.getState()).toEqual(before);
  });

  it("{ dtype: 'float32' } rounds the same float64 draws", () => {
    const a = new RandomState(4).randn([3, 5], { dtype: "float32" });
    const b = new RandomState(4).randn(3, 5);
    expect(a.dtype).toBe("float32");
    expect(flatOf(a)).toEqual(flatOf(b).map(Math.fround));
    const u = new RandomState(4).uniform(-1, 1, [6], { dtype: "float32" });
    expect(flatOf(u)).toEqual(flatOf(new RandomState(4).uniform(-1, 1, [6])).map(Math.fround));
  });

  it("randint and choice return int32; a one-value range is constant", () => {
    const rs = new RandomState(8);
    expect(rs.randint(3, 4, [5]).toArray()).toEqual([3, 3, 3, 3, 3]);
    expect(rs.randint(-10, 10, 4).dtype).toBe("int32");
    expect(rs.choice(4, { size: 3 }).dtype).toBe("int32");
  });

  it("shuffle on a strided view permutes its rows as on a contiguous copy", () => {
    const base = arange([4, 6]);
    const view = base.transpose(); // (6, 4), strides (1, 6)
    const copy = new NDArray(Float64Array.from(flatOf(view)), [6, 4]);
    new RandomState(77).shuffle(view);
    new RandomState(77).shuffle(copy);
    expect(flatOf(view)).toEqual(flatOf(copy));
    expect(flatOf(copy).slice().sort((a, b) => a - b)).toEqual(flatOf(arange([24])));
  });

  it("shuffle of typed arrays draws as for plain arrays", () => {
    const t = Int32Array.from({ length: 9 }, (_, i) => i);
    const l = Array.from({ length: 9 }, (_, i) => i);
    new RandomState(31).shuffle(t);
    new RandomState(31).shuffle(l);
    expect(Array.from(t)).toEqual(l);
  });

  it("property: permutation(n) is a permutation of 0..n-1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.nat(300), (seed, n) => {
        const p = flatOf(new RandomState(seed).permutation(n)).sort((a, b) => a - b);
        expect(p).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 50 },
    );
  });

  it("property: randint stays in [low, high)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 2 ** 32 }),
        (seed, low, span) => {
          const high = Math.min(low + span, 2 ** 31);
          for (const v of flatOf(new RandomState(seed).randint(low, high, [20]))) {
            expect(v >= low && v < high).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("the correctly rounded log", () => {
  it("matches 60-digit decimal logs, including where glibc's log misses", () => {
    let glibcMisses = 0;
    for (const [x, cr, glibc] of logData.cases) {
      expect(logCorrectlyRounded(x), `log(${x})`).toBe(cr);
      if (cr !== glibc) glibcMisses++;
    }
    expect(glibcMisses).toBeGreaterThan(0);
  });

  it("handles the special values", () => {
    expect(logCorrectlyRounded(0)).toBe(-Infinity);
    expect(logCorrectlyRounded(Infinity)).toBe(Infinity);
    expect(logCorrectlyRounded(-1)).toBeNaN();
    expect(logCorrectlyRounded(NaN)).toBeNaN();
    expect(Object.is(logCorrectlyRounded(1), 0)).toBe(true);
  });
});

describe("bad input", () => {
  const throwsNaming = (f: () => unknown, type: new (...a: never[]) => Error, ...parts: string[]) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(type);
    for (const p of parts) expect((err as Error).message).toContain(p);
  };

  it("seeds outside 0..2**32-1, non-integers, empty arrays", () => {
    throwsNaming(() => new RandomState(-1), ValueError, "RandomState", "-1");
    throwsNaming(() => new RandomState(1.5), ValueError, "1.5");
    throwsNaming(() => new RandomState(2 ** 32), ValueError, "4294967296");
    throwsNaming(() => new RandomState(NaN), ValueError, "NaN");
    throwsNaming(() => new RandomState("7" as unknown as number), ValueError, '"7"');
    throwsNaming(() => new RandomState([]), ValueError, "[]");
    throwsNaming(() => new RandomState([1, -2]), ValueError, "-2");
    throwsNaming(() => new RandomState(0).seed(2 ** 40), ValueError, String(2 ** 40));
  });

  it("shapes with negative or fractional dims name the op and the shape", () => {
    const rs = new RandomState(0);
    throwsNaming(() => rs.randn(2, -1), ValueError, "randn", "[2,-1]");
    throwsNaming(() => rs.rand([2, 0.5]), ValueError, "rand", "[2,0.5]");
    throwsNaming(() => rs.uniform(0, 1, [-3]), ValueError, "uniform", "[-3]");
    throwsNaming(() => rs.randint(0, 3, [1, NaN]), ValueError, "randint", "NaN");
  });

  it("distribution parameters", () => {
    const rs = new RandomState(0);
    throwsNaming(() => rs.normal(0, -1, [2]), ValueError, "normal", "-1");
    throwsNaming(() => rs.normal(NaN, 1), ValueError, "normal", "NaN");
    throwsNaming(() => rs.uniform(0, Infinity), ValueError, "uniform", "Infinity");
    throwsNaming(() => rs.randint(5, 5), ValueError, "randint", "5");
    throwsNaming(() => rs.randint(1.5), ValueError, "randint", "1.5");
    throwsNaming(() => rs.randint(0, 2 ** 31 + 1), ValueError, "randint", String(2 ** 31 + 1));
    throwsNaming(() => rs.randint(-(2 ** 31) - 1, 0), ValueError, "randint", String(-(2 ** 31) - 1));
    throwsNaming(() => rs.randn([2], { dtype: "int32" as "float32" }), ValueError, "randn", "int32");
  });

  it("choice", () => {
    const rs = new RandomState(0);
    throwsNaming(() => rs.choice(3, { p: [0.5, 0.5] }), ValueError, "choice", "2", "3");
    throwsNaming(() => rs.choice(2, { p: [0.5, 0.4] }), ValueError, "choice", "0.9");
    throwsNaming(() => rs.choice(2, { p: [1.5, -0.5] }), ValueError, "choice", "-0.5");
    throwsNaming(() => rs.choice(2, { p: [NaN, 1] }), ValueError, "choice", "NaN");
    throwsNaming(() => rs.choice(3, { size: 4, replace: false }), ValueError, "choice", "4", "3");
    throwsNaming(() => rs.choice(3, { size: 3, replace: false, p: [0.5, 0.5, 0] }), ValueError, "choice", "2");
    throwsNaming(() => rs.choice(0, { size: 2 }), ValueError, "choice", "0");
    throwsNaming(() => rs.choice(-2), ValueError, "choice", "-2");
    expect(rs.choice(0, { size: 0 }).size).toBe(0);
  });

  it("permutation and shuffle", () => {
    const rs = new RandomState(0);
    throwsNaming(() => rs.permutation(-1), ValueError, "permutation", "-1");
    throwsNaming(() => rs.permutation(2.5), ValueError, "permutation", "2.5");
    throwsNaming(() => rs.shuffle(new NDArray(new Float64Array([1]), [])), ShapeError, "shuffle", "[]");
    const broadcast = new NDArray(new Float64Array([1, 2]), [3, 2], [0, 1], 0, { writable: false });
    throwsNaming(() => rs.shuffle(broadcast), ReadOnlyError, "shuffle");
  });

  it("setState checks every field and names the bad value", () => {
    const rs = new RandomState(0);
    const good = rs.getState();
    throwsNaming(() => rs.setState({ ...good, key: good.key.slice(1) }), ValueError, "setState", "623");
    throwsNaming(() => rs.setState({ ...good, key: [-1, ...good.key.slice(1)] }), ValueError, "setState", "key[0]", "-1");
    throwsNaming(() => rs.setState({ ...good, pos: 625 }), ValueError, "setState", "625");
    throwsNaming(() => rs.setState({ ...good, hasGauss: 1 as unknown as boolean }), ValueError, "setState", "1");
    throwsNaming(() => rs.setState(["PCG64", good.key, 0]), ValueError, "setState", "PCG64");
    // a failed setState leaves the generator as it was
    expect(rs.getState()).toEqual(good);
  });
});
