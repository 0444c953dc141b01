// defineOp: one object per op holding its forward (on NDArrays) and its VJP (on Tensors,
// so that a backward pass can itself be recorded and differentiated again).

import type { NDArray } from "@tapegrad/tensor";
import { fmtShape } from "@tapegrad/tensor";
import { AutogradError, Node, hasNonFinite, isAnomalyEnabled, isGradEnabled, type Edge, type VjpContext, type VjpFn } from "./tape.js";
import { Tensor } from "./tensor.js";

/** Which tensors the VJP reads; they are checked for in-place changes before it runs. */
export type Watch = "inputs" | "output" | "both" | "none" | readonly number[];

export interface OpSpec<A> {
  name: string;
  /** Computes the output; may stash extra values for the VJP with `save`. */
  forward: (inputs: readonly NDArray[], attrs: A, save: (value: unknown) => void) => NDArray;
  vjp: VjpFn<A>;
  watch?: Watch;
}

export interface MultiOpSpec<A> {
  name: string;
  forward: (inputs: readonly NDArray[], attrs: A, save: (value: unknown) => void) => readonly NDArray[];
  vjp: VjpFn<A>;
  watch?: Watch;
}

export type Op<A> = ((inputs: readonly Tensor[], attrs: A) => Tensor) & { readonly opName: string };
export type MultiOp<A> = ((inputs: readonly Tensor[], attrs: A) => Tensor[]) & { readonly opName: string };

export function edgeOf(t: Tensor): Edge {
  if (!t.requiresGrad) return null;
  const node = t.gradFn;
  return node ? { leaf: null, node, index: t.outputIndex } : { leaf: t, node: null, index: 0 };
}

function watched(watch: Watch, inputs: readonly Tensor[], outputs: readonly Tensor[]): Tensor[] {
  switch (watch) {
    case "none": return [];
    case "inputs": return inputs.slice();
    case "output": return outputs.slice();
    case "both": return [...inputs, ...outputs];
    default: return watch.map((i) => inputs[i]!);
  }
}

function checkForward(name: string, inputs: readonly Tensor[], outs: readonly NDArray[]): void {
  if (!isAnomalyEnabled()) return;
  for (const o of outs) {
    if (hasNonFinite(o)) {
      throw new AutogradError(`detectAnomaly: forward of ${name} produced NaN or Inf (inputs ${inputs.map((t) => fmtShape(t.shape)).join(", ")} -> output ${fmtShape(o.shape)})`);
    }
  }
}

/** Runs the forward and, if any input requires grad and recording is on, records a node. */
function run<A>(
  name: string,
  vjp: VjpFn<A>,
  watch: Watch,
  inputs: readonly Tensor[],
  attrs: A,
  outs: readonly NDArray[],
  saved: unknown,
): Tensor[] {
  checkForward(name, inputs, outs);
  let record = false;
  if (isGradEnabled()) for (const t of inputs) if (t.requiresGrad) { record = true; break; }
  if (!record) return outs.map((o) => new Tensor(o));
  const outputs = outs.map((o, i) => new Tensor(o, true, i));
  const ctx: VjpContext<A> = { inputs, outputs, attrs, saved };
  const node = new Node(name, inputs.map(edgeOf), vjp as VjpFn, ctx as VjpContext, watched(watch, inputs, outputs), outs.length);
  for (const o of outputs) o.gradFn = node;
  return outputs;
}

export function defineOp<A = undefined>(spec: OpSpec<A>): Op<A> {
  const watch = spec.watch ?? "inputs";
  const apply = (inputs: readonly Tensor[], attrs: A): Tensor => {
    let saved: unknown;
    const out = spec.forward(inputs.map((t) => t.data), attrs, (v) => (saved = v));
    return run(spec.name, spec.vjp, watch, inputs, attrs, [out], saved)[0]!;
  };
  return Object.assign(apply, { opName: spec.name });
}

export function defineMultiOp<A = undefined>(spec: MultiOpSpec<A>): MultiOp<A> {
  const watch = spec.watch ?? "inputs";
  const apply = (inputs: readonly Tensor[], attrs: A): Tensor[] => {
    let saved: unknown;
    const outs = spec.forward(inputs.map((t) => t.data), attrs, (v) => (saved = v));
    return run(spec.name, spec.vjp, watch, inputs, attrs, outs, saved);
  };
  return Object.assign(apply, { opName: spec.name });
}
