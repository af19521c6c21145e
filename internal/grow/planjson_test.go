package grow

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"midas/internal/model"
)

func testPlanJSON(t *testing.T, op string, layers, block int, split string, steps int) PlanJSON {
	t.Helper()
	cfg := model.Presets["tiny"]
	cfg.NumLayers = layers
	pj, err := Schedule{Op: op, Block: block, Layers: layers, Split: split, Steps: steps}.PlanJSON(cfg, 2*cfg.SeqLen)
	if err != nil {
		t.Fatal(err)
	}
	return pj
}

// TestPlanJSONFormat: the document starts with "format": 1, keeps the keys external trainers read, in
// order, and every stage's growth is a history record (stage, step, from, to included); it reads back
// into the same value.
func TestPlanJSONFormat(t *testing.T) {
	for _, c := range []struct {
		op     string
		layers int
		block  int
		split  string
	}{{OpMIDAS, 6, 1, "prop-1"}, {OpGradStack, 4, 2, "equal"}, {OpDouble, 8, 2, "explicit:10,40"}, {OpNone, 3, 1, "prop-1"}} {
		pj := testPlanJSON(t, c.op, c.layers, c.block, c.split, 100)
		b, err := json.Marshal(pj)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte(`{"format":1,"op":"`+c.op+`","block":`)) {
			t.Errorf("%s: starts %.40s", c.op, b)
		}
		last := -1
		for _, key := range []string{"format", "op", "block", "schedule", "steps", "tokens_per_step", "model", "stages", "total_flops", "baseline_flops", "speedup", "layer_speedup"} {
			i := bytes.Index(b, []byte(`"`+key+`":`))
			if i <= last {
				t.Errorf("%s: key %q at %d, after %d", c.op, key, i, last)
			}
			last = i
		}
		if c.op != OpNone && !bytes.Contains(b, []byte(`"grow":{"stage":2,"step":`)) {
			t.Errorf("%s: stage 2 growth is not a history record: %s", c.op, b)
		}
		back, err := ParsePlanJSON(b)
		if err != nil || !reflect.DeepEqual(back, pj) {
			t.Errorf("%s: round trip %v\n%+v\nwant\n%+v", c.op, err, back, pj)
		}
	}
}

// TestPlanJSONDouble: double goes through the same schedule code (1 → 2 → 4 → 8 layers, plans
// "double" from the previous depth) and its layer speedup is Layers·T / Σ layers·steps.
func TestPlanJSONDouble(t *testing.T) {
	pj := testPlanJSON(t, OpDouble, 8, 1, "equal", 100)
	var depths []int
	for _, r := range pj.Rows {
		depths = append(depths, r.Layers)
		if r.Grow != nil && (r.Grow.Op != OpDouble || 2*r.Grow.From != r.Layers) {
			t.Errorf("stage %d: growth %s", r.Stage, r.Grow)
		}
	}
	if !reflect.DeepEqual(depths, []int{1, 2, 4, 8}) {
		t.Errorf("depths %v", depths)
	}
	if want := 8.0 * 100 / (25 * (1 + 2 + 4 + 8)); pj.LayerSpeedup != want {
		t.Errorf("layer speedup %v, want %v", pj.LayerSpeedup, want)
	}
}

// TestParsePlanJSONErrors: what a trainer must not follow is refused with a grow: error.
func TestParsePlanJSONErrors(t *testing.T) {
	good, _ := json.Marshal(testPlanJSON(t, OpMIDAS, 3, 1, "explicit:10,20", 30))
	edit := func(old, new string) string {
		if !strings.Contains(string(good), old) {
			t.Fatalf("%s not in %s", old, good)
		}
		return strings.Replace(string(good), old, new, 1)
	}
	for _, c := range []struct{ in, want string }{
		{edit(`"format":1`, `"format":2`), "format 2, want 1"},
		{strings.Replace(string(good), `"format":1,`, "", 1), "format 0, want 1"},
		{edit(`"op":"midas",`, `"op":"midas","note":1,`), `unknown field "note"`},
		{edit(`"first_step":10`, `"first_step":11`), "stage 2: steps [11, 20)"},
		{edit(`"stage":3,"layers"`, `"stage":4,"layers"`), "stage 3: numbered 4"},
		{edit(`"to":2,`, `"to":3,`), "plan has to 3 but 2 source layers"},
		{edit(`"src":[0,0]`, `"src":[0,1]`), "stage 2: midas plan"},
		{edit(`"stage":2,"step":10`, `"stage":2,"step":9`), "growth at stage 2, step 9"},
		{edit(`"steps":30`, `"steps":31`), "the stages end at step 30 with 3 layers, want 31 and 3"},
		{`{"format":1,"stages":[]}`, "no stages"},
		{`[]`, "grow: plan JSON: cannot unmarshal"},
	} {
		if _, err := ParsePlanJSON([]byte(c.in)); err == nil || !strings.HasPrefix(err.Error(), "grow: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.80s…: %v, want %q", c.in, err, c.want)
		}
	}
}

// FuzzParsePlanJSON: ParsePlanJSON either fails with a grow: error or returns a plan whose stages a
// trainer can follow: every growth applies to the previous stage's depth and gives the next.
func FuzzParsePlanJSON(f *testing.F) {
	for _, op := range []string{OpMIDAS, OpDouble, OpNone} {
		cfg := model.Presets["tiny"]
		cfg.NumLayers = 4
		pj, _ := Schedule{Op: op, Block: 1, Layers: 4, Split: "prop-1", Steps: 40}.PlanJSON(cfg, 64)
		b, _ := json.Marshal(pj)
		f.Add(b)
	}
	f.Add([]byte(`{"format":1,"stages":[{"stage":1,"layers":1,"first_step":0,"end_step":1,"steps":1}],"steps":1,"model":{"layers":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlanJSON(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "grow: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		for i, r := range p.Rows[1:] {
			if r.Grow.From != p.Rows[i].Layers || r.Grow.To() != r.Layers || r.Grow.Validate() != nil {
				t.Fatalf("stage %d: growth %s from %d layers to %d", r.Stage, r.Grow, p.Rows[i].Layers, r.Layers)
			}
		}
	})
}
