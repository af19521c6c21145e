package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"midas/internal/eval"
	"midas/internal/model"
	"midas/internal/train"
)

// tinySpec is a baseline-vs-midas comparison of 2-layer tiny models, 6 steps each, one seed.
func tinySpec(out string) Spec {
	o := train.DefaultOptions(model.Presets["tiny"])
	o.Batch, o.Steps, o.Warmup, o.EvalEvery, o.EvalBatches, o.EvalTasks, o.SaveEvery = 2, 6, 1, 3, 2, 2, 0
	o.SyntheticBytes, o.TokenizerBytes, o.Threads = 1<<16, 1<<14, 1
	o.Block, o.Stages = 1, "explicit:2"
	return Spec{Out: out, Seeds: 1, Final: eval.FinalOptions{N: 2}, Setup: "test",
		Arms: []Arm{NewArm(eval.Baseline, o), NewArm("midas", o)}}
}

// TestExecute runs a two-run comparison through the runner, runs it again (everything reused: no run
// trains, no evaluation is computed), and refuses — then, with Force, retrains — when a setting changed.
func TestExecute(t *testing.T) {
	out := t.TempDir()
	spec := tinySpec(out)
	var trained, evaluated []string
	ev := Events{
		Train: func(cfg train.RunConfig) (train.Summary, error) {
			trained = append(trained, filepath.Base(cfg.Dir))
			return TrainQuietly(cfg)
		},
		Evaluate: func(j Job) { evaluated = append(evaluated, j.Arm) },
	}
	res, err := Execute(spec, ev, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || res.Runs[0].Run != eval.Baseline || res.Runs[1].Run != "midas" || res.Runs[1].Layers != 2 {
		t.Fatalf("results %+v", res.Runs)
	}
	if res.Runs[1].FLOPs >= res.Runs[0].FLOPs {
		t.Errorf("midas FLOPs %g not below the baseline's %g", res.Runs[1].FLOPs, res.Runs[0].FLOPs)
	}
	if len(res.Runs[0].Curve) != 6 || len(res.Runs[0].Final.Tasks) == 0 {
		t.Errorf("baseline curve %d lines, %d final tasks", len(res.Runs[0].Curve), len(res.Runs[0].Final.Tasks))
	}
	if _, err := os.Stat(filepath.Join(out, "report.md")); err != nil {
		t.Fatal(err)
	}
	if strings.Join(trained, ",") != "baseline-seed1,midas-seed1" || len(evaluated) != 2 {
		t.Fatalf("first execution trained %v, evaluated %v", trained, evaluated)
	}
	trained, evaluated = nil, nil
	if _, err := Execute(spec, ev, false); err != nil {
		t.Fatal(err)
	}
	if len(trained)+len(evaluated) != 0 {
		t.Fatalf("second execution trained %v, evaluated %v; want everything reused", trained, evaluated)
	}
	changed := tinySpec(out)
	changed.Arms[1].Options.LR = 1e-3
	if _, err := Execute(changed, ev, false); err == nil || !strings.Contains(err.Error(), "lr differ") {
		t.Fatalf("changed lr: got %v, want a refusal naming lr", err)
	}
	changed.Force = true
	if _, err := Execute(changed, ev, false); err != nil {
		t.Fatal(err)
	}
	if strings.Join(trained, ",") != "midas-seed1" {
		t.Fatalf("with Force trained %v, want only the changed run", trained)
	}
}

// TestNewArmLoops: the weight-sharing arms take base's loop and regulariser (or their defaults), at
// full depth without growth; every other arm drops them.
func TestNewArmLoops(t *testing.T) {
	o := train.DefaultOptions(model.Presets["tiny"])
	o.Model.NumLayers, o.Block, o.Growth = 6, 2, "midas"
	for _, c := range []struct {
		name string
		loop model.Loop
		sim  train.SimReg
		want model.Loop
		wsim train.SimReg
	}{
		{Looped, model.Loop{}, train.SimReg{}, model.Loop{K: 2, R: 3}, train.SimReg{}},
		{Looped, model.Loop{K: 3}, train.SimReg{}, model.Loop{K: 3, R: 2}, train.SimReg{}},
		{MidLoop, model.Loop{}, train.SimReg{}, model.Loop{K: 2, R: 2, P: 1, Q: 1}, train.SimReg{}},
		{MidLoop, model.Loop{K: 1, R: 6, P: 2}, train.SimReg{}, model.Loop{K: 1, R: 4, P: 2}, train.SimReg{}},
		{SimReg, model.Loop{K: 2}, train.SimReg{}, model.Loop{}, train.SimReg{Lambda: DefaultLambda, Block: 2}},
		{SimReg, model.Loop{}, train.SimReg{Lambda: 0.3, Block: 3}, model.Loop{}, train.SimReg{Lambda: 0.3, Block: 3}},
		{eval.Baseline, model.Loop{K: 2}, train.SimReg{Lambda: 1, Block: 1}, model.Loop{}, train.SimReg{}},
		{"midas", model.Loop{K: 2}, train.SimReg{Lambda: 1, Block: 1}, model.Loop{}, train.SimReg{}},
	} {
		b := o
		b.Loop, b.SimReg = c.loop, c.sim
		a := NewArm(c.name, b)
		wantGrowth := "none"
		if c.name == "midas" {
			wantGrowth = "midas"
		}
		if a.Options.Loop != c.want || a.Options.SimReg != c.wsim || a.Options.Growth != wantGrowth {
			t.Errorf("%s from %+v %+v: loop %+v sim %+v growth %s; want %+v %+v %s", c.name, c.loop, c.sim,
				a.Options.Loop, a.Options.SimReg, a.Options.Growth, c.want, c.wsim, wantGrowth)
		}
		if err := a.Options.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
