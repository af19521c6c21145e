package model

import (
	"slices"
	"testing"

	"midas/internal/kern"
)

// TestPackWeightsBitwise: with the weights packed in advance (PackWeights), Loss and Backward give
// bitwise the losses, logits and gradients of plain packing, for every exact GEMM backend, with
// grouped-query attention, tied embeddings and a looped model; after the weights change in place,
// PackWeights repacks them (and without it the passes would read the old packing, which the test
// checks too, so that it knows the packing is used); forward-only packing leaves Backward exact.
func TestPackWeightsBitwise(t *testing.T) {
	gqa := Presets["tiny"]
	gqa.NumHeads, gqa.NumKVHeads = 4, 2
	tied := Presets["tiny"]
	tied.TiedEmbeddings = true
	prevB := kern.Backend()
	defer kern.SetBackend(prevB)
	for name, mk := range map[string]func() (*Model, error){
		"tiny":   func() (*Model, error) { return New(Presets["tiny"]) },
		"gqa":    func() (*Model, error) { return New(gqa) },
		"tied":   func() (*Model, error) { return New(tied) },
		"looped": func() (*Model, error) { return NewLoop(Presets["tiny"], Loop{K: 1, R: 2}) },
	} {
		for _, be := range kern.Backends() {
			if be == "openblas" || be == "amx-bf16" {
				continue // not exact float32 kernels
			}
			kern.SetBackend(be)
			ref, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			ref.InitWeights(4)
			pk, _ := mk()
			copy(pk.Params, ref.Params)
			r := NewRNG(5)
			B, T, V := 2, 24, ref.Cfg.VocabSize
			toks, tgts := make([]int32, B*T), make([]int32, B*T)
			for i := range toks {
				toks[i], tgts[i] = int32(r.Next()%uint64(V)), int32(r.Next()%uint64(V))
			}
			for round, backward := range []bool{true, true, false} {
				pk.PackWeights(backward)
				for _, m := range []*Model{ref, pk} {
					m.ZeroGrads()
					m.Loss(toks, tgts, B, T)
				}
				if !slices.Equal(ref.Losses(), pk.Losses()) {
					t.Fatalf("%s %s round %d: packed losses differ", name, be, round)
				}
				ref.Backward(1)
				pk.Backward(1)
				if !slices.Equal(ref.Grads, pk.Grads) {
					t.Fatalf("%s %s round %d: packed gradients differ", name, be, round)
				}
				for i := range ref.Params { // an update in place, as an optimizer step
					d := float32(r.Normal() * 0.02)
					ref.Params[i] += d
					pk.Params[i] += d
				}
			}
			pk.Loss(toks, tgts, B, T) // the last update was not repacked: the old weights' losses
			stale := slices.Clone(pk.Losses())
			ref.Loss(toks, tgts, B, T)
			if slices.Equal(stale, ref.Losses()) {
				t.Fatalf("%s %s: a stale packing gives the new weights' losses: the packing is not used", name, be)
			}
			pk.DropPacks()
			pk.Loss(toks, tgts, B, T)
			if !slices.Equal(ref.Losses(), pk.Losses()) {
				t.Fatalf("%s %s: after DropPacks the losses differ", name, be)
			}
		}
	}
}
