// Named intermediates for compareDerivatives: the watch that f calls to name a node (and that,
// in a perturbation run, adds h e_k to it), the order in which the backward pass meets the
// watched nodes, which watched nodes each one's gradient is read from, and the first wrong one.
// compare-derivatives.ts runs the three witnesses on them; this file only names and orders.

import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import { Tensor } from "./tensor.js";
import type { DerivativeEntry } from "./compare-derivatives.js";

/**
 * What compareDerivatives passes to f as its second argument: `watch(name, t)` names the
 * intermediate t and returns it, so that it wraps an expression in place. The report then holds
 * the tape's, manual's and finite differences' gradient of the loss with respect to it.
 *
 * @example
 * ```ts
 * compareDerivatives(
 *   ({ x }, watch) => sum(watch("t", tanh(x))),
 *   ({ x }) => ({ t: nd.onesLike(x) }), // dL/dt = 1
 *   { x: nd.array([0.5, -1]) },
 * ).nodes[0]!.agree; // true
 * ```
 */
export type Watch = (name: string, tensor: Tensor) => Tensor;

/**
 * A watched node used wrongly: named by manual but never watched, watched under one name twice,
 * or watched on one run of f and not on another (a watch inside a branch not taken). `node`
 * names it.
 *
 * @example
 * ```ts
 * try {
 *   compareDerivatives(({ x }, watch) => sum(watch("t", x)), () => ({ u: nd.ones([2]) }), { x: nd.ones([2]) });
 * } catch (e) {
 *   (e as WatchError).node; // "u"
 * }
 * ```
 */
export class WatchError extends ValueError {
  constructor(
    message: string,
    readonly node: string,
  ) {
    super(message);
    this.name = "WatchError";
  }
}

/**
 * A watched node's gradient from manual whose shape is not the node's. `node` names it.
 *
 * @example
 * ```ts
 * try {
 *   compareDerivatives(({ x }, watch) => sum(watch("t", x)), () => ({ t: nd.ones([3]) }), { x: nd.ones([2]) });
 * } catch (e) {
 *   (e as NodeShapeError).node; // "t"
 * }
 * ```
 */
export class NodeShapeError extends ShapeError {
  constructor(
    message: string,
    readonly node: string,
  ) {
    super(message);
    this.name = "NodeShapeError";
  }
}

/**
 * The node the backward pass first meets (from the loss) whose manual gradient the tape and
 * finite differences outvote, while every node met before it agrees.
 *
 * @example
 * ```ts
 * const r = compareDerivatives(f, manual, inputs);
 * r.firstWrong?.name;       // "dft"
 * r.firstWrong?.neighbours; // ["dc_next", "da_next"]: what its line of the derivation read
 * ```
 */
export interface FirstWrong {
  name: string;
  /** The watched nodes its gradient is computed from (its nearest watched consumers, closer to the loss), in backward order. */
  neighbours: string[];
  /** The nodes met before it, all agreeing, in backward order. */
  agreeing: string[];
  entry: DerivativeEntry;
}

const quote = (ns: readonly string[]) => ns.map((n) => `"${n}"`).join(", ");

/**
 * One run of f's watches. `record`: the first run, which learns the names; otherwise the names
 * must be those learnt, and `perturb` (if any) gets `delta` added to its value.
 */
export class Watcher {
  readonly names: string[] = [];
  readonly tensors: Tensor[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly inputNames: readonly string[],
    private readonly expected: readonly string[] | null,
    private readonly shapes: ReadonlyMap<string, readonly number[]> | null,
    private readonly perturb: { name: string; delta: NDArray } | null,
    private readonly runLabel: string,
  ) {}

  readonly watch: Watch = (name, tensor) => {
    if (typeof name !== "string" || name === "") throw new ValueError(`compareDerivatives: watch needs a non-empty name, got ${JSON.stringify(name)}`);
    if (!(tensor instanceof Tensor)) throw new WatchError(`compareDerivatives: watch("${name}", ...) was given ${tensor === null ? "null" : typeof tensor}, not a Tensor`, name);
    if (this.seen.has(name)) throw new WatchError(`compareDerivatives: node "${name}" is watched twice in one run of f; give each intermediate its own name (an index such as "${name}[1]" will do)`, name);
    if (this.inputNames.includes(name)) throw new WatchError(`compareDerivatives: node "${name}" has an input's name; name it otherwise, so that manual's result says which is meant`, name);
    if (this.expected !== null && !this.expected.includes(name)) {
      throw new WatchError(`compareDerivatives: node "${name}" was watched ${this.runLabel} but not when f first ran (a watch inside a branch taken on one run only); watch the same names on every run`, name);
    }
    const shape = this.shapes?.get(name);
    if (shape && !nd.shapesEqual(shape, tensor.shape)) {
      throw new NodeShapeError(`compareDerivatives: node "${name}" has shape ${fmtShape(tensor.shape)} ${this.runLabel} but ${fmtShape(shape)} when f first ran`, name);
    }
    this.seen.add(name);
    this.names.push(name);
    this.tensors.push(tensor);
    if (this.perturb && this.perturb.name === name) return new Tensor(nd.add(tensor.data, this.perturb.delta));
    return tensor;
  };

  /** After the run: every name learnt was watched again. */
  finish(): void {
    if (this.expected === null) return;
    const missing = this.expected.filter((n) => !this.seen.has(n));
    if (missing.length) {
      throw new WatchError(
        `compareDerivatives: node${missing.length > 1 ? "s" : ""} ${quote(missing)} ${missing.length > 1 ? "were" : "was"} watched when f first ran but not ${this.runLabel} (a watch inside a branch not taken); watch the same names on every run`,
        missing[0]!,
      );
    }
  }
}

/**
 * The watched nodes' indices in the order the backward walk met them: `met` holds the ids of the
 * nodes the walk took, in its order (its onNode events). Outputs of one node come last output
 * first; a watched tensor whose node the walk never took (no gradient reaches it) or that has no
 * node (a leaf) comes after, newest first.
 */
export function backwardOrder(tensors: readonly Tensor[], met: readonly number[]): number[] {
  const at = new Map(met.map((id, k) => [id, k]));
  const rank = (t: Tensor) => (t.gradFn && at.has(t.gradFn.id) ? at.get(t.gradFn.id)! : met.length);
  const key = (t: Tensor) => (t.gradFn ? t.gradFn.id : -1);
  return tensors
    .map((_, i) => i)
    .sort((i, j) => rank(tensors[i]!) - rank(tensors[j]!) || key(tensors[j]!) - key(tensors[i]!) || tensors[j]!.outputIndex - tensors[i]!.outputIndex || j - i);
}

/**
 * For each watched node, the watched nodes that consume it with no watched node between: walking
 * each node's graph back from it and stopping at watched tensors finds its nearest watched producers.
 */
export function watchedConsumers(tensors: readonly Tensor[]): number[][] {
  const index = new Map<Tensor, number>();
  tensors.forEach((t, i) => (index.has(t) ? undefined : index.set(t, i)));
  const consumers = tensors.map((): number[] => []);
  tensors.forEach((t, j) => {
    const seen = new Set<Tensor>();
    const stack: Tensor[] = t.gradFn ? [...t.gradFn.inputs] : [];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      const i = index.get(x);
      if (i !== undefined && i !== j) {
        if (!consumers[i]!.includes(j)) consumers[i]!.push(j);
        continue;
      }
      if (x.gradFn && !x.gradFn.released) stack.push(...x.gradFn.inputs);
    }
  });
  return consumers;
}

/** The first node, in backward order, that manual alone gets wrong while all before it agree; null if none (or if one before it is not manual's fault). */
export function findFirstWrong(nodes: readonly DerivativeEntry[], consumersOf: ReadonlyMap<string, readonly string[]>): FirstWrong | null {
  for (let k = 0; k < nodes.length; k++) {
    const e = nodes[k]!;
    if (e.agree) continue;
    if (e.oddOne !== "manual") return null;
    const before = nodes.slice(0, k).map((n) => n.name);
    const neighbours = before.filter((n) => consumersOf.get(e.name)?.includes(n));
    return { name: e.name, neighbours, agreeing: before, entry: e };
  }
  return null;
}

const sci = (x: number) => (x === 0 ? "0" : x.toExponential(2));

/** The first wrong node as a short story, for formatReport. */
export function firstWrongStory(fw: FirstWrong | null, nodes: readonly DerivativeEntry[]): string {
  if (nodes.length === 0) return "";
  if (fw === null) {
    const bad = nodes.find((e) => !e.agree);
    return bad ? `no first wrong node: at ${bad.name}, the first node that does not agree, ${bad.verdict}` : `every watched node agrees (${nodes.length})`;
  }
  const e = fw.entry;
  const tm = e.tapeVsManual!;
  const w = tm.worst[0];
  const read =
    fw.neighbours.length === 0
      ? `its gradient comes from the loss with no watched node between`
      : `${fw.neighbours.length === 1 ? fw.neighbours[0] : `${fw.neighbours.slice(0, -1).join(", ")} and ${fw.neighbours[fw.neighbours.length - 1]}`} ${fw.neighbours.length === 1 ? "agrees" : "agree"}`;
  const at = w ? ` (worst at [${w.index.join(",")}]: manual ${w.b.toPrecision(6)}, tape ${w.a.toPrecision(6)})` : "";
  const flat = e.manual!.toFlat();
  const value = `[${flat.slice(0, 3).map((v) => v.toPrecision(4)).join(", ")}${flat.length > 3 ? ", ..." : ""}]`;
  return `${e.name} is the first wrong node: ${read}; ${e.name} = ${value} (manual) differs from the tape by ${sci(tm.maxAbs)} (rel ${sci(tm.maxRel)})${at}, while the tape and finite differences agree`;
}
