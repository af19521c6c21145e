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
import math
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


def clean_out(out):
    """Remove what a killed checkpoint write left in out (step-N.tmp-*, step-N.old-*)."""
    if os.path.isdir(out):
        for n in os.listdir(out):
            if (".tmp-" in n or ".old-" in n) and STEP_DIR.match(n.split(".tmp-")[0].split(".old-")[0]):
                shutil.rmtree(os.path.join(out, n), ignore_errors=True)


def make_schedule(args, opt, plan, state, kind):
    warmup = opt["warmup"]
    if args.warmup is None and (state is None or kind == "midas") and warmup >= plan.steps:
        warmup = plan.steps // 10  # as `midas train` lowers its default warmup for short runs
    opt["warmup"] = warmup
    sched = Schedule(opt["lr_schedule"], opt["lr"], opt["min_lr"], warmup, plan.steps, opt["decay_steps"],
                     [s.first_step for s in plan.stages[1:]] if opt["rewarm_steps"] > 0 else [], opt["rewarm_steps"])
    try:
        return sched.validate()
    except ValueError as e:
        fail(str(e))


class Run:
    """One invocation: the plan, the (wrapped) model and its AdamW, the data, the schedule, the ranks.
    Everything is checked in __init__ before anything is written."""

    def __init__(self, args):
        self.args = args
        if args.init and args.resume:
            fail("give --init or --resume, not both")
        try:
            self.plan = plan = load_plan(args.plan)
        except PlanError as e:
            fail(str(e))
        self.rank, self.world, self.device = setup_dist(args)
        if args.threads:
            torch.set_num_threads(args.threads)
        self.out = args.out
        if self.rank == 0:
            clean_out(self.out)
        if not args.resume and latest_checkpoint(self.out) is not None:
            fail(f"--out {self.out} holds checkpoints (the latest {latest_checkpoint(self.out)}); continue with --resume {self.out}")
        try:
            model, self.cfg, self.step, state, kind, self.src = start_state(args, plan, self.rank)
            plan.check_model(self.cfg)
        except (ck.CheckpointError, PlanError) as e:
            fail(str(e))
        self.opt = resolve_options(args, state, kind)
        self.rows = rows = args.batch or plan.rows_per_step
        if rows % (self.world * args.accum):
            fail(f"{rows} sequences per step do not split over {self.world} ranks × {args.accum} micro-batches")
        self.micro = rows // self.world // args.accum
        if kind == "midas" and not args.batch:
            o = state.get("options") or {}
            if o.get("batch", rows) * o.get("accum", 1) != rows:
                fail(f"{self.src}: the midas run takes {o.get('batch', rows) * o.get('accum', 1)} sequences per step, "
                     f"the plan {rows} (give --batch to continue with another batch size)")
        self.sched = make_schedule(args, self.opt, plan, state, kind)
        self._data(state)
        self._check_depth(model)
        model.to(self.device)
        o = self.opt
        self.optimizer = adamw(model, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["adam_eps"], weight_decay=o["weight_decay"],
                               decay_embeddings=o["decay_embeddings"], decay_norms=o["decay_norms"])
        if state is not None:
            ck.load_optimizer_state(self.src, model, self.optimizer, self.step)
        self.ddp = dist.is_initialized()
        if self.ddp:
            model = torch.nn.parallel.DistributedDataParallel(
                model, **({"device_ids": [self.device.index]} if self.device.type == "cuda" else {}))
        self.model = model
        self.amp = args.amp == "bf16" and self.device.type == "cuda"
        self.metrics = os.path.join(self.out, "metrics.jsonl")
        if self.rank == 0:
            os.makedirs(self.out, exist_ok=True)
            if os.path.exists(self.metrics):  # lines past the checkpoint we continue from go
                with open(self.metrics) as f:
                    keep = [l for l in f if l.strip() and json.loads(l)["step"] <= self.step]
                with open(self.metrics, "w") as f:
                    f.writelines(keep)

    def _data(self, state):
        tok = self.args.tokenizer or (os.path.join(self.src, ck.TOKENIZER) if self.src else None)
        self.tok_file = tok if tok and os.path.exists(tok) else None
        try:
            tokens = read_tokens(self.args.data, self.cfg["vocab_size"], self.tok_file)
            self.loader = MidasLoader(tokens, self.plan.seq, self.opt["seed"], min_windows=self.rows)
        except ValueError as e:
            fail(str(e))
        self.tokens = 0
        if state is not None:
            check_history(self.plan, state.get("growth_history"), self.src)
            self.loader.seek(state.get("data_position") or {})
            self.tokens = state.get("tokens", 0)

    def _check_depth(self, model):
        plan, step, depth = self.plan, self.step, len(model.model.layers)
        if step >= plan.steps:
            fail(f"{self.src}: already trained to step {step} of {plan.steps}")
        g = plan.growth_at(step)
        want = g.from_ if g is not None and depth == g.from_ else plan.stage_at(step).layers
        if depth != want:
            fail(f"{self.src}: {depth} layers at step {step}, the plan trains {plan.stage_at(step).layers} there")

    def grow_if_due(self):
        g = self.plan.growth_at(self.step)
        if g is not None and len(unwrap(self.model).model.layers) == g.from_:
            self.model = grow_wrapped(self.model, self.optimizer, g, step=self.step)
            if self.rank == 0 and not self.args.quiet:
                print(f"step {self.step}: grew {g} → {g.to} layers")

    def train_step(self):
        """One optimizer step on this rank's share of the step's sequences; returns (loss, grad norm, lr)."""
        args, model, rows, world = self.args, self.model, self.rows, self.world
        lr = self.sched.lr(self.step)
        for grp in self.optimizer.param_groups:
            grp["lr"] = lr
        batch = self.loader.next(rows)[self.rank * rows // world:(self.rank + 1) * rows // world].to(self.device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        for a in range(args.accum):
            mb = batch[a * self.micro:(a + 1) * self.micro]
            with model.no_sync() if self.ddp and a < args.accum - 1 else _null():
                with torch.autocast(device_type="cuda", dtype=torch.bfloat16) if self.amp else _null():
                    logits = model(mb[:, :-1]).logits
                loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), mb[:, 1:].reshape(-1))
                (loss / args.accum).backward()
            loss_sum += loss.detach().double() / args.accum
        if self.ddp:
            dist.all_reduce(loss_sum)
            loss_sum /= world
        loss = loss_sum.item()
        params = [p for grp in self.optimizer.param_groups for p in grp["params"]]
        norm = grad_norm(params)
        if not all(math.isfinite(v) for v in (loss, norm)):
            fail(f"step {self.step + 1}: loss {loss}, gradient norm {norm}")
        clip_(params, norm, self.opt["clip"])
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        fault("step", self.step)
        self.tokens += rows * self.plan.seq
        return loss, norm, lr

    def log(self, loss, norm, lr, dt):
        if self.rank != 0:
            return
        layers = len(unwrap(self.model).model.layers)
        rec = {"step": self.step, "loss": loss, "lr": lr, "grad_norm": norm, "tokens": self.tokens,
               "tokens_per_s": self.rows * self.plan.seq / dt, "step_ms": dt * 1e3,
               "stage": self.plan.stage_at(self.step - 1).stage, "layers": layers}
        with open(self.metrics, "a") as f:
            f.write(json.dumps(rec) + "\n")
        if not self.args.quiet:
            print(f"step {self.step}/{self.plan.steps} stage {rec['stage']} layers {layers} loss {loss:.4f} lr {lr:.3g} "
                  f"{rec['tokens_per_s']:.0f} tok/s", flush=True)

    def save(self):
        if self.rank == 0:
            fault("save", self.step)
            inner = unwrap(self.model)
            st = {"step": self.step, "tokens": self.tokens, "data_position": self.loader.position(),
                  "growth_history": list(getattr(inner.config, "growth_history", None) or []),
                  "options": dict(self.opt, batch=self.rows, accum=self.args.accum, world_size=self.world), "plan": self.plan.raw}
            ck.save_checkpoint(os.path.join(self.out, f"step-{self.step:06d}"), inner, self.cfg, self.optimizer, st, [self.tok_file])
        if self.ddp:
            dist.barrier()


def main(argv=None):
    args = parse_args(argv)
    r = Run(args)
    ends = {s.end_step for s in r.plan.stages}
    stop = min(args.stop_at or r.plan.steps, r.plan.steps)
    while r.step < stop:
        r.grow_if_due()
        t0 = time.perf_counter()
        loss, norm, lr = r.train_step()
        r.log(loss, norm, lr, time.perf_counter() - t0)
        if r.step in ends or r.step == stop or (args.save_every and r.step % args.save_every == 0):
            r.save()
    if r.rank == 0:
        print(f"checkpoint: {os.path.join(r.out, f'step-{r.step:06d}')}")
    if r.ddp:
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
