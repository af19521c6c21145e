#!/usr/bin/python3
"""Writes the golden fixture of the similarity regulariser test (train.SimReg) with PyTorch autograd.

R(k) = 1/(L-k) * sum over the L-k layer pairs (l, l+k) of cos(theta_l, theta_{l+k}) (Saunshi et al. 2025,
SPEC §6), where theta_l is, per setting, each weight matrix of layer l separately (q, k, v, o, gate, up,
down; the pair's cosine is the mean over them), or all of them flattened into one vector, with or without
the two RMSNorm scales. The weights are float32 (a 4-layer untied model, llama_ref's layout); R and its
gradient are computed by autograd in float64 from them, as midas computes in float64. Run from anywhere:

    /usr/bin/python3 internal/train/testdata/gen_golden_simreg.py   (Debian python3-torch)

Outputs golden_simreg.safetensors (F32: the params under their HF names, "grad/<setting>/<name>" the
gradient of R of each setting for every layer tensor) and golden_simreg.json (config, settings with R).
"""
import json, os, sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "model", "testdata"))
import gen_golden  # noqa: E402  (llama_ref, hf_params, write_safetensors)

CONFIG = dict(vocab=11, dim=8, layers=4, heads=2, ffn=12, seq=4, tied=False, theta=10000.0, eps=1e-5)
SETTINGS = [dict(name="k1", block=1, flat=False, norms=False), dict(name="k2-flat-norms", block=2, flat=True, norms=True),
            dict(name="k2-norms", block=2, flat=False, norms=True)]
MATRICES = ["q", "k", "v", "o", "gate", "up", "down"]


def regulariser(blocks, s):
    """R of the setting over the float64 copies of the layers' tensors."""
    L, k = len(blocks), s["block"]
    names = MATRICES + (["ln1", "ln2"] if s["norms"] else [])
    total = 0.0
    for a in range(L - k):
        ta, tb = [blocks[a][n].reshape(-1) for n in names], [blocks[a + k][n].reshape(-1) for n in names]
        if s["flat"]:
            total = total + torch.nn.functional.cosine_similarity(torch.cat(ta), torch.cat(tb), dim=0, eps=0)
        else:
            cs = [torch.nn.functional.cosine_similarity(x, y, dim=0, eps=0) for x, y in zip(ta, tb)]
            total = total + sum(cs) / len(cs)
    return total / (L - k)


def main():
    torch.manual_seed(99)
    c = CONFIG
    m = gen_golden.llama_ref.Model(c["vocab"], c["dim"], c["layers"], c["heads"], c["ffn"], c["eps"], c["theta"], c["tied"])
    with torch.no_grad():  # correlated layers (cosines well inside (−1, 1)) and norms away from 1
        shared = {n: torch.randn_like(getattr(m.blocks[0], n)) * 0.02 for n in MATRICES}
        for b in m.blocks:
            for n in MATRICES:
                getattr(b, n).add_(shared[n])
            b.ln1.add_(torch.randn_like(b.ln1) * 0.3)
            b.ln2.add_(torch.randn_like(b.ln2) * 0.3)
    params = gen_golden.hf_params(m)
    hf = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj",
          "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj",
          "ln1": "input_layernorm", "ln2": "post_attention_layernorm"}
    out, meta = [(n, p.detach().clone()) for n, p in params], []
    for s in SETTINGS:
        blocks = [{n: getattr(b, n).detach().double().requires_grad_(True) for n in hf} for b in m.blocks]
        r = regulariser(blocks, s)
        r.backward()
        for i, b in enumerate(blocks):
            for n, t in b.items():  # a tensor outside the setting's group has gradient 0
                g = t.grad if t.grad is not None else torch.zeros_like(t)
                out.append((f"grad/{s['name']}/model.layers.{i}.{hf[n]}.weight", g.float()))
        meta.append(dict(s, value=r.item()))
        print(s["name"], "R", r.item())
    gen_golden.write_safetensors(os.path.join(HERE, "golden_simreg.safetensors"), out)
    with open(os.path.join(HERE, "golden_simreg.json"), "w") as f:
        json.dump(dict(config=c, settings=meta, torch=torch.__version__), f, indent=1)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
