"""midas's AdamW setup and learning-rate schedule for torch (internal/optim, internal/train/options.go).

Weight decay applies to the projections and lm_head, and to the embedding and RMSNorm scales only when
asked (midas's decay_embeddings / decay_norms); gradients are clipped by their global L2 norm summed in
float64, the factor max_norm/(norm+1e-6) rounded to float32, as midas (and torch's clip_grad_norm_)
apply it. One schedule spans the whole run across stages.
"""
import math
from dataclasses import dataclass, field

import torch

COSINE, WSD, CONSTANT = "cosine", "wsd", "constant"


@dataclass
class Schedule:
    """optim.Schedule: lr is a pure function of the 0-based update index (see lr)."""
    kind: str = COSINE
    peak: float = 3e-3
    min: float = 3e-4
    warmup: int = 100
    total: int = 1000
    decay_steps: int = 0
    rewarm: list = field(default_factory=list)  # steps where a re-warmup starts (stage starts)
    rewarm_steps: int = 0

    def validate(self):
        if self.kind not in (COSINE, WSD, CONSTANT):
            raise ValueError(f"midas_stacking: unknown lr schedule {self.kind!r} (want cosine, wsd or constant)")
        if not (0 <= self.min <= self.peak) or math.isinf(self.peak):
            raise ValueError(f"midas_stacking: lr {self.peak} and min lr {self.min}: want 0 <= min <= peak, finite")
        if self.total < 1 or not 0 <= self.warmup <= self.total:
            raise ValueError(f"midas_stacking: warmup {self.warmup} outside [0, total steps {self.total}]")
        if self.kind == WSD and self.warmup + self.decay_steps > self.total:
            raise ValueError(f"midas_stacking: warmup {self.warmup} plus decay {self.decay_steps} exceeds total steps {self.total}")
        if self.rewarm and self.rewarm_steps < 1:
            raise ValueError("midas_stacking: rewarm needs rewarm_steps >= 1")
        return self

    def base(self, step):
        if step < self.warmup:
            return self.peak * ((step + 1) / self.warmup)
        if self.kind == CONSTANT:
            return self.peak
        if step >= self.total:
            return self.min
        if self.kind == COSINE:
            progress = (step - self.warmup) / (self.total - self.warmup)
            return self.min + 0.5 * (self.peak - self.min) * (1 + math.cos(math.pi * progress))
        start = self.total - self.decay_steps
        if step < start:
            return self.peak
        return self.peak + (self.min - self.peak) * ((step - start) / self.decay_steps)

    def lr(self, step):
        """Learning rate of the update with 0-based index ``step`` (midas's Schedule.LR, same float64 formulas)."""
        lr = self.base(step)
        starts = [r for r in self.rewarm if r <= step]
        if starts and step - max(starts) < self.rewarm_steps:
            lr *= (step - max(starts) + 1) / self.rewarm_steps
        return lr


def is_decayed(name, param, decay_embeddings=False, decay_norms=False):
    """midas's rule: matrices and lm_head decay; the embedding and norms (1-D) only when asked. Names
    may carry a wrapper's prefix (FSDP's _fsdp_wrapped_module., DDP's module.)."""
    name = name.replace("_fsdp_wrapped_module.", "").removeprefix("module.")
    if name == "model.embed_tokens.weight":
        return decay_embeddings
    if param.ndim < 2:
        return decay_norms
    return True


def adamw(model, lr=3e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1, decay_embeddings=False, decay_norms=False):
    """torch.optim.AdamW over ``model``'s parameters in two groups, "decay" (weight_decay) and
    "no_decay" (0), as midas splits them. Growth adds each copy to its source's group."""
    decay, no = [], []
    for n, p in model.named_parameters():
        if p.requires_grad:
            (decay if is_decayed(n, p, decay_embeddings, decay_norms) else no).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay, "name": "decay"},
              {"params": no, "weight_decay": 0.0, "name": "no_decay"}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


def grad_norm(params):
    """Global L2 norm of the gradients, summed in float64 (midas's gradNorm)."""
    s = None
    for p in params:
        if p.grad is not None:
            v = p.grad.detach().double().pow(2).sum()
            s = v if s is None else s + v
    return 0.0 if s is None else math.sqrt(s.item())


def clip_(params, norm, max_norm):
    """Scale the gradients by midas's ClipScale(norm, max_norm) (float32 factor; nothing when <= 1 or max_norm <= 0)."""
    if max_norm <= 0:
        return 1.0
    c = max_norm / (norm + 1e-6)
    if c >= 1:
        return 1.0
    f = torch.tensor(c, dtype=torch.float32).item()  # midas rounds the factor to float32
    for p in params:
        if p.grad is not None:
            p.grad.mul_(f)
    return f
