//go:build openblas

package openblas

// Debian's OpenBLAS is a DYNAMIC_ARCH build that picks its kernels from CPUID when the library loads.
// Under a hypervisor that hides the CPU model it may fall back to "Prescott" (SSE3, ~5× slower);
// CoreName tells. For fair comparisons set OPENBLAS_CORETYPE=SapphireRapids (it selects the
// Cooperlake AVX-512 kernels) or SkylakeX in the environment before the program starts.

/*
#cgo CFLAGS: -I/usr/include/x86_64-linux-gnu/openblas-pthread -I/usr/include/openblas
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"unsafe"

	"midas/internal/kern"
)

func init() { kern.RegisterGemm("openblas", sgemm, setThreads) }

// CoreName is the kernel family OpenBLAS chose for this CPU (openblas_get_corename).
func CoreName() string { return C.GoString(C.openblas_get_corename()) }

// setThreads makes OpenBLAS use the pool size for its own threads.
func setThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// sgemm runs a checked, non-trivial GEMM (m, n, k ≥ 1) through cblas_sgemm. OpenBLAS threads
// internally with the count from setThreads, so parallel and serial calls are the same call.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(ta), C.enum_CBLAS_TRANSPOSE(tb),
		C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
