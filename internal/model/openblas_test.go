//go:build openblas

package model_test

// Built with the openblas tag, the model tests run on the OpenBLAS GEMM backend.
import _ "midas/internal/kern/openblas"
