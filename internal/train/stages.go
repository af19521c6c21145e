package train

import (
	"fmt"
	"math/bits"
	"strings"

	"midas/internal/grow"
)

// Growing reports whether the run uses gradual stacking.
func (o Options) Growing() bool { return o.Growth != "" && o.Growth != "none" }

// NumStages is the number of stages k: L/b for midas and gradstack (one block per stage), log2(L/b)+1
// for double, 1 without growth.
func (o Options) NumStages() int {
	if !o.Growing() || o.Block < 1 {
		return 1
	}
	n := o.Model.NumLayers / o.Block
	if o.Growth == grow.OpDouble {
		return bits.Len(uint(n))
	}
	return n
}

// StageLayers is the depth of stage s (1-based).
func (o Options) StageLayers(s int) int {
	if !o.Growing() {
		return o.Model.NumLayers
	}
	if o.Growth == grow.OpDouble {
		return o.Block << (s - 1)
	}
	return o.Block * s
}

// StageEnds are the exclusive end steps of the stages (SPEC §3); [Steps] without growth.
func (o Options) StageEnds() ([]int, error) {
	if !o.Growing() {
		return []int{o.Steps}, nil
	}
	return grow.Stages(o.Stages, o.Steps, o.NumStages())
}

// StageAt is the stage (1-based) that trains step+1, i.e. the stage in force after `step` steps are done.
func (o Options) StageAt(step int, ends []int) int {
	s := 1
	for s < len(ends) && step >= ends[s-1] {
		s++
	}
	return s
}

// growthProblems lists what is wrong with the growth options.
func (o Options) growthProblems() []string {
	if !o.Growing() {
		return nil
	}
	var p []string
	switch o.Growth {
	case grow.OpMIDAS, grow.OpGradStack, grow.OpDouble:
	default:
		return []string{fmt.Sprintf("growth %q is not one of none, midas, gradstack, double", o.Growth)}
	}
	if o.Block < 1 {
		return []string{fmt.Sprintf("block must be positive, got %d", o.Block)}
	}
	L := o.Model.NumLayers
	if L%o.Block != 0 {
		p = append(p, fmt.Sprintf("layers %d are not divisible into blocks of %d", L, o.Block))
	} else if n := L / o.Block; o.Growth == grow.OpDouble && n&(n-1) != 0 {
		p = append(p, fmt.Sprintf("double growth needs layers/block to be a power of two, got %d/%d", L, o.Block))
	}
	if len(p) == 0 && o.Steps > 0 {
		if _, err := o.StageEnds(); err != nil {
			p = append(p, strings.TrimPrefix(err.Error(), "grow: "))
		}
	}
	if o.GrowOptim != "copy" && o.GrowOptim != "zero" {
		p = append(p, fmt.Sprintf("grow-optim %q is not copy or zero", o.GrowOptim))
	}
	if o.RewarmSteps < 0 {
		p = append(p, fmt.Sprintf("rewarm-steps must not be negative, got %d", o.RewarmSteps))
	}
	return p
}
