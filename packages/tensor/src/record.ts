// Recording: the kernels a piece of code calls, written down (the function, its arguments, its
// result) as each outermost call runs (kernel.ts is the hook), to become a Program (program.ts).
// A kernel called by another kernel is part of that one and is not recorded. Views are not
// recorded either: a view is a shape over a storage that the trace already knows. The arrays'
// storages are the trace's own buffers; those the eager code had reused (spares, see
// dtype.ts) are reused at the same points, in the same order.
//
// What a trace cannot see is code that computes values without a kernel (a plain loop over
// `.data`). An array made that way during the trace, then read by a kernel, is an error at
// once (TraceError names the kernel and the argument); `kernel(name, fn)` is how such code
// becomes traceable. Plain values (numbers, shapes, options) are part of each call as recorded:
// a JS number that changes from call to call is baked in, and comparing two traces
// (traceDifference) is how a caller detects it.

import { NDArray, type StorageInfo } from "./ndarray.js";
import { TraceError, fmtShape } from "./errors.js";
import { storageSerial } from "./ndarray.js";
import type { Storage } from "./dtype.js";
import { onRecycle, trimSpares } from "./storage.js";
import { hasReplayState } from "./replay-state.js";
import { ValueRecord, ValueView } from "./buffers.js";
import { isTracing, recording, type KernelInfo, type Recorder } from "./kernel.js";
import { CALL, COPY, NONE, OUT, Program, type CapturedStep, type Guard, type RecordedStep } from "./program.js";

/** A number read out of an array while tracing (noteItemRead). */
export interface ItemRead {
  array: NDArray;
  value: number;
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

class TraceRecorder implements Recorder {
  readonly steps: RecordedStep[] = [];
  readonly guards: Guard[] = [];
  /** Numbers read out of arrays (item()), in order: one-element arrays, held so a replay can read them again. */
  readonly reads: ItemRead[] = [];
  /** A call has been recorded that writes plain JS state (a kernel called on a ReplayState object that returns no array). */
  setState = false;

  guard(what: string, read: () => unknown): void {
    // after a recorded call that set plain JS state (model.train() inside the step, say) the value
    // may be that call's doing, which a replay repeats: only what the step found on entry is guarded
    if (!this.setState) this.guards.push({ what, read, value: read() });
  }

  itemRead(array: NDArray, value: number): void {
    this.reads.push({ array, value });
  }
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
    // the hook (kernel.ts) is off while this runs: kernels called by this one are part of it
    const result = fn.apply(self, args);
    const index = this.steps.length;
    const results = result instanceof NDArray ? [result] : Array.isArray(result) && result.some((r) => r instanceof NDArray) ? (result as unknown[]) : null;
    if (results === null) {
      // nothing or a plain value: the call wrote into its arguments (fill, assign, a shuffle)
      this.remember(self, args, result, name);
      if (hasReplayState(self)) this.setState = true;
      this.steps.push({ name, fn, info, self: this.detach(self), args: args.map((a) => this.detach(a)), mode: CALL, targets: [], signature: parts.join(" ") });
      if (this.captured) this.captured.push({ targets: [], args: args.map((a) => (a instanceof NDArray ? a.copy() : null)) });
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
      name, fn, info, self: this.detach(self), args: args.map((a) => this.detach(a)), mode,
      targets: targets.map((t) => (t === null ? null : (this.detach(t) as ValueView))), signature: parts.join(" "),
    });
    if (this.captured) this.captured.push({ targets: targets.map((t) => (t === null ? null : t.copy())), args: [] });
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
  options: { fuse?: boolean; keep?: (result: T, reads: readonly ItemRead[]) => readonly NDArray[]; capture?: boolean; share?: boolean } = {},
): { result: T; program: Program; captured: CapturedStep[] | null; reads: readonly ItemRead[] } {
  if (isTracing()) throw new TraceError("trace: a trace is already recording");
  const ph = new Map<StorageInfo, number>();
  placeholders.forEach((p, i) => ph.set(p.storageInfo, i));
  const rec = new TraceRecorder(ph, ids);
  if (options.capture) rec.captured = [];
  onRecycle((d) => rec.forget(d));
  let result: T;
  try {
    result = recording(rec, fn);
  } finally {
    onRecycle(null);
  }
  // what the caller reads after a replay stays where the trace put it; the rest is planned by liveness
  const keep = options.keep?.(result, rec.reads) ?? arraysIn(result);
  rec.checkAll(keep);
  trimSpares(0, 0); // see Program.run
  return { result, program: new Program(rec.steps, { fuse: options.fuse, keep, storageId: (d) => rec.storageId(d), guards: rec.guards, share: options.share }), captured: rec.captured, reads: rec.reads };
}

/** The arrays in a value: itself, or in lists and plain objects (the default of what a trace keeps). */
function arraysIn(v: unknown, out: NDArray[] = [], depth = 0): NDArray[] {
  if (v instanceof NDArray) out.push(v);
  else if (depth < 4 && Array.isArray(v)) for (const x of v) arraysIn(x, out, depth + 1);
  else if (depth < 4 && v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) arraysIn(x, out, depth + 1);
  return out;
}
