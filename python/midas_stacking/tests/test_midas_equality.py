"""Growth in torch with the bridge equals growth in Go by midas, bit for bit: `midas grow` for the
weights of every operator (and dtype), midas's grow.Apply (through midasref) for the AdamW moments."""
import dataclasses
import json
import os
import shutil
import tempfile
import unittest

import torch

from midas_stacking import checkpoint as ck, grow, load_plan, make_growth
from midas_stacking import safetensors_io as st
from midas_stacking.optim import adamw

from ._util import bits, midas_run, run, tool

# (label, make_growth arguments, `midas grow` flags) on the 2-layer tiny checkpoint.
CASES = [
    ("midas b1", ("midas", 2, 1), ["--op", "midas", "--block", "1"]),
    ("midas b2", ("midas", 2, 2), ["--op", "midas", "--block", "2"]),
    ("gradstack", ("gradstack", 2, 1), ["--op", "gradstack", "--block", "1"]),
    ("double b1", ("double", 2, 1), ["--op", "double", "--block", "1"]),
    ("double b2", ("double", 2, 2), ["--op", "double", "--block", "2"]),
    ("map", ("map", 2, 1, [0, 1, 1, 0, 1]), ["--map", "0,1,1,0,1"]),
    ("map drop", ("map", 2, 1, [1, 1, 1]), ["--map", "1,1,1"]),
]


class Equality(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="midas-bridge-eq-")
        cls.run_dir = midas_run(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def assert_same(self, got, want, what):
        self.assertEqual(sorted(got), sorted(want), what)
        for n in want:
            self.assertEqual(got[n].dtype, want[n].dtype, f"{what}: {n}")
            self.assertEqual(tuple(got[n].shape), tuple(want[n].shape), f"{what}: {n}")
            self.assertTrue(torch.equal(bits(got[n]), bits(want[n])), f"{what}: {n} differs")

    def grow_both(self, src_dir, case, identity):
        label, args, flags = case
        g = dataclasses.replace(make_growth(*args), identity=identity)
        out = os.path.join(self.tmp, f"go-{label.replace(' ', '-')}-{identity}-{os.path.basename(src_dir)}")
        run(tool("midas"), "grow", *flags, *(["--identity"] if identity else []), "--force", src_dir, out)
        model, _ = ck.load_model(src_dir)
        grow(model, None, g)
        return g, model, out

    def test_weights_equal_midas_grow(self):
        for case in CASES:
            for identity in (False, True):
                with self.subTest(case[0], identity=identity):
                    g, model, out = self.grow_both(self.run_dir, case, identity)
                    self.assert_same(ck.model_tensors(model), st.load_file(os.path.join(out, ck.MODEL)), case[0])
                    cfg = ck.read_config(out)
                    self.assertEqual(cfg["num_hidden_layers"], g.to)
                    self.assertEqual(cfg["growth_history"][-1], g.to_json())
                    self.assertEqual(model.config.growth_history[-1], g.to_json())

    def test_weights_equal_midas_grow_bf16_f16(self):
        """midas grow keeps a checkpoint's dtype; so does the bridge, with the same bits."""
        for dtype, name in ((torch.bfloat16, "bfloat16"), (torch.float16, "float16")):
            d = os.path.join(self.tmp, f"ckpt-{name}")
            os.makedirs(d, exist_ok=True)
            tensors = {k: v.to(dtype) for k, v in st.load_file(os.path.join(self.run_dir, ck.MODEL)).items()}
            st.save_file(tensors, os.path.join(d, ck.MODEL))
            cfg = dict(ck.read_config(self.run_dir), torch_dtype=name)
            with open(os.path.join(d, ck.CONFIG), "w") as f:
                json.dump(cfg, f)
            for case in (CASES[0], CASES[4], CASES[5]):
                with self.subTest(name, case=case[0]):
                    g, model, out = self.grow_both(d, case, True)
                    self.assertEqual(next(model.parameters()).dtype, dtype)
                    self.assert_same(ck.model_tensors(model), st.load_file(os.path.join(out, ck.MODEL)), f"{name} {case[0]}")

    def grown_state(self, g, step=4):
        model, _ = ck.load_model(self.run_dir)
        opt = adamw(model)
        ck.load_optimizer_state(self.run_dir, model, opt, step)
        grow(model, opt, g)
        return model, opt

    def test_moments_equal_midas_apply(self):
        for case in CASES:
            for identity in (False, True):
                for zero in (False, True):
                    g = dataclasses.replace(make_growth(*case[1]), identity=identity, zero_optim=zero)
                    with self.subTest(case[0], identity=identity, zero_optim=zero):
                        rec = os.path.join(self.tmp, "record.json")
                        with open(rec, "w") as f:
                            json.dump(g.to_json(), f)
                        out = os.path.join(self.tmp, "ref")
                        run(tool("midasref"), "grow", rec, self.run_dir, out)
                        model, opt = self.grown_state(g)
                        self.assert_same(ck.model_tensors(model), st.load_file(os.path.join(out, ck.MODEL)), "weights")
                        self.assert_same(ck.optimizer_tensors(model, opt), st.load_file(os.path.join(out, ck.OPTIMIZER)), "moments")
                        for p in model.parameters():
                            self.assertEqual(opt.state[p]["step"].item(), 4.0)

    def test_plan_growth_of_a_growing_run(self):
        """A `midas train --growth midas` run stopped at a stage boundary, grown by its plan's record."""
        midas = tool("midas")
        d = os.path.join(self.tmp, "growing")
        run(midas, "train", "--preset", "tiny", "--layers", 4, "--growth", "midas", "--block", 1, "--steps", 12, "--stop-at", 4,
            "--synthetic-bytes", 65536, "--threads", 1, "--eval-n", 0, "--eval-every", 0, "--out", d)
        plan_path = os.path.join(self.tmp, "plan.json")
        with open(plan_path, "w") as f:
            f.write(run(midas, "plan", "--layers", 4, "--block", 1, "--steps", 12, "--dim", 64, "--heads", 2, "--ffn", 172,
                        "--vocab", 512, "--seq", 64, "--json").stdout)
        plan = load_plan(plan_path)
        g = plan.growth_at(4)
        model, cfg = ck.load_model(d)
        plan.check_model(cfg)
        self.assertEqual(len(model.model.layers), g.from_)
        opt = adamw(model)
        ck.load_optimizer_state(d, model, opt, 4)
        grow(model, opt, plan.stages[2], step=4)
        rec = os.path.join(self.tmp, "stage3.json")
        with open(rec, "w") as f:
            json.dump(g.to_json(), f)
        out = os.path.join(self.tmp, "ref-stage3")
        run(tool("midasref"), "grow", rec, d, out)
        self.assert_same(ck.model_tensors(model), st.load_file(os.path.join(out, ck.MODEL)), "weights")
        self.assert_same(ck.optimizer_tensors(model, opt), st.load_file(os.path.join(out, ck.OPTIMIZER)), "moments")
        # The run's own history (stage 2's growth, made by midas) is the plan's record.
        self.assertEqual(cfg["growth_history"], [plan.stages[1].grow.to_json()])


if __name__ == "__main__":
    unittest.main()
