"""Growth under DDP (gloo, 2 CPU processes): grow_wrapped keeps the replicas equal and trains as one
process on the whole batch does; growing without re-wrapping does not (so the test can fail)."""
import dataclasses
import os
import socket
import unittest

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from midas_stacking import grow, grow_wrapped, make_growth
from midas_stacking.optim import adamw

from ._util import TempDir, bits, tiny_model

GROWTHS = [make_growth("midas", 2, 1), dataclasses.replace(make_growth("gradstack", 3, 1), identity=True, zero_optim=True)]
ROWS = 4  # sequences per step, split over the ranks


def batches(n):
    g = torch.Generator().manual_seed(7)
    return [torch.randint(0, 97, (ROWS, 9), generator=g) for _ in range(n)]


def step(model, opt, x):
    vocab = 97
    loss = nn.functional.cross_entropy(model(x[:, :-1]).logits.reshape(-1, vocab), x[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)


def train(model, opt, rank=0, world=1, rewrap=True):
    """2 steps, grow, 2 steps, grow, 1 step; returns the unwrapped model."""
    data = iter(batches(5))
    for g in [None] + GROWTHS:
        if g is not None:
            if rewrap:
                model = grow_wrapped(model, opt, g)
            else:
                grow(model.module if world > 1 else model, opt, g)
        for _ in range(2 if g is not GROWTHS[-1] else 1):
            x = next(data)
            step(model, opt, x[rank * ROWS // world:(rank + 1) * ROWS // world])
    return model.module if world > 1 else model


def worker(rank, world, port, out, rewrap):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    model = tiny_model(layers=2)
    opt = adamw(model, lr=1e-2)
    m = train(nn.parallel.DistributedDataParallel(model), opt, rank, world, rewrap)
    torch.save({"params": {n: p.detach() for n, p in m.named_parameters()},
                "moments": {n: opt.state[p]["exp_avg"] for n, p in m.named_parameters()}}, os.path.join(out, f"rank{rank}.pt"))
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestDDP(TempDir):
    def spawn(self, rewrap):
        mp.spawn(worker, args=(2, free_port(), self.tmp, rewrap), nprocs=2, join=True)
        return [torch.load(self.path(f"rank{r}.pt")) for r in range(2)]

    def test_grow_wrapped(self):
        r0, r1 = self.spawn(True)
        torch.set_num_threads(1)
        model = tiny_model(layers=2)
        ref = train(model, adamw(model, lr=1e-2))
        names = [n for n, _ in ref.named_parameters()]
        self.assertEqual(sorted(names), sorted(r0["params"]))
        self.assertEqual(len(ref.model.layers), GROWTHS[-1].to)
        for n, p in ref.named_parameters():
            for k in ("params", "moments"):
                self.assertTrue(torch.equal(bits(r0[k][n]), bits(r1[k][n])), f"{k} {n}: the replicas differ")
            # Two half-batch gradients averaged vs one whole-batch gradient: equal up to float32 rounding.
            self.assertTrue(torch.allclose(r0["params"][n], p.detach(), rtol=0, atol=2e-5),
                            f"{n}: DDP vs one process, max diff {(r0['params'][n] - p).abs().max().item():.3g}")

    def test_without_rewrap_replicas_diverge(self):
        r0, r1 = self.spawn(False)
        differ = [n for n in r0["params"] if not torch.equal(r0["params"][n], r1["params"][n])]
        self.assertTrue(differ, "growing inside an old DDP wrapper kept the replicas equal: the test above could not fail")
        self.assertTrue(all(n.startswith("model.layers.") for n in differ), differ)


if __name__ == "__main__":
    unittest.main()
