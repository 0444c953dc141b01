// compareDerivatives: a derivation done by hand held against two independent witnesses, the tape
// and central finite differences in float64, with where (which input, which entries, which index
// along an axis such as time) the three part, and which one the other two outvote.

import * as nd from "@tapegrad/tensor";
import { NDArray, ShapeError, ValueError, fmtShape } from "@tapegrad/tensor";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { gradients } from "./engine.js";
import { mul } from "./ops/binary.js";
import { sum } from "./ops/reduce.js";
import { centralDifferencesAt } from "./finite-diff.js";
import { Watcher, WatchError, NodeShapeError, backwardOrder, watchedConsumers, findFirstWrong, firstWrongStory, type FirstWrong, type Watch } from "./first-wrong.js";

/** Named inputs, or positional ones (named "0", "1", ... as a JS array's keys and a Sequential's children are). */
export type CompareInputs = Readonly<Record<string, NDArray>> | readonly NDArray[];

/** The inputs as f receives them: the same record or array, of Tensors that require a gradient. */
export type TensorsOf<I extends CompareInputs> = { -readonly [K in keyof I]: Tensor };

/** What manual returns: gradients by input name (an array by position for array inputs); any subset. */
export type ManualGradients = Readonly<Record<string, NDArray | null | undefined>> | readonly (NDArray | null | undefined)[];

/** One of the three gradients compareDerivatives holds against each other: the tape's, the hand-derived one (manual), and central finite differences (fd). */
export type Witness = "tape" | "manual" | "fd";

/** Options of compareDerivatives: the upstream gradient for a non-scalar f, the finite-difference step, each pair's tolerances, the fd sample, and what the report keeps. */
export interface CompareOptions {
  /**
   * The gradient of the loss with respect to f's output, when f's output is not a scalar: the
   * loss is then sum(upstream * f(inputs)). manual receives it as its second argument.
   */
  upstream?: NDArray;
  /** Finite-difference step h in (L(x + h) - L(x - h)) / 2h (default 1e-6). */
  eps?: number;
  /** Tape against manual, two analytic results (defaults 1e-7 absolute, 1e-6 relative). */
  atol?: number;
  rtol?: number;
  /** Either against finite differences (defaults 1e-5 absolute, 1e-3 relative, as gradcheck). */
  fdAtol?: number;
  fdRtol?: number;
  /** Inputs with more entries than this get finite differences on a seeded sample of this many (default 2048). */
  maxFdEntries?: number;
  /** Seed of that sample (default 0). */
  seed?: number;
  /** An axis per input name: the entry then holds each pair's max abs error per index along it. */
  along?: Readonly<Record<string, number>>;
  /** How many of the worst entries each pair keeps (default 5). */
  worst?: number;
}

/** One entry where two witnesses differ. */
export interface WorstEntry {
  index: number[];
  a: number;
  b: number;
  abs: number;
}

/** Two witnesses, a then b, over the entries both have. */
export interface PairError {
  /** max |a - b| */
  maxAbs: number;
  /** max |a - b| / max(|a|, |b|, 1e-3 max over the pair of |a|, |b|): the floor keeps entries near zero from dividing noise. */
  maxRel: number;
  /** Every compared entry within atol + rtol max(|a|, |b|) of the pair's tolerance. */
  close: boolean;
  /** The largest differences, worst first (only entries that differ). */
  worst: WorstEntry[];
  /** How many entries were compared (the sample's size for pairs with fd). */
  compared: number;
}

/** Each pair's max abs error per index along one axis; NaN where no sampled entry lies. */
export interface AlongAxis {
  axis: number;
  tapeVsManual: number[] | null;
  manualVsFd: number[] | null;
  tapeVsFd: number[];
}

/** One input's row of a CompareReport: its three gradients, the error of each pair, and the verdict (agree, or which witness the other two outvote). */
export interface DerivativeEntry {
  name: string;
  shape: readonly number[];
  tape: NDArray;
  /** null where manual gave no gradient for this input. */
  manual: NDArray | null;
  /** Central differences in float64; NaN at the entries outside `sampled`. */
  fd: NDArray;
  /** The multi-indices finite differences were taken at, in C order; null when at every entry. */
  sampled: number[][] | null;
  tapeVsManual: PairError | null;
  manualVsFd: PairError | null;
  tapeVsFd: PairError;
  /** Every pair present is close: manual with tape and fd; where manual is missing, tape with fd. */
  agree: boolean;
  /** The witness the other two outvote: the two others are close and each is far from it. */
  oddOne: Witness | null;
  /** agree / "manual is the odd one" / ... in words, as formatReport prints it. */
  verdict: string;
  along?: AlongAxis;
}

/** What compareDerivatives returns: one DerivativeEntry per input (and per watched node), whether all agree (`ok`), the inputs manual left out, the first wrong node, and the tolerances used. formatReport prints it as a table. */
export interface CompareReport {
  /** Every entry, inputs' and nodes', agrees (a missing manual gradient does not fail it; tape parting from fd does). */
  ok: boolean;
  inputs: DerivativeEntry[];
  /** Inputs manual gave no gradient for. */
  missing: string[];
  /** The nodes f named with watch, in the order the backward pass meets them (from the loss towards the inputs); empty when f watched none. */
  nodes: DerivativeEntry[];
  /** The first of `nodes` whose manual gradient alone is wrong while all before it agree; null if none. */
  firstWrong: FirstWrong | null;
  tolerances: { atol: number; rtol: number; fdAtol: number; fdRtol: number; eps: number };
}

const quoteAll = (ns: readonly string[]) => ns.map((n) => `"${n}"`).join(", ");

const WITNESS_NAME: Record<Witness, string> = { tape: "tape", manual: "manual", fd: "finite differences" };

function unravel(p: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = p % shape[d]!;
    p = Math.floor(p / shape[d]!);
  }
  return idx;
}

function pairError(a: Float64Array, b: Float64Array, positions: ArrayLike<number> | null, shape: readonly number[], atol: number, rtol: number, keep: number): PairError {
  const n = positions ? positions.length : a.length;
  let scale = 0;
  for (let k = 0; k < n; k++) {
    const p = positions ? positions[k]! : k;
    scale = Math.max(scale, Math.abs(a[p]!), Math.abs(b[p]!));
  }
  const floor = Math.max(1e-3 * scale, Number.MIN_VALUE);
  let maxAbs = 0;
  let maxRel = 0;
  let close = true;
  const worst: { p: number; abs: number }[] = [];
  for (let k = 0; k < n; k++) {
    const p = positions ? positions[k]! : k;
    const x = a[p]!;
    const y = b[p]!;
    let err = Math.abs(x - y);
    if (err !== err) err = Infinity; // NaN on either side is as far as it gets
    const mag = Math.max(Math.abs(x), Math.abs(y));
    if (!(err <= atol + rtol * mag)) close = false;
    maxAbs = Math.max(maxAbs, err);
    if (err > 0) maxRel = Math.max(maxRel, err / Math.max(mag, floor));
    if (err > 0 && (worst.length < keep || err > worst[worst.length - 1]!.abs)) {
      let i = worst.length;
      while (i > 0 && worst[i - 1]!.abs < err) i--;
      worst.splice(i, 0, { p, abs: err });
      if (worst.length > keep) worst.pop();
    }
  }
  return { maxAbs, maxRel, close, worst: worst.map(({ p, abs }) => ({ index: unravel(p, shape), a: a[p]!, b: b[p]!, abs })), compared: n };
}

function alongAxis(a: Float64Array, b: Float64Array, positions: ArrayLike<number> | null, shape: readonly number[], axis: number): number[] {
  const len = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((s, d) => s * d, 1);
  const out = new Array<number>(len).fill(positions ? NaN : 0);
  const n = positions ? positions.length : a.length;
  for (let k = 0; k < n; k++) {
    const p = positions ? positions[k]! : k;
    const i = Math.floor(p / inner) % len;
    let err = Math.abs(a[p]! - b[p]!);
    if (err !== err) err = Infinity;
    out[i] = out[i]! !== out[i]! ? err : Math.max(out[i]!, err);
  }
  return out;
}

function decide(tm: PairError | null, mf: PairError | null, tf: PairError): { agree: boolean; oddOne: Witness | null; verdict: string } {
  if (!tm || !mf) {
    return tf.close
      ? { agree: true, oddOne: null, verdict: "no manual gradient; tape and fd agree" }
      : { agree: false, oddOne: null, verdict: "no manual gradient; tape and fd part" };
  }
  if (tm.close && mf.close && tf.close) return { agree: true, oddOne: null, verdict: "agree" };
  let odd: Witness | null = null;
  if (tf.close && !tm.close && !mf.close) odd = "manual";
  else if (mf.close && !tm.close && !tf.close) odd = "tape";
  else if (tm.close && !mf.close && !tf.close) odd = "fd";
  if (odd) return { agree: false, oddOne: odd, verdict: `${WITNESS_NAME[odd]} is the odd one` };
  const parting = [["tape", "manual", tm], ["manual", "fd", mf], ["tape", "fd", tf]] as const;
  const far = parting.filter(([, , p]) => !p.close).map(([x, y]) => `${x}/${y}`);
  return { agree: false, oddOne: null, verdict: far.length === 3 ? "all three part" : `${far.join(", ")} part; no majority` };
}

/**
 * Holds `manual`, a gradient derived by hand, against the tape and against central finite
 * differences in float64, input by input.
 *
 * - `inputs`: named NDArrays, or an array of them (then named "0", "1", ...). All three witnesses
 *   see float64 copies of them, so nothing the caller holds is moved or written.
 * - `f(xs)`: the same record or array as Tensors; returns a scalar loss, or any tensor when
 *   `options.upstream` gives the gradient of the loss with respect to it (loss = sum(upstream * f)).
 * - `manual(xs, upstream)`: the same record or array as NDArrays (and the upstream gradient, or
 *   null); returns gradients by name (or by position, for array inputs). It may leave inputs
 *   out: those entries have `manual: null` and are listed in `missing`; they do not fail `ok`,
 *   but tape and fd are still held against each other there.
 *
 * A pair is close when every entry is within atol + rtol max(|a|, |b|) (numpy's allclose made
 * symmetric): tape against manual with atol 1e-7, rtol 1e-6; either against fd with
 * fdAtol 1e-5, fdRtol 1e-3. Names in manual's result that are not inputs are a ValueError, a
 * gradient whose shape is not its input's a ShapeError; both name what is at fault.
 *
 * Intermediates: f receives `watch` as its second argument; `watch(name, t)` returns t and names
 * it. For each watched node the report's `nodes` holds the tape's gradient of the loss with
 * respect to it (as PyTorch's retain_grad), manual's gradient under the same name (if manual
 * returns one), and central differences made by adding h e_k to the node inside f. They are
 * ordered as the backward pass meets them, and `firstWrong` names the first that manual alone
 * gets wrong. A name manual returns that was never watched, or one watched on one run of f and
 * not another, is a WatchError; a node gradient of the wrong shape a NodeShapeError.
 *
 * @example
 * ```ts
 * const report = compareDerivatives(
 *   ({ x, w }) => sum(tanh(mul(x, w))),
 *   ({ x, w }) => {
 *     const d = nd.sub(1, nd.square(nd.tanh(nd.mul(x, w)))); // tanh' = 1 - tanh^2
 *     return { x: nd.mul(d, w), w: nd.mul(d, x) };
 *   },
 *   { x: nd.array([0.5, -1]), w: nd.array([2, 3]) },
 * );
 * report.ok; // true
 * console.log(formatReport(report)); // a row per input; each says "agree"
 * ```
 */
export function compareDerivatives<I extends CompareInputs>(
  f: (xs: TensorsOf<I>, watch: Watch) => TensorLike,
  manual: (xs: I, upstream: NDArray | null) => ManualGradients,
  inputs: I,
  options: CompareOptions = {},
): CompareReport {
  const { eps = 1e-6, atol = 1e-7, rtol = 1e-6, fdAtol = 1e-5, fdRtol = 1e-3, maxFdEntries = 2048, seed = 0, worst: keep = 5 } = options;
  const positional = Array.isArray(inputs);
  const names = positional ? inputs.map((_, i) => String(i)) : Object.keys(inputs);
  const given = names.map((n) => (inputs as Record<string, unknown>)[n]) as NDArray[];
  given.forEach((x: unknown, i) => {
    if (!(x instanceof NDArray)) throw new ValueError(`compareDerivatives: input "${names[i]}" is not an NDArray (got ${x === null ? "null" : typeof x})`);
    if (!nd.isFloat((x as NDArray).dtype)) throw new ValueError(`compareDerivatives: input "${names[i]}" has dtype ${(x as NDArray).dtype}; only float inputs have derivatives`);
  });
  if (!(maxFdEntries >= 1) || !Number.isInteger(maxFdEntries)) throw new ValueError(`compareDerivatives: maxFdEntries must be a positive integer, got ${maxFdEntries}`);
  const along = new Map<string, number>();
  for (const [name, axis] of Object.entries(options.along ?? {})) {
    const k = names.indexOf(name);
    if (k < 0) throw new ValueError(`compareDerivatives: options.along names "${name}", which is not an input (inputs: ${names.map((n) => `"${n}"`).join(", ")})`);
    along.set(name, nd.normalizeAxis(`compareDerivatives: options.along["${name}"]`, axis, given[k]!.ndim));
  }
  const base = given.map((x) => x.astype("float64"));
  const pack = <T>(xs: T[]): unknown => (positional ? xs : Object.fromEntries(names.map((n, i) => [n, xs[i]])));
  // every run of f but the first checks that it watches the names the first one did
  let learnt: Watcher | null = null;
  let shapes: Map<string, readonly number[]> | null = null;
  const call = (xs: Tensor[], runLabel = "", perturb: { name: string; delta: NDArray } | null = null): Tensor => {
    const w = new Watcher(names, learnt ? learnt.names : null, shapes, perturb, runLabel);
    const y = toTensor(f(pack(xs) as TensorsOf<I>, w.watch));
    w.finish();
    if (!learnt) learnt = w;
    return y;
  };

  const upstream = options.upstream ? options.upstream.astype("float64") : null;
  const upT = upstream ? new Tensor(upstream) : null;
  const objective = (y: Tensor): Tensor => {
    const y64 = y.dtype === "float64" ? y : y.astype("float64");
    if (!upT) {
      if (y.size !== 1) throw new ValueError(`compareDerivatives: f returned shape ${fmtShape(y.shape)}, not a scalar; pass options.upstream, the gradient of the loss with respect to f's output`);
      return sum(y64);
    }
    if (!nd.shapesEqual(y.shape, upT.shape)) throw new ShapeError(`compareDerivatives: options.upstream has shape ${fmtShape(upT.shape)} but f returned ${fmtShape(y.shape)}`);
    return sum(mul(y64, upT));
  };

  // 1. the tape
  const leaves = base.map((x) => new Tensor(x, true));
  const loss = objective(call(leaves));
  const watcher = learnt as unknown as Watcher;
  const watched = watcher.tensors;
  shapes = new Map(watcher.names.map((n, k) => [n, watched[k]!.shape]));
  const consumers = watchedConsumers(watched); // before the backward releases the graph
  const met: number[] = []; // the ids of the nodes the backward walk takes, in the order it takes them
  const allGrads = loss.requiresGrad
    ? gradients([loss], [...leaves, ...watched], undefined, { onNode: (e) => met.push(e.id) }).map((g) => g.data.astype("float64"))
    : [...base, ...watched.map((t) => t.data)].map((x) => nd.zerosLike(x, "float64"));
  const tape = allGrads.slice(0, leaves.length);
  const nodeTape = allGrads.slice(leaves.length);

  // 2. the hand-derived gradients, on copies so that manual cannot disturb the other witnesses
  const raw = manual(pack(base.map((x) => x.copy())) as I, upstream ? upstream.copy() : null);
  if (raw === null || typeof raw !== "object") throw new ValueError(`compareDerivatives: manual must return gradients by input name, got ${raw === null ? "null" : typeof raw}`);
  const rawNames = Array.isArray(raw) ? raw.map((_, i) => String(i)) : Object.keys(raw);
  const strangers = rawNames.filter((n) => !names.includes(n) && !watcher.names.includes(n) && (raw as Record<string, unknown>)[n] !== undefined);
  if (strangers.length && watcher.names.length) {
    throw new WatchError(
      `compareDerivatives: manual returned a gradient for ${quoteAll(strangers)}, which ${strangers.length === 1 ? "is" : "are"} neither an input nor a node f watched (inputs: ${quoteAll(names)}; watched: ${quoteAll(watcher.names)})`,
      strangers[0]!,
    );
  }
  if (strangers.length) {
    throw new ValueError(`compareDerivatives: manual returned gradients for ${strangers.map((n) => `"${n}"`).join(", ")}, which ${strangers.length === 1 ? "is not an input" : "are not inputs"} (inputs: ${names.map((n) => `"${n}"`).join(", ")})`);
  }
  const manualOf = names.map((n, i) => {
    const g = (raw as Record<string, unknown>)[n];
    if (g === null || g === undefined) return null;
    if (!(g instanceof NDArray)) throw new ValueError(`compareDerivatives: manual's gradient for "${n}" is not an NDArray (got ${typeof g})`);
    if (!nd.shapesEqual(g.shape, base[i]!.shape)) return { bad: `"${n}": ${fmtShape(g.shape)} for input ${fmtShape(base[i]!.shape)}` };
    return g.astype("float64");
  });
  const badShapes = manualOf.filter((g): g is { bad: string } => g !== null && !(g instanceof NDArray)).map((g) => g.bad);
  if (badShapes.length) throw new ShapeError(`compareDerivatives: manual's gradients have the wrong shape: ${badShapes.join("; ")}`);
  const nodeManual = watcher.names.map((n, k) => {
    const g = (raw as Record<string, unknown>)[n];
    if (g === null || g === undefined) return null;
    if (!(g instanceof NDArray)) throw new WatchError(`compareDerivatives: manual's gradient for node "${n}" is not an NDArray (got ${typeof g})`, n);
    if (!nd.shapesEqual(g.shape, watched[k]!.shape)) throw new NodeShapeError(`compareDerivatives: manual's gradient for node "${n}" has shape ${fmtShape(g.shape)} but the node has shape ${fmtShape(watched[k]!.shape)}`, n);
    return g.astype("float64");
  });

  // 3. central differences, all entries or a seeded sample of them
  const entryOf = (name: string, shape: readonly number[], tapeArr: NDArray, mArr: NDArray | null, sampleSeed: number, fdOf: (flat: Float64Array, out: Float64Array, positions: Int32Array | undefined) => void, axis: number | undefined): DerivativeEntry => {
    const size = shape.reduce((s, d) => s * d, 1);
    const positions = size > maxFdEntries ? Int32Array.from(new nd.RandomState(sampleSeed).choice(size, { size: maxFdEntries, replace: false }).toFlat()).sort() : null;
    const fd = nd.full(shape, NaN);
    fdOf(fd.data as Float64Array, fd.data as Float64Array, positions ?? undefined);
    const t = tapeArr.contiguous().data as Float64Array;
    const m = mArr ? (mArr.contiguous().data as Float64Array) : null;
    const d = fd.data as Float64Array;
    const tm = m ? pairError(t, m, null, shape, atol, rtol, keep) : null;
    const mf = m ? pairError(m, d, positions, shape, fdAtol, fdRtol, keep) : null;
    const tf = pairError(t, d, positions, shape, fdAtol, fdRtol, keep);
    return {
      name,
      shape,
      tape: tapeArr,
      manual: mArr,
      fd,
      sampled: positions ? Array.from(positions, (p) => unravel(p, shape)) : null,
      tapeVsManual: tm,
      manualVsFd: mf,
      tapeVsFd: tf,
      ...decide(tm, mf, tf),
      ...(axis === undefined
        ? {}
        : { along: { axis, tapeVsManual: m ? alongAxis(t, m, null, shape, axis) : null, manualVsFd: m ? alongAxis(m, d, positions, shape, axis) : null, tapeVsFd: alongAxis(t, d, positions, shape, axis) } }),
    };
  };
  const constants = leaves.map((t) => t.detach());
  const entries = names.map((name, i): DerivativeEntry => {
    const work = base[i]!.copy();
    const label = `when f re-ran with input "${name}" perturbed`;
    const evaluate = () => objective(call(constants.map((t, j) => (j === i ? new Tensor(work) : t)), label)).item();
    return entryOf(name, base[i]!.shape, tape[i]!, manualOf[i] as NDArray | null, seed + i, (_, out, positions) => centralDifferencesAt(work.data as Float64Array, evaluate, eps, out, positions), along.get(name));
  });

  // 4. the watched nodes: central differences by adding h e_k to the node inside f
  const order = backwardOrder(watched, met);
  const nodes = order.map((k): DerivativeEntry => {
    const name = watcher.names[k]!;
    const delta = nd.zeros(watched[k]!.shape);
    const label = `when f re-ran with node "${name}" perturbed`;
    const evaluate = () => objective(call(constants, label, { name, delta })).item();
    return entryOf(name, watched[k]!.shape, nodeTape[k]!, nodeManual[k]!, seed + names.length + k, (_, out, positions) => centralDifferencesAt(delta.data as Float64Array, evaluate, eps, out, positions), undefined);
  });
  const consumersOf = new Map(watcher.names.map((n, k) => [n, consumers[k]!.map((j) => watcher.names[j]!)]));
  return {
    ok: entries.every((e) => e.agree) && nodes.every((e) => e.agree),
    inputs: entries,
    missing: entries.filter((e) => e.manual === null).map((e) => e.name),
    nodes,
    firstWrong: findFirstWrong(nodes, consumersOf),
    tolerances: { atol, rtol, fdAtol, fdRtol, eps },
  };
}

const num = (x: number | undefined) => (x === undefined ? "-" : x === 0 ? "0" : x !== x ? "NaN" : x.toExponential(2));

/**
 * The report as a table, one row per input: each pair's max abs and relative error, the
 * verdict, then for each input that does not agree its three worst entries, and the errors along
 * any requested axis.
 */
export function formatReport(report: CompareReport): string {
  const out = table("input", report.inputs);
  if (report.nodes.length) {
    out.push("", "watched nodes, as the backward pass meets them (from the loss):", ...table("node", report.nodes), firstWrongStory(report.firstWrong, report.nodes));
  }
  const bad = report.inputs.filter((e) => !e.agree).map((e) => e.name);
  const badNodes = report.nodes.filter((e) => !e.agree).map((e) => e.name);
  out.push(
    report.ok
      ? `ok: every input agrees${report.missing.length ? ` (no manual gradient for ${report.missing.join(", ")})` : ""}${report.nodes.length ? `, and every watched node` : ""}`
      : bad.length
        ? `NOT ok: ${bad.join(", ")} ${bad.length === 1 ? "does" : "do"} not agree`
        : `NOT ok: watched node${badNodes.length === 1 ? "" : "s"} ${badNodes.join(", ")} ${badNodes.length === 1 ? "does" : "do"} not agree`,
  );
  return out.join("\n");
}

function table(what: string, entries: readonly DerivativeEntry[]): string[] {
  const head = [what, "shape", "tape/manual abs", "rel", "manual/fd abs", "rel", "tape/fd abs", "rel", "fd at", "verdict"];
  const rows = entries.map((e) => [
    e.name,
    fmtShape(e.shape),
    num(e.tapeVsManual?.maxAbs),
    num(e.tapeVsManual?.maxRel),
    num(e.manualVsFd?.maxAbs),
    num(e.manualVsFd?.maxRel),
    num(e.tapeVsFd.maxAbs),
    num(e.tapeVsFd.maxRel),
    e.sampled ? `${e.sampled.length} of ${e.tape.size}` : "all",
    e.verdict,
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((c, k) => (k < 2 || k === r.length - 1 ? c.padEnd(w[k]!) : c.padStart(w[k]!))).join("  ").trimEnd();
  const out = [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)];
  for (const e of entries) {
    if (!e.agree) {
      // the pair that shows the fault: fd's own pair when fd is odd or manual is missing
      const pair = e.oddOne === "fd" || !e.tapeVsManual ? (["tape", "fd", e.tapeVsFd] as const) : (["tape", "manual", e.tapeVsManual] as const);
      const [a, b, p] = pair;
      if (p && p.worst.length) {
        out.push(`${e.name}: worst ${a}/${b} entries: ${p.worst.slice(0, 3).map((w) => `[${w.index.join(",")}] ${a} ${w.a.toPrecision(6)} ${b} ${w.b.toPrecision(6)}`).join("; ")}`);
      }
    }
    if (e.along) {
      const series = e.along.tapeVsManual ?? e.along.tapeVsFd;
      out.push(`${e.name}: max abs ${e.along.tapeVsManual ? "tape/manual" : "tape/fd"} error along axis ${e.along.axis}: ${series.map(num).join(" ")}`);
    }
  }
  return out;
}
