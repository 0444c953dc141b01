// Learning-rate schedulers with PyTorch 1.13's semantics (torch.optim.lr_scheduler), names in
// camelCase. Like PyTorch's, most are chainable: each step multiplies the group's current lr, so
// their floats follow torch's recursion, not a closed form (which differs in the last bits).
//
// Usage is PyTorch's: construct after the optimizer (this sets the lr of step 0), then call
// `optimizer.step()` and `scheduler.step()` once per step.

import * as nd from "@tapegrad/tensor";
import { NDArray, ValueError, isTracing } from "@tapegrad/tensor";
import { restoreState, saveState } from "@tapegrad/tensor/internal";
import { CompileError, Tensor } from "@tapegrad/autograd";
import { writeGroupValue, type Optimizer } from "./optim.js";
import { readPositional, type PositionalArgs } from "./positional.js";

/** What a scheduler reads and writes in a parameter group. */
interface Group {
  lr: number;
  momentum?: number;
  betas?: [number, number];
}

type AnyOptimizer = Optimizer<object>;

/**
 * PyTorch keeps each group's starting lr as `initial_lr` in the group itself (set by the first
 * scheduler, kept by later ones); here it lives beside the optimizer, so the optimizer's own
 * state dict is unchanged.
 */
const initialLrs = new WeakMap<AnyOptimizer, number[]>();

const groupsOf = (opt: AnyOptimizer) => opt.paramGroups as unknown as Group[];

/** What a step changes, for compile's check (replay-state.ts): see LRScheduler[saveState]. */
interface StepSnapshot {
  lastEpoch: number;
  stepCount: number;
  lastLr: number[];
  /** What it wrote into each group: the lr, and OneCycleLR's momentum or betas. */
  groups: Record<string, unknown>[];
  /** A SequentialLR's schedulers'. */
  inner: unknown[];
}

/** A scheduler's state: plain JSON, PyTorch's state_dict fields in camelCase. */
export interface SchedulerStateDict {
  scheduler: string;
  lastEpoch: number;
  stepCount: number;
  baseLrs: number[];
  lastLr: number[];
  [field: string]: unknown;
}

function check(ok: boolean, op: string, what: string): void {
  if (!ok) throw new ValueError(`${op}: ${what}`);
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * A scheduler's arguments after the optimizer: the options object, or PyTorch's positional
 * values (`names`, in torch.optim.lr_scheduler's order) with an optional options object after.
 */
function schedulerArgs(
  label: string, names: readonly string[], args: readonly unknown[],
  first: { is: string; fits: (v: unknown) => boolean; required: boolean },
): Record<string, unknown> {
  const sig = names.map((n, i) => (i === 0 && first.required ? n : `${n}?`)).join(", ");
  return readPositional(
    { label, names, signature: `${label}(optimizer, ${sig})`, firstIs: first.is, firstFits: first.fits, firstRequired: first.required },
    args,
  );
}

/**
 * The base of the learning-rate schedulers (PyTorch's torch.optim.lr_scheduler.LRScheduler):
 * constructing one sets each group's lr for step 0; each step() then writes the next lr into the
 * optimizer's groups. Call it once per step, after optimizer.step().
 *
 * step() is a kernel with the scheduler as `this`: inside a compiled step it runs again at every
 * replay (and the optimizer reads the lr it wrote at every replay), and the scheduler saves and
 * restores what a step changes for compile's check.
 *
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
 * for (let i = 0; i < 4; i++) {
 *   opt.step();
 *   sched.step();
 * }
 * sched.getLastLr(); // [0.025]: halved at steps 2 and 4
 * ```
 */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** The index of the last step taken (0 after construction). */
  lastEpoch = -1;
  /** The groups' starting learning rates (PyTorch's base_lrs). */
  baseLrs: number[];
  protected stepCount = 0;
  protected lastLr: number[] = [];

  protected constructor(readonly name: string, optimizer: AnyOptimizer) {
    check(typeof optimizer === "object" && optimizer !== null && Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups), name, "expected an optimizer");
    this.optimizer = optimizer;
    let initial = initialLrs.get(optimizer);
    const groups = groupsOf(optimizer);
    if (!initial || initial.length !== groups.length) {
      initial = groups.map((g) => g.lr);
      initialLrs.set(optimizer, initial);
    }
    this.baseLrs = [...initial];
  }

  /** The lrs of the next step from the current ones (PyTorch's chainable get_lr). */
  protected abstract getLr(): number[];

  /** The lrs at lastEpoch from baseLrs alone, where PyTorch has one (_get_closed_form_lr). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** PyTorch's _initial_step: called at the end of each constructor. */
  protected initialStep(): void {
    this.stepCount = 0;
    // not the kernel: a scheduler made inside a compiled step writes the groups' lr in traced
    // code, which their guard refuses, rather than record a step that a replay would repeat
    this.advance();
  }

  /** Advances one step and writes the new lr into every parameter group. */
  step(): void {
    LRScheduler.stepKernel.call(this);
  }

  /** step() as a kernel: recorded with the scheduler as `this`, called again at every replay. */
  private static readonly stepKernel = nd.kernel("LRScheduler.step", function (this: LRScheduler): void {
    this.advance();
  });

  /** What step() does. */
  protected advance(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.apply(this.getLr());
  }

  /** The group fields a step writes besides lr (OneCycleLR's momentum or betas). */
  protected writtenFields(): string[] {
    return [];
  }

  /**
   * compile's check (replay-state.ts): what a step changes, the lrs (and momenta) it wrote into
   * the optimizer's groups included, so that putting it back undoes the step entirely.
   */
  [saveState](): StepSnapshot {
    const fields = ["lr", ...this.writtenFields()];
    return {
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      lastLr: [...this.lastLr],
      groups: groupsOf(this.optimizer).map((g) => {
        const out: Record<string, unknown> = {};
        for (const k of fields) {
          const v = (g as unknown as Record<string, unknown>)[k];
          out[k] = Array.isArray(v) ? [...v] : v;
        }
        return out;
      }),
      inner: this.innerSchedulers().map((s) => s[saveState]()),
    };
  }

  [restoreState](snapshot: unknown): void {
    const s = snapshot as StepSnapshot;
    this.innerSchedulers().forEach((inner, i) => inner[restoreState](s.inner[i]));
    this.lastEpoch = s.lastEpoch;
    this.stepCount = s.stepCount;
    this.lastLr = [...s.lastLr];
    groupsOf(this.optimizer).forEach((g, i) => {
      for (const [k, v] of Object.entries(s.groups[i]!)) writeGroupValue(g, k, Array.isArray(v) ? [...v] : v);
    });
  }

  /** The schedulers this one steps (SequentialLR's). */
  protected innerSchedulers(): LRScheduler[] {
    return [];
  }

  /** PyTorch's step(epoch): jumps to epoch, by the closed form where there is one. */
  protected stepToEpoch(epoch: number): void {
    this.stepCount++;
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr() ?? this.getLr());
  }

  private apply(lrs: number[]): void {
    const groups = groupsOf(this.optimizer);
    groups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
    this.lastLr = groups.map((g) => g.lr);
  }

  /** The learning rate of each group, as last set by this scheduler. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Fields beyond the common ones, by name (PyTorch's __dict__ minus the optimizer). */
  protected abstract own(): Record<string, unknown>;

  stateDict(): SchedulerStateDict {
    return JSON.parse(JSON.stringify({
      scheduler: this.name, lastEpoch: this.lastEpoch, stepCount: this.stepCount, baseLrs: this.baseLrs, lastLr: this.lastLr, ...this.own(),
    })) as SchedulerStateDict;
  }

  /** Restores a stateDict() of the same kind of scheduler; checked whole before anything changes. */
  loadStateDict(sd: SchedulerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    check(typeof sd === "object" && sd !== null, op, "expected a scheduler state dict");
    check(sd.scheduler === this.name, op, `the state dict is a ${String(sd.scheduler)}'s, not a ${this.name}'s`);
    const n = groupsOf(this.optimizer).length;
    check(Number.isInteger(sd.lastEpoch) && Number.isInteger(sd.stepCount), op, "lastEpoch and stepCount must be integers");
    for (const k of ["baseLrs", "lastLr"] as const) {
      check(Array.isArray(sd[k]) && sd[k].length === n && sd[k].every(isNum), op, `${k} must be ${n} finite numbers (one per parameter group), got ${JSON.stringify(sd[k])}`);
    }
    const own = this.own();
    for (const k of Object.keys(own)) check(k in sd, op, `missing field ${JSON.stringify(k)}`);
    this.checkOwn(sd, op);
    this.lastEpoch = sd.lastEpoch;
    this.stepCount = sd.stepCount;
    this.baseLrs = [...sd.baseLrs];
    this.lastLr = [...sd.lastLr];
    this.loadOwn(sd);
  }

  protected checkOwn(_sd: SchedulerStateDict, _op: string): void {}

  protected loadOwn(sd: SchedulerStateDict): void {
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(this.own())) self[k] = JSON.parse(JSON.stringify(sd[k]));
  }

  /** @internal SequentialLR rewinds its schedulers by one, as PyTorch's does. */
  rewind(): void {
    this.lastEpoch--;
  }

  /** @internal */
  restart(): void {
    this.initialStep();
  }

  /** @internal */
  jumpTo(epoch: number): void {
    this.stepToEpoch(epoch);
  }
}

/** lr * gamma every stepSize steps. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  /**
   * `new StepLR(opt, { stepSize: 10, gamma: 0.5 })` or PyTorch's `new StepLR(opt, 10, 0.5)`.
   *
   * @example
   * ```ts
   * const sched = new StepLR(opt, 10, 0.5); // halve the lr every 10 steps
   * ```
   */
  constructor(optimizer: AnyOptimizer, ...args: PositionalArgs<[stepSize: number, gamma: number], { stepSize: number; gamma?: number }>) {
    const { stepSize, gamma = 0.1 } = schedulerArgs("StepLR", ["stepSize", "gamma"], args, { is: "a positive integer", fits: isNum, required: true }) as { stepSize: number; gamma?: number };
    super("StepLR", optimizer);
    check(Number.isInteger(stepSize) && stepSize > 0, "StepLR", `stepSize must be a positive integer, got ${stepSize}`);
    check(isNum(gamma), "StepLR", `gamma must be a finite number, got ${gamma}`);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
  protected own() {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
}

/** lr * gamma at each milestone (a milestone listed twice multiplies by gamma twice, as in PyTorch). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  /**
   * `new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 })` or PyTorch's `new MultiStepLR(opt, [30, 80], 0.1)`.
   *
   * @example
   * ```ts
   * const sched = new MultiStepLR(opt, [30, 80], 0.1); // lr * 0.1 at steps 30 and 80
   * ```
   */
  constructor(optimizer: AnyOptimizer, ...args: PositionalArgs<[milestones: number[], gamma: number], { milestones: number[]; gamma?: number }>) {
    const { milestones, gamma = 0.1 } = schedulerArgs("MultiStepLR", ["milestones", "gamma"], args, { is: "a list of integers", fits: Array.isArray, required: true }) as { milestones: number[]; gamma?: number };
    super("MultiStepLR", optimizer);
    check(Array.isArray(milestones) && milestones.every((m) => Number.isInteger(m)), "MultiStepLR", `milestones must be a list of integers, got ${JSON.stringify(milestones)}`);
    check(isNum(gamma), "MultiStepLR", `gamma must be a finite number, got ${gamma}`);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** count);
  }
  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
  protected own() {
    return { milestones: this.milestones, gamma: this.gamma };
  }
}

/** lr * gamma every step. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  /**
   * `new ExponentialLR(opt, { gamma: 0.9 })` or PyTorch's `new ExponentialLR(opt, 0.9)`.
   *
   * @example
   * ```ts
   * const sched = new ExponentialLR(opt, 0.9); // lr * 0.9 each step
   * ```
   */
  constructor(optimizer: AnyOptimizer, ...args: PositionalArgs<[gamma: number], { gamma: number }>) {
    const { gamma } = schedulerArgs("ExponentialLR", ["gamma"], args, { is: "a finite number", fits: isNum, required: true }) as { gamma: number };
    super("ExponentialLR", optimizer);
    check(isNum(gamma), "ExponentialLR", `gamma must be a finite number, got ${gamma}`);
    this.gamma = gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
  protected own() {
    return { gamma: this.gamma };
  }
}

/**
 * Half a cosine from the base lr down to etaMin over tMax steps (and back up after, as PyTorch's
 * does if stepped past tMax), in PyTorch's recursive form.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  /**
   * `new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 })` or PyTorch's `new CosineAnnealingLR(opt, 100, 1e-5)`.
   *
   * @example
   * ```ts
   * const sched = new CosineAnnealingLR(opt, 100); // from the base lr down to 0 over 100 steps
   * ```
   */
  constructor(optimizer: AnyOptimizer, ...args: PositionalArgs<[tMax: number, etaMin: number], { tMax: number; etaMin?: number }>) {
    const { tMax, etaMin = 0 } = schedulerArgs("CosineAnnealingLR", ["tMax", "etaMin"], args, { is: "a positive number", fits: isNum, required: true }) as { tMax: number; etaMin?: number };
    super("CosineAnnealingLR", optimizer);
    check(isNum(tMax) && tMax > 0, "CosineAnnealingLR", `tMax must be a positive number, got ${tMax}`);
    check(isNum(etaMin), "CosineAnnealingLR", `etaMin must be a finite number, got ${etaMin}`);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    if (pyMod(e - 1 - T, 2 * T) === 0) return groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    return groups.map((g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
  protected own() {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
}

/** Python's %, whose result takes the divisor's sign. */
const pyMod = (a: number, b: number) => ((a % b) + b) % b;

/** The lr times a factor going linearly from startFactor to endFactor over totalIters steps. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  /**
   * `new LinearLR(opt, { startFactor: 0.1, totalIters: 10 })` or PyTorch's
   * `new LinearLR(opt, startFactor?, endFactor?, totalIters?)`; defaults 1/3, 1 and 5.
   *
   * @example
   * ```ts
   * const warmup = new LinearLR(opt, 0.1, 1, 10); // from 0.1 lr up to lr over 10 steps
   * ```
   */
  constructor(
    optimizer: AnyOptimizer,
    ...args: PositionalArgs<[startFactor: number, endFactor: number, totalIters: number], { startFactor?: number; endFactor?: number; totalIters?: number }>
  ) {
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = schedulerArgs("LinearLR", ["startFactor", "endFactor", "totalIters"], args, {
      is: "a number in [0, 1]", fits: isNum, required: false,
    }) as { startFactor?: number; endFactor?: number; totalIters?: number };
    super("LinearLR", optimizer);
    check(isNum(startFactor) && startFactor >= 0 && startFactor <= 1, "LinearLR", `startFactor must be in [0, 1], got ${startFactor}`);
    check(isNum(endFactor) && endFactor >= 0 && endFactor <= 1, "LinearLR", `endFactor must be in [0, 1], got ${endFactor}`);
    check(Number.isInteger(totalIters) && totalIters > 0, "LinearLR", `totalIters must be a positive integer, got ${totalIters}`);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    if (e === 0) return groups.map((g) => g.lr * s);
    if (e > n) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, this.lastEpoch)) / n));
  }
  protected own() {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }
}

/** LambdaLR's function: the factor of the base lr at a step. */
export type LrLambda = (epoch: number) => number;

/** base lr * lrLambda(step), one function for every group or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lrLambdas: ((epoch: number) => number)[];
  /**
   * `new LambdaLR(opt, { lrLambda })` or PyTorch's `new LambdaLR(opt, lrLambda)`.
   *
   * @example
   * ```ts
   * const sched = new LambdaLR(opt, (epoch) => 0.95 ** epoch);
   * ```
   */
  constructor(optimizer: AnyOptimizer, ...args: PositionalArgs<[lrLambda: LrLambda | LrLambda[]], { lrLambda: LrLambda | LrLambda[] }>) {
    const { lrLambda } = schedulerArgs("LambdaLR", ["lrLambda"], args, {
      is: "a function or a list of functions", fits: (v) => typeof v === "function" || Array.isArray(v), required: true,
    }) as { lrLambda: LrLambda | LrLambda[] };
    super("LambdaLR", optimizer);
    const n = groupsOf(optimizer).length;
    const list = Array.isArray(lrLambda) ? [...lrLambda] : Array.from({ length: n }, () => lrLambda);
    check(list.length === n, "LambdaLR", `expected ${n} lrLambda functions (one per parameter group), got ${list.length}`);
    check(list.every((f) => typeof f === "function"), "LambdaLR", "lrLambda must be a function or a list of functions");
    this.lrLambdas = list;
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
  /** The functions are not saved (PyTorch saves only callable objects' fields): construct with the same ones. */
  protected own() {
    return {};
  }
}

type Anneal = (start: number, end: number, pct: number) => number;
const annealCos: Anneal = (start, end, pct) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
const annealLinear: Anneal = (start, end, pct) => (end - start) * pct + start;

/**
 * Options of OneCycleLR, PyTorch's arguments in camelCase: maxLr (required), and either
 * totalSteps or epochs with stepsPerEpoch; then pctStart 0.3, annealStrategy "cos",
 * cycleMomentum true, baseMomentum 0.85, maxMomentum 0.95, divFactor 25, finalDivFactor 1e4 and
 * threePhase false by default.
 */
export interface OneCycleLROptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: "cos" | "linear";
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

const ONE_CYCLE_POSITIONAL = [
  "maxLr", "totalSteps", "epochs", "stepsPerEpoch", "pctStart", "annealStrategy", "cycleMomentum", "baseMomentum", "maxMomentum",
  "divFactor", "finalDivFactor", "threePhase",
];

interface Phase {
  endStep: number;
  startLr: "initialLr" | "maxLr" | "minLr";
  endLr: "initialLr" | "maxLr" | "minLr";
  startMomentum: "maxMomentum" | "baseMomentum";
  endMomentum: "maxMomentum" | "baseMomentum";
}

/**
 * The 1cycle policy (Smith & Topin): lr rises from maxLr/divFactor to maxLr over pctStart of
 * totalSteps, then falls to that over finalDivFactor; momentum (SGD's momentum or Adam's beta1)
 * moves the other way when cycleMomentum is on. Not chainable: each lr comes from the phase.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  annealStrategy: "cos" | "linear";
  cycleMomentum: boolean;
  useBeta1: boolean;
  /** Per group: initialLr, maxLr, minLr, maxMomentum, baseMomentum (PyTorch keeps them in the groups). */
  groupValues: { initialLr: number; maxLr: number; minLr: number; maxMomentum: number; baseMomentum: number }[];
  private phases: Phase[];

  /**
   * `new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 1000 })` or PyTorch's positional form
   * `new OneCycleLR(opt, maxLr, totalSteps?, epochs?, stepsPerEpoch?, pctStart?, annealStrategy?,
   * cycleMomentum?, baseMomentum?, maxMomentum?, divFactor?, finalDivFactor?, threePhase?)`.
   *
   * @example
   * ```ts
   * const sched = new OneCycleLR(opt, 0.1, 1000); // up to 0.1 and down over 1000 steps
   * ```
   */
  constructor(
    optimizer: AnyOptimizer,
    ...args: PositionalArgs<
      [
        maxLr: number | number[], totalSteps: number | undefined, epochs: number | undefined, stepsPerEpoch: number | undefined, pctStart: number,
        annealStrategy: "cos" | "linear", cycleMomentum: boolean, baseMomentum: number | number[], maxMomentum: number | number[],
        divFactor: number, finalDivFactor: number, threePhase: boolean,
      ],
      OneCycleLROptions
    >
  ) {
    const op = "OneCycleLR";
    const options = schedulerArgs(op, ONE_CYCLE_POSITIONAL, args, {
      is: "a positive number or a list of them", fits: (v) => isNum(v) || Array.isArray(v), required: true,
    }) as unknown as OneCycleLROptions;
    super("OneCycleLR", optimizer);
    const {
      maxLr, totalSteps, epochs, stepsPerEpoch, pctStart = 0.3, annealStrategy = "cos", cycleMomentum = true,
      baseMomentum = 0.85, maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4, threePhase = false,
    } = options;
    if (totalSteps !== undefined) {
      check(Number.isInteger(totalSteps) && totalSteps > 0, op, `expected a positive integer totalSteps, got ${totalSteps}`);
      this.totalSteps = totalSteps;
    } else {
      check(epochs !== undefined && stepsPerEpoch !== undefined, op, "give either totalSteps or (epochs and stepsPerEpoch)");
      check(Number.isInteger(epochs) && epochs! > 0, op, `expected a positive integer epochs, got ${epochs}`);
      check(Number.isInteger(stepsPerEpoch) && stepsPerEpoch! > 0, op, `expected a positive integer stepsPerEpoch, got ${stepsPerEpoch}`);
      this.totalSteps = epochs! * stepsPerEpoch!;
    }
    check(isNum(pctStart) && pctStart >= 0 && pctStart <= 1, op, `expected pctStart between 0 and 1, got ${pctStart}`);
    check(annealStrategy === "cos" || annealStrategy === "linear", op, `annealStrategy must be "cos" or "linear", got ${JSON.stringify(annealStrategy)}`);
    this.pctStart = pctStart;
    this.annealStrategy = annealStrategy;
    this.phases = makePhases(threePhase, pctStart, this.totalSteps);
    const groups = groupsOf(optimizer);
    const perGroup = (name: string, v: number | number[]): number[] => {
      const list = Array.isArray(v) ? v : groups.map(() => v);
      check(list.length === groups.length && list.every(isNum), op, `expected ${groups.length} finite values for ${name}, got ${JSON.stringify(v)}`);
      return list;
    };
    const maxLrs = perGroup("maxLr", maxLr);
    const maxMs = perGroup("maxMomentum", maxMomentum);
    const baseMs = perGroup("baseMomentum", baseMomentum);
    this.cycleMomentum = cycleMomentum;
    const defaults = optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = "betas" in defaults;
    if (cycleMomentum) check("momentum" in defaults || "betas" in defaults, op, "the optimizer has no momentum or betas to cycle (pass cycleMomentum: false)");
    this.groupValues = maxLrs.map((m, i) => ({ initialLr: m / divFactor, maxLr: m, minLr: m / divFactor / finalDivFactor, maxMomentum: maxMs[i]!, baseMomentum: baseMs[i]! }));
    // PyTorch overwrites initial_lr with maxLr / divFactor.
    const initial = this.groupValues.map((g) => g.initialLr);
    initialLrs.set(optimizer, initial);
    this.baseLrs = [...initial];
    if (cycleMomentum) groups.forEach((g, i) => this.setMomentum(g, maxMs[i]!));
    this.initialStep();
  }

  protected override writtenFields(): string[] {
    return this.cycleMomentum ? [this.useBeta1 ? "betas" : "momentum"] : [];
  }

  private setMomentum(g: Group, m: number): void {
    if (this.useBeta1) g.betas = [m, g.betas![1]];
    else g.momentum = m;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    check(stepNum <= this.totalSteps, "OneCycleLR.step", `tried to step ${stepNum + 1} times; totalSteps is ${this.totalSteps}`);
    const anneal = this.annealStrategy === "cos" ? annealCos : annealLinear;
    return groupsOf(this.optimizer).map((g, gi) => {
      const v = this.groupValues[gi]!;
      let start = 0;
      let lr = NaN;
      for (let i = 0; i < this.phases.length; i++) {
        const p = this.phases[i]!;
        if (stepNum <= p.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - start) / (p.endStep - start);
          lr = anneal(v[p.startLr], v[p.endLr], pct);
          if (this.cycleMomentum) this.setMomentum(g, anneal(v[p.startMomentum], v[p.endMomentum], pct));
          break;
        }
        start = p.endStep;
      }
      return lr;
    });
  }

  protected own() {
    return {
      totalSteps: this.totalSteps, pctStart: this.pctStart, annealStrategy: this.annealStrategy, cycleMomentum: this.cycleMomentum,
      useBeta1: this.useBeta1, groupValues: this.groupValues, phases: this.phases,
    };
  }
}

function makePhases(threePhase: boolean, pct: number, total: number): Phase[] {
  if (threePhase) {
    return [
      { endStep: pct * total - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
      { endStep: 2 * pct * total - 2, startLr: "maxLr", endLr: "initialLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
      { endStep: total - 1, startLr: "initialLr", endLr: "minLr", startMomentum: "maxMomentum", endMomentum: "maxMomentum" },
    ];
  }
  return [
    { endStep: pct * total - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
    { endStep: total - 1, startLr: "maxLr", endLr: "minLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
  ];
}

/**
 * Runs schedulers one after another, switching at the milestones; at each switch the next one
 * starts from its step 0 (by its closed form where it has one), as PyTorch's SequentialLR does.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

  /**
   * `new SequentialLR(opt, { schedulers, milestones })` or PyTorch's `new SequentialLR(opt, schedulers, milestones)`.
   *
   * @example
   * ```ts
   * const warmup = new LinearLR(opt, 0.1, 1, 5);
   * const decay = new ExponentialLR(opt, 0.9);
   * const sched = new SequentialLR(opt, [warmup, decay], [5]); // warm up for 5 steps, then decay
   * ```
   */
  constructor(optimizer: AnyOptimizer, ...args: PositionalArgs<[schedulers: LRScheduler[], milestones: number[]], { schedulers: LRScheduler[]; milestones: number[] }>) {
    const { schedulers, milestones } = schedulerArgs("SequentialLR", ["schedulers", "milestones"], args, {
      is: "a list of schedulers", fits: Array.isArray, required: true,
    }) as { schedulers: LRScheduler[]; milestones: number[] };
    super("SequentialLR", optimizer);
    const op = "SequentialLR";
    check(Array.isArray(schedulers) && schedulers.length > 0 && schedulers.every((s) => s instanceof LRScheduler), op, "schedulers must be a non-empty list of schedulers");
    schedulers.forEach((s, i) => check(s.optimizer === optimizer, op, `scheduler ${i} belongs to another optimizer`));
    check(Array.isArray(milestones) && milestones.length === schedulers.length - 1, op, `expected ${schedulers.length - 1} milestones (one fewer than the schedulers), got ${JSON.stringify(milestones)}`);
    check(milestones.every((m) => Number.isInteger(m)), op, `milestones must be integers, got ${JSON.stringify(milestones)}`);
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = 0;
    // Back to the initial lrs, every scheduler one step back, and only the first one's step 0 taken.
    const initial = initialLrs.get(optimizer)!;
    groupsOf(optimizer).forEach((g, i) => {
      g.lr = initial[i]!;
    });
    for (const s of this.schedulers) s.rewind();
    this.schedulers[0]!.restart();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  protected getLr(): number[] {
    return this.lastLr;
  }

  protected override innerSchedulers(): LRScheduler[] {
    return this.schedulers;
  }

  protected override advance(): void {
    this.lastEpoch++;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length; // bisect_right
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.jumpTo(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  protected own() {
    return { milestones: this.milestones, schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  protected override checkOwn(sd: SchedulerStateDict, op: string): void {
    const subs = sd.schedulers as SchedulerStateDict[];
    check(Array.isArray(subs) && subs.length === this.schedulers.length, op, `expected ${this.schedulers.length} scheduler states`);
    subs.forEach((s, i) => check(s?.scheduler === this.schedulers[i]!.name, op, `scheduler ${i} is a ${this.schedulers[i]!.name}, the state dict has a ${String(s?.scheduler)}'s`));
  }

  protected override loadOwn(sd: SchedulerStateDict): void {
    this.milestones = [...(sd.milestones as number[])];
    (sd.schedulers as SchedulerStateDict[]).forEach((s, i) => this.schedulers[i]!.loadStateDict(s));
  }
}

// ---------------------------------------------------------------- ReduceLROnPlateau

/** ReduceLROnPlateau's options, PyTorch's arguments in camelCase, with its defaults. */
export interface ReduceLROnPlateauOptions {
  /** "min" (default): a lower metric is better (a loss); "max": a higher one is (an accuracy). */
  mode?: "min" | "max";
  /** The lr is multiplied by this on a plateau; below 1 (default 0.1). */
  factor?: number;
  /** How many steps without improvement are borne before the lr is cut (default 10). */
  patience?: number;
  /** How much better a metric must be to count as an improvement (default 1e-4). */
  threshold?: number;
  /** "rel" (default): better than best * (1 ∓ threshold); "abs": better than best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** Steps to wait after a cut before counting bad steps again (default 0). */
  cooldown?: number;
  /** The lowest lr, one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** A cut smaller than this is not made (default 1e-8). */
  eps?: number;
}

/** ReduceLROnPlateau's state: PyTorch's state_dict fields in camelCase. `best` is null where JSON has turned PyTorch's starting ±inf into null. */
export interface ReduceLROnPlateauStateDict {
  scheduler: "ReduceLROnPlateau";
  mode: "min" | "max";
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: "rel" | "abs";
  cooldown: number;
  cooldownCounter: number;
  minLrs: number[];
  eps: number;
  best: number | null;
  numBadEpochs: number;
  lastEpoch: number;
  lastLr: number[];
}

const PLATEAU_POSITIONAL = ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"];

/**
 * Cuts the learning rate by `factor` when a metric has stopped improving for `patience` steps
 * (PyTorch 1.13's torch.optim.lr_scheduler.ReduceLROnPlateau): call `step(metric)` once per
 * evaluation with the metric as a number (a validation loss in "min" mode).
 *
 * It reads the metric as a JS number to decide, so its step cannot be part of a compiled step
 * (a replay would not decide again): called while one is traced it is a CompileError. Call it
 * between compiled steps; the optimizer reads the lr it wrote at every replay.
 *
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), 0.1);
 * const sched = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
 * for (const loss of [1, 0.9, 0.95, 0.92, 0.91]) sched.step(loss);
 * opt.paramGroups[0]!.lr; // 0.05: three steps without beating 0.9
 * ```
 */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  mode: "min" | "max";
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: "rel" | "abs";
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The best metric so far (±Infinity before the first). */
  best: number;
  /** Steps since the last improvement. */
  numBadEpochs = 0;
  /** Steps left in the cooldown after a cut. */
  cooldownCounter = 0;
  /** The number of steps taken. */
  lastEpoch = 0;
  private lastLr: number[];

  /**
   * `new ReduceLROnPlateau(opt, { mode, factor, patience, ... })`, or PyTorch's positional form
   * `new ReduceLROnPlateau(opt, mode?, factor?, patience?, threshold?, thresholdMode?, cooldown?, minLr?, eps?)`.
   */
  constructor(
    optimizer: AnyOptimizer,
    ...args: PositionalArgs<
      [mode: "min" | "max", factor: number, patience: number, threshold: number, thresholdMode: "rel" | "abs", cooldown: number, minLr: number | number[], eps: number],
      ReduceLROnPlateauOptions
    >
  ) {
    const op = "ReduceLROnPlateau";
    const o = schedulerArgs(op, PLATEAU_POSITIONAL, args, { is: '"min" or "max"', fits: (v) => typeof v === "string", required: false }) as ReduceLROnPlateauOptions;
    for (const k of Object.keys(o)) check(PLATEAU_POSITIONAL.includes(k), op, `unknown option ${JSON.stringify(k)}; known: ${PLATEAU_POSITIONAL.join(", ")}`);
    check(typeof optimizer === "object" && optimizer !== null && Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups), op, "expected an optimizer");
    const { mode = "min", factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = "rel", cooldown = 0, minLr = 0, eps = 1e-8 } = o;
    const n = groupsOf(optimizer).length;
    check(mode === "min" || mode === "max", op, `mode must be "min" or "max", got ${JSON.stringify(mode)}`);
    check(thresholdMode === "rel" || thresholdMode === "abs", op, `thresholdMode must be "rel" or "abs", got ${JSON.stringify(thresholdMode)}`);
    check(isNum(factor) && factor < 1, op, `factor must be a number below 1, got ${factor}`);
    check(Number.isInteger(patience) && patience >= 0, op, `patience must be a non-negative integer, got ${patience}`);
    check(Number.isInteger(cooldown) && cooldown >= 0, op, `cooldown must be a non-negative integer, got ${cooldown}`);
    check(isNum(threshold), op, `threshold must be a finite number, got ${threshold}`);
    check(isNum(eps) && eps >= 0, op, `eps must be a non-negative number, got ${eps}`);
    const minLrs = Array.isArray(minLr) ? [...minLr] : Array.from({ length: n }, () => minLr);
    check(minLrs.length === n && minLrs.every((v) => isNum(v) && v >= 0), op, `expected minLr as one non-negative number or ${n} (one per parameter group), got ${JSON.stringify(minLr)}`);
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
    this.best = this.modeWorse();
    this.lastLr = groupsOf(optimizer).map((g) => g.lr);
  }

  private modeWorse(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  /** Whether `a` beats `best` by the threshold (PyTorch's is_better). */
  isBetter(a: number, best: number): boolean {
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === "rel" ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Whether a cut was made within the last `cooldown` steps. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /**
   * Counts one evaluation of the metric (a number, or a one-element Tensor or NDArray read as
   * one) and cuts each group's lr to max(lr * factor, minLr) once more than `patience` steps
   * have gone by without an improvement.
   */
  step(metric: number | Tensor | NDArray): void {
    const op = "ReduceLROnPlateau.step";
    if (isTracing()) {
      throw new CompileError(
        `${op}(metric) called inside a compiled step: it reads the metric as a JS number to decide whether to cut the lr, which a replay would not decide again. ` +
          "Call it between calls of the compiled step (return the metric from the step and pass it to sched.step outside)",
      );
    }
    let current: number;
    if (typeof metric === "number") current = metric;
    else if ((metric instanceof Tensor || metric instanceof NDArray) && metric.size === 1) current = metric.item();
    else throw new ValueError(`${op}: expected the metric as a number (or a one-element tensor), got ${metric instanceof Tensor || metric instanceof NDArray ? `shape [${metric.shape.join(",")}]` : typeof metric}`);
    this.lastEpoch++;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.inCooldown) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad steps in the cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }

  private reduceLr(): void {
    groupsOf(this.optimizer).forEach((g, i) => {
      const old = g.lr;
      const next = Math.max(old * this.factor, this.minLrs[i]!);
      if (old - next > this.eps) g.lr = next;
    });
  }

  /** Each group's lr after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** A copy of the state (plain JSON but for `best`, ±Infinity before the first metric, which JSON writes as null and loadStateDict reads back). */
  stateDict(): ReduceLROnPlateauStateDict {
    return {
      scheduler: "ReduceLROnPlateau", mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold,
      thresholdMode: this.thresholdMode, cooldown: this.cooldown, cooldownCounter: this.cooldownCounter, minLrs: [...this.minLrs], eps: this.eps,
      best: this.best, numBadEpochs: this.numBadEpochs, lastEpoch: this.lastEpoch, lastLr: [...this.lastLr],
    };
  }

  /** Restores a stateDict(); every field is checked before anything changes. */
  loadStateDict(sd: ReduceLROnPlateauStateDict): void {
    const op = "ReduceLROnPlateau.loadStateDict";
    check(typeof sd === "object" && sd !== null, op, "expected a scheduler state dict");
    check(sd.scheduler === "ReduceLROnPlateau", op, `the state dict is a ${String(sd.scheduler)}'s, not a ReduceLROnPlateau's`);
    const n = groupsOf(this.optimizer).length;
    check(sd.mode === "min" || sd.mode === "max", op, `mode must be "min" or "max", got ${JSON.stringify(sd.mode)}`);
    check(sd.thresholdMode === "rel" || sd.thresholdMode === "abs", op, `thresholdMode must be "rel" or "abs", got ${JSON.stringify(sd.thresholdMode)}`);
    check(isNum(sd.factor) && sd.factor < 1, op, `factor must be a number below 1, got ${sd.factor}`);
    for (const k of ["patience", "cooldown", "cooldownCounter", "numBadEpochs", "lastEpoch"] as const) {
      check(Number.isInteger(sd[k]) && sd[k] >= 0, op, `${k} must be a non-negative integer, got ${JSON.stringify(sd[k])}`);
    }
    check(isNum(sd.threshold) && isNum(sd.eps), op, "threshold and eps must be finite numbers");
    check(sd.best === null || typeof sd.best === "number", op, `best must be a number, got ${JSON.stringify(sd.best)}`);
    for (const k of ["minLrs", "lastLr"] as const) {
      check(Array.isArray(sd[k]) && sd[k].length === n && sd[k].every(isNum), op, `${k} must be ${n} finite numbers (one per parameter group), got ${JSON.stringify(sd[k])}`);
    }
    this.mode = sd.mode;
    this.factor = sd.factor;
    this.patience = sd.patience;
    this.threshold = sd.threshold;
    this.thresholdMode = sd.thresholdMode;
    this.cooldown = sd.cooldown;
    this.cooldownCounter = sd.cooldownCounter;
    this.minLrs = [...sd.minLrs];
    this.eps = sd.eps;
    this.best = sd.best ?? this.modeWorse();
    this.numBadEpochs = sd.numBadEpochs;
    this.lastEpoch = sd.lastEpoch;
    this.lastLr = [...sd.lastLr];
  }

  /**
   * compile's check (replay-state.ts): what a step changes, the groups' lrs included. A step is
   * refused inside a compiled step, so this only matters to a compiled step that reaches the
   * scheduler otherwise; it is kept like the other schedulers' so that none is an exception.
   */
  [saveState](): unknown {
    return {
      best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr], lrs: groupsOf(this.optimizer).map((g) => g.lr),
    };
  }

  [restoreState](snapshot: unknown): void {
    const s = snapshot as { best: number; numBadEpochs: number; cooldownCounter: number; lastEpoch: number; lastLr: number[]; lrs: number[] };
    this.best = s.best;
    this.numBadEpochs = s.numBadEpochs;
    this.cooldownCounter = s.cooldownCounter;
    this.lastEpoch = s.lastEpoch;
    this.lastLr = [...s.lastLr];
    groupsOf(this.optimizer).forEach((g, i) => writeGroupValue(g, "lr", s.lrs[i]));
  }
}
