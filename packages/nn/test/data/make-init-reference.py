# Reference numbers for test/init.test.ts: torch.nn.init's own initialisers (PyTorch 1.13) with
# their random draws replaced by numpy's RandomState(seed) stream, which tapegrad's RandomState
# reproduces: Tensor.uniform_(a, b) and Tensor.normal_(mean, std) are patched to fill from
# np.random.RandomState(seed).uniform / .normal, so every fan, gain, bound, std, QR and sign
# fix is PyTorch's code and only the draws are shared.
#
# Regenerate (from the repository root) with:
#     /usr/bin/python3 packages/nn/test/data/make-init-reference.py

import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "init-reference.json")

state = {"rs": None}
orig_uniform, orig_normal = torch.Tensor.uniform_, torch.Tensor.normal_


def uniform_(self, a=0.0, b=1.0):
    with torch.no_grad():
        self.copy_(torch.from_numpy(state["rs"].uniform(a, b, tuple(self.shape))))
    return self


def normal_(self, mean=0.0, std=1.0):
    with torch.no_grad():
        self.copy_(torch.from_numpy(state["rs"].normal(mean, std, tuple(self.shape))))
    return self


torch.Tensor.uniform_ = uniform_
torch.Tensor.normal_ = normal_

init = torch.nn.init
CASES = [
    ("kaimingUniform", [6, 4], {}, lambda t: init.kaiming_uniform_(t)),
    ("kaimingUniform", [5, 3, 2, 2], {"a": math.sqrt(5)}, lambda t: init.kaiming_uniform_(t, a=math.sqrt(5))),
    ("kaimingUniform", [4, 7], {"mode": "fan_out", "nonlinearity": "relu"}, lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu")),
    ("kaimingNormal", [6, 4], {}, lambda t: init.kaiming_normal_(t)),
    ("kaimingNormal", [3, 4, 5], {"mode": "fan_out", "nonlinearity": "tanh"}, lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh")),
    ("kaimingNormal", [4, 4], {"a": 0.2, "nonlinearity": "leaky_relu"}, lambda t: init.kaiming_normal_(t, a=0.2, nonlinearity="leaky_relu")),
    ("xavierUniform", [6, 4], {}, lambda t: init.xavier_uniform_(t)),
    ("xavierUniform", [3, 2, 3], {"gain": 5 / 3}, lambda t: init.xavier_uniform_(t, gain=5 / 3)),
    ("xavierNormal", [6, 4], {}, lambda t: init.xavier_normal_(t)),
    ("xavierNormal", [2, 5, 3], {"gain": math.sqrt(2)}, lambda t: init.xavier_normal_(t, gain=math.sqrt(2))),
    ("orthogonal", [5, 3], {}, lambda t: init.orthogonal_(t)),
    ("orthogonal", [3, 5], {"gain": 2.0}, lambda t: init.orthogonal_(t, gain=2.0)),
    ("orthogonal", [4, 4], {}, lambda t: init.orthogonal_(t)),
    ("orthogonal", [2, 3, 2], {}, lambda t: init.orthogonal_(t)),
    ("uniform", [3, 4], {"a": -2.0, "b": 0.5}, lambda t: init.uniform_(t, -2.0, 0.5)),
    ("normal", [3, 4], {"mean": 1.5, "std": 0.25}, lambda t: init.normal_(t, 1.5, 0.25)),
]

out = []
for k, (name, shape, options, fn) in enumerate(CASES):
    seed = 100 + k
    state["rs"] = np.random.RandomState(seed)
    t = torch.empty(shape, dtype=torch.float64)
    fn(t)
    out.append({"fn": name, "shape": shape, "options": options, "seed": seed, "values": t.flatten().tolist()})

torch.Tensor.uniform_, torch.Tensor.normal_ = orig_uniform, orig_normal
gains = {n: init.calculate_gain(n) for n in ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]}
gains["leaky_relu(0.2)"] = init.calculate_gain("leaky_relu", 0.2)
gains["leaky_relu(0)"] = init.calculate_gain("leaky_relu", 0)
with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "numpy": np.__version__, "cases": out, "gains": gains}, f, indent=1)
    f.write("\n")
