package kern

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// fmaLoop is one vector FMA throughput loop: its ISA, FLOPs per iteration, lanes per vector, and
// the loop itself (acc: 12 vectors of accumulators, ab: the vectors a and b; acc_i += a·b, n times).
type fmaLoop struct {
	isa   string
	flops int
	lanes int
	run   func(acc, ab []float32, n int)
}

// PeakResult is the machine's measured float32 FMA throughput.
type PeakResult struct {
	ISA     string  // the widest vector FMA the CPU runs (avx512, avx2)
	Threads int     // threads that ran the loop at once
	FLOPs   float64 // FLOP/s over all threads (an FMA counts 2)
}

// Peak measures the float32 FMA peak of the widest vector unit with the given number of threads,
// each locked to its OS thread and running independent FMA chains from registers for about d. It
// is the ceiling a GEMM can reach on this machine (and what a model's FLOP/s are a share of). The
// error says when this architecture has no vector loop.
func Peak(threads int, d time.Duration) (PeakResult, error) {
	loops := fmaLoops()
	if len(loops) == 0 {
		return PeakResult{}, fmt.Errorf("kern: no vector FMA loop for %s/%s: the machine's peak is not measured", runtime.GOOS, runtime.GOARCH)
	}
	if threads < 1 {
		return PeakResult{}, fmt.Errorf("kern: Peak: threads %d < 1", threads)
	}
	l := loops[0]
	// Calibrate one thread's iterations for d/5, then time five such chunks per thread; keep the
	// fastest chunk's rate per thread (interruptions only slow a chunk down).
	n := 1 << 16
	for {
		t := time.Now()
		runFMA(l, n)
		if e := time.Since(t); e > d/20 || n > 1<<28 {
			n = int(float64(n) * float64(d/5) / float64(max(e, time.Microsecond)))
			break
		}
		n *= 4
	}
	n = max(n, 1)
	best := make([]time.Duration, threads)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			<-start
			for c := 0; c < 5; c++ {
				t := time.Now()
				runFMA(l, n)
				if e := time.Since(t); best[w] == 0 || e < best[w] {
					best[w] = e
				}
			}
		}(w)
	}
	close(start)
	wg.Wait()
	total := 0.0
	for _, b := range best {
		total += float64(n) * float64(l.flops) / b.Seconds()
	}
	return PeakResult{ISA: l.isa, Threads: threads, FLOPs: total}, nil
}

// runFMA runs n iterations of l on fresh accumulators (a·b small, so nothing overflows).
func runFMA(l fmaLoop, n int) []float32 {
	acc := make([]float32, 12*l.lanes)
	ab := make([]float32, 2*l.lanes)
	for i := range l.lanes {
		ab[i], ab[l.lanes+i] = 1, 0.5
	}
	l.run(acc, ab, n)
	return acc
}
