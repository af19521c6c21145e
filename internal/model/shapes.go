package model

// GemmShape is one matrix multiplication of a training step, in kern.Gemm's terms: C (m×n) =
// op(A)·op(B) + beta·C with inner dimension k.
type GemmShape struct {
	Name           string // what it computes, e.g. "fwd qkv" or "bwd dW gate|up"
	TransA, TransB bool
	M, N, K        int
	Beta           float32
	PerStep        int // how many times one training step on this micro-batch makes the call
}

// GemmShapes lists the distinct kern.Gemm calls of one forward and backward pass over tokens
// positions (batch·seq), as Forward and Backward make them (attention's per-head products go
// through kern.Attention and are not listed). Benchmarks use it to time the model's own shapes.
func (c Config) GemmShapes(tokens int) []GemmShape {
	n, d, f, v, L := tokens, c.Dim, c.FFNDim, c.VocabSize, c.NumLayers
	q, w := c.QDim(), c.QKVDim()
	return []GemmShape{
		{"fwd qkv", false, true, n, w, d, 0, L},
		{"fwd o", false, true, n, d, q, 1, L},
		{"fwd gate|up", false, true, n, 2 * f, d, 0, L},
		{"fwd down", false, true, n, d, f, 1, L},
		{"fwd head", false, true, n, v, d, 0, 1},
		{"bwd dW head", true, false, v, d, n, 1, 1},
		{"bwd dX head", false, false, n, d, v, 0, 1},
		{"bwd dX down", false, false, n, f, d, 0, L},
		{"bwd dW down", true, false, d, f, n, 1, L},
		{"bwd dW gate|up", true, false, 2 * f, d, n, 1, L},
		{"bwd dX gate|up", false, false, n, d, 2 * f, 0, L},
		{"bwd dX o", false, false, n, q, d, 0, L},
		{"bwd dW o", true, false, d, q, n, 1, L},
		{"bwd dW qkv", true, false, w, d, n, 1, L},
		{"bwd dX qkv", false, false, n, d, w, 0, L},
	}
}
