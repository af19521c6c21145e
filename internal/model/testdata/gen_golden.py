#!/usr/bin/python3
"""Writes the golden fixtures of the model tests with the PyTorch reference model.

It imports ../shared/ref/llama_ref.py (the reference that fixes the model's semantics) and, for two small
configs (untied and tied embeddings), records: weights, tokens, logits, the mean cross-entropy, the gradient
of every parameter, and the losses of 10 AdamW steps (with global-norm clipping). Run from anywhere:

    /usr/bin/python3 internal/model/testdata/gen_golden.py   (Debian python3-torch)

Outputs golden_<name>.safetensors (F32 tensors: params under their HF names, "grad/<name>" for gradients,
"logits") and golden_<name>.json (config, tokens, loss, optimizer settings, step losses).
"""
import json, os, struct, sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "ref"))
sys.path.insert(0, REF)
import llama_ref  # noqa: E402

CONFIGS = {
    "untied": dict(vocab=61, dim=32, layers=2, heads=2, ffn=45, seq=12, batch=2, tied=False, theta=10000.0, eps=1e-5),
    "tied": dict(vocab=37, dim=24, layers=1, heads=3, ffn=40, seq=9, batch=3, tied=True, theta=500.0, eps=1e-6),
}
OPT = dict(lr=3e-3, beta1=0.9, beta2=0.95, eps=1e-6, weight_decay=0.1, clip=1.0, steps=10)


def hf_params(m):
    """(name, parameter) pairs in HF names, in the Go layout order."""
    out = [("model.embed_tokens.weight", m.embed)]
    for i, b in enumerate(m.blocks):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", b.ln1), (p + "self_attn.q_proj.weight", b.q),
                (p + "self_attn.k_proj.weight", b.k), (p + "self_attn.v_proj.weight", b.v),
                (p + "self_attn.o_proj.weight", b.o), (p + "post_attention_layernorm.weight", b.ln2),
                (p + "mlp.gate_proj.weight", b.gate), (p + "mlp.up_proj.weight", b.up),
                (p + "mlp.down_proj.weight", b.down)]
    out.append(("model.norm.weight", m.norm))
    if not m.tied:
        out.append(("lm_head.weight", m.head))
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors:
        b = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)



def adamw_curve(params, loss_fn, clip_params):
    """10 AdamW steps on the same batch (decay on projections and head only, the Go default), clipping
    clip_params' global norm; returns the step losses and the norms before clipping."""
    decay = [p for n, p in params if p.dim() == 2 and n != "model.embed_tokens.weight"]
    nodecay = [p for n, p in params if not (p.dim() == 2 and n != "model.embed_tokens.weight")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": OPT["weight_decay"]},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=OPT["lr"], betas=(OPT["beta1"], OPT["beta2"]), eps=OPT["eps"])
    losses, norms = [], []
    for _ in range(OPT["steps"]):
        opt.zero_grad(set_to_none=True)
        l = loss_fn()
        l.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(clip_params, OPT["clip"]).item())
        opt.step()
        losses.append(l.item())
    return losses, norms

def make(name, c, new_model=None):
    """Writes the fixtures of config c; new_model(c) builds a model other than llama_ref's (one with the
    same parameter attributes), after the same seeding."""
    torch.manual_seed(1234)
    if new_model is not None:
        m = new_model(c)
    else:
        m = llama_ref.Model(c["vocab"], c["dim"], c["layers"], c["heads"], c["ffn"], c["eps"], c["theta"], c["tied"])
    with torch.no_grad():  # non-trivial norm scales so their gradients are tested away from 1
        for _, p in hf_params(m):
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.1)
    params = hf_params(m)
    init = [(n, p.detach().clone()) for n, p in params]
    idx = torch.randint(0, c["vocab"], (c["batch"], c["seq"] + 1))
    x, y = idx[:, :-1], idx[:, 1:]
    logits = m(x)
    loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), y.reshape(-1))
    loss.backward()
    grads = [("grad/" + n, p.grad.detach().clone()) for n, p in params]
    losses, norms = adamw_curve(params, lambda: F.cross_entropy(m(x).reshape(-1, c["vocab"]), y.reshape(-1)), list(m.parameters()))
    write_safetensors(os.path.join(HERE, f"golden_{name}.safetensors"),
                      init + grads + [("logits", logits.reshape(-1, c["vocab"]))])
    meta = dict(config=c, tokens=idx.tolist(), loss=loss.item(), optimizer=OPT, step_losses=losses,
                grad_norms=norms, torch=torch.__version__)
    with open(os.path.join(HERE, f"golden_{name}.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, "loss", loss.item(), "final", losses[-1])


if __name__ == "__main__":
    torch.set_num_threads(1)
    for k, v in CONFIGS.items():
        make(k, v)
