"""A minimal Llama decoder with Hugging Face's module and tensor names, for machines without transformers.

Same structure and semantics as ``transformers.LlamaForCausalLM`` for what midas trains (SPEC §1):
token embedding → L × [x += Attn(RMSNorm(x)); x += SwiGLU(RMSNorm(x))] → RMSNorm → lm_head; RMSNorm
in float32 with a learned scale; causal multi-head attention (grouped-query too) without biases and
rotary embeddings in the "rotate_half" convention; SwiGLU MLP down(silu(gate(x)) * up(x)); optional tied
embeddings. ``model.model.layers`` is the nn.ModuleList that growth edits; parameter names are HF's
(``model.layers.N.self_attn.q_proj.weight`` is [out, in]). rope_scaling is not supported here (install
transformers for it).
"""
import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

_DEFAULTS = dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                 num_attention_heads=32, num_key_value_heads=None, max_position_embeddings=2048, rms_norm_eps=1e-6,
                 rope_theta=10000.0, tie_word_embeddings=False, hidden_act="silu", attention_bias=False, mlp_bias=False,
                 rope_scaling=None, head_dim=None, initializer_range=0.02)


class LlamaConfig:
    """The config.json keys of a HF LlamaConfig as attributes; unknown keys (growth_history, ...) are kept."""
    model_type = "llama"

    def __init__(self, **kw):
        for k, v in {**_DEFAULTS, **kw}.items():
            setattr(self, k, v)
        if self.num_key_value_heads is None:
            self.num_key_value_heads = self.num_attention_heads
        if self.head_dim is None:
            self.head_dim = self.hidden_size // self.num_attention_heads

    def to_dict(self):
        return dict(vars(self), model_type="llama")


class LlamaRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, x):
        dtype = x.dtype
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.variance_epsilon)
        return self.weight * h.to(dtype)


def _rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, head_dim, theta):
        super().__init__()
        inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, x, T):
        ang = torch.outer(torch.arange(T, dtype=torch.float32, device=x.device), self.inv_freq.float())
        emb = torch.cat((ang, ang), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


class LlamaAttention(nn.Module):
    def __init__(self, c, layer_idx):
        super().__init__()
        self.layer_idx = layer_idx
        self.num_heads, self.num_kv, self.head_dim = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        b = bool(c.attention_bias)
        self.q_proj = nn.Linear(c.hidden_size, self.num_heads * self.head_dim, bias=b)
        self.k_proj = nn.Linear(c.hidden_size, self.num_kv * self.head_dim, bias=b)
        self.v_proj = nn.Linear(c.hidden_size, self.num_kv * self.head_dim, bias=b)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, c.hidden_size, bias=b)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        H, KV, D = self.num_heads, self.num_kv, self.head_dim
        q = self.q_proj(x).view(B, T, H, D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, KV, D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, KV, D).transpose(1, 2)
        q, k = q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin
        if KV != H:
            k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        if hasattr(F, "scaled_dot_product_attention") and x.is_cuda:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-1, -2)) / math.sqrt(D)
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            att = att.masked_fill(mask, float("-inf")).float().softmax(-1).to(q.dtype)
            y = att @ v
        return self.o_proj(y.transpose(1, 2).reshape(B, T, H * D))


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        b = bool(c.mlp_bias)
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=b)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=b)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=b)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c, layer_idx):
        super().__init__()
        self.self_attn = LlamaAttention(c, layer_idx)
        self.mlp = LlamaMLP(c)
        self.input_layernorm = LlamaRMSNorm(c.hidden_size, c.rms_norm_eps)
        self.post_attention_layernorm = LlamaRMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(LlamaDecoderLayer(c, i) for i in range(c.num_hidden_layers))
        self.norm = LlamaRMSNorm(c.hidden_size, c.rms_norm_eps)
        self.rotary_emb = LlamaRotaryEmbedding(c.head_dim, c.rope_theta)

    def forward(self, input_ids):
        x = self.embed_tokens(input_ids)
        cos, sin = self.rotary_emb(x, input_ids.shape[1])
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.norm(x)


class LlamaForCausalLM(nn.Module):
    """``model(input_ids, labels=None)`` returns an object with ``logits`` [B, T, V] and, given labels,
    ``loss``: HF's shifted next-token cross-entropy (labels -100 ignored)."""

    def __init__(self, config):
        super().__init__()
        if isinstance(config, dict):
            config = LlamaConfig(**config)
        if getattr(config, "rope_scaling", None):
            raise ValueError("midas_stacking: rope_scaling needs transformers (the minimal Llama has none)")
        if getattr(config, "hidden_act", "silu") != "silu":
            raise ValueError(f"midas_stacking: hidden_act {config.hidden_act!r} needs transformers (the minimal Llama has silu)")
        self.config = config
        self.model = LlamaModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.init_weights()
        if config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def init_weights(self):
        std = getattr(self.config, "initializer_range", 0.02)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, std)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, input_ids, labels=None):
        logits = self.lm_head(self.model(input_ids))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                                   ignore_index=-100)
        return SimpleNamespace(logits=logits, loss=loss)
