// Worker threads for the wasm gemm: the setting (how many threads), and a pool of workers that
// share the kernel's memory (a shared WebAssembly.Memory) and run rows of a product
// (gemm-rows.ts) while the calling thread runs its own rows.
//
// Where: Node 20.16 or later (worker_threads, reached synchronously through
// process.getBuiltinModule), and a browser page or worker that is cross-origin isolated
// (SharedArrayBuffer). Elsewhere everything runs on one thread, silently: that is the
// platform, not a fault.
//
// Protocol, per worker, in a shared Int32Array: the caller writes a part's arguments and sets
// STATE from IDLE to POSTED; the worker claims it (POSTED -> CLAIMED), runs it and sets DONE.
// The caller, once its own rows are done, waits for DONE. A part still POSTED then (a worker
// slow to wake, or gone) is taken back (POSTED -> IDLE) and run by the caller, so a missing
// worker costs time, never results. A part CLAIMED and not DONE within a generous time means
// a worker died or hangs mid-part: the pool is shut, the memory it shared is abandoned, and the
// product is recomputed on one thread (gemm.ts). Any failure of a worker (it fails to start,
// throws, exits, or hangs) turns threads off for the rest of the process with one warning;
// results are the same bits either way (see gemm-rows.ts).

import { ValueError } from "../errors.js";
import { runRows, ROWS_ARG_COUNT, type RowsKernel } from "./gemm-rows.js";

// The host's clock and console (this package compiles without DOM or Node typings).
const host = globalThis as unknown as { performance?: { now(): number }; console?: { warn(msg: string): void } };
/** @internal milliseconds, from the host's high-resolution clock where there is one. */
export const now = (): number => (host.performance !== undefined ? host.performance.now() : Date.now());
const warn = (msg: string): void => host.console?.warn(msg);

// One worker's slot in the control array: 32 ints (128 bytes, its own cache lines).
const SLOT = 32;
const STATE = 0, READY = 1, DIE = 2, ARGS = 4;
const IDLE = 0, POSTED = 1, CLAIMED = 2, DONE = 3;
const LAYOUT = { STATE, READY, DIE, ARGS, POSTED, DONE, CLAIMED };
/** The most threads a setting may ask for. */
const MAX_THREADS = 64;

/** What a part of a product runs on: the kernel's row loop, on this thread or a worker. */
export interface SharedKernel extends RowsKernel {
  /** The compiled module and its shared memory, posted to each worker. */
  readonly module: object;
  readonly memoryObject: object;
}

interface WorkerHandle {
  postMessage(m: unknown): void;
  terminate(): void;
}

interface Pool {
  kernel: SharedKernel;
  ctrl: Int32Array;
  workers: WorkerHandle[];
}

let requested: number | null = null;
let pool: Pool | null = null;
/** Why threads are off for good (a worker failed), or null. */
let broken: string | null = null;
let epoch = 0;
/** Parts that workers ran (for tests and benchmarks). */
let workerParts = 0;
let claimTimeoutMs = 2000;
/** Tests: a statement each new worker runs first (one that throws: a worker that fails to start). */
let startFault: string | null = null;

// ------------------------------------------------------------------ the setting

function hardwareThreads(): number {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (m: string) => unknown } };
  const os = g.process?.getBuiltinModule?.("node:os") as { availableParallelism?: () => number } | undefined;
  const n = os?.availableParallelism?.() ?? g.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(8, Math.floor(n)));
}

let envChecked = false;
let envThreads: number | null = null;

function fromEnv(): number | null {
  if (envChecked) return envThreads;
  envChecked = true;
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_NUM_THREADS;
  if (raw === undefined || raw === "") return null;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= MAX_THREADS) envThreads = n;
  else warn(`tapegrad: TAPEGRAD_NUM_THREADS=${JSON.stringify(raw)} is not an integer from 1 to ${MAX_THREADS}; ignored`);
  return envThreads;
}

/**
 * Sets how many threads a large matrix product may use (like `torch.set_num_threads`): 1 turns
 * worker threads off. The default is the environment variable `TAPEGRAD_NUM_THREADS` if set,
 * else the machine's cores (at most 8). Threads run where shared memory is available (Node;
 * a cross-origin-isolated browser page); elsewhere products run on one thread. Results do not
 * depend on the setting: every product gives the same bits on any number of threads.
 *
 * @example
 * ```ts
 * import { setNumThreads, getNumThreads } from "@tapegrad/tensor";
 * setNumThreads(1); // one thread
 * getNumThreads();  // 1
 * ```
 */
export function setNumThreads(n: number): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new ValueError(`setNumThreads: expected an integer from 1 to ${MAX_THREADS}, got ${String(n)}`);
  }
  if (n === requested) return;
  requested = n;
  shutPool();
  epoch++;
}

/** The number of threads products may use: the last `setNumThreads`, else the default (see there). */
export function getNumThreads(): number {
  return requested ?? fromEnv() ?? hardwareThreads();
}

/** @internal changes whenever the kind of kernel wanted (threaded or not) may change. */
export function threadsEpoch(): number {
  return epoch;
}

/** Why products run on one thread (a failure, the setting, the platform), or null when they need not. */
function offReason(): string | null {
  if (broken !== null) return broken;
  if (getNumThreads() === 1) return "set to 1";
  if (!sharedMemoryAvailable()) return "no shared memory (a browser page must be cross-origin isolated)";
  return workerFactory() === null ? "no worker threads here" : null;
}

/** @internal whether products should run on a shared-memory kernel with workers. */
export function threadsWanted(): boolean {
  return offReason() === null;
}

/** @internal what the threads are doing, for benchmarks and tests. */
export function threadsInfo(): { threads: number; workersReady: number; workerParts: number; off: string | null } {
  return { threads: getNumThreads(), workersReady: pool === null ? 0 : readyWorkers(pool), workerParts, off: offReason() };
}

function sharedMemoryAvailable(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; Atomics?: unknown; crossOriginIsolated?: boolean; window?: unknown; document?: unknown };
  if (typeof g.SharedArrayBuffer !== "function" || typeof g.Atomics !== "object") return false;
  // a browser has SharedArrayBuffer only in an isolated context; Node has no such flag
  return g.crossOriginIsolated !== false;
}

// ------------------------------------------------------------------ workers

/**
 * A worker's program: instantiate the module on the shared memory, mark itself ready, then
 * run posted parts forever. Turned into source text (`toString`), so self-contained.
 * DIE (tests only) makes it exit (1) or hang (2) right after it claims a part.
 */
function workerMain(run: typeof runRows, listen: (f: (m: { module: object; memory: object; ctrl: SharedArrayBuffer; base: number; layout: typeof LAYOUT }) => void) => void, exit: () => void): void {
  listen((m) => {
    const W = (globalThis as unknown as { WebAssembly: { Instance: new (mod: object, imports: object) => { exports: RowsKernel } } }).WebAssembly;
    const ex = new W.Instance(m.module, { env: { memory: m.memory } }).exports;
    const c = new Int32Array(m.ctrl);
    const L = m.layout;
    const st = m.base + L.STATE;
    Atomics.store(c, m.base + L.READY, 1);
    for (;;) {
      const s = Atomics.load(c, st);
      if (s !== L.POSTED) {
        Atomics.wait(c, st, s);
        continue;
      }
      if (Atomics.compareExchange(c, st, L.POSTED, L.CLAIMED) !== L.POSTED) continue;
      const die = Atomics.load(c, m.base + L.DIE);
      if (die === 1) {
        exit();
        return;
      }
      while (die === 2) Atomics.wait(c, m.base + L.DIE, 2);
      run(ex, c, m.base + L.ARGS);
      Atomics.store(c, st, L.DONE);
      Atomics.notify(c, st);
    }
  });
}

type Factory = (onFail: (why: string) => void) => WorkerHandle;

let factory: Factory | null | undefined;

/** How to start a worker here, or null: worker_threads in Node, a Blob-URL Worker in a browser. */
function workerFactory(): Factory | null {
  if (factory !== undefined) return factory;
  factory = null;
  const g = globalThis as {
    process?: { versions?: { node?: string }; getBuiltinModule?: (m: string) => unknown };
    Worker?: new (url: string) => { postMessage(m: unknown): void; terminate(): void; onerror: ((e: { message?: string }) => void) | null };
    Blob?: new (parts: string[], o: object) => object;
    URL?: { createObjectURL(b: object): string };
  };
  const body = `"use strict";\nconst runRows = ${runRows.toString()};\nconst workerMain = ${workerMain.toString()};\n`;
  if (g.process?.versions?.node !== undefined) {
    type NodeWorker = { postMessage(m: unknown): void; terminate(): Promise<number>; unref(): void; on(e: string, f: (x: unknown) => void): void };
    const wt = g.process.getBuiltinModule?.("node:worker_threads") as { Worker: new (src: string, o: object) => NodeWorker } | undefined;
    if (wt === undefined) return null;
    const src = body + `const port = require("node:worker_threads").parentPort;\nworkerMain(runRows, (f) => port.once("message", f), () => process.exit(1));\n`;
    factory = (onFail) => {
      const w = new wt.Worker((startFault ?? "") + src, { eval: true });
      w.unref();
      let ended = false;
      w.on("error", (e) => onFail(`a worker failed: ${(e as Error).message ?? String(e)}`));
      w.on("exit", (code) => {
        if (!ended) onFail(`a worker exited (code ${String(code)})`);
      });
      return {
        postMessage: (m) => w.postMessage(m),
        terminate: () => {
          ended = true;
          void w.terminate();
        },
      };
    };
  } else if (typeof g.Worker === "function" && typeof g.Blob === "function" && g.URL !== undefined) {
    const src = body + `workerMain(runRows, (f) => { self.onmessage = (e) => { self.onmessage = null; f(e.data); }; }, () => self.close());\n`;
    const W = g.Worker, B = g.Blob, U = g.URL;
    factory = (onFail) => {
      const w = new W(U.createObjectURL(new B([(startFault ?? "") + src], { type: "text/javascript" })));
      w.onerror = (e) => onFail(`a worker failed: ${e.message ?? "error"}`);
      return w;
    };
  }
  return factory;
}

function readyWorkers(p: Pool): number {
  let n = 0;
  for (let i = 0; i < p.workers.length && Atomics.load(p.ctrl, i * SLOT + READY) === 1; i++) n++;
  return n;
}

function shutPool(): void {
  const p = pool;
  pool = null;
  if (p !== null) for (const w of p.workers) w.terminate();
}

let warned = false;

/** Threads off for good: one warning, the workers stopped, the shared kernel dropped (new epoch). */
function fail(p: Pool | null, why: string): void {
  if (p !== null && p !== pool) return; // an old pool's news
  broken = why;
  shutPool();
  epoch++;
  if (!warned) {
    warned = true;
    warn(`tapegrad: worker threads are off (${why}); matrix products run on one thread, with the same results`);
  }
}

/**
 * @internal how many threads a product on `kernel` may use now: 1 + its ready workers, or 1
 * when threads are off. The workers start on the first call; they become ready within tens of
 * milliseconds, and until then products run on the calling thread alone.
 */
export function threadsFor(kernel: SharedKernel): number {
  if (broken !== null) return 1;
  if (pool === null || pool.kernel !== kernel) {
    shutPool();
    const make = workerFactory();
    const n = getNumThreads() - 1;
    if (make === null || n < 1) return 1;
    const p: Pool = { kernel, ctrl: new Int32Array(new SharedArrayBuffer(4 * SLOT * n)), workers: [] };
    pool = p;
    try {
      for (let i = 0; i < n; i++) {
        const w = make((why) => fail(p, why));
        p.workers.push(w);
        w.postMessage({ module: kernel.module, memory: kernel.memoryObject, ctrl: p.ctrl.buffer, base: i * SLOT, layout: LAYOUT });
      }
    } catch (e) {
      fail(p, `a worker could not start: ${(e as Error).message}`);
      return 1;
    }
    return 1;
  }
  return 1 + readyWorkers(pool);
}

let canBlock: boolean | undefined;

function waitWhile(ctrl: Int32Array, i: number, value: number, ms: number): void {
  if (canBlock === undefined) {
    try {
      Atomics.wait(ctrl, i, value, 0);
      canBlock = true;
    } catch {
      canBlock = false; // a browser's main thread may not block: spin instead
    }
  }
  if (canBlock) {
    Atomics.wait(ctrl, i, value, ms);
  } else {
    const end = now() + ms;
    while (Atomics.load(ctrl, i) === value && now() < end) { /* spin */ }
  }
}

/**
 * @internal hands part `i` (i >= 1: worker i-1) its arguments, read from `args` at
 * i * ROWS_ARG_COUNT, and wakes the worker. The caller then runs part 0 itself and calls
 * awaitParts.
 */
export function postPart(kernel: SharedKernel, args: Int32Array, i: number): void {
  const p = pool;
  if (p === null || p.kernel !== kernel || i < 1 || i > readyWorkers(p)) throw new Error(`postPart: internal error: no ready worker for part ${i}`);
  const base = (i - 1) * SLOT;
  p.ctrl.set(args.subarray(i * ROWS_ARG_COUNT, (i + 1) * ROWS_ARG_COUNT), base + ARGS);
  Atomics.store(p.ctrl, base + STATE, POSTED);
  Atomics.notify(p.ctrl, base + STATE, 1);
}

/**
 * @internal waits for parts 1..parts-1 (posted with postPart). A part its worker has not
 * claimed yet is taken back and run here. `mineMs`: how long this thread's own part took,
 * which scales the time a claimed part may take. Returns false when a worker was lost
 * mid-part: threads are then off, and the caller must recompute the product on a fresh kernel.
 */
export function awaitParts(kernel: SharedKernel, args: Int32Array, parts: number, mineMs: number): boolean {
  const p = pool;
  if (p === null || p.kernel !== kernel) throw new Error("awaitParts: internal error: no pool for these parts");
  const c = p.ctrl;
  const limit = Math.max(claimTimeoutMs, 50 * mineMs);
  for (let i = 1; i < parts; i++) {
    const st = (i - 1) * SLOT + STATE;
    const deadline = now() + limit;
    for (;;) {
      const s = Atomics.load(c, st);
      if (s === DONE) {
        Atomics.store(c, st, IDLE);
        workerParts++;
        break;
      }
      if (s === POSTED) {
        if (Atomics.compareExchange(c, st, POSTED, IDLE) === POSTED) {
          runRows(kernel, args, i * ROWS_ARG_COUNT);
          break;
        }
        continue;
      }
      const left = deadline - now();
      if (left <= 0) {
        fail(p, `a worker did not finish its part within ${Math.round(limit)} ms`);
        return false;
      }
      waitWhile(c, st, CLAIMED, Math.min(left, 100));
    }
  }
  return true;
}

/** @internal tests: make worker `i` exit (1) or hang (2) when it next claims a part, or behave (0). */
export function injectWorkerFault(i: number, how: 0 | 1 | 2): void {
  if (pool === null || i >= pool.workers.length) throw new Error(`injectWorkerFault: no worker ${i}`);
  Atomics.store(pool.ctrl, i * SLOT + DIE, how);
}

/** @internal tests: a statement that each worker started from now runs first (null: none). */
export function injectStartFault(statement: string | null): void {
  startFault = statement;
}

/** @internal tests: how long a claimed part may take before its worker counts as lost (ms); returns the previous value. */
export function setWorkerTimeout(ms: number): number {
  const prev = claimTimeoutMs;
  claimTimeoutMs = ms;
  return prev;
}

/** @internal tests: threads back on after a failure (a fresh pool on next use), warnings re-armed. */
export function resetThreads(): void {
  shutPool();
  broken = null;
  warned = false;
  epoch++;
}
