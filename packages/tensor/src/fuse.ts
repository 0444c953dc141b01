// Fusion of a traced program's elementwise chains: consecutive elementwise kernels over arrays
// of one size and float dtype become one generated loop that reads each input once, keeps the
// intermediate values in locals, and writes every array the chain wrote. The loop computes each
// element with the very expression the kernel's own loop uses (the same scalar functions from
// kernels/transcendental.ts, a float32 result rounded once per op, as a Float32Array store
// rounds it), so a fused replay gives the same bits as the kernels one by one.
//
// What fuses: a kernel of the table below whose output is a contiguous array and whose array
// operands are contiguous arrays of the output's size (the same elements in the same order:
// arrays that broadcast to a shape of their own size differ only by leading 1s) or single
// values; numbers are constants of the trace. Two arrays of one chain that share a storage must
// be the same elements (same offset and size): otherwise element i of one op could read what a
// later iteration writes, and the chain is cut there.
//
// Code is generated with `new Function`. Where that is refused (a Content-Security-Policy
// without 'unsafe-eval'), nothing fuses and the kernels run one by one.

import { NDArray } from "./ndarray.js";
import { rowRun, rowStride } from "./iter.js";
import type { Storage } from "./dtype.js";
import { exp32, exp64, sigmoid32, sigmoid64, tanh32, tanh64 } from "./kernels/transcendental.js";

/** A fusible kernel call: its output, its operands, and how an element of the output is made. */
interface ElementOp {
  name: string;
  out: NDArray;
  ins: (NDArray | number)[];
}

type Expr = (x: readonly string[], f32: boolean) => string;

const UNARY: Record<string, Expr> = {
  neg: ([a]) => `-${a}`,
  abs: ([a]) => `Math.abs(${a})`,
  sqrt: ([a]) => `Math.sqrt(${a})`,
  square: ([a]) => `${a} * ${a}`,
  relu: ([a]) => `(${a} > 0 ? ${a} : ${a} === ${a} ? 0 : ${a})`,
  exp: ([a], f32) => `${f32 ? "E32" : "E64"}(${a})`,
  tanh: ([a], f32) => `${f32 ? "T32" : "T64"}(${a})`,
  sigmoid: ([a], f32) => `${f32 ? "S32" : "S64"}(${a})`,
  copy: ([a]) => a!, // a part of a concat or stack, or a copy: the element itself
};

const BINARY: Record<string, Expr> = {
  add: ([a, b]) => `${a} + ${b}`,
  sub: ([a, b]) => `${a} - ${b}`,
  mul: ([a, b]) => `${a} * ${b}`,
  div: ([a, b]) => `${a} / ${b}`,
  maximum: ([a, b]) => `Math.max(${a}, ${b})`,
  minimum: ([a, b]) => `Math.min(${a}, ${b})`,
  sigmoidBackward: ([g, s]) => `${g} * ${s} * (1 - ${s})`,
  tanhBackward: ([g, t]) => `${g} * (1 - ${t} * ${t})`,
  addInto: ([a, b]) => `${a} + ${b}`, // the engine's in-place sum (autograd's accumulator)
};

function isFloatArray(a: NDArray): boolean {
  return a.dtype === "float64" || a.dtype === "float32";
}

/** Whether this engine lets code be generated (a Content-Security-Policy may refuse it). */
export const canGenerate: boolean = (() => {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
})();

/**
 * A traced call as elementwise ops, or null if it is not one this pass can fuse. Most calls are
 * one op; a concat or stack is one copy per part, into the block of the result it fills.
 */
export function elementOps(name: string, args: readonly unknown[], target: NDArray | null): ElementOp[] | null {
  if (name in UNARY && name !== "copy") return one(name, target ?? args[1], [args[0]]);
  if (name === "addInto") return one(name, args[0], [args[0], args[1]]);
  if (name in BINARY) return one(name, target ?? args[2], [args[0], args[1]]);
  if (target === null) return null;
  if (name === "copy") return args[1] === undefined || args[1] === target.dtype ? one("copy", target, [args[0]]) : null;
  if ((name === "concat" || name === "stack") && Array.isArray(args[0]) && target.isContiguous()) {
    const parts = args[0] as unknown[];
    if (!parts.every((p) => p instanceof NDArray && p.dtype === target.dtype)) return null;
    const ndim = target.ndim;
    const axis = (args[1] as number | undefined) ?? 0;
    const ax = axis < 0 ? axis + ndim : axis;
    if (!(ax >= 0 && ax < ndim)) return null;
    const ops: ElementOp[] = [];
    let start = 0;
    for (const p of parts as NDArray[]) {
      // the block of the result that this part fills, as a view with the part's own shape
      const at = target.offset + start * target.strides[ax]!;
      const block =
        name === "concat"
          ? target.view(p.shape, target.strides, at)
          : target.view(p.shape, target.strides.filter((_, i) => i !== ax), at);
      start += name === "concat" ? p.shape[ax]! : 1;
      const op = one("copy", block, [p]);
      if (op === null) return null;
      ops.push(...op);
    }
    return ops;
  }
  return null;
}

function one(name: string, out: unknown, ins: unknown[]): ElementOp[] | null {
  if (!(out instanceof NDArray) || !isFloatArray(out) || !out.writable || out.size === 0 || layout(out) === null) return null;
  for (const x of ins) {
    if (typeof x === "number") continue;
    if (!(x instanceof NDArray) || x.dtype !== out.dtype) return null;
    if (x.size === 1 && out.size > 1) continue;
    if (x.size !== out.size || layout(x) === null) return null;
  }
  if (ins.every((x) => typeof x === "number")) return null;
  // an operand over the output's storage must be the output's very elements, or none of them:
  // the kernel reads all of it before writing (numpy's rule), a loop reads element by element
  for (const x of ins) {
    if (x instanceof NDArray && x.data === out.data && !sameElements(x, out) && !apart(x, out)) return null;
  }
  return [{ name, out, ins: ins as (NDArray | number)[] }];
}

function sameElements(a: NDArray, b: NDArray): boolean {
  if (a.offset !== b.offset || a.size !== b.size) return false;
  if (a.isContiguous() && b.isContiguous()) return true;
  const la = layout(a);
  const lb = layout(b);
  return la !== null && lb !== null && la.run === lb.run && la.stride === lb.stride;
}

/** Rows of contiguous elements in a storage: where they start, how long, how far apart, how many. */
interface Rows {
  offset: number;
  run: number;
  stride: number;
  rows: number;
}

/** Whether two sets of rows in one storage share no element. */
function rowsApart(a: Rows, b: Rows): boolean {
  if (a.run === b.run && a.stride === b.stride && a.rows === b.rows && a.rows > 1) {
    // rows of one stride: apart when the offsets differ by at least a row's length either way, modulo the stride
    const d = (((a.offset - b.offset) % a.stride) + a.stride) % a.stride;
    if (d >= a.run && d <= a.stride - a.run) return true;
  }
  const endA = a.offset + (a.rows - 1) * a.stride + a.run;
  const endB = b.offset + (b.rows - 1) * b.stride + b.run;
  return endA <= b.offset || endB <= a.offset;
}

/** Whether two arrays over one storage (rows of contiguous elements each) share no element. */
function apart(a: NDArray, b: NDArray): boolean {
  const la = layout(a);
  const lb = layout(b);
  if (la === null || lb === null) return false;
  return rowsApart({ offset: a.offset, ...la, rows: a.size / la.run }, { offset: b.offset, ...lb, rows: b.size / lb.run });
}

/**
 * An array as rows of contiguous elements: the length of a row (the whole size when the array
 * is contiguous) and the stride between rows, or null for any other layout.
 */
function layout(a: NDArray): { run: number; stride: number } | null {
  if (a.isContiguous()) return { run: a.size, stride: a.size };
  const run = rowRun(a.shape, a.strides);
  const stride = run > 1 ? rowStride(a.shape, a.strides, run) : NaN;
  return stride === stride ? { run, stride } : null;
}

/** One array a group reads or writes: rows of `cols` elements from `offset`, `stride` apart. */
interface Slot {
  data: Storage;
  offset: number;
  /** the stride between rows; for a contiguous array, the group's row length (fixed at compile) */
  stride: number;
  contiguous: boolean;
  /** a single value read before the loop (an operand of size 1 when the group's size is more) */
  scalar: boolean;
  /** some op of the group writes it */
  written: boolean;
}

/** Whether slot s and array a, both read as rows of `cols`, share no element of their storage. */
function disjoint(s: Slot, a: NDArray, cols: number): boolean {
  const rows = a.size / cols;
  const sa = a.isContiguous() ? cols : layout(a)!.stride;
  const ss = s.contiguous ? cols : s.stride;
  return rowsApart({ offset: a.offset, run: cols, stride: sa, rows }, { offset: s.offset, run: cols, stride: ss, rows });
}

export class FusedGroup {
  readonly ops: ElementOp[] = [];
  readonly slots: Slot[] = [];
  /** The row length: null while every array is contiguous (any divisor of n would do). */
  private cols: number | null = null;
  constructor(
    readonly n: number,
    readonly f32: boolean,
  ) {}

  private slotOf(a: NDArray): number {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      if (s.data === a.data && s.offset === a.offset) return i;
    }
    return -1;
  }

  /** Adds op if it keeps the group one loop (same size, dtype and rows, no shifted aliasing); false if not. */
  tryAdd(op: ElementOp): boolean {
    if (op.out.size !== this.n || (op.out.dtype === "float32") !== this.f32) return false;
    const arrays = [op.out, ...op.ins.filter((x): x is NDArray => x instanceof NDArray)];
    let cols = this.cols;
    for (const a of arrays) {
      const scalar = a.size !== this.n; // size 1, n > 1
      if (scalar) continue;
      const l = layout(a)!;
      if (l.run === a.size) continue; // contiguous: fits any rows
      if (cols === null) cols = l.run;
      else if (l.run !== cols) return false;
    }
    for (const a of arrays) {
      const scalar = a.size !== this.n;
      const at = this.slotOf(a);
      if (at >= 0) {
        const s = this.slots[at]!;
        if (s.scalar !== scalar) return false;
        // the same storage and offset must be the same elements: the same rows
        if (!scalar && (s.contiguous !== a.isContiguous() || (!s.contiguous && s.stride !== layout(a)!.stride))) return false;
      }
      // The same storage at another offset (another gate's columns of one matrix, say) is fine
      // to read, and to write when the two hold no element in common; if they might, element i
      // of one op could be what another iteration of another op writes.
      const writes = a === op.out;
      for (let k = 0; k < this.slots.length; k++) {
        const s = this.slots[k]!;
        if (k === at || s.data !== a.data) continue;
        if (scalar || s.scalar) return false;
        if ((writes || s.written || (at >= 0 && this.slots[at]!.written)) && !disjoint(s, a, cols ?? this.n)) return false;
      }
    }
    this.cols = cols;
    // a single value must not be one the group writes
    if (op.ins.some((x) => x instanceof NDArray && x.size !== this.n && this.ops.some((o) => o.out.data === x.data))) return false;
    if (this.ops.some((o) => o.ins.some((x) => x instanceof NDArray && x.size !== this.n && x.data === op.out.data))) return false;
    for (const a of arrays) {
      if (this.slotOf(a) >= 0) continue;
      const contiguous = a.isContiguous();
      this.slots.push({ data: a.data, offset: a.offset, stride: contiguous ? 0 : layout(a)!.stride, contiguous, scalar: a.size !== this.n, written: false });
    }
    this.slots[this.slotOf(op.out)]!.written = true;
    this.ops.push(op);
    return true;
  }

  /** The generated loop, bound to this group's arrays; null if code cannot be generated here. */
  compile(): (() => void) | null {
    const consts: number[] = [];
    const lines: string[] = [];
    const cur = new Map<number, string>(); // slot -> the local holding its current element
    const written = new Set<number>();
    const hoisted: string[] = [];
    let v = 0;
    const body: string[] = [];
    const cols = this.cols ?? this.n;
    const rows = this.n / cols;
    const at = (s: number) => (rows === 1 ? `a${s}[c]` : `a${s}[p${s} + c]`);
    const operand = (x: NDArray | number): string => {
      if (typeof x === "number") {
        consts.push(this.f32 ? Math.fround(x) : x);
        return `k${consts.length - 1}`;
      }
      const s = this.slotOf(x);
      if (this.slots[s]!.scalar) return `c${s}`;
      let name = cur.get(s);
      if (name === undefined) {
        name = `x${s}`;
        body.push(`const ${name} = ${at(s)};`);
        cur.set(s, name);
      }
      return name;
    };
    for (const op of this.ops) {
      const xs = op.ins.map(operand);
      const e = (UNARY[op.name] ?? BINARY[op.name])!(xs, this.f32);
      const name = `v${v++}`;
      body.push(`const ${name} = ${this.f32 ? `F(${e})` : e};`);
      const s = this.slotOf(op.out);
      cur.set(s, name);
      written.add(s);
    }
    for (const s of written) body.push(`${at(s)} = ${cur.get(s)};`);
    const advance: string[] = [];
    this.slots.forEach((s, i) => {
      if (s.scalar) hoisted.push(`const c${i} = D[${i}][O[${i}]];`);
      else if (rows === 1) hoisted.push(`const a${i} = A[${i}];`);
      else {
        hoisted.push(`const a${i} = D[${i}];`, `let p${i} = O[${i}];`);
        advance.push(`p${i} += ${s.contiguous ? cols : s.stride};`);
      }
    });
    consts.forEach((_, i) => hoisted.push(`const k${i} = K[${i}];`));
    const inner = [`for (let c = 0; c < ${cols}; c++) {`, ...body.map((l) => `  ${l}`), "}"];
    if (rows === 1) lines.push(...hoisted, ...inner);
    else lines.push(...hoisted, `for (let r = 0; r < ${rows}; r++) {`, ...inner.map((l) => `  ${l}`), ...advance.map((l) => `  ${l}`), "}");
    let make: (...deps: unknown[]) => (A: Storage[], D: Storage[], O: number[], K: number[]) => void;
    try {
      make = new Function("E64", "E32", "T64", "T32", "S64", "S32", "F", `"use strict"; return function fused(A, D, O, K) {\n${lines.join("\n")}\n};`) as typeof make;
    } catch {
      return null; // new Function refused (CSP): the kernels run unfused
    }
    const loop = make(exp64, exp32, tanh64, tanh32, sigmoid64, sigmoid32, Math.fround);
    const A = this.slots.map((s) => (s.scalar || rows > 1 ? s.data : (s.data.subarray(s.offset, s.offset + this.n) as Storage)));
    const D = this.slots.map((s) => s.data);
    const O = this.slots.map((s) => s.offset);
    this.source = lines.join("\n");
    this.rows = rows;
    return () => loop(A, D, O, consts);
  }

  /** The loop's rows (1 when every array is contiguous), once compiled. */
  rows = 1;

  /** The generated loop's source, once compiled (for plan printing and tests). */
  source = "";
}
