// Optimizers with PyTorch's update rules (the "Algorithm" box in each torch.optim class's docs):
// SGD (momentum, dampening, Nesterov, weight decay), Adam (L2 weight decay in the gradient,
// AMSGrad) and AdamW (decoupled weight decay). Each step updates a parameter's data in place
// with NDArray kernels; the state dict holds everything needed to resume training exactly.

import * as nd from "@tapegrad/tensor";
import { DTypeError, NDArray, ShapeError, ValueError, fmtShape, isTracing, type DType } from "@tapegrad/tensor";
import { CompileError, Tensor } from "@tapegrad/autograd";
import { copyHyper, decodeState, encodeState, type OptimizerStateDict, type ParamState, type StateSpec } from "./optim-state.js";
import { readPositional, type PositionalArgs } from "./positional.js";

export type { OptimizerStateDict, OptimizerMeta, ParamState } from "./optim-state.js";

/** One parameter's state: arrays of the parameter's shape, and counters. Names are PyTorch's. */

/** A parameter group as given: parameters plus any hyperparameters that override the defaults. */
export type ParamGroupInput<H> = { params: Iterable<Tensor> } & Partial<H>;

/** A parameter group as held: every hyperparameter present. Change `lr` here to schedule it. */
export type ParamGroup<H> = H & { params: Tensor[] };

/**
 * What an optimizer's constructor takes: the parameters (model.parameters()), or parameter groups,
 * each `{ params, ...options }` overriding the defaults for its parameters (PyTorch's param groups).
 * A mixture of the two, an empty list, a non-leaf or a repeated parameter is a ValueError.
 */
export type ParamsArg<H> = Iterable<Tensor> | Iterable<ParamGroupInput<H>>;

/**
 * The base of SGD, Adam and AdamW (PyTorch's torch.optim.Optimizer): parameter groups with
 * their hyperparameters, per-parameter state, step(), zeroGrad(), and a state dict to save and
 * resume training exactly. step() updates each parameter's data in place from its `.grad`.
 *
 * @example
 * ```ts
 * const p = new Parameter(nd.array([1, 2]));
 * const opt = new SGD([p], { lr: 0.1 });
 * mul(p, p).sum().backward(); // p.grad = 2p = [2, 4]
 * opt.step();
 * p.data.toArray(); // [0.8, 1.6]
 * opt.zeroGrad(); // p.grad is null again, ready for the next backward
 * ```
 */
export abstract class Optimizer<H extends object> {
  readonly defaults: Readonly<H>;
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created at a parameter's first step. */
  readonly state = new Map<Tensor, ParamState>();
  private readonly label: string;

  protected constructor(label: string, params: ParamsArg<H>, defaults: H) {
    this.label = label;
    this.validate(defaults, "defaults");
    this.defaults = Object.freeze({ ...defaults });
    const items = Array.from(params as Iterable<unknown>);
    if (items.length === 0) throw new ValueError(`${label}: got an empty parameter list`);
    if (items.every((x) => x instanceof Tensor)) this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<H>);
    else if (items.every((x) => typeof x === "object" && x !== null && !(x instanceof Tensor) && "params" in x)) {
      for (const g of items) this.addParamGroup(g as ParamGroupInput<H>);
    } else {
      throw new ValueError(`${label}: params must be tensors or parameter groups ({ params, ...options }), not a mixture`);
    }
  }

  /** Adds a group of parameters, with hyperparameters defaulting to the constructor's. */
  addParamGroup(group: ParamGroupInput<H>): void {
    const where = `parameter group ${this.paramGroups.length}`;
    if (typeof group !== "object" || group === null || !("params" in group)) {
      throw new ValueError(`${this.label}: a parameter group must be an object with params`);
    }
    const params = Array.from(group.params);
    if (params.length === 0) throw new ValueError(`${this.label}: ${where} has no parameters`);
    const seen = new Set<Tensor>(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ValueError(`${this.label}: ${where}, item ${i} is not a Tensor`);
      if (!nd.isFloat(p.dtype)) throw new DTypeError(`${this.label}: ${where}, parameter ${i} has dtype ${p.dtype}; only float tensors can be optimized`);
      if (p.gradFn !== null) throw new ValueError(`${this.label}: ${where}, parameter ${i} (shape ${fmtShape(p.shape)}) is not a leaf; optimize leaves (parameters), not results of ops`);
      if (seen.has(p)) throw new ValueError(`${this.label}: ${where}, parameter ${i} (shape ${fmtShape(p.shape)}) appears more than once among the parameter groups`);
      seen.add(p);
    });
    const h = copyHyper({ ...this.defaults }) as H; // betas copied: groups must not share one array
    for (const k of Object.keys(group)) {
      if (k === "params") continue;
      if (!(k in this.defaults)) throw new ValueError(`${this.label}: ${where} has unknown option ${JSON.stringify(k)}; known: ${Object.keys(this.defaults).join(", ")}`);
      const v = (group as Record<string, unknown>)[k];
      if (v !== undefined) (h as Record<string, unknown>)[k] = v;
    }
    this.validate(h, where);
    this.paramGroups.push(makeGroup(this.label, this.paramGroups, h, params));
  }

  /** Clears every parameter's gradient: to null (PyTorch's default), or to zeros. */
  zeroGrad({ setToNone = true }: { setToNone?: boolean } = {}): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        p.grad = setToNone ? null : nd.zerosLike(p.grad);
      }
    }
  }

  /**
   * One update of every parameter that has a gradient (those whose grad is null are skipped and
   * their state left as it was). A closure, if given, is called first (to recompute the loss
   * and gradients) and its result returned.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure ? closure() : undefined;
    // every group checked before any is updated: a refusal at replay leaves the parameters as they were
    this.paramGroups.forEach((group, gi) => Optimizer.sameStructure.call(this, gi, this.traceShape(group)));
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        if (!nd.shapesEqual(g.shape, p.shape)) {
          throw new ShapeError(`${this.label}.step: gradient of shape ${fmtShape(g.shape)} for a parameter of shape ${fmtShape(p.shape)}`);
        }
        let st = this.state.get(p);
        if (!st) this.state.set(p, (st = {}));
        this.update(p.data, g, group, st);
      }
    }
    return loss;
  }

  /** A copy of the state: see OptimizerStateDict. */
  stateDict(): OptimizerStateDict {
    const counters = new Set(this.paramGroups.flatMap((g) => this.stateSpec(g).counters));
    return encodeState(this.label, this.paramGroups, this.state, counters);
  }

  /**
   * Restores what stateDict() returned (also after a trip through a safetensors file and
   * JSON), matching parameters by position. Everything is checked first: the optimizer's kind,
   * group and parameter counts, option names and values, each state entry and its shape; on
   * any problem this throws and nothing changes. Arrays are copied, cast to each parameter's dtype.
   */
  loadStateDict(sd: { tensors: Record<string, NDArray>; meta: unknown }): void {
    const { groups, state } = this.decode(sd);
    this.paramGroups.forEach((g, gi) => Object.assign(g, groups[gi]!));
    // An entry that exists already, of the same shape and dtype, takes the loaded values in place:
    // a compiled step that has run holds those arrays (its replays update them), so a new array
    // in their stead would leave the replays updating a stale copy while eager updates the new one.
    for (const [p, st] of state) {
      const old = this.state.get(p);
      if (!old) continue;
      for (const [k, v] of Object.entries(st)) {
        const cur = old[k];
        if (!(cur instanceof NDArray)) continue;
        if (v instanceof NDArray && v.dtype === cur.dtype && nd.shapesEqual(v.shape, cur.shape)) {
          cur.assign(v);
          st[k] = cur;
        } else if (typeof v === "number" && cur.size === 1 && cur.ndim === 0) {
          cur.assign(v); // a counter kept as a 0-d array (Adam's step)
          st[k] = cur;
        }
      }
    }
    this.state.clear();
    for (const [p, st] of state) this.state.set(p, st);
  }

  /**
   * Checks a state dict as loadStateDict does, changing nothing: throws what loadStateDict
   * would throw (loadCheckpoint checks every part of a checkpoint before it loads any).
   */
  checkStateDict(sd: { tensors: Record<string, NDArray>; meta: unknown }): void {
    this.decode(sd);
  }

  private decode(sd: { tensors: Record<string, NDArray>; meta: unknown }) {
    return decodeState(sd, {
      label: this.label,
      paramGroups: this.paramGroups,
      defaults: this.defaults,
      validate: (h, where) => this.validate(h, where),
      stateSpec: (h) => this.stateSpec(h),
      checkComplete: (where, st, h) => this.checkComplete(where, st, h),
    });
  }

  /**
   * A kernel that does nothing eagerly and, at each replay of a compiled step, checks that the
   * group's hyperparameters still choose the kernels the update was traced with (momentum or
   * weight decay zero or not, nesterov, amsgrad, maximize): their values are read at every
   * replay, but which kernels run is fixed by the trace.
   */
  private static readonly sameStructure = nd.kernel("Optimizer.structure", function (this: Optimizer<object>, gi: number, traced: string): void {
    const now = this.traceShape(this.paramGroups[gi]!);
    if (now !== traced) {
      throw new CompileError(
        `${this.label}.step: parameter group ${gi} now has ${now}, but the compiled step was traced with ${traced}, which runs other kernels; ` +
          "after such a change (between calls), call step.reset() on the compiled step so that it traces again",
      );
    }
  });

  /**
   * What fixes the kernels a step runs for a group: its structure() and which state entries each
   * parameter holds (a state dict loaded between calls may hold fewer, as one saved before the
   * first step does, and then eager creates entries where a replay would update the old ones).
   */
  private traceShape(group: ParamGroup<H>): string {
    const entries = group.params.map((p) => {
      const st = this.state.get(p);
      return st ? Object.keys(st).sort().join(",") : "none";
    });
    const states = entries.every((e) => e === entries[0]) ? `state ${entries[0]} for every parameter` : `state ${entries.join(" / ")}`;
    const s = this.structure(group);
    return s ? `${s}, ${states}` : states;
  }

  /**
   * The hyperparameters that choose which kernels update() runs, as words (what a replay cannot
   * change). An optimizer of your own whose update branches on a hyperparameter overrides this.
   */
  protected structure(_h: H): string {
    return "";
  }

  /** Throws unless the hyperparameters are valid; `where` names them in the message. */
  protected abstract validate(h: H, where: string): void;
  /** The state entries a parameter of a group with these hyperparameters may hold. */
  protected abstract stateSpec(h: H): StateSpec;
  /** Throws if a loaded state lacks an entry that the next step would need. */
  protected abstract checkComplete(where: string, st: ParamState, h: H): void;
  /** Updates `x` (a parameter's data) in place from its gradient `g`. */
  protected abstract update(x: NDArray, g: NDArray, h: H, st: ParamState): void;

  protected check(ok: boolean, where: string, message: string): void {
    if (!ok) throw new ValueError(`${this.label}: invalid ${where}: ${message}`);
  }
}


const isNum = (v: unknown): v is number => typeof v === "number" && !Number.isNaN(v);

/** Each group's hyperparameters, behind its accessors. */
const groupValues = new WeakMap<object, Record<string, unknown>>();

/**
 * A parameter group whose hyperparameters are accessors: reading and writing them works as on
 * a plain object (spread, JSON, Object.assign), but a write while a compiled step is being traced
 * is a CompileError, since a replay would not repeat it. A write from inside a kernel (a
 * scheduler's step) is not traced code: it runs again at every replay.
 */
function makeGroup<H extends object>(label: string, groups: readonly object[], h: H, params: Tensor[]): ParamGroup<H> {
  const values = copyHyper(h) as Record<string, unknown>;
  const g: Record<string, unknown> = {};
  for (const k of Object.keys(values)) {
    Object.defineProperty(g, k, {
      enumerable: true,
      configurable: true,
      get: () => values[k],
      set: (v: unknown) => {
        if (isTracing()) {
          throw new CompileError(
            `${label}.paramGroups[${groups.indexOf(g)}].${k} set inside a compiled step: a replay would not repeat the write. ` +
              "Set it between calls (the optimizer reads it at every replay), or from a scheduler's step()",
          );
        }
        values[k] = v;
      },
    });
  }
  g.params = params;
  groupValues.set(g, values);
  return g as ParamGroup<H>;
}

/** @internal Writes a group's hyperparameter past the guard (a scheduler putting back its saved state). */
export function writeGroupValue(group: object, key: string, value: unknown): void {
  const values = groupValues.get(group);
  if (values !== undefined && key in values) values[key] = value;
  else (group as Record<string, unknown>)[key] = value;
}

/**
 * A group's learning rate as a 0-d float64 array, read from the group when the kernel runs: in
 * a compiled step, at every replay, so a scheduler's or a user's change to `group.lr` between
 * steps takes effect as it does eagerly.
 */
function learningRate(h: { lr: number }): NDArray {
  return nd.scalarFrom(() => h.lr);
}

/**
 * Hyperparameters as 0-d arrays, made by one kernel that calls `read` when it runs: in a compiled
 * step, at every replay, so that a value set between calls (or by a scheduler) takes effect as it
 * does eagerly. Each is made in the dtype that a JS number would take next to the array it meets
 * (a weak scalar, see the tensor package's dtype.ts), so the bits are those of the plain number.
 * One kernel for all, called before the update's elementwise kernels, so that it splits no run
 * of them.
 */
const hyperparameters = nd.kernel("Optimizer.hyperparameters", (read: () => readonly number[], dtypes: readonly DType[]): NDArray[] =>
  read().map((v, i) => nd.scalar(v, dtypes[i])),
);

/** A counter of a parameter's state (Adam's step) as a 0-d float64 array, made from the number a state dict loads. */
function counterArray(st: ParamState, key: string): NDArray {
  const v = st[key];
  if (v instanceof NDArray) return v;
  const a = nd.scalar(v as number);
  st[key] = a;
  return a;
}

/** The defaults overridden by the options given; an option left undefined keeps its default. */
function withDefaults<H extends object>(label: string, base: H, options: Partial<H> | undefined): H {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(options ?? {})) {
    if (!(k in base)) throw new ValueError(`${label}: unknown option ${JSON.stringify(k)}; known: ${Object.keys(base).join(", ")}`);
    if (v !== undefined) out[k] = v;
  }
  return out as H;
}

/** The positional parameters after params, in torch.optim's order. */
const SGD_POSITIONAL = ["lr", "momentum", "dampening", "weightDecay", "nesterov"] as const;
const ADAM_POSITIONAL = ["lr", "betas", "eps", "weightDecay", "amsgrad"] as const;

/** An optimizer's arguments after params, as the options object or PyTorch's positional form. */
function readOptimizerArgs(label: string, names: readonly string[], args: readonly unknown[]): Record<string, unknown> {
  return readPositional(
    {
      label, names, signature: `${label}(params, ${names.map((n) => `${n}?`).join(", ")}, options?)`,
      firstIs: "a number", firstFits: (v) => typeof v === "number", firstRequired: false,
    },
    args,
  );
}

/** SGD's arguments after params: `{ lr, momentum, ... }`, or `lr, momentum?, dampening?, weightDecay?, nesterov?` then options for the rest (maximize). */
export type SGDArgs = PositionalArgs<[lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean], Partial<SGDOptions>>;

/** Adam's and AdamW's arguments after params: `{ lr, betas, ... }`, or `lr, betas?, eps?, weightDecay?, amsgrad?` then options for the rest (maximize). */
export type AdamArgs = PositionalArgs<[lr: number, betas: readonly [number, number], eps: number, weightDecay: number, amsgrad: boolean], Partial<AdamOptions>>;

// ---------------------------------------------------------------- SGD

/** SGD's hyperparameters, with PyTorch's defaults: lr 1e-3, momentum 0, dampening 0, weightDecay 0, nesterov false, maximize false. Nesterov needs momentum > 0 and dampening 0. */
export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * Stochastic gradient descent, as torch.optim.SGD:
 *   g = -grad if maximize else grad;  g += weightDecay * x
 *   b = g at a parameter's first step, else momentum * b + (1 - dampening) * g
 *   g = g + momentum * b if nesterov else b          (when momentum != 0)
 *   x -= lr * g
 */
export class SGD extends Optimizer<SGDOptions> {
  /**
   * `new SGD(params, { lr: 0.1, momentum: 0.9 })`, or PyTorch's positional form
   * `new SGD(params, lr, momentum?, dampening?, weightDecay?, nesterov?, options?)`
   * (`new SGD(params, 0.1, 0.9)`; `new SGD(params, 0.1, { maximize: true })`).
   *
   * @example
   * ```ts
   * const opt = new SGD(model.parameters(), 0.1, 0.9); // lr 0.1, momentum 0.9, as torch.optim.SGD(params, 0.1, 0.9)
   * opt.paramGroups[0]!.momentum; // 0.9
   * ```
   */
  constructor(params: ParamsArg<SGDOptions>, ...args: SGDArgs) {
    const options = readOptimizerArgs("SGD", SGD_POSITIONAL, args) as Partial<SGDOptions>;
    super("SGD", params, withDefaults("SGD", { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options));
  }

  protected validate(h: SGDOptions, where: string): void {
    this.check(isNum(h.lr) && h.lr >= 0, where, `learning rate ${h.lr} (must be >= 0)`);
    this.check(isNum(h.momentum) && h.momentum >= 0, where, `momentum ${h.momentum} (must be >= 0)`);
    this.check(isNum(h.dampening), where, `dampening ${h.dampening}`);
    this.check(isNum(h.weightDecay) && h.weightDecay >= 0, where, `weightDecay ${h.weightDecay} (must be >= 0)`);
    this.check(typeof h.nesterov === "boolean" && typeof h.maximize === "boolean", where, "nesterov and maximize must be booleans");
    this.check(!h.nesterov || (h.momentum > 0 && h.dampening === 0), where, `Nesterov momentum needs momentum > 0 and dampening 0 (got momentum ${h.momentum}, dampening ${h.dampening})`);
  }

  protected stateSpec(): StateSpec {
    return { arrays: ["momentum_buffer"], counters: [] };
  }

  protected checkComplete(): void {
    // A missing momentum buffer is what a parameter has before its first step.
  }

  protected override structure(h: SGDOptions): string {
    return `maximize ${h.maximize}, weightDecay ${h.weightDecay === 0 ? "0" : "non-zero"}, momentum ${h.momentum === 0 ? "0" : "non-zero"}, nesterov ${h.nesterov}`;
  }

  protected update(x: NDArray, grad: NDArray, h: SGDOptions, st: ParamState): void {
    // d's dtype: grad's, then promoted with x's by the weight decay
    const dd = h.weightDecay !== 0 ? nd.promoteTypes(grad.dtype, x.dtype) : grad.dtype;
    const [lr, wd, momentum, undamped] = hyperparameters(() => [h.lr, h.weightDecay, h.momentum, 1 - h.dampening], [x.dtype, x.dtype, x.dtype, dd]) as [NDArray, NDArray, NDArray, NDArray];
    let d = h.maximize ? nd.neg(grad) : grad;
    if (h.weightDecay !== 0) d = nd.add(d, nd.mul(x, wd));
    if (h.momentum !== 0) {
      let buf = st.momentum_buffer as NDArray | undefined;
      if (buf === undefined) {
        buf = nd.copy(d, x.dtype);
        st.momentum_buffer = buf;
      } else {
        nd.mul(buf, momentum, buf);
        nd.add(buf, nd.mul(d, undamped), buf);
      }
      d = h.nesterov ? nd.add(d, nd.mul(buf, momentum)) : buf;
    }
    nd.sub(x, nd.mul(d, lr), x);
  }
}

// ---------------------------------------------------------------- Adam, AdamW

/** Adam's and AdamW's hyperparameters, with PyTorch's defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 (AdamW: 0.01), amsgrad false, maximize false. */
export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * Adam and AdamW share every line but the weight decay: Adam adds weightDecay * x to the
 * gradient (L2), AdamW shrinks x by (1 - lr * weightDecay) before the step (Loshchilov & Hutter).
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  t counts this parameter's steps
 *   amsgrad: vmax = max(vmax, v) and vmax replaces v below (the max before the bias correction)
 *   x -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  protected validate(h: AdamOptions, where: string): void {
    this.check(isNum(h.lr) && h.lr >= 0, where, `learning rate ${h.lr} (must be >= 0)`);
    this.check(isNum(h.eps) && h.eps >= 0, where, `eps ${h.eps} (must be >= 0)`);
    const b = h.betas as unknown;
    this.check(Array.isArray(b) && b.length === 2, where, `betas must be a pair [beta1, beta2], got ${JSON.stringify(b)}`);
    h.betas.forEach((v, i) => this.check(isNum(v) && v >= 0 && v < 1, where, `beta${i + 1} ${v} (must be in [0, 1))`));
    this.check(isNum(h.weightDecay) && h.weightDecay >= 0, where, `weightDecay ${h.weightDecay} (must be >= 0)`);
    this.check(typeof h.amsgrad === "boolean" && typeof h.maximize === "boolean", where, "amsgrad and maximize must be booleans");
  }

  protected stateSpec(h: AdamOptions): StateSpec {
    return { arrays: h.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"], counters: ["step"] };
  }

  protected checkComplete(where: string, st: ParamState, h: AdamOptions): void {
    const need = ["step", "exp_avg", "exp_avg_sq", ...(h.amsgrad ? ["max_exp_avg_sq"] : [])];
    const missing = need.filter((k) => !(k in st));
    if (missing.length > 0 && missing.length < need.length) throw new ValueError(`${where} lacks ${missing.join(", ")}`);
  }

  protected override structure(h: AdamOptions): string {
    return `maximize ${h.maximize}, weightDecay ${h.weightDecay === 0 ? "0" : "non-zero"}, amsgrad ${h.amsgrad}`;
  }

  protected update(x: NDArray, grad: NDArray, h: AdamOptions, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.exp_avg = nd.zerosLike(x);
      st.exp_avg_sq = nd.zerosLike(x);
    }
    const m = st.exp_avg as NDArray;
    const v = st.exp_avg_sq as NDArray;
    // g's dtype: grad's, promoted with x's by an L2 weight decay; g - m's: promoted with m's (x's)
    const gd = !this.decoupled && h.weightDecay !== 0 ? nd.promoteTypes(grad.dtype, x.dtype) : grad.dtype;
    const [b1, b2, oneMinusB1, b2x, oneMinusB2, eps, wd] = hyperparameters(
      () => [h.betas[0], h.betas[1], 1 - h.betas[0], h.betas[1], 1 - h.betas[1], h.eps, h.weightDecay],
      ["float64", "float64", nd.promoteTypes(gd, x.dtype), x.dtype, gd, x.dtype, this.decoupled ? "float64" : x.dtype],
    ) as NDArray[] as [NDArray, NDArray, NDArray, NDArray, NDArray, NDArray, NDArray];
    // The step count and everything computed from it are arrays, updated by kernels, so that a
    // compiled step counts and corrects its bias at every replay (PyTorch's capturable Adam
    // keeps `step` as a tensor for CUDA graphs, for the same reason). The state dict still holds
    // it as a number.
    const t = counterArray(st, "step");
    nd.add(t, 1, t);
    const lr = learningRate(h);
    let g = h.maximize ? nd.neg(grad) : grad;
    if (this.decoupled) {
      if (h.weightDecay !== 0) nd.mul(x, nd.sub(1, nd.mul(lr, wd)).astype(x.dtype), x);
    } else if (h.weightDecay !== 0) {
      g = nd.add(g, nd.mul(x, wd));
    }
    // m.lerp_(g, 1 - b1) and v.mul_(b2).addcmul_(g, g, 1 - b2), as PyTorch writes them
    nd.add(m, nd.mul(nd.sub(g, m), oneMinusB1), m);
    nd.mul(v, b2x, v);
    nd.add(v, nd.mul(nd.mul(g, g), oneMinusB2), v);
    let second = v;
    if (h.amsgrad) {
      // max_exp_avg_sq may be absent when amsgrad was switched on after some steps
      const vmax = (st.max_exp_avg_sq as NDArray | undefined) ?? (st.max_exp_avg_sq = nd.zerosLike(x));
      nd.maximum(vmax, v, vmax);
      second = vmax;
    }
    // lr / (1 - b1^t) and sqrt(1 - b2^t) in float64, then in x's dtype, as JS numbers would be
    const stepSize = nd.div(lr, nd.sub(1, nd.pow(b1, t))).astype(x.dtype);
    const correction = nd.sqrt(nd.sub(1, nd.pow(b2, t))).astype(x.dtype);
    const denom = nd.add(nd.div(nd.sqrt(second), correction), eps);
    nd.sub(x, nd.mul(nd.div(m, denom), stepSize), x);
  }
}

/** Adam, as torch.optim.Adam (weightDecay is an L2 term added to the gradient). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  /**
   * `new Adam(params, { lr: 0.01 })`, or PyTorch's positional form
   * `new Adam(params, lr, betas?, eps?, weightDecay?, amsgrad?, options?)`.
   *
   * @example
   * ```ts
   * const opt = new Adam(model.parameters(), 0.01); // lr 0.01, as torch.optim.Adam(params, 0.01)
   * opt.paramGroups[0]!.lr; // 0.01
   * ```
   */
  constructor(params: ParamsArg<AdamOptions>, ...args: AdamArgs) {
    const options = readOptimizerArgs("Adam", ADAM_POSITIONAL, args) as Partial<AdamOptions>;
    super("Adam", params, withDefaults<AdamOptions>("Adam", { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options));
  }
}

/** AdamW, as torch.optim.AdamW: decoupled weight decay, 0.01 by default. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  /**
   * `new AdamW(params, { lr: 0.01 })`, or PyTorch's positional form
   * `new AdamW(params, lr, betas?, eps?, weightDecay?, amsgrad?, options?)`.
   *
   * @example
   * ```ts
   * const opt = new AdamW(model.parameters(), 0.01, [0.9, 0.98]);
   * opt.paramGroups[0]!.weightDecay; // 0.01, AdamW's default
   * ```
   */
  constructor(params: ParamsArg<AdamOptions>, ...args: AdamArgs) {
    const options = readOptimizerArgs("AdamW", ADAM_POSITIONAL, args) as Partial<AdamOptions>;
    super("AdamW", params, withDefaults<AdamOptions>("AdamW", { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, options));
  }
}
