// The tape. Every recorded op is a Node: plain data holding the op's name, its inputs (whose
// producers are the graph's edges), what its VJP needs, and a creation number.
// Creation order is a topological order: a node's inputs were made before it. So the backward
// walk needs no sort and no recursion: it takes the newest node that has received a gradient
// (a max-heap keyed by the number), whose consumers have by then all delivered theirs.
// Nothing global holds a node: a graph lives exactly as long as its outputs.

import { NDArray, fmtShape } from "@tapegrad/tensor";
import type { Tensor } from "./tensor.js";

/** A misuse of the tape: backward through a released graph, a saved value modified in place, a gradient of the wrong shape, an anomaly found. The message names the op. */
export class AutogradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Where an input's gradient goes: a leaf's `.grad`, or one output slot of a parent node. */
export type Edge = { leaf: Tensor; node: null; index: 0 } | { leaf: null; node: Node; index: number } | null;

/** What a VJP receives besides the output gradients: the op's inputs, outputs, attributes and saved values. */
export interface VjpContext<A = unknown> {
  inputs: readonly Tensor[];
  /** The op's outputs (one for most ops). */
  outputs: readonly Tensor[];
  attrs: A;
  /** Whatever the forward chose to keep beyond inputs and outputs (NDArrays, index arrays ...). */
  saved: unknown;
}

/**
 * What the engine offers a VJP besides its context (the third argument); a VJP may ignore it.
 * In a backward that builds no graph, the engine's memory (accumulator.ts) answers it.
 *
 * @example
 * ```ts
 * // matmul's VJP, for y = a @ w with w a matrix: the weight's gradient a^T g, deferred if it can be
 * vjp: ([g], { inputs: [a, w] }, hooks) => [matmul(g!, w!.T), hooks?.rowProducts(a!, g!) ?? matmul(a!.T, g!)]
 * ```
 */
export interface VjpHooks {
  /**
   * A^T G over every row of a (..., K) and g (..., N), as a (K, N) gradient that the engine may
   * keep as its factors, so that the gradients of a weight used at every step of a loop add up
   * to one product over all the rows; null: compute it now (matmulWeightGrad).
   */
  rowProducts(a: Tensor, g: Tensor): Tensor | null;
}

/**
 * Gradients for the outputs in; gradients for the inputs out (null where an input gets none).
 * It keeps no reference to either (the rule written at define-op.ts's OpSpec).
 */
export type VjpFn<A = unknown> = (grads: readonly Tensor[], ctx: VjpContext<A>, hooks?: VjpHooks) => readonly (Tensor | null | undefined)[];

/** Where output `index` of an op lies in an array of its input 0's shape (attrs are the op's); see MultiOpSpec. */
export type OutputRegion = (whole: NDArray, index: number, attrs: unknown) => NDArray;

/** Which tensors the VJP reads; they are checked for in-place changes before it runs. Indices are inputs. */
export type Watch = "inputs" | "output" | "both" | "none" | readonly number[];

const NONE: readonly never[] = Object.freeze([]);

/** Where t's gradient goes, if anywhere: its own `.grad` (a leaf) or its producer's output slot. */
export function edgeOf(t: Tensor): Edge {
  if (!t.requiresGrad) return null;
  const node = t.gradFn;
  return node ? { leaf: null, node, index: t.outputIndex } : { leaf: t, node: null, index: 0 };
}

/**
 * A recorded op. It is also the context its VJP receives (inputs, outputs, attrs, saved), so
 * recording one op allocates one object beyond its outputs. The graph's edges are the inputs
 * themselves: an input that requires grad leads to its producer (`gradFn`) or is a leaf.
 */
export class Node implements VjpContext {
  static counter = 0;
  readonly id = Node.counter++;
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
  attrs: unknown;
  saved: unknown;
  released = false;
  readonly nOutputs: number;
  /** For ops whose outputs are disjoint slices of input 0 (unbind): see MultiOpSpec.outputRegion. */
  outputRegion: OutputRegion | null = null;
  /** The watched tensors' arrays and those arrays' storage versions, at record time. */
  private savedArrays: readonly NDArray[];
  private savedVersions: readonly number[];

  constructor(
    readonly op: string,
    readonly vjp: VjpFn,
    ctx: VjpContext,
    /** which of the inputs / outputs the VJP reads (checked for in-place changes) */
    readonly watch: Watch,
  ) {
    this.inputs = ctx.inputs;
    this.outputs = ctx.outputs;
    this.attrs = ctx.attrs;
    this.saved = ctx.saved;
    this.nOutputs = ctx.outputs.length;
    const ts = this.watched;
    if (ts.length === 0) {
      this.savedArrays = NONE;
      this.savedVersions = NONE;
    } else {
      const arrays = new Array<NDArray>(ts.length);
      const versions = new Array<number>(ts.length);
      for (let i = 0; i < ts.length; i++) {
        arrays[i] = ts[i]!.data;
        versions[i] = arrays[i]!.version;
      }
      this.savedArrays = arrays;
      this.savedVersions = versions;
    }
  }

  /** The VJP's context: the node itself, or null once released. */
  get ctx(): VjpContext | null {
    return this.released ? null : this;
  }

  /** Where each input's gradient goes (null for one that needs none); empty once released. */
  get edges(): Edge[] {
    return this.inputs.map(edgeOf);
  }

  /** The tensors the VJP reads (some of the inputs and outputs); none once released. */
  get watched(): readonly Tensor[] {
    switch (this.watch) {
      case "none": return NONE;
      case "inputs": return this.inputs;
      case "output": return this.outputs;
      case "both": return [...this.inputs, ...this.outputs];
      default: return this.released ? NONE : (this.watch as readonly number[]).map((i) => this.inputs[i]!);
    }
  }

  /**
   * Replaces the inputs and outputs that the VJP does not read by `standIn(t)` (value-free.ts's
   * valueFree: the graph position, shape and dtype, without the values), so that this node does
   * not keep their values alive. Called once the outputs are wired to this node.
   */
  dropValues(standIn: (t: Tensor) => Tensor): void {
    const w = this.watch;
    if (w === "both") return;
    if (w !== "inputs") this.inputs = replaced(this.inputs, standIn, w === "output" || w === "none" ? null : w);
    if (w !== "output") this.outputs = replaced(this.outputs, standIn, null);
  }

  /**
   * Makes the non-leaf tensors this node keeps with their values but does not watch (small
   * ones: see value-free.ts) unreadable, as stand-ins are, pushing them onto `marked`;
   * the engine calls it just before the VJP and `unguard` just after, so that a VJP reading a
   * value its op does not watch fails at any size. A tensor that is also watched (mul(x, x)
   * watching one x) stays readable.
   */
  guard(marked: Tensor[]): void {
    const w = this.watch;
    if (w === "both") return;
    if (w === "output" || w === "none") {
      for (const t of this.inputs) mark(t, marked);
    } else if (w !== "inputs") {
      // some inputs watched: one tensor may be both a watched input and an unwatched one
      const keep = w as readonly number[];
      const watched = this.watched;
      for (let i = 0; i < this.inputs.length; i++) {
        const t = this.inputs[i]!;
        if (!keep.includes(i) && !watched.includes(t)) mark(t, marked);
      }
    }
    // an output is never one of its own node's inputs
    if (w !== "output") for (const t of this.outputs) mark(t, marked);
  }

  describe(): string {
    const shapes = this.released ? "released" : this.inputs.map((t) => fmtShape(t.shape)).join(", ");
    return `${this.op}(${shapes})`;
  }

  /** Throws if a saved tensor was written in place, or given new data, since it was recorded. */
  checkSaved(): void {
    if (this.savedArrays.length === 0) return;
    const ts = this.watched;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (t.data !== this.savedArrays[i]) {
        throw new AutogradError(
          `backward: a tensor of shape ${fmtShape(t.shape)} that ${this.op} saved for its gradient was replaced (tensor.data = ...) afterwards; the gradient would use the new values`,
        );
      }
      if (t.data.version !== this.savedVersions[i]) {
        throw new AutogradError(
          `backward: a tensor of shape ${fmtShape(t.shape)} that ${this.op} saved for its gradient was modified in place afterwards (version ${t.data.version}, recorded ${this.savedVersions[i]}); clone it before modifying, or modify a copy`,
        );
      }
    }
  }

  /**
   * Drops everything the VJP would read, the inputs included, so a released graph holds no
   * values and no longer links to its producers; a backward that reaches it again says so.
   */
  release(): void {
    this.inputs = NONE;
    this.outputs = NONE;
    this.attrs = undefined;
    this.saved = undefined;
    this.savedArrays = NONE;
    this.savedVersions = NONE;
    this.released = true;
  }
}

/** ts with every entry not in `keep` (indices) replaced by standIn(entry); ts itself if none changes. */
function replaced(ts: readonly Tensor[], standIn: (t: Tensor) => Tensor, keep: readonly number[] | null): readonly Tensor[] {
  let out: Tensor[] | null = null;
  for (let i = 0; i < ts.length; i++) {
    if (keep !== null && keep.includes(i)) continue;
    const s = standIn(ts[i]!);
    if (s === ts[i]) continue;
    out ??= ts.slice();
    out[i] = s;
  }
  return out ?? ts;
}

/** A non-leaf tensor kept with its values, unreadable until unguard (see Node.guard). */
function mark(t: Tensor, marked: Tensor[]): void {
  if (t.gradFn === null || t._valueFree !== null) return;
  t._valueFree = "stand-in";
  marked.push(t);
}

/** Makes readable again the tensors that Node.guard marked. */
export function unguard(marked: Tensor[]): void {
  if (marked.length === 0) return;
  for (const t of marked) t._valueFree = null;
  marked.length = 0;
}

// ---------------------------------------------------------------- modes

let gradEnabled = true;
let anomaly = false;

/** Whether ops record onto the tape now: false inside noGrad() (PyTorch's torch.is_grad_enabled). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with recording on or off, restoring the previous mode afterwards. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn without recording anything: no op inside it can be differentiated. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function isAnomalyEnabled(): boolean {
  return anomaly;
}

/**
 * Within fn, the first op whose forward or backward yields NaN or Inf throws, naming the op
 * and its input shapes. Costs one scan of every result, so it is for debugging only.
 */
export function detectAnomaly<T>(fn: () => T): T {
  return withAnomaly(true, fn);
}

/**
 * @internal sets anomaly checking for fn. The engine turns it off while a VJP runs, so that an
 * Inf inside a VJP is reported once, as that op's backward, not as the forward of some helper op.
 */
export function withAnomaly<T>(enabled: boolean, fn: () => T): T {
  const prev = anomaly;
  anomaly = enabled;
  try {
    return fn();
  } finally {
    anomaly = prev;
  }
}

export function hasNonFinite(a: NDArray): boolean {
  if (a.dtype !== "float64" && a.dtype !== "float32") return false;
  const c = a.contiguous();
  const d = c.data;
  for (let i = c.offset, e = c.offset + c.size; i < e; i++) {
    const v = d[i]!;
    if (v - v !== 0) return true; // NaN and +-Inf both give NaN here
  }
  return false;
}
