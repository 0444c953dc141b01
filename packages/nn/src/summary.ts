// summary(model, input?): the table a user reads to see what they built, as Keras's
// model.summary() and torchinfo's summary do: each module with its type, its output shape for a
// given input, and its parameter count, then the totals. Output shapes come from one forward
// pass under noGrad and in eval mode, with each module's forward wrapped for the call and put
// back afterwards, even when the forward throws.

import { NDArray } from "@tapegrad/tensor";
import { noGrad, Tensor, type TensorLike } from "@tapegrad/autograd";
import type { Module } from "./module.js";

/** One module in a summary. */
export interface SummaryRow {
  /** Its dotted name in the model ("" for the model itself). */
  name: string;
  /** Its class name. */
  type: string;
  /** Its key in its parent (`0`, `fc1`, `layers.0`; "" for the model). */
  key: string;
  /** How deep it sits (0 for the model). */
  depth: number;
  /** The shape(s) it returned, as `[3, 8]` (a tuple of outputs as `[5, 3, 8], ([2, 3, 8], [2, 3, 8])`); null when no input was given or it was not called. */
  outputShape: string | null;
  /** How many times the forward pass called it (0 without an input). */
  calls: number;
  /** Its own parameters' elements (not its children's; a shared parameter counts at its first owner only). */
  params: number;
  /** Of those, the ones that require grad. */
  trainable: number;
}

/** What summary() returns: the rows, the totals, and the table as its string (`console.log(summary(model))`). */
export interface ModelSummary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** The table. */
  toString(): string;
}

/** 1234567 -> "1,234,567", as Keras and torchinfo print counts. */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function describe(out: unknown, nested = false): string {
  if (out instanceof Tensor || out instanceof NDArray) return `[${out.shape.join(", ")}]`;
  if (Array.isArray(out)) {
    const s = out.map((o) => describe(o, true)).join(", ");
    return nested ? `(${s})` : s;
  }
  if (out === null || out === undefined) return String(out);
  return typeof out;
}

/**
 * A table of the model's modules (name and type, indented by depth), their output shapes when
 * an input is given, and their parameter counts, with the totals: trainable (requiring grad) and
 * not. With an input (a tensor, or an array of forward's arguments) the model runs forward once,
 * under noGrad and in eval mode (so no dropout mask draws from a random stream), and its modes
 * and forwards are put back afterwards, even if the forward throws.
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * console.log(String(summary(model, tensor(nd.zeros([3, 4])))));
 * // Layer (type)  Output shape  Param #
 * // ===================================
 * // Sequential    [3, 2]              0
 * //   0 (Linear)  [3, 8]             40
 * //   1 (ReLU)    [3, 8]              0
 * //   2 (Linear)  [3, 2]             18
 * // ===================================
 * // Total params: 58
 * // Trainable params: 58
 * // Non-trainable params: 0
 * summary(model).totalParams; // 58
 * ```
 */
export function summary(model: Module, input?: TensorLike | readonly unknown[]): ModelSummary {
  const modules = [...model.namedModules()];
  // depth and key from the walk itself: an array field's children are keyed `field.0`, one level down
  const place = new Map<Module, { depth: number; key: string }>([[model, { depth: 0, key: "" }]]);
  for (const [, m] of modules) {
    const depth = place.get(m)!.depth;
    for (const [key, c] of m.namedChildren()) if (!place.has(c)) place.set(c, { depth: depth + 1, key });
  }
  const seen = new Set<Tensor>();
  const rows: SummaryRow[] = modules.map(([name, m]) => {
    let params = 0;
    let trainable = 0;
    for (const [pname, p] of m.namedParameters()) {
      if (seen.has(p) || !isOwn(m, pname)) continue;
      seen.add(p);
      params += p.size;
      if (p.requiresGrad) trainable += p.size;
    }
    const { depth, key } = place.get(m)!;
    return { name, key, type: m.constructor.name || "Module", depth, outputShape: null, calls: 0, params, trainable };
  });
  if (input !== undefined) runForShapes(model, modules, rows, input);
  const totalParams = rows.reduce((n, r) => n + r.params, 0);
  const trainableParams = rows.reduce((n, r) => n + r.trainable, 0);
  const result: ModelSummary = {
    rows,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    toString: () => table(result, input !== undefined),
  };
  Object.defineProperty(result, Symbol.for("nodejs.util.inspect.custom"), { value: () => table(result, input !== undefined), enumerable: false });
  return result;
}

/** Whether `pname` (a name from m.namedParameters()) is m's own parameter rather than a descendant's. */
function isOwn(m: Module, pname: string): boolean {
  for (const [child] of m.namedChildren()) if (pname.startsWith(child + ".")) return false;
  return true;
}

function runForShapes(model: Module, modules: [string, Module][], rows: SummaryRow[], input: TensorLike | readonly unknown[]): void {
  const modes = modules.map(([, m]) => m.training);
  const saved: [Module, PropertyDescriptor | undefined][] = [];
  try {
    modules.forEach(([, m], i) => {
      const own = Object.getOwnPropertyDescriptor(m, "forward");
      saved.push([m, own]);
      const forward = (m as unknown as { forward: (...a: unknown[]) => unknown }).forward;
      const row = rows[i]!;
      Object.defineProperty(m, "forward", {
        value: function (this: unknown, ...args: unknown[]) {
          const out = forward.apply(this, args);
          row.calls++;
          if (row.outputShape === null) row.outputShape = describe(out);
          return out;
        },
        writable: true,
        configurable: true,
        enumerable: false,
      });
    });
    model.eval();
    const args = Array.isArray(input) ? input : [input];
    noGrad(() => (model as unknown as { forward: (...a: unknown[]) => unknown }).forward(...args));
  } finally {
    for (const [m, own] of saved) {
      if (own) Object.defineProperty(m, "forward", own);
      else delete (m as unknown as { forward?: unknown }).forward;
    }
    modules.forEach(([, m], i) => {
      m.training = modes[i]!;
    });
  }
}

function table(s: ModelSummary, withShapes: boolean): string {
  const head = ["Layer (type)", ...(withShapes ? ["Output shape"] : []), "Param #"];
  const body = s.rows.map((r) => {
    const label = r.name === "" ? r.type : `${"  ".repeat(r.depth)}${r.key} (${r.type})`;
    const shape = r.outputShape === null ? "--" : r.calls > 1 ? `${r.outputShape} (x${r.calls})` : r.outputShape;
    return [label, ...(withShapes ? [shape] : []), grouped(r.params)];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((x, c) => (c === cells.length - 1 ? x.padStart(widths[c]!) : x.padEnd(widths[c]!))).join("  ").trimEnd();
  const rule = "=".repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  return [
    line(head),
    rule,
    ...body.map(line),
    rule,
    `Total params: ${grouped(s.totalParams)}`,
    `Trainable params: ${grouped(s.trainableParams)}`,
    `Non-trainable params: ${grouped(s.nonTrainableParams)}`,
  ].join("\n");
}
