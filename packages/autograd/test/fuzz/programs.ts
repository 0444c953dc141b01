// Random tensor programs for compile's differential fuzzer: a few leaves (arguments, parameters
// and constants captured by the step, some of them strided views of a larger buffer, broadcast
// views, or views of another leaf's storage), a chain of ops over them (elementwise, reductions,
// views, joins, matmul, softmax, casts, in-place writes through `out`), a loss, its backward and
// an SGD-like in-place update. The arbiter is compile-harness.ts: compiled == eager, bitwise.
//
// A program is plain data (program.ts's `Program`), resolved from fast-check's raw integers so
// that every drawn program is valid by construction and shrinks by shrinking those integers;
// `paste` prints one as a vitest block that rebuilds it from literals.

import fc from "fast-check";
import * as nd from "@tapegrad/tensor";
import { NDArray } from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { Tensor, tensor } from "@tapegrad/autograd";
import { Divergence, differential, type Outcome, type Subject } from "../compile-harness.js";

// ---------------------------------------------------------------- the program, as data

export type FloatDType = "float64" | "float32";
export type SliceTriple = [number | null, number | null, number];

/** How a state leaf's array is laid out over its storage. */
export type Layout =
  | { kind: "plain" }
  /** a view `base.permute(axes)` of a contiguous base */
  | { kind: "permuted"; axes: number[] }
  /** a view `base.slice(specs)` of a larger contiguous base (steps, negative too) */
  | { kind: "sliced"; base: number[]; specs: SliceTriple[] }
  /** a read-only view `base.broadcastTo(shape)` of a smaller base (zero strides) */
  | { kind: "broadcast"; from: number[] };

export type Leaf =
  /** a step argument (copied into a placeholder by compile) */
  | { role: "arg"; shape: number[]; dtype: FloatDType; requiresGrad: boolean }
  /** state the step closes over; a param requires grad and is updated in place after backward */
  | { role: "param" | "const"; shape: number[]; dtype: FloatDType; layout: Layout }
  /** a constant over another leaf's storage: the same view, its axes reversed, or axis 0 flipped */
  | { role: "alias"; of: number; how: "same" | "reversed" | "flip0"; shape: number[]; dtype: FloatDType };

export type UnaryFn = "neg" | "abs" | "sqrtAbs" | "square" | "exp" | "tanh" | "sigmoid" | "relu" | "logPos"
  // issue 26's math (kept finite: bounded inputs or bounded results)
  | "atan" | "asinh" | "sinh" | "exp2Tanh" | "log2Pos" | "rsqrtPos" | "asinHalfTanh" | "floor" | "frac" | "round" | "sign";
export type ScanFn = "cumsum" | "cumprod" | "logcumsumexp" | "sort" | "cummax";
export type BinaryFn = "add" | "sub" | "mul" | "div" | "maximum" | "minimum" | "atan2" | "hypot" | "remainder" | "logaddexp";

/** One op; `a`, `b`, `parts` name registers: leaves first, then each op's result in order. */
export type Op =
  | { op: "unary"; fn: UnaryFn; a: number }
  | { op: "binary"; fn: BinaryFn; a: number; b: number }
  | { op: "scalar"; fn: BinaryFn; a: number; k: number; left: boolean }
  | { op: "reduce"; fn: "sum" | "mean" | "max"; a: number; axes: number[] | null; keepdims: boolean }
  | { op: "softmax" | "logSoftmax"; a: number; axis: number }
  /** a scan or a sort along one axis (same shape): cumsum, cumprod, logcumsumexp, sort's or cummax's values */
  | { op: "scan"; fn: ScanFn; a: number; axis: number; reverse: boolean }
  /** indexing along one axis, same shape: flip, roll by k, or gather with indices (p * 5 + k) mod n */
  | { op: "index"; fn: "flip" | "roll" | "gather"; a: number; axis: number; k: number }
  | { op: "permute"; a: number; axes: number[] }
  | { op: "reshape"; a: number; shape: number[] }
  | { op: "slice"; a: number; specs: (SliceTriple | number | null)[] }
  | { op: "broadcastTo"; a: number; shape: number[] }
  | { op: "squeeze" | "unsqueeze"; a: number; axis: number }
  | { op: "contiguous"; a: number }
  | { op: "concat" | "stack"; parts: number[]; axis: number }
  | { op: "matmul"; a: number; b: number; transA: boolean; transB: boolean }
  | { op: "astype"; a: number; dtype: FloatDType }
  /** nd[fn](leaf.data, src, out = leaf.data): an in-place write into a constant the chain reads (register: that leaf) */
  | { op: "inplace"; fn: "add" | "sub" | "mul"; target: number; src: number | null; srcT: boolean; k: number };

export interface Program {
  dtype: FloatDType;
  seed: number;
  leaves: Leaf[];
  ops: Op[];
  loss: "sum" | "mean" | "sumSquare" | "meanSquare";
  /** an op register returned beside the loss, or null */
  ret: number | null;
  /** after backward: SGD on the params (`sgd`), also with weight decay (`decay`), or none */
  update: "none" | "sgd" | "decay";
}

// ---------------------------------------------------------------- running one

function seeded(seed: number, shape: readonly number[], dtype: FloatDType): NDArray {
  const a = new nd.RandomState(seed).randn(...shape);
  return dtype === "float64" ? a : a.astype(dtype);
}

function swapLast(shape: readonly number[]): number[] {
  const n = shape.length;
  return shape.map((_, i) => (i === n - 2 ? n - 1 : i === n - 1 ? n - 2 : i));
}

function stateArrays(p: Program): { data: (NDArray | null)[]; bases: (NDArray | null)[] } {
  const data: (NDArray | null)[] = [];
  const bases: (NDArray | null)[] = [];
  p.leaves.forEach((l, k) => {
    if (l.role === "arg") {
      data.push(null);
      bases.push(null);
      return;
    }
    if (l.role === "alias") {
      const src = data[l.of]!;
      const v = l.how === "same" ? src : l.how === "reversed" ? src.transpose() : src.slice([null, null, -1]);
      data.push(v);
      bases.push(null);
      return;
    }
    const s = p.seed * 17 + k;
    const lay = l.layout;
    let base: NDArray;
    let v: NDArray;
    if (lay.kind === "plain") v = base = seeded(s, l.shape, l.dtype);
    else if (lay.kind === "permuted") {
      const bshape = new Array<number>(l.shape.length);
      lay.axes.forEach((ax, i) => (bshape[ax] = l.shape[i]!));
      base = seeded(s, bshape, l.dtype);
      v = base.permute(...lay.axes);
    } else if (lay.kind === "sliced") {
      base = seeded(s, lay.base, l.dtype);
      v = base.slice(...lay.specs);
    } else {
      base = seeded(s, lay.from, l.dtype);
      v = base.broadcastTo(l.shape);
    }
    data.push(v);
    bases.push(base);
  });
  return { data, bases };
}

const UNARY: Record<UnaryFn, (t: Tensor) => Tensor> = {
  neg: (t) => t.neg(),
  abs: (t) => t.abs(),
  sqrtAbs: (t) => t.abs().sqrt(),
  square: (t) => t.square(),
  exp: (t) => t.exp(),
  tanh: (t) => t.tanh(),
  sigmoid: (t) => t.sigmoid(),
  relu: (t) => t.relu(),
  logPos: (t) => t.abs().add(0.5).log(),
  atan: (t) => t.atan(),
  asinh: (t) => t.asinh(),
  sinh: (t) => t.tanh().sinh(),
  exp2Tanh: (t) => t.tanh().exp2(),
  log2Pos: (t) => t.abs().add(0.5).log2(),
  rsqrtPos: (t) => t.abs().add(0.5).rsqrt(),
  asinHalfTanh: (t) => t.tanh().mul(0.5).asin(),
  floor: (t) => t.floor(),
  frac: (t) => t.frac(),
  round: (t) => t.round(),
  sign: (t) => t.sign(),
};

function binary(fn: BinaryFn, a: Tensor | number, b: Tensor | number): Tensor {
  switch (fn) {
    case "add": return ag.add(a, b);
    case "sub": return ag.sub(a, b);
    case "mul": return ag.mul(a, b);
    // a divisor kept away from 0, so that values stay finite
    case "div": return ag.div(a, typeof b === "number" ? b : b.abs().add(1));
    case "maximum": return ag.maximum(a, b);
    case "minimum": return ag.minimum(a, b);
    case "atan2": return ag.atan2(a, b);
    case "hypot": return ag.hypot(a, b);
    // a divisor kept away from 0, as div's
    case "remainder": return ag.remainder(a, typeof b === "number" ? b : b.abs().add(1));
    case "logaddexp": return ag.logaddexp(a, b);
  }
}

/** The step's subject (see compile-harness.ts): everything drawn from the program's seed. */
export function makeSubject(p: Program): Subject {
  const { data, bases } = stateArrays(p);
  const leaves: (Tensor | null)[] = p.leaves.map((l, k) => (l.role === "arg" ? null : new Tensor(data[k]!, l.role === "param")));
  const params = leaves.filter((t, k): t is Tensor => t !== null && p.leaves[k]!.role === "param");
  const step = (...args: Tensor[]): unknown => {
    for (const t of params) t.zeroGrad();
    let next = 0;
    const regs: Tensor[] = p.leaves.map((l, k) => (l.role === "arg" ? args[next++]! : leaves[k]!));
    for (const o of p.ops) regs.push(apply(o, regs));
    const last = regs[regs.length - 1]!;
    let loss = p.loss === "sum" ? last.sum() : p.loss === "mean" ? last.mean() : p.loss === "sumSquare" ? last.square().sum() : last.square().mean();
    if (!reachesGrad(p)) loss = loss.add(params[0]!.square().sum());
    loss.backward();
    if (p.update !== "none") {
      for (const w of params) {
        const g = w.grad;
        if (g === null) continue;
        if (p.update === "sgd") nd.sub(w.data, nd.mul(g, 0.1), w.data);
        else {
          nd.mul(w.data, 0.9, w.data);
          nd.add(w.data, nd.mul(g, -0.05), w.data);
        }
      }
    }
    // detached: compile returns new arrays cut from the graph, so a leaf's .grad is not part of a result
    return p.ret === null ? loss : [loss, regs[p.ret]!.detach()];
  };
  const state = (): Record<string, unknown> => {
    const s: Record<string, unknown> = {};
    leaves.forEach((t, k) => {
      if (t === null) return;
      s[`leaf${k}`] = t;
      if (bases[k] && bases[k] !== t.data) s[`base${k}`] = bases[k];
    });
    return s;
  };
  return { step: step as Subject["step"], state };
}

function apply(o: Op, regs: readonly Tensor[]): Tensor {
  const r = (i: number) => regs[i]!;
  switch (o.op) {
    case "unary": return UNARY[o.fn](r(o.a));
    case "binary": return binary(o.fn, r(o.a), r(o.b));
    case "scalar": return o.left ? binary(o.fn, o.k, r(o.a)) : binary(o.fn, r(o.a), o.k);
    case "reduce": {
      const ax = o.axes ?? undefined;
      return o.fn === "sum" ? r(o.a).sum(ax, o.keepdims) : o.fn === "mean" ? r(o.a).mean(ax, o.keepdims) : r(o.a).max(ax, o.keepdims);
    }
    case "softmax": return r(o.a).softmax(o.axis);
    case "logSoftmax": return r(o.a).logSoftmax(o.axis);
    case "scan": {
      const x = r(o.a);
      if (o.fn === "sort") return ag.sort(x, o.axis, o.reverse).values;
      if (o.fn === "cummax") return ag.cummax(x, o.axis).values;
      return ag[o.fn](x, o.axis, o.reverse);
    }
    case "index": {
      const x = r(o.a);
      if (o.fn === "flip") return ag.flip(x, o.axis);
      if (o.fn === "roll") return ag.roll(x, o.k, o.axis);
      const n = x.shape[o.axis]!;
      // made by a kernel (array), as an index computed inside a step must be for a trace to see it
      return ag.gather(x, o.axis, nd.array(Array.from({ length: x.size }, (_, q) => (q * 5 + o.k) % n), x.shape.slice(), "int32"));
    }
    case "permute": return r(o.a).permute(o.axes);
    case "reshape": return r(o.a).reshape(o.shape);
    case "slice": return r(o.a).slice(...o.specs);
    case "broadcastTo": return r(o.a).broadcastTo(o.shape);
    case "squeeze": return r(o.a).squeeze(o.axis);
    case "unsqueeze": return r(o.a).unsqueeze(o.axis);
    case "contiguous": return r(o.a).contiguous();
    case "concat": return ag.concat(o.parts.map(r), o.axis);
    case "stack": return ag.stack(o.parts.map(r), o.axis);
    case "matmul": {
      const a = o.transA ? r(o.a).permute(swapLast(r(o.a).shape)) : r(o.a);
      const b = o.transB ? r(o.b).permute(swapLast(r(o.b).shape)) : r(o.b);
      return ag.matmul(a, b);
    }
    case "astype": return r(o.a).astype(o.dtype);
    case "inplace": {
      const t = r(o.target);
      const src: NDArray | number = o.src === null ? o.k : o.srcT ? r(o.src).data.transpose() : r(o.src).data;
      nd[o.fn](t.data, src, t.data);
      return t;
    }
  }
}

/** Whether the last register depends on a leaf that requires grad (else the loss adds a param's). */
function reachesGrad(p: Program): boolean {
  const g: boolean[] = p.leaves.map((l) => (l.role === "arg" ? l.requiresGrad : l.role === "param"));
  for (const o of p.ops) g.push(o.op !== "inplace" && inputsOf(o).some((i) => g[i]));
  return g[g.length - 1]!;
}

/** The arguments of call i: fresh tensors drawn from the program's seed and the call's number. */
export function programInputs(p: Program, i: number): Tensor[] {
  const out: Tensor[] = [];
  p.leaves.forEach((l, k) => {
    if (l.role !== "arg") return;
    out.push(tensor(seeded(p.seed * 31 + 1000 * (i + 1) + k, l.shape, l.dtype), { requiresGrad: l.requiresGrad }));
  });
  return out;
}

/** Runs a program eagerly and compiled over `calls` calls; throws Divergence on a difference. */
export function runProgram(p: Program, calls = 10): Outcome {
  return differential(() => makeSubject(p), (i) => programInputs(p, i), { calls, compareArgs: true });
}

// ---------------------------------------------------------------- drawing one

const MAX_SIZE = 360;
const UNARIES: UnaryFn[] = [
  "neg", "abs", "sqrtAbs", "square", "exp", "tanh", "sigmoid", "relu", "logPos",
  "atan", "asinh", "sinh", "exp2Tanh", "log2Pos", "rsqrtPos", "asinHalfTanh", "floor", "frac", "round", "sign",
];
const BINARIES: BinaryFn[] = ["add", "sub", "mul", "div", "maximum", "minimum", "atan2", "hypot", "remainder", "logaddexp"];
const SCALARS = [0.5, -1.5, 2, 0.1, 3, -0.25];

/** fast-check's raw draw for one op: a kind and five integers read as choices (0 is the simplest). */
type RawOp = [number, number, number, number, number, number];
interface RawLeaf {
  role: number;
  dims: number[];
  layout: number;
  choice: number;
  flip: boolean;
  grad: boolean;
}
interface RawProgram {
  f32: boolean;
  mixed: number;
  seed: number;
  leaves: RawLeaf[];
  ops: RawOp[];
  loss: number;
  ret: number;
  update: number;
}

const nat = fc.nat({ max: 1 << 30 });
const rawLeaf: fc.Arbitrary<RawLeaf> = fc.record({
  role: fc.nat({ max: 9 }),
  dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  layout: fc.nat({ max: 7 }),
  choice: nat,
  flip: fc.boolean(),
  grad: fc.boolean(),
});
const rawProgram: fc.Arbitrary<RawProgram> = fc.record({
  f32: fc.boolean(),
  mixed: fc.nat({ max: 5 }),
  seed: fc.nat({ max: 9999 }),
  leaves: fc.array(rawLeaf, { minLength: 1, maxLength: 4 }),
  ops: fc.array(fc.tuple(fc.nat({ max: 99 }), nat, nat, nat, nat, nat), { minLength: 3, maxLength: 15 }),
  loss: fc.nat({ max: 3 }),
  ret: fc.nat({ max: 7 }),
  update: fc.nat({ max: 2 }),
});

/** Choices read off one integer, digit by digit in mixed radix: take(n) is in [0, n). */
class Digits {
  constructor(private v: number) {}
  take(n: number): number {
    if (n <= 1) return 0;
    const d = this.v % n;
    this.v = Math.floor(this.v / n);
    return d;
  }
  coin(): boolean {
    return this.take(2) === 1;
  }
  perm(n: number): number[] {
    const rest = Array.from({ length: n }, (_, i) => i);
    const out: number[] = [];
    while (rest.length > 0) out.push(rest.splice(this.take(rest.length), 1)[0]!);
    return out;
  }
}

interface Reg {
  shape: number[];
  dtype: FloatDType;
  /** the leaf storage this register is a view of, or null for a fresh array */
  group: number | null;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const promote = (a: FloatDType, b: FloatDType): FloatDType => (a === "float64" || b === "float64" ? "float64" : "float32");

/** numpy's broadcast of two shapes, or null. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

function sliceShape(shape: readonly number[], specs: readonly (SliceTriple | number | null)[]): number[] {
  // views are metadata: slice a zero-strided stand-in to read the shape numpy's rules give
  return nd.broadcastTo(nd.zeros([]), shape).slice(...specs).shape.slice();
}

/** The slice of one dim of n that gives m elements with step s (m >= 1), starting lo from the edge. */
function stepped(n: number, s: number, lo: number): SliceTriple {
  if (s > 0) return [lo, lo + (n - 1) * s + 1, s];
  const start = lo + (n - 1) * -s;
  return [start, lo === 0 ? null : lo - 1, s];
}

function resolveLeaves(raw: RawProgram, dtype: FloatDType): Leaf[] {
  const other: FloatDType = dtype === "float64" ? "float32" : "float64";
  const leaves: Leaf[] = [];
  raw.leaves.forEach((rl, k) => {
    const d = new Digits(rl.choice);
    const shape = rl.dims.slice();
    while (sizeOf(shape) > 240) shape[shape.indexOf(Math.max(...shape))]! -= 2; // small: 2 cores run ~200 cases
    const dt = raw.mixed === 0 && rl.flip ? other : dtype;
    const state = leaves.filter((l) => l.role !== "arg" && !(l.role === "const" && l.layout.kind === "broadcast"));
    // roles: arg 0-2, param 3-5, const 6-7, alias 8-9 (of an earlier state leaf)
    if (rl.role >= 8 && state.length > 0) {
      const of = leaves.indexOf(state[d.take(state.length)]!);
      const src = leaves[of]!;
      const how = (["same", "reversed", "flip0"] as const)[rl.layout % 3]!;
      const s = how === "reversed" ? src.shape.slice().reverse() : src.shape.slice();
      leaves.push({ role: "alias", of, how, shape: s, dtype: src.dtype });
      return;
    }
    if (rl.role <= 2) {
      leaves.push({ role: "arg", shape, dtype: dt, requiresGrad: rl.grad });
      return;
    }
    const role = rl.role <= 5 ? "param" : "const";
    let layout: Layout = { kind: "plain" };
    const n = shape.length;
    if (rl.layout === 1 || rl.layout === 2) {
      if (n >= 2) layout = { kind: "permuted", axes: d.perm(n) };
    } else if (rl.layout === 3 || rl.layout === 4 || rl.layout === 5) {
      const steps = [1, 2, -1, -2, 3];
      const specs = shape.map((m) => stepped(m, steps[d.take(steps.length)]!, d.take(2)));
      const base = specs.map(([a, b, s]) => (s > 0 ? b! : a! + 1) + d.take(2));
      layout = { kind: "sliced", base, specs };
    } else if (rl.layout === 6 && role === "const") {
      const from = shape.map((m) => (d.coin() ? 1 : m));
      // leading size-1 dims may go too: the base then has fewer dims than the view
      for (let drop = d.take(from.length + 1); drop > 0 && from[0] === 1; drop--) from.shift();
      layout = { kind: "broadcast", from };
    }
    leaves.push({ role, shape, dtype: dt, layout });
  });
  if (!leaves.some((l) => l.role === "param")) {
    const l0 = leaves[0]!;
    leaves[0] = { role: "param", shape: l0.shape, dtype: l0.dtype, layout: l0.role === "param" || l0.role === "const" ? (l0.layout.kind === "broadcast" ? { kind: "plain" } : l0.layout) : { kind: "plain" } };
    // an alias of leaf 0 keeps its meaning: it still views leaf 0's storage
  }
  return leaves;
}

/** Turns fast-check's raw draw into a valid program (each op checked against the shapes so far). */
export function resolve(raw: RawProgram): Program {
  const dtype: FloatDType = raw.f32 ? "float32" : "float64";
  const mixed = raw.mixed === 0;
  const leaves = resolveLeaves(raw, dtype);
  const regs: Reg[] = leaves.map((l, k) => ({ shape: l.shape, dtype: l.dtype, group: l.role === "arg" ? null : l.role === "alias" ? groupOf(leaves, l.of) : k }));
  // storages some non-view op has read (an in-place write there would trip the tape's version check)
  const read = new Set<number>();
  const ops: Op[] = [];
  for (const [kindRaw, aRaw, bRaw, p1, p2, p3] of raw.ops) {
    const a = aRaw % 3 !== 2 ? regs.length - 1 : Math.floor(aRaw / 3) % regs.length;
    const made = tryKinds(kindRaw, a, bRaw, new Digits(p1), new Digits(p2), p3, regs, leaves, read, mixed, dtype);
    ops.push(made.op);
    regs.push(made.reg);
    const o = made.op;
    if (!isView(o)) for (const i of inputsOf(o)) if (regs[i]!.group !== null) read.add(regs[i]!.group!);
  }
  const nOps = ops.length;
  const ret = raw.ret < 4 ? null : leaves.length + nOps - 1 - (raw.ret % nOps);
  return {
    dtype,
    seed: raw.seed,
    leaves,
    ops,
    loss: (["sum", "mean", "sumSquare", "meanSquare"] as const)[raw.loss]!,
    ret,
    update: (["none", "sgd", "decay"] as const)[raw.update]!,
  };
}

function groupOf(leaves: readonly Leaf[], k: number): number {
  const l = leaves[k]!;
  return l.role === "alias" ? groupOf(leaves, l.of) : k;
}

function isView(o: Op): boolean {
  return o.op === "permute" || o.op === "slice" || o.op === "broadcastTo" || o.op === "squeeze" || o.op === "unsqueeze" || o.op === "reshape" || o.op === "inplace";
}

// kinds by weight: elementwise most, then views, then the rest
const KINDS = [
  ...Array<string>(14).fill("unary"),
  ...Array<string>(14).fill("binary"),
  ...Array<string>(6).fill("scalar"),
  ...Array<string>(7).fill("reduce"),
  ...Array<string>(8).fill("permute"),
  ...Array<string>(8).fill("slice"),
  ...Array<string>(5).fill("reshape"),
  ...Array<string>(5).fill("broadcastTo"),
  ...Array<string>(5).fill("squeeze"),
  ...Array<string>(3).fill("contiguous"),
  ...Array<string>(4).fill("concat"),
  ...Array<string>(3).fill("stack"),
  ...Array<string>(7).fill("matmul"),
  ...Array<string>(4).fill("softmax"),
  ...Array<string>(3).fill("scan"),
  ...Array<string>(3).fill("index"),
  ...Array<string>(2).fill("astype"),
  ...Array<string>(5).fill("inplace"),
];

function tryKinds(
  kindRaw: number, a: number, bRaw: number, d: Digits, e: Digits, p3: number,
  regs: readonly Reg[], leaves: readonly Leaf[], read: ReadonlySet<number>, mixed: boolean, dtype: FloatDType,
): { op: Op; reg: Reg } {
  const ra = regs[a]!;
  const view = (shape: number[]): Reg => ({ shape, dtype: ra.dtype, group: ra.group });
  const fresh = (shape: number[], dt: FloatDType = ra.dtype): Reg => ({ shape, dtype: dt, group: null });
  const n = ra.shape.length;
  const kind = KINDS[kindRaw % KINDS.length]!;
  switch (kind) {
    case "binary": {
      const cands = regs.map((r, i) => [i, broadcast(ra.shape, r.shape)] as const).filter(([i, s]) => s !== null && (i === a || sizeOf(s) <= MAX_SIZE));
      const [b, shape] = cands[bRaw % cands.length]!; // a itself is always there
      const other = regs[b]!;
      return { op: { op: "binary", fn: BINARIES[d.take(BINARIES.length)]!, a, b }, reg: fresh(shape!, promote(ra.dtype, other.dtype)) };
    }
    case "scalar":
      return { op: { op: "scalar", fn: BINARIES[d.take(BINARIES.length)]!, a, k: SCALARS[d.take(SCALARS.length)]!, left: d.take(4) === 3 }, reg: fresh(ra.shape) };
    case "reduce": {
      const fn = (["sum", "mean", "max"] as const)[d.take(3)]!;
      const keepdims = d.coin();
      const mask = d.take(1 << n);
      const axes = mask === 0 || n === 0 ? null : ra.shape.map((_, i) => i).filter((i) => (mask >> i) & 1).map((i) => (d.coin() ? i - n : i));
      const kept = ra.shape.map((s, i) => (axes === null || axes.some((x) => (x + n) % n === i) ? (keepdims ? 1 : -1) : s)).filter((s) => s >= 0);
      return { op: { op: "reduce", fn, a, axes, keepdims }, reg: fresh(kept) };
    }
    case "permute":
      if (n < 2) break;
      {
        const axes = d.perm(n);
        if (axes.every((x, i) => x === i)) axes.reverse();
        return { op: { op: "permute", a, axes }, reg: view(axes.map((x) => ra.shape[x]!)) };
      }
    case "slice": {
      if (n === 0) break;
      const specs: (SliceTriple | number | null)[] = ra.shape.map((m) => {
        switch (d.take(7)) {
          case 0: return null;
          case 1: return [m > 1 ? 1 : 0, null, 1];
          case 2: return [null, null, -1];
          case 3: return [null, null, 2];
          case 4: return [m - 1 - (m > 2 ? 1 : 0), null, -2];
          case 5: return d.take(m);
          default: return [0, Math.max(1, m - 1), 1];
        }
      });
      return { op: { op: "slice", a, specs }, reg: view(sliceShape(ra.shape, specs)) };
    }
    case "reshape": {
      const size = sizeOf(ra.shape);
      const factors: number[] = [];
      for (let m = size, f = 2; m > 1; ) {
        if (m % f === 0) {
          factors.push(f);
          m /= f;
        } else f++;
      }
      const dims = 1 + d.take(3);
      const shape = new Array<number>(dims).fill(1);
      for (const f of factors) shape[d.take(dims)]! *= f;
      if (d.coin()) shape.splice(d.take(dims + 1), 0, 1);
      return { op: { op: "reshape", a, shape }, reg: { shape, dtype: ra.dtype, group: ra.group } };
    }
    case "broadcastTo": {
      let shape = ra.shape.map((s) => (s === 1 ? 2 + d.take(3) : s));
      if (n < 4 && (d.coin() || shape.every((s, i) => s === ra.shape[i]))) shape = [2 + d.take(2), ...shape];
      if (shape.length === n && shape.every((s, i) => s === ra.shape[i])) break;
      if (sizeOf(shape) > MAX_SIZE) break;
      return { op: { op: "broadcastTo", a, shape }, reg: view(shape) };
    }
    case "squeeze": {
      const ones = ra.shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0);
      if (ones.length > 0 && d.coin()) {
        const axis = ones[d.take(ones.length)]!;
        return { op: { op: "squeeze", a, axis }, reg: view(ra.shape.filter((_, i) => i !== axis)) };
      }
      if (n >= 4) break;
      const axis = d.take(n + 1) - (d.coin() ? n + 1 : 0);
      const at = axis < 0 ? axis + n + 1 : axis;
      const shape = ra.shape.slice();
      shape.splice(at, 0, 1);
      return { op: { op: "unsqueeze", a, axis }, reg: view(shape) };
    }
    case "contiguous":
      return { op: { op: "contiguous", a }, reg: fresh(ra.shape) };
    case "concat": {
      if (n === 0) break;
      const axis = d.take(n);
      const cands = regs.map((_, i) => i).filter((i) => {
        const s = regs[i]!.shape;
        return s.length === n && s.every((x, j) => j === axis || x === ra.shape[j]);
      });
      const parts = [a, cands[bRaw % cands.length]!];
      if (e.coin()) parts.push(cands[e.take(cands.length)]!);
      const shape = ra.shape.slice();
      shape[axis] = parts.reduce((t, i) => t + regs[i]!.shape[axis]!, 0);
      if (sizeOf(shape) > MAX_SIZE) break;
      return { op: { op: "concat", parts, axis }, reg: fresh(shape, parts.map((i) => regs[i]!.dtype).reduce(promote)) };
    }
    case "stack": {
      if (n > 3) break;
      const cands = regs.map((_, i) => i).filter((i) => regs[i]!.shape.length === n && regs[i]!.shape.every((x, j) => x === ra.shape[j]));
      const parts = [a, cands[bRaw % cands.length]!];
      if (e.coin()) parts.push(cands[e.take(cands.length)]!);
      const axis = d.take(n + 1) - (d.coin() ? n + 1 : 0);
      const shape = ra.shape.slice();
      shape.splice(axis < 0 ? axis + n + 1 : axis, 0, parts.length);
      if (sizeOf(shape) > MAX_SIZE) break;
      return { op: { op: "stack", parts, axis }, reg: fresh(shape, parts.map((i) => regs[i]!.dtype).reduce(promote)) };
    }
    case "matmul": {
      if (n < 2) break;
      const transA = d.coin();
      const A = transA ? swapLast(ra.shape).map((x) => ra.shape[x]!) : ra.shape;
      const k = A[n - 1]!;
      const cands: [number, boolean, number[]][] = [];
      regs.forEach((r, i) => {
        if (r.shape.length < 2) return;
        for (const transB of [false, true]) {
          const B = transB ? swapLast(r.shape).map((x) => r.shape[x]!) : r.shape;
          if (B[B.length - 2] !== k) continue;
          const batch = broadcast(A.slice(0, -2), B.slice(0, -2));
          if (batch === null) continue;
          const shape = [...batch, A[n - 2]!, B[B.length - 1]!];
          if (sizeOf(shape) <= MAX_SIZE && shape.length <= 4) cands.push([i, transB, shape]);
        }
      });
      if (cands.length === 0) break;
      const [b, transB, shape] = cands[bRaw % cands.length]!;
      return { op: { op: "matmul", a, b, transA, transB }, reg: fresh(shape, promote(ra.dtype, regs[b]!.dtype)) };
    }
    case "softmax":
      if (n === 0) break;
      return { op: { op: d.coin() ? "logSoftmax" : "softmax", a, axis: d.take(n) - (d.coin() ? n : 0) }, reg: fresh(ra.shape) };
    case "scan": {
      if (n === 0) break;
      const fns: ScanFn[] = ["cumsum", "cumprod", "logcumsumexp", "sort", "cummax"];
      return { op: { op: "scan", fn: fns[d.take(fns.length)]!, a, axis: d.take(n) - (d.coin() ? n : 0), reverse: e.coin() }, reg: fresh(ra.shape) };
    }
    case "index": {
      if (n === 0) break;
      const fns = ["flip", "roll", "gather"] as const;
      return { op: { op: "index", fn: fns[d.take(3)]!, a, axis: d.take(n), k: e.take(7) - 3 + (e.coin() ? 3 : 0) }, reg: fresh(ra.shape) };
    }
    case "astype": {
      if (!mixed) break;
      const to: FloatDType = ra.dtype === "float64" ? "float32" : "float64";
      return { op: { op: "astype", a, dtype: to }, reg: fresh(ra.shape, to) };
    }
    case "inplace": {
      // into a constant (or a view of any state) whose storage no earlier op has read
      const targets = leaves
        .map((l, i) => i)
        .filter((i) => {
          const l = leaves[i]!;
          if (l.role === "arg" || l.role === "param") return false;
          if (!writable(leaves, i)) return false;
          return !read.has(groupOf(leaves, i));
        });
      if (targets.length === 0) break;
      const target = targets[bRaw % targets.length]!;
      const ts = regs[target]!.shape;
      const fn = (["add", "sub", "mul"] as const)[d.take(3)]!;
      const srcs: [number, boolean][] = [];
      regs.forEach((r, i) => {
        for (const srcT of [false, true]) {
          const s = srcT ? r.shape.slice().reverse() : r.shape;
          const b = broadcast(ts, s);
          if (b !== null && b.length === ts.length && b.every((x, j) => x === ts[j])) srcs.push([i, srcT]);
        }
      });
      const k = SCALARS[d.take(SCALARS.length)]!;
      const pick = e.take(srcs.length + 1);
      const [src, srcT] = pick === srcs.length ? [null, false] : srcs[pick]!;
      return { op: { op: "inplace", fn, target, src, srcT, k }, reg: regs[target]! };
    }
  }
  // the kind does not apply to this register: an elementwise op always does
  void p3;
  void dtype;
  const fn = UNARIES[kindRaw % UNARIES.length]!;
  return { op: { op: "unary", fn, a }, reg: fresh(ra.shape) };
}

function writable(leaves: readonly Leaf[], i: number): boolean {
  const l = leaves[i]!;
  if (l.role === "arg") return false;
  if (l.role === "alias") return writable(leaves, l.of);
  return l.layout.kind !== "broadcast";
}

/** The programs fast-check draws (valid by construction). */
export const programArbitrary: fc.Arbitrary<Program> = rawProgram.map(resolve);

// ---------------------------------------------------------------- printing one

function fmt(s: readonly number[]): string {
  return `[${s.join(",")}]`;
}

/** One line per leaf and op, as a comment above a pasted program reads. */
export function describe(p: Program): string[] {
  const out: string[] = [];
  const dt = (d: FloatDType) => (d === "float64" ? "f64" : "f32");
  p.leaves.forEach((l, k) => {
    if (l.role === "arg") out.push(`r${k} = arg ${dt(l.dtype)}${fmt(l.shape)}${l.requiresGrad ? " requiresGrad" : ""}`);
    else if (l.role === "alias") out.push(`r${k} = ${l.how} view of r${l.of}'s storage ${fmt(l.shape)}`);
    else {
      const lay = l.layout;
      const how = lay.kind === "plain" ? "" : lay.kind === "permuted" ? ` permuted ${fmt(lay.axes)}` : lay.kind === "sliced" ? ` sliced ${JSON.stringify(lay.specs)} of ${fmt(lay.base)}` : ` broadcast from ${fmt(lay.from)}`;
      out.push(`r${k} = ${l.role} ${dt(l.dtype)}${fmt(l.shape)}${how}`);
    }
  });
  p.ops.forEach((o, j) => {
    const r = `r${p.leaves.length + j}`;
    const { op, ...rest } = o;
    out.push(`${r} = ${op} ${JSON.stringify(rest)}`);
  });
  out.push(`loss = ${p.loss}(r${p.leaves.length + p.ops.length - 1}); backward; update ${p.update}${p.ret === null ? "" : `; returns r${p.ret}`}`);
  return out;
}

/** `p` as a TypeScript literal: one line per leaf and per op. */
export function literal(p: Program, indent = "    "): string {
  const one = (x: unknown) => JSON.stringify(x).replace(/"(\w+)":/g, "$1: ").replace(/,(?=\S)/g, ", ");
  const list = (xs: readonly unknown[]) => `[\n${xs.map((x) => `${indent}    ${one(x)},`).join("\n")}\n${indent}  ]`;
  return [
    "{",
    `${indent}  dtype: ${one(p.dtype)}, seed: ${p.seed}, loss: ${one(p.loss)}, ret: ${one(p.ret)}, update: ${one(p.update)},`,
    `${indent}  leaves: ${list(p.leaves)},`,
    `${indent}  ops: ${list(p.ops)},`,
    `${indent}}`,
  ].join("\n");
}

/**
 * A ready-to-paste vitest block (for compile-regressions.test.ts) that rebuilds `p` and runs the
 * differential; `finding`, when given, is quoted as a comment (what the compiled step did).
 */
export function paste(p: Program, name = `a fuzzed program (seed ${p.seed}) replays as eager`, finding?: string): string {
  return [
    `  it(${JSON.stringify(name)}, () => {`,
    ...describe(p).map((l) => `    // ${l}`),
    ...(finding ? [`    // found: ${finding.split("\n")[0]!.slice(0, 400)}`] : []),
    `    const p: Program = ${literal(p)};`,
    `    const outcome = differential(() => makeSubject(p), (i) => programInputs(p, i), { calls: 10, compareArgs: true });`,
    `    expect(["equal", "refused"]).toContain(outcome.kind);`,
    `  });`,
  ].join("\n");
}

/** The Divergence's message for `p`, or null if its compiled step equals its eager one. */
export function findingOf(p: Program): string | null {
  try {
    runProgram(p);
    return null;
  } catch (e) {
    return e instanceof Divergence ? e.message : null;
  }
}

/** The imports a pasted block needs, at the top of the test file. */
export const PASTE_IMPORTS = [
  `import { describe, expect, it } from "vitest";`,
  `import { differential } from "./compile-harness.js";`,
  `import { makeSubject, programInputs, type Program } from "./fuzz/programs.js";`,
].join("\n");

// ---------------------------------------------------------------- the property

/** compiled == eager bitwise over 10 calls, or a refusal; an eager throw discards the case. */
export function checkProgram(p: Program): Outcome {
  const o = runProgram(p);
  fc.pre(o.kind !== "eager-threw");
  return o;
}

export const programsProperty = {
  name: "programs",
  arbitrary: programArbitrary,
  check(p: Program): void {
    checkProgram(p);
  },
  paste: (p: Program) => paste(p, undefined, findingOf(p) ?? undefined),
  minimize: (p: Program) => minimize(p),
};

export { Divergence };

// ---------------------------------------------------------------- shrinking further

/** The registers an op reads (for an in-place write: the leaf it writes, then its source). */
function inputsOf(o: Op): number[] {
  switch (o.op) {
    case "concat":
    case "stack": return o.parts;
    case "binary":
    case "matmul": return [o.a, o.b];
    case "inplace": return o.src === null ? [o.target] : [o.target, o.src];
    default: return [o.a];
  }
}

function mapRegs(o: Op, f: (r: number) => number): Op {
  switch (o.op) {
    case "concat":
    case "stack": return { ...o, parts: o.parts.map(f) };
    case "binary":
    case "matmul": return { ...o, a: f(o.a), b: f(o.b) };
    case "inplace": return { ...o, target: f(o.target), src: o.src === null ? null : f(o.src) };
    default: return { ...o, a: f(o.a) } as Op;
  }
}

/** `p` without op j: its readers read its first input instead; null if that leaves no op. */
function withoutOp(p: Program, j: number): Program | null {
  if (p.ops.length <= 1) return null;
  const R = p.leaves.length + j;
  const sub = inputsOf(p.ops[j]!)[0]!;
  const f = (r: number) => (r === R ? sub : r > R ? r - 1 : r);
  const ops = p.ops.filter((_, i) => i !== j).map((o) => mapRegs(o, f));
  const ret = p.ret === null || p.ret === R ? null : f(p.ret);
  return { ...p, ops, ret };
}

/** `p` without leaf k, if nothing reads it (aliases and registers renumbered). */
function withoutLeaf(p: Program, k: number): Program | null {
  const used = p.ops.some((o) => inputsOf(o).includes(k)) || p.leaves.some((l) => l.role === "alias" && l.of === k);
  if (used || p.leaves.filter((l) => l.role === "param").length === (p.leaves[k]!.role === "param" ? 1 : 0)) return null;
  const f = (r: number) => (r > k ? r - 1 : r);
  const leaves = p.leaves.filter((_, i) => i !== k).map((l) => (l.role === "alias" ? { ...l, of: f(l.of) } : l));
  return { ...p, leaves, ops: p.ops.map((o) => mapRegs(o, f)), ret: p.ret === null ? null : f(p.ret) };
}

/** Ops that neither the loss, nor the result, nor an in-place write needs, dropped. */
function deadOpsDropped(p: Program): Program {
  let q = p;
  for (;;) {
    const last = q.leaves.length + q.ops.length - 1;
    const need = new Set<number>([last]);
    if (q.ret !== null) need.add(q.ret);
    for (let j = q.ops.length - 1; j >= 0; j--) {
      const R = q.leaves.length + j;
      if (need.has(R) || q.ops[j]!.op === "inplace") for (const i of inputsOf(q.ops[j]!)) need.add(i);
    }
    const j = q.ops.findIndex((o, i) => !need.has(q.leaves.length + i) && o.op !== "inplace");
    const next = j < 0 ? null : withoutOp(q, j);
    if (next === null) return q;
    q = next;
  }
}

/**
 * A program that still fails, made smaller greedily at the level of the program itself (fast-check
 * shrinks the raw draw, whose integers renumber registers when an op goes): ops removed, leaves
 * removed, the result, update and loss made plain, layouts made plain where the failure survives it.
 */
export function minimize(p: Program, fails: (q: Program) => boolean = (q) => divergesOn(q)): Program {
  let cur = p;
  const tryIt = (q: Program | null): boolean => {
    if (q === null || !fails(q)) return false;
    cur = q;
    return true;
  };
  tryIt(deadOpsDropped(cur));
  for (let changed = true; changed; ) {
    changed = false;
    for (let j = cur.ops.length - 1; j >= 0; j--) if (j < cur.ops.length && tryIt(withoutOp(cur, j))) changed = true;
    for (let k = cur.leaves.length - 1; k >= 0; k--) if (tryIt(withoutLeaf(cur, k))) changed = true;
    if (cur.ret !== null && tryIt({ ...cur, ret: null })) changed = true;
    if (cur.update !== "none" && tryIt({ ...cur, update: "none" })) changed = true;
    if (cur.update === "decay" && tryIt({ ...cur, update: "sgd" })) changed = true;
    if (cur.loss !== "sum" && tryIt({ ...cur, loss: "sum" })) changed = true;
    if (cur.seed !== 0 && tryIt({ ...cur, seed: 0 })) changed = true;
    for (let k = 0; k < cur.leaves.length; k++) {
      const l = cur.leaves[k]!;
      if ((l.role === "param" || l.role === "const") && l.layout.kind !== "plain") {
        if (tryIt({ ...cur, leaves: cur.leaves.map((x, i) => (i === k ? { ...l, layout: { kind: "plain" } } : x)) })) changed = true;
      }
      if (l.role === "arg" && l.requiresGrad && tryIt({ ...cur, leaves: cur.leaves.map((x, i) => (i === k ? { ...l, requiresGrad: false } : x)) })) changed = true;
    }
  }
  return cur;
}

/** Whether the program's compiled step differs from its eager one (a Divergence; other errors are not). */
export function divergesOn(p: Program): boolean {
  return findingOf(p) !== null;
}
