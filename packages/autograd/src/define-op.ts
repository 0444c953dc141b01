// defineOp: one object per op holding its forward (on NDArrays) and its VJP (on Tensors,
// so that a backward pass can itself be recorded and differentiated again).

import * as nd from "@tapegrad/tensor";
import { fmtShape, type NDArray } from "@tapegrad/tensor";
import { AutogradError, Node, hasNonFinite, isAnomalyEnabled, isGradEnabled, type OutputRegion, type VjpFn, type Watch } from "./tape.js";
import { Tensor, valueFree } from "./tensor.js";

export type { Watch };

export interface OpSpec<A> {
  name: string;
  /** Computes the output; may stash extra values for the VJP with `save`. */
  forward: (inputs: readonly NDArray[], attrs: A, save: (value: unknown) => void) => NDArray;
  vjp: VjpFn<A>;
  watch?: Watch;
  /**
   * A fact about the op that the engine's accumulator may use: its output is A^T G over the rows
   * of its two inputs (A (..., K), G (..., N)), so two of its results add up to one product over
   * both sets of rows. matmulWeightGrad declares it.
   */
  sumOfRowProducts?: boolean;
}

// Set by the engine while it runs a VJP in a backward that builds no graph: an op declaring
// sumOfRowProducts then hands its operands to the accumulator, which keeps them as a deferred
// sum (accumulator.ts) instead of multiplying now; null (the sink declined) computes as usual.
let rowProductSink: ((a: NDArray, g: NDArray) => Tensor | null) | null = null;

/** @internal the engine's: where the products of sumOfRowProducts ops go while it runs a VJP. */
export function setRowProductSink(sink: ((a: NDArray, g: NDArray) => Tensor | null) | null): void {
  rowProductSink = sink;
}

export interface MultiOpSpec<A> {
  name: string;
  forward: (inputs: readonly NDArray[], attrs: A, save: (value: unknown) => void) => readonly NDArray[];
  vjp: VjpFn<A>;
  watch?: Watch;
  /**
   * For an op whose outputs are disjoint views of input 0 (unbind): where output `index` lies
   * in an array of input 0's shape. A backward that builds no graph then adds each output's
   * gradient into one such array as it arrives, rather than holding them all (T of them, for
   * a sequence) until the VJP joins them; the array is input 0's gradient, and the VJP is not run.
   */
  outputRegion?: (whole: NDArray, index: number, attrs: A) => NDArray;
}

export type Op<A> = ((inputs: readonly Tensor[], attrs: A) => Tensor) & { readonly opName: string };
export type MultiOp<A> = ((inputs: readonly Tensor[], attrs: A) => Tensor[]) & { readonly opName: string };

export { edgeOf } from "./tape.js";

function checkForward(name: string, inputs: readonly Tensor[], outs: readonly NDArray[]): void {
  for (const o of outs) {
    if (hasNonFinite(o)) {
      throw new AutogradError(`detectAnomaly: forward of ${name} produced NaN or Inf (inputs ${inputs.map((t) => fmtShape(t.shape)).join(", ")} -> output ${fmtShape(o.shape)})`);
    }
  }
}

// What a forward hands to `save`. One function for every call instead of a closure per call;
// `apply` restores the outer value after its forward, in case a forward runs ops of its own.
let stash: unknown;
const save = (value: unknown): void => {
  stash = value;
};

/** The input arrays, and whether recording applies (recording is on and some input requires grad). */
function unwrap(inputs: readonly Tensor[], datas: NDArray[]): boolean {
  let record = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i]!;
    datas[i] = t.data;
    if (t.requiresGrad) record = true;
  }
  return record && isGradEnabled();
}

// The built-in ops (ops/*.ts define them with builtinOp) have VJPs that read their incoming
// gradients and keep no reference to them, so a backward that builds no graph may reuse those
// gradients' storage once the VJP has run. A user's op (defineOp, customOp) might keep one,
// for inspection say; its gradients are left alone.
interface OpMeta {
  builtin: boolean;
}

/** Records a node for outputs made from inputs, wiring each float output to it. */
function record<A>(
  name: string, vjp: VjpFn<A>, watch: Watch, meta: OpMeta, inputs: readonly Tensor[], attrs: A, outs: readonly NDArray[], saved: unknown,
  outputRegion?: MultiOpSpec<A>["outputRegion"],
): Tensor[] {
  // an int or bool output (indices, a mask) has no derivative: it is a constant, not part of the graph
  const outputs = new Array<Tensor>(outs.length);
  for (let i = 0; i < outs.length; i++) outputs[i] = new Tensor(outs[i]!, nd.isFloat(outs[i]!.dtype), i);
  const node = new Node(name, vjp as VjpFn, { inputs, outputs, attrs, saved }, watch);
  node.builtin = meta.builtin;
  if (outputRegion) node.outputRegion = outputRegion as OutputRegion;
  for (const o of outputs) if (o.requiresGrad) o.gradFn = node;
  node.dropValues(valueFree);
  return outputs;
}

function makeMultiOp<A>(spec: MultiOpSpec<A>, builtin: boolean): MultiOp<A> {
  const { name, forward, vjp } = spec;
  const watch = spec.watch ?? "inputs";
  const meta: OpMeta = { builtin };
  const apply = (inputs: readonly Tensor[], attrs: A): Tensor[] => {
    const datas = new Array<NDArray>(inputs.length);
    const recording = unwrap(inputs, datas);
    const outer = stash;
    stash = undefined;
    const outs = forward(datas, attrs, save);
    const saved = stash;
    stash = outer;
    if (isAnomalyEnabled()) checkForward(name, inputs, outs);
    if (!recording) return outs.map((o) => new Tensor(o));
    return record(name, vjp, watch, meta, inputs, attrs, outs, saved, spec.outputRegion);
  };
  return Object.assign(apply, { opName: name });
}

/**
 * A single-output op: a multi-output op with one output, written out so that a call that
 * records nothing (every VJP in a backward without createGraph) allocates only its result.
 */
function makeOp<A>(spec: OpSpec<A>, builtin: boolean): Op<A> {
  const { name, forward, vjp } = spec;
  const watch = spec.watch ?? "inputs";
  const meta: OpMeta = { builtin };
  const rowProducts = spec.sumOfRowProducts === true;
  const apply = (inputs: readonly Tensor[], attrs: A): Tensor => {
    const datas = new Array<NDArray>(inputs.length);
    const recording = unwrap(inputs, datas);
    if (rowProducts && !recording && rowProductSink !== null) {
      const deferred = rowProductSink(datas[0]!, datas[1]!);
      if (deferred !== null) return deferred;
    }
    const outer = stash;
    stash = undefined;
    const out = forward(datas, attrs, save);
    const saved = stash;
    stash = outer;
    if (isAnomalyEnabled()) checkForward(name, inputs, [out]);
    if (!recording) return new Tensor(out);
    return record(name, vjp, watch, meta, inputs, attrs, [out], saved)[0]!;
  };
  return Object.assign(apply, { opName: name });
}

export function defineOp<A = undefined>(spec: OpSpec<A>): Op<A> {
  return makeOp(spec, false);
}

export function defineMultiOp<A = undefined>(spec: MultiOpSpec<A>): MultiOp<A> {
  return makeMultiOp(spec, false);
}

/** @internal the built-in ops: their VJPs keep no reference to the gradients they are given. */
export function builtinOp<A = undefined>(spec: OpSpec<A>): Op<A> {
  return makeOp(spec, true);
}

/** @internal */
export function builtinMultiOp<A = undefined>(spec: MultiOpSpec<A>): MultiOp<A> {
  return makeMultiOp(spec, true);
}
