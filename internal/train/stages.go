package train

import (
	"fmt"
	"strings"

	"midas/internal/grow"
)

// StageSchedule is the run's growth policy (package grow owns the depth of every stage, the stage
// ends and their validation); the methods below are its shorthands.
func (o Options) StageSchedule() grow.Schedule {
	return grow.Schedule{Op: o.Growth, Block: o.Block, Layers: o.Model.NumLayers, Split: o.Stages, Steps: o.Steps,
		Identity: o.GrowIdentity, Optim: o.GrowOptim}
}

// Growing reports whether the run uses gradual stacking.
func (o Options) Growing() bool { return o.StageSchedule().Growing() }

// NumStages is the number of stages k (grow.Schedule.NumStages).
func (o Options) NumStages() int { return o.StageSchedule().NumStages() }

// StageLayers is the depth of stage s, 1-based (grow.Schedule.StageLayers).
func (o Options) StageLayers(s int) int { return o.StageSchedule().StageLayers(s) }

// StageEnds are the exclusive end steps of the stages (grow.Schedule.Ends); [Steps] without growth.
func (o Options) StageEnds() ([]int, error) { return o.StageSchedule().Ends() }

// growthProblems lists what is wrong with the growth options.
func (o Options) growthProblems() []string {
	if !o.Growing() {
		return nil
	}
	var p []string
	if err := o.StageSchedule().Validate(); err != nil {
		p = append(p, strings.TrimPrefix(err.Error(), "grow: "))
	}
	if o.RewarmSteps < 0 {
		p = append(p, fmt.Sprintf("rewarm-steps must not be negative, got %d", o.RewarmSteps))
	}
	return p
}
