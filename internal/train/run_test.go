package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/grow"
	"midas/internal/model"
	"midas/internal/tboard"
	"midas/internal/tok"
)

// runOptions are a tiny growing run on the synthetic corpus: 2 layers, midas, stages of 3 and 5 steps.
func runOptions() Options {
	o := DefaultOptions(model.Presets["tiny"])
	o.Batch, o.Steps, o.Warmup, o.EvalEvery, o.EvalBatches, o.EvalTasks, o.SaveEvery = 2, 8, 1, 4, 2, 0, 0
	o.SyntheticBytes, o.TokenizerBytes, o.Threads = 1<<16, 1<<14, 1
	o.Growth, o.Block, o.Stages = "midas", 1, "explicit:3"
	return o
}

// trainDir opens and trains a run to the end (or StopAt) and returns its summary.
func trainDir(t *testing.T, cfg RunConfig) Summary {
	t.Helper()
	r, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := r.Train()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunLibrary trains a growing run through the library API alone, checks what it wrote, then trains
// the same run in two invocations (stop at step 3, right at the growth, and resume) and requires the
// same weights, moments and metrics bit for bit.
func TestRunLibrary(t *testing.T) {
	dir := t.TempDir()
	var grew []grow.Plan
	whole := filepath.Join(dir, "whole")
	s := trainDir(t, RunConfig{Dir: whole, Options: runOptions(),
		Events: Events{Grow: func(r *Run, ev grow.Plan) { grew = append(grew, ev) }}})
	if s.Stopped || s.Step != 8 || len(s.Stages) != 2 || s.FLOPs >= s.BaselineFLOPs {
		t.Fatalf("summary %+v", s)
	}
	if len(grew) != 1 || grew[0].Step != 3 || grew[0].From != 1 || grew[0].To() != 2 {
		t.Fatalf("growth events %+v", grew)
	}
	for _, f := range []string{FileConfig, FileModel, FileGeneration, FileTokenizer, FileTokenizerConfig, FileSpecialTokens,
		FileOptimizer, FileState, FileMetrics} {
		if _, err := os.Stat(filepath.Join(whole, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	checkClientFiles(t, whole)
	split := filepath.Join(dir, "split")
	if s := trainDir(t, RunConfig{Dir: split, Options: runOptions(), StopAt: 3}); !s.Stopped || s.Step != 3 {
		t.Fatalf("stop-at summary %+v", s)
	}
	trainDir(t, RunConfig{Resume: split})
	a, b := loadRun(t, whole), loadRun(t, split)
	if !slices.Equal(a.Params, b.Params) || !slices.Equal(a.M, b.M) || !slices.Equal(a.V, b.V) {
		t.Fatal("stopped and resumed run differs from the uninterrupted one")
	}
	ma, _ := ReadMetrics(whole)
	mb, _ := ReadMetrics(split)
	if len(ma) != 8 || len(mb) != 8 {
		t.Fatalf("metrics lines %d and %d, want 8", len(ma), len(mb))
	}
	for i := range ma {
		if ma[i].Loss != mb[i].Loss {
			t.Fatalf("step %d: loss %v vs %v", i+1, ma[i].Loss, mb[i].Loss)
		}
	}
}

// checkStopResume trains opt into dir/split stopped at step stop, resumes it to the end, and requires
// the weights and both moments of the uninterrupted run in whole bit for bit.
func checkStopResume(t *testing.T, dir, whole string, opt Options, stop int, what string) {
	t.Helper()
	split := filepath.Join(dir, "split")
	trainDir(t, RunConfig{Dir: split, Options: opt, StopAt: stop})
	trainDir(t, RunConfig{Resume: split})
	a, b := loadRun(t, whole), loadRun(t, split)
	if !slices.Equal(a.Params, b.Params) || !slices.Equal(a.M, b.M) || !slices.Equal(a.V, b.V) {
		t.Fatalf("stopped and resumed %s run differs from the uninterrupted one", what)
	}
}

// checkClientFiles: both safetensors files carry {"format": "pt"}; generation_config.json and
// tokenizer_config.json name EOT as bos, eos and pad, and the model's length.
func checkClientFiles(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{FileModel, FileOptimizer} {
		sf, err := ckpt.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if sf.Metadata()["format"] != "pt" {
			t.Errorf("%s: metadata %v lacks format pt", f, sf.Metadata())
		}
		sf.Close()
	}
	tk, err := tok.Load(filepath.Join(dir, FileTokenizer))
	if err != nil {
		t.Fatal(err)
	}
	eot := float64(tk.EOT())
	var gen, tc map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, FileGeneration))
	json.Unmarshal(raw, &gen)
	if gen["bos_token_id"] != eot || gen["eos_token_id"] != eot || gen["pad_token_id"] != eot {
		t.Errorf("generation_config.json %s: want bos, eos and pad %v", raw, eot)
	}
	raw, _ = os.ReadFile(filepath.Join(dir, FileTokenizerConfig))
	json.Unmarshal(raw, &tc)
	if tc["eos_token"] != tok.EOTText || tc["model_max_length"] != float64(runOptions().Model.SeqLen) {
		t.Errorf("tokenizer_config.json %s", raw)
	}
}

// loadRun reads a run directory's weights and moments.
func loadRun(t *testing.T, dir string) struct{ Params, M, V []float32 } {
	t.Helper()
	m, err := LoadModel(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	M, V := make([]float32, len(m.Params)), make([]float32, len(m.Params))
	p := filepath.Join(dir, FileOptimizer)
	if err := readTensors(p, m.Layout.FirstUseTensors(), "exp_avg.", M); err != nil {
		t.Fatal(err)
	}
	if err := readTensors(p, m.Layout.FirstUseTensors(), "exp_avg_sq.", V); err != nil {
		t.Fatal(err)
	}
	return struct{ Params, M, V []float32 }{m.Params, M, V}
}

// TestRunRefuses: Open refuses directories and resumes that would lose or misreport work.
func TestRunRefuses(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done")
	trainDir(t, RunConfig{Dir: done, Options: runOptions()})
	hf := filepath.Join(dir, "hf")
	other := filepath.Join(dir, "other")
	for _, d := range []string{hf, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(hf, FileConfig), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	for _, c := range []struct {
		name string
		cfg  RunConfig
		want string
	}{
		{"fresh over a run", RunConfig{Dir: done, Options: runOptions()}, "already holds a training run"},
		{"fresh over a checkpoint", RunConfig{Dir: hf, Options: runOptions()}, "holds a model checkpoint (config.json)"},
		{"fresh into a used directory", RunConfig{Dir: other, Options: runOptions()}, "is not empty (it has notes.txt)"},
		{"resume a finished run", RunConfig{Resume: done, Dir: filepath.Join(dir, "next")}, "already trained to step 8 of 8"},
		{"steps below the step done", RunConfig{Resume: done, Cadence: func(o *Options) { o.Steps = 4 }}, "--steps 4 is below the run's 8 steps"},
		{"resume changes the model", RunConfig{Resume: done, Cadence: func(o *Options) { o.Steps, o.LR = 10, 1 }}, "lr cannot change"},
		{"resume a non-run", RunConfig{Resume: other}, "no training state"},
	} {
		_, err := Open(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "next")); err == nil {
		t.Error("a refused resume created its --out directory")
	}
}

// TestMemoryRefused: a run whose activations cannot fit the limit is refused before anything is
// allocated or read, naming the sizes; ParseBytes reads the flag's sizes.
func TestMemoryRefused(t *testing.T) {
	o := runOptions()
	o.Model.SeqLen = 100000
	_, err := Open(RunConfig{Dir: filepath.Join(t.TempDir(), "r"), Options: o, MaxMemory: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), "of activations for batch 2 × seq 100000") || !strings.Contains(err.Error(), "memory limit (--max-memory) is 1.0 GiB") {
		t.Fatalf("got %v", err)
	}
	for in, want := range map[string]int64{"512M": 512 << 20, "20G": 20 << 30, "1.5GiB": 3 << 29, "1000": 1000, "none": -1, "2tb": 2 << 40} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12Q", "-1G", "G", "1e30T"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted", in)
		}
	}
}

// TestTensorBoard: --tensorboard's event files hold every metrics line's scalars, step by step, and
// a resumed run adds its own file.
func TestTensorBoard(t *testing.T) {
	dir := t.TempDir()
	run, tb := filepath.Join(dir, "run"), filepath.Join(dir, "tb")
	trainDir(t, RunConfig{Dir: run, Options: runOptions(), StopAt: 5, TensorBoard: tb})
	trainDir(t, RunConfig{Resume: run, TensorBoard: tb})
	files, err := filepath.Glob(filepath.Join(tb, "events.out.tfevents.*"))
	if err != nil || len(files) != 2 {
		t.Fatalf("event files %v (%v), want one per invocation", files, err)
	}
	slices.Sort(files)
	var events []tboard.Event
	for _, f := range files {
		evs, err := tboard.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 || evs[0].FileVersion != tboard.FileVersion {
			t.Fatalf("%s: no file-version event first", f)
		}
		events = append(events, evs[1:]...)
	}
	ms, err := ReadMetrics(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(ms) {
		t.Fatalf("%d events, %d metrics lines", len(events), len(ms))
	}
	vals := 0
	for i, m := range ms {
		e := events[i]
		if e.Step != int64(m.Step) || !slices.Equal(e.Scalars, Scalars(m)) {
			t.Fatalf("step %d: event %+v, metrics %+v", m.Step, e, m)
		}
		for _, s := range e.Scalars {
			if s.Tag == "val/loss" {
				vals++
				if s.Value != float32(*m.ValLoss) {
					t.Errorf("step %d: val/loss %v, metrics %v", m.Step, s.Value, *m.ValLoss)
				}
			}
		}
	}
	if vals == 0 {
		t.Error("no val/loss scalar")
	}
}
