// The backward walk. Nodes are numbered in creation order, a topological order, so taking
// the newest node that has a gradient waiting (a max-heap on the number) reaches each node only
// after every consumer of its outputs has delivered: no recursion, no sort, and nodes that no
// gradient reaches are never touched.

import * as nd from "@tapegrad/tensor";
import { fmtShape } from "@tapegrad/tensor";
import { AutogradError, Node, hasNonFinite, isAnomalyEnabled, unguard, withAnomaly, withGradMode } from "./tape.js";
import { Tensor, UnwatchedRead, toTensor, type TensorLike } from "./tensor.js";
import { add } from "./ops/binary.js";
import { cast } from "./ops/movement.js";
import * as A from "./accumulator.js";
import { noteGrad } from "./grad-bindings.js";

/** Options of `tensor.backward()` (PyTorch's gradient, retain_graph, create_graph). */
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
  // a number is the gradient of a one-element output; it gets its own array (the shared
  // number constants are read-only, and a seed may end up as a leaf's .grad)
  const g = typeof gradient === "number" ? new Tensor(nd.full([], gradient, root.dtype)) : toTensor(gradient, root);
  if (!nd.shapesEqual(g.shape, root.shape)) {
    throw new nd.ShapeError(`${op}: gradient has shape ${fmtShape(g.shape)} but the output has shape ${fmtShape(root.shape)}`);
  }
  return g.dtype === root.dtype ? g : new Tensor(g.data.astype(root.dtype));
}

interface Run {
  /** gradients reaching leaves, in first-reached order */
  leaves: Map<Tensor, Tensor>;
  /** those of the leaves' gradients whose arrays this run made and no one else holds */
  owned: Set<Tensor>;
  /** gradients of requested non-leaf tensors, keyed by the tensor */
  captured: Map<Tensor, Tensor>;
}

/** A max-heap of nodes by creation number: the walk always takes the newest node next. */
class NewestFirst {
  private readonly items: Node[] = [];
  get size(): number {
    return this.items.length;
  }
  push(node: Node): void {
    const a = this.items;
    let i = a.push(node) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.id >= node.id) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = node;
  }
  pop(): Node {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= a.length) break;
        if (c + 1 < a.length && a[c + 1]!.id > a[c]!.id) c++;
        if (a[c]!.id <= last.id) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * For gradients(): the nodes whose VJP must run for a gradient to reach one of the targets.
 * The walk skips the others, so a graph it does not need is neither computed nor released.
 */
function leadingTo(roots: readonly Tensor[], targetLeaves: ReadonlySet<Tensor>, targetNodes: ReadonlySet<Node>): Set<Node> {
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
  const leads = new Set<Node>();
  for (const node of [...seen].sort((a, b) => a.id - b.id)) {
    if (node.released) leads.add(node);
    for (const x of node.inputs) {
      if (x.requiresGrad && (x.gradFn === null ? targetLeaves.has(x) : leads.has(x.gradFn) || targetNodes.has(x.gradFn))) {
        leads.add(node);
        break;
      }
    }
  }
  return leads;
}

/**
 * Runs the VJPs from `roots` back to the leaves. `targets` (gradients()) limits the walk to
 * what leads to them and captures the gradients of the non-leaf ones; null (backward()) means
 * every leaf.
 */
function run(roots: readonly Tensor[], rootGrads: readonly Tensor[], createGraph: boolean, retainGraph: boolean, targets: readonly Tensor[] | null): Run {
  const leaves = new Map<Tensor, Tensor>();
  const captured = new Map<Tensor, Tensor>();
  const pending = new Map<Node, (Tensor | null)[]>();
  const heap = new NewestFirst();
  const visited: Node[] = [];
  const targetLeaves = new Set<Tensor>();
  const targetNodes = new Set<Node>();
  for (const t of targets ?? []) {
    if (t.gradFn) targetNodes.add(t.gradFn);
    else targetLeaves.add(t);
  }
  const needed = targets ? leadingTo(roots, targetLeaves, targetNodes) : null;
  // Gradients waiting in a slot (or for a leaf) whose arrays no one else holds: fresh ones from
  // a VJP's own results (the rule at accumulator.ts's takeFresh) and sums made here. Without a graph, a second gradient for the same
  // tensor is added into one of them in place; a slot is disowned when its VJP takes it, since
  // the VJP may pass it on (add hands g to both inputs).
  const owned = new Set<Tensor>();
  // A deferred weight gradient (accumulator.ts) as a dense array the run owns; others unchanged.
  const settle = (g: Tensor): Tensor => {
    if (!A.isDeferred(g)) return g;
    const dense = A.settle(g);
    owned.add(dense);
    return dense;
  };
  // whether g becomes the run's own is the rule at accumulator.ts's takeFresh
  const accumulate = (prev: Tensor | null | undefined, g: Tensor): Tensor => {
    if (!prev) {
      if (!createGraph && !A.isDeferred(g) && A.takeFresh(g.data)) owned.add(g);
      return g;
    }
    if (createGraph) return add(prev, g);
    // two deferred sums of products stay one, multiplied out once when read
    if (A.isDeferred(prev) || A.isDeferred(g)) {
      const both = A.combine(prev, g);
      if (both) return both;
      prev = settle(prev);
      g = settle(g);
    }
    if (owned.has(prev) && A.addInto(prev.data, g.data)) {
      if (A.takeFresh(g.data)) A.recycle(g.data); // added in, and held by no one
      return prev;
    }
    if (A.takeFresh(g.data) && A.addInto(g.data, prev.data)) {
      owned.add(g);
      return g;
    }
    const sum = new Tensor(A.addGrads(prev.data, g.data) ?? nd.add(prev.data, g.data));
    owned.add(sum);
    return sum;
  };

  const deliver = (t: Tensor, g: Tensor) => {
    const node = t.gradFn;
    if (node === null) {
      if (targets === null || targetLeaves.has(t)) leaves.set(t, accumulate(leaves.get(t), g));
      return;
    }
    if (needed !== null && !needed.has(node) && !targetNodes.has(node)) return;
    let slots = pending.get(node);
    if (!slots) {
      slots = new Array<Tensor | null>(node.nOutputs).fill(null);
      pending.set(node, slots);
      heap.push(node);
    }
    if (!createGraph && node.outputRegion !== null && !node.released && !targetNodes.has(node)) intoRegion(node, slots, t.outputIndex, g);
    else slots[t.outputIndex] = accumulate(slots[t.outputIndex], g);
  };

  // For a node whose outputs are slices of its input 0 (unbind over a sequence: see
  // MultiOpSpec.outputRegion), without a graph: the slots are the slices of one array of input
  // 0's shape, made when the first gradient arrives, and each gradient is added into its slice
  // on arrival, its own storage then reusable, rather than T of them held until the node's
  // turn. The VJP then runs on the slices (unbind's reads them in place: stackParts).
  const spent: nd.NDArray[] = [];
  const intoRegion = (node: Node, slots: (Tensor | null)[], index: number, g: Tensor) => {
    g = settle(g);
    if (slots[0] === null) {
      const x = node.inputs[0]!;
      const whole = nd.zeros(x.shape, x.dtype);
      for (let i = 0; i < slots.length; i++) slots[i] = new Tensor(node.outputRegion!(whole, i, node.attrs));
    }
    const region = slots[index]!.data;
    if (!A.addInto(region, g.data)) nd.add(region, g.data, region);
    // added in and held by no one; reused once the VJP delivering it has delivered everything
    if (A.takeFresh(g.data)) spent.push(g.data);
  };
  const recycleSpent = () => {
    if (spent.length === 0) return;
    for (const a of spent) A.recycle(a);
    spent.length = 0;
  };

  try {
    withGradMode(createGraph, () => {
      // only arrays made during this walk's VJPs may become its own (a seed is the caller's)
      A.forgetFresh();
      for (let i = 0; i < roots.length; i++) deliver(roots[i]!, rootGrads[i]!);
      recycleSpent();
      while (heap.size > 0) {
        const node = heap.pop();
        const slots = pending.get(node)!;
        pending.delete(node);
        for (let i = 0; i < slots.length; i++) if (slots[i]) slots[i] = settle(slots[i]!);
        // the VJP takes these; those the run owned may be reused once it has (see below)
        let consumed: Tensor[] | null = null;
        for (const g of slots) if (g && owned.delete(g)) (consumed ??= []).push(g);
        if (node.released) {
          throw new AutogradError(
            `backward: the graph through ${node.op} was already released by an earlier backward; pass { retainGraph: true } to the first backward to run another, or detach() state carried over from a previous step`,
          );
        }
        if (targets !== null && targetNodes.has(node)) {
          for (const t of targets!) if (t.gradFn === node && slots[t.outputIndex]) captured.set(t, slots[t.outputIndex]!);
          consumed = null; // handed to the caller
          if (!needed!.has(node)) continue;
        }
        node.checkSaved();
        // an output no gradient reached (one part of a split, say) contributes zeros
        for (let i = 0; i < slots.length; i++) slots[i] ??= new Tensor(nd.zeros(node.outputs[i]!.shape, node.outputs[i]!.dtype));
        const anomaly = isAnomalyEnabled();
        const outer = A.enterVjp(!createGraph);
        let inGrads: readonly (Tensor | null | undefined)[];
        const guarded = unreadable.length;
        node.guard(unreadable);
        try {
          inGrads = anomaly ? withAnomaly(false, () => node.vjp(slots as Tensor[], node)) : node.vjp(slots as Tensor[], node);
        } catch (e) {
          // name the op whose watch list missed the tensor: the stand-in knows only its producer
          if (e instanceof UnwatchedRead && e.op === null) throw new UnwatchedRead(e.tensorShape, e.madeBy, node.op);
          throw e;
        } finally {
          unguard(unreadable, guarded);
          A.leaveVjp(outer);
        }
        // A VJP keeps nothing it was given (the rule at OpSpec.vjp), so a consumed gradient that
        // none of its results is (or is a view of, or is a deferred product reading) is dead once
        // they are delivered: its storage goes to the spares, for the next kernel (accumulator.ts).
        // With a graph the gradients are tensors of the new graph, which may hold them.
        let dead: Tensor[] | null = null;
        if (consumed !== null && !createGraph) for (const g of consumed) if (!sharesStorage(inGrads, g)) (dead ??= []).push(g);
        const inputs = node.inputs;
        for (let i = 0; i < inputs.length; i++) {
          const x = inputs[i]!;
          let g = inGrads[i];
          if (!g || !x.requiresGrad) continue;
          if (!nd.shapesEqual(g.shape, x.shape)) {
            throw new AutogradError(`backward: the VJP of ${node.op} returned a gradient of shape ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(x.shape)}`);
          }
          if (g.dtype !== x.dtype) g = cast(settle(g), x.dtype);
          if (anomaly) g = settle(g);
          if (anomaly && hasNonFinite(g.data)) {
            throw new AutogradError(`detectAnomaly: backward of ${node.describe()} produced NaN or Inf in the gradient of input ${i} (shape ${fmtShape(x.shape)})`);
          }
          deliver(x, g);
        }
        if (dead !== null) for (const g of dead) A.recycle(g.data);
        recycleSpent();
        visited.push(node);
      }
    });
    for (const [t, g] of leaves) leaves.set(t, settle(g));
  } finally {
    A.endBackward(); // no recycled storage outlives the backward
  }
  // Released only once the whole walk has succeeded: a backward that throws (a modified saved
  // value, an anomaly) leaves the graph as it was, so the error repeats and nothing is half-done.
  if (!retainGraph) for (const node of visited) node.release();
  return { leaves, owned, captured };
}

/** The tensors made unreadable while a VJP runs (Node.guard); a VJP may run a backward of its own. */
const unreadable: Tensor[] = [];

/** Whether one of a VJP's results is g, a view of it, or a deferred product that reads it. */
function sharesStorage(results: readonly (Tensor | null | undefined)[], g: Tensor): boolean {
  const storage = g.data.data;
  for (const r of results) if (r && (A.isDeferred(r) ? A.holds(r, storage) : r.data.data === storage)) return true;
  return false;
}

/** Leaf gradients whose arrays backward allocated itself, so it may add into them in place. */
const ownedGrads = new WeakSet<Tensor>();

/** `.backward()`: accumulate into the `.grad` of every leaf reached. */
export function backward(root: Tensor, gradient: TensorLike | undefined, options: BackwardOptions): void {
  if (!root.requiresGrad) {
    throw new AutogradError(`backward: the tensor of shape ${fmtShape(root.shape)} does not require grad (no input of the computation that made it requires grad)`);
  }
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const g = seed("backward", root, gradient);
  const { leaves, owned } = run([root], [g], createGraph, retainGraph, null);
  for (const [leaf, lg] of leaves) {
    if (!leaf.requiresGrad) continue;
    const prev = leaf._grad;
    if (createGraph) {
      // a differentiable gradient; it may be shared with other leaves (add's VJP hands one
      // tensor to both operands) or be the caller's own, so it is never written in place
      leaf._grad = prev ? withGradMode(true, () => add(prev, lg)) : lg;
    } else if (prev && ownedGrads.has(prev) && prev.data.dtype === lg.dtype) {
      nd.add(prev.data, lg.data, prev.data);
    } else if (!prev && owned.has(lg)) {
      // an array the walk made for this leaf alone: it becomes .grad as it is, uncopied
      leaf._grad = lg;
      ownedGrads.add(lg);
    } else {
      // A fresh copy: the gradient array may be shared with other leaves or be a broadcast view.
      leaf._grad = new Tensor(prev ? nd.add(prev.data, lg.data) : nd.copy(lg.data));
      ownedGrads.add(leaf._grad);
    }
    noteGrad(leaf, leaf._grad);
  }
}

/** Options of gradients() (PyTorch's torch.autograd.grad): keep the graph, or record the backward. */
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
  const { leaves, captured } = run(roots, seeds, createGraph, retainGraph, inputs);
  return inputs.map((x) => {
    const g = x.gradFn === null ? leaves.get(x) : captured.get(x);
    return g ?? new Tensor(nd.zerosLike(x.data));
  });
}
