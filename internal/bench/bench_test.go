package bench

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"midas/internal/kern"
	"midas/internal/model"
)

// tinyCfg is the config of bench.txtar: small enough that a few steps take milliseconds.
var tinyCfg = model.Config{VocabSize: 64, Dim: 32, NumLayers: 1, NumHeads: 2, FFNDim: 64, SeqLen: 16, RopeTheta: 10000, NormEps: 1e-5}

func TestRefFlags(t *testing.T) {
	o := Options{Model: tinyCfg, Batch: 2, Steps: 3, Warmup: 1, Threads: 4}
	want := "--layers 1 --dim 32 --heads 2 --ffn 64 --vocab 64 --seq 16 --batch 2 --steps 3 --warmup 1 --threads 4"
	if got := o.RefFlags(); got != want {
		t.Errorf("RefFlags = %q, want %q", got, want)
	}
}

func TestTrain(t *testing.T) {
	o := Options{Model: tinyCfg, Batch: 2, Steps: 2, Warmup: 1, Threads: 1}
	r, err := Train(o)
	if err != nil {
		t.Fatal(err)
	}
	if n := model.NewLayout(tinyCfg).Size; r.Params != n {
		t.Errorf("params %d, want the layout's %d", r.Params, n)
	}
	if !(r.StepS > 0) || math.IsInf(r.TokensPerS, 0) || math.Abs(r.TokensPerS*r.StepS-32) > 1e-9 {
		t.Errorf("step %v s, %v tokens/s: want a positive step time and tokens/s = batch·seq (32) / step", r.StepS, r.TokensPerS)
	}
	// The estimate's parts: 4 float32 per parameter; (steps+warmup+1)·batch·seq+1 int32 tokens.
	if r.StateBytes != 16*int64(r.Params) || r.TokenBytes != 4*(4*32+1) || r.ActivationBytes <= 0 {
		t.Errorf("estimate parts %d, %d, %d", r.StateBytes, r.ActivationBytes, r.TokenBytes)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && !(r.BaseBytes > 0 && r.BaseBytes < r.PeakRSS) {
		t.Errorf("process base %d of peak %d with /proc available", r.BaseBytes, r.PeakRSS)
	}
	if r.EstimateBytes() != r.StateBytes+r.ActivationBytes+r.TokenBytes+r.BaseBytes {
		t.Errorf("estimate %d is not the sum of its parts", r.EstimateBytes())
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && r.PeakRSS <= 0 {
		t.Errorf("peak RSS %d with /proc available", r.PeakRSS)
	}
	if r.Backend != kern.Backend() || r.Threads != 1 {
		t.Errorf("backend %q threads %d, want %q and 1", r.Backend, r.Threads, kern.Backend())
	}
}

// TestTrainObjective: the benchmark trains UL2 batches too (special tokens at the top of the vocabulary)
// and refuses an unknown objective or a vocabulary without room for the special tokens.
func TestTrainObjective(t *testing.T) {
	o := Options{Model: tinyCfg, Batch: 2, Steps: 2, Warmup: 1, Threads: 1, Objective: "ul2"}
	if r, err := Train(o); err != nil || !(r.StepS > 0) || r.Objective != "ul2" {
		t.Fatalf("ul2: %+v, %v", r, err)
	}
	o.Objective = "bert"
	if _, err := Train(o); err == nil || !strings.Contains(err.Error(), `bench: objective must be causal or ul2, got "bert"`) {
		t.Errorf("unknown objective: %v", err)
	}
	o.Objective, o.Model.VocabSize = "ul2", 6
	if _, err := Train(o); err == nil || !strings.Contains(err.Error(), "bench: vocab 6 is too small for ul2's") {
		t.Errorf("small vocab: %v", err)
	}
}

func TestParseStatusKB(t *testing.T) {
	for _, c := range []struct {
		status string
		want   int64
	}{
		{"Name:\tmidas\nVmPeak:\t  9000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n", 1234 << 10},
		{"VmRSS:\t 1000 kB\nVmHWM:\t    77 kB\n", 77 << 10},
		{"VmHWM:\t0 kB\n", 0},
		{"Name:\tmidas\n", 0},
		{"VmHWM:\n", 0},
		{"", 0},
	} {
		if got := parseStatusKB(c.status, "VmHWM:"); got != c.want {
			t.Errorf("parseStatusKB(%q, VmHWM) = %d, want %d", c.status, got, c.want)
		}
	}
}

func TestParseTorch(t *testing.T) {
	var log bytes.Buffer
	tps, err := parseTorch(strings.NewReader("torch 2.1 threads 2\nstep_ms 3.5\ntokens_per_s 1234.5\nafter\n"), &log)
	if err != nil || tps != 1234.5 {
		t.Errorf("tokens/s %v, err %v; want 1234.5", tps, err)
	}
	if want := "torch 2.1 threads 2\nstep_ms 3.5\ntokens_per_s 1234.5\n"; log.String() != want {
		t.Errorf("echoed %q, want %q (the lines up to tokens_per_s)", log.String(), want)
	}
	for _, out := range []string{"step_ms 3\n", "tokens_per_s fast\n", ""} {
		if _, err := parseTorch(strings.NewReader(out), &log); err == nil || !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("output %q: error %v, want one starting with bench:", out, err)
		}
	}
	if _, err := Torch("/usr/bin/python3", filepath.Join(t.TempDir(), "none.py"), Options{Model: tinyCfg}, "", &log); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing reference: error %v, want not found", err)
	}
}

func TestGemm(t *testing.T) {
	prevB, prevT := kern.Backend(), kern.Threads()
	o := GemmOptions{Model: tinyCfg, Batch: 2, Backends: []string{"generic", "generic"}, Threads: []int{1, 2}, Rounds: 2, Square: 8, Plot: filepath.Join(t.TempDir(), "g")}
	g, err := NewGemm(o)
	if err != nil {
		t.Fatal(err)
	}
	shapes := tinyCfg.GemmShapes(2 * tinyCfg.SeqLen)
	if g.Total() != int64(2*(len(shapes)+1)) {
		t.Errorf("Total %d, want rounds × (shapes + square) = %d", g.Total(), 2*(len(shapes)+1))
	}
	var calls []int64
	r, err := g.Run(func(done int64, desc string) { calls = append(calls, done) })
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != int(g.Total()) || calls[len(calls)-1] != g.Total() {
		t.Errorf("progress %v, want 1 … %d", calls, g.Total())
	}
	if kern.Backend() != prevB || kern.Threads() != prevT {
		t.Errorf("backend %s threads %d after Run, want %s %d restored", kern.Backend(), kern.Threads(), prevB, prevT)
	}
	if len(r.Shapes) != len(shapes)+1 || r.Shapes[0].Name != "square" || r.Shapes[0].M != 8 || r.Shapes[1] != shapes[0] {
		t.Fatalf("shapes %v, want the 8³ square, then the step's", r.Shapes)
	}
	var sec float64
	for i, s := range r.Shapes {
		for tt := range r.Threads {
			for b := range r.Backends {
				// At least two timed calls per round, none of them NaN, zero or infinite.
				if n := len(r.Calls[i][tt][b]); n < 4 || !(r.Median(i, tt, b) > 0) || math.IsInf(r.Median(i, tt, b), 0) {
					t.Errorf("%s threads %d backend %d: %d calls, median %v", s.Name, r.Threads[tt], b, n, r.Median(i, tt, b))
				}
			}
		}
		sec += float64(s.PerStep) * Flops(s) / (r.Median(i, 1, 0) * 1e9)
	}
	if r.StepSeconds(1, 0) != sec {
		t.Errorf("StepSeconds %v, want %v", r.StepSeconds(1, 0), sec)
	}
	written, err := PlotGemm(o.Plot, r)
	if err != nil || len(written) != 2 || written[1] != o.Plot+"-t2.png" {
		t.Fatalf("plots %q, err %v; want PREFIX-t1.png, PREFIX-t2.png", written, err)
	}
	for _, p := range written {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestNewGemmErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		o    GemmOptions
		want string
	}{
		{"backend", GemmOptions{Backends: []string{"generic", "nosuch"}}, `bench: --backends: "nosuch" is not available here`},
		{"plot", GemmOptions{Plot: filepath.Join(t.TempDir(), "none", "g")}, "bench: --plot: directory "},
	} {
		c.o.Model, c.o.Batch, c.o.Threads, c.o.Rounds, c.o.MinTime = tinyCfg, 2, []int{1}, 1, time.Millisecond
		if _, err := NewGemm(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// Without backends: the first available one, and openblas when built in (else a note says so).
	g, err := NewGemm(GemmOptions{Model: tinyCfg, Batch: 2, Threads: []int{1}, Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	avail := kern.Backends()
	if g.o.Backends[0] != avail[0] {
		t.Errorf("default backends %v, want %s first", g.o.Backends, avail[0])
	}
	hasNote := len(g.Notes) > 0 && strings.Contains(g.Notes[0], "no OpenBLAS")
	if slices.Contains(avail, "openblas") == hasNote {
		t.Errorf("backends %v, notes %q: want the no-OpenBLAS note exactly when openblas is missing", avail, g.Notes)
	}
}

// fakePython writes a stand-in for python that prints the BLAS probe's JSON: OpenBLAS with the core
// of OPENBLAS_CORETYPE when set and honoured, else core; or another library.
func fakePython(t *testing.T, library, core string, honour bool) string {
	t.Helper()
	script := "#!/bin/sh\ncore=" + core + "\n"
	if honour {
		script += "[ -n \"$OPENBLAS_CORETYPE\" ] && core=$OPENBLAS_CORETYPE\n"
	}
	script += `echo '{"torch": "9.9", "blas_info": "generic", "library": "` + library + `", "version": "OpenBLAS 0.3.21", "core": "'$core'", "path": "/lib/libblas.so.3"}'` + "\n"
	path := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFairReference: a misdetected OpenBLAS core is replaced for the reference's process by the one
// this CPU supports; a core that stays old, and the reference BLAS, give no ratio; MKL is fine.
func TestFairReference(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell script stand-in")
	}
	t.Setenv("OPENBLAS_CORETYPE", "")
	os.Unsetenv("OPENBLAS_CORETYPE")
	want := isaLevel[kern.VectorISA()]
	if want >= 3 {
		b, ct, unfair, err := FairReference(fakePython(t, "OpenBLAS", "Prescott", true))
		if err != nil || ct != coreFor[want] || unfair != "" || b.Core != coreFor[want] {
			t.Errorf("misdetected core: %+v, core type %q, unfair %q, %v", b, ct, unfair, err)
		}
		if !strings.Contains(b.String(), "OPENBLAS_CORETYPE="+coreFor[want]) {
			t.Errorf("description %q does not name the core type set", b.String())
		}
		_, _, unfair, err = FairReference(fakePython(t, "OpenBLAS", "Prescott", false))
		if err != nil || !strings.Contains(unfair, "runs the Prescott core, older than this CPU's") {
			t.Errorf("core that stays old: unfair %q, %v", unfair, err)
		}
		b, ct, unfair, err = FairReference(fakePython(t, "OpenBLAS", coreFor[want], true))
		if err != nil || ct != "" || unfair != "" || !strings.Contains(b.String(), "(detected)") {
			t.Errorf("right core: %+v, core type %q, unfair %q, %v", b, ct, unfair, err)
		}
	}
	if _, _, unfair, err := FairReference(fakePython(t, "reference", "", false)); err != nil || !strings.Contains(unfair, "unoptimized reference BLAS") {
		t.Errorf("reference BLAS: unfair %q, %v", unfair, err)
	}
	if b, _, unfair, err := FairReference(fakePython(t, "MKL", "", false)); err != nil || unfair != "" || b.Library != "MKL" {
		t.Errorf("MKL: %+v, unfair %q, %v", b, unfair, err)
	}
	if _, _, _, err := FairReference(filepath.Join(t.TempDir(), "nopython")); err == nil || !strings.HasPrefix(err.Error(), "bench: --vs-torch:") {
		t.Errorf("missing python: %v", err)
	}
}

// TestProbeTorchBLAS: Debian's torch (where installed) reports its BLAS library.
func TestProbeTorchBLAS(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import torch").Run() != nil {
		t.Skip("no /usr/bin/python3 with torch")
	}
	b, err := ProbeTorchBLAS("/usr/bin/python3", "")
	if err != nil || b.Torch == "" || b.Library == "" {
		t.Fatalf("%+v, %v", b, err)
	}
	t.Logf("reference: %s", b)
}
