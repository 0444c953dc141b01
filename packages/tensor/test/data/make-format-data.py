# Reference strings for test/format.test.ts: numpy's str() and repr() of arrays and views.
#
# Regenerate (from the repository root) with:
#     python3 packages/tensor/test/data/make-format-data.py
# Written with numpy 2.4.6 on Python 3.11.7 (x86-64 Linux, where numpy's default int is int64,
# so int32 arrays carry `dtype=int32` in their repr). The file records the version it used.
#
# Each case is a storage (flat, as the test's typed array will hold it), a view on it (shape,
# strides in elements, offset in elements) and print options; numpy prints the same view of the
# same storage. Floats that JSON cannot hold are written as "nan", "inf", "-inf".

import json
import math
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "format-numpy.json")

NP_DTYPE = {"float64": np.float64, "float32": np.float32, "int32": np.int32, "bool": np.bool_}
NP_OPTION = {
    "precision": "precision",
    "threshold": "threshold",
    "edgeitems": "edgeitems",
    "linewidth": "linewidth",
    "suppressSmall": "suppress",
    "floatmode": "floatmode",
}


def enc(v):
    """A storage value as JSON: exact doubles, with strings for the non-finite ones."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f


def contiguous_strides(shape):
    strides, s = [], 1
    for d in reversed(shape):
        strides.insert(0, s)
        s *= max(d, 1)
    return strides


cases = []


def case(name, data, dtype="float64", shape=None, strides=None, offset=0, options=None):
    base = np.asarray(data, dtype=NP_DTYPE[dtype]).ravel()
    if shape is None:
        shape = list(np.shape(data))
    shape = [int(d) for d in shape]
    if strides is None:
        strides = contiguous_strides(shape)
    item = base.itemsize
    arr = np.ndarray(
        tuple(shape),
        dtype=base.dtype,
        buffer=base,
        offset=offset * item,
        strides=tuple(s * item for s in strides),
    )
    options = options or {}
    with np.printoptions(**{NP_OPTION[k]: v for k, v in options.items()}):
        s, r = str(arr), repr(arr)
    cases.append(
        {
            "name": name,
            "dtype": dtype,
            "data": [enc(v) for v in base.tolist()],
            "shape": shape,
            "strides": strides,
            "offset": offset,
            "options": options,
            "str": s,
            "repr": r,
        }
    )


rng = np.random.RandomState(0)
nan, inf = float("nan"), float("inf")

# ---- float64, positional ----
case("ints as floats", [1.0, 2.0, 3.0])
case("one decimal", [1.0, 2.5])
case("2-d with negatives", [[1.0, 2.5], [-3.0, 4.0]])
case("negatives", [-1.5, 2.0, -0.25, 10.0])
case("zeros", [0.0, 0.0, 0.0])
case("negative zero", [-0.0, 0.0, 1.0])
case("precision 8 rounding", [0.123456785, 2.675, 1.000000005, 0.999999999, 1 / 3, 2 / 3])
case("more digits than precision", [np.pi, np.e, -np.sqrt(2)])
case("hundreds", [123.456, 7.0, 999.5])
case("just below 1e8", [99999999.0, 12345678.9, 100000.5])
case("0.0001 is not small", [1e-4, 0.05])
case("ratio of exactly 1000", [1.0, 1000.0])
case("0.1 + 0.2", [0.1 + 0.2, 0.1, 0.2])

# ---- float64, scientific ----
case("ratio over 1000", [0.001, 123.456, 5.0])
case("small value", [1e-5, 1.0])
case("small values close together", [1e-5, 5e-5])
case("1e8 goes scientific", [1e8, 1e6])
case("tiny values", [1e-10, 2e-12, 3.5e-7])
case("three-digit exponents", [1e-300, 2.5e200, -3.0])
case("subnormal", [5e-324, 1.0])
case("huge", [1e308, -1.7976931348623157e308])
case("sci negatives", [-1.5e-9, 2e10, -7.25])
case("sci rounding", [1.234567894999e-7, 9.9999999999e-9, 1.00000000001e12])

# ---- non-finite ----
case("nan and inf", [nan, 1.0, inf, -inf])
case("only nan and inf", [nan, inf])
case("only nan and -inf", [nan, -inf])
case("nan with decimals", [1.5, nan, -inf])
case("nan in scientific", [1e-10, nan, 3.0])
case("all nan", [nan, nan])
case("inf column", [[inf, 1.0], [2.0, -inf]])

# ---- shapes ----
case("3-d", (np.arange(24.0) / 7).reshape(2, 3, 4))
case("4-d", np.arange(16.0).reshape(2, 2, 2, 2) - 8)
case("column", [[1.0], [2.0], [3.0]])
case("row of one", [[5.0]])
case("3-d with size-1 axes", np.arange(6.0).reshape(1, 3, 2, 1))

# ---- wrapping ----
case("linspace wraps", np.linspace(0, 1, 30))
case("random row wraps", rng.randn(20))
case("random matrix wraps", rng.randn(3, 15))
case("3-d rows wrap", rng.randn(2, 2, 12))
case("scientific wraps", rng.randn(25) * 1e-6)
case("exact fit line", np.arange(15.0) + 0.25)
case("narrow linewidth", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], options={"linewidth": 12})
case("linewidth too small for one element", [123.456, 789.0], options={"linewidth": 3})

# ---- summaries ----
case("arange 2000", np.arange(2000.0))
# the big arrays are about layout, so their values are short (the scalars below test digits)
case("random 40x40", np.round(rng.randn(40, 40), 3))
case("random 3-d summarised", np.round(rng.randn(10, 12, 15), 3))
case("summary with nan", np.where(np.arange(1500) % 7 == 0, nan, np.arange(1500.0)))
case("summary, only one axis long", np.round(rng.randn(2, 600), 3))
case("threshold 10", np.arange(12.0), options={"threshold": 10})
case("threshold 10, edgeitems 1", np.arange(24.0).reshape(4, 6), options={"threshold": 10, "edgeitems": 1})
case("edgeitems 0", np.arange(12.0), options={"threshold": 5, "edgeitems": 0})
# the hidden middle is what decides the notation in numpy: only shown values are measured
case("hidden tiny middle", np.concatenate([np.ones(3), np.full(1000, 1e-9), np.ones(3)]))

# ---- options ----
case("precision 3", [np.pi, -np.e, 100.0], options={"precision": 3})
case("precision 0", [1.5, 2.5, 3.49], options={"precision": 0})
case("suppress small", [1e-10, 1.0, 2.0], options={"suppressSmall": True})
case("suppress keeps huge scientific", [1e9, 1.0], options={"suppressSmall": True})
case("floatmode fixed", [1.0, 2.5, np.pi], options={"floatmode": "fixed"})
case("floatmode unique", [1.0, 2.5, np.pi, 0.1 + 0.2], options={"floatmode": "unique"})
case("floatmode maxprec_equal", [1.0, 2.5, 0.125], options={"floatmode": "maxprec_equal"})
case("floatmode fixed scientific", [1e-9, 2.0], options={"floatmode": "fixed", "precision": 4})

# ---- float32 ----
case("float32 tenths", [0.1, 0.2, 0.3], dtype="float32")
case("float32 pi", [np.pi, -np.e], dtype="float32")
case("float32 random", rng.randn(3, 4), dtype="float32")
case("float32 1e6 goes scientific", [1e6, 2000.0], dtype="float32")
case("float32 just below 1e6", [999999.94, 1000.5], dtype="float32")
# float32(1e-4) is below the float64 1e-4, but numpy compares in float32
case("float32 1e-4 stays positional", [1e-4, 0.05], dtype="float32")
case("float32 tiny", [1e-8, 3.0], dtype="float32")
case("float32 subnormal", [1e-45, 1.0], dtype="float32")
case("float32 nan inf", [nan, -inf, 1.25], dtype="float32")
case("float32 summarised", np.round(rng.randn(1200), 2) / 4, dtype="float32")
case("float32 thirds", [1 / 3, 2 / 3, 1.0], dtype="float32")

# ---- int32 ----
case("int32 small", [[1, -20], [300, 4]], dtype="int32")
case("int32 extremes", [2147483647, -2147483648, 0], dtype="int32")
case("int32 wraps", np.arange(40) * 1234567, dtype="int32")
case("int32 summarised", np.arange(1500) - 700, dtype="int32")
case("int32 3-d", np.arange(24).reshape(2, 3, 4), dtype="int32")

# ---- bool ----
case("bool 2-d", [[True, False], [False, True]], dtype="bool")
case("bool one", [True], dtype="bool")
case("bool all false", [False, False], dtype="bool")
case("bool summarised", np.arange(1200) % 3 == 0, dtype="bool")

# ---- 0-d ----
for v in [np.pi, 1.0, -0.0, 0.0, 1e16, 9999999999999998.0, 1e-4, 9.999e-5, 1e-5, 123456.789, nan, inf, -inf, 0.1, 1e300]:
    case(f"0-d float64 {v!r}", v, shape=[])
for v in [np.pi, 1e6, 999999.94, 1e-4, 1.0001e-4, 0.1, 1.5e-7, nan, -inf]:
    case(f"0-d float32 {v!r}", v, dtype="float32", shape=[])
case("0-d int32", -7, dtype="int32", shape=[])
case("0-d bool", True, dtype="bool", shape=[])
case("0-d bool false", False, dtype="bool", shape=[])

# ---- empty ----
case("empty 1-d", [], shape=[0])
case("empty 2x0", [], shape=[2, 0])
case("empty 0x3", [], shape=[0, 3])
case("empty float32", [], dtype="float32", shape=[0])
case("empty int32 2x0", [], dtype="int32", shape=[2, 0])
case("empty bool", [], dtype="bool", shape=[0])

# ---- views: strides and offsets over a storage ----
twelve = np.arange(12.0) * 1.5
case("transposed 3x4", twelve, shape=[4, 3], strides=[1, 4])
case("every other", twelve, shape=[6], strides=[2])
case("reversed with offset", twelve, shape=[12], strides=[-1], offset=11)
case("column slice", twelve, shape=[3, 2], strides=[4, 1], offset=1)
case("broadcast rows", [1.0, 2.5, -3.0], shape=[3, 3], strides=[0, 1])
case("3-d permuted", np.arange(24.0) - 11.5, shape=[4, 2, 3], strides=[1, 12, 4])
case("offset past a tiny value", [1e-9, 1.0, 2.0, 3.0], shape=[3], strides=[1], offset=1)
case("reversed 2-d float32", np.arange(6.0) / 3, dtype="float32", shape=[2, 3], strides=[-3, -1], offset=5)
case("int32 transposed", np.arange(6) * 11 - 20, dtype="int32", shape=[3, 2], strides=[1, 3])
case("bool strided", [True, False, False, True, True, False], dtype="bool", shape=[3], strides=[2], offset=1)
case("large transposed view", np.arange(2000.0) / 8, shape=[40, 50], strides=[1, 40])

# ---- repr placement of dtype/shape ----
case("repr dtype moves to next line", np.arange(11.0) + 0.5, dtype="float32")
case("repr dtype just fits", np.arange(10.0) + 0.5, dtype="float32")

# ---- many single values: Dragon4 against numpy, in every notation ----
scalars = {"float64": [], "float32": []}
srng = np.random.RandomState(1)
for dtype, npt in [("float64", np.float64), ("float32", np.float32)]:
    lo, hi = (-320, 308) if dtype == "float64" else (-45, 38)
    vals = []
    for _ in range(300):
        vals.append(srng.uniform(1, 10) * 10.0 ** srng.randint(lo, hi))
    for _ in range(300):  # the positional range, where the precision-8 cutoff rounds
        vals.append(10.0 ** srng.uniform(-4, 8) * (1 if srng.rand() < 0.5 else -1))
    for _ in range(100):  # short decimals, with ties at the 8th digit
        vals.append(srng.randint(0, 10**9) / 10.0 ** srng.randint(0, 10))
    for _ in range(100):  # raw bit patterns
        if dtype == "float64":
            bits = srng.randint(0, 2**31, size=2).astype(np.uint64)
            v = ((bits[0] << np.uint64(33)) ^ bits[1]).view(np.float64)
        else:
            v = np.array(srng.randint(0, 2**31), dtype=np.uint32).view(np.float32)
        vals.append(v)
    for v in vals:
        x = npt(v)
        if not np.isfinite(x):
            continue
        scalars[dtype].append([enc(x), str(np.array(x)), str(np.array([x])), str(np.array([x, npt(1)]))])

json_out = {
    "generator": "packages/tensor/test/data/make-format-data.py",
    "numpy": np.__version__,
    "python": sys.version.split()[0],
    "cases": cases,
    "scalars": scalars,
}
# one case (one scalar) per line: diffable, and a tenth the size of indented JSON
with open(OUT, "w") as f:
    f.write("{\n")
    for key in ["generator", "numpy", "python"]:
        f.write(f" {json.dumps(key)}: {json.dumps(json_out[key])},\n")
    f.write(' "cases": [\n' + ",\n".join("  " + json.dumps(c) for c in cases) + "\n ],\n")
    f.write(' "scalars": {\n')
    f.write(
        ",\n".join(
            f"  {json.dumps(k)}: [\n" + ",\n".join("   " + json.dumps(r) for r in v) + "\n  ]"
            for k, v in scalars.items()
        )
    )
    f.write("\n }\n}\n")
json.load(open(OUT))  # the hand-joined file must still parse
print(f"wrote {len(cases)} cases and {sum(len(v) for v in scalars.values())} scalars to {OUT}")
