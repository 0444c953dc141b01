// An optimizer's state dict, both ways: its arrays named for a safetensors file and the rest
// as plain JSON (encodeState), and back with every entry checked before anything changes
// (decodeState). optim.ts's Optimizer holds the state; this file only translates it.

import * as nd from "@tapegrad/tensor";
import { DTypeError, NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import type { Tensor } from "@tapegrad/autograd";

/** One parameter's optimizer state: arrays (exp_avg, ...) and counters (step). */
export type ParamState = Record<string, NDArray | number>;

/**
 * An optimizer's state in a form that goes straight into a safetensors file: `tensors` holds
 * every per-parameter array, named "<position>.<entry>" ("0.exp_avg"; positions count the
 * parameters across the groups in order, entries use PyTorch's names), and `meta` is plain
 * JSON: the hyperparameters of each group and the per-parameter counters (Adam's "step").
 */
export interface OptimizerStateDict {
  tensors: Record<string, NDArray>;
  meta: OptimizerMeta;
}

/** The JSON half of an OptimizerStateDict: a format tag, the optimizer's kind, each group's hyperparameters with its parameters' positions, and the per-parameter counters. */
export interface OptimizerMeta {
  format: "tapegrad.optim/1";
  optimizer: string;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
  /** Counters by parameter position, for the parameters that have state. */
  state: Record<string, Record<string, number>>;
}

/** Which state entries a parameter may have, given its group's hyperparameters. */
export interface StateSpec {
  arrays: string[];
  counters: string[];
}

/** What the codec reads of an optimizer's groups: the parameters and the hyperparameters. */
export type ParamGroupLike<H> = H & { params: Tensor[] };

/** What decodeState needs to know of an optimizer to check a state dict against it. */
export interface OptimizerSchema<H extends object> {
  label: string;
  paramGroups: readonly ParamGroupLike<H>[];
  defaults: Readonly<H>;
  validate(h: H, where: string): void;
  stateSpec(h: H): StateSpec;
  checkComplete(where: string, st: ParamState, h: H): void;
}

/** A copy of the hyperparameters, array values (Adam's betas) copied too. */
export function copyHyper<H>(h: H): H {
  const out = { ...h } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = v.slice();
  return out as H;
}

/** A copy of the state: see OptimizerStateDict. */
export function encodeState<H extends object>(
  label: string, groups: readonly ParamGroupLike<H>[], state: ReadonlyMap<Tensor, ParamState>, counterNames: ReadonlySet<string>,
): OptimizerStateDict {
  const index = new Map<Tensor, number>();
  const paramGroups = groups.map((g) => {
    const { params, ...h } = g;
    return { ...copyHyper(h as Record<string, unknown>), params: params.map((p) => (index.set(p, index.size), index.size - 1)) };
  });
  const tensors: Record<string, NDArray> = {};
  const counters: Record<string, Record<string, number>> = {};
  for (const [p, st] of state) {
    const i = index.get(p);
    if (i === undefined) continue;
    for (const [k, v] of Object.entries(st)) {
      // a counter may be kept as a 0-d array (Adam's step, see optim.ts); it is saved as a number
      if (counterNames.has(k)) (counters[i] ??= {})[k] = v instanceof NDArray ? v.item() : v;
      else if (v instanceof NDArray) tensors[`${i}.${k}`] = v.copy();
      else (counters[i] ??= {})[k] = v;
    }
    counters[i] ??= {};
  }
  return { tensors, meta: { format: "tapegrad.optim/1", optimizer: label, paramGroups, state: counters } };
}

/**
 * Checks a state dict (as stateDict() returned it, also after a trip through a safetensors file
 * and JSON) against the optimizer, matching parameters by position, and returns the groups'
 * hyperparameters and the state it holds; throws on any problem. Arrays are copied, cast to
 * each parameter's dtype.
 */
export function decodeState<H extends object>(sd: { tensors: Record<string, NDArray>; meta: unknown }, o: OptimizerSchema<H>): { groups: H[]; state: Map<Tensor, ParamState> } {
  const op = `${o.label}.loadStateDict`;
  const meta = (sd as { meta?: unknown } | null)?.meta as Partial<OptimizerMeta> | undefined;
  const tensors = (sd as { tensors?: unknown } | null)?.tensors;
  if (typeof meta !== "object" || meta === null || typeof tensors !== "object" || tensors === null) {
    throw new ValueError(`${op}: expected { tensors, meta } as returned by stateDict()`);
  }
  if (meta.format !== "tapegrad.optim/1") throw new ValueError(`${op}: unknown state format ${JSON.stringify(meta.format)}; expected "tapegrad.optim/1"`);
  if (meta.optimizer !== o.label) throw new ValueError(`${op}: the state dict is a ${String(meta.optimizer)} optimizer's, not ${o.label}'s`);
  if (!Array.isArray(meta.paramGroups) || typeof meta.state !== "object" || meta.state === null) {
    throw new ValueError(`${op}: meta must hold paramGroups (a list) and state (an object)`);
  }
  if (meta.paramGroups.length !== o.paramGroups.length) {
    throw new ValueError(`${op}: the state dict has ${meta.paramGroups.length} parameter group(s), this optimizer ${o.paramGroups.length}`);
  }
  const byIndex: Tensor[] = [];
  const groups = meta.paramGroups.map((saved, gi) => {
    const own = o.paramGroups[gi]!;
    if (typeof saved !== "object" || saved === null) throw new ValueError(`${op}: parameter group ${gi} is not an object`);
    if (!Array.isArray(saved.params) || saved.params.length !== own.params.length) {
      throw new ValueError(`${op}: parameter group ${gi} has ${Array.isArray(saved.params) ? saved.params.length : "no"} parameters in the state dict, ${own.params.length} here`);
    }
    saved.params.forEach((id, k) => {
      if (!Number.isInteger(id) || id < 0 || byIndex[id] !== undefined) throw new ValueError(`${op}: parameter group ${gi} lists an invalid or repeated parameter position ${String(id)}`);
      byIndex[id] = own.params[k]!;
    });
    const h: Record<string, unknown> = {};
    for (const k of Object.keys(saved)) {
      if (k === "params") continue;
      if (!(k in o.defaults)) throw new ValueError(`${op}: parameter group ${gi} has unknown option ${JSON.stringify(k)}`);
      h[k] = saved[k];
    }
    for (const k of Object.keys(o.defaults)) {
      if (!(k in h)) throw new ValueError(`${op}: parameter group ${gi} lacks option ${JSON.stringify(k)}`);
    }
    o.validate(h as H, `parameter group ${gi} of the state dict`);
    return copyHyper(h) as H;
  });
  const groupOf = new Map<Tensor, H>();
  o.paramGroups.forEach((g, gi) => g.params.forEach((p) => groupOf.set(p, groups[gi]!)));
  // Gather each position's entries: arrays from `tensors`, counters from meta.state.
  const entries = new Map<number, Record<string, unknown>>();
  const at = (key: string, what: string): Record<string, unknown> => {
    const id = Number(key);
    if (!Number.isInteger(id) || byIndex[id] === undefined) throw new ValueError(`${op}: ${what} ${JSON.stringify(key)} names no parameter position`);
    let e = entries.get(id);
    if (!e) entries.set(id, (e = {}));
    return e;
  };
  for (const [name, v] of Object.entries(tensors as Record<string, unknown>)) {
    const dot = name.indexOf(".");
    if (dot < 0) throw new ValueError(`${op}: tensor ${JSON.stringify(name)} is not named "<position>.<entry>"`);
    at(name.slice(0, dot), "tensor")[name.slice(dot + 1)] = v;
  }
  for (const [key, cs] of Object.entries(meta.state)) {
    const e = at(key, "state entry");
    if (typeof cs !== "object" || cs === null) throw new ValueError(`${op}: meta.state[${JSON.stringify(key)}] is not an object`);
    for (const [k, v] of Object.entries(cs)) {
      if (k in e) throw new ValueError(`${op}: entry ${JSON.stringify(k)} of parameter ${key} is both a tensor and a counter`);
      e[k] = v;
    }
  }
  const state = new Map<Tensor, ParamState>();
  for (const [id, e] of entries) state.set(byIndex[id]!, checkState(o, op, id, byIndex[id]!, e, groupOf.get(byIndex[id]!)!));
  return { groups, state };
}

function checkState<H extends object>(o: OptimizerSchema<H>, op: string, id: number, p: Tensor, entry: unknown, h: H): ParamState {
  const where = `${op}: state of parameter ${id} (shape ${fmtShape(p.shape)})`;
  if (typeof entry !== "object" || entry === null) throw new ValueError(`${where} is not an object`);
  const spec = o.stateSpec(h);
  const out: ParamState = {};
  for (const [k, v] of Object.entries(entry)) {
    if (spec.arrays.includes(k)) {
      if (!(v instanceof NDArray)) throw new ValueError(`${where}: ${k} must be an NDArray`);
      if (!nd.shapesEqual(v.shape, p.shape)) throw new ShapeError(`${where}: ${k} has shape ${fmtShape(v.shape)}`);
      if (!nd.isFloat(v.dtype)) throw new DTypeError(`${where}: ${k} has dtype ${v.dtype}`);
      out[k] = v.astype(p.dtype);
    } else if (spec.counters.includes(k)) {
      const n = v instanceof NDArray && v.size === 1 ? v.item() : v;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new ValueError(`${where}: ${k} must be a non-negative integer, got ${String(v)}`);
      out[k] = n;
    } else {
      throw new ValueError(`${where}: unknown entry ${JSON.stringify(k)}; expected ${[...spec.counters, ...spec.arrays].join(", ")}`);
    }
  }
  o.checkComplete(where, out, h);
  return out;
}
