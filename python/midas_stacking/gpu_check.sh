#!/usr/bin/env bash
# The bridge's check on one CUDA GPU. From the repository root, on a machine with CUDA PyTorch:
#
#     bash python/midas_stacking/gpu_check.sh [OUT_DIR]        # PYTHON=... to pick the interpreter
#
# It runs the package's tests (growth on CUDA included; the tests that need the midas binary skip), then
# gpu_check.py: CUDA growth equals CPU growth bit for bit (f32, bf16, AdamW state), FSDP growth (torch
# >= 2.0, NCCL), baseline vs MIDAS with train_stacked.py under torchrun with NCCL on a ~100M-parameter
# Llama for 300 steps each (tokens/s, MFU, loss curves, measured vs analytic speedup), and the
# checkpoints loaded by the real transformers.LlamaForCausalLM when it is installed. Every check
# fails loudly; the last line is "gpu_check: OK (...)". Budget: under 5 minutes on an H100/H200.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
OUT=${1:-$(mktemp -d /tmp/gpu_check.XXXXXX)}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
start=$SECONDS

echo "== $("$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available() and torch.cuda.get_device_name(0))')"
echo "== growth on CUDA (unit test)"
timeout 60 "$PY" -m unittest -v midas_stacking.tests.test_growth.TestGrow.test_cuda > "$OUT/cuda_test.log" 2>&1 || true
tail -3 "$OUT/cuda_test.log"
grep -q '^test_cuda .* ok$' "$OUT/cuda_test.log" || { echo "gpu_check: FAILED: the CUDA growth test did not run and pass ($OUT/cuda_test.log)"; exit 1; }
echo "== the package's tests"
timeout 120 "$PY" -m unittest discover -s python/midas_stacking/tests -t python 2>&1 | tail -4
echo "== gpu_check.py"
timeout 240 "$PY" python/midas_stacking/gpu_check.py "$OUT" > "$OUT/gpu_check.log" 2>&1 || true
grep -v '^\[default0\]:step ' "$OUT/gpu_check.log" | tail -40
grep -q '^gpu_check: OK' "$OUT/gpu_check.log" || { echo "gpu_check: FAILED (see $OUT/gpu_check.log)"; exit 1; }
echo "gpu_check.sh: done in $((SECONDS - start)) s; output in $OUT"
