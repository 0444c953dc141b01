// Value-free tensors: a Tensor with a shape, a dtype and a place in the graph, but no values.
// The tape keeps one where no VJP reads a tensor's values (valueFree), and the accumulator's
// deferred weight gradients are value-free until it settles them. Reading one throws
// (Tensor.data: UnwatchedRead, naming the op).

import { NDArray, type DType } from "@tapegrad/tensor";
import { Tensor } from "./tensor.js";

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
  if (t.gradFn === null || t._valueFree !== null || t.size < standInFrees) return t;
  let s = t._standIn;
  if (s === null) {
    s = valueFreeTensor(t.shape, t.dtype, "stand-in", t.outputIndex);
    s.gradFn = t.gradFn;
    s.name = t.name;
    t._standIn = s;
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

/** @internal a value-free Tensor of this shape and dtype (over an array with no storage). */
export function valueFreeTensor(shape: readonly number[], dtype: DType, why: "stand-in" | "deferred", outputIndex = 0): Tensor {
  const empty = new NDArray(dtype === "float32" ? NO_VALUES_F32 : NO_VALUES_F64, shape, undefined, 0, { writable: false });
  const t = new Tensor(empty, why === "stand-in", outputIndex);
  t._valueFree = why;
  return t;
}
