// Matrix products on worker threads (wasm/threads.ts): the same bits as on one thread, on
// random shapes and layouts and in both float dtypes, close to the plain TypeScript kernel;
// the thread setting; and the faults (a worker that fails to start, exits mid-part, or hangs),
// each of which must leave the results right, warn once, and not hang. Node only (child
// processes, worker_threads); in-browser.browser.test.ts runs a product on Blob-URL workers.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as T from "../src/index.js";
import { gemmTs } from "../src/matmul.js";
import { gemmKernel, setThreadMin, wasmGemm } from "../src/wasm/gemm.js";
import { injectStartFault, injectWorkerFault, resetThreads, setWorkerTimeout, threadsInfo } from "../src/wasm/threads.js";

const rs = new T.RandomState(7);

async function until(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Threads on (2), from small products up, with a worker ready. */
async function twoThreads(): Promise<void> {
  T.setNumThreads(2);
  const k = gemmKernel()!;
  expect(k.module).toBeDefined(); // the shared-memory build
  // a product large enough to start the pool
  wasmGemm(k, 64, 64, 64, new Float64Array(4096), 0, 64, 1, new Float64Array(4096), 0, 64, 1, new Float64Array(4096), 0, 64, 1);
  await until(() => threadsInfo().workersReady >= 1);
}

type Case = { M: number; N: number; K: number; dtype: "float64" | "float32"; ta: boolean; tb: boolean; step: number };

function operand(rows: number, cols: number, dtype: Case["dtype"], transposed: boolean, step: number): T.NDArray {
  // a transposed view, or every `step`-th column of a wider array, or plain
  const base = transposed ? rs.randn(cols, rows).astype(dtype).transpose() : rs.randn(rows, cols * step).astype(dtype);
  return transposed || step === 1 ? base : base.slice(null, [0, cols * step, step]);
}

function product(x: T.NDArray, y: T.NDArray, M: number, N: number, K: number, fn: typeof wasmGemm | "ts"): Float64Array | Float32Array {
  const c = x.dtype === "float32" ? new Float32Array(M * N) : new Float64Array(M * N);
  const args = [M, N, K, x.data, x.offset, x.strides[0]!, x.strides[1]!, y.data, y.offset, y.strides[0]!, y.strides[1]!, c, 0, N, 1] as const;
  if (fn === "ts") gemmTs(...args);
  else expect(fn(gemmKernel()!, ...args)).toBe(true);
  return c;
}

const bits = (a: Float64Array | Float32Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

// Node reaches worker_threads synchronously through process.getBuiltinModule (20.16 and later);
// an older Node runs every product on one thread, and these tests say so by skipping.
const threadsHere = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === "function";

describe.skipIf(!threadsHere)("matmul on worker threads", () => {
  let prevMin: number;
  beforeEach(() => {
    prevMin = setThreadMin(1);
  });
  afterEach(() => {
    setThreadMin(prevMin);
    setWorkerTimeout(2000);
    injectStartFault(null);
    vi.restoreAllMocks();
    resetThreads();
  });
  afterAll(() => T.setNumThreads(1));

  it("gives the bits of one thread, on random shapes and layouts, and agrees with the TypeScript kernel", async () => {
    const cases: Case[] = [];
    for (let i = 0; i < 24; i++) {
      cases.push({
        M: 1 + Math.floor(rs.randomSample() * 300), N: 1 + Math.floor(rs.randomSample() * 300), K: 1 + Math.floor(rs.randomSample() * 600),
        dtype: i % 2 === 0 ? "float64" : "float32", ta: rs.randomSample() < 0.3, tb: rs.randomSample() < 0.3, step: rs.randomSample() < 0.2 ? 2 : 1,
      });
    }
    // and the shapes of an LSTM step (batch 64, 2048 gate rows), whose split is by C^T's rows
    cases.push({ M: 64, N: 2048, K: 300, dtype: "float64", ta: false, tb: false, step: 1 }, { M: 2048, N: 64, K: 300, dtype: "float32", ta: true, tb: false, step: 1 });
    // and B in more than one column chunk (K * N over 2^22 elements), split by columns and by rows
    cases.push({ M: 40, N: 1030, K: 4100, dtype: "float64", ta: false, tb: false, step: 1 }, { M: 40, N: 1030, K: 4100, dtype: "float64", ta: false, tb: true, step: 1 });
    cases.push({ M: 520, N: 520, K: 8200, dtype: "float32", ta: false, tb: false, step: 1 });
    const ops = cases.map((c) => ({ c, x: operand(c.M, c.K, c.dtype, c.ta, c.step), y: operand(c.K, c.N, c.dtype, c.tb, c.step) }));
    T.setNumThreads(1);
    expect(gemmKernel()!.module).toBeUndefined();
    const one = ops.map(({ c, x, y }) => product(x, y, c.M, c.N, c.K, wasmGemm));
    await twoThreads();
    let split = 0;
    for (const [i, { c, x, y }] of ops.entries()) {
      const before = threadsInfo().workerParts;
      const two = product(x, y, c.M, c.N, c.K, wasmGemm);
      if (threadsInfo().workerParts > before) split++;
      expect(bits(two), `case ${JSON.stringify(c)}`).toEqual(bits(one[i]!));
      if (c.M * c.N * c.K > 1e9) continue; // one thread's bits; the TypeScript kernel would take seconds
      const ref = product(x, y, c.M, c.N, c.K, "ts");
      const tol = c.dtype === "float32" ? 2e-4 : 1e-11;
      let worst = 0;
      for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(two[j]! - ref[j]!) / (Math.sqrt(c.K) + Math.abs(ref[j]!)));
      expect(worst, `case ${JSON.stringify(c)}`).toBeLessThan(tol);
    }
    // cases whose part a worker ran (on a quiet machine most; a loaded one takes parts back)
    expect(split).toBeGreaterThan(0);
    expect(threadsInfo()).toMatchObject({ threads: 2, off: null });
  });

  it("matmul, through the public API, gives the same bits on 1 and 2 threads", async () => {
    // products of a few ms each, so that the worker wakes in time to claim its part
    const x = rs.randn(3, 400, 300), y = rs.randn(300, 200);
    T.setNumThreads(1);
    const one = T.matmul(x, y);
    await twoThreads();
    // a worker slow to wake (the whole suite runs at once) may see its part taken back: then
    // the next product; every one gives the bits of one thread
    const before = threadsInfo().workerParts;
    for (let i = 0; i < 20 && threadsInfo().workerParts === before; i++) {
      expect(bits(T.matmul(x, y).data as Float64Array)).toEqual(bits(one.data as Float64Array));
    }
    expect(threadsInfo().workerParts).toBeGreaterThan(before);
  });

  it("validates the setting", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 65, "2" as unknown as number]) {
      expect(() => T.setNumThreads(bad)).toThrow(T.ValueError);
      expect(() => T.setNumThreads(bad)).toThrow(/setNumThreads: expected an integer from 1 to 64, got/);
    }
    T.setNumThreads(3);
    expect(T.getNumThreads()).toBe(3);
    T.setNumThreads(1);
    expect(T.getNumThreads()).toBe(1);
    expect(threadsInfo().off).toBe("set to 1");
  });

  it("reads TAPEGRAD_NUM_THREADS, and warns about a bad one", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const script = `import { getNumThreads } from "./packages/tensor/src/index.ts"; console.log(JSON.stringify(getNumThreads()));`;
    const run = (v: string) => {
      const r = spawnSync(process.execPath, ["--import", "tsx", "--conditions=source", "--input-type=module", "-e", script], {
        cwd: root, encoding: "utf8", env: { ...process.env, TAPEGRAD_NUM_THREADS: v },
      });
      return { n: Number(r.stdout.trim()), err: r.stderr };
    };
    expect(run("3")).toEqual({ n: 3, err: "" });
    expect(run("1")).toEqual({ n: 1, err: "" });
    const bad = run("two");
    expect(bad.n).toBeGreaterThanOrEqual(1); // the default
    expect(bad.err).toMatch(/TAPEGRAD_NUM_THREADS="two" is not an integer from 1 to 64; ignored/);
  });

  for (const [name, fault] of [["exits", 1], ["hangs", 2]] as const) {
    it(`recomputes on one thread, with one warning, when a worker ${name} mid-part`, async () => {
      const x = rs.randn(300, 200), y = rs.randn(200, 100);
      T.setNumThreads(1);
      const one = product(x, y, 300, 100, 200, wasmGemm);
      await twoThreads();
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      setWorkerTimeout(200);
      injectWorkerFault(0, fault);
      // the fault strikes when the worker claims a part (a worker slow to wake may see its
      // part taken back first, on a loaded machine: then the next product)
      for (let i = 0; i < 20 && threadsInfo().off === null; i++) {
        const t0 = Date.now();
        const two = product(x, y, 300, 100, 200, wasmGemm);
        expect(Date.now() - t0).toBeLessThan(5000);
        expect(bits(two)).toEqual(bits(one));
      }
      expect(threadsInfo().off).toMatch(/did not finish its part within \d+ ms/);
      // threads stay off: later products run on one thread (a kernel of its own memory), still right
      expect(gemmKernel()!.module).toBeUndefined();
      expect(bits(product(x, y, 300, 100, 200, wasmGemm))).toEqual(bits(one));
      await new Promise((r) => setTimeout(r, 100)); // the worker's exit event, if any, is not a second warning
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/worker threads are off .*run on one thread, with the same results/);
    });
  }

  it("runs on one thread, with one warning, when workers fail to start", async () => {
    const x = rs.randn(200, 150), y = rs.randn(150, 120);
    T.setNumThreads(1);
    const one = product(x, y, 200, 120, 150, wasmGemm);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    injectStartFault(`throw new Error("injected start failure");`);
    T.setNumThreads(2);
    // before the failure is known, products run here alone; after, on the one-thread kernel
    expect(bits(product(x, y, 200, 120, 150, wasmGemm))).toEqual(bits(one));
    await until(() => threadsInfo().off !== null);
    expect(threadsInfo().off).toMatch(/injected start failure/);
    expect(bits(product(x, y, 200, 120, 150, wasmGemm))).toEqual(bits(one));
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
