// Module and Parameter. A module's parameters, buffers and submodules are its own fields, found
// by walking them in definition order (as PyTorch's __setattr__ registers them), so
// `this.weight_ih = new Parameter(...)` is all a layer writes to be saved, loaded and optimized.

import * as nd from "@tapegrad/tensor";
import { NDArray, fmtShape, type DType } from "@tapegrad/tensor";
import { Tensor } from "@tapegrad/autograd";

/** A leaf tensor that a module owns and an optimizer updates. */
export class Parameter extends Tensor {
  constructor(data: NDArray, requiresGrad = true) {
    super(data);
    if (requiresGrad) this.requiresGrad = true;
  }
}

export type StateDict = Record<string, NDArray>;

export class StateDictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateDictError";
  }
}

export interface ModuleOptions {
  dtype?: DType;
}

export abstract class Module {
  /** Dropout and friends read this; train() and eval() set it on the whole tree. */
  training = true;
  private readonly buffers = new Map<string, NDArray>();

  abstract forward(...args: never[]): unknown;

  /** A non-trainable array saved with the state dict (running statistics, masks ...). */
  protected registerBuffer(name: string, value: NDArray): void {
    this.buffers.set(name, value);
  }

  /** Direct children: fields holding a Module, or arrays of Modules (named `field.0`, `field.1`, ...). */
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

  /** This module and every descendant, depth first, with dotted names ("" for this one). */
  *namedModules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** Every parameter with its dotted name, each parameter once even if shared. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [key, value] of Object.entries(m)) {
        const list = value instanceof Parameter ? [[key, value] as const] : Array.isArray(value) ? value.map((v, i) => [`${key}.${i}`, v] as const) : [];
        for (const [name, p] of list) {
          if (!(p instanceof Parameter) || seen.has(p)) continue;
          seen.add(p);
          out.push([prefix ? `${prefix}.${name}` : name, p]);
        }
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, NDArray][] {
    const out: [string, NDArray][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.buffers) out.push([prefix ? `${prefix}.${name}` : name, b]);
    }
    return out;
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
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** The number of scalar weights. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Parameters and buffers by dotted name; the arrays are the module's own (not copies). */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [name, p] of this.namedParameters()) sd[name] = p.data;
    for (const [name, b] of this.namedBuffers()) sd[name] = b;
    return sd;
  }

  /**
   * Copies values in by name. Strict (the default): every key must match and every shape
   * agree; all problems are reported in one error and nothing is loaded. Non-strict: loads the
   * keys that match and returns the rest. Values are cast to each parameter's dtype.
   */
  loadStateDict(sd: StateDict, { strict = true }: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const own = new Map<string, NDArray>([
      ...this.namedParameters().map(([n, p]) => [n, p.data] as [string, NDArray]),
      ...this.namedBuffers(),
    ]);
    // Own keys only: `k in sd` would find "constructor" or "toString" on Object.prototype.
    const has = (k: string) => Object.prototype.hasOwnProperty.call(sd, k) && sd[k] !== undefined;
    const missing = [...own.keys()].filter((k) => !has(k));
    const unexpected = Object.keys(sd).filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, dst] of own) {
      if (!has(k)) continue;
      const src = sd[k];
      if (!(src instanceof NDArray)) problems.push(`${k}: expected an NDArray, got ${typeof src}`);
      else if (!nd.shapesEqual(src.shape, dst.shape)) problems.push(`${k}: shape ${fmtShape(src.shape)} in the state dict, ${fmtShape(dst.shape)} in the module`);
      else if (!nd.isFloat(src.dtype) && nd.isFloat(dst.dtype)) problems.push(`${k}: dtype ${src.dtype} cannot load into ${dst.dtype}`);
    }
    if (strict) {
      if (missing.length) problems.push(`missing keys: ${missing.join(", ")}`);
      if (unexpected.length) problems.push(`unexpected keys: ${unexpected.join(", ")}`);
    }
    if (problems.length) {
      throw new StateDictError(`loadStateDict: ${problems.length} problem(s), nothing was loaded:\n  ${problems.join("\n  ")}`);
    }
    for (const [k, dst] of own) if (has(k)) dst.assign(sd[k]!);
    return { missing, unexpected };
  }

  /** Calls fn on this module and every descendant. */
  apply(fn: (m: Module) => void): this {
    for (const [, m] of this.namedModules()) fn(m);
    return this;
  }
}
