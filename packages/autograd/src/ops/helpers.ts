// What every rule file uses to write its VJPs.

import type { NDArray } from "@tapegrad/tensor";
import { Tensor } from "../tensor.js";

/** Whether input t takes a gradient: a rule returns null for one that does not (saves the work). */
export const need = (t: Tensor | undefined): boolean => t !== undefined && t.requiresGrad;

/** A mask or other value the gradient depends on but never differentiates. */
export const constant = (a: NDArray): Tensor => new Tensor(a);
