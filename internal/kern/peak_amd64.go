package kern

//go:noescape
func fmaLoopAVX512(acc *[12 * 16]float32, ab *[2 * 16]float32, n int)

//go:noescape
func fmaLoopAVX2(acc *[12 * 8]float32, ab *[2 * 8]float32, n int)

// fmaLoops lists the FMA throughput loops of this CPU, widest first: the ISA, the FLOPs of one
// iteration, and the loop (acc: 12 vectors, ab: a then b; acc_i += a·b, n times).
func fmaLoops() []fmaLoop {
	var out []fmaLoop
	if gemmCPU.avx512 {
		out = append(out, fmaLoop{"avx512", 12 * 16 * 2, 16, func(acc, ab []float32, n int) {
			fmaLoopAVX512((*[12 * 16]float32)(acc), (*[2 * 16]float32)(ab), n)
		}})
	}
	if gemmCPU.avx2FMA {
		out = append(out, fmaLoop{"avx2", 12 * 8 * 2, 8, func(acc, ab []float32, n int) {
			fmaLoopAVX2((*[12 * 8]float32)(acc), (*[2 * 8]float32)(ab), n)
		}})
	}
	return out
}

// VectorISA is the widest vector instruction set the kernels use on this CPU: "avx512", "avx2", or
// "" (scalar Go).
func VectorISA() string {
	switch {
	case gemmCPU.avx512:
		return "avx512"
	case gemmCPU.avx2FMA:
		return "avx2"
	}
	return ""
}
