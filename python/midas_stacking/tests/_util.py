"""Shared helpers of the bridge tests: tiny models, the midas programs, temp directories."""
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch

from midas_stacking.llama import LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
PYTHON_DIR = os.path.dirname(PKG)
TRAIN_STACKED = os.path.join(PKG, "train_stacked.py")

TINY = dict(vocab_size=97, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=16, rms_norm_eps=1e-5, rope_theta=10000.0, model_type="llama")


def tiny_model(layers=2, seed=0, **kw):
    torch.manual_seed(seed)
    return LlamaForCausalLM(dict(TINY, num_hidden_layers=layers, **kw))


def tool(name):
    """Path of a midas program on PATH (bridge.txtar puts midas and midasref there); the test is skipped
    without it, or fails when MIDAS_BRIDGE_REQUIRE is set (as the script test sets it)."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not on PATH (run these tests through `go test ./cmd/midas -run TestScripts/bridge`)"
        if os.environ.get("MIDAS_BRIDGE_REQUIRE"):
            raise AssertionError(msg)
        raise unittest.SkipTest(msg)
    return path


def run(*args, env=None, timeout=600, check=True):
    """Run a command; on failure the assertion shows its output."""
    e = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1")
    e.update(env or {})
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=e, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def torchrun(nproc, *args, **kw):
    return run(sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *args, **kw)


class TempDir(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="midas-bridge-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, *p):
        return os.path.join(self.tmp, *p)


@functools.lru_cache(maxsize=None)
def midas_run(tmp_root, steps=4, extra=()):
    """A tiny midas run directory (checkpoint + training state + tokenizer) and its training tokens."""
    out = os.path.join(tmp_root, f"run{steps}{'-'.join(extra)}")
    run(tool("midas"), "train", "--preset", "tiny", "--steps", steps, "--synthetic-bytes", 65536, "--threads", 1,
        "--eval-n", 0, "--eval-every", 0, *extra, "--out", out)
    return out


def bits(t):
    """A tensor's raw bits, for bitwise comparison (NaN-safe, +0 vs -0 distinguished)."""
    t = t.detach().cpu().contiguous()
    return t.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]) if t.is_floating_point() else t
