package kern

// cpuid executes CPUID with the given leaf (EAX) and subleaf (ECX).
func cpuid(eaxIn, ecxIn uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads extended control register XCR0. Only call it when
// CPUID.1:ECX.OSXSAVE is set.
func xgetbv() (eax, edx uint32)

// cpuFeatures is what the GEMM backends need to know about the CPU and OS.
type cpuFeatures struct {
	avx2FMA bool // AVX2 and FMA instructions, YMM state enabled by the OS
	avx512  bool // AVX-512F instructions, ZMM and opmask state enabled by the OS
}

// cpuDetect reads CPUID and XCR0. Instruction support alone is not enough:
// the OS must also save the YMM/ZMM register state (XCR0), or using the
// registers faults or corrupts state across context switches.
func cpuDetect() cpuFeatures {
	var f cpuFeatures
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return f
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		cpuFMA     = 1 << 12
		cpuOSXSAVE = 1 << 27
		cpuAVX     = 1 << 28
	)
	if ecx1&cpuOSXSAVE == 0 || ecx1&cpuAVX == 0 {
		return f
	}
	xcr0, _ := xgetbv()
	const (
		xcrSSE    = 1 << 1
		xcrAVX    = 1 << 2
		xcrOpmask = 1 << 5
		xcrZMMHi  = 1 << 6 // upper 256 bits of ZMM0-15
		xcrHi16   = 1 << 7 // ZMM16-31
	)
	osYMM := xcr0&(xcrSSE|xcrAVX) == xcrSSE|xcrAVX
	osZMM := osYMM && xcr0&(xcrOpmask|xcrZMMHi|xcrHi16) == xcrOpmask|xcrZMMHi|xcrHi16
	_, ebx7, _, _ := cpuid(7, 0)
	const (
		cpuAVX2    = 1 << 5
		cpuAVX512F = 1 << 16
	)
	f.avx2FMA = osYMM && ecx1&cpuFMA != 0 && ebx7&cpuAVX2 != 0
	f.avx512 = f.avx2FMA && osZMM && ebx7&cpuAVX512F != 0
	return f
}
