# Reference draws for test/random.test.ts: numpy's legacy RandomState streams.
#
# Regenerate (from the repository root) with:
#     python3 packages/tensor/test/data/make-random-data.py
# Written with numpy 2.4.6 on Python 3.11.7, x86-64 Linux, glibc 2.36 (CPU with FMA). Each
# file records the versions it was made with under "meta".
#
# Writes, next to this script:
#   random-streams.json   per seed (0, 1, 42, 2**32-1, 12345): a sequence of calls (randn, rand,
#                         uniform, normal, randint, choice, permutation, shuffle, ...) with their
#                         results and the state after them; one more seed, found by search, whose
#                         Gaussians meet a glibc log miss; the 624-word state right after
#                         seeding for int and list seeds; a state taken from numpy mid-stream.
#   random-notebook.json  the course notebook's draws after np.random.seed(1).
#   random-log.json       inputs where glibc's log is not correctly rounded, with both results.
#
# Gaussians and the log. numpy's legacy_gauss calls the C library's log(), and glibc's log is
# accurate to about 0.52 ulp but not correctly rounded: for about 0.07% of the polar method's
# r2 values it returns the neighbour of the correctly rounded result. tapegrad uses a correctly
# rounded log (the same bits on every JS engine), so at those draws its Gaussian can differ from
# numpy's in the last bit or two. To test that exactly, this script runs two shadow copies of
# the legacy polar method in Python next to numpy: one with math.log (glibc, the log numpy
# calls; it must reproduce numpy bit for bit, which is asserted), and one with a correctly
# rounded log from the decimal module. Wherever the second differs from numpy the call records
# [flat index, correctly rounded value] in "cr"; the test expects numpy's value everywhere else
# and the "cr" value there.

import json
import math
import os
import platform
import sys
from decimal import Decimal, getcontext

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
getcontext().prec = 60

META = {
    "numpy": np.__version__,
    "python": platform.python_version(),
    "machine": platform.machine(),
    "libc": " ".join(platform.libc_ver()),
    "command": "python3 packages/tensor/test/data/make-random-data.py",
}


def cr_log(x):
    """The natural log of a double, correctly rounded (60 digits, then one rounding)."""
    return float(Decimal(x).ln())


class Shadow:
    """numpy's legacy_gauss in Python over a RandomState's uniforms, with a chosen log.

    Every non-Gaussian call is passed to the RandomState, which never draws a Gaussian itself,
    so the raw MT19937 stream stays in step with a real RandomState making the same calls.
    """

    def __init__(self, seed, log):
        self.rs = np.random.RandomState(seed)
        self.log = log
        self.has_gauss = False
        self.gauss = 0.0

    def set_state(self, state):
        self.rs.set_state(state[:3] + (0, 0.0))
        self.has_gauss = bool(state[3])
        self.gauss = float(state[4])

    def next_gauss(self):
        if self.has_gauss:
            self.has_gauss = False
            g, self.gauss = self.gauss, 0.0
            return g
        while True:
            x1 = 2.0 * self.rs.random_sample() - 1.0
            x2 = 2.0 * self.rs.random_sample() - 1.0
            r2 = x1 * x1 + x2 * x2
            if not (r2 >= 1.0 or r2 == 0.0):
                break
        f = math.sqrt(-2.0 * self.log(r2) / r2)
        self.gauss = f * x1
        self.has_gauss = True
        return f * x2

    def gaussians(self, shape, loc=0.0, scale=1.0):
        n = int(np.prod(shape, dtype=np.int64))
        if loc == 0.0 and scale == 1.0:
            vals = [self.next_gauss() for _ in range(n)]
        else:
            vals = [loc + scale * self.next_gauss() for _ in range(n)]
        return np.array(vals, dtype=np.float64).reshape(shape)

    def get_state(self):
        st = self.rs.get_state()
        return (st[0], st[1], st[2], int(self.has_gauss), self.gauss)


GAUSSIAN_OPS = {"randn", "standardNormal", "normal"}


def size_arg(size):
    return None if size is None else tuple(size)


def run_op(call, rs):
    """One call on a RandomState (or a Shadow's RandomState for the non-Gaussian ops)."""
    op = call["op"]
    if op == "randn":
        return rs.randn(*call["shape"])
    if op == "standardNormal":
        return rs.standard_normal(size_arg(call["size"]))
    if op == "normal":
        return rs.normal(call["loc"], call["scale"], size_arg(call["size"]))
    if op == "rand":
        return rs.rand(*call["shape"])
    if op == "randomSample":
        return rs.random_sample()
    if op == "uniform":
        return rs.uniform(call["low"], call["high"], size_arg(call["size"]))
    if op == "randint":
        return rs.randint(call["low"], call["high"], size_arg(call["size"]))
    if op == "choice":
        return rs.choice(call["n"], size_arg(call["size"]), replace=call["replace"], p=call["p"])
    if op == "permutation":
        return rs.permutation(call["n"])
    if op == "permutationArray":
        return rs.permutation(np.arange(np.prod(call["shape"]), dtype=np.float64).reshape(call["shape"]))
    if op == "shuffle":
        x = np.arange(np.prod(call["shape"]), dtype=np.float64).reshape(call["shape"])
        rs.shuffle(x)
        return x
    if op == "shuffleList":
        x = list(range(call["n"]))
        rs.shuffle(x)
        return np.array(x)
    raise ValueError(op)


def run_shadow(call, sh):
    op = call["op"]
    if op == "randn":
        return sh.gaussians(tuple(call["shape"]))
    if op == "standardNormal":
        return sh.gaussians(size_arg(call["size"]) or ())
    if op == "normal":
        return sh.gaussians(size_arg(call["size"]) or (), call["loc"], call["scale"])
    return run_op(call, sh.rs)


def flat(x):
    a = np.asarray(x)
    vals = a.ravel().tolist()
    return list(a.shape), vals


def play(seed, calls, state=None):
    """Runs calls on numpy and on the two shadows; returns the recorded calls and final states."""
    rs = np.random.RandomState(seed)
    glibc = Shadow(seed, math.log)
    cr = Shadow(seed, cr_log)
    if state is not None:
        rs.set_state(state)
        glibc.set_state(state)
        cr.set_state(state)
    out = []
    for call in calls:
        got = run_op(call, rs)
        shape, values = flat(got)
        rec = dict(call)
        rec["outShape"] = shape
        rec["values"] = values
        g = run_shadow(call, glibc)
        c = run_shadow(call, cr)
        assert flat(g)[1] == values, f"shadow with math.log does not reproduce numpy for {call}"
        cvals = flat(c)[1]
        if call["op"] in GAUSSIAN_OPS:
            rec["cr"] = [[i, v] for i, (v, u) in enumerate(zip(cvals, values)) if v != u]
            for i, v in rec["cr"]:
                assert abs(v - values[i]) <= 4 * math.ulp(values[i]), (v, values[i])
        else:
            assert cvals == values
        out.append(rec)
    np_state = rs.get_state()
    cr_state = cr.get_state()
    assert np.array_equal(np_state[1], cr_state[1]) and np_state[2] == cr_state[2]
    assert np_state[3] == cr_state[3]
    final = {
        "key": np_state[1].tolist(),
        "pos": int(np_state[2]),
        "hasGauss": bool(np_state[3]),
        "gauss": float(cr_state[4]),
        "numpyGauss": float(np_state[4]),
    }
    return out, final


P5 = [0.1, 0.2, 0.3, 0.15, 0.25]
P6 = [0.05, 0.3, 0.0, 0.25, 0.1, 0.3]


def sequence(seed):
    """Calls that interleave Gaussians (odd counts, so a cached value crosses calls) with
    uniforms and bounded integers, in a few shapes."""
    calls = [
        {"op": "randn", "shape": [3, 4]},
        {"op": "rand", "shape": [5]},
        {"op": "randn", "shape": [7]},  # odd: leaves a cached Gaussian ...
        {"op": "randomSample"},  # ... that uniforms do not touch ...
        {"op": "randn", "shape": []},  # ... and the next Gaussian returns
        {"op": "rand", "shape": [2, 3]},
        {"op": "randn", "shape": [1]},
        {"op": "uniform", "low": -2.0, "high": 3.0, "size": [4]},
        {"op": "normal", "loc": 1.5, "scale": 0.5, "size": [3]},
        {"op": "standardNormal", "size": [2, 2, 2]},
        {"op": "randn", "shape": [2, 1, 3]},
        {"op": "randint", "low": 0, "high": 10, "size": [6]},
        {"op": "randint", "low": -5, "high": 5, "size": [5]},
        {"op": "randint", "low": 0, "high": 1, "size": [3]},  # one value: draws nothing
        {"op": "randint", "low": 7, "high": None, "size": None},
        {"op": "randint", "low": -(2**31), "high": 2**31 - 1, "size": [4]},
        {"op": "randint", "low": 0, "high": 2**30 + 1, "size": [5]},  # mask 2**31-1: many rejections
        {"op": "randint", "low": 100, "high": 1000, "size": [2, 2]},
        {"op": "choice", "n": 5, "size": [10], "replace": True, "p": P5},
        {"op": "choice", "n": 10, "size": [8], "replace": True, "p": None},
        {"op": "choice", "n": 10, "size": [2, 3], "replace": False, "p": None},
        {"op": "choice", "n": 6, "size": [4], "replace": False, "p": P6},
        {"op": "choice", "n": 3, "size": None, "replace": True, "p": None},
        {"op": "permutation", "n": 10},
        {"op": "permutation", "n": 1},
        {"op": "shuffle", "shape": [4, 3]},
        {"op": "shuffleList", "n": 7},
        {"op": "permutationArray", "shape": [5, 4]},
        {"op": "uniform", "low": 5.0, "high": -1.0, "size": [2]},
        {"op": "normal", "loc": -3.0, "scale": 2.0, "size": None},
        {"op": "randn", "shape": [5]},
    ]
    if seed == 0:
        # Long runs cross many 624-word blocks.
        calls += [{"op": "randn", "shape": [1500]}, {"op": "rand", "shape": [20, 35]}, {"op": "randn", "shape": [3]}]
    return calls


def streams():
    cases = []
    for seed in [0, 1, 42, 2**32 - 1, 12345]:
        np.random.seed(seed)  # the module-level generator seeds the same way as RandomState(seed)
        assert np.array_equal(np.random.get_state()[1], np.random.RandomState(seed).get_state()[1])
        calls, final = play(seed, sequence(seed))
        cases.append({"seed": seed, "calls": calls, "final": final})

    # The first seed whose randn(20, 15) meets a glibc log miss, so the "cr" path is exercised.
    for seed in range(100, 1000):
        calls, final = play(seed, [{"op": "randn", "shape": [20, 15]}, {"op": "randn", "shape": [3]}])
        if calls[0]["cr"]:
            cases.append({"seed": seed, "calls": calls, "final": final, "note": "glibc log miss"})
            break
    else:
        raise AssertionError("no glibc log miss found")

    seeding = []
    for seed in [0, 2**32 - 1, [1, 2, 3], [5], [0, 2**32 - 1]]:
        st = np.random.RandomState(seed).get_state()
        seeding.append({"seed": seed, "key": st[1].tolist(), "pos": int(st[2])})
    # A list seed of one word is not the int seed (lists go through init_by_array), while a
    # 1-element ndarray is (numpy squeezes arrays to a scalar first).
    assert not np.array_equal(np.random.RandomState([5]).get_state()[1], np.random.RandomState(5).get_state()[1])
    assert np.array_equal(np.random.RandomState(np.array([5])).get_state()[1], np.random.RandomState(5).get_state()[1])

    # A state from numpy mid-stream (with a cached Gaussian), and what numpy draws after it.
    rs = np.random.RandomState(42)
    rs.randn(3)
    st = rs.get_state()
    resume_calls, resume_final = play(42, [
        {"op": "randn", "shape": [5]},
        {"op": "rand", "shape": [3]},
        {"op": "randint", "low": 0, "high": 100, "size": [4]},
        {"op": "randn", "shape": [2]},
    ], state=st)
    resume = {
        "state": ["MT19937", st[1].tolist(), int(st[2]), int(st[3]), float(st[4])],
        "calls": resume_calls,
        "final": resume_final,
    }
    return {"meta": META, "cases": cases, "seeding": seeding, "resume": resume}


def notebook():
    names = ["x", "a0", "Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc", "Wy", "by"]
    shapes = [[3, 10, 7], [5, 10], [5, 8], [5, 1], [5, 8], [5, 1], [5, 8], [5, 1], [5, 8], [5, 1], [2, 5], [2, 1]]
    calls = [{"op": "randn", "shape": s, "name": n} for n, s in zip(names, shapes)]
    first, _ = play(1, calls)
    # Re-seed, draw the same up to bc, then da.
    upto = names.index("bc") + 1
    second, final = play(1, calls[:upto] + [{"op": "randn", "shape": [5, 10, 4], "name": "da"}])
    for a, b in zip(first[:upto], second[:upto]):
        assert a["values"] == b["values"]
    return {
        "meta": META,
        "seed": 1,
        "draws": first,
        "reseeded": {"redraw": names[:upto], "then": second[upto]},
        "final": final,
    }


def log_cases():
    """r2 values of the polar method where glibc's log misses the correctly rounded result."""
    rs = np.random.RandomState(2024)
    u = rs.random_sample(400000)
    x1 = 2.0 * u[0::2] - 1.0
    x2 = 2.0 * u[1::2] - 1.0
    r2 = x1 * x1 + x2 * x2
    r2 = r2[(r2 < 1.0) & (r2 > 0.0)]
    misses, hits = [], []
    for v in r2.tolist():
        g, c = math.log(v), cr_log(v)
        if g != c and len(misses) < 40:
            misses.append([v, c, g])
        elif g == c and len(hits) < 20:
            hits.append([v, c, g])
        if len(misses) >= 40 and len(hits) >= 20:
            break
    edge = [1.0, 1.0 - 2.0**-53, 1.0 + 2.0**-52, 0.75, 1.5, 0.5, 2.0, 1.0 / 3.0, 5e-324, 2.2250738585072014e-308,
            1.7976931348623157e308, 1e-300, 0.9999999999, 123456.789]
    extra = [[v, cr_log(v), math.log(v)] for v in edge]
    return {"meta": META, "columns": ["x", "correctlyRounded", "glibc"], "cases": misses + hits + extra}


def write(name, obj):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    write("random-streams.json", streams())
    write("random-notebook.json", notebook())
    write("random-log.json", log_cases())
