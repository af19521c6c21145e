package train

import (
	"testing"
	"time"

	"midas/internal/data"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/objective"
)

// newBenchTrainer makes a trainer for preset name (at batch b) and objective obj over random tokens:
// enough windows for several epochs of steps, AdamW with clipping so that every part of TrainStep
// runs. For ul2 the special tokens are the last ids of the vocabulary (as in a midas tokenizer) and
// the random text never uses them.
func newBenchTrainer(tb testing.TB, name string, b int, obj string) *Trainer {
	tb.Helper()
	cfg := model.Presets[name]
	opt := DefaultOptions(cfg)
	opt.Batch, opt.Steps, opt.Warmup, opt.Clip, opt.Objective = b, 1000, 2, 1, obj
	if err := opt.Validate(); err != nil {
		tb.Fatal(err)
	}
	text := cfg.VocabSize - len(opt.SpecialTokens())
	r := model.NewRNG(7)
	tokens := make([]int32, 16*b*cfg.SeqLen+1) // 16 batches: the loader wraps into new epochs
	for i := range tokens {
		tokens[i] = int32(r.Next() % uint64(text))
	}
	m, err := model.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	m.InitWeights(3)
	loader, err := data.NewLoader(tokens, cfg.SeqLen, b, 1)
	if err != nil {
		tb.Fatal(err)
	}
	tr := New(opt, m, loader, nil)
	if opt.IsUL2() {
		c := opt.UL2Config()
		if tr.Objective, err = objective.NewUL2(c, c.TokensFrom(int32(text), cfg.SeqLen), opt.Seed); err != nil {
			tb.Fatal(err)
		}
	}
	return tr
}

// BenchmarkTrainStep times one optimizer step (forward, backward, clipping, AdamW) by preset and
// objective; compare ul2 with causal as the ratio of their ns/op in one run (the ul2 step adds the
// batch construction and the attention of the rows' bidirectional prefixes).
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		name, obj string
		batch     int
	}{{"tiny", "causal", 4}, {"tiny", "ul2", 4}, {"small", "causal", 4}, {"small", "ul2", 4}} {
		b.Run(c.name+"/"+c.obj, func(b *testing.B) {
			tr := newBenchTrainer(b, c.name, c.batch, c.obj)
			if _, err := tr.TrainStep(); err != nil { // warm-up: activations, GEMM scratch
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.TrainStep(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*c.batch*model.Presets[c.name].SeqLen)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkTrainStepUL2Ratio alternates a causal and a ul2 step of the small preset (batch 4), so that
// both see the same machine load, and reports their time ratio: ul2/causal, the ratio of the summed
// step times (one "op" is one step of each).
func BenchmarkTrainStepUL2Ratio(b *testing.B) {
	causal := newBenchTrainer(b, "small", 4, objective.NameCausal)
	ul2 := newBenchTrainer(b, "small", 4, objective.NameUL2)
	var dc, du time.Duration
	step := func(tr *Trainer, d *time.Duration) {
		t0 := time.Now()
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
		*d += time.Since(t0)
	}
	step(causal, &dc) // warm-up: activations, GEMM scratch
	step(ul2, &du)
	dc, du = 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(causal, &dc)
		step(ul2, &du)
	}
	b.ReportMetric(float64(dc.Milliseconds())/float64(b.N), "causal-ms/step")
	b.ReportMetric(float64(du.Milliseconds())/float64(b.N), "ul2-ms/step")
	b.ReportMetric(du.Seconds()/dc.Seconds(), "ul2/causal")
}

// TestTrainStepAllocs: after a warm-up step has sized the activations and the kernels' scratch, a
// training step allocates nothing (every buffer and parallel task is reused).
// The bf16 (AMX) backend is held to the same rule where the CPU has it.
func TestTrainStepAllocs(t *testing.T) {
	for _, be := range kern.Backends() {
		if be != kern.Backends()[0] && be != "amx-bf16" {
			continue
		}
		prev := kern.Backend()
		if err := kern.SetBackend(be); err != nil {
			t.Fatal(err)
		}
		for _, obj := range []string{objective.NameCausal, objective.NameUL2} {
			tr := newBenchTrainer(t, "tiny", 2, obj)
			step := func() {
				if _, err := tr.TrainStep(); err != nil {
					t.Fatal(err)
				}
			}
			step()
			if n := testing.AllocsPerRun(5, step); n != 0 {
				t.Errorf("%s %s: TrainStep allocates %v times per step in steady state, want 0", be, obj, n)
			}
		}
		kern.SetBackend(prev)
	}
}
