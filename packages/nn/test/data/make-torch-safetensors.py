# Safetensors files whose tensors real PyTorch computed, for test/safetensors-dtypes.test.ts.
# Needs PyTorch (Debian's python3-torch 1.13); the `safetensors` package is not needed: the
# format (8-byte little-endian header length, JSON header, raw little-endian bytes) is written
# by hand below, and torch gives the exact bytes of every float16 and bfloat16 value.
# Regenerate from the repository root with:
#     /usr/bin/python3 packages/nn/test/data/make-torch-safetensors.py
# Writes, next to this script:
#   torch-widen.safetensors    F16 and BF16 bit patterns (every 5th pattern, and every special
#                              one) with torch's .float() of each as F32, under "__metadata__".
#   torch-narrow.safetensors   float32 (and float64) values with ties, subnormals, the overflow
#                              boundary and NaN, with torch's .half() and .bfloat16() of each.
#   torch-ints.safetensors     I64, I8, U8, I16, U16, U32 (and I32) tensors that fit int32, the
#                              extremes included.
#   torch-overflow-*.safetensors  one integer tensor each, with one element outside int32.

import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}


def raw(t):
    t = t.contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()  # little-endian on the machines torch runs on here


def save(path, tensors, metadata=None, dtypes=None):
    # tensors: name -> torch tensor; dtypes: name -> a file dtype torch lacks (U16, U32, U64),
    # for which the tensor holds the bytes' values in a wider type
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        if dtypes and name in dtypes:
            code = dtypes[name]
            fmt = {"U16": "<H", "U32": "<I", "U64": "<Q"}[code]
            b = b"".join(struct.pack(fmt, int(v)) for v in t.reshape(-1).tolist())
        else:
            code = NAMES[t.dtype]
            b = raw(t)
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ---------------------------------------------------------------- widening
special = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0x3C01, 0x7BFF, 0x7C00, 0xFC00, 0x7C01, 0x7E00, 0xFE00, 0x7FFF]
patterns = sorted(set(range(0, 65536, 5)) | set(special) | {0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x0080, 0x007F})
bits = torch.tensor([p - 65536 if p >= 32768 else p for p in patterns], dtype=torch.int16)
f16 = bits.view(torch.float16)
bf16 = bits.view(torch.bfloat16)
save("torch-widen.safetensors", {
    "f16": f16, "f16_as_f32": f16.float(),
    "bf16": bf16.reshape(-1, 1), "bf16_as_f32": bf16.float().reshape(-1, 1),
}, metadata={"format": "pt", "torch": torch.__version__, "script": "make-torch-safetensors.py"})

# ---------------------------------------------------------------- narrowing
g = torch.Generator().manual_seed(0)
vals = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.0, 65519.99, 65520.0, 65536.0, -65520.0, 1e10, -1e10,
        float("inf"), float("-inf"), float("nan"), 2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -25,
        2.0 ** -26, 1e-8, 1e-30, 3.4e38, -3.4e38, 0.1, 1 / 3, 2 / 3, 1e-3]
# ties in float16 (a half-ulp above a value with an even, then an odd, last bit) and in bfloat16
vals += [1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 2048 + 1, 2048 + 3, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 256 + 1, 256 + 3]
vals += [1 + 2.0 ** -11 + 2.0 ** -23, 1 + 2.0 ** -8 - 2.0 ** -23]
x = torch.tensor(vals, dtype=torch.float32)
x = torch.cat([x, torch.randn(200, generator=g) * torch.exp(torch.randn(200, generator=g) * 8), torch.randn(56, generator=g) * 1e-5]).float()
# a float64 value whose nearest float16 differs from that of its nearest float32: torch casts through float32
d = torch.tensor([1 + 2.0 ** -11 + 2.0 ** -40, 1 + 2.0 ** -8 + 2.0 ** -40, 0.1, 1e-7, 70000.0], dtype=torch.float64)
save("torch-narrow.safetensors", {
    "x": x, "x_f16": x.half(), "x_bf16": x.bfloat16(),
    "d": d, "d_f16": d.half(), "d_bf16": d.bfloat16(),
})

# ---------------------------------------------------------------- integers
save("torch-ints.safetensors", {
    "i64": torch.tensor([[0, 1, -1], [2 ** 31 - 1, -(2 ** 31), 123456789]], dtype=torch.int64),
    "i32": torch.tensor([2 ** 31 - 1, -(2 ** 31)], dtype=torch.int32),
    "i16": torch.tensor([-32768, 32767, -1, 0], dtype=torch.int16),
    "i8": torch.tensor([-128, 127, -1, 0, 5], dtype=torch.int8),
    "u8": torch.tensor([0, 255, 128, 7], dtype=torch.uint8),
    "u16": torch.tensor([0, 65535, 32768], dtype=torch.int64),
    "u32": torch.tensor([0, 2 ** 31 - 1, 65536], dtype=torch.int64),
    "mask": torch.tensor([True, False, True]),
}, dtypes={"u16": "U16", "u32": "U32"})

save("torch-overflow-i64.safetensors", {"ids": torch.tensor([1, 2, 2 ** 31, 3], dtype=torch.int64)})
save("torch-overflow-i64-neg.safetensors", {"ids": torch.tensor([[0, -(2 ** 31) - 1]], dtype=torch.int64)})
save("torch-overflow-i64-big.safetensors", {"ids": torch.tensor([-(2 ** 63)], dtype=torch.int64)})
save("torch-overflow-u32.safetensors", {"ids": torch.tensor([5, 2 ** 31], dtype=torch.int64)}, dtypes={"ids": "U32"})
save("torch-overflow-u64.safetensors", {"ids": torch.tensor([2 ** 32], dtype=torch.int64)}, dtypes={"ids": "U64"})
