package train

import (
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"midas/internal/data"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/stats"
)

// bf16Tolerance is the promise of --matmul bf16: its training loss, averaged over windows of 10 steps,
// stays within this relative distance of the float32 run's from the same seed.
const bf16Tolerance = 0.01

// TestBF16LossCurve trains the tiny model on English bytes (Moby Dick) for 200 steps in float32 and
// with the amx-bf16 GEMM, same seed and data, and compares the loss curves window by window.
func TestBF16LossCurve(t *testing.T) {
	if !slices.Contains(kern.Backends(), "amx-bf16") {
		t.Skip("no AMX-BF16 on this CPU")
	}
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "data", "english-pd", "moby_dick.txt.gz"))
	if err != nil {
		t.Skip("english-pd corpus not found:", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(io.LimitReader(zr, 600_000))
	if err != nil {
		t.Fatal(err)
	}
	tokens := make([]int32, len(text))
	for i, b := range text {
		tokens[i] = int32(b)
	}
	cfg := model.Presets["tiny"]
	cfg.VocabSize = 256
	const steps, window = 200, 10
	run := func(backend string) []float64 {
		prev := kern.Backend()
		if err := kern.SetBackend(backend); err != nil {
			t.Fatal(err)
		}
		defer kern.SetBackend(prev)
		opt := DefaultOptions(cfg)
		opt.Batch, opt.Steps, opt.Warmup, opt.LR, opt.Threads = 16, steps, 20, 3e-3, kern.Threads()
		m, err := model.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.InitWeights(1)
		loader, err := data.NewLoader(tokens, cfg.SeqLen, opt.Batch, 1)
		if err != nil {
			t.Fatal(err)
		}
		tr := New(opt, m, loader, nil)
		var losses []float64
		for s := 0; s < steps; s++ {
			l, err := tr.TrainStep()
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l.Loss)
		}
		return losses
	}
	f32, b16 := run(kern.Backends()[0]), run("amx-bf16")
	var worst float64
	for w := 0; w < steps/window; w++ {
		a, b := stats.Mean(f32[w*window:(w+1)*window]), stats.Mean(b16[w*window:(w+1)*window])
		worst = math.Max(worst, math.Abs(b-a)/a)
		t.Logf("steps %3d-%3d: float32 %.4f  bf16 %.4f", w*window, (w+1)*window-1, a, b)
	}
	t.Logf("largest relative difference of 10-step means: %.4f (tolerance %.2f)", worst, bf16Tolerance)
	if first, last := stats.Mean(f32[:window]), stats.Mean(f32[steps-window:]); last > 0.75*first {
		t.Fatalf("float32 run did not learn: loss %.3f → %.3f", first, last)
	}
	if worst > bf16Tolerance {
		t.Fatalf("bf16 loss curve departs from float32 by %.4f (relative) > %.2f", worst, bf16Tolerance)
	}
}
