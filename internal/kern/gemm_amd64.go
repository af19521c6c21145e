//go:build !openblas

package kern

// Micro-kernels in gemm_amd64.s; see gemmKernFunc for the contract.

//go:noescape
func gemmKernAVX512x12x32(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x14x32(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x12x32e(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x14x32e(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x8x48(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x6x64(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX2x6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmPackT4AVX2(dst, src *float32, ld, groups, kc8, stride int)

//go:noescape
func gemmPackNAVX2(dst, src *float32, ld, kc, w, panels int)

var (
	gemmAVX512 = &gemmBackend{name: "avx512", mr: 12, nr: 32, kc: 256, mc: 96, nc: 4096, kern: gemmKernAVX512x12x32p256, packT: gemmPackT4AVX2, packN: gemmPackNAVX2}
	gemmAVX2   = &gemmBackend{name: "avx2", mr: 6, nr: 16, kc: 256, mc: 96, nc: 4096, kern: gemmKernAVX2x6x16, packT: gemmPackT4AVX2, packN: gemmPackNAVX2}
)

var gemmCPU = cpuDetect()

// gemmAvailable lists the backends this CPU and OS support, fastest first.
func gemmAvailable() []*gemmBackend {
	var l []*gemmBackend
	if gemmCPU.avx512 {
		l = append(l, gemmAVX512)
	}
	if gemmCPU.avx2FMA {
		l = append(l, gemmAVX2)
	}
	return append(l, gemmGeneric)
}

//go:noescape
func gemmKernAVX512x12x32p256(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x12x32p512(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x12x32p1024(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x12x32u8(kc int, a, b, c *float32, ldc int, alpha, beta float32)
