// Tensor's core: an NDArray plus what autodiff needs: whether it requires grad, the node that
// made it (null for a leaf), and its accumulated gradient. The ops as methods (`t.mul(u)`) and
// `t.backward()` are attached by tensor-methods.ts, so that the ops can import this class.

import * as nd from "@tapegrad/tensor";
import { NDArray, ValueError, fmtShape, type DType } from "@tapegrad/tensor";
import { AutogradError, type Node } from "./tape.js";
import { noteGrad } from "./compile-hook.js";

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
  /** @internal why this tensor is value-free (value-free.ts): a stand-in, a deferred gradient; null: it has values */
  _valueFree: "stand-in" | "deferred" | null = null;
  /** @internal the value-free stand-in the tape keeps where no VJP reads this tensor's values */
  _standIn: Tensor | null = null;

  constructor(data: NDArray, requiresGrad = false, outputIndex = 0) {
    if (requiresGrad && !nd.isFloat(data.dtype)) {
      throw new AutogradError(`Tensor: only float tensors can require gradients, got dtype ${data.dtype}`);
    }
    this._data = data;
    this._requiresGrad = requiresGrad;
    this.outputIndex = outputIndex;
  }

  get data(): NDArray {
    if (this._valueFree !== null) throw valueFreeRead(this);
    return this._data;
  }
  set data(v: NDArray) {
    if (this._valueFree !== null) throw valueFreeRead(this);
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
 * A VJP read the values of a tensor its op does not watch (a value-free stand-in). The engine
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

function valueFreeRead(t: Tensor): AutogradError {
  if (t._valueFree === "deferred") return new AutogradError(`a ${fmtShape(t.shape)} gradient was read before the engine settled it (accumulator.ts); settle it first`);
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
