# Reference numbers for test/indexing.test.ts: what numpy answers for advanced indexing (index
# arrays on several axes, integers beside them, masks, newaxis, ellipsis), slices whose bounds lie
# beyond the axis, np.pad's modes, roll, tile, repeat, take_along_axis, put_along_axis, add.at,
# nonzero, triu/tril, diagonal and flip.
#
# Regenerate (from the repository root) with:
#     python3 packages/tensor/test/data/make-indexing-data.py
# Writes indexing-numpy.json next to this script. Each case: a name (the test maps it to the
# tapegrad call), its inputs (float64 arrays, int index arrays, bool masks) and numpy's output.

import json
import os

import numpy as np

rs = np.random.RandomState(26)
cases = []


def enc(a):
    a = np.asarray(a)
    kind = "bool" if a.dtype == np.bool_ else ("int" if a.dtype.kind in "iu" else "float")
    return {"dtype": kind, "shape": list(a.shape), "data": a.ravel().astype(float if kind == "float" else int).tolist()}


def case(name, fn, *inputs, **extra):
    cases.append({"name": name, "inputs": [enc(a) for a in inputs], "out": enc(fn(*inputs)), **extra})


x = rs.uniform(-2, 2, size=(3, 4, 5))
i = np.array([[0, 2], [1, 1]])
j = np.array([4, 0])
case("[i, :, j] separated: the picked dims first", lambda x, i, j: x[i, :, j], x, i, j)
case("[:, i, j] adjacent: in place", lambda x, i, j: x[:, i, j], x, np.array([3, 0, 3]), np.array([[1], [4]]))
case("[1, :, j] an integer counts as an index array", lambda x, j: x[1, :, j], x, np.array([2, 2, 0]))
case("[newaxis, i, ..., 1:]", lambda x, i: x[None, i, ..., 1:], x, np.array([2, 0, -1]))
case("[mask] over two axes", lambda x, m: x[m], x, rs.uniform(size=(3, 4)) > 0.5)
case("[::-2, i, 1::2]", lambda x, i: x[::-2, i, 1::2], x, np.array([-1, 0, -1]))
case("[..., i] on the last axis", lambda x, i: x[..., i], x, np.array([[4, 3], [0, 0]]))
case("[i, newaxis, j] separated by a newaxis", lambda x, i, j: x[i, None, j], x, np.array([0, 2]), np.array([3, 1]))
case("slice bounds beyond the axis", lambda x: x[1:99, -99:3, 10:], x)
case("backwards slice bounds beyond the axis", lambda x: x[99:-99:-1, 2:-99:-2, -1], x)
case("newaxis in a slice", lambda x: x[:, None, 0, None], x)

m = rs.uniform(-2, 2, size=(3, 4))
for mode, npmode in [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")]:
    w = [[2, 1], [3, 2]]
    case(f"pad {mode}", lambda a, w=w, npmode=npmode: np.pad(a, w, mode=npmode), m, widths=w, mode=mode)
case("pad constant value", lambda a: np.pad(a, [[1, 0], [0, 2]], constant_values=-1.5), m, widths=[[1, 0], [0, 2]], mode="constant", value=-1.5)
case("pad circular, one axis wider than the array", lambda a: np.pad(a, [[0, 0], [4, 4]], mode="wrap"), m, widths=[[4, 4]], mode="circular")

case("roll flattened", lambda a: np.roll(a, 7), m)
case("roll two axes", lambda a: np.roll(a, (-1, 2), (1, 0)), m)
case("tile (repeat) with an extra leading rep", lambda a: np.tile(a, (2, 1, 2)), m)
case("repeat (repeatInterleave) with counts", lambda a: np.repeat(a, [1, 0, 3], axis=0), m)
case("take_along_axis (gather)", lambda a, i: np.take_along_axis(a, i, 1), m, np.array([[0, 3], [2, 2], [1, 0]]))


def put(a, i, v):
    a = a.copy()
    np.put_along_axis(a, i, v, 0)
    return a


case("put_along_axis (scatter)", put, m, np.array([[2, 0, 1, 0]]), rs.uniform(size=(1, 4)))


def add_at(a, i, v):
    a = a.copy()
    np.add.at(a, (i, np.arange(4)[None, :].repeat(i.shape[0], 0)), v)
    return a


case("add.at (scatterAdd) with repeats", add_at, m, np.array([[0, 1, 1, 2], [0, 1, 2, 2]]), rs.uniform(size=(2, 4)))
case("nonzero", lambda a: np.stack(np.nonzero(a), 1), np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]]))
case("triu -1", lambda a: np.triu(a, -1), rs.uniform(size=(2, 3, 4)))
case("tril 2", lambda a: np.tril(a, 2), m)
case("diagonal offset 1 of axes (2, 0)", lambda a: np.diagonal(a, 1, 2, 0), x)
case("flip axes (0, 2)", lambda a: np.flip(a, (0, 2)), x)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "indexing-numpy.json")
with open(path, "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {path}")
