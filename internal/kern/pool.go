package kern

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: Threads()-1 persistent goroutines plus the calling goroutine. A parallel run holds
// poolState.run for its whole duration; a second run that finds the pool busy (a concurrent caller, or
// a ParallelFor nested inside a ParallelFor body) executes its chunks inline, one after the other, so it
// can neither deadlock nor change the chunking.
//
// Between jobs a worker spins for poolSpin before it parks, and the caller spins as long for the
// workers to finish before it blocks: waking a parked worker took ~60 µs on average on a 2-core cloud
// machine (the OS wakes an idle CPU), while the parallel regions of decoding follow each other every
// ~30 µs of serial work — the wake-ups alone were a tenth of a k-shot evaluation. A pool larger than
// the CPUs (or GOMAXPROCS) does not spin: a spinning thread would take a CPU from a working one.

// Task is one parallel job for ParallelForTask: Run handles the index range [lo, hi). Implement it with
// a pointer receiver on a struct that is kept and reused (in a long-lived object or a free list):
// converting a pointer to Task does not allocate, while a closure given to ParallelFor escapes to the
// heap on every call because the pool's workers receive it.
type Task interface {
	Run(lo, hi int)
}

// poolFunc adapts a ParallelFor body to Task (a func value is pointer-shaped, so the conversion itself
// does not allocate; the closure it points to does).
type poolFunc func(lo, hi int)

func (f poolFunc) Run(lo, hi int) { f(lo, hi) }

// poolJob is what a worker receives: a task, its range and where to report.
type poolJob struct {
	task   Task
	lo, hi int
	slot   int // index into poolState.panics
}

type poolState struct {
	run     sync.Mutex // held by the active parallel run
	cfg     sync.Mutex // guards threads and workers
	threads int
	workers []*poolWorker
	pending atomic.Int32 // the workers' chunks of the active run not finished yet
	spin    atomic.Int64 // how long to spin (a time.Duration): poolSpin, or 0 when oversubscribed
	done    sync.WaitGroup
	panics  []any // per worker: a recovered panic of the last run, re-raised by the caller
}

// poolWorker is one worker goroutine's mailbox. A job is posted in job by moving state from
// workerSpin to workerPosted while the worker spins, or sent on ch once it has parked (workerParked).
type poolWorker struct {
	state atomic.Int32
	job   poolJob
	ch    chan poolJob // closed to stop the worker
}

const (
	workerSpin   = iota // between jobs, watching state
	workerPosted        // job holds its next chunk
	workerParked        // blocked on ch
)

// poolSpin is how long an idle worker, and a caller waiting for the workers, spin before they block.
const poolSpin = 100 * time.Microsecond

var pool = newPoolState(runtime.GOMAXPROCS(0))

func newPoolState(n int) *poolState {
	p := &poolState{}
	p.resize(n)
	return p
}

// resize starts or stops workers so that there are n-1 of them. Callers hold p.run (or own p).
func (p *poolState) resize(n int) {
	if n < 1 {
		n = 1
	}
	p.cfg.Lock()
	defer p.cfg.Unlock()
	for len(p.workers) > n-1 {
		last := len(p.workers) - 1
		close(p.workers[last].ch) // it parks within poolSpin and stops
		p.workers = p.workers[:last]
	}
	for len(p.workers) < n-1 {
		w := &poolWorker{ch: make(chan poolJob, 1)}
		p.workers = append(p.workers, w)
		go p.worker(w)
	}
	p.panics = make([]any, n)
	p.threads = n
	spin := poolSpin
	if n > runtime.NumCPU() || n > runtime.GOMAXPROCS(0) {
		spin = 0
	}
	p.spin.Store(int64(spin))
}

func (p *poolState) worker(w *poolWorker) {
	for {
		j, ok := w.next(time.Duration(p.spin.Load()))
		if !ok {
			return
		}
		p.exec(w, j)
	}
}

// next waits for the worker's next job: spinning on state for up to spin, then parked on ch. ok is
// false when ch is closed (the pool shrank).
func (w *poolWorker) next(spin time.Duration) (j poolJob, ok bool) {
	if spinUntil(spin, func() bool { return w.state.Load() == workerPosted }) ||
		!w.state.CompareAndSwap(workerSpin, workerParked) { // posted just now
		return w.job, true
	}
	j, ok = <-w.ch
	return j, ok
}

// post hands j to the worker, which is between jobs.
func (w *poolWorker) post(j poolJob) {
	w.job = j
	if !w.state.CompareAndSwap(workerSpin, workerPosted) { // parked
		w.state.Store(workerPosted)
		w.ch <- j
	}
}

// spinUntil calls cond until it holds (true) or d has passed (false), yielding the processor now
// and then to other goroutines.
func spinUntil(d time.Duration, cond func() bool) bool {
	start := time.Now()
	for i := 1; ; i++ {
		if cond() {
			return true
		}
		if i%64 == 0 {
			if time.Since(start) > d {
				return false
			}
			runtime.Gosched()
		}
	}
}

// exec runs one chunk on worker w and records a panic instead of crashing the process, so that the
// caller can re-raise it on its own goroutine. The worker is between jobs again before the caller
// learns that the chunk is done.
func (p *poolState) exec(w *poolWorker, j poolJob) {
	defer p.done.Done()
	defer p.pending.Add(-1)
	defer w.state.Store(workerSpin)
	defer func() {
		if r := recover(); r != nil {
			p.panics[j.slot] = r
		}
	}()
	j.task.Run(j.lo, j.hi)
}

// Threads returns the size of the worker pool (the calling goroutine counts as one worker).
func Threads() int {
	pool.cfg.Lock()
	defer pool.cfg.Unlock()
	return pool.threads
}

// SetThreads sets the size of the worker pool; n < 1 means 1. It waits for a running parallel job to
// finish first, so it must not be called from inside a ParallelFor body. The default is
// runtime.GOMAXPROCS(0) at program start.
func SetThreads(n int) {
	pool.run.Lock()
	defer pool.run.Unlock()
	pool.resize(n)
	gemmSetThreadsHook(n)
}

// poolChunk returns chunk c of [0,n) split into k contiguous near-equal parts: the first n%k chunks
// have one element more.
func poolChunk(n, k, c int) (lo, hi int) {
	q, r := n/k, n%k
	lo = c*q + min(c, r)
	hi = lo + q
	if c < r {
		hi++
	}
	return lo, hi
}

// ParallelFor splits [0,n) into at most Threads() contiguous, near-equal chunks and calls fn(lo,hi) for
// each, concurrently on the pool's persistent workers (plus the caller), returning when all are done.
// With Threads()==1 or n<=1 it calls fn(0,n) inline. The chunking depends only on n and Threads().
// A panic in fn is re-raised on the calling goroutine after all chunks have finished. Calls made while
// the pool is busy (from another goroutine, or nested inside fn) run their chunks inline in order.
func ParallelFor(n int, fn func(lo, hi int)) {
	if n < 0 {
		panic(fmt.Sprintf("kern: ParallelFor: n=%d < 0", n))
	}
	poolFor(n, poolFunc(fn))
}

// ParallelForTask is ParallelFor calling t.Run(lo, hi) for each chunk, with the same chunking, panic
// and nesting behaviour. It allocates nothing itself, so a steady-state caller that reuses t (a pointer
// to a preallocated struct) allocates nothing at all.
func ParallelForTask(n int, t Task) {
	if n < 0 {
		panic(fmt.Sprintf("kern: ParallelForTask: n=%d < 0", n))
	}
	poolFor(n, t)
}

// poolFor is ParallelFor for a Task.
func poolFor(n int, t Task) {
	threads := Threads()
	if threads == 1 || n <= 1 {
		t.Run(0, n)
		return
	}
	chunks := min(n, threads)
	if !pool.run.TryLock() {
		for c := 0; c < chunks; c++ {
			t.Run(poolChunk(n, chunks, c))
		}
		return
	}
	defer pool.run.Unlock()
	if pool.threads != threads { // resized between Threads() and TryLock
		chunks = min(n, pool.threads)
	}
	pool.done.Add(chunks - 1)
	pool.pending.Store(int32(chunks - 1))
	for c := 1; c < chunks; c++ {
		lo, hi := poolChunk(n, chunks, c)
		pool.workers[c-1].post(poolJob{task: t, lo: lo, hi: hi, slot: c})
	}
	var callerPanic any
	func() {
		defer func() { callerPanic = recover() }()
		t.Run(poolChunk(n, chunks, 0))
	}()
	spinUntil(time.Duration(pool.spin.Load()), func() bool { return pool.pending.Load() == 0 })
	pool.done.Wait()
	workerPanic := callerPanic
	for c := 1; c < chunks; c++ {
		if r := pool.panics[c]; r != nil {
			pool.panics[c] = nil // reset for the next run
			if workerPanic == nil {
				workerPanic = r
			}
		}
	}
	if workerPanic != nil {
		panic(workerPanic)
	}
}

// taskFree is a free list of kernel argument structs. A kernel takes a *T, fills in its arguments,
// runs it over the pool and puts it back, so a parallel kernel call allocates nothing in steady
// state. Unlike sync.Pool it is not emptied by the garbage collector. Nested or concurrent calls
// simply take more structs.
type taskFree[T any] struct {
	mu   sync.Mutex
	free []*T
}

// parallelArgs runs args over [0,n) with ParallelForTask semantics, using a recycled copy of args
// from f. *T implements Task.
func parallelArgs[T any, P interface {
	*T
	Task
}](f *taskFree[T], n int, args T) {
	f.mu.Lock()
	var p *T
	if k := len(f.free); k > 0 {
		p = f.free[k-1]
		f.free = f.free[:k-1]
	} else {
		p = new(T)
	}
	f.mu.Unlock()
	*p = args
	poolFor(n, P(p))
	var zero T
	*p = zero // drop the references to the caller's buffers
	f.mu.Lock()
	f.free = append(f.free, p)
	f.mu.Unlock()
}
