package grow

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// OpNone in Schedule.Op (or "") means no growth: one stage at full depth, the baseline run.
const OpNone = "none"

// Optimizer policies of Schedule.Optim: what the AdamW moments of a copied layer become.
const (
	OptimCopy = "copy" // the source layer's moments (the default)
	OptimZero = "zero" // zeros (Plan.ZeroOptim)
)

// StagedOps are the operators a Schedule can grow with, in the order error messages list them.
var StagedOps = []string{OpMIDAS, OpGradStack, OpDouble}

// Schedule is the stage policy of a gradual-stacking run (SPEC §2–3): training starts with one block of
// Block layers and grows with Op at every stage boundary up to Layers layers; Split divides Steps
// optimizer steps over the stages (see Stages). midas and gradstack add one block per stage (k =
// Layers/Block stages, stage s has s·Block layers); double doubles the depth (k = log2(Layers/Block)+1,
// stage s has Block·2^(s−1) layers). Without growth (Op OpNone or "") there is one stage of Layers.
//
// It is the one place that knows the depth of every stage: the trainer, `midas plan` and the FLOPs
// accounting all ask it.
type Schedule struct {
	Op       string // OpMIDAS, OpGradStack, OpDouble, or OpNone
	Block    int    // layers per block
	Layers   int    // final depth
	Split    string // equal | prop-A | explicit:s1,...,s_{k-1}
	Steps    int    // optimizer steps of the whole run
	Identity bool   // the copies' o_proj and down_proj are zeroed (Plan.Identity)
	Optim    string // OptimCopy (or "") or OptimZero
}

// Growing reports whether the schedule grows the model.
func (s Schedule) Growing() bool { return s.Op != "" && s.Op != OpNone }

// Validate reports every problem of the schedule in one error: an operator that is not one of
// StagedOps, a block that does not divide Layers (for double: into a power of two of blocks), a split
// that does not fit Steps (checked only for Steps > 0), an unknown optimizer policy. A schedule without
// growth is always valid.
func (s Schedule) Validate() error {
	if !s.Growing() {
		return nil
	}
	known := strings.Join(append([]string{OpNone}, StagedOps...), ", ")
	switch s.Op {
	case OpMIDAS, OpGradStack, OpDouble:
	default:
		return fmt.Errorf("grow: growth %q is not one of %s", s.Op, known)
	}
	var p []string
	if n, err := blocks(s.Layers, s.Block); err != nil {
		p = append(p, strings.TrimPrefix(err.Error(), "grow: "))
	} else if s.Op == OpDouble && n&(n-1) != 0 {
		p = append(p, fmt.Sprintf("double growth needs layers/block to be a power of two, got %d/%d", s.Layers, s.Block))
	} else if s.Steps > 0 {
		if _, err := s.Ends(); err != nil {
			p = append(p, strings.TrimPrefix(err.Error(), "grow: "))
		}
	}
	if s.Optim != "" && s.Optim != OptimCopy && s.Optim != OptimZero {
		p = append(p, fmt.Sprintf("grow-optim %q is not %s or %s", s.Optim, OptimCopy, OptimZero))
	}
	if len(p) == 0 {
		return nil
	}
	return errors.New("grow: " + strings.Join(p, "; "))
}

// NumStages is the number of stages k: Layers/Block for midas and gradstack, log2(Layers/Block)+1 for
// double, 1 without growth (or with a block below 1).
func (s Schedule) NumStages() int {
	if !s.Growing() || s.Block < 1 {
		return 1
	}
	n := s.Layers / s.Block
	if s.Op == OpDouble {
		return bits.Len(uint(n))
	}
	return n
}

// StageLayers is the depth of stage st (1-based): st·Block, Block·2^(st−1) for double, Layers without
// growth.
func (s Schedule) StageLayers(st int) int {
	if !s.Growing() {
		return s.Layers
	}
	if s.Op == OpDouble {
		return s.Block << (st - 1)
	}
	return s.Block * st
}

// Ends are the exclusive end steps of the stages (SPEC §3, see Stages); [Steps] without growth.
func (s Schedule) Ends() ([]int, error) {
	if !s.Growing() {
		return []int{s.Steps}, nil
	}
	return Stages(s.Split, s.Steps, s.NumStages())
}

// StageAt is the stage (1-based) that trains step+1, i.e. the stage in force after `step` steps are
// done, for the stage ends of Ends.
func StageAt(ends []int, step int) int {
	s := 1
	for s < len(ends) && step >= ends[s-1] {
		s++
	}
	return s
}

// Grow is the plan that grows a model of `from` layers by one stage: the schedule's operator with its
// block, identity and optimizer policy. Stage and Step are left 0 for the caller to set.
func (s Schedule) Grow(from int) (Plan, error) {
	p, err := New(s.Op, from, s.Block, nil)
	if err != nil {
		return Plan{}, err
	}
	p.Identity, p.ZeroOptim = s.Identity, s.Optim == OptimZero
	return p, nil
}
