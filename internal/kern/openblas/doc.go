// Package openblas registers OpenBLAS's cblas_sgemm as the kern GEMM backend "openblas" when the
// program is built with the openblas tag (cgo, Debian libopenblas-dev); importing it for its side
// effect makes it the backend in use. Without the tag the package is empty. It is the comparison
// the default build's GEMM is measured against, in the same process (kern.SetBackend switches).
package openblas
