package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/kern"
	"midas/internal/model"
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

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "--out DIR [flags] | --resume DIR", stderr)
	def := train.DefaultOptions(model.Presets["small"])
	out := fs.String("out", "", "run directory: checkpoint (HF-loadable), tokenizer, metrics.jsonl")
	resume := fs.String("resume", "", "continue the run in this checkpoint directory")
	preset := fs.String("preset", "small", "model preset: tiny, small, medium")
	cfgFile := fs.String("config", "", "JSON file of training options (the keys of trainer_state.json's options)")
	var dataPaths listFlag
	fs.Var(&dataPaths, "data", "text `PATH`s: files, folders, .gz, JSONL (repeatable or comma-separated); default: synthetic corpus")
	steps := fs.Int("steps", def.Steps, "optimizer steps")
	seed := fs.Uint64("seed", def.Seed, "seed for weights, data order and the synthetic world")
	mf := addModelFlags(fs, model.Presets["small"], def.Batch)
	tied := fs.Bool("tied", false, "tie the embedding and lm_head")
	accum := fs.Int("accum", def.Accum, "micro-batches per step (gradient accumulation)")
	lr := fs.Float64("lr", def.LR, "peak learning rate")
	minLR := fs.Float64("min-lr", def.MinLR, "final learning rate")
	warmup := fs.Int("warmup", def.Warmup, "warmup steps")
	sched := fs.String("schedule", def.Schedule, "learning-rate schedule: cosine, wsd, constant")
	decaySteps := fs.Int("decay-steps", def.DecaySteps, "wsd: steps of the final decay")
	wd := fs.Float64("weight-decay", def.WeightDecay, "AdamW decoupled weight decay")
	clip := fs.Float64("clip", def.Clip, "global gradient-norm clip (0: off)")
	threads := fs.Int("threads", def.Threads, "worker threads (0: all cores)")
	evalEvery := fs.Int("eval-every", def.EvalEvery, "steps between validation losses")
	evalBatches := fs.Int("eval-batches", def.EvalBatches, "validation batches per evaluation")
	saveEvery := fs.Int("save-every", def.SaveEvery, "steps between checkpoints")
	synBytes := fs.Int("synthetic-bytes", def.SyntheticBytes, "bytes of synthetic training text")
	stopAt := fs.Int("stop-at", 0, "checkpoint and stop at this step, keeping the schedule of --steps (resume later)")
	if err := parse(fs, args); err != nil {
		return err
	}
	dataPaths = append(dataPaths, fs.Args()...)
	set := setFlags(fs)
	var opt train.Options
	var st *train.State
	// cadence applies the flags that may also change on resume.
	cadence := func() {
		for name, apply := range map[string]func(){
			"steps": func() { opt.Steps = *steps }, "eval-every": func() { opt.EvalEvery = *evalEvery },
			"save-every": func() { opt.SaveEvery = *saveEvery }, "eval-batches": func() { opt.EvalBatches = *evalBatches },
		} {
			if set[name] {
				apply()
			}
		}
	}
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
		allowed := map[string]bool{"resume": true, "out": true, "steps": true, "stop-at": true, "eval-every": true, "save-every": true, "eval-batches": true}
		var bad []string
		for name := range set {
			if !allowed[name] {
				bad = append(bad, "--"+name)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			return fmt.Errorf("%s cannot change when resuming (only --steps, --eval-every, --eval-batches, --save-every, --stop-at, --out can)", strings.Join(bad, ", "))
		}
		cadence()
	} else {
		if dir == "" {
			return errors.New("--out DIR is required (or --resume DIR)")
		}
		if _, err := os.Stat(filepath.Join(dir, train.FileState)); err == nil {
			return fmt.Errorf("%s already holds a training run; use --resume %s to continue it, or another --out", dir, dir)
		}
		cfg, err := model.Preset(*preset)
		if err != nil {
			return err
		}
		opt = train.DefaultOptions(cfg)
		if *cfgFile != "" {
			raw, err := os.ReadFile(*cfgFile)
			if err != nil {
				return err
			}
			if opt, err = train.ParseOptions(raw, opt); err != nil {
				return err
			}
		}
		mf.apply(set, &opt.Model, &opt.Batch)
		if set["tied"] {
			opt.Model.TiedEmbeddings = *tied
		}
		if len(dataPaths) > 0 {
			opt.Data = dataPaths
		}
		for name, apply := range map[string]func(){
			"seed": func() { opt.Seed = *seed }, "accum": func() { opt.Accum = *accum }, "lr": func() { opt.LR = *lr },
			"min-lr": func() { opt.MinLR = *minLR }, "warmup": func() { opt.Warmup = *warmup },
			"schedule": func() { opt.Schedule = *sched }, "decay-steps": func() { opt.DecaySteps = *decaySteps },
			"weight-decay": func() { opt.WeightDecay = *wd }, "clip": func() { opt.Clip = *clip },
			"threads": func() { opt.Threads = *threads }, "synthetic-bytes": func() { opt.SyntheticBytes = *synBytes },
		} {
			if set[name] {
				apply()
			}
		}
		cadence()
		if opt.Threads == 0 {
			opt.Threads = runtime.GOMAXPROCS(0)
		}
		if !set["warmup"] && opt.Warmup >= opt.Steps {
			opt.Warmup = opt.Steps / 10
		}
		if !set["decay-steps"] && opt.Schedule == "wsd" {
			opt.DecaySteps = opt.Steps / 5
		}
	}
	if err := opt.Validate(); err != nil {
		return err
	}
	if *stopAt < 0 {
		return fmt.Errorf("--stop-at must not be negative, got %d", *stopAt)
	}
	return trainRun(opt, st, *resume, dir, *stopAt, stdout, stderr)
}

// trainRun prepares data, model and trainer (fresh or resumed) and runs the loop with the CLI's hooks.
func trainRun(opt train.Options, st *train.State, resumeDir, dir string, stopAt int, stdout, stderr io.Writer) error {
	kern.SetThreads(opt.Threads)
	var tk *tok.Tokenizer
	if st != nil {
		var err error
		if tk, err = tok.Load(filepath.Join(resumeDir, train.FileTokenizer)); err != nil {
			return err
		}
	}
	var tokBar *progress
	corpus, err := train.PrepareCorpus(opt, tk, func(phase string, done, total int64) {
		switch phase {
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
		return err
	}
	tokJSON, err := corpus.Tok.MarshalJSON()
	if err != nil {
		return err
	}
	var m *model.Model
	if st != nil {
		if m, err = train.LoadModel(resumeDir, 0); err != nil {
			return err
		}
		if m.Cfg != opt.Model {
			return fmt.Errorf("%s: config.json describes %+v but the training state says %+v", resumeDir, m.Cfg, opt.Model)
		}
	} else {
		if m, err = model.New(opt.Model); err != nil {
			return err
		}
		m.InitWeights(opt.Seed)
	}
	loader, err := data.NewLoader(corpus.Train, opt.Model.SeqLen, opt.Batch, opt.Seed)
	if err != nil {
		return fmt.Errorf("training data: %d tokens are too few for one batch of %d×%d: %v", len(corpus.Train), opt.Batch, opt.Model.SeqLen+1, err)
	}
	val := data.ValBatches(corpus.Val, opt.Model.SeqLen, opt.Batch, opt.EvalBatches)
	tr := train.New(opt, m, loader, val)
	if st != nil {
		if err := tr.Restore(resumeDir, *st); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	metricsPath := filepath.Join(dir, "metrics.jsonl")
	if st != nil && filepath.Clean(dir) != filepath.Clean(resumeDir) {
		// Resuming into a new directory carries the run's log along.
		if _, err := os.Stat(metricsPath); err == nil {
			return fmt.Errorf("%s already has a metrics.jsonl; resume into an empty directory", dir)
		}
		if raw, err := os.ReadFile(filepath.Join(resumeDir, "metrics.jsonl")); err == nil {
			if err := ckpt.WriteFileAtomic(metricsPath, raw); err != nil {
				return err
			}
		}
	}
	if err := trimMetrics(metricsPath, tr.Step); err != nil {
		return err
	}
	mf, err := os.OpenFile(metricsPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer mf.Close()
	fmt.Fprintf(stdout, "model: %d layers, dim %d, %d heads, ffn %d, vocab %d, seq %d — %.2fM parameters; %s kernels, %d threads\n",
		opt.Model.NumLayers, opt.Model.Dim, opt.Model.NumHeads, opt.Model.FFNDim, opt.Model.VocabSize, opt.Model.SeqLen,
		float64(len(m.Params))/1e6, kern.Backend(), opt.Threads)
	fmt.Fprintf(stdout, "data: %s — %d training tokens, %d validation tokens; %d tokens per step\n",
		dataName(opt), len(corpus.Train), len(corpus.Val), opt.Batch*opt.Accum*opt.Model.SeqLen)
	bar := newProgress(stderr, int64(opt.Steps), "train")
	bar.Set(int64(tr.Step), "")
	var lastVal float64
	var speeds []float64
	tr.Hooks = train.Hooks{
		Evaluate: func(t *train.Trainer, met *train.Metrics) error {
			v := t.ValLoss()
			lastVal, met.ValLoss = v, &v
			return nil
		},
		Log: func(t *train.Trainer, met train.Metrics) error {
			line, _ := json.Marshal(met)
			if _, err := mf.Write(append(line, '\n')); err != nil {
				return err
			}
			speeds = append(speeds, met.TokensPerS)
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
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: %d steps, validation loss %.4f (perplexity %.2f), median %.0f tokens/s\n",
		tr.Step, lastVal, expf(lastVal), median(speeds))
	fmt.Fprintf(stdout, "checkpoint: %s (sample with: midas sample --ckpt %s)\n", dir, dir)
	return nil
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
