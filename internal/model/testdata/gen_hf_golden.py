#!/usr/bin/python3
"""Writes the golden fixtures of the Hugging Face variants of the model: grouped-query attention
(num_key_value_heads < num_attention_heads), a head_dim that is not hidden_size/num_attention_heads,
and rope_scaling of the types linear, llama3 and dynamic.

../shared/ref/llama_ref.py has none of these, so this file carries its own small PyTorch model,
written from transformers' modeling_llama (repeat_kv: query head i uses key/value head
i // (H / Hkv); q_proj [H*D, C], o_proj [C, H*D]) and modeling_rope_utils (the inverse frequencies of
each rope type, in float32 as transformers computes them; attention factor 1). Everything else —
RMSNorm, SwiGLU, rotate_half, the init, the tensor names, the fixture format and the 10 AdamW steps —
is gen_golden.py's, which this imports.

    /usr/bin/python3 internal/model/testdata/gen_hf_golden.py   (Debian python3-torch)

Outputs golden_<name>.safetensors and golden_<name>.json as gen_golden.py does, the config with
kv_heads, head_dim and rope_scaling added; and, for the configs of HF_DIRS, a Hugging Face checkpoint
directory hf_<name>/ (config.json in transformers' keys, model.safetensors with the weights only,
tokens.json with the batch's rows, loss.txt with "loss X", the mean cross-entropy) for the CLI's
script test of midas score.
"""
import json, math, os, sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_golden  # noqa: E402
import llama_ref  # noqa: E402  (on the path gen_golden set)

CONFIGS = {
    # 4 query heads on 2 key/value heads; Llama 3.1 scaling with D = 8: the frequencies 1, 0.1, 0.01,
    # 0.001 have wavelengths 6.3 (< 64/4: kept), 63 (between: smoothed), 628 and 6283 (> 64: divided).
    "gqa_llama3": dict(vocab=53, dim=32, layers=2, heads=4, kv_heads=2, head_dim=0, ffn=40, seq=11, batch=2,
                       tied=False, theta=10000.0, eps=1e-5,
                       rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                         original_max_position_embeddings=64)),
    # Multi-query attention with head_dim 10 (q_proj [30, 24]), linear scaling, tied embeddings.
    "mqa_headdim_linear": dict(vocab=29, dim=24, layers=1, heads=3, kv_heads=1, head_dim=10, ffn=30, seq=9, batch=3,
                               tied=True, theta=500.0, eps=1e-6, rope_scaling=dict(rope_type="linear", factor=2.5)),
    # head_dim 6 below hidden_size/heads = 8, dynamic NTK scaling (the plain rotation up to
    # max_position_embeddings, here the sequence length).
    "headdim_dynamic": dict(vocab=31, dim=16, layers=2, heads=2, kv_heads=2, head_dim=6, ffn=20, seq=7, batch=2,
                            tied=False, theta=10000.0, eps=1e-5, rope_scaling=dict(rope_type="dynamic", factor=2.0)),
}


HF_DIRS = ["gqa_llama3", "mqa_headdim_linear"]


def write_hf_dir(name, c):
    """hf_<name>/: the fixture's weights as a Hugging Face Llama checkpoint, its tokens and loss."""
    out = os.path.join(HERE, "hf_" + name)
    os.makedirs(out, exist_ok=True)
    t = llama_ref.read_safetensors(os.path.join(HERE, f"golden_{name}.safetensors"))
    gen_golden.write_safetensors(os.path.join(out, "model.safetensors"),
                                 [(n, v) for n, v in t.items() if not n.startswith("grad/") and n != "logits"])
    cfg = dict(architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=c["vocab"], hidden_size=c["dim"],
               intermediate_size=c["ffn"], num_hidden_layers=c["layers"], num_attention_heads=c["heads"],
               num_key_value_heads=c["kv_heads"], max_position_embeddings=c["seq"], rms_norm_eps=c["eps"],
               rope_theta=c["theta"], rope_scaling=c["rope_scaling"], tie_word_embeddings=c["tied"], hidden_act="silu")
    if c["head_dim"]:
        cfg["head_dim"] = c["head_dim"]
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    meta = json.load(open(os.path.join(HERE, f"golden_{name}.json")))
    with open(os.path.join(out, "tokens.json"), "w") as f:
        json.dump(meta["tokens"], f)
    with open(os.path.join(out, "loss.txt"), "w") as f:
        f.write(f"loss {meta['loss']:.7f}\n")


def inv_freq(c):
    """transformers' _compute_*_parameters for the config's rope type (float32)."""
    d = c["head_dim"] or c["dim"] // c["heads"]
    inv = 1.0 / (c["theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    r = c["rope_scaling"]
    if r["rope_type"] == "linear":
        inv = inv / r["factor"]
    elif r["rope_type"] == "dynamic":
        seq_len = max_pos = c["seq"]  # max_position_embeddings; longer inputs would rescale the base
        base = c["theta"] * ((r["factor"] * seq_len / max_pos) - (r["factor"] - 1)) ** (d / (d - 2))
        inv = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    elif r["rope_type"] == "llama3":
        factor, low, high = r["factor"], r["low_freq_factor"], r["high_freq_factor"]
        old = r["original_max_position_embeddings"]
        low_wl, high_wl = old / low, old / high
        wl = 2 * math.pi / inv
        out = torch.where(wl > low_wl, inv / factor, inv)
        smooth = (old / wl - low) / (high - low)
        smoothed = (1 - smooth) * out / factor + smooth * out
        medium = ~(wl < high_wl) * ~(wl > low_wl)
        inv = torch.where(medium, smoothed, out)
    return inv


class Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        C, H, Hkv = c["dim"], c["heads"], c["kv_heads"]
        self.c, self.D = c, c["head_dim"] or C // H
        Q, KV = H * self.D, Hkv * self.D
        P = lambda *s: torch.nn.Parameter(torch.randn(*s) * 0.02)
        self.embed = P(c["vocab"], C)
        self.blocks = torch.nn.ModuleList()
        for _ in range(c["layers"]):
            b = torch.nn.Module()
            b.ln1, b.ln2 = torch.nn.Parameter(torch.ones(C)), torch.nn.Parameter(torch.ones(C))
            b.q, b.k, b.v, b.o = P(Q, C), P(KV, C), P(KV, C), P(C, Q)
            b.gate, b.up, b.down = P(c["ffn"], C), P(c["ffn"], C), P(C, c["ffn"])
            self.blocks.append(b)
        self.norm = torch.nn.Parameter(torch.ones(C))
        self.tied = c["tied"]
        self.head = None if self.tied else P(c["vocab"], C)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["eps"]) * w

    def rope(self, x):  # x: B,heads,T,D
        T, D = x.shape[-2], x.shape[-1]
        ang = torch.outer(torch.arange(T, dtype=torch.float32), inv_freq(self.c))
        cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
        x1, x2 = x[..., : D // 2], x[..., D // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def forward(self, idx):
        B, T = idx.shape
        H, Hkv, D = self.c["heads"], self.c["kv_heads"], self.D
        x = self.embed[idx]
        for b in self.blocks:
            h = self.rms(x, b.ln1)
            q = F.linear(h, b.q).view(B, T, H, D).transpose(1, 2)
            k = F.linear(h, b.k).view(B, T, Hkv, D).transpose(1, 2)
            v = F.linear(h, b.v).view(B, T, Hkv, D).transpose(1, 2)
            q, k = self.rope(q), self.rope(k)
            k, v = (t.repeat_interleave(H // Hkv, dim=1) for t in (k, v))  # repeat_kv
            att = (q @ k.transpose(-1, -2)) / math.sqrt(D)
            att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf")).softmax(-1)
            x = x + F.linear((att @ v).transpose(1, 2).reshape(B, T, H * D), b.o)
            h = self.rms(x, b.ln2)
            x = x + F.linear(F.silu(F.linear(h, b.gate)) * F.linear(h, b.up), b.down)
        return F.linear(self.rms(x, self.norm), self.embed if self.tied else self.head)


if __name__ == "__main__":
    torch.set_num_threads(1)
    for name, c in CONFIGS.items():
        gen_golden.make(name, c, Model)
        if name in HF_DIRS:
            write_hf_dir(name, c)
