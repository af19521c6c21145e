#!/usr/bin/env python3
"""Writes adamw_golden.json next to this script: 10 steps of torch.optim.AdamW on fixed tiny tensors.

Run from anywhere with a Python that has torch (Debian's python3-torch: /usr/bin/python3):

    /usr/bin/python3 internal/optim/testdata/gen_adamw.py

The parameters form one flat buffer of 11 floats laid out as midas lays them out: [0, 8) is a decayed
tensor (weight_decay=0.1), [8, 11) a tensor without decay (a norm weight, weight_decay=0). Both live in
one torch.optim.AdamW with two param groups, foreach=False so torch runs _single_tensor_adamw, which the
Go code mirrors. The learning rate changes every step (a warmup-then-decay shape) to check that lr and
the bias corrections are applied per step. All values are float32; JSON floats hold them exactly.
"""
import json
import os
import tempfile

import torch

BETAS = (0.9, 0.95)
EPS = 1e-8
WEIGHT_DECAY = 0.1

# Initial parameters. Index 3 starts at 0 (decay has nothing to shrink); index 7 is large (decay matters).
P0 = [0.5, -1.25, 2.0, 0.0, 1e-3, -3.5, 0.75, 10.0, 1.0, 0.9, -0.1]
RANGES = [{"lo": 0, "hi": 8, "decay": True}, {"lo": 8, "hi": 11, "decay": False}]

# Learning rate of each of the 10 steps.
LR = [2e-3, 4e-3, 6e-3, 6e-3, 5e-3, 4e-3, 3e-3, 2e-3, 1e-3, 5e-4]

# Gradients per step (rows) and index (columns). Column scales differ on purpose: column 2 is ~1e-9 so
# sqrt(v) is comparable to eps; column 6 is always 0 (only weight decay moves that parameter); column 4
# flips sign every step; column 7 is large.
GRAD = [
    [0.31, -0.052, 1.2e-9, 0.8, 0.44, -0.9, 0.0, 41.0, 0.013, -0.27, 0.6],
    [0.28, -0.061, -3.0e-9, 0.5, -0.47, -1.1, 0.0, 38.5, 0.011, -0.31, 0.4],
    [-0.12, -0.044, 2.5e-9, 0.2, 0.51, -0.7, 0.0, -12.0, 0.017, 0.05, 0.9],
    [0.05, 0.013, 0.7e-9, -0.3, -0.38, 1.5, 0.0, 7.25, -0.002, 0.12, -0.3],
    [0.22, 0.029, -1.1e-9, -0.6, 0.42, 2.2, 0.0, 19.0, 0.009, -0.08, 0.25],
    [0.19, -0.035, 0.0, 0.9, -0.45, -0.4, 0.0, -55.5, 0.021, 0.33, -0.75],
    [-0.33, 0.047, 4.0e-9, 1.1, 0.49, 0.1, 0.0, 3.0, -0.015, 0.41, 0.05],
    [0.07, 0.058, -2.2e-9, -1.4, -0.5, 0.6, 0.0, 28.0, 0.004, -0.19, 0.15],
    [0.14, -0.021, 1.9e-9, 0.4, 0.53, -1.8, 0.0, -9.5, 0.006, 0.22, -0.45],
    [-0.26, 0.066, -0.4e-9, -0.7, -0.41, 0.9, 0.0, 14.0, -0.019, -0.36, 0.8],
]


def main():
    torch.set_num_threads(1)
    flat = torch.tensor(P0, dtype=torch.float32)
    tensors = [flat[r["lo"]:r["hi"]].clone().requires_grad_(True) for r in RANGES]
    groups = [{"params": [t], "weight_decay": WEIGHT_DECAY if r["decay"] else 0.0} for t, r in zip(tensors, RANGES)]
    opt = torch.optim.AdamW(groups, lr=LR[0], betas=BETAS, eps=EPS, foreach=False)

    grads, params, exp_avg, exp_avg_sq = [], [], [], []
    for step, lr in enumerate(LR):
        g = torch.tensor(GRAD[step], dtype=torch.float32)
        for t, r in zip(tensors, RANGES):
            t.grad = g[r["lo"]:r["hi"]].clone()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        grads.append(g.tolist())
        params.append(torch.cat([t.detach() for t in tensors]).tolist())
        exp_avg.append(torch.cat([opt.state[t]["exp_avg"] for t in tensors]).tolist())
        exp_avg_sq.append(torch.cat([opt.state[t]["exp_avg_sq"] for t in tensors]).tolist())

    out = {
        "torch_version": torch.__version__,
        "beta1": BETAS[0], "beta2": BETAS[1], "eps": EPS, "weight_decay": WEIGHT_DECAY,
        "p0": flat.tolist(), "ranges": RANGES, "lr": LR,
        "grad": grads, "param": params, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    fd, tmp = tempfile.mkstemp(dir=here, prefix=".adamw_golden.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        # One top-level key per line keeps diffs readable without spreading every float over a line.
        f.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in out.items()) + "\n}\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(here, "adamw_golden.json"))


if __name__ == "__main__":
    main()
