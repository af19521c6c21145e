//go:build !amd64

package kern

// gemmAvailable lists the backends of this architecture: only the pure Go one.
func gemmAvailable() []*gemmBackend { return []*gemmBackend{gemmGeneric} }
