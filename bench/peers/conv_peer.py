# The conv section's peers: one Conv2d forward + backward (dx, dW, db of sum(y * r)) in numpy
# (im2col through a strided view, one matmul; col2im as one strided add per kernel tap) and
# in PyTorch (F.conv2d, autograd), one thread each. Reads a JSON job on stdin, prints JSON.
# Run with Debian's /usr/bin/python3, which has both numpy and python3-torch.

import json
import sys
import time

import numpy as np


def measure(fn, warmup=2, minRuns=5, maxRuns=200, minTimeMs=500, maxTimeMs=5000):
    for _ in range(warmup):
        fn()
    samples = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
        elapsed = (time.perf_counter() - start) * 1e3
        if len(samples) >= maxRuns or (len(samples) >= minRuns and elapsed >= min(minTimeMs, maxTimeMs)):
            break
    return {"medianMs": float(np.median(samples)), "minMs": float(min(samples)), "runs": len(samples)}


def data(case, dtype):
    rs = np.random.RandomState(0)
    n, c, h, w = case["x"]
    o, k = case["out"], case["k"]
    x = rs.randn(n, c, h, w).astype(dtype)
    W = (rs.randn(o, c, k, k) * 0.1).astype(dtype)
    b = rs.randn(o).astype(dtype)
    p = case["pad"]
    oh, ow = h + 2 * p - k + 1, w + 2 * p - k + 1
    r = rs.randn(n, o, oh, ow).astype(dtype)
    return x, W, b, r


def numpy_step(x, W, b, r, k, p):
    n, c, h, w = x.shape
    o = W.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))  # (n, c, oh, ow, k, k)
    oh, ow = win.shape[2], win.shape[3]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * k * k)
    Wm = W.reshape(o, -1)
    y = cols @ Wm.T + b
    g = r.transpose(0, 2, 3, 1).reshape(-1, o)
    dW = (g.T @ cols).reshape(W.shape)
    db = g.sum(0)
    dcols = (g @ Wm).reshape(n, oh, ow, c, k, k)
    dxp = np.zeros_like(xp)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + oh, j:j + ow] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    dx = dxp[:, :, p:p + h, p:p + w]
    return y, dx, dW, db


def run(job):
    out = {"numpy": np.__version__, "rows": []}
    try:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(1)
        out["torch"] = torch.__version__
    except Exception as e:  # reported, never replaced by numbers
        torch = None
        out["torchMissing"] = f"{type(e).__name__}: {e}"
    for case in job["cases"]:
        for dtype in job["dtypes"]:
            x, W, b, r = data(case, dtype)
            k, p = case["k"], case["pad"]
            row = {"name": case["name"], "dtype": dtype}
            row["numpy"] = measure(lambda: numpy_step(x, W, b, r, k, p))
            if torch is not None:
                tx = torch.tensor(x, requires_grad=True)
                tW = torch.tensor(W, requires_grad=True)
                tb = torch.tensor(b, requires_grad=True)
                tr = torch.tensor(r)

                def torch_step():
                    tx.grad = tW.grad = tb.grad = None
                    (F.conv2d(tx, tW, tb, padding=p) * tr).sum().backward()

                row["torch"] = measure(torch_step)
                # the same numbers, so the rows time the same work
                y, dx, dW, db = numpy_step(x, W, b, r, k, p)
                torch_step()
                tol = 1e-3 if dtype == "float32" else 1e-9
                row["agree"] = bool(np.allclose(tx.grad.numpy(), dx, atol=tol, rtol=tol) and np.allclose(tW.grad.numpy(), dW, atol=tol, rtol=tol))
            out["rows"].append(row)
    return out


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
