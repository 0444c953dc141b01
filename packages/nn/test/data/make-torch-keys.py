# Key names and orders that PyTorch itself gives, for test/containers.test.ts: state_dict keys,
# named_parameters and named_modules of Sequential, ModuleList, ModuleDict and tied-weight models.
# Needs real PyTorch (Debian's python3-torch 1.13). Regenerate from the repository root with:
#     /usr/bin/python3 packages/nn/test/data/make-torch-keys.py
# Writes torch-keys.json next to this script.

import json
import os
import platform

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Tied(nn.Module):
    # an Embedding whose weight the output Linear shares, and the Linear reached twice
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.out = nn.Linear(3, 5, bias=False)
        self.out.weight = self.emb.weight
        self.again = self.out


class Containers(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(4))
        self.seq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Sequential(nn.Linear(4, 4), nn.ReLU()), nn.Linear(4, 2))
        self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.LSTM(2, 3, num_layers=2)])
        self.heads = nn.ModuleDict({"b": nn.Linear(3, 1), "a": nn.Linear(3, 2, bias=False)})


def describe(m):
    return {
        "state_dict": [[k, list(v.shape)] for k, v in m.state_dict().items()],
        "named_parameters": [k for k, _ in m.named_parameters()],
        "named_modules": [k for k, _ in m.named_modules()],
    }


out = {
    "meta": {"torch": torch.__version__, "python": platform.python_version(), "script": "make-torch-keys.py"},
    "tied": describe(Tied()),
    "containers": describe(Containers()),
}
with open(os.path.join(HERE, "torch-keys.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
