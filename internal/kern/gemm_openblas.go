//go:build openblas

package kern

// The OpenBLAS backend (build tag openblas): Gemm and GemmSerial call cblas_sgemm from the system
// library (Debian libopenblas-dev). Results are not promised to be independent of the thread count.
//
// Debian's OpenBLAS is a DYNAMIC_ARCH build that picks its kernels from CPUID when the library loads.
// Under a hypervisor that hides the CPU model it may fall back to "Prescott" (SSE3, ~5× slower);
// openblas_get_corename() tells. For fair comparisons set OPENBLAS_CORETYPE=SapphireRapids (it
// selects the Cooperlake AVX-512 kernels) or SkylakeX in the environment before the program starts.

/*
#cgo CFLAGS: -I/usr/include/x86_64-linux-gnu/openblas-pthread -I/usr/include/openblas
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func init() { gemmSetThreadsHook(Threads()) }

// Backend names the implementation in use: always "openblas" in this build.
func Backend() string { return "openblas" }

// SetBackend accepts only "openblas" in this build.
func SetBackend(name string) error {
	if name == "openblas" {
		return nil
	}
	return fmt.Errorf("kern: SetBackend: backend %q not available in the openblas build", name)
}

// gemmSetThreadsHook makes OpenBLAS use the pool size for its own threads.
func gemmSetThreadsHook(n int) { C.openblas_set_num_threads(C.int(max(n, 1))) }

// gemmRun runs a checked, non-trivial GEMM (m, n, k ≥ 1) through cblas_sgemm. OpenBLAS threads
// internally with the count from SetThreads, so parallel and serial calls are the same call.
func gemmRun(_ bool, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
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
