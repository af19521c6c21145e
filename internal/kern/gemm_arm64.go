package kern

import "unsafe"

// gemmKernNEON8x8 is in gemm_arm64.s: the 8×8 tile's 64 sums, row-major, into t.
//
//go:noescape
func gemmKernNEON8x8(kc int, a, b, t *float32)

// gemmKernNEON is the NEON backend's gemmKernFunc: the assembly sums, stored with alpha and beta by
// the generic kernel's own store, so that every element is bitwise the generic backend's.
func gemmKernNEON(kc int, a, b, c *float32, ldc int, alpha, beta float32) {
	var t [64]float32
	gemmKernNEON8x8(kc, a, b, &t[0])
	cs := unsafe.Slice(c, 7*ldc+8)
	for i := 0; i < 8; i++ {
		row, s := cs[i*ldc:i*ldc+8:i*ldc+8], t[8*i:8*i+8:8*i+8]
		gemmStore4(row[0:4:4], s[0], s[1], s[2], s[3], alpha, beta)
		gemmStore4(row[4:8:8], s[4], s[5], s[6], s[7], alpha, beta)
	}
}

// gemmNEON: ASIMD is part of every arm64 CPU (ARMv8-A), so it needs no detection. The blocking is
// the generic backend's (kc 256 keeps the results bitwise equal to it); mc and nc are multiples of
// the 8×8 tile.
// Its row kernel is the Go one: Go fuses s += a·b on arm64 as the NEON kernel does.
var gemmNEON = &gemmBackend{name: "neon", mr: 8, nr: 8, kc: 256, mc: 96, nc: 1024, kern: gemmKernNEON, row: gemmRowGo}

// gemmAvailable lists the backends of arm64, fastest first.
func gemmAvailable() []*gemmBackend { return []*gemmBackend{gemmNEON, gemmGeneric} }
