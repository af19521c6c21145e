#!/usr/bin/env python3
"""Checks a midas checkpoint in the real Hugging Face transformers.

    python3 tools/hf_check.py --ckpt DIR [--midas "go run ./cmd/midas"] [--tokens 24]

Loads DIR with transformers.AutoTokenizer and transformers.LlamaForCausalLM (float32, CPU or the
first GPU) and compares, on a few texts, with what midas itself computes on the same checkpoint:

1. token ids: AutoTokenizer's encoding equals `midas tokenize`;
2. loss: the mean next-token loss of `<|endoftext|>` + text equals `midas score` (to 2e-5, float32);
3. greedy text: `model.generate(do_sample=False)` from a prompt equals `midas sample --temperature 0`.

Prints one line per check and "OK" at the end; exits 1 with the first difference otherwise. Needs torch
and transformers; exits 2 when transformers is not installed (the script test then skips).
"""
import argparse
import json
import shlex
import subprocess
import sys
import tempfile

TEXTS = [
    "The old house stood on a hill above the river, and in the evenings the lamps were lit.",
    "func main() {\n\tfmt.Println(\"hello, world\")\n}\n",
    "Numbers: 3.14159, 2718, and 42 -- spaced   out\twith tabs.",
]
PROMPTS = ["The old house", "func main() {\n"]


def midas(cmd, *args):
    r = subprocess.run(shlex.split(cmd) + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"hf_check: midas {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True, help="midas (or any HF Llama) checkpoint directory with a tokenizer")
    ap.add_argument("--midas", default="midas", help="how to run midas (a command line)")
    ap.add_argument("--tokens", type=int, default=24, help="tokens generated per prompt")
    a = ap.parse_args()
    try:
        import torch
        import transformers
    except ImportError as e:
        print(f"hf_check: {e}: transformers and torch are needed", file=sys.stderr)
        sys.exit(2)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    tk = transformers.AutoTokenizer.from_pretrained(a.ckpt)
    model = transformers.LlamaForCausalLM.from_pretrained(a.ckpt, torch_dtype=torch.float32).to(dev).eval()
    print(f"transformers {transformers.__version__}, torch {torch.__version__} on {dev}: "
          f"{type(tk).__name__}, {type(model).__name__} with {model.config.num_hidden_layers} layers")
    eot = tk.bos_token_id
    for text in TEXTS:
        want = json.loads(midas(a.midas, "tokenize", "--ckpt", a.ckpt, "--text", text))
        got = tk.encode(text, add_special_tokens=False)
        if got != want:
            fail(f"ids of {text!r}: transformers {got}, midas {want}")
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump([[eot] + want], f)
            f.flush()
            out = midas(a.midas, "score", "--ckpt", a.ckpt, "--tokens", f.name)
        ml = float(out.split()[1])
        ids = torch.tensor([[eot] + want], device=dev)
        with torch.no_grad():
            hl = model(input_ids=ids, labels=ids).loss.item()
        if abs(hl - ml) > 2e-5:
            fail(f"loss of {text!r}: transformers {hl:.7f}, midas {ml:.6f}")
        print(f"ids: {len(want)} the same; loss transformers {hl:.7f}, midas {ml:.6f} (|diff| {abs(hl - ml):.1e})")
    for p in PROMPTS:
        want = midas(a.midas, "sample", "--ckpt", a.ckpt, "--prompt", p, "--tokens", str(a.tokens),
                     "--temperature", "0").rstrip("\n")
        ids = torch.tensor([[eot] + tk.encode(p, add_special_tokens=False)], device=dev)
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=a.tokens, do_sample=False, eos_token_id=eot, pad_token_id=eot)
        got = tk.decode(out[0][1:], skip_special_tokens=True)
        if got.rstrip("\n") != want:
            fail(f"greedy text from {p!r}: transformers {got!r}, midas {want!r}")
        print(f"greedy {a.tokens} tokens from {p!r}: the same text")
    print("OK")


if __name__ == "__main__":
    main()
