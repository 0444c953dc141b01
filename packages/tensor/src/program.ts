// The replay program: a trace's recorded kernel calls (record.ts), planned and run again on the
// same arrays. Each kernel writes its result into the array the traced call returned (through
// its `out` argument where it has one, by a copy otherwise), so a view made while tracing, or a
// reference kept in some object (a parameter's gradient), sees the new values. The storages
// are planned by liveness (buffers.ts); runs of elementwise kernels become one generated loop
// (fuse.ts), and matrix products with layouts known at planning call gemm directly.

import { NDArray } from "./ndarray.js";
import { TraceError, fmtShape } from "./errors.js";
import type { Storage } from "./dtype.js";
import { redirectAllocation, storageOverlaps, trimSpares } from "./storage.js";
import { hasReplayState, type ReplayState } from "./replay-state.js";
import { FusedGroup, canGenerate, elementOps } from "./fuse.js";
import { foldedRows, gemm } from "./matmul.js";
import * as elementwise from "./elementwise.js";
import { rowStride } from "./iter.js";
import { sizeOf } from "./shape.js";
import { planBuffers, type ValueView } from "./buffers.js";
import { unwrapped, type KernelInfo } from "./kernel.js";
import { endPackings, type PackedB } from "./wasm/gemm.js";
import { recordedWrites, sharePackings, type PlanItem } from "./pack-reuse.js";

const { assign } = unwrapped(elementwise);

// What the trace does at replay for one recorded call.
export const CALL = 0; // call again as recorded (in place: the result is an argument, or nothing)
export const OUT = 1; // call with `out` set to the traced result
export const COPY = 2; // call, then copy each new result into the traced one
export const NONE = 3; // nothing (an uninitialized allocation)

export interface Step {
  readonly name: string;
  readonly fn: (...args: unknown[]) => unknown;
  /** What the kernel declared of itself (kernel.ts): its `out` argument, its elementwise expression. */
  readonly info: KernelInfo;
  readonly self: unknown;
  readonly args: unknown[];
  readonly mode: number;
  /** The traced results that a replay fills: one for a single result, several for a list. */
  readonly targets: readonly (NDArray | null)[];
  /** The call as a string of roles (which earlier result, placeholder or outside array each argument is). */
  readonly signature: string;
}

/** A step as recorded: its arrays made by earlier steps are ValueViews. */
export interface RecordedStep extends Omit<Step, "targets"> {
  readonly targets: readonly (ValueView | null)[];
}

/** A plain JS value a trace depended on: see traceGuard. */
export interface Guard {
  what: string;
  read: () => unknown;
  value: unknown;
}

/**
 * What a replay runs: a recorded step, or generated code (a fused loop, a resolved product),
 * with the indices of the steps it covers and, for a fused loop, the array each op writes.
 */
type Item = ({ step: Step; run?: undefined } | { run: () => void; step?: undefined }) & {
  steps: number[];
  writes: { step: number; out: NDArray }[];
  /** the fused loop's index in Program.groups */
  group?: number;
};

function runItem(item: Item): void {
  if (item.run !== undefined) item.run();
  else runStep(item.step);
}

function runStep(s: Step): void {
  const mode = s.mode;
  if (mode === CALL || mode === OUT) {
    s.fn.apply(s.self, s.args);
  } else if (mode === COPY) {
    const targets = s.targets;
    if (targets.length === 1) {
      // the kernel's first allocation of the result's size is the traced result's storage:
      // usually its result, computed in place; otherwise a temporary, and the copy follows
      const t = targets[0]!;
      redirectAllocation(t.data);
      let r: unknown;
      try {
        r = s.fn.apply(s.self, s.args);
      } finally {
        redirectAllocation(null);
      }
      if (Array.isArray(r) && r.length === 1) r = r[0]; // a list of one result, as recorded
      if (!(r instanceof NDArray)) throw new TraceError(`replay: ${s.name} returned no array where the trace had one`);
      if (r.data === t.data && r.offset === t.offset && sameStrides(r, t)) return;
      copyResult(t, r.data === t.data ? r.copy() : r); // another layout over the same storage: through a copy
    } else {
      const r = s.fn.apply(s.self, s.args);
      for (let k = 0; k < targets.length; k++) if (targets[k]) copyResult(targets[k]!, (r as NDArray[])[k]!);
    }
  }
}

/** What one recorded call wrote, copied as the call left it (trace's `capture`): its results, and for a call that writes its arguments, its array arguments. */
export interface CapturedStep {
  targets: (NDArray | null)[];
  args: (NDArray | null)[];
}

/** The first kernel of a replay whose output differs from the eager call's (Program.firstDifference). */
export interface KernelDifference {
  /** the kernel's index in the program, and its name */
  index: number;
  name: string;
  /** which output: "result", "result k", or an argument written in place */
  what: string;
  array: NDArray;
  /** the first element (C order) that differs, and the two values */
  element: number;
  got: number;
  want: number;
  /** the kernels of the fused loop the call ran in, or null if it ran as recorded */
  fused: string[] | null;
  /** the call's array arguments: dtype, shape, strides, offset */
  args: string;
}

function firstUnequal(got: NDArray, want: NDArray): { element: number; got: number; want: number } | null {
  const a = got.copy().data;
  const b = want.copy().data;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return { element: i, got: a[i]!, want: b[i]! };
  return a.length === b.length ? null : { element: n, got: NaN, want: NaN };
}

function describeArgs(s: Step): string {
  const one = (v: unknown): string =>
    v instanceof NDArray ? `${v.dtype}${fmtShape(v.shape)} strides [${v.strides.join(",")}] offset ${v.offset}` : Array.isArray(v) ? `[${v.map(one).join("; ")}]` : typeof v === "number" ? String(v) : typeof v;
  return s.args.map(one).join(", ");
}

/** A recorded sequence of kernel calls, replayable on the arrays it was traced on. */
export class Program {
  /** What run() executes: the steps, with runs of elementwise kernels replaced by fused loops (fuse.ts). */
  private items: Item[] | null = null;
  private exec: (Step | (() => void))[] | null = null;
  private planned: Step[] | null = null;
  private shared = 0;
  private resolved = 0;
  private packShared = 0;
  private readonly fusedGroups: { kernels: string[]; size: number; source: string }[] = [];

  /**
   * The recorded calls, as traced (what traceDifference compares). The buffers are planned at the
   * first run or inspection, so that a trace superseded by a later one never allocates them.
   */
  constructor(
    readonly steps: readonly RecordedStep[],
    private readonly options: { fuse?: boolean; keep?: readonly NDArray[]; storageId: (d: Storage) => number; guards?: readonly Guard[]; share?: boolean },
  ) {}

  /** The first plain JS value the trace depended on (traceGuard) that reads otherwise now, described; null if all hold. */
  brokenGuard(): string | null {
    for (const g of this.options.guards ?? []) {
      const now = g.read();
      if (!Object.is(now, g.value)) return `${g.what} was ${String(g.value)} when the step was traced and is ${String(now)} now`;
    }
    return null;
  }

  private plan(): Step[] {
    if (this.planned === null) {
      const p = planBuffers(this.steps, this.options.keep ?? [], this.options.storageId, this.options.share ?? true);
      this.planned = p.steps;
      this.shared = p.shared;
      this.items = this.options.fuse ?? true ? this.fused(p.steps) : p.steps.map((s, i) => ({ step: s, steps: [i], writes: [] }));
    }
    return this.planned;
  }

  /** The steps with their planned arrays (what a lowering to another device reads). */
  plannedSteps(): readonly Step[] {
    return this.plan();
  }

  /** The arrays a caller reads after a run (trace's `keep`). */
  get kept(): readonly NDArray[] {
    return this.options.keep ?? [];
  }

  /** Values that got a storage an earlier value had freed (buffers.ts). */
  get sharedBuffers(): number {
    this.plan();
    return this.shared;
  }

  /** Products whose operand layouts were resolved at planning: a replay calls gemm directly. */
  get resolvedProducts(): number {
    this.plan();
    return this.resolved;
  }

  /** The fused loops, for plan printing: how many kernels each replaced, and its source. */
  get groups(): readonly { kernels: string[]; size: number; source: string }[] {
    this.plan();
    return this.fusedGroups;
  }

  private fused(steps: readonly Step[]): Item[] {
    const items: Item[] = [];
    if (!canGenerate) return steps.map((s, i) => ({ step: s, steps: [i], writes: [] })); // no generated code here: the kernels one by one
    let group: FusedGroup | null = null;
    let members: { step: number; out: NDArray }[] = [];
    const flush = () => {
      if (group === null) return;
      const loop = group.compile();
      if (loop === null) throw new TraceError("trace: a fused loop could not be generated"); // canGenerate said it could
      items.push({ run: loop, steps: [...new Set(members.map((m) => m.step))], writes: members, group: this.fusedGroups.length });
      this.fusedGroups.push({ kernels: group.ops.map((o) => o.name), size: group.n, source: group.source });
      group = null;
      members = [];
    };
    const products = new Map<Item, ResolvedProduct>();
    steps.forEach((s, index) => {
      const product = resolvedProduct(s);
      if (product !== null) {
        flush();
        const item: Item = { run: product, steps: [index], writes: [] };
        items.push(item);
        products.set(item, product);
        this.resolved++;
        return;
      }
      const ops = s.mode === CALL || s.mode === OUT || s.mode === COPY ? elementOps(s, s.mode === CALL ? null : s.targets.length === 1 ? s.targets[0]! : null) : null;
      // an op that fits no loop even alone (its output overlaps an operand at a shift, say) runs as recorded
      if (ops === null || !ops.every((op) => new FusedGroup(op.out.size, op.out.dtype === "float32").tryAdd(op))) {
        flush();
        items.push({ step: s, steps: [index], writes: [] });
        return;
      }
      for (const op of ops) {
        if (group === null || !(group as FusedGroup).tryAdd(op)) {
          flush();
          group = new FusedGroup(op.out.size, op.out.dtype === "float32");
          group.tryAdd(op);
        }
        members.push({ step: index, out: op.out });
      }
    });
    flush();
    // products that read one B unchanged pack it once per replay (pack-reuse.ts)
    this.packShared = sharePackings(items.map((it): PlanItem => {
      const p = products.get(it);
      if (p !== undefined) return { ...(p.b !== undefined ? { product: { b: p.b, share: p.share } } : {}), writes: [steps[it.steps[0]!]!.targets[0]!] };
      if (it.step === undefined) return { writes: it.writes.map((w) => w.out) };
      return { writes: recordedWrites(it.step.targets, it.step.self, it.step.args) };
    }));
    return items;
  }

  /** Products that share B's packing with others of the replay (pack-reuse.ts). */
  get sharedPackings(): number {
    this.plan();
    return this.packShared;
  }

  /** Calls every kernel again, in order, writing into the traced results. */
  run(): void {
    // Spares may hold storages that are this program's buffers (an eager backward recycled
    // them); a kernel that allocated one here would overwrite a value still to be read.
    trimSpares(0, 0);
    this.plan();
    // the hot path: steps and generated functions in one flat list (items carry bookkeeping for firstDifference)
    const exec = (this.exec ??= this.items!.map((it) => it.run ?? it.step!));
    // a replay's packings of B (wasm/gemm.ts) are made in it and end with it
    endPackings();
    try {
      for (let i = 0; i < exec.length; i++) {
        const s = exec[i]!;
        if (typeof s === "function") s();
        else runStep(s);
      }
    } finally {
      endPackings();
    }
  }

  /**
   * The arrays and objects a replay reads or writes that the program did not make: the state a
   * step reaches through closures (parameters, optimizer state, an RNG stream, a scheduler),
   * as the recorded calls name them. Placeholders are among the arrays.
   */
  outside(): { arrays: NDArray[]; objects: ReplayState[] } {
    const arrays = new Map<Storage, NDArray>();
    const objects = new Set<ReplayState>();
    const visit = (v: unknown, depth: number): void => {
      if (v instanceof NDArray) {
        if (!arrays.has(v.data)) arrays.set(v.data, v);
      } else if (hasReplayState(v)) objects.add(v);
      else if (depth < 3 && Array.isArray(v)) for (const x of v) visit(x, depth + 1);
      else if (depth < 3 && v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) visit(x, depth + 1);
    };
    for (const s of this.steps) {
      visit(s.self, 0);
      for (const a of s.args) visit(a, 0);
    }
    return { arrays: [...arrays.values()], objects: [...objects] };
  }

  /**
   * Runs the program item by item, comparing what each kernel wrote with `captured` (what the
   * same kernels wrote in an eager call from the same state: trace's `capture`), and returns
   * the first kernel whose output differs, or null if none does.
   */
  firstDifference(captured: readonly CapturedStep[]): KernelDifference | null {
    trimSpares(0, 0);
    const planned = this.plan();
    const items = this.items!;
    endPackings();
    try {
      return this.compareItems(items, planned, captured);
    } finally {
      endPackings();
    }
  }

  private compareItems(items: readonly Item[], planned: readonly Step[], captured: readonly CapturedStep[]): KernelDifference | null {
    for (const item of items) {
      runItem(item);
      // what a fused loop wrote and a later op of the same loop overwrote is not there to compare
      const overwritten = new Set<number>();
      for (let k = 0; k < item.writes.length; k++) {
        for (let j = k + 1; j < item.writes.length; j++) if (storageOverlaps(item.writes[k]!.out.data, item.writes[j]!.out.data)) overwritten.add(k);
      }
      for (const index of item.steps) {
        const step = planned[index]!;
        const want = captured[index];
        if (want === undefined) continue;
        const fused = item.group === undefined ? null : this.fusedGroups[item.group]!.kernels;
        const compare = (got: NDArray, ref: NDArray | undefined, what: string): KernelDifference | null => {
          if (ref === undefined) return null;
          const at = firstUnequal(got, ref);
          return at === null ? null : { index, name: step.name, what, array: got, element: at.element, got: at.got, want: at.want, fused, args: describeArgs(step) };
        };
        if (item.group !== undefined) {
          // a fused loop: the arrays this step's ops wrote (a whole result, or an argument written in place)
          for (let k = 0; k < item.writes.length; k++) {
            const w = item.writes[k]!;
            if (w.step !== index || overwritten.has(k)) continue;
            const t = step.targets.findIndex((x) => x !== null && x.data === w.out.data);
            const a = step.args.indexOf(w.out);
            const d = t >= 0 ? compare(step.targets[t]!, want.targets[t] ?? undefined, "result") : a >= 0 ? compare(w.out, want.args[a] ?? undefined, `argument ${a + 1}, written in place`) : null;
            if (d !== null) return d;
          }
          continue;
        }
        for (let t = 0; t < step.targets.length; t++) {
          const d = step.targets[t] ? compare(step.targets[t]!, want.targets[t] ?? undefined, step.targets.length > 1 ? `result ${t}` : "result") : null;
          if (d !== null) return d;
        }
        if (step.mode === CALL) {
          for (let a = 0; a < step.args.length; a++) {
            const x = step.args[a];
            const d = x instanceof NDArray ? compare(x, want.args[a] ?? undefined, `argument ${a + 1}`) : null;
            if (d !== null) return d;
          }
        }
      }
    }
    return null;
  }

  /** The buffers the program writes (distinct storages), and their bytes. */
  buffers(): { count: number; bytes: number } {
    const seen = new Set<unknown>();
    let bytes = 0;
    for (const s of this.plan()) {
      for (const t of s.targets) {
        if (t === null || seen.has(t.data)) continue;
        seen.add(t.data);
        bytes += t.data.byteLength;
      }
    }
    return { count: seen.size, bytes };
  }

  /** How many calls of each kernel, and how each is replayed. */
  kernels(): { name: string; calls: number; replay: string }[] {
    const modes = ["call", "out", "copy", "none"];
    const counts = new Map<string, { name: string; calls: number; replay: string }>();
    for (const s of this.steps) {
      const key = `${s.name}/${s.mode}`;
      const c = counts.get(key);
      if (c) c.calls++;
      else counts.set(key, { name: s.name, calls: 1, replay: modes[s.mode]! });
    }
    return [...counts.values()].sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
  }
}

/** (rows, rowStride) of an array's leading dims when they fold into one (all but the last), else null. */
function foldRows(a: NDArray): [number, number] | null {
  if (a.ndim < 2) return null;
  const lead = a.shape.slice(0, -1);
  const stride = rowStride(lead, a.strides.slice(0, -1), 1);
  return stride === stride ? [sizeOf(lead), stride] : null;
}

/** A resolved product's call; `b` and `share` where it is one gemm with B a 2-D operand, whose packing it may share (pack-reuse.ts). */
type ResolvedProduct = (() => void) & { b?: NDArray; share: (h: PackedB) => void };

/**
 * A traced matmul of (..., M, K) by a 2-D (K, N), or matmulTN, as direct calls of gemm with
 * the layouts read once: the replay skips the checks, the broadcasting and the allocation. The
 * calls are the ones the kernel makes, with the same sizes (gemm picks its kernel and its threads
 * by size, so another split could change the bits): one over all rows where matmul folds the
 * batch into rows (foldedRows), else one per batch. Null for any other step (it runs as recorded).
 */
function resolvedProduct(s: Step): ResolvedProduct | null {
  if (s.targets.length !== 1 || (s.mode !== OUT && s.mode !== COPY)) return null;
  const t = s.targets[0]!;
  const [x, y] = s.args as [unknown, unknown];
  if (!(x instanceof NDArray) || !(y instanceof NDArray) || !t.isContiguous()) return null;
  if (s.name === "matmul") {
    if (y.ndim !== 2 || x.ndim < 2 || t.dtype !== x.dtype || x.dtype !== y.dtype || t.ndim !== x.ndim) return null;
    const [M, K] = [x.shape[x.ndim - 2]!, x.shape[x.ndim - 1]!];
    const N = y.shape[1]!;
    if (y.shape[0] !== K || t.size !== (x.size / (M * K || 1)) * M * N || x.size === 0) return null;
    const [ars, acs] = [x.strides[x.ndim - 2]!, x.strides[x.ndim - 1]!];
    const [brs, bcs] = [y.strides[0]!, y.strides[1]!];
    const [xd, xo, yd, yo, td, to] = [x.data, x.offset, y.data, y.offset, t.data, t.offset];
    const folded = x.ndim >= 3 ? foldedRows(x, t) : null;
    if (x.ndim === 2 || folded !== null) {
      const [rows, rs, crs] = folded === null ? [M, ars, N] : [folded.rows, folded.ars, folded.crs];
      let reuse: PackedB | undefined;
      const run = () => gemm(rows, N, K, xd, xo, rs, acs, yd, yo, brs, bcs, td, to, crs, 1, reuse);
      return Object.assign(run, { b: y, share: (h: PackedB) => void (reuse = h) });
    }
    // each batch's offset in x, in C order of the batch dims (the result's batches are contiguous)
    const offsets: number[] = [];
    const batch = x.shape.slice(0, -2);
    const bs = x.strides.slice(0, -2);
    const visit = (d: number, at: number): void => {
      if (d === batch.length) offsets.push(at);
      else for (let i = 0; i < batch[d]!; i++) visit(d + 1, at + i * bs[d]!);
    };
    visit(0, xo);
    const batched = () => {
      for (let b = 0; b < offsets.length; b++) gemm(M, N, K, xd, offsets[b]!, ars, acs, yd, yo, brs, bcs, td, to + b * M * N, N, 1);
    };
    return Object.assign(batched, { share: () => {} });
  }
  if (s.name === "matmulTN") {
    // A^T G over all rows: A (..., K), G (..., N) with leading dims that fold
    if (x.dtype !== y.dtype || t.dtype !== x.dtype || x.ndim !== y.ndim || x.ndim < 2) return null;
    const ra = foldRows(x);
    const rg = foldRows(y);
    if (ra === null || rg === null || ra[0] !== rg[0]) return null;
    const K = x.shape[x.ndim - 1]!;
    const N = y.shape[y.ndim - 1]!;
    if (t.size !== K * N) return null;
    const [rows, ars] = ra;
    const grs = rg[1];
    const acs = x.strides[x.ndim - 1]!;
    const gcs = y.strides[y.ndim - 1]!;
    const [xd, xo, yd, yo, td, to] = [x.data, x.offset, y.data, y.offset, t.data, t.offset];
    return Object.assign(() => gemm(K, N, rows, xd, xo, acs, ars, yd, yo, grs, gcs, td, to, N, 1), { share: () => {} });
  }
  return null;
}

function sameStrides(a: NDArray, b: NDArray): boolean {
  if (a.ndim !== b.ndim) return false;
  for (let i = 0; i < a.ndim; i++) if (a.strides[i] !== b.strides[i] || a.shape[i] !== b.shape[i]) return false;
  return true;
}

function copyResult(dst: NDArray, src: NDArray): void {
  if (dst.isContiguous() && src.isContiguous() && dst.dtype === src.dtype && dst.size === src.size) {
    dst.data.set(src.data.subarray(src.offset, src.offset + src.size) as never, dst.offset);
  } else {
    assign(dst, src);
  }
  dst.bumpVersion();
}


