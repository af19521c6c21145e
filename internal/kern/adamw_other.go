//go:build !amd64

package kern

// Other architectures run adamwGo.
var adamwVec = false

func adamwAVX2(p, grad, m, v *float32, n int, s *AdamWScalars) { panic("kern: no vector AdamW") }
