// The backward walk, as micrograd's backward and tfjs's backpropagateGradients: take the next
// node, check it, run its VJP, deliver the gradients to its inputs. Nodes are numbered in
// creation order, a topological order, so taking the newest node that has a gradient waiting
// (a max-heap on the number) reaches each node only after every consumer of its outputs has
// delivered: no recursion, no sort, and nodes that no gradient reaches are never touched.
// What becomes of the gradients' storage is the memory's (grad-memory.ts), told at each step.

import * as nd from "@tapegrad/tensor";
import { fmtShape } from "@tapegrad/tensor";
import { AutogradError, Node, hasNonFinite, isAnomalyEnabled, unguard, withAnomaly, withGradMode, type VjpHooks } from "./tape.js";
import { Tensor, UnwatchedRead, toTensor, type TensorLike } from "./tensor.js";
import { cast } from "./ops/movement.js";
import { PlainMemory, type GradMemory } from "./grad-memory.js";
import { Accumulator } from "./accumulator.js";
import { NewestFirst } from "./newest-first.js";
import { noteGrad } from "./compile-hook.js";

/** Options of `tensor.backward()` (PyTorch's gradient, retain_graph, create_graph). */
export interface BackwardOptions {
  /** The gradient of the output; required unless the output has one element. */
  gradient?: TensorLike;
  /** Keep the saved values so that a second backward can run (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so that gradients can be differentiated again. */
  createGraph?: boolean;
  /** Called as the walk takes each node, with the gradients delivered to its outputs: see {@link BackwardNodeEvent}. */
  onNode?: (event: BackwardNodeEvent) => void;
}

/**
 * What the backward walk tells `onNode` as it takes a node: the op, its id (as graphOf's
 * GraphOp.id), the tensors it made, and the gradient of the loss with respect to each of them,
 * complete (every consumer has delivered) and copied, so that the walk's reuse of its storage
 * does not reach it. Nodes come in the order the walk meets them, from the roots towards the
 * leaves; a node that no gradient reaches, or that leads to none asked for, is not met.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2], { requiresGrad: true });
 * const met: string[] = [];
 * tanh(x.mul(3)).sum().backward({ onNode: (e) => met.push(e.op) });
 * met; // ["sum", "tanh", "mul"]
 * ```
 */
export interface BackwardNodeEvent {
  readonly op: string;
  readonly id: number;
  /** The tensors the node made (their values, not their gradients). */
  readonly outputs: readonly Tensor[];
  /** dL/d(output i), one array per output, in the output's shape. */
  readonly gradients: readonly nd.NDArray[];
}

function seed(op: string, root: Tensor, gradient: TensorLike | undefined): Tensor {
  if (gradient === undefined || gradient === null) {
    if (root.size !== 1) {
      throw new AutogradError(`${op}: a gradient can be implied only for a one-element output, got shape ${fmtShape(root.shape)}; pass a gradient of that shape`);
    }
    return new Tensor(nd.onesLike(root.data));
  }
  // a number is the gradient of a one-element output; it gets its own array (the shared
  // number constants are read-only, and a seed may end up as a leaf's .grad)
  const g = typeof gradient === "number" ? new Tensor(nd.full([], gradient, root.dtype)) : toTensor(gradient, root);
  if (!nd.shapesEqual(g.shape, root.shape)) {
    throw new nd.ShapeError(`${op}: gradient has shape ${fmtShape(g.shape)} but the output has shape ${fmtShape(root.shape)}`);
  }
  return g.dtype === root.dtype ? g : new Tensor(g.data.astype(root.dtype));
}

/** What gradients() asks for (its leaves and nodes), and the nodes that lead to them; needed null: backward(), every leaf. */
interface Aim {
  leaves: Set<Tensor>;
  nodes: Set<Node>;
  needed: Set<Node> | null;
}

/**
 * For gradients(): the targets, and the nodes whose VJP must run for a gradient to reach one.
 * The walk skips the others, so a graph it does not need is neither computed nor released.
 */
function aimAt(roots: readonly Tensor[], targets: readonly Tensor[] | null): Aim {
  const aim: Aim = { leaves: new Set(), nodes: new Set(), needed: null };
  if (targets === null) return aim;
  for (const t of targets) {
    if (t.gradFn) aim.nodes.add(t.gradFn);
    else aim.leaves.add(t);
  }
  const seen = new Set<Node>();
  const stack: Node[] = [];
  for (const r of roots) if (r.gradFn) stack.push(r.gradFn);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const x of node.inputs) if (x.gradFn && !seen.has(x.gradFn)) stack.push(x.gradFn);
  }
  // In creation order a node's producers come before it. A released node no longer knows its
  // inputs; it counts as leading somewhere, so that the walk reaches it and reports it.
  const leads = (aim.needed = new Set<Node>());
  for (const node of [...seen].sort((a, b) => a.id - b.id)) {
    if (node.released) leads.add(node);
    for (const x of node.inputs) {
      if (x.requiresGrad && (x.gradFn === null ? aim.leaves.has(x) : leads.has(x.gradFn) || aim.nodes.has(x.gradFn))) {
        leads.add(node);
        break;
      }
    }
  }
  return aim;
}

interface Walk {
  /** gradients reaching leaves, in first-reached order */
  leaves: Map<Tensor, Tensor>;
  /** gradients of requested non-leaf tensors, keyed by the tensor */
  captured: Map<Tensor, Tensor>;
  memory: GradMemory;
}

/**
 * Runs the VJPs from `roots` back to the leaves. `targets` (gradients()) limits the walk to
 * what leads to them and captures the gradients of the non-leaf ones; null (backward()) means
 * every leaf.
 */
function run(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  createGraph: boolean,
  retainGraph: boolean,
  targets: readonly Tensor[] | null,
  onNode?: (event: BackwardNodeEvent) => void,
): Walk {
  const memory: GradMemory = createGraph ? new PlainMemory() : new Accumulator();
  const leaves = new Map<Tensor, Tensor>();
  const captured = new Map<Tensor, Tensor>();
  const pending = new Map<Node, (Tensor | null)[]>();
  const heap = new NewestFirst();
  const visited: Node[] = [];
  const unreadable: Tensor[] = []; // see callVjp
  const aim = aimAt(roots, targets);
  const deliver = (t: Tensor, g: Tensor) => {
    const node = t.gradFn;
    if (node === null) {
      if (targets === null || aim.leaves.has(t)) leaves.set(t, memory.received(leaves.get(t), g));
      return;
    }
    if (aim.needed !== null && !aim.needed.has(node) && !aim.nodes.has(node)) return;
    let slots = pending.get(node);
    if (!slots) {
      slots = new Array<Tensor | null>(node.nOutputs).fill(null);
      pending.set(node, slots);
      heap.push(node);
    }
    const inRegion = node.outputRegion !== null && !aim.nodes.has(node) && memory.receivedInRegion(node, slots, t.outputIndex, g);
    if (!inRegion) slots[t.outputIndex] = memory.received(slots[t.outputIndex], g);
  };

  try {
    withGradMode(createGraph, () => {
      for (let i = 0; i < roots.length; i++) deliver(roots[i]!, rootGrads[i]!);
      memory.delivered();
      while (heap.size > 0) {
        const node = heap.pop();
        const slots = gradsFor(node, pending.get(node)!);
        pending.delete(node);
        if (onNode) {
          // read settles a deferred sum into a new tensor: the slot takes it, as vjpStarting's would
          for (let i = 0; i < slots.length; i++) slots[i] = memory.read(slots[i]!);
          onNode({ op: node.op, id: node.id, outputs: node.outputs, gradients: slots.map((g) => nd.copy(g.data)) });
        }
        const isTarget = targets !== null && aim.nodes.has(node);
        memory.vjpStarting(slots, isTarget);
        if (isTarget) {
          for (const t of targets!) if (t.gradFn === node) captured.set(t, slots[t.outputIndex]!);
          if (!aim.needed!.has(node)) continue;
        }
        node.checkSaved();
        const inGrads = callVjp(node, slots, memory, unreadable);
        memory.vjpDone(inGrads);
        for (let i = 0; i < node.inputs.length; i++) {
          const x = node.inputs[i]!;
          const g = inGrads[i];
          if (g && x.requiresGrad) deliver(x, checked(node, i, x, g, memory));
        }
        memory.delivered();
        visited.push(node);
      }
    });
    for (const [t, g] of leaves) leaves.set(t, memory.read(g));
  } finally {
    memory.ended();
  }
  // Released only once the whole walk has succeeded: a backward that throws (a modified saved
  // value, an anomaly) leaves the graph as it was, so the error repeats and nothing is half-done.
  if (!retainGraph) for (const node of visited) node.release();
  return { leaves, captured, memory };
}

/** The gradients waiting for node's outputs, zeros for an output that none reached (one part of a split, say). */
function gradsFor(node: Node, slots: (Tensor | null)[]): Tensor[] {
  if (node.released) {
    throw new AutogradError(
      `backward: the graph through ${node.op} was already released by an earlier backward; pass { retainGraph: true } to the first backward to run another, or detach() state carried over from a previous step`,
    );
  }
  for (let i = 0; i < slots.length; i++) slots[i] ??= new Tensor(nd.zeros(node.outputs[i]!.shape, node.outputs[i]!.dtype));
  return slots as Tensor[];
}

/**
 * node's VJP on its outputs' gradients. The tensors its node keeps but does not watch are
 * unreadable meanwhile (Node.guard; `unreadable` is the walk's, as a VJP may run a backward of
 * its own), and anomaly checks are off inside it: the walk checks what it returns.
 */
function callVjp(node: Node, grads: Tensor[], hooks: VjpHooks, unreadable: Tensor[]): readonly (Tensor | null | undefined)[] {
  node.guard(unreadable);
  try {
    return isAnomalyEnabled() ? withAnomaly(false, () => node.vjp(grads, node, hooks)) : node.vjp(grads, node, hooks);
  } catch (e) {
    // name the op whose watch list missed the tensor: the stand-in knows only its producer
    if (e instanceof UnwatchedRead && e.op === null) throw new UnwatchedRead(e.tensorShape, e.madeBy, node.op);
    throw e;
  } finally {
    unguard(unreadable);
  }
}

/** The gradient g that node's VJP returned for input i (x), checked, in x's dtype. */
function checked(node: Node, i: number, x: Tensor, g: Tensor, memory: GradMemory): Tensor {
  if (!nd.shapesEqual(g.shape, x.shape)) {
    throw new AutogradError(`backward: the VJP of ${node.op} returned a gradient of shape ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(x.shape)}`);
  }
  if (g.dtype !== x.dtype) g = cast(memory.read(g), x.dtype);
  if (isAnomalyEnabled() && hasNonFinite((g = memory.read(g)).data)) {
    throw new AutogradError(`detectAnomaly: backward of ${node.describe()} produced NaN or Inf in the gradient of input ${i} (shape ${fmtShape(x.shape)})`);
  }
  return g;
}

/** `.backward()`: accumulate into the `.grad` of every leaf reached. */
export function backward(root: Tensor, gradient: TensorLike | undefined, options: BackwardOptions): void {
  if (!root.requiresGrad) {
    throw new AutogradError(`backward: the tensor of shape ${fmtShape(root.shape)} does not require grad (no input of the computation that made it requires grad)`);
  }
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const { leaves, memory } = run([root], [seed("backward", root, gradient)], createGraph, retainGraph, null, options.onNode);
  for (const [leaf, g] of leaves) {
    if (!leaf.requiresGrad) continue;
    leaf._grad = memory.intoGrad(leaf._grad, g);
    noteGrad(leaf, leaf._grad);
  }
}

/** Options of gradients() (PyTorch's torch.autograd.grad): keep the graph, or record the backward. */
export interface GradientsOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
  /** Called as the walk takes each node it runs or captures: see {@link BackwardNodeEvent}. */
  onNode?: (event: BackwardNodeEvent) => void;
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
  const { leaves, captured } = run(roots, seeds, createGraph, retainGraph, inputs, options.onNode);
  return inputs.map((x) => {
    const g = x.gradFn === null ? leaves.get(x) : captured.get(x);
    return g ?? new Tensor(nd.zerosLike(x.data));
  });
}
