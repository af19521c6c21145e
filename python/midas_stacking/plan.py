"""midas plan JSON (format 1) and growth records, read and checked as midas reads them.

A plan is what ``midas plan --json`` prints (the repository README, "Plan JSON (format 1)", defines it
key by key; internal/grow/planjson.go writes and checks it). Steps are 0-based: stage s trains steps
[first_step, end_step) with ``layers`` layers, and every stage but the first starts with a growth
record applied to the model and to both AdamW moments before its first step.

A growth record (:class:`Growth`) is the one schema midas writes into plans, trainer_state.json and
config.json's growth_history: ``src[i]`` is the old layer copied into new layer ``i`` (0-based),
``copy[i]`` marks the fresh copies, ``identity`` zeroes the copies' o_proj and down_proj,
``zero_optim`` gives the copies zero AdamW moments instead of their source's.
"""
import json
from dataclasses import dataclass, field
from typing import Optional, Tuple

PLAN_FORMAT = 1
OPS = ("double", "gradstack", "map", "midas")  # sorted, as midas lists them
_GROWTH_KEYS = ("stage", "step", "op", "block", "from", "to", "src", "copy", "identity", "zero_optim")
_STAGE_KEYS = ("stage", "layers", "first_step", "end_step", "steps", "flops", "cum_flops", "grow")
_PLAN_KEYS = ("format", "op", "block", "schedule", "steps", "tokens_per_step", "model", "stages",
              "total_flops", "baseline_flops", "speedup", "layer_speedup")
MODEL_KEYS = ("vocab_size", "dim", "layers", "heads", "ffn", "seq", "rope_theta", "norm_eps", "tied_embeddings")


class PlanError(ValueError):
    """A plan or growth record that midas would refuse, or one that does not fit a model."""


def _blocks(layers, block):
    if layers < 1:
        raise PlanError(f"midas_stacking: layers must be at least 1, got {layers}")
    if block < 1:
        raise PlanError(f"midas_stacking: block must be at least 1 layer, got {block}")
    if layers % block:
        raise PlanError(f"midas_stacking: {layers} layers are not divisible into blocks of {block}")
    return layers // block


def _from_blocks(op, layers, block, src_blocks, copies):
    src, cp = [], []
    for sb, c in zip(src_blocks, copies):
        for l in range(block):
            src.append(sb * block + l)
            cp.append(c)
    return Growth(op=op, block=block, from_=layers, src=tuple(src), copy=tuple(cp))


def make_growth(op, layers, block=1, src=None):
    """The growth record midas builds for ``op`` on a model of ``layers`` layers (grow.New).

    midas: f1..fm, copy(fm), fm+1..fn with m = ceil(n/2); gradstack: f1..fn, copy(fn); double: f1..fn,
    copy(f1)..copy(fn); map: the explicit source list ``src`` (block 1; the first use of an old layer is
    the original, later uses are copies). Stage and step are 0 (set them with dataclasses.replace).
    """
    if op != "map" and src:
        raise PlanError(f'midas_stacking: op "{op}" takes no layer map (only "map" does)')
    if op == "map":
        if layers < 1:
            raise PlanError(f"midas_stacking: layers must be at least 1, got {layers}")
        if not src:
            raise PlanError("midas_stacking: map is empty")
        seen, cp = set(), []
        for i, s in enumerate(src):
            if not 0 <= s < layers:
                raise PlanError(f"midas_stacking: map entry {i} is layer {s}, the model has {layers} layers")
            cp.append(s in seen)
            seen.add(s)
        return Growth(op="map", block=1, from_=layers, src=tuple(src), copy=tuple(cp))
    if op not in OPS:
        raise PlanError(f'midas_stacking: unknown op "{op}" (known: {", ".join(OPS)})')
    n = _blocks(layers, block)
    if op == "midas":
        m = (n + 1) // 2  # 1-based index of the copied block
        sb, cp = [], []
        for j in range(n):
            sb.append(j), cp.append(False)
            if j == m - 1:
                sb.append(j), cp.append(True)
        return _from_blocks(op, layers, block, sb, cp)
    if op == "gradstack":
        return _from_blocks(op, layers, block, list(range(n)) + [n - 1], [False] * n + [True])
    return _from_blocks(op, layers, block, list(range(n)) * 2, [False] * n + [True] * n)


@dataclass(frozen=True)
class Growth:
    """One growth record (midas grow.Plan). ``from_`` is the JSON key "from"; ``to`` is len(src)."""
    op: str
    block: int
    from_: int
    src: Tuple[int, ...]
    copy: Tuple[bool, ...]
    identity: bool = False
    zero_optim: bool = False
    stage: int = 0  # the stage this growth starts (0 for a one-shot surgery)
    step: int = 0   # optimizer steps done when it happens

    @property
    def to(self):
        return len(self.src)

    def validate(self):
        """Raise PlanError unless src and copy are exactly what op builds for (from, block) (grow.Plan.Validate)."""
        if self.stage < 0 or self.step < 0:
            raise PlanError(f"midas_stacking: growth has stage {self.stage} and step {self.step}, want both at least 0")
        if len(self.copy) != len(self.src):
            raise PlanError(f"midas_stacking: growth has {len(self.src)} source entries but {len(self.copy)} copy flags")
        if self.op == "map" and self.block != 1:
            raise PlanError(f"midas_stacking: map growth has block {self.block}, want 1")
        want = make_growth(self.op, self.from_, self.block, list(self.src) if self.op == "map" else None)
        if want.src != self.src:
            raise PlanError(f"midas_stacking: {self.op} growth from {self.from_} layers (block {self.block}) "
                            f"has sources {list(self.src)}, want {list(want.src)}")
        if want.copy != self.copy:
            raise PlanError(f"midas_stacking: {self.op} growth has copy flags {list(self.copy)}, want {list(want.copy)}")
        return self

    def to_json(self):
        """The record as midas writes it (keys in midas's order; stage and step omitted when 0, zero_optim
        written inside a run and whenever true)."""
        d = {}
        if self.stage:
            d["stage"] = self.stage
        if self.step:
            d["step"] = self.step
        d.update(op=self.op, block=self.block, **{"from": self.from_}, to=self.to, src=list(self.src),
                 copy=list(self.copy), identity=self.identity)
        if self.stage > 0 or self.zero_optim:
            d["zero_optim"] = self.zero_optim
        return d

    @classmethod
    def from_json(cls, d):
        """Read a record written by midas (older ones without stage, step, to or zero_optim too). An
        unknown key or a `to` other than len(src) is an error; the record is not validated."""
        if not isinstance(d, dict):
            raise PlanError(f"midas_stacking: growth record is not an object: {d!r}")
        unknown = sorted(set(d) - set(_GROWTH_KEYS))
        if unknown:
            raise PlanError(f'midas_stacking: growth record has unknown key "{unknown[0]}"')
        src, cp = d.get("src") or [], d.get("copy") or []
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in src) or not all(isinstance(c, bool) for c in cp):
            raise PlanError("midas_stacking: growth record: src must be integers and copy booleans")
        if d.get("to") is not None and d["to"] != len(src):
            raise PlanError(f"midas_stacking: growth has to {d['to']} but {len(src)} source layers")
        return cls(op=d.get("op", ""), block=d.get("block", 0), from_=d.get("from", 0), src=tuple(src),
                   copy=tuple(cp), identity=bool(d.get("identity", False)),
                   zero_optim=bool(d.get("zero_optim") or False), stage=d.get("stage", 0), step=d.get("step", 0))

    def __str__(self):
        """One line as midas prints it, e.g. ``midas b=2: 0 1 2 3 [2 3] 4 5``."""
        s = self.op + ("" if self.op == "map" else f" b={self.block}")
        s += " identity" if self.identity else ""
        s += " zero-optim" if self.zero_optim else ""
        s += ":"
        inside = False
        for i, v in enumerate(self.src):
            c = self.copy[i]
            s += " " + ("[" if c and not inside else "") + str(v)
            inside = c
            if inside and (i + 1 == len(self.src) or not self.copy[i + 1]):
                s += "]"
                inside = False
        return s


@dataclass(frozen=True)
class Stage:
    stage: int       # 1..k
    layers: int      # depth trained in this stage
    first_step: int  # inclusive
    end_step: int    # exclusive
    steps: int
    flops: float
    cum_flops: float
    grow: Optional[Growth]  # applied before first_step (None for stage 1)


@dataclass(frozen=True)
class Plan:
    format: int
    op: str
    block: int
    schedule: str
    steps: int
    tokens_per_step: int
    model: dict  # the final model: vocab_size, dim, layers, heads, ffn, seq, rope_theta, norm_eps, tied_embeddings
    stages: Tuple[Stage, ...]
    total_flops: float
    baseline_flops: float
    speedup: float
    layer_speedup: float
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def seq(self):
        return self.model["seq"]

    @property
    def rows_per_step(self):
        """Sequences per optimizer step (tokens_per_step / seq)."""
        return self.tokens_per_step // self.seq

    def stage_at(self, step):
        """The stage that trains step ``step`` (0-based), i.e. the one in force after ``step`` steps (grow.StageAt)."""
        if step < 0:
            raise PlanError(f"midas_stacking: step {step} is negative")
        for s in self.stages:
            if step < s.end_step:
                return s
        return self.stages[-1]

    def growth_at(self, step):
        """The growth applied before step ``step`` (when a stage starts there), else None."""
        s = self.stage_at(step)
        return s.grow if s.first_step == step else None

    def check_model(self, config):
        """Raise PlanError naming every size of ``config`` (a HF config object or config.json dict) that
        differs from the plan's model; the depth is not compared (it changes with the stage)."""
        get = (lambda k, d=None: config.get(k, d)) if isinstance(config, dict) else (lambda k, d=None: getattr(config, k, d))
        m = self.model
        heads = get("num_attention_heads")
        pairs = [("vocab_size", "vocab_size", get("vocab_size")), ("hidden_size", "dim", get("hidden_size")),
                 ("num_attention_heads", "heads", heads), ("intermediate_size", "ffn", get("intermediate_size")),
                 ("rope_theta", "rope_theta", get("rope_theta", 10000.0)), ("rms_norm_eps", "norm_eps", get("rms_norm_eps", 1e-6)),
                 ("tie_word_embeddings", "tied_embeddings", bool(get("tie_word_embeddings", False)))]
        bad = [f"{hk} {v} (plan: {mk} {m[mk]})" for hk, mk, v in pairs if v != m[mk]]
        maxpos = get("max_position_embeddings", 2048)
        if maxpos is not None and maxpos < m["seq"]:
            bad.append(f"max_position_embeddings {maxpos} (plan: seq {m['seq']})")
        if bad:
            raise PlanError("midas_stacking: the plan's model does not match the checkpoint: " + "; ".join(bad))


def _need(d, keys, where):
    unknown = sorted(set(d) - set(keys))
    if unknown:
        raise PlanError(f'midas_stacking: plan JSON: {where}unknown key "{unknown[0]}"')


def parse_plan(data):
    """Parse plan JSON text (or an already decoded dict) and check what a trainer relies on, as midas's
    grow.ParsePlanJSON does: format 1, no unknown key, stages numbered 1..k tiling [0, steps), no growth
    in stage 1, every later stage's growth valid, at that stage and step, from the previous stage's depth
    to its own, ending at the model's depth."""
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data)
        except ValueError as e:
            raise PlanError(f"midas_stacking: plan JSON: {e}") from None
    if not isinstance(data, dict):
        raise PlanError("midas_stacking: plan JSON is not an object")
    fmt = data.get("format")
    if fmt != PLAN_FORMAT:
        raise PlanError(f"midas_stacking: plan JSON has format {fmt}, want {PLAN_FORMAT} "
                        f"(this midas_stacking reads plan format {PLAN_FORMAT}; use the midas that wrote it, or a newer midas_stacking)")
    _need(data, _PLAN_KEYS, "")
    model = data.get("model") or {}
    _need(model, MODEL_KEYS, "model: ")
    missing = [k for k in MODEL_KEYS if k not in model]
    if missing:
        raise PlanError(f"midas_stacking: plan JSON: model has no {', '.join(missing)}")
    rows = data.get("stages") or []
    if not rows:
        raise PlanError("midas_stacking: plan JSON has no stages")
    stages, end, layers = [], 0, 0
    for i, r in enumerate(rows):
        def bad(msg):
            return PlanError(f"midas_stacking: plan JSON: stage {i + 1}: {msg}")
        if not isinstance(r, dict):
            raise bad("not an object")
        _need(r, _STAGE_KEYS, f"stage {i + 1}: ")
        st, first, e, n, ly = (r.get(k, 0) for k in ("stage", "first_step", "end_step", "steps", "layers"))
        g = Growth.from_json(r["grow"]) if r.get("grow") is not None else None
        if st != i + 1:
            raise bad(f"numbered {st}")
        if first != end or e <= first or n != e - first:
            raise bad(f"steps [{first}, {e}) ({n}), want a non-empty range from {end}")
        if ly < 1:
            raise bad(f"{ly} layers")
        if i == 0 and g is not None:
            raise bad("the first stage has a growth")
        if i > 0 and g is None:
            raise bad("no growth")
        if g is not None:
            try:
                g.validate()
            except PlanError as err:
                raise bad(str(err).removeprefix("midas_stacking: ")) from None
            if g.stage != st or g.step != first or g.from_ != layers or g.to != ly:
                raise bad(f"growth at stage {g.stage}, step {g.step} from {g.from_} to {g.to} layers, "
                          f"want stage {st}, step {first} from {layers} to {ly}")
        stages.append(Stage(st, ly, first, e, n, float(r.get("flops", 0)), float(r.get("cum_flops", 0)), g))
        end, layers = e, ly
    if end != data.get("steps") or layers != model["layers"]:
        raise PlanError(f"midas_stacking: plan JSON: the stages end at step {end} with {layers} layers, "
                        f"want {data.get('steps')} and {model['layers']}")
    tps = data.get("tokens_per_step", 0)
    if tps < model["seq"] or tps % model["seq"]:
        raise PlanError(f"midas_stacking: plan JSON: tokens_per_step {tps} is not a positive multiple of seq {model['seq']}")
    return Plan(format=fmt, op=data.get("op", ""), block=data.get("block", 0), schedule=data.get("schedule", ""),
                steps=data["steps"], tokens_per_step=tps, model=dict(model), stages=tuple(stages),
                total_flops=float(data.get("total_flops", 0)), baseline_flops=float(data.get("baseline_flops", 0)),
                speedup=float(data.get("speedup", 0)), layer_speedup=float(data.get("layer_speedup", 0)), raw=data)


def load_plan(path):
    """Read and check the plan JSON file at ``path`` (what ``midas plan --json`` prints); see parse_plan."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise PlanError(f"midas_stacking: plan {path}: {e.strerror}") from None
    try:
        return parse_plan(text)
    except PlanError as e:
        raise PlanError(f"midas_stacking: plan {path}: {str(e).removeprefix('midas_stacking: ')}") from None
