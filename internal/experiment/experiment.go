package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/train"
)

// Arm is one run type of an experiment.
type Arm struct {
	Name    string
	Options train.Options // Seed is the first seed; seed s of the experiment uses Seed+s
}

// NewArm makes the arm of a standard run type from base options: baseline (no growth) or a growth
// operator (midas, gradstack, double) with base's block and schedule. Any other name is taken as a
// growth operator, which Spec.Jobs then validates.
func NewArm(name string, base train.Options) Arm {
	o := base
	o.Growth = name
	if name == eval.Baseline {
		o.Growth = grow.OpNone
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
		if diff := train.OptionsDiff(st.Options, j.Options); len(diff) > 0 {
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
	res.Layers = m.Cfg.NumLayers
	res.Similarity = eval.LayerSimilarity(m.Cfg, m.Params)[eval.SimAll]
	if ev.Evaluate != nil && !eval.HasFinal(j.Dir, fo) {
		ev.Evaluate(j)
	}
	res.Final, err = eval.Final(j.Dir, fo)
	return res, err
}
