# Reference numbers for issue 26's layers, losses and functions (test/batch-norm, group-norm,
# conv-transpose, pool-extra, upsample, sdpa and losses-extra .test.ts; read through
# layers-helpers.ts), from real PyTorch (Debian's python3-torch) in float64.
#
# A module case holds its state dict (keys, shapes, values; strict load_state_dict into a fresh
# module of the same kind is checked here), one or more calls (input, outputs, the gradients of
# sum(output * r) for a fixed random r with respect to the inputs and every parameter), and the
# state dict after the calls (BatchNorm's running statistics and num_batches_tracked). A function
# case holds its inputs, options, outputs and input gradients.
#
# Regenerate (from the repository root) with:
#     /usr/bin/python3 packages/nn/test/data/make-layers-reference.py
# Writes layers-reference.json (it records the torch version) and torch-batchnorm.safetensors
# next to this script.

import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261204)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers-reference.json")


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()], "dtype": "bool"}
    if not t.is_floating_point():
        return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()], "dtype": "int"}
    return {"shape": list(t.shape), "data": [v if abs(v) != float("inf") else ("inf" if v > 0 else "-inf") for v in t.flatten().tolist()]}


def module_case(name, kind, ctor, args, opts, inputs_list, train=False, randomize=False, call=None):
    """inputs_list: one dict of inputs per call; call(module, **inputs) -> output or tuple of outputs."""
    module = eval(ctor)
    module.train(train)
    if randomize:
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(torch.randn_like(p))
            for b_name, b in module.named_buffers():
                if b.is_floating_point():
                    b.copy_(torch.rand_like(b) + (0.5 if "var" in b_name else -0.5))
    sd = {k: v.clone() for k, v in module.state_dict().items()}
    fresh = eval(ctor)
    fresh.load_state_dict(sd, strict=True)
    calls = []
    for inputs in inputs_list:
        module.zero_grad()
        leaves = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
        out = call(module, **leaves) if call else module(*leaves.values())
        outs = out if isinstance(out, tuple) else (out,)
        floats = [o for o in outs if o.is_floating_point()]
        rs = [torch.randn_like(o) for o in floats]
        loss = sum((o * r).sum() for o, r in zip(floats, rs))
        loss.backward()
        calls.append({
            "inputs": {k: enc(v) for k, v in inputs.items()},
            "outputs": [enc(o) for o in outs],
            "cotangents": [enc(r) for r in rs],
            "inputGrads": {k: enc(v.grad) for k, v in leaves.items() if v.is_floating_point()},
            "paramGrads": {k: enc(p.grad) for k, p in module.named_parameters()},
        })
    return {
        "name": name, "kind": kind, "args": args, "opts": opts, "train": train,
        "keys": [[k, list(v.shape)] for k, v in sd.items()],
        "state": {k: enc(v) for k, v in sd.items()},
        "calls": calls,
        "stateAfter": {k: enc(v) for k, v in module.state_dict().items()},
    }


def fn_case(name, fn, opts, inputs, f, grad_of=None):
    """f(**leaves) -> output (a tensor); gradients of sum(output * r) for the float inputs in grad_of (default: all)."""
    names = grad_of if grad_of is not None else [k for k, v in inputs.items() if v.is_floating_point()]
    leaves = {k: (v.clone().requires_grad_(True) if k in names else v) for k, v in inputs.items()}
    out = f(**leaves)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    return {
        "name": name, "fn": fn, "opts": opts,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "output": enc(out), "cotangent": enc(r),
        "inputGrads": {k: enc(leaves[k].grad) for k in names},
    }


r = torch.randn
modules = []
functions = []

# ---- normalisation
for ctor, args, opts, shape, train in [
    ("nn.BatchNorm1d(3)", [3], {}, (4, 3), True),
    ("nn.BatchNorm1d(3, momentum=None)", [3], {"momentum": None}, (4, 3, 5), True),
    ("nn.BatchNorm1d(3, affine=False, momentum=0.3)", [3], {"affine": False, "momentum": 0.3}, (2, 3, 4), True),
    ("nn.BatchNorm1d(3, track_running_stats=False)", [3], {"trackRunningStats": False}, (4, 3), True),
    ("nn.BatchNorm2d(2)", [2], {}, (3, 2, 4, 5), True),
    ("nn.BatchNorm2d(2, eps=1e-3)", [2], {"eps": 1e-3}, (3, 2, 4, 5), False),
    ("nn.BatchNorm2d(2, track_running_stats=False)", [2], {"trackRunningStats": False}, (3, 2, 3, 3), False),
    ("nn.InstanceNorm1d(3)", [3], {}, (2, 3, 6), True),
    ("nn.InstanceNorm1d(3, affine=True, track_running_stats=True)", [3], {"affine": True, "trackRunningStats": True}, (2, 3, 6), True),
    ("nn.InstanceNorm2d(2, affine=True)", [2], {"affine": True}, (2, 2, 4, 3), True),
    ("nn.InstanceNorm2d(2, track_running_stats=True, momentum=0.5)", [2], {"trackRunningStats": True, "momentum": 0.5}, (2, 2, 4, 3), True),
    ("nn.InstanceNorm2d(2, track_running_stats=True)", [2], {"trackRunningStats": True}, (2, 2, 4, 3), False),
    ("nn.GroupNorm(2, 4)", [2, 4], {}, (3, 4, 5), False),
    ("nn.GroupNorm(3, 6, eps=1e-3, affine=False)", [3, 6], {"eps": 1e-3, "affine": False}, (2, 6, 2, 3), False),
    ("nn.GroupNorm(1, 3)", [1, 3], {}, (2, 3, 3, 2), False),
    ("nn.BatchNorm3d(2, momentum=0.2)", [2], {"momentum": 0.2}, (2, 2, 3, 2, 3), True),
    ("nn.InstanceNorm3d(2, affine=True, track_running_stats=True)", [2], {"affine": True, "trackRunningStats": True}, (2, 2, 2, 3, 2), True),
]:
    kind = ctor.split("(")[0].split(".")[1]
    calls = [{"x": 2 * r(*shape) + 1} for _ in range(3 if train else 1)]
    modules.append(module_case(ctor + (" train" if train else " eval"), kind, ctor, args, opts, calls, train=train, randomize=True))

# ---- convolution: transposed, 3-d, asymmetric and negative padding (F.pad, then the conv)
for ctor, args, opts, shape in [
    ("nn.ConvTranspose1d(3, 4, 3)", [3, 4, 3], {}, (2, 3, 5)),
    ("nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)", [4, 6, 3], {"stride": 2, "padding": 1, "outputPadding": 1, "groups": 2}, (2, 4, 5)),
    ("nn.ConvTranspose1d(2, 3, 4, stride=3, padding=2, dilation=2, bias=False)", [2, 3, 4], {"stride": 3, "padding": 2, "dilation": 2, "bias": False}, (1, 2, 4)),
    ("nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)", [3, 2, 3], {"stride": 2, "padding": 1, "outputPadding": 1}, (2, 3, 4, 3)),
    ("nn.ConvTranspose2d(4, 4, (2, 3), stride=(1, 2), padding=(0, 2), dilation=(2, 1), groups=4)", [4, 4, [2, 3]], {"stride": [1, 2], "padding": [0, 2], "dilation": [2, 1], "groups": 4}, (1, 4, 3, 5)),
    ("nn.ConvTranspose2d(2, 3, 3, stride=3, output_padding=2)", [2, 3, 3], {"stride": 3, "outputPadding": 2}, (2, 3, 3)),
    ("nn.ConvTranspose2d(2, 4, (3, 2), stride=1, padding=(2, 0), dilation=2, output_padding=1, groups=2)", [2, 4, [3, 2]], {"stride": 1, "padding": [2, 0], "dilation": 2, "outputPadding": 1, "groups": 2}, (1, 2, 4, 3)),
    ("nn.Conv3d(2, 3, 2)", [2, 3, 2], {}, (2, 2, 3, 4, 3)),
    ("nn.ConvTranspose3d(2, 3, (2, 3, 2), stride=(2, 1, 2), padding=(0, 1, 1), output_padding=(1, 0, 1))", [2, 3, [2, 3, 2]], {"stride": [2, 1, 2], "padding": [0, 1, 1], "outputPadding": [1, 0, 1]}, (1, 2, 2, 3, 3)),
    ("nn.Conv3d(2, 4, (2, 3, 1), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2)", [2, 4, [2, 3, 1]], {"stride": [1, 2, 1], "padding": [1, 0, 1], "dilation": [1, 1, 2], "groups": 2}, (1, 2, 3, 5, 4)),
]:
    kind = ctor.split("(")[0].split(".")[1]
    modules.append(module_case(ctor, kind, ctor, args, opts, [{"x": r(*shape)}]))

# asymmetric and negative padding: the pairs per spatial dim (ours) are F.pad's widths reversed
for ctor, args, pairs, shape in [
    ("nn.Conv2d(2, 3, 3)", [2, 3, 3], [[1, 2], [0, 3]], (2, 2, 5, 4)),
    ("nn.Conv2d(2, 3, 2)", [2, 3, 2], [[-1, 1], [2, -1]], (1, 2, 5, 6)),
    ("nn.Conv1d(2, 2, 3, stride=2)", [2, 2, 3], [[2, -1]], (2, 2, 7)),
]:
    kind = ctor.split("(")[0].split(".")[1]
    fpad = [w for pair in reversed(pairs) for w in pair]
    opts = {"stride": 2} if "stride" in ctor else {}
    modules.append(module_case(f"{ctor} with padding {pairs}", kind, ctor, args, {**opts, "padding": pairs}, [{"x": r(*shape)}],
                               call=lambda m, x, fpad=fpad: m(F.pad(x, fpad))))

# ---- pooling
for ctor, kind, args, opts, shape in [
    ("nn.MaxPool2d(3, stride=2, ceil_mode=True)", "MaxPool2d", [3], {"stride": 2, "ceilMode": True}, (1, 2, 6, 7)),
    ("nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True)", "MaxPool2d", [2], {"stride": 2, "padding": 1, "ceilMode": True}, (2, 1, 5, 5)),
    ("nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True)", "MaxPool1d", [3], {"stride": 2, "padding": 1, "ceilMode": True}, (2, 2, 8)),
    ("nn.AvgPool2d(3, stride=2, ceil_mode=True)", "AvgPool2d", [3], {"stride": 2, "ceilMode": True}, (1, 2, 6, 7)),
    ("nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)", "AvgPool2d", [3], {"stride": 2, "padding": 1, "ceilMode": True}, (1, 2, 6, 6)),
    ("nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)", "AvgPool2d", [3], {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}, (1, 2, 6, 6)),
    ("nn.AvgPool1d(2, stride=2, padding=1, ceil_mode=True, count_include_pad=False)", "AvgPool1d", [2], {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}, (2, 2, 6)),
    ("nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)", "AvgPool1d", [3], {"stride": 2, "padding": 1, "ceilMode": True}, (1, 2, 8)),
    ("nn.MaxPool3d(2)", "MaxPool3d", [2], {}, (2, 2, 4, 4, 5)),
    ("nn.MaxPool3d((2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True)", "MaxPool3d", [[2, 3, 2]], {"stride": [1, 2, 2], "padding": [1, 1, 0], "ceilMode": True}, (1, 2, 3, 5, 5)),
    ("nn.AvgPool3d(2, stride=1)", "AvgPool3d", [2], {"stride": 1}, (1, 2, 3, 3, 4)),
    ("nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False)", "AvgPool3d", [3], {"stride": 2, "padding": 1, "countIncludePad": False}, (1, 1, 4, 5, 4)),
    ("nn.AdaptiveAvgPool1d(3)", "AdaptiveAvgPool1d", [3], {}, (2, 3, 7)),
    ("nn.AdaptiveAvgPool1d(5)", "AdaptiveAvgPool1d", [5], {}, (1, 2, 5)),
    ("nn.AdaptiveAvgPool2d((2, 3))", "AdaptiveAvgPool2d", [[2, 3]], {}, (2, 2, 5, 7)),
    ("nn.AdaptiveAvgPool2d(1)", "AdaptiveAvgPool2d", [1], {}, (2, 3, 4, 4)),
    ("nn.AdaptiveAvgPool2d((4, 5))", "AdaptiveAvgPool2d", [[4, 5]], {}, (1, 1, 3, 3)),
    ("nn.AdaptiveAvgPool3d((2, 1, 3))", "AdaptiveAvgPool3d", [[2, 1, 3]], {}, (1, 2, 3, 4, 5)),
    ("nn.AdaptiveMaxPool1d(3)", "AdaptiveMaxPool1d", [3], {}, (2, 2, 7)),
    ("nn.AdaptiveMaxPool2d((2, 3))", "AdaptiveMaxPool2d", [[2, 3]], {}, (2, 2, 5, 7)),
    ("nn.AdaptiveMaxPool2d((4, 5))", "AdaptiveMaxPool2d", [[4, 5]], {}, (1, 1, 3, 3)),
]:
    modules.append(module_case(ctor, kind, ctor, args, opts, [{"x": r(*shape)}]))

# max pooling with indices, and unpooling them
for ctor, args, opts, shape in [
    ("nn.MaxPool2d(2, return_indices=True)", [2], {"returnIndices": True}, (2, 2, 4, 6)),
    ("nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True, return_indices=True)", [3], {"stride": 2, "padding": 1, "ceilMode": True, "returnIndices": True}, (1, 2, 6, 5)),
    ("nn.MaxPool1d(2, stride=1, return_indices=True)", [2], {"stride": 1, "returnIndices": True}, (2, 2, 5)),
    ("nn.MaxPool2d(2, stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True)", [2], {"stride": 2, "padding": 1, "dilation": 2, "ceilMode": True, "returnIndices": True}, (1, 2, 6, 7)),
    ("nn.MaxPool3d(2, stride=1, return_indices=True)", [2], {"stride": 1, "returnIndices": True}, (1, 1, 3, 3, 3)),
]:
    kind = ctor.split("(")[0].split(".")[1]
    modules.append(module_case(ctor, kind, ctor, args, opts, [{"x": r(*shape)}]))

pool = nn.MaxPool2d(2, return_indices=True)
xin = r(2, 3, 4, 6)
_, idx = pool(xin)
modules.append(module_case("nn.MaxUnpool2d(2) of MaxPool2d(2)'s indices", "MaxUnpool2d", "nn.MaxUnpool2d(2)", [2], {}, [{"x": r(*idx.shape), "indices": idx}],
                           call=lambda m, x, indices: m(x, indices)))
pool = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)
xin = r(1, 2, 7, 6)
_, idx = pool(xin)
modules.append(module_case("nn.MaxUnpool2d(3, stride=2, padding=1), output_size (7, 6)", "MaxUnpool2d", "nn.MaxUnpool2d(3, stride=2, padding=1)", [3], {"stride": 2, "padding": 1},
                           [{"x": r(*idx.shape), "indices": idx}], call=lambda m, x, indices: m(x, indices, output_size=[7, 6])))

pool = nn.MaxPool1d(2, stride=1, return_indices=True)
_, idx = pool(r(2, 2, 6))
modules.append(module_case("nn.MaxUnpool1d(2, stride=1) of overlapping windows' indices", "MaxUnpool1d", "nn.MaxUnpool1d(2, stride=1)", [2], {"stride": 1},
                           [{"x": r(*idx.shape), "indices": idx}], call=lambda m, x, indices: m(x, indices)))
pool = nn.MaxPool3d(2, return_indices=True)
_, idx = pool(r(1, 2, 4, 2, 4))
modules.append(module_case("nn.MaxUnpool3d(2)", "MaxUnpool3d", "nn.MaxUnpool3d(2)", [2], {},
                           [{"x": r(*idx.shape), "indices": idx}], call=lambda m, x, indices: m(x, indices)))

# ---- upsampling
for ctor, kind, args, opts, shape in [
    ("nn.Upsample(scale_factor=2, mode='nearest')", "Upsample", [], {"scaleFactor": 2, "mode": "nearest"}, (2, 2, 3, 4)),
    ("nn.Upsample(size=(5, 7), mode='bilinear')", "Upsample", [], {"size": [5, 7], "mode": "bilinear"}, (1, 2, 3, 4)),
    ("nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)", "Upsample", [], {"scaleFactor": 2, "mode": "bilinear", "alignCorners": True}, (1, 2, 3, 3)),
    ("nn.Upsample(size=7, mode='linear')", "Upsample", [], {"size": 7, "mode": "linear"}, (2, 3, 4)),
    ("nn.Upsample(size=5, mode='nearest')", "Upsample", [], {"size": 5, "mode": "nearest"}, (1, 2, 3)),
    ("nn.PixelShuffle(2)", "PixelShuffle", [2], {}, (2, 8, 3, 2)),
    ("nn.PixelUnshuffle(2)", "PixelUnshuffle", [2], {}, (1, 2, 4, 6)),
]:
    modules.append(module_case(ctor, kind, ctor, args, opts, [{"x": r(*shape)}]))

for opts, shape, torch_kw in [
    ({"size": [3, 2], "mode": "bilinear"}, (1, 2, 5, 7), dict(size=(3, 2), mode="bilinear")),
    ({"scaleFactor": 1.5, "mode": "bilinear"}, (1, 1, 4, 4), dict(scale_factor=1.5, mode="bilinear")),
    ({"scaleFactor": [0.5, 1.7], "mode": "bilinear", "alignCorners": True}, (2, 1, 6, 5), dict(scale_factor=(0.5, 1.7), mode="bilinear", align_corners=True)),
    ({"size": [4, 9], "mode": "nearest"}, (1, 2, 3, 4), dict(size=(4, 9), mode="nearest")),
    ({"scaleFactor": 1.5, "mode": "nearest"}, (1, 1, 5, 3), dict(scale_factor=1.5, mode="nearest")),
    ({"scaleFactor": 2.5, "mode": "linear", "alignCorners": False}, (2, 2, 5), dict(scale_factor=2.5, mode="linear", align_corners=False)),
    ({"size": 3, "mode": "linear", "alignCorners": True}, (1, 2, 8), dict(size=3, mode="linear", align_corners=True)),
    ({"size": 1, "mode": "linear", "alignCorners": True}, (1, 1, 4), dict(size=1, mode="linear", align_corners=True)),
    ({"size": [3, 5, 4], "mode": "trilinear"}, (1, 2, 2, 3, 5), dict(size=(3, 5, 4), mode="trilinear")),
    ({"scaleFactor": 1.5, "mode": "trilinear", "alignCorners": True}, (1, 1, 3, 2, 4), dict(scale_factor=1.5, mode="trilinear", align_corners=True)),
    ({"size": [5, 7], "mode": "nearest-exact"}, (1, 2, 3, 4), dict(size=(5, 7), mode="nearest-exact")),
    ({"scaleFactor": 0.6, "mode": "nearest-exact"}, (2, 1, 7), dict(scale_factor=0.6, mode="nearest-exact")),
    ({"scaleFactor": 2, "mode": "nearest"}, (1, 1, 2, 3, 2), dict(scale_factor=2, mode="nearest")),
    ({"size": [5, 7], "mode": "bicubic"}, (1, 2, 3, 4), dict(size=(5, 7), mode="bicubic")),
    ({"scaleFactor": 1.7, "mode": "bicubic", "alignCorners": True}, (2, 1, 4, 3), dict(scale_factor=1.7, mode="bicubic", align_corners=True)),
    ({"size": [2, 3], "mode": "bicubic"}, (1, 1, 5, 7), dict(size=(2, 3), mode="bicubic")),
    ({"size": [2, 3], "mode": "area"}, (1, 2, 5, 7), dict(size=(2, 3), mode="area")),
    ({"scaleFactor": 0.5, "mode": "area"}, (1, 2, 9), dict(scale_factor=0.5, mode="area")),
]:
    functions.append(fn_case(f"interpolate {torch_kw}", "interpolate", opts, {"x": r(*shape)}, lambda x, kw=torch_kw: F.interpolate(x, **kw)))


# ---- scaled dot-product attention (torch 1.13 has no F.scaled_dot_product_attention; this is
# the formula of torch 2's docs: softmax(q k^T * scale + mask) v, a bool mask's True = attend)
def sdpa(q, k, v, attn_mask=None, is_causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    s = (1 / math.sqrt(q.shape[-1])) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * s
    if is_causal:
        scores = scores.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else scores + attn_mask
    return torch.softmax(scores, -1) @ v


functions.append(fn_case("sdpa plain", "sdpa", {}, {"q": r(2, 3, 4, 5), "k": r(2, 3, 6, 5), "v": r(2, 3, 6, 7)}, lambda q, k, v: sdpa(q, k, v)))
functions.append(fn_case("sdpa isCausal, scale 0.3", "sdpa", {"isCausal": True, "scale": 0.3}, {"q": r(2, 4, 3), "k": r(2, 4, 3), "v": r(2, 4, 3)},
                         lambda q, k, v: sdpa(q, k, v, is_causal=True, scale=0.3)))
bm = torch.rand(3, 5) > 0.3
bm[:, 0] = True
functions.append(fn_case("sdpa bool mask", "sdpa", {}, {"q": r(2, 3, 4), "k": r(2, 5, 4), "v": r(2, 5, 2), "attnMask": bm},
                         lambda q, k, v, attnMask: sdpa(q, k, v, attn_mask=attnMask)))
functions.append(fn_case("sdpa additive mask broadcast over heads", "sdpa", {}, {"q": r(1, 2, 3, 4), "k": r(1, 2, 3, 4), "v": r(1, 2, 3, 4), "attnMask": r(1, 1, 3, 3)},
                         lambda q, k, v, attnMask: sdpa(q, k, v, attn_mask=attnMask), grad_of=["q", "k", "v"]))

# ---- losses
def loss_case(name, fn, opts, inputs, f, grad_of=None):
    functions.append(fn_case(name, fn, opts, inputs, f, grad_of))


p = torch.rand(3, 4) * 0.98 + 0.01
y = torch.rand(3, 4)
loss_case("binaryCrossEntropy mean", "binaryCrossEntropy", {}, {"x": p, "y": y}, lambda x, y: F.binary_cross_entropy(x, y))
loss_case("binaryCrossEntropy weight, sum", "binaryCrossEntropy", {"reduction": "sum"}, {"x": p, "y": y, "weight": torch.rand(4)},
          lambda x, y, weight: F.binary_cross_entropy(x, y, weight=weight, reduction="sum"), grad_of=["x"])
pe = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.0, 1e-60]])
ye = torch.tensor([[0.0, 1.0, 1.0], [0.3, 0.2, 0.5]])
loss_case("binaryCrossEntropy at 0 and 1 (log clamped at -100), none", "binaryCrossEntropy", {"reduction": "none"}, {"x": pe, "y": ye},
          lambda x, y: F.binary_cross_entropy(x, y, reduction="none"))
a, b = r(4, 5), r(4, 5)
loss_case("l1Loss mean", "l1Loss", {}, {"x": a, "y": b}, lambda x, y: F.l1_loss(x, y))
loss_case("l1Loss none", "l1Loss", {"reduction": "none"}, {"x": a, "y": b}, lambda x, y: F.l1_loss(x, y, reduction="none"))
loss_case("smoothL1Loss beta 1", "smoothL1Loss", {}, {"x": a, "y": b}, lambda x, y: F.smooth_l1_loss(x, y))
loss_case("smoothL1Loss beta 0.5, sum", "smoothL1Loss", {"beta": 0.5, "reduction": "sum"}, {"x": a, "y": b}, lambda x, y: F.smooth_l1_loss(x, y, beta=0.5, reduction="sum"))
loss_case("smoothL1Loss beta 0 (l1)", "smoothL1Loss", {"beta": 0}, {"x": a, "y": b}, lambda x, y: F.smooth_l1_loss(x, y, beta=0.0))
loss_case("huberLoss delta 1", "huberLoss", {}, {"x": a, "y": b}, lambda x, y: F.huber_loss(x, y))
loss_case("huberLoss delta 0.7, none", "huberLoss", {"delta": 0.7, "reduction": "none"}, {"x": a, "y": b}, lambda x, y: F.huber_loss(x, y, delta=0.7, reduction="none"))
lq = torch.log_softmax(r(3, 5), 1)
tp = torch.softmax(r(3, 5), 1)
tp[0, 2] = 0.0  # a zero target term counts 0 (its gradient with respect to the target is NaN in torch: not compared)
loss_case("klDivLoss batchmean", "klDivLoss", {"reduction": "batchmean"}, {"x": lq, "y": tp}, lambda x, y: F.kl_div(x, y, reduction="batchmean"), grad_of=["x"])
loss_case("klDivLoss mean", "klDivLoss", {}, {"x": lq, "y": tp}, lambda x, y: F.kl_div(x, y, reduction="mean"), grad_of=["x"])
loss_case("klDivLoss logTarget, sum", "klDivLoss", {"logTarget": True, "reduction": "sum"}, {"x": lq, "y": torch.log_softmax(r(3, 5), 1)},
          lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True))
loss_case("klDivLoss none", "klDivLoss", {"reduction": "none"}, {"x": lq, "y": tp}, lambda x, y: F.kl_div(x, y, reduction="none"), grad_of=["x"])
c1, c2 = r(4, 6), r(4, 6)
lab = torch.tensor([1.0, -1.0, 1.0, -1.0])
loss_case("cosineEmbeddingLoss", "cosineEmbeddingLoss", {}, {"x": c1, "y": c2, "target": lab}, lambda x, y, target: F.cosine_embedding_loss(x, y, target), grad_of=["x", "y"])
loss_case("cosineEmbeddingLoss margin 0.2, none", "cosineEmbeddingLoss", {"margin": -0.2, "reduction": "none"}, {"x": c1, "y": c2, "target": lab},
          lambda x, y, target: F.cosine_embedding_loss(x, y, target, margin=-0.2, reduction="none"), grad_of=["x", "y"])
logits = r(5, 4)
tgt = torch.tensor([0, 3, -100, 2, 3])
w = torch.rand(4) + 0.5
loss_case("crossEntropy weight, labelSmoothing 0.2, ignoreIndex -100", "crossEntropy", {"labelSmoothing": 0.2}, {"x": logits, "target": tgt, "weight": w},
          lambda x, target, weight: F.cross_entropy(x, target, weight=weight, label_smoothing=0.2), grad_of=["x"])
loss_case("crossEntropy weight, labelSmoothing 0.1, ignoreIndex 3, sum", "crossEntropy", {"labelSmoothing": 0.1, "ignoreIndex": 3, "reduction": "sum"},
          {"x": logits, "target": torch.tensor([0, 3, 1, 2, 3]), "weight": w},
          lambda x, target, weight: F.cross_entropy(x, target, weight=weight, label_smoothing=0.1, ignore_index=3, reduction="sum"), grad_of=["x"])

# ---- print(module): each module's repr, for the layers' extraRepr
REPRS = [
    "nn.BatchNorm1d(3)", "nn.BatchNorm2d(2, momentum=None, affine=False)", "nn.InstanceNorm1d(3)",
    "nn.InstanceNorm2d(2, affine=True, track_running_stats=True)", "nn.GroupNorm(2, 4)", "nn.GroupNorm(1, 3, eps=1e-3, affine=False)",
    "nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)", "nn.ConvTranspose1d(4, 6, 3, groups=2, bias=False)",
    "nn.Conv3d(2, 3, 2)", "nn.MaxPool3d(2)", "nn.MaxPool2d(3, stride=2, ceil_mode=True)", "nn.AvgPool3d(2, stride=1)",
    "nn.AdaptiveAvgPool1d(3)", "nn.AdaptiveAvgPool2d((2, 3))", "nn.AdaptiveAvgPool2d(1)", "nn.MaxUnpool2d(3, stride=2, padding=1)",
    "nn.Upsample(scale_factor=2, mode='nearest')", "nn.Upsample(size=(5, 7), mode='bilinear')", "nn.PixelShuffle(2)", "nn.PixelUnshuffle(2)",
    "nn.BatchNorm3d(4)", "nn.InstanceNorm3d(2)", "nn.ConvTranspose3d(2, 3, 2, stride=2)", "nn.MaxUnpool1d(2)", "nn.MaxUnpool3d(2, stride=1)",
    "nn.AdaptiveAvgPool3d(2)", "nn.AdaptiveMaxPool1d(3)", "nn.AdaptiveMaxPool2d((2, 3))",
]
REPRS += ["nn.CrossEntropyLoss(label_smoothing=0.1)", "nn.HuberLoss(delta=2.0)", "nn.BCEWithLogitsLoss()", "nn.KLDivLoss(reduction='batchmean')"]
reprs = {ctor: repr(eval(ctor)) for ctor in REPRS}

# ---- the loss modules' state dicts: a class weight (and pos_weight) is a buffer
LOSS_KEYS = [
    "nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]))", "nn.NLLLoss(weight=torch.tensor([1.0, 2.0, 0.5]))", "nn.NLLLoss()",
    "nn.BCELoss(weight=torch.tensor([1.0, 2.0, 0.5]))", "nn.BCEWithLogitsLoss(weight=torch.tensor([1.0, 2.0, 0.5]), pos_weight=torch.tensor([3.0, 1.0, 2.0]))",
    "nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0, 1.0, 2.0]))", "nn.MSELoss()", "nn.L1Loss()",
]
loss_keys = {ctor: {k: enc(v) for k, v in eval(ctor).state_dict().items()} for ctor in LOSS_KEYS}

# ---- a float32 Conv2d + BatchNorm2d trained two steps in torch, its state dict written as
# safetensors by hand (8-byte little-endian header length, JSON header, raw bytes; num_batches_tracked
# is I64 as torch saves it), with an input and the eval-mode output for the test to compare.
net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)).float()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for _ in range(2):
    opt.zero_grad()
    net(torch.randn(4, 2, 5, 5, dtype=torch.float32)).square().mean().backward()
    opt.step()
net.eval()
xb = torch.randn(2, 2, 5, 5, dtype=torch.float32)
with torch.no_grad():
    yb = net(xb)
NAMES = {torch.float32: "F32", torch.int64: "I64"}
header, blobs, offset = {}, [], 0
for k, v in net.state_dict().items():
    b = v.contiguous().numpy().tobytes()
    header[k] = {"dtype": NAMES[v.dtype], "shape": list(v.shape), "data_offsets": [offset, offset + len(b)]}
    blobs.append(b)
    offset += len(b)
hjson = json.dumps(header).encode()
with open(os.path.join(os.path.dirname(OUT), "torch-batchnorm.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hjson)) + hjson + b"".join(blobs))
batchnorm_file = {"x": enc(xb.double()), "y": enc(yb.double()), "numBatchesTracked": int(net[1].num_batches_tracked)}

json.dump({"torch": torch.__version__, "modules": modules, "functions": functions, "reprs": reprs, "batchnormFile": batchnorm_file, "lossKeys": loss_keys}, open(OUT, "w"))
print(f"wrote {OUT}: {len(modules)} module cases, {len(functions)} function cases")
