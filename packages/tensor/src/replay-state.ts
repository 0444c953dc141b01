// Plain JS state that kernels change (an RNG stream's position, a scheduler's epoch): the
// protocol by which compile's check saves it before its eager call and puts it back, so that
// the check leaves no trace of its own. An object that a recorded kernel is called on (its
// `this`) or given as an argument, and that changes inside a step, implements both methods.

/** Returns a snapshot of the object's changing state (plain values and typed arrays). */
export const saveState: unique symbol = Symbol.for("tapegrad.saveState") as never;
/** Puts back a snapshot made by `[saveState]()`. */
export const restoreState: unique symbol = Symbol.for("tapegrad.restoreState") as never;

/** An object whose plain JS state kernels change, which compile's check can save and restore. */
export interface ReplayState {
  [saveState](): unknown;
  [restoreState](snapshot: unknown): void;
}

/** Whether `x` implements the protocol. */
export function hasReplayState(x: unknown): x is ReplayState {
  return x !== null && typeof x === "object" && typeof (x as Partial<ReplayState>)[saveState] === "function" && typeof (x as Partial<ReplayState>)[restoreState] === "function";
}

/** Bitwise equality of two snapshots: plain values by Object.is, typed arrays element by element, lists and plain objects deeply. */
export function sameSnapshot(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length || a.constructor !== b.constructor) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameSnapshot(v, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Object.getPrototypeOf(a) === Object.prototype && Object.getPrototypeOf(b) === Object.prototype) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => sameSnapshot((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
