# Reference data for test/notebook.test.ts: the course notebook's own code, run by numpy.
#
# Regenerate (from the repository root) with:
#     python3 packages/nn/test/data/make-notebook-data.py [path/to/lstm-from-scratch-notebook.txt]
# The notebook defaults to ../shared/seed/lstm-from-scratch-notebook.txt. Written with the
# versions recorded under "meta".
#
# Nothing of the notebook is copied here: the script splits the notebook's text into its
# "In [k]:" cells and executes cells 1-4 as they stand (cells 2 and 4 up to their last print,
# the rest of those cells being their printed output), all in one namespace, as the notebook
# ran them: lstm_cell_backward reads Wf, Wi, Wc, Wo as globals (not from its cache's parameters),
# so the cells only work together. So the arrays below are what the
# notebook's code computes, bug included, on this machine; the test holds tapegrad's
# forward and its reproduction of the notebook's backward against them, and the notebook's
# printed text against both.
#
# Writes notebook-reference.json next to this script:
#   cell2: x, a_init (drawn), a, y, c (lstm_forward), printed (the text the cell printed when
#          the notebook was run, cut short on the notebook's page) and rerun (as much of
#          what it prints here)
#   cell4: da (drawn), gradients (lstm_backward as written, every entry in full), printed, rerun

import contextlib
import io
import json
import os
import platform
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
DEFAULT = os.path.join(ROOT, "..", "shared", "seed", "lstm-from-scratch-notebook.txt")


def cells_of(text):
    parts = re.split(r"^In \[(\d+)\]:\n", text, flags=re.M)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


def code_and_output(body):
    """A cell that prints: its code ends at the last line that starts with print(."""
    lines = body.split("\n")
    last = max(i for i, l in enumerate(lines) if l.startswith("print("))
    return "\n".join(lines[: last + 1]), "\n".join(lines[last + 1 :]).strip("\n")


def flat(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "values": [float(v) for v in a.ravel(order="C")]}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    with open(path, encoding="utf-8") as f:
        cells = cells_of(f.read())
    env = {}
    exec(cells[1], env)
    exec(cells[3], env)

    out = {
        "meta": {
            "numpy": np.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "command": "python3 packages/nn/test/data/make-notebook-data.py",
            "notebook": os.path.basename(path),
        }
    }

    code2, printed2 = code_and_output(cells[2])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code2, env)
    # a comment line closes the code; markdown follows the output
    printed2 = printed2[printed2.index("(5, 10, 7)") : printed2.index("# LSTM Backward")].rstrip()
    out["cell2"] = {
        "x": flat(env["x"]),
        "a_init": flat(env["a_init"]),
        "a": flat(env["a"]),
        "y": flat(env["y"]),
        "c": flat(env["c"]),
        "printed": printed2,
        # print(caches[0]) prints every cache; the notebook's page shows only the start
        "rerun": buf.getvalue()[: len(printed2)],
    }

    code4, printed4 = code_and_output(cells[4])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code4, env)
    g = env["gradients"]
    out["cell4"] = {
        "da": flat(env["da"]),
        "gradients": {k: flat(g[k]) for k in ["dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]},
        "printed": printed4,
        "rerun": buf.getvalue().rstrip(),
    }

    dst = os.path.join(HERE, "notebook-reference.json")
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", dst)


if __name__ == "__main__":
    main()
