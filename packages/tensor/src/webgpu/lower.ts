// A traced program (program.ts) lowered to WebGPU: each recorded kernel call becomes a compute
// dispatch, runs of elementwise calls one generated dispatch (fused as fuse.ts decides: the
// same legality, so one invocation per element is as safe as one loop iteration), and a replay
// encodes every dispatch of the step in one command buffer. Kernels with no lowering may run on
// the CPU at the frontier: before the dispatches, when they read nothing the GPU writes (RNG
// draws, target bookkeeping, a learning rate); their results are uploaded. Any other is refused.
//
// Every array of the program lives in one of two GPU buffers (wgsl.ts): F for float values
// (float64 ones in float32: WGSL has no f64, so a program whose state, a parameter or an input,
// is a float64 array of more than one element is refused; float64 values the step computes, as
// clipGradNorm's sums and an optimizer's step count, are computed in float32),
// I for int32 and bool ones. The CPU arrays stay where they are: a run uploads the arrays the CPU
// changed (arguments, state the caller wrote), downloads what the caller reads at once, and marks
// the state the GPU changed stale (stale.ts) until sync() brings it back.

/// <reference types="@webgpu/types" />

import { NDArray } from "../ndarray.js";
import type { Storage } from "../dtype.js";
import { TapegradError, fmtShape } from "../errors.js";
import { broadcastShapes, broadcastStrides, normalizeAxes, normalizeAxis } from "../shape.js";
import { rowStride } from "../iter.js";
import { storageOverlaps } from "../storage.js";
import { clearStale, isStale, markStale } from "../stale.js";
import { FusedGroup, elementOps, type ElementOp } from "../fuse.js";
import { CALL, COPY, NONE, OUT, type Program, type Step } from "../program.js";
import * as elementwise from "../elementwise.js";
import { unwrapped } from "../kernel.js";
import { ELEMENTS, shader, MAX_X, WORKGROUP, accessKey, address, f32, grid, param, type Arena, type WgslElement } from "./wgsl.js";
import { indexAddSource, matmulSource, reduceSource, reshapeSource, softmaxSource, takeSource, type ReduceKind, type Source, type View } from "./kernels.js";

const { assign } = unwrapped(elementwise);

// WebGPU's flag values (the GPUBufferUsage, GPUShaderStage and GPUMapMode globals are not
// defined in Node unless the caller installs them)
const STORAGE = 0x80, UNIFORM = 0x40, COPY_DST = 0x08, COPY_SRC = 0x04, MAP_READ = 0x01;
const COMPUTE = 0x4;
const READ = 0x1;

/** A program that cannot run on WebGPU as traced: the message names the kernel and why. */
export class LoweringError extends TapegradError {}

/** Parameters per dispatch (u32s in one 256-byte uniform slot). */
const SLOT_BYTES = 256;
const MAX_PARAMS = SLOT_BYTES / 4;

interface Region {
  arena: Arena;
  /** the first element in its arena */
  at: number;
  length: number;
  storage: Storage;
}

/** One dispatch: its shader, its bases (parameters), its size, and the recorded calls it runs. */
interface Dispatch {
  source: string;
  params: number[];
  groups: [number, number, number];
  kernels: string[];
  steps: number[];
}

/** What a lowering found: its dispatches, the calls left to the CPU frontier, and the arrays. */
export interface LoweringReport {
  dispatches: number;
  pipelines: number;
  bytes: number;
  frontier: string[];
  lowered: Map<string, number>;
}

/** An elementwise op with the WGSL of its element. */
interface GpuOp {
  name: string;
  out: NDArray;
  ins: (NDArray | number)[];
  el: WgslElement;
  step: number;
}

const FILLS: Record<string, (args: readonly unknown[]) => number | undefined> = {
  zeros: () => 0,
  zerosLike: () => 0,
  ones: () => 1,
  onesLike: () => 1,
  full: (a) => a[1] as number,
  fullLike: (a) => a[1] as number,
};

function arenaOf(a: NDArray | Storage): Arena {
  const d = a instanceof NDArray ? a.dtype : a instanceof Float32Array || a instanceof Float64Array ? "float32" : "int32";
  return d === "float32" || d === "float64" ? "F" : "I";
}

/** Every array among a call's arguments (itself, in lists, in options objects). */
function arraysOf(v: unknown, out: NDArray[] = [], depth = 0): NDArray[] {
  if (v instanceof NDArray) out.push(v);
  else if (depth < 3 && Array.isArray(v)) for (const x of v) arraysOf(x, out, depth + 1);
  else if (depth < 3 && v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) arraysOf(x, out, depth + 1);
  return out;
}

/** An n-d array seen as (..., rows, cols) with 1-D ones given a unit dim, as matmul reads them. */
function asMatrix(x: NDArray, front: boolean): { shape: number[]; strides: number[] } {
  if (x.ndim >= 2) return { shape: [...x.shape], strides: [...x.strides] };
  return front ? { shape: [1, x.shape[0]!], strides: [0, x.strides[0]!] } : { shape: [x.shape[0]!, 1], strides: [x.strides[0]!, 0] };
}

function describe(s: Step, i: number): string {
  const arrays = arraysOf(s.args).map((a) => `${a.dtype}${fmtShape(a.shape)}`);
  return `kernel #${i} (${s.name}${arrays.length ? ` of ${arrays.join(", ")}` : ""})`;
}

/**
 * Lowers a traced program's planned steps to dispatches, without a device: what runs where, or
 * a LoweringError naming the first kernel that can run nowhere. `placeholders` are the arrays
 * the caller writes before each run (the step's arguments).
 */
export class Lowering {
  readonly regions = new Map<Storage, Region>();
  readonly sizes = { F: 0, I: 0 };
  readonly dispatches: Dispatch[] = [];
  /** indices of the steps that run on the CPU before the dispatches */
  readonly frontier: number[] = [];
  /** storages some dispatch writes */
  readonly written = new Set<Storage>();
  readonly lowered = new Map<string, number>();
  private readonly steps: readonly Step[];
  private group: FusedGroup | null = null;
  private ops: GpuOp[] = [];

  constructor(program: Program) {
    this.steps = program.plannedSteps();
    const gpu: boolean[] = this.steps.map((s) => this.lowerable(s));
    // what the GPU steps write: frontier steps must read none of it
    const writer = new Map<Storage, number>();
    this.steps.forEach((s, i) => {
      if (gpu[i]) for (const a of this.writesOf(s)) if (!writer.has(a.data)) writer.set(a.data, i);
    });
    for (const d of writer.keys()) this.written.add(d);
    const touched = new Map<Storage, number>();
    this.steps.forEach((s, i) => {
      if (!gpu[i]) return;
      for (const a of [...arraysOf(s.self), ...arraysOf(s.args), ...s.targets.filter((t): t is NDArray => t !== null)]) if (!touched.has(a.data)) touched.set(a.data, i);
    });
    // float64 state is refused; float64 values the step computes (clipGradNorm's sums) run in float32
    const made = new Set<Storage>();
    for (const s of this.steps) for (const t of s.targets) if (t !== null) made.add(t.data);
    this.steps.forEach((s, i) => {
      for (const a of [...arraysOf(s.self), ...arraysOf(s.args)]) if (!made.has(a.data)) this.checkFloat(a, s, i);
      if (gpu[i]) return;
      // what it reads must be the CPU's when the frontier runs (before every dispatch): not state
      // the GPU writes (a previous run's value), not a value a GPU step before it makes
      const reads = [...arraysOf(s.self), ...arraysOf(s.args)];
      const bad = reads.find((a) => this.written.has(a.data) && (!made.has(a.data) || writer.get(a.data)! < i));
      if (bad !== undefined) {
        throw new LoweringError(
          `compile (webgpu): ${describe(s, i)} has no WebGPU lowering, and it reads a ${bad.dtype}${fmtShape(bad.shape)} array that the GPU writes, so it cannot run on the CPU before the dispatches either. ` +
            `Lowered kernels: ${Object.keys(ELEMENTS).concat(NON_ELEMENTWISE).sort().join(", ")}`,
        );
      }
      // what it writes is uploaded before every dispatch: no GPU step before it may use that array
      const target = s.targets.find((t) => t !== null && (touched.get(t.data) ?? Infinity) < i);
      if (target) {
        const w = touched.get(target.data)!;
        throw new LoweringError(`compile (webgpu): ${describe(s, i)} runs on the CPU before the dispatches (it has no WebGPU lowering) but writes an array that ${describe(this.steps[w]!, w)}, before it, uses on the GPU`);
      }
      this.frontier.push(i);
    });
    this.steps.forEach((s, i) => {
      if (gpu[i]) this.lower(s, i);
    });
    this.flush();
    this.checkOverlaps();
  }

  /** Refuses float64 state of more than one element (WGSL has no f64): parameters, optimizer state, inputs. */
  private checkFloat(a: NDArray, s: Step, i: number): void {
    if (a.dtype === "float64" && a.data.length > 1) {
      throw new LoweringError(
        `compile (webgpu): ${describe(s, i)} uses a float64 array of shape ${fmtShape(a.shape)}; WebGPU has no float64 (WGSL has no f64): use float32 parameters and inputs (dtype: "float32")`,
      );
    }
  }

  private region(a: NDArray | Storage): Region {
    const d = a instanceof NDArray ? a.data : a;
    let r = this.regions.get(d);
    if (r === undefined) {
      const arena = arenaOf(d);
      r = { arena, at: this.sizes[arena], length: d.length, storage: d };
      // every region starts on a 16-byte boundary
      this.sizes[arena] += Math.ceil(Math.max(d.length, 1) / 4) * 4;
      this.regions.set(d, r);
    }
    return r;
  }

  /** Two distinct storages over the same bytes would be two regions of the GPU: refused. */
  private checkOverlaps(): void {
    const byBuffer = new Map<ArrayBufferLike, Storage[]>();
    for (const d of this.regions.keys()) {
      const list = byBuffer.get(d.buffer);
      if (list) list.push(d);
      else byBuffer.set(d.buffer, [d]);
    }
    for (const list of byBuffer.values()) {
      if (list.length < 2) continue;
      list.sort((x, y) => x.byteOffset - y.byteOffset);
      for (let k = 1; k < list.length; k++) {
        if (storageOverlaps(list[k - 1]!, list[k]!)) throw new LoweringError("compile (webgpu): two typed arrays of the step share memory (a typed array made over another's buffer); give each array its own storage");
      }
    }
  }

  /** Whether a step has a lowering. */
  private lowerable(s: Step): boolean {
    if (s.mode === NONE) return true;
    return this.gpuOps(s, -1) !== null || NON_ELEMENTWISE.includes(s.name);
  }

  private writesOf(s: Step): NDArray[] {
    const out = s.targets.filter((t): t is NDArray => t !== null);
    if (s.name === "indexAdd" && s.args[0] instanceof NDArray) out.push(s.args[0]);
    const ops = this.gpuOps(s, -1);
    if (ops) for (const op of ops) out.push(op.out);
    return out;
  }

  /** A call as elementwise ops with their WGSL, or null. */
  private gpuOps(s: Step, index: number): GpuOp[] | null {
    const target = s.mode === CALL ? null : s.targets.length === 1 ? s.targets[0]! : null;
    const fillValue = FILLS[s.name]?.(s.args);
    if (fillValue !== undefined) return target === null ? null : [{ name: s.name, out: target, ins: [fillValue], el: ELEMENTS.fill!, step: index }];
    const el = ELEMENTS[s.name];
    if (el === undefined) return null;
    let loops: { out: unknown; ins: unknown[] }[] | null = null;
    if (s.info.elementwise !== undefined) {
      loops = elementOps(s, target)?.map((o) => ({ out: o.out, ins: o.ins })) ?? null;
    }
    // the autograd engine's sums that declined the layout (returned false or null) wrote nothing
    if (loops === null && (s.name === "addInto" || (s.name === "addGrads" && s.mode === CALL))) return [];
    if (loops === null) {
      const a = s.args;
      switch (s.name) {
        case "erf": case "contiguous": loops = [{ out: target, ins: [a[0]] }]; break;
        case "clip": loops = [{ out: target, ins: [a[0], a[1], a[2]] }]; break;
        case "addGrads": loops = [{ out: target, ins: [a[0], a[1]] }]; break;
        case "assign": case "fill": loops = s.mode === CALL ? [{ out: a[0], ins: [a[1]] }] : null; break;
        case "copy": loops = target && (a[1] === undefined || a[1] === target.dtype) ? [{ out: target, ins: [a[0]] }] : null; break;
        case "stackRows": loops = target ? this.stackRowsLoops(a, target) : null; break;
        case "reshape": loops = null; break;
        default:
          if (s.info.out !== undefined) loops = [{ out: a[s.info.out] ?? target, ins: a.slice(0, s.info.out) }];
      }
    }
    if (loops === null) return null;
    const ops: GpuOp[] = [];
    for (const l of loops) {
      if (!(l.out instanceof NDArray) || !l.out.writable) return null;
      if (!l.ins.every((x) => typeof x === "number" || (x instanceof NDArray && broadcastsTo(x.shape, (l.out as NDArray).shape)))) return null;
      if (l.out.size === 0) continue;
      if (el.kind === "f" && l.out.dtype !== "float32" && l.out.dtype !== "float64") return null; // int arithmetic is not lowered
      ops.push({ name: s.name, out: l.out, ins: l.ins as (NDArray | number)[], el, step: index });
    }
    return ops;
  }

  private stackRowsLoops(a: readonly unknown[], target: NDArray): { out: unknown; ins: unknown[] }[] | null {
    const blocks = a[0];
    if (!Array.isArray(blocks) || !target.isContiguous()) return null;
    const width = target.shape[1]!;
    const loops: { out: unknown; ins: unknown[] }[] = [];
    let row = 0;
    for (const b of blocks) {
      if (!(b instanceof NDArray) || !b.isContiguous()) return null;
      const rows = b.size / width;
      loops.push({ out: target.view([rows, width], [width, 1], target.offset + row * width), ins: [b.view([rows, width], [width, 1], b.offset)] });
      row += rows;
    }
    return loops;
  }

  private lower(s: Step, index: number): void {
    if (s.mode === NONE) return;
    const ops = this.gpuOps(s, index);
    if (ops !== null) {
      for (const op of ops) this.addOp(op);
      this.count(s.name);
      return;
    }
    this.flush();
    const source = this.kernelSource(s, index);
    if (source !== null) {
      this.dispatches.push({ ...source.src, params: source.params, kernels: [s.name], steps: [index] });
      this.count(s.name);
    }
  }

  private count(name: string): void {
    this.lowered.set(name, (this.lowered.get(name) ?? 0) + 1);
  }

  // ------------------------------------------------------------ elementwise groups

  private addOp(op: GpuOp): void {
    const e: ElementOp = { name: op.name, out: op.out, ins: op.ins, how: { expr: () => "" } };
    if (this.group === null || !this.group.tryAdd(e)) {
      this.flush();
      this.group = new FusedGroup(op.out.size, op.out.dtype === "float32");
      if (!this.group.tryAdd(e)) {
        throw new LoweringError(`compile (webgpu): kernel #${op.step} (${op.name}) writes an array that overlaps what it reads at another position; it has no WebGPU lowering for that layout`);
      }
    }
    this.ops.push(op);
  }

  private flush(): void {
    if (this.group === null || this.ops.length === 0) {
      this.group = null;
      this.ops = [];
      return;
    }
    const n = this.group.n;
    const params: number[] = [];
    const slotOf = new Map<string, number>();
    const base = (a: NDArray): number => {
      const r = this.region(a);
      const at = r.at + a.offset;
      const key = `${r.arena}${at}`;
      let k = slotOf.get(key);
      if (k === undefined) {
        k = params.length;
        params.push(at);
        slotOf.set(key, k);
      }
      return k;
    };
    const lines: string[] = [];
    const cur = new Map<string, { name: string; int: boolean }>();
    let v = 0;
    const operand = (x: NDArray | number, shape: readonly number[], want: "f" | "raw"): { expr: string; int: boolean } => {
      if (typeof x === "number") return { expr: f32(x), int: false };
      const arena = arenaOf(x);
      const k = base(x);
      const strides = broadcastStrides(x.shape, x.strides, shape);
      const key = accessKey(`${arena}${k}`, shape, strides);
      let c = cur.get(key);
      if (c === undefined) {
        c = { name: `x${v++}`, int: arena === "I" };
        lines.push(`let ${c.name} = ${arena}[${param(k)} + ${address("i", shape, strides)}];`);
        cur.set(key, c);
      }
      return want === "f" && c.int ? { expr: `f32(${c.name})`, int: false } : { expr: c.name, int: c.int };
    };
    for (const op of this.ops) {
      const shape = op.out.shape;
      let value: { expr: string; int: boolean };
      if (op.el.kind === "move") {
        value = operand(op.ins[0]!, shape, "raw");
      } else {
        const xs = op.ins.map((x) => operand(x, shape, "f").expr);
        value = { expr: op.el.expr(xs), int: op.el.kind === "b" };
      }
      const arena = arenaOf(op.out);
      const name = `v${v++}`;
      let stored = value.expr;
      if (arena === "F" && value.int) stored = `f32(${value.expr})`;
      if (arena === "I" && !value.int) stored = op.out.dtype === "bool" ? `select(0, 1, ${value.expr} != 0.0)` : `i32(${value.expr})`;
      lines.push(`let ${name} = ${stored};`);
      const k = base(op.out);
      lines.push(`${arena}[${param(k)} + ${address("i", shape, op.out.strides)}] = ${name};`);
      cur.set(accessKey(`${arena}${k}`, shape, op.out.strides), { name, int: arena === "I" });
    }
    const groups = grid(Math.ceil(n / WORKGROUP));
    const source = shader(`@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = i32(g.y) * ${MAX_X * WORKGROUP} + i32(g.x);
  if (i >= ${n}) { return; }
  ${lines.join("\n  ")}
}
`);
    this.dispatches.push({ source, params, groups, kernels: this.ops.map((o) => o.name), steps: [...new Set(this.ops.map((o) => o.step))] });
    this.group = null;
    this.ops = [];
  }

  // ------------------------------------------------------------ other kernels

  private view(a: NDArray, params: number[], shape: readonly number[] = a.shape, strides: readonly number[] = a.strides): View {
    const r = this.region(a);
    params.push(r.at + a.offset);
    return { slot: params.length - 1, arena: r.arena, shape, strides };
  }

  private kernelSource(s: Step, index: number): { src: Source; params: number[] } | null {
    const params: number[] = [];
    const a = s.args;
    const target = s.targets.length === 1 ? s.targets[0] ?? null : null;
    const need = (c: boolean, why: string): void => {
      if (!c) throw new LoweringError(`compile (webgpu): ${describe(s, index)}: ${why}; it has no WebGPU lowering for that`);
    };
    const floats = (...xs: unknown[]) => need(xs.every((x) => x instanceof NDArray && (x.dtype === "float32" || x.dtype === "float64")), "its arrays must be float32");
    switch (s.name) {
      case "matmul": {
        const [x, y] = a as [NDArray, NDArray];
        const t = (a[2] as NDArray | undefined) ?? target;
        floats(x, y, t);
        const A = asMatrix(x, true);
        const B = asMatrix(y, false);
        const M = A.shape[A.shape.length - 2]!;
        const K = A.shape[A.shape.length - 1]!;
        const N = B.shape[B.shape.length - 1]!;
        const batch = broadcastShapes("matmul", A.shape.slice(0, -2), B.shape.slice(0, -2));
        // the result with matmul's dropped unit dims restored
        const ts = [...t!.strides];
        if (x.ndim === 1) ts.splice(batch.length, 0, 0);
        if (y.ndim === 1) ts.push(0);
        const tShape = [...batch, M, N];
        if (M === 0 || N === 0) return null;
        need(batch.reduce((p, d) => p * d, 1) <= 65535, "over 65535 batches");
        const av = this.view(x, params, A.shape, A.strides);
        const bv = this.view(y, params, B.shape, B.strides);
        const cv = this.view(t!, params, tShape, ts);
        const bs: [number[], number[], number[]] = [
          broadcastStrides(A.shape.slice(0, -2), A.strides.slice(0, -2), batch),
          broadcastStrides(B.shape.slice(0, -2), B.strides.slice(0, -2), batch),
          ts.slice(0, -2),
        ];
        return { src: matmulSource(av, bv, cv, M, N, K, batch, bs), params };
      }
      case "matmulTN": {
        const [x, g] = a as [NDArray, NDArray];
        floats(x, g, target);
        const K = x.shape[x.ndim - 1]!;
        const N = g.shape[g.ndim - 1]!;
        const lead = x.shape.slice(0, -1);
        const rows = lead.reduce((p, d) => p * d, 1);
        const ars = rowStride(lead, x.strides.slice(0, -1), 1);
        const grs = rowStride(g.shape.slice(0, -1), g.strides.slice(0, -1), 1);
        if (K === 0 || N === 0) return null;
        // (K, rows) @ (rows, N): x read transposed, as its strides say; rows that do not fold
        // into one stride are walked as the leading dims they are
        const folds = ars === ars && grs === grs;
        const kDims = folds ? undefined : { shape: lead, a: x.strides.slice(0, -1), b: g.strides.slice(0, -1) };
        const av = this.view(x, params, [K, rows], [x.strides[x.ndim - 1]!, folds ? ars : 0]);
        const bv = this.view(g, params, [rows, N], [folds ? grs : 0, g.strides[g.ndim - 1]!]);
        const cv = this.view(target!, params, [K, N], [target!.strides[0]!, target!.strides[1]!]);
        return { src: matmulSource(av, bv, cv, K, N, rows, [], [[], [], []], kDims), params };
      }
      case "sum": case "mean": case "max": case "logsumexp": {
        const x = a[0] as NDArray;
        floats(x, target);
        const axes = normalizeAxes(s.name, a[1] as number | number[] | undefined, x.ndim);
        return this.reduce(x, axes, target!, s.name as ReduceKind, params);
      }
      case "sumTo": {
        const x = a[0] as NDArray;
        floats(x, target);
        const shape = a[1] as readonly number[];
        const lead = x.ndim - shape.length;
        const axes = x.shape.map((d, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1));
        return this.reduce(x, axes, target!, "sum", params);
      }
      case "softmax": case "logSoftmax": {
        const x = a[0] as NDArray;
        floats(x, target);
        const axis = normalizeAxis(s.name, (a[1] as number | undefined) ?? -1, x.ndim);
        if (x.size === 0) return null;
        const av = this.view(x, params);
        const ov = this.view(target!, params);
        return { src: softmaxSource(av, ov, axis, s.name === "logSoftmax"), params };
      }
      case "take": {
        const [x, ids] = a as [NDArray, unknown];
        need(ids instanceof NDArray && (ids.dtype === "int32"), "its indices must be an int32 array");
        need(a[2] !== undefined && a[2] !== null, "take without an axis (of the flattened array)");
        const axis = normalizeAxis("take", a[2] as number, x.ndim);
        if (target!.size === 0) return null;
        const av = this.view(x, params);
        const iv = this.view(ids as NDArray, params);
        const ov = this.view(target!, params);
        return { src: takeSource(av, iv, ov, axis), params };
      }
      case "indexAdd": {
        const [t, ids, src] = a as [NDArray, unknown, NDArray];
        need(ids instanceof NDArray && ids.dtype === "int32", "its indices must be an int32 array");
        need(!storageOverlaps(src.data, t.data), "its source overlaps its target");
        const axis = normalizeAxis("indexAdd", (a[3] as number | undefined) ?? 0, t.ndim);
        if (t.size === 0 || src.size === 0) return null;
        const tv = this.view(t, params);
        const iv = this.view(ids as NDArray, params);
        const sv = this.view(src, params);
        return { src: indexAddSource(tv, iv, sv, axis), params };
      }
      case "reshape": {
        const x = a[0] as NDArray;
        need(target !== null && target.size === x.size, "a reshape that is not a copy");
        if (x.size === 0) return null;
        const av = this.view(x, params);
        const ov = this.view(target!, params);
        return { src: reshapeSource(av, ov), params };
      }
      default:
        throw new LoweringError(`compile (webgpu): ${describe(s, index)} has no WebGPU lowering`);
    }
  }

  private reduce(x: NDArray, axes: readonly number[], out: NDArray, kind: ReduceKind, params: number[]): { src: Source; params: number[] } | null {
    if (out.size === 0) return null;
    const keptDims = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const av = this.view(x, params);
    const ov = this.view(out, params);
    const kept: [number[], number[]] = [keptDims.map((i) => x.shape[i]!), keptDims.map((i) => x.strides[i]!)];
    const reduced: [number[], number[]] = [axes.map((i) => x.shape[i]!), axes.map((i) => x.strides[i]!)];
    return { src: reduceSource(av, ov, kept, reduced, kind), params };
  }

  /** Dispatches, pipelines (distinct shaders), GPU bytes, and the kernels left to the CPU frontier. */
  report(): LoweringReport {
    return {
      dispatches: this.dispatches.length,
      pipelines: new Set(this.dispatches.map((d) => d.source)).size,
      bytes: this.bytes,
      frontier: this.frontier.map((i) => this.steps[i]!.name),
      lowered: this.lowered,
    };
  }

  /** Bytes of the two arenas. */
  get bytes(): number {
    return (this.sizes.F + this.sizes.I) * 4;
  }

  /** The planned steps (what the frontier runs). */
  get plannedSteps(): readonly Step[] {
    return this.steps;
  }
}

/** The kernels lowered by a shader of their own (kernels.ts). */
const NON_ELEMENTWISE = ["matmul", "matmulTN", "sum", "mean", "max", "logsumexp", "sumTo", "softmax", "logSoftmax", "take", "indexAdd", "reshape"];

function broadcastsTo(shape: readonly number[], out: readonly number[]): boolean {
  if (shape.length > out.length) return false;
  const lead = out.length - shape.length;
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1 && shape[i] !== out[lead + i]) return false;
  return true;
}

// ---------------------------------------------------------------- running on a device

function sameStrides(a: NDArray, b: NDArray): boolean {
  return a.ndim === b.ndim && a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i]);
}

/** A frontier step, run on the CPU as program.ts runs a recorded step. */
function runOnCpu(s: Step): void {
  if (s.mode === CALL || s.mode === OUT) {
    s.fn.apply(s.self, s.args);
  } else if (s.mode === COPY) {
    const r = s.fn.apply(s.self, s.args);
    const results = Array.isArray(r) ? (r as unknown[]) : [r]; // one result, or a list (of one, too)
    s.targets.forEach((t, k) => {
      const x = results[k];
      if (t === null || !(x instanceof NDArray)) return;
      if (x.data === t.data && x.offset === t.offset && sameStrides(x, t)) return;
      assign(t, x);
    });
  }
}

/** Per device: the one bind group layout, and the pipelines made so far, by shader source (shared by every program). */
const perDevice = new WeakMap<GPUDevice, { layout: GPUBindGroupLayout; pipelineLayout: GPUPipelineLayout; cache: Map<string, Promise<GPUComputePipeline>> }>();

function shared(dev: GPUDevice): { layout: GPUBindGroupLayout; pipelineLayout: GPUPipelineLayout; cache: Map<string, Promise<GPUComputePipeline>> } {
  let s = perDevice.get(dev);
  if (s === undefined) {
    const layout = dev.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: COMPUTE, buffer: { type: "storage" } },
        { binding: 1, visibility: COMPUTE, buffer: { type: "storage" } },
        { binding: 2, visibility: COMPUTE, buffer: { type: "uniform" } },
      ],
    });
    s = { layout, pipelineLayout: dev.createPipelineLayout({ bindGroupLayouts: [layout] }), cache: new Map() };
    perDevice.set(dev, s);
  }
  return s;
}

/**
 * A lowered program on a device: `run()` runs the frontier on the CPU, uploads what changed,
 * encodes every dispatch in one command buffer, and downloads the arrays asked for; `sync()`
 * brings the state the GPU wrote back into the CPU arrays.
 */
export class GpuProgram {
  private readonly device: GPUDevice;
  private readonly arenas: { F: GPUBuffer; I: GPUBuffer };
  private readonly passes: { pipeline: GPUComputePipeline | null; bind: GPUBindGroup; groups: [number, number, number] }[] = [];
  readonly pipelines: number;
  /** the CPU version each outside array had when its values were last the GPU's too */
  private readonly versions = new Map<Storage, number>();
  /** outside arrays (state, arguments) the program reads or writes: one array per storage */
  private readonly outside: NDArray[];
  /** state arrays the GPU writes, which the caller may read: marked stale after a run */
  private readonly state: NDArray[];
  private dirty = false;
  /** The validation of the shaders and pipelines (an error there is a bug of the lowering). */
  private ready: Promise<Error | null> | null;
  private readonly advice: string;

  constructor(
    readonly lowering: Lowering,
    device: object,
    options: { outside: readonly NDArray[]; kept: readonly NDArray[]; advice: string },
  ) {
    this.device = device as GPUDevice;
    this.advice = options.advice;
    const dev = this.device;
    const maxBinding = dev.limits.maxStorageBufferBindingSize;
    for (const arena of ["F", "I"] as const) {
      if (lowering.sizes[arena] * 4 > maxBinding) {
        throw new LoweringError(`compile (webgpu): the step's ${arena === "F" ? "float" : "integer"} arrays take ${lowering.sizes[arena] * 4} bytes, over this device's maxStorageBufferBindingSize (${maxBinding}); request a larger limit in requestDevice({ requiredLimits })`);
      }
    }
    const usage = STORAGE | COPY_DST | COPY_SRC;
    this.arenas = {
      F: dev.createBuffer({ size: Math.max(16, lowering.sizes.F * 4), usage, label: "tapegrad F" }),
      I: dev.createBuffer({ size: Math.max(16, lowering.sizes.I * 4), usage, label: "tapegrad I" }),
    };
    const { layout, pipelineLayout, cache } = shared(dev);
    const ds = lowering.dispatches;
    const uniforms = dev.createBuffer({ size: Math.max(1, ds.length) * SLOT_BYTES, usage: UNIFORM | COPY_DST, label: "tapegrad params" });
    const words = new Uint32Array(Math.max(1, ds.length) * MAX_PARAMS);
    const pending: Promise<GPUComputePipeline>[] = [];
    ds.forEach((d, k) => {
      if (d.params.length > MAX_PARAMS) throw new LoweringError(`compile (webgpu): a dispatch of [${d.kernels.join(", ")}] reads ${d.params.length} arrays, over ${MAX_PARAMS}`);
      words.set(d.params, k * MAX_PARAMS);
      let pipeline = cache.get(d.source);
      if (pipeline === undefined) {
        const module = dev.createShaderModule({ code: d.source, label: d.kernels.join(",") });
        // made asynchronously: a shader that does not compile rejects, and run() reports it
        pipeline = dev.createComputePipelineAsync({ layout: pipelineLayout, compute: { module, entryPoint: "main" }, label: d.kernels.join(",") });
        cache.set(d.source, pipeline);
      }
      pending.push(pipeline);
      const bind = dev.createBindGroup({
        layout,
        entries: [
          { binding: 0, resource: { buffer: this.arenas.F } },
          { binding: 1, resource: { buffer: this.arenas.I } },
          { binding: 2, resource: { buffer: uniforms, offset: k * SLOT_BYTES, size: SLOT_BYTES } },
        ],
      });
      this.passes.push({ pipeline: null, bind, groups: d.groups });
    });
    dev.queue.writeBuffer(uniforms, 0, words);
    this.ready = Promise.all(pending).then(
      (made) => {
        made.forEach((pipeline, k) => (this.passes[k]!.pipeline = pipeline));
        return null;
      },
      (err: Error) => err,
    );
    this.pipelines = new Set(ds.map((d) => d.source)).size;
    const seen = new Set<Storage>();
    this.outside = options.outside.filter((a) => {
      if (seen.has(a.data) || !lowering.regions.has(a.data)) return false;
      seen.add(a.data);
      return true;
    });
    const stateSeen = new Set<Storage>();
    this.state = [...this.outside, ...options.kept].filter((a) => {
      if (stateSeen.has(a.data) || !lowering.written.has(a.data)) return false;
      stateSeen.add(a.data);
      return true;
    });
  }

  /** Whether the GPU holds state newer than the CPU arrays. */
  get unsynced(): boolean {
    return this.dirty;
  }

  private upload(d: Storage): void {
    const r = this.lowering.regions.get(d);
    if (r === undefined || d.length === 0) return;
    const data = d instanceof Float32Array || d instanceof Int32Array ? d : d instanceof Float64Array ? Float32Array.from(d) : Int32Array.from(d);
    this.device.queue.writeBuffer(this.arenas[r.arena], r.at * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * One replay: the frontier on the CPU, the uploads, every dispatch in one command buffer,
   * and `read` downloaded into its CPU arrays. The GPU's state is then marked stale on the CPU.
   */
  async run(read: readonly NDArray[]): Promise<void> {
    if (this.ready !== null) {
      const err = await this.ready;
      this.ready = null;
      if (err !== null) throw new LoweringError(`compile (webgpu): a generated shader did not compile; this is a bug in tapegrad's WebGPU lowering: ${err.message}`);
    }
    const steps = this.lowering.plannedSteps;
    for (const i of this.lowering.frontier) runOnCpu(steps[i]!);
    for (const i of this.lowering.frontier) {
      const s = steps[i]!;
      for (const t of s.targets) if (t !== null) this.upload(t.data);
      if (s.mode === CALL) for (const a of arraysOf(s.args)) this.upload(a.data);
    }
    for (const a of this.outside) {
      if (isStale(a.data) && !(this.dirty && this.lowering.written.has(a.data))) {
        throw new LoweringError(`compile (webgpu): a ${a.dtype}${fmtShape(a.shape)} array the step reads holds values that another GPU-compiled step has newer: await that step's sync() first`);
      }
      if (this.versions.get(a.data) === a.version) continue;
      if (this.dirty && this.lowering.written.has(a.data)) {
        throw new LoweringError(`compile (webgpu): a ${a.dtype}${fmtShape(a.shape)} array of the step's state was written on the CPU while the GPU held newer values; ${this.advice} before changing the state`);
      }
      this.upload(a.data);
      this.versions.set(a.data, a.version);
    }
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const p of this.passes) {
      pass.setPipeline(p.pipeline!);
      pass.setBindGroup(0, p.bind);
      pass.dispatchWorkgroups(p.groups[0], p.groups[1], p.groups[2]);
    }
    pass.end();
    this.device.pushErrorScope("validation");
    const pending = this.download(encoder, read.map((a) => a.data));
    this.device.queue.submit([encoder.finish()]);
    const err = await this.device.popErrorScope();
    if (err !== null) throw new LoweringError(`compile (webgpu): the step's command buffer was refused; this is a bug in tapegrad's WebGPU lowering: ${err.message}`);
    await pending.finish();
    this.dirty = this.state.length > 0;
    const fresh = new Set(read.map((a) => a.data));
    for (const a of this.state) {
      if (fresh.has(a.data)) continue;
      markStale(a.data, this.advice);
    }
  }

  /** Copies the regions of `storages` into a mappable buffer; finish() waits and writes them into the CPU arrays. */
  private download(encoder: GPUCommandEncoder, storages: readonly Storage[]): { finish(): Promise<void> } {
    const list = [...new Set(storages)].filter((d) => this.lowering.regions.has(d) && d.length > 0);
    if (list.length === 0) return { finish: async () => {} };
    let bytes = 0;
    const at = list.map((d) => {
      const o = bytes;
      bytes += d.length * 4;
      return o;
    });
    const staging = this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    list.forEach((d, k) => {
      const r = this.lowering.regions.get(d)!;
      encoder.copyBufferToBuffer(this.arenas[r.arena], r.at * 4, staging, at[k]!, d.length * 4);
    });
    return {
      finish: async () => {
        await staging.mapAsync(READ);
        const mapped = staging.getMappedRange();
        list.forEach((d, k) => {
          const r = this.lowering.regions.get(d)!;
          const src = r.arena === "F" ? new Float32Array(mapped, at[k]!, d.length) : new Int32Array(mapped, at[k]!, d.length);
          if (d instanceof Uint8Array) for (let i = 0; i < d.length; i++) d[i] = src[i] !== 0 ? 1 : 0;
          else d.set(src);
        });
        staging.unmap();
        staging.destroy();
      },
    };
  }

  /** Brings every state array the GPU wrote back into its CPU array, and clears the stale marks. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    const encoder = this.device.createCommandEncoder();
    const pending = this.download(encoder, this.state.map((a) => a.data));
    this.device.queue.submit([encoder.finish()]);
    await pending.finish();
    for (const a of this.state) {
      clearStale(a.data);
      a.bumpVersion();
      this.versions.set(a.data, a.version);
    }
    this.dirty = false;
  }

  /** Drops the stale marks without downloading (the caller restores the state itself). */
  forget(): void {
    for (const a of this.state) clearStale(a.data);
    this.versions.clear();
    this.dirty = false;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    this.forget();
    this.arenas.F.destroy();
    this.arenas.I.destroy();
  }

  /** What the plan printer shows. */
  report(): LoweringReport {
    return this.lowering.report();
  }
}
