# Reference numbers for the small-network modules' tests (test/layer-norm, activations, conv,
# pool, rnn, attention, transformer and small-nets .test.ts; read through module-helpers.ts),
# from real PyTorch (Debian's python3-torch) in float64: for each module, its state dict (keys,
# shapes, values), an input, the output, and the gradients of sum(output * r) for a fixed random
# r with respect to the inputs and every parameter. Each case also checks here that strict
# load_state_dict accepts the stored dict.
#
# Regenerate (from the repository root) with:
#     /usr/bin/python3 packages/nn/test/data/make-modules-reference.py
# Writes modules-reference.json next to this script; the file records the torch version.

import json
import os

import torch
import torch.nn as nn

torch.manual_seed(20261202)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "modules-reference.json")


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()], "dtype": "bool"}
    # JSON has no infinities (a causal mask holds -inf): those are written as strings
    return {"shape": list(t.shape), "data": [v if abs(v) != float("inf") else ("inf" if v > 0 else "-inf") for v in t.flatten().tolist()]}


def case(name, kind, ctor, module, inputs, call=None, extra=None, randomize=False):
    """inputs: dict of name -> tensor (float ones get gradients); call(module, **inputs) -> output or (output, weights)."""
    module.eval()
    if randomize:
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(torch.randn_like(p))
    sd = {k: v.clone() for k, v in module.state_dict().items()}
    # the dict as the test sends it: strict loading into a fresh module of the same kind accepts it
    fresh = eval(ctor)
    fresh.load_state_dict(sd, strict=True)
    leaves = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    out = call(module, **leaves) if call else module(*leaves.values())
    outs = out if isinstance(out, tuple) else (out,)
    outs = [o for o in outs if o is not None]
    rs = [torch.randn_like(o) for o in outs]
    loss = sum((o * r).sum() for o, r in zip(outs, rs))
    loss.backward()
    return {
        "name": name,
        "kind": kind,
        "ctor": ctor,
        "keys": [[k, list(v.shape)] for k, v in sd.items()],
        "state": {k: enc(v) for k, v in sd.items()},
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "outputs": [enc(o) for o in outs],
        "cotangents": [enc(r) for r in rs],
        "inputGrads": {k: enc(v.grad) for k, v in leaves.items() if v.is_floating_point()},
        "paramGrads": {k: enc(p.grad) for k, p in module.named_parameters()},
        **(extra or {}),
    }


r = torch.randn
cases = []

# normalisation and activations
cases.append(case("LayerNorm(5)", "LayerNorm", "nn.LayerNorm(5)", nn.LayerNorm(5), {"x": r(2, 3, 5)}, randomize=True, extra={"args": [5], "opts": {}}))
cases.append(case("LayerNorm([3,5], elementwiseAffine false, eps 1e-3)", "LayerNorm", "nn.LayerNorm([3, 5], eps=1e-3, elementwise_affine=False)",
                  nn.LayerNorm([3, 5], eps=1e-3, elementwise_affine=False), {"x": r(2, 3, 5)}, extra={"args": [[3, 5]], "opts": {"eps": 1e-3, "elementwiseAffine": False}}))
for nm, ctor, args, opts in [
    ("GELU", "nn.GELU()", [], {}),
    ("GELU", "nn.GELU(approximate='tanh')", [], {"approximate": "tanh"}),
    ("SiLU", "nn.SiLU()", [], {}),
    ("Softmax", "nn.Softmax(dim=1)", [1], {}),
    ("LogSoftmax", "nn.LogSoftmax(dim=0)", [0], {}),
    ("Flatten", "nn.Flatten()", [], {}),
    ("Identity", "nn.Identity()", [], {}),
]:
    cases.append(case(ctor, nm, ctor, eval(ctor), {"x": 2 * r(3, 4, 2)}, extra={"args": args, "opts": opts}))

# convolution
for ctor, args, opts, shape in [
    ("nn.Conv1d(3, 4, 3, stride=2, padding=1)", [3, 4, 3], {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("nn.Conv1d(3, 6, 2, dilation=2, groups=3, bias=False)", [3, 6, 2], {"dilation": 2, "groups": 3, "bias": False}, (2, 3, 8)),
    ("nn.Conv2d(3, 4, 3, padding=1)", [3, 4, 3], {"padding": 1}, (2, 3, 6, 5)),
    ("nn.Conv2d(4, 6, (2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)", [4, 6, [2, 3]], {"stride": [2, 1], "padding": [1, 0], "dilation": [1, 2], "groups": 2}, (1, 4, 7, 8)),
    ("nn.Conv2d(2, 3, (3, 4), padding='same')", [2, 3, [3, 4]], {"padding": "same"}, (1, 2, 5, 6)),
    ("nn.Conv2d(2, 3, 2)", [2, 3, 2], {}, (2, 4, 4)),
]:
    kind = ctor.split("(")[0].split(".")[1]
    cases.append(case(ctor + (" unbatched" if len(shape) == 3 and kind == "Conv2d" else ""), kind, ctor, eval(ctor), {"x": r(*shape)}, extra={"args": args, "opts": opts}))

# pooling
for ctor, args, opts, shape in [
    ("nn.MaxPool1d(3, stride=2, padding=1)", [3], {"stride": 2, "padding": 1}, (2, 3, 10)),
    ("nn.MaxPool2d(2)", [2], {}, (2, 3, 6, 6)),
    ("nn.MaxPool2d(3, stride=2, padding=1)", [3], {"stride": 2, "padding": 1}, (1, 2, 7, 6)),
    ("nn.MaxPool2d(2, stride=1, dilation=2)", [2], {"stride": 1, "dilation": 2}, (1, 2, 6, 7)),
    ("nn.AvgPool1d(3, stride=2, padding=1)", [3], {"stride": 2, "padding": 1}, (2, 3, 10)),
    ("nn.AvgPool2d(2)", [2], {}, (2, 3, 6, 6)),
    ("nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)", [3], {"stride": 2, "padding": 1, "countIncludePad": False}, (1, 2, 7, 6)),
]:
    kind = ctor.split("(")[0].split(".")[1]
    cases.append(case(ctor, kind, ctor, eval(ctor), {"x": r(*shape)}, extra={"args": args, "opts": opts}))

# the Elman RNN
cases.append(case("nn.RNN(3, 4, num_layers=2)", "RNN", "nn.RNN(3, 4, num_layers=2)", nn.RNN(3, 4, num_layers=2),
                  {"x": r(5, 2, 3), "h0": r(2, 2, 4)}, call=lambda m, x, h0: m(x, h0), extra={"args": [3, 4], "opts": {"numLayers": 2}}))
cases.append(case("nn.RNN(3, 4, nonlinearity='relu', bidirectional=True, batch_first=True)", "RNN",
                  "nn.RNN(3, 4, nonlinearity='relu', bidirectional=True, batch_first=True)", nn.RNN(3, 4, nonlinearity="relu", bidirectional=True, batch_first=True),
                  {"x": r(2, 5, 3)}, extra={"args": [3, 4], "opts": {"nonlinearity": "relu", "bidirectional": True, "batchFirst": True}}))

# attention
kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
cases.append(case("nn.MultiheadAttention(6, 2) with key padding and float attn masks", "MultiheadAttention", "nn.MultiheadAttention(6, 2)", nn.MultiheadAttention(6, 2),
                  {"q": r(4, 2, 6), "k": r(5, 2, 6), "v": r(5, 2, 6), "keyPaddingMask": kpm, "attnMask": 0.5 * r(4, 5)},
                  call=lambda m, q, k, v, keyPaddingMask, attnMask: m(q, k, v, key_padding_mask=keyPaddingMask, attn_mask=attnMask),
                  randomize=True, extra={"args": [6, 2], "opts": {}, "forward": {}}))
causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
cases.append(case("nn.MultiheadAttention(6, 3, batch_first=True, bias=False) self-attention, causal bool mask, per-head weights", "MultiheadAttention",
                  "nn.MultiheadAttention(6, 3, batch_first=True, bias=False)", nn.MultiheadAttention(6, 3, batch_first=True, bias=False),
                  {"q": r(2, 4, 6), "k": r(2, 4, 6), "v": r(2, 4, 6), "attnMask": causal},
                  call=lambda m, q, k, v, attnMask: m(q, k, v, attn_mask=attnMask, average_attn_weights=False),
                  extra={"args": [6, 3], "opts": {"batchFirst": True, "bias": False}, "forward": {"averageAttnWeights": False}}))
cases.append(case("nn.MultiheadAttention(4, 2) unbatched", "MultiheadAttention", "nn.MultiheadAttention(4, 2)", nn.MultiheadAttention(4, 2),
                  {"q": r(3, 4), "k": r(5, 4), "v": r(5, 4)}, call=lambda m, q, k, v: m(q, k, v), randomize=True, extra={"args": [4, 2], "opts": {}, "forward": {}}))

# transformer encoder layers (dropout 0: the layer is deterministic)
src_mask = nn.Transformer.generate_square_subsequent_mask(5)
cases.append(case("nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0) causal", "TransformerEncoderLayer",
                  "nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)", nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
                  {"x": r(5, 2, 8), "srcMask": src_mask}, call=lambda m, x, srcMask: m(x, src_mask=srcMask), randomize=True,
                  extra={"args": [8, 2], "opts": {"dimFeedforward": 16, "dropout": 0}}))
cases.append(case("nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0, activation='gelu', batch_first=True, norm_first=True) key padding", "TransformerEncoderLayer",
                  "nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)",
                  nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0, activation="gelu", batch_first=True, norm_first=True),
                  {"x": r(2, 5, 8), "srcKeyPaddingMask": torch.tensor([[False] * 5, [False, False, False, True, True]])},
                  call=lambda m, x, srcKeyPaddingMask: m(x, src_key_padding_mask=srcKeyPaddingMask), randomize=True,
                  extra={"args": [8, 4], "opts": {"dimFeedforward": 12, "dropout": 0, "activation": "gelu", "batchFirst": True, "normFirst": True}}))

# max pooling over tied maxima (small integers): PyTorch sends each window's gradient to its
# first largest entry in the window's row-major order. Drawn after every case above, so their
# numbers stay as they were.
for ctor, args, opts, shape in [
    ("nn.MaxPool2d(2, stride=1)", [2], {"stride": 1}, (1, 2, 5, 5)),
    ("nn.MaxPool2d(3, stride=2, padding=1)", [3], {"stride": 2, "padding": 1}, (2, 1, 6, 5)),
    ("nn.MaxPool1d(3, stride=1, dilation=2)", [3], {"stride": 1, "dilation": 2}, (2, 2, 9)),
]:
    kind = ctor.split("(")[0].split(".")[1]
    cases.append(case(ctor + " with ties", kind, ctor, eval(ctor), {"x": torch.randint(-1, 2, shape).double()}, extra={"args": args, "opts": opts}))

# the keys and shapes of modules at their defaults: what strict load_state_dict requires
defaults = {
    "new TransformerEncoderLayer(16, 4)": nn.TransformerEncoderLayer(16, 4),
    "new MultiheadAttention(16, 4)": nn.MultiheadAttention(16, 4),
    "new Conv2d(3, 8, 5)": nn.Conv2d(3, 8, 5),
    "new RNN(3, 5, { numLayers: 2, bidirectional: true })": nn.RNN(3, 5, num_layers=2, bidirectional=True),
    "new LayerNorm([4, 6])": nn.LayerNorm([4, 6]),
}
json.dump({
    "torch": torch.__version__,
    "cases": cases,
    "defaultKeys": {k: [[n, list(v.shape)] for n, v in m.state_dict().items()] for k, m in defaults.items()},
}, open(OUT, "w"))
print(len(cases), "cases")
