// Tracing: a record of the kernels a piece of code calls, and a program that calls them again.
//
// Every function of this package that computes values is a kernel: `kernel(name, fn)` wraps
// it so that, while a trace is recording, each outermost call is written down (the function,
// its arguments, its result) before it runs. A kernel called by another kernel is part of
// that one and is not recorded. Views are not recorded either: a view is a shape over a
// storage that the trace already knows.
//
// A Program replays the record on the same arrays: each kernel writes its result into the
// array the traced call returned (through its `out` argument where it has one, by a copy
// otherwise), so a view made while tracing, or a reference kept in some object (a parameter's
// gradient), sees the new values. The arrays' storages are the trace's own buffers; those the
// eager code had reused (spares, see dtype.ts) are reused at the same points, in the same order.
//
// What a trace cannot see is code that computes values without a kernel (a plain loop over
// `.data`). An array made that way during the trace, then read by a kernel, is an error at
// once (TraceError names the kernel and the argument); `kernel(name, fn)` is how such code
// becomes traceable. Plain values (numbers, shapes, options) are part of each call as recorded:
// a JS number that changes from call to call is baked in, and comparing two traces
// (`Program.difference`) is how a caller detects it.

import { NDArray, type StorageInfo } from "./ndarray.js";
import { TapegradError, fmtShape } from "./errors.js";
import { storageSerial } from "./ndarray.js";
import { onRecycle, redirectAllocation, storageOverlaps, trimSpares, type Storage } from "./dtype.js";
import { hasReplayState, type ReplayState } from "./replay-state.js";
import { FusedGroup, canGenerate, elementOps } from "./fuse.js";
import { foldedRows, gemm } from "./matmul.js";
import { assign } from "./elementwise.js";
import { rowStride } from "./iter.js";
import { sizeOf } from "./shape.js";
import { ValueRecord, ValueView, planBuffers } from "./buffers.js";

/** A trace that cannot be replayed faithfully: what it read, and where. */
export class TraceError extends TapegradError {}

/** What a replay needs to know of a kernel: the third argument of {@link kernel}. */
export interface KernelInfo {
  /** The index of the kernel's optional `out` argument: a replay writes the result there. */
  out?: number;
  /** The result's values are unspecified (empty): a replay need not recompute them. */
  uninitialized?: boolean;
}

// What the trace does at replay for one recorded call.
const CALL = 0; // call again as recorded (in place: the result is an argument, or nothing)
const OUT = 1; // call with `out` set to the traced result
const COPY = 2; // call, then copy each new result into the traced one
const NONE = 3; // nothing (an uninitialized allocation)

export interface Step {
  readonly name: string;
  readonly fn: (...args: unknown[]) => unknown;
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

let active: Recorder | null = null;

/** Runs fn with the recorder off (the trace's own bookkeeping is no kernel call of the step). */
function untraced<T>(fn: () => T): T {
  const a = active;
  active = null;
  try {
    return fn();
  } finally {
    active = a;
  }
}

/**
 * Declares that the code being traced took a path chosen by a plain JS value (a module's
 * training flag, say): a replay first checks that `read()` still gives what it gave when traced
 * (Object.is), and compile traces the call again where it does not, rather than replay the
 * other path's kernels. `what` names the value in messages. Outside a trace it does nothing.
 */
export function traceGuard(what: string, read: () => unknown): void {
  // after a recorded call that set plain JS state (model.train() inside the step, say) the value
  // may be that call's doing, which a replay repeats: only what the step found on entry is guarded
  if (active === null || active.setState) return;
  active.guards.push({ what, read, value: read() });
}

/**
 * Notes that traced code read a number out of an array (`item()`): compile can then replay a
 * number the step returns, when it is such a read, by reading the array again.
 */
export function noteItemRead(a: NDArray, value: number): void {
  if (active !== null) active.reads.push({ array: a, value });
}

/** A number read out of an array while tracing (noteItemRead). */
export interface ItemRead {
  array: NDArray;
  value: number;
}

/** A plain JS value a trace depended on: see traceGuard. */
interface Guard {
  what: string;
  read: () => unknown;
  value: unknown;
}

/** Whether a trace is recording (so a compiled function called inside one runs eagerly, as part of it). */
export function isTracing(): boolean {
  return active !== null;
}

/**
 * Marks `fn` as a kernel: a function of NDArrays and plain values that computes new arrays or
 * writes into arrays it is given, and reads nothing else that changes. Inside a trace
 * (autograd's `compile`) each call is recorded, and a replay calls `fn` again with the same
 * arguments. Code that loops over `.data` itself must be a kernel to be compiled.
 */
export function kernel<F extends (...args: never[]) => unknown>(name: string, fn: F, info: KernelInfo = {}): F {
  const f = fn as unknown as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    if (active === null) return f.apply(this, arguments as unknown as unknown[]);
    // eslint-disable-next-line prefer-rest-params
    return active.call(name, f, info, this, arguments);
  };
  Object.defineProperty(wrapped, "name", { value: fn.name || name });
  return wrapped as unknown as F;
}

/** Identities for the objects a trace meets (outside arrays, RNG streams), stable across traces. */
export class Identities {
  private readonly ids = new WeakMap<object, number>();
  private next = 0;
  of(x: object): number {
    let id = this.ids.get(x);
    if (id === undefined) this.ids.set(x, (id = this.next++));
    return id;
  }
}

class Recorder {
  readonly steps: RecordedStep[] = [];
  readonly guards: Guard[] = [];
  /** Numbers read out of arrays (item()), in order: one-element arrays, held so a replay can read them again. */
  readonly reads: ItemRead[] = [];
  /** A call has been recorded that writes plain JS state (a kernel called on a ReplayState object that returns no array). */
  setState = false;
  /** With `capture`: what each recorded call wrote, copied as it left it (Program.firstDifference compares a replay with it). */
  captured: CapturedStep[] | null = null;
  /** The result of each recorded call, by its storage's info. */
  readonly values = new Map<StorageInfo, ValueRecord>();
  /** Numbers for storages, without holding them. */
  private readonly storageIds = new Identities();

  storageId(d: Storage): number {
    return this.storageIds.of(d);
  }

  /** An argument as a step keeps it: arrays made by recorded calls become ValueViews (in lists and options too). */
  private detach(v: unknown, depth = 0): unknown {
    if (v instanceof NDArray) {
      const r = this.values.get(v.storageInfo);
      return r === undefined ? v : new ValueView(r, v.shape, v.strides, v.offset, v.writable);
    }
    if (depth >= 3) return v;
    if (Array.isArray(v)) return v.map((x) => this.detach(x, depth + 1));
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.detach(x, depth + 1)]));
    }
    return v;
  }
  /** The storage of each array a recorded call made: "p<step>" or "p<step>.<k>". */
  readonly produced = new Map<StorageInfo, string>();
  readonly startSerial = storageSerial();
  /**
   * A sample of the values of every storage a recorded call read or wrote, as of the last call
   * that touched it. A kernel that finds its argument's sample changed, or the end of the trace
   * finding any changed, means code that is not a kernel wrote into the array in between: a
   * replay would not repeat that write. (A sample: 32 positions, the first and last included,
   * so a write to a few elements in the middle can pass unseen.)
   */
  private readonly prints = new Map<number, { values: Float64Array; by: string }>();
  /** The storages of arrays the trace did not make (state, placeholders): held, to check at the end. */
  private readonly outside = new Map<number, Storage>();

  constructor(
    readonly placeholders: ReadonlyMap<StorageInfo, number>,
    readonly ids: Identities,
  ) {}

  call(name: string, fn: (...args: unknown[]) => unknown, info: KernelInfo, self: unknown, argv: ArrayLike<unknown>): unknown {
    const args = new Array<unknown>(argv.length);
    for (let i = 0; i < argv.length; i++) args[i] = snapshot(argv[i]);
    const parts: string[] = [name];
    // `this` counts when it is an array or a stream (a method's), not a module namespace (`nd.add(...)`)
    if (self instanceof NDArray || (self !== null && typeof self === "object" && Object.prototype.toString.call(self) !== "[object Module]")) {
      parts.push(`this=${this.role(self, name, "this")}`);
    }
    for (let i = 0; i < args.length; i++) parts.push(this.role(args[i], name, `argument ${i + 1}`));
    active = null; // kernels called by this one are part of it
    let result: unknown;
    try {
      result = fn.apply(self, args);
    } finally {
      active = this;
    }
    const index = this.steps.length;
    const results = result instanceof NDArray ? [result] : Array.isArray(result) && result.some((r) => r instanceof NDArray) ? (result as unknown[]) : null;
    if (results === null) {
      // nothing or a plain value: the call wrote into its arguments (fill, assign, a shuffle)
      this.remember(self, args, result, name);
      if (hasReplayState(self)) this.setState = true;
      this.steps.push({ name, fn, self: this.detach(self), args: args.map((a) => this.detach(a)), mode: CALL, targets: [], signature: parts.join(" ") });
      if (this.captured) this.captured.push(untraced(() => ({ targets: [], args: args.map((a) => (a instanceof NDArray ? a.copy() : null)) })));
      return result;
    }
    const targets: (NDArray | null)[] = [];
    let fresh = 0;
    let same = 0; // results that are arguments themselves (written in place through `out`)
    for (let k = 0; k < results.length; k++) {
      const r = results[k];
      if (!(r instanceof NDArray)) {
        targets.push(null);
      } else if (args.includes(r) || r === self) {
        targets.push(null);
        same++;
      } else if (this.isViewOfArgument(r, self, args)) {
        targets.push(null); // a view of an argument: nothing to fill
      } else {
        this.produced.set(r.storageInfo, result instanceof NDArray ? `p${index}` : `p${index}.${k}`);
        const ctor = r.data.constructor as new (n: number) => Storage;
        this.values.set(r.storageInfo, new ValueRecord(r.storageInfo, ctor, r.data.length, this.storageId(r.data)));
        targets.push(r);
        fresh++;
      }
    }
    this.remember(self, args, result, name); // after the results are known as this trace's own
    if (fresh === 0 && same === 0) return result; // views only: a replay needs no step
    let mode = COPY;
    if (fresh === 0) mode = CALL;
    else if (info.uninitialized) mode = NONE;
    else if (info.out !== undefined && result instanceof NDArray && args[info.out] === undefined) {
      mode = OUT;
      args[info.out] = result;
    }
    parts.push(`-> ${results.map((r, k) => (targets[k] ? `${r instanceof NDArray ? r.dtype : ""}${fmtShape((r as NDArray).shape)}` : "=")).join(",")}`);
    this.steps.push({
      name, fn, self: this.detach(self), args: args.map((a) => this.detach(a)), mode,
      targets: targets.map((t) => (t === null ? null : (this.detach(t) as ValueView))), signature: parts.join(" "),
    });
    if (this.captured) this.captured.push(untraced(() => ({ targets: targets.map((t) => (t === null ? null : t.copy())), args: [] })));
    return result;
  }

  /** Samples the storages a call touched (its arguments and results), as the call left them. */
  private remember(self: unknown, args: readonly unknown[], result: unknown, by: string): void {
    const visit = (v: unknown, depth: number): void => {
      if (v instanceof NDArray) {
        const id = this.storageId(v.data);
        this.prints.set(id, { values: sample(v.data), by });
        if (!this.values.has(v.storageInfo)) this.outside.set(id, v.data);
      }
      else if (Array.isArray(v) && depth === 0) for (const x of v) visit(x, 1);
    };
    visit(self, 0);
    for (const a of args) visit(a, 0);
    visit(result, 0);
  }

  /** A storage declared dead (recycled): whatever it held is no one's any more. */
  forget(data: Storage): void {
    this.prints.delete(this.storageId(data));
  }

  /** Throws if an array's storage changed since the last recorded call touched it. */
  checkUnchanged(a: NDArray, reader: string): void {
    const p = this.prints.get(this.storageId(a.data));
    if (p !== undefined && !sameSample(p.values, a.data)) {
      throw new TraceError(
        `trace: ${reader} reads a ${a.dtype} array of shape ${fmtShape(a.shape)} whose values changed after ${p.by} last wrote or read it, ` +
          `by code that is not a kernel (a loop over .data, say), so a replay would not repeat the change; do it with @tapegrad/tensor ops, or wrap it in kernel(name, fn)`,
      );
    }
  }

  /**
   * At the end of the trace: the storages read after it (the state the trace did not make, and
   * `keep`, what the caller reads) must be as their last kernel left them.
   */
  checkAll(keep: readonly NDArray[]): void {
    const check = new Map(this.outside);
    for (const a of keep) check.set(this.storageId(a.data), a.data);
    for (const [id, data] of check) {
      const p = this.prints.get(id);
      if (p !== undefined && !sameSample(p.values, data)) {
        throw new TraceError(
          `trace: an array (${data.length} elements) changed after ${p.by} last wrote or read it, by code that is not a kernel, ` +
            `before the traced function returned; a replay would not repeat the change: do it with @tapegrad/tensor ops, or wrap it in kernel(name, fn)`,
        );
      }
    }
  }

  private isViewOfArgument(r: NDArray, self: unknown, args: readonly unknown[]): boolean {
    const info = r.storageInfo;
    if (self instanceof NDArray && self.storageInfo === info) return true;
    for (const a of args) {
      if (a instanceof NDArray && a.storageInfo === info) return true;
      if (Array.isArray(a)) for (const b of a) if (b instanceof NDArray && b.storageInfo === info) return true;
    }
    return false;
  }

  /** An argument as a string: which array (and which view of it) or which plain value. */
  role(v: unknown, kernelName: string, where: string): string {
    if (v instanceof NDArray) return this.arrayRole(v, kernelName, where);
    if (v === undefined) return "u";
    if (v === null) return "null";
    switch (typeof v) {
      case "number": return Object.is(v, -0) ? "-0" : String(v);
      case "string": return JSON.stringify(v);
      case "boolean": return String(v);
      case "function": return "fn";
      case "bigint": return `${v}n`;
      default: break;
    }
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      const items: string[] = [];
      for (let i = 0; i < (v as ArrayLike<unknown>).length; i++) items.push(this.role((v as ArrayLike<unknown>)[i], kernelName, where));
      return `[${items.join(",")}]`;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      return `{${Object.entries(v as object).map(([k, x]) => `${k}:${this.role(x, kernelName, where)}`).join(",")}}`;
    }
    return `o${this.ids.of(v as object)}`;
  }

  private arrayRole(a: NDArray, kernelName: string, where: string): string {
    this.checkUnchanged(a, `${kernelName}'s ${where}`);
    const info = a.storageInfo;
    let base = this.produced.get(info);
    if (base === undefined) {
      const ph = this.placeholders.get(info);
      if (ph !== undefined) base = `x${ph}`;
    }
    if (base === undefined) {
      if (info.serial >= this.startSerial) {
        throw new TraceError(
          `trace: ${kernelName}'s ${where} (a ${a.dtype} array of shape ${fmtShape(a.shape)}) was computed inside the traced function by code that is not a kernel, ` +
            `so a replay would read its old values; compute it with @tapegrad/tensor ops, or wrap the code that computes it in kernel(name, fn)`,
        );
      }
      base = `e${this.ids.of(info)}`;
    }
    return `${base}${fmtShape(a.shape)}/${a.strides.join(",")}+${a.offset}`;
  }
}

/** JS arrays and plain objects among the arguments, copied: the caller may change them after the call. */
function snapshot(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snapshot);
  if (v !== null && typeof v === "object" && !(v instanceof NDArray) && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = snapshot(x);
    return o;
  }
  return v;
}

/** Where two traces part: the first step that differs, described, or null if they are the same program. */
export function traceDifference(a: Program, b: Program): string | null {
  const n = Math.min(a.steps.length, b.steps.length);
  for (let i = 0; i < n; i++) {
    const x = a.steps[i]!.signature;
    const y = b.steps[i]!.signature;
    if (x !== y) return `kernel #${i} (${b.steps[i]!.name}) differs: ${diffWords(x, y, a.steps[i]!, b.steps[i]!)}`;
  }
  if (a.steps.length !== b.steps.length) {
    const longer = a.steps.length > b.steps.length ? a : b;
    return `one call ran ${longer.steps.length - n} more kernel(s) than the other, from #${n} (${longer.steps[n]!.name})`;
  }
  return null;
}

function diffWords(x: string, y: string, sx: RecordedStep, sy: RecordedStep): string {
  const a = x.split(" ");
  const b = y.split(" ");
  const shift = a[1]?.startsWith("this=") ? 1 : 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      if (i === 0) return `the kernel was ${a[0]} on one call and ${b[0]} on the next`;
      if (a[i]?.startsWith("->") || b[i]?.startsWith("->")) return `the result was ${a[i] ?? "absent"} on one call and ${b[i] ?? "absent"} on the next`;
      const k = i - 1 - shift;
      return `argument ${k + 1} was ${describeArg(a[i], sx.args[k])} on one call and ${describeArg(b[i], sy.args[k])} on the next`;
    }
  }
  return "";
}

/** An argument for a message: its role, and its values when it is a small array from outside the trace (a constant). */
function describeArg(role: string | undefined, v: unknown): string {
  if (role === undefined) return "absent";
  if (v instanceof NDArray && role.startsWith("e") && v.size <= 8) return `an array from outside the trace holding ${JSON.stringify(v.toArray())}`;
  if (v instanceof NDArray && role.startsWith("e")) return `an array from outside the trace (${v.dtype}${fmtShape(v.shape)})`;
  return role;
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
  private readonly fusedGroups: { kernels: string[]; size: number; source: string }[] = [];

  /**
   * The recorded calls, as traced (what traceDifference compares). The buffers are planned at the
   * first run or inspection, so that a trace superseded by a later one never allocates them.
   */
  constructor(
    readonly steps: readonly RecordedStep[],
    private readonly options: { fuse?: boolean; keep?: readonly NDArray[]; storageId: (d: Storage) => number; guards?: readonly Guard[] },
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
      const p = planBuffers(this.steps, this.options.keep ?? [], this.options.storageId);
      this.planned = p.steps;
      this.shared = p.shared;
      this.items = this.options.fuse ?? true ? this.fused(p.steps) : p.steps.map((s, i) => ({ step: s, steps: [i], writes: [] }));
    }
    return this.planned;
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
    steps.forEach((s, index) => {
      const product = resolvedProduct(s);
      if (product !== null) {
        flush();
        items.push({ run: product, steps: [index], writes: [] });
        this.resolved++;
        return;
      }
      const ops = s.mode === CALL || s.mode === OUT || s.mode === COPY ? elementOps(s.name, s.args, s.mode === CALL ? null : s.targets.length === 1 ? s.targets[0]! : null) : null;
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
    return items;
  }

  /** Calls every kernel again, in order, writing into the traced results. */
  run(): void {
    // Spares may hold storages that are this program's buffers (an eager backward recycled
    // them); a kernel that allocated one here would overwrite a value still to be read.
    trimSpares(0, 0);
    this.plan();
    // the hot path: steps and generated functions in one flat list (items carry bookkeeping for firstDifference)
    const exec = (this.exec ??= this.items!.map((it) => it.run ?? it.step!));
    for (let i = 0; i < exec.length; i++) {
      const s = exec[i]!;
      if (typeof s === "function") s();
      else runStep(s);
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

/**
 * A traced matmul of (..., M, K) by a 2-D (K, N), or matmulTN, as direct calls of gemm with
 * the layouts read once: the replay skips the checks, the broadcasting and the allocation. The
 * calls are the ones the kernel makes, with the same sizes (gemm picks its kernel and its threads
 * by size, so another split could change the bits): one over all rows where matmul folds the
 * batch into rows (foldedRows), else one per batch. Null for any other step (it runs as recorded).
 */
function resolvedProduct(s: Step): (() => void) | null {
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
      return () => gemm(rows, N, K, xd, xo, rs, acs, yd, yo, brs, bcs, td, to, crs, 1);
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
    return () => {
      for (let b = 0; b < offsets.length; b++) gemm(M, N, K, xd, offsets[b]!, ars, acs, yd, yo, brs, bcs, td, to + b * M * N, N, 1);
    };
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
    return () => gemm(K, N, rows, xd, xo, acs, ars, yd, yo, grs, gcs, td, to, N, 1);
  }
  return null;
}

function sameStrides(a: NDArray, b: NDArray): boolean {
  if (a.ndim !== b.ndim) return false;
  for (let i = 0; i < a.ndim; i++) if (a.strides[i] !== b.strides[i] || a.shape[i] !== b.shape[i]) return false;
  return true;
}

const SAMPLE = 32;

function samplePositions(n: number): number {
  return Math.min(n, SAMPLE);
}

function sample(d: Storage): Float64Array {
  const k = samplePositions(d.length);
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) out[i] = d[k === 1 ? 0 : Math.floor((i * (d.length - 1)) / (k - 1))]!;
  return out;
}

function sameSample(values: Float64Array, d: Storage): boolean {
  const k = values.length;
  if (k !== samplePositions(d.length)) return false;
  for (let i = 0; i < k; i++) {
    const v = d[k === 1 ? 0 : Math.floor((i * (d.length - 1)) / (k - 1))]!;
    const w = values[i]!;
    if (v !== w && !(v !== v && w !== w)) return false;
  }
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


/**
 * Runs fn while recording every kernel it calls. `placeholders` are the arrays that stand for
 * the traced function's arguments (a replay finds new values in them). `keep` names the arrays
 * a caller reads after a replay (by default, those in fn's result); the program plans the
 * storage of every other result by liveness, so only kept arrays hold meaningful values after
 * a run. Returns fn's result and the program; if fn throws, the trace is dropped and the error
 * passes through.
 */
export function trace<T>(
  fn: () => T, placeholders: readonly NDArray[], ids: Identities,
  options: { fuse?: boolean; keep?: (result: T, reads: readonly ItemRead[]) => readonly NDArray[]; capture?: boolean } = {},
): { result: T; program: Program; captured: CapturedStep[] | null; reads: readonly ItemRead[] } {
  if (active !== null) throw new TraceError("trace: a trace is already recording");
  const ph = new Map<StorageInfo, number>();
  placeholders.forEach((p, i) => ph.set(p.storageInfo, i));
  const rec = new Recorder(ph, ids);
  if (options.capture) rec.captured = [];
  active = rec;
  onRecycle((d) => rec.forget(d));
  let result: T;
  try {
    result = fn();
  } finally {
    active = null;
    onRecycle(null);
  }
  // what the caller reads after a replay stays where the trace put it; the rest is planned by liveness
  const keep = options.keep?.(result, rec.reads) ?? arraysIn(result);
  rec.checkAll(keep);
  trimSpares(0, 0); // see Program.run
  return { result, program: new Program(rec.steps, { fuse: options.fuse, keep, storageId: (d) => rec.storageId(d), guards: rec.guards }), captured: rec.captured, reads: rec.reads };
}

/** The arrays in a value: itself, or in lists and plain objects (the default of what a trace keeps). */
function arraysIn(v: unknown, out: NDArray[] = [], depth = 0): NDArray[] {
  if (v instanceof NDArray) out.push(v);
  else if (depth < 4 && Array.isArray(v)) for (const x of v) arraysIn(x, out, depth + 1);
  else if (depth < 4 && v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) arraysIn(x, out, depth + 1);
  return out;
}
