//go:build !amd64 && !arm64

package kern

// gemmAvailable lists the backends of this architecture: only the pure Go one.
func gemmAvailable() []*gemmBackend { return []*gemmBackend{gemmGeneric} }
