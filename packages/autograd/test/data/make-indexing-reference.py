# Reference numbers for test/indexing-ops.test.ts and test/einsum.test.ts, computed by real
# PyTorch (1.13, float64), never by tapegrad: indexing and movement (gather, the scatter family,
# index_select/add/copy, masked_fill/select, nonzero, where(cond), flip, roll, repeat,
# repeat_interleave, diagonal, diag, triu, tril, meshgrid, one_hot), advanced indexing with
# index arrays and masks, slices with out-of-range bounds, pad's modes, and einsum.
#
# Regenerate (from the repository root) with Debian's python3 and python3-torch:
#     /usr/bin/python3 packages/autograd/test/data/make-indexing-reference.py
# Writes indexing-reference.json next to this script. Each case: a name (the test maps it to
# the tapegrad call), its inputs (float64 arrays; int64 index arrays and bool masks as lists
# with their dtype), the output, w (a cotangent of the output's shape, for float outputs) and
# grads = d sum(w * out) / d input for each float input (null for the others).

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rs = np.random.RandomState(2026)
cases = []


def arr(shape, lo=-2.0, hi=2.0):
    return rs.uniform(lo, hi, size=shape)


def ints(values):
    return np.asarray(values, dtype=np.int64)


def enc_input(a):
    a = np.asarray(a)
    kind = "bool" if a.dtype == np.bool_ else ("int" if a.dtype.kind in "iu" else "float")
    return {"dtype": kind, "shape": list(a.shape), "data": a.ravel().astype(float if kind == "float" else int).tolist()}


def enc_out(t):
    t = t.detach()
    kind = "bool" if t.dtype == torch.bool else ("int" if not t.is_floating_point() else "float")
    a = t.numpy()
    return {"dtype": kind, "shape": list(a.shape), "data": a.ravel().astype(float if kind == "float" else int).tolist()}


def case(name, fn, *inputs, **extra):
    """Runs fn on the inputs (float ones require grad) and records the output and, for a float
    output (or each of a list of them), the gradients of sum(w * out)."""
    ts = [torch.tensor(a, requires_grad=np.asarray(a).dtype.kind == "f") for a in inputs]
    out = fn(*ts)
    outs = out if isinstance(out, (list, tuple)) else [out]
    rec = {"name": name, "inputs": [enc_input(a) for a in inputs], **extra}
    rec["outputs"] = [enc_out(o) for o in outs]
    floats = [o for o in outs if o.is_floating_point()]
    if floats and any(t.requires_grad for t in ts):
        ws = [rs.uniform(-1, 1, size=tuple(o.shape)) for o in floats]
        loss = sum((o * torch.tensor(w)).sum() for o, w in zip(floats, ws))
        needs = [t for t in ts if t.requires_grad]
        gs = torch.autograd.grad(loss, needs, allow_unused=True)
        it = iter(gs)
        grads = []
        for t in ts:
            if t.requires_grad:
                g = next(it)
                grads.append(enc_out(torch.zeros_like(t) if g is None else g))
            else:
                grads.append(None)
        rec["w"] = [w.ravel().tolist() for w in ws]
        rec["grads"] = grads
    cases.append(rec)


# ---- gather and the scatter family
x34 = arr((3, 4))
case("gather axis 1", lambda x, i: torch.gather(x, 1, i), x34, ints([[0, 0, 3], [1, 2, 1], [3, 3, 0]]))
case("gather axis 0, smaller index", lambda x, i: torch.gather(x, 0, i), x34, ints([[2, 0], [2, 2]]))
case("scatter axis 1", lambda x, i, s: torch.scatter(x, 1, i, s), x34, ints([[3, 0], [1, 2], [0, 1]]), arr((3, 2)))
case("scatter value", lambda x, i: torch.scatter(x, 0, i, 7.5), x34, ints([[2, 0, 1, 1]]))
case("scatterAdd axis 0, repeats", lambda x, i, s: torch.scatter_add(x, 0, i, s), x34, ints([[0, 1, 1, 2], [0, 0, 2, 2]]), arr((2, 4)))
src_r = arr((2, 5))
idx_r = ints([[0, 1, 0, 3, 0], [2, 2, 1, 2, 0]])
for reduce in ["sum", "prod", "mean", "amax", "amin"]:
    for include in [True, False]:
        case(f"scatterReduce {reduce} includeSelf={include}", lambda x, i, s, r=reduce, inc=include: torch.scatter_reduce(x, 1, i, s, r, include_self=inc),
             arr((2, 4)), idx_r, src_r, reduce=reduce, includeSelf=include)
# ties: amax shares the gradient among equal values (self and src); prod at zeros
tx = np.array([[1.0, 5.0, 2.0], [0.5, 0.5, 3.0]])
ts_ = np.array([[5.0, 1.0, 5.0, 4.0], [3.0, 0.25, 0.5, 3.0]])
ti = ints([[1, 0, 1, 2], [2, 0, 1, 2]])
case("scatterReduce amax ties", lambda x, i, s: torch.scatter_reduce(x, 1, i, s, "amax"), tx, ti, ts_, reduce="amax", includeSelf=True)
case("scatterReduce amin ties", lambda x, i, s: torch.scatter_reduce(x, 1, i, s, "amin", include_self=False), tx, ti, ts_, reduce="amin", includeSelf=False)
zx = np.array([[0.0, 2.0, 3.0, 1.5], [1.0, 0.0, -2.0, 4.0]])
zs = np.array([[0.0, 1.5, 2.0, 0.0, 3.0], [2.0, 0.0, 0.0, -1.0, 0.5]])
zi = ints([[1, 0, 0, 2, 3], [0, 1, 1, 3, 3]])
case("scatterReduce prod zeros", lambda x, i, s: torch.scatter_reduce(x, 1, i, s, "prod"), zx, zi, zs, reduce="prod", includeSelf=True)
case("scatterReduce prod zeros, not self", lambda x, i, s: torch.scatter_reduce(x, 1, i, s, "prod", include_self=False), zx, zi, zs, reduce="prod", includeSelf=False)

# ---- index_select/add/copy, masks, nonzero
case("indexSelect", lambda x, i: torch.index_select(x, 1, i), x34, ints([3, 0, 3]))
case("indexAdd alpha", lambda x, i, s: torch.index_add(x, 0, i, s, alpha=-1.5), x34, ints([2, 0, 2]), arr((3, 4)))
case("indexCopy", lambda x, i, s: torch.index_copy(x, 1, i, s), x34, ints([3, 1]), arr((3, 2)))
mask34 = arr((3, 4)) > 0
case("maskedFill", lambda x, m: torch.masked_fill(x, m, -3.25), x34, mask34)
case("maskedFill broadcast mask, tensor value", lambda x, m, v: torch.masked_fill(x, m, v), x34, mask34[0], np.array(0.75))
case("maskedSelect broadcast", lambda x, m: torch.masked_select(x, m), arr((3, 1)), mask34)
case("nonzero", lambda x: torch.nonzero(x), np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]))
case("where(cond)", lambda x: torch.where(x), np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]))

# ---- movement
x234 = arr((2, 3, 4))
case("flip [0, 2]", lambda x: torch.flip(x, [0, 2]), x234)
case("roll flattened", lambda x: torch.roll(x, 5), x234)
case("roll [1, -3] on [2, 0]", lambda x: torch.roll(x, (1, -3), (2, 0)), x234)
case("repeat [2, 1, 3]", lambda x: x.repeat(2, 1, 3), arr((2, 2)))
case("repeatInterleave tensor repeats axis 1", lambda x: torch.repeat_interleave(x, torch.tensor([2, 0, 1, 3]), dim=1), x34)
case("repeatInterleave flattened", lambda x: torch.repeat_interleave(x, 2), arr((2, 2)))
case("diagonal offset 1 axes (2, 0)", lambda x: torch.diagonal(x, 1, 2, 0), x234)
case("diagonal offset -1", lambda x: torch.diagonal(x, -1), x34)
case("diag of a vector, offset -2", lambda x: torch.diag(x, -2), arr((3,)))
case("diag of a matrix, offset 2", lambda x: torch.diag(x, 2), x34)
case("triu 1", lambda x: torch.triu(x, 1), x234)
case("tril -1", lambda x: torch.tril(x, -1), x34)
case("meshgrid ij", lambda a, b, c: torch.meshgrid(a, b, c, indexing="ij"), arr((2,)), arr((3,)), arr((4,)))
case("meshgrid xy", lambda a, b, c: torch.meshgrid(a, b, c, indexing="xy"), arr((2,)), arr((3,)), arr((4,)))
case("oneHot", lambda i: F.one_hot(i, 5), ints([[0, 4], [2, 2]]))

# ---- advanced indexing (x[...] in torch; the test spells the same index in tapegrad's specs)
x345 = arr((3, 4, 5))
case("index [i, :, j] separated", lambda x, i, j: x[i, :, j], x345, ints([[0, 2], [1, 1]]), ints([4, 0]))
case("index [:, i, j] adjacent", lambda x, i, j: x[:, i, j], x345, ints([3, 0, 3]), ints([[1], [4]]))
case("index [1, :, j] integer counts as an index", lambda x, j: x[1, :, j], x345, ints([2, 2, 0]))
case("index [None, i, ..., 1:]", lambda x, i: x[None, i, ..., 1:], x345, ints([2, 0, 2]))
case("index [mask] on two axes", lambda x, m: x[m], x345, arr((3, 4)) > 0.5)
# torch has no negative steps: numpy's ::-2 on axis 0 is the flip's ::2
case("index [::-2, i, 1::2]", lambda x, i: torch.flip(x, [0])[::2, i, 1::2], x345, ints([-1, 0, -1]))
case("slice out of range", lambda x: x[1:99, -99:3, 10:], x345)
# numpy's positions for the backwards slices, read with index arrays in torch
rows, cols = np.arange(3)[99:-99:-1].copy(), np.arange(4)[2:-99:-2].copy()
case("slice backwards out of range", lambda x: x[torch.tensor(rows)][:, torch.tensor(cols)], x34)

# ---- pad
x23 = arr((2, 3))
case("pad constant value, negative", lambda x: F.pad(x, (2, -1, -1, 1), value=1.25), x23, widths=[[-1, 1], [2, -1]], mode="constant", value=1.25)
x1 = arr((2, 2, 4))
case("pad reflect", lambda x: F.pad(x, (3, 2), mode="reflect"), x1, widths=[[3, 2]], mode="reflect")
case("pad replicate", lambda x: F.pad(x, (3, 1), mode="replicate"), x1, widths=[[3, 1]], mode="replicate")
case("pad circular", lambda x: F.pad(x, (4, 2), mode="circular"), x1, widths=[[4, 2]], mode="circular")
x2 = arr((1, 2, 3, 4))
case("pad reflect 2d", lambda x: F.pad(x, (1, 3, 2, 1), mode="reflect"), x2, widths=[[2, 1], [1, 3]], mode="reflect")
case("pad replicate 2d", lambda x: F.pad(x, (2, 0, 1, 3), mode="replicate"), x2, widths=[[1, 3], [2, 0]], mode="replicate")

# ---- einsum
for eq, shapes in [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ii->", [(4, 4)]),
    ("ii->i", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i,j->ij", [(3,), (2,)]),
    ("i,i->", [(4,), (4,)]),
    ("ij,kj", [(2, 3), (4, 3)]),
    ("ba,ac", [(2, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("iji->j", [(2, 3, 2)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 2)]),
    ("i...->...", [(3, 2, 2)]),
    ("ab,ab,ab->a", [(2, 3), (2, 3), (2, 3)]),
    ("ij,jk->i", [(2, 3), (3, 1)]),
]:
    case(f"einsum {eq}", lambda *ts, e=eq: torch.einsum(e, *ts), *[arr(s) for s in shapes], equation=eq)

out = {"torch": torch.__version__, "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "indexing-reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print(f"wrote {len(cases)} cases to {path}")
