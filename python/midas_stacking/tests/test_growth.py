import dataclasses
import unittest

import torch
from torch import nn

from midas_stacking import GrowthError, grow, make_growth
from midas_stacking.optim import adamw

from ._util import bits, tiny_model


def train_steps(model, opt, n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    for _ in range(n):
        x = torch.randint(0, model.config.vocab_size, (2, 9), generator=g)
        loss = nn.functional.cross_entropy(model(x[:, :-1]).logits.reshape(-1, model.config.vocab_size), x[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad()


def snapshot(model, opt):
    names = {p: n for n, p in model.named_parameters()}
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    state = {names[p]: {k: v.clone() for k, v in s.items()} for p, s in opt.state.items()}
    groups = [sorted(names[p] for p in g["params"]) for g in opt.param_groups]
    return params, state, groups


class TestGrow(unittest.TestCase):
    def setUp(self):
        self.model = tiny_model(layers=3)
        self.opt = adamw(self.model)
        train_steps(self.model, self.opt)

    def check(self, g):
        """Every new layer's tensors and AdamW state equal its source's (bitwise), as midas's grow.Apply does."""
        p0, s0, _ = snapshot(self.model, self.opt)
        names_before = [n for n, _ in self.model.model.layers[0].named_parameters()]
        grow(self.model, self.opt, g)
        p1, s1, groups = snapshot(self.model, self.opt)
        self.assertEqual(len(self.model.model.layers), g.to)
        self.assertEqual(self.model.config.num_hidden_layers, g.to)
        self.assertEqual(self.model.config.growth_history[-1], g.to_json())
        for n in ("model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"):
            self.assertTrue(torch.equal(bits(p0[n]), bits(p1[n])), n)
        for i, s in enumerate(g.src):
            for suf in names_before:
                new, src = f"model.layers.{i}.{suf}", f"model.layers.{s}.{suf}"
                zeroed = g.copy[i] and g.identity and suf in ("self_attn.o_proj.weight", "mlp.down_proj.weight")
                want = torch.zeros_like(p0[src]) if zeroed else p0[src]
                self.assertTrue(torch.equal(bits(p1[new]), bits(want)), new)
                for k in ("exp_avg", "exp_avg_sq"):
                    want = torch.zeros_like(s0[src][k]) if g.copy[i] and g.zero_optim else s0[src][k]
                    self.assertTrue(torch.equal(bits(s1[new][k]), bits(want)), f"{new} {k}")
                self.assertEqual(s1[new]["step"].item(), s0[src]["step"].item())  # the global step, as midas counts it
        decay, no = groups
        for n in p1:
            self.assertIn(n, decay if (p1[n].ndim == 2 and "embed" not in n) else no, n)
        self.assertEqual(len(decay) + len(no), len(p1))
        # The grown model trains.
        train_steps(self.model, self.opt, 1, seed=1)

    def test_operators(self):
        for g in (make_growth("midas", 3, 1), make_growth("gradstack", 3, 1), make_growth("double", 3, 3),
                  make_growth("map", 3, src=[0, 1, 1, 2, 0])):
            for identity in (False, True):
                for zero in (False, True):
                    with self.subTest(op=g.op, identity=identity, zero=zero):
                        self.setUp()
                        self.check(dataclasses.replace(g, identity=identity, zero_optim=zero))

    def test_map_drops_layers(self):
        before = {id(p) for p in self.model.model.layers[1].parameters()}
        grow(self.model, self.opt, make_growth("map", 3, src=[0, 2, 2]))
        left = {id(p) for g in self.opt.param_groups for p in g["params"]} | {id(p) for p in self.opt.state}
        self.assertFalse(before & left)
        self.assertEqual(sum(len(g["params"]) for g in self.opt.param_groups), len(list(self.model.parameters())))

    def test_originals_are_kept(self):
        """Non-copies are the same module objects (so the optimizer's references stay valid)."""
        old = list(self.model.model.layers)
        layers = self.model.model.layers
        grow(self.model, self.opt, make_growth("midas", 3, 1))
        self.assertIs(self.model.model.layers, layers)
        self.assertIs(layers[0], old[0])
        self.assertIs(layers[1], old[1])
        self.assertIsNot(layers[2], old[1])
        self.assertIs(layers[3], old[2])
        self.assertEqual([l.self_attn.layer_idx for l in layers], [0, 1, 2, 3])

    def test_identity_preserves_function(self):
        x = torch.randint(0, 97, (2, 12))
        with torch.no_grad():
            before = self.model(x).logits
        for g in (make_growth("midas", 3, 1), make_growth("double", 4, 1)):
            grow(self.model, self.opt, dataclasses.replace(g, identity=True))
        with torch.no_grad():
            after = self.model(x).logits
        self.assertTrue(torch.equal(before, after))

    def test_errors_change_nothing(self):
        p0, s0, g0 = snapshot(self.model, self.opt)
        for bad, want in ((make_growth("midas", 2, 1), "is for 2 layers, the model has 3"),
                          (dataclasses.replace(make_growth("midas", 3, 1), src=(0, 1, 2, 2)), "has sources"),
                          (dataclasses.replace(make_growth("midas", 3, 1), stage=2, step=5), "due at step 5, not at step 4")):
            with self.subTest(want), self.assertRaises(GrowthError) as e:
                grow(self.model, self.opt, bad, step=4)
            self.assertIn(want, str(e.exception))
        p1, s1, g1 = snapshot(self.model, self.opt)
        self.assertEqual(p0.keys(), p1.keys())
        self.assertEqual(g0, g1)
        self.assertEqual(len(self.model.model.layers), 3)

    def test_wrapped_refused(self):
        class DistributedDataParallel(nn.Module):  # stands in for torch's wrapper (same class name)
            def __init__(self, m):
                super().__init__()
                self.module = m
        with self.assertRaises(GrowthError) as e:
            grow(DistributedDataParallel(self.model), self.opt, make_growth("midas", 3, 1))
        self.assertIn("unwrap", str(e.exception))

    def test_module_list_and_dtypes(self):
        for dtype in (torch.bfloat16, torch.float16, torch.float64):
            with self.subTest(dtype=dtype):
                layers = tiny_model(layers=2).model.layers.to(dtype)
                opt = torch.optim.AdamW(layers.parameters())
                cfg = {"num_hidden_layers": 2}
                ref = [p.detach().clone() for p in layers[1].parameters()]
                grow(layers, opt, make_growth("gradstack", 2, 1), config=cfg)
                self.assertEqual(len(layers), 3)
                self.assertEqual(cfg["num_hidden_layers"], 3)
                self.assertEqual(len(cfg["growth_history"]), 1)
                for a, b in zip(layers[2].parameters(), ref):
                    self.assertEqual(a.dtype, dtype)
                    self.assertTrue(torch.equal(bits(a), bits(b)))
                self.assertEqual(len(opt.param_groups[0]["params"]), len(list(layers.parameters())))

    def test_tied_and_history(self):
        m = tiny_model(layers=2, tie_word_embeddings=True)
        opt = adamw(m)
        grow(m, opt, make_growth("midas", 2, 1))
        grow(m, opt, make_growth("midas", 3, 1))
        self.assertIs(m.lm_head.weight, m.model.embed_tokens.weight)
        self.assertEqual([h["to"] for h in m.config.growth_history], [3, 4])

    @unittest.skipUnless(torch.cuda.is_available(), "no CUDA device")
    def test_cuda(self):
        m = tiny_model(layers=3).cuda()
        opt = adamw(m)
        train_steps_cuda(m, opt)
        ref = [p.detach().clone() for p in m.model.layers[1].parameters()]
        refm = [opt.state[p]["exp_avg"].clone() for p in m.model.layers[1].parameters()]
        grow(m, opt, make_growth("midas", 3, 1))
        for a, b, mb in zip(m.model.layers[2].parameters(), ref, refm):
            self.assertTrue(a.is_cuda and torch.equal(bits(a), bits(b)))
            self.assertTrue(torch.equal(bits(opt.state[a]["exp_avg"]), bits(mb)))
        train_steps_cuda(m, opt)


def train_steps_cuda(model, opt):
    x = torch.randint(0, model.config.vocab_size, (2, 9), device="cuda")
    loss = nn.functional.cross_entropy(model(x[:, :-1]).logits.reshape(-1, model.config.vocab_size), x[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    opt.zero_grad()


if __name__ == "__main__":
    unittest.main()
