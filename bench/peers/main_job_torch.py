"""The main job (`pnpm demo`, examples/char-lstm) written in PyTorch, for bench/main-job.ts.

The same run as the demo's defaults: the bundled corpus (90% train, 10% validation), its sorted
distinct characters as the vocabulary, an embedding of 32, a one-layer LSTM of 192 and a linear
head, float32, batches of 32 windows of 48 + 1 characters, mean cross-entropy, gradients clipped
to norm 1, Adam (lr 0.01) with a cosine decay to lr/10 over the run. Validation every 100 steps on
the first 20,000 validation characters with a 120-character sample at temperature 0.8, and at
the end on all of them, in bits per character over non-overlapping windows of 48 + 1, 64 to a
batch. Everything random comes from numpy's RandomState in the demo's order:

    rng = RandomState(seed): embedding randn (vocab, 32); for the LSTM uniform(+-1/sqrt(192)) of
    weight_ih (768, 32), weight_hh (768, 192), bias_ih, bias_hh; for the head uniform(+-1/sqrt(192))
    of weight (vocab, 192), bias (vocab); then each step's batch starts,
    randint(0, len(train) - 48 - 1, 32).
    sample_rng = RandomState(seed + 1): each sample's characters, choice(vocab, p=softmax(logits/0.8)).

So both runs start from the same weights and see the same batches; float32 arithmetic in another
order makes them differ in the last bits, not in the bits per character they reach.

One JSON job on stdin ({"steps": 800, "threads": "one"}; all keys optional), one JSON result on
stdout: steps, seconds (the training loop with its checks and samples, as the demo's --json
counts them), stepsPerSec, valBpc (all validation characters, after the last step), trainBpc (the
mean of the last 50 batches' losses), torch's version and thread count. One thread unless
"threads" is "default"; run it with OPENBLAS_NUM_THREADS=1 as bench/lib/numpy.ts's numpyEnv sets
it. Debian's /usr/bin/python3 has torch (python3-torch).

    echo '{"steps": 100}' | OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peers/main_job_torch.py
"""

import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "examples", "char-lstm", "data", "corpus.txt")

# the demo's defaults (examples/char-lstm/main.ts)
DEFAULTS = {"hidden": 192, "embed": 32, "seqLen": 48, "batch": 32, "lr": 0.01, "steps": 800, "seed": 1, "clip": 1.0, "evalEvery": 100}
VAL_QUICK = 20_000
LN2 = math.log(2)


def main():
    job = json.loads(sys.stdin.read() or "{}")
    try:
        import numpy as np
        import torch
        import torch.nn as nn
    except Exception as e:  # noqa: BLE001
        json.dump({"missing": f"{type(e).__name__}: {e}"}, sys.stdout)
        return
    c = {**DEFAULTS, **{k: v for k, v in job.items() if k in DEFAULTS}}
    if job.get("threads") != "default":
        torch.set_num_threads(1)
    H, E, T, B = c["hidden"], c["embed"], c["seqLen"], c["batch"]

    # newline="" keeps the text as Node's readFileSync reads it
    with open(job.get("corpus", CORPUS), encoding="utf-8", newline="") as f:
        text = f.read()
    chars = sorted(set(text))  # the corpus is ASCII: code points and UTF-16 units sort alike
    index = {ch: i for i, ch in enumerate(chars)}
    ids = np.array([index[ch] for ch in text], dtype=np.int64)
    V = len(chars)
    split = int(math.floor(len(ids) * 0.9))
    train, val = ids[:split], ids[split:]
    val_quick = val[:VAL_QUICK]

    rng = np.random.RandomState(c["seed"])
    sample_rng = np.random.RandomState(c["seed"] + 1)
    k = 1 / math.sqrt(H)
    # drawn in float64 in the demo's order, then rounded to float32 as astype does there
    w_embed = rng.randn(V, E)
    w_ih = rng.uniform(-k, k, (4 * H, E))
    w_hh = rng.uniform(-k, k, (4 * H, H))
    b_ih = rng.uniform(-k, k, (4 * H,))
    b_hh = rng.uniform(-k, k, (4 * H,))
    w_head = rng.uniform(-k, k, (V, H))
    b_head = rng.uniform(-k, k, (V,))

    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H)
            self.head = nn.Linear(H, V)

        def forward(self, x, state=None):
            out, s = self.lstm(self.embed(x), state)
            return self.head(out.reshape(-1, H)), s

    model = CharModel()
    with torch.no_grad():
        for p, w in (
            (model.embed.weight, w_embed), (model.lstm.weight_ih_l0, w_ih), (model.lstm.weight_hh_l0, w_hh),
            (model.lstm.bias_ih_l0, b_ih), (model.lstm.bias_hh_l0, b_hh), (model.head.weight, w_head), (model.head.bias, b_head),
        ):
            p.copy_(torch.from_numpy(w.astype(np.float32)))
    opt = torch.optim.Adam(model.parameters(), lr=c["lr"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=c["steps"], eta_min=c["lr"] / 10)

    def batch_at(data, starts):
        """(T, B) inputs and (T * B) targets: window b's character t at row t, column b, as batchAt."""
        idx = np.asarray(starts)[None, :] + np.arange(T)[:, None]
        return torch.from_numpy(data[idx]), torch.from_numpy(data[idx + 1].reshape(-1))

    def evaluate(data):
        with torch.no_grad():
            total, count = 0.0, 0
            n = max(0, (len(data) - 1) // T)
            for lo in range(0, n, 64):
                x, y = batch_at(data, np.arange(lo, min(lo + 64, n)) * T)
                logits, _ = model(x)
                total += nn.functional.cross_entropy(logits, y, reduction="sum").item()
                count += y.numel()
            return total / count / LN2

    def sample(length, temperature):
        with torch.no_grad():
            state = None
            logits, state = model(torch.tensor([[index.get("\n", 0)]]), state)
            out = []
            for _ in range(length):
                z = logits.double().reshape(-1).numpy() / temperature
                p = np.exp(z - z.max())
                p /= p.sum()
                i = int(sample_rng.choice(V, p=p))
                out.append(chars[i])
                logits, state = model(torch.tensor([[i]]), state)
            return "".join(out)

    history = []
    t0 = time.perf_counter()
    for step in range(1, c["steps"] + 1):
        starts = rng.randint(0, len(train) - T - 1, B)
        x, y = batch_at(train, starts)
        logits, _ = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), c["clip"])
        opt.step()
        opt.zero_grad(set_to_none=False)
        sched.step()
        history.append(loss.item() / LN2)
        if step % c["evalEvery"] == 0 or step == c["steps"]:
            evaluate(val_quick)
            sample(120, 0.8)
    seconds = time.perf_counter() - t0
    val_bpc = evaluate(val)
    recent = history[-50:]
    json.dump({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": c["steps"],
        "seconds": seconds, "stepsPerSec": c["steps"] / seconds,
        "trainBpc": sum(recent) / len(recent), "valBpc": val_bpc,
    }, sys.stdout)


if __name__ == "__main__":
    main()
