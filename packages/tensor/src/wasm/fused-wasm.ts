// A fused elementwise loop (fuse.ts) as generated WebAssembly SIMD, for loops of plain
// arithmetic: each op's expression (its kernel's own, KernelInfo.elementwise) is read back
// from its JS source and emitted as f64x2 operations in the same order, so every
// intermediate is the double JS computes; a float32 op's value is then rounded to float32
// (demote, promote), as Math.fround rounds it. Two elements per step. The arrays are staged
// into one shared wasm memory row by row (rows of contiguous elements; a row read by every
// row of the loop is staged once), the loop runs, and the written arrays are copied back.
//
// Only what can be emitted exactly is: + - * /, unary minus, Math.sqrt, Math.abs, Math.max,
// Math.min, numbers, the loop's names, and in float32 loops the calls exp32, tanh32 and
// sigmoid32 of kernels/transcendental.ts, whose cores are emitted as the SIMD twins that
// scripts/gen-transcendental-wasm.mjs builds for the eager kernels: the same operations in
// the same order on the same constants, two lanes at a time, a table entry loaded per lane
// from a copy of EXP2_128 at the bottom of the memory. Any other call, a comparison or
// anything else declines, and the JS loop runs. So do loops of more than two dims, rows not
// contiguous in some array, and engines without WebAssembly SIMD.

import type { Storage } from "../dtype.js";
import { EXP2_128, INV_LN2N, LN2N_HI } from "../kernels/transcendental-tables.js";
import { exp32, sigmoid32, tanh32 } from "../kernels/transcendental.js";
import { EXP2_AT, SCRATCH_AT, SCRATCH_BYTES, TABLE_BYTES, arenaOf, type Arena } from "./arena.js";

/** One array the loop touches: its storage, offset, and strides over the loop's dims (outer first). */
export interface WasmSlot {
  data: Storage;
  offset: number;
  strides: readonly number[];
  read: boolean;
  written: boolean;
  /** one element for the whole loop (read before it) */
  hoisted: boolean;
}

/** The loop's statements in order, over names: loads of slots, ops, stores. */
export type WasmStatement =
  | { kind: "load"; name: string; slot: number }
  | { kind: "op"; name: string; expr: string; fns?: Readonly<Record<string, (x: number) => number>> }
  | { kind: "store"; slot: number; name: string };

export interface WasmLoopSpec {
  f32: boolean;
  /** the loop's dims, outer first (one or two) */
  ext: readonly number[];
  slots: readonly WasmSlot[];
  consts: readonly number[];
  statements: readonly WasmStatement[];
}

// ---------------------------------------------------------------- expressions

type Node =
  | { t: "num"; v: number }
  | { t: "name"; v: string }
  | { t: "neg"; a: Node }
  | { t: "bin"; op: "+" | "-" | "*" | "/"; a: Node; b: Node }
  | { t: "call"; f: "sqrt" | "abs" | "max" | "min"; args: Node[] }
  | { t: "fn"; f: string; a: Node };

const ARITY = { sqrt: 1, abs: 1, max: 2, min: 2 } as const;

/** Parses a kernel's JS expression; null for anything outside the emitted subset. */
export function parseExpr(src: string): Node | null {
  const toks = src.match(/\s*(Math\.[a-z]+|[A-Za-z_$][\w$]*|\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|[-+*/(),]|\S)/gy);
  if (toks === null || toks.join("").replace(/\s+/g, "") !== src.replace(/\s+/g, "")) return null;
  const t = toks.map((s) => s.trim());
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(src);
  };
  const primary = (): Node => {
    const s = t[i++];
    if (s === undefined) return fail();
    if (s === "(") {
      const e = sum();
      if (t[i++] !== ")") fail();
      return e;
    }
    if (s === "-") return { t: "neg", a: primary() };
    if (s.startsWith("Math.")) {
      const f = s.slice(5);
      if (!(f in ARITY) || t[i++] !== "(") return fail();
      const args = [sum()];
      while (t[i] === ",") {
        i++;
        args.push(sum());
      }
      if (t[i++] !== ")" || args.length !== ARITY[f as keyof typeof ARITY]) fail();
      return { t: "call", f: f as keyof typeof ARITY, args };
    }
    if (/^[\d.]/.test(s)) return { t: "num", v: Number(s) };
    if (/^[A-Za-z_$]/.test(s) && t[i] !== "(") return { t: "name", v: s };
    if (/^[A-Za-z_$]/.test(s)) {
      i++; // a one-argument call of a kernel's function
      const a = sum();
      if (t[i++] !== ")") fail();
      return { t: "fn", f: s, a };
    }
    return fail();
  };
  const product = (): Node => {
    let a = primary();
    while (t[i] === "*" || t[i] === "/") {
      const op = t[i++] as "*" | "/";
      a = { t: "bin", op, a, b: primary() };
    }
    return a;
  };
  const sum = (): Node => {
    let a = product();
    while (t[i] === "+" || t[i] === "-") {
      const op = t[i++] as "+" | "-";
      a = { t: "bin", op, a, b: product() };
    }
    return a;
  };
  try {
    const e = sum();
    return i === t.length ? e : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- binary encoding

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const f64bytes = (v: number): number[] => Array.from(new Uint8Array(new Float64Array([v]).buffer));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const SIMD = 0xfd;
const OP = {
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Const: 0x41, i32Add: 0x6a, i32Mul: 0x6c, i32LtU: 0x49,
  loop: 0x03, block: 0x02, brIf: 0x0d, end: 0x0b, void: 0x40, f32Load: 0x2a, f64Load: 0x2b, f64PromoteF32: 0xbb, f64Const: 0x44,
} as const;
// SIMD opcodes (after 0xfd, LEB128)
const V = {
  load: 0x00, store: 0x0b, load64Zero: 0x5d, store64Lane: 0x5b, f64x2Splat: 0x14, demote: 0x5e, promote: 0x5f,
  add: 0xf0, sub: 0xf1, mul: 0xf2, div: 0xf3, min: 0xf4, max: 0xf5, neg: 0xed, abs: 0xec, sqrt: 0xef,
  pmin: 0xf6, pmax: 0xf7, and: 0x4e, iadd: 0xae, shrS: 0xac, shl: 0xab, truncSatZero: 0xfc, i64Shl: 0xcb, extendLow: 0xc7,
  load64Lane: 0x57, extractLane: 0x1b, const: 0x0c,
} as const;

/** float32x4 opcodes, for loops whose every op is one IEEE operation (see fourLanes). */
const V4 = { "+": 0xe4, "-": 0xe5, "*": 0xe6, "/": 0xe7, min: 0xe8, max: 0xe9, neg: 0xe1, abs: 0xe0, sqrt: 0xe3, splat: 0x13 } as const;
const OP_F32_CONST = 0x43;

/**
 * Whether a float32 loop can run four float32 lanes at a time: every op is one operation (+ - *
 * /, minus, sqrt, abs, max, min) of names or float32 numbers, or a copy. Such an op rounded to
 * float32 once is what JS computes (a double result of float32 operands, rounded by
 * Math.fround: double rounding is harmless for these, the double having more than twice the
 * bits), so float32 arithmetic gives the same bits; a longer expression (g * s * (1 - s))
 * rounds once after several double operations and needs the two-lane form.
 */
function fourLanes(spec: WasmLoopSpec): boolean {
  if (!spec.f32) return false;
  const leaf = (n: Node) => n.t === "name" || (n.t === "num" && Object.is(Math.fround(n.v), n.v));
  for (const st of spec.statements) {
    if (st.kind !== "op") continue;
    const n = parseExpr(st.expr);
    if (n === null) return false;
    const one = n.t === "name" || (n.t === "neg" && leaf(n.a)) || (n.t === "bin" && leaf(n.a) && leaf(n.b)) || (n.t === "call" && n.args.every(leaf));
    if (!one) return false;
  }
  return true;
}

const SHIFT = 6755399441055744;

/** The kernel functions a float32 loop may call, each emitted as its SIMD twin (see TWINS). */
const TRANSCENDENTAL: Readonly<Record<string, (x: number) => number>> = { exp32, tanh32, sigmoid32 };
const BIN = { "+": V.add, "-": V.sub, "*": V.mul, "/": V.div } as const;

/** Code that pushes one v128. */
type X = () => void;

/** The operations the twins are written in (gen-transcendental-wasm.mjs's, by the same names). */
interface Twin {
  F(v: number): X;
  I(v: number): X;
  add(a: X, b: X): X;
  sub(a: X, b: X): X;
  mul(a: X, b: X): X;
  div(a: X, b: X): X;
  neg(a: X): X;
  pmin(a: X, b: X): X;
  pmax(a: X, b: X): X;
  and(a: X, b: X): X;
  iadd(a: X, b: X): X;
  shr(a: X, n: number): X;
  shl(a: X, n: number): X;
  toInt(kd: X): X;
  /** 2^e for a normal exponent e in lanes 0 and 1, built from its bits */
  pow2(e: X): X;
  /** EXP2_128[j] per lane, j (byte offsets) in lanes 0 and 1 */
  lookup(j: X): X;
  /** evaluates e into a fresh local now; returns its reading */
  let(e: X): X;
  x(local: number): X;
}

/**
 * The float32 cores of kernels/transcendental.ts as SIMD (x in a local, two float64 lanes),
 * operation for operation as scripts/gen-transcendental-wasm.mjs writes them for the eager
 * kernels; each pushes its result.
 */
const TWINS: Readonly<Record<string, (w: Twin, x: number) => void>> = {
  exp32(w, xl) {
    const x = w.x(xl);
    const xc = w.let(w.pmax(w.pmin(x, w.F(89)), w.F(-104)));
    const kd = w.let(w.sub(w.add(w.mul(xc, w.F(INV_LN2N)), w.F(SHIFT)), w.F(SHIFT)));
    const ki = w.let(w.toInt(kd));
    const r = w.let(w.sub(xc, w.mul(kd, w.F(LN2N_HI))));
    const p = w.let(w.add(r, w.mul(w.mul(r, r), w.add(w.F(0.5), w.mul(r, w.F(1 / 6))))));
    const t = w.let(w.lookup(w.let(w.shl(w.and(ki, w.I(127)), 3))));
    w.mul(w.add(t, w.mul(t, p)), w.pow2(w.shr(ki, 7)))();
  },
  tanh32(w, xl) {
    const x = w.x(xl);
    const xc = w.let(w.pmax(w.pmin(x, w.F(10)), w.F(-10)));
    const kd = w.let(w.sub(w.add(w.mul(xc, w.F(2 * INV_LN2N)), w.F(SHIFT)), w.F(SHIFT)));
    const ki = w.let(w.toInt(kd));
    const r = w.let(w.sub(w.mul(w.F(2), xc), w.mul(kd, w.F(LN2N_HI))));
    const p = w.let(w.mul(r, w.add(w.F(1), w.mul(r, w.add(w.F(0.5), w.mul(r, w.F(1 / 6)))))));
    const s = w.let(w.mul(w.lookup(w.let(w.shl(w.and(ki, w.I(127)), 3))), w.pow2(w.shr(ki, 7))));
    const u = w.let(w.add(w.neg(w.sub(w.F(1), s)), w.mul(s, p)));
    w.div(u, w.add(u, w.F(2)))();
  },
  sigmoid32(w, xl) {
    const x = w.x(xl);
    const xc = w.let(w.pmax(w.pmin(w.neg(x), w.F(104)), w.F(-104)));
    const kd = w.let(w.sub(w.add(w.mul(xc, w.F(INV_LN2N)), w.F(SHIFT)), w.F(SHIFT)));
    const ki = w.let(w.toInt(kd));
    const r = w.let(w.sub(xc, w.mul(kd, w.F(LN2N_HI))));
    const p = w.let(w.add(r, w.mul(w.mul(r, r), w.add(w.F(0.5), w.mul(r, w.F(1 / 6))))));
    const t = w.let(w.lookup(w.let(w.shl(w.and(ki, w.I(127)), 3))));
    w.div(w.F(1), w.add(w.F(1), w.mul(w.add(t, w.mul(t, p)), w.pow2(w.shr(ki, 7)))))();
  },
};

/** The bytes of a module importing env.memory and exporting run(): the loop. Null if the spec is outside the subset. */
function moduleBytes(spec: WasmLoopSpec, layout: Layout): Uint8Array | null {
  const E = spec.f32 ? 4 : 8;
  const four = layout.lanes === 4;
  const f32splat = (v: number) => constant(`s ${Object.is(v, -0) ? "-0" : v}`, Array.from(new Uint8Array(new Float32Array([v, v, v, v]).buffer)));
  // locals: 0 row, 1 col (bytes), 2.. slot row pointers (i32); then v128 values
  const slotPtr = (k: number) => 2 + k;
  const nI32 = 2 + spec.slots.length;
  const vals = new Map<string, number>();
  const vlocal = (name: string) => {
    if (!vals.has(name)) vals.set(name, nI32 + vals.size);
    return vals.get(name)!;
  };
  let code: number[] = [];
  const simd = (op: number) => code.push(SIMD, ...uleb(op));
  // splat constants, made once before the loops (as v128.const inside a loop, V8 rebuilds one on every iteration)
  const pre: number[] = [];
  const constLocals = new Map<string, number>();
  const constant = (key: string, bytes: number[]): number => {
    let l = constLocals.get(key);
    if (l === undefined) {
      l = vlocal(`#${key}`);
      constLocals.set(key, l);
      pre.push(SIMD, ...uleb(V.const), ...bytes, OP.localSet, ...uleb(l));
    }
    return l;
  };
  const f64x2 = (v: number) => constant(`f ${Object.is(v, -0) ? "-0" : v}`, [...f64bytes(v), ...f64bytes(v)]);
  const i32x4 = (v: number) => constant(`i ${v}`, Array.from(new Uint8Array(new Int32Array([v, v, v, v]).buffer)));
  let temps = 0;
  const emit = (n: Node): boolean => {
    switch (n.t) {
      case "num":
        code.push(OP.localGet, ...uleb(four ? f32splat(n.v) : f64x2(n.v)));
        return true;
      case "fn": {
        const fn = TRANSCENDENTAL[n.f];
        if (!spec.f32 || fn === undefined || currentFns?.[n.f] !== fn || !emit(n.a)) return false;
        const x = vlocal(`#t${temps++}`);
        code.push(OP.localSet, ...uleb(x));
        TWINS[n.f]!(twin, x);
        return true;
      }
      case "name":
        if (!vals.has(n.v)) return false;
        code.push(OP.localGet, ...uleb(vals.get(n.v)!));
        return true;
      case "neg":
        if (!emit(n.a)) return false;
        simd(four ? V4.neg : V.neg);
        return true;
      case "bin":
        if (!emit(n.a) || !emit(n.b)) return false;
        simd(four ? V4[n.op] : BIN[n.op]);
        return true;
      case "call":
        for (const a of n.args) if (!emit(a)) return false;
        simd(four ? V4[n.f] : V[n.f]);
        return true;
    }
  };
  // the SIMD twins' building blocks: each pushes one v128 onto the stack
  const get = (l: number): X => () => code.push(OP.localGet, ...uleb(l));
  const op2 = (o: number) => (a: X, b: X): X => () => {
    a();
    b();
    simd(o);
  };
  const op1 = (o: number) => (a: X): X => () => {
    a();
    simd(o);
  };
  const shift = (o: number) => (a: X, n: number): X => () => {
    a();
    code.push(OP.i32Const, ...sleb(n));
    simd(o);
  };
  const twin: Twin = {
    F: (v) => get(f64x2(v)),
    I: (v) => get(i32x4(v)),
    add: op2(V.add), sub: op2(V.sub), mul: op2(V.mul), div: op2(V.div), neg: op1(V.neg), pmin: op2(V.pmin), pmax: op2(V.pmax),
    and: op2(V.and), iadd: op2(V.iadd), shr: shift(V.shrS), shl: shift(V.shl), toInt: op1(V.truncSatZero),
    pow2: (e) => shift(V.i64Shl)(op1(V.extendLow)(op2(V.iadd)(e, get(i32x4(1023)))), 52),
    lookup: (j) => () => {
      // (v128.load64_lane offset=EXP2 1 (extract_lane 1 j) (v128.load64_zero offset=EXP2 (extract_lane 0 j)))
      j();
      simd(V.extractLane);
      code.push(1);
      j();
      simd(V.extractLane);
      code.push(0);
      simd(V.load64Zero);
      code.push(3, ...uleb(EXP2_AT));
      simd(V.load64Lane);
      code.push(3, ...uleb(EXP2_AT), 1);
    },
    let: (e) => {
      const l = vlocal(`#t${temps++}`);
      e();
      code.push(OP.localSet, ...uleb(l));
      return get(l);
    },
    x: get,
  };
  let currentFns: Readonly<Record<string, (x: number) => number>> | undefined;
  // before the loops: the loop's constants and hoisted values, splat into locals
  spec.consts.forEach((c, i) => {
    if (four) code.push(OP_F32_CONST, ...new Uint8Array(new Float32Array([c]).buffer));
    else code.push(OP.f64Const, ...f64bytes(c));
    simd(four ? V4.splat : V.f64x2Splat);
    code.push(OP.localSet, ...uleb(vlocal(`k${i}`)));
  });
  spec.slots.forEach((s, k) => {
    if (!s.hoisted) return;
    code.push(OP.i32Const, ...sleb(layout.base[k]!), spec.f32 ? OP.f32Load : OP.f64Load, spec.f32 ? 2 : 3, 0);
    if (four) simd(V4.splat);
    else {
      if (spec.f32) code.push(OP.f64PromoteF32);
      simd(V.f64x2Splat);
    }
    code.push(OP.localSet, ...uleb(vlocal(`h${k}`)));
  });
  // for (row = 0; row < rows; row++) { slot pointers; for (col = 0; col < rowBytes; col += 2E) body }
  code.push(OP.i32Const, 0, OP.localSet, 0);
  code.push(OP.loop, OP.void);
  spec.slots.forEach((s, k) => {
    if (s.hoisted) return;
    code.push(OP.localGet, 0, OP.i32Const, ...sleb(layout.rowBytes[k]!), OP.i32Mul, OP.i32Const, ...sleb(layout.base[k]!), OP.i32Add, OP.localSet, ...uleb(slotPtr(k)));
  });
  code.push(OP.i32Const, 0, OP.localSet, 1);
  code.push(OP.loop, OP.void);
  for (const st of spec.statements) {
    if (st.kind === "load") {
      code.push(OP.localGet, ...uleb(slotPtr(st.slot)), OP.localGet, 1, OP.i32Add);
      if (four) {
        simd(V.load);
        code.push(2, 0);
      } else if (spec.f32) {
        simd(V.load64Zero);
        code.push(3, 0);
        simd(V.promote);
      } else {
        simd(V.load);
        code.push(4, 0);
      }
      code.push(OP.localSet, ...uleb(vlocal(st.name)));
    } else if (st.kind === "op") {
      currentFns = st.fns;
      const n = parseExpr(st.expr);
      if (n === null || !emit(n)) return null;
      if (spec.f32 && !four) {
        simd(V.demote);
        simd(V.promote);
      }
      code.push(OP.localSet, ...uleb(vlocal(st.name)));
    } else {
      code.push(OP.localGet, ...uleb(slotPtr(st.slot)), OP.localGet, 1, OP.i32Add);
      if (!vals.has(st.name)) return null;
      code.push(OP.localGet, ...uleb(vals.get(st.name)!));
      if (four) {
        simd(V.store);
        code.push(2, 0);
      } else if (spec.f32) {
        simd(V.demote);
        simd(V.store64Lane);
        code.push(3, 0, 0);
      } else {
        simd(V.store);
        code.push(4, 0);
      }
    }
  }
  // col += lanes * E; continue while col < cols * E (cols padded to a multiple of the lanes)
  code.push(OP.localGet, 1, OP.i32Const, ...sleb(layout.lanes * E), OP.i32Add, OP.localTee, 1, OP.i32Const, ...sleb(layout.colsPad * E), OP.i32LtU, OP.brIf, 0, OP.end);
  code.push(OP.localGet, 0, OP.i32Const, 1, OP.i32Add, OP.localTee, 0, OP.i32Const, ...sleb(layout.rows), OP.i32LtU, OP.brIf, 0, OP.end);
  code.push(OP.end);
  code = [...pre, ...code];
  const locals = [...uleb(2), ...uleb(nI32), 0x7f, ...uleb(Math.max(vals.size, 0)), 0x7b];
  const body = [...locals, ...code];
  const func = [...uleb(body.length), ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 0]),
    ...section(2, [1, 3, ...[..."env"].map((c) => c.charCodeAt(0)), 6, ...[..."memory"].map((c) => c.charCodeAt(0)), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, 3, ...[..."run"].map((c) => c.charCodeAt(0)), 0x00, 0x00]),
    ...section(10, [1, ...func]),
  ];
  return new Uint8Array(bytes);
}

// ---------------------------------------------------------------- staging and running

/** Where each slot lies in wasm memory (bytes) and how far apart its rows are (0: one row for all). */
interface Layout {
  rows: number;
  cols: number;
  colsPad: number;
  /** elements a step: 4 (float32 lanes, see fourLanes) or 2 (float64 lanes) */
  lanes: 2 | 4;
  base: number[];
  rowBytes: number[];
  bytes: number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
}

let memory: { buffer: ArrayBuffer; grow(pages: number): number } | null | undefined;
let views: { buffer: ArrayBuffer; f32: Float32Array; f64: Float64Array } | undefined;

function shared(): typeof memory {
  if (memory === undefined) {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      memory = api ? new api.Memory({ initial: 1 }) : null;
      if (memory) new Float64Array(memory.buffer, EXP2_AT, 128).set(EXP2_128);
    } catch {
      memory = null;
    }
  }
  return memory;
}

function room(bytes: number): { buffer: ArrayBuffer; f32: Float32Array; f64: Float64Array } | null {
  const m = shared();
  if (!m) return null;
  if (m.buffer.byteLength < bytes) {
    try {
      m.grow(Math.ceil((bytes - m.buffer.byteLength) / 65536));
    } catch {
      return null;
    }
  }
  if (views === undefined || views.buffer !== m.buffer) views = { buffer: m.buffer, f32: new Float32Array(m.buffer), f64: new Float64Array(m.buffer) };
  return views;
}

let made = 0;
let madeFour = 0;
let madeInPlace = 0;
/** @internal tests: how many loops were made to run in place, over arrays in an arena, since the last call (which resets it). */
export function takeInPlaceCount(): number {
  const n = madeInPlace;
  madeInPlace = 0;
  return n;
}
/** @internal tests: how many loops were made with four float32 lanes since the last call (which resets it). */
export function takeFourLaneCount(): number {
  const n = madeFour;
  madeFour = 0;
  return n;
}
/** @internal tests: how many loops were made as wasm since the last call (which resets it). */
export function takeWasmLoopCount(): number {
  const n = made;
  made = 0;
  return n;
}

let enabled = true;
/** @internal tests and benchmarks: whether fused loops may run as wasm (default true); returns the previous setting. */
export function setFusedWasm(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Fewer elements than this stay in JS: the staging's fixed cost is larger than what SIMD saves. */
let MIN_ELEMENTS = 256;

/** @internal tests: the fewest elements a loop needs to run as wasm (default 256); returns the previous value. */
export function setWasmMinElements(n: number): number {
  const prev = MIN_ELEMENTS;
  MIN_ELEMENTS = n;
  return prev;
}
/** Beyond this much staging memory, the JS loop runs. */
const MAX_BYTES = 1 << 28;

/**
 * The loop as a wasm function over staged copies of its arrays, or null where it cannot be
 * emitted exactly (see the file's opening) or WebAssembly SIMD is missing here.
 */
export function wasmLoop(spec: WasmLoopSpec): (() => void) | null {
  if (!enabled || spec.ext.length < 1 || spec.ext.length > 2) return null;
  const [rows, cols] = spec.ext.length === 1 ? [1, spec.ext[0]!] : [spec.ext[0]!, spec.ext[1]!];
  if (rows * cols < MIN_ELEMENTS) return null;
  const E = spec.f32 ? 4 : 8;
  const lanes = fourLanes(spec) ? 4 : 2;
  const inPlace = inPlaceLoop(spec, rows, cols, lanes);
  if (inPlace !== null) return inPlace;
  const colsPad = Math.ceil(cols / lanes) * lanes;
  const base: number[] = [];
  const rowBytes: number[] = [];
  let at = TABLE_BYTES;
  for (const s of spec.slots) {
    const inner = s.strides[s.strides.length - 1]!;
    const outer = spec.ext.length === 2 ? s.strides[0]! : 0;
    if (!s.hoisted && inner !== 1) return null; // rows must be contiguous to stage with set()
    base.push(at);
    const r = s.hoisted ? 0 : outer === 0 ? colsPad * E : colsPad * E;
    rowBytes.push(s.hoisted || outer === 0 ? 0 : r);
    at += s.hoisted ? 16 : (outer === 0 ? 1 : rows) * colsPad * E;
    at = Math.ceil(at / 16) * 16;
  }
  if (at > MAX_BYTES) return null;
  const layout: Layout = { rows, cols, colsPad, lanes, base, rowBytes, bytes: at };
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  const mem = shared();
  if (!api || !mem) return null;
  let run: () => void;
  try {
    const bytes = moduleBytes(spec, layout);
    if (bytes === null) return null;
    run = new api.Instance(new api.Module(bytes), { env: { memory: mem } }).exports.run as () => void;
  } catch {
    return null; // no SIMD here, or a CSP without wasm-unsafe-eval
  }
  // the copies a call makes, their source views made once (a plan's arrays stay its own):
  // rows into the staging area, the loop, then written rows back
  type Typed = Float32Array | Float64Array;
  const ins: { src: Typed; at: number }[] = [];
  const hoist: { data: Typed; offset: number; at: number }[] = [];
  const outs: { dst: Typed; offset: number; at: number; n: number }[] = [];
  spec.slots.forEach((s, k) => {
    const d = s.data as Typed;
    const at = base[k]! / E;
    if (s.hoisted) {
      if (s.read) hoist.push({ data: d, offset: s.offset, at });
      return;
    }
    const outer = spec.ext.length === 2 ? s.strides[0]! : 0;
    const staged = spec.ext.length === 2 && outer === 0 ? 1 : rows;
    // rows that lie end to end in the array and in the staging area go in one copy
    const whole = staged === 1 || (outer === cols && colsPad === cols);
    const runs = whole ? [{ p: s.offset, q: at, n: staged * cols }] : Array.from({ length: staged }, (_, i) => ({ p: s.offset + i * outer, q: at + i * colsPad, n: cols }));
    for (const r of runs) {
      if (s.read) ins.push({ src: d.subarray(r.p, r.p + r.n), at: r.q });
      if (s.written) outs.push({ dst: d, offset: r.p, at: r.q, n: r.n });
    }
  });
  const f32 = spec.f32;
  let outViews: { buffer: ArrayBuffer; list: Typed[] } | undefined;
  made++;
  if (lanes === 4) madeFour++;
  return () => {
    const v = room(layout.bytes);
    if (v === null) throw new Error("fused wasm loop: its staging memory could not be had");
    const m: Typed = f32 ? v.f32 : v.f64;
    for (let i = 0; i < hoist.length; i++) m[hoist[i]!.at] = hoist[i]!.data[hoist[i]!.offset]!;
    for (let i = 0; i < ins.length; i++) m.set(ins[i]!.src, ins[i]!.at);
    run();
    if (outViews === undefined || outViews.buffer !== v.buffer) outViews = { buffer: v.buffer, list: outs.map((o) => m.subarray(o.at, o.at + o.n)) };
    const list = outViews.list;
    for (let i = 0; i < outs.length; i++) outs[i]!.dst.set(list[i]!, outs[i]!.offset);
  };
}

/**
 * The loop run where its arrays lie: when every array it steps through is in one arena
 * (wasm/arena.ts, a compiled program's own arrays), its rows hold a whole number of SIMD steps
 * (nothing is read or written past a row's end), and arrays that share bytes with a written
 * one are the same elements in the same order or bytes apart, so that reading four (or two)
 * elements before writing them is what the element-by-element loop does. Hoisted values go
 * through the arena's scratch. Null otherwise: the loop stages.
 */
function inPlaceLoop(spec: WasmLoopSpec, rows: number, cols: number, lanes: 2 | 4): (() => void) | null {
  if (cols % lanes !== 0) return null;
  const E = spec.f32 ? 4 : 8;
  let arena: Arena | undefined;
  let hoisted = 0;
  const extents: { lo: number; hi: number; s: WasmSlot }[] = [];
  for (const s of spec.slots) {
    if (s.hoisted) {
      hoisted++;
      continue;
    }
    const d = s.data as Float32Array | Float64Array;
    const a = arenaOf(d.buffer);
    if (a === undefined || (arena !== undefined && a !== arena)) return null;
    arena = a;
    if (s.strides[s.strides.length - 1] !== 1) return null;
    const outer = spec.ext.length === 2 ? s.strides[0]! : 0;
    if (outer < 0 || (s.written && outer !== 0 && outer < cols)) return null;
    const lo = d.byteOffset + s.offset * E;
    extents.push({ lo, hi: lo + ((outer === 0 ? 0 : (rows - 1) * outer) + cols) * E, s });
  }
  if (arena === undefined || hoisted * 16 > SCRATCH_BYTES) return null;
  for (let i = 0; i < extents.length; i++) {
    for (let j = i + 1; j < extents.length; j++) {
      const [x, y] = [extents[i]!, extents[j]!];
      if (!x.s.written && !y.s.written) continue;
      if (x.hi <= y.lo || y.hi <= x.lo) continue;
      const same = x.lo === y.lo && x.s.strides.length === y.s.strides.length && x.s.strides.every((v, k) => v === y.s.strides[k]);
      if (same) continue;
      // rows of one wider array, side by side (the gates of an LSTM): the same row period P,
      // and each row's columns clear of the other's in every row
      const P = spec.ext.length === 2 ? x.s.strides[0]! * E : 0;
      if (P > 0 && y.s.strides[0]! * E === P) {
        const m = (((x.lo - y.lo) % P) + P) % P;
        if (m >= cols * E && P - m >= cols * E) continue;
      }
      return null;
    }
  }
  const base: number[] = [];
  const rowBytes: number[] = [];
  const hoist: { data: Float32Array | Float64Array; offset: number; at: number }[] = [];
  let scratch = SCRATCH_AT;
  for (const s of spec.slots) {
    const d = s.data as Float32Array | Float64Array;
    if (s.hoisted) {
      base.push(scratch);
      rowBytes.push(0);
      if (s.read) hoist.push({ data: d, offset: s.offset, at: scratch / E });
      scratch += 16;
      continue;
    }
    base.push(d.byteOffset + s.offset * E);
    rowBytes.push(spec.ext.length === 2 ? s.strides[0]! * E : 0);
  }
  const layout: Layout = { rows, cols, colsPad: cols, lanes, base, rowBytes, bytes: arena.buffer.byteLength };
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  let run: () => void;
  try {
    const bytes = moduleBytes(spec, layout);
    if (bytes === null) return null;
    run = new api.Instance(new api.Module(bytes), { env: { memory: arena.memory } }).exports.run as () => void;
  } catch {
    return null;
  }
  made++;
  madeInPlace++;
  if (lanes === 4) madeFour++;
  const m = spec.f32 ? new Float32Array(arena.buffer, 0, SCRATCH_AT / 4 + SCRATCH_BYTES / 4) : new Float64Array(arena.buffer, 0, SCRATCH_AT / 8 + SCRATCH_BYTES / 8);
  if (hoist.length === 0) return run;
  return () => {
    for (let i = 0; i < hoist.length; i++) m[hoist[i]!.at] = hoist[i]!.data[hoist[i]!.offset]!;
    run();
  };
}
