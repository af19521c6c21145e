package cli

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
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/stats"
	"midas/internal/train"
)

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--layers N --dim N --heads N --ffn N --vocab N --seq N --batch N] [--vs-torch | --gemm]", stderr)
	def := model.Config{VocabSize: 512, Dim: 256, NumLayers: 4, NumHeads: 4, FFNDim: 683, SeqLen: 256, RopeTheta: 10000, NormEps: 1e-5}
	mf := addModelFlags(fs, def, 8)
	steps := fs.Int("steps", 20, "timed steps")
	warm := fs.Int("warmup", 3, "untimed steps first")
	threads := fs.Int("threads", 2, "worker threads")
	vsTorch := fs.Bool("vs-torch", false, "also run the PyTorch reference (llama_ref.py bench) and print the ratio")
	ref := fs.String("ref", "../shared/ref/llama_ref.py", "path of llama_ref.py (for --vs-torch)")
	python := fs.String("python", "/usr/bin/python3", "python with torch (for --vs-torch)")
	rounds := fs.Int("rounds", 1, "with --vs-torch or --gemm: alternate the contenders this many times and report medians")
	cpuProfile := fs.String("cpuprofile", "", "write a pprof CPU profile of the midas steps to this file")
	matmul := fs.String("matmul", "float32", "matrix-multiply precision of the midas side: float32 or bf16 (AMX)")
	gemm := fs.Bool("gemm", false, "time the GEMM shapes of one training step (and 1024³) per backend at 1 and --threads threads instead")
	backends := fs.String("backends", "", "with --gemm: comma-separated GEMM backends (default: the fastest native one, and openblas if built in)")
	square := fs.Int("square", 1024, "with --gemm: also time an N×N×N product (0: skip)")
	plotPrefix := fs.String("plot", "", "with --gemm: also draw GFLOP/s per shape and backend as PREFIX-t<threads>.png")
	minTime := fs.Duration("mintime", 100*time.Millisecond, "with --gemm: time each backend for at least this long per round and shape (calls alternate between backends)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, batch := def, 8
	mf.apply(setFlags(fs), &cfg, &batch)
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *steps < 1 || *warm < 0 || *threads < 1 || *rounds < 1 || batch < 1 {
		return fmt.Errorf("--steps, --threads, --rounds and --batch must be positive and --warmup not negative")
	}
	if err := setMatmul(*matmul); err != nil {
		return err
	}
	if *gemm {
		if *square < 0 {
			return fmt.Errorf("--square must not be negative")
		}
		if *vsTorch {
			return fmt.Errorf("--gemm and --vs-torch are separate benchmarks; give one")
		}
		var bes []string
		if *backends != "" {
			bes = strings.Split(*backends, ",")
		}
		ths := []int{1}
		if *threads > 1 {
			ths = append(ths, *threads)
		}
		return runBenchGemm(cfg, batch, bes, ths, *rounds, *square, *minTime, *plotPrefix, stdout, stderr)
	}
	flags := fmt.Sprintf("--layers %d --dim %d --heads %d --ffn %d --vocab %d --seq %d --batch %d --steps %d --warmup %d --threads %d",
		cfg.NumLayers, cfg.Dim, cfg.NumHeads, cfg.FFNDim, cfg.VocabSize, cfg.SeqLen, batch, *steps, *warm, *threads)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var ours, theirs []float64
	for r := 0; r < *rounds; r++ {
		if *vsTorch {
			tps, err := torchBench(*python, *ref, flags, stderr)
			if err != nil {
				return err
			}
			theirs = append(theirs, tps)
		}
		tps, err := benchOnce(cfg, batch, *steps, *warm, *threads, stdout)
		if err != nil {
			return err
		}
		ours = append(ours, tps)
	}
	if *vsTorch {
		mo, mt := stats.Median(ours), stats.Median(theirs)
		fmt.Fprintf(stdout, "torch_tokens_per_s %.0f\nmidas_tokens_per_s %.0f\nratio %.2f  (midas / torch, medians of %d round(s); flags: %s)\n",
			mt, mo, mo/mt, *rounds, flags)
	}
	return nil
}

// benchOnce trains cfg on random tokens with AdamW (lr 3e-4, weight decay 0.1, no clipping: the
// reference's bench) and prints the median step time and tokens/s, then the round's peak resident
// memory next to an estimate of what training needs.
func benchOnce(cfg model.Config, batch, steps, warm, threads int, stdout io.Writer) (float64, error) {
	// Start from a clean heap (the previous round's model is garbage) and restart the peak-RSS mark,
	// so that peak_rss_mb is this round's, not the largest of all rounds so far.
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	kern.SetThreads(threads)
	m, err := model.New(cfg)
	if err != nil {
		return 0, err
	}
	m.InitWeights(0)
	r := model.NewRNG(0)
	tokens := make([]int32, (steps+warm+1)*batch*cfg.SeqLen+1)
	for i := range tokens {
		tokens[i] = int32(r.Next() % uint64(cfg.VocabSize))
	}
	loader, err := data.NewLoader(tokens, cfg.SeqLen, batch, 0)
	if err != nil {
		return 0, err
	}
	opt := train.DefaultOptions(cfg)
	opt.Batch, opt.Steps, opt.LR, opt.Warmup, opt.LRKind, opt.Clip, opt.Threads = batch, steps+warm, 3e-4, 0, "constant", 0, threads
	tr := train.New(opt, m, loader, nil)
	var times []float64
	for s := 0; s < warm+steps; s++ {
		t0 := time.Now()
		if _, err := tr.TrainStep(); err != nil {
			return 0, err
		}
		if s >= warm {
			times = append(times, time.Since(t0).Seconds())
		}
	}
	med := stats.Median(times)
	tps := float64(batch*cfg.SeqLen) / med
	fmt.Fprintf(stdout, "midas %s threads %d params %d\n", kern.Backend(), threads, len(m.Params))
	fmt.Fprintf(stdout, "step_ms %.1f\n", med*1e3)
	fmt.Fprintf(stdout, "tokens_per_s %.0f\n", tps)
	// The estimate: parameters, gradients and both AdamW moments (4 floats per parameter), the
	// activations of one micro-batch, and this benchmark's own random tokens (int32).
	const mb = 1 << 20
	state := 4 * 4 * int64(len(m.Params))
	acts := m.ActivationBytes(batch, cfg.SeqLen)
	toks := 4 * int64(len(tokens))
	est := state + acts + toks
	fmt.Fprintf(stdout, "estimate_mb %.0f  (params+grads+AdamW %.1f, activations %.1f, bench tokens %.2f)\n",
		float64(est)/mb, float64(state)/mb, float64(acts)/mb, float64(toks)/mb)
	if peak := peakRSS(); peak > 0 {
		fmt.Fprintf(stdout, "peak_rss_mb %.0f\n", float64(peak)/mb)
		fmt.Fprintf(stdout, "peak_over_estimate %.2f\n", float64(peak)/float64(est))
	}
	runtime.KeepAlive(tr) // the model, moments and tokens count until the peak is read
	return tps, nil
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

// torchBench runs `python ref bench flags` and returns its tokens_per_s, echoing its output.
func torchBench(python, ref, flags string, stderr io.Writer) (float64, error) {
	if _, err := os.Stat(ref); err != nil {
		return 0, fmt.Errorf("--vs-torch: reference %s not found (set --ref)", ref)
	}
	cmd := exec.Command(python, append([]string{ref, "bench"}, strings.Fields(flags)...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("--vs-torch: %s %s bench failed: %v (is python3-torch installed?)", python, ref, err)
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		fmt.Fprintln(stderr, sc.Text())
		if v, ok := strings.CutPrefix(sc.Text(), "tokens_per_s "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("--vs-torch: no tokens_per_s line in the reference's output")
}

// peakRSS is the process's peak resident set (VmHWM) in bytes, or 0 where /proc is unavailable.
func peakRSS() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
