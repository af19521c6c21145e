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
	o.Data = []string{"prose=" + sharedData() + ":0.55", "code=" + filepath.Join(runtime.GOROOT(), "src") + ":0.2",
		"math=synthetic:0.05", "reasoning=reasoning:0.2"}
	o.DataBytes = 24 << 20
	// One text for every run (sample, validation split, tokenizer): seeds vary weights and data order,
	// and validation losses are comparable across seeds.
	o.DataSeed = 1
	o.Steps, o.Warmup, o.EvalEvery, o.EvalTasks, o.SaveEvery = 1200, 100, 600, 0, 600
	o.Block, o.Stages, o.Threads = 1, "prop-1", runtime.GOMAXPROCS(0)
	ft1k := eval.FinetuneOptions{Examples: 1024, Seeds: 1, Epochs: 4, Batch: 8, LR: 1e-3, Warmup: 50}
	s := Spec{Name: "mixture", Arms: []string{eval.Baseline, grow.OpGradStack, grow.OpMIDAS}, Seeds: 3, Base: o,
		Snapshots: []int{600, 1200}, N: 200, EvalSeed: 7,
		Protocols: []Protocol{{Name: "5-shot", Shots: 5}, {Name: "ft-1024", Finetune: ft1k},
			{Name: "5-shot-rank", Shots: 5, Rank: true}, {Name: "ft-1024-rank", Finetune: ft1k, Rank: true}},
		Pilots: mixturePilots}
	if quick {
		s.Name = "mixture-quick"
		s.Base.DataBytes = 2 << 20
		s.Base.Model = model.Presets["tiny"]
		s.Base.Steps, s.Base.Warmup, s.Base.EvalEvery, s.Base.SaveEvery = 60, 6, 30, 30
		s.Base.TokenizerBytes = 1 << 18
		s.Snapshots, s.N, s.Seeds = []int{30, 60}, 20, 2
		ft64 := eval.FinetuneOptions{Examples: 64, Seeds: 1, Epochs: 1, Batch: 8, LR: 3e-3, Warmup: 2}
		s.Protocols = []Protocol{s.Protocols[0], {Name: "ft-64", Finetune: ft64}, {Name: "5-shot-rank", Shots: 5, Rank: true}}
	}
	return s, nil
}

// sharedData is the public-domain English of the workspace, relative to the repository root (where
// the README's commands run); midas study --data replaces it.
func sharedData() string { return filepath.Join("..", "shared", "data", "english-pd") }

const mixturePilots = `Session 3 pilots, small model (4 layers, dim 256, 4.2M parameters) pretrained for 1500 steps of
2048 tokens on english-pd (validation loss 3.88), 100 held-out examples per primitive, one fine-tuning seed
(` + "`midas eval --ckpt pre1 --n 100 --shots 0 --finetune N --ft-seeds 1 --ft-lr 3e-3 --ft-warmup 50 --ft-epochs E`" + `):

| protocol | copy | va-d0 math/code | va-d1 math/code | va-d2 math/code | psm |
|---|---|---|---|---|---|
| 5-shot | 0.00 | 0.00 / 0.00 | 0.00 / 0.00 | 0.00 / 0.00 | 0.00 |
| fine-tune 1024 examples × 4 epochs (512 steps) | 0.06 | 0.23 / 0.25 | 0.23 / 0.20 | 0.25 / 0.18 | 0.14 |
| fine-tune 4096 × 2 epochs (1024 steps) | 0.04 | 0.38 / 0.22 | 0.30 / 0.24 | 0.27 / 0.28 | 0.12 |
| fine-tune 4096 × 4 epochs (2048 steps) | 0.06 | 0.09 / 0.06 | 0.15 / 0.09 | 0.15 / 0.10 | 0.09 |
| same pretraining with 20% reasoning text (no distractors), fine-tune 1024 × 4 | 0.04 | 0.10 / 0.14 | 0.06 / 0.18 | 0.09 / 0.11 | 0.10 |

Session 4 pilots on the earlier study's baseline (24 MB mixture with 10% reasoning text, 1500 steps,
validation loss 4.05), fine-tuning 1024 examples × 4 epochs, 60 held-out examples per primitive
(hits out of 60):

| fine-tuning variant | copy | va-d0 math/code | va-d1 math/code | va-d2 math/code | psm |
|---|---|---|---|---|---|
| lr 3e-3 | 1 | 4 / 12 | 2 / 11 | 5 / 16 | 13 |
| lr 1e-3 | 1 | 15 / 11 | 7 / 17 | 14 / 17 | 6 |
| lr 3e-4 | 3 | 11 / 11 | 9 / 11 | 7 / 14 | 9 |
| lr 3e-3, loss on the whole example (--ft-prompt-loss; 100 examples) | 3% | 10% / 11% | 6% / 12% | 9% / 10% | 8% |

Reading the fine-tuned models' answers showed why they sit at or below chance: each answers almost
every prompt of a form with one constant (" 5" for every math-form query, " t" for every copy query)
— the models have not learnt to look the asked name up, so greedy exact match measures the answer
prior. Hence this study's changes: the reasoning text now puts two to four chains of the same shape
beside the asked one (and single-letter names half the time), so that only looking the name up beats
the distractors; it is 20% of the mixture; every run shares one text (data seed 1), so validation
losses compare across seeds; lr 1e-3 for fine-tuning (the best of the three above); and two ranked
protocols (5-shot-rank, ft-1024-rank) that score each example by which candidate answer the model
finds most likely (the assigned values, the sequence's items, every psm result): they cannot fail on
format, their chance level is exactly one over the candidates, and they show a preference that greedy
decoding hides. On the earlier baseline (N = 100) the ranked protocols gave copy 0.13 / 0.10,
variable assignment 0.24–0.44 / 0.25–0.39, psm 0.09 / 0.19 (5-shot-rank / ft-1024-rank): around the
chance levels 0.11, 0.33 and 0.05 — except psm after fine-tuning.`
