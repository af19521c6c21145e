"""midas_stacking: midas's gradual-stacking plans, applied to PyTorch / Hugging Face Llama models.

    plan = load_plan("plan.json")                 # `midas plan --json`, format 1
    g = plan.growth_at(step)                      # the growth due before this step, or None
    if g: grow(model, optimizer, g, step=step)    # model.model.layers and AdamW state, in place

Under DDP: ``model = grow_wrapped(ddp_model, optimizer, g, step=step)``. The result equals what midas
does in Go, bit for bit (see the package README).
"""
from .plan import Growth, Plan, PlanError, Stage, load_plan, make_growth, parse_plan
from .growth import GrowthError, find_layers, grow, growth_for
from .distributed import grow_fsdp, grow_wrapped, rewrap, unwrap
from .checkpoint import CheckpointError, build_model, load_model, load_optimizer_state, save_checkpoint
from .data import MidasLoader, read_tokens
from .optim import Schedule, adamw

__version__ = "0.1.0"
__all__ = ["Growth", "Plan", "PlanError", "Stage", "load_plan", "make_growth", "parse_plan", "GrowthError", "find_layers",
           "grow", "growth_for", "grow_fsdp", "grow_wrapped", "rewrap", "unwrap", "CheckpointError", "build_model",
           "load_model", "load_optimizer_state", "save_checkpoint", "MidasLoader", "read_tokens", "Schedule", "adamw"]
