// WGSL for a lowered program's dispatches (lower.ts). Every shader binds the same three things:
// F, every float value of the program in one f32 array (float64 arrays too: WGSL has no f64);
// I, every int32 and bool value in one i32 array; P, a dispatch's parameters (where each of its
// arrays starts in F or I). Shapes and strides are constants in the source, offsets are
// parameters: one pipeline serves every time step of a recurrent loop.
//
// The element of each elementwise kernel is written here, keyed by the kernel's name, beside
// the CPU's (kernel.ts declares the JS expression with the kernel; WGSL's types and builtins
// differ enough that the two are kept apart, and the differential tests hold them together).

import { coalesce } from "../shape.js";

/** Which array of the bind group an array lives in. */
export type Arena = "F" | "I";

export const WORKGROUP = 64;
/** Workgroups along x before a dispatch folds into y (WebGPU's limit per dimension is 65535). */
export const MAX_X = 32768;

export const HEADER = `@group(0) @binding(0) var<storage, read_write> F: array<f32>;
@group(0) @binding(1) var<storage, read_write> I: array<i32>;
@group(0) @binding(2) var<uniform> P: array<vec4<u32>, 16>;
`;

/** The parameter k (a u32 of the uniform block) as an i32. */
export function param(k: number): string {
  return `i32(P[${k >> 2}].${"xyzw"[k & 3]})`;
}

/** How many workgroups, folded into (x, y) when over MAX_X. */
export function grid(groups: number): [number, number, number] {
  if (groups <= MAX_X) return [Math.max(groups, 1), 1, 1];
  return [MAX_X, Math.ceil(groups / MAX_X), 1];
}

/** An f32 literal for a JS number, exact for its float32 rounding (infinities and NaN as bits). */
export function f32(x: number): string {
  const v = Math.fround(x);
  if (Number.isFinite(v) && !Object.is(v, -0)) return `f32(${String(v)})`;
  const bits = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  return `tg_bits(0x${bits.toString(16)}u)`; // a runtime value: a constant infinity does not compile
}

/**
 * The offset (in elements, relative to a base) of element `i` (a C-order index over `shape`) of
 * an array with `strides` over that shape: div/mod per dim, size-1 and mergeable dims removed.
 */
export function address(i: string, shape: readonly number[], strides: readonly number[]): string {
  const c = coalesce(shape, [strides]);
  const dims = c.shape;
  const st = c.strides[0]!;
  const terms: string[] = [];
  let inner = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    const s = st[d]!;
    const n = dims[d]!;
    if (s !== 0) {
      const q = inner === 1 ? i : `(${i} / ${inner})`;
      const idx = d === 0 ? q : `(${q} % ${n})`;
      terms.push(s === 1 ? idx : `${idx} * ${s}`);
    }
    inner *= n;
  }
  return terms.length === 0 ? "0" : terms.join(" + ");
}

/** A key for an access: the same key means the same element for the same i. */
export function accessKey(base: string, shape: readonly number[], strides: readonly number[]): string {
  const c = coalesce(shape, [strides]);
  return `${base}|${c.shape.join(",")}|${c.strides[0]!.join(",")}`;
}

// ---------------------------------------------------------------- elementwise

/** The element of an elementwise kernel: its result's kind, and the WGSL expression over f32 operands. */
export interface WgslElement {
  /** "f": an f32 result; "b": a bool (0 or 1, stored in I); "move": the operand itself, in any type */
  kind: "f" | "b" | "move";
  expr: (x: readonly string[]) => string;
}

const un = (f: (a: string) => string): WgslElement => ({ kind: "f", expr: ([a]) => f(a!) });
const bin = (f: (a: string, b: string) => string): WgslElement => ({ kind: "f", expr: ([a, b]) => f(a!, b!) });
const cmp = (op: string): WgslElement => ({ kind: "b", expr: ([a, b]) => `select(0, 1, ${a} ${op} ${b})` });
const move: WgslElement = { kind: "move", expr: ([a]) => a! };

/** The elementwise kernels lowered to WGSL, by kernel name. */
export const ELEMENTS: Readonly<Record<string, WgslElement>> = {
  add: bin((a, b) => `(${a} + ${b})`),
  addInto: bin((a, b) => `(${a} + ${b})`),
  addGrads: bin((a, b) => `(${a} + ${b})`),
  sub: bin((a, b) => `(${a} - ${b})`),
  mul: bin((a, b) => `(${a} * ${b})`),
  div: bin((a, b) => `(${a} / ${b})`),
  neg: un((a) => `(-${a})`),
  exp: un((a) => `exp(${a})`),
  log: un((a) => `log(${a})`),
  sqrt: un((a) => `sqrt(${a})`),
  abs: un((a) => `abs(${a})`),
  tanh: un((a) => `tanh(clamp(${a}, -16.0, 16.0))`),
  sigmoid: un((a) => `(1.0 / (1.0 + exp(-${a})))`),
  relu: un((a) => `select(0.0, ${a}, ${a} > 0.0 || ${a} != ${a})`),
  square: un((a) => `(${a} * ${a})`),
  sin: un((a) => `sin(${a})`),
  cos: un((a) => `cos(${a})`),
  sign: un((a) => `select(sign(${a}), ${a}, ${a} != ${a})`),
  reciprocal: un((a) => `(1.0 / ${a})`),
  log1p: un((a) => `tg_log1p(${a})`),
  expm1: un((a) => `tg_expm1(${a})`),
  floor: un((a) => `floor(${a})`),
  ceil: un((a) => `ceil(${a})`),
  round: un((a) => `round(${a})`),
  erf: un((a) => `tg_erf(${a})`),
  sigmoidBackward: bin((g, s) => `(${g} * ${s} * (1.0 - ${s}))`),
  tanhBackward: bin((g, t) => `(${g} * (1.0 - ${t} * ${t}))`),
  pow: bin((a, b) => `tg_pow(${a}, ${b})`),
  maximum: bin((a, b) => `select(max(${a}, ${b}), ${a} + ${b}, ${a} != ${a} || ${b} != ${b})`),
  minimum: bin((a, b) => `select(min(${a}, ${b}), ${a} + ${b}, ${a} != ${a} || ${b} != ${b})`),
  clip: { kind: "f", expr: ([a, lo, hi]) => `select(min(max(${a}, ${lo}), ${hi}), ${a}, ${a} != ${a})` },
  where: { kind: "f", expr: ([m, a, b]) => `select(${b}, ${a}, ${m} != 0.0)` },
  eq: cmp("=="),
  ne: cmp("!="),
  lt: cmp("<"),
  le: cmp("<="),
  gt: cmp(">"),
  ge: cmp(">="),
  copy: move,
  concat: move,
  stack: move,
  stackRows: move,
  assign: move,
  fill: move,
  reshape: move,
  contiguous: move,
};

/**
 * Scalar helpers the expressions call (WGSL has no log1p, expm1, erf, nor numpy's pow), and
 * tg_bits, a float from its bits at run time (a constant infinity does not compile). A shader
 * gets those it calls: SwiftShader was seen to abort on a pipeline with an unused one.
 */
const HELPER_FNS: Record<string, string> = {
  tg_bits: `fn tg_bits(u: u32) -> f32 { var v = u; return bitcast<f32>(v); }`,
  tg_log1p: `fn tg_log1p(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * (x / (u - 1.0));
}`,
  tg_expm1: `fn tg_expm1(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  return exp(x) - 1.0;
}`,
  tg_erf: `fn tg_erf(x: f32) -> f32 {
  // Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7)
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(-y, y, x >= 0.0);
}`,
  tg_pow: `fn tg_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (b == 0.5) { return sqrt(a); }
  if (a == 0.0) { return select(0.0, tg_bits(0x7f800000u), b < 0.0); }
  if (a < 0.0) {
    if (floor(b) != b) { return tg_bits(0x7fc00000u); }
    let m = pow(-a, b);
    return select(m, -m, floor(b * 0.5) * 2.0 != b);
  }
  return pow(a, b);
}`,
};

/** A whole shader: the bindings, the helpers `body` calls (and theirs), and `body`. */
export function shader(body: string): string {
  const used: string[] = [];
  const visit = (text: string) => {
    for (const [name, code] of Object.entries(HELPER_FNS)) {
      if (used.includes(name) || !text.includes(`${name}(`)) continue;
      used.push(name);
      visit(code.slice(code.indexOf("{")));
    }
  };
  visit(body);
  return `${HEADER}${used.map((n) => HELPER_FNS[n]).join("\n")}\n${body}`;
}
