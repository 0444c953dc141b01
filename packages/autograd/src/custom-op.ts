// customOp: a user op with its own forward and backward on NDArrays, recorded like any other.
// The nn package wraps the closed-form LSTM this way as a fused layer.

import type { NDArray } from "@tapegrad/tensor";
import { fmtShape } from "@tapegrad/tensor";
import { defineMultiOp } from "./define-op.js";
import { AutogradError, isGradEnabled } from "./tape.js";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";

/** What a custom op's forward and backward share: values saved for backward, and which inputs need a gradient. */
export interface CustomContext {
  /** Keep values for backward. */
  save(...values: unknown[]): void;
  readonly saved: unknown[];
  /** Which inputs need a gradient (backward may return null for the others). */
  readonly needsGrad: readonly boolean[];
}

/** A custom op: a forward and a hand-written backward, both on NDArrays (see customOp). */
export interface CustomOpSpec {
  name: string;
  /** The outputs from the input values: one NDArray or several. */
  forward: (ctx: CustomContext, ...inputs: NDArray[]) => NDArray | NDArray[];
  /**
   * One gradient per input (null for none) from one gradient per output. Like every VJP it
   * keeps no reference to the gradients it is given or returns (see OpSpec): in a backward
   * their storage may be reused once it has returned, so copy one to keep it.
   */
  backward: (ctx: CustomContext, ...grads: NDArray[]) => (NDArray | null | undefined)[];
}

/**
 * Returns a function of Tensors. Its backward is not itself recorded, so a graph through a
 * custom op cannot be differentiated twice; asking for that (createGraph) is an error.
 */
export function customOp(spec: CustomOpSpec): (...inputs: TensorLike[]) => Tensor | Tensor[] {
  let single = true;
  const op = defineMultiOp<CustomContext>({
    name: spec.name,
    forward: (inputs, ctx) => {
      const out = spec.forward(ctx, ...inputs);
      single = !Array.isArray(out);
      return Array.isArray(out) ? out : [out];
    },
    vjp: (grads, { inputs, attrs: ctx }) => {
      if (isGradEnabled()) {
        throw new AutogradError(`customOp ${spec.name}: its backward works on NDArrays and cannot be recorded; createGraph (higher-order gradients) is not available through it`);
      }
      const res = spec.backward(ctx, ...grads.map((g) => g.data));
      if (!Array.isArray(res) || res.length !== inputs.length) {
        throw new AutogradError(`customOp ${spec.name}: backward must return ${inputs.length} gradient(s), one per input, got ${Array.isArray(res) ? res.length : typeof res}`);
      }
      return res.map((g, i) => {
        if (g === null || g === undefined) return null;
        if (g.shape.length !== inputs[i]!.ndim || g.shape.some((d, k) => d !== inputs[i]!.shape[k])) {
          throw new AutogradError(`customOp ${spec.name}: backward returned shape ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(inputs[i]!.shape)}`);
        }
        return new Tensor(g);
      });
    },
    watch: "none",
  });
  return (...inputs: TensorLike[]) => {
    const ts = inputs.map((x) => toTensor(x));
    const saved: unknown[] = [];
    const ctx: CustomContext = { save: (...v) => void saved.push(...v), saved, needsGrad: ts.map((t) => t.requiresGrad) };
    const outs = op(ts, ctx);
    return single ? outs[0]! : outs;
  };
}
