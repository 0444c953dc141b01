// PyTorch's positional forms for optimizers and schedulers: `new Adam(params, 0.1)` and
// `new StepLR(opt, 10, 0.5)` read as PyTorch reads them, beside the options object. One parser,
// so that every constructor refuses a value that fits neither form with the same kind of message.

import { ValueError } from "@tapegrad/tensor";

/** Every prefix of a tuple, the empty one included: the positional arguments a caller may give. */
type Prefixes<T extends readonly unknown[]> = T extends readonly [...infer Init, unknown] ? T | Prefixes<Init> : T;

/**
 * A constructor's arguments after its first one: positional values in PyTorch's order (any
 * prefix of `T`), optionally followed by options for the rest (Python's keyword arguments);
 * or the options object `O` alone.
 */
export type PositionalArgs<T extends readonly unknown[], O> = Prefixes<T> extends infer P
  ? P extends readonly [] ? [options?: O] : P extends readonly unknown[] ? [...P, Partial<O>?] : never
  : never;

/** A plain options object: not an array, a function, a tensor-like class instance or null. */
function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** How a positional value is described and checked before it is taken. */
export interface PositionalSpec {
  /** The constructor's name, as messages start. */
  label: string;
  /** The positional parameters in PyTorch's order (camelCase). */
  names: readonly string[];
  /** The call's shape, for messages: `StepLR(optimizer, stepSize, gamma?)`. */
  signature: string;
  /** What the first positional value must be, for the message when it fits neither form: "a positive integer". */
  firstIs: string;
  /** Whether a value can be the first positional one (the options form is tried first). */
  firstFits: (v: unknown) => boolean;
  /** Whether the first value is required (StepLR's stepSize) or may be left out (LinearLR's startFactor). */
  firstRequired: boolean;
}

/**
 * Reads `args` (what followed the optimizer or params) as the options object, or as positional
 * values with an optional options object after them, and returns one options object. A value
 * that fits neither form, too many positional values, or a name given both ways, is a
 * ValueError saying what was expected.
 */
export function readPositional(spec: PositionalSpec, args: readonly unknown[]): Record<string, unknown> {
  const { label, names, signature } = spec;
  const first = args[0];
  if (args.length === 0 || (args.length === 1 && first === undefined)) {
    if (spec.firstRequired) throw neither(spec, undefined);
    return {};
  }
  if (isOptionsObject(first)) {
    if (args.length > 1) throw new ValueError(`${label}: after an options object nothing more is taken (${signature}), got ${args.length - 1} more argument(s)`);
    return { ...first };
  }
  if (!spec.firstFits(first)) throw neither(spec, first);
  let positional = args;
  let options: Record<string, unknown> = {};
  const last = args[args.length - 1];
  if (args.length > 1 && isOptionsObject(last)) {
    positional = args.slice(0, -1);
    options = { ...last };
  } else if (args.length > 1 && last === undefined) {
    positional = args.slice(0, -1);
  }
  if (positional.length > names.length) {
    throw new ValueError(`${label}: takes at most ${names.length} positional argument(s) (${signature}), got ${positional.length}: ${positional.map(describe).join(", ")}`);
  }
  const out: Record<string, unknown> = {};
  positional.forEach((v, i) => {
    const name = names[i]!;
    if (i > 0 && isOptionsObject(v)) {
      throw new ValueError(`${label}: an options object can only come last (${signature}), got one in place of ${name}`);
    }
    if (v !== undefined) out[name] = v;
  });
  for (const [k, v] of Object.entries(options)) {
    if (k in out) throw new ValueError(`${label}: got ${k} both as a positional argument (${describe(out[k])}) and in the options (${describe(v)})`);
    out[k] = v;
  }
  return out;
}

function neither(spec: PositionalSpec, got: unknown): ValueError {
  const first = spec.names[0]!;
  return new ValueError(`${spec.label}: expected ${first} as ${spec.firstIs} (${spec.signature}) or an options object, got ${describe(got)}`);
}

/** A value as a message shows it: numbers and strings as JSON, functions and objects by kind. */
export function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "a function";
  if (typeof v === "number") return String(v);
  if (typeof v === "string" || typeof v === "boolean" || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) {
    const s = JSON.stringify(v);
    return s === undefined || s.length > 60 ? `an array of ${v.length}` : s;
  }
  const name = (v as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}
