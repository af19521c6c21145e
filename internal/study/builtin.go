package study

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/model"
	"midas/internal/train"
)

// builtins are the studies `midas study NAME` knows, each with its --quick reduction.
var builtins = map[string]func(quick bool) (Spec, error){
	"mixture": mixture,
}

// Names lists the built-in studies.
func Names() []string {
	var out []string
	for n := range builtins {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Builtin returns a built-in study (quick: the reduced version that exercises every step in minutes).
func Builtin(name string, quick bool) (Spec, error) {
	f, ok := builtins[name]
	if !ok {
		return Spec{}, fmt.Errorf("study: unknown study %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return f(quick)
}

// mixture is the main study: baseline, gradstack and midas pretrained on english-pd prose, with k-shot
// and fine-tuning protocols (see its Pilots text for why).
func mixture(quick bool) (Spec, error) {
	cfg := model.Presets["small"]
	o := train.DefaultOptions(cfg)
	// The paper's mixture (C4 57%, Wikipedia 17%, GitHub 17%, ArXiv 9%) from what every machine has:
	// public-domain prose, the Go toolchain's source, the synthetic world (word problems, math text)
	// and reasoning text in forms no primitive uses.
	o.Data = []string{"prose=" + sharedData() + ":0.65", "code=" + filepath.Join(runtime.GOROOT(), "src") + ":0.2",
		"math=synthetic:0.05", "reasoning=reasoning:0.1"}
	o.DataBytes = 24 << 20
	o.Steps, o.Warmup, o.EvalEvery, o.EvalTasks, o.SaveEvery = 1500, 100, 500, 0, 500
	o.Block, o.Stages, o.Threads = 1, "prop-1", runtime.GOMAXPROCS(0)
	ft := eval.FinetuneOptions{Examples: 1024, Seeds: 1, Epochs: 4, Batch: 8, LR: 3e-3, Warmup: 50}
	s := Spec{Name: "mixture", Arms: []string{eval.Baseline, grow.OpGradStack, grow.OpMIDAS}, Seeds: 3, Base: o,
		Snapshots: []int{500, 1000, 1500}, N: 200, EvalSeed: 7,
		Protocols: []Protocol{{Name: "5-shot", Shots: 5}, {Name: "ft-1024", Shots: 0, Finetune: ft}},
		Pilots:    mixturePilots}
	if quick {
		s.Name = "mixture-quick"
		s.Base.DataBytes = 2 << 20
		s.Base.Model = model.Presets["tiny"]
		s.Base.Steps, s.Base.Warmup, s.Base.EvalEvery, s.Base.SaveEvery = 60, 6, 30, 30
		s.Base.TokenizerBytes = 1 << 18
		s.Snapshots, s.N, s.Seeds = []int{30, 60}, 20, 2
		s.Protocols[1] = Protocol{Name: "ft-64", Shots: 0, Finetune: eval.FinetuneOptions{Examples: 64, Seeds: 1, Epochs: 1, Batch: 8, LR: 3e-3, Warmup: 2}}
	}
	return s, nil
}

// sharedData is the public-domain English of the workspace, relative to the repository root (where
// the README's commands run); midas study --data replaces it.
func sharedData() string { return filepath.Join("..", "shared", "data", "english-pd") }

const mixturePilots = `(pending: the pilots are recorded here when the study is run.)`
