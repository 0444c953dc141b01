# Reference numbers for test/math-ops.test.ts: PyTorch's float64 values and gradients of the
# math ops of src/ops/math.ts, and of pow at every special point (base ±0, ±1, negative, ±inf,
# NaN against integer, fractional, zero, negative and infinite exponents). Each gradient is
# d sum(w * f(inputs)) / d input for the upstream weights w below. Non-finite numbers and -0 are
# written as the strings "nan", "inf", "-inf", "-0".
#
# Every case is evaluated on one-element tensors: PyTorch's scalar loops, which call the C
# library; its vectorized loops give other values at the extremes (see
# packages/tensor/test/data/make-math-data.py).
#
# Regenerate (from the repository root) with:
#     /usr/bin/python3 packages/autograd/test/data/make-math-reference.py

import json
import math
import os
import random

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "math-reference.json")
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


rnd = random.Random(2626)
SPECIAL = [nan, inf, -inf, 0.0, -0.0]
X = SPECIAL + [1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 0.999, -0.999, 1.001, 2.5, -2.5, 1.5, -1.5, 0.49999999999999994, 10.0, -10.0, 100.0]
X += [rnd.uniform(-3, 3) for _ in range(20)]
B = SPECIAL + [0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 5.5, -5.5, 2.0]
PA = [a for a in B for _ in B] + [rnd.uniform(-5, 5) for _ in range(30)]
PB = [b for _ in B for b in B] + [rnd.choice([-1, 1]) * rnd.uniform(0.2, 3) for _ in range(30)]
W = 0.75  # the upstream gradient: d sum(W * f) / d input

unary = {
    "tan": torch.tan, "asin": torch.asin, "acos": torch.acos, "atan": torch.atan,
    "sinh": torch.sinh, "cosh": torch.cosh, "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh,
    "log2": torch.log2, "log10": torch.log10, "exp2": torch.exp2, "rsqrt": torch.rsqrt,
    "sign": torch.sign, "floor": torch.floor, "ceil": torch.ceil, "round": torch.round, "trunc": torch.trunc,
    "frac": torch.frac,
}
binary = {
    "atan2": torch.atan2, "hypot": torch.hypot, "copysign": torch.copysign,
    "remainder": torch.remainder, "fmod": torch.fmod,
    "divTrunc": lambda p, q: torch.div(p, q, rounding_mode="trunc"),
    # torch.floor_divide has no derivative in 1.13 (backward raises); this one has zeros
    "divFloor": lambda p, q: torch.div(p, q, rounding_mode="floor"),
    "logaddexp": torch.logaddexp,
}


def run(f, values):
    ts = [torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in values]
    y = f(*ts)
    (y * W).sum().backward()
    return [enc(y.item())] + [enc(t.grad.item()) if t.grad is not None else None for t in ts]


def table(f, columns):
    rows = [run(f, vs) for vs in zip(*columns)]
    return [list(c) for c in zip(*rows)]  # [y, grad0, grad1, ...]


data = {"torch": torch.__version__, "w": W, "x": [enc(v) for v in X], "a": [enc(v) for v in PA], "b": [enc(v) for v in PB]}
data["unary"] = {k: dict(zip(["y", "gx"], table(f, [X]))) for k, f in unary.items()}
data["binary"] = {k: dict(zip(["y", "ga", "gb"], table(f, [PA, PB]))) for k, f in binary.items()}

# lerp: weights on both sides of 0.5 and of -0.5, where PyTorch switches formula
LS = [rnd.uniform(-3, 3) for _ in range(24)]
LE = [rnd.uniform(-3, 3) for _ in range(24)]
LW = [-1.2, -0.7, -0.5, -0.3, 0.0, 0.2, 0.49, 0.5, 0.51, 0.8, 1.0, 1.7] * 2
data["lerp"] = {"s": LS, "e": LE, "w": LW, **dict(zip(["y", "gs", "ge", "gw"], table(torch.lerp, [LS, LE, LW])))}

# pow at every special point: the grid of bases and exponents
PB_ = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, inf, -inf, nan]
PE_ = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, 1.5, inf, -inf, nan]
base = [p for p in PB_ for _ in PE_]
expo = [e for _ in PB_ for e in PE_]
data["pow"] = {"a": [enc(v) for v in base], "b": [enc(v) for v in expo], **dict(zip(["y", "ga", "gb"], table(torch.pow, [base, expo])))}

with open(OUT, "w") as f:
    json.dump(data, f, separators=(",", ":"))
    f.write("\n")
