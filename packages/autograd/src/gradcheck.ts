// gradcheck: the tape's gradients against central finite differences, in float64.
// The function is projected onto a fixed random direction r (checking J^T r, which is what
// backward computes) so that one backward and 2n forward evaluations cover every input.

import * as nd from "@tapegrad/tensor";
import { NDArray, fmtShape } from "@tapegrad/tensor";
import { AutogradError } from "./tape.js";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { gradients } from "./engine.js";
import { mul } from "./ops/binary.js";
import { sum } from "./ops/reduce.js";
import { concat, reshape } from "./ops/movement.js";
import { centralDifferencesAt } from "./finite-diff.js";

/** Options of gradcheck and gradgradcheck: the finite-difference step, the tolerances (an entry passes when |analytic - numeric| <= atol + rtol |numeric|), the projection's seed, and which inputs to check. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Seed of the random projection direction. */
  seed?: number;
  /** Which inputs to check (default: every float input). */
  check?: readonly number[];
}

/** One checked input of a GradcheckReport: the largest absolute and relative errors, whether every entry passed, and both gradients (float64, the input's shape). */
export interface InputReport {
  index: number;
  shape: readonly number[];
  maxAbsError: number;
  maxRelError: number;
  passed: boolean;
  analytic: NDArray;
  numeric: NDArray;
}

/** What gradcheck returns: `passed` when every checked input passed, a report per input, and toString() with one line per input. */
export interface GradcheckReport {
  passed: boolean;
  inputs: InputReport[];
  toString(): string;
}

type Fn = (...xs: Tensor[]) => TensorLike;

function projection(shape: readonly number[], seed: number): NDArray {
  const rs = new nd.RandomState(seed);
  return rs.randn(...shape);
}

/**
 * Checks f's gradient with respect to each float input. Inputs are used as given (any layout,
 * broadcast views included) for the analytic gradient; each finite difference perturbs one
 * element of a contiguous float64 copy, so elements that share storage in a view are still
 * perturbed one at a time. An index in `check` that is no input, or no float input, is an
 * AutogradError.
 *
 * @example
 * ```ts
 * const report = gradcheck((x, w) => tanh(mul(x, w)).sum(), [tensor([0.5, -1]), tensor([2, 3])]);
 * report.passed; // true
 * console.log(report.toString()); // "input 0 [2]: max abs err 4.11e-11, ... ok", then input 1
 * ```
 */
export function gradcheck(f: Fn, inputs: readonly TensorLike[], options: GradcheckOptions = {}): GradcheckReport {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 0 } = options;
  const base = inputs.map((x) => toTensor(x));
  const which = options.check ?? base.map((t, i) => (nd.isFloat(t.dtype) ? i : -1)).filter((i) => i >= 0);
  for (const i of which) {
    if (!base[i] || !nd.isFloat(base[i]!.dtype)) {
      throw new AutogradError(`gradcheck: input ${i} ${base[i] ? `has dtype ${base[i]!.dtype}` : "does not exist"}; only float inputs can be checked`);
    }
  }
  // float64 leaves over the inputs' own layouts
  const leaves = base.map((t, i) => (which.includes(i) ? new Tensor(t.dtype === "float64" ? t.data : t.data.astype("float64"), true) : t));
  const out = toTensor(f(...leaves));
  const r = projection(out.shape, seed);
  const rt = new Tensor(r);
  const objective = (y: Tensor) => sum(mul(y.dtype === "float64" ? y : y.astype("float64"), rt));
  const targets = which.map((i) => leaves[i]!);
  const analytic = out.requiresGrad
    ? gradients([objective(out)], targets).map((g) => g.data)
    : targets.map((t) => nd.zerosLike(t.data));

  const reports: InputReport[] = which.map((i, k) => {
    const work = leaves[i]!.data.copy(); // contiguous float64: one element per storage slot
    const flat = work.data as Float64Array;
    const numeric = nd.zeros(work.shape);
    const nflat = numeric.data as Float64Array;
    // Inputs are detached, so nothing is recorded unless f itself makes leaves (gradgradcheck's f does).
    const evalAt = (): number => {
      const xs = leaves.map((t, j) => (j === i ? new Tensor(work) : t.detach()));
      return objective(toTensor(f(...xs))).item();
    };
    centralDifferencesAt(flat, evalAt, eps, nflat);
    const a = analytic[k]!.astype("float64");
    let maxAbs = 0;
    let maxRel = 0;
    let passed = true;
    const ad = a.contiguous();
    for (let p = 0; p < nflat.length; p++) {
      const x = ad.data[ad.offset + p]!;
      const y = nflat[p]!;
      const err = Math.abs(x - y);
      if (!(err <= atol + rtol * Math.abs(y))) passed = false;
      if (err > maxAbs || err !== err) maxAbs = err;
      const rel = err / Math.max(Math.abs(y), 1e-300);
      if (err > 0 && rel > maxRel) maxRel = rel;
    }
    return { index: i, shape: leaves[i]!.shape, maxAbsError: maxAbs, maxRelError: maxRel, passed, analytic: a, numeric };
  });
  const passed = reports.every((r) => r.passed);
  return {
    passed,
    inputs: reports,
    toString: () =>
      reports
        .map((r) => `input ${r.index} ${fmtShape(r.shape)}: max abs err ${r.maxAbsError.toExponential(2)}, max rel err ${r.maxRelError.toExponential(2)} ${r.passed ? "ok" : "FAILED"}`)
        .join("\n"),
  };
}

/**
 * Second order: checks the gradient of x -> J(x)^T r (the VJP, recorded with createGraph)
 * against finite differences of that VJP, i.e. Hessian-vector products.
 */
export function gradgradcheck(f: Fn, inputs: readonly TensorLike[], options: GradcheckOptions = {}): GradcheckReport {
  const seed = options.seed ?? 0;
  const base = inputs.map((x) => toTensor(x));
  const which = options.check ?? base.map((t, i) => (nd.isFloat(t.dtype) ? i : -1)).filter((i) => i >= 0);
  const vjpOfF: Fn = (...given) => {
    // The finite-difference evaluations pass detached inputs: make them leaves so the VJP exists.
    const xs = given.map((x, i) => (which.includes(i) && !x.requiresGrad ? new Tensor(x.data, true) : x));
    const y = toTensor(f(...xs));
    const r = new Tensor(projection(y.shape, seed + 1));
    const targets = which.map((i) => xs[i]!);
    const gs = gradients([sum(mul(y.dtype === "float64" ? y : y.astype("float64"), r))], targets, undefined, { createGraph: true });
    return concat(gs.map((g) => reshape(g, [-1])));
  };
  return gradcheck(vjpOfF, base, { ...options, seed: seed + 2 });
}
