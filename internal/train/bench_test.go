package train

import (
	"testing"

	"midas/internal/data"
	"midas/internal/kern"
	"midas/internal/model"
)

// newBenchTrainer makes a trainer for preset name (at batch b) over random tokens: enough windows
// for several epochs of steps, AdamW with clipping so that every part of TrainStep runs.
func newBenchTrainer(tb testing.TB, name string, b int) *Trainer {
	tb.Helper()
	cfg := model.Presets[name]
	opt := DefaultOptions(cfg)
	opt.Batch, opt.Steps, opt.Warmup, opt.Clip = b, 1000, 2, 1
	if err := opt.Validate(); err != nil {
		tb.Fatal(err)
	}
	r := model.NewRNG(7)
	tokens := make([]int32, 16*b*cfg.SeqLen+1) // 16 batches: the loader wraps into new epochs
	for i := range tokens {
		tokens[i] = int32(r.Next() % uint64(cfg.VocabSize))
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
	return New(opt, m, loader, nil)
}

// BenchmarkTrainStep times one optimizer step (forward, backward, clipping, AdamW) by preset.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		name  string
		batch int
	}{{"tiny", 4}, {"small", 4}} {
		b.Run(c.name, func(b *testing.B) {
			tr := newBenchTrainer(b, c.name, c.batch)
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
		tr := newBenchTrainer(t, "tiny", 2)
		step := func() {
			if _, err := tr.TrainStep(); err != nil {
				t.Fatal(err)
			}
		}
		step()
		if n := testing.AllocsPerRun(5, step); n != 0 {
			t.Errorf("%s: TrainStep allocates %v times per step in steady state, want 0", be, n)
		}
		kern.SetBackend(prev)
	}
}
