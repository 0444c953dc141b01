// Fusion of a traced program's elementwise chains: consecutive elementwise kernels over the same
// number of elements become one generated loop that reads each input once, keeps intermediate
// values in locals, and writes every array the chain wrote. Each element is computed with the
// kernel's own expression, declared with the kernel (KernelInfo.elementwise; in float32 every
// op's value rounded, as the kernel's Float32Array store rounds it), so the loop gives the
// kernels' bits.
//
// Right by construction, for any layout: an op's arrays are read as the kernel reads them, with
// their own strides broadcast over the op's output shape (permuted, sliced with steps, negative
// steps, zero strides). Iteration i of the loop computes element i, in C order, of every op's
// output. An array access is an address function of i; two accesses of one chain that touch
// one storage must be the same function (op k's element i is then what op m reads at i) or
// provably touch no common element, whenever one of them writes. Otherwise element i of one
// op could read what another iteration writes, unlike the kernels, which finish one op before
// the next starts: the chain is cut there. A kernel whose eager call would not do exactly the
// chain's arithmetic (an accumulation that declines a layout, say) does not fuse.
//
// Code is generated with `new Function`. Where that is refused (a Content-Security-Policy
// without 'unsafe-eval'), nothing fuses and the kernels run one by one.

import { NDArray } from "./ndarray.js";
import { type Storage } from "./dtype.js";
import { storageOverlaps } from "./storage.js";
import { coalesce } from "./shape.js";
import type { Elementwise, KernelInfo } from "./kernel.js";
import { wasmLoop, type WasmStatement } from "./wasm/fused-wasm.js";

/** A fusible kernel call: its output, its operands, and how an element of the output is made. */
export interface ElementOp {
  name: string;
  out: NDArray;
  ins: (NDArray | number)[];
  /** the kernel's own expression (its KernelInfo.elementwise) */
  how: Elementwise;
}

/** Whether this engine lets code be generated (a Content-Security-Policy may refuse it). */
export const canGenerate: boolean = (() => {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
})();

function isFloat(a: NDArray): boolean {
  return a.dtype === "float64" || a.dtype === "float32";
}

/**
 * A traced call as elementwise ops, or null if it is not one this pass can fuse: what its
 * kernel declared (KernelInfo.elementwise), for these arguments. Most calls are one op; a
 * concat or stack is one copy per part, into the block of the result it fills. `target` is the
 * traced result a replay fills (null for a call that writes its arguments).
 */
export function elementOps(step: { readonly name: string; readonly info: KernelInfo; readonly args: readonly unknown[] }, target: NDArray | null): ElementOp[] | null {
  const { name, info, args } = step;
  const how = info.elementwise;
  if (how === undefined) return null;
  let loops: { out: unknown; ins: unknown[] }[] | null;
  if (how.ops !== undefined) loops = how.ops(args, target);
  else if (info.out === undefined) loops = null;
  else loops = [{ out: target ?? args[info.out], ins: args.slice(0, info.out) }]; // the operands come before `out`
  if (loops === null || loops.length === 0) return null;
  const ops: ElementOp[] = [];
  for (const l of loops) {
    const op = one(name, how, l.out, l.ins);
    if (op === null) return null;
    ops.push(op);
  }
  return ops;
}

/** Whether `shape` broadcasts to `out` by numpy's rule (never the other way). */
function broadcastsTo(shape: readonly number[], out: readonly number[]): boolean {
  if (shape.length > out.length) return false;
  const lead = out.length - shape.length;
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1 && shape[i] !== out[lead + i]) return false;
  return true;
}

function one(name: string, how: Elementwise, out: unknown, ins: unknown[]): ElementOp | null {
  if (!(out instanceof NDArray) || !isFloat(out) || !out.writable || out.size === 0) return null;
  for (const x of ins) {
    if (typeof x === "number") continue;
    if (!(x instanceof NDArray) || x.dtype !== out.dtype || !broadcastsTo(x.shape, out.shape)) return null;
  }
  if (ins.every((x) => typeof x === "number")) return null;
  return { name, out, ins: ins as (NDArray | number)[], how };
}

// ---------------------------------------------------------------- accesses

/**
 * An array as an op reads or writes it: an address in `data` for each element of the op's
 * output, in C order, as dims (outer first) with a stride each; size-1 dims dropped and dims
 * that step as one merged.
 */
interface Access {
  data: Storage;
  offset: number;
  dims: number[];
  strides: number[];
}

function accessOf(a: NDArray, outShape: readonly number[]): Access {
  const lead = outShape.length - a.ndim;
  const strides = outShape.map((_, i) => (i < lead || a.shape[i - lead] === 1 ? 0 : a.strides[i - lead]!));
  const c = coalesce(outShape, [strides]);
  return { data: a.data, offset: a.offset, dims: c.shape, strides: c.strides[0]! };
}

/** The element counts (1 excluded) at which an access's dims end, inner first: suffix products. */
function boundaries(a: Access): number[] {
  const out: number[] = [];
  let p = 1;
  for (let i = a.dims.length - 1; i >= 0; i--) out.push((p *= a.dims[i]!));
  return out;
}

/**
 * The loop's dims (inner first) common to a set of accesses: every access's dims are products
 * of consecutive ones. Null when there are none (dims of 4 and 6 elements over 24, say).
 */
function refine(accesses: readonly Access[], n: number): number[] | null {
  const set = new Set<number>([n]);
  for (const a of accesses) for (const b of boundaries(a)) set.add(b);
  set.delete(1);
  const bs = [...set].sort((x, y) => x - y);
  const ext: number[] = [];
  let prev = 1;
  for (const b of bs) {
    if (b % prev !== 0) return null;
    ext.push(b / prev);
    prev = b;
  }
  return ext;
}

/** An access's stride along each of the loop's dims (inner first), from refine(). */
function stridesOver(a: Access, ext: readonly number[]): number[] {
  const out: number[] = [];
  // walk the access's dims from the inside out beside the loop's
  let j = a.dims.length - 1;
  let within = 1; // elements of access dim j below the current loop dim
  for (const e of ext) {
    if (j < 0) {
      out.push(0); // n = 1 has no dims
      continue;
    }
    out.push(a.strides[j]! * within);
    within *= e;
    if (within === a.dims[j]) {
      j--;
      within = 1;
    }
  }
  return out;
}

/** An access over the loop's dims: its address is offset + sum of index * stride. */
interface Mapped {
  data: Storage;
  offset: number;
  strides: number[];
}

function sameMap(x: Mapped, y: Mapped): boolean {
  return x.data === y.data && x.offset === y.offset && x.strides.every((s, i) => s === y.strides[i]);
}

/** Whether no two iterations write one element (every dim steps, and past all inner ones). */
function injective(x: Mapped, ext: readonly number[]): boolean {
  const dims = x.strides.map((s, i) => [Math.abs(s), ext[i]!] as const).sort((a, b) => a[0] - b[0]);
  let reach = 0;
  for (const [s, e] of dims) {
    if (s <= reach) return false;
    reach += s * (e - 1);
  }
  return true;
}

/** Whether two accesses over one storage provably share no element. */
function disjoint(x: Mapped, y: Mapped, ext: readonly number[]): boolean {
  const range = (m: Mapped): [number, number] => {
    let lo = m.offset;
    let hi = m.offset;
    m.strides.forEach((s, i) => {
      const span = s * (ext[i]! - 1);
      if (span < 0) lo += span;
      else hi += span;
    });
    return [lo, hi];
  };
  const [xl, xh] = range(x);
  const [yl, yh] = range(y);
  if (xh < yl || yh < xl) return true;
  if (!x.strides.every((s, i) => s === y.strides[i])) return false; // not proven
  // one layout at two offsets: they meet iff the offset difference is sum k_i s_i with |k_i| < e_i
  const dims = x.strides.map((s, i) => [Math.abs(s), ext[i]! - 1] as const).filter(([s, e]) => s > 0 && e > 0).sort((a, b) => b[0] - a[0]);
  let budget = 10_000;
  const reach = (from: number) => dims.slice(from).reduce((r, [s, e]) => r + s * e, 0);
  const reachable = (d: number, i: number): boolean => {
    if (--budget < 0) return true; // too many to search: not proven apart
    if (i === dims.length) return d === 0;
    const [s, e] = dims[i]!;
    const rest = reach(i + 1);
    const lo = Math.max(-e, Math.ceil((d - rest) / s));
    const hi = Math.min(e, Math.floor((d + rest) / s));
    for (let k = lo; k <= hi; k++) if (reachable(d - k * s, i + 1)) return true;
    return false;
  };
  return !reachable(y.offset - x.offset, 0);
}

// ---------------------------------------------------------------- groups

interface Member {
  op: ElementOp;
  /** the output's access, then the array operands' (numbers have none) */
  out: Access;
  ins: (Access | number)[];
}

/**
 * The most distinct array accesses one loop makes. A stack of every time step's state fused
 * into the last step's cell loop made one loop over 100 arrays, several times slower per
 * element than its parts as loops of their own (V8 keeps a few dozen values in registers).
 */
const MAX_ARRAYS = 24;

function distinctAccesses(accesses: readonly Access[]): number {
  const keys = new Set<string>();
  const ids = new Map<Storage, number>();
  for (const a of accesses) {
    if (!ids.has(a.data)) ids.set(a.data, ids.size);
    keys.add(`${ids.get(a.data)} ${a.offset} ${a.dims.join(",")} ${a.strides.join(",")}`);
  }
  return keys.size;
}

export class FusedGroup {
  readonly ops: ElementOp[] = [];
  private readonly members: Member[] = [];
  constructor(
    readonly n: number,
    readonly f32: boolean,
  ) {}

  /** Adds op if the group stays one loop that computes what the kernels compute; false (and no change) if not. */
  tryAdd(op: ElementOp): boolean {
    if (op.out.size !== this.n || (op.out.dtype === "float32") !== this.f32) return false;
    // two kernels that call two functions by one name cannot share a loop
    for (const [k, f] of Object.entries(op.how.fns ?? {})) if (this.ops.some((o) => o.how.fns?.[k] !== undefined && o.how.fns[k] !== f)) return false;
    const shape = op.out.shape;
    const m: Member = { op, out: accessOf(op.out, shape), ins: op.ins.map((x) => (typeof x === "number" ? x : accessOf(x, shape))) };
    const all = [...this.members, m];
    const accesses = all.flatMap((x) => [x.out, ...x.ins.filter((a): a is Access => typeof a !== "number")]);
    if (distinctAccesses(accesses) > MAX_ARRAYS) return false;
    const ext = refine(accesses, this.n);
    if (ext === null) return false;
    const map = (a: Access): Mapped => ({ data: a.data, offset: a.offset, strides: stridesOver(a, ext) });
    const out = map(m.out);
    if (!injective(out, ext)) return false;
    // the new op's accesses against every access of the group, its own included
    const mine: [Mapped, boolean][] = [[out, true], ...m.ins.filter((a): a is Access => typeof a !== "number").map((a) => [map(a), false] as [Mapped, boolean])];
    const theirs: [Mapped, boolean][] = this.members.flatMap((x) => [
      [map(x.out), true] as [Mapped, boolean],
      ...x.ins.filter((a): a is Access => typeof a !== "number").map((a) => [map(a), false] as [Mapped, boolean]),
    ]);
    for (let i = 0; i < mine.length; i++) {
      const [x, xw] = mine[i]!;
      for (const [y, yw] of [...theirs, ...mine.slice(i + 1)]) {
        if (!xw && !yw) continue;
        if (x.data !== y.data) {
          if (storageOverlaps(x.data, y.data)) return false; // two views of one buffer: not compared
          continue;
        }
        if (!sameMap(x, y) && !disjoint(x, y, ext)) return false;
      }
    }
    this.members.push(m);
    this.ops.push(op);
    return true;
  }

  /** The generated loop, bound to this group's arrays; null if code cannot be generated here. */
  compile(): (() => void) | null {
    const accesses = this.members.flatMap((x) => [x.out, ...x.ins.filter((a): a is Access => typeof a !== "number")]);
    const inner = refine(accesses, this.n)!; // inner first
    // merge loop dims that every access steps through as one
    const mapsInner = accesses.map((a) => stridesOver(a, inner));
    const c = coalesce([...inner].reverse(), mapsInner.map((s) => [...s].reverse()));
    const ext = c.shape; // outer first
    const maps: Mapped[] = [];
    const slotOf = (a: Access): number => {
      const s = c.strides[accesses.indexOf(a)]!;
      const m: Mapped = { data: a.data, offset: a.offset, strides: s };
      const at = maps.findIndex((x) => sameMap(x, m));
      if (at >= 0) return at;
      maps.push(m);
      return maps.length - 1;
    };
    const depth = ext.length;
    const written = new Set<number>();
    for (const x of this.members) written.add(slotOf(x.out));
    for (const a of accesses) slotOf(a); // every map known before the loop's form is chosen
    // a read that is one element for the whole loop (a broadcast single value) is read before it
    const hoisted = (k: number) => this.n > 1 && maps[k]!.strides.every((s) => s === 0) && !written.has(k);
    // one flat loop over unit strides reads through subarrays from index 0 (V8 checks bounds faster)
    const flat = depth === 1 && maps.every((m, k) => hoisted(k) || m.strides[0] === 1);
    const address = (k: number): string => {
      if (depth === 0) return `a${k}[${maps[k]!.offset}]`;
      if (flat) return `a${k}[c]`;
      const s = maps[k]!.strides[depth - 1]!;
      const base = depth === 1 ? `O[${k}]` : `p${k}_${depth - 2}`;
      return `a${k}[${base}${s === 0 ? "" : s === 1 ? " + c" : ` + c * ${s}`}]`;
    };
    const consts: number[] = [];
    const body: string[] = [];
    // the same loop as statements, for its WebAssembly form (wasm/fused-wasm.ts)
    const statements: WasmStatement[] = [];
    const read = new Set<number>();
    const cur = new Map<number, string>(); // slot -> the local holding its current element
    let v = 0;
    const operand = (x: Access | number): string => {
      if (typeof x === "number") {
        consts.push(this.f32 ? Math.fround(x) : x);
        return `k${consts.length - 1}`;
      }
      const k = slotOf(x);
      read.add(k);
      if (hoisted(k)) return `h${k}`;
      let name = cur.get(k);
      if (name === undefined) {
        name = `x${k}`;
        body.push(`const ${name} = ${address(k)};`);
        statements.push({ kind: "load", name, slot: k });
        cur.set(k, name);
      }
      return name;
    };
    const fns = new Map<string, (x: number) => number>(); // the scalar functions the expressions call
    for (const x of this.members) {
      for (const [k, f] of Object.entries(x.op.how.fns ?? {})) fns.set(k, f);
      const e = x.op.how.expr(x.ins.map(operand), this.f32);
      const name = `v${v++}`;
      body.push(`const ${name} = ${this.f32 ? `F(${e})` : e};`);
      statements.push({ kind: "op", name, expr: e, ...(x.op.how.fns ? { fns: x.op.how.fns } : {}) });
      cur.set(slotOf(x.out), name);
    }
    for (const k of written) body.push(`${address(k)} = ${cur.get(k)};`);
    for (const k of written) statements.push({ kind: "store", slot: k, name: cur.get(k)! });
    const lines: string[] = [];
    maps.forEach((_, k) => lines.push(`const a${k} = A[${k}];`));
    maps.forEach((m, k) => {
      if (hoisted(k)) lines.push(`const h${k} = a${k}[${m.offset}];`);
    });
    consts.forEach((_, i) => lines.push(`const k${i} = K[${i}];`));
    if (depth === 0) {
      lines.push(...body);
    } else {
      // outer loops: p<k>_<d> is access k's address at the start of loop d's current step
      let indent = "";
      for (let d = 0; d < depth - 1; d++) {
        lines.push(`${indent}for (let i${d} = 0; i${d} < ${ext[d]}; i${d}++) {`);
        indent += "  ";
        maps.forEach((m, k) => {
          if (hoisted(k)) return;
          const base = d === 0 ? `O[${k}]` : `p${k}_${d - 1}`;
          const s = m.strides[d]!;
          lines.push(`${indent}const p${k}_${d} = ${base}${s === 0 ? "" : ` + i${d} * ${s}`};`);
        });
      }
      lines.push(`${indent}for (let c = 0; c < ${ext[depth - 1]}; c++) {`, ...body.map((l) => `${indent}  ${l}`), `${indent}}`);
      for (let d = depth - 2; d >= 0; d--) {
        indent = indent.slice(2);
        lines.push(`${indent}}`);
      }
    }
    let make: (...deps: unknown[]) => (A: Storage[], O: number[], K: number[]) => void;
    try {
      make = new Function(...fns.keys(), "F", `"use strict"; return function fused(A, O, K) {\n${lines.join("\n")}\n};`) as typeof make;
    } catch {
      return null; // new Function refused (CSP): the kernels run unfused
    }
    this.source = lines.join("\n");
    this.rows = depth <= 1 ? 1 : ext.slice(0, -1).reduce((p, e) => p * e, 1);
    // plain arithmetic runs as WebAssembly SIMD where it can be emitted exactly; else the JS loop
    const wasm = depth === 0 ? null : wasmLoop({
      f32: this.f32, ext, consts,
      slots: maps.map((m, k) => ({ data: m.data, offset: m.offset, strides: m.strides, read: read.has(k), written: written.has(k), hoisted: hoisted(k) })),
      statements,
    });
    this.wasm = wasm !== null;
    if (wasm !== null) return wasm;
    const loop = make(...fns.values(), Math.fround);
    const A = maps.map((m, k) => (flat && !hoisted(k) ? (m.data.subarray(m.offset, m.offset + this.n) as Storage) : m.data));
    const O = maps.map((m) => m.offset);
    return () => loop(A, O, consts);
  }

  /** Whether the compiled loop runs as WebAssembly (wasm/fused-wasm.ts) rather than JS. */
  wasm = false;

  /** The loop's rows (the product of its outer dims; 1 for one flat loop), once compiled. */
  rows = 1;

  /** The generated loop's source, once compiled (for plan printing and tests). */
  source = "";
}
