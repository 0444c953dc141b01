# Reference numbers for test/linear, embedding, lstm, lstm-cell, gru, gru-cell and recurrent
# .test.ts (read through module-helpers.ts), computed by real PyTorch
# (torch.nn.Linear, Embedding, LSTMCell, GRUCell, LSTM, GRU in float64, weights loaded with strict
# load_state_dict, variable lengths through pack_padded_sequence), never by tapegrad. A numpy
# implementation of the equations below runs beside torch as a cross-check (the script stops if
# the two differ by more than 1e-12); the JSON holds torch's numbers. The notebook's cell is not
# PyTorch's, so its numbers stay numpy's.
#
# Regenerate (from the repository root) with Debian's python3 and python3-torch (1.13):
#     /usr/bin/python3 packages/nn/test/data/make-recurrent-reference.py
# Writes recurrent-reference.json next to this script. Every case stores its inputs, its weights
# (a state dict under PyTorch's names, drawn with np.random.RandomState) and the outputs, so the
# tests need nothing but the JSON.
#
# Equations (torch.nn docs: Linear, Embedding, LSTMCell, LSTM, GRUCell, GRU):
#   Linear:    y = x A^T + b, weight A (out, in), bias b (out)
#   Embedding: y[...] = weight[ids[...]]
#   LSTM:      i = s(W_ii x + b_ii + W_hi h + b_hi)      weight_ih = [W_ii|W_if|W_ig|W_io] (4H, in)
#              f = s(W_if x + b_if + W_hf h + b_hf)      weight_hh = [W_hi|W_hf|W_hg|W_ho] (4H, H)
#              g = tanh(W_ig x + b_ig + W_hg h + b_hg)   bias_ih, bias_hh (4H), same order
#              o = s(W_io x + b_io + W_ho h + b_ho)
#              c' = f * c + i * g;  h' = o * tanh(c')
#   GRU:       r = s(W_ir x + b_ir + W_hr h + b_hr)      weight_ih = [W_ir|W_iz|W_in] (3H, in)
#              z = s(W_iz x + b_iz + W_hz h + b_hz)      weight_hh = [W_hr|W_hz|W_hn] (3H, H)
#              n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
#              h' = (1 - z) * n + z * h
#   Stacks (nn.LSTM / nn.GRU): layer l > 0 takes the previous layer's output sequence as input
#   (in = num_directions * H); the reverse direction runs t = T-1 .. 0; the output at step t is
#   concat(h_forward_t, h_reverse_t); h_n / c_n are (num_layers * num_directions, batch, H) with
#   index layer * num_directions + direction; batch_first swaps the first two axes of input and
#   output (not of h_n); unbatched input (T, in) gives output (T, D*H) and h_n (L*D, H).
#   Parameter names: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, plus
#   "_reverse" for the reverse direction, in that order, layer by layer.
#   Variable lengths follow nn.utils.rnn.pack_padded_sequence (enforce_sorted=False) then
#   pad_packed_sequence: each sequence is run over its own first len_b steps only (the reverse
#   direction starts at step len_b - 1), h_n holds the state after its last real step, and the
#   padded outputs are 0 (padding_value). Computed here one sequence at a time. One case has a
#   length of 0, which pack_padded_sequence rejects; tapegrad accepts it (a mask column may be
#   all zeros), and the extension taken is the one the rule above gives: no step runs, h_n is
#   h0, every output is 0.
#   The notebook's cell (../shared/seed/lstm-from-scratch-notebook.txt): concat = [a_prev; xt]
#   (rows), ft = s(Wf concat + bf), it = s(Wi concat + bi), cct = tanh(Wc concat + bc),
#   c_next = ft * c_prev + it * cct, ot = s(Wo concat + bo), a_next = ot * tanh(c_next).

import json
import os
import platform

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def arr(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def iarr(a):
    a = np.asarray(a, dtype=np.int64)
    return {"shape": list(a.shape), "data": [int(v) for v in a.reshape(-1)]}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------- one step, one example (vectors)

def lstm_step(p, sfx, x, h, c):
    H = h.shape[0]
    W_ih, W_hh = p["weight_ih" + sfx], p["weight_hh" + sfx]
    b_ih = p.get("bias_ih" + sfx, np.zeros(4 * H))
    b_hh = p.get("bias_hh" + sfx, np.zeros(4 * H))
    blk = lambda W, k: W[k * H:(k + 1) * H]
    pre = lambda k: blk(W_ih, k) @ x + blk(b_ih, k) + blk(W_hh, k) @ h + blk(b_hh, k)
    i, f, g, o = sigmoid(pre(0)), sigmoid(pre(1)), np.tanh(pre(2)), sigmoid(pre(3))
    c2 = f * c + i * g
    return o * np.tanh(c2), c2


def gru_step(p, sfx, x, h):
    H = h.shape[0]
    W_ih, W_hh = p["weight_ih" + sfx], p["weight_hh" + sfx]
    b_ih = p.get("bias_ih" + sfx, np.zeros(3 * H))
    b_hh = p.get("bias_hh" + sfx, np.zeros(3 * H))
    blk = lambda W, k: W[k * H:(k + 1) * H]
    r = sigmoid(blk(W_ih, 0) @ x + blk(b_ih, 0) + blk(W_hh, 0) @ h + blk(b_hh, 0))
    z = sigmoid(blk(W_ih, 1) @ x + blk(b_ih, 1) + blk(W_hh, 1) @ h + blk(b_hh, 1))
    n = np.tanh(blk(W_ih, 2) @ x + blk(b_ih, 2) + r * (blk(W_hh, 2) @ h + blk(b_hh, 2)))
    return (1 - z) * n + z * h


# ---------------------------------------------------------------- torch

def T64(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def agree(name, ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, (name, ours.shape, theirs.shape)
    err = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    assert err < 1e-12, (name, err)


def torch_stack(kind, p, I, H, L, D, bias, x, h0, c0, lens, unbatched):
    """x: (T, B, I) (or (T, I) unbatched). Zero-length sequences (which pack_padded_sequence
    rejects) are left out of torch's batch and given the rule's result: h_n = h0, outputs 0."""
    cls = nn.LSTM if kind == "lstm" else nn.GRU
    m = cls(I, H, num_layers=L, bias=bias, bidirectional=D == 2).double()
    m.load_state_dict({k: T64(v) for k, v in p.items()}, strict=True)
    with torch.no_grad():
        if unbatched:
            out, st = m(T64(x), (T64(h0), T64(c0)) if kind == "lstm" else T64(h0))
            hn, cn = (st if kind == "lstm" else (st, torch.zeros_like(st)))
            return out.numpy(), hn.numpy(), cn.numpy()
        Tn, B = x.shape[0], x.shape[1]
        out = np.zeros((Tn, B, D * H))
        hn, cn = h0.copy(), c0.copy()
        idx = [b for b in range(B) if lens[b] > 0]
        xs = T64(x[:, idx])
        if lens != [Tn] * B:
            xs = nn.utils.rnn.pack_padded_sequence(xs, torch.tensor([lens[b] for b in idx]), enforce_sorted=False)
        h, c = T64(h0[:, idx]), T64(c0[:, idx])
        o, st = m(xs, (h, c) if kind == "lstm" else h)
        if isinstance(o, nn.utils.rnn.PackedSequence):
            o, _ = nn.utils.rnn.pad_packed_sequence(o, total_length=Tn)
        out[:, idx] = o.numpy()
        if kind == "lstm":
            hn[:, idx], cn[:, idx] = st[0].numpy(), st[1].numpy()
        else:
            hn[:, idx] = st.numpy()
        return out, hn, cn


# ---------------------------------------------------------------- stacks, one sequence at a time

def run_stack(kind, p, H, L, D, xs, h0, c0):
    """xs: (T, in) for ONE sequence (its real steps only); h0, c0: (L*D, H). Returns out (T, D*H), hn, cn."""
    T = xs.shape[0]
    inp = xs
    hn = np.zeros((L * D, H))
    cn = np.zeros((L * D, H))
    for l in range(L):
        outs = []
        for d in range(D):
            sfx = "_l%d%s" % (l, "_reverse" if d == 1 else "")
            k = l * D + d
            h, c = h0[k].copy(), c0[k].copy()
            out = np.zeros((T, H))
            steps = range(T) if d == 0 else range(T - 1, -1, -1)
            for t in steps:
                if kind == "lstm":
                    h, c = lstm_step(p, sfx, inp[t], h, c)
                else:
                    h = gru_step(p, sfx, inp[t], h)
                out[t] = h
            hn[k], cn[k] = h, c
            outs.append(out)
        inp = np.concatenate(outs, axis=1)
    return inp, hn, cn


def param_shapes(kind, I, H, L, D, bias):
    G = 4 if kind == "lstm" else 3
    shapes = []
    for l in range(L):
        for d in range(D):
            sfx = "_l%d%s" % (l, "_reverse" if d == 1 else "")
            n_in = I if l == 0 else D * H
            shapes.append(("weight_ih" + sfx, (G * H, n_in)))
            shapes.append(("weight_hh" + sfx, (G * H, H)))
            if bias:
                shapes.append(("bias_ih" + sfx, (G * H,)))
                shapes.append(("bias_hh" + sfx, (G * H,)))
    return shapes


def stack_case(name, kind, seed, I, H, L, D, T, B, batch_first=False, bias=True, initial=True,
               unbatched=False, lengths=None):
    rs = np.random.RandomState(seed)
    k = 1 / np.sqrt(H)
    p = {n: rs.uniform(-k, k, s) for n, s in param_shapes(kind, I, H, L, D, bias)}
    Bn = 1 if unbatched else B
    x = rs.randn(T, Bn, I)                               # (T, B, I); padding is random, not zero
    h0 = rs.randn(L * D, Bn, H) * 0.5 if initial else np.zeros((L * D, Bn, H))
    c0 = rs.randn(L * D, Bn, H) * 0.5 if (initial and kind == "lstm") else np.zeros((L * D, Bn, H))
    lens = [T] * Bn if lengths is None else lengths
    out = np.zeros((T, Bn, D * H))
    hn = np.zeros((L * D, Bn, H))
    cn = np.zeros((L * D, Bn, H))
    for b in range(Bn):
        n = lens[b]
        o, hb, cb = run_stack(kind, p, H, L, D, x[:n, b], h0[:, b], c0[:, b])
        out[:n, b] = o
        hn[:, b], cn[:, b] = hb, cb
    if unbatched:
        t_out, t_hn, t_cn = torch_stack(kind, p, I, H, L, D, bias, x[:, 0], h0[:, 0], c0[:, 0], lens, True)
        t_out, t_hn, t_cn = t_out[:, None], t_hn[:, None], t_cn[:, None]
    else:
        t_out, t_hn, t_cn = torch_stack(kind, p, I, H, L, D, bias, x, h0, c0, lens, False)
    agree(name, out, t_out)
    agree(name, hn, t_hn)
    if kind == "lstm":
        agree(name, cn, t_cn)
    out, hn = t_out, t_hn
    if kind == "lstm":
        cn = t_cn
    case = {
        "name": name, "kind": kind, "inputSize": I, "hiddenSize": H, "numLayers": L,
        "bidirectional": D == 2, "batchFirst": batch_first, "bias": bias,
        "params": {n: arr(v) for n, v in p.items()},
    }
    if unbatched:
        case.update({"x": arr(x[:, 0]), "output": arr(out[:, 0]), "h_n": arr(hn[:, 0])})
        if initial:
            case["h0"] = arr(h0[:, 0])
        if kind == "lstm":
            case["c_n"] = arr(cn[:, 0])
            if initial:
                case["c0"] = arr(c0[:, 0])
        return case
    tr = (lambda a: a.transpose(1, 0, 2)) if batch_first else (lambda a: a)
    case.update({"x": arr(tr(x)), "output": arr(tr(out)), "h_n": arr(hn)})
    if initial:
        case["h0"] = arr(h0)
    if kind == "lstm":
        case["c_n"] = arr(cn)
        if initial:
            case["c0"] = arr(c0)
    if lengths is not None:
        case["lengths"] = list(lengths)
    return case


def cell_case(name, kind, seed, I, H, B, unbatched=False):
    rs = np.random.RandomState(seed)
    k = 1 / np.sqrt(H)
    G = 4 if kind == "lstm" else 3
    p = {
        "weight_ih": rs.uniform(-k, k, (G * H, I)),
        "weight_hh": rs.uniform(-k, k, (G * H, H)),
        "bias_ih": rs.uniform(-k, k, (G * H,)),
        "bias_hh": rs.uniform(-k, k, (G * H,)),
    }
    Bn = 1 if unbatched else B
    x = rs.randn(Bn, I)
    h = rs.randn(Bn, H) * 0.5
    c = rs.randn(Bn, H) * 0.5
    h2 = np.zeros((Bn, H))
    c2 = np.zeros((Bn, H))
    for b in range(Bn):
        if kind == "lstm":
            h2[b], c2[b] = lstm_step(p, "", x[b], h[b], c[b])
        else:
            h2[b] = gru_step(p, "", x[b], h[b])
    cell = (nn.LSTMCell if kind == "lstm" else nn.GRUCell)(I, H).double()
    cell.load_state_dict({k: T64(v) for k, v in p.items()}, strict=True)
    sq = (lambda a: a[0]) if unbatched else (lambda a: a)
    with torch.no_grad():
        # unbatched: torch's own 1-D path
        if kind == "lstm":
            th, tc = cell(T64(sq(x)), (T64(sq(h)), T64(sq(c))))
            agree(name, sq(c2), tc.numpy())
            c2 = tc.numpy()[None] if unbatched else tc.numpy()
        else:
            th = cell(T64(sq(x)), T64(sq(h)))
        agree(name, sq(h2), th.numpy())
        h2 = th.numpy()[None] if unbatched else th.numpy()
    case = {"name": name, "kind": kind, "inputSize": I, "hiddenSize": H,
            "params": {n: arr(v) for n, v in p.items()}, "x": arr(sq(x)), "h": arr(sq(h)), "h_next": arr(sq(h2))}
    if kind == "lstm":
        case.update({"c": arr(sq(c)), "c_next": arr(sq(c2))})
    return case


def notebook_cell_case(seed, n_x, n_a, m):
    rs = np.random.RandomState(seed)
    xt = rs.randn(n_x, m)
    a_prev = rs.randn(n_a, m)
    c_prev = rs.randn(n_a, m)
    P = {}
    for g in ["f", "i", "c", "o"]:
        P["W" + g] = rs.randn(n_a, n_a + n_x) * 0.5
        P["b" + g] = rs.randn(n_a, 1) * 0.5
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(P["Wf"] @ concat + P["bf"])
    it = sigmoid(P["Wi"] @ concat + P["bi"])
    cct = np.tanh(P["Wc"] @ concat + P["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(P["Wo"] @ concat + P["bo"])
    a_next = ot * np.tanh(c_next)
    return {"params": {n: arr(v) for n, v in P.items()}, "xt": arr(xt), "a_prev": arr(a_prev),
            "c_prev": arr(c_prev), "a_next": arr(a_next), "c_next": arr(c_next)}


def linear_cases():
    rs = np.random.RandomState(7)
    out = []
    for name, xshape, bias in [("2-D", (4, 3), True), ("3-D", (2, 4, 3), True), ("no bias", (4, 3), False)]:
        k = 1 / np.sqrt(3)
        W = rs.uniform(-k, k, (5, 3))
        b = rs.uniform(-k, k, (5,))
        x = rs.randn(*xshape)
        y = x @ W.T + (b if bias else 0)
        lin = nn.Linear(3, 5, bias=bias).double()
        lin.load_state_dict({"weight": T64(W), **({"bias": T64(b)} if bias else {})}, strict=True)
        with torch.no_grad():
            ty = lin(T64(x)).numpy()
        agree(name, y, ty)
        y = ty
        case = {"name": name, "inFeatures": 3, "outFeatures": 5, "weight": arr(W), "x": arr(x), "y": arr(y)}
        if bias:
            case["bias"] = arr(b)
        out.append(case)
    return out


def embedding_case():
    rs = np.random.RandomState(8)
    W = rs.randn(6, 3)
    ids = np.array([[1, 3], [1, 0], [5, 1]])
    emb = nn.Embedding(6, 3).double()
    emb.load_state_dict({"weight": T64(W)}, strict=True)
    with torch.no_grad():
        y = emb(torch.tensor(ids)).numpy()
    agree("embedding", W[ids], y)
    return {"weight": arr(W), "ids": iarr(ids), "y": arr(y)}


def main():
    stacks = []
    for kind in ["lstm", "gru"]:
        s = 100 if kind == "lstm" else 200
        stacks += [
            stack_case(f"{kind} 2 layers bidirectional batchFirst with initial state", kind, s + 1, I=3, H=4, L=2, D=2, T=5, B=2,
                       batch_first=True),
            stack_case(f"{kind} 2 layers (seq, batch) zero initial state", kind, s + 2, I=3, H=4, L=2, D=1, T=4, B=3,
                       initial=False),
            stack_case(f"{kind} 3 layers bidirectional (seq, batch)", kind, s + 3, I=2, H=3, L=3, D=2, T=3, B=2),
            stack_case(f"{kind} unbatched 2 layers bidirectional with initial state", kind, s + 4, I=3, H=4, L=2, D=2, T=4, B=1,
                       unbatched=True),
            stack_case(f"{kind} no bias", kind, s + 5, I=3, H=2, L=1, D=1, T=3, B=2, bias=False),
            stack_case(f"{kind} lengths 2 layers bidirectional batchFirst", kind, s + 6, I=3, H=4, L=2, D=2, T=5, B=3,
                       batch_first=True, lengths=[5, 2, 3]),
            stack_case(f"{kind} lengths (seq, batch) with a zero length", kind, s + 7, I=2, H=3, L=1, D=2, T=4, B=3,
                       lengths=[1, 4, 0]),
        ]
    cells = [
        cell_case("lstm cell batch 3", "lstm", 301, I=3, H=4, B=3),
        cell_case("lstm cell unbatched", "lstm", 302, I=3, H=4, B=1, unbatched=True),
        cell_case("gru cell batch 3", "gru", 303, I=3, H=4, B=3),
        cell_case("gru cell unbatched", "gru", 304, I=3, H=4, B=1, unbatched=True),
    ]
    meta = {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(), "script": "make-recurrent-reference.py"}
    doc = {"meta": meta, "linear": linear_cases(), "embedding": embedding_case(), "cells": cells,
           "notebookCell": notebook_cell_case(305, n_x=3, n_a=5, m=4), "stacks": stacks}
    with open(os.path.join(HERE, "recurrent-reference.json"), "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
