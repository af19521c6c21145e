//go:build openblas

package main

// Built with the openblas tag, midas multiplies matrices with OpenBLAS (cgo, libopenblas-dev).
import _ "midas/internal/kern/openblas"
