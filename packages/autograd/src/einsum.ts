// einsum: the equation is parsed into one list of labels per operand, then lowered to ops that
// have gradients already: a repeated label is a diagonal, a label no one else reads is summed
// out, and each pair of operands is contracted by one batched matmul (permute, reshape, matmul,
// reshape). A composite: it has no VJP of its own.

import * as nd from "@tapegrad/tensor";
import { Tensor, toTensor, type TensorLike } from "./tensor.js";
import { matmul } from "./ops/matmul.js";
import { sum } from "./ops/reduce.js";
import { broadcastTo, permute, reshape } from "./ops/movement.js";
import { diagonal } from "./composite-indexing.js";

/** A labelled tensor: one label per axis (letters, or "…k" for the k-th ellipsis dim from the left of the widest). */
interface Term {
  t: Tensor;
  labels: string[];
}

const LETTER = /^[A-Za-z]$/;

/** The labels of one side of the equation, with "..." kept as a marker. */
function parseTerm(text: string, where: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("...", i)) {
      if (out.includes("...")) throw new nd.ValueError(`einsum: ${where} has more than one "..."`);
      out.push("...");
      i += 2;
    } else if (LETTER.test(text[i]!)) out.push(text[i]!);
    else throw new nd.ValueError(`einsum: invalid subscript '${text[i]}' in ${where}; subscripts are letters a-z, A-Z and "..."`);
  }
  return out;
}

/** The parsed equation: each operand's labels (ellipsis expanded) and the output's. */
function parse(equation: string, shapes: readonly (readonly number[])[]): { inputs: string[][]; output: string[] } {
  if (typeof equation !== "string") throw new nd.ValueError(`einsum: the equation must be a string, got ${typeof equation}`);
  const eq = equation.replace(/\s+/g, "");
  const arrow = eq.indexOf("->");
  if (arrow >= 0 && eq.indexOf("->", arrow + 1) >= 0) throw new nd.ValueError(`einsum: "${equation}" has more than one "->"`);
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(",");
  if (terms.length !== shapes.length) {
    throw new nd.ValueError(`einsum: "${equation}" names ${terms.length} operand${terms.length === 1 ? "" : "s"} but ${shapes.length} ${shapes.length === 1 ? "was" : "were"} given`);
  }
  const raw = terms.map((s, i) => parseTerm(s, `operand ${i} ("${s}")`));
  // how many dims each operand's "..." covers; the widest sets the ellipsis's labels, right-aligned
  const spans = raw.map((labels, i) => {
    const named = labels.filter((l) => l !== "...").length;
    const nd_ = shapes[i]!.length;
    const has = labels.includes("...");
    if (has ? named > nd_ : named !== nd_) {
      throw new nd.ShapeError(`einsum: operand ${i} has shape ${nd.fmtShape(shapes[i]!)} (${nd_} dims) but its subscripts "${terms[i]}" name ${named}`);
    }
    return has ? nd_ - named : 0;
  });
  const width = Math.max(0, ...spans);
  const ell = (span: number) => Array.from({ length: span }, (_, k) => `…${width - span + k}`);
  const inputs = raw.map((labels, i) => labels.flatMap((l) => (l === "..." ? ell(spans[i]!) : [l])));
  let output: string[];
  if (arrow >= 0) {
    const text = eq.slice(arrow + 2);
    const labels = parseTerm(text, `the output ("${text}")`);
    const seen = new Set<string>();
    for (const l of labels) {
      if (l === "...") continue;
      if (seen.has(l)) throw new nd.ValueError(`einsum: output subscript '${l}' appears more than once in "${equation}"`);
      seen.add(l);
      if (!inputs.some((ls) => ls.includes(l))) throw new nd.ValueError(`einsum: output subscript '${l}' does not appear in any operand of "${equation}"`);
    }
    output = labels.flatMap((l) => (l === "..." ? ell(width) : [l]));
  } else {
    // implicit output: the ellipsis dims, then the letters used once, in alphabetical order
    const counts = new Map<string, number>();
    for (const ls of inputs) for (const l of ls) if (!l.startsWith("…")) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort();
    output = [...ell(width), ...once];
  }
  return { inputs, output };
}

const show = (l: string) => (l.startsWith("…") ? `... dim ${l.slice(1)}` : `'${l}'`);

/** Checks that every label's sizes agree across operands (1 broadcasts); returns each label's size. */
function labelSizes(inputs: readonly string[][], shapes: readonly (readonly number[])[]): Map<string, number> {
  const size = new Map<string, number>();
  const from = new Map<string, number>();
  inputs.forEach((labels, i) => {
    labels.forEach((l, a) => {
      const d = shapes[i]![a]!;
      const prev = size.get(l);
      if (prev === undefined || prev === 1) {
        size.set(l, d);
        from.set(l, i);
      } else if (d !== prev && d !== 1) {
        throw new nd.ShapeError(`einsum: subscript ${show(l)} has size ${prev} in operand ${from.get(l)} (shape ${nd.fmtShape(shapes[from.get(l)!]!)}) but ${d} in operand ${i} (shape ${nd.fmtShape(shapes[i]!)})`);
      }
    });
  });
  return size;
}

/** A term with each repeated label taken along its diagonal (sizes must agree: no implicit min). */
function takeDiagonals(term: Term, index: number): Term {
  let { t, labels } = term;
  for (;;) {
    const p = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (p < 0) return { t, labels };
    const first = labels.indexOf(labels[p]!);
    if (t.shape[first] !== t.shape[p]) {
      throw new nd.ShapeError(`einsum: subscript ${show(labels[p]!)} repeats in operand ${index} on axes of sizes ${t.shape[first]} and ${t.shape[p]} (shape ${nd.fmtShape(t.shape)})`);
    }
    t = diagonal(t, 0, first, p);
    labels = [...labels.filter((_, i) => i !== first && i !== p), labels[p]!];
  }
}

/** The term with the labels not in `keep` summed away. */
function sumOut(term: Term, keep: ReadonlySet<string>): Term {
  const axes = term.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (axes.length === 0) return term;
  return { t: sum(term.t, axes), labels: term.labels.filter((l) => keep.has(l)) };
}

/** The term's axes in the order `order` (a permutation of its labels). */
function arrange(term: Term, order: readonly string[]): Tensor {
  return permute(term.t, order.map((l) => term.labels.indexOf(l)));
}

/** Two terms contracted by one batched matmul over the labels they share that `keep` does not need. */
function contract(a: Term, b: Term, keep: ReadonlySet<string>, size: ReadonlyMap<string, number>): Term {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  // a size-1 dim facing a larger one broadcasts first
  const full = (term: Term, order: string[]): Tensor => {
    const t = arrange(term, order);
    return broadcastTo(t, order.map((l, i) => (batch.includes(l) || summed.includes(l) ? size.get(l)! : t.shape[i]!)));
  };
  const n = (ls: readonly string[]) => ls.reduce((p, l) => p * size.get(l)!, 1);
  const sizes = (ls: readonly string[], t: Term) => ls.map((l) => t.t.shape[t.labels.indexOf(l)]!);
  const am = reshape(full(a, [...batch, ...aOnly, ...summed]), [n(batch), nd.sizeOf(sizes(aOnly, a)), n(summed)]);
  const bm = reshape(full(b, [...batch, ...summed, ...bOnly]), [n(batch), n(summed), nd.sizeOf(sizes(bOnly, b))]);
  const out = reshape(matmul(am, bm), [...batch.map((l) => size.get(l)!), ...sizes(aOnly, a), ...sizes(bOnly, b)]);
  return { t: out, labels: [...batch, ...aOnly, ...bOnly] };
}

/**
 * torch.einsum (numpy's): the sum of products that `equation` spells, as "ij,jk->ik" (matmul),
 * "bij,bjk->bik" (batched matmul), "ii->" (trace), "ii->i" (diagonal), "i,j->ij" (outer),
 * "...ij->...ji". Without "->" the output is the ellipsis dims, then the letters used once, in
 * alphabetical order. A letter repeated within an operand takes the diagonal; a letter missing
 * from the output is summed; dims of size 1 broadcast. Built from diagonal, sum, permute, reshape
 * and matmul, so gradients of any order come from theirs. A bad equation is a ValueError naming
 * the subscript or operand at fault; sizes that disagree are a ShapeError naming both operands.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);
 * einsum("ij,jk->ik", a, a).toArray(); // [[7, 10], [15, 22]]
 * einsum("ii", a).item(); // 5
 * einsum("ij->j", a).toArray(); // [4, 6]
 * ```
 */
export function einsum(equation: string, ...operands: (TensorLike | readonly TensorLike[])[]): Tensor {
  // torch also takes the operands as one list
  const flat = operands.length === 1 && Array.isArray(operands[0]) ? (operands[0] as readonly TensorLike[]) : (operands as TensorLike[]);
  if (flat.length === 0) throw new nd.ValueError("einsum: needs at least one operand");
  const ts = flat.map((x) => toTensor(x));
  const shapes = ts.map((t) => t.shape);
  const { inputs, output } = parse(equation, shapes);
  const size = labelSizes(inputs, shapes);
  const outSet = new Set(output);
  let terms: Term[] = ts.map((t, i) => takeDiagonals({ t, labels: inputs[i]! }, i));
  // a label that only one operand reads, and the output does not, is summed away at once
  terms = terms.map((term, i) => {
    const others = new Set(terms.flatMap((o, j) => (j === i ? [] : o.labels)));
    return sumOut(term, new Set(term.labels.filter((l) => outSet.has(l) || others.has(l))));
  });
  let acc = terms[0]!;
  for (let i = 1; i < terms.length; i++) {
    const keep = new Set([...output, ...terms.slice(i + 1).flatMap((o) => o.labels)]);
    acc = sumOut(contract(acc, terms[i]!, keep, size), keep);
  }
  acc = sumOut(acc, outSet);
  const t = arrange(acc, output);
  // an output label whose operand had size 1 while another's was larger (no contraction met it)
  const want = output.map((l) => size.get(l)!);
  return nd.shapesEqual(t.shape, want) ? t : broadcastTo(t, want);
}
