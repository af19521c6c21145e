package kern

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
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
