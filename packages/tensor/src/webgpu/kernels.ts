// The WGSL of each lowered kernel that is not elementwise: tiled matrix products, reductions
// over any axes, softmax rows, gathers and scatter-adds by index, and copies between layouts.
// Each function takes the arrays as the recorded call had them (shape, strides) and the
// parameter slots of their bases, and returns the shader and its workgroup count.

import { shader, MAX_X, WORKGROUP, address, f32, grid, param, type Arena } from "./wgsl.js";

/** One array as a shader reads or writes it: where (a parameter slot), how laid out, in which arena. */
export interface View {
  slot: number;
  arena: Arena;
  shape: readonly number[];
  strides: readonly number[];
}

export interface Source {
  source: string;
  groups: [number, number, number];
}

const TILE = 64;
const TK = 16;

/** The element of an array as an f32 expression. */
function load(v: View, at: string): string {
  return v.arena === "F" ? `F[${at}]` : `f32(I[${at}])`;
}

/** An assignment of an f32 value to an element of an array. */
function store(v: View, at: string, value: string): string {
  return v.arena === "F" ? `F[${at}] = ${value};` : `I[${at}] = i32(${value});`;
}

/**
 * C = A B over a batch, for A (batch..., M, K), B (batch..., K, N), C (batch..., M, N), each with
 * its own strides (a transposed operand is a layout, not a copy) and batch strides over the
 * broadcast batch shape: 64x64 tiles of C per workgroup, 4x4 per invocation, K in steps of 16
 * through workgroup memory; bounds checked at every edge, so any M, N, K.
 */
export function matmulSource(
  a: View, b: View, c: View, M: number, N: number, K: number,
  batch: readonly number[], batchStrides: [readonly number[], readonly number[], readonly number[]],
  /** K as several dims (matmulTN's rows when they do not fold into one): its shape, and A's and B's strides along it */
  kDims?: { shape: readonly number[]; a: readonly number[]; b: readonly number[] },
): Source {
  const [ars, acs] = a.strides.slice(-2) as [number, number];
  const [brs, bcs] = b.strides.slice(-2) as [number, number];
  const [crs, ccs] = c.strides.slice(-2) as [number, number];
  const batchCount = batch.reduce((p, d) => p * d, 1);
  const source = shader(`var<workgroup> As: array<f32, ${TILE * TK}>;
var<workgroup> Bs: array<f32, ${TILE * TK}>;
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let z = i32(wg.z);
  let aB = ${param(a.slot)} + ${address("z", batch, batchStrides[0])};
  let bB = ${param(b.slot)} + ${address("z", batch, batchStrides[1])};
  let cB = ${param(c.slot)} + ${address("z", batch, batchStrides[2])};
  let m0 = i32(wg.y) * ${TILE};
  let n0 = i32(wg.x) * ${TILE};
  let tx = i32(l.x);
  let ty = i32(l.y);
  let lid = i32(li);
  var acc: array<f32, 16>;
  for (var k0 = 0; k0 < ${K}; k0 = k0 + ${TK}) {
    for (var e = lid; e < ${TILE * TK}; e = e + 256) {
      let r = e % ${TILE};
      let k = k0 + e / ${TILE};
      var v = 0.0;
      if (m0 + r < ${M} && k < ${K}) { v = ${load(a, `aB + (m0 + r) * ${ars} + ${kDims ? address("k", kDims.shape, kDims.a) : `k * ${acs}`}`)}; }
      As[e] = v;
      var w = 0.0;
      if (n0 + r < ${N} && k < ${K}) { w = ${load(b, `bB + ${kDims ? address("k", kDims.shape, kDims.b) : `k * ${brs}`} + (n0 + r) * ${bcs}`)}; }
      Bs[e] = w;
    }
    workgroupBarrier();
    for (var k = 0; k < ${TK}; k = k + 1) {
      let a0 = As[k * ${TILE} + ty];
      let a1 = As[k * ${TILE} + ty + 16];
      let a2 = As[k * ${TILE} + ty + 32];
      let a3 = As[k * ${TILE} + ty + 48];
      let b0 = Bs[k * ${TILE} + tx];
      let b1 = Bs[k * ${TILE} + tx + 16];
      let b2 = Bs[k * ${TILE} + tx + 32];
      let b3 = Bs[k * ${TILE} + tx + 48];
      acc[0] += a0 * b0; acc[1] += a0 * b1; acc[2] += a0 * b2; acc[3] += a0 * b3;
      acc[4] += a1 * b0; acc[5] += a1 * b1; acc[6] += a1 * b2; acc[7] += a1 * b3;
      acc[8] += a2 * b0; acc[9] += a2 * b1; acc[10] += a2 * b2; acc[11] += a2 * b3;
      acc[12] += a3 * b0; acc[13] += a3 * b1; acc[14] += a3 * b2; acc[15] += a3 * b3;
    }
    workgroupBarrier();
  }
  for (var r = 0; r < 4; r = r + 1) {
    for (var q = 0; q < 4; q = q + 1) {
      let m = m0 + ty + 16 * r;
      let n = n0 + tx + 16 * q;
      if (m < ${M} && n < ${N}) { ${store(c, `cB + m * ${crs} + n * ${ccs}`, "acc[r * 4 + q]")} }
    }
  }
}
`);
  return { source, groups: [Math.ceil(N / TILE), Math.ceil(M / TILE), batchCount] };
}

/** What a reduction computes over its group of elements. */
export type ReduceKind = "sum" | "mean" | "max" | "logsumexp";

/** The max of a group with infinities (and NaN) replaced by 0, as the CPU's stable shift. */
const SHIFT = "select(0.0, red[0], abs(red[0]) < tg_bits(0x7f800000u))";

const maxOf = (x: string, y: string) => `select(max(${x}, ${y}), ${x} + ${y}, ${x} != ${x} || ${y} != ${y})`;

/**
 * One workgroup per element of the result: the elements of `a` along the `reduced` dims (the
 * others are `kept`, in C order the result's elements), combined by 64 invocations and a tree
 * in workgroup memory. `out` is written at the result's own layout.
 */
export function reduceSource(a: View, out: View, kept: [readonly number[], readonly number[]], reduced: [readonly number[], readonly number[]], kind: ReduceKind): Source {
  const nOut = kept[0].reduce((p, d) => p * d, 1);
  const R = reduced[0].reduce((p, d) => p * d, 1);
  const at = (r: string) => load(a, `base + ${address(r, reduced[0], reduced[1])}`);
  const pass = (init: string, combine: (acc: string, x: string) => string, x: (r: string) => string) => `
  var acc = ${init};
  for (var r = lid; r < ${R}; r = r + ${WORKGROUP}) { acc = ${combine("acc", x("r"))}; }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}; s > 0; s = s >> 1u) {
    if (lid < s) { red[lid] = ${combine("red[lid]", "red[lid + s]")}; }
    workgroupBarrier();
  }`;
  let body: string;
  let result: string;
  if (kind === "max") {
    body = pass(f32(-Infinity), maxOf, at);
    result = "red[0]";
  } else if (kind === "logsumexp") {
    body = `${pass(f32(-Infinity), maxOf, at)}
  let m = ${SHIFT};
  workgroupBarrier();
  {${pass("0.0", (x, y) => `${x} + ${y}`, (r) => `exp(${at(r)} - m)`)}
  }`;
    result = "log(red[0]) + m";
  } else {
    body = pass("0.0", (x, y) => `${x} + ${y}`, at);
    result = kind === "mean" ? `red[0] / ${f32(R)}` : "red[0]";
  }
  const source = shader(`var<workgroup> red: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let o = i32(wg.y) * ${MAX_X} + i32(wg.x);
  if (o >= ${nOut}) { return; }
  let lid = i32(li);
  let base = ${param(a.slot)} + ${address("o", kept[0], kept[1])};
  ${body}
  if (lid == 0) { ${store(out, `${param(out.slot)} + ${address("o", out.shape, out.strides)}`, result)} }
}
`);
  return { source, groups: grid(nOut) };
}

/**
 * softmax or logSoftmax along one axis: one workgroup per row (every other dim), three passes
 * (the max, the sum of exp(x - max), the result), each element written at the result's layout.
 */
export function softmaxSource(a: View, out: View, axis: number, log: boolean): Source {
  const rowsShape = a.shape.filter((_, i) => i !== axis);
  const nRows = rowsShape.reduce((p, d) => p * d, 1);
  const R = a.shape[axis]!;
  const sa = a.strides[axis]!;
  const so = out.strides[axis]!;
  const pass = (init: string, combine: (acc: string, x: string) => string, x: string) => `
  var acc = ${init};
  for (var r = lid; r < ${R}; r = r + ${WORKGROUP}) { acc = ${combine("acc", x)}; }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}; s > 0; s = s >> 1u) {
    if (lid < s) { red[lid] = ${combine("red[lid]", "red[lid + s]")}; }
    workgroupBarrier();
  }`;
  const x = load(a, `base + r * ${sa}`);
  const source = shader(`var<workgroup> red: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let o = i32(wg.y) * ${MAX_X} + i32(wg.x);
  if (o >= ${nRows}) { return; }
  let lid = i32(li);
  let base = ${param(a.slot)} + ${address("o", rowsShape, a.strides.filter((_, i) => i !== axis))};
  let obase = ${param(out.slot)} + ${address("o", rowsShape, out.strides.filter((_, i) => i !== axis))};
  ${pass(f32(-Infinity), maxOf, x)}
  let m = ${SHIFT};
  workgroupBarrier();
  {${pass("0.0", (p, q) => `${p} + ${q}`, `exp(${x} - m)`)}
  }
  let total = red[0];
  for (var r = lid; r < ${R}; r = r + ${WORKGROUP}) {
    ${store(out, `obase + r * ${so}`, log ? `${x} - m - log(total)` : `exp(${x} - m) / total`)}
  }
}
`);
  return { source, groups: grid(nRows) };
}

/**
 * take(a, ids, axis): out (outer..., ids..., inner...) gathers a's slices; one invocation per
 * element. Negative ids count from the end, as toIndexArray wraps them (the CPU checked them
 * when it made them; an id still out of range reads an element of the same array, never past it).
 */
export function takeSource(a: View, ids: View, out: View, axis: number): Source {
  const outer = a.shape.slice(0, axis);
  const inner = a.shape.slice(axis + 1);
  const nIds = ids.shape.reduce((p, d) => p * d, 1);
  const nInner = inner.reduce((p, d) => p * d, 1);
  const nOuter = outer.reduce((p, d) => p * d, 1);
  const n = nOuter * nIds * nInner;
  const size = a.shape[axis]!;
  const source = shader(`@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let e = i32(g.y) * ${MAX_X * WORKGROUP} + i32(g.x);
  if (e >= ${n}) { return; }
  let inn = e % ${nInner};
  let k = (e / ${nInner}) % ${nIds};
  let o = e / ${nInner * nIds};
  var id = I[${param(ids.slot)} + ${address("k", ids.shape, ids.strides)}];
  if (id < 0) { id = id + ${size}; }
  id = clamp(id, 0, ${Math.max(size - 1, 0)});
  let src = ${param(a.slot)} + ${address("o", outer, a.strides.slice(0, axis))} + id * ${a.strides[axis]} + ${address("inn", inner, a.strides.slice(axis + 1))};
  let dst = ${param(out.slot)} + ${address("e", out.shape, out.strides)};
  ${a.arena === out.arena ? `${out.arena}[dst] = ${a.arena}[src];` : store(out, "dst", load(a, "src"))}
}
`);
  return { source, groups: grid(Math.ceil(n / WORKGROUP)) };
}

/**
 * indexAdd(target, ids, src, axis) in place: one invocation per (outer, inner) column of the
 * target, adding src's slices in the order of ids, so repeated ids accumulate as on the CPU
 * and no two invocations write one element.
 */
export function indexAddSource(target: View, ids: View, src: View, axis: number): Source {
  const outer = target.shape.slice(0, axis);
  const inner = target.shape.slice(axis + 1);
  const nIds = ids.shape.reduce((p, d) => p * d, 1);
  const nInner = inner.reduce((p, d) => p * d, 1);
  const nOuter = outer.reduce((p, d) => p * d, 1);
  const n = nOuter * nInner;
  const size = target.shape[axis]!;
  // src is (outer..., ids..., inner...): its strides split the same way
  const sOuter = src.strides.slice(0, axis);
  const sIds = src.strides.slice(axis, axis + ids.shape.length);
  const sInner = src.strides.slice(axis + ids.shape.length);
  const source = shader(`@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let c = i32(g.y) * ${MAX_X * WORKGROUP} + i32(g.x);
  if (c >= ${n}) { return; }
  let inn = c % ${nInner};
  let o = c / ${nInner};
  let tBase = ${param(target.slot)} + ${address("o", outer, target.strides.slice(0, axis))} + ${address("inn", inner, target.strides.slice(axis + 1))};
  let sBase = ${param(src.slot)} + ${address("o", outer, sOuter)} + ${address("inn", inner, sInner)};
  for (var k = 0; k < ${nIds}; k = k + 1) {
    var id = I[${param(ids.slot)} + ${address("k", ids.shape, ids.strides)}];
    if (id < 0) { id = id + ${size}; }
    id = clamp(id, 0, ${Math.max(size - 1, 0)});
    let t = tBase + id * ${target.strides[axis]};
    ${store(target, "t", `${load(target, "t")} + ${load(src, `sBase + ${address("k", ids.shape, sIds)}`)}`)}
  }
}
`);
  return { source, groups: grid(Math.ceil(n / WORKGROUP)) };
}

/** out's element i (C order over its shape) from a's element i (C order over a's shape): a reshaping copy. */
export function reshapeSource(a: View, out: View): Source {
  const n = out.shape.reduce((p, d) => p * d, 1);
  const src = `${param(a.slot)} + ${address("i", a.shape, a.strides)}`;
  const dst = `${param(out.slot)} + ${address("i", out.shape, out.strides)}`;
  const source = shader(`@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = i32(g.y) * ${MAX_X * WORKGROUP} + i32(g.x);
  if (i >= ${n}) { return; }
  ${a.arena === out.arena ? `${out.arena}[${dst}] = ${a.arena}[${src}];` : store(out, dst, load(a, src))}
}
`);
  return { source, groups: grid(Math.ceil(n / WORKGROUP)) };
}
