// compile's hook in the autograd core. While compile traces a step, every change of a tensor's
// gradient reference (backward setting a leaf's .grad, zeroGrad clearing it, an assignment) is
// noted, so that a replay can leave the references as the traced call left them: a replay
// writes the gradients into the traced buffers, and a `.grad` cleared or replaced between
// calls would otherwise not see them.

import type { Tensor } from "./tensor.js";

let sink: ((t: Tensor, g: Tensor | null) => void) | null = null;

/** @internal compile's: where the notes go while it traces (null: nowhere). */
export function setGradSink(next: ((t: Tensor, g: Tensor | null) => void) | null): void {
  sink = next;
}

/** @internal called wherever a tensor's gradient reference changes. */
export function noteGrad(t: Tensor, g: Tensor | null): void {
  if (sink !== null) sink(t, g);
}
