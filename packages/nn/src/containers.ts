// Containers with PyTorch's key names: Sequential and ModuleList name their children `0`, `1`,
// ..., ModuleDict by its keys, so `seq.stateDict()` has `0.weight` as torch.nn.Sequential does.

import * as nd from "@tapegrad/tensor";
import * as ag from "@tapegrad/autograd";
import { type Tensor, type TensorLike } from "@tapegrad/autograd";
import { Module } from "./module.js";

type Forward = { forward(x: Tensor): Tensor };

function checkModule(op: string, m: unknown, at: string | number): Module {
  if (!(m instanceof Module)) throw new nd.ValueError(`${op}: element ${JSON.stringify(at)} is not a Module (got ${m === null ? "null" : typeof m})`);
  return m;
}

/** PyTorch's index rule: -1 is the last; out of range is an IndexError naming the length. */
function resolveIndex(op: string, i: number, n: number, end = false): number {
  if (!Number.isInteger(i)) throw new nd.IndexError(`${op}: index must be an integer, got ${i}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j > n || (j === n && !end)) throw new nd.IndexError(`${op}: index ${i} is out of range for ${n} modules`);
  return j;
}

/** A list of modules, saved as `0.weight`, `1.weight`, ...; it has no forward of its own. */
export class ModuleList extends Module {
  readonly #modules: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  override *namedChildren(): Generator<[string, Module]> {
    yield* super.namedChildren();
    for (let i = 0; i < this.#modules.length; i++) yield [String(i), this.#modules[i]!];
  }

  get length(): number {
    return this.#modules.length;
  }

  /** The module at i (negative counts from the end). */
  get(i: number): Module {
    return this.#modules[resolveIndex(`${this.constructor.name}.get`, i, this.#modules.length)]!;
  }

  set(i: number, m: Module): this {
    this.#modules[resolveIndex(`${this.constructor.name}.set`, i, this.#modules.length)] = checkModule(`${this.constructor.name}.set`, m, i);
    return this;
  }

  append(m: Module): this {
    this.#modules.push(checkModule(`${this.constructor.name}.append`, m, this.#modules.length));
    return this;
  }

  extend(modules: Iterable<Module>): this {
    const list = [...modules];
    list.forEach((m, i) => checkModule(this.constructor.name, m, this.#modules.length + i));
    this.#modules.push(...list);
    return this;
  }

  /** Inserts before index i (i = length appends), renumbering those after it as PyTorch does. */
  insert(i: number, m: Module): this {
    this.#modules.splice(resolveIndex(`${this.constructor.name}.insert`, i, this.#modules.length, true), 0, checkModule(`${this.constructor.name}.insert`, m, i));
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.#modules[Symbol.iterator]();
  }

  forward(..._args: never[]): unknown {
    throw new TypeError(`${this.constructor.name} has no forward: call its modules (for (const m of list) ...)`);
  }
}

/** Runs modules one after another; parameters are named `0.weight`, `1.weight`, ... as in PyTorch. */
export class Sequential extends ModuleList {
  constructor(...layers: Module[]) {
    super(layers);
  }

  /** The modules in order (a copy: append() and set() change the Sequential). */
  get layers(): Module[] {
    return [...this];
  }

  protected override legacyChildField(): string | null {
    return "layers";
  }

  override forward(x: TensorLike): Tensor {
    let y = ag.toTensor(x);
    for (const m of this) y = (m as unknown as Forward).forward(y);
    return y;
  }
}

/** Modules by name, in insertion order, saved as `name.weight`; it has no forward of its own. */
export class ModuleDict extends Module {
  readonly #modules = new Map<string, Module>();

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  override *namedChildren(): Generator<[string, Module]> {
    yield* super.namedChildren();
    yield* this.#modules;
  }

  get size(): number {
    return this.#modules.size;
  }

  has(key: string): boolean {
    return this.#modules.has(key);
  }

  get(key: string): Module {
    const m = this.#modules.get(key);
    if (!m) throw new nd.IndexError(`ModuleDict.get: no module ${JSON.stringify(key)} (keys: ${[...this.#modules.keys()].join(", ") || "none"})`);
    return m;
  }

  /** A key is a state-dict segment: non-empty and without a dot, as PyTorch requires. */
  set(key: string, m: Module): this {
    if (typeof key !== "string" || key === "" || key.includes(".")) {
      throw new nd.ValueError(`ModuleDict.set: key must be a non-empty string without ".", got ${JSON.stringify(key)}`);
    }
    this.#modules.set(key, checkModule("ModuleDict.set", m, key));
    return this;
  }

  delete(key: string): boolean {
    return this.#modules.delete(key);
  }

  update(modules: Record<string, Module> | Iterable<[string, Module]>): this {
    const entries = Symbol.iterator in Object(modules) ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    // checked first, so a bad entry leaves the dict as it was
    for (const [k, m] of entries) {
      if (typeof k !== "string" || k === "" || k.includes(".")) throw new nd.ValueError(`ModuleDict: key must be a non-empty string without ".", got ${JSON.stringify(k)}`);
      checkModule("ModuleDict", m, k);
    }
    for (const [k, m] of entries) this.#modules.set(k, m);
    return this;
  }

  keys(): string[] {
    return [...this.#modules.keys()];
  }

  values(): Module[] {
    return [...this.#modules.values()];
  }

  entries(): [string, Module][] {
    return [...this.#modules];
  }

  forward(..._args: never[]): unknown {
    throw new TypeError("ModuleDict has no forward: call its modules (dict.get(name).forward(...))");
  }
}
