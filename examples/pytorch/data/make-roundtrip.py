# The torch side of the round trip tapegrad -> torch -> tapegrad (examples/pytorch/pytorch.test.ts):
# loads the three models tapegrad wrote (a Sequential, a 2-layer bidirectional LSTM, and an
# Embedding-LSTM-Linear model, float64) into their torch.nn counterparts with strict
# load_state_dict, runs them on tapegrad's inputs, checks torch's outputs against tapegrad's, and
# saves torch's own state dicts and outputs for tapegrad to load back.
# The tapegrad side first (from the repository root), then this, with Debian's python3-torch 1.13:
#     pnpm example pytorch --export-roundtrip examples/pytorch/data/roundtrip/from-tapegrad
#     /usr/bin/python3 examples/pytorch/data/make-roundtrip.py
# Writes data/roundtrip/from-torch/{sequential,lstm,char,outputs}.safetensors.

import json
import os
import struct

import torch
from torch import nn

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "roundtrip")
TYPES = {"F64": torch.float64, "F32": torch.float32, "I32": torch.int32}
NAMES = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64"}


def load_file(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    return {k: torch.frombuffer(bytearray(data[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=TYPES[v["dtype"]]).reshape(v["shape"])
            for k, v in header.items() if k != "__metadata__"}


def save_file(path, tensors):
    header, blobs, offset = {}, [], 0
    for k, v in tensors.items():
        b = v.contiguous().numpy().tobytes()
        header[k] = {"dtype": NAMES[v.dtype], "shape": list(v.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class CharModel(nn.Module):  # as examples/pytorch/models.ts's CharModel
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        return self.head(self.lstm(self.emb(ids))[0])


src = os.path.join(HERE, "from-tapegrad")
dst = os.path.join(HERE, "from-torch")
os.makedirs(dst, exist_ok=True)
models = {
    "sequential": nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double(),
    "lstm": nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True).double(),
    "char": CharModel(7, 3, 4, 2).double(),
}
inputs = load_file(os.path.join(src, "inputs.safetensors"))
theirs = load_file(os.path.join(src, "outputs.safetensors"))
outputs = {}
with torch.no_grad():
    for name, m in models.items():
        m.load_state_dict(load_file(os.path.join(src, f"{name}.safetensors")), strict=True)
        save_file(os.path.join(dst, f"{name}.safetensors"), m.state_dict())
    outputs["sequential"] = models["sequential"](inputs["sequential"])
    out, (h, c) = models["lstm"](inputs["lstm"])
    outputs.update({"lstm_output": out, "lstm_h_n": h, "lstm_c_n": c})
    outputs["char"] = models["char"](inputs["char"].long())
for k, v in outputs.items():
    diff = (v - theirs[k]).abs().max().item()
    print(f"{k}: largest |torch - tapegrad| = {diff:.2e}")
    assert diff < 1e-12, k
save_file(os.path.join(dst, "outputs.safetensors"), outputs)
