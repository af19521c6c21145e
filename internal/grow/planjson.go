package grow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"midas/internal/model"
)

// PlanFormat is the version of PlanJSON. A change that makes an older reader misread a plan bumps it.
const PlanFormat = 1

// PlanJSON is what `midas plan --json` prints: the stage table of a gradual-stacking run, for an
// external trainer to follow (the README documents it key by key). Steps are 0-based; stage s trains
// steps [first_step, end_step) with `layers` layers. At the start of stage s > 1 the model is grown by
// the stage's `grow` record, in the schema of a run's growth history (see Plan.MarshalJSON): src[i] is
// the old layer copied into new layer i, copy[i] marks the fresh copies. FLOPs follow SPEC §3.
type PlanJSON struct {
	Format        int          `json:"format"`   // PlanFormat
	Op            string       `json:"op"`       // growth operator (OpNone for a baseline)
	Block         int          `json:"block"`    // layers per block
	Schedule      string       `json:"schedule"` // stage split spec (see Stages)
	Steps         int          `json:"steps"`    // total optimizer steps
	TokensPerStep int          `json:"tokens_per_step"`
	Model         model.Config `json:"model"` // the final model
	Table                      // stages, total_flops, baseline_flops, speedup, layer_speedup
}

// PlanJSON is the schedule's plan for cfg's model (cfg.NumLayers = s.Layers) at tokensPerStep tokens
// per step.
func (s Schedule) PlanJSON(cfg model.Config, tokensPerStep int) (PlanJSON, error) {
	t, err := s.Table(cfg, tokensPerStep)
	if err != nil {
		return PlanJSON{}, err
	}
	op := s.Op
	if op == "" {
		op = OpNone
	}
	return PlanJSON{Format: PlanFormat, Op: op, Block: s.Block, Schedule: s.Split, Steps: s.Steps,
		TokensPerStep: tokensPerStep, Model: cfg, Table: t}, nil
}

// ParsePlanJSON reads a plan written as PlanJSON and checks what a trainer relies on: the format is
// PlanFormat, no key is unknown, the stages are numbered 1…k and tile [0, steps) without gaps, stage 1
// has no growth, and every later stage's growth is a valid plan for that stage (Stage and Step are the
// stage's number and first step, From the previous stage's depth, To its own), ending at the model's
// depth.
func ParsePlanJSON(data []byte) (PlanJSON, error) {
	var p PlanJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return PlanJSON{}, fmt.Errorf("grow: plan JSON: %v", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "json: "), "grow: "))
	}
	if p.Format != PlanFormat {
		return PlanJSON{}, fmt.Errorf("grow: plan JSON has format %d, want %d", p.Format, PlanFormat)
	}
	if len(p.Rows) == 0 {
		return PlanJSON{}, fmt.Errorf("grow: plan JSON has no stages")
	}
	end, layers := 0, 0
	for i, r := range p.Rows {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("grow: plan JSON: stage %d: %s", i+1, fmt.Sprintf(format, a...))
		}
		switch {
		case r.Stage != i+1:
			return PlanJSON{}, bad("numbered %d", r.Stage)
		case r.FirstStep != end || r.EndStep <= r.FirstStep || r.Steps != r.EndStep-r.FirstStep:
			return PlanJSON{}, bad("steps [%d, %d) (%d), want a non-empty range from %d", r.FirstStep, r.EndStep, r.Steps, end)
		case r.Layers < 1:
			return PlanJSON{}, bad("%d layers", r.Layers)
		case i == 0 && r.Grow != nil:
			return PlanJSON{}, bad("the first stage has a growth")
		case i > 0 && r.Grow == nil:
			return PlanJSON{}, bad("no growth")
		}
		if g := r.Grow; g != nil {
			if err := g.Validate(); err != nil {
				return PlanJSON{}, bad("%v", strings.TrimPrefix(err.Error(), "grow: "))
			}
			if g.Stage != r.Stage || g.Step != r.FirstStep || g.From != layers || g.To() != r.Layers {
				return PlanJSON{}, bad("growth at stage %d, step %d from %d to %d layers, want stage %d, step %d from %d to %d",
					g.Stage, g.Step, g.From, g.To(), r.Stage, r.FirstStep, layers, r.Layers)
			}
		}
		end, layers = r.EndStep, r.Layers
	}
	if end != p.Steps || layers != p.Model.NumLayers {
		return PlanJSON{}, fmt.Errorf("grow: plan JSON: the stages end at step %d with %d layers, want %d and %d", end, layers, p.Steps, p.Model.NumLayers)
	}
	return p, nil
}
