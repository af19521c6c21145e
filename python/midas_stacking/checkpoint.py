"""Hugging Face Llama checkpoint directories (midas's and anyone's) in and out, with midas's AdamW files.

A directory holds config.json, model.safetensors (or a sharded model.safetensors.index.json), and
optionally tokenizer.json and training state: midas's optimizer.safetensors (``exp_avg.<name>`` and
``exp_avg_sq.<name>`` for every parameter, metadata ``step``) with either midas's trainer_state.json
(``midas-trainer-state/1``) or this package's stacking_state.json (``midas-stacking-state/1``).
"""
import json
import os
import shutil
import signal
import tempfile

import torch

from . import safetensors_io as st
from .llama import LlamaConfig as _MiniConfig, LlamaForCausalLM as _MiniLlama

CONFIG, MODEL, INDEX, OPTIMIZER, TOKENIZER = "config.json", "model.safetensors", "model.safetensors.index.json", "optimizer.safetensors", "tokenizer.json"
MIDAS_STATE, STATE = "trainer_state.json", "stacking_state.json"
MIDAS_STATE_FORMAT, STATE_FORMAT = "midas-trainer-state/1", "midas-stacking-state/1"
FAULT_AFTER_MODEL = False


class CheckpointError(ValueError):
    pass


def have_transformers():
    try:
        import transformers  # noqa: F401
        return True
    except ImportError:
        return False


def read_config(path):
    """config.json of the checkpoint directory ``path`` as a dict (a Llama config, or CheckpointError)."""
    p = os.path.join(path, CONFIG)
    try:
        with open(p) as f:
            cfg = json.load(f)
    except OSError:
        raise CheckpointError(f"midas_stacking: checkpoint {path}: no {CONFIG}") from None
    except ValueError as e:
        raise CheckpointError(f"midas_stacking: {p}: not JSON: {e}") from None
    if not isinstance(cfg, dict) or cfg.get("model_type") != "llama":
        raise CheckpointError(f"midas_stacking: {p}: model_type {cfg.get('model_type') if isinstance(cfg, dict) else None!r} is not a Llama checkpoint")
    missing = [k for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads") if not cfg.get(k)]
    if missing:
        raise CheckpointError(f"midas_stacking: {p}: {', '.join(missing)} missing")
    return cfg


def read_tensors(path, device="cpu"):
    """{name: tensor} of the checkpoint's weights (single file or sharded), dtypes kept."""
    single, index = os.path.join(path, MODEL), os.path.join(path, INDEX)
    if os.path.exists(single):
        return st.load_file(single, device)
    if not os.path.exists(index):
        raise CheckpointError(f"midas_stacking: checkpoint {path}: neither {MODEL} nor {INDEX}")
    with open(index) as f:
        wm = json.load(f).get("weight_map") or {}
    out = {}
    for shard in sorted(set(wm.values())):
        out.update(st.load_file(os.path.join(path, shard), device))
    return out


def build_model(config, use_transformers=None):
    """A fresh LlamaForCausalLM for config (dict): transformers' when it is installed (or
    use_transformers=True), else this package's minimal one. Unknown config keys are kept on its config."""
    use = have_transformers() if use_transformers is None else use_transformers
    if use:
        import transformers
        return transformers.LlamaForCausalLM(transformers.LlamaConfig(**config))
    return _MiniLlama(_MiniConfig(**config))


def load_model(path, device="cpu", dtype=None, use_transformers=None):
    """(model, config dict) of the checkpoint directory ``path``; weights in their stored dtype unless
    ``dtype`` is given. Every parameter must be in the file; tensors the model does not have are an error."""
    cfg = read_config(path)
    tensors = read_tensors(path)
    model = build_model(cfg, use_transformers)
    want = dict(model.named_parameters())
    tied = bool(cfg.get("tie_word_embeddings"))
    missing = [n for n in want if n not in tensors and not (tied and n == "lm_head.weight")]
    extra = [n for n in tensors if n not in want and not n.endswith("rotary_emb.inv_freq") and not (tied and n == "lm_head.weight")]
    if missing or extra:
        raise CheckpointError(f"midas_stacking: checkpoint {path}: " + "; ".join(
            x for x in (f"missing {', '.join(missing[:4])}" if missing else "", f"unexpected {', '.join(extra[:4])}" if extra else "") if x))
    with torch.no_grad():
        for n, p in want.items():
            t = tensors.get(n)
            if t is None:
                continue
            if tuple(t.shape) != tuple(p.shape):
                raise CheckpointError(f"midas_stacking: checkpoint {path}: tensor {n!r}: shape {list(t.shape)}, want {list(p.shape)}")
            p.data = t.to(dtype or t.dtype).clone()
    model.to(device)
    if tied:
        model.lm_head.weight = model.model.embed_tokens.weight
    model.config.growth_history = cfg.get("growth_history") or []
    return model, cfg


def param_names(model):
    """{parameter: HF name}; a tied head is named by the embedding, as midas names it."""
    return {p: n for n, p in model.named_parameters()}


def read_training_state(path):
    """(state dict, kind) of a checkpoint's training state: this package's stacking_state.json
    (kind "stacking") or midas's trainer_state.json (kind "midas"); (None, None) when there is none."""
    for name, fmt, kind in ((STATE, STATE_FORMAT, "stacking"), (MIDAS_STATE, MIDAS_STATE_FORMAT, "midas")):
        p = os.path.join(path, name)
        if os.path.exists(p):
            with open(p) as f:
                s = json.load(f)
            if s.get("format") != fmt:
                raise CheckpointError(f"midas_stacking: {p}: format {s.get('format')!r}, want {fmt!r}")
            if not os.path.exists(os.path.join(path, OPTIMIZER)):
                raise CheckpointError(f"midas_stacking: {path}: {name} without {OPTIMIZER}")
            return s, kind
    return None, None


def load_optimizer_state(path, model, optimizer, step):
    """Fill the AdamW state of every parameter in ``optimizer`` from the checkpoint's
    optimizer.safetensors (midas names: exp_avg.<name>, exp_avg_sq.<name>), with AdamW's per-parameter
    step set to the run's step (midas counts bias correction by the global step)."""
    f = os.path.join(path, OPTIMIZER)
    moments = st.load_file(f)
    names = param_names(model)
    for grp in optimizer.param_groups:
        for p in grp["params"]:
            n = names[p]
            try:
                m, v = moments[f"exp_avg.{n}"], moments[f"exp_avg_sq.{n}"]
            except KeyError:
                raise CheckpointError(f"midas_stacking: {f}: no moments for {n}") from None
            if tuple(m.shape) != tuple(p.shape) or tuple(v.shape) != tuple(p.shape):
                raise CheckpointError(f"midas_stacking: {f}: moments of {n} have shape {list(m.shape)}, want {list(p.shape)}")
            optimizer.state[p] = {"step": torch.tensor(float(step)),
                                  "exp_avg": m.to(device=p.device, dtype=p.dtype).clone(),
                                  "exp_avg_sq": v.to(device=p.device, dtype=p.dtype).clone()}


def optimizer_tensors(model, optimizer):
    """{exp_avg.<name>, exp_avg_sq.<name>: tensor} of every parameter with AdamW state (zeros for a
    parameter the optimizer has not stepped yet)."""
    out = {}
    for p, n in param_names(model).items():
        s = optimizer.state.get(p) or {}
        out[f"exp_avg.{n}"] = s.get("exp_avg", torch.zeros_like(p)).detach()
        out[f"exp_avg_sq.{n}"] = s.get("exp_avg_sq", torch.zeros_like(p)).detach()
    return out


def model_tensors(model):
    """{HF name: tensor} of the weights to save (no lm_head when tied, no rotary buffers)."""
    tied = model.lm_head.weight is model.model.embed_tokens.weight
    return {n: p.detach() for n, p in model.named_parameters() if not (tied and n == "lm_head.weight")}


def config_dict(model, base):
    """config.json for the model: ``base`` (the dict it was loaded from) with num_hidden_layers,
    growth_history and torch_dtype of the model now."""
    cfg = dict(base)
    cfg["num_hidden_layers"] = len(model.model.layers)
    hist = list(getattr(model.config, "growth_history", None) or [])
    if hist or "growth_history" in cfg:
        cfg["growth_history"] = hist
    cfg["torch_dtype"] = str(next(model.parameters()).dtype).removeprefix("torch.")
    return cfg


def save_checkpoint(path, model, base_config, optimizer=None, state=None, copy_files=()):
    """Write a HF checkpoint directory at ``path`` atomically (a temp directory beside it, renamed into
    place; an existing ``path`` is replaced only once the new one is complete): config.json,
    model.safetensors, the files in copy_files (e.g. the tokenizer.json it came with) and, with an
    optimizer, optimizer.safetensors (midas's names) and stacking_state.json (``state``)."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(path) + ".tmp-", dir=parent)
    try:
        with open(os.path.join(tmp, CONFIG), "w") as f:
            json.dump(config_dict(model, base_config), f, indent=2)
            f.write("\n")
        st.save_file(model_tensors(model), os.path.join(tmp, MODEL), {"format": "pt"})
        if FAULT_AFTER_MODEL:  # test hook (train_stacked's MIDAS_STACKING_FAULT=save:N)
            os.kill(os.getpid(), signal.SIGKILL)
        for src in copy_files:
            if src and os.path.isfile(src):
                shutil.copyfile(src, os.path.join(tmp, os.path.basename(src)))
        if optimizer is not None:
            step = (state or {}).get("step", 0)
            st.save_file(optimizer_tensors(model, optimizer), os.path.join(tmp, OPTIMIZER), {"step": str(step)})
            with open(os.path.join(tmp, STATE), "w") as f:
                json.dump(dict(state or {}, format=STATE_FORMAT), f, indent=2)
                f.write("\n")
        for name in os.listdir(tmp):
            with open(os.path.join(tmp, name), "rb") as f:
                os.fsync(f.fileno())
        old = None
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix=os.path.basename(path) + ".old-", dir=parent)
            os.rename(path, os.path.join(old, "x"))
        os.rename(tmp, path)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
