package experiment

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/model"
	"midas/internal/train"
)

// Arm is one run type of an experiment.
type Arm struct {
	Name    string
	Options train.Options // Seed is the first seed; seed s of the experiment uses Seed+s
}

// Arm names beyond baseline and the growth operators (SPEC §6): a looped model, a middle-looped one,
// and an untied model trained with the similarity regulariser.
const (
	Looped  = "looped"
	MidLoop = "midloop"
	SimReg  = "simreg"
)

// Defaults of the looped, midloop and simreg arms when base leaves them open (see NewArm).
const (
	DefaultUntied = 1   // midloop: untied layers below and above the loop
	DefaultLambda = 0.1 // simreg: λ (tiny model, 600 steps: R(2) 0.62 at +5% validation loss; README)
)

// NewArm makes the arm of a standard run type from base options: baseline (no growth), a growth
// operator (midas, gradstack, double) with base's block and schedule, or one of the weight-sharing
// arms, which train at full depth without growth:
//
//	looped   base.Loop's block of K layers (default: base.Block) applied R times (default: fitted to the
//	         depth), no untied layers
//	midloop  base.Loop's P, Q untied layers (default 1, 1) around a block of K layers (as looped, but
//	         1 when base.Block would fill the span only once) applied as often as fits the rest of
//	         the depth (base.Loop.R is the looped arm's)
//	simreg   an untied model with base.SimReg (λ default DefaultLambda, block default base.Block)
//
// base.Loop and base.SimReg are these arms' settings: every other arm drops them. Any other name is
// taken as a growth operator, which Spec.Jobs then validates (as it validates every arm's options).
func NewArm(name string, base train.Options) Arm {
	o := base
	o.Loop, o.SimReg = model.Loop{}, train.SimReg{}
	k := base.Loop.K
	if k == 0 {
		k = base.Block
	}
	switch name {
	case eval.Baseline:
		o.Growth = grow.OpNone
	case Looped:
		o.Growth = grow.OpNone
		o.Loop = model.Loop{K: k, R: base.Loop.R}.Fit(o.Model.NumLayers)
	case MidLoop:
		o.Growth = grow.OpNone
		p, q := base.Loop.P, base.Loop.Q
		if p == 0 && q == 0 {
			p, q = DefaultUntied, DefaultUntied
		}
		if span := o.Model.NumLayers - p - q; base.Loop.K == 0 && span < 2*k {
			k = 1 // --block would fill the span once: no loop at all
		}
		o.Loop = model.Loop{K: k, P: p, Q: q}.Fit(o.Model.NumLayers)
	case SimReg:
		o.Growth = grow.OpNone
		o.SimReg = base.SimReg
		if o.SimReg.Lambda == 0 {
			o.SimReg.Lambda = DefaultLambda
		}
		if o.SimReg.Block == 0 {
			o.SimReg.Block = base.Block
		}
	default:
		o.Growth = name
	}
	return Arm{Name: name, Options: o}
}

// Spec is a whole experiment.
type Spec struct {
	Out   string            // directory of the runs (Out/runs/<arm>-seed<seed>) and of report.md
	Arms  []Arm             //
	Seeds int               // seeds per arm
	Final eval.FinalOptions // the final evaluation of every run
	Setup string            // the report's description of the setup (Markdown)
	Force bool              // retrain runs whose saved options differ from the requested ones
	// MaxMemory bounds each run's memory (train.RunConfig.MaxMemory: 0 the available memory, < 0 none).
	MaxMemory int64
	// RepeatBlock, RepeatTimes > 0: every midas run is also evaluated with its centred block of
	// RepeatBlock layers applied RepeatTimes times (eval.FinalOptions), as the row RepeatName.
	RepeatBlock, RepeatTimes int
}

// RepeatName is the report row of the midas runs evaluated with their middle repeated.
func (s Spec) RepeatName() string {
	return fmt.Sprintf("%s+rep%dx%d", grow.OpMIDAS, s.RepeatBlock, s.RepeatTimes)
}

// Job is one (arm, seed) of an experiment.
type Job struct {
	Arm     string
	Seed    uint64
	Options train.Options
	Dir     string
}

// Jobs lists the runs of the experiment, arm by arm, seed by seed; every run's options are validated.
func (s Spec) Jobs() ([]Job, error) {
	if s.Out == "" || len(s.Arms) == 0 || s.Seeds < 1 {
		return nil, errors.New("experiment: a spec needs an output directory, at least one arm and one seed")
	}
	if err := s.checkRepeat(); err != nil {
		return nil, err
	}
	var jobs []Job
	for _, a := range s.Arms {
		for i := 0; i < s.Seeds; i++ {
			o := a.Options
			o.Seed += uint64(i)
			if err := o.Validate(); err != nil {
				return nil, fmt.Errorf("experiment: run %s: %v", a.Name, err)
			}
			jobs = append(jobs, Job{Arm: a.Name, Seed: o.Seed, Options: o,
				Dir: filepath.Join(s.Out, "runs", fmt.Sprintf("%s-seed%d", a.Name, o.Seed))})
		}
	}
	return jobs, nil
}

// checkRepeat refuses, before anything trains, a middle repetition without a midas arm or one that
// does not fit its depth.
func (s Spec) checkRepeat() error {
	if s.RepeatTimes == 0 && s.RepeatBlock == 0 {
		return nil
	}
	for _, a := range s.Arms {
		if a.Name == grow.OpMIDAS {
			_, err := model.MiddleMap(model.NewLayout(a.Options.Model).Map, s.RepeatBlock, s.RepeatTimes)
			if err != nil {
				return fmt.Errorf("experiment: %v", err)
			}
			return nil
		}
	}
	return fmt.Errorf("experiment: repeat-middle %dx%d evaluates the midas runs, and there is no midas run", s.RepeatBlock, s.RepeatTimes)
}

// Events are what Execute tells its caller; each may be nil.
type Events struct {
	Job      func(i, n int, j Job, status string) // before each run: "training", "resuming at step N", "already trained (N steps)"
	Evaluate func(j Job)                          // before a run's final evaluation is computed (not when cached)
	Tasks    train.TaskEval                       // evaluation during training (nil: eval.TaskAccuracies)
	// Train runs one training run (e.g. with a progress display); nil: Open, Train and Close, silently.
	Train func(cfg train.RunConfig) (train.Summary, error)
}

// Result is what Execute did.
type Result struct {
	Stopped bool             // a run was interrupted (its checkpoint is saved); run again to continue
	Runs    []eval.RunResult // every run, in Jobs order, when not stopped
	Report  string           // path of report.md, when written
}

// Execute trains (or resumes, or reuses) every run, evaluates each, and writes the report. With
// interrupt, Ctrl-C stops the run in progress after its current step with a checkpoint.
func Execute(s Spec, ev Events, interrupt bool) (Result, error) {
	jobs, err := s.Jobs()
	if err != nil {
		return Result{}, err
	}
	if ev.Tasks == nil {
		ev.Tasks = eval.TaskAccuracies
	}
	var res Result
	for i, j := range jobs {
		stopped, err := s.train(i, len(jobs), j, ev, interrupt)
		if err != nil {
			return res, fmt.Errorf("experiment: run %s seed %d: %v", j.Arm, j.Seed, err)
		}
		if stopped {
			res.Stopped = true
			return res, nil
		}
		r, err := collect(j, s.Final, ev)
		if err != nil {
			return res, fmt.Errorf("experiment: run %s seed %d: %v", j.Arm, j.Seed, err)
		}
		res.Runs = append(res.Runs, r)
	}
	if res.Runs, err = s.repeated(jobs, res.Runs, ev); err != nil {
		return res, err
	}
	if err := eval.WriteReport(s.Out, s.Setup, res.Runs); err != nil {
		return res, err
	}
	res.Report = filepath.Join(s.Out, "report.md")
	return res, nil
}

// train brings one run to its last step: fresh, resumed, or already done. It refuses a saved run whose
// options differ from the job's (unless Force, which discards it).
func (s Spec) train(i, n int, j Job, ev Events, interrupt bool) (stopped bool, err error) {
	cfg := train.RunConfig{Dir: j.Dir, Options: j.Options, Tasks: ev.Tasks, Interrupt: interrupt, MaxMemory: s.MaxMemory}
	status := "training"
	if st, err := train.LoadState(j.Dir); err == nil {
		if diff := train.AskedDiff(st.Options, j.Options); len(diff) > 0 {
			if !s.Force {
				return false, fmt.Errorf("%s was trained with other settings (%s differ); use a new --out, or --force to retrain it",
					j.Dir, strings.Join(diff, ", "))
			}
			if err := os.RemoveAll(j.Dir); err != nil {
				return false, err
			}
		} else if st.Step >= j.Options.Steps {
			notify(ev, i, n, j, fmt.Sprintf("already trained (%d steps)", st.Step))
			return false, nil
		} else {
			cfg.Resume, status = j.Dir, fmt.Sprintf("resuming at step %d", st.Step)
			cfg.Cadence = func(o *train.Options) { o.Recompute = j.Options.Recompute } // as asked now
		}
	}
	notify(ev, i, n, j, status)
	run := ev.Train
	if run == nil {
		run = TrainQuietly
	}
	sum, err := run(cfg)
	return sum.Stopped, err
}

// TrainQuietly opens a run, trains it and closes it.
func TrainQuietly(cfg train.RunConfig) (train.Summary, error) {
	r, err := train.Open(cfg)
	if err != nil {
		return train.Summary{}, err
	}
	defer r.Close()
	return r.Train()
}

func notify(ev Events, i, n int, j Job, status string) {
	if ev.Job != nil {
		ev.Job(i, n, j, status)
	}
}

// collect reads what the report needs of a finished run, evaluating it (or reading the cached
// evaluation).
func collect(j Job, fo eval.FinalOptions, ev Events) (eval.RunResult, error) {
	res := eval.RunResult{Run: j.Arm, Seed: j.Seed}
	st, err := train.LoadState(j.Dir)
	if err != nil {
		return res, err
	}
	res.FLOPs, res.TrainS = st.FLOPs, st.TrainS
	if res.Curve, err = train.ReadMetrics(j.Dir); err != nil {
		return res, err
	}
	m, err := train.LoadModel(j.Dir, 0)
	if err != nil {
		return res, err
	}
	if fo.RepeatTimes > 0 {
		if m, err = m.RepeatMiddle(fo.RepeatBlock, fo.RepeatTimes); err != nil {
			return res, err
		}
	}
	res.Layers, res.Params = m.Layout.Depth(), len(m.Params)
	cfg, params := m.Unrolled()
	res.Similarity = eval.LayerSimilarity(cfg, params)[eval.SimAll]
	res.BlockSim, res.SimBlock = math.NaN(), j.Options.Block
	if k := j.Options.Block; k >= 1 && cfg.NumLayers%k == 0 && cfg.NumLayers/k >= 2 {
		res.BlockSim = train.SimReg{Lambda: 1, Block: k}.Value(model.NewLayout(cfg), params)
	}
	if ev.Evaluate != nil && !eval.HasFinal(j.Dir, fo) {
		ev.Evaluate(j)
	}
	res.Final, err = eval.Final(j.Dir, fo)
	return res, err
}

// repeated appends, when the spec asks for it, the rows of the midas runs evaluated with their middle
// block repeated (after all the trained runs, in job order).
func (s Spec) repeated(jobs []Job, runs []eval.RunResult, ev Events) ([]eval.RunResult, error) {
	if s.RepeatTimes <= 0 {
		return runs, nil
	}
	fo := s.Final
	fo.RepeatBlock, fo.RepeatTimes = s.RepeatBlock, s.RepeatTimes
	for _, j := range jobs {
		if j.Arm != grow.OpMIDAS {
			continue
		}
		rj := j
		rj.Arm = s.RepeatName()
		r, err := collect(rj, fo, ev)
		if err != nil {
			return runs, fmt.Errorf("experiment: run %s seed %d: %v", rj.Arm, j.Seed, err)
		}
		r.Curve, r.EvalOnly = nil, true
		runs = append(runs, r)
	}
	return runs, nil
}
