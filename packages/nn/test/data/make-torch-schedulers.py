# Learning rates from real PyTorch's schedulers (torch.optim.lr_scheduler, torch 1.13), for
# test/schedulers.test.ts: each case builds an optimizer with one or two parameter groups, a
# scheduler with the options given (camelCase here, PyTorch's names below), and records every
# group's lr (and momentum or beta1, which OneCycleLR cycles) after construction and after each
# of 100 steps (optimizer.step() then scheduler.step(), as PyTorch asks).
# Regenerate from the repository root with:
#     /usr/bin/python3 packages/nn/test/data/make-torch-schedulers.py
# Writes torch-schedulers.json next to this script.

import json
import os
import platform

import torch
from torch.optim import lr_scheduler as S

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 100

NAMES = {"stepSize": "step_size", "gamma": "gamma", "milestones": "milestones", "tMax": "T_max", "etaMin": "eta_min",
         "startFactor": "start_factor", "endFactor": "end_factor", "totalIters": "total_iters", "maxLr": "max_lr",
         "totalSteps": "total_steps", "pctStart": "pct_start", "annealStrategy": "anneal_strategy", "divFactor": "div_factor",
         "finalDivFactor": "final_div_factor", "threePhase": "three_phase", "cycleMomentum": "cycle_momentum",
         "baseMomentum": "base_momentum", "maxMomentum": "max_momentum", "epochs": "epochs", "stepsPerEpoch": "steps_per_epoch"}
# the functions LambdaLR cases use, by name; the test defines the same ones
LAMBDAS = {"pow0.95": lambda e: 0.95 ** e, "inverse": lambda e: 1 / (1 + e), "warmup10": lambda e: min(1.0, (e + 1) / 10)}


def build(opt, spec):
    kind, options = spec["type"], dict(spec.get("options", {}))
    if kind == "SequentialLR":
        subs = [build(opt, s) for s in spec["schedulers"]]
        return S.SequentialLR(opt, subs, milestones=spec["milestones"])
    if kind == "LambdaLR":
        fn = options.pop("lrLambda")
        return S.LambdaLR(opt, [LAMBDAS[f] for f in fn] if isinstance(fn, list) else LAMBDAS[fn])
    return getattr(S, kind)(opt, **{NAMES[k]: v for k, v in options.items()})


def run(name, spec, optimizer="SGD", groups=({"lr": 0.1},)):
    ps = [torch.zeros(2, requires_grad=True) for _ in groups]
    gs = [{"params": [p], **g} for p, g in zip(ps, groups)]
    opt = torch.optim.SGD(gs, lr=0.1, momentum=0.9) if optimizer == "SGD" else torch.optim.Adam(gs, lr=0.1)
    sched = build(opt, spec)
    lrs, moms = [], []

    def record():
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g["momentum"] if optimizer == "SGD" else g["betas"][0] for g in opt.param_groups])
        assert sched.get_last_lr() == lrs[-1], (name, sched.get_last_lr(), lrs[-1])

    record()
    for _ in range(STEPS):
        for p in ps:
            p.grad = torch.ones(2)
        opt.step()
        sched.step()
        record()
    return {"name": name, "optimizer": optimizer, "groups": list(groups), "scheduler": spec, "lrs": lrs, "momentum": moms}


two = ({"lr": 0.1}, {"lr": 0.02})
cases = [
    run("StepLR", {"type": "StepLR", "options": {"stepSize": 7, "gamma": 0.5}}, groups=two),
    run("StepLR default gamma", {"type": "StepLR", "options": {"stepSize": 30}}),
    run("MultiStepLR", {"type": "MultiStepLR", "options": {"milestones": [10, 25, 25, 60], "gamma": 0.3}}, groups=two),
    run("ExponentialLR", {"type": "ExponentialLR", "options": {"gamma": 0.97}}, groups=two),
    run("CosineAnnealingLR", {"type": "CosineAnnealingLR", "options": {"tMax": 100, "etaMin": 0.001}}, groups=two),
    run("CosineAnnealingLR past tMax (restarts upward)", {"type": "CosineAnnealingLR", "options": {"tMax": 30}}),
    run("LinearLR", {"type": "LinearLR", "options": {"startFactor": 0.25, "endFactor": 1.0, "totalIters": 40}}, groups=two),
    run("LinearLR decay", {"type": "LinearLR", "options": {"startFactor": 1.0, "endFactor": 0.1, "totalIters": 60}}),
    run("LambdaLR", {"type": "LambdaLR", "options": {"lrLambda": "pow0.95"}}),
    run("LambdaLR per group", {"type": "LambdaLR", "options": {"lrLambda": ["inverse", "warmup10"]}}, groups=two),
    run("OneCycleLR cos SGD", {"type": "OneCycleLR", "options": {"maxLr": 0.5, "totalSteps": 100}}, groups=two),
    run("OneCycleLR linear Adam", {"type": "OneCycleLR", "options": {"maxLr": [0.01, 0.002], "totalSteps": 120, "pctStart": 0.25,
                                                                      "annealStrategy": "linear", "divFactor": 10.0, "finalDivFactor": 100.0}},
        optimizer="Adam", groups=two),
    run("OneCycleLR three phase", {"type": "OneCycleLR", "options": {"maxLr": 1.0, "epochs": 10, "stepsPerEpoch": 10, "pctStart": 0.4,
                                                                      "threePhase": True, "baseMomentum": 0.8, "maxMomentum": 0.9}}),
    run("OneCycleLR no momentum cycling", {"type": "OneCycleLR", "options": {"maxLr": 0.3, "totalSteps": 101, "cycleMomentum": False}}),
    run("SequentialLR warmup then cosine", {"type": "SequentialLR", "milestones": [10], "schedulers": [
        {"type": "LinearLR", "options": {"startFactor": 0.1, "totalIters": 10}},
        {"type": "CosineAnnealingLR", "options": {"tMax": 90, "etaMin": 0.0}}]}, groups=two),
    run("SequentialLR three", {"type": "SequentialLR", "milestones": [5, 50], "schedulers": [
        {"type": "ExponentialLR", "options": {"gamma": 0.9}},
        {"type": "StepLR", "options": {"stepSize": 10, "gamma": 0.5}},
        {"type": "LambdaLR", "options": {"lrLambda": "pow0.95"}}]}),
]

with open(os.path.join(HERE, "torch-schedulers.json"), "w") as f:
    json.dump({"meta": {"torch": torch.__version__, "python": platform.python_version(), "script": "make-torch-schedulers.py", "steps": STEPS},
               "cases": cases}, f)
    f.write("\n")
