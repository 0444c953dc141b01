// Module and Parameter. A module's parameters, buffers and submodules are its own fields, found
// by walking them in definition order (as PyTorch's __setattr__ registers them), so
// `this.weight_ih = new Parameter(...)` is all a layer writes to be saved, loaded and optimized.

import * as nd from "@tapegrad/tensor";
import { DTypeError, NDArray, TapegradError, fmtShape, type DType } from "@tapegrad/tensor";
import { restoreState, saveState } from "@tapegrad/tensor/internal";
import { Tensor } from "@tapegrad/autograd";

/** A leaf tensor that a module owns and an optimizer updates. */
export class Parameter extends Tensor {
  constructor(data: NDArray, requiresGrad = true) {
    super(data);
    if (requiresGrad) this.requiresGrad = true;
  }
}

/** A module's parameters and buffers by dotted name (`fc1.weight`), as stateDict() returns them and loadStateDict() takes them (PyTorch's state_dict). */
export type StateDict = Record<string, NDArray>;

/** Thrown by loadStateDict when keys, shapes or dtypes do not match (listing every problem; nothing is loaded), and by stateDict for a module that contains itself. */
export class StateDictError extends TapegradError {}

/** A dtype option for modules of your own; the built-in layers take LayerOptions. */
export interface ModuleOptions {
  dtype?: DType;
}

/**
 * The base class of every layer (PyTorch's nn.Module). A subclass sets its Parameters and
 * child Modules as fields and writes forward(); parameters(), stateDict(), loadStateDict(),
 * train()/eval() and zeroGrad() then find them by walking the fields, in definition order.
 *
 * @example
 * ```ts
 * class MLP extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 2);
 *   forward(x: TensorLike): Tensor {
 *     return this.fc2.forward(this.fc1.forward(x).relu());
 *   }
 * }
 * const net = new MLP();
 * Object.keys(net.stateDict()); // ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
 * net.numParameters(); // 58
 * net.forward(tensor(nd.zeros([3, 4]))).shape; // [3, 2]
 * ```
 */
export abstract class Module {
  /** Dropout and friends read this; train() and eval() set it on the whole tree. */
  training = true;
  private readonly buffers = new Map<string, NDArray>();

  abstract forward(...args: never[]): unknown;

  /** A non-trainable array saved with the state dict (running statistics, masks ...). */
  protected registerBuffer(name: string, value: NDArray): void {
    this.buffers.set(name, value);
  }

  /**
   * Direct children: fields holding a Module, or arrays of Modules (named `field.0`, `field.1`,
   * ...). Containers (Sequential, ModuleList, ModuleDict) override this to name theirs.
   */
  *namedChildren(): Generator<[string, Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) yield [key, value];
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (value[i] instanceof Module) yield [`${key}.${i}`, value[i] as Module];
      }
    }
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /**
   * This module and every descendant, depth first, with dotted names ("" for this one). A module
   * reached by two paths is listed once, under the first (PyTorch's named_modules).
   */
  *namedModules(prefix = "", seen: Set<Module> = new Set()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) yield* child.namedModules(prefix ? `${prefix}.${name}` : name, seen);
  }

  /** This module's own parameters (not its children's): Parameter fields, and arrays of them as `field.0`, ... */
  protected *ownParameters(): Generator<[string, Parameter]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Parameter) yield [key, value];
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (value[i] instanceof Parameter) yield [`${key}.${i}`, value[i] as Parameter];
      }
    }
  }

  /** Every parameter with its dotted name, each parameter once even if shared (under its first name). */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted name, each once even if shared. */
  namedBuffers(): [string, NDArray][] {
    const out: [string, NDArray][] = [];
    const seen = new Set<NDArray>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.buffers) {
        if (seen.has(b)) continue;
        seen.add(b);
        out.push([prefix ? `${prefix}.${name}` : name, b]);
      }
    }
    return out;
  }

  /**
   * Every state entry under every name that reaches it, in PyTorch's state_dict order: a
   * module's own parameters, then its buffers, then each child's, depth first. Not deduplicated,
   * so a tied weight appears once per path, as in PyTorch.
   */
  private *stateEntries(prefix: string, path: Module[]): Generator<[string, NDArray]> {
    if (path.includes(this)) throw new StateDictError(`stateDict: module ${JSON.stringify(prefix.slice(0, -1))} contains itself`);
    for (const [name, p] of this.ownParameters()) yield [prefix + name, p.data];
    for (const [name, b] of this.buffers) yield [prefix + name, b];
    path.push(this);
    for (const [name, child] of this.namedChildren()) yield* child.stateEntries(`${prefix}${name}.`, path);
    path.pop();
  }

  /**
   * The old key of a Sequential's children (`layers.0.weight`, before they were named `0`, `1`,
   * ... as in PyTorch) in its new spelling, or null if key holds no old part. Walks the tree so
   * that only a Sequential's own `layers` segment is rewritten.
   */
  private modernKey(key: string): string | null {
    const segs = key.split(".");
    const out: string[] = [];
    let m: Module | undefined = this;
    let changed = false;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      if (m && m.legacyChildField() === seg && /^\d+$/.test(segs[i + 1] ?? "")) {
        changed = true;
        continue;
      }
      out.push(seg);
      let next: Module | undefined;
      if (m) for (const [name, child] of m.namedChildren()) if (name === seg) next = child;
      m = next;
    }
    return changed ? out.join(".") : null;
  }

  /** The field that once held this container's children in state-dict keys (Sequential: "layers"). */
  protected legacyChildField(): string | null {
    return null;
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * Sets training mode on this module and, through their own train(), on its children (as
   * PyTorch's Module.train does), so a module that overrides train() sees the change however
   * deep it sits.
   */
  train(mode = true): this {
    setTraining.call(this, mode);
    return this;
  }

  /**
   * compile's check (replay-state.ts): the training flag of this module and every descendant,
   * which train() and eval() change (inside a compiled step, at every replay too).
   */
  [saveState](): boolean[] {
    return [...this.namedModules()].map(([, m]) => m.training);
  }

  [restoreState](snapshot: unknown): void {
    const flags = snapshot as boolean[];
    const modules = [...this.namedModules()];
    if (modules.length !== flags.length) throw new TapegradError(`Module: a saved mode of ${flags.length} modules cannot be put back on ${modules.length}`);
    modules.forEach(([, m], i) => {
      m.training = flags[i]!;
    });
  }

  eval(): this {
    return this.train(false);
  }

  /** The number of scalar weights. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /**
   * Parameters and buffers by dotted name, with PyTorch's keys and order; the arrays are the
   * module's own (not copies). A tied (shared) weight appears under every name that reaches it,
   * as in PyTorch's state_dict, while namedParameters() and parameters() list it once.
   */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [name, a] of this.stateEntries("", [])) sd[name] = a;
    return sd;
  }

  /**
   * Copies values in by name. Strict (the default): every key must match and every shape
   * agree; all problems are reported in one error and nothing is loaded. Non-strict: loads the
   * keys that match and returns the rest. Values are cast to each parameter's dtype. A tied
   * weight is expected under each of its names (strict), and copied from each, the last one
   * winning, as PyTorch does. Keys in the old Sequential spelling (`layers.0.weight`) are still
   * accepted, with a one-time deprecation warning.
   */
  loadStateDict(input: StateDict, { strict = true }: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const own = new Map<string, NDArray>(this.stateEntries("", []));
    // Own keys only: `k in sd` would find "constructor" or "toString" on Object.prototype.
    const hasIn = (d: StateDict, k: string) => Object.prototype.hasOwnProperty.call(d, k) && d[k] !== undefined;
    let sd = input;
    const renamed = new Map<string, string>();
    for (const k of Object.keys(input)) {
      if (own.has(k)) continue;
      const m = this.modernKey(k);
      if (m !== null && own.has(m) && !hasIn(input, m)) renamed.set(k, m);
    }
    if (renamed.size) {
      sd = {};
      for (const k of Object.keys(input)) {
        Object.defineProperty(sd, renamed.get(k) ?? k, { value: input[k], enumerable: true, writable: true, configurable: true });
      }
    }
    const has = (k: string) => hasIn(sd, k);
    const missing = [...own.keys()].filter((k) => !has(k));
    const unexpected = Object.keys(sd).filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, dst] of own) {
      if (!has(k)) continue;
      const src = sd[k];
      if (!(src instanceof NDArray)) problems.push(`${k}: expected an NDArray, got ${typeof src}`);
      else if (!nd.shapesEqual(src.shape, dst.shape)) problems.push(`${k}: shape ${fmtShape(src.shape)} in the state dict, ${fmtShape(dst.shape)} in the module`);
      else if (dtypeKind(src.dtype) !== dtypeKind(dst.dtype)) problems.push(`${k}: dtype ${src.dtype} in the state dict cannot load into ${dst.dtype} in the module`);
    }
    if (strict) {
      if (missing.length) problems.push(`missing keys: ${missing.join(", ")}`);
      if (unexpected.length) problems.push(`unexpected keys: ${unexpected.join(", ")}`);
    }
    if (problems.length) {
      throw new StateDictError(`loadStateDict: ${problems.length} problem(s), nothing was loaded:\n  ${problems.join("\n  ")}`);
    }
    const [first] = renamed;
    if (first) warnLegacyKeys(...first);
    for (const [k, dst] of own) if (has(k)) dst.assign(sd[k]!);
    return { missing, unexpected };
  }

  /** Calls fn on this module and every descendant. */
  apply(fn: (m: Module) => void): this {
    for (const [, m] of this.namedModules()) fn(m);
    return this;
  }
}

/**
 * train(mode)'s work as a kernel with the module as `this`: inside a compiled step it is recorded
 * and runs again at every replay, so the mode a step leaves is the mode an eager call leaves
 * (and calling train() in train mode stays harmless). Children are set through their own train().
 */
const setTraining = nd.kernel("Module.train", function (this: Module, mode: boolean): void {
  this.training = mode;
  for (const child of this.children()) child.train(mode);
});

/** Floats load into floats of either width; integers and booleans only into their own kind (no silent truncation). */
const dtypeKind = (d: DType): string => (nd.isFloat(d) ? "float" : d);

let warnedLegacy = false;

/** Once per process, as Python's DeprecationWarning: old files keep loading, and their owner learns why the keys changed. */
function warnLegacyKeys(old: string, now: string): void {
  if (warnedLegacy) return;
  warnedLegacy = true;
  console.warn(
    `tapegrad: loadStateDict: key ${JSON.stringify(old)} is in the old Sequential spelling; Sequential's children are now named ` +
      `0, 1, ... as in PyTorch (${JSON.stringify(now)}). It was loaded; save the module again to write the new keys.`,
  );
}

/**
 * Throws a DTypeError when a floating input's dtype differs from a module's floating parameter's,
 * as PyTorch raises ("expected scalar type Float but found Double") rather than compute silently
 * in the wider dtype; integer inputs (ids, masks) and plain numbers pass. Layers call it once per
 * forward, on what they multiply by their weights; a module of your own may too.
 *
 * @example
 * ```ts
 * class Scale extends Module {
 *   w = new Parameter(nd.ones([3], "float32"));
 *   forward(x: Tensor): Tensor {
 *     checkInputDType("Scale", x, this.w); // a float64 x: DTypeError naming float64 and float32
 *     return x.mul(this.w);
 *   }
 * }
 * ```
 */
export function checkInputDType(op: string, input: unknown, param: Tensor | null | undefined, what = "input"): void {
  if (!param) return;
  const d = input instanceof Tensor || input instanceof NDArray ? input.dtype : null;
  if (d === null || d === param.dtype || !nd.isFloat(d) || !nd.isFloat(param.dtype)) return;
  throw new DTypeError(
    `${op}: ${what} has dtype ${d} but the module's parameters are ${param.dtype} (PyTorch: "expected scalar type ${torchName(param.dtype)} but found ${torchName(d)}"); ` +
      `cast the ${what} with .astype("${param.dtype}"), or make the module with { dtype: "${d}" }`,
  );
}

const torchName = (d: DType): string => (d === "float32" ? "Float" : d === "float64" ? "Double" : d);
