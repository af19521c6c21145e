package train

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/grow"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/stats"
	"midas/internal/tboard"
	"midas/internal/tok"
)

// RunConfig says which run to open and what to tell its caller.
type RunConfig struct {
	Dir     string  // the run directory written to: checkpoints and metrics.jsonl
	Resume  string  // a checkpoint directory to continue ("" starts a fresh run); may equal Dir
	Options Options // a fresh run's options; on resume the saved options are used, changed by Cadence
	// Cadence changes the saved options on resume; only the steps, the evaluation and checkpoint
	// cadence and Recompute may change (anything else is an error). nil: no change.
	Cadence func(*Options)
	StopAt  int      // > 0: checkpoint and stop after this step, keeping the schedule of Options.Steps
	Tasks   TaskEval // task accuracies at each evaluation; nil: validation loss only
	// Gradient is the trainer's hook between backward and clipping (see Hooks.Gradient); nil: none.
	Gradient func(t *Trainer) (float64, error)
	Events   Events
	// Interrupt makes os.Interrupt (Ctrl-C) stop the run after the current step, with a checkpoint.
	Interrupt bool
	// MaxMemory bounds the memory the run may need, checked before anything is allocated: 0 means
	// the machine's available memory, a negative value no check.
	MaxMemory int64
	// TensorBoard is a directory to write TensorBoard event files of the metrics to ("": none).
	TensorBoard string
}

// TaskEval scores a model on held-out task examples (name → accuracy) during training.
type TaskEval func(m *model.Model, c *Corpus, o Options) (map[string]float64, error)

// Events are what a run tells its caller; each may be nil.
type Events struct {
	Prepare Progress                   // reading, tokenizer training and tokenizing
	Start   func(r *Run)               // once the run is open, before its first step
	Grow    func(r *Run, ev grow.Plan) // after each growth
	Step    func(r *Run, m Metrics)    // after every step (and its evaluation)
}

// Run is an open training run: its data, model, trainer and metrics log.
type Run struct {
	Cfg     RunConfig
	Opt     Options // the resolved options (after Cadence)
	Corpus  *Corpus
	Trainer *Trainer
	Resumed bool    // continues a checkpoint
	ValLoss float64 // the latest validation loss (NaN before the first evaluation)

	log     *metricsLog
	tb      *tboard.Writer // nil without RunConfig.TensorBoard
	tk      *tok.Tokenizer // Options.Tokenizer, loaded by freshOptions
	files   CheckpointFiles
	speeds  []float64
	stageMS map[int][]float64
}

// Summary is what a finished (or stopped) Train reports.
type Summary struct {
	Stopped       bool    // interrupted or at StopAt; the checkpoint is saved
	Step          int     // steps done
	ValLoss       float64 // final validation loss (NaN when it never evaluated)
	TokensPerS    float64 // median over the steps of this invocation
	FLOPs         float64 // training FLOPs of the whole run
	BaselineFLOPs float64 // the full-depth model's FLOPs for the same steps
	Stages        []StageTime
}

// StageTime is the measured step time of one growth stage in this invocation.
type StageTime struct {
	Stage, Layers, Steps int
	MedianMS             float64
}

// Open opens a fresh run in cfg.Dir or resumes cfg.Resume: it checks the directories and options,
// prepares the corpus (training a tokenizer for a fresh run), builds or loads the model and the
// optimizer state, and opens the metrics log. Close it when done.
func Open(cfg RunConfig) (*Run, error) {
	r := &Run{Cfg: cfg, ValLoss: math.NaN(), stageMS: map[int][]float64{}}
	var st *State
	var err error
	if cfg.Resume != "" {
		if st, err = r.resumeOptions(); err != nil {
			return nil, err
		}
	} else if err = r.freshOptions(); err != nil {
		return nil, err
	}
	if err := r.Opt.Validate(); err != nil {
		return nil, err
	}
	if cfg.StopAt < 0 || (cfg.StopAt > 0 && cfg.StopAt > r.Opt.Steps) {
		return nil, fmt.Errorf("train: stop-at must be in [1, steps %d] (or 0: no stop), got %d", r.Opt.Steps, cfg.StopAt)
	}
	if err := r.checkMemory(); err != nil {
		return nil, err
	}
	kern.SetThreads(r.Opt.Threads)
	if err := SetMatmul(r.Opt.Matmul); err != nil {
		return nil, err
	}
	if err := r.prepare(st); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.Cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("train: %v", err)
	}
	if r.log, err = openMetricsLog(r.Cfg.Dir, cfg.Resume, r.Trainer.Step); err != nil {
		return nil, err
	}
	if cfg.TensorBoard != "" {
		if r.tb, err = tboard.Create(cfg.TensorBoard); err != nil {
			r.log.close()
			return nil, err
		}
	}
	return r, nil
}

// checkMemory refuses a run whose full-depth model, optimizer state and activations would not fit.
func (r *Run) checkMemory() error {
	// Parameters, gradients and moments are physical; activations are kept per logical layer.
	c, o := r.Opt.PhysicalModel(), r.Opt
	state, acts := 16*c.ParamCount(), o.Model.ActivationBytes(o.Batch, c.SeqLen, o.Recompute)
	return CheckMemory("training this model", state+acts, r.Cfg.MaxMemory, fmt.Sprintf("%.4g parameters: %s for weights, gradients and AdamW; %s of activations for batch %d × seq %d",
		c.ParamCount(), FormatBytes(state), FormatBytes(acts), o.Batch, c.SeqLen))
}

// freshOptions takes the options of a new run, refusing a directory that holds anything but the
// remains of a run killed before its first checkpoint.
func (r *Run) freshOptions() error {
	dir := r.Cfg.Dir
	if dir == "" {
		return errors.New("train: a run needs a directory")
	}
	if _, err := ckpt.Recover(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, FileState)); err == nil {
		return fmt.Errorf("train: %s already holds a training run; use --resume %s to continue it, or another --out", dir, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("train: %v", err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case name == FileMetrics: // a run killed before its first checkpoint: its log is restarted
		case name == FileConfig || name == FileModel || strings.HasSuffix(name, ".safetensors"):
			return fmt.Errorf("train: %s holds a model checkpoint (%s) that training would overwrite; choose another --out", dir, name)
		default:
			return fmt.Errorf("train: %s is not empty (it has %s); train into a new or empty directory", dir, name)
		}
	}
	r.Opt = r.Cfg.Options
	r.Opt.Model = r.Opt.Model.Canonical()
	r.Opt.resolveObjective()
	if r.Opt.Init != "" {
		var err error
		note := func(msg string) {
			if r.Cfg.Events.Prepare != nil {
				r.Cfg.Events.Prepare(msg, 0, 0)
			}
		}
		if r.files.ConfigExtra, err = initConfig(&r.Opt, note); err != nil {
			return err
		}
	}
	if r.Opt.Tokenizer != "" {
		var err error
		if r.tk, err = tok.Load(r.Opt.Tokenizer); err != nil {
			return err
		}
		if r.Opt.Init == "" {
			r.Opt.Model.VocabSize = r.tk.VocabSize() // the tokenizer fixes the vocabulary
		}
	}
	return nil
}

// resumeOptions reads the training state to continue (after finishing or discarding an interrupted
// checkpoint write, so that state, weights and moments are of one commit).
func (r *Run) resumeOptions() (*State, error) {
	from := r.Cfg.Resume
	if r.Cfg.Dir == "" {
		r.Cfg.Dir = from
	}
	if fi, err := os.Stat(from); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("train: resume: %s is not a directory", from)
	}
	if _, err := ckpt.Recover(from); err != nil {
		return nil, err
	}
	st, err := LoadState(from)
	if err != nil {
		return nil, err
	}
	r.Opt, r.Resumed, r.files.ConfigExtra = st.Options, true, st.ConfigExtra
	if r.Cfg.Cadence != nil {
		r.Cfg.Cadence(&r.Opt)
	}
	if err := sameRun(st.Options, r.Opt); err != nil {
		return nil, err
	}
	switch {
	case r.Opt.Steps < st.Step:
		return nil, fmt.Errorf("train: resume: --steps %d is below the run's %d steps done", r.Opt.Steps, st.Step)
	case r.Opt.Steps == st.Step:
		return nil, fmt.Errorf("train: resume: %s is already trained to step %d of %d; raise --steps to continue it", from, st.Step, r.Opt.Steps)
	}
	return &st, nil
}

// sameRun checks that a resume changes nothing but what Cadence may change.
func sameRun(saved, now Options) error {
	for _, k := range OptionsDiff(saved, now) {
		switch k {
		case "steps", "eval_every", "save_every", "eval_batches", "eval_tasks", "eval_shots", "recompute":
		default:
			return fmt.Errorf("train: resume: %s cannot change (only the steps, the evaluation and checkpoint cadence and --recompute can)", k)
		}
	}
	return nil
}

// prepare builds the corpus, the model (new or loaded) and the trainer (restored on resume).
func (r *Run) prepare(st *State) error {
	tk := r.tk
	tokPath, err := tokenizerPath(r.Opt, r.Cfg.Resume)
	if err != nil {
		return err
	}
	if tk == nil && tokPath != "" {
		if tk, err = tok.Load(tokPath); err != nil {
			return err
		}
	}
	corpus, err := PrepareCorpus(r.Opt, tk, r.Cfg.Events.Prepare)
	if err != nil {
		return err
	}
	if st == nil && r.Opt.Init == "" {
		r.Opt.Model.VocabSize = corpus.Tok.VocabSize()
	} else if corpus.Tok.VocabSize() != r.Opt.Model.VocabSize {
		return fmt.Errorf("train: the tokenizer (%s) has %d tokens, the model's vocab_size is %d; they must be equal", tokPath, corpus.Tok.VocabSize(), r.Opt.Model.VocabSize)
	}
	r.Corpus = corpus
	r.files.EOT = int(corpus.Tok.EOT())
	if r.files.Tokenizer, err = checkpointTokenizerFiles(corpus.Tok, tokPath, r.Opt.Model.Positions()); err != nil {
		return err
	}
	m, err := r.model(st)
	if err != nil {
		return err
	}
	o := r.Opt
	loader, err := data.NewLoader(corpus.Train, o.Model.SeqLen, o.Batch, o.Seed)
	if err != nil {
		return fmt.Errorf("train: training data: %d tokens are too few for one batch of %d×%d: %v", len(corpus.Train), o.Batch, o.Model.SeqLen+1, err)
	}
	val := data.ValBatches(corpus.Val, o.Model.SeqLen, o.Batch, o.EvalBatches)
	if len(val) == 0 {
		// An evaluation would log a NaN validation loss, which JSON cannot hold.
		return fmt.Errorf("train: validation data: %d tokens are too few for one batch of %d×%d; give more text (or a larger --data-bytes)", len(corpus.Val), o.Batch, o.Model.SeqLen+1)
	}
	r.Trainer = New(o, m, loader, val)
	if r.Trainer.Objective, err = o.NewObjective(corpus.Tok); err != nil {
		return err
	}
	if st != nil {
		return r.Trainer.Restore(r.Cfg.Resume, *st)
	}
	return nil
}

// model loads the checkpoint's model on resume, or makes the first stage's model: the --init
// checkpoint's weights, or fresh ones (a looped run's physical layers, drawn in layout order).
func (r *Run) model(st *State) (*model.Model, error) {
	if st != nil {
		return r.resumeModel()
	}
	if r.Opt.Init != "" {
		return loadAs(r.Opt.Init, r.Opt.PhysicalModel(), false)
	}
	cfg := r.Opt.Model
	cfg.NumLayers = r.Opt.StageLayers(1)
	m, err := model.NewLoop(cfg, r.Opt.Loop)
	if err != nil {
		return nil, err
	}
	m.InitWeights(r.Opt.Seed)
	return m, nil
}

// resumeModel loads the resumed checkpoint's model and checks it against the training state: the
// architecture, the depth (a growing run's changes; the trainer checks it per stage) and the loop.
func (r *Run) resumeModel() (*model.Model, error) {
	m, err := loadAs(r.Cfg.Resume, r.Opt.PhysicalModel(), true)
	if err != nil {
		return nil, err
	}
	if m.Layout.Depth() > r.Opt.Model.NumLayers {
		return nil, fmt.Errorf("train: %s: config.json describes %+v but the training state says %+v", r.Cfg.Resume, m.Cfg, r.Opt.Model)
	}
	want := model.NewLayout(m.Cfg).Map // a loop applied once (R = 1) is saved as the plain model it is
	if r.Opt.Loop.Looped() {
		want = r.Opt.Loop.Map()
	}
	if !slices.Equal(m.Layout.Map, want) {
		return nil, fmt.Errorf("train: %s: config.json's layers run as %v, but the training state's loop %s runs them as %v",
			r.Cfg.Resume, m.Layout.Map, r.Opt.Loop, want)
	}
	return m, nil
}

// Train runs the loop to the end (or to StopAt, or until interrupted), logging every step, evaluating
// and checkpointing at the options' cadence and at the end.
func (r *Run) Train() (Summary, error) {
	t := r.Trainer
	t.Hooks = Hooks{Grow: r.onGrow, Evaluate: r.onEvaluate, Log: r.onLog, Gradient: r.gradientHook(),
		Checkpoint: func(t *Trainer) error {
			return SaveCheckpoint(r.Cfg.Dir, t.Model, r.files, t)
		}}
	if r.Cfg.Interrupt {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		defer signal.Stop(sig)
		go func() {
			if _, ok := <-sig; ok {
				t.Interrupt()
			}
		}()
	}
	if r.Cfg.Events.Start != nil {
		r.Cfg.Events.Start(r)
	}
	err := t.Run()
	stopped := errors.Is(err, ErrInterrupted)
	if err != nil && !stopped {
		return Summary{}, err
	}
	return r.summary(stopped), nil
}

// gradientHook is the run's Hooks.Gradient: RunConfig.Gradient, then the similarity regulariser
// of the options (their loss terms add up); nil when there is neither.
func (r *Run) gradientHook() func(t *Trainer) (float64, error) {
	user := r.Cfg.Gradient
	if !r.Opt.SimReg.On() {
		return user
	}
	h := &simRegHook{s: r.Opt.SimReg}
	if user == nil {
		return h.Gradient
	}
	return func(t *Trainer) (float64, error) {
		a, err := user(t)
		if err != nil {
			return 0, err
		}
		b, err := h.Gradient(t)
		return a + b, err
	}
}

func (r *Run) onGrow(t *Trainer, ev grow.Plan) error {
	if r.Cfg.Events.Grow != nil {
		r.Cfg.Events.Grow(r, ev)
	}
	return nil
}

func (r *Run) onEvaluate(t *Trainer, met *Metrics) error {
	v := t.ValLoss()
	r.ValLoss, met.ValLoss = v, &v
	if r.Opt.EvalTasks > 0 && r.Cfg.Tasks != nil {
		accs, err := r.Cfg.Tasks(t.Model, r.Corpus, r.Opt)
		if err != nil {
			return err
		}
		met.Tasks = accs
	}
	return nil
}

func (r *Run) onLog(t *Trainer, met Metrics) error {
	if err := r.log.write(met); err != nil {
		return err
	}
	if r.tb != nil {
		if err := r.tb.Scalars(int64(met.Step), Scalars(met)); err != nil {
			return err
		}
		if err := r.tb.Flush(); err != nil {
			return err
		}
	}
	r.speeds = append(r.speeds, met.TokensPerS)
	r.stageMS[met.Stage] = append(r.stageMS[met.Stage], met.StepMS)
	if met.Step == r.Cfg.StopAt {
		t.Interrupt()
	}
	if r.Cfg.Events.Step != nil {
		r.Cfg.Events.Step(r, met)
	}
	return nil
}

func (r *Run) summary(stopped bool) Summary {
	o, t := r.Opt, r.Trainer
	tokens := o.Batch * o.Accum * o.Model.SeqLen
	s := Summary{Stopped: stopped, Step: t.Step, ValLoss: r.ValLoss, TokensPerS: stats.Median(r.speeds), FLOPs: t.FLOPs,
		BaselineFLOPs: grow.StepFLOPs(o.Model, o.Model.NumLayers, tokens) * float64(t.Step)}
	for st := 1; st <= o.NumStages(); st++ {
		if ms := r.stageMS[st]; len(ms) > 0 {
			s.Stages = append(s.Stages, StageTime{Stage: st, Layers: o.StageLayers(st), Steps: len(ms), MedianMS: stats.Median(ms)})
		}
	}
	return s
}

// Close closes the metrics log (and the TensorBoard file).
func (r *Run) Close() error {
	err := r.log.close()
	if r.tb != nil {
		if terr := r.tb.Close(); err == nil {
			err = terr
		}
	}
	return err
}

// Scalars are the TensorBoard scalars of one metrics line: the training loss, learning rate,
// gradient norm, speed and depth of every step, the validation loss and task accuracies (tasks/<name>,
// sorted) where the step was evaluated.
func Scalars(m Metrics) []tboard.Scalar {
	s := []tboard.Scalar{{Tag: "train/loss", Value: float32(m.Loss)}, {Tag: "train/lr", Value: float32(m.LR)},
		{Tag: "train/grad_norm", Value: float32(m.GradNorm)}, {Tag: "perf/tokens_per_s", Value: float32(m.TokensPerS)},
		{Tag: "perf/step_ms", Value: float32(m.StepMS)}, {Tag: "model/layers", Value: float32(m.Layers)},
		{Tag: "model/stage", Value: float32(m.Stage)}}
	if m.ValLoss != nil {
		s = append(s, tboard.Scalar{Tag: "val/loss", Value: float32(*m.ValLoss)})
	}
	names := make([]string, 0, len(m.Tasks))
	for k := range m.Tasks {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		s = append(s, tboard.Scalar{Tag: "tasks/" + k, Value: float32(m.Tasks[k])})
	}
	return s
}

// SetMatmul selects the GEMM backend for a matmul precision: bf16 needs the amx-bf16 backend; float32
// (or "") keeps the build's default exact backend.
func SetMatmul(precision string) error {
	switch precision {
	case "", MatmulFloat32:
		if kern.Backend() == amxBackend {
			return kern.SetBackend(kern.Backends()[0])
		}
		return nil
	case MatmulBF16:
		if !slices.Contains(kern.Backends(), amxBackend) {
			return fmt.Errorf("train: --matmul bf16 needs Intel AMX-BF16 (Xeon Sapphire Rapids or later); this CPU or build has only %s", strings.Join(kern.Backends(), ", "))
		}
		return kern.SetBackend(amxBackend)
	}
	return fmt.Errorf("train: --matmul must be float32 or bf16, got %q", precision)
}

// amxBackend is the kern backend behind --matmul bf16.
const amxBackend = "amx-bf16"
