// Pictures of the tape: reads the recorded graph behind some tensors (graphOf, a read-only view)
// and writes it as Graphviz DOT, data flowing from the leaves to the outputs. Read it before
// backward, or after a backward with retainGraph: a released op has forgotten its inputs' and
// outputs' shapes.

import { graphOf, type GraphOp, type Tensor } from "@tapegrad/autograd";

export interface DotOptions {
  /** Names for tensors (parameters, inputs): a Map, or [name, tensor] pairs as namedParameters() gives. Falls back to tensor.name. */
  names?: Map<Tensor, string> | Iterable<readonly [string, Tensor]>;
  /** A caption drawn above the graph. */
  title?: string;
  /** Graphviz rank direction: "TB" (top to bottom, default) or "LR". */
  rankdir?: "TB" | "LR" | "BT" | "RL";
  /** A label for the edge leaving output `index` of a multi-output node (e.g. the gates of a split). */
  outputLabel?: (op: GraphOp, index: number) => string | undefined;
  /** A label for an edge by the tensor it carries (a leaf, or an op's output): e.g. its gradient after a backward. */
  edgeLabel?: (tensor: Tensor) => string | undefined;
}

export interface GraphSummary {
  /** op name -> how many nodes of it */
  ops: Record<string, number>;
  /** leaves with requiresGrad (what backward fills), in the order found */
  leaves: { name: string | undefined; shape: readonly number[] }[];
  /** tensors the graph reads that take no gradient (inputs, constants) */
  constants: number;
  nodes: number;
}

const py = (s: readonly number[]) => `(${s.join(", ")}${s.length === 1 ? "," : ""})`;
const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** Every op reachable from the outputs, oldest first (ids are a topological order). */
export function collectNodes(outputs: readonly Tensor[]): GraphOp[] {
  return [...graphOf(...outputs).ops];
}

function nameMap(names: DotOptions["names"]): Map<Tensor, string> {
  if (!names) return new Map();
  if (names instanceof Map) return names;
  return new Map([...names].map(([k, t]) => [t, k] as [Tensor, string]));
}

/**
 * The graph behind `outputs` as DOT. Ops are boxes labelled with the op and its output shape;
 * leaves that take a gradient (parameters) are labelled with their name and shape; tensors
 * read without a gradient (inputs, constants) are ellipses; each output gets a node of its own
 * (its name from `outputs` when given as a record).
 */
export function toDot(outputs: Tensor | readonly Tensor[] | Record<string, Tensor>, options: DotOptions = {}): string {
  const named: [string | undefined, Tensor][] =
    Array.isArray(outputs) ? (outputs as readonly Tensor[]).map((t) => [undefined, t]) : isTensorLike(outputs) ? [[undefined, outputs as Tensor]] : Object.entries(outputs as Record<string, Tensor>);
  const names = nameMap(options.names);
  const nameOf = (t: Tensor) => names.get(t) ?? t.name;
  const graph = graphOf(...named.map(([, t]) => t));
  const nodes = graph.ops;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const lines: string[] = [
    "digraph tape {",
    `  rankdir=${options.rankdir ?? "TB"};`,
    '  graph [fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.35];',
    '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#dbe9f6", color="#5b7fa6"];',
    '  edge [color="#555555", arrowsize=0.7, fontname="Helvetica", fontsize=11, fontcolor="#8a3b12"];',
  ];
  if (options.title) lines.push(`  labelloc=t; label=${q(options.title)};`);

  const tensorIds = new Map<Tensor, string>();
  let k = 0;
  const tensorNode = (t: Tensor, leaf: boolean): string => {
    let id = tensorIds.get(t);
    if (id) return id;
    id = `t${k++}`;
    tensorIds.set(t, id);
    const name = nameOf(t);
    const label = `${name ?? (leaf ? "leaf" : "const")}\n${py(t.shape)}`;
    lines.push(
      leaf
        ? `  ${id} [label=${q(label)}, fillcolor="#fde3c4", color="#c07a2c"];`
        : `  ${id} [label=${q(label)}, shape=ellipse, style=filled, fillcolor="#eeeeee", color="#999999"];`,
    );
    return id;
  };

  for (const n of nodes) {
    const shapes = n.outputShapes;
    const same = shapes.length > 1 && shapes.every((s) => s.join() === shapes[0]!.join());
    const shapeText = shapes.length === 0 ? "(released)" : shapes.length === 1 ? py(shapes[0]!) : same ? `${shapes.length} x ${py(shapes[0]!)}` : shapes.map(py).join(" ");
    lines.push(`  n${n.id} [label=${q(`${n.op}\n${shapeText}`)}];`);
  }
  const multiLabel = (op: number, index: number): string | undefined => {
    const producer = byId.get(op)!;
    return producer.outputShapes.length > 1 ? options.outputLabel?.(producer, index) ?? `[${index}]` : undefined;
  };
  for (const n of nodes) {
    for (const input of n.inputs) {
      let from: string | null = null;
      let label: string | undefined;
      if (input.kind === "leaf") from = tensorNode(input.tensor, true);
      else if (input.kind === "op") {
        from = `n${input.op}`;
        label = multiLabel(input.op, input.index);
      } else from = tensorNode(input.tensor, false);
      const extra = input.kind !== "constant" ? options.edgeLabel?.(input.tensor) : undefined;
      if (extra) label = label ? `${label}\n${extra}` : extra;
      lines.push(`  ${from} -> n${n.id}${label ? ` [label=${q(label)}]` : ""};`);
    }
  }
  named.forEach(([key, t], i) => {
    const label = `${key ?? nameOf(t) ?? `output ${i}`}\n${py(t.shape)}`;
    lines.push(`  out${i} [label=${q(label)}, shape=ellipse, style=filled, fillcolor="#d4edc9", color="#4f8a3c"];`);
    const made = graph.outputs[i];
    const from = made ? `n${made.op}` : tensorNode(t, t.requiresGrad);
    const multi = made ? multiLabel(made.op, made.index) : undefined;
    lines.push(`  ${from} -> out${i}${multi ? ` [label=${q(multi)}]` : ""};`);
  });
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** Counts of what the graph behind `outputs` holds (for a caption or a test). */
export function summarizeGraph(outputs: readonly Tensor[], names?: DotOptions["names"]): GraphSummary {
  const nodes = collectNodes(outputs);
  const nm = nameMap(names);
  const ops: Record<string, number> = {};
  const leaves = new Set<Tensor>();
  const constants = new Set<Tensor>();
  for (const n of nodes) {
    ops[n.op] = (ops[n.op] ?? 0) + 1;
    for (const input of n.inputs) {
      if (input.kind === "leaf") leaves.add(input.tensor);
      else if (input.kind === "constant" && input.tensor.gradFn === null) constants.add(input.tensor);
    }
  }
  return { ops, leaves: [...leaves].map((t) => ({ name: nm.get(t) ?? t.name, shape: t.shape })), constants: constants.size, nodes: nodes.length };
}

function isTensorLike(x: unknown): boolean {
  return typeof x === "object" && x !== null && "gradFn" in x && "data" in x;
}

let viz: Promise<import("@viz-js/viz").Viz> | null = null;

/** DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): no system install needed. */
export async function dotToSvg(dot: string): Promise<string> {
  viz ??= import("@viz-js/viz").then((m) => m.instance());
  return (await viz).renderString(dot, { format: "svg", engine: "dot" });
}
