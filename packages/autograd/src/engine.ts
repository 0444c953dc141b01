// The backward walk. Collect the nodes reachable from the outputs with an explicit stack,
// order them by creation number (newest first, a valid reverse topological order), and
// run each node's VJP once all of its outputs' gradients are in.

import * as nd from "@tapegrad/tensor";
import { fmtShape } from "@tapegrad/tensor";
import { AutogradError, Node, hasNonFinite, isAnomalyEnabled, withGradMode } from "./tape.js";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { add } from "./ops/binary.js";
import { cast } from "./ops/movement.js";

export interface BackwardOptions {
  /** The gradient of the output; required unless the output has one element. */
  gradient?: TensorLike;
  /** Keep the saved values so that a second backward can run (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so that gradients can be differentiated again. */
  createGraph?: boolean;
}

function seed(op: string, root: Tensor, gradient: TensorLike | undefined): Tensor {
  if (gradient === undefined || gradient === null) {
    if (root.size !== 1) {
      throw new AutogradError(`${op}: a gradient can be implied only for a one-element output, got shape ${fmtShape(root.shape)}; pass a gradient of that shape`);
    }
    return new Tensor(nd.onesLike(root.data));
  }
  const g = toTensor(gradient, root);
  if (!nd.shapesEqual(g.shape, root.shape)) {
    throw new nd.ShapeError(`${op}: gradient has shape ${fmtShape(g.shape)} but the output has shape ${fmtShape(root.shape)}`);
  }
  return g.dtype === root.dtype ? g : new Tensor(g.data.astype(root.dtype));
}

interface Run {
  /** gradients reaching leaves, in first-reached order */
  leaves: Map<Tensor, Tensor>;
  /** gradients of requested non-leaf tensors, keyed by the tensor */
  captured: Map<Tensor, Tensor>;
}

function collect(roots: readonly Tensor[]): Node[] {
  const seen = new Set<Node>();
  const stack: Node[] = [];
  for (const r of roots) if (r.gradFn && !seen.has(r.gradFn)) { seen.add(r.gradFn); stack.push(r.gradFn); }
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const e of node.edges) {
      if (e && e.node && !seen.has(e.node)) {
        seen.add(e.node);
        stack.push(e.node);
      }
    }
  }
  return [...seen].sort((a, b) => b.id - a.id);
}

function run(roots: readonly Tensor[], rootGrads: readonly Tensor[], createGraph: boolean, retainGraph: boolean, nonLeafTargets: readonly Tensor[]): Run {
  const order = collect(roots);
  const pending = new Map<Node, (Tensor | null)[]>();
  const leaves = new Map<Tensor, Tensor>();
  const captured = new Map<Tensor, Tensor>();
  const accumulate = (prev: Tensor | null | undefined, g: Tensor): Tensor => (prev ? add(prev, g) : g);

  const deliver = (t: Tensor, g: Tensor) => {
    const node = t.gradFn;
    if (node === null) {
      leaves.set(t, accumulate(leaves.get(t), g));
      return;
    }
    let slots = pending.get(node);
    if (!slots) pending.set(node, (slots = new Array<Tensor | null>(node.nOutputs).fill(null)));
    slots[t.outputIndex] = accumulate(slots[t.outputIndex], g);
  };

  withGradMode(createGraph, () => {
    roots.forEach((r, i) => deliver(r, rootGrads[i]!));
    for (const node of order) {
      const slots = pending.get(node);
      if (!slots) continue; // no gradient flows through this node
      pending.delete(node);
      const ctx = node.ctx;
      if (node.released || ctx === null) {
        throw new AutogradError(
          `backward: the graph through ${node.op} was already released by an earlier backward; pass { retainGraph: true } to the first backward to run another, or detach() state carried over from a previous step`,
        );
      }
      for (const t of nonLeafTargets) {
        if (t.gradFn === node && slots[t.outputIndex]) captured.set(t, slots[t.outputIndex]!);
      }
      node.watched.forEach((t, i) => {
        if (t.data.version !== node.versions[i]) {
          throw new AutogradError(
            `backward: a tensor of shape ${fmtShape(t.shape)} that ${node.op} saved for its gradient was modified in place afterwards (version ${t.data.version}, recorded ${node.versions[i]}); clone it before modifying, or modify a copy`,
          );
        }
      });
      const grads = slots.map((g, i) => g ?? new Tensor(nd.zerosLike(ctx.outputs[i]!.data)));
      const inGrads = node.vjp(grads, ctx);
      node.edges.forEach((edge, i) => {
        let g = inGrads[i];
        if (!edge || !g) return;
        const x = ctx.inputs[i]!;
        if (!nd.shapesEqual(g.shape, x.shape)) {
          throw new AutogradError(`backward: the VJP of ${node.op} returned a gradient of shape ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(x.shape)}`);
        }
        if (g.dtype !== x.dtype) g = cast(g, x.dtype);
        if (isAnomalyEnabled() && hasNonFinite(g.data)) {
          throw new AutogradError(`detectAnomaly: backward of ${node.describe()} produced NaN or Inf in the gradient of input ${i} (shape ${fmtShape(x.shape)})`);
        }
        deliver(edge.leaf ?? x, g);
      });
      if (!retainGraph) {
        node.ctx = null;
        node.released = true;
      }
    }
  });
  return { leaves, captured };
}

/** `.backward()`: accumulate into the `.grad` of every leaf reached. */
export function backward(root: Tensor, gradient: TensorLike | undefined, options: BackwardOptions): void {
  if (!root.requiresGrad) {
    throw new AutogradError(`backward: the tensor of shape ${fmtShape(root.shape)} does not require grad (no input of the computation that made it requires grad)`);
  }
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const g = seed("backward", root, gradient);
  const { leaves } = run([root], [g], createGraph, retainGraph, []);
  for (const [leaf, lg] of leaves) {
    if (!leaf.requiresGrad) continue;
    const prev = leaf._grad;
    if (createGraph) {
      leaf._grad = prev ? withGradMode(true, () => add(prev, lg)) : lg;
    } else if (prev && prev.data.writable && prev.gradFn === null && prev.data.dtype === lg.dtype) {
      nd.add(prev.data, lg.data, prev.data);
    } else {
      // A fresh copy: the gradient array may be shared with other leaves or be a broadcast view.
      leaf._grad = new Tensor(prev ? nd.add(prev.data, lg.data) : nd.copy(lg.data));
    }
  }
}

export interface GradientsOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

/**
 * PyTorch's autograd.grad: gradients of `outputs` with respect to `inputs`, returned rather
 * than accumulated into `.grad`. An input the outputs do not depend on gets zeros.
 */
export function gradients(
  outputs: Tensor | readonly Tensor[],
  inputs: readonly Tensor[],
  gradOutputs?: readonly (TensorLike | undefined)[],
  options: GradientsOptions = {},
): Tensor[] {
  const outs = outputs instanceof Tensor ? [outputs] : outputs;
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const roots: Tensor[] = [];
  const seeds: Tensor[] = [];
  outs.forEach((o, i) => {
    if (!o.requiresGrad) return;
    roots.push(o);
    seeds.push(seed("gradients", o, gradOutputs?.[i]));
  });
  const { leaves, captured } = run(roots, seeds, createGraph, retainGraph, inputs.filter((t) => t.gradFn !== null));
  return inputs.map((x) => {
    const g = x.gradFn === null ? leaves.get(x) : captured.get(x);
    return g ?? new Tensor(nd.zerosLike(x.data));
  });
}
