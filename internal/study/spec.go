package study

import (
	"fmt"

	"midas/internal/eval"
	"midas/internal/tasks"
	"midas/internal/train"
)

// Protocol is one way of measuring the primitives on a checkpoint.
type Protocol struct {
	Name     string               // e.g. "5-shot", "ft-1024"
	Shots    int                  // k of the k-shot prompts of the evaluation
	Finetune eval.FinetuneOptions // Examples > 0: fine-tune a copy first (one fine-tuning seed per pretraining seed)
	// Rank scores by ranking each example's candidate answers by log-probability (eval.Rank) instead
	// of greedy exact match.
	Rank bool `json:",omitempty"`
}

// Spec is a whole study: run types × seeds, pretrained with the same options and data, each evaluated
// at every snapshot step under every protocol on the same N held-out examples per primitive.
type Spec struct {
	Name      string
	Arms      []string      // run types: baseline, gradstack, midas (experiment.NewArm names)
	Seeds     int           // pretraining seeds per run type (Base.Seed, +1, ...)
	Base      train.Options // pretraining options shared by every run
	Snapshots []int         // steps whose checkpoints are evaluated (the isoplot points); the last is Base.Steps
	Protocols []Protocol
	N         int    // held-out examples per primitive and protocol
	EvalSeed  uint64 // of the held-out examples (the same for every run, seed and snapshot)
	Pilots    string // Markdown: the pilots that led to this protocol (written into the report)
}

// Validate checks the spec.
func (s Spec) Validate() error {
	switch {
	case s.Name == "" || len(s.Arms) == 0 || s.Seeds < 1 || s.N < 1 || len(s.Protocols) == 0:
		return fmt.Errorf("study: %q needs a name, run types, seeds, examples and protocols", s.Name)
	case len(s.Snapshots) == 0 || s.Snapshots[len(s.Snapshots)-1] != s.Base.Steps:
		return fmt.Errorf("study: %s: the last snapshot must be the last step %d", s.Name, s.Base.Steps)
	}
	for i, st := range s.Snapshots {
		if st < 1 || (i > 0 && st <= s.Snapshots[i-1]) {
			return fmt.Errorf("study: %s: snapshots %v must increase from step 1", s.Name, s.Snapshots)
		}
	}
	return nil
}

// Chance is the accuracy of guessing, per primitive: an item of the copy task's sequence
// (1/Length), one of the values the variable-assignment prompt assigns (1/Chains), a number in the
// range of pre-school math results (0..2·MaxValue for + and −).
func Chance(spec tasks.Spec) float64 {
	switch spec.Task {
	case tasks.Copy:
		return 1.0 / float64(tasks.DefaultLength)
	case tasks.VarAssign:
		return 1.0 / float64(tasks.DefaultChains)
	case tasks.PSM:
		return 1.0 / float64(2*tasks.DefaultMaxValue+1)
	}
	return 0
}
