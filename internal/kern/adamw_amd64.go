package kern

// adamwAVX2 is AdamWStep's loop over n elements (a multiple of 8) in adamw_amd64.s.
//
//go:noescape
func adamwAVX2(p, grad, m, v *float32, n int, s *AdamWScalars)

// adamwVec: the AVX2 loop runs where AVX2 is (tests switch it off to run the twin).
var adamwVec = gemmCPU.avx2FMA
