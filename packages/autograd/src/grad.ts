// The functional API: grad, valueAndGrad, hvp. A nested grad (grad of grad) records its
// backward pass so that the outer one can differentiate it.

import * as nd from "@tapegrad/tensor";
import { fmtShape } from "@tapegrad/tensor";
import { AutogradError, isGradEnabled, withGradMode } from "./tape.js";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { gradients } from "./engine.js";

/** Which arguments grad and valueAndGrad differentiate: one index (the gradient is a Tensor) or a list of them (an array of Tensors, in that order). */
export type Argnums = number | readonly number[];
type Grads<N extends Argnums> = N extends number ? Tensor : Tensor[];

/** How many grad() traces enclose the current call: inside one, gradients must stay differentiable. */
let depth = 0;

function prepare(fname: string, args: readonly unknown[], argnums: Argnums) {
  const nums = typeof argnums === "number" ? [argnums] : [...argnums];
  const call = args.slice();
  const targets: Tensor[] = [];
  for (const i of nums) {
    if (!Number.isInteger(i) || i < 0 || i >= args.length) {
      throw new AutogradError(`${fname}: argnums ${i} is out of range for ${args.length} argument(s)`);
    }
    const a = args[i];
    let t: Tensor;
    if (a instanceof Tensor && a.requiresGrad) t = a; // part of an outer trace: differentiate through it
    else {
      const base = a instanceof Tensor ? a.data : toTensor(a as TensorLike).data;
      if (!nd.isFloat(base.dtype)) throw new AutogradError(`${fname}: argument ${i} has dtype ${base.dtype}; only float inputs can be differentiated`);
      t = new Tensor(base, true);
    }
    call[i] = t;
    targets.push(t);
  }
  return { nums, call, targets };
}

/**
 * `valueAndGrad(f, argnums?)(...args)` returns `[f(...args), gradients]`: one Tensor when
 * argnums is a number (default 0), an array when it is an array. f must return a one-element
 * tensor. `.grad` fields are left untouched.
 */
export function valueAndGrad<A extends unknown[], N extends Argnums = 0>(
  f: (...args: A) => TensorLike,
  argnums: N = 0 as N,
): (...args: A) => [Tensor, Grads<N>] {
  return traced("valueAndGrad", f, argnums);
}

/** valueAndGrad, with errors named after the function the user called. */
function traced<A extends unknown[], N extends Argnums>(fname: string, f: (...args: A) => TensorLike, argnums: N): (...args: A) => [Tensor, Grads<N>] {
  return (...args: A) => {
    const { call, targets } = prepare(fname, args, argnums);
    const createGraph = depth > 0 && isGradEnabled();
    depth++;
    let out: Tensor;
    try {
      out = toTensor(withGradMode(true, () => f(...(call as A))));
    } finally {
      depth--;
    }
    if (out.size !== 1) {
      throw new AutogradError(`${fname}: f must return a one-element tensor, got shape ${fmtShape(out.shape)}; reduce it (sum, mean) or use gradients() with a gradient`);
    }
    const gs = out.requiresGrad
      ? gradients([out], targets, undefined, { createGraph, retainGraph: createGraph })
      : targets.map((t) => new Tensor(nd.zerosLike(t.data)));
    const value = createGraph ? out : out.detach();
    return [value, (typeof argnums === "number" ? gs[0]! : gs) as Grads<N>];
  };
}

/** `grad(f, argnums?)(...args)`: the gradient of a scalar function, as a function. */
export function grad<A extends unknown[], N extends Argnums = 0>(
  f: (...args: A) => TensorLike,
  argnums: N = 0 as N,
): (...args: A) => Grads<N> {
  const vg = traced("grad", f, argnums);
  return (...args: A) => vg(...args)[1];
}

/** A Hessian-vector product H(x) v of a scalar f, by differentiating <grad f(x), v>. */
export function hvp(f: (x: Tensor) => TensorLike, x: TensorLike, v: TensorLike): Tensor {
  const vt = toTensor(v);
  return grad((y: Tensor) => (grad(f)(y) as Tensor).mul(vt).sum())(toTensor(x));
}

export { withGradMode };
