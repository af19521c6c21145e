package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/stats"
	"midas/internal/tok"
	"midas/internal/train"
)

// modelFlags are the model and batch flags shared by train and bench (the names of llama_ref.py bench).
type modelFlags struct {
	layers, dim, heads, ffn, vocab, seq, batch *int
}

func addModelFlags(fs *flag.FlagSet, def model.Config, batch int) modelFlags {
	return modelFlags{
		layers: fs.Int("layers", def.NumLayers, "decoder layers"),
		dim:    fs.Int("dim", def.Dim, "model width"),
		heads:  fs.Int("heads", def.NumHeads, "attention heads"),
		ffn:    fs.Int("ffn", def.FFNDim, "SwiGLU hidden width"),
		vocab:  fs.Int("vocab", def.VocabSize, "vocabulary size (BPE tokens)"),
		seq:    fs.Int("seq", def.SeqLen, "sequence length"),
		batch:  fs.Int("batch", batch, "sequences per micro-batch"),
	}
}

// apply writes the flags that were given on the command line over cfg and batch.
func (f modelFlags) apply(set map[string]bool, cfg *model.Config, batch *int) {
	for _, p := range []struct {
		name     string
		dst, src *int
	}{{"layers", &cfg.NumLayers, f.layers}, {"dim", &cfg.Dim, f.dim}, {"heads", &cfg.NumHeads, f.heads},
		{"ffn", &cfg.FFNDim, f.ffn}, {"vocab", &cfg.VocabSize, f.vocab}, {"seq", &cfg.SeqLen, f.seq}, {"batch", batch, f.batch}} {
		if set[p.name] {
			*p.dst = *p.src
		}
	}
}

// trainFlags are the flags that define a training run (shared by train and compare).
type trainFlags struct {
	preset, cfgFile, sched, growth, stages, growOptim, matmul          *string
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
	tf := defineTrainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	tf.data = append(tf.data, fs.Args()...)
	set := setFlags(fs)
	if len(fs.Args()) > 0 {
		set["data"] = true
	}
	var opt train.Options
	var st *train.State
	dir := *out
	if *resume != "" {
		if dir == "" {
			dir = *resume
		}
		s, err := train.LoadState(*resume)
		if err != nil {
			return err
		}
		st, opt = &s, s.Options
		allowed := map[string]bool{"resume": true, "out": true, "steps": true, "stop-at": true, "eval-every": true, "save-every": true,
			"eval-batches": true, "eval-n": true, "eval-shots": true}
		var bad []string
		for name := range set {
			if !allowed[name] {
				bad = append(bad, "--"+name)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			return fmt.Errorf("%s cannot change when resuming (only --steps, --stop-at, --out and the --eval-*/--save-every cadence can)", strings.Join(bad, ", "))
		}
		tf.cadence(&opt, set)
	} else {
		if dir == "" {
			return errors.New("--out DIR is required (or --resume DIR)")
		}
		if _, err := os.Stat(filepath.Join(dir, train.FileState)); err == nil {
			return fmt.Errorf("%s already holds a training run; use --resume %s to continue it, or another --out", dir, dir)
		}
		var err error
		if opt, err = tf.options(set); err != nil {
			return err
		}
	}
	if err := opt.Validate(); err != nil {
		return err
	}
	if *stopAt < 0 {
		return fmt.Errorf("--stop-at must not be negative, got %d", *stopAt)
	}
	_, err := trainRun(opt, st, *resume, dir, *stopAt, stdout, stderr)
	return err
}

// trainRun prepares data, model and trainer (fresh or resumed) and runs the loop with the CLI's hooks.
// It reports whether the run stopped early (Ctrl-C or --stop-at) with its checkpoint saved.
func trainRun(opt train.Options, st *train.State, resumeDir, dir string, stopAt int, stdout, stderr io.Writer) (stopped bool, err error) {
	kern.SetThreads(opt.Threads)
	if err := setMatmul(opt.Matmul); err != nil {
		return false, err
	}
	var tk *tok.Tokenizer
	if st != nil {
		var err error
		if tk, err = tok.Load(filepath.Join(resumeDir, train.FileTokenizer)); err != nil {
			return false, err
		}
	}
	var tokBar *progress
	corpus, err := train.PrepareCorpus(opt, tk, func(phase string, done, total int64) {
		switch phase {
		default:
			fmt.Fprintln(stderr, phase)
		case "tokenizer":
			if done == 0 {
				fmt.Fprintf(stderr, "training a %d-token BPE tokenizer...\n", opt.Model.VocabSize)
			}
		case "tokenize":
			if tokBar == nil {
				tokBar = newProgress(stderr, total, "tokenizing")
			}
			tokBar.Set(done, fmt.Sprintf("%.1f MB", float64(total)/1e6))
		}
	})
	if tokBar != nil {
		tokBar.Done()
	}
	if err != nil {
		return false, err
	}
	if st == nil && corpus.Tok.VocabSize() != opt.Model.VocabSize {
		opt.Model.VocabSize = corpus.Tok.VocabSize()
	}
	if corpus.Tok.VocabSize() != opt.Model.VocabSize {
		return false, fmt.Errorf("%s: tokenizer has %d tokens, the model's vocab is %d", resumeDir, corpus.Tok.VocabSize(), opt.Model.VocabSize)
	}
	tokJSON, err := corpus.Tok.MarshalJSON()
	if err != nil {
		return false, err
	}
	var m *model.Model
	if st != nil {
		if m, err = train.LoadModel(resumeDir, 0); err != nil {
			return false, err
		}
		want := opt.Model
		want.NumLayers = m.Cfg.NumLayers // a growing run's depth changes; the trainer checks it per stage
		if m.Cfg != want || m.Cfg.NumLayers > opt.Model.NumLayers {
			return false, fmt.Errorf("%s: config.json describes %+v but the training state says %+v", resumeDir, m.Cfg, opt.Model)
		}
	} else {
		cfg := opt.Model
		cfg.NumLayers = opt.StageLayers(1)
		if m, err = model.New(cfg); err != nil {
			return false, err
		}
		m.InitWeights(opt.Seed)
	}
	loader, err := data.NewLoader(corpus.Train, opt.Model.SeqLen, opt.Batch, opt.Seed)
	if err != nil {
		return false, fmt.Errorf("training data: %d tokens are too few for one batch of %d×%d: %v", len(corpus.Train), opt.Batch, opt.Model.SeqLen+1, err)
	}
	val := data.ValBatches(corpus.Val, opt.Model.SeqLen, opt.Batch, opt.EvalBatches)
	tr := train.New(opt, m, loader, val)
	if st != nil {
		if err := tr.Restore(resumeDir, *st); err != nil {
			return false, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	metricsPath := filepath.Join(dir, "metrics.jsonl")
	if st != nil && filepath.Clean(dir) != filepath.Clean(resumeDir) {
		// Resuming into a new directory carries the run's log along.
		if _, err := os.Stat(metricsPath); err == nil {
			return false, fmt.Errorf("%s already has a metrics.jsonl; resume into an empty directory", dir)
		}
		if raw, err := os.ReadFile(filepath.Join(resumeDir, "metrics.jsonl")); err == nil {
			if err := ckpt.WriteFileAtomic(metricsPath, raw); err != nil {
				return false, err
			}
		}
	}
	if err := trimMetrics(metricsPath, tr.Step); err != nil {
		return false, err
	}
	mf, err := os.OpenFile(metricsPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return false, err
	}
	defer mf.Close()
	fmt.Fprintf(stdout, "model: %d layers, dim %d, %d heads, ffn %d, vocab %d, seq %d — %.2fM parameters; %s kernels, %d threads\n",
		opt.Model.NumLayers, opt.Model.Dim, opt.Model.NumHeads, opt.Model.FFNDim, opt.Model.VocabSize, opt.Model.SeqLen,
		float64(len(m.Params))/1e6, kern.Backend(), opt.Threads)
	fmt.Fprintf(stdout, "data: %s — %d training tokens, %d validation tokens; %d tokens per step\n",
		dataName(opt), len(corpus.Train), len(corpus.Val), opt.Batch*opt.Accum*opt.Model.SeqLen)
	if opt.Growing() {
		fmt.Fprintf(stdout, "growth: %s, block %d, schedule %s — stages end at steps %v\n", opt.Growth, opt.Block, opt.Stages, tr.Ends)
	}
	bar := newProgress(stderr, int64(opt.Steps), "train")
	bar.Set(int64(tr.Step), "")
	var lastVal float64
	var speeds []float64
	stageMS := map[int][]float64{}
	tr.Hooks = train.Hooks{
		Grow: func(t *train.Trainer, p grow.Plan) error {
			bar.Note(fmt.Sprintf("step %d: stage %d, %d → %d layers (%s)", p.Step, p.Stage, p.From, p.To(), p))
			return nil
		},
		Evaluate: func(t *train.Trainer, met *train.Metrics) error {
			v := t.ValLoss()
			lastVal, met.ValLoss = v, &v
			if opt.EvalTasks > 0 {
				accs, err := taskAccuracies(t, corpus, opt)
				if err != nil {
					return err
				}
				met.Tasks = accs
			}
			return nil
		},
		Log: func(t *train.Trainer, met train.Metrics) error {
			line, _ := json.Marshal(met)
			if _, err := mf.Write(append(line, '\n')); err != nil {
				return err
			}
			speeds = append(speeds, met.TokensPerS)
			stageMS[met.Stage] = append(stageMS[met.Stage], met.StepMS)
			if met.Step == stopAt {
				t.Interrupt()
			}
			bar.Set(int64(met.Step), fmt.Sprintf("loss %.3f val %.3f %.0f tok/s", met.Loss, lastVal, met.TokensPerS))
			return nil
		},
		Checkpoint: func(t *train.Trainer) error {
			return train.SaveCheckpoint(dir, t.Model, tokJSON, int(corpus.Tok.EOT()), t)
		},
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			tr.Interrupt()
		}
	}()
	err = tr.Run()
	bar.Done()
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintf(stdout, "stopped at step %d; checkpoint saved in %s (continue with: midas train --resume %s)\n", tr.Step, dir, dir)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	fmt.Fprintf(stdout, "done: %d steps, validation loss %.4f (perplexity %.2f), median %.0f tokens/s\n",
		tr.Step, lastVal, math.Exp(lastVal), stats.Median(speeds))
	printCompute(stdout, opt, tr, stageMS)
	fmt.Fprintf(stdout, "checkpoint: %s (sample with: midas sample --ckpt %s)\n", dir, dir)
	return false, nil
}

func dataName(opt train.Options) string {
	if len(opt.Data) == 0 {
		return fmt.Sprintf("synthetic world (seed %d)", opt.Seed)
	}
	return strings.Join(opt.Data, ", ")
}

// trimMetrics drops metrics lines after step (a resumed run rewrites them) — atomically.
func trimMetrics(path string, step int) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var keep bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m struct{ Step int }
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Step <= step {
			keep.Write(sc.Bytes())
			keep.WriteByte('\n')
		}
	}
	if slices.Equal(keep.Bytes(), raw) {
		return nil
	}
	return ckpt.WriteFileAtomic(path, keep.Bytes())
}

// printCompute prints the run's FLOPs against the full-depth baseline and each stage's measured step time.
func printCompute(w io.Writer, opt train.Options, tr *train.Trainer, stageMS map[int][]float64) {
	tokens := opt.Batch * opt.Accum * opt.Model.SeqLen
	base := grow.StepFLOPs(opt.Model, opt.Model.NumLayers, tokens) * float64(tr.Step)
	fmt.Fprintf(w, "compute: %.4g FLOPs; the full-depth baseline needs %.4g for the same steps: analytic speedup %.3f×\n",
		tr.FLOPs, base, base/tr.FLOPs)
	if !opt.Growing() {
		return
	}
	for s := 1; s <= opt.NumStages(); s++ {
		if ms := stageMS[s]; len(ms) > 0 {
			fmt.Fprintf(w, "  stage %d: %2d layers, %5d steps timed here, median step %.1f ms\n", s, opt.StageLayers(s), len(ms), stats.Median(ms))
		}
	}
}

// taskAccuracies scores the primitives (and the synthetic world's questions) k-shot on EvalTasks
// held-out examples each; the queries are the same at every evaluation (seed 1), so curves compare.
func taskAccuracies(t *train.Trainer, corpus *train.Corpus, opt train.Options) (map[string]float64, error) {
	d := eval.NewDecoder(t.Model, corpus.Tok)
	res, err := eval.Primitives(d, opt.EvalShots, opt.EvalTasks, 1)
	if err != nil {
		return nil, err
	}
	if corpus.World != nil {
		qa, err := eval.QA(d, corpus.World, opt.EvalShots, opt.EvalTasks, 1)
		if err != nil {
			return nil, err
		}
		res = append(res, qa...)
	}
	out := map[string]float64{}
	for _, r := range res {
		out[r.Name] = r.Acc
	}
	return out, nil
}

// setMatmul selects the GEMM backend for a matmul precision: bf16 needs the amx-bf16 backend; float32
// (or "") keeps the build's default exact backend.
func setMatmul(precision string) error {
	switch precision {
	case "", train.MatmulFloat32:
		if kern.Backend() == amxBackend {
			return kern.SetBackend(kern.Backends()[0])
		}
		return nil
	case train.MatmulBF16:
		if !slices.Contains(kern.Backends(), amxBackend) {
			return fmt.Errorf("--matmul bf16 needs Intel AMX-BF16 (Xeon Sapphire Rapids or later); this CPU or build has only %s", strings.Join(kern.Backends(), ", "))
		}
		return kern.SetBackend(amxBackend)
	}
	return fmt.Errorf("--matmul must be float32 or bf16, got %q", precision)
}

// amxBackend is the kern backend behind --matmul bf16.
const amxBackend = "amx-bf16"
