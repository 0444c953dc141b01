# Reference numbers for test/activations.test.ts (the activations of issue 26): PyTorch's float64
# values and gradients of each activation function, at its kinks (0, ±3, 6, the bounds, the
# softplus threshold), at special values (±inf, NaN) and at random points. Each gradient is
# d sum(w * f(x)) / dx for w = 0.75, evaluated on one-element tensors (PyTorch's scalar loops).
# Non-finite numbers and -0 are written as the strings "nan", "inf", "-inf", "-0". Softmin,
# which mixes elements, is one (3, 4) case with random upstream weights.
#
# Regenerate (from the repository root) with:
#     /usr/bin/python3 packages/nn/test/data/make-activations-reference.py

import json
import math
import os
import random

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "activations-reference.json")
nan, inf = float("nan"), float("inf")
W = 0.75


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0 and math.copysign(1, v) < 0:
        return "-0"
    return v


rnd = random.Random(626)
X = [nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, 2.0, -2.0, 0.5, -0.5, 5.0, 7.0, 10.0, 20.0, 20.000001,
     19.999999, 30.0, -30.0, 100.0, -100.0, 800.0, -800.0, 2.9999999, -2.9999999, 0.25, -0.25]
X += [rnd.uniform(-8, 8) for _ in range(30)]

FUNCS = {
    "leakyRelu": lambda x: F.leaky_relu(x), "leakyRelu(0.2)": lambda x: F.leaky_relu(x, 0.2),
    "elu": lambda x: F.elu(x), "elu(0.5)": lambda x: F.elu(x, 0.5),
    "celu": lambda x: F.celu(x), "celu(2)": lambda x: F.celu(x, 2.0),
    "selu": F.selu, "relu6": F.relu6, "hardtanh": F.hardtanh, "hardtanh(-2,3)": lambda x: F.hardtanh(x, -2.0, 3.0),
    "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid,
    "softplus": F.softplus, "softplus(2,10)": lambda x: F.softplus(x, 2.0, 10.0), "softplus(0.5,3)": lambda x: F.softplus(x, 0.5, 3.0),
    "softsign": F.softsign, "mish": F.mish, "logSigmoid": F.logsigmoid,
}


def one(f, v):
    x = torch.tensor([v], dtype=torch.float64, requires_grad=True)
    y = f(x)
    (y * W).sum().backward()
    return enc(y.item()), enc(x.grad.item())


data = {"torch": torch.__version__, "w": W, "x": [enc(v) for v in X], "fns": {}}
for name, f in FUNCS.items():
    pairs = [one(f, v) for v in X]
    data["fns"][name] = {"y": [p[0] for p in pairs], "gx": [p[1] for p in pairs]}

torch.manual_seed(626)
x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
r = torch.randn(3, 4, dtype=torch.float64)
out = {}
for dim in (0, 1, -1):
    x.grad = None
    y = F.softmin(x, dim=dim)
    (y * r).sum().backward()
    out[str(dim)] = {"y": y.detach().flatten().tolist(), "gx": x.grad.flatten().tolist()}
data["softmin"] = {"x": x.detach().flatten().tolist(), "r": r.flatten().tolist(), "byDim": out}

with open(OUT, "w") as f:
    json.dump(data, f, separators=(",", ":"))
    f.write("\n")
