// The arbiter of compile: a step built twice from the same seeds, run eagerly and through
// compile on the same inputs, compared bitwise (Object.is on every element) after every call:
// the returned values and every piece of state the caller names (parameters, gradients,
// optimizer and scheduler state, RNG streams). A CompileError or TraceError from the compiled
// side is a refusal, which the contract allows; any difference is a divergence, which it does not.

import * as nd from "@tapegrad/tensor";
import { NDArray, TapegradError, TraceError } from "@tapegrad/tensor";
import { CompileError, Tensor, compile, type CompileOptions } from "@tapegrad/autograd";

/** One side of the comparison: a step, the state to compare after each call, and what runs between calls. */
export interface Subject {
  step: (...args: never[]) => unknown;
  /** Named state read after each call: Tensors (values and grad), NDArrays, numbers, strings, lists and objects of them. */
  state: () => Record<string, unknown>;
  /** Runs after call i, outside the step (a scheduler's step, a learning rate set by hand). */
  between?: (i: number) => void;
}

export type Outcome =
  | { kind: "equal"; calls: number; replays: number }
  | { kind: "refused"; atCall: number; error: Error }
  | { kind: "eager-threw"; atCall: number; error: unknown };

/** A divergence between the compiled and the eager step: where, and the two values. */
export class Divergence extends Error {}

export interface DifferentialOptions {
  /** Calls compared (default 10: the first traces, the rest replay). */
  calls?: number;
  compile?: CompileOptions;
  /**
   * Also compare the arguments after each call (values, and the .grad a Tensor argument that
   * requires grad receives); default false.
   */
  compareArgs?: boolean;
}

/**
 * Builds the subject twice (`make` must draw everything from its own seeds), runs `calls` calls
 * eagerly and compiled with the same inputs (`inputs(i, previous)` is called once per side, with that side's result of call i - 1, so state can be threaded through the calls, and must give
 * equal fresh values), and compares results and state after each call. Throws Divergence on the
 * first difference; returns how the compiled side fared.
 */
export function differential(make: () => Subject, inputs: (i: number, previous?: unknown) => unknown[], options: DifferentialOptions = {}): Outcome {
  const calls = options.calls ?? 10;
  const eager = make();
  const comp = make();
  const step = compile(comp.step, options.compile ?? {}) as unknown as (...a: unknown[]) => unknown;
  const eagerStep = eager.step as unknown as (...a: unknown[]) => unknown;
  let wantBefore: unknown;
  let gotBefore: unknown;
  for (let i = 0; i < calls; i++) {
    let want: unknown;
    const eagerArgs = inputs(i, wantBefore);
    try {
      want = eagerStep(...eagerArgs);
    } catch (error) {
      return { kind: "eager-threw", atCall: i, error };
    }
    let got: unknown;
    const compArgs = inputs(i, gotBefore);
    try {
      got = step(...compArgs);
    } catch (error) {
      // compile's own check caught a replay that differs from the eager call: a divergence, not a refusal
      if (error instanceof CompileError && isCheckFailure(error)) throw new Divergence(`call ${i}: ${error.message}`);
      if (error instanceof CompileError || error instanceof TraceError) return { kind: "refused", atCall: i, error };
      throw new Divergence(`call ${i}: the compiled step threw where the eager one did not: ${String((error as Error)?.stack ?? error)}`);
    }
    compareValues(want, got, `call ${i}: result`);
    wantBefore = want;
    gotBefore = got;
    compareValues(eager.state(), comp.state(), `call ${i}: state`);
    if (options.compareArgs) compareValues(eagerArgs, compArgs, `call ${i}: arguments`);
    eager.between?.(i);
    comp.between?.(i);
  }
  const stats = (step as unknown as { stats: { replays: number } }).stats;
  return { kind: "equal", calls, replays: stats.replays };
}

/** Throws Divergence at the first element where two values differ (Object.is), naming the path. */
export function compareValues(want: unknown, got: unknown, path: string): void {
  if (want instanceof Tensor || got instanceof Tensor) {
    if (!(want instanceof Tensor && got instanceof Tensor)) throw new Divergence(`${path}: a Tensor on one side only`);
    compareValues(want.data, got.data, path);
    const gw = want.grad;
    const gg = got.grad;
    if ((gw === null) !== (gg === null)) throw new Divergence(`${path}.grad: ${gw === null ? "null" : "an array"} eagerly, ${gg === null ? "null" : "an array"} compiled`);
    if (gw !== null && gg !== null) compareValues(gw, gg, `${path}.grad`);
    return;
  }
  if (want instanceof NDArray || got instanceof NDArray) {
    if (!(want instanceof NDArray && got instanceof NDArray)) throw new Divergence(`${path}: an NDArray on one side only`);
    if (want.dtype !== got.dtype) throw new Divergence(`${path}: dtype ${want.dtype} eagerly, ${got.dtype} compiled`);
    if (nd.fmtShape(want.shape) !== nd.fmtShape(got.shape)) throw new Divergence(`${path}: shape ${nd.fmtShape(want.shape)} eagerly, ${nd.fmtShape(got.shape)} compiled`);
    const a = want.copy().data;
    const b = got.copy().data;
    for (let k = 0; k < a.length; k++) {
      if (!Object.is(a[k], b[k])) {
        throw new Divergence(`${path}: element ${k} of ${want.dtype}${nd.fmtShape(want.shape)} is ${a[k]} eagerly, ${b[k]} compiled (|Δ| ${Math.abs(a[k]! - b[k]!)})`);
      }
    }
    return;
  }
  if (Array.isArray(want) || Array.isArray(got)) {
    if (!(Array.isArray(want) && Array.isArray(got)) || want.length !== got.length) throw new Divergence(`${path}: lists of different lengths`);
    want.forEach((w, k) => compareValues(w, got[k], `${path}[${k}]`));
    return;
  }
  if (want !== null && typeof want === "object" && got !== null && typeof got === "object") {
    const kw = Object.keys(want);
    const kg = Object.keys(got);
    if (kw.join(",") !== kg.join(",")) throw new Divergence(`${path}: keys ${kw.join(",")} eagerly, ${kg.join(",")} compiled`);
    for (const k of kw) compareValues((want as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  if (!Object.is(want, got)) throw new Divergence(`${path}: ${String(want)} eagerly, ${String(got)} compiled`);
}

/** Whether a CompileError is compile's check finding a replay unlike the eager call (a caught divergence). */
export function isCheckFailure(e: Error): boolean {
  return /replayed, differs from the eager call/.test(e.message);
}

/** Whether an error is a refusal that the contract allows. */
export function isRefusal(e: unknown): boolean {
  if (e instanceof CompileError && isCheckFailure(e)) return false;
  return e instanceof CompileError || e instanceof TraceError || (e instanceof TapegradError && e.name === "CompileError");
}
