package model

import (
	"math"
	"slices"
	"testing"

	"midas/internal/kern"
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

// TestExtendBatchBitwise: ExtendBatch over caches of different lengths (three holding another's
// prefix, copied or shared: two sharing 9 positions, one 7) gives, bit for bit, the logits and the
// later logits of Extend on each cache alone (with a copy of the prefix), on every GEMM backend and
// thread count, with the weights packed in advance or not, also with grouped-query attention and tied
// embeddings; and the last position's logits are bitwise those of ExtendBatch with All, whose last
// layer runs every new row (without All it runs only each cache's last: attendLast).
func TestExtendBatchBitwise(t *testing.T) {
	gqa := Presets["small"]
	gqa.NumKVHeads, gqa.SeqLen = 2, 96
	tied := Presets["tiny"]
	tied.TiedEmbeddings = true
	prevB, prevT := kern.Backend(), kern.Threads()
	defer func() { kern.SetBackend(prevB); kern.SetThreads(prevT) }()
	for name, cfg := range map[string]Config{"tiny-tied": tied, "small-gqa": gqa} {
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.InitWeights(5)
		r := NewRNG(11)
		for i := range m.Params {
			m.Params[i] += float32(r.Normal() * 0.05)
		}
		rand := func(n int) []int32 {
			out := make([]int32, n)
			for i := range out {
				out[i] = int32(r.Next() % uint64(cfg.VocabSize))
			}
			return out
		}
		prefix := rand(9)
		rounds := [][][]int32{{rand(5), rand(1), rand(17), rand(4)}, {rand(1), rand(1), rand(1), rand(1)}, {rand(3), rand(1), rand(2), rand(1)}}
		for _, be := range kern.Backends() {
			if be == "openblas" || be == "amx-bf16" {
				continue // not exact float32 kernels
			}
			for _, th := range []int{1, 2, 3, 4} {
				share := th == 4 // and two threads
				kern.SetBackend(be)
				kern.SetThreads(min(th, 2))
				packed := th >= 3 // the weights packed in advance (Pack)
				base := m.NewCache(cfg.SeqLen)
				m.Extend(base, prefix)
				var alone, batch, whole []*Cache
				for _, n := range []int{0, 9, 9, 7} { // the prefix positions each cache starts from
					a, b, w := m.NewCache(cfg.SeqLen), m.NewCache(cfg.SeqLen), m.NewCache(cfg.SeqLen)
					a.CopyPrefix(base, n)
					if share && n > 0 {
						b.Share(base, n)
						w.Share(base, n)
					} else {
						b.CopyPrefix(base, n)
						w.CopyPrefix(base, n)
					}
					alone, batch, whole = append(alone, a), append(batch, b), append(whole, w)
				}
				var sc DecodeScratch
				sa := DecodeScratch{All: true} // every row through every layer
				if packed {
					sc.Pack(m)
					sa.Pack(m)
				}
				V := cfg.VocabSize
				for k, toks := range rounds {
					got := m.ExtendBatch(&sc, batch, toks)
					all := m.ExtendBatch(&sa, whole, toks)
					for i := range alone {
						want := m.Extend(alone[i], toks[i])
						if !slices.Equal(got[i], want) || alone[i].Len != batch[i].Len {
							t.Fatalf("%s %s threads %d shared %v: round %d cache %d: batched logits differ from Extend's", name, be, th, share, k, i)
						}
						if !slices.Equal(got[i], all[i][(len(toks[i])-1)*V:]) || whole[i].Len != batch[i].Len {
							t.Fatalf("%s %s threads %d shared %v: round %d cache %d: the last position's logits differ from those of the whole last layer (All)", name, be, th, share, k, i)
						}
					}
				}
			}
		}
	}
}

// TestShareTruncate: a cache that shares a prefix (Share) behaves as one holding a copy through a
// Truncate below the shared positions and after it, and a CopyPrefix from it copies the shared
// positions too: the logits are bitwise those of the copy.
func TestShareTruncate(t *testing.T) {
	cfg := Presets["tiny"]
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitWeights(7)
	r := NewRNG(3)
	toks := make([]int32, 30)
	for i := range toks {
		toks[i] = int32(r.Next() % uint64(cfg.VocabSize))
	}
	base := m.NewCache(cfg.SeqLen)
	m.Extend(base, toks[:9])
	shared, copied := m.NewCache(cfg.SeqLen), m.NewCache(cfg.SeqLen)
	shared.Share(base, 9)
	copied.CopyPrefix(base, 9)
	same := func(what string, a, b []float32) {
		t.Helper()
		if !slices.Equal(a, b) {
			t.Fatalf("%s: the sharing cache's logits differ from the copy's", what)
		}
	}
	var sc DecodeScratch
	ext := func(c *Cache, tk []int32) []float32 {
		return slices.Clone(m.ExtendBatch(&sc, []*Cache{c}, [][]int32{tk})[0])
	}
	same("after the shared prefix", ext(shared, toks[9:12]), ext(copied, toks[9:12]))
	shared.Truncate(5)
	copied.Truncate(5)
	same("after a truncate into the shared positions", ext(shared, toks[12:16]), ext(copied, toks[12:16]))
	again := m.NewCache(cfg.SeqLen)
	again.CopyPrefix(shared, shared.Len)
	same("copied from the sharing cache", ext(again, toks[16:18]), ext(copied, toks[16:18]))
}
