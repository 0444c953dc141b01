# Loads the model `pnpm example pytorch` trained in tapegrad into torch.nn modules, with a strict
# load_state_dict, and prints torch's next-character guesses beside tapegrad's. Run by hand:
#     python3 examples/pytorch/load_in_torch.py [out/pytorch]
import json, struct, sys
import torch
from torch import nn


class CharModel(nn.Module):  # the names and shapes of CharModel in examples/pytorch/models.ts
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        return self.head(self.lstm(self.emb(ids))[0])


def load_file(path):  # safetensors.torch.load_file, if `pip install safetensors` is not at hand
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    types = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32}
    return {k: torch.frombuffer(bytearray(data[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=types[v["dtype"]]).reshape(v["shape"])
            for k, v in header.items() if k != "__metadata__"}


out = sys.argv[1] if len(sys.argv) > 1 else "out/pytorch"
probe = json.load(open(f"{out}/probe.json"))
model = CharModel(**probe["config"])
model.load_state_dict(load_file(f"{out}/model.safetensors"), strict=True)
with torch.no_grad():
    logits = model(torch.tensor([probe["ids"]]))[0]
print("next-char guess, torch:   ", json.dumps("".join(probe["chars"][i] for i in logits.argmax(-1).tolist())))
print("next-char guess, tapegrad:", json.dumps(probe["tapegradGuess"]))
print(f"largest |torch - tapegrad| logit: {(logits - torch.tensor(probe['logits'])).abs().max().item():.2e}")
