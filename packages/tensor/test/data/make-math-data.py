# Reference numbers for test/math.test.ts: PyTorch's (float64, CPU) values of the elementwise
# math kernels of src/math.ts over ordinary and special inputs (NaN, ±Infinity, ±0, domain
# edges), and of the integer remainders and divisions in int32. Non-finite numbers and -0 are
# written as the strings "nan", "inf", "-inf", "-0".
#
# Each value comes from a one-element tensor, so from PyTorch's scalar loop, which calls the C
# library (std::sinh, std::fmod, ...). On longer tensors PyTorch's vectorized loops give other
# values at the extremes: sinh(710) = inf (it is 1.117e308) and fmod(1e300, 1e-300) = nan (it is
# 4.89e-301), from SLEEF and a - trunc(a / b) * b.
#
# Regenerate (from the repository root) with:
#     /usr/bin/python3 packages/tensor/test/data/make-math-data.py

import json
import math
import os
import random

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "math-torch.json")
nan, inf = float("nan"), float("inf")


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0 and math.copysign(1, v) < 0:
        return "-0"
    return v


rnd = random.Random(26)
SPECIAL = [nan, inf, -inf, 0.0, -0.0]
X = SPECIAL + [1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 0.999, -0.999, 1.001, 2.5, -2.5, 10.0, -10.0,
               100.0, -100.0, 710.0, -710.0, 1e20, -1e20, 1.5, -1.5, 0.49999999999999994]
X += [rnd.uniform(-5, 5) for _ in range(30)] + [rnd.uniform(-1, 1) for _ in range(10)]
B = SPECIAL + [0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 5.5, -5.5, 1e-300, 1e300, 0.1, 7.0, -7.0]
PA = [a for a in B for _ in B] + [rnd.uniform(-10, 10) for _ in range(60)]
PB = [b for _ in B for b in B] + [rnd.choice([-1, 1]) * rnd.uniform(0.1, 4) for _ in range(60)]

x = torch.tensor(X, dtype=torch.float64)
a = torch.tensor(PA, dtype=torch.float64)
b = torch.tensor(PB, dtype=torch.float64)

unary = {
    "tan": torch.tan, "asin": torch.asin, "acos": torch.acos, "atan": torch.atan,
    "sinh": torch.sinh, "cosh": torch.cosh, "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh,
    "log2": torch.log2, "log10": torch.log10, "exp2": torch.exp2, "rsqrt": torch.rsqrt, "trunc": torch.trunc,
    "isinf": torch.isinf, "logicalNot": torch.logical_not,
}
binary = {
    "atan2": torch.atan2, "hypot": torch.hypot, "copysign": torch.copysign,
    "remainder": torch.remainder, "fmod": torch.fmod,
    "floorDivide": lambda p, q: torch.div(p, q, rounding_mode="floor"),
    "truncDivide": lambda p, q: torch.div(p, q, rounding_mode="trunc"),
    "logicalAnd": torch.logical_and, "logicalOr": torch.logical_or, "logicalXor": torch.logical_xor,
}

IA = [7, -7, 7, -7, 0, 6, -6, 2147483647, -2147483647, 1, 13, -13]
IB = [2, 2, -2, -2, 3, 3, -4, 10, 10, -1, 5, 5]
ia = torch.tensor(IA, dtype=torch.int32)
ib = torch.tensor(IB, dtype=torch.int32)
ints = {
    "remainder": torch.remainder(ia, ib), "fmod": torch.fmod(ia, ib),
    "floorDivide": torch.div(ia, ib, rounding_mode="floor"), "truncDivide": torch.div(ia, ib, rounding_mode="trunc"),
}

data = {
    "torch": torch.__version__,
    "x": [enc(v) for v in X],
    "a": [enc(v) for v in PA],
    "b": [enc(v) for v in PB],
    "unary": {k: [enc(f(x[i:i + 1]).item()) for i in range(len(X))] for k, f in unary.items()},
    "binary": {k: [enc(f(a[i:i + 1], b[i:i + 1]).item()) for i in range(len(PA))] for k, f in binary.items()},
    "int": {"a": IA, "b": IB, **{k: [int(v) for v in t.tolist()] for k, t in ints.items()}},
}
for k, t in ints.items():
    assert t.dtype == torch.int32, k
with open(OUT, "w") as f:
    json.dump(data, f, indent=0)
    f.write("\n")
