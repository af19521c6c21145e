"""Token data and midas's batch order, so that a torch run sees exactly the batches midas would.

Tokens come as midas writes them: a JSON array of ints (a list of such arrays is concatenated), or a
folder of such .json files, read in sorted path order and concatenated. With the ``tokenizers`` package
installed, .txt files are encoded with a tokenizer.json.

:class:`MidasLoader` is midas's data.Loader: window i is tokens[i*seq : i*seq+seq+1] for i in
[0, (len-1)//seq); each epoch visits every window once in a Fisher–Yates order drawn from
splitmix64(Mix(seed, epoch)) (internal/splitmix), so the same tokens, seq and seed give midas's batches.
"""
import json
import os

import torch

_M = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


def mix(a, *bs):
    for b in bs:
        a = mix64((a * GOLDEN + mix64((b + GOLDEN) & _M)) & _M)
    return a


class SplitMix:
    """midas's splitmix.Source: New(seed), Next, Intn (Lemire's bounded draw), Shuffle."""

    def __init__(self, seed):
        self.s = mix64(seed & _M)

    def next(self):
        self.s = (self.s + GOLDEN) & _M
        return mix64(self.s)

    def intn(self, n):
        prod = self.next() * n
        hi, lo = prod >> 64, prod & _M
        if lo < n:
            thresh = ((1 << 64) - n) % n
            while lo < thresh:
                prod = self.next() * n
                hi, lo = prod >> 64, prod & _M
        return hi

    def shuffle(self, xs):
        for i in range(len(xs) - 1, 0, -1):
            j = self.intn(i + 1)
            xs[i], xs[j] = xs[j], xs[i]


class DataError(ValueError):
    pass


def _read_json_tokens(path):
    try:
        with open(path) as f:
            v = json.load(f)
    except ValueError as e:
        raise DataError(f"midas_stacking: {path}: not JSON: {e}") from None
    if isinstance(v, list) and v and all(isinstance(x, list) for x in v):
        v = [t for x in v for t in x]
    if not isinstance(v, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in v):
        raise DataError(f"midas_stacking: {path}: not a JSON array of token ids")
    return v


def _read_text_tokens(path, tokenizer):
    if tokenizer is None:
        raise DataError(f"midas_stacking: {path}: text needs a tokenizer.json and the tokenizers package "
                        "(or give token ids as JSON)")
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise DataError(f"midas_stacking: {path}: text needs the tokenizers package (or give token ids as JSON)") from None
    with open(path, encoding="utf-8") as f:
        return Tokenizer.from_file(tokenizer).encode(f.read()).ids


def read_tokens(path, vocab_size=None, tokenizer=None):
    """All token ids of ``path`` (a .json file, a .txt file with a tokenizer, or a folder of them) as a
    1-D int64 tensor; ids outside [0, vocab_size) are an error naming the file."""
    if os.path.isdir(path):
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith((".json", ".txt")))
        if not files:
            raise DataError(f"midas_stacking: {path}: no .json (or .txt) files")
    elif os.path.isfile(path):
        files = [path]
    else:
        raise DataError(f"midas_stacking: {path}: no such file or folder")
    out = []
    for f in files:
        ids = _read_text_tokens(f, tokenizer) if f.endswith(".txt") else _read_json_tokens(f)
        if vocab_size is not None:
            bad = [t for t in ids if not 0 <= t < vocab_size]
            if bad:
                raise DataError(f"midas_stacking: {f}: token id {bad[0]} is outside the vocabulary [0, {vocab_size})")
        out.extend(ids)
    return torch.tensor(out, dtype=torch.int64)


class MidasLoader:
    """Batches of windows [rows, seq+1] in midas's order; ``position`` / ``seek`` as midas's
    data.Position {epoch, index} (windows consumed in the epoch)."""

    def __init__(self, tokens, seq, seed, min_windows=1):
        self.tokens = tokens if torch.is_tensor(tokens) else torch.tensor(tokens, dtype=torch.int64)
        self.seq, self.seed = seq, seed
        n = (len(self.tokens) - 1) // seq if len(self.tokens) else 0
        if n < min_windows:
            raise DataError(f"midas_stacking: {len(self.tokens)} tokens make {n} windows of {seq}+1 tokens, "
                            f"fewer than the {min_windows} sequences of a step")
        self.windows = n
        self.epoch, self.index = 0, 0
        self._permute()

    def _permute(self):
        self.perm = list(range(self.windows))
        SplitMix(mix(self.seed, self.epoch)).shuffle(self.perm)

    def next(self, rows):
        """The next ``rows`` windows as an int64 tensor [rows, seq+1], into the next epoch when needed."""
        w = self.seq + 1
        out = torch.empty(rows, w, dtype=torch.int64)
        for b in range(rows):
            if self.index == self.windows:
                self.epoch, self.index = self.epoch + 1, 0
                self._permute()
            start = self.perm[self.index] * self.seq
            out[b] = self.tokens[start:start + w]
            self.index += 1
        return out

    def position(self):
        return {"epoch": self.epoch, "index": self.index}

    def seek(self, pos):
        e, i = pos.get("epoch", 0), pos.get("index", 0)
        if e < 0 or not 0 <= i <= self.windows:
            raise DataError(f"midas_stacking: loader position {pos} out of range ({self.windows} windows per epoch)")
        if e != self.epoch:
            self.epoch = e
            self._permute()
        self.index = i
