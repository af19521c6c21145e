package kern

// Assembly in gemm_amd64.s. The micro-kernels follow gemmKernFunc, the packs gemmPackT and gemmPackN.

//go:noescape
func gemmKernAVX512x12x32(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x12x32D(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX512x12x32T(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemmKernAVX2x6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// gemmRowFMA is the row kernel (gemmRowFunc) of both AVX backends: their
// micro-kernels compute every element alike (an FMA chain in k order from zero, then alpha·acc and
// one fused beta·C), so one kernel is bitwise either.
//
//go:noescape
func gemmRowFMA(kc int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32, acc bool)

//go:noescape
func gemmPackT4AVX2(dst, src *float32, ld, groups, kc8, stride int)

//go:noescape
func gemmPackNAVX2(dst, src *float32, ld, kc, w, panels int)

// Blocking: kc·nr·4 bytes of B panel (32 KiB for AVX-512) stay in the 48 KiB L1 while mr-row A panels
// stream from L2; the mc×kc A block (96 KiB) and the kc×nc B block (1 MiB) fit the 2 MiB L2 of a
// Sapphire Rapids core. kc ∈ {192, 256, 384}, mc ∈ {96, 192} and nc ∈ {512 … 4096} measured within
// noise of each other on the model's shapes.
var (
	gemmAVX512 = &gemmBackend{name: "avx512", mr: 12, nr: 32, kc: 256, mc: 96, nc: 1024,
		kern: gemmKernAVX512x12x32, kernD: gemmKernAVX512x12x32D, kernT: gemmKernAVX512x12x32T,
		packT: gemmPackT4AVX2, packN: gemmPackNAVX2, row: gemmRowFMA}
	gemmAVX2 = &gemmBackend{name: "avx2", mr: 6, nr: 16, kc: 256, mc: 96, nc: 1024,
		kern: gemmKernAVX2x6x16, packT: gemmPackT4AVX2, packN: gemmPackNAVX2, row: gemmRowFMA}
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
	l = append(l, gemmGeneric)
	if amxSupported() {
		l = append(l, gemmAMX) // not exact: last, so never the default
	}
	return l
}
