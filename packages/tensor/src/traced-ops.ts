// The package's computing functions as kernels (trace.ts): what index.ts exports and what the
// NDArray methods call, so that a trace sees every call a user's code makes. The files that
// define them call each other directly, unwrapped: a kernel inside a kernel is part of it.

import * as cr from "./creation.js";
import * as ew from "./elementwise.js";
import * as red from "./reduce.js";
import * as mm from "./matmul.js";
import * as join from "./join.js";
import * as sp from "./special.js";
import * as views from "./views.js";
import { RandomState } from "./random.js";
import { kernel } from "./trace.js";
import type { DType } from "./dtype.js";
import type { NDArray } from "./ndarray.js";

// ---- creation
export const array = kernel("array", cr.array);
export const scalar = kernel("scalar", cr.scalar);
export const empty = kernel("empty", cr.empty, { uninitialized: true });
export const zeros = kernel("zeros", cr.zeros);
export const ones = kernel("ones", cr.ones);
export const full = kernel("full", cr.full);
export const zerosLike = kernel("zerosLike", cr.zerosLike);
export const onesLike = kernel("onesLike", cr.onesLike);
export const fullLike = kernel("fullLike", cr.fullLike);
export const arange = kernel("arange", cr.arange);
export const linspace = kernel("linspace", cr.linspace);
export const eye = kernel("eye", cr.eye);
/**
 * A 0-d array holding `read()`, in `dtype` (float64 by default). In a compiled step, `read` is
 * called again at every replay: the way to bring a JS value that changes between steps (a
 * learning rate a scheduler sets) into a traced computation.
 */
export const scalarFrom = kernel("scalarFrom", (read: () => number, dtype: DType = "float64"): NDArray => cr.scalar(read(), dtype));

// ---- views that may copy (the others never do, so they need no recording)
export const reshape = kernel("reshape", views.reshape);

// ---- elementwise: (a, out?) and (a, b, out?)
const U = { out: 1 };
const B = { out: 2 };
export const neg = kernel("neg", ew.neg, U);
export const exp = kernel("exp", ew.exp, U);
export const log = kernel("log", ew.log, U);
export const sqrt = kernel("sqrt", ew.sqrt, U);
export const abs = kernel("abs", ew.abs, U);
export const tanh = kernel("tanh", ew.tanh, U);
export const sigmoid = kernel("sigmoid", ew.sigmoid, U);
export const relu = kernel("relu", ew.relu, U);
export const square = kernel("square", ew.square, U);
export const sin = kernel("sin", ew.sin, U);
export const cos = kernel("cos", ew.cos, U);
export const sign = kernel("sign", ew.sign, U);
export const reciprocal = kernel("reciprocal", ew.reciprocal, U);
export const log1p = kernel("log1p", ew.log1p, U);
export const expm1 = kernel("expm1", ew.expm1, U);
export const floor = kernel("floor", ew.floor, U);
export const ceil = kernel("ceil", ew.ceil, U);
export const round = kernel("round", ew.round, U);
export const isnan = kernel("isnan", ew.isnan);
export const isfinite = kernel("isfinite", ew.isfinite);
export const add = kernel("add", ew.add, B);
export const sub = kernel("sub", ew.sub, B);
export const mul = kernel("mul", ew.mul, B);
export const div = kernel("div", ew.div, B);
export const pow = kernel("pow", ew.pow, B);
export const maximum = kernel("maximum", ew.maximum, B);
export const minimum = kernel("minimum", ew.minimum, B);
export const eq = kernel("eq", ew.eq, B);
export const ne = kernel("ne", ew.ne, B);
export const lt = kernel("lt", ew.lt, B);
export const le = kernel("le", ew.le, B);
export const gt = kernel("gt", ew.gt, B);
export const ge = kernel("ge", ew.ge, B);
export const sigmoidBackward = kernel("sigmoidBackward", ew.sigmoidBackward, B);
export const tanhBackward = kernel("tanhBackward", ew.tanhBackward, B);
export const clip = kernel("clip", ew.clip);
export const where = kernel("where", ew.where, { out: 3 });
export const copy = kernel("copy", ew.copy);
export const fill = kernel("fill", ew.fill);
export const assign = kernel("assign", ew.assign);

// ---- reductions
export const sum = kernel("sum", red.sum);
export const prod = kernel("prod", red.prod);
export const mean = kernel("mean", red.mean);
export const max = kernel("max", red.max);
export const min = kernel("min", red.min);
export const all = kernel("all", red.all);
export const any = kernel("any", red.any);
export const variance = kernel("variance", red.variance);
export const std = kernel("std", red.std);
export const argmax = kernel("argmax", red.argmax);
export const argmin = kernel("argmin", red.argmin);
export const logsumexp = kernel("logsumexp", red.logsumexp);
export const softmax = kernel("softmax", red.softmax);
export const logSoftmax = kernel("logSoftmax", red.logSoftmax);
export const sumTo = kernel("sumTo", red.sumTo);

// ---- products, joins, gathers
export const matmul = kernel("matmul", mm.matmul, B);
export const matmulTN = kernel("matmulTN", mm.matmulTN);
export const dot = kernel("dot", mm.dot);
export const outer = kernel("outer", mm.outer);
export const concat = kernel("concat", join.concat);
export const stack = kernel("stack", join.stack);
export const split = kernel("split", join.split);
export const chunk = kernel("chunk", join.chunk);
export const take = kernel("take", join.take);
export const indexAdd = kernel("indexAdd", join.indexAdd);
export const toIndexArray = kernel("toIndexArray", join.toIndexArray);
export const erf = kernel("erf", sp.erf);
export const unfold = kernel("unfold", sp.unfold);
export const unfoldBackward = kernel("unfoldBackward", sp.unfoldBackward);

// ---- the random streams: a draw advances the stream, so a replay draws again
{
  const proto = RandomState.prototype as unknown as Record<string, (...args: never[]) => unknown>;
  for (const m of ["seed", "setState", "randn", "rand", "standardNormal", "normal", "uniform", "randint", "choice", "permutation", "shuffle"]) {
    proto[m] = kernel(`RandomState.${m}`, proto[m]!);
  }
}
