# Reference numbers for test/reductions-extra.test.ts, computed by real PyTorch (1.13, float64),
# never by tapegrad: reductions and scans (prod, std, norm, normalize, cumsum, cumprod,
# logcumsumexp, cummax/cummin, sort, argsort, topk, kthvalue, median, mode, max/min with
# indices, amax/amin), their values, the indices they return, their gradients and, where the
# second derivative is of interest (prod and cumprod at zeros), a gradient of the gradient.
#
# Regenerate (from the repository root) with Debian's python3 and python3-torch:
#     /usr/bin/python3 packages/autograd/test/data/make-reduce-reference.py
# Writes reduce-reference.json next to this script. Each case: the op and its arguments (the
# names tapegrad's call takes), the input x, the outputs (values, and indices where the op
# gives them), w (a cotangent of the values' shape), grad = d sum(w * values) / dx and, for
# some cases, v and grad2 = d sum(v * grad) / dx. Non-finite numbers are written as the
# strings "nan", "inf", "-inf".

import json
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rs = np.random.RandomState(26)


def enc(a):
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return a.tolist()
    def f(v):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return float(v)
    return np.vectorize(f, otypes=[object])(a).tolist() if a.ndim > 0 else f(float(a))


cases = []


def prod_hessian_vec(x, w, v, axes):
    """Closed form of d sum(v * grad) / dx for values = prod over `axes` and cotangent w:
    grad_i = w_g prod_{k != i} x_k over i's group g, so d grad_i / dx_m = w_g prod_{k != i, m} x_k
    (m != i, same group). Products taken directly, no division: exact at zeros."""
    axes = list(range(x.ndim)) if axes is None else ([axes] if isinstance(axes, int) else axes)
    keep = [i for i in range(x.ndim) if i not in axes]
    xt = np.transpose(x, keep + axes)
    vt = np.transpose(v, keep + axes)
    lead = xt.shape[: len(keep)]
    xg = xt.reshape(int(np.prod(lead)), -1)
    vg = vt.reshape(xg.shape)
    wg = np.asarray(w).reshape(-1)
    out = np.zeros_like(xg)
    n = xg.shape[1]
    for g in range(xg.shape[0]):
        for m in range(n):
            out[g, m] = sum(vg[g, i] * wg[g] * np.prod([xg[g, k] for k in range(n) if k != i and k != m]) for i in range(n) if i != m)
    return np.transpose(out.reshape(xt.shape), np.argsort(keep + axes))


def cumprod_hessian_vec(x, w, v):
    """Closed form for values = cumprod of a 1-D x: grad_i = sum_{k >= i} w_k prod_{j <= k, j != i} x_j,
    so d sum_i v_i grad_i / dx_m = sum_{i != m} v_i sum_{k >= max(i, m)} w_k prod_{j <= k, j != i, m} x_j."""
    n = len(x)
    return np.array([sum(v[i] * sum(w[k] * np.prod([x[j] for j in range(k + 1) if j != i and j != m]) for k in range(max(i, m), n)) for i in range(n) if i != m) for m in range(n)])


def case(op, x, fn, args, second=False, note="", hessian=None):
    """fn(t) returns the values tensor, or (values, indices). With `hessian` (a closed form of
    (x, w, v)), grad2 comes from it; else, with `second`, from torch's double backward."""
    x = np.asarray(x, dtype=np.float64)
    t = torch.tensor(x, requires_grad=True)
    out = fn(t)
    values, indices = (out if isinstance(out, tuple) else (out, None))
    w = rs.uniform(-1, 1, size=values.shape)
    entry = {"op": op, "args": args, "note": note, "x": enc(x), "values": enc(values.detach().numpy()), "w": enc(w)}
    if indices is not None:
        entry["indices"] = indices.numpy().astype(np.int64).tolist()
    if values.requires_grad:
        (g,) = torch.autograd.grad((values * torch.tensor(w)).sum(), t, create_graph=second, allow_unused=True)
        if g is None:  # the values do not depend on x (the 0-norm, a count): the gradient is 0
            g = torch.zeros_like(t)
        entry["grad"] = enc(g.detach().numpy())
        if second or hessian is not None:
            v = rs.uniform(-1, 1, size=x.shape)
            entry["v"] = enc(v)
            if hessian is not None:
                entry["grad2"] = enc(hessian(x, w, v))
            else:
                (g2,) = torch.autograd.grad((g * torch.tensor(v)).sum(), t)
                entry["grad2"] = enc(g2.numpy())
    cases.append(entry)


def rnd(*shape):
    return rs.uniform(-2, 2, size=shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return (rs.permutation(n) * 0.25 - n / 8 + rs.uniform(-0.05, 0.05, n)).reshape(shape)


# ---- prod: no zeros, one zero, two zeros, all zeros, over one axis, several, all
pz = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, 1.25], [0.75, -1.0, 2.0, 1.5], [0.0, 0.0, 0.0, 0.0]])
for axis in [None, 0, 1, [0, 1]]:
    for keep in [False, True]:
        dim = axis if isinstance(axis, int) else None
        if isinstance(axis, list) or axis is None:
            fn = (lambda t, k=keep: t.prod().reshape([1, 1]) if k else t.prod())
        else:
            fn = (lambda t, d=dim, k=keep: t.prod(d, keepdim=k))
        case("prod", pz, fn, {"axis": axis, "keepdims": keep}, hessian=lambda x, w, v, a=axis: prod_hessian_vec(x, w, v, a))
case("prod", rnd(3, 4), lambda t: t.prod(1), {"axis": 1, "keepdims": False}, hessian=lambda x, w, v: prod_hessian_vec(x, w, v, 1))
case("prod", rnd(2, 3, 2), lambda t: t.prod(), {"axis": None, "keepdims": False}, hessian=lambda x, w, v: prod_hessian_vec(x, w, v, None))
two = np.array([[2.0, 0.0, 3.0, 0.0, -1.5], [1.5, 0.0, -2.0, 0.5, 1.0]])
case("prod", two, lambda t: t.prod(1), {"axis": 1, "keepdims": False}, hessian=lambda x, w, v: prod_hessian_vec(x, w, v, 1), note="two zeros: the Hessian is not 0")

# ---- cumsum, cumprod (zeros: none, one, two, leading), logcumsumexp
case("cumsum", rnd(3, 4), lambda t: t.cumsum(0), {"axis": 0})
case("cumsum", rnd(3, 4), lambda t: t.cumsum(1), {"axis": 1})
case("cumsum", rnd(2, 3, 2), lambda t: t.cumsum(-2), {"axis": -2})
for row in [[1.5, -2.0, 0.5, 3.0, -0.75], [2.0, 0.0, 3.0, -1.5, 4.0], [2.0, 0.0, 3.0, 0.0, 4.0], [0.0, 2.0, 3.0, 1.5, -1.0], [0.0, 0.0, 0.0, 2.0, 1.0]]:
    case("cumprod", row, lambda t: t.cumprod(0), {"axis": 0}, hessian=lambda x, w, v: cumprod_hessian_vec(x, w, v))
case("cumprod", pz, lambda t: t.cumprod(1), {"axis": 1})
case("cumprod", pz, lambda t: t.cumprod(0), {"axis": 0})
case("logcumsumexp", rnd(3, 4), lambda t: t.logcumsumexp(1), {"axis": 1}, second=True)
case("logcumsumexp", rnd(3, 4), lambda t: t.logcumsumexp(0), {"axis": 0})
case("logcumsumexp", [1000.0, -1000.0, 1000.0, 0.0], lambda t: t.logcumsumexp(0), {"axis": 0})
case("logcumsumexp", [-math.inf, 1.0, -math.inf, 2.0], lambda t: t.logcumsumexp(0), {"axis": 0}, note="no grad: torch gives nan at -inf")

# ---- cummax, cummin (ties go to the later index)
for op in ["cummax", "cummin"]:
    f = getattr(torch, op)
    case(op, rnd(3, 5), lambda t, f=f: tuple(f(t, 1)), {"axis": 1})
    case(op, rnd(4, 3), lambda t, f=f: tuple(f(t, 0)), {"axis": 0})
    case(op, [1.0, 3.0, 3.0, 2.0, 3.0, 0.5, 0.5], lambda t, f=f: tuple(f(t, 0)), {"axis": 0}, note="ties")

# ---- sort, argsort (stable), topk, kthvalue, median, mode
for desc in [False, True]:
    case("sort", distinct(3, 5), lambda t, d=desc: tuple(torch.sort(t, dim=-1, descending=d, stable=True)), {"axis": -1, "descending": desc})
    case("sort", distinct(4, 3), lambda t, d=desc: tuple(torch.sort(t, dim=0, descending=d, stable=True)), {"axis": 0, "descending": desc})
    ties = [[2.0, 1.0, 2.0, math.nan, 1.0, -0.0, 0.0, 2.0, math.nan, -3.0]]
    case("sort", ties, lambda t, d=desc: tuple(torch.sort(t, dim=-1, descending=d, stable=True)), {"axis": -1, "descending": desc}, note="ties, NaN, -0")
    case("argsort", ties, lambda t, d=desc: torch.sort(t, dim=-1, descending=d, stable=True)[1].double(), {"axis": -1, "descending": desc})
for largest in [True, False]:
    case("topk", distinct(3, 6), lambda t, l=largest: tuple(torch.topk(t, 3, -1, largest=l)), {"k": 3, "axis": -1, "largest": largest})
    case("topk", distinct(5, 2), lambda t, l=largest: tuple(torch.topk(t, 2, 0, largest=l)), {"k": 2, "axis": 0, "largest": largest})
case("topk", [[1.0, math.nan, 3.0, 2.0]], lambda t: tuple(torch.topk(t, 2, -1)), {"k": 2, "axis": -1, "largest": True}, note="NaN is the largest")
for k in [1, 3, 5]:
    case("kthvalue", distinct(3, 5), lambda t, k=k: tuple(torch.kthvalue(t, k, -1)), {"k": k, "axis": -1, "keepdims": False})
case("kthvalue", distinct(4, 3), lambda t: tuple(torch.kthvalue(t, 2, 0, keepdim=True)), {"k": 2, "axis": 0, "keepdims": True})
case("median", distinct(3, 5), lambda t: tuple(torch.median(t, 1)), {"axis": 1, "keepdims": False})
case("median", distinct(4, 3), lambda t: tuple(torch.median(t, 0, keepdim=True)), {"axis": 0, "keepdims": True}, note="even count: the lower")
case("median", distinct(2, 3), lambda t: torch.median(t), {"axis": None, "keepdims": False}, note="no axis, even count")
case("median", distinct(5), lambda t: torch.median(t), {"axis": None, "keepdims": False})
case("median", [[3.0, 1.0, 2.0, 1.0, 3.0, 2.0], [1.0, math.nan, 2.0, math.nan, 0.0, 5.0]], lambda t: tuple(torch.median(t, 1)), {"axis": 1, "keepdims": False}, note="ties; NaN")
case("mode", [[1.0, 2.0, 2.0, 1.0, 1.0, 3.0], [5.0, 3.0, 3.0, 5.0, 7.0, 0.5], [2.0, 1.0, 2.0, 1.0, 4.0, 4.0]], lambda t: tuple(torch.mode(t, 1)), {"axis": 1, "keepdims": False})
case("mode", [[1.0, 2.0], [2.0, 2.0], [1.0, 1.0]], lambda t: tuple(torch.mode(t, 0, keepdim=True)), {"axis": 0, "keepdims": True})

# ---- max/min with indices (the first occurrence takes the gradient), amax/amin (ties share it)
tied = [[1.0, 5.0, 5.0, 2.0], [7.0, 0.0, 7.0, 7.0], [-1.0, -1.0, -3.0, -3.0]]
for op, f in [("maxWithIndices", torch.max), ("minWithIndices", torch.min)]:
    case(op, tied, lambda t, f=f: tuple(f(t, 1)), {"axis": 1, "keepdims": False})
    case(op, tied, lambda t, f=f: tuple(f(t, 0, keepdim=True)), {"axis": 0, "keepdims": True})
    case(op, [[1.0, math.nan, 2.0, math.nan]], lambda t, f=f: tuple(f(t, 1)), {"axis": 1, "keepdims": False}, note="NaN: the first")
for op, f in [("amax", torch.amax), ("amin", torch.amin)]:
    case(op, tied, lambda t, f=f: f(t, 1), {"axis": 1, "keepdims": False})
    case(op, tied, lambda t, f=f: f(t, (0, 1)), {"axis": [0, 1], "keepdims": False})

# ---- std with correction, norm, normalize
sx = rnd(3, 4)
sx[1] = 0.75  # a constant row: std 0, gradient 0 (PyTorch's rule)
for corr in [0, 1, 2]:
    case("std", sx, lambda t, c=corr: torch.std(t, 1, correction=c), {"axis": 1, "keepdims": False, "correction": corr})
case("std", sx, lambda t: torch.std(t, 0, correction=1, keepdim=True), {"axis": 0, "keepdims": True, "correction": 1})
case("std", rnd(2, 3, 2), lambda t: torch.std(t, (0, 2), correction=1), {"axis": [0, 2], "keepdims": False, "correction": 1})
case("std", rnd(2, 5), lambda t: torch.std(t, None, correction=1), {"axis": None, "keepdims": False, "correction": 1})
nx = rnd(3, 4)
nx[1] = 0.0  # a zero row: PyTorch's subgradient 0
nx[2, 1] = 0.0
nx[0, 2] = -nx[0, 0]  # |x| ties for the inf norm
for p in [2, 1, math.inf, -math.inf, 0, 3, 1.5, 0.5, -1, "fro"]:
    tp = p
    pj = p if p != math.inf and p != -math.inf else ("inf" if p > 0 else "-inf")
    if p == "fro":
        case("norm", nx, lambda t: torch.norm(t, "fro", dim=(0, 1)), {"p": "fro", "axis": [0, 1], "keepdims": False})
        continue
    case("norm", nx, lambda t, p=tp: torch.linalg.vector_norm(t, p, dim=1), {"p": pj, "axis": 1, "keepdims": False})
    case("norm", nx, lambda t, p=tp: torch.linalg.vector_norm(t, p, dim=0, keepdim=True), {"p": pj, "axis": 0, "keepdims": True})
case("norm", rnd(2, 3), lambda t: torch.linalg.vector_norm(t), {"p": 2, "axis": None, "keepdims": False})
case("norm", rnd(2, 3, 2), lambda t: torch.linalg.vector_norm(t, 3, dim=(0, 2)), {"p": 3, "axis": [0, 2], "keepdims": False})
fx = rnd(3, 4)
fx[1] = 0.0
for p, dim, eps in [(2, 1, 1e-12), (1, 1, 1e-12), (2, 0, 1e-12), (3, -1, 0.5), (2, 1, 10.0)]:
    case("normalize", fx, lambda t, p=p, d=dim, e=eps: torch.nn.functional.normalize(t, p, d, e), {"p": p, "axis": dim, "eps": eps})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reduce-reference.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {path}")
