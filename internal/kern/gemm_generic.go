package kern

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The packed, cache-blocked GEMM driver shared by all non-OpenBLAS backends (GotoBLAS/BLIS loop
// order), and the pure Go micro-kernel of the "generic" backend.
//
//	for jc over N in steps of nc:                  (region columns)
//	  for pc over K in steps of kc:                pack op(B)[pc:pc+kc, jc:jc+nc] into nr-column panels
//	    for ic over M in steps of mc:              pack op(A)[ic:ic+mc, pc:pc+kc] into mr-row panels
//	      for jr over the nc columns step nr:      one B panel stays in L1 ...
//	        for ir over the mc rows step mr:       ... while the A panels stream from L2
//	          micro-kernel: C tile (mr×nr) = alpha·Apanel·Bpanel + beta'·C tile
//
// The AVX-512 backend has micro-kernels that read A in place (see gemmDirectA); then A is not
// packed, except for a partial last row panel. A panel is the broadcast side: one float per row per
// k step, so reading it from the original rows costs no more loads than from a packed panel, and it
// saves a pass over A that costs as much as the FMAs when N is small (attention's P·V, N = 64).
//
// beta' is the caller's beta for the first K block and 1 afterwards. Every C element therefore sees
// the same sequence of float32 operations whatever the M/N partition: the K blocking (kc) is fixed per
// backend, the micro-kernel accumulates k in order in one register lane, and edge tiles run the same
// micro-kernel on a zero-padded copy. That is what makes Gemm bitwise independent of the thread count.

// gemmKernFunc is a micro-kernel: for the mr×nr tile at c (row stride ldc elements),
// C = alpha·Σ_{p<kc} a[p·mr+i]·b[p·nr+j] + beta·C, not reading C when beta == 0.
// a holds kc·mr packed floats, b kc·nr.
type gemmKernFunc func(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// gemmKernDFunc is gemmKernFunc with A read in place: element (i, p) of the tile's A panel is
// a[i·lda+p] (kernD, A not transposed) or a[p·lda+i] (kernT, A transposed). It must do exactly the
// same float32 operations as the backend's gemmKernFunc.
type gemmKernDFunc func(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)

// gemmBackend is one implementation: a micro-kernel, its tile and its cache blocking.
type gemmBackend struct {
	name       string
	mr, nr     int // micro-tile rows (broadcast side) and columns (vector side)
	kc, mc, nc int // cache blocking; mc is a multiple of mr, nc of nr
	kern       gemmKernFunc
	kernD      gemmKernDFunc // nil: always pack a non-transposed A
	kernT      gemmKernDFunc // nil: always pack a transposed A
	row        gemmRowFunc   // nil: GemmRow runs the whole driver
	packT      gemmPackT     // nil: pack in Go
	packN      gemmPackN     // nil: pack in Go

	// bf16 backends round op(A) and op(B) to bfloat16 (accumulating in float32): faster, not exact.
	// region, if set, replaces gemmRegion's loop nest (mr, nr still give the parallel split).
	bf16   bool
	region func(j *gemmJob, s *gemmScratch, i0, i1, j0, j1 int)
	enable func() error // called by SetBackend before first use, if set

	// An external backend (RegisterGemm) does the whole call itself; the fields above are unused.
	external   GemmFunc
	setThreads func(n int)
}

// GemmFunc is a complete GEMM with Gemm's contract, called with checked, non-trivial arguments
// (m, n, k ≥ 1, alpha ≠ 0).
type GemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// gemmExternal holds the registered external backends (RegisterGemm), in registration order.
var gemmExternal []*gemmBackend

// RegisterGemm adds an external GEMM backend (the openblas build registers cblas_sgemm from package
// internal/kern/openblas) and makes it the one in use. setThreads, if not nil, is called with the
// pool size now and on every SetThreads, since such a library threads on its own. It is meant for
// package init functions; an external backend need not be bitwise independent of the thread count.
func RegisterGemm(name string, gemm GemmFunc, setThreads func(n int)) {
	be := &gemmBackend{name: name, external: gemm, setThreads: setThreads}
	gemmExternal = append(gemmExternal, be)
	if setThreads != nil {
		setThreads(max(Threads(), 1))
	}
	gemmCur.Store(be)
}

// gemmGeneric is the pure Go backend. Its micro-tile depends on the register file: on amd64 and 386
// (16 or 8 vector registers, the compiler's scheduling puts every product before the first sum) a 4×4
// tile spills, and the 3×2 one (gemmKernGo3x2) runs ~3× faster; elsewhere (32 FP registers) the
// 4×4 tile fits. Both give the same bits: every C element is the same k-ordered chain.
var gemmGeneric = newGemmGeneric(runtime.GOARCH)

func newGemmGeneric(arch string) *gemmBackend {
	if arch == "amd64" || arch == "386" {
		return &gemmBackend{name: "generic", mr: 3, nr: 2, kc: 256, mc: 96, nc: 1024, kern: gemmKernGo3x2, row: gemmRowGo}
	}
	return &gemmBackend{name: "generic", mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024, kern: gemmKernGo4x4, row: gemmRowGo}
}

// gemmCur is the backend in use; init picks the fastest one the CPU supports. A Gemm call reads it
// once, so switching backends never affects a call that is already running.
var gemmCur atomic.Pointer[gemmBackend]

func init() { gemmCur.Store(gemmAvailable()[0]) }

// Backend names the implementation in use: "avx512", "avx2", "generic" or "openblas".
func Backend() string { return gemmCur.Load().name }

// Backends lists the GEMM backends SetBackend accepts on this CPU in this build, fastest native one
// first, then the registered external ones (RegisterGemm).
func Backends() []string {
	var names []string
	for _, be := range append(gemmAvailable(), gemmExternal...) {
		names = append(names, be.name)
	}
	return names
}

// SetBackend forces "avx512", "avx2" or "generic". It returns an error if the CPU (or OS) lacks the
// instructions or the name is unknown. It is meant for tests and benchmarks (it is global: every
// later Gemm uses the new backend).
func SetBackend(name string) error {
	for _, be := range append(gemmAvailable(), gemmExternal...) {
		if be.name == name {
			if be.enable != nil {
				if err := be.enable(); err != nil {
					return fmt.Errorf("kern: SetBackend: backend %q: %v", name, err)
				}
			}
			gemmCur.Store(be)
			return nil
		}
	}
	switch name {
	case "avx512", "avx2":
		return fmt.Errorf("kern: SetBackend: backend %q not supported by this CPU", name)
	case "openblas":
		return fmt.Errorf("kern: SetBackend: backend %q needs the openblas build tag", name)
	}
	return fmt.Errorf("kern: SetBackend: unknown backend %q", name)
}

// gemmSetThreadsHook lets external backends follow SetThreads.
func gemmSetThreadsHook(n int) {
	for _, be := range gemmExternal {
		if be.setThreads != nil {
			be.setThreads(max(n, 1))
		}
	}
}

// gemmParallelMin is the number of multiply-adds (m·n·k) below which Gemm stays on the calling
// goroutine: waking a worker costs a few microseconds, about 2^20 multiply-adds of work.
const gemmParallelMin = 1 << 20

// gemmJob holds the arguments of one Gemm call. It is a Task whose index range counts micro-tile
// rows (splitM) or micro-tile columns of C. Jobs are recycled so that Gemm does not allocate.
type gemmJob struct {
	be             *gemmBackend
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	splitM         bool     // the pool splits M (else N)
	directA        bool     // the micro-kernel reads A in place (kernD / kernT), A is not packed
	packed         *PackedB // op(B) packed in advance (GemmPacked), nil: pack per call
}

// gemmScratch holds one goroutine's packing buffers; they grow on demand and are reused.
type gemmScratch struct {
	a, b, tmp []float32
	pad       []float32 // zero-padded edge blocks for the bf16 packers
	a16, b16  []uint16  // bf16 panels
}

// gemmFree recycles jobs and scratch buffers (a plain free list: unlike sync.Pool it is not emptied
// by the garbage collector). To make "a training step allocates nothing" hold from the second step on,
// whatever the scheduling, the list keeps at least Threads()+1 scratches (at most Threads() goroutines
// multiply at once), and every scratch in it is grown to the largest buffers any scratch has needed
// (hw): which scratch serves which product depends on timing, so they must all be able to serve any.
var gemmFree struct {
	sync.Mutex
	jobs            []*gemmJob
	scratch         []*gemmScratch
	nJobs, nScratch int           // how many were ever made
	hw              gemmScratchHW // the largest capacities seen, per buffer
}

// gemmScratchHW holds capacities of the buffers of a gemmScratch.
type gemmScratchHW struct{ a, b, tmp, pad, a16, b16 int }

func (s *gemmScratch) caps() gemmScratchHW {
	return gemmScratchHW{cap(s.a), cap(s.b), cap(s.tmp), cap(s.pad), cap(s.a16), cap(s.b16)}
}

func (h gemmScratchHW) max(o gemmScratchHW) gemmScratchHW {
	return gemmScratchHW{max(h.a, o.a), max(h.b, o.b), max(h.tmp, o.tmp), max(h.pad, o.pad), max(h.a16, o.a16), max(h.b16, o.b16)}
}

// fit grows s's buffers to at least the capacities of h.
func (s *gemmScratch) fit(h gemmScratchHW) {
	for _, b := range []struct {
		buf *[]float32
		n   int
	}{{&s.a, h.a}, {&s.b, h.b}, {&s.tmp, h.tmp}, {&s.pad, h.pad}} {
		if cap(*b.buf) < b.n {
			*b.buf = make([]float32, b.n)
		}
	}
	if cap(s.a16) < h.a16 {
		s.a16 = make([]uint16, h.a16)
	}
	if cap(s.b16) < h.b16 {
		s.b16 = make([]uint16, h.b16)
	}
}

func gemmGetJob() *gemmJob {
	gemmFree.Lock()
	defer gemmFree.Unlock()
	if n := len(gemmFree.jobs); n > 0 {
		j := gemmFree.jobs[n-1]
		gemmFree.jobs = gemmFree.jobs[:n-1]
		return j
	}
	gemmFree.nJobs++
	return new(gemmJob)
}

func gemmPutJob(j *gemmJob) {
	*j = gemmJob{} // drop the references to the caller's matrices
	want := Threads() + 1
	gemmFree.Lock()
	gemmFree.jobs = append(gemmFree.jobs, j)
	for ; gemmFree.nJobs < want; gemmFree.nJobs++ {
		gemmFree.jobs = append(gemmFree.jobs, new(gemmJob))
	}
	gemmFree.Unlock()
}

func gemmGetScratch() *gemmScratch {
	gemmFree.Lock()
	defer gemmFree.Unlock()
	if n := len(gemmFree.scratch); n > 0 {
		s := gemmFree.scratch[n-1]
		gemmFree.scratch = gemmFree.scratch[:n-1]
		return s
	}
	gemmFree.nScratch++
	s := new(gemmScratch)
	s.fit(gemmFree.hw)
	return s
}

func gemmPutScratch(s *gemmScratch) {
	want := Threads() + 1
	gemmFree.Lock()
	defer gemmFree.Unlock()
	f := &gemmFree
	f.hw = f.hw.max(s.caps())
	f.scratch = append(f.scratch, s)
	for ; f.nScratch < want; f.nScratch++ {
		f.scratch = append(f.scratch, new(gemmScratch))
	}
	for _, x := range f.scratch { // allocates only while hw still rises (the first steps)
		x.fit(f.hw)
	}
}

// gemmGrow returns (*buf)[:n], reallocating with headroom when it is too small.
func gemmGrow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n+n/4)
	}
	return (*buf)[:n]
}

func gemmRoundUp(x, m int) int { return (x + m - 1) / m * m }

// gemmRun runs a checked, non-trivial GEMM with the current backend, over the pool if parallel.
func gemmRun(parallel bool, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmRunPacked(parallel, transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
}

// gemmRunPacked is gemmRun with op(B) optionally packed in advance (pb, for the current backend).
func gemmRunPacked(parallel bool, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, pb *PackedB, beta float32, c []float32, ldc int) {
	be := gemmCur.Load()
	if be.external != nil {
		be.external(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	j := gemmGetJob()
	*j = gemmJob{be: be, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, packed: pb}
	j.directA = gemmDirectA(j)
	// Splitting M makes every worker pack all of op(B) (k·n), splitting N all of op(A) (m·k):
	// split the dimension whose duplicated packing is smaller. When A is read in place, splitting N
	// duplicates no packing but makes every worker stream all of A through its caches, so N is split
	// only when M is not much larger (the dW shapes, m = out ≈ n = in), and only if every worker
	// still gets at least two column panels.
	nUnits, mUnits := (n+j.be.nr-1)/j.be.nr, (m+j.be.mr-1)/j.be.mr
	if j.directA {
		j.splitM = m >= 2*n || nUnits < 2*Threads()
	} else {
		j.splitM = m >= n
	}
	units := nUnits
	if j.splitM {
		units = mUnits
	}
	if parallel && int64(m)*int64(n)*int64(k) >= gemmParallelMin {
		poolFor(units, j)
	} else {
		j.Run(0, units)
	}
	gemmPutJob(j)
}

// gemmDirectA reports whether the micro-kernel reads A in place: kernD for a non-transposed A,
// kernT for a transposed one. Not when A's rows are a multiple of 2 KiB apart: the rows a kernel
// reads then share one or two L1 sets (4 KiB per way) and evict each other. And kernT only when the
// kc rows it walks per call span at most 384 KiB (96 pages): on the dW shapes lda 256 gained ~9%
// over packing, lda 683 lost ~7% (TLB misses). Whatever the choice, the arithmetic is the same.
func gemmDirectA(j *gemmJob) bool {
	if j.lda%512 == 0 {
		return false
	}
	if j.transA {
		return j.be.kernT != nil && j.lda*4*j.be.kc <= 384<<10
	}
	return j.be.kernD != nil
}

// Run computes the part of C made of micro-tile rows (or columns) [lo, hi).
func (j *gemmJob) Run(lo, hi int) {
	s := gemmGetScratch()
	if j.splitM {
		gemmRegion(j, s, lo*j.be.mr, min(hi*j.be.mr, j.m), 0, j.n)
	} else {
		gemmRegion(j, s, 0, j.m, lo*j.be.nr, min(hi*j.be.nr, j.n))
	}
	gemmPutScratch(s)
}

// gemmRegion computes C[i0:i1, j0:j1] with the blocked loop nest described at the top of the file.
func gemmRegion(j *gemmJob, s *gemmScratch, i0, i1, j0, j1 int) {
	be := j.be
	if be.region != nil {
		be.region(j, s, i0, i1, j0, j1)
		return
	}
	mr, nr := be.mr, be.nr
	direct := j.directA
	for jc := j0; jc < j1; jc += be.nc {
		nc := min(be.nc, j1-jc)
		for pc := 0; pc < j.k; pc += be.kc {
			kc := min(be.kc, j.k-pc)
			beta := float32(1)
			if pc == 0 {
				beta = j.beta
			}
			var bp []float32
			if j.packed != nil { // the same panels, packed once for all calls
				bp = j.packed.blocks[pc/be.kc][jc*kc:]
			} else {
				bp = gemmGrow(&s.b, kc*gemmRoundUp(nc, nr))
				gemmPackB(bp, j, nr, jc, nc, pc, kc)
			}
			for ic := i0; ic < i1; ic += be.mc {
				mc := min(be.mc, i1-ic)
				full := mc // rows served in place when direct
				var ap []float32
				if direct {
					full = mc - mc%mr
					if full < mc {
						ap = gemmGrow(&s.a, kc*mr)
						gemmPackA(ap, j, mr, ic+full, mc-full, pc, kc)
					}
				} else {
					ap = gemmGrow(&s.a, kc*gemmRoundUp(mc, mr))
					gemmPackA(ap, j, mr, ic, mc, pc, kc)
				}
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					bpan := &bp[jr*kc]
					for ir := 0; ir < mc; ir += mr {
						rows := min(mr, mc-ir)
						ci := (ic+ir)*j.ldc + jc + jr
						switch {
						case !direct:
							gemmTile(j, s, kc, &ap[ir*kc], 0, bpan, ci, rows, cols, beta)
						case ir < full && j.transA:
							gemmTile(j, s, kc, &j.a[pc*j.lda+ic+ir], j.lda, bpan, ci, rows, cols, beta)
						case ir < full:
							gemmTile(j, s, kc, &j.a[(ic+ir)*j.lda+pc], j.lda, bpan, ci, rows, cols, beta)
						default:
							gemmTile(j, s, kc, &ap[0], 0, bpan, ci, rows, cols, beta)
						}
					}
				}
			}
		}
	}
}

// gemmTile computes one rows×cols tile of C at offset ci from an A panel (packed if lda == 0, else
// A in place with row stride lda, read by kernD or, if transA, kernT) and a packed B panel. A partial tile goes through a
// full-size temporary tile, so that edge elements get exactly the arithmetic of interior ones.
func gemmTile(j *gemmJob, s *gemmScratch, kc int, apan *float32, lda int, bpan *float32, ci, rows, cols int, beta float32) {
	mr, nr := j.be.mr, j.be.nr
	if rows == mr && cols == nr {
		gemmKern(j, kc, apan, lda, bpan, &j.c[ci], j.ldc, beta)
		return
	}
	tmp := gemmGrow(&s.tmp, mr*nr)
	if beta != 0 {
		for i := 0; i < rows; i++ {
			copy(tmp[i*nr:i*nr+cols], j.c[ci+i*j.ldc:])
		}
	}
	gemmKern(j, kc, apan, lda, bpan, &tmp[0], nr, beta)
	for i := 0; i < rows; i++ {
		copy(j.c[ci+i*j.ldc:ci+i*j.ldc+cols], tmp[i*nr:])
	}
}

// gemmKern calls the micro-kernel for A packed (lda == 0) or in place.
func gemmKern(j *gemmJob, kc int, apan *float32, lda int, bpan, c *float32, ldc int, beta float32) {
	switch {
	case lda == 0:
		j.be.kern(kc, apan, bpan, c, ldc, j.alpha, beta)
	case j.transA:
		j.be.kernT(kc, apan, lda, bpan, c, ldc, j.alpha, beta)
	default:
		j.be.kernD(kc, apan, lda, bpan, c, ldc, j.alpha, beta)
	}
}

// gemmPackA packs op(A)[i0:i0+mc, p0:p0+kc] into dst as mr-row panels: panel r holds element (i, p)
// of its rows at r·mr·kc + p·mr + i. Rows past mc are zero.
func gemmPackA(dst []float32, j *gemmJob, mr, i0, mc, p0, kc int) {
	if j.transA { // op(A)[i,p] = a[p·lda+i]: each k step is a contiguous run of rows
		gemmPackCols(dst, j.a[p0*j.lda+i0:], j.lda, mc, mr, kc, j.be.packN)
		return
	}
	for ir := 0; ir < mc; ir += mr {
		// op(A)[i,p] = a[i·lda+p]: transpose the rows into the panel.
		gemmPackRows(dst[ir*kc:ir*kc+mr*kc], j.a[(i0+ir)*j.lda+p0:], j.lda, min(mr, mc-ir), mr, kc, j.be.packT)
	}
}

// gemmPackB packs op(B)[p0:p0+kc, j0:j0+nc] into dst as nr-column panels: panel q holds element
// (p, jj) of its columns at q·nr·kc + p·nr + jj. Columns past nc are zero.
func gemmPackB(dst []float32, j *gemmJob, nr, j0, nc, p0, kc int) {
	if !j.transB { // op(B)[p,jj] = b[p·ldb+jj]: each k step is a contiguous run of columns
		gemmPackCols(dst, j.b[p0*j.ldb+j0:], j.ldb, nc, nr, kc, j.be.packN)
		return
	}
	for jr := 0; jr < nc; jr += nr {
		// op(B)[p,jj] = b[jj·ldb+p]: transpose the rows of b into the panel.
		gemmPackRows(dst[jr*kc:jr*kc+nr*kc], j.b[(j0+jr)*j.ldb+p0:], j.ldb, min(nr, nc-jr), nr, kc, j.be.packT)
	}
}

// gemmPackN is an optional assembly version of the full panels of gemmPackCols (w even).
type gemmPackN func(dst, src *float32, ld, kc, w, panels int)

// gemmPackCols packs the kc×width matrix src (row stride ld) into panels of w columns without
// transposing: dst[q·w·kc + p·w + c] = src[p·ld + q·w + c], zero past width. It walks src row by row
// so that the reads are contiguous (a panel-by-panel walk touches a new row, often a new page, for
// every w floats). packN, if not nil, does the full panels.
func gemmPackCols(dst, src []float32, ld, width, w, kc int, packN gemmPackN) {
	full := width / w
	rest := width - full*w
	if packN != nil && full > 0 && w%2 == 0 {
		_ = src[(kc-1)*ld+full*w-1] // the assembly reads these source rows
		_ = dst[full*w*kc-1]        // and writes the full panels
		packN(&dst[0], &src[0], ld, kc, w, full)
		full = 0
	}
	for p := 0; p < kc; p++ {
		row := src[p*ld : p*ld+width]
		d := dst[p*w:]
		for q := 0; q < full; q++ {
			copy(d[q*w*kc:q*w*kc+w], row[q*w:])
		}
		if rest > 0 {
			last := width / w
			e := d[last*w*kc : last*w*kc+w]
			copy(e, row[last*w:])
			clear(e[rest:])
		}
	}
}

// gemmPackT is an optional assembly transposing pack for groups of 4 rows (see gemmPackRows);
// kc8 is a multiple of 8.
type gemmPackT func(dst, src *float32, ld, groups, kc8, stride int)

// gemmPackRows writes the transpose of the rows×kc matrix src (row stride ld) into panel with row
// stride `stride` ≥ rows: panel[p·stride+i] = src[i·ld+p], and zeroes columns rows..stride-1.
// packT, if not nil, does whole groups of 4 rows over the first kc&^7 columns; Go does the rest.
func gemmPackRows(panel, src []float32, ld, rows, stride, kc int, packT gemmPackT) {
	done, k8 := 0, 0
	if packT != nil && rows >= 4 && kc >= 8 {
		done, k8 = rows&^3, kc&^7
		_ = src[(done-1)*ld+k8-1]       // the assembly reads rows [0,done), columns [0,k8)
		_ = panel[(k8-1)*stride+done-1] // and writes these panel entries
		packT(&panel[0], &src[0], ld, done/4, k8, stride)
	}
	for i := 0; i < rows; i++ {
		p0 := 0
		if i < done {
			p0 = k8
		}
		if p0 == kc {
			continue
		}
		d := panel[i+p0*stride:]
		for p, v := range src[i*ld+p0 : i*ld+kc] {
			d[p*stride] = v
		}
	}
	for i := rows; i < stride; i++ {
		for p := 0; p < kc; p++ {
			panel[p*stride+i] = 0
		}
	}
}

// gemmKernGo3x2 is the generic micro-kernel of amd64 and 386 (mr = 3, nr = 2) in plain Go: six
// scalar accumulators, which with their products and operands fit 15 XMM registers without spills.
// The panels are read through array pointers (no bounds checks, no inlining marks) and k is unrolled
// by two; each accumulator still adds its products in k order.
func gemmKernGo3x2(kc int, a, b, c *float32, ldc int, alpha, beta float32) {
	// The pointers never pass the panels' last k step (a pointer past the end of an allocation
	// breaks unsafe.Pointer's rules; checkptr reports it): the pairs stop while a step follows, and
	// the last one or two steps go one at a time.
	ap, bp := unsafe.Pointer(a), unsafe.Pointer(b)
	var c00, c01, c10, c11, c20, c21 float32
	p := 0
	for ; p+2 < kc; p += 2 {
		av, bv := (*[6]float32)(ap), (*[4]float32)(bp)
		a0, a1, a2 := av[0], av[1], av[2]
		b0, b1 := bv[0], bv[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		a0, a1, a2 = av[3], av[4], av[5]
		b0, b1 = bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		ap, bp = unsafe.Add(ap, 24), unsafe.Add(bp, 16)
	}
	for ; p < kc; p++ {
		av, bv := (*[3]float32)(ap), (*[2]float32)(bp)
		c00 += av[0] * bv[0]
		c01 += av[0] * bv[1]
		c10 += av[1] * bv[0]
		c11 += av[1] * bv[1]
		c20 += av[2] * bv[0]
		c21 += av[2] * bv[1]
		if p+1 < kc {
			ap, bp = unsafe.Add(ap, 12), unsafe.Add(bp, 8)
		}
	}
	cs := unsafe.Slice(c, 2*ldc+2)
	gemmStore2(cs[0:2:2], c00, c01, alpha, beta)
	gemmStore2(cs[ldc:ldc+2:ldc+2], c10, c11, alpha, beta)
	gemmStore2(cs[2*ldc:2*ldc+2:2*ldc+2], c20, c21, alpha, beta)
}

// gemmStore2 is gemmStore4 for a row of two.
func gemmStore2(c []float32, s0, s1, alpha, beta float32) {
	if beta == 0 {
		c[0], c[1] = alpha*s0, alpha*s1
		return
	}
	c[0] = alpha*s0 + beta*c[0]
	c[1] = alpha*s1 + beta*c[1]
}

// gemmKernGo4x4 is the generic micro-kernel (mr = nr = 4) of CPUs with 32 FP registers (arm64,
// where Go also fuses the multiply-add, riscv64, ppc64): 16 scalar accumulators. On amd64 the
// compiler spills some of them and it runs at ~3.5 GFLOP/s.
func gemmKernGo4x4(kc int, a, b, c *float32, ldc int, alpha, beta float32) {
	as := unsafe.Slice(a, 4*kc)
	bs := unsafe.Slice(b, 4*kc)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < kc; p++ {
		av := as[4*p : 4*p+4 : 4*p+4]
		bv := bs[4*p : 4*p+4 : 4*p+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	gemmStore4(cs[0:4:4], c00, c01, c02, c03, alpha, beta)
	gemmStore4(cs[ldc:ldc+4:ldc+4], c10, c11, c12, c13, alpha, beta)
	gemmStore4(cs[2*ldc:2*ldc+4:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	gemmStore4(cs[3*ldc:3*ldc+4:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

// gemmStore4 writes one row of a generic micro-tile: c = alpha·s + beta·c (c not read if beta == 0).
func gemmStore4(c []float32, s0, s1, s2, s3, alpha, beta float32) {
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	c[0] = alpha*s0 + beta*c[0]
	c[1] = alpha*s1 + beta*c[1]
	c[2] = alpha*s2 + beta*c[2]
	c[3] = alpha*s3 + beta*c[3]
}
