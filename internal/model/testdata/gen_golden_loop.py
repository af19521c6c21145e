#!/usr/bin/python3
"""Writes the golden fixtures of the looped-model tests with the PyTorch reference model.

A looped model (SPEC §6) reuses its physical blocks in the order of a layer map: here the reference's
ModuleList holds the same block modules several times, so torch's autograd sums every use's gradient into
the shared parameters, and parameters() (which AdamW and clipping see) lists each shared one once. Two
configs: "loop2", a 2-layer block applied twice (map 0 1 0 1), and "midloop", one untied layer below and
above a 1-layer block applied twice (map 0 1 1 2), with tied embeddings. For each it records what
gen_golden.py records — weights, tokens, logits, the mean cross-entropy, every (physical) gradient, and
the losses of 10 AdamW steps with global-norm clipping — plus the loop. Run from anywhere:

    /usr/bin/python3 internal/model/testdata/gen_golden_loop.py   (Debian python3-torch)

Outputs golden_<name>.safetensors (F32: physical params under their HF names with the physical layer
index, "grad/<name>" for gradients, "logits") and golden_<name>.json (config with layers = the depth,
loop {k, r, p, q}, tokens, loss, optimizer settings, step losses).
"""
import json, os, sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_golden  # noqa: E402  (its llama_ref import, hf_params and write_safetensors)

llama_ref = gen_golden.llama_ref
CONFIGS = {
    "loop2": dict(vocab=53, dim=24, heads=2, ffn=40, seq=10, batch=2, tied=False, theta=10000.0, eps=1e-5,
                  loop=dict(k=2, r=2, p=0, q=0)),
    "midloop": dict(vocab=37, dim=16, heads=2, ffn=28, seq=9, batch=3, tied=True, theta=500.0, eps=1e-6,
                    loop=dict(k=1, r=2, p=1, q=1)),
}
OPT = gen_golden.OPT


def layer_map(lp):
    """model.Loop.Map: p untied, the k-layer block r times, q untied."""
    p, k, r, q = lp["p"], lp["k"], lp["r"], lp["q"]
    return list(range(p)) + [p + j for _ in range(r) for j in range(k)] + [p + k + i for i in range(q)]


def make(name, c):
    torch.manual_seed(4321)
    lp = c["loop"]
    physical = lp["p"] + lp["k"] + lp["q"]
    m = llama_ref.Model(c["vocab"], c["dim"], physical, c["heads"], c["ffn"], c["eps"], c["theta"], c["tied"])
    with torch.no_grad():  # non-trivial norm scales so their gradients are tested away from 1
        for _, p in gen_golden.hf_params(m):
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.1)
    params = gen_golden.hf_params(m)  # physical layers, named by physical index
    blocks = list(m.blocks)
    m.blocks = torch.nn.ModuleList([blocks[j] for j in layer_map(lp)])  # forward runs the layer map
    init = [(n, p.detach().clone()) for n, p in params]
    idx = torch.randint(0, c["vocab"], (c["batch"], c["seq"] + 1))
    x, y = idx[:, :-1], idx[:, 1:]
    logits = m(x)
    loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), y.reshape(-1))
    loss.backward()
    grads = [("grad/" + n, p.grad.detach().clone()) for n, p in params]
    losses, norms = gen_golden.adamw_curve(params, lambda: F.cross_entropy(m(x).reshape(-1, c["vocab"]), y.reshape(-1)), [p for _, p in params])
    gen_golden.write_safetensors(os.path.join(HERE, f"golden_{name}.safetensors"),
                                 init + grads + [("logits", logits.reshape(-1, c["vocab"]))])
    cfg = {k: v for k, v in c.items() if k != "loop"}
    cfg["layers"] = len(layer_map(lp))
    meta = dict(config=cfg, loop=lp, tokens=idx.tolist(), loss=loss.item(), optimizer=OPT, step_losses=losses,
                grad_norms=norms, torch=torch.__version__)
    with open(os.path.join(HERE, f"golden_{name}.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, "loss", loss.item(), "final", losses[-1])


if __name__ == "__main__":
    torch.set_num_threads(1)
    for k, v in CONFIGS.items():
        make(k, v)
