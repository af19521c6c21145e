package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"midas/internal/data"
	"midas/internal/grow"
	"midas/internal/model"
	"midas/internal/objective"
	"midas/internal/optim"
)

// Options is the resolved training configuration. It is saved into every checkpoint
// (trainer_state.json) so a run can be resumed and audited.
type Options struct {
	Model           model.Config `json:"model"`
	Batch           int          `json:"batch"`                // sequences per micro-batch
	Accum           int          `json:"accum"`                // micro-batches per optimizer step
	Steps           int          `json:"steps"`                // optimizer steps in the whole run
	LR              float64      `json:"lr"`                   // peak learning rate
	MinLR           float64      `json:"min_lr"`               // final learning rate (cosine, wsd)
	Warmup          int          `json:"warmup"`               // linear warmup steps
	LRKind          string       `json:"lr_schedule"`          // cosine | wsd | constant
	DecaySteps      int          `json:"decay_steps"`          // wsd: length of the final decay
	Beta1           float64      `json:"beta1"`                // AdamW
	Beta2           float64      `json:"beta2"`                // AdamW
	AdamEps         float64      `json:"adam_eps"`             // AdamW
	WeightDecay     float64      `json:"weight_decay"`         // decoupled, on projections and lm_head
	DecayEmbeddings bool         `json:"decay_embeddings"`     // also decay the embedding
	DecayNorms      bool         `json:"decay_norms"`          // also decay the RMSNorm scales
	Clip            float64      `json:"clip"`                 // global gradient-norm clip (0: off)
	Seed            uint64       `json:"seed"`                 // weights, data order, synthetic world
	DataSeed        uint64       `json:"data_seed,omitempty"`  // the text instead of Seed: mixture sample, validation split, synthetic world
	Threads         int          `json:"threads"`              // kernel workers (part of the determinism contract)
	Matmul          string       `json:"matmul,omitempty"`     // float32 (default, "") | bf16: GEMM operands rounded to bfloat16 (AMX)
	Recompute       bool         `json:"recompute,omitempty"`  // activation checkpointing (model.Model.Recompute): less memory, same bits
	EvalEvery       int          `json:"eval_every"`           // steps between validation losses (0: only at the end)
	EvalBatches     int          `json:"eval_batches"`         // validation batches per evaluation
	EvalTasks       int          `json:"eval_tasks"`           // held-out examples per task at each evaluation (0: loss only)
	EvalShots       int          `json:"eval_shots"`           // k of the k-shot prompts
	SaveEvery       int          `json:"save_every"`           // steps between checkpoints (0: only at the end)
	Data            []string     `json:"data"`                 // text paths, or mixture entries NAME=PATH[:WEIGHT] (data.Source); empty: the synthetic corpus
	DataBytes       int64        `json:"data_bytes,omitempty"` // training text of a mixture (0: the most at which no source repeats)
	SyntheticBytes  int          `json:"synthetic_bytes"`      // size of the synthetic training text
	TokenizerBytes  int          `json:"tokenizer_bytes"`      // text sample the BPE is trained on
	ValFrac         float64      `json:"val_frac"`             // held-out fraction of user text
	// Init is a Hugging Face Llama checkpoint directory whose architecture (Model, but for SeqLen),
	// weights and tokenizer a fresh run starts from, with a fresh optimizer; "": random weights.
	Init string `json:"init,omitempty"`
	// Tokenizer is a tokenizer.json that a fresh run uses instead of training one (with Init: instead
	// of Init's); "": train one (or Init's).
	Tokenizer string `json:"tokenizer,omitempty"`

	// The training objective (objective.NameCausal when "", or objective.NameUL2) and, for ul2, its
	// knobs (nil: objective.DefaultUL2). Validation loss and fine-tuning stay causal.
	Objective string               `json:"objective,omitempty"`
	UL2       *objective.UL2Config `json:"ul2,omitempty"`

	// Gradual stacking. Model.NumLayers is the final depth; training starts with one block.
	Growth       string `json:"growth"`        // none | midas | gradstack | double (grow.OpNone, grow.StagedOps)
	Block        int    `json:"block"`         // layers per block
	Stages       string `json:"schedule"`      // stage split: equal | prop-A | explicit:s1,s2,...
	RewarmSteps  int    `json:"rewarm_steps"`  // re-warm the learning rate over this many steps at each stage start (0: one global schedule)
	GrowOptim    string `json:"grow_optim"`    // AdamW moments of copied layers: copy | zero
	GrowIdentity bool   `json:"grow_identity"` // zero the copies' o_proj and down_proj (function-preserving growth)

	// Looped models and the similarity regulariser (SPEC §6); absent from the JSON when unused.
	// With a loop, Model.NumLayers is the depth P + K·R + Q; the model has P + K + Q physical layers.
	Loop   model.Loop `json:"loop,omitzero"`    // weight-shared depth: P untied layers, a K-layer block applied R times, Q untied
	SimReg SimReg     `json:"sim_reg,omitzero"` // −λ·R(k) added to the loss of an untied model
}

// Matmul precisions (Options.Matmul).
const (
	MatmulFloat32 = "float32"
	MatmulBF16    = "bf16"
)

// DefaultOptions are the defaults of `midas train` for a model config.
func DefaultOptions(cfg model.Config) Options {
	return Options{
		Model: cfg, Batch: 8, Accum: 1, Steps: 1000, LR: 3e-3, MinLR: 3e-4, Warmup: 100, LRKind: optim.Cosine,
		Beta1: 0.9, Beta2: 0.95, AdamEps: 1e-8, WeightDecay: 0.1, Clip: 1, Seed: 1, Threads: 0,
		EvalEvery: 100, EvalBatches: 8, EvalTasks: 32, EvalShots: 5, SaveEvery: 500, SyntheticBytes: 16 << 20, TokenizerBytes: 4 << 20, ValFrac: 0.05,
		Growth: grow.OpNone, Block: 1, Stages: "prop-1", GrowOptim: grow.OptimCopy,
	}
}

// ParseOptions decodes a JSON options file over defaults; an unknown key is an error that names it.
func ParseOptions(data []byte, base Options) (Options, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	o := base
	if err := dec.Decode(&o); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "unknown field "); i >= 0 {
			return o, fmt.Errorf("train: config: unknown key %s", msg[i+len("unknown field "):])
		}
		return o, fmt.Errorf("train: config: %v", err)
	}
	return ul2OverDefaults(data, base, o), nil
}

// LRSchedule is the learning-rate schedule of the run: one global schedule, re-warmed at every stage
// start when RewarmSteps > 0.
func (o Options) LRSchedule() optim.Schedule {
	s := optim.Schedule{Kind: o.LRKind, Peak: o.LR, Min: o.MinLR, Warmup: o.Warmup, Total: o.Steps, DecaySteps: o.DecaySteps}
	if ends, err := o.StageEnds(); err == nil && o.RewarmSteps > 0 && len(ends) > 1 {
		s.Rewarm, s.RewarmSteps = ends[:len(ends)-1], o.RewarmSteps
	}
	return s
}

// AdamW is the optimizer of the run.
func (o Options) AdamW() optim.AdamW {
	return optim.AdamW{Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.AdamEps, WeightDecay: o.WeightDecay}
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var p []string
	if err := o.Model.Validate(); err != nil {
		p = append(p, strings.TrimPrefix(err.Error(), "model: invalid config: "))
	}
	pos := func(name string, v int) {
		if v <= 0 {
			p = append(p, fmt.Sprintf("%s must be positive, got %d", name, v))
		}
	}
	pos("batch", o.Batch)
	pos("accum", o.Accum)
	pos("steps", o.Steps)
	nonneg := func(name string, v int) {
		if v < 0 {
			p = append(p, fmt.Sprintf("%s must not be negative, got %d", name, v))
		}
	}
	nonneg("eval-every", o.EvalEvery)
	nonneg("save-every", o.SaveEvery)
	nonneg("eval-batches", o.EvalBatches)
	nonneg("eval-n", o.EvalTasks)
	nonneg("eval-shots", o.EvalShots)
	nonneg("threads", o.Threads)
	if o.Matmul != "" && o.Matmul != MatmulFloat32 && o.Matmul != MatmulBF16 {
		p = append(p, fmt.Sprintf("matmul must be float32 or bf16, got %q", o.Matmul))
	}
	if o.Steps > 0 {
		if err := o.LRSchedule().Validate(); err != nil {
			p = append(p, strings.TrimPrefix(err.Error(), "optim: "))
		}
	}
	if err := o.AdamW().Validate(); err != nil {
		p = append(p, strings.TrimPrefix(err.Error(), "optim: "))
	}
	if o.Clip < 0 {
		p = append(p, fmt.Sprintf("clip must not be negative, got %g", o.Clip))
	}
	if o.ValFrac <= 0 || o.ValFrac >= 0.5 {
		p = append(p, fmt.Sprintf("val-frac must be in (0, 0.5), got %g", o.ValFrac))
	}
	if len(o.Data) == 0 && o.SyntheticBytes < 1<<16 {
		p = append(p, fmt.Sprintf("synthetic-bytes must be at least 65536, got %d", o.SyntheticBytes))
	}
	p = append(p, o.dataProblems()...)
	if o.TokenizerBytes < 1<<12 {
		p = append(p, fmt.Sprintf("tokenizer-bytes must be at least 4096, got %d", o.TokenizerBytes))
	}
	p = append(p, o.growthProblems()...)
	p = append(p, o.loopProblems()...)
	p = append(p, o.SimReg.problems(o)...)
	p = append(p, o.objectiveProblems()...)
	if len(p) == 0 {
		return nil
	}
	return errors.New("train: invalid options: " + strings.Join(p, "; "))
}

// dataProblems checks a mixture's entries and budget.
func (o Options) dataProblems() []string {
	mixture := data.IsMixture(o.Data)
	var p []string
	if mixture {
		if _, err := data.ParseMixture(o.Data); err != nil {
			p = append(p, strings.TrimPrefix(err.Error(), "data: "))
		}
	}
	switch {
	case o.DataBytes != 0 && !mixture:
		p = append(p, "data-bytes needs a mixture of named sources (--data NAME=PATH:WEIGHT)")
	case o.DataBytes != 0 && o.DataBytes < 1<<16:
		p = append(p, fmt.Sprintf("data-bytes must be at least 65536, got %d", o.DataBytes))
	}
	return p
}

// loopProblems lists what is wrong with the loop options.
func (o Options) loopProblems() []string {
	p := o.Loop.Problems(o.Model.NumLayers)
	if o.Loop.Looped() && o.Growing() {
		p = append(p, fmt.Sprintf("loop %s cannot be combined with growth %s", o.Loop, o.Growth))
	}
	return p
}

// PhysicalModel is the config of the parameters the run trains: Model, with NumLayers the physical
// layers P + K + Q of a loop (Model itself for an untied run).
func (o Options) PhysicalModel() model.Config {
	c := o.Model
	if o.Loop.Looped() {
		c.NumLayers = o.Loop.Physical()
	}
	return c
}

// TextSeed seeds what the run's text is — the mixture's sample and validation split and the synthetic
// world —: DataSeed, or Seed when DataSeed is 0. Runs that differ only in Seed then share their text
// (and tokenizer) and differ in weights and data order.
func (o Options) TextSeed() uint64 {
	if o.DataSeed != 0 {
		return o.DataSeed
	}
	return o.Seed
}

// AskedDiff is OptionsDiff between a saved run's options and the options asked for it again, less
// what training itself settles (the vocabulary size, which a tokenizer trained on little text leaves
// below the one asked for) and what changes no result (Recompute).
func AskedDiff(saved, asked Options) []string {
	if v := saved.Model.VocabSize; v > 0 && v < asked.Model.VocabSize {
		asked.Model.VocabSize = v
	}
	asked.Recompute = saved.Recompute
	return OptionsDiff(saved, asked)
}

// OptionsDiff lists the JSON keys (as in trainer_state.json, "model.dim" for nested ones) whose values
// differ between a and b, sorted.
func OptionsDiff(a, b Options) []string {
	ma, mb := flatJSON(a), flatJSON(b)
	var keys []string
	for k, v := range ma {
		if w, ok := mb[k]; !ok || w != v {
			keys = append(keys, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// flatJSON maps every leaf key of o's JSON to its encoded value.
func flatJSON(o Options) map[string]string {
	if len(o.Data) == 0 {
		o.Data = []string{} // nil and empty are the same run
	}
	raw, _ := json.Marshal(o)
	var top map[string]json.RawMessage
	_ = json.Unmarshal(raw, &top)
	out := map[string]string{}
	for k, v := range top {
		var sub map[string]json.RawMessage
		if k == "model" && json.Unmarshal(v, &sub) == nil {
			for sk, sv := range sub {
				out[k+"."+sk] = string(sv)
			}
			continue
		}
		out[k] = string(v)
	}
	return out
}
