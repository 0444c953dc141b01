# Reference numbers for test/numpy.test.ts: what numpy answers for rounding, pow's edge cases,
# float32 arithmetic and transcendental functions, dtype promotion, reductions with NaN and
# ties, numerically awkward softmax/logsumexp inputs, astype, arange/linspace, and whether
# reshape of a given strided view returns a view or a copy.
#
# Regenerate (from the repository root) with:
#     python3 packages/tensor/test/data/make-tensor-data.py
# Written with numpy 2.4.6 on Python 3.11.7 (x86-64 Linux). The file records the version it used.
#
# Floats that JSON cannot hold are written as "nan", "inf", "-inf", and negative zero as "-0",
# so that the tests can check the sign of a zero where numpy's answer has one.

import json
import math
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tensor-numpy.json")
rng = np.random.RandomState(20240607)


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0 and math.copysign(1.0, v) < 0:
        return "-0"
    return v


def encs(a):
    return [enc(v) for v in np.asarray(a).ravel()]


data = {"numpy": np.__version__}

# --- rounding: half to even, signs of zero kept
rnd = np.array([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5, 0.49999999999999994, -0.49999999999999994,
                2.675, 1e300, -1e-300, 4503599627370495.5, 4503599627370497.0, -0.0, np.nan, np.inf, -np.inf,
                0.4, -0.4, 1.4999999999999998, 123456.5, -123457.5])
with np.errstate(over="ignore"):
    data["round"] = {"x": encs(rnd), "float64": encs(np.round(rnd)),
                     "float32": encs(np.round(rnd.astype(np.float32))), "x32": encs(rnd.astype(np.float32))}

# --- floor, ceil, sign, abs, neg: signs of zero
fx = np.array([-0.0, 0.0, -0.5, 0.5, -1.5, np.nan, np.inf, -np.inf, -3.0, 2.0])
data["signs"] = {"x": encs(fx), "floor": encs(np.floor(fx)), "ceil": encs(np.ceil(fx)), "sign": encs(np.sign(fx)),
                 "abs": encs(np.abs(fx)), "neg": encs(np.negative(fx)), "sqrt": encs(np.sqrt(np.abs(fx)))}

# --- pow: every pair of awkward values (C99 Annex F through numpy)
specials = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 1e-300, 1e300, np.inf, -np.inf, np.nan, 2.5]
px = np.array([a for a in specials for _ in specials])
py = np.array([b for _ in specials for b in specials])
with np.errstate(all="ignore"):
    data["pow"] = {"x": encs(px), "y": encs(py), "z": encs(np.power(px, py))}

# --- maximum/minimum and comparisons with NaN
mx = np.array([1.0, np.nan, np.nan, 2.0, -np.inf, 3.0])
my = np.array([np.nan, 1.0, np.nan, 2.0, 5.0, -1.0])
data["minmax"] = {"x": encs(mx), "y": encs(my), "maximum": encs(np.maximum(mx, my)), "minimum": encs(np.minimum(mx, my)),
                  "lt": [bool(v) for v in mx < my], "eq": [bool(v) for v in mx == my], "ne": [bool(v) for v in mx != my]}

# --- float32 arithmetic (correctly rounded: exact) and transcendental functions (within ulps)
a32 = (rng.randn(64) * 4).astype(np.float32)
b32 = (rng.randn(64) * 4).astype(np.float32)
b32[::7] = np.float32(0.1)
with np.errstate(all="ignore"):
    sig = (np.float32(1) / (np.float32(1) + np.exp(-a32))).astype(np.float32)
    data["float32"] = {
        "a": encs(a32), "b": encs(b32),
        "add": encs(a32 + b32), "sub": encs(a32 - b32), "mul": encs(a32 * b32), "div": encs(a32 / b32),
        "sqrt": encs(np.sqrt(np.abs(a32))),
        "add_scalar_0.1": encs(a32 + 0.1), "mul_scalar_3.3": encs(a32 * 3.3), "rsub_scalar_1e-3": encs(1e-3 - a32),
        "exp": encs(np.exp(a32)), "log": encs(np.log(np.abs(a32))), "tanh": encs(np.tanh(a32)), "sin": encs(np.sin(a32)),
        "cos": encs(np.cos(a32)), "sigmoid": encs(sig), "expm1": encs(np.expm1(a32)), "log1p": encs(np.log1p(np.abs(a32))),
        "mixed_add_float64": encs(a32 + b32.astype(np.float64)),
    }

# --- dtype promotion: arrays with arrays, and arrays with Python scalars (weak)
dts = ["float64", "float32", "int32", "bool"]
data["result_type"] = [[a, b, str(np.result_type(np.dtype(a), np.dtype(b)))] for a in dts for b in dts]
weak = []
for a in ["float64", "float32", "int32"]:
    for s in [2, 0.5]:
        weak.append([a, s, str((np.zeros(2, dtype=a) + s).dtype)])
data["weak_scalar"] = weak
data["unary_dtype"] = [[a, op, str(getattr(np, op)(np.ones(2, dtype=a)).dtype)] for a in ["float64", "float32", "int32"]
                       for op in ["exp", "sqrt", "tanh", "negative", "abs", "square", "floor"]]
data["compare_dtype"] = str((np.zeros(2, np.float32) < np.zeros(2)).dtype)
data["argmax_dtype_note"] = "numpy's argmax gives intp (int64 here); tapegrad's index dtype is int32"

# --- reductions with NaN, ties, empty
rx = np.array([[3.0, np.nan, 3.0, 1.0], [2.0, 5.0, 5.0, -1.0], [np.nan, np.nan, 0.0, 0.0]])
data["nanreduce"] = {
    "x": encs(rx), "shape": list(rx.shape),
    "argmax0": rx.argmax(0).tolist(), "argmax1": rx.argmax(1).tolist(), "argmin1": rx.argmin(1).tolist(),
    "argmax": int(rx.argmax()), "max0": encs(rx.max(0)), "min1": encs(rx.min(1)),
    "all0": [bool(v) for v in np.all(rx, 0)], "any1": [bool(v) for v in np.any(rx, 1)],
    "sum1": encs(rx.sum(1)),
}
vx = (rng.randn(5, 6) * 3 + 1e6)
data["moments"] = {"x": encs(vx), "shape": list(vx.shape), "var0": encs(vx.var(0)), "var1_ddof1": encs(vx.var(1, ddof=1)),
                   "std": enc(vx.std()), "mean1": encs(vx.mean(1))}
v32 = (rng.randn(3, 50) * 2).astype(np.float32)
data["moments32"] = {"x": encs(v32), "shape": list(v32.shape), "mean1": encs(v32.mean(1)), "var1": encs(v32.var(1)),
                     "std1": encs(v32.std(1)), "sum1": encs(v32.sum(1)), "dtype": str(v32.var(1).dtype)}

# --- softmax / logsumexp on awkward inputs (numpy, by the max-shift formulas in float64, as scipy.special)
def lse(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return (np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m)


sx = [[1e4, -1e4, 0.0], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1, -1e4 + 2], [-np.inf, 0.0, 1.0], [1000.0, 999.0, -1000.0],
      [-745.0, -746.0, -800.0], [1e-300, 0.0, -1e-300], [710.0, 710.0, 0.0]]
sxa = np.array(sx)
l = lse(sxa, 1)
# softmax as scipy.special.softmax computes it: exp(x - max) / sum(exp(x - max)).
e = np.exp(sxa - np.max(sxa, axis=1, keepdims=True))
data["softmax"] = {"x": encs(sxa), "shape": list(sxa.shape), "softmax": encs(e / e.sum(1, keepdims=True)),
                   "logsumexp": encs(l), "logSoftmax": encs(sxa - l)}

# --- astype
cx = np.array([0.0, -0.0, 0.5, -0.5, 1.9999, -1.9999, 256.0, 1e-300, np.nan, 3e9, 16777217.0, 0.1])
with np.errstate(all="ignore"):
    data["astype"] = {"x": encs(cx), "bool": [bool(v) for v in cx.astype(bool)], "float32": encs(cx.astype(np.float32)),
                      "int32_finite": [int(v) for v in cx[[0, 1, 2, 3, 4, 5, 6, 7, 10, 11]].astype(np.int32)],
                      "int32_finite_x": encs(cx[[0, 1, 2, 3, 4, 5, 6, 7, 10, 11]])}

# --- arange, linspace
data["arange"] = [[a, b, s, encs(np.arange(a, b, s))] for (a, b, s) in
                  [(0, 1, 0.1), (0.1, 1.0, 0.1), (-1, 1, 0.25), (5, 0, -1.5), (0, 10, 3), (1, 1, 1), (0.3, 2.9, 0.7)]]
data["linspace"] = [[a, b, n, encs(np.linspace(a, b, n))] for (a, b, n) in [(0, 1, 7), (-3, 5, 11), (0.1, 0.7, 4), (2, 2, 3), (0, 1, 1)]]

# --- reshape: view or copy, for strided views built as the test builds them:
# storage = arange(size(sshape)).reshape(sshape); v = storage.transpose(perm)[slices]; r = v.reshape(target)
def targets(shape, r):
    dims = [d for d in shape if d != 1]
    out = []
    for _ in range(4):
        t = []
        i = 0
        while i < len(dims):
            k = int(r.randint(1, 4))
            t.append(int(np.prod(dims[i:i + k])))
            i += k
        t2 = []
        for d in t:
            f = next((f for f in range(2, d) if d % f == 0), None)
            if f is not None and r.rand() < 0.5:
                t2 += [f, d // f]
            else:
                t2.append(d)
        if r.rand() < 0.3:
            t2.insert(int(r.randint(0, len(t2) + 1)), 1)
        out.append(t2)
    return out


cases = []
while len(cases) < 160:
    nd = int(rng.randint(1, 5))
    shape = [int(rng.randint(1, 5)) for _ in range(nd)]
    steps = [int(rng.choice([1, 1, 2, -1, -2])) for _ in range(nd)]
    sshape_logical = [abs(s) * d + int(rng.randint(0, 2)) for s, d in zip(steps, shape)]
    perm = [int(p) for p in rng.permutation(nd)]
    sshape = [sshape_logical[p] for p in perm]
    storage = np.arange(int(np.prod(sshape))).reshape(sshape)
    inv = [perm.index(i) for i in range(nd)]
    view = storage.transpose(inv)
    slices = []
    for d, s, full in zip(shape, steps, sshape_logical):
        if s > 0:
            slices.append([0, s * (d - 1) + 1, s])
        else:
            slices.append([full - 1, None if full - 1 + s * d < 0 else full - 1 + s * d, s])
    v = view[tuple(slice(*sl) for sl in slices)]
    assert list(v.shape) == shape, (v.shape, shape)
    for t in targets(shape, rng):
        r = v.reshape(t)
        cases.append({"sshape": sshape, "perm": perm, "slices": slices, "shape": shape, "target": t,
                      "view": bool(np.shares_memory(r, v)), "values": [int(x) for x in r.ravel()]})
data["reshape"] = cases

with open(OUT, "w") as f:
    json.dump(data, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {OUT}: {len(cases)} reshape cases")
