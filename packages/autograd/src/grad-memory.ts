// What the backward walk does with gradients' storage, behind one interface, so that engine.ts
// reads as the plain walk (take a node, check it, run its VJP, deliver) and tells the memory
// what happens at each step. PlainMemory is micrograd's policy: sums made with the library's
// own ops, nothing reused, nothing deferred; the walk uses it when it records the backward
// (createGraph). accumulator.ts is the policy of a backward that records nothing: gradients
// summed in place, dead ones' storage reused, weight-gradient products deferred, a sequence's
// gradients gathered into one array.

import type { Node, VjpHooks } from "./tape.js";
import { withGradMode } from "./tape.js";
import type { Tensor } from "./tensor.js";
import { add } from "./ops/binary.js";
import { endBackward } from "./accumulator.js";

/** The walk's events, in the order it raises them; a VJP sees only the hooks (VjpHooks). */
export interface GradMemory extends VjpHooks {
  /** g arrives where `prev` waits (or nothing yet): the gradient waiting there now. */
  received(prev: Tensor | null | undefined, g: Tensor): Tensor;
  /**
   * g arrives for output `index` of a node whose outputs are slices of one array
   * (MultiOpSpec.outputRegion): whether the memory took it into its slice of `slots`.
   */
  receivedInRegion(node: Node, slots: (Tensor | null)[], index: number, g: Tensor): boolean;
  /** g with its values, for the walk to read (a cast, an anomaly scan, a result). */
  read(g: Tensor): Tensor;
  /** A node's VJP will take `slots` (readable on return); `keep`: the caller keeps them too (gradients()). */
  vjpStarting(slots: Tensor[], keep: boolean): void;
  /** The VJP returned `results`; the walk delivers them next. */
  vjpDone(results: readonly (Tensor | null | undefined)[]): void;
  /** Everything the last VJP returned (or the roots' seeds) is delivered. */
  delivered(): void;
  /** The walk is over, or failed. */
  ended(): void;
  /** After the walk: `g`, a leaf's gradient, joins the leaf's `.grad` `prev`; the new `.grad`. */
  intoGrad(prev: Tensor | null, g: Tensor): Tensor;
}

/** The policy of a backward that records itself: every sum is an op of the new graph, which may hold any gradient. */
export class PlainMemory implements GradMemory {
  received(prev: Tensor | null | undefined, g: Tensor): Tensor {
    return prev ? add(prev, g) : g;
  }
  receivedInRegion(): boolean {
    return false;
  }
  read(g: Tensor): Tensor {
    return g;
  }
  vjpStarting(): void {}
  vjpDone(): void {}
  delivered(): void {}
  ended(): void {
    endBackward();
  }
  // a differentiable gradient, which may be shared with other leaves (add's VJP hands one tensor
  // to both operands) or be the caller's own, so it is never written in place
  intoGrad(prev: Tensor | null, g: Tensor): Tensor {
    return prev ? withGradMode(true, () => add(prev, g)) : g;
  }
  rowProducts(): Tensor | null {
    return null;
  }
}
