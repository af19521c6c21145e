package study

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"midas/internal/eval"
	"midas/internal/model"
	"midas/internal/train"
)

// TestExecuteAddsProtocol: a protocol added to a finished study is evaluated at every snapshot from
// the kept snapshot checkpoints, without training again, and the earlier records are reused as they
// are.
func TestExecuteAddsProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny runs")
	}
	dir := t.TempDir()
	text := filepath.Join(dir, "text.txt")
	var b strings.Builder
	for i := 0; b.Len() < 60000; i++ {
		b.WriteString("the quick brown fox jumps over the lazy dog and counts to ")
		b.WriteString(strings.Repeat("ten ", i%5+1) + "\n\n")
	}
	if err := os.WriteFile(text, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := model.Presets["tiny"]
	o := train.DefaultOptions(cfg)
	o.Data, o.TokenizerBytes = []string{text}, 1<<15
	o.Steps, o.Warmup, o.EvalEvery, o.EvalTasks, o.SaveEvery, o.Threads = 6, 1, 3, 0, 3, 1
	s := Spec{Name: "t", Arms: []string{eval.Baseline}, Seeds: 1, Base: o, Snapshots: []int{3, 6}, N: 2, EvalSeed: 7,
		Protocols: []Protocol{{Name: "0-shot"}}}
	work, out := filepath.Join(dir, "work"), filepath.Join(dir, "out")
	first, err := Execute(s, work, out, Events{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(work, "runs", "baseline-seed1", "snapshots", "step3", train.FileModel)); err != nil {
		t.Fatalf("no snapshot kept at step 3: %v", err)
	}
	trained := false
	s.Protocols = append(s.Protocols, Protocol{Name: "1-shot", Shots: 1})
	recs, err := Execute(s, work, out, Events{Train: func(cfg train.RunConfig) (train.Summary, error) {
		trained = true
		return TrainQuiet(cfg)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if trained {
		t.Error("adding a protocol trained a run again")
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (2 snapshots × 2 protocols)", len(recs))
	}
	for i, r := range recs {
		want := s.Snapshots[i/2]
		if r.Step != want || r.Protocol != s.Protocols[i%2].Name {
			t.Errorf("record %d: step %d %s, want step %d %s", i, r.Step, r.Protocol, want, s.Protocols[i%2].Name)
		}
		if i%2 == 0 && r.ValLoss != first[i/2].ValLoss {
			t.Errorf("record %d: validation loss %v, the first run's %v", i, r.ValLoss, first[i/2].ValLoss)
		}
	}
	if recs[0].ValLoss == recs[2].ValLoss || recs[1].ValLoss != recs[0].ValLoss {
		t.Errorf("validation losses %v, %v, %v: the step-3 snapshot must be evaluated, not the step-6 checkpoint",
			recs[0].ValLoss, recs[1].ValLoss, recs[2].ValLoss)
	}
}
