import copy
import json
import os
import unittest

from midas_stacking import Growth, PlanError, load_plan, make_growth, parse_plan

from ._util import TempDir, run, tool

# `midas plan --layers 4 --block 1 --steps 12 --dim 64 --heads 2 --ffn 172 --vocab 512 --seq 64 --json`
PLAN = {
    "format": 1, "op": "midas", "block": 1, "schedule": "prop-1", "steps": 12, "tokens_per_step": 512,
    "model": {"vocab_size": 512, "dim": 64, "layers": 4, "heads": 2, "ffn": 172, "seq": 64, "rope_theta": 10000,
              "norm_eps": 0.00001, "tied_embeddings": False},
    "stages": [
        {"stage": 1, "layers": 1, "first_step": 0, "end_step": 1, "steps": 1, "flops": 278200320, "cum_flops": 278200320},
        {"stage": 2, "layers": 2, "first_step": 1, "end_step": 4, "steps": 3, "flops": 1366622208, "cum_flops": 1644822528,
         "grow": {"stage": 2, "step": 1, "op": "midas", "block": 1, "from": 1, "to": 2, "src": [0, 0], "copy": [False, True],
                  "identity": False, "zero_optim": False}},
        {"stage": 3, "layers": 3, "first_step": 4, "end_step": 7, "steps": 3, "flops": 1898643456, "cum_flops": 3543465984,
         "grow": {"stage": 3, "step": 4, "op": "midas", "block": 1, "from": 2, "to": 3, "src": [0, 0, 1],
                  "copy": [False, True, False], "identity": False, "zero_optim": False}},
        {"stage": 4, "layers": 4, "first_step": 7, "end_step": 12, "steps": 5, "flops": 4051107840, "cum_flops": 7594573824,
         "grow": {"stage": 4, "step": 7, "op": "midas", "block": 1, "from": 3, "to": 4, "src": [0, 1, 1, 2],
                  "copy": [False, False, True, False], "identity": False, "zero_optim": False}}],
    "total_flops": 7594573824, "baseline_flops": 9722658816, "speedup": 1.280211245728487, "layer_speedup": 1.3333333333333333}


class TestPlan(TempDir):
    def test_reads_stages(self):
        p = parse_plan(json.dumps(PLAN))
        self.assertEqual([s.layers for s in p.stages], [1, 2, 3, 4])
        self.assertEqual(p.rows_per_step, 8)
        self.assertIsNone(p.growth_at(0))
        self.assertIsNone(p.growth_at(2))
        self.assertEqual(p.growth_at(4).src, (0, 0, 1))
        self.assertEqual(p.stage_at(3).stage, 2)
        self.assertEqual(p.stage_at(4).stage, 3)
        self.assertEqual(p.stage_at(11).stage, 4)
        self.assertEqual(str(p.growth_at(7)), "midas b=1: 0 1 [1] 2")
        # A record written back is the JSON it was read from.
        self.assertEqual(p.growth_at(7).to_json(), PLAN["stages"][3]["grow"])

    def test_midas_plan_json(self):
        """The plans `midas plan --json` prints for every operator are accepted."""
        midas = tool("midas")
        for op, layers, block in (("midas", 6, 2), ("gradstack", 4, 1), ("double", 8, 2), ("none", 4, 1)):
            out = run(midas, "plan", "--growth", op, "--layers", layers, "--block", block, "--steps", 40, "--json").stdout
            p = parse_plan(out)
            self.assertEqual(p.stages[-1].layers, layers, op)
        p = parse_plan(run(midas, "plan", "--layers", 4, "--block", 1, "--steps", 40, "--identity", "--grow-optim", "zero", "--json").stdout)
        self.assertTrue(all(s.grow.identity and s.grow.zero_optim for s in p.stages[1:]))

    def test_refusals(self):
        cases = []
        def case(name, mutate, want):
            d = copy.deepcopy(PLAN)
            mutate(d)
            cases.append((name, d, want))
        case("format", lambda d: d.update(format=2), "plan JSON has format 2, want 1")
        case("unknown key", lambda d: d.update(extra=1), 'unknown key "extra"')
        case("unknown growth key", lambda d: d["stages"][1]["grow"].update(x=1), 'unknown key "x"')
        case("gap", lambda d: d["stages"][2].update(first_step=5), "stage 3: steps [5, 7) (3), want a non-empty range from 4")
        case("wrong src", lambda d: d["stages"][2]["grow"].update(src=[0, 1, 1]), "has sources [0, 1, 1], want [0, 0, 1]")
        case("wrong copy", lambda d: d["stages"][1]["grow"].update(copy=[True, False]), "copy flags [True, False], want [False, True]")
        case("step", lambda d: d["stages"][3]["grow"].update(step=6), "growth at stage 4, step 6 from 3 to 4 layers, want stage 4, step 7")
        case("growth in stage 1", lambda d: d["stages"][0].update(grow=d["stages"][1]["grow"]), "the first stage has a growth")
        case("no growth", lambda d: d["stages"][1].pop("grow"), "stage 2: no growth")
        case("end", lambda d: d.update(steps=13), "the stages end at step 12 with 4 layers, want 13 and 4")
        case("to", lambda d: d["stages"][1]["grow"].update(to=3), "has to 3 but 2 source layers")
        for name, d, want in cases:
            with self.subTest(name), self.assertRaises(PlanError) as e:
                parse_plan(json.dumps(d))
            self.assertIn(want, str(e.exception), name)
        with self.assertRaises(PlanError) as e:
            parse_plan("{")
        self.assertIn("plan JSON", str(e.exception))

    def test_load_plan_names_file(self):
        path = self.path("plan.json")
        with open(path, "w") as f:
            json.dump(dict(PLAN, format=7), f)
        with self.assertRaises(PlanError) as e:
            load_plan(path)
        self.assertIn(f"plan {path}: plan JSON has format 7, want 1", str(e.exception))
        with self.assertRaises(PlanError) as e:
            load_plan(self.path("missing.json"))
        self.assertIn("No such file", str(e.exception))

    def test_check_model(self):
        p = parse_plan(json.dumps(PLAN))
        cfg = {"vocab_size": 512, "hidden_size": 64, "num_attention_heads": 2, "intermediate_size": 172, "rope_theta": 10000.0,
               "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "max_position_embeddings": 64, "num_hidden_layers": 3}
        p.check_model(cfg)
        with self.assertRaises(PlanError) as e:
            p.check_model(dict(cfg, hidden_size=32, vocab_size=500))
        self.assertIn("vocab_size 500 (plan: vocab_size 512); hidden_size 32 (plan: dim 64)", str(e.exception))


class TestOperators(unittest.TestCase):
    def test_spec_midas_example(self):
        """SPEC §2: 6 stages of MIDAS give blocks created in stages 1,3,5,6,4,2 (bottom to top)."""
        created = [1]
        for stage in range(2, 7):
            g = make_growth("midas", len(created), 1)
            created = [stage if c else created[s] for s, c in zip(g.src, g.copy)]
        self.assertEqual(created, [1, 3, 5, 6, 4, 2])

    def test_operators(self):
        # Tables from SPEC §2 with n = 3 blocks of 2 layers.
        self.assertEqual(make_growth("midas", 6, 2).src, (0, 1, 2, 3, 2, 3, 4, 5))
        self.assertEqual(make_growth("gradstack", 6, 2).src, (0, 1, 2, 3, 4, 5, 4, 5))
        self.assertEqual(make_growth("double", 4, 2).src, (0, 1, 2, 3, 0, 1, 2, 3))
        self.assertEqual(make_growth("double", 4, 2).copy, (False,) * 4 + (True,) * 4)
        m = make_growth("map", 4, src=[0, 1, 1, 2, 3, 2])
        self.assertEqual(m.copy, (False, False, True, False, False, True))
        self.assertEqual(str(m), "map: 0 1 [1] 2 3 [2]")
        with self.assertRaises(PlanError):
            make_growth("midas", 5, 2)
        with self.assertRaises(PlanError):
            make_growth("map", 2, src=[0, 2])
        with self.assertRaises(PlanError):
            make_growth("stack", 2)

    def test_json_round_trip(self):
        g = Growth.from_json({"op": "midas", "block": 1, "from": 2, "to": 3, "src": [0, 0, 1], "copy": [False, True, False],
                              "identity": True})
        self.assertEqual(g.to_json(), {"op": "midas", "block": 1, "from": 2, "to": 3, "src": [0, 0, 1],
                                       "copy": [False, True, False], "identity": True})
        g.validate()


if __name__ == "__main__":
    unittest.main()
