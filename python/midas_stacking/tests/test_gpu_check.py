"""gpu_check.py stays runnable: its pipeline on the CPU with tiny plans, and its plan files are what
`midas plan` prints today."""
import json
import os
import sys

from ._util import PKG, TempDir, run, tool

DATA = os.path.join(PKG, "tests", "data")
# The flags each plan file was made with (`midas plan ... --json`).
PLANS = {
    "gpu-none.json": ["--growth", "none", "--layers", 12, "--block", 2, "--steps", 300, "--dim", 768, "--heads", 12, "--ffn", 2048,
                      "--vocab", 8192, "--seq", 512, "--batch", 16],
    "gpu-midas.json": ["--growth", "midas", "--layers", 12, "--block", 2, "--steps", 300, "--dim", 768, "--heads", 12, "--ffn", 2048,
                       "--vocab", 8192, "--seq", 512, "--batch", 16],
    "smoke-none.json": ["--growth", "none", "--layers", 4, "--block", 1, "--steps", 60, "--dim", 64, "--heads", 2, "--ffn", 172,
                        "--vocab", 512, "--seq", 64, "--batch", 8],
    "smoke-midas.json": ["--growth", "midas", "--layers", 4, "--block", 1, "--steps", 60, "--dim", 64, "--heads", 2, "--ffn", 172,
                         "--vocab", 512, "--seq", 64, "--batch", 8],
}


class TestGPUCheck(TempDir):
    def test_smoke(self):
        p = run(sys.executable, os.path.join(PKG, "gpu_check.py"), self.tmp, env={"GPU_CHECK_SMOKE": "1"})
        self.assertIn("gpu_check: OK", p.stdout)
        self.assertIn("MIDAS speedup: measured", p.stdout)

    def test_plans_are_current(self):
        midas = tool("midas")
        for name, flags in PLANS.items():
            with self.subTest(name):
                want = json.loads(run(midas, "plan", *flags, "--json").stdout)
                with open(os.path.join(DATA, name)) as f:
                    self.assertEqual(json.load(f), want, f"regenerate {name} with `midas plan` and the flags in this test")
