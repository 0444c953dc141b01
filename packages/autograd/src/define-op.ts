// defineOp: one object per op holding its forward (on NDArrays) and its VJP (on Tensors,
// so that a backward pass can itself be recorded and differentiated again).

import * as nd from "@tapegrad/tensor";
import { fmtShape, type NDArray } from "@tapegrad/tensor";
import { AutogradError, Node, hasNonFinite, isAnomalyEnabled, isGradEnabled, type VjpFn, type Watch } from "./tape.js";
import { Tensor } from "./tensor.js";

export type { Watch };

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

export { edgeOf } from "./tape.js";

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
  // an int or bool output (indices, a mask) has no derivative: it is a constant, not part of the graph
  const outputs = outs.map((o, i) => new Tensor(o, nd.isFloat(o.dtype), i));
  const node = new Node(name, vjp as VjpFn, { inputs, outputs, attrs, saved }, watch);
  for (const o of outputs) if (o.requiresGrad) o.gradFn = node;
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
