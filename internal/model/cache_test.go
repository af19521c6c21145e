package model

import (
	"math"
	"testing"
)

// TestExtendMatchesForward: decoding with the KV cache — a prefix in one Extend, then one token at a
// time, then a truncate-and-extend — gives the logits of the full forward pass at every position (to
// float32 rounding of differently blocked sums: 1e-5).
func TestExtendMatchesForward(t *testing.T) {
	for _, tied := range []bool{false, true} {
		cfg := Presets["tiny"]
		cfg.TiedEmbeddings = tied
		m, _ := New(cfg)
		m.InitWeights(3)
		r := NewRNG(9)
		for i := range m.Params { // larger weights than the init so attention is not uniform
			m.Params[i] += float32(r.Normal() * 0.05)
		}
		T := 20
		toks := make([]int32, T)
		for i := range toks {
			toks[i] = int32(r.Next() % uint64(cfg.VocabSize))
		}
		full := append([]float32(nil), m.Forward(toks, 1, T)...)
		V := cfg.VocabSize
		check := func(pos int, got []float32) {
			t.Helper()
			want := full[pos*V : (pos+1)*V]
			for j := range want {
				if math.Abs(float64(got[j]-want[j])) > 1e-5 {
					t.Fatalf("tied=%v pos %d logit %d: cached %v, full %v", tied, pos, j, got[j], want[j])
				}
			}
		}
		c := m.NewCache(cfg.SeqLen)
		check(7, m.Extend(c, toks[:8]))
		for p := 8; p < T; p++ {
			check(p, m.Extend(c, toks[p:p+1]))
		}
		c.Truncate(12)
		check(15, m.Extend(c, toks[12:16]))
		if c.Len != 16 {
			t.Fatalf("cache length %d, want 16", c.Len)
		}
	}
}
