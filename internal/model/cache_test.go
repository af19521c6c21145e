package model

import (
	"math"
	"testing"
)

// TestExtendMatchesForward: decoding with the KV cache — a prefix in one Extend, then one token at a
// time, then a truncate-and-extend — gives the logits of the full forward pass at every position (to
// float32 rounding of differently blocked sums: 1e-5), untied and tied, and with grouped-query
// attention, a head_dim override and Llama 3 rotary scaling.
func TestExtendMatchesForward(t *testing.T) {
	gqa := Presets["tiny"]
	gqa.NumHeads, gqa.NumKVHeads, gqa.HeadDimOverride = 4, 2, 24
	gqa.RopeScaling = RopeScaling{Type: RopeLlama3, Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPos: 32}
	tied := Presets["tiny"]
	tied.TiedEmbeddings = true
	for name, cfg := range map[string]Config{"untied": Presets["tiny"], "tied": tied, "gqa-headdim-llama3": gqa} {
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
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
					t.Fatalf("%s: pos %d logit %d: cached %v, full %v", name, pos, j, got[j], want[j])
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
