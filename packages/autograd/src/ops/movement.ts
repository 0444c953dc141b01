// Movement ops: views (reshape, permute, slice, broadcastTo), their adjoints (sumTo, the
// zero-padded slice, the scatter-add of take), concat, casts. The forward of a view is a view:
// no data moves until a kernel reads it.

import * as nd from "@tapegrad/tensor";
import { defineOp } from "../define-op.js";
import { Tensor, toTensor, type TensorLike } from "../tensor.js";

const ops = {
  reshape: defineOp<{ shape: readonly number[] }>({
    name: "reshape",
    forward: ([x], { shape }) => nd.reshape(x!, shape),
    vjp: ([g], { inputs: [x] }) => [reshape(g!, x!.shape)],
    watch: "none",
  }),
  permute: defineOp<{ axes: readonly number[] }>({
    name: "permute",
    forward: ([x], { axes }) => nd.permute(x!, axes),
    vjp: ([g], { attrs: { axes } }) => {
      const inv = inversePermutation(axes);
      return [permute(g!, inv)];
    },
    watch: "none",
  }),
  slice: defineOp<{ specs: readonly nd.SliceSpec[] }>({
    name: "slice",
    forward: ([x], { specs }) => nd.slice(x!, specs),
    vjp: ([g], { inputs: [x], attrs: { specs } }): Tensor[] => [ops.sliceGrad([g!], { specs, shape: x!.shape })],
    watch: "none",
  }),
  /** The adjoint of slice: zeros of the source shape with g written into the sliced region. */
  sliceGrad: defineOp<{ specs: readonly nd.SliceSpec[]; shape: readonly number[] }>({
    name: "sliceGrad",
    forward: ([g], { specs, shape }) => {
      const out = nd.zeros(shape, g!.dtype);
      nd.slice(out, specs).assign(g!);
      return out;
    },
    vjp: ([gg], { attrs: { specs } }) => [slice(gg!, specs)],
    watch: "none",
  }),
  broadcastTo: defineOp<{ shape: readonly number[] }>({
    name: "broadcastTo",
    forward: ([x], { shape }) => nd.broadcastTo(x!, shape),
    vjp: ([g], { inputs: [x] }) => [sumTo(g!, x!.shape)],
    watch: "none",
  }),
  sumTo: defineOp<{ shape: readonly number[] }>({
    name: "sumTo",
    forward: ([x], { shape }) => nd.sumTo(x!, shape),
    vjp: ([g], { inputs: [x] }) => [broadcastTo(g!, x!.shape)],
    watch: "none",
  }),
  concat: defineOp<{ axis: number }>({
    name: "concat",
    forward: (xs, { axis }) => nd.concat(xs, axis),
    vjp: ([g], { inputs, attrs: { axis } }) => {
      let start = 0;
      return inputs.map((x) => {
        const n = x.shape[axis]!;
        const part = x.requiresGrad ? slice(g!, x.shape.map((_, i) => (i === axis ? ([start, start + n] as const) : null))) : null;
        start += n;
        return part;
      });
    },
    watch: "none",
  }),
  take: defineOp<{ axis: number }>({
    name: "take",
    forward: ([x, idx], { axis }) => nd.take(x!, idx!, axis),
    vjp: ([g], { inputs: [x, idx], attrs: { axis } }): (Tensor | null)[] => [ops.takeGrad([g!, idx!], { axis, shape: x!.shape }), null],
    watch: [1],
  }),
  /** The adjoint of take: zeros of the source shape, with g scatter-added at the indices. */
  takeGrad: defineOp<{ axis: number; shape: readonly number[] }>({
    name: "takeGrad",
    forward: ([g, idx], { axis, shape }) => nd.indexAdd(nd.zeros(shape, g!.dtype), idx!, g!, axis),
    vjp: ([gg], { inputs: [, idx], attrs: { axis } }) => [take(gg!, idx!, axis), null],
    watch: [1],
  }),
  cast: defineOp<{ dtype: nd.DType }>({
    name: "cast",
    forward: ([x], { dtype }) => (x!.dtype === dtype ? x! : x!.astype(dtype)),
    vjp: ([g], { inputs: [x] }) => [cast(g!, x!.dtype)],
    watch: "none",
  }),
  contiguous: defineOp({
    name: "contiguous",
    forward: ([x]) => x!.contiguous(),
    vjp: ([g]) => [g!],
    watch: "none",
  }),
  clone: defineOp({
    name: "clone",
    forward: ([x]) => nd.copy(x!),
    vjp: ([g]) => [g!],
    watch: "none",
  }),
};

export const movementOps = ops;

function inversePermutation(axes: readonly number[]): number[] {
  const inv = new Array<number>(axes.length);
  axes.forEach((a, i) => (inv[a] = i));
  return inv;
}

/**
 * The same elements in a new shape, in C order (torch.reshape); one dim may be -1, inferred
 * from the others. A view where the layout allows, else a copy; the same shape returns x itself.
 * A shape of another size is a ShapeError. Gradient: g reshaped back.
 *
 * @example
 * ```ts
 * reshape(tensor([[1, 2, 3], [4, 5, 6]]), [3, -1]).toArray(); // [[1, 2], [3, 4], [5, 6]]
 * ```
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x);
  if (nd.shapesEqual(shape, t.shape)) return t;
  return ops.reshape([t], { shape });
}

/**
 * The axes reordered: axis i of the result is axis axes[i] of x (torch.permute; negative axes
 * count from the end). A view, no copy; the identity order returns x itself. Gradient: g permuted
 * by the inverse order.
 */
export function permute(x: TensorLike, axes: readonly number[]): Tensor {
  const t = toTensor(x);
  nd.permute(t.data, axes); // validates, so that the VJP's inverse permutation is well defined
  const norm = axes.map((a) => nd.normalizeAxis("permute", a, t.ndim));
  if (norm.every((a, i) => a === i)) return t;
  return ops.permute([t], { axes: norm });
}

/**
 * A view of x by one spec per leading axis (numpy's basic indexing): a number picks an index
 * and drops the axis, `[start, stop, step]` (or `{ start, stop, step }`) takes a range, null
 * takes the whole axis. Gradient: g written into zeros of x's shape.
 */
export function slice(x: TensorLike, specs: readonly nd.SliceSpec[]): Tensor {
  return ops.slice([toTensor(x)], { specs });
}

/** x stretched to `shape` by numpy's broadcasting rules, as a view (torch.broadcast_to). Gradient: g summed back to x's shape (sumTo). A shape x does not broadcast to is a ShapeError. */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x);
  if (nd.shapesEqual(shape, t.shape)) return t;
  return ops.broadcastTo([t], { shape });
}

/** x summed down to `shape`, the adjoint of broadcasting `shape` up to x's shape: leading axes are summed away, and axes that are 1 in `shape` are summed with keepdims. Gradient: g broadcast back to x's shape. */
export function sumTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x);
  if (nd.shapesEqual(shape, t.shape)) return t;
  return ops.sumTo([t], { shape });
}

/** The tensors joined along an existing `axis` (default 0), as torch.cat; their other dims must match (else a ShapeError), and an empty list is a ValueError. Gradient: each input gets its slice of g. */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!xs || xs.length === 0) throw new nd.ValueError("concat: needs at least one tensor");
  const ts = xs.map((x) => toTensor(x));
  const ax = nd.normalizeAxis("concat", axis, ts[0]!.ndim);
  return ops.concat(ts, { axis: ax });
}

/** Gathers along `axis` (numpy's take); the indices are an int32 tensor, array or number. */
export function take(x: TensorLike, indices: nd.Indices | Tensor, axis?: number): Tensor {
  let t = toTensor(x);
  if (axis === undefined || axis === null) {
    t = reshape(t, [-1]);
    axis = 0;
  }
  const ax = nd.normalizeAxis("take", axis, t.ndim);
  const idx = indices instanceof Tensor ? indices.data : indices;
  const checked = new Tensor(nd.toIndexArray("take", idx, t.shape[ax]!));
  return ops.take([t, checked], { axis: ax });
}

/** x converted to `dtype`; the same dtype returns x itself. A float-to-float cast is differentiable (the gradient is cast back); a cast to int32 or bool is a constant that does not require grad. */
export function cast(x: TensorLike, dtype: nd.DType): Tensor {
  const t = toTensor(x);
  if (!nd.isDType(dtype)) throw new nd.DTypeError(`cast: unknown dtype ${JSON.stringify(dtype)}`);
  if (t.dtype === dtype) return t;
  // A cast to int32 or bool has no derivative: the result is a constant.
  if (!nd.isFloat(dtype)) return new Tensor(t.data.astype(dtype));
  return ops.cast([t], { dtype });
}

/**
 * A copy of x with its own storage, recorded (torch's Tensor.clone): writing into the copy
 * leaves x alone, and the gradient flows back to x unchanged.
 */
export function clone(x: TensorLike): Tensor {
  return ops.clone([toTensor(x)], undefined);
}

/** x in a C-contiguous layout: x itself when it already is, else a copy (torch's Tensor.contiguous). Gradient: g as it is. */
export function contiguous(x: TensorLike): Tensor {
  const t = toTensor(x);
  if (t.data.isContiguous()) return t;
  return ops.contiguous([t], undefined);
}
