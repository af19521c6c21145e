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

	"midas/internal/data"
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
	dataBytes                                                          *string
	loop, untied                                                       *string
	simReg                                                             *float64
	simBlock                                                           *int
	simNorms, simFlat, recompute                                       *bool
	data                                                               listFlag
	steps, accum, warmup, block, rewarm, decaySteps, threads, synBytes *int
	evalEvery, evalBatches, evalN, evalShots, saveEvery                *int
	seed, dataSeed                                                     *uint64
	lr, minLR, wd, clip                                                *float64
	tied, identity                                                     *bool
	model                                                              modelFlags
	objective                                                          objectiveFlags
}

func defineTrainFlags(fs *flag.FlagSet) *trainFlags {
	def := train.DefaultOptions(model.Presets["small"])
	f := &trainFlags{}
	f.preset = fs.String("preset", "small", "model preset: tiny, small, medium")
	f.cfgFile = fs.String("config", "", "JSON file of training options (the keys of trainer_state.json's options)")
	fs.Var(&f.data, "data", "text `PATH`s (files, folders, .gz, JSONL), or mixture sources NAME=PATH:WEIGHT (a code* NAME reads source files; PATH synthetic: the synthetic world), or @FILE of them; repeatable or comma-separated; default: synthetic corpus")
	f.dataBytes = fs.String("data-bytes", "", "training text of a --data mixture, e.g. 40M (default: the most at which no source repeats; more repeats the small sources)")
	f.steps = fs.Int("steps", def.Steps, "optimizer steps")
	f.seed = fs.Uint64("seed", def.Seed, "seed for weights, data order and the synthetic world")
	f.dataSeed = fs.Uint64("data-seed", 0, "seed of the text alone (mixture sample, validation split, synthetic world; 0: --seed)")
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
	f.recompute = fs.Bool("recompute", false, "keep only each layer's input and recompute the layer in backward: far less activation memory (long sequences), ~1/3 more time, the same results bit for bit")
	f.matmul = fs.String("matmul", train.MatmulFloat32, "matrix-multiply precision: float32, or bf16 (operands rounded to bfloat16 on Intel AMX; faster, not exact)")
	f.evalEvery = fs.Int("eval-every", def.EvalEvery, "steps between evaluations (validation loss and task accuracy)")
	f.evalBatches = fs.Int("eval-batches", def.EvalBatches, "validation batches per evaluation")
	f.evalN = fs.Int("eval-n", def.EvalTasks, "held-out examples per task at each evaluation (0: loss only)")
	f.evalShots = fs.Int("eval-shots", def.EvalShots, "shots of the k-shot task prompts during evaluation")
	f.saveEvery = fs.Int("save-every", def.SaveEvery, "steps between checkpoints")
	f.synBytes = fs.Int("synthetic-bytes", def.SyntheticBytes, "bytes of synthetic training text")
	f.maxMem = fs.String("max-memory", "", "refuse runs that need more memory than this (e.g. 20G; none: no check; default: the available memory)")
	f.loop = fs.String("loop", "", "weight-shared depth: a block of K layers applied R times (`KxR`, e.g. 2x3; K alone fits R to --layers)")
	f.untied = fs.String("loop-untied", "", "untied layers `P,Q` below and above the loop (--layers = P + K·R + Q)")
	f.simReg = fs.Float64("sim-reg", 0, "similarity regulariser: add −`LAMBDA`·R(k) to the loss (mean cosine of successive blocks' weights)")
	f.simBlock = fs.Int("sim-reg-block", 0, "k of the similarity regulariser: layers per block (default --block)")
	f.simNorms = fs.Bool("sim-reg-norms", false, "the similarity regulariser also compares the RMSNorm scales")
	f.simFlat = fs.Bool("sim-reg-flat", false, "the similarity regulariser compares each layer flattened (default: each weight matrix)")
	f.objective = addObjectiveFlags(fs)
	return f
}

// applyLoop writes the loop and regulariser flags over opt: the loop as given (R = 0 when only K was
// given: train fits it to the depth, compare to each arm's).
func (f *trainFlags) applyLoop(set map[string]bool, opt *train.Options) error {
	if set["loop-untied"] && !set["loop"] {
		return errors.New("--loop-untied P,Q needs --loop K or KxR")
	}
	if set["loop"] {
		l, err := model.ParseLoop(*f.loop)
		if err != nil {
			return flagError("loop", err)
		}
		if set["loop-untied"] {
			if l.P, l.Q, err = model.ParseUntied(*f.untied); err != nil {
				return flagError("loop-untied", err)
			}
		}
		opt.Loop = l
	}
	if set["sim-reg"] {
		opt.SimReg.Lambda = *f.simReg
		if opt.SimReg.Block == 0 && *f.simReg != 0 {
			opt.SimReg.Block = opt.Block
		}
	}
	for name, apply := range map[string]func(){
		"sim-reg-block": func() { opt.SimReg.Block = *f.simBlock }, "sim-reg-norms": func() { opt.SimReg.Norms = *f.simNorms },
		"sim-reg-flat": func() { opt.SimReg.Flat = *f.simFlat },
	} {
		if set[name] {
			apply()
		}
	}
	return nil
}

// flagError words a library's parse error of --name's value as a flag error ("--loop "2y3": want …").
func flagError(name string, err error) error {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return fmt.Errorf("--%s %s", name, msg)
}

// cadence applies the flags that may also change on resume.
func (f *trainFlags) cadence(opt *train.Options, set map[string]bool) {
	for name, apply := range map[string]func(){
		"steps": func() { opt.Steps = *f.steps }, "eval-every": func() { opt.EvalEvery = *f.evalEvery },
		"save-every": func() { opt.SaveEvery = *f.saveEvery }, "eval-batches": func() { opt.EvalBatches = *f.evalBatches },
		"eval-n": func() { opt.EvalTasks = *f.evalN }, "eval-shots": func() { opt.EvalShots = *f.evalShots },
		"recompute": func() { opt.Recompute = *f.recompute },
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

// dataOptions applies --data and --data-bytes, and expands the mixture files (@FILE) of opt.Data, so
// the run saves the entries themselves.
func (f *trainFlags) dataOptions(opt *train.Options, set map[string]bool) error {
	if len(f.data) > 0 {
		opt.Data = f.data
	}
	var err error
	if opt.Data, err = data.ExpandFiles(opt.Data); err != nil {
		return err
	}
	if set["data-bytes"] {
		n, err := train.ParseBytes(*f.dataBytes)
		if err != nil || n < 0 {
			return fmt.Errorf("--data-bytes: %q is not a size (e.g. 512K, 40M)", *f.dataBytes)
		}
		opt.DataBytes = n
	}
	return nil
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
	if err := f.dataOptions(&opt, set); err != nil {
		return opt, err
	}
	for name, apply := range map[string]func(){
		"seed": func() { opt.Seed = *f.seed }, "data-seed": func() { opt.DataSeed = *f.dataSeed }, "accum": func() { opt.Accum = *f.accum }, "lr": func() { opt.LR = *f.lr },
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
	if err := f.applyLoop(set, &opt); err != nil {
		return opt, err
	}
	f.cadence(&opt, set)
	if err := f.objective.apply(&opt, set); err != nil {
		return opt, err
	}
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
	tbDir := fs.String("tensorboard", "", "also write the metrics as TensorBoard event files in this directory")
	tf := defineTrainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	tf.data = append(tf.data, fs.Args()...)
	set := setFlags(fs)
	if len(fs.Args()) > 0 {
		set["data"] = true
	}
	cfg := train.RunConfig{Dir: *out, Resume: *resume, StopAt: *stopAt, Tasks: eval.TaskAccuracies, Interrupt: true, TensorBoard: *tbDir}
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
		cfg.Options.Loop = cfg.Options.Loop.Fit(cfg.Options.Model.NumLayers)
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
		"eval-batches": true, "eval-n": true, "eval-shots": true, "max-memory": true, "tensorboard": true, "recompute": true}
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

// printHeader describes the run about to train: model, its parameters and FLOPs per step, data,
// growth schedule, loop and regulariser.
func printHeader(w io.Writer, r *train.Run) {
	o, m := r.Opt, r.Trainer.Model
	depth := fmt.Sprintf("%d layers", o.Model.NumLayers)
	full := model.NewLayout(o.PhysicalModel()).Size
	params := fmt.Sprintf("%.2fM parameters", float64(full)/1e6)
	tokens := o.Batch * o.Accum * o.Model.SeqLen
	flops := fmt.Sprintf("%.3g training FLOPs per step", grow.StepFLOPs(o.Model, m.Layout.Depth(), tokens))
	switch {
	case o.Loop.Looped():
		depth = fmt.Sprintf("%d layers looped %s over %d physical", o.Model.NumLayers, o.Loop, o.Loop.Physical())
		params += " (physical)"
		flops += fmt.Sprintf(" (all %d layers)", m.Layout.Depth())
	case m.Layout.Depth() != o.Model.NumLayers:
		depth = fmt.Sprintf("%d of %d layers", m.Layout.Depth(), o.Model.NumLayers)
		params = fmt.Sprintf("%.2fM parameters now, %.2fM at full depth", float64(len(m.Params))/1e6, float64(full)/1e6)
		flops += " now"
	}
	fmt.Fprintf(w, "model: %s, dim %d, %s, ffn %d, vocab %d, seq %d — %s, %s; %s kernels, %d threads\n",
		depth, o.Model.Dim, headsName(o.Model), o.Model.FFNDim, o.Model.VocabSize, o.Model.SeqLen, params, flops, kern.Backend(), o.Threads)
	if o.Init != "" {
		fmt.Fprintf(w, "init: %s (weights and config; fresh optimizer)\n", o.Init)
	}
	printData(w, o, r.Corpus)
	printObjective(w, o)
	if o.Growing() {
		fmt.Fprintf(w, "growth: %s, block %d, schedule %s — stages end at steps %v\n", o.Growth, o.Block, o.Stages, r.Trainer.Ends)
	}
	if s := o.SimReg; s.On() {
		what := "each weight matrix"
		if s.Flat {
			what = "each layer's matrices flattened"
		}
		if s.Norms {
			what += ", norms included"
		}
		fmt.Fprintf(w, "sim-reg: −%g·R(%d) added to the loss (cosines of %s, successive %d-layer blocks)\n", s.Lambda, s.Block, what, s.Block)
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
	if sr := r.Opt.SimReg; sr.On() {
		m := r.Trainer.Model
		fmt.Fprintf(w, "sim-reg: R(%d) = %.4f at the end (mean cosine similarity of successive blocks' weights)\n", sr.Block, sr.Value(m.Layout, m.Params))
	}
	for _, st := range s.Stages {
		if r.Opt.Growing() {
			fmt.Fprintf(w, "  stage %d: %2d layers, %5d steps timed here, median step %.1f ms\n", st.Stage, st.Layers, st.Steps, st.MedianMS)
		}
	}
	fmt.Fprintf(w, "checkpoint: %s (sample with: midas sample --ckpt %s)\n", dir, dir)
}

// printData writes the data lines of the header: the whole, then each source of a mixture (share,
// bytes, tokens, documents; sampled or repeated) and the files each read.
func printData(w io.Writer, o train.Options, c *train.Corpus) {
	fmt.Fprintf(w, "data: %s — %d training tokens, %d validation tokens; %d tokens per step\n",
		corpusName(o, c), len(c.Train), len(c.Val), o.Batch*o.Accum*o.Model.SeqLen)
	for _, p := range c.Parts {
		fmt.Fprintf(w, "data: %s\n", partLine(p, len(c.Train), o.Seed))
	}
	if len(o.Data) > 0 && c.Parts == nil {
		fmt.Fprintf(w, "files: %s\n", c.Files)
	}
	for _, p := range c.Parts {
		if p.Kind != data.KindSynthetic && p.Kind != data.KindReasoning {
			fmt.Fprintf(w, "files: %s: %s\n", p.Name, p.Files)
		}
	}
}

// partLine describes one source of a mixture: "prose (text, DIR): share 60.0%, 1.2 MB, 301234 tokens
// (57.9%), 10 docs read, 2.8% of 43.1 MB sampled; validation 61.4 kB".
func partLine(p train.Part, tokens int, seed uint64) string {
	from := fmt.Sprintf("%s, %s", p.Kind, p.Path)
	docs := fmt.Sprintf("%d docs read", p.Docs)
	use := ""
	switch r := p.Repeats(); {
	case p.Kind == data.KindSynthetic:
		from, docs = fmt.Sprintf("synthetic world, seed %d", seed), fmt.Sprintf("%d docs generated", p.Docs)
	case p.Kind == data.KindReasoning:
		from, docs = "generated reasoning text, training only", fmt.Sprintf("%d docs generated", p.Docs)
	case r < 1:
		use = fmt.Sprintf(", %.1f%% of %s sampled", 100*r, size(p.Natural))
	case r == 1:
		use = ", all of it"
	default:
		use = fmt.Sprintf(", repeated %.2f× (it holds %s)", r, size(p.Natural))
	}
	return fmt.Sprintf("%s (%s): share %.1f%%, %s, %d tokens (%.1f%%), %s%s; validation %s",
		p.Name, from, 100*p.Share, size(p.Bytes), p.Tokens, 100*float64(p.Tokens)/float64(max(tokens, 1)), docs, use, size(docBytes(p.Val)))
}

// size writes a byte count in B, kB or MB (decimal).
func size(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func docBytes(docs []data.Doc) int64 {
	var n int64
	for _, d := range docs {
		n += int64(len(d.Text))
	}
	return n
}

func dataName(opt train.Options) string {
	if len(opt.Data) == 0 {
		return fmt.Sprintf("synthetic world (seed %d)", opt.Seed)
	}
	return strings.Join(opt.Data, ", ")
}

// corpusName names the run's data on its data line: dataName, or a mixture's size.
func corpusName(opt train.Options, c *train.Corpus) string {
	if c.Parts == nil {
		return dataName(opt)
	}
	budget := "the most at which no source repeats"
	if opt.DataBytes > 0 {
		budget = "--data-bytes"
	}
	return fmt.Sprintf("mixture of %d sources, %s of training text (%s)", len(c.Parts), size(c.TrainBytes), budget)
}

// headsName is "4 heads", or "4 heads (2 key/value)" for grouped-query attention.
func headsName(c model.Config) string {
	heads := fmt.Sprintf("%d heads", c.NumHeads)
	if c.KVHeads() != c.NumHeads {
		heads += fmt.Sprintf(" (%d key/value)", c.KVHeads())
	}
	return heads
}
