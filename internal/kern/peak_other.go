//go:build !amd64

package kern

// fmaLoops: no vector FMA loop on this architecture yet; Peak measures none.
func fmaLoops() []fmaLoop { return nil }

// VectorISA is "" here: the kernels run scalar Go on this architecture.
func VectorISA() string { return "" }
