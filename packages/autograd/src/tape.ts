// The tape. Every recorded op is a Node: plain data holding the op's name, edges to the
// nodes (or leaves) that produced its inputs, what its VJP needs, and a creation number.
// Creation order is a topological order, so the backward walk is: collect the nodes
// reachable from the output (an explicit stack, never recursion), sort by number, walk in
// reverse. Nothing global holds a node: a graph lives exactly as long as its outputs.

import { NDArray, fmtShape } from "@tapegrad/tensor";
import type { Tensor } from "./tensor.js";

export class AutogradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Where an input's gradient goes: a leaf's `.grad`, or one output slot of a parent node. */
export type Edge = { leaf: Tensor; node: null; index: 0 } | { leaf: null; node: Node; index: number } | null;

export interface VjpContext<A = unknown> {
  inputs: readonly Tensor[];
  /** The op's outputs (one for most ops). */
  outputs: readonly Tensor[];
  attrs: A;
  /** Whatever the forward chose to keep beyond inputs and outputs (NDArrays, index arrays ...). */
  saved: unknown;
}

/** Gradients for the outputs in; gradients for the inputs out (null where an input gets none). */
export type VjpFn<A = unknown> = (grads: readonly Tensor[], ctx: VjpContext<A>) => readonly (Tensor | null | undefined)[];

export class Node {
  static counter = 0;
  readonly id = Node.counter++;
  /** Storage versions of the saved tensors at record time; checked before the VJP runs. */
  readonly versions: number[];
  ctx: VjpContext | null;
  released = false;

  constructor(
    readonly op: string,
    readonly edges: readonly Edge[],
    readonly vjp: VjpFn,
    ctx: VjpContext,
    /** which of ctx.inputs / ctx.outputs the VJP reads (checked for in-place changes) */
    readonly watched: readonly Tensor[],
    readonly nOutputs: number,
  ) {
    this.ctx = ctx;
    this.versions = watched.map((t) => t.data.version);
  }

  describe(): string {
    const shapes = this.ctx ? this.ctx.inputs.map((t) => fmtShape(t.shape)).join(", ") : "released";
    return `${this.op}(${shapes})`;
  }
}

// ---------------------------------------------------------------- modes

let gradEnabled = true;
let anomaly = false;

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
  const prev = anomaly;
  anomaly = true;
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
