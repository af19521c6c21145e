package train

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"midas/internal/data"
	"midas/internal/grow"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/objective"
	"midas/internal/optim"
)

// Metrics is one line of the metrics log.
type Metrics struct {
	Step       int                `json:"step"` // optimizer steps done
	Loss       float64            `json:"loss"` // mean training loss of this step's micro-batches
	LR         float64            `json:"lr"`
	GradNorm   float64            `json:"grad_norm"` // before clipping
	Tokens     int64              `json:"tokens"`    // training tokens seen so far
	TokensPerS float64            `json:"tokens_per_s"`
	StepMS     float64            `json:"step_ms"`
	ElapsedS   float64            `json:"elapsed_s"`        // wall time of this invocation so far (resets on resume)
	TrainS     float64            `json:"train_s"`          // seconds spent in training steps, across resumes (no eval/checkpoint time)
	Stage      int                `json:"stage"`            // growth stage (1 without growth)
	Layers     int                `json:"layers"`           // current depth (logical layers: a looped model's unrolled depth)
	Params     int                `json:"params,omitempty"` // parameters trained now (physical: a looped block counts once)
	FLOPs      float64            `json:"flops"`            // cumulative training FLOPs (SPEC §3 accounting, at the unrolled depth)
	Reg        float64            `json:"reg,omitempty"`    // the Gradient hook's loss term, included in Loss (sim-reg: −λ·R(k))
	ValLoss    *float64           `json:"val_loss,omitempty"`
	Tasks      map[string]float64 `json:"tasks,omitempty"` // k-shot accuracy per task, when evaluated
}

// Hooks are the named extension points of the loop. Each may be nil.
type Hooks struct {
	Log        func(t *Trainer, m Metrics) error   // after every step (and after an evaluation)
	Evaluate   func(t *Trainer, m *Metrics) error  // every EvalEvery steps and at the end
	Checkpoint func(t *Trainer) error              // every SaveEvery steps and at the end
	Grow       func(t *Trainer, p grow.Plan) error // after each growth (Stage and Step set), before the stage's first step
	// Gradient runs inside every step between backward and clipping, with the step's gradient in
	// Model.Grads: a regulariser adds its gradient there and returns its term of the loss (added to
	// Metrics.Loss). It must not allocate if steps are to stay allocation-free.
	Gradient func(t *Trainer) (float64, error)
}

// Trainer holds the whole training state.
type Trainer struct {
	Opt     Options // fixed after New: Ends and the LR schedule are derived from it there
	Model   *model.Model
	M, V    []float32 // AdamW moments, same layout as Model.Params
	Loader  *data.Loader
	Val     [][]int32   // validation batches [B][T+1]
	Step    int         // optimizer steps done
	Tokens  int64       // training tokens consumed
	FLOPs   float64     // training FLOPs so far
	TrainS  float64     // seconds spent in training steps so far, across resumes
	History []grow.Plan // growths so far
	Hooks   Hooks
	Ends    []int // exclusive end step of every stage
	// Objective turns each micro-batch of loader windows into the batch trained on; New sets
	// objective.Causal.
	Objective objective.Objective

	sched optim.Schedule // Opt.LRSchedule(), resolved once (it allocates)

	chunks  []chunk
	batch   []int32
	current objective.Batch // the micro-batch trained on, made from batch by Objective
	norms   []float64
	upd     updateTask // reused every step, so that TrainStep does not allocate
	nrm     normTask
	start   time.Time
	stop    atomic.Bool
}

// chunk is a range of the flat buffers updated as one unit; chunks never straddle tensors, and their
// boundaries depend only on the layout, so the update is the same for any thread count.
type chunk struct {
	lo, hi int
	decay  bool
}

const chunkSize = 1 << 15

// New makes a trainer over a model and a loader. The model's parameters must already be set.
func New(opt Options, m *model.Model, loader *data.Loader, val [][]int32) *Trainer {
	t := &Trainer{Opt: opt, Model: m, Loader: loader, Val: val, Objective: objective.Causal{},
		M: make([]float32, len(m.Params)), V: make([]float32, len(m.Params))}
	t.Relayout()
	t.Ends, _ = opt.StageEnds() // Validate has checked the options
	t.sched = opt.LRSchedule()
	n := opt.Batch * (opt.Model.SeqLen + 1)
	t.batch = make([]int32, n)
	t.current.Resize(opt.Batch, opt.Model.SeqLen)
	return t
}

// Relayout recomputes the update chunks from the model's layout (after the model changed shape).
func (t *Trainer) Relayout() {
	t.chunks = t.chunks[:0]
	for _, ts := range t.Model.Layout.Tensors {
		decay := ts.Kind == model.KindMatrix || ts.Kind == model.KindHead ||
			(ts.Kind == model.KindEmbed && t.Opt.DecayEmbeddings) || (ts.Kind == model.KindNorm && t.Opt.DecayNorms)
		for lo := ts.Offset; lo < ts.Offset+ts.Size; lo += chunkSize {
			t.chunks = append(t.chunks, chunk{lo, min(lo+chunkSize, ts.Offset+ts.Size), decay})
		}
	}
	t.norms = make([]float64, len(t.chunks))
}

// TrainStep runs one optimizer step: Accum micro-batches forward and backward, the NaN/Inf checks,
// clipping and AdamW. It returns the step's metrics; a non-finite loss or gradient is an error that names
// the step (and the tensor).
func (t *Trainer) TrainStep() (Metrics, error) {
	if t.start.IsZero() {
		t.start = time.Now()
	}
	t0 := time.Now()
	o := t.Opt
	B, T := o.Batch, o.Model.SeqLen
	m := t.Model
	m.Recompute = o.Recompute
	m.ZeroGrads()
	var loss, reg float64
	for a := 0; a < o.Accum; a++ {
		t.Loader.Next(t.batch)
		// The key is the micro-batch count, a function of the step: a resumed run makes the same batches.
		t.Objective.Make(&t.current, t.batch, B, T, uint64(t.Step)*uint64(o.Accum)+uint64(a))
		l := m.LossBatch(&t.current)
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			return Metrics{}, fmt.Errorf("train: step %d: loss is %v", t.Step+1, l)
		}
		m.Backward(1 / float32(o.Accum))
		loss += float64(l) / float64(o.Accum)
	}
	if t.Hooks.Gradient != nil {
		var err error
		if reg, err = t.Hooks.Gradient(t); err != nil {
			return Metrics{}, fmt.Errorf("train: step %d: %v", t.Step+1, err)
		}
		loss += reg
	}
	// The float64 sum of squares is NaN or Inf exactly when some gradient is (float32 squares cannot
	// overflow it), so the serial scan that names the tensor runs only then.
	norm := t.gradNorm()
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		if name := m.GradNonFinite(); name != "" {
			return Metrics{}, fmt.Errorf("train: step %d: gradient of %s is NaN or Inf", t.Step+1, name)
		}
	}
	lr := t.sched.LR(t.Step)
	scale := float32(1)
	if o.Clip > 0 {
		scale = optim.ClipScale(norm, o.Clip)
	}
	adam := o.AdamW()
	step := t.Step + 1
	t.upd = updateTask{t: t, adam: adam, scale: scale, lr: lr, step: step}
	kern.ParallelForTask(len(t.chunks), &t.upd)
	t.Step = step
	t.Tokens += int64(o.Accum * B * T)
	t.FLOPs += grow.StepFLOPs(o.Model, m.Layout.Depth(), o.Accum*B*T)
	dt := time.Since(t0).Seconds()
	t.TrainS += dt
	return Metrics{TrainS: t.TrainS, Step: t.Step, Loss: loss, LR: lr, GradNorm: norm, Tokens: t.Tokens,
		TokensPerS: float64(o.Accum*B*T) / dt, StepMS: dt * 1e3, ElapsedS: time.Since(t.start).Seconds(),
		Stage: grow.StageAt(t.Ends, t.Step-1), Layers: m.Layout.Depth(), Params: len(m.Params), FLOPs: t.FLOPs, Reg: reg}, nil
}

// updateTask clips (scales) the gradients and applies AdamW to chunks [lo, hi).
type updateTask struct {
	t     *Trainer
	adam  optim.AdamW
	scale float32
	lr    float64
	step  int
}

func (u *updateTask) Run(lo, hi int) {
	t, m := u.t, u.t.Model
	for _, c := range t.chunks[lo:hi] {
		if u.scale != 1 {
			optim.Scale(m.Grads, c.lo, c.hi, u.scale)
		}
		u.adam.Update(m.Params, m.Grads, t.M, t.V, c.lo, c.hi, c.decay, u.lr, u.step)
	}
}

// normTask sums the squared gradients of chunks [lo, hi) into t.norms.
type normTask struct{ t *Trainer }

func (n *normTask) Run(lo, hi int) {
	t := n.t
	for i := lo; i < hi; i++ {
		t.norms[i] = optim.SumSquares(t.Model.Grads, t.chunks[i].lo, t.chunks[i].hi)
	}
}

// gradNorm is the global L2 norm, summed per chunk in parallel and then over chunks in order.
func (t *Trainer) gradNorm() float64 {
	t.nrm = normTask{t}
	kern.ParallelForTask(len(t.chunks), &t.nrm)
	var s float64
	for _, v := range t.norms {
		s += v
	}
	return math.Sqrt(s)
}

// ValLoss is the mean loss over the validation batches (NaN if there are none).
func (t *Trainer) ValLoss() float64 { return t.Model.MeanLoss(t.Val, t.Opt.Model.SeqLen) }

// Run trains until Opt.Steps, calling the hooks. It evaluates and checkpoints at the end.
func (t *Trainer) Run() error {
	o := t.Opt
	for t.Step < o.Steps {
		if err := t.GrowIfDue(); err != nil {
			return err
		}
		met, err := t.TrainStep()
		if err != nil {
			return err
		}
		last := t.Step == o.Steps
		if t.Hooks.Evaluate != nil && (last || t.AtBoundary() || (o.EvalEvery > 0 && t.Step%o.EvalEvery == 0)) {
			if err := t.Hooks.Evaluate(t, &met); err != nil {
				return err
			}
		}
		if t.Hooks.Log != nil {
			if err := t.Hooks.Log(t, met); err != nil {
				return err
			}
		}
		stop := t.stop.Load()
		if t.Hooks.Checkpoint != nil && (last || stop || (o.SaveEvery > 0 && t.Step%o.SaveEvery == 0)) {
			if err := t.Hooks.Checkpoint(t); err != nil {
				return err
			}
		}
		if stop && !last {
			return ErrInterrupted
		}
	}
	return nil
}

// ErrInterrupted is returned by Run after Interrupt: the current step finished and a checkpoint was saved.
var ErrInterrupted = errors.New("train: interrupted")

// Interrupt asks Run to stop after the current step (safe from another goroutine, e.g. a signal handler).
func (t *Trainer) Interrupt() { t.stop.Store(true) }

// GrowIfDue grows the model until its depth is the one of the stage that trains the next step (a resumed
// run at a stage boundary grows here too). Parameters and both AdamW moments go through the same plan.
func (t *Trainer) GrowIfDue() error {
	sched := t.Opt.StageSchedule()
	if !sched.Growing() {
		return nil
	}
	for {
		stage := grow.StageAt(t.Ends, t.Step)
		cur := t.Model.Cfg.NumLayers
		if cur >= sched.StageLayers(stage) {
			return nil
		}
		p, err := sched.Grow(cur)
		if err != nil {
			return fmt.Errorf("train: step %d: %v", t.Step, err)
		}
		p.Stage, p.Step = stage, t.Step
		cfg, np, nm, nv, err := grow.Apply(p, t.Model.Cfg, t.Model.Params, t.M, t.V)
		if err != nil {
			return fmt.Errorf("train: step %d: %v", t.Step, err)
		}
		m, err := model.New(cfg)
		if err != nil {
			return fmt.Errorf("train: step %d: %v", t.Step, err)
		}
		copy(m.Params, np)
		t.Model, t.M, t.V = m, nm, nv
		t.Relayout()
		t.History = append(t.History, p)
		if t.Hooks.Grow != nil {
			if err := t.Hooks.Grow(t, p); err != nil {
				return err
			}
		}
	}
}

// AtBoundary reports whether the steps done end a stage before the last (growth comes next).
func (t *Trainer) AtBoundary() bool {
	for _, e := range t.Ends[:len(t.Ends)-1] {
		if t.Step == e {
			return true
		}
	}
	return false
}
