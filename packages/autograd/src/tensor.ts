// Tensor's core: an NDArray plus what autodiff needs: whether it requires grad, the node that
// made it (null for a leaf), and its accumulated gradient. The ops as methods (`t.mul(u)`) and
// `t.backward()` are attached by tensor-methods.ts, so that the ops can import this class.

import * as nd from "@tapegrad/tensor";
import { NDArray, ValueError, fmtShape, type DType, type Shape } from "@tapegrad/tensor";
import { AutogradError, type Node } from "./tape.js";
import { noteGrad } from "./grad-bindings.js";

/** What an op accepts as an operand: a Tensor, an NDArray (wrapped, not copied) or a number (a constant of the other operand's float dtype). */
export type TensorLike = Tensor | NDArray | number;
type Nested = number | boolean | readonly Nested[];

/**
 * A value on the tape: an NDArray (`.data`) plus what autograd needs, whether it requires a
 * gradient, the node that made it (`gradFn`, null for a leaf) and the gradient accumulated by
 * backward (`.grad`). Ops on tensors that require grad record nodes; `backward()` walks them.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * x.grad!.toArray(); // [2, 4, 6]
 * ```
 */
export class Tensor {
  /** The values. Replacing it (`t.data = ...`) keeps the tensor's identity; shapes must match. */
  private _data: NDArray;
  private _requiresGrad: boolean;
  /** The node that produced this tensor; null for a leaf. */
  gradFn: Node | null = null;
  /** Which of gradFn's outputs this is. */
  readonly outputIndex: number;
  /** @internal the accumulated gradient, as a Tensor so that createGraph can differentiate it */
  _grad: Tensor | null = null;
  /** An optional label, shown by graph drawings and error messages. */
  name: string | undefined;
  /** @internal the stand-in the tape keeps where no VJP reads this tensor's values (valueFree) */
  _valueFree: Tensor | null = null;
  /** @internal why this tensor has no values: a stand-in (valueFree), a deferred gradient (shapeOnly) */
  _noValues: "stand-in" | "deferred" | null = null;

  constructor(data: NDArray, requiresGrad = false, outputIndex = 0) {
    if (requiresGrad && !nd.isFloat(data.dtype)) {
      throw new AutogradError(`Tensor: only float tensors can require gradients, got dtype ${data.dtype}`);
    }
    this._data = data;
    this._requiresGrad = requiresGrad;
    this.outputIndex = outputIndex;
  }

  get data(): NDArray {
    if (this._noValues !== null) throw noValues(this);
    return this._data;
  }
  set data(v: NDArray) {
    if (this._noValues !== null) throw noValues(this);
    if (!(v instanceof NDArray)) throw new ValueError("Tensor.data: expected an NDArray");
    if (!nd.shapesEqual(v.shape, this._data.shape)) {
      throw new nd.ShapeError(`Tensor.data: cannot replace data of shape ${fmtShape(this._data.shape)} with shape ${fmtShape(v.shape)}`);
    }
    this._data = v;
  }

  get shape(): readonly number[] { return this._data.shape; }
  get dtype(): DType { return this._data.dtype; }
  get ndim(): number { return this._data.ndim; }
  get size(): number { return this._data.size; }
  get isLeaf(): boolean { return this.gradFn === null; }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (this.gradFn !== null && !v) {
      throw new AutogradError("requiresGrad: cannot turn off requiresGrad on a non-leaf tensor; use detach()");
    }
    if (v && !nd.isFloat(this.dtype)) {
      throw new AutogradError(`requiresGrad: only float tensors can require gradients, got dtype ${this.dtype}`);
    }
    this._requiresGrad = v;
  }

  /** The accumulated gradient (an NDArray), or null before any backward reaches this tensor. */
  get grad(): NDArray | null {
    return this._grad === null ? null : this._grad.data;
  }
  set grad(v: NDArray | null) {
    if (v === null) {
      this._grad = null;
      noteGrad(this, null);
      return;
    }
    if (!nd.shapesEqual(v.shape, this.shape)) {
      throw new nd.ShapeError(`grad: cannot assign a gradient of shape ${fmtShape(v.shape)} to a tensor of shape ${fmtShape(this.shape)}`);
    }
    if (v.dtype !== this.dtype) {
      throw new nd.DTypeError(`grad: cannot assign a ${v.dtype} gradient to a ${this.dtype} tensor`);
    }
    this._grad = new Tensor(v);
    noteGrad(this, this._grad);
  }

  /** The gradient as a Tensor; after `backward({ createGraph: true })` it can be differentiated again. */
  get gradTensor(): Tensor | null {
    return this._grad;
  }

  /** The same values, cut from the graph: a leaf that does not require grad, sharing storage. */
  detach(): Tensor {
    return new Tensor(this._data);
  }

  /** Sets requiresGrad on a leaf and returns it (PyTorch's requires_grad_). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  zeroGrad(): void {
    this._grad = null;
    noteGrad(this, null);
  }

  item(): number { return this.data.item(); }
  toArray(): unknown { return this.data.toArray(); }
  get(...index: number[]): number { return this.data.get(...index); }
  toString(): string {
    const extra = this.gradFn ? `, gradFn=${this.gradFn.op}` : this.requiresGrad ? ", requiresGrad=true" : "";
    return `tensor(${this.data.toString()}${extra})`;
  }

}

/**
 * What a recorded node keeps of a non-leaf tensor whose values its VJP never reads (the inputs
 * of add, the output of mul, the parts of a split): its place in the graph (producer and
 * output index), its shape and dtype, but not its values, so that they are freed as soon as
 * the caller drops the tensor, as a hand-written backward keeps only what it reads. Leaves and
 * constants are kept as they are (the caller holds those anyway). The stand-in is a Tensor
 * like any other (one class, so the engine's property reads stay monomorphic) over an array
 * with the shape and dtype and no storage; reading its `.data` throws, naming the op.
 *
 * Below 256 elements (standInFrees) the tensor itself is kept: freeing a few hundred bytes early
 * buys nothing, and a stand-in per op would cost about a tenth of the tape's overhead on tiny
 * tensors. Such a tensor is made unreadable only while the VJP runs instead (Node.guard), so a
 * VJP that reads a value its op does not watch fails at any size.
 */
export function valueFree(t: Tensor): Tensor {
  if (t.gradFn === null || t._noValues !== null || t.size < standInFrees) return t;
  let s = t._valueFree;
  if (s === null) {
    s = shapeOnly(t.shape, t.dtype, "stand-in", t.outputIndex);
    s.gradFn = t.gradFn;
    s.name = t.name;
    t._valueFree = s;
  }
  return s;
}

let standInFrees = 256;

/** @internal for tests: stand-ins from this many elements (0: all), to look at what a node keeps of small tensors. */
export function setValueFreeMinSize(n: number): number {
  const prev = standInFrees;
  standInFrees = n;
  return prev;
}

const NO_VALUES_F64 = new Float64Array(0);
const NO_VALUES_F32 = new Float32Array(0);

/** @internal a Tensor with a shape and dtype and no values (over an array with no storage). */
export function shapeOnly(shape: readonly number[], dtype: DType, why: "stand-in" | "deferred", outputIndex = 0): Tensor {
  const empty = new NDArray(dtype === "float32" ? NO_VALUES_F32 : NO_VALUES_F64, shape, undefined, 0, { writable: false });
  const t = new Tensor(empty, why === "stand-in", outputIndex);
  t._noValues = why;
  return t;
}

/**
 * A VJP read the values of a tensor its op does not watch (a stand-in, valueFree). The engine
 * rethrows it naming the op whose VJP it was running (`op`); thrown elsewhere, op is null.
 */
export class UnwatchedRead extends AutogradError {
  constructor(
    readonly tensorShape: readonly number[],
    readonly madeBy: string | null,
    readonly op: string | null = null,
  ) {
    const what = `a ${fmtShape(tensorShape)} tensor${madeBy ? ` (made by ${madeBy})` : ""}`;
    super(
      op === null
        ? `a VJP read the values of ${what} that its op does not watch; add it to the op's watch list`
        : `backward: the VJP of ${op} read the values of ${what} that ${op} does not watch; add it to the watch list of ${op} (OpSpec.watch)`,
    );
  }
}

function noValues(t: Tensor): AutogradError {
  if (t._noValues === "deferred") return new AutogradError(`a ${fmtShape(t.shape)} gradient was read before the engine settled it (accumulator.ts); settle it first`);
  return new UnwatchedRead(t.shape, t.gradFn ? t.gradFn.op : null);
}

/** Options of tensor(): whether the new leaf requires a gradient, and its dtype (default float64). */
export interface TensorOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}

/** `tensor([[1, 2], [3, 4]], { requiresGrad: true })`, or around an NDArray (shared, not copied). */
export function tensor(data: Nested | NDArray | Tensor, options: TensorOptions = {}): Tensor {
  let arr: NDArray;
  if (data instanceof Tensor) arr = data.data;
  else if (data instanceof NDArray) arr = data;
  else arr = nd.array(data as never, undefined, options.dtype ?? "float64");
  if (options.dtype && arr.dtype !== options.dtype) arr = arr.astype(options.dtype);
  const t = new Tensor(arr);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A JS number next to a tensor takes its float dtype (numpy's weak scalars). */
export function toTensor(x: TensorLike, like?: Tensor | null): Tensor {
  if (x instanceof Tensor) return x;
  if (x instanceof NDArray) return new Tensor(x);
  if (typeof x === "number") return constant(x, like && like.dtype === "float32" ? "float32" : "float64");
  throw new ValueError(`expected a Tensor, NDArray or number, got ${x === null ? "null" : typeof x}`);
}

// Number operands become 0-d constants, shared from a small cache: a recorded `x.mul(2)` keeps
// its operands for the backward, and a million of them should keep one `2`, not a million.
// The shared arrays are read-only, so no one can change a constant under another op.
const constants = { float64: new Map<number, Tensor>(), float32: new Map<number, Tensor>() };

function constant(x: number, dtype: "float64" | "float32"): Tensor {
  const cache = constants[dtype];
  let t = cache.get(x);
  if (t === undefined) {
    const a = nd.scalar(x, dtype);
    t = new Tensor(a.view([], [], 0, false));
    if (Object.is(x, -0)) return t; // the Map would file -0 under 0
    if (cache.size >= 1024) cache.clear();
    cache.set(x, t);
  }
  return t;
}

/** Whether x is a tapegrad Tensor (a type guard). */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
