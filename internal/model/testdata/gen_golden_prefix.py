#!/usr/bin/python3
"""Writes the prefix-LM golden fixture of the model tests with the PyTorch reference model.

Like gen_golden.py (whose helpers it imports), for one small untied config, but every batch row b has a
bidirectional prefix of length prefix[b]: query i sees key j iff j <= max(i, prefix[b] - 1), and the
targets of positions before prefix[b] - 1 are ignored (-1), as objective.Batch says. The rows cover a
causal row (prefix 0), a prefix inside the window and the whole window. Records weights, tokens,
prefixes, targets, logits, the mean cross-entropy over the kept targets, every gradient, and the losses
of 10 AdamW steps with clipping. Run from anywhere:

    /usr/bin/python3 internal/model/testdata/gen_golden_prefix.py   (Debian python3-torch)

Outputs golden_prefix.safetensors and golden_prefix.json (the formats of gen_golden.py, plus "prefix"
and "targets" in the JSON).
"""
import json, math, os, sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in testdata
import gen_golden  # noqa: E402  (same directory; puts ../shared/ref on the path)
from gen_golden import HERE, OPT, hf_params, write_safetensors

llama_ref = gen_golden.llama_ref

CONFIG = dict(vocab=53, dim=32, layers=2, heads=4, ffn=40, seq=11, batch=3, tied=False, theta=10000.0, eps=1e-5)
PREFIX = [0, 6, 11]


def forward_prefix(m, idx, prefix):
    """llama_ref.Model.forward with the causal mask replaced by the prefix mask."""
    B, T = idx.shape
    H, hd = m.heads, m.dim // m.heads
    i = torch.arange(T).view(1, T, 1)
    j = torch.arange(T).view(1, 1, T)
    last = torch.maximum(i, torch.tensor(prefix).view(B, 1, 1) - 1)
    hidden = (j > last).unsqueeze(1)  # B,1,T,T: True where key j is not visible to query i
    x = m.embed[idx]
    for b in m.blocks:
        h = m.rms(x, b.ln1)
        q, k, v = (F.linear(h, w).view(B, T, H, hd).transpose(1, 2) for w in (b.q, b.k, b.v))
        q, k = m.rope(q), m.rope(k)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(hidden, float("-inf")).softmax(-1)
        x = x + F.linear((att @ v).transpose(1, 2).reshape(B, T, m.dim), b.o)
        h = m.rms(x, b.ln2)
        x = x + F.linear(F.silu(F.linear(h, b.gate)) * F.linear(h, b.up), b.down)
    return F.linear(m.rms(x, m.norm), m.embed if m.tied else m.head)


def main():
    c = CONFIG
    torch.manual_seed(4321)
    m = llama_ref.Model(c["vocab"], c["dim"], c["layers"], c["heads"], c["ffn"], c["eps"], c["theta"], c["tied"])
    with torch.no_grad():
        for _, p in hf_params(m):
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.1)
    params = hf_params(m)
    init = [(n, p.detach().clone()) for n, p in params]
    idx = torch.randint(0, c["vocab"], (c["batch"], c["seq"] + 1))
    x, y = idx[:, :-1], idx[:, 1:].clone()
    # The copy of the reference's forward is the reference when no row has a prefix.
    assert torch.equal(forward_prefix(m, x, [0] * c["batch"]), m(x))
    for r, p in enumerate(PREFIX):
        y[r, : max(p - 1, 0)] = -1
    V = c["vocab"]
    logits = forward_prefix(m, x, PREFIX)
    loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), ignore_index=-1)
    loss.backward()
    grads = [("grad/" + n, p.grad.detach().clone()) for n, p in params]
    losses, norms = gen_golden.adamw_curve(params, lambda: F.cross_entropy(forward_prefix(m, x, PREFIX).reshape(-1, V), y.reshape(-1), ignore_index=-1), list(m.parameters()))
    write_safetensors(os.path.join(HERE, "golden_prefix.safetensors"),
                      init + grads + [("logits", logits.reshape(-1, V))])
    meta = dict(config=c, tokens=idx.tolist(), prefix=PREFIX, targets=y.tolist(), loss=loss.item(), optimizer=OPT,
                step_losses=losses, grad_norms=norms, torch=torch.__version__)
    with open(os.path.join(HERE, "golden_prefix.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("prefix loss", loss.item(), "final", losses[-1])


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
