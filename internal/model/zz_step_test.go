package model

import (
	"os"
	"testing"
	"time"

	"midas/internal/kern"
)

func TestZZStep(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	cfg := Config{VocabSize: 2048, Dim: 256, NumLayers: 4, NumHeads: 4, FFNDim: 683, SeqLen: 256, RopeTheta: 10000, NormEps: 1e-5}
	m, _ := New(cfg)
	m.InitWeights(3)
	kern.SetThreads(2)
	var sc DecodeScratch
	sc.Pack(m)
	B := 16
	var caches []*Cache
	var toks [][]int32
	for b := 0; b < B; b++ {
		c := m.NewCache(256)
		p := make([]int32, 200)
		for i := range p {
			p[i] = int32((b*7 + i*13) % 2048)
		}
		m.Extend(c, p)
		caches = append(caches, c)
		toks = append(toks, []int32{int32(b)})
	}
	t0 := time.Now()
	n := 0
	for s := 0; s < 300; s++ {
		if caches[0].Len >= 250 {
			for _, c := range caches {
				c.Truncate(200)
			}
		}
		m.ExtendBatch(&sc, caches, toks)
		n++
	}
	t.Logf("step %v", time.Since(t0)/time.Duration(n))
}
