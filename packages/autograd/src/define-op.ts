// defineOp: one object per op holding its forward (on NDArrays) and its VJP (on Tensors,
// so that a backward pass can itself be recorded and differentiated again).

import * as nd from "@tapegrad/tensor";
import { fmtShape, type NDArray } from "@tapegrad/tensor";
import { AutogradError, Node, hasNonFinite, isAnomalyEnabled, isGradEnabled, type OutputRegion, type VjpFn, type Watch } from "./tape.js";
import { Tensor } from "./tensor.js";
import { valueFree } from "./value-free.js";

export type { Watch };

/**
 * The contract every op's VJP keeps, built-in or a user's (one rule, so the engine treats all
 * ops alike): **a VJP keeps no reference to the gradients it is given, nor to the gradients it
 * returns.** It reads them, computes with them, returns results, and holds nothing afterwards.
 * In a backward that builds no graph the engine relies on it: a gradient the VJP consumed and
 * did not return is dead once the VJP has run, and its storage is reused for later results;
 * a gradient the VJP made is added into in place. To keep a gradient (to inspect it, say),
 * keep a copy (`g.clone()`). Returning a gradient it was given, or a view of one, is fine.
 */
export interface OpSpec<A> {
  /** The op's name, used in errors, in the graph view and in compiled plans. */
  name: string;
  /** Computes the output; may stash extra values for the VJP with `save`. */
  forward: (inputs: readonly NDArray[], attrs: A, save: (value: unknown) => void) => NDArray;
  /**
   * One gradient per input (null where an input needs none) from the output's gradient,
   * written with tapegrad's ops so that it can be recorded and differentiated again. It keeps
   * none of the gradients it sees (the rule above).
   */
  vjp: VjpFn<A>;
  /**
   * Which tensors the VJP reads (default "inputs"). They are checked for in-place changes
   * before it runs; the op's node keeps only these, and a VJP that reads the values of any
   * other (non-leaf) tensor gets an error naming the op.
   */
  watch?: Watch;
  /**
   * @deprecated Ignored. A VJP now asks for a deferred weight-gradient product itself, through
   * the hooks it is given (`hooks?.rowProducts(a, g)`, see VjpHooks); kept so that specs written
   * for earlier versions still type-check.
   */
  sumOfRowProducts?: boolean;
}

/** An op with several outputs (split, unbind): as OpSpec, with one gradient per output into its VJP. */
export interface MultiOpSpec<A> {
  name: string;
  forward: (inputs: readonly NDArray[], attrs: A, save: (value: unknown) => void) => readonly NDArray[];
  /** Gradients for every output in (zeros for an output no gradient reached); keeps none of them. */
  vjp: VjpFn<A>;
  watch?: Watch;
  /**
   * A fact about the op that the engine's memory may use (accumulator.ts), for an op whose outputs are
   * disjoint slices of input 0 (unbind): where output `index` lies in an array of input 0's
   * shape. In a backward that builds no graph the outputs' gradients are then summed into those
   * slices of one array as they arrive, instead of each being held until the VJP runs; the VJP
   * still runs, and receives the slices.
   */
  outputRegion?: (whole: NDArray, index: number, attrs: A) => NDArray;
}

/** A defined op: called with its input tensors and attributes, it computes and, when recording, records one node. */
export type Op<A> = ((inputs: readonly Tensor[], attrs: A) => Tensor) & { readonly opName: string };
/** A defined multi-output op (defineMultiOp). */
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

/** Records a node for outputs made from inputs, wiring each float output to it. */
function record<A>(
  name: string, vjp: VjpFn<A>, watch: Watch, inputs: readonly Tensor[], attrs: A, outs: readonly NDArray[], saved: unknown,
  outputRegion?: MultiOpSpec<A>["outputRegion"],
): Tensor[] {
  // an int or bool output (indices, a mask) has no derivative: it is a constant, not part of the graph
  const outputs = new Array<Tensor>(outs.length);
  for (let i = 0; i < outs.length; i++) outputs[i] = new Tensor(outs[i]!, nd.isFloat(outs[i]!.dtype), i);
  const node = new Node(name, vjp as VjpFn, { inputs, outputs, attrs, saved }, watch);
  if (outputRegion) node.outputRegion = outputRegion as OutputRegion;
  for (const o of outputs) if (o.requiresGrad) o.gradFn = node;
  node.dropValues(valueFree);
  return outputs;
}

/** Defines an op with several outputs (one node for all of them); see defineOp and MultiOpSpec. */
export function defineMultiOp<A = undefined>(spec: MultiOpSpec<A>): MultiOp<A> {
  const { name, forward, vjp } = spec;
  const watch = spec.watch ?? "inputs";
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
    return record(name, vjp, watch, inputs, attrs, outs, saved, spec.outputRegion);
  };
  return Object.assign(apply, { opName: name });
}

/**
 * Defines an op from its forward (on NDArrays) and its VJP (on Tensors), the way every
 * built-in op is defined: the result records a node when an input requires grad and grad mode
 * is on, and its gradients can be differentiated again (createGraph) because the VJP is made
 * of recorded ops. The VJP keeps none of the gradients it sees (see OpSpec). (A multi-output
 * op with one output, written out so that a call that records nothing, as every VJP in a
 * backward without createGraph, allocates only its result.)
 *
 * @example
 * ```ts
 * const cube = defineOp({
 *   name: "cube",
 *   forward: ([x]) => nd.mul(nd.mul(x!, x!), x!),
 *   vjp: ([g], { inputs: [x] }) => [mul(g!, mul(3, square(x!)))],
 * });
 * const x = tensor([2], { requiresGrad: true });
 * cube([x], undefined).sum().backward();
 * x.grad!.toArray(); // [12]
 * ```
 */
export function defineOp<A = undefined>(spec: OpSpec<A>): Op<A> {
  const { name, forward, vjp } = spec;
  const watch = spec.watch ?? "inputs";
  const apply = (inputs: readonly Tensor[], attrs: A): Tensor => {
    const datas = new Array<NDArray>(inputs.length);
    const recording = unwrap(inputs, datas);
    const outer = stash;
    stash = undefined;
    const out = forward(datas, attrs, save);
    const saved = stash;
    stash = outer;
    if (isAnomalyEnabled()) checkForward(name, inputs, [out]);
    if (!recording) return new Tensor(out);
    return record(name, vjp, watch, inputs, attrs, [out], saved)[0]!;
  };
  return Object.assign(apply, { opName: name });
}
