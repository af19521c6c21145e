#!/usr/bin/env python3
"""The bridge's checks on one CUDA GPU (run by gpu_check.sh; every check raises on failure).

1. growth on CUDA equals growth on CPU bit for bit (f32 and bf16, AdamW state included);
2. FSDP growth (torch >= 2.0; NCCL, world size 1) equals plain growth;
3. baseline vs MIDAS with train_stacked.py under torchrun (NCCL) on a ~100M-parameter Llama (12
   layers, dim 768, vocab 8192, seq 512, 16 sequences per step, bf16 autocast) for 300 steps of the
   plans in tests/data: tokens/s, MFU, loss curves, measured vs analytic speedup;
4. the checkpoints load with the real transformers.LlamaForCausalLM (when installed) and give the
   minimal model's logits.
"""
import copy
import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch

from midas_stacking import checkpoint as ck, grow, load_plan, make_growth
from midas_stacking.llama import LlamaForCausalLM
from midas_stacking.optim import adamw

HERE = os.path.dirname(os.path.abspath(__file__))
PEAK = float(os.environ.get("PEAK_TFLOPS", "989")) * 1e12  # dense bf16 of an H100/H200 SXM
# GPU_CHECK_SMOKE=1: the same pipeline on the CPU with the tiny plans tests/data/smoke-*.json (CUDA and
# FSDP checks skipped), to check the script itself on a machine without a GPU.
SMOKE = bool(os.environ.get("GPU_CHECK_SMOKE"))


def log(*a):
    print("gpu_check:", *a, flush=True)


def tiny(layers=3, dtype=torch.float32, device="cpu"):
    torch.manual_seed(0)
    m = LlamaForCausalLM(dict(vocab_size=128, hidden_size=64, intermediate_size=96, num_hidden_layers=layers,
                              num_attention_heads=4, max_position_embeddings=32, rms_norm_eps=1e-5, model_type="llama"))
    return m.to(device=device, dtype=dtype)


def stepped(device, dtype):
    """A tiny model and its AdamW after one step (the same on every call)."""
    m = tiny(dtype=dtype, device=device)
    opt = adamw(m)
    one_step(m, opt, device)
    return m, opt


def one_step(m, opt, device):
    x = torch.randint(0, 128, (2, 17), generator=torch.Generator().manual_seed(1)).to(device)
    m(x[:, :-1]).logits.float().logsumexp(-1).mean().backward()
    opt.step()
    opt.zero_grad()


def check_cuda_growth():
    for dtype in (torch.float32, torch.bfloat16):
        g = dataclasses.replace(make_growth("midas", 3, 1), identity=True)
        cpu_m, cpu_opt = stepped("cpu", dtype)
        cuda_m = copy.deepcopy(cpu_m).cuda()
        cuda_opt = adamw(cuda_m)
        for p, q in zip(cpu_m.parameters(), cuda_m.parameters()):
            cuda_opt.state[q] = {k: v.clone().to("cuda" if k != "step" else v.device) for k, v in cpu_opt.state[p].items()}
        grow(cpu_m, cpu_opt, g)
        grow(cuda_m, cuda_opt, g)
        for (n, p), (_, q) in zip(cpu_m.named_parameters(), cuda_m.named_parameters()):
            assert q.is_cuda and q.dtype == dtype, n
            assert torch.equal(p, q.cpu()), f"{dtype} {n}: CUDA growth differs from CPU growth"
            for k in ("exp_avg", "exp_avg_sq"):
                assert torch.equal(cpu_opt.state[p][k], cuda_opt.state[q][k].cpu()), f"{dtype} {n} {k}"
        one_step(cuda_m, cuda_opt, "cuda")
        log(f"growth on CUDA ({dtype}) equals growth on CPU, weights and moments; the grown model trains")


def check_fsdp():
    if int(torch.__version__.split(".")[0]) < 2:
        log("FSDP check skipped: torch", torch.__version__)
        return "skipped"
    import torch.distributed as dist
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    from midas_stacking import grow_fsdp
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29511")
    dist.init_process_group("nccl", rank=0, world_size=1)
    ref, ropt = stepped("cuda", torch.float32)
    g = make_growth("midas", 3, 1)  # src 0 1 1 2: new layer 2 is a copy of layer 1
    fm = FSDP(tiny(device="cuda"), use_orig_params=True)
    fopt = adamw(fm)
    one_step(fm, fopt, "cuda")
    new, nopt = grow_fsdp(fm, fopt, g, lambda: tiny(device="cpu"), adamw, use_orig_params=True)
    grow(ref, ropt, g)
    with FSDP.summon_full_params(new):
        got = {n.replace("_fsdp_wrapped_module.", ""): p.detach().cpu().clone() for n, p in new.named_parameters()}
    assert len([n for n in got if n.endswith("input_layernorm.weight")]) == 4, sorted(got)
    for n in got:
        if n.startswith("model.layers.2."):
            assert torch.equal(got[n], got[n.replace("layers.2.", "layers.1.")]), f"FSDP growth: {n} is not a copy of layer 1"
    for n, p in ref.named_parameters():
        assert torch.allclose(got[n], p.detach().cpu(), atol=1e-6), f"FSDP growth: {n} differs from plain growth"
    one_step(new, nopt, "cuda")
    dist.destroy_process_group()
    log("FSDP growth (grow_fsdp) equals plain growth, and the grown FSDP model trains")
    return "ok"


def markov_tokens(n, vocab, seed=1):
    """A learnable token stream: an order-1 chain in which each token has 4 likely successors."""
    r = random.Random(seed)
    succ = [[r.randrange(vocab) for _ in range(4)] for _ in range(vocab)]
    t, out = 0, []
    for _ in range(n):
        t = r.choice(succ[t]) if r.random() < 0.9 else r.randrange(vocab)
        out.append(t)
    return out


def train(name, plan_path, data, out):
    t0 = time.time()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1", "--redirects", "1", "--tee", "1",
           "--log_dir", os.path.join(out, f"logs-{name}"), os.path.join(HERE, "train_stacked.py"), "--plan", plan_path,
           "--out", os.path.join(out, name), "--data", data, "--warmup", "30", "--quiet", "--seed", "1"]
    cmd += ["--device", "cpu", "--threads", "1"] if SMOKE else ["--amp", "bf16"]
    subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=os.path.dirname(HERE)))
    wall = time.time() - t0
    with open(os.path.join(out, name, "metrics.jsonl")) as f:
        m = [json.loads(l) for l in f]
    return m, wall


def report(name, plan, m, wall):
    tps = statistics.median(x["tokens_per_s"] for x in m[5:])
    # MFU per step: the plan's FLOPs of the step's stage over its time, against the peak.
    per = {s.stage: s.flops / s.steps for s in plan.stages}
    mfu = statistics.median(per[x["stage"]] / (x["step_ms"] / 1e3) / PEAK for x in m[5:])
    train_s = sum(x["step_ms"] for x in m) / 1e3
    curve = " ".join(f"{x['step']}:{x['loss']:.3f}" for x in m if x["step"] % 25 == 0 or x["step"] == 1)
    log(f"{name}: loss {m[0]['loss']:.3f} → {m[-1]['loss']:.3f}; median {tps:.0f} tokens/s, MFU {100 * mfu:.1f}% "
        f"(peak {PEAK / 1e12:.0f} TFLOP/s); {train_s:.1f} s in steps, {wall:.0f} s wall")
    log(f"{name} loss curve: {curve}")
    assert all(x["loss"] == x["loss"] for x in m), f"{name}: NaN loss"
    assert m[-1]["loss"] < m[0]["loss"] - 1.0, f"{name}: the loss did not fall"
    return train_s


def check_transformers(ckpt_dir):
    try:
        import transformers
    except ImportError:
        log("transformers is not installed: the real LlamaForCausalLM check is skipped")
        return "skipped"
    cfg = ck.read_config(ckpt_dir)
    real, _ = ck.load_model(ckpt_dir, device="cuda", use_transformers=True)
    mini, _ = ck.load_model(ckpt_dir, device="cuda", use_transformers=False)
    assert isinstance(real, transformers.LlamaForCausalLM)
    real.eval(), mini.eval()
    x = torch.randint(0, cfg["vocab_size"], (2, 64), device="cuda")
    with torch.no_grad():
        a, b = real(x).logits.float(), mini(x).logits.float()
    diff = (a - b).abs().max().item()
    log(f"transformers {transformers.__version__}: LlamaForCausalLM loads {ckpt_dir}; max logit difference to the minimal model {diff:.2e}")
    assert diff < 1e-3, diff
    # And from_pretrained, as a user would load it.
    m = transformers.LlamaForCausalLM.from_pretrained(ckpt_dir).cuda().eval()
    with torch.no_grad():
        c = m(x).logits.float()
    assert (c - a).abs().max().item() < 1e-4
    return "ok"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "gpu_check_out"
    os.makedirs(out, exist_ok=True)
    if SMOKE:
        log(f"smoke run on the CPU (torch {torch.__version__}): CUDA, FSDP and transformers checks skipped")
        fsdp, prefix, vocab = "skipped", "smoke", 512
    else:
        assert torch.cuda.is_available(), "no CUDA device"
        log(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}")
        check_cuda_growth()
        fsdp, prefix, vocab = check_fsdp(), "gpu", 8192
    data = os.path.join(out, "tokens.json")
    with open(data, "w") as f:
        json.dump(markov_tokens(600_000 if not SMOKE else 60_000, vocab), f)
    results = {}
    for name in ("none", "midas"):
        plan_path = os.path.join(HERE, "tests", "data", f"{prefix}-{name}.json")
        plan = load_plan(plan_path)
        m, wall = train(name, plan_path, data, out)
        results[name] = (plan, report(name, plan, m, wall), m)
    (pb, tb, mb), (pm, tm, mm) = results["none"], results["midas"]
    log(f"MIDAS speedup: measured {tb / tm:.2f}× (time in steps), analytic {pm.speedup:.2f}×; "
        f"final loss {mm[-1]['loss']:.3f} vs baseline {mb[-1]['loss']:.3f}")
    final = os.path.join(out, "midas", f"step-{pm.steps:06d}")
    cfg = ck.read_config(final)
    assert cfg["growth_history"] == [s.grow.to_json() for s in pm.stages[1:]], "growth history is not the plan's"
    hf = check_transformers(final) if not SMOKE else "skipped"
    log(f"OK (fsdp {fsdp}, transformers {hf})")


if __name__ == "__main__":
    main()
