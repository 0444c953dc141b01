// Every bad input throws the typed error, with a message that starts from the operation and
// names the shapes or values at fault; and a failed write leaves its destination untouched.

import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import {
  AxisError, DTypeError, IndexError, NDArray, ReadOnlyError, ShapeError, TapegradError, ValueError, arange, array, ones, zeros,
} from "../src/index.js";

type Case = [what: string, fn: () => unknown, type: new (...args: never[]) => Error, mentions: (string | RegExp)[]];

const m23 = () => zeros([2, 3]);
const bad = (v: unknown) => v as never;

const CASES: Case[] = [
  // broadcasting
  ["add of [2,3] and [4]", () => T.add(m23(), zeros([4])), ShapeError, ["add", "[2,3]", "[4]"]],
  ["mul of [2,3,1] and [4,2]", () => zeros([2, 3, 1]).mul(zeros([4, 2])), ShapeError, ["mul", "[2,3,1]", "[4,2]"]],
  ["where of mismatched shapes", () => T.where(zeros([2], "bool"), zeros([3]), 0), ShapeError, ["where", "[2]", "[3]"]],
  ["broadcastTo a smaller shape", () => zeros([2, 3]).broadcastTo([3]), ShapeError, ["broadcastTo", "[2,3]", "[3]"]],
  ["broadcastTo a clashing dim", () => zeros([2, 3]).broadcastTo([2, 4]), ShapeError, ["broadcastTo", "[2,3]", "[2,4]"]],
  ["assign a source that does not broadcast", () => m23().assign(zeros([3, 3])), ShapeError, ["assign", "[3,3]", "[2,3]"]],
  ["assign a larger source", () => zeros([3]).assign(zeros([2, 3])), ShapeError, ["assign", "[2,3]", "[3]"]],
  ["out= of the wrong shape", () => T.add(m23(), 1, zeros([3, 2])), ShapeError, ["add", "[3,2]", "[2,3]"]],
  ["out= of a unary op of the wrong shape", () => T.exp(m23(), zeros([6])), ShapeError, ["exp", "[6]", "[2,3]"]],
  ["out= of an int32 dtype for a float result", () => T.div(m23(), 2, zeros([2, 3], "int32")), DTypeError, ["div", "int32", "float64"]],
  ["sumTo a shape that does not broadcast", () => T.sumTo(m23(), [4]), ShapeError, ["sumTo", "[4]", "[2,3]"]],
  // matmul
  ["matmul with inner dims that differ", () => T.matmul(m23(), zeros([4, 5])), ShapeError, ["matmul", "[2,3]", "[4,5]"]],
  ["matmul vector of the wrong length", () => T.matmul(zeros([3]), zeros([4, 2])), ShapeError, ["matmul", "[3]", "[4,2]"]],
  ["matmul with batches that do not broadcast", () => T.matmul(zeros([2, 3, 4]), zeros([3, 4, 5])), ShapeError, ["matmul", "[2,3,4]", "[3,4,5]"]],
  ["matmul of a 0-d array", () => T.matmul(T.scalar(2), m23()), ValueError, ["matmul", "[]", "[2,3]"]],
  ["matmul out= of the wrong shape", () => T.matmul(m23(), zeros([3, 4]), zeros([4, 2])), ShapeError, ["matmul", "[4,2]", "[2,4]"]],
  // joining
  ["concat of mismatched shapes", () => T.concat([m23(), zeros([2, 4])], 0), ShapeError, ["concat", "[2,3]", "[2,4]"]],
  ["concat of different ranks", () => T.concat([m23(), zeros([3])]), ShapeError, ["concat", "[2,3]", "[3]"]],
  ["concat of nothing", () => T.concat([]), ValueError, ["concat"]],
  ["stack of mismatched shapes", () => T.stack([m23(), zeros([3, 2])]), ShapeError, ["stack", "[2,3]", "[3,2]"]],
  ["split into unequal sections", () => T.split(zeros([5, 2]), 2), ShapeError, ["split", "5", "[5,2]", "2"]],
  ["split at decreasing indices", () => T.split(zeros([5]), [3, 1]), IndexError, ["split", "[3,1]"]],
  ["split at an index past the end", () => T.split(zeros([5]), [7]), IndexError, ["split", "7"]],
  ["split into 0 sections", () => T.split(zeros([4]), 0), ValueError, ["split", "0"]],
  ["chunk into -1 chunks", () => T.chunk(zeros([4]), -1), ValueError, ["chunk", "-1"]],
  ["take out of range", () => T.take(zeros([3, 2]), [0, 3], 0), IndexError, ["take", "3"]],
  ["take a negative index out of range", () => T.take(zeros([3, 2]), [-4], 0), IndexError, ["take", "-4"]],
  ["take a non-integer index", () => T.take(zeros([3]), [1.5]), IndexError, ["take", "1.5"]],
  ["take bool indices", () => T.take(zeros([3]), zeros([2], "bool")), DTypeError, ["take", "bool"]],
  ["indexAdd with src of the wrong shape", () => T.indexAdd(zeros([3, 2]), [0, 1], zeros([3, 2])), ShapeError, ["indexAdd", "[3,2]", "[2,2]"]],
  ["indexAdd out of range", () => T.indexAdd(zeros([3]), [5], zeros([1])), IndexError, ["indexAdd", "5"]],
  // axes
  ["sum over axis 2 of a matrix", () => T.sum(m23(), 2), AxisError, ["sum", "2"]],
  ["sum over axis -3 of a matrix", () => T.sum(m23(), -3), AxisError, ["sum", "-3"]],
  ["sum over a repeated axis", () => T.sum(m23(), [0, -2]), AxisError, ["sum", "repeated", "0,-2"]],
  ["sum over a non-integer axis", () => T.sum(m23(), 0.5), AxisError, ["sum", "0.5"]],
  ["max over a bad axis", () => T.max(m23(), [1, 5]), AxisError, ["max", "5"]],
  ["argmax over a bad axis", () => T.argmax(m23(), 2), AxisError, ["argmax", "2"]],
  ["argmax over a list of axes", () => T.argmax(m23(), bad([0, 1])), AxisError, ["argmax", "0,1"]],
  ["softmax over a bad axis", () => T.softmax(m23(), 2), AxisError, ["softmax", "2"]],
  ["logsumexp over a bad axis", () => T.logsumexp(m23(), -3), AxisError, ["logsumexp", "-3"]],
  ["permute with a repeated axis", () => zeros([2, 3, 4]).permute(0, 0, 1), AxisError, ["permute", "0,0,1"]],
  ["permute with too few axes", () => zeros([2, 3, 4]).permute(1, 0), AxisError, ["permute", "1,0", "[2,3,4]"]],
  ["permute with an axis out of range", () => zeros([2, 3]).permute(0, 2), AxisError, ["permute", "2"]],
  ["swapaxes out of range", () => m23().swapaxes(0, 2), AxisError, ["swapaxes", "2"]],
  ["squeeze an axis that is not 1", () => m23().squeeze(1), ShapeError, ["squeeze", "1", "3", "[2,3]"]],
  ["squeeze an axis out of range", () => m23().squeeze(4), AxisError, ["squeeze", "4"]],
  ["unsqueeze out of range", () => m23().unsqueeze(4), AxisError, ["unsqueeze", "4"]],
  ["concat along a bad axis", () => T.concat([m23(), m23()], 2), AxisError, ["concat", "2"]],
  ["stack along a bad axis", () => T.stack([m23(), m23()], 4), AxisError, ["stack", "4"]],
  ["take along a bad axis", () => T.take(m23(), [0], 2), AxisError, ["take", "2"]],
  ["split along a bad axis", () => T.split(m23(), 1, -3), AxisError, ["split", "-3"]],
  // indices and slices
  ["get out of range", () => m23().get(2, 0), IndexError, ["get", "2", "[2,3]"]],
  ["get with a negative index out of range", () => m23().get(0, -4), IndexError, ["get", "-4", "[2,3]"]],
  ["get with too few indices", () => m23().get(1), IndexError, ["get", "[2,3]", "1"]],
  ["get with a non-integer index", () => m23().get(0, 1.5), IndexError, ["get", "1.5"]],
  ["set out of range", () => m23().set([0, 3], 1), IndexError, ["set", "3", "[2,3]"]],
  ["slice index out of range", () => m23().slice(2), IndexError, ["slice", "2", "[2,3]"]],
  // slice bounds beyond the axis clip, as numpy's (views.test.ts); a bound that is not an integer does not
  ["slice with a non-integer start", () => m23().slice(null, [0.5, 2]), IndexError, ["slice", "0.5", "1"]],
  ["slice with two ellipses", () => m23().slice("...", 0, "..."), IndexError, ["slice", "ellipsis"]],
  ["slice with too many specs", () => m23().slice(0, 0, 0), IndexError, ["slice", "3", "[2,3]"]],
  ["slice with a zero step", () => m23().slice([0, 2, 0]), ValueError, ["slice", "step", "0"]],
  ["slice with a non-integer step", () => m23().slice([0, 2, 1.5]), ValueError, ["slice", "1.5"]],
  ["item of a matrix", () => m23().item(), ValueError, ["item", "[2,3]"]],
  // dims and shapes
  ["zeros with a non-integer dim", () => zeros([2, 2.5]), ValueError, ["zeros", "[2,2.5]"]],
  ["zeros with a negative dim", () => zeros([-1, 3]), ValueError, ["zeros", "[-1,3]"]],
  ["zeros with a NaN dim", () => zeros([NaN]), ValueError, ["zeros", "NaN"]],
  ["ones with a non-array shape", () => ones(bad(3)), ValueError, ["ones", "3"]],
  ["full with a negative dim", () => T.full([2, -2], 1), ValueError, ["full", "[2,-2]"]],
  ["empty with a fractional dim", () => T.empty([0.5]), ValueError, ["empty", "0.5"]],
  ["broadcastTo a negative dim", () => zeros([1]).broadcastTo([-2]), ValueError, ["broadcastTo", "-2"]],
  ["reshape to a different size", () => m23().reshape(4, 2), ShapeError, ["reshape", "[2,3]", "[4,2]", "6"]],
  ["reshape with a -1 that does not divide", () => m23().reshape(-1, 4), ShapeError, ["reshape", "[2,3]", "[-1,4]"]],
  ["reshape with two -1s", () => m23().reshape(-1, -1), ShapeError, ["reshape", "[-1,-1]"]],
  ["reshape to a negative dim", () => m23().reshape(-2, -3), ValueError, ["reshape", "[-2,-3]"]],
  ["reshape to a fractional dim", () => m23().reshape(1.5, 4), ValueError, ["reshape", "[1.5,4]"]],
  ["array of a ragged list", () => array([[1, 2], [3]]), ShapeError, ["array", "ragged", "[2,2]"]],
  ["array with data that cannot take the shape", () => array([1, 2, 3], [2, 2]), ShapeError, ["array", "3", "[2,2]"]],
  ["arange with a zero step", () => arange(0, 5, 0), ValueError, ["arange", "step", "0"]],
  ["arange to infinity", () => arange(0, Infinity), ValueError, ["arange", "Infinity"]],
  ["linspace with a negative count", () => T.linspace(0, 1, -1), ValueError, ["linspace", "-1"]],
  // dtypes
  ["zeros of float16", () => zeros([2], bad("float16")), DTypeError, ["zeros", "float16"]],
  ["astype int64", () => m23().astype(bad("int64")), DTypeError, ["astype", "int64"]],
  ["array of complex64", () => array([1], undefined, bad("complex64")), DTypeError, ["array", "complex64"]],
  ["full of a dtype that is not a string", () => T.full([1], 0, bad(7)), DTypeError, ["full", "7"]],
  ["assign float values into int32", () => zeros([2], "int32").assign(array([0.5, 1])), DTypeError, ["assign", "float64", "int32"]],
  ["add of a string", () => T.add(m23(), bad("1")), DTypeError, ["add", "string"]],
  // values
  ["max of an empty array", () => T.max(zeros([0])), ValueError, ["max", "[0]"]],
  ["min of an empty axis", () => T.min(zeros([2, 0]), 1), ValueError, ["min", "[2,0]"]],
  ["argmax of an empty array", () => T.argmax(zeros([0])), ValueError, ["argmax", "empty"]],
  ["int32 to a negative power", () => T.pow(zeros([2], "int32"), -1), ValueError, ["pow", "negative"]],
  ["fill with a string", () => m23().fill(bad("x")), ValueError, ["fill", "string"]],
  // read-only
  ["set on a broadcast view", () => zeros([3]).broadcastTo([2, 3]).set([0, 0], 1), ReadOnlyError, ["set", "[2,3]"]],
  ["assign into a broadcast view", () => zeros([1, 3]).broadcastTo([4, 3]).assign(1), ReadOnlyError, ["assign", "[4,3]"]],
  ["indexAdd into a broadcast view", () => T.indexAdd(zeros([1]).broadcastTo([3]), [0], zeros([1])), ReadOnlyError, ["indexAdd", "[3]"]],
  ["matmul into a broadcast view", () => T.matmul(m23(), zeros([3, 2]), zeros([2]).broadcastTo([2, 2])), ReadOnlyError, ["matmul", "[2,2]"]],
];

describe("bad input throws the typed error, naming the operation and what was wrong", () => {
  for (const [what, fn, type, mentions] of CASES) {
    it(what, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, "no error was thrown").toBeInstanceOf(type);
      expect(err).toBeInstanceOf(TapegradError);
      const msg = (err as Error).message;
      expect((err as Error).name).toBe(type.name);
      // The message starts with the operation's name.
      expect(msg.startsWith(`${mentions[0]}:`), msg).toBe(true);
      for (const m of mentions) {
        if (typeof m === "string") expect(msg, msg).toContain(m);
        else expect(msg).toMatch(m);
      }
    });
  }
});

describe("a failed write writes nothing", () => {
  function snapshot(a: NDArray) {
    return { data: Array.from(a.data), version: a.version };
  }

  const failures: [string, (dst: NDArray) => unknown][] = [
    ["out= of the wrong shape", (dst) => T.add(zeros([3, 3]), 1, dst.slice(null, [0, 2]))],
    ["out= whose operands do not broadcast", (dst) => T.mul(zeros([4]), zeros([3]), dst.slice(0))],
    ["out= that is a broadcast view of dst", (dst) => T.exp(zeros([2, 3]), dst.slice([0, 1]).broadcastTo([2, 3]))],
    ["assign of a source that does not broadcast", (dst) => dst.assign(zeros([3, 2]))],
    ["set out of range", (dst) => dst.set([2, 0], 1)],
    ["indexAdd with an index out of range after valid ones", (dst) => T.indexAdd(dst, [0, 1, 9], ones([3, 3]))],
    ["indexAdd with src of the wrong shape", (dst) => T.indexAdd(dst, [0], ones([2, 3]))],
    ["matmul out= of the wrong shape", (dst) => T.matmul(ones([2, 2]), ones([2, 3]), dst.T)],
    ["matmul out= with inner dims that differ", (dst) => T.matmul(ones([2, 4]), ones([3, 3]), dst)],
    ["pow of int32 to a negative power, out= given", (dst) => T.pow(array([1, 2, 3], undefined, "int32"), -1, dst.slice(0))],
    ["a write through a broadcast view of dst", (dst) => dst.slice([0, 1]).broadcastTo([4, 3]).fill(5)],
  ];

  for (const [what, fail] of failures) {
    it(what, () => {
      const dst = array([[1, 2, 3], [4, 5, 6]]);
      const before = snapshot(dst);
      expect(() => fail(dst)).toThrow(TapegradError);
      expect(snapshot(dst)).toEqual(before);
    });
  }

  it("an int32 out for an integer result is fine; a bool out for a number is not", () => {
    const o = zeros([2], "int32");
    T.add(array([1, 2], undefined, "int32"), 1, o);
    expect(o.toArray()).toEqual([2, 3]);
    const b = zeros([2], "bool");
    const v = b.version;
    expect(() => T.add(array([1, 2], undefined, "int32"), 1, b)).toThrow(DTypeError);
    expect(b.version).toBe(v);
    expect(b.toArray()).toEqual([false, false]);
    const i = array([7, 8], undefined, "int32");
    const iv = i.version;
    expect(() => T.exp(array([1, 2]), i)).toThrow(DTypeError);
    expect(() => i.assign(array([0.5, 1]))).toThrow(DTypeError);
    expect(i.version).toBe(iv);
    expect(i.toArray()).toEqual([7, 8]);
  });
});
