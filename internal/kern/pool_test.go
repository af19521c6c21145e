package kern

import (
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForCoverage checks, for many (n, threads), that every index of [0,n) is visited exactly
// once, that there are at most Threads() chunks, contiguous and of sizes differing by at most one, and
// that the chunks are the same on every run.
func TestParallelForCoverage(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 4, 7} {
		withThreads(threads, func() {
			for _, n := range []int{0, 1, 2, 3, 5, 7, 8, 13, 64, 100, 1001} {
				chunks := func() [][2]int {
					var mu sync.Mutex
					var got [][2]int
					counts := make([]int32, n)
					ParallelFor(n, func(lo, hi int) {
						for i := lo; i < hi; i++ {
							atomic.AddInt32(&counts[i], 1)
						}
						mu.Lock()
						got = append(got, [2]int{lo, hi})
						mu.Unlock()
					})
					for i, c := range counts {
						if c != 1 {
							t.Fatalf("threads=%d n=%d: index %d visited %d times", threads, n, i, c)
						}
					}
					return got
				}
				first := chunks()
				if len(first) > max(threads, 1) || (n > 0 && len(first) == 0) {
					t.Fatalf("threads=%d n=%d: %d chunks", threads, n, len(first))
				}
				lo, hi := n, 0
				for _, c := range first {
					lo, hi = min(lo, c[0]), max(hi, c[1])
					size := c[1] - c[0]
					if n >= len(first) && (size < n/len(first) || size > n/len(first)+1) {
						t.Fatalf("threads=%d n=%d: chunk %v not near-equal", threads, n, c)
					}
				}
				if n > 0 && (lo != 0 || hi != n) {
					t.Fatalf("threads=%d n=%d: chunks span [%d,%d)", threads, n, lo, hi)
				}
				again := chunks()
				if !sameChunkSet(first, again) {
					t.Fatalf("threads=%d n=%d: chunking changed between runs: %v vs %v", threads, n, first, again)
				}
			}
		})
	}
}

// sameChunkSet reports whether a and b hold the same chunks in any order.
func sameChunkSet(a, b [][2]int) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[[2]int]int{}
	for _, c := range a {
		seen[c]++
	}
	for _, c := range b {
		seen[c]--
	}
	for _, v := range seen {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestParallelForNested checks that a ParallelFor inside a ParallelFor body (and concurrent callers)
// neither deadlocks nor loses work.
func TestParallelForNested(t *testing.T) {
	withThreads(3, func() {
		var total atomic.Int64
		ParallelFor(6, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				ParallelFor(10, func(lo2, hi2 int) { total.Add(int64(hi2 - lo2)) })
			}
		})
		if total.Load() != 60 {
			t.Fatalf("nested total %d, want 60", total.Load())
		}
		var wg sync.WaitGroup
		total.Store(0)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < 50; r++ {
					ParallelFor(17, func(lo, hi int) { total.Add(int64(hi - lo)) })
				}
			}()
		}
		wg.Wait()
		if total.Load() != 4*50*17 {
			t.Fatalf("concurrent total %d, want %d", total.Load(), 4*50*17)
		}
	})
}

// TestParallelForPanic checks that a panic in a worker's chunk reaches the caller and that the pool
// still works afterwards.
func TestParallelForPanic(t *testing.T) {
	withThreads(2, func() {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "boom") {
					t.Fatalf("recovered %v, want the worker's panic", r)
				}
			}()
			ParallelFor(2, func(lo, hi int) {
				if lo == 1 {
					panic("boom")
				}
			})
		}()
		// Both the caller's chunk and a worker's panic: the caller's is raised, and no stale worker
		// panic leaks into the next run.
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "caller") {
					t.Fatalf("recovered %v, want the caller's panic", r)
				}
			}()
			ParallelFor(2, func(lo, hi int) {
				if lo == 0 {
					panic("caller")
				}
				panic("worker")
			})
		}()
		var n atomic.Int32
		ParallelFor(2, func(lo, hi int) { n.Add(int32(hi - lo)) })
		if n.Load() != 2 {
			t.Fatalf("pool broken after panic: %d", n.Load())
		}
	})
}

// TestSetThreads checks clamping and that the pool size follows SetThreads.
func TestSetThreads(t *testing.T) {
	prev := Threads()
	defer SetThreads(prev)
	for _, c := range []struct{ set, want int }{{0, 1}, {-3, 1}, {1, 1}, {4, 4}, {2, 2}} {
		SetThreads(c.set)
		if got := Threads(); got != c.want {
			t.Fatalf("SetThreads(%d): Threads() = %d, want %d", c.set, got, c.want)
		}
	}
}

// TestParallelForNegative checks that a negative n is a caller bug.
func TestParallelForNegative(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("ParallelFor(-1) did not panic")
		}
	}()
	ParallelFor(-1, func(lo, hi int) {})
}

// countTask records the chunks it is run on.
type countTask struct {
	mu     sync.Mutex
	counts []int32
	chunks int
}

func (c *countTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		atomic.AddInt32(&c.counts[i], 1)
	}
	c.mu.Lock()
	c.chunks++
	c.mu.Unlock()
}

// TestParallelForTask checks that ParallelForTask visits every index once in at most Threads() chunks,
// and that neither it nor the kernels built on it allocate once warm (a closure given to ParallelFor
// would: it escapes to the pool's workers). Two threads, so the parallel path runs.
func TestParallelForTask(t *testing.T) {
	withThreads(2, func() {
		ct := &countTask{counts: make([]int32, 101)}
		ParallelForTask(101, ct)
		for i, c := range ct.counts {
			if c != 1 {
				t.Fatalf("index %d visited %d times", i, c)
			}
		}
		if ct.chunks != 2 {
			t.Fatalf("%d chunks, want 2", ct.chunks)
		}
		if n := testing.AllocsPerRun(10, func() { ParallelForTask(101, ct) }); n != 0 {
			t.Errorf("ParallelForTask allocates %v times", n)
		}
		// Shapes of a tiny model: N = 2·8 rows, C = 8, H = 2, D = 4, F = 12, V = 10.
		b, tt, h, d, f, v := 2, 8, 2, 4, 12, 10
		n, c := b*tt, h*d
		r := rand.New(rand.NewPCG(9, 9))
		x, w, out, rstd := randSlice(r, n*c, 1), randSlice(r, c, 1), make([]float32, n*c), make([]float32, n)
		dx, dw := make([]float32, n*c), make([]float32, c)
		qkv, att, y := randSlice(r, n*3*c, 1), make([]float32, b*h*tt*tt), make([]float32, n*c)
		dqkv, datt := make([]float32, n*3*c), make([]float32, b*h*tt*tt)
		prefix := []int{3, tt} // one row with a prefix, one fully bidirectional
		gu, act, dgu := randSlice(r, n*2*f, 1), make([]float32, n*f), make([]float32, n*2*f)
		logits, losses, dlog := randSlice(r, n*v, 1), make([]float32, n), make([]float32, n*v)
		tgt := make([]int32, n)
		for i := range tgt {
			tgt[i] = int32(i % v)
		}
		tb := NewRoPETable(tt, d, 10000)
		kernels := []struct {
			name string
			fn   func()
		}{
			{"RMSNorm", func() { RMSNormForward(out, rstd, x, w, n, c, 1e-5); RMSNormBackward(dx, dw, out, x, w, rstd, n, c) }},
			{"RoPE", func() { RoPEForward(qkv, tb, b, tt, 2*h, 3*c, 0); RoPEBackward(qkv, tb, b, tt, 2*h, 3*c, 0) }},
			{"Attention", func() {
				AttentionForward(y, att, qkv, nil, b, tt, h, h, d)
				AttentionBackward(dqkv, datt, y, qkv, att, nil, b, tt, h, h, d)
				AttentionForward(y, att, qkv, prefix, b, tt, h, h, d)
				AttentionBackward(dqkv, datt, y, qkv, att, prefix, b, tt, h, h, d)
				AttentionForward(y, att, qkv[:n*2*c], prefix, b, tt, h, 1, d)
				AttentionBackward(dqkv[:n*2*c], datt, y, qkv[:n*2*c], att, prefix, b, tt, h, 1, d)
				AttentionCached(y, datt, qkv, 3*c, x, tt, x, tt, 0, h, h, d)
				AttentionCached(y, datt, qkv, 3*c, x, tt, x, tt-1, 1, h, h, d)
			}},
			{"SwiGLU", func() { SwiGLUForward(act, gu, n, f); SwiGLUBackward(dgu, act, gu, n, f) }},
			{"SoftmaxCrossEntropy", func() {
				SoftmaxCrossEntropy(nil, losses, logits, tgt, n, v, 1)
				SoftmaxCrossEntropy(dlog, losses, logits, tgt, n, v, 1)
			}},
		}
		for _, k := range kernels {
			if a := testing.AllocsPerRun(10, k.fn); a != 0 {
				t.Errorf("%s allocates %v times per call", k.name, a)
			}
		}
	})
}

// TestPoolSpinAndPark hands jobs to workers in each of the states they wait in — still spinning
// (runs back to back), parked (a pause longer than poolSpin first), and just giving up spinning
// (pauses around poolSpin) — with the pool resized in between, and checks that every chunk ran once
// with its own range and that ParallelFor returned only after all of them (the counts are plain
// ints: only the pool's handoffs order them; run it with -race too). Pools larger than the CPUs do
// not spin, so on a small machine the larger pools check the parked path alone.
func TestPoolSpinAndPark(t *testing.T) {
	pauses := []time.Duration{0, 0, 3 * poolSpin, poolSpin, poolSpin / 2, 2 * poolSpin, 0, poolSpin + poolSpin/4}
	for _, threads := range []int{2, 3, 4} {
		withThreads(threads, func() {
			for r := 0; r < 200; r++ {
				if d := pauses[r%len(pauses)]; d > 0 {
					time.Sleep(d)
				}
				n := 1 + r%17
				hits := make([]int, n) // written without atomics: the pool's handoff orders them
				ParallelFor(n, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						hits[i]++
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("threads %d, run %d (n %d): index %d ran %d times", threads, r, n, i, h)
					}
				}
				if r == 100 {
					SetThreads(threads + 1) // workers stopped and started while some spin
					SetThreads(threads)
				}
			}
		})
	}
}
