#!/usr/bin/env python3
"""Train a HF Llama by a midas plan: gradual stacking under torchrun (DDP), checkpoints midas reads.

    torchrun --nproc_per_node N python/midas_stacking/train_stacked.py \
        --plan plan.json --init DIR --out OUT --data TOKENS [options]

--plan      `midas plan --json` output: stages, their growth records, steps, tokens per step
--init      a HF Llama checkpoint directory (midas's or anyone's): its weights start the stage whose
            depth equals the checkpoint's (stage 1 for a fresh one-block model; a deeper checkpoint
            starts later in the plan, at that stage's first step); a fresh AdamW
--resume    continue a run: a checkpoint with training state written by this script (OUT/step-N, or
            OUT itself for its latest one) or a midas run directory (trainer_state.json and
            optimizer.safetensors): step, AdamW moments, data position and settings are taken from it
--data      token ids: a JSON array of ints (or a list of them), or a folder of such .json files
            (.txt too, through the tokenizers package and --tokenizer)

Without --init or --resume the stage-1 model is initialised at random (normal, std 0.02, --seed).
Each step takes tokens_per_step/seq sequences (--batch) in midas's data order (window order by
--seed, as `midas train` draws them), split over the ranks and --accum micro-batches; AdamW, weight
decay groups, clipping and the learning-rate schedule are midas's, with its defaults or a resumed midas
run's settings. At every stage's end (before the growth), every --save-every steps and at the end,
rank 0 writes OUT/step-NNNNNN: config.json (growth_history), model.safetensors, tokenizer.json (copied),
optimizer.safetensors (midas's moment names) and stacking_state.json — a HF checkpoint that `midas
eval` and `midas score` read. OUT/metrics.jsonl gets one JSON line per step.
"""
import argparse
import json
import os
import re
import shutil
import signal
import sys
import time

try:
    import midas_stacking  # noqa: F401
except ImportError:  # run as a script from the repository: python/ holds the package
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch
import torch.distributed as dist
import torch.nn.functional as F

from midas_stacking import checkpoint as ck
from midas_stacking.data import MidasLoader, read_tokens
from midas_stacking.distributed import grow_wrapped, unwrap
from midas_stacking.optim import Schedule, adamw, clip_, grad_norm
from midas_stacking.plan import PlanError, load_plan

# midas's train defaults (internal/train/options.go DefaultOptions) and the keys of its options.
DEFAULTS = dict(lr=3e-3, min_lr=3e-4, warmup=100, lr_schedule="cosine", decay_steps=0, beta1=0.9, beta2=0.95,
                adam_eps=1e-8, weight_decay=0.1, decay_embeddings=False, decay_norms=False, clip=1.0, seed=1,
                rewarm_steps=0)
STEP_DIR = re.compile(r"^step-(\d+)$")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="train_stacked.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--plan", required=True, help="plan JSON from `midas plan --json`")
    p.add_argument("--init", help="HF Llama checkpoint directory to start from (weights only)")
    p.add_argument("--resume", help="checkpoint with training state (OUT, OUT/step-N, or a midas run directory)")
    p.add_argument("--out", required=True, help="output directory: step-NNNNNN checkpoints, metrics.jsonl")
    p.add_argument("--data", required=True, help="token ids: JSON array of ints, or a folder of such files")
    p.add_argument("--tokenizer", help="tokenizer.json for .txt data (needs the tokenizers package)")
    p.add_argument("--batch", type=int, help="sequences per optimizer step (default: the plan's tokens_per_step / seq)")
    p.add_argument("--accum", type=int, default=1, help="micro-batches per step on each rank")
    for k, v in DEFAULTS.items():
        flag = "--" + k.replace("_", "-")
        if isinstance(v, bool):
            p.add_argument(flag, action="store_true", default=None)
        else:
            p.add_argument(flag, type=type(v), help=f"default {v} (or the resumed run's)")
    p.add_argument("--save-every", type=int, default=0, help="steps between checkpoints (0: stage ends and the end)")
    p.add_argument("--stop-at", type=int, help="checkpoint and stop after this many steps")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--backend", help="torch.distributed backend (default: nccl on cuda, gloo on cpu)")
    p.add_argument("--amp", choices=["none", "bf16"], default="none", help="bf16 autocast for matmuls on cuda (weights stay float32)")
    p.add_argument("--threads", type=int, help="torch CPU threads per process")
    p.add_argument("--quiet", action="store_true", help="no per-step lines on stdout")
    return p.parse_args(argv)


def fail(msg):
    print(f"train_stacked: {msg}", file=sys.stderr)
    sys.exit(1)


def latest_checkpoint(path):
    """path itself when it is a checkpoint, else its step-N subdirectory with the largest N (or None)."""
    if os.path.exists(os.path.join(path, ck.CONFIG)):
        return path
    steps = [(int(m.group(1)), n) for n in (os.listdir(path) if os.path.isdir(path) else []) if (m := STEP_DIR.match(n))]
    return os.path.join(path, max(steps)[1]) if steps else None


def resolve_options(args, state, kind):
    """Flags over the resumed run's settings over midas's defaults."""
    base = dict(DEFAULTS)
    if state:
        saved = state.get("options") or {}
        base.update({k: saved[k] for k in DEFAULTS if k in saved})
    for k in DEFAULTS:
        v = getattr(args, k)
        if v is not None:
            base[k] = v
    return base


def setup_dist(args):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    dev = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dev == "cuda":
        torch.cuda.set_device(local)
        dev = f"cuda:{local}"
    if world > 1 or "RANK" in os.environ:
        dist.init_process_group(backend=args.backend or ("nccl" if dev.startswith("cuda") else "gloo"))
    return rank, world, torch.device(dev)


def start_state(args, plan, rank):
    """(model, base config, start step, training state or None, state kind, tokenizer path)."""
    if args.resume:
        src = latest_checkpoint(args.resume)
        if src is None:
            fail(f"--resume {args.resume}: no checkpoint there")
        state, kind = ck.read_training_state(src)
        if state is None:
            fail(f"--resume {src}: no training state ({ck.STATE} or {ck.MIDAS_STATE}); use --init to start from its weights")
        model, cfg = ck.load_model(src)
        return model, cfg, state["step"], state, kind, src
    if args.init:
        model, cfg = ck.load_model(args.init)
        depth = cfg["num_hidden_layers"]
        stage = next((s for s in plan.stages if s.layers == depth), None)
        if stage is None:
            fail(f"--init {args.init} has {depth} layers; the plan's stages have {', '.join(str(s.layers) for s in plan.stages)}")
        if stage.stage > 1 and rank == 0:
            print(f"train_stacked: {args.init} has {depth} layers: starting at stage {stage.stage} (step {stage.first_step})", flush=True)
        return model, cfg, stage.first_step, None, None, args.init
    m = plan.model
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": m["vocab_size"],
           "hidden_size": m["dim"], "intermediate_size": m["ffn"], "num_hidden_layers": plan.stages[0].layers,
           "num_attention_heads": m["heads"], "num_key_value_heads": m["heads"], "max_position_embeddings": m["seq"],
           "rms_norm_eps": m["norm_eps"], "rope_theta": float(m["rope_theta"]), "tie_word_embeddings": m["tied_embeddings"],
           "hidden_act": "silu", "attention_bias": False, "mlp_bias": False, "torch_dtype": "float32"}
    torch.manual_seed(args.seed if args.seed is not None else DEFAULTS["seed"])
    return ck.build_model(cfg), cfg, 0, None, None, None


def check_history(plan, history, src):
    """The checkpoint's growths must be the plan's (same stage, step and source map)."""
    for h in history or []:
        st = h.get("stage", 0)
        if not 1 < st <= len(plan.stages):
            continue
        want = plan.stages[st - 1].grow
        if h.get("src") != list(want.src) or h.get("step") != want.step:
            fail(f"{src}: its growth at stage {st} (step {h.get('step')}, src {h.get('src')}) is not the plan's "
                 f"(step {want.step}, src {list(want.src)})")


def main(argv=None):
    args = parse_args(argv)
    if args.init and args.resume:
        fail("give --init or --resume, not both")
    try:
        plan = load_plan(args.plan)
    except PlanError as e:
        fail(str(e))
    rank, world, device = setup_dist(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = args.out
    if rank == 0 and os.path.isdir(out):  # what a killed checkpoint write left
        for n in os.listdir(out):
            if STEP_DIR.match(n.split(".tmp-")[0].split(".old-")[0]) and (".tmp-" in n or ".old-" in n):
                shutil.rmtree(os.path.join(out, n), ignore_errors=True)
    if not args.resume and latest_checkpoint(out) is not None:
        fail(f"--out {out} holds checkpoints (the latest {latest_checkpoint(out)}); continue with --resume {out}")

    try:
        model, cfg, step, state, kind, src = start_state(args, plan, rank)
        plan.check_model(cfg)
    except (ck.CheckpointError, PlanError) as e:
        fail(str(e))
    opt = resolve_options(args, state, kind)
    rows = args.batch or plan.rows_per_step
    if rows % (world * args.accum):
        fail(f"{rows} sequences per step do not split over {world} ranks × {args.accum} micro-batches")
    micro = rows // world // args.accum
    if kind == "midas" and not args.batch:
        o = state.get("options") or {}
        midas_rows = o.get("batch", rows) * o.get("accum", 1)
        if midas_rows != rows:
            fail(f"{src}: the midas run takes {midas_rows} sequences per step, the plan {rows} "
                 "(give --batch to continue with another batch size)")
    seq = plan.seq

    warmup = opt["warmup"]
    if args.warmup is None and (state is None or kind == "midas") and warmup >= plan.steps:
        warmup = plan.steps // 10  # as `midas train` lowers its default warmup for short runs
    opt["warmup"] = warmup
    sched = Schedule(opt["lr_schedule"], opt["lr"], opt["min_lr"], warmup, plan.steps, opt["decay_steps"],
                     [s.first_step for s in plan.stages[1:]] if opt["rewarm_steps"] > 0 else [], opt["rewarm_steps"])
    try:
        sched.validate()
    except ValueError as e:
        fail(str(e))

    vocab = cfg["vocab_size"]
    tok_file = args.tokenizer or (os.path.join(src, ck.TOKENIZER) if src else None)
    try:
        tokens = read_tokens(args.data, vocab, tok_file if tok_file and os.path.exists(tok_file) else None)
        loader = MidasLoader(tokens, seq, opt["seed"], min_windows=rows)
    except ValueError as e:
        fail(str(e))

    history = list(getattr(model.config, "growth_history", None) or [])
    seen_tokens = 0
    if state is not None:
        check_history(plan, state.get("growth_history"), src)
        loader.seek(state.get("data_position") or {})
        seen_tokens = state.get("tokens", 0)
    depth = len(model.model.layers)
    g = plan.growth_at(step)
    want = g.from_ if g is not None and depth == g.from_ else plan.stage_at(step).layers
    if step >= plan.steps:
        fail(f"{src}: already trained to step {step} of {plan.steps}")
    if depth != want:
        fail(f"{src}: {depth} layers at step {step}, the plan trains {plan.stage_at(step).layers} there")
    model.to(device)
    optimizer = adamw(model, lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["adam_eps"],
                      weight_decay=opt["weight_decay"], decay_embeddings=opt["decay_embeddings"], decay_norms=opt["decay_norms"])
    if state is not None:
        ck.load_optimizer_state(src, model, optimizer, step)
    ddp = dist.is_initialized()
    if ddp:
        kw = {"device_ids": [device.index]} if device.type == "cuda" else {}
        model = torch.nn.parallel.DistributedDataParallel(model, **kw)

    tok_copy = tok_file if tok_file and os.path.exists(tok_file) else None
    metrics = os.path.join(out, "metrics.jsonl")
    if rank == 0:
        os.makedirs(out, exist_ok=True)
        if os.path.exists(metrics):  # lines past the checkpoint we continue from go
            with open(metrics) as f:
                keep = [l for l in f if l.strip() and json.loads(l)["step"] <= step]
            with open(metrics, "w") as f:
                f.writelines(keep)
    ends = {s.end_step for s in plan.stages}
    stop = min(args.stop_at or plan.steps, plan.steps)
    amp = args.amp == "bf16" and device.type == "cuda"

    def save():
        if rank == 0:
            fault("save", step)
            st = {"step": step, "tokens": seen_tokens, "data_position": loader.position(),
                  "growth_history": list(getattr(unwrap(model).config, "growth_history", None) or []),
                  "options": dict(opt, batch=rows, accum=args.accum, world_size=world), "plan": plan.raw}
            ck.save_checkpoint(os.path.join(out, f"step-{step:06d}"), unwrap(model), cfg, optimizer, st, [tok_copy])
        if ddp:
            dist.barrier()

    while step < stop:
        g = plan.growth_at(step)
        if g is not None and len(unwrap(model).model.layers) == g.from_:
            model = grow_wrapped(model, optimizer, g, step=step)
            if rank == 0 and not args.quiet:
                print(f"step {step}: grew {g} → {g.to} layers")
        t0 = time.perf_counter()
        lr = sched.lr(step)
        for grp in optimizer.param_groups:
            grp["lr"] = lr
        batch = loader.next(rows)[rank * rows // world:(rank + 1) * rows // world].to(device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for a in range(args.accum):
            mb = batch[a * micro:(a + 1) * micro]
            sync = a == args.accum - 1 or not ddp
            ctx = model.no_sync() if not sync else _null()
            with ctx:
                with torch.autocast(device_type="cuda", dtype=torch.bfloat16) if amp else _null():
                    logits = model(mb[:, :-1]).logits
                loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), mb[:, 1:].reshape(-1))
                (loss / args.accum).backward()
            loss_sum += loss.detach().double() / args.accum
        if ddp:
            dist.all_reduce(loss_sum)
            loss_sum /= world
        loss_v = loss_sum.item()
        params = [p for grp in optimizer.param_groups for p in grp["params"]]
        norm = grad_norm(params)
        if not (loss_v == loss_v and abs(loss_v) != float("inf")) or norm != norm or norm == float("inf"):
            fail(f"step {step + 1}: loss {loss_v}, gradient norm {norm}")
        clip_(params, norm, opt["clip"])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        fault("step", step)
        seen_tokens += rows * seq
        dt = time.perf_counter() - t0
        layers = len(unwrap(model).model.layers)
        if rank == 0:
            rec = {"step": step, "loss": loss_v, "lr": lr, "grad_norm": norm, "tokens": seen_tokens,
                   "tokens_per_s": rows * seq / dt, "step_ms": dt * 1e3, "stage": plan.stage_at(step - 1).stage,
                   "layers": layers}
            with open(metrics, "a") as f:
                f.write(json.dumps(rec) + "\n")
            if not args.quiet:
                print(f"step {step}/{plan.steps} stage {rec['stage']} layers {layers} loss {loss_v:.4f} lr {lr:.3g} "
                      f"{rec['tokens_per_s']:.0f} tok/s", flush=True)
        if step in ends or step == stop or (args.save_every and step % args.save_every == 0):
            save()
    if rank == 0:
        print(f"checkpoint: {os.path.join(out, f'step-{step:06d}')}")
    if ddp:
        dist.destroy_process_group()


def fault(point, step):
    """Test hook: MIDAS_STACKING_FAULT=step:N kills this process (SIGKILL) right after step N's update,
    save:N in the middle of step N's checkpoint write (after its weights file)."""
    want = os.environ.get("MIDAS_STACKING_FAULT", "")
    if want == f"{point}:{step}":
        if point == "save":
            ck.FAULT_AFTER_MODEL = True
        else:
            os.kill(os.getpid(), signal.SIGKILL)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


if __name__ == "__main__":
    main()
