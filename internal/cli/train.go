package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"

	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/train"
)

// modelFlags are the model and batch flags shared by train and bench (the names of llama_ref.py bench).
type modelFlags struct {
	layers, dim, heads, kvHeads, headDim, ffn, vocab, seq, batch *int
}

func addModelFlags(fs *flag.FlagSet, def model.Config, batch int) modelFlags {
	return modelFlags{
		layers:  fs.Int("layers", def.NumLayers, "decoder layers"),
		dim:     fs.Int("dim", def.Dim, "model width"),
		heads:   fs.Int("heads", def.NumHeads, "attention heads"),
		kvHeads: fs.Int("kv-heads", def.NumKVHeads, "key/value heads: fewer than --heads is grouped-query attention (0: --heads)"),
		headDim: fs.Int("head-dim", def.HeadDimOverride, "head dimension (0: dim/heads)"),
		ffn:     fs.Int("ffn", def.FFNDim, "SwiGLU hidden width"),
		vocab:   fs.Int("vocab", def.VocabSize, "vocabulary size (BPE tokens)"),
		seq:     fs.Int("seq", def.SeqLen, "sequence length"),
		batch:   fs.Int("batch", batch, "sequences per micro-batch"),
	}
}

// apply writes the flags that were given on the command line over cfg and batch.
func (f modelFlags) apply(set map[string]bool, cfg *model.Config, batch *int) {
	for _, p := range []struct {
		name     string
		dst, src *int
	}{{"layers", &cfg.NumLayers, f.layers}, {"dim", &cfg.Dim, f.dim}, {"heads", &cfg.NumHeads, f.heads},
		{"kv-heads", &cfg.NumKVHeads, f.kvHeads}, {"head-dim", &cfg.HeadDimOverride, f.headDim},
		{"ffn", &cfg.FFNDim, f.ffn}, {"vocab", &cfg.VocabSize, f.vocab}, {"seq", &cfg.SeqLen, f.seq}, {"batch", batch, f.batch}} {
		if set[p.name] {
			*p.dst = *p.src
		}
	}
}

// trainFlags are the flags that define a training run (shared by train and compare).
type trainFlags struct {
	preset, cfgFile, sched, growth, stages, growOptim, matmul, maxMem  *string
	data                                                               listFlag
	steps, accum, warmup, block, rewarm, decaySteps, threads, synBytes *int
	evalEvery, evalBatches, evalN, evalShots, saveEvery                *int
	seed                                                               *uint64
	lr, minLR, wd, clip                                                *float64
	tied, identity                                                     *bool
	model                                                              modelFlags
}

func defineTrainFlags(fs *flag.FlagSet) *trainFlags {
	def := train.DefaultOptions(model.Presets["small"])
	f := &trainFlags{}
	f.preset = fs.String("preset", "small", "model preset: tiny, small, medium")
	f.cfgFile = fs.String("config", "", "JSON file of training options (the keys of trainer_state.json's options)")
	fs.Var(&f.data, "data", "text `PATH`s: files, folders, .gz, JSONL (repeatable or comma-separated); default: synthetic corpus")
	f.steps = fs.Int("steps", def.Steps, "optimizer steps")
	f.seed = fs.Uint64("seed", def.Seed, "seed for weights, data order and the synthetic world")
	f.model = addModelFlags(fs, model.Presets["small"], def.Batch)
	f.tied = fs.Bool("tied", false, "tie the embedding and lm_head")
	f.accum = fs.Int("accum", def.Accum, "micro-batches per step (gradient accumulation)")
	f.lr = fs.Float64("lr", def.LR, "peak learning rate")
	f.minLR = fs.Float64("min-lr", def.MinLR, "final learning rate")
	f.warmup = fs.Int("warmup", def.Warmup, "warmup steps")
	f.sched = fs.String("lr-schedule", def.LRKind, "learning-rate schedule: cosine, wsd, constant")
	f.growth = fs.String("growth", def.Growth, "gradual stacking: none, midas, gradstack, double")
	f.block = fs.Int("block", def.Block, "layers per block (growth adds one block per stage; double doubles)")
	f.stages = fs.String("schedule", def.Stages, "stage split of the steps: equal, prop-A (e.g. prop-1), explicit:s1,s2,...")
	f.rewarm = fs.Int("rewarm-steps", def.RewarmSteps, "re-warm the learning rate over N steps at each stage start (0: one global schedule)")
	f.growOptim = fs.String("grow-optim", def.GrowOptim, "AdamW moments of copied layers: copy or zero")
	f.identity = fs.Bool("identity", false, "zero the copies' o_proj and down_proj so growth keeps the model's function")
	f.decaySteps = fs.Int("decay-steps", def.DecaySteps, "wsd: steps of the final decay")
	f.wd = fs.Float64("weight-decay", def.WeightDecay, "AdamW decoupled weight decay")
	f.clip = fs.Float64("clip", def.Clip, "global gradient-norm clip (0: off)")
	f.threads = fs.Int("threads", def.Threads, "worker threads (0: all cores)")
	f.matmul = fs.String("matmul", train.MatmulFloat32, "matrix-multiply precision: float32, or bf16 (operands rounded to bfloat16 on Intel AMX; faster, not exact)")
	f.evalEvery = fs.Int("eval-every", def.EvalEvery, "steps between evaluations (validation loss and task accuracy)")
	f.evalBatches = fs.Int("eval-batches", def.EvalBatches, "validation batches per evaluation")
	f.evalN = fs.Int("eval-n", def.EvalTasks, "held-out examples per task at each evaluation (0: loss only)")
	f.evalShots = fs.Int("eval-shots", def.EvalShots, "shots of the k-shot task prompts during evaluation")
	f.saveEvery = fs.Int("save-every", def.SaveEvery, "steps between checkpoints")
	f.synBytes = fs.Int("synthetic-bytes", def.SyntheticBytes, "bytes of synthetic training text")
	f.maxMem = fs.String("max-memory", "", "refuse runs that need more memory than this (e.g. 20G; none: no check; default: the available memory)")
	return f
}

// cadence applies the flags that may also change on resume.
func (f *trainFlags) cadence(opt *train.Options, set map[string]bool) {
	for name, apply := range map[string]func(){
		"steps": func() { opt.Steps = *f.steps }, "eval-every": func() { opt.EvalEvery = *f.evalEvery },
		"save-every": func() { opt.SaveEvery = *f.saveEvery }, "eval-batches": func() { opt.EvalBatches = *f.evalBatches },
		"eval-n": func() { opt.EvalTasks = *f.evalN }, "eval-shots": func() { opt.EvalShots = *f.evalShots },
	} {
		if set[name] {
			apply()
		}
	}
}

// memory is the --max-memory limit in bytes (0: the available memory; −1: none).
func (f *trainFlags) memory() (int64, error) {
	if *f.maxMem == "" {
		return 0, nil
	}
	n, err := train.ParseBytes(*f.maxMem)
	if err != nil {
		return 0, fmt.Errorf("--max-memory: %v", err)
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

// options builds the options of a fresh run: preset, then --config, then the flags given.
func (f *trainFlags) options(set map[string]bool) (train.Options, error) {
	cfg, err := model.Preset(*f.preset)
	if err != nil {
		return train.Options{}, err
	}
	opt := train.DefaultOptions(cfg)
	if *f.cfgFile != "" {
		raw, err := os.ReadFile(*f.cfgFile)
		if err != nil {
			return opt, err
		}
		if opt, err = train.ParseOptions(raw, opt); err != nil {
			return opt, err
		}
	}
	f.model.apply(set, &opt.Model, &opt.Batch)
	if set["tied"] {
		opt.Model.TiedEmbeddings = *f.tied
	}
	if len(f.data) > 0 {
		opt.Data = f.data
	}
	for name, apply := range map[string]func(){
		"seed": func() { opt.Seed = *f.seed }, "accum": func() { opt.Accum = *f.accum }, "lr": func() { opt.LR = *f.lr },
		"min-lr": func() { opt.MinLR = *f.minLR }, "warmup": func() { opt.Warmup = *f.warmup },
		"lr-schedule": func() { opt.LRKind = *f.sched }, "decay-steps": func() { opt.DecaySteps = *f.decaySteps },
		"growth": func() { opt.Growth = *f.growth }, "block": func() { opt.Block = *f.block },
		"schedule": func() { opt.Stages = *f.stages }, "rewarm-steps": func() { opt.RewarmSteps = *f.rewarm },
		"grow-optim": func() { opt.GrowOptim = *f.growOptim }, "identity": func() { opt.GrowIdentity = *f.identity },
		"weight-decay": func() { opt.WeightDecay = *f.wd }, "clip": func() { opt.Clip = *f.clip },
		"threads": func() { opt.Threads = *f.threads }, "matmul": func() { opt.Matmul = *f.matmul }, "synthetic-bytes": func() { opt.SyntheticBytes = *f.synBytes },
	} {
		if set[name] {
			apply()
		}
	}
	f.cadence(&opt, set)
	if opt.Threads == 0 {
		opt.Threads = runtime.GOMAXPROCS(0)
	}
	if !set["warmup"] && opt.Warmup >= opt.Steps {
		opt.Warmup = opt.Steps / 10
	}
	if !set["decay-steps"] && opt.LRKind == "wsd" {
		opt.DecaySteps = opt.Steps / 5
	}
	return opt, nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "--out DIR [flags] | --resume DIR", stderr)
	out := fs.String("out", "", "run directory: checkpoint (HF-loadable), tokenizer, metrics.jsonl")
	resume := fs.String("resume", "", "continue the run in this checkpoint directory")
	stopAt := fs.Int("stop-at", 0, "checkpoint and stop at this step, keeping the schedule of --steps (resume later)")
	initDir := fs.String("init", "", "start from this Hugging Face Llama checkpoint: its architecture, weights and tokenizer (fresh optimizer)")
	tokFile := fs.String("tokenizer", "", "use this tokenizer.json instead of training one (with --init: instead of the checkpoint's)")
	tf := defineTrainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	tf.data = append(tf.data, fs.Args()...)
	set := setFlags(fs)
	if len(fs.Args()) > 0 {
		set["data"] = true
	}
	cfg := train.RunConfig{Dir: *out, Resume: *resume, StopAt: *stopAt, Tasks: eval.TaskAccuracies, Interrupt: true}
	var err error
	if cfg.MaxMemory, err = tf.memory(); err != nil {
		return err
	}
	if *resume != "" {
		if err := resumeFlags(set); err != nil {
			return err
		}
		cfg.Cadence = func(o *train.Options) { tf.cadence(o, set) }
	} else {
		if *out == "" {
			return errors.New("--out DIR is required (or --resume DIR)")
		}
		if cfg.Options, err = tf.options(set); err != nil {
			return err
		}
		if err := initFlags(set); err != nil {
			return err
		}
		if set["init"] {
			cfg.Options.Init = *initDir
		}
		if set["tokenizer"] {
			cfg.Options.Tokenizer = *tokFile
		}
	}
	_, err = trainRun(cfg, stdout, stderr)
	return err
}

// initFlags refuses the flags that --init (the checkpoint's architecture) and --tokenizer (its
// vocabulary) fix.
func initFlags(set map[string]bool) error {
	var bad []string
	for _, name := range []string{"layers", "dim", "heads", "kv-heads", "head-dim", "ffn", "vocab", "tied"} {
		if set[name] && (set["init"] || name == "vocab" && set["tokenizer"]) {
			bad = append(bad, "--"+name)
		}
	}
	switch {
	case len(bad) == 0:
		return nil
	case set["init"]:
		return fmt.Errorf("%s cannot be set with --init (the checkpoint fixes the architecture)", strings.Join(bad, ", "))
	}
	return errors.New("--vocab cannot be set with --tokenizer (the tokenizer fixes the vocabulary)")
}

// resumeFlags refuses flags that would change a resumed run.
func resumeFlags(set map[string]bool) error {
	allowed := map[string]bool{"resume": true, "out": true, "steps": true, "stop-at": true, "eval-every": true, "save-every": true,
		"eval-batches": true, "eval-n": true, "eval-shots": true, "max-memory": true}
	var bad []string
	for name := range set {
		if !allowed[name] {
			bad = append(bad, "--"+name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("%s cannot change when resuming (only --steps, --stop-at, --out and the --eval-*/--save-every cadence can)", strings.Join(bad, ", "))
}

// trainRun opens the run, shows its progress and prints its summary.
func trainRun(cfg train.RunConfig, stdout, stderr io.Writer) (train.Summary, error) {
	v := &runView{stdout: stdout, stderr: stderr}
	cfg.Events = v.events()
	r, err := train.Open(cfg)
	v.prepared()
	if err != nil {
		return train.Summary{}, err
	}
	defer r.Close()
	sum, err := r.Train()
	v.done(r, sum, err)
	return sum, err
}

// runView shows a training run: corpus preparation, a header, the progress bar with growth notes, and
// the summary.
type runView struct {
	stdout, stderr io.Writer
	bar, tokBar    *progress
}

func (v *runView) events() train.Events {
	return train.Events{
		Prepare: func(phase string, done, total int64) {
			v.tokBar = prepareProgress(v.stderr, v.tokBar, phase, done, total)
		},
		Start: func(r *train.Run) {
			v.prepared()
			printHeader(v.stdout, r)
			v.bar = newProgress(v.stderr, int64(r.Opt.Steps), "train")
			v.bar.Set(int64(r.Trainer.Step), "")
		},
		Grow: func(r *train.Run, p grow.Plan) {
			v.bar.Note(fmt.Sprintf("step %d: stage %d, %d → %d layers (%s)", p.Step, p.Stage, p.From, p.To(), p))
		},
		Step: func(r *train.Run, m train.Metrics) {
			val := "-"
			if !math.IsNaN(r.ValLoss) {
				val = fmt.Sprintf("%.3f", r.ValLoss)
			}
			v.bar.Set(int64(m.Step), fmt.Sprintf("loss %.3f val %s %.0f tok/s", m.Loss, val, m.TokensPerS))
		},
	}
}

// prepared ends the tokenizing bar.
func (v *runView) prepared() {
	if v.tokBar != nil {
		v.tokBar.Done()
		v.tokBar = nil
	}
}

// done ends the progress bar and, when training ended without error, prints the summary.
func (v *runView) done(r *train.Run, s train.Summary, err error) {
	if v.bar != nil {
		v.bar.Done()
		v.bar = nil
	}
	if err == nil {
		printSummary(v.stdout, r, s)
	}
}

// prepareProgress shows the corpus preparation phases: a line for each, a bar for tokenizing.
func prepareProgress(w io.Writer, bar *progress, phase string, done, total int64) *progress {
	switch phase {
	default:
		fmt.Fprintln(w, phase)
	case "tokenizer":
		if done == 0 {
			fmt.Fprintln(w, "training a BPE tokenizer...")
		}
	case "tokenize":
		if bar == nil {
			bar = newProgress(w, total, "tokenizing")
		}
		bar.Set(done, fmt.Sprintf("%.1f MB", float64(total)/1e6))
	}
	return bar
}

// printHeader describes the run about to train: model, data and growth schedule.
func printHeader(w io.Writer, r *train.Run) {
	o, m := r.Opt, r.Trainer.Model
	depth := fmt.Sprintf("%d layers", o.Model.NumLayers)
	full := model.NewLayout(o.Model).Size
	params := fmt.Sprintf("%.2fM parameters", float64(full)/1e6)
	if m.Cfg.NumLayers != o.Model.NumLayers {
		depth = fmt.Sprintf("%d of %d layers", m.Cfg.NumLayers, o.Model.NumLayers)
		params = fmt.Sprintf("%.2fM parameters now, %.2fM at full depth", float64(len(m.Params))/1e6, float64(full)/1e6)
	}
	heads := fmt.Sprintf("%d heads", o.Model.NumHeads)
	if o.Model.KVHeads() != o.Model.NumHeads {
		heads += fmt.Sprintf(" (%d key/value)", o.Model.KVHeads())
	}
	fmt.Fprintf(w, "model: %s, dim %d, %s, ffn %d, vocab %d, seq %d — %s; %s kernels, %d threads\n",
		depth, o.Model.Dim, heads, o.Model.FFNDim, o.Model.VocabSize, o.Model.SeqLen, params, kern.Backend(), o.Threads)
	if o.Init != "" {
		fmt.Fprintf(w, "init: %s (weights and config; fresh optimizer)\n", o.Init)
	}
	fmt.Fprintf(w, "data: %s — %d training tokens, %d validation tokens; %d tokens per step\n",
		dataName(o), len(r.Corpus.Train), len(r.Corpus.Val), o.Batch*o.Accum*o.Model.SeqLen)
	if len(o.Data) > 0 {
		fmt.Fprintf(w, "files: %s\n", r.Corpus.Files)
	}
	if o.Growing() {
		fmt.Fprintf(w, "growth: %s, block %d, schedule %s — stages end at steps %v\n", o.Growth, o.Block, o.Stages, r.Trainer.Ends)
	}
}

// printSummary prints how the run ended: where its checkpoint is, its loss and its compute.
func printSummary(w io.Writer, r *train.Run, s train.Summary) {
	dir := r.Cfg.Dir
	if s.Stopped {
		fmt.Fprintf(w, "stopped at step %d; checkpoint saved in %s (continue with: midas train --resume %s)\n", s.Step, dir, dir)
		return
	}
	fmt.Fprintf(w, "done: %d steps, validation loss %.4f (perplexity %.2f), median %.0f tokens/s\n",
		s.Step, s.ValLoss, math.Exp(s.ValLoss), s.TokensPerS)
	fmt.Fprintf(w, "compute: %.4g FLOPs; the full-depth baseline needs %.4g for the same steps: analytic speedup %.3f×\n",
		s.FLOPs, s.BaselineFLOPs, s.BaselineFLOPs/s.FLOPs)
	for _, st := range s.Stages {
		if r.Opt.Growing() {
			fmt.Fprintf(w, "  stage %d: %2d layers, %5d steps timed here, median step %.1f ms\n", st.Stage, st.Layers, st.Steps, st.MedianMS)
		}
	}
	fmt.Fprintf(w, "checkpoint: %s (sample with: midas sample --ckpt %s)\n", dir, dir)
}

func dataName(opt train.Options) string {
	if len(opt.Data) == 0 {
		return fmt.Sprintf("synthetic world (seed %d)", opt.Seed)
	}
	return strings.Join(opt.Data, ", ")
}
