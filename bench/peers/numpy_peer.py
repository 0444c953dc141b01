"""The numpy peer of `pnpm bench`: the same work as the TypeScript rows, timed the same way.

Reads one JSON job from stdin, writes one JSON result to stdout. bench/lib/numpy.ts starts it
with one BLAS thread (OPENBLAS_NUM_THREADS=1 and friends) and without OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE, so OpenBLAS picks its kernel for this CPU itself.

The LSTM is the course notebook's closed form (lstm_cell_forward / lstm_cell_backward over time)
with its four gate products stacked into one (W = [Wf; Wi; Wc; Wo], as a numpy user would
write it) and a correct backward through time: the notebook's lstm_backward never carries
da_prev and dc_prev to the earlier step; this one does.
"""

import json
import os
import platform
import sys
import time

import numpy as np

np.seterr(over="ignore", under="ignore")


# ---------------------------------------------------------------- timing (as bench/lib/timing.ts)

def measure(fn, warmup=2, minRuns=5, maxRuns=200, minTimeMs=500, maxTimeMs=5000, batchMs=2, **_):
    t = None
    for _ in range(warmup):
        t0 = time.perf_counter()
        fn()
        t = (time.perf_counter() - t0) * 1e3
    if t is None:
        t = batchMs
    reps = min(100_000, int(np.ceil(batchMs / max(t, 1e-4)))) if t < batchMs else 1
    samples = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t0) * 1e3 / reps)
        elapsed = (time.perf_counter() - start) * 1e3
        if len(samples) >= maxRuns:
            break
        if len(samples) >= minRuns and (elapsed >= minTimeMs or elapsed >= maxTimeMs):
            break
    return {"medianMs": float(np.median(samples)), "minMs": float(min(samples)), "runs": len(samples), "reps": reps}


# ---------------------------------------------------------------- machine

def blas_info():
    """The BLAS library and the kernel it chose for this CPU (what decides the matmul rows)."""
    info = {}
    try:
        from threadpoolctl import threadpool_info  # type: ignore

        for p in threadpool_info():
            if p.get("user_api") == "blas":
                info = {
                    "source": "threadpoolctl",
                    "library": p.get("internal_api"),
                    "version": p.get("version"),
                    "kernel": p.get("architecture"),
                    "threads": p.get("num_threads"),
                }
                break
    except ImportError:
        pass
    if not info:
        try:
            cfg = np.show_config(mode="dicts")
            blas = cfg.get("Build Dependencies", {}).get("blas", {})
            info = {"source": "numpy.show_config", "library": blas.get("name"), "version": blas.get("version")}
        except Exception as e:  # numpy < 1.25 has no mode="dicts"
            info = {"source": "none", "error": str(e)}
        kernel, threads = openblas_runtime()
        if kernel:
            info["kernel"] = kernel
        if threads:
            info["threads"] = threads
    return info


def openblas_runtime():
    """OpenBLAS's core name and thread count, asked of the loaded library through ctypes."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return None, None
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        kernel = threads = None
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                fn = getattr(lib, f"{prefix}get_corename{suffix}", None)
                if fn is not None and kernel is None:
                    fn.restype = ctypes.c_char_p
                    kernel = fn().decode()
                fn = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                if fn is not None and threads is None:
                    fn.restype = ctypes.c_int
                    threads = fn()
        if kernel:
            return kernel, threads
    return None, None


def info(_job):
    env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return {"numpy": np.__version__, "python": platform.python_version(), "blas": blas_info(), "env": env}


# ---------------------------------------------------------------- elementwise rows (matmul: bench/matmul.ts)

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def elementwise(job):
    out = []
    rng = np.random.default_rng(0)
    for c in job["cases"]:
        rows, cols = c["rows"], c["cols"]
        if c["layout"] == "strided":
            # every other column of a (rows, 2*cols) array, as the TypeScript row does
            a = rng.standard_normal((rows, 2 * cols)).astype(c["dtype"])[:, ::2]
            b = rng.standard_normal((rows, 2 * cols)).astype(c["dtype"])[:, ::2]
        elif c["layout"] == "transposed":
            a = rng.standard_normal((cols, rows)).astype(c["dtype"]).T
            b = rng.standard_normal((rows, cols)).astype(c["dtype"])
        else:
            a = rng.standard_normal((rows, cols)).astype(c["dtype"])
            b = rng.standard_normal((rows, cols)).astype(c["dtype"])
        if c["layout"] == "row":
            b = rng.standard_normal((cols,)).astype(c["dtype"])
        elif c["layout"] == "column":
            b = rng.standard_normal((rows, 1)).astype(c["dtype"])
        if c["op"] == "log":
            a = np.abs(a)
        fn = {
            "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
            "exp": lambda: np.exp(a), "log": lambda: np.log(a), "tanh": lambda: np.tanh(a), "sigmoid": lambda: sigmoid(a),
        }[c["op"]]
        t = measure(fn, **job.get("timing", {}))
        t["elementsPerSec"] = rows * cols / (t["medianMs"] * 1e-3)
        out.append({**c, **t})
    return out


# ---------------------------------------------------------------- the LSTM step

def lstm_data(n_x, n_a, m, T, dtype, seed):
    """The recipe bench/lstm-data.ts uses with tapegrad's numpy-compatible RandomState."""
    rs = np.random.RandomState(seed)
    x = rs.randn(n_x, m, T)
    a0 = rs.randn(n_a, m)
    s = 1 / np.sqrt(n_a + n_x)
    p = {}
    for g in ("f", "i", "c", "o"):
        p["W" + g] = rs.randn(n_a, n_a + n_x) * s
        p["b" + g] = rs.randn(n_a, 1) * s
    da = rs.randn(n_a, m, T)
    cast = lambda v: v.astype(dtype)
    return cast(x), cast(a0), {k: cast(v) for k, v in p.items()}, cast(da)


def lstm_forward(x, a0, W, b):
    n_x, m, T = x.shape
    n_a = a0.shape[0]
    a = np.empty((n_a, m, T), dtype=x.dtype)
    caches = []
    a_prev = a0
    c_prev = np.zeros_like(a0)
    for t in range(T):
        concat = np.concatenate((a_prev, x[:, :, t]), axis=0)
        z = W @ concat + b
        ft = sigmoid(z[:n_a])
        it = sigmoid(z[n_a:2 * n_a])
        cct = np.tanh(z[2 * n_a:3 * n_a])
        ot = sigmoid(z[3 * n_a:])
        c_next = ft * c_prev + it * cct
        tc = np.tanh(c_next)
        a_next = ot * tc
        a[:, :, t] = a_next
        caches.append((concat, c_prev, ft, it, cct, ot, tc))
        a_prev, c_prev = a_next, c_next
    return a, caches


def lstm_backward(da, caches, W, n_x):
    n_a, m, T = da.shape
    dtype = da.dtype
    dx = np.empty((n_x, m, T), dtype=dtype)
    dW = np.zeros_like(W)
    db = np.zeros((4 * n_a, 1), dtype=dtype)
    da_next = np.zeros((n_a, m), dtype=dtype)
    dc_next = np.zeros((n_a, m), dtype=dtype)
    for t in reversed(range(T)):
        concat, c_prev, ft, it, cct, ot, tc = caches[t]
        dh = da[:, :, t] + da_next
        dc = dc_next + dh * ot * (1 - tc * tc)
        dz = np.concatenate((
            dc * c_prev * ft * (1 - ft),
            dc * cct * it * (1 - it),
            dc * it * (1 - cct * cct),
            dh * tc * ot * (1 - ot),
        ), axis=0)
        dW += dz @ concat.T
        db += dz.sum(axis=1, keepdims=True)
        dconcat = W.T @ dz
        da_next = dconcat[:n_a]
        dx[:, :, t] = dconcat[n_a:]
        dc_next = dc * ft
    return dx, da_next, dW, db


def lstm_step(x, a0, W, b, da):
    _, caches = lstm_forward(x, a0, W, b)
    return lstm_backward(da, caches, W, x.shape[0])


def stacked(p):
    return np.concatenate([p["Wf"], p["Wi"], p["Wc"], p["Wo"]]), np.concatenate([p["bf"], p["bi"], p["bc"], p["bo"]])


def notebook_grads(dx, da0, dW, db, n_a):
    g = {"dx": dx, "da0": da0}
    for k, name in enumerate(("f", "i", "c", "o")):
        g["dW" + name] = dW[k * n_a:(k + 1) * n_a]
        g["db" + name] = db[k * n_a:(k + 1) * n_a]
    return {k: {"shape": list(v.shape), "data": v.astype(np.float64).ravel().tolist()} for k, v in g.items()}


def lstm(job):
    out = []
    for c in job["cases"]:
        x, a0, p, da = lstm_data(c["n_x"], c["n_a"], c["m"], c["T"], c["dtype"], c.get("seed", 1))
        W, b = stacked(p)
        t = measure(lambda: lstm_step(x, a0, W, b, da), **c.get("timing", {}))
        r = {**c, **t}
        if c.get("check"):
            r["grads"] = notebook_grads(*lstm_step(x, a0, W, b, da), c["n_a"])
        out.append(r)
    return out


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def lstm_memory(job):
    """Peak RSS of one step, in a process of its own; HWM is reset after setup where Linux allows."""
    import gc

    c = job["case"]
    x, a0, p, da = lstm_data(c["n_x"], c["n_a"], c["m"], c["T"], c["dtype"], c.get("seed", 1))
    W, b = stacked(p)
    gc.collect()
    base = status_kib("VmRSS")
    reset = True
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        reset = False
    t0 = time.perf_counter()
    lstm_step(x, a0, W, b, da)
    ms = (time.perf_counter() - t0) * 1e3
    return {"baselineKiB": base, "peakKiB": status_kib("VmHWM"), "hwmReset": reset, "ms": ms}


COMMANDS = {"info": info, "elementwise": elementwise, "lstm": lstm, "lstm_memory": lstm_memory}

if __name__ == "__main__":
    job = json.load(sys.stdin)
    json.dump(COMMANDS[job["command"]](job), sys.stdout)
