package study

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/eval"
	"midas/internal/experiment"
	"midas/internal/model"
	"midas/internal/splitmix"
	"midas/internal/tok"
	"midas/internal/train"
)

// Events are what Execute tells its caller; each may be nil.
type Events struct {
	// Progress reports the work done and in all (training steps, and evaluations counted in the
	// training steps they cost about), and what runs now.
	Progress func(done, total float64, what string)
	// Train runs one training segment (nil: quietly).
	Train func(cfg train.RunConfig) (train.Summary, error)
}

// job is one (run type, seed) of a study.
type job struct {
	arm  string
	seed uint64
	opt  train.Options
	dir  string
}

// Record is one evaluation: a run type's seed at a snapshot step under a protocol, with every
// primitive's per-example outcomes. Records are kept as files in the study directory (evals/) and
// every number of the report derives from them.
type Record struct {
	Run      string     `json:"run"`
	Seed     uint64     `json:"seed"`
	Step     int        `json:"step"`
	Protocol string     `json:"protocol"`
	ValLoss  float64    `json:"val_loss"` // validation log-perplexity of the checkpoint
	FLOPs    float64    `json:"flops"`    // pretraining FLOPs to this step
	TrainS   float64    `json:"train_s"`  // pretraining seconds to this step
	EvalS    float64    `json:"eval_s"`   // seconds this evaluation took (fine-tuning included)
	Tasks    []TaskHits `json:"tasks"`
	Layers   int        `json:"layers"`
	Params   int        `json:"params"`
	// Key identifies what was evaluated how (recordKey): a record is reused only under its own key.
	Key string `json:"key"`
}

// recordKey hashes what an evaluation depends on: the run's options, the protocol, the examples.
func (s Spec) recordKey(j job, pr Protocol) string {
	raw, err := json.Marshal(struct {
		Options  train.Options
		Protocol Protocol
		N        int
		EvalSeed uint64
	}{j.opt, pr, s.N, s.EvalSeed})
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return fmt.Sprintf("%016x", splitmix.FNV64(string(raw)))
}

// TaskHits are one primitive's outcomes: Hits[i] is '1' when example i was answered exactly.
type TaskHits struct {
	Task string `json:"task"`
	Hits string `json:"hits"`
}

// Execute runs the study: it trains every (run type, seed) through its snapshots in work/runs,
// evaluates each snapshot under every protocol, keeps each evaluation's per-example record in
// out/evals, and returns the records. It is resumable: finished segments and evaluations are kept and
// reused, but only while the runs' saved options equal the spec's.
func Execute(s Spec, work, out string, ev Events) ([]Record, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	jobs, err := s.jobs(work)
	if err != nil {
		return nil, err
	}
	p := progress{ev: ev, total: s.cost() * float64(len(jobs))}
	var recs []Record
	for _, j := range jobs {
		for _, step := range s.Snapshots {
			if err := s.trainTo(j, step, ev, &p); errors.Is(err, ErrStopped) {
				return recs, err
			} else if err != nil {
				return recs, fmt.Errorf("study: %s seed %d: %v", j.arm, j.seed, err)
			}
			if err := keepSnapshot(j, step); err != nil {
				return recs, fmt.Errorf("study: %s seed %d: %v", j.arm, j.seed, err)
			}
			rs, err := s.evaluate(j, step, out, &p)
			if err != nil {
				return recs, fmt.Errorf("study: %s seed %d step %d: %v", j.arm, j.seed, step, err)
			}
			recs = append(recs, rs...)
		}
	}
	return recs, nil
}

// jobs lists the runs, validated, each in dir/runs/<arm>-seed<seed>, seed by seed (every run type of
// the first seed, then of the next), so that a study stopped early already holds paired runs.
func (s Spec) jobs(dir string) ([]job, error) {
	var out []job
	for i := 0; i < s.Seeds; i++ {
		for _, name := range s.Arms {
			o := experiment.NewArm(name, s.Base).Options
			o.Seed += uint64(i)
			if err := o.Validate(); err != nil {
				return nil, fmt.Errorf("study: run %s: %v", name, err)
			}
			out = append(out, job{name, o.Seed, o, filepath.Join(dir, "runs", fmt.Sprintf("%s-seed%d", name, o.Seed))})
		}
	}
	return out, nil
}

// trainTo brings a run to step (fresh, resumed, or already there) and stops there with a checkpoint.
func (s Spec) trainTo(j job, step int, ev Events, p *progress) error {
	cfg := train.RunConfig{Dir: j.dir, Options: j.opt, StopAt: step, Tasks: eval.TaskAccuracies, Interrupt: true}
	if step == j.opt.Steps {
		cfg.StopAt = 0
	}
	from := 0
	if st, err := train.LoadState(j.dir); err == nil {
		if diff := train.AskedDiff(st.Options, j.opt); len(diff) > 0 {
			return fmt.Errorf("%s was trained with other settings (%s differ); use another study directory", j.dir, strings.Join(diff, ", "))
		}
		if st.Step >= step {
			p.add(0, "")
			return nil
		}
		cfg.Resume, from = j.dir, st.Step
	}
	p.add(0, fmt.Sprintf("training %s seed %d to step %d", j.arm, j.seed, step))
	done := p.done
	cfg.Events.Step = func(_ *train.Run, m train.Metrics) { p.set(done+float64(m.Step-from), "") }
	run := ev.Train
	if run == nil {
		run = experiment.TrainQuietly
	}
	sum, err := run(cfg)
	if err != nil {
		return err
	}
	if sum.Step < step {
		return ErrStopped
	}
	p.set(done+float64(step-from), "")
	return nil
}

// TrainQuiet trains one segment without printing (experiment.TrainQuietly).
func TrainQuiet(cfg train.RunConfig) (train.Summary, error) { return experiment.TrainQuietly(cfg) }

// ErrStopped is returned by Execute when a training run was interrupted (Ctrl-C) with its checkpoint
// saved: running the study again continues where it stopped.
var ErrStopped = errors.New("study: stopped; run it again to continue")

// evaluate scores the run's checkpoint at step under every protocol (reading cached records).
func (s Spec) evaluate(j job, step int, dir string, p *progress) ([]Record, error) {
	var out []Record
	var m *model.Model
	var tk *tok.Tokenizer
	var base Record
	tuned := map[eval.FinetuneOptions]*model.Model{}
	for _, pr := range s.Protocols {
		path := filepath.Join(dir, "evals", fmt.Sprintf("%s-seed%d", j.arm, j.seed), fmt.Sprintf("step%d-%s.json", step, pr.Name))
		key := s.recordKey(j, pr)
		if r, err := readRecord(path); err == nil && r.Key == key {
			out = append(out, r)
			p.add(s.evalCost(pr), "")
			continue
		}
		if m == nil {
			var err error
			if m, tk, base, err = s.checkpoint(j, step); err != nil {
				return nil, err
			}
		}
		p.add(0, fmt.Sprintf("evaluating %s seed %d step %d (%s)", j.arm, j.seed, step, pr.Name))
		r, err := s.score(m, tk, base, pr, j.seed, tuned)
		if err != nil {
			return nil, err
		}
		r.Key = key
		if err := writeRecord(path, r); err != nil {
			return nil, err
		}
		p.add(s.evalCost(pr), "")
		out = append(out, r)
	}
	return out, nil
}

// snapshotFiles are the files of a run directory a snapshot keeps: what evaluation reads.
var snapshotFiles = []string{train.FileConfig, train.FileModel, train.FileTokenizer, train.FileState}

// snapshotDir is where a run keeps its checkpoint at a snapshot step, so that a protocol added to
// the study later is evaluated there without training the run again.
func snapshotDir(j job, step int) string {
	return filepath.Join(j.dir, "snapshots", fmt.Sprintf("step%d", step))
}

// keepSnapshot keeps the run's checkpoint, which is at step, in snapshotDir (once): hard links where
// the file system has them (training replaces its files by rename, so a link keeps the old
// version), copies where not.
func keepSnapshot(j job, step int) error {
	dst := snapshotDir(j, step)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	st, err := train.LoadState(j.dir)
	if err != nil {
		return err
	}
	if st.Step != step {
		return nil // an earlier version of midas went past it; checkpoint says what to do
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return ckpt.WriteDirAtomic(dst, false, func(tmp string) error {
		for _, name := range snapshotFiles {
			if err := linkOrCopy(filepath.Join(j.dir, name), filepath.Join(tmp, name)); err != nil {
				return err
			}
		}
		return nil
	})
}

func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return ckpt.WriteFileAtomicFrom(dst, in)
}

// checkpoint loads the run's checkpoint at step (the run directory, or its snapshot there) and
// measures its validation loss.
func (s Spec) checkpoint(j job, step int) (*model.Model, *tok.Tokenizer, Record, error) {
	st, err := train.LoadState(j.dir)
	if err != nil {
		return nil, nil, Record{}, err
	}
	if st.Step != step {
		snap, at := snapshotDir(j, step), st.Step
		if st, err = train.LoadState(snap); err != nil || st.Step != step {
			return nil, nil, Record{}, fmt.Errorf("the checkpoint is at step %d, past the snapshot without its evaluation or a kept copy; remove %s to redo the run", at, j.dir)
		}
		j.dir = snap
	}
	if err := train.SetMatmul(train.MatmulFloat32); err != nil {
		return nil, nil, Record{}, err
	}
	m, err := train.LoadModel(j.dir, 0)
	if err != nil {
		return nil, nil, Record{}, err
	}
	tk, err := tok.Load(filepath.Join(j.dir, train.FileTokenizer))
	if err != nil {
		return nil, nil, Record{}, err
	}
	val, _, err := train.PrepareVal(st.Options, tk)
	if err != nil {
		return nil, nil, Record{}, err
	}
	vl := m.MeanLoss(data.ValBatches(val, m.Cfg.SeqLen, st.Options.Batch, 4*st.Options.EvalBatches), m.Cfg.SeqLen)
	r := Record{Run: j.arm, Seed: j.seed, Step: step, ValLoss: vl, FLOPs: st.FLOPs, TrainS: st.TrainS,
		Layers: m.Cfg.NumLayers, Params: len(m.Params)}
	return m, tk, r, nil
}

// score runs one protocol on m: fine-tuning a copy (seeded by the pretraining seed) when the protocol
// says so, then the k-shot primitives on the study's held-out examples.
//
// tuned keeps the fine-tuned copies by their options, so that protocols differing only in how they
// score share one fine-tuning (the later ones' EvalS then leaves it out).
func (s Spec) score(m *model.Model, tk *tok.Tokenizer, base Record, pr Protocol, seed uint64, tuned map[eval.FinetuneOptions]*model.Model) (Record, error) {
	start := time.Now()
	r := base
	r.Protocol = pr.Name
	mm := m
	if pr.Finetune.Examples > 0 {
		var err error
		if mm = tuned[pr.Finetune]; mm == nil {
			if mm, err = eval.FinetuneCopy(m, tk, pr.Finetune, 1000+seed); err != nil {
				return r, err
			}
			tuned[pr.Finetune] = mm
		}
	}
	primitives := eval.Primitives
	if pr.Rank {
		primitives = eval.RankPrimitives
	}
	res, err := primitives(eval.NewDecoder(mm, tk), pr.Shots, s.N, s.EvalSeed)
	if err != nil {
		return r, err
	}
	for _, t := range res {
		var b strings.Builder
		for _, h := range t.Hits {
			b.WriteByte("01"[boolInt(h)])
		}
		r.Tasks = append(r.Tasks, TaskHits{Task: t.Name, Hits: b.String()})
	}
	r.EvalS = time.Since(start).Seconds()
	return r, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func readRecord(path string) (Record, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Record{}, err
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return Record{}, fmt.Errorf("%s: %v", path, err)
	}
	if len(r.Tasks) == 0 {
		return Record{}, errors.New(path + ": no tasks")
	}
	return r, nil
}

func writeRecord(path string, r Record) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return ckpt.WriteFileAtomic(path, b)
}

// cost is a run's work in training-step units: its steps plus its evaluations.
func (s Spec) cost() float64 {
	c := float64(s.Base.Steps)
	for _, pr := range s.Protocols {
		c += float64(len(s.Snapshots)) * s.evalCost(pr)
	}
	return c
}

// evalCost is about what one evaluation under pr costs in pretraining steps: fine-tuning steps are
// shorter sequences (~1/4 of a pretraining step each), and decoding N examples of 8 primitives costs
// about N/25 steps (measured on the small preset: 8×200 k-shot answers ≈ 60 steps).
func (s Spec) evalCost(pr Protocol) float64 {
	c := float64(s.N) * 8 / 25
	if f := pr.Finetune; f.Examples > 0 {
		c += float64(f.Epochs*((f.Examples+f.Batch-1)/f.Batch)) / 4
	}
	return c
}

// progress accumulates work units and reports them.
type progress struct {
	ev          Events
	done, total float64
	what        string
}

func (p *progress) add(units float64, what string) { p.set(p.done+units, what) }

// set moves the work done to done.
func (p *progress) set(done float64, what string) {
	p.done = done
	if what != "" {
		p.what = what
	}
	if p.ev.Progress != nil {
		p.ev.Progress(p.done, p.total, p.what)
	}
}
