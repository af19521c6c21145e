package model

import "midas/internal/kern"

// Sizes computed from a Config alone, in float64 so that absurd configs (a million-wide model, a
// billion layers) cannot overflow: callers check them against memory before anything is allocated.

// ParamCount is the number of float32 parameters of c (NewLayout(c).Size, without laying them out).
func (c Config) ParamCount() float64 {
	C, F, V, L := float64(c.Dim), float64(c.FFNDim), float64(c.VocabSize), float64(c.NumLayers)
	Q, KV := float64(c.QDim()), float64(c.KVDim())
	perLayer := 2*C + 2*C*Q + 2*C*KV + 3*C*F // two norms, q o, k v, gate up down
	n := V*C + L*perLayer + C
	if !c.TiedEmbeddings {
		n += V * C
	}
	return n
}

// ActivationBytes is Model.ActivationBytes for a fresh model of c over [b, t] batches: the activation
// and backward-scratch buffers a forward and backward pass allocates, with Model.Recompute or not.
func (c Config) ActivationBytes(b, t int, recompute bool) float64 {
	C, F, V, H, L := float64(c.Dim), float64(c.FFNDim), float64(c.VocabSize), float64(c.NumHeads), float64(c.NumLayers)
	Q, W := float64(c.QDim()), float64(c.QKVDim())
	n := float64(b) * float64(t)
	// The attention's probabilities and their gradient (B·H·T² each) while small, else the lean
	// attention's statistics (2·N·H per layer) and a T×T pair per worker (Model.ActivationBytes).
	att, once := n*float64(t)*H, n*float64(t)*H
	if att > float64(leanAttentionMin) {
		att, once = 2*n*H, 2*float64(t)*float64(t)*float64(max(kern.Threads(), 1))
	}
	perLayer := n*(4*C+W+Q+3*F+2) + att
	once += n * (4*C + W + Q + 3*F + V + 2)
	layers := L * perLayer
	if recompute {
		layers = L*n*C + perLayer - n*C
	}
	return 4 * (layers + once)
}

// TrainBytes is the memory training c on [b, t] micro-batches needs: parameters, gradients and both
// AdamW moments (16 bytes per parameter) and the activations (what `midas bench` reports as its
// estimate, less the benchmark's own tokens).
func (c Config) TrainBytes(b, t int) float64 {
	return 16*c.ParamCount() + c.ActivationBytes(b, t, false)
}

// InferBytes is the memory a loaded model of c needs before any forward pass: parameters and
// their gradient buffer (8 bytes per parameter).
func (c Config) InferBytes() float64 { return 8 * c.ParamCount() }
