"""Growth under torch.distributed: unwrap, grow, wrap again.

DDP keeps references to the parameters it was built with (its gradient buckets and autograd hooks), so
a model that grows must be wrapped anew. Every rank applies the same growth to its identical replica
(deep copies of identical layers are identical), so no weights need to travel; the new DDP's
construction checks that and broadcasts rank 0's parameters anyway:

    model = DDP(net, device_ids=[local_rank])
    ...
    model = midas_stacking.grow_wrapped(model, optimizer, plan.stages[s - 1], step=step)

which is ``grow(unwrap(model), optimizer, stage)`` followed by ``rewrap(model)``. The optimizer object
is kept: grow appended each copy's parameters (with their state) to its source's param group.

FSDP shards parameters into flat buffers, so growth there goes through full (unsharded) state dicts:
see :func:`grow_fsdp`.
"""
import gc

import torch
import torch.distributed as dist

from .growth import grow, is_wrapped


def unwrap(model):
    """The module inside a DDP / FSDP / DataParallel wrapper (the model itself otherwise)."""
    return model.module if is_wrapped(model) else model


def _ddp_kwargs(ddp):
    kw = {}
    if getattr(ddp, "device_ids", None):
        kw["device_ids"] = ddp.device_ids
    for k in ("output_device", "broadcast_buffers", "find_unused_parameters", "gradient_as_bucket_view"):
        if hasattr(ddp, k):
            kw[k] = getattr(ddp, k)
    if kw.get("output_device") is None or not kw.get("device_ids"):
        kw.pop("output_device", None)
    if hasattr(ddp, "process_group"):
        kw["process_group"] = ddp.process_group
    return kw


def rewrap(model, **kwargs):
    """A new DistributedDataParallel around the (grown) module inside ``model``, with the old wrapper's
    settings (device_ids, broadcast_buffers, find_unused_parameters, process group) unless overridden.
    The old wrapper's autograd hooks are removed; drop every reference to it."""
    name = type(model).__name__
    if name != "DistributedDataParallel":
        raise TypeError(f"midas_stacking: rewrap wants a DistributedDataParallel, got {name} (FSDP: use grow_fsdp)")
    inner = model.module
    kw = {**_ddp_kwargs(model), **kwargs}
    reducer = getattr(model, "reducer", None)
    if reducer is not None and hasattr(reducer, "_remove_autograd_hooks"):
        reducer._remove_autograd_hooks()
    del model, reducer
    gc.collect()  # the old Reducer (and the hooks it registered on the reused parameters) goes now
    return torch.nn.parallel.DistributedDataParallel(inner, **kw)


def grow_wrapped(model, optimizer, stage, *, step=None, **ddp_kwargs):
    """Grow a DDP-wrapped (or unwrapped) model and return the model to train next: the new DDP wrapper,
    or the model itself when it was not wrapped. The optimizer is updated in place."""
    if type(model).__name__ == "FullyShardedDataParallel":
        raise TypeError("midas_stacking: an FSDP model grows through grow_fsdp (full state dicts)")
    grow(unwrap(model), optimizer, stage, step=step)
    if type(model).__name__ == "DistributedDataParallel":
        return rewrap(model, **ddp_kwargs)
    return model


def grow_fsdp(model, optimizer, stage, build, make_optimizer, *, step=None, **fsdp_kwargs):
    """Grow an FSDP-wrapped model (torch >= 2.0, ``use_orig_params=True``); returns (new FSDP model, new
    optimizer).

    The full parameters and the full optimizer state (keyed by parameter names) are gathered on every
    rank, loaded into an unsharded model ``build()`` (on CPU) and an optimizer ``make_optimizer(module)``
    over it, grown there with :func:`grow`, sharded again with FSDP(grown, **fsdp_kwargs), and the grown
    optimizer state is loaded into ``make_optimizer(new_fsdp_model)``. Memory: one full copy of the model
    and its moments per rank, for the moment of growth.
    """
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP, StateDictType
    from torch.distributed.fsdp import FullStateDictConfig, FullOptimStateDictConfig

    cfg = FullStateDictConfig(offload_to_cpu=True, rank0_only=False)
    ocfg = FullOptimStateDictConfig(offload_to_cpu=True, rank0_only=False)
    with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT, cfg, ocfg):
        sd = model.state_dict()
        osd = FSDP.optim_state_dict(model, optimizer)
    plain = build()
    plain.load_state_dict({k.replace("_fsdp_wrapped_module.", ""): v for k, v in sd.items()}, strict=False)
    popt = make_optimizer(plain)
    names = {p: n for n, p in plain.named_parameters()}
    for grp in popt.param_groups:
        for p in grp["params"]:
            s = osd["state"].get(names[p])
            if s:
                popt.state[p] = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in s.items()}
    grow(plain, popt, stage, step=step)
    full_state = {"state": {}, "param_groups": []}
    names = {p: n for n, p in plain.named_parameters()}
    for grp in popt.param_groups:
        g = {k: v for k, v in grp.items() if k != "params"}
        g["params"] = [names[p] for p in grp["params"]]
        full_state["param_groups"].append(g)
        for p in grp["params"]:
            if p in popt.state:
                full_state["state"][names[p]] = popt.state[p]
    device = next(model.parameters()).device
    new = FSDP(plain.to(device), **fsdp_kwargs)
    nopt = make_optimizer(new)
    with FSDP.state_dict_type(new, StateDictType.FULL_STATE_DICT, cfg, ocfg):
        try:  # torch >= 2.1 takes (model, optim, state); 2.0 took (state, model, optim)
            loadable = FSDP.optim_state_dict_to_load(new, nopt, full_state)
        except (TypeError, AttributeError):
            loadable = FSDP.optim_state_dict_to_load(full_state, new, nopt)
        nopt.load_state_dict(loadable)
    if dist.is_initialized():
        dist.barrier()
    return new, nopt
