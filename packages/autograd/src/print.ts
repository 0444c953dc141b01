// How a Tensor prints: PyTorch's repr, laid out by a port of torch/_tensor_str.py (its _Formatter,
// _vector_str, _tensor_str_with_formatter and _add_suffixes), so that a printed tensor reads as a
// PyTorch user expects: `tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)`. NDArray keeps
// numpy's layout (tensor's format.ts); a Tensor is not an NDArray to its user, and PyTorch's
// fixed four digits are what they compare by eye.
//
// Decided here: the dtype suffix spells tapegrad's dtype (`dtype=float32`, which a user can pass
// back as `{ dtype: "float32" }`), not `dtype=torch.float32`; it is shown unless the dtype is
// float64 (tapegrad's default, as float32 is PyTorch's) or bool (PyTorch omits it too). grad_fn is
// named from the node's op, `<MulBackward>`, without PyTorch's overload digit. The methods are set
// on Tensor's prototype from here, so that tensor.ts stays the class's core.

import type { DType, NDArray } from "@tapegrad/tensor";
import { ValueError } from "@tapegrad/tensor";
import { Tensor } from "./tensor.js";

/** PyTorch's print options (torch.set_printoptions), under PyTorch's names in camelCase. */
export interface TensorPrintOptions {
  /** digits after the point; 4 */
  precision?: number;
  /** print `...` summaries when the tensor has more elements than this; 1000 */
  threshold?: number;
  /** elements kept at each end of a summarised dim; 3 */
  edgeitems?: number;
  /** characters per line; 80 */
  linewidth?: number;
  /** force (true) or forbid (false) scientific notation; decided per tensor when undefined */
  sciMode?: boolean;
}

interface Opts {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sciMode: boolean | undefined;
}

function resolve(o: TensorPrintOptions | undefined): Opts {
  const r: Opts = {
    precision: o?.precision ?? 4,
    threshold: o?.threshold ?? 1000,
    edgeitems: o?.edgeitems ?? 3,
    linewidth: o?.linewidth ?? 80,
    sciMode: o?.sciMode,
  };
  for (const k of ["precision", "edgeitems", "linewidth"] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 0) throw new ValueError(`formatTensor: ${k} must be a non-negative integer, got ${r[k]}`);
  }
  if (!(r.threshold >= 0)) throw new ValueError(`formatTensor: threshold must be a non-negative number, got ${r.threshold}`);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Python's float formatting, where JS differs: ties round half to even (Python rounds the exact
// binary value, JS's toFixed/toExponential take the larger candidate), exponents have at least
// two digits, and -0 keeps its sign.

function isTieAt(x: number, digitsAfter: (p: number) => string, p: number): boolean {
  // a double that ends exactly in 5 at place p+1 has a short exact expansion, which 25 more
  // digits show in full
  const long = digitsAfter(p + 25);
  const frac = long.replace(/e.*$/, "");
  const tail = frac.slice(frac.length - 25);
  return /^50*$/.test(tail);
}

/** Python's `f"{x:.{p}f}"`. */
export function pyFixed(x: number, p: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s = a.toFixed(p);
  if (isTieAt(a, (q) => a.toFixed(Math.min(q, 100)), p)) {
    // JS rounded the tie up; Python keeps the even neighbour
    const lastDigit = Number(s.replace(".", "").slice(-1));
    if (lastDigit % 2 === 1) s = (a - 0.5 * 10 ** -p).toFixed(p);
  }
  return (neg ? "-" : "") + s;
}

/** Python's `f"{x:.{p}e}"`. */
export function pyExp(x: number, p: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s = a.toExponential(p);
  if (a !== 0 && isTieAt(a, (q) => a.toExponential(Math.min(q, 100)), p)) {
    const [m = ""] = s.split("e");
    const lastDigit = Number(m.replace(".", "").slice(-1));
    if (lastDigit % 2 === 1) {
      const e = Number(s.split("e")[1]);
      s = (a - 0.5 * 10 ** (e - p)).toExponential(p);
    }
  }
  const [mant, exp = "+0"] = s.split("e");
  const sign = exp[0] === "-" ? "-" : "+";
  const digits = exp.replace(/^[+-]/, "").padStart(2, "0");
  return `${neg ? "-" : ""}${mant}e${sign}${digits}`;
}

// ---------------------------------------------------------------------------------------------
// torch/_tensor_str.py's _Formatter: one notation and one width for the whole tensor.

interface Formatter {
  width: number;
  format(v: number): string;
}

function makeFormatter(values: readonly number[], dtype: DType, o: Opts): Formatter {
  const floating = dtype === "float64" || dtype === "float32";
  if (!floating) {
    const str = dtype === "bool" ? (v: number) => (v !== 0 ? "True" : "False") : (v: number) => String(v);
    let width = 1;
    for (const v of values) width = Math.max(width, str(v).length);
    return { width, format: (v) => str(v).padStart(width, " ") };
  }
  let intMode = true;
  let sciMode = false;
  let width = 1;
  const nz = values.filter((v) => Number.isFinite(v) && v !== 0);
  if (nz.length > 0) {
    let min = Infinity;
    let max = 0;
    for (const v of nz) {
      const a = Math.abs(v);
      if (a < min) min = a;
      if (a > max) max = a;
      if (v !== Math.ceil(v)) intMode = false;
    }
    if (intMode) {
      if (max / min > 1000 || max > 1e8) {
        sciMode = true;
        for (const v of nz) width = Math.max(width, pyExp(v, o.precision).length);
      } else {
        for (const v of nz) width = Math.max(width, pyFixed(v, 0).length + 1);
      }
    } else if (max / min > 1000 || max > 1e8 || min < 1e-4) {
      sciMode = true;
      for (const v of nz) width = Math.max(width, pyExp(v, o.precision).length);
    } else {
      for (const v of nz) width = Math.max(width, pyFixed(v, o.precision).length);
    }
  }
  if (o.sciMode !== undefined) sciMode = o.sciMode;
  const format = (v: number): string => {
    let s: string;
    if (sciMode) s = pyExp(v, o.precision);
    else if (intMode) {
      s = pyFixed(v, 0);
      if (Number.isFinite(v)) s += ".";
    } else s = pyFixed(v, o.precision);
    return s.padStart(width, " ");
  };
  return { width, format };
}

// ---------------------------------------------------------------------------------------------
// Layout: _vector_str and _tensor_str_with_formatter, walking the array through its strides.

/** The elements the formatter is fitted to (PyTorch's get_summarized_data). */
function summarizedValues(a: NDArray, summarize: boolean, edge: number): number[] {
  const out: number[] = [];
  const rec = (axis: number, p: number): void => {
    if (axis === a.ndim) {
      out.push(a.data[p]!);
      return;
    }
    const n = a.shape[axis]!;
    const st = a.strides[axis]!;
    if (summarize && n > 2 * edge) {
      for (let i = 0; i < edge; i++) rec(axis + 1, p + i * st);
      for (let i = n - edge; i < n; i++) rec(axis + 1, p + i * st);
    } else for (let i = 0; i < n; i++) rec(axis + 1, p + i * st);
  };
  rec(0, a.offset);
  return out;
}

function layout(a: NDArray, f: Formatter, indent0: number, summarize: boolean, o: Opts): string {
  const edge = o.edgeitems;
  const vector = (p: number, indent: number): string => {
    const n = a.shape[a.ndim - 1]!;
    const st = a.strides[a.ndim - 1]!;
    const perLine = Math.max(1, Math.floor((o.linewidth - indent) / (f.width + 2)));
    let data: string[];
    if (summarize && edge === 0) data = ["..."];
    else if (summarize && n > 2 * edge) {
      data = [];
      for (let i = 0; i < edge; i++) data.push(f.format(a.data[p + i * st]!));
      data.push(" ...");
      for (let i = n - edge; i < n; i++) data.push(f.format(a.data[p + i * st]!));
    } else {
      data = [];
      for (let i = 0; i < n; i++) data.push(f.format(a.data[p + i * st]!));
    }
    const lines: string[] = [];
    for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
    return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
  };
  const rec = (axis: number, p: number, indent: number): string => {
    const dim = a.ndim - axis;
    if (dim === 1) return vector(p, indent);
    const n = a.shape[axis]!;
    const st = a.strides[axis]!;
    const child = (i: number) => rec(axis + 1, p + i * st, indent + 1);
    let slices: string[];
    if (summarize && n > 2 * edge) {
      slices = [];
      for (let i = 0; i < edge; i++) slices.push(child(i));
      slices.push("...");
      for (let i = n - edge; i < n; i++) slices.push(child(i));
    } else slices = Array.from({ length: n }, (_, i) => child(i));
    return "[" + slices.join("," + "\n".repeat(dim - 1) + " ".repeat(indent + 1)) + "]";
  };
  return rec(0, a.offset, indent0);
}

function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** _add_suffixes: each suffix after a comma, on a new line when the line would pass linewidth. */
function addSuffixes(body: string, suffixes: readonly string[], indent: number, linewidth: number): string {
  const parts = [body];
  // PyTorch's arithmetic, kept as is (it counts two characters more than the line has)
  let last = body.length - body.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (last + s.length + 2 > linewidth) {
      parts.push(",\n" + " ".repeat(indent) + s);
      last = indent + s.length;
    } else {
      parts.push(", " + s);
      last += s.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

/** `MulBackward` for op "mul": PyTorch's naming of a backward node, from the op that recorded it. */
function gradFnName(op: string): string {
  return op.charAt(0).toUpperCase() + op.slice(1) + "Backward";
}

/**
 * A tensor as PyTorch's `repr(tensor)` prints it: the values with four digits after the point
 * (or in scientific notation when their magnitudes call for it), the dtype when it is not
 * float64, and `grad_fn=<...Backward>` for a tensor made by a recorded op or
 * `requires_grad=True` for a leaf that requires grad. `String(t)` and `console.log(t)` print
 * this.
 *
 * @example
 * ```ts
 * formatTensor(tensor([[1, 2], [3, 4]], { requiresGrad: true }));
 * // "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)"
 * formatTensor(tensor([0.5, 2], { dtype: "float32" })); // "tensor([0.5000, 2.0000], dtype=float32)"
 * ```
 */
export function formatTensor(t: Tensor, options?: TensorPrintOptions): string {
  const o = resolve(options);
  const prefix = "tensor(";
  const indent = prefix.length;
  const suffixes: string[] = [];
  let body: string;
  const a = valuesOf(t);
  if (a === null) {
    // a value-free stand-in keeps the shape and dtype of values the tape let go of
    body = "<values freed>";
    suffixes.push(`size=${pyTuple(t.shape)}`);
    if (t.dtype !== "float64") suffixes.push(`dtype=${t.dtype}`);
  } else {
    if (a.size === 0) {
      body = "[]";
      if (a.ndim !== 1) suffixes.push(`size=${pyTuple(a.shape)}`);
      if (a.dtype !== "float64") suffixes.push(`dtype=${a.dtype}`);
    } else {
      if (o.edgeitems === 0) suffixes.push(`size=${pyTuple(a.shape)}`);
      if (a.dtype !== "float64" && a.dtype !== "bool") suffixes.push(`dtype=${a.dtype}`);
      const summarize = a.size > o.threshold;
      const f = makeFormatter(summarizedValues(a, summarize, o.edgeitems), a.dtype, o);
      body = a.ndim === 0 ? f.format(a.data[a.offset]!).trimStart() : layout(a, f, indent, summarize, o);
    }
  }
  if (t.gradFn !== null) suffixes.push(`grad_fn=<${gradFnName(t.gradFn.op)}>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + body, suffixes, indent, o.linewidth);
}

/** The tensor's values, or null for one whose reading throws (a value-free stand-in): printing must not throw. */
function valuesOf(t: Tensor): NDArray | null {
  try {
    return t.data;
  } catch {
    return null;
  }
}

/** Node's util.inspect hook, by its registered name, so that no Node module is imported. */
export const inspectCustom: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

function define(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

define(Tensor.prototype, "toString", function (this: Tensor): string {
  return formatTensor(this);
});
define(Tensor.prototype, inspectCustom, function (this: Tensor): string {
  return formatTensor(this);
});
