package study

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/tasks"
)

// synthetic makes records for run types whose per-example hit rates are known: baseline p, midas
// p+lift, on nSeeds seeds × n examples, at two snapshots with losses lower at the later one.
func synthetic(p, lift float64, nSeeds, n int) (Spec, []Record) {
	s := Spec{Name: "t", Arms: []string{eval.Baseline, grow.OpMIDAS}, Seeds: nSeeds, Snapshots: []int{1, 2}, N: n,
		Protocols: []Protocol{{Name: "k"}}}
	s.Base.Steps = 2
	var recs []Record
	for ai, arm := range s.Arms {
		rate := p + float64(ai)*lift
		for seed := 0; seed < nSeeds; seed++ {
			for _, step := range s.Snapshots {
				r := Record{Run: arm, Seed: uint64(seed + 1), Step: step, Protocol: "k", ValLoss: 5 - float64(step) - 0.1*float64(ai)}
				for ti, spec := range tasks.Suite() {
					var b strings.Builder
					for i := 0; i < n; i++ {
						// A deterministic pattern with the wanted rate per seed and task.
						u := math.Mod(float64(i*7919+seed*104729+ti*1301)*0.6180339887, 1)
						b.WriteByte("01"[boolInt(u < rate)])
					}
					r.Tasks = append(r.Tasks, TaskHits{Task: spec.Name(), Hits: b.String()})
				}
				recs = append(recs, r)
			}
		}
	}
	return s, recs
}

// TestResultsRederive: results.json's per-record accuracy, the table's mean over seeds and its
// interval are recomputed here from the per-example records alone.
func TestResultsRederive(t *testing.T) {
	s, recs := synthetic(0.4, 0.2, 3, 200)
	a := Analyze(s, recs)
	dir := t.TempDir()
	if err := a.Write(dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Records []map[string]any `json:"records"`
		Summary []Cell           `json:"summary"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"run", "seed", "task", "protocol", "accuracy", "n"} {
		if _, ok := res.Records[0][k]; !ok {
			t.Fatalf("records lack %q", k)
		}
	}
	// Recompute the baseline's copy accuracy at the last step from the raw hits.
	var h Hits
	var c, n int
	for _, r := range recs {
		if r.Run == eval.Baseline && r.Step == 2 {
			hits := decodeHits(r.Tasks[0].Hits)
			h = append(h, hits)
			for _, v := range hits {
				n++
				if v {
					c++
				}
			}
		}
	}
	want := float64(c) / float64(n)
	got := a.cell("k", tasks.Suite()[0].Name(), eval.Baseline)
	if got.Acc.Est != want || res.Summary[0].Acc.Est != want {
		t.Fatalf("accuracy %v (analysis), %v (results.json), recomputed %v", got.Acc.Est, res.Summary[0].Acc.Est, want)
	}
	if iv := Bootstrap(h, 0); iv != got.Acc {
		t.Fatalf("interval %+v, recomputed %+v", got.Acc, iv)
	}
	// The interval is plausible for 600 Bernoulli(≈0.4) outcomes: half-width ≈ 1.96·√(0.24/600) ≈ 0.04.
	if w := (got.Acc.Hi - got.Acc.Lo) / 2; w < 0.02 || w > 0.08 || got.Acc.Lo > want || got.Acc.Hi < want {
		t.Fatalf("interval %+v around %v", got.Acc, want)
	}
}

// TestVerdictsFollowIntervals: a clear lift is found on every primitive, none is found where there
// is none, and the isoplot gap has the right sign.
func TestVerdictsFollowIntervals(t *testing.T) {
	s, recs := synthetic(0.3, 0.3, 3, 200)
	a := Analyze(s, recs)
	v := strings.Join(a.Verdicts(), "\n")
	if !strings.Contains(v, "midas above baseline on 8/8 primitives (below on 0); the 95% interval excludes 0 on 8 in its favour and 0 against") {
		t.Errorf("lift 0.3 not found:\n%s", v)
	}
	if !strings.Contains(v, "midas reasons better at equal perplexity") {
		t.Errorf("isoplot gap not found:\n%s", v)
	}
	if !strings.Contains(v, "on 8/8 primitives, so the protocol meets the measurability bar") {
		t.Errorf("measurability:\n%s", v)
	}
	s, recs = synthetic(0.3, 0, 3, 200)
	v = strings.Join(Analyze(s, recs).Verdicts(), "\n")
	if !strings.Contains(v, "excludes 0 on 0 in its favour and 0 against") {
		t.Errorf("no lift, yet:\n%s", v)
	}
}

// TestFit: the least-squares line of exact points, and the gap between two parallel lines.
func TestFit(t *testing.T) {
	ps := []Point{{0, 1, 3}, {0, 2, 5}, {1, 3, 7}}
	if l := Fit(ps); math.Abs(l.A-1) > 1e-12 || math.Abs(l.B-2) > 1e-12 {
		t.Fatalf("fit %+v, want A 1 B 2", l)
	}
	qs := []Point{{0, 1, 4}, {0, 2, 6}, {1, 3, 8}}
	if g := Gap(qs, ps, 2, 2, 1); math.Abs(g.Est-1) > 1e-12 {
		t.Fatalf("gap %+v, want 1", g)
	}
}
