// Buffers for a traced program, planned from liveness. While tracing, the record (record.ts)
// keeps no array a kernel made, only ValueRecords and ValueViews, so the eager code frees what
// it drops as it would without a trace. Here each result (a logical value: one storage and every view of it)
// lives from the step that makes it to the last step that reads or writes it, and values whose
// lives do not overlap share storage, taken from a pool by dtype and length: the program holds
// what is live at its busiest point, as the eager step does.
//
// Kept where the trace put them: the values the caller names (what the traced function
// returned, the gradients left on tensors) and any value whose storage is also seen through an
// array the trace did not make. Every other value is the program's own: after a replay only
// the kept values are meaningful.

import { NDArray, type StorageInfo } from "./ndarray.js";
import type { Storage } from "./dtype.js";
import type { RecordedStep, Step } from "./program.js";
import { arenaBytes, carve, makeArena } from "./wasm/arena.js";

/**
 * A result of a recorded call, without its storage. While tracing, the record holds no array
 * a kernel made (those the eager code drops are freed as they would be without a trace); the
 * storages of the program are planned afterwards (buffers.ts). (Not even weakly: a WeakRef
 * made in a job keeps its target alive to the end of that job, which is the whole trace.)
 */
export class ValueRecord {
  constructor(
    readonly info: StorageInfo,
    readonly ctor: new (n: number) => Storage,
    readonly length: number,
    /** which storage it had while tracing (several values may share one, at different times) */
    readonly storageId: number,
  ) {}
}

/** A view of a value (shape, strides, offset) as a recorded step holds it until planning. */
export class ValueView {
  constructor(
    readonly value: ValueRecord,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    readonly writable: boolean,
  ) {}
}


interface Plan {
  record: ValueRecord;
  def: number;
  last: number;
  /** keeps its traced storage (found through `storage` below), never shared */
  pinned: boolean;
  storage: Storage | null;
  info: StorageInfo | null;
}

function isPlain(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype;
}

/** Every array or value view among a kernel's arguments: itself, in a list, or in an options object. */
function forEach(v: unknown, visit: (a: NDArray | ValueView) => void, depth = 0): void {
  if (v instanceof NDArray || v instanceof ValueView) visit(v);
  else if (depth >= 3) return;
  else if (Array.isArray(v)) for (const x of v) forEach(x, visit, depth + 1);
  else if (isPlain(v)) for (const x of Object.values(v)) forEach(x, visit, depth + 1);
}

/**
 * The recorded steps with a storage for every value, planned by liveness. `keep` are arrays
 * whose values must stay where the trace put them; `storageId` numbers a storage as the
 * recorder did. `shared` counts the values that got a storage an earlier value had freed.
 */
export function planBuffers(steps: readonly RecordedStep[], keep: readonly NDArray[], storageId: (d: Storage) => number, share = true): { steps: Step[]; shared: number } {
  const plans = new Map<ValueRecord, Plan>();
  steps.forEach((s, i) => {
    for (const t of s.targets) if (t !== null) plans.set(t.value, { record: t.value, def: i, last: i, pinned: false, storage: null, info: null });
  });
  // storages seen through arrays the trace did not make (placeholders, state), by the recorder's numbering
  const outside = new Map<number, Storage>();
  steps.forEach((s, i) => {
    const use = (a: NDArray | ValueView) => {
      if (a instanceof NDArray) outside.set(storageId(a.data), a.data);
      else {
        const p = plans.get(a.value)!;
        if (i > p.last) p.last = i;
      }
    };
    forEach(s.self, use);
    for (const a of s.args) forEach(a, use);
  });
  const byInfo = new Map<StorageInfo, Plan>();
  for (const p of plans.values()) byInfo.set(p.record.info, p);
  for (const a of keep) {
    const p = byInfo.get(a.storageInfo);
    if (p) {
      p.pinned = true;
      p.storage = a.data;
    }
  }
  // Values that shared a storage while tracing at overlapping times (a kernel that returned a new
  // array over an argument's storage, say), or with an outside array: kept together, as traced.
  const byStorage = new Map<number, Plan[]>();
  for (const p of plans.values()) {
    const list = byStorage.get(p.record.storageId);
    if (list) list.push(p);
    else byStorage.set(p.record.storageId, [p]);
  }
  for (const [id, list] of byStorage) {
    const seen = outside.get(id);
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (seen !== undefined) a.pinned = true;
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j]!;
        if (a.def <= b.last && b.def <= a.last) a.pinned = b.pinned = true;
      }
    }
    const pinned = list.filter((p) => p.pinned);
    if (pinned.length === 0) continue;
    // one storage for all of them: the outside array's, a kept array's, or a new one
    const kept = pinned.find((p) => p.storage !== null)?.storage;
    const storage = seen ?? kept ?? new list[0]!.record.ctor(list[0]!.record.length);
    for (const p of pinned) {
      p.storage = storage;
      p.info = storage === seen || storage === kept ? p.record.info : null;
    }
  }

  // the other values, in step order: a value's storage is free again after its last step
  const keyOf = (r: ValueRecord) => `${r.ctor.name}:${r.length}`;
  const endingAt = new Map<number, Plan[]>();
  for (const p of plans.values()) {
    if (p.pinned) continue;
    const list = endingAt.get(p.last);
    if (list) list.push(p);
    else endingAt.set(p.last, [p]);
  }
  // Which values get a new storage and which one freed before: decided once (`fresh` lists the
  // new ones in order), then the storages are made, the float ones in one wasm arena when they
  // come to enough bytes (wasm/arena.ts: the fused loops then run over them where they lie).
  const source = new Map<Plan, Plan>(); // a value -> the value whose storage it takes over
  const fresh: Plan[] = [];
  const decided = new Set<Plan>();
  let shared = 0;
  {
    const free = new Map<string, Plan[]>();
    steps.forEach((s, i) => {
      for (const t of s.targets) {
        if (t === null) continue;
        const p = plans.get(t.value)!;
        if (p.pinned || decided.has(p)) continue;
        decided.add(p);
        // without sharing (a GPU lowering uploads some values before its dispatches run), every value its own
        const reused = share ? free.get(keyOf(p.record))?.pop() : undefined;
        if (reused !== undefined) {
          shared++;
          source.set(p, reused);
        } else fresh.push(p);
      }
      for (const p of endingAt.get(i) ?? []) {
        const k = keyOf(p.record);
        const pool = free.get(k);
        if (pool) pool.push(p);
        else free.set(k, [p]);
      }
    });
  }
  const isFloat = (r: ValueRecord) => r.ctor === Float32Array || r.ctor === Float64Array;
  let arenaSize = 0;
  for (const p of fresh) if (isFloat(p.record)) arenaSize += arenaBytes(p.record.length, (p.record.ctor as Float32ArrayConstructor).BYTES_PER_ELEMENT);
  const arena = share ? makeArena(arenaSize) : null;
  for (const p of fresh) {
    p.storage = arena !== null && isFloat(p.record) ? carve(arena, p.record.ctor as Float32ArrayConstructor, p.record.length) : new p.record.ctor(p.record.length);
  }
  // in the order decided, so a value's source already has its storage
  for (const [p, from] of source) p.storage = from.storage!;

  const arrayOf = (v: ValueView): NDArray => {
    const p = plans.get(v.value)!;
    p.info ??= { version: 0, serial: p.record.info.serial };
    return new NDArray(p.storage!, v.shape, v.strides, v.offset, { writable: v.writable, storageInfo: p.info });
  };
  const materialize = (x: unknown, depth = 0): unknown => {
    if (x instanceof ValueView) return arrayOf(x);
    if (x instanceof NDArray || depth >= 3) return x;
    if (Array.isArray(x)) return x.map((y) => materialize(y, depth + 1));
    if (isPlain(x)) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, materialize(y, depth + 1)]));
    return x;
  };
  return {
    steps: steps.map((s) => ({
      ...s,
      self: materialize(s.self),
      args: s.args.map((a) => materialize(a)),
      targets: s.targets.map((t) => (t === null ? null : arrayOf(t))),
    })),
    shared,
  };
}
