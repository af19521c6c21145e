package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"midas/internal/objective"
)

// TestLossBatch: the model reads an objective's Batch as the package doc of objective says — LossBatch
// on a Causal batch is Loss on the windows shifted by one, bitwise, with the same gradient; with
// LossFrom the loss is the mean over the kept positions only (the masked ones have loss 0).
func TestLossBatch(t *testing.T) {
	m, err := New(tinyFD)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRNG(11)
	for i := range m.Params {
		m.Params[i] = float32(r.Normal() * 0.3) // as in TestModelGradFD: losses far from uniform
	}
	const B, T = 2, 5
	win := make([]int32, B*(T+1))
	for i := range win {
		win[i] = int32(r.Next() % uint64(tinyFD.VocabSize))
	}
	in, tgt := make([]int32, B*T), make([]int32, B*T)
	for b := 0; b < B; b++ {
		copy(in[b*T:], win[b*(T+1):b*(T+1)+T])
		copy(tgt[b*T:], win[b*(T+1)+1:(b+1)*(T+1)])
	}
	m.ZeroGrads()
	want := m.Loss(in, tgt, B, T)
	m.Backward(1)
	wantGrads := slices.Clone(m.Grads)

	var bt objective.Batch
	objective.Causal{}.Make(&bt, win, B, T, 0)
	m.ZeroGrads()
	if got := m.LossBatch(&bt); math.Float32bits(got) != math.Float32bits(want) {
		t.Errorf("LossBatch = %v, Loss on the shifted windows = %v", got, want)
	}
	m.Backward(1)
	if !slices.Equal(m.Grads, wantGrads) {
		t.Error("gradients after LossBatch differ from those after Loss")
	}

	// Row 1 keeps the predictions of its window tokens 3, 4, 5 only (positions 2, 3, 4).
	all := slices.Clone(m.Losses())
	bt.LossFrom(1, 3)
	masked := m.LossBatch(&bt)
	var sum float64
	kept := 0
	for i, l := range all {
		if i < T || i >= T+2 {
			sum += float64(l)
			kept++
		}
	}
	if w := float32(sum / float64(kept)); math.Abs(float64(masked-w)) > 1e-6*math.Abs(float64(w)) {
		t.Errorf("LossBatch after LossFrom(1, 3) = %v, want the mean of the %d kept losses %v", masked, kept, w)
	}
	for i, l := range m.Losses() {
		if (i == T || i == T+1) && l != 0 {
			t.Errorf("masked position %d has loss %v, want 0", i, l)
		}
	}

}

// TestLossBatchPrefix: a prefix changes the loss (positions see later prefix tokens); a prefix out of
// range or a target inside the prefix is refused, naming the row.
func TestLossBatchPrefix(t *testing.T) {
	m, err := New(tinyFD)
	if err != nil {
		t.Fatal(err)
	}
	m.InitWeights(3)
	const B, T = 2, 5
	win := make([]int32, B*(T+1))
	for i := range win {
		win[i] = int32(i % tinyFD.VocabSize)
	}
	var bt objective.Batch
	objective.Causal{}.Make(&bt, win, B, T, 0)
	bt.LossFrom(1, 3)
	causal := m.LossBatch(&bt)
	bt.Prefix[1] = 3
	if got := m.LossBatch(&bt); got == causal {
		t.Errorf("LossBatch with Prefix[1] = 3 = %v, the same as without a prefix", got)
	}
	for _, c := range []struct {
		name, want string
		set        func(*objective.Batch)
	}{
		{"prefix past T", "model: LossBatch: row 1 has a prefix of 6 outside [0, T = 5]", func(bt *objective.Batch) { bt.Prefix[1] = 6 }},
		{"target inside the prefix", "model: LossBatch: row 0 predicts position 1 inside its prefix of 4",
			func(bt *objective.Batch) { bt.Prefix[0] = 4; bt.Targets[0] = objective.Ignore }},
	} {
		bad := bt
		bad.Prefix, bad.Targets = slices.Clone(bt.Prefix), slices.Clone(bt.Targets)
		c.set(&bad)
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			m.LossBatch(&bad)
			return ""
		}()
		if !strings.HasPrefix(msg, c.want) {
			t.Errorf("%s: panic %q, want %q", c.name, msg, c.want)
		}
	}
}
