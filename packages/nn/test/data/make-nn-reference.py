# Reference numbers for test/losses.test.ts and test/optim.test.ts, computed by real PyTorch
# (torch.nn.functional's losses and their gradients by torch.autograd; torch.optim's SGD, Adam
# and AdamW stepping float64 parameters), never by tapegrad. A numpy implementation of PyTorch's
# documented formulas (below) runs beside torch as a cross-check: the script stops if the two
# differ by more than 1e-12 relative; the JSON holds torch's numbers.
#
# Regenerate (from the repository root) with Debian's python3 and python3-torch (1.13):
#     /usr/bin/python3 packages/nn/test/data/make-nn-reference.py
# Writes, next to this script:
#   losses-reference.json   mse_loss, cross_entropy, nll_loss and binary_cross_entropy_with_logits
#                           cases: inputs, options, the loss, and the gradient of the loss (of its
#                           sum, for reduction "none") with respect to the input, derived by hand
#                           from the same formula (d/dx log_softmax(x)_c = delta - softmax(x)).
#   optim-reference.json    SGD, Adam and AdamW cases: initial parameters, the gradient fed at each
#                           step (null: the parameter has no gradient that step), and the parameters
#                           after each step, following the pseudo-code in PyTorch's docs.
#
# Formulas (torch.nn docs, "Shape"/"Examples" sections; torch.optim docs, "Algorithm" boxes):
#   cross_entropy, class indices, weight w, ignore_index, label smoothing eps, C classes:
#       y'_{n,c} = (1 - eps) [c = y_n] + eps / C
#       l_n      = -sum_c w_c y'_{n,c} log_softmax(x_n)_c            (0 where y_n == ignore_index)
#       mean     = sum_n l_n / sum_n w_{y_n} [y_n != ignore_index]
#   cross_entropy, class probabilities y: l_n = -sum_c w_c y'_{n,c} log_softmax(x_n)_c with
#       y' = (1 - eps) y + eps / C; mean = sum_n l_n / (number of n).
#   nll_loss: l_n = -w_{y_n} x_{n,y_n} (0 where ignored); mean as cross_entropy's.
#   mse_loss: l = (x - y)^2; mean over all elements.
#   binary_cross_entropy_with_logits: l = -w [p y log s(x) + (1 - y) log(1 - s(x))], s the
#       sigmoid and p the pos_weight; computed here as w [p y softplus(-x) + (1 - y) softplus(x)].
#   SGD (docs as of 2025-05, after pytorch#149476 moved maximize to the gradient's sign):
#       g = -grad if maximize else grad;  g += wd * theta;
#       b = g (first step) else mu * b + (1 - dampening) g;  g = g + mu b (nesterov) else b;
#       theta -= lr g
#   Adam (docs as of 2024-12, after pytorch#142323 put the AMSGrad max before the bias correction):
#       g = -grad if maximize else grad;  g += wd * theta;
#       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  m_hat = m / (1 - b1^t);
#       amsgrad: v_max = max(v_max, v); v_hat = v_max / (1 - b2^t)   else v_hat = v / (1 - b2^t)
#       theta -= lr m_hat / (sqrt(v_hat) + eps)
#   AdamW: as Adam, but no wd in g; instead theta *= (1 - lr wd) before the moment updates.
#   Each parameter counts its own steps t; a parameter without a gradient is skipped, its state
#   untouched.

import json
import os
import platform

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def arr(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def iarr(a):
    a = np.asarray(a, dtype=np.int64)
    return {"shape": list(a.shape), "data": [int(v) for v in a.reshape(-1)]}


def value(x):
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else arr(x)


# ---------------------------------------------------------------- torch

def T64(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def agree(name, ours, theirs, tol=1e-12):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, (name, ours.shape, theirs.shape)
    scale = np.maximum(1.0, np.abs(theirs))
    err = float(np.max(np.abs(ours - theirs) / scale)) if ours.size else 0.0
    assert err < tol, (name, err)


TORCH_LOSS = {
    "crossEntropy": lambda x, t, o: F.cross_entropy(x, t, **o),
    "nllLoss": lambda x, t, o: F.nll_loss(x, t, **o),
    "mseLoss": lambda x, t, o: F.mse_loss(x, t, **o),
    "binaryCrossEntropyWithLogits": lambda x, t, o: F.binary_cross_entropy_with_logits(x, t, **o),
}
OPTION_NAMES = {"reduction": "reduction", "weight": "weight", "ignoreIndex": "ignore_index", "labelSmoothing": "label_smoothing", "posWeight": "pos_weight"}


def torch_loss(fn, x, target, options):
    xt = T64(x).requires_grad_(True)
    tt = torch.tensor(np.asarray(target), dtype=torch.int64) if np.asarray(target).dtype.kind == "i" else T64(target)
    o = {OPTION_NAMES[k]: (T64(v["data"]).reshape(v["shape"]) if isinstance(v, dict) else v) for k, v in options.items()}
    loss = TORCH_LOSS[fn](xt, tt, o)
    loss.sum().backward()
    return loss.detach().numpy(), xt.grad.numpy()


# ---------------------------------------------------------------- losses

def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def reduce(l, reduction, denom):
    if reduction == "none":
        return l, np.ones_like(l)
    if reduction == "sum":
        return l.sum(), np.ones_like(l)
    return l.sum() / denom, np.full_like(l, 1.0 / denom)


def cross_entropy(x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0, probs=False):
    cls = 0 if x.ndim == 1 else 1
    C = x.shape[cls]
    xl = np.moveaxis(x, cls, -1)                      # (..., C)
    lp = log_softmax(xl, -1)
    p = np.exp(lp)
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    eps = label_smoothing
    if probs:
        yl = np.moveaxis(y, cls, -1)
        ys = (1 - eps) * yl + eps / C
        l = -(w * ys * lp).sum(-1)
        loss, up = reduce(l, reduction, l.size)
        # d l_n / d x_j = p_j sum_c w_c y'_c - w_j y'_j
        g = p * (w * ys).sum(-1, keepdims=True) - w * ys
    else:
        valid = y != ignore_index
        ys = np.where(valid, y, 0)
        wy = w[ys] * valid
        picked = np.take_along_axis(lp, ys[..., None], -1)[..., 0]
        nll = -wy * picked
        onehot = np.eye(C)[ys]
        dnll = wy[..., None] * (p - onehot)
        if eps > 0:
            smooth = -(lp * w).sum(-1) * valid
            dsmooth = (w.sum() * p - w) * valid[..., None]
        else:
            smooth = np.zeros_like(nll)
            dsmooth = np.zeros_like(dnll)
        l = (1 - eps) * nll + eps / C * smooth
        g = (1 - eps) * dnll + eps / C * dsmooth
        loss, up = reduce(l, reduction, wy.sum())
    grad = np.moveaxis(g * up[..., None], -1, cls)
    return loss, grad


def nll_loss(x, y, weight=None, ignore_index=-100, reduction="mean"):
    cls = 0 if x.ndim == 1 else 1
    C = x.shape[cls]
    xl = np.moveaxis(x, cls, -1)
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    valid = y != ignore_index
    ys = np.where(valid, y, 0)
    wy = w[ys] * valid
    l = -wy * np.take_along_axis(xl, ys[..., None], -1)[..., 0]
    loss, up = reduce(l, reduction, wy.sum())
    g = -(wy * up)[..., None] * np.eye(C)[ys]
    return loss, np.moveaxis(g, -1, cls)


def mse_loss(x, y, reduction="mean"):
    d = x - y
    loss, up = reduce(d * d, reduction, d.size)
    return loss, 2 * d * up


def softplus(z):
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def bce_with_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    w = 1.0 if weight is None else np.asarray(weight, dtype=np.float64)
    pw = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    # -log s(x) = softplus(-x);  -log(1 - s(x)) = softplus(x)
    l = w * (pw * y * softplus(-x) + (1 - y) * softplus(x))
    l = np.broadcast_to(l, x.shape)
    loss, up = reduce(l, reduction, l.size)
    s = sigmoid(x)
    g = w * (pw * y * (s - 1) + (1 - y) * s)
    return loss, np.broadcast_to(g, x.shape) * up


def loss_cases():
    rs = np.random.RandomState(20240611)
    cases = []

    def add(name, fn, x, target, options, loss, grad, extra=None):
        t_loss, t_grad = torch_loss(fn, x, target, options)
        agree(name + " loss", loss, t_loss)
        agree(name + " grad", grad, t_grad)
        loss, grad = t_loss, t_grad
        c = {"name": name, "fn": fn, "input": arr(x), "options": options, "loss": value(loss), "grad": arr(grad)}
        c["target"] = iarr(target) if np.asarray(target).dtype.kind == "i" else arr(target)
        if extra:
            c.update(extra)
        cases.append(c)

    # cross_entropy with class indices, (N, C)
    x = rs.randn(6, 5) * 2
    y = np.array([0, 4, 2, 2, 1, 3])
    w = rs.rand(5) + 0.5
    for red in ["mean", "sum", "none"]:
        add(f"ce (6,5) {red}", "crossEntropy", x, y, {"reduction": red}, *cross_entropy(x, y, reduction=red))
    yi = np.array([0, -100, 2, -100, 1, 3])
    for red in ["mean", "sum", "none"]:
        add(f"ce (6,5) ignoreIndex {red}", "crossEntropy", x, yi, {"reduction": red}, *cross_entropy(x, yi, reduction=red))
    yj = np.array([0, 7, 2, 7, 7, 3])
    add("ce (6,5) ignoreIndex=7 (outside the classes)", "crossEntropy", x, yj, {"ignoreIndex": 7}, *cross_entropy(x, yj, ignore_index=7))
    for red in ["mean", "sum", "none"]:
        add(f"ce (6,5) weight ignoreIndex {red}", "crossEntropy", x, yi, {"reduction": red, "weight": arr(w)},
            *cross_entropy(x, yi, weight=w, reduction=red))
    for red in ["mean", "sum", "none"]:
        add(f"ce (6,5) labelSmoothing 0.1 {red}", "crossEntropy", x, yi, {"reduction": red, "labelSmoothing": 0.1},
            *cross_entropy(x, yi, reduction=red, label_smoothing=0.1))
    add("ce (6,5) weight labelSmoothing 0.25 ignoreIndex mean", "crossEntropy", x, yi, {"weight": arr(w), "labelSmoothing": 0.25},
        *cross_entropy(x, yi, weight=w, label_smoothing=0.25))
    # (N, C, d1, d2)
    x4 = rs.randn(2, 3, 4, 2)
    y4 = rs.randint(0, 3, size=(2, 4, 2))
    y4[0, 1, 1] = -100
    y4[1, 3, 0] = -100
    for red in ["mean", "sum", "none"]:
        add(f"ce (2,3,4,2) ignoreIndex {red}", "crossEntropy", x4, y4, {"reduction": red}, *cross_entropy(x4, y4, reduction=red))
    add("ce (2,3,4,2) weight labelSmoothing 0.2", "crossEntropy", x4, y4, {"weight": arr(w[:3]), "labelSmoothing": 0.2},
        *cross_entropy(x4, y4, weight=w[:3], label_smoothing=0.2))
    # unbatched (C,) with a 0-d target
    x1 = rs.randn(4)
    add("ce unbatched (4,)", "crossEntropy", x1, np.array(2), {}, *cross_entropy(x1, np.array(2)))
    # logits far apart: the softmax underflows, the log-softmax must not
    xb = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0], [0.0, 0.0, 0.0]])
    yb = np.array([2, 0, 1])
    add("ce extreme logits", "crossEntropy", xb, yb, {"reduction": "none"}, *cross_entropy(xb, yb, reduction="none"))
    # class probabilities
    pr = rs.rand(6, 5)
    pr /= pr.sum(1, keepdims=True)
    for red in ["mean", "sum", "none"]:
        add(f"ce probabilities {red}", "crossEntropy", x, pr, {"reduction": red}, *cross_entropy(x, pr, reduction=red, probs=True))
    add("ce probabilities weight labelSmoothing 0.1", "crossEntropy", x, pr, {"weight": arr(w), "labelSmoothing": 0.1},
        *cross_entropy(x, pr, weight=w, label_smoothing=0.1, probs=True))
    pr4 = rs.rand(2, 3, 4, 2)
    pr4 /= pr4.sum(1, keepdims=True)
    add("ce probabilities (2,3,4,2)", "crossEntropy", x4, pr4, {}, *cross_entropy(x4, pr4, probs=True))

    # nll_loss on log-probabilities (and on arbitrary inputs: the formula does not care)
    lp = log_softmax(x, 1)
    for red in ["mean", "sum", "none"]:
        add(f"nll (6,5) weight ignoreIndex {red}", "nllLoss", lp, yi, {"reduction": red, "weight": arr(w)},
            *nll_loss(lp, yi, weight=w, reduction=red))
    add("nll (2,3,4,2) raw inputs", "nllLoss", x4, y4, {}, *nll_loss(x4, y4))

    # mse_loss
    a = rs.randn(3, 4)
    b = rs.randn(3, 4)
    for red in ["mean", "sum", "none"]:
        add(f"mse (3,4) {red}", "mseLoss", a, b, {"reduction": red}, *mse_loss(a, b, reduction=red))

    # binary_cross_entropy_with_logits
    z = rs.randn(4, 3) * 3
    z[0, 0] = 0.0            # the softplus kink: the gradient there is s(0) - y
    z[1, 1] = 40.0
    z[2, 2] = -40.0
    t = rs.rand(4, 3)
    t[0, 1] = 0.0
    t[3, 2] = 1.0
    bw = rs.rand(3) + 0.5
    pw = np.array([0.5, 2.0, 3.0])
    for red in ["mean", "sum", "none"]:
        add(f"bce (4,3) {red}", "binaryCrossEntropyWithLogits", z, t, {"reduction": red}, *bce_with_logits(z, t, reduction=red))
    add("bce (4,3) weight posWeight", "binaryCrossEntropyWithLogits", z, t, {"weight": arr(bw), "posWeight": arr(pw)},
        *bce_with_logits(z, t, weight=bw, pos_weight=pw))
    add("bce (4,3) posWeight sum", "binaryCrossEntropyWithLogits", z, t, {"posWeight": arr(pw), "reduction": "sum"},
        *bce_with_logits(z, t, pos_weight=pw, reduction="sum"))
    return cases


# ---------------------------------------------------------------- optimizers

def sgd_run(params, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    theta = [p.copy() for p in params]
    buf = [None] * len(params)
    out = []
    for step in grads:
        for i, gr in enumerate(step):
            if gr is None:
                continue
            g = -gr if maximize else gr.copy()
            if weight_decay != 0:
                g = g + weight_decay * theta[i]
            if momentum != 0:
                if buf[i] is None:
                    buf[i] = g.copy()
                else:
                    buf[i] = momentum * buf[i] + (1 - dampening) * g
                g = g + momentum * buf[i] if nesterov else buf[i]
            theta[i] = theta[i] - lr * g
        out.append([t.copy() for t in theta])
    return out


def adam_run(params, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False, decoupled=False):
    b1, b2 = betas
    theta = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    vmax = [np.zeros_like(p) for p in params]
    t = [0] * len(params)
    out = []
    for step in grads:
        for i, gr in enumerate(step):
            if gr is None:
                continue
            t[i] += 1
            g = -gr if maximize else gr.copy()
            if decoupled:
                theta[i] = theta[i] - lr * weight_decay * theta[i]
            elif weight_decay != 0:
                g = g + weight_decay * theta[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t[i])
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                v_hat = vmax[i] / (1 - b2 ** t[i])
            else:
                v_hat = v[i] / (1 - b2 ** t[i])
            theta[i] = theta[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append([t_.copy() for t_ in theta])
    return out


OPTIM_OPTION_NAMES = {"lr": "lr", "momentum": "momentum", "dampening": "dampening", "nesterov": "nesterov", "weightDecay": "weight_decay",
                      "maximize": "maximize", "betas": "betas", "eps": "eps", "amsgrad": "amsgrad"}


def torch_optim(opt, options, params, grads):
    ps = [T64(p).requires_grad_(True) for p in params]
    o = {OPTIM_OPTION_NAMES[k]: (tuple(v) if k == "betas" else v) for k, v in options.items()}
    if opt == "Adam":
        o.setdefault("lr", 1e-3)
    optimizer = getattr(torch.optim, opt)(ps, **o)
    out = []
    for step in grads:
        for p, g in zip(ps, step):
            p.grad = None if g is None else T64(g)
        optimizer.step()
        out.append([p.detach().numpy().copy() for p in ps])
    return out


def optim_cases():
    rs = np.random.RandomState(7)
    params = [rs.randn(2, 3), rs.randn(4)]
    steps = 6
    # Gradients shrink over the steps, so v decreases and AMSGrad's running max matters.
    scale = [3.0, 2.0, 1.0, 0.3, 0.1, 0.05]
    grads = [[rs.randn(2, 3) * scale[k], rs.randn(4) * scale[k]] for k in range(steps)]
    grads[2][1] = None       # the second parameter has no gradient at step 3: skipped
    cases = []

    def add(name, opt, options, run):
        t_run = torch_optim(opt, options, params, grads)
        for k, (a, b) in enumerate(zip(run, t_run)):
            for i in range(len(a)):
                agree(f"{name} step {k + 1} param {i}", a[i], b[i])
        run = t_run
        cases.append({
            "name": name,
            "optimizer": opt,
            "options": options,
            "params": [arr(p) for p in params],
            "grads": [[None if g is None else arr(g) for g in step] for step in grads],
            "expected": [[arr(p) for p in after] for after in run],
        })

    add("sgd plain", "SGD", {"lr": 0.1}, sgd_run(params, grads, 0.1))
    add("sgd momentum", "SGD", {"lr": 0.1, "momentum": 0.9}, sgd_run(params, grads, 0.1, momentum=0.9))
    add("sgd momentum dampening", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
        sgd_run(params, grads, 0.05, momentum=0.8, dampening=0.3))
    add("sgd nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, sgd_run(params, grads, 0.1, momentum=0.9, nesterov=True))
    add("sgd weightDecay momentum", "SGD", {"lr": 0.1, "momentum": 0.5, "weightDecay": 0.1},
        sgd_run(params, grads, 0.1, momentum=0.5, weight_decay=0.1))
    add("sgd maximize weightDecay momentum", "SGD", {"lr": 0.1, "momentum": 0.5, "weightDecay": 0.1, "maximize": True},
        sgd_run(params, grads, 0.1, momentum=0.5, weight_decay=0.1, maximize=True))
    add("adam defaults", "Adam", {}, adam_run(params, grads))
    add("adam lr betas eps", "Adam", {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-3},
        adam_run(params, grads, lr=0.05, betas=(0.8, 0.95), eps=1e-3))
    add("adam weightDecay (L2 in the gradient)", "Adam", {"lr": 0.05, "weightDecay": 0.1}, adam_run(params, grads, lr=0.05, weight_decay=0.1))
    add("adam amsgrad", "Adam", {"lr": 0.05, "amsgrad": True}, adam_run(params, grads, lr=0.05, amsgrad=True))
    add("adam maximize weightDecay", "Adam", {"lr": 0.05, "weightDecay": 0.1, "maximize": True},
        adam_run(params, grads, lr=0.05, weight_decay=0.1, maximize=True))
    add("adamw defaults", "AdamW", {}, adam_run(params, grads, weight_decay=1e-2, decoupled=True))
    add("adamw weightDecay amsgrad", "AdamW", {"lr": 0.05, "weightDecay": 0.2, "amsgrad": True},
        adam_run(params, grads, lr=0.05, weight_decay=0.2, amsgrad=True, decoupled=True))

    # The cases must tell the variants apart, or a test could pass with the wrong rule.
    def last(name):
        return next(c for c in cases if c["name"] == name)["expected"][-1][0]["data"]
    assert not np.allclose(last("adam amsgrad"), adam_run(params, grads, lr=0.05)[-1][0].reshape(-1), rtol=1e-6, atol=0)
    bias_corrected_max = adam_run_docs_before_fix(params, grads, lr=0.05)
    assert not np.allclose(last("adam amsgrad"), bias_corrected_max, rtol=1e-6, atol=0)
    assert not np.allclose(last("sgd maximize weightDecay momentum"),
                           sgd_run_docs_before_fix(params, grads, 0.1, 0.5, 0.1), rtol=1e-6, atol=0)
    return cases


def adam_run_docs_before_fix(params, grads, lr):
    """AMSGrad as PyTorch's docs wrote it before 2024-12: max over the bias-corrected v_hat."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    theta, m, v, vmax, t = params[0].copy(), 0 * params[0], 0 * params[0], 0 * params[0], 0
    for step in grads:
        t += 1
        g = step[0]
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v / (1 - b2 ** t))
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(vmax) + eps)
    return theta.reshape(-1)


def sgd_run_docs_before_fix(params, grads, lr, momentum, wd):
    """SGD maximize as PyTorch's docs wrote it before 2025-05: theta += lr g, g including +wd theta."""
    theta, buf = params[0].copy(), None
    for step in grads:
        g = step[0] + wd * theta
        buf = g.copy() if buf is None else momentum * buf + g
        theta = theta + lr * buf
    return theta.reshape(-1)


def main():
    meta = {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(), "script": "make-nn-reference.py"}
    with open(os.path.join(HERE, "losses-reference.json"), "w") as f:
        json.dump({"meta": meta, "cases": loss_cases()}, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "optim-reference.json"), "w") as f:
        json.dump({"meta": meta, "cases": optim_cases()}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
