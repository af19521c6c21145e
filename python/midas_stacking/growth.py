"""Growth of a PyTorch decoder stack and its optimizer state by a midas growth record, in place.

This is midas's grow.Apply (internal/grow/apply.go) for torch modules: new layer i is old layer src[i]
(the original module object where copy[i] is false, a deep copy where it is true); the embedding, final
norm and head are untouched; with ``identity`` the copies' o_proj and down_proj (and their biases, if
any) are zeroed; the copies' AdamW state is their source's (cloned) or, with ``zero_optim``, zero
moments with the source's step — midas counts AdamW's bias correction by the global step, so a copy's
step is its source's either way. Copied tensors are cloned bit for bit, on their device and in their
dtype, so the result equals midas's for float32 checkpoints and keeps any other dtype as it is.
"""
import copy as _copy
import dataclasses

import torch
from torch import nn

from .plan import Growth, PlanError, Stage

# Parameter name suffixes inside a decoder layer that an identity growth zeroes in the copies
# (midas grow.IsZeroedByIdentity; surgery also zeroes biases of the same projections).
IDENTITY_SUFFIXES = ("self_attn.o_proj.weight", "self_attn.o_proj.bias", "mlp.down_proj.weight", "mlp.down_proj.bias")


class GrowthError(PlanError):
    """A growth that does not fit the model or optimizer it is applied to; nothing was changed."""


def _as_growth(stage):
    if isinstance(stage, Stage):
        if stage.grow is None:
            raise GrowthError(f"midas_stacking: stage {stage.stage} has no growth (the first stage starts the run)")
        return stage.grow
    if isinstance(stage, Growth):
        return stage
    if isinstance(stage, dict):
        return Growth.from_json(stage)
    raise GrowthError(f"midas_stacking: grow wants a plan Stage, a Growth or a growth record dict, got {type(stage).__name__} "
                      "(for a stage number use plan.stages[n - 1])")


def is_wrapped(model):
    """True for a DistributedDataParallel or FullyShardedDataParallel wrapper (or anything with ``.module``
    that is not a decoder model itself)."""
    name = type(model).__name__
    return name in ("DistributedDataParallel", "FullyShardedDataParallel", "DataParallel")


def find_layers(model):
    """The decoder layers of ``model`` and its config: ``model.model.layers`` of a HF LlamaForCausalLM
    (``model.layers`` of a LlamaModel), or the nn.ModuleList itself (config None)."""
    if is_wrapped(model):
        raise GrowthError(f"midas_stacking: the model is wrapped in {type(model).__name__}: grow the inner module "
                          "(midas_stacking.unwrap(model)) and wrap it again afterwards (midas_stacking.rewrap)")
    if isinstance(model, nn.ModuleList):
        return model, None
    inner = getattr(model, "model", None)
    if isinstance(getattr(inner, "layers", None), nn.ModuleList):
        return inner.layers, getattr(model, "config", None) or getattr(inner, "config", None)
    if isinstance(getattr(model, "layers", None), nn.ModuleList):
        return model.layers, getattr(model, "config", None)
    raise GrowthError(f"midas_stacking: {type(model).__name__} has no decoder layers (model.model.layers or an nn.ModuleList)")


def _cfg_get(cfg, key, default=None):
    return cfg.get(key, default) if isinstance(cfg, dict) else getattr(cfg, key, default)


def _cfg_set(cfg, key, value):
    if isinstance(cfg, dict):
        cfg[key] = value
    else:
        setattr(cfg, key, value)


def _check(g, layers, optimizer):
    """Every check before anything changes: depth, layer structure, identity tensors, optimizer groups."""
    if len(layers) != g.from_:
        raise GrowthError(f"midas_stacking: the growth ({g}) is for {g.from_} layers, the model has {len(layers)}")
    names = [n for n, _ in layers[0].named_parameters()]
    for i, l in enumerate(layers):
        if [n for n, _ in l.named_parameters()] != names:
            raise GrowthError(f"midas_stacking: layer {i} has other parameters than layer 0")
    if g.identity and not all(any(n.endswith(suf) for n in names) for suf in (IDENTITY_SUFFIXES[0], IDENTITY_SUFFIXES[2])):
        raise GrowthError("midas_stacking: an identity growth needs self_attn.o_proj.weight and mlp.down_proj.weight in every layer")
    if optimizer is not None:
        seen = {}
        for gi, grp in enumerate(optimizer.param_groups):
            for p in grp["params"]:
                if id(p) in seen and seen[id(p)] != gi:
                    raise GrowthError("midas_stacking: a parameter is in two optimizer param groups")
                seen[id(p)] = gi


def _new_state(st, zero):
    out = {}
    for k, v in st.items():
        if torch.is_tensor(v):
            out[k] = torch.zeros_like(v) if zero and k != "step" else v.detach().clone()
        else:
            out[k] = _copy.deepcopy(v)
    return out


def grow(model, optimizer, stage, *, step=None, config=None):
    """Apply one growth to ``model`` and ``optimizer`` in place and return the Growth applied.

    model: a HF-style LlamaForCausalLM (its ``model.model.layers``), a LlamaModel, or an nn.ModuleList of
        decoder layers — not a DDP/FSDP wrapper (grow ``unwrap(model)``, then ``rewrap``).
    optimizer: a torch.optim optimizer over the model's parameters (AdamW: exp_avg, exp_avg_sq, step), or
        None. Each copy's parameters join the param group of their source (so weight decay or not, and any
        per-group settings, follow the source); its state is the source's, cloned, or with the record's
        zero_optim zero moments and the source's step. Parameters of old layers that a "map" growth
        drops leave the optimizer.
    stage: a plan Stage (its ``grow``), a Growth, or a growth record dict as midas writes them.
    step: the optimizer steps done, when known: it must be the record's step (a growth at a step that is
        not its stage boundary is an error).
    config: the config to update when ``model`` has none (a bare ModuleList); HF configs are updated
        through ``model.config``: num_hidden_layers, and the record appended to growth_history.

    Every check runs before anything is changed, so an error leaves model and optimizer as they were.
    """
    g = _as_growth(stage)
    try:
        g.validate()
    except PlanError as e:
        raise GrowthError(str(e)) from None
    if step is not None and g.stage > 0 and g.step != step:
        raise GrowthError(f"midas_stacking: the growth of stage {g.stage} is due at step {g.step}, not at step {step}")
    layers, cfg = find_layers(model)
    cfg = config if config is not None else cfg
    _check(g, layers, optimizer)

    old = list(layers)
    new = [_copy.deepcopy(old[s]) if c else old[s] for s, c in zip(g.src, g.copy)]
    with torch.no_grad():
        for i, c in enumerate(g.copy):
            if not c:
                continue
            for n, p in new[i].named_parameters():
                p.grad = None
                if g.identity and n.endswith(IDENTITY_SUFFIXES):
                    p.zero_()
    if optimizer is not None:
        _grow_optimizer(optimizer, g, old, new)

    layers._modules.clear()  # the same ModuleList object, so references to it stay valid
    for i, m in enumerate(new):
        layers._modules[str(i)] = m
        for sub in m.modules():  # HF layers know their index (KV cache slots)
            if isinstance(getattr(sub, "layer_idx", None), int):
                sub.layer_idx = i
    if cfg is not None:
        _cfg_set(cfg, "num_hidden_layers", g.to)
        types = _cfg_get(cfg, "layer_types")
        if isinstance(types, list) and len(types) == g.from_:
            _cfg_set(cfg, "layer_types", [types[s] for s in g.src])
        hist = list(_cfg_get(cfg, "growth_history") or [])
        _cfg_set(cfg, "growth_history", hist + [g.to_json()])
    return g


def _grow_optimizer(optimizer, g, old, new):
    group_of = {id(p): grp for grp in optimizer.param_groups for p in grp["params"]}
    for i, s in enumerate(g.src):
        if not g.copy[i]:
            continue
        for p_new, p_src in zip(new[i].parameters(), old[s].parameters()):
            grp = group_of.get(id(p_src))
            if grp is None:  # a frozen source stays out of the optimizer, and so does its copy
                continue
            grp["params"].append(p_new)
            st = optimizer.state.get(p_src)
            if st:
                optimizer.state[p_new] = _new_state(st, g.zero_optim)
    kept = {id(p) for m in new for p in m.parameters()}
    dropped = [p for m in old for p in m.parameters() if id(p) not in kept]
    if dropped:
        ids = {id(p) for p in dropped}
        for grp in optimizer.param_groups:
            grp["params"] = [p for p in grp["params"] if id(p) not in ids]
        for p in dropped:
            optimizer.state.pop(p, None)


def growth_for(plan, stage_number, *, identity=None, zero_optim=None):
    """The growth record of stage ``stage_number`` of ``plan``, optionally with identity / zero_optim
    overridden (dataclasses.replace)."""
    g = plan.stages[stage_number - 1].grow
    if g is None:
        raise GrowthError(f"midas_stacking: stage {stage_number} has no growth")
    kw = {k: v for k, v in (("identity", identity), ("zero_optim", zero_optim)) if v is not None}
    return dataclasses.replace(g, **kw)
