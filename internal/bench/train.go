package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"midas/internal/data"
	"midas/internal/grow"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/objective"
	"midas/internal/stats"
	"midas/internal/train"
)

// Options configure a training benchmark (Train, Torch). Every count must be positive, Warmup ≥ 0.
type Options struct {
	Model   model.Config
	Batch   int // sequences per step
	Steps   int // timed steps
	Warmup  int // untimed steps first
	Threads int // worker threads
	// Objective is "" or "causal" (next-token prediction), or "ul2": objective.DefaultUL2's mixture,
	// its special tokens the last ids of the vocabulary (never in the random text).
	Objective string
	Recompute bool // activation checkpointing (model.Model.Recompute)
}

// RefFlags are the command-line flags of llama_ref.py bench for the same benchmark.
func (o Options) RefFlags() string {
	c := o.Model
	return fmt.Sprintf("--layers %d --dim %d --heads %d --ffn %d --vocab %d --seq %d --batch %d --steps %d --warmup %d --threads %d",
		c.NumLayers, c.Dim, c.NumHeads, c.FFNDim, c.VocabSize, c.SeqLen, o.Batch, o.Steps, o.Warmup, o.Threads)
}

// Result is one round of Train.
type Result struct {
	Backend    string  // the GEMM backend that ran
	Objective  string  // Options.Objective ("" for causal)
	Threads    int     // worker threads
	Params     int     // parameter count
	StepS      float64 // median seconds of a timed step
	TokensPerS float64 // tokens of a step (batch·seq) / StepS
	StepFLOPs  float64 // the model FLOPs of one step (grow.StepFLOPs: 6·N per token plus attention)
	// The estimate of what training needs: parameters, gradients and both AdamW moments (4 floats
	// per parameter), the activations of one micro-batch, and the benchmark's own random tokens (int32);
	// plus what the process held before the round allocated anything (its resident set then: the Go
	// runtime, the binary, the kernels' buffers), measured, 0 where /proc is unavailable.
	StateBytes, ActivationBytes, TokenBytes, BaseBytes int64
	PeakRSS                                            int64 // the round's peak resident set in bytes; 0 where /proc is unavailable
	Recompute                                          bool  // the layers were recomputed in backward (Options.Recompute)
}

// EstimateBytes is the estimate of what training needs: the sum of its three parts.
func (r Result) EstimateBytes() int64 {
	return r.StateBytes + r.ActivationBytes + r.TokenBytes + r.BaseBytes
}

// Train trains o.Model on random tokens with AdamW (lr 3e-4, weight decay 0.1, no clipping: the
// reference's bench) for o.Warmup untimed and o.Steps timed steps, and measures the median step time
// and this round's peak resident memory.
func Train(o Options) (Result, error) {
	cfg := o.Model
	// Start from a clean heap (the previous round's model is garbage) and restart the peak-RSS mark,
	// so that the peak is this round's, not the largest of all rounds so far.
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	base := rssBytes()
	kern.SetThreads(o.Threads)
	m, err := model.New(cfg)
	if err != nil {
		return Result{}, err
	}
	m.InitWeights(0)
	obj, text, err := benchObjective(o)
	if err != nil {
		return Result{}, err
	}
	r := model.NewRNG(0)
	tokens := make([]int32, (o.Steps+o.Warmup+1)*o.Batch*cfg.SeqLen+1)
	for i := range tokens {
		tokens[i] = int32(r.Next() % uint64(text))
	}
	loader, err := data.NewLoader(tokens, cfg.SeqLen, o.Batch, 0)
	if err != nil {
		return Result{}, err
	}
	opt := train.DefaultOptions(cfg)
	opt.Batch, opt.Steps, opt.LR, opt.Warmup, opt.LRKind, opt.Clip, opt.Threads = o.Batch, o.Steps+o.Warmup, 3e-4, 0, "constant", 0, o.Threads
	opt.Recompute = o.Recompute
	tr := train.New(opt, m, loader, nil)
	tr.Objective = obj
	var times []float64
	for s := 0; s < o.Warmup+o.Steps; s++ {
		t0 := time.Now()
		if _, err := tr.TrainStep(); err != nil {
			return Result{}, err
		}
		if s >= o.Warmup {
			times = append(times, time.Since(t0).Seconds())
		}
	}
	res := Result{Backend: kern.Backend(), Objective: o.Objective, Threads: o.Threads, Params: len(m.Params), StepS: stats.Median(times),
		StateBytes: 4 * 4 * int64(len(m.Params)), ActivationBytes: m.ActivationBytes(o.Batch, cfg.SeqLen),
		Recompute:  o.Recompute,
		TokenBytes: 4 * int64(len(tokens)), BaseBytes: base, PeakRSS: peakRSS()}
	res.TokensPerS = float64(o.Batch*cfg.SeqLen) / res.StepS
	res.StepFLOPs = grow.StepFLOPs(cfg, cfg.NumLayers, o.Batch*cfg.SeqLen)
	runtime.KeepAlive(tr) // the model, moments and tokens count until the peak is read
	return res, nil
}

// benchObjective is the objective of o and the number of ids the random text may use (the vocabulary
// less the special tokens).
func benchObjective(o Options) (objective.Objective, int, error) {
	V, T := o.Model.VocabSize, o.Model.SeqLen
	switch o.Objective {
	case "", objective.NameCausal:
		return objective.Causal{}, V, nil
	case objective.NameUL2:
	default:
		return nil, 0, fmt.Errorf("bench: objective must be causal or ul2, got %q", o.Objective)
	}
	c := objective.DefaultUL2()
	if err := c.Validate(T); err != nil {
		return nil, 0, fmt.Errorf("bench: %v", err)
	}
	k := len(c.SpecialTokens(T))
	if V < k+2 {
		return nil, 0, fmt.Errorf("bench: vocab %d is too small for ul2's %d special tokens at seq %d", V, k, T)
	}
	u, err := objective.NewUL2(c, c.TokensFrom(int32(V-k), T), 0)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: %v", err)
	}
	return u, V - k, nil
}

// Torch runs `python ref bench` with o's flags (RefFlags) and returns the reference's tokens_per_s.
// The child's stderr goes to log, and so do the lines of its stdout up to the tokens_per_s line.
func Torch(python, ref string, o Options, coreType string, log io.Writer) (float64, error) {
	if _, err := os.Stat(ref); err != nil {
		return 0, fmt.Errorf("bench: --vs-torch: reference %s not found (set --ref)", ref)
	}
	cmd := exec.Command(python, append([]string{ref, "bench"}, strings.Fields(o.RefFlags())...)...)
	cmd.Env = referenceEnv(coreType)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, log
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("bench: --vs-torch: %s %s bench failed: %v (is python3-torch installed?)", python, ref, err)
	}
	return parseTorch(&out, log)
}

// parseTorch copies the lines of the reference's output to log up to the first "tokens_per_s X" and
// returns X.
func parseTorch(out io.Reader, log io.Writer) (float64, error) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		fmt.Fprintln(log, sc.Text())
		if v, ok := strings.CutPrefix(sc.Text(), "tokens_per_s "); ok {
			tps, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("bench: --vs-torch: the reference's tokens_per_s: %v", err)
			}
			return tps, nil
		}
	}
	return 0, fmt.Errorf("bench: --vs-torch: no tokens_per_s line in the reference's output")
}

// Peaks measures the machine's float32 FMA peak (kern.Peak) at 1 thread and at threads, each for
// about d.
func Peaks(threads int, d time.Duration) ([]kern.PeakResult, error) {
	counts := []int{1}
	if threads > 1 {
		counts = append(counts, threads)
	}
	var out []kern.PeakResult
	for _, n := range counts {
		p, err := kern.Peak(n, d)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// StartCPUProfile starts a pprof CPU profile written to path; stop ends it and closes the file.
func StartCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: %s: %v", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// resetPeakRSS restarts the kernel's peak-RSS mark (VmHWM) at the current resident set, where Linux
// allows it (/proc/self/clear_refs, value 5); elsewhere the peak stays the process's.
func resetPeakRSS() {
	f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	f.Write([]byte("5"))
	f.Close()
}

// peakRSS is the process's peak resident set (VmHWM) in bytes, or 0 where /proc is unavailable.
func peakRSS() int64 { return procStatus("VmHWM:") }

// rssBytes is the process's resident set now (VmRSS) in bytes, or 0 where /proc is unavailable.
func rssBytes() int64 { return procStatus("VmRSS:") }

func procStatus(key string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseStatusKB(string(raw), key)
}

// parseStatusKB reads the "KEY  N kB" line of /proc/self/status as bytes; 0 without one.
func parseStatusKB(status, key string) int64 {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
