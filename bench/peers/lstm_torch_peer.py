"""PyTorch's LSTM step for bench/lstm.ts: torch.nn.LSTM and a torch.nn.LSTMCell loop, forward
and backward of loss = sum(out * da), on one thread (or torch's default threads, for a job
whose cases say "threads": "default"), from the same data as the numpy peer
(numpy_peer.lstm_data, seeded). One JSON job on stdin, one JSON result on stdout.

Run with Debian's /usr/bin/python3, which has numpy and python3-torch (apt-get install
python3-torch libopenblas0-pthread); bench/lstm.ts reports the rows as missing without it."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_peer import lstm_data, measure  # noqa: E402


def pytorch_weights(p, n_a):
    """The notebook's W* (n_a, n_a + n_x) = [h part | x part] and b* to PyTorch's (i, f, g, o) stacks."""
    import numpy as np
    order = ("i", "f", "c", "o")
    W = np.concatenate([p["W" + g] for g in order])  # (4H, H + X)
    b = np.concatenate([p["b" + g][:, 0] for g in order])
    return W[:, n_a:], W[:, :n_a], b  # weight_ih, weight_hh, bias


def main():
    job = json.load(sys.stdin)
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        json.dump({"missing": f"{type(e).__name__}: {e}"}, sys.stdout)
        return
    if any(c.get("threads") != "default" for c in job["cases"]):
        torch.set_num_threads(1)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cases": []}
    for c in job["cases"]:
        n_x, n_a, m, T = c["n_x"], c["n_a"], c["m"], c["T"]
        x, a0, p, da = lstm_data(n_x, n_a, m, T, c["dtype"], c.get("seed", 1))
        dt = torch.float64 if c["dtype"] == "float64" else torch.float32
        wih, whh, b = pytorch_weights(p, n_a)
        tx = torch.tensor(x.transpose(2, 1, 0).copy(), dtype=dt, requires_grad=True)  # (T, m, n_x)
        th0 = torch.tensor(a0.T.copy(), dtype=dt).reshape(1, m, n_a).requires_grad_(True)
        tc0 = torch.zeros(1, m, n_a, dtype=dt)
        tda = torch.tensor(da.transpose(2, 1, 0).copy(), dtype=dt)
        lstm = torch.nn.LSTM(n_x, n_a).to(dt)
        cell = torch.nn.LSTMCell(n_x, n_a).to(dt)
        with torch.no_grad():
            for mod, ih, hh in ((lstm, "weight_ih_l0", "weight_hh_l0"), (cell, "weight_ih", "weight_hh")):
                getattr(mod, ih).copy_(torch.tensor(wih))
                getattr(mod, hh).copy_(torch.tensor(whh))
                getattr(mod, ih.replace("weight", "bias")).copy_(torch.tensor(b))
                getattr(mod, hh.replace("weight", "bias")).zero_()

        def zero(mod):
            for q in mod.parameters():
                q.grad = None
            tx.grad = None
            th0.grad = None

        def lstm_step():
            zero(lstm)
            y, _ = lstm(tx, (th0, tc0))
            (y * tda).sum().backward()

        def cell_step():
            zero(cell)
            h, cc = th0[0], tc0[0]
            total = 0
            for t in range(T):
                h, cc = cell(tx[t], (h, cc))
                total = total + (h * tda[t]).sum()
            total.backward()

        row = {**{k: c[k] for k in ("n_x", "n_a", "m", "T", "dtype")}}
        row["lstm"] = measure(lstm_step, **c.get("timing", {}))
        dx_lstm = tx.grad.detach().numpy().copy()
        row["cell"] = measure(cell_step, **c.get("timing", {}))
        dx_cell = tx.grad.detach().numpy().copy()
        # the two did the same work: their input gradients agree
        import numpy as np
        row["agree"] = float(np.max(np.abs(dx_lstm - dx_cell)) / max(np.max(np.abs(dx_lstm)), 1e-300))
        out["cases"].append(row)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
