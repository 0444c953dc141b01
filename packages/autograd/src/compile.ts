// compile: trace a step once, replay the recorded kernels on later calls.
//
// A call traces by running the function eagerly while @tapegrad/tensor records every kernel it
// calls (kernel.ts and record.ts there): the forward's, the backward's, the optimizer's. A replay calls the
// same kernels again on the same buffers, with no Tensor, no node and no engine in between.
// Tensor and NDArray arguments are placeholders: each call's values are copied into arrays the
// trace read. What the function reaches through closures (parameters, their .grad, optimizer
// state, RNG streams) is read and written where the trace found it, as an eager call would.
//
// A trace is trusted once two consecutive calls trace to the same program (the first call of a
// training step differs from the second: the optimizer makes its state then). A JS number
// computed inside the step and passed to a kernel, or a branch on a computed value, makes the
// traces differ, and compile says where rather than replay a stale constant. `check` traces a
// few more calls and compares each with the plan before replaying.

import { NDArray, TapegradError, fmtShape, isTracing } from "@tapegrad/tensor";
import {
  GpuProgram, Identities, Lowering, LoweringError, trace, traceDifference, restoreState, sameSnapshot, saveState,
  type CapturedStep, type ItemRead, type KernelDifference, type Program, type ReplayState,
} from "@tapegrad/tensor/internal";
import { Tensor } from "./tensor.js";
import { setGradSink } from "./compile-hook.js";

/** A step that compile cannot replay faithfully, or a call it cannot serve. */
export class CompileError extends TapegradError {}

/** Options of compile: extra traces to check a plan with, how many argument signatures (plans) and disagreeing traces to allow, and whether to fuse elementwise kernels. */
export interface CompileOptions {
  /**
   * Check this many of a plan's first replays against the eager function (default 1; true: 3;
   * false or 0: none). A checked call runs the function eagerly (traced, and compared with the
   * plan), puts back everything it changed, replays, and compares the results and every piece of
   * state (arrays, gradients, RNG streams, schedulers) bitwise; a difference throws a
   * CompileError naming the first kernel whose output differs, with the state left as the eager
   * call left it.
   */
  check?: boolean | number;
  /** Plans kept, one per distinct signature of the arguments (shapes, dtypes, plain values); default 8. */
  maxPlans?: number;
  /** Traces of one signature that may disagree before compile gives up; an integer >= 2, default 3. */
  maxTraces?: number;
  /** Fuse chains of elementwise kernels into generated loops (default true; false to measure without). */
  fuse?: boolean;
  /**
   * A `GPUDevice` (from `navigator.gpu` in a browser, or the npm package `webgpu` in Node):
   * replays run on WebGPU, the compiled function is async, state stays on the GPU until
   * `await step.sync()`, and the check compares within float32 tolerance. See docs/compile.md.
   */
  device?: object;
}

/** One placeholder: the array a replay copies argument `arg`'s values into. */
interface Slot {
  arg: number;
  array: NDArray;
  /** the Tensor the function was given, for a Tensor argument */
  tensor: Tensor | null;
}

interface Plan {
  program: Program;
  /** With a device: what runs where (made when traced), and the program on the device (made at the first replay). */
  lowering?: Lowering;
  gpu?: GpuProgram;
  slots: Slot[];
  /** The gradient a call leaves in each slot's Tensor (the trace's buffer), or null. */
  grads: (NDArray | null)[];
  /** What the function returned when traced: its tensors are the plan's buffers. */
  output: unknown;
  /** The result's shape, its numbers written as #: which numbers a call returned is in `numbers`. */
  outputSignature: string;
  /** Each number in the result, in order, with the index of the last item() read that gave that value (-1: none). */
  numbers: { value: number; read: number }[];
  /** The item() reads of the traced call. */
  reads: readonly ItemRead[];
  /** The gradient reference each tensor was left with (see compile-hook.ts), put back after a replay. */
  bindings: [Tensor, Tensor | null][];
}

interface Entry {
  parts: string[];
  traces: number;
  /** Consecutive traces that agreed with the one before. */
  agreed: number;
  plan: Plan | null;
  replays: number;
  /** Replays checked against the eager function so far. */
  checked: number;
  /** A check that failed: this signature refuses from then on. */
  refused: CompileError | null;
}

/** What compile returns: a function with the compiled one's arguments and result, plus plan(), reset() and stats to inspect and control its plans. */
export interface CompiledFunction<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  /** What compile made of the function: per argument signature, its kernels, buffers and bytes. */
  plan(): string;
  /** Drops every plan: the next call traces again (after changing state the trace baked in). */
  reset(): void;
  /** Calls traced and replayed so far, over all signatures. */
  readonly stats: { traces: number; replays: number; plans: number };
}

/**
 * A step compiled for a GPUDevice: async, with its state on the GPU until sync().
 *
 * @example
 * ```ts
 * const step = compile(trainStep, { device }); // device from (await navigator.gpu.requestAdapter()).requestDevice()
 * const loss = await step(x, y); // a CPU copy of the returned tensor
 * await step.sync(); // the parameters and the optimizer's state back in the CPU arrays
 * ```
 */
export interface GpuCompiledFunction<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): Promise<ReturnType<F>>;
  /** Brings the parameters, gradients and optimizer state the GPU changed back into the CPU arrays. */
  sync(): Promise<void>;
  /** What compile made of the function: per signature its kernels, and its dispatches, pipelines and GPU bytes. */
  plan(): string;
  /** Drops every plan (after syncing their state at the next call): the next call traces again. */
  reset(): void;
  /** Calls traced and replayed so far, over all signatures. */
  readonly stats: { traces: number; replays: number; plans: number };
}

/**
 * Compiles a step: the first calls with a given signature of arguments run eagerly and are
 * traced; once two traces agree, later calls replay the traced kernels. Returned tensors are
 * new arrays the caller keeps (detached from any graph). A check or maxPlans out of range,
 * maxTraces traces of one signature that disagree, and one signature more than maxPlans are
 * CompileErrors. See docs/compile.md.
 *
 * @example
 * ```ts
 * const w = tensor([1, 2], { requiresGrad: true });
 * const step = compile((x: Tensor) => {
 *   w.zeroGrad();
 *   const loss = mul(w, x).sum();
 *   loss.backward();
 *   return loss;
 * });
 * for (let i = 0; i < 3; i++) step(tensor([3, 4])); // two traces agree, the third call replays
 * step(tensor([1, 1])).item(); // 3: a replay reads the new x
 * w.grad!.toArray(); // [1, 1]
 * step.stats; // { traces: 2, replays: 2, plans: 1 }
 * ```
 */
export function compile<F extends (...args: never[]) => unknown>(fn: F, options: CompileOptions & { device: object }): GpuCompiledFunction<F>;
export function compile<F extends (...args: never[]) => unknown>(fn: F, options?: CompileOptions): CompiledFunction<F>;
export function compile<F extends (...args: never[]) => unknown>(fn: F, options: CompileOptions = {}): CompiledFunction<F> | GpuCompiledFunction<F> {
  const device = options.device;
  if (device !== undefined && (device === null || typeof (device as { createBuffer?: unknown }).createBuffer !== "function")) {
    throw new CompileError(`compile: device must be a GPUDevice (from adapter.requestDevice()), got ${device === null ? "null" : typeof device}`);
  }
  const checkCalls = options.check === true ? 3 : options.check === false ? 0 : options.check === undefined ? 1 : options.check;
  const maxPlans = options.maxPlans ?? 8;
  const maxTraces = options.maxTraces ?? 3;
  if (!Number.isInteger(checkCalls) || checkCalls < 0) throw new CompileError(`compile: check must be a boolean or a count >= 0, got ${String(options.check)}`);
  // two traces that agree are what a plan is made from
  if (!Number.isInteger(maxTraces) || maxTraces < 2) throw new CompileError(`compile: maxTraces must be an integer >= 2, got ${String(options.maxTraces)}`);
  if (!Number.isInteger(maxPlans) || maxPlans < 1) throw new CompileError(`compile: maxPlans must be an integer >= 1, got ${String(options.maxPlans)}`);
  const ids = new Identities();
  const entries = new Map<string, Entry>();
  const stats = { traces: 0, replays: 0, plans: 0 };
  const f = fn as unknown as (...args: unknown[]) => unknown;

  /** The entry of the arguments' signature (made if new), or a CompileError for one too many. */
  const entryOf = (args: unknown[]): Entry => {
    const parts = args.map((a) => signatureOf(a, ids));
    const key = `${args.length}|${parts.join("|")}`;
    let e = entries.get(key);
    if (e === undefined) {
      if (entries.size >= maxPlans) throw tooManySignatures(parts, [...entries.values()].map((x) => x.parts), maxPlans);
      e = { parts, traces: 0, agreed: 0, plan: null, replays: 0, checked: 0, refused: null };
      entries.set(key, e);
      stats.plans = entries.size;
    }
    return e;
  };

  const call = (...args: unknown[]): unknown => {
    if (isTracing()) return f(...args); // inside another compiled step's trace: part of it
    const e = entryOf(args);
    if (e.refused !== null) throw e.refused;
    if (e.plan !== null && e.plan.program.brokenGuard() !== null) {
      // the traced code took a path chosen by a JS value that has changed since (model.eval()
      // between calls, say): the plan replays the other path, so this signature traces again
      e.plan = null;
      e.agreed = 0;
      e.traces = 0;
      e.checked = 0;
    }
    if (e.plan !== null && e.agreed >= 1) {
      stats.replays++;
      e.replays++;
      if (e.checked < checkCalls) {
        e.checked++;
        return checkedReplay(e, e.plan, args);
      }
      return replay(e.plan, args);
    }
    stats.traces++;
    return traceCall(e, args);
  };

  /** Runs the function eagerly on copies of the arguments while tracing it. */
  const traced = (args: unknown[], capture = false) => {
    const slots: Slot[] = [];
    const given = args.map((a, i) => {
      if (a instanceof Tensor) {
        const array = a.data.copy();
        const t = new Tensor(array, a.requiresGrad);
        t.name = a.name;
        slots.push({ arg: i, array, tensor: t });
        return t;
      }
      if (a instanceof NDArray) {
        const array = a.copy();
        slots.push({ arg: i, array, tensor: null });
        return array;
      }
      return a;
    });
    const bound = new Map<Tensor, Tensor | null>();
    setGradSink((t, g) => bound.set(t, g));
    let run: ReturnType<typeof trace<unknown>>;
    try {
      // what a caller reads after a call: the result, the gradients left on tensors
      const keep = (result: unknown, reads: readonly ItemRead[]): NDArray[] => {
        const out = arraysIn(result);
        // a returned number that is a value read out of an array: the array is read again after a replay
        for (const v of numbersIn(result)) {
          const k = lastRead(reads, v);
          if (k >= 0) out.push(reads[k]!.array);
        }
        for (const g of bound.values()) if (g !== null && g._valueFree === null) out.push(g.data);
        for (const s of slots) if (s.tensor?._grad) out.push(s.tensor._grad.data);
        return out;
      };
      run = trace(() => f(...given), slots.map((s) => s.array), ids, { fuse: options.fuse ?? true, keep, capture, share: options.device === undefined });
    } finally {
      setGradSink(null);
    }
    const { result, program, captured } = run;
    const grads = slots.map((s) => takeGrad(s.tensor));
    for (const s of slots) if (s.tensor) bound.delete(s.tensor);
    const numbers = numbersIn(result).map((value) => ({ value, read: lastRead(run.reads, value) }));
    const plan: Plan = { program, slots, grads, output: result, outputSignature: outputSignature(result, ids), numbers, reads: run.reads, bindings: [...bound] };
    return { plan, captured };
  };

  const traceCall = (e: Entry, args: unknown[]): unknown => {
    const { plan } = traced(args);
    const prev = e.plan;
    e.traces++;
    e.plan = plan;
    if (prev !== null) {
      const diff = traceDifference(prev.program, plan.program) ?? outputDifference(prev, plan);
      if (diff === null) {
        e.agreed++;
        plan.output = outputTemplate(plan.output, prev, plan);
      } else if (e.traces >= maxTraces) {
        e.plan = null;
        throw new CompileError(`compile: ${e.traces} consecutive calls with the same argument signature traced to different programs; the last two part at ${diff}. ${BAKED}`);
      }
    }
    deliverGrads(args, plan.slots, plan.grads);
    return copyOut(plan.output);
  };

  /**
   * A replay checked against the eager function: the eager call first (traced, and compared
   * with the plan), from a saved copy of every array and object the plan touches; then that
   * state put back, the replay, and a bitwise comparison of results and state. On a difference,
   * the eager call is run once more, capturing what each kernel wrote, to name the first kernel
   * of the replay that wrote something else; the state is left as the eager call left it.
   */
  const checkedReplay = (e: Entry, plan: Plan, args: unknown[]): unknown => {
    const call = e.traces + e.replays;
    const world = openWorld(plan);
    const before = world.save();
    const eager = traced(args);
    const after = world.save();
    const eagerArgGrads = eager.plan.grads.map((g) => (g === null ? null : g.copy()));
    const eagerResult = copyOut(eager.plan.output);
    const diff = traceDifference(plan.program, eager.plan.program) ?? outputDifference(plan, eager.plan);
    if (diff !== null) {
      // the eager call is the one that counts: its state stays, and so do its gradients
      deliverGrads(args, eager.plan.slots, eager.plan.grads);
      e.plan = null;
      e.agreed = 0;
      throw new CompileError(`compile (check): call ${call} of the step is not the program its plan would replay: ${diff}. ${BAKED}`);
    }
    world.restore(before);
    const result = replay(plan, args, false);
    const mismatch = world.difference(after) ?? gradsDifference(plan.grads, eagerArgGrads, plan.slots) ?? valueDifference(eagerResult, result, "the returned value");
    if (mismatch === null) {
      deliverGrads(args, plan.slots, plan.grads);
      return result;
    }
    // find the kernel: the eager call again, capturing each kernel's output, then the replay item by item
    world.restore(before);
    const captured = traced(args, true).captured!;
    world.restore(before);
    loadArguments(plan, args);
    const first = plan.program.firstDifference(captured);
    world.restore(after);
    deliverGrads(args, plan.slots, eagerArgGrads);
    e.plan = null;
    e.refused = new CompileError(checkMessage(call, first, mismatch, options.fuse ?? true));
    throw e.refused;
  };

  if (device !== undefined) {
    // ---------------------------------------------------------------- on a GPUDevice
    const advice = "await step.sync() (the compiled step's state is on the GPU)";
    /** Programs whose state may be newer on the GPU: the live plans', and those of plans dropped since. */
    const programs = new Set<GpuProgram>();
    const syncAll = async (except: GpuProgram | null = null) => {
      for (const g of programs) if (g !== except) await g.sync();
    };
    const lower = (e: Entry): void => {
      try {
        if (e.plan !== null) e.plan.lowering = new Lowering(e.plan.program);
      } catch (err) {
        if (!(err instanceof LoweringError)) throw err;
        e.plan = null;
        e.refused = new CompileError(err.message);
        throw e.refused;
      }
    };
    const gpuOf = (plan: Plan): GpuProgram => {
      if (plan.gpu === undefined) {
        const outside = plan.program.outside().arrays;
        try {
          plan.gpu = new GpuProgram(plan.lowering!, device, { outside, kept: plan.program.kept, advice });
        } catch (err) {
          throw err instanceof LoweringError ? new CompileError(err.message) : err;
        }
        programs.add(plan.gpu);
      }
      return plan.gpu;
    };
    const gpuReplay = async (plan: Plan, args: unknown[], deliver = true): Promise<unknown> => {
      const gpu = gpuOf(plan);
      await syncAll(gpu); // another plan's state is the CPU's again before this one reads it
      loadArguments(plan, args);
      const read = resultArrays(plan.output);
      for (const g of plan.grads) if (g !== null) read.push(g);
      try {
        await gpu.run(read);
      } catch (err) {
        throw err instanceof LoweringError ? new CompileError(err.message) : err;
      }
      for (const [t, g] of plan.bindings) t._grad = g;
      if (deliver) deliverGrads(args, plan.slots, plan.grads);
      return copyOut(plan.output);
    };
    const gpuChecked = async (e: Entry, plan: Plan, args: unknown[]): Promise<unknown> => {
      const call = e.traces + e.replays;
      await syncAll();
      const world = openWorld(plan);
      const before = world.save();
      const eager = traced(args);
      const after = world.save();
      const eagerArgGrads = eager.plan.grads.map((g) => (g === null ? null : g.copy()));
      const eagerResult = copyOut(eager.plan.output);
      const diff = traceDifference(plan.program, eager.plan.program) ?? outputDifference(plan, eager.plan);
      if (diff !== null) {
        deliverGrads(args, eager.plan.slots, eager.plan.grads);
        e.plan = null;
        e.agreed = 0;
        throw new CompileError(`compile (check): call ${call} of the step is not the program its plan would replay: ${diff}. ${BAKED}`);
      }
      world.restore(before);
      const result = await gpuReplay(plan, args, false);
      await plan.gpu!.sync();
      const mismatch = world.difference(after, F32_TOLERANCE) ?? gradsDifference(plan.grads, eagerArgGrads, plan.slots, F32_TOLERANCE) ?? valueDifference(eagerResult, result, "the returned value", F32_TOLERANCE);
      if (mismatch === null) {
        deliverGrads(args, plan.slots, plan.grads);
        return result;
      }
      world.restore(after);
      plan.gpu!.forget();
      deliverGrads(args, plan.slots, eagerArgGrads);
      e.plan = null;
      e.refused = new CompileError(
        `compile (check, webgpu): call ${call} of the step, replayed on the GPU, differs from the eager call beyond float32 tolerance: ${mismatch}. ` +
          "The state is as the eager call left it. This is a bug in tapegrad's WebGPU lowering; please report it with this message.",
      );
      throw e.refused;
    };
    const gpuCall = async (args: unknown[]): Promise<unknown> => {
      if (isTracing()) throw new CompileError("compile (webgpu): a GPU-compiled step cannot run inside another compiled step's trace");
      args.forEach((a, i) => {
        if ((a instanceof Tensor || a instanceof NDArray) && a.dtype === "float64") {
          throw new CompileError(`compile (webgpu): argument ${i + 1} is float64; WebGPU has no float64 (WGSL has no f64): pass float32 arrays, and give modules dtype: "float32"`);
        }
      });
      const e = entryOf(args);
      if (e.refused !== null) throw e.refused;
      if (e.plan !== null && e.plan.program.brokenGuard() !== null) {
        e.plan = null;
        e.agreed = 0;
        e.traces = 0;
        e.checked = 0;
      }
      if (e.plan !== null && e.agreed >= 1) {
        stats.replays++;
        e.replays++;
        if (e.checked < checkCalls) {
          e.checked++;
          return gpuChecked(e, e.plan, args);
        }
        return gpuReplay(e.plan, args);
      }
      await syncAll(); // a trace runs eagerly, on the state as the GPU left it
      stats.traces++;
      const result = traceCall(e, args);
      lower(e);
      return result;
    };
    let queue: Promise<unknown> = Promise.resolve();
    const gpuCompiled = ((...args: unknown[]) => {
      const run = queue.then(() => gpuCall(args));
      queue = run.catch(() => undefined);
      return run;
    }) as unknown as GpuCompiledFunction<F>;
    Object.defineProperty(gpuCompiled, "stats", { get: () => ({ ...stats }) });
    gpuCompiled.sync = async () => {
      await queue;
      await syncAll();
    };
    gpuCompiled.reset = () => {
      entries.clear();
      stats.plans = 0;
    };
    gpuCompiled.plan = () => describePlans(entries);
    return gpuCompiled;
  }

  const compiled = call as unknown as CompiledFunction<F>;
  Object.defineProperty(compiled, "stats", { get: () => ({ ...stats }) });
  compiled.reset = () => {
    entries.clear();
    stats.plans = 0;
  };
  compiled.plan = () => describePlans(entries);
  return compiled;
}

const BAKED =
  "A value that changes between calls was baked into the trace: a JS number computed inside the step (from a counter, or from .item()) " +
  "and passed to an op, a branch on a computed value, or a tensor kept from the previous call. Compute it with ops, pass it as an argument " +
  "(plain arguments are part of the plan's key), or return carried state and pass it back in";

function replay(plan: Plan, args: unknown[], deliver = true): unknown {
  loadArguments(plan, args);
  plan.program.run();
  for (const [t, g] of plan.bindings) t._grad = g;
  if (deliver) deliverGrads(args, plan.slots, plan.grads);
  return copyOut(plan.output);
}

/** Each argument's values into the placeholder the plan reads it from. */
function loadArguments(plan: Plan, args: readonly unknown[]): void {
  for (const s of plan.slots) {
    const a = args[s.arg];
    copyInto(s.array, a instanceof Tensor ? a.data : (a as NDArray));
  }
}

/**
 * Everything a plan's replay reads or writes outside its own buffers: the arrays and objects its
 * kernels name, and the gradient each bound tensor holds. save() copies it, restore() puts a
 * copy back, difference() compares the present with a copy, bitwise.
 */
interface World {
  save(): Saved;
  restore(s: Saved): void;
  difference(s: Saved, tol?: number): string | null;
}

interface Saved {
  arrays: NDArray[];
  objects: unknown[];
  grads: (NDArray | null)[];
}

function openWorld(plan: Plan): World {
  // the placeholders are the arguments' copies, written anew by every replay: not state
  const inputs = new Set(plan.slots.map((s) => s.array.data));
  const outside = plan.program.outside();
  const arrays = outside.arrays.filter((a) => !inputs.has(a.data));
  const objects = outside.objects;
  const tensors = plan.bindings.map(([t]) => t);
  return {
    save: () => ({
      arrays: arrays.map((a) => new NDArray(a.data.slice(), [a.data.length])),
      objects: objects.map((o) => o[saveState]()),
      grads: tensors.map((t) => (t._grad === null ? null : t._grad.data.copy())),
    }),
    restore: (s) => {
      arrays.forEach((a, i) => {
        a.data.set(s.arrays[i]!.data as never);
        a.bumpVersion();
      });
      objects.forEach((o, i) => o[restoreState](s.objects[i]));
      tensors.forEach((t, i) => {
        const g = s.grads[i]!;
        t._grad = g === null ? null : new Tensor(g.copy());
      });
    },
    difference: (s, tol = 0) => {
      for (let i = 0; i < arrays.length; i++) {
        const a = arrays[i]!;
        const d = valueDifference(s.arrays[i]!, new NDArray(a.data, [a.data.length]), `a state array of ${a.data.length} elements (seen as ${a.dtype}${fmtShape(a.shape)})`, tol);
        if (d !== null) return d;
      }
      for (let i = 0; i < objects.length; i++) {
        if (!sameSnapshot(s.objects[i], objects[i]![saveState]())) return `the state of ${describeObject(objects[i]!)}`;
      }
      for (let i = 0; i < tensors.length; i++) {
        const t = tensors[i]!;
        const d = valueDifference(s.grads[i] ?? null, t._grad === null ? null : t._grad.data, `the gradient of ${t.name ? `tensor "${t.name}"` : `a ${t.dtype}${fmtShape(t.shape)} tensor`}`, tol);
        if (d !== null) return d;
      }
      return null;
    },
  };
}

function describeObject(o: ReplayState): string {
  return `a ${(o as object).constructor?.name ?? "object"}`;
}

function gradsDifference(got: readonly (NDArray | null)[], want: readonly (NDArray | null)[], slots: readonly Slot[], tol = 0): string | null {
  for (let i = 0; i < slots.length; i++) {
    const d = valueDifference(want[i] ?? null, got[i] ?? null, `the gradient of argument ${slots[i]!.arg + 1}`, tol);
    if (d !== null) return d;
  }
  return null;
}

/**
 * The relative tolerance of a GPU replay's check: float32 arithmetic in another order (and
 * float64 scalars computed in float32) against the CPU's; each element may differ by this times
 * its own magnitude plus a tenth of this times the array's largest.
 */
const F32_TOLERANCE = 2e-3;

/** Whether two floats agree within `tol` (see F32_TOLERANCE), `scale` the magnitude of their array. */
function close(a: number, b: number, tol: number, scale: number): boolean {
  if (Object.is(a, b) || (a !== a && b !== b)) return true;
  return Math.abs(a - b) <= tol * Math.abs(a) + 0.1 * tol * scale + 1e-30;
}

/** Where two values (arrays, tensors, lists, objects, plain values) first differ (bitwise, or beyond `tol` for floats), or null. */
function valueDifference(want: unknown, got: unknown, what: string, tol = 0): string | null {
  if (want instanceof Tensor) want = want.data;
  if (got instanceof Tensor) got = got.data;
  if (want instanceof NDArray && got instanceof NDArray) {
    if (want.dtype !== got.dtype || want.size !== got.size) return `${what}: ${want.dtype}${fmtShape(want.shape)} eagerly, ${got.dtype}${fmtShape(got.shape)} replayed`;
    const a = want.copy().data;
    const b = got.copy().data;
    const float = want.dtype === "float32" || want.dtype === "float64";
    let scale = 0;
    if (tol > 0 && float) for (let k = 0; k < a.length; k++) if (Number.isFinite(a[k]!)) scale = Math.max(scale, Math.abs(a[k]!));
    for (let k = 0; k < a.length; k++) {
      if (tol > 0 && float ? !close(a[k]!, b[k]!, tol, scale) : !Object.is(a[k], b[k])) return `${what}: element ${k} is ${b[k]} replayed, ${a[k]} eagerly`;
    }
    return null;
  }
  if (tol > 0 && typeof want === "number" && typeof got === "number") return close(want, got, tol, Math.abs(want)) ? null : `${what}: ${got} replayed, ${want} eagerly`;
  if (Array.isArray(want) && Array.isArray(got)) {
    for (let k = 0; k < Math.max(want.length, got.length); k++) {
      const d = valueDifference(want[k], got[k], `${what}[${k}]`, tol);
      if (d !== null) return d;
    }
    return null;
  }
  if (want !== null && got !== null && typeof want === "object" && typeof got === "object") {
    for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) {
      const d = valueDifference((want as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], `${what}.${k}`, tol);
      if (d !== null) return d;
    }
    return null;
  }
  return Object.is(want, got) ? null : `${what}: ${String(got)} replayed, ${String(want)} eagerly`;
}

function checkMessage(call: number, first: KernelDifference | null, mismatch: string, fused: boolean): string {
  const head = `compile (check): call ${call} of the step, replayed, differs from the eager call`;
  if (first === null) return `${head}: ${mismatch}; no kernel's output differs, so the difference is in state the kernels do not write. The state is as the eager call left it.`;
  const a = first.array;
  const where = first.fused === null ? "run as recorded" : `in a fused loop of [${first.fused.join(", ")}]`;
  const fix = first.fused !== null && fused ? " compile(fn, { fuse: false }) replays without fused loops meanwhile." : "";
  return (
    `${head}: kernel #${first.index} (${first.name}, ${where}) wrote ${first.what} (${a.dtype}${fmtShape(a.shape)}, strides [${a.strides.join(",")}], offset ${a.offset}) ` +
    `with element ${first.element} = ${first.got} where the eager kernel wrote ${first.want}; its arguments: ${first.args}. (First difference seen: ${mismatch}.) ` +
    `The state is as the eager call left it. This is a bug in tapegrad's compile; please report it with this message.${fix}`
  );
}

/** The gradient a call left on a placeholder Tensor (moved off it, so the next call starts clean). */
function takeGrad(t: Tensor | null): NDArray | null {
  if (t === null || t._grad === null) return null;
  const g = t._grad.data;
  t._grad = null;
  return g;
}

/** A Tensor argument that requires grad accumulates its gradient, as after an eager backward. */
function deliverGrads(args: readonly unknown[], slots: readonly Slot[], grads: readonly (NDArray | null)[]): void {
  for (let i = 0; i < slots.length; i++) {
    const g = grads[i];
    const a = args[slots[i]!.arg];
    if (g === null || g === undefined || !(a instanceof Tensor) || !a.requiresGrad) continue;
    const prev = a._grad;
    a._grad = new Tensor(prev === null ? g.copy() : prev.data.add(g));
  }
}

function copyInto(dst: NDArray, src: NDArray): void {
  if (src.isContiguous() && src.dtype === dst.dtype) dst.data.set(src.data.subarray(src.offset, src.offset + src.size) as never);
  else dst.assign(src);
  dst.bumpVersion();
}

/** The arrays in a result (a tensor's, an array, in lists and plain objects). */
function arraysIn(v: unknown, out: NDArray[] = []): NDArray[] {
  if (v instanceof Tensor) out.push(v.data);
  else if (v instanceof NDArray) out.push(v);
  else if (Array.isArray(v)) for (const x of v) arraysIn(x, out);
  else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) arraysIn(x, out);
  return out;
}

/** A number in a plan's result that a replay reads again from the array it was read out of. */
class NumberRead {
  constructor(readonly array: NDArray) {}
}

/** The numbers in a result, in the order outputSignature writes them. */
function numbersIn(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbersIn(x, out);
  else if (v !== null && typeof v === "object" && !(v instanceof Tensor) && !(v instanceof NDArray) && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) numbersIn(x, out);
  return out;
}

/** The index of the last item() read that gave `value` (Object.is), or -1. */
function lastRead(reads: readonly ItemRead[], value: number): number {
  for (let k = reads.length - 1; k >= 0; k--) if (Object.is(reads[k]!.value, value)) return k;
  return -1;
}

/**
 * The plan's result with every number that both agreeing traces read out of an array at the
 * same point (item()) replaced by that array, read again after each replay, even where the two
 * values happened to be equal (a gradient norm that was 0 twice is still a norm); other numbers
 * did not change and stay as they are.
 */
function outputTemplate(v: unknown, prev: Plan, plan: Plan): unknown {
  let i = 0;
  const walk = (x: unknown): unknown => {
    if (typeof x === "number") {
      const k = i++;
      const a = prev.numbers[k]!;
      const b = plan.numbers[k]!;
      return a.read >= 0 && a.read === b.read ? new NumberRead(plan.reads[b.read]!.array) : x;
    }
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === "object" && !(x instanceof Tensor) && !(x instanceof NDArray) && Object.getPrototypeOf(x) === Object.prototype) {
      return Object.fromEntries(Object.entries(x).map(([key, y]) => [key, walk(y)]));
    }
    return x;
  };
  return walk(v);
}

/** The arrays a caller reads out of a plan's result (tensors', arrays', and those numbers are read again from). */
function resultArrays(v: unknown, out: NDArray[] = []): NDArray[] {
  if (v instanceof NumberRead) out.push(v.array);
  else if (v instanceof Tensor) out.push(v.data);
  else if (v instanceof NDArray) out.push(v);
  else if (Array.isArray(v)) for (const x of v) resultArrays(x, out);
  else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) resultArrays(x, out);
  return out;
}

/** The function's result with every array copied: the caller's to keep. */
function copyOut(v: unknown): unknown {
  if (v instanceof NumberRead) return v.array.item();
  if (v instanceof Tensor) return new Tensor(v.data.copy());
  if (v instanceof NDArray) return v.copy();
  if (Array.isArray(v)) return v.map(copyOut);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = copyOut(x);
    return o;
  }
  return v;
}

/** An argument's part of the plan key: a tensor's or array's kind, dtype and shape; a plain value itself. */
function signatureOf(a: unknown, ids: Identities): string {
  if (a instanceof Tensor) return `Tensor ${a.dtype}${fmtShape(a.shape)}${a.requiresGrad ? " requiresGrad" : ""}`;
  if (a instanceof NDArray) return `NDArray ${a.dtype}${fmtShape(a.shape)}`;
  if (a === undefined) return "undefined";
  if (typeof a === "function") return `function #${ids.of(a)}`;
  if (typeof a === "number") return Object.is(a, -0) ? "-0" : String(a);
  if (typeof a !== "object" || a === null) return JSON.stringify(a) ?? String(a);
  if (Array.isArray(a)) return `[${a.map((x) => signatureOf(x, ids)).join(", ")}]`;
  if (Object.getPrototypeOf(a) === Object.prototype) return `{${Object.entries(a).map(([k, x]) => `${k}: ${signatureOf(x, ids)}`).join(", ")}}`;
  return `${(a as object).constructor?.name ?? "object"} #${ids.of(a as object)}`;
}

/** The result's shape of values, numbers included: a returned number that changes is a baked value. */
function outputSignature(v: unknown, ids: Identities): string {
  if (v instanceof Tensor || v instanceof NDArray) return signatureOf(v, ids).replace(" requiresGrad", "");
  if (typeof v === "number") return "#";
  if (Array.isArray(v)) return `[${v.map((x) => outputSignature(x, ids)).join(", ")}]`;
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return `{${Object.entries(v).map(([k, x]) => `${k}: ${outputSignature(x, ids)}`).join(", ")}}`;
  }
  return signatureOf(v, ids);
}

function outputDifference(a: Plan, b: Plan): string | null {
  if (a.outputSignature !== b.outputSignature) return `the function returned ${a.outputSignature} on one call and ${b.outputSignature} on the next`;
  for (let k = 0; k < a.numbers.length; k++) {
    const x = a.numbers[k]!;
    const y = b.numbers[k]!;
    // a number that changes is replayable when both calls read it out of the same array at the same point (item())
    if (!Object.is(x.value, y.value) && (x.read < 0 || x.read !== y.read)) {
      return `the function returned the number ${x.value} on one call and ${y.value} on the next, not a value read out of an array by item() (a plain value in the result is not recomputed by a replay)`;
    }
  }
  return null;
}

function tooManySignatures(parts: readonly string[], seen: readonly (readonly string[])[], maxPlans: number): CompileError {
  let worst = -1;
  let worstCount = 0;
  for (let i = 0; i < parts.length; i++) {
    const values = new Set(seen.map((p) => p[i]));
    values.add(parts[i]);
    if (values.size > worstCount) {
      worstCount = values.size;
      worst = i;
    }
  }
  const arity = new Set(seen.map((p) => p.length));
  const which =
    arity.size > 1 || !arity.has(parts.length)
      ? `the number of arguments keeps changing (${[...arity, parts.length].join(", ")})`
      : `argument ${worst + 1} keeps changing (${[...new Set([...seen.map((p) => p[worst]!), parts[worst]!])].slice(0, 4).join("; ")}, ...)`;
  return new CompileError(
    `compile: a ${maxPlans + 1}th signature of arguments would trace again, over maxPlans ${maxPlans}: ${which}. ` +
      "Each new shape or plain value traces a plan of its own: pad to a few shapes, pass a changing number as a tensor, or raise maxPlans",
  );
}

function describePlans(entries: ReadonlyMap<string, Entry>): string {
  if (entries.size === 0) return "compile: no plans yet (the first call traces)";
  const out: string[] = [];
  for (const e of entries.values()) {
    out.push(`plan for (${e.parts.join(", ")}): ${e.traces} trace(s), ${e.replays} replay(s)${e.plan && e.agreed >= 1 ? "" : ", not yet replaying"}`);
    if (e.plan === null) continue;
    const p = e.plan.program;
    const b = p.buffers();
    const fusedKernels = p.groups.reduce((n, g) => n + g.kernels.length, 0);
    out.push(`  ${p.steps.length} kernel calls; ${b.count} buffers, ${formatBytes(b.bytes)} (${p.sharedBuffers} results in a buffer freed by an earlier one); ${p.groups.length} fused loops replacing ${fusedKernels} of the calls; ${p.resolvedProducts} products with layouts resolved`);
    if (e.plan.lowering !== undefined) {
      const r = e.plan.lowering.report();
      const frontier = [...new Set(r.frontier)].map((k) => `${k} x${r.frontier.filter((x) => x === k).length}`);
      out.push(`  webgpu: ${r.dispatches} dispatches per call, in one command buffer; ${r.pipelines} pipelines; ${formatBytes(r.bytes)} in GPU buffers; on the CPU at the frontier: ${frontier.length ? frontier.join(", ") : "nothing"}`);
    }
    out.push("  kernel                 calls  replay");
    for (const k of p.kernels()) out.push(`  ${k.name.padEnd(22)} ${String(k.calls).padStart(5)}  ${k.replay}`);
    if (p.groups.length > 0) {
      out.push("  fused loops (elements x kernels):");
      const shapes = new Map<string, number>();
      for (const g of p.groups) {
        const key = `${g.size} x [${g.kernels.join(", ")}]`;
        shapes.set(key, (shapes.get(key) ?? 0) + 1);
      }
      for (const [k, n] of shapes) out.push(`  ${String(n).padStart(4)}x ${k}`);
    }
  }
  return out.join("\n");
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`;
}
