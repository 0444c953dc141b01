# The reverse direction of examples/pytorch: a CharModel trained by PyTorch (torch 1.13, CPU,
# float32) on the example's pangram, saved as safetensors, with torch's logits on a probe text.
# Regenerate from the repository root with:
#     /usr/bin/python3 examples/pytorch/data/make-torch-model.py
# Writes torch-model.safetensors and torch-model.json next to this script.

import json
import os
import struct

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class CharModel(nn.Module):  # as in ../load_in_torch.py and ../models.ts
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        return self.head(self.lstm(self.emb(ids))[0])


TEXT = "the quick brown fox jumps over the lazy dog. "
chars = sorted(set(TEXT))
torch.manual_seed(0)
config = {"vocab": len(chars), "embed": 8, "hidden": 24, "layers": 2}
model = CharModel(**config)
opt = torch.optim.Adam(model.parameters(), lr=0.02)
ids = lambda s: torch.tensor([[chars.index(c) for c in s]])
x, y = ids((TEXT * 2)[:-1]), ids((TEXT * 2)[1:]).reshape(-1)
for _ in range(200):
    loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(chars)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
for k, v in model.state_dict().items():
    b = v.contiguous().numpy().tobytes()
    header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [offset, offset + len(b)]}
    blobs.append(b)
    offset += len(b)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(os.path.join(HERE, "torch-model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

probe = "a lazy dog jumps over"
with torch.no_grad():
    logits = model(ids(probe))[0]
with open(os.path.join(HERE, "torch-model.json"), "w") as f:
    json.dump({"torch": torch.__version__, "script": "make-torch-model.py", "config": config, "chars": chars, "text": probe,
               "loss": loss.item(), "logits": logits.double().tolist()}, f)
    f.write("\n")
