package grow

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestPlanJSONSchema: the exact bytes of the one growth schema — a run's growth as trainer_state.json
// has always written it (all ten keys), a surgery's as `midas grow` has always appended it to
// growth_history (no stage, step or zero_optim) — and the round trip back to the same Plan.
func TestPlanJSONSchema(t *testing.T) {
	gs, _ := GradStack(4, 2)
	run := with(gs, func(p *Plan) { p.Stage, p.Step, p.Identity = 3, 40, true })
	zero := with(gs, func(p *Plan) { p.Stage, p.Step, p.ZeroOptim = 2, 7, true })
	surgery, _ := Map(3, []int{0, 1, 1, 2})
	surgeryZero := with(surgery, func(p *Plan) { p.ZeroOptim = true })
	cases := []struct {
		name string
		p    Plan
		want string
	}{
		{"run", run, `{"stage":3,"step":40,"op":"gradstack","block":2,"from":4,"to":6,"src":[0,1,2,3,2,3],"copy":[false,false,false,false,true,true],"identity":true,"zero_optim":false}`},
		{"run zero optim", zero, `{"stage":2,"step":7,"op":"gradstack","block":2,"from":4,"to":6,"src":[0,1,2,3,2,3],"copy":[false,false,false,false,true,true],"identity":false,"zero_optim":true}`},
		{"surgery", surgery, `{"op":"map","block":1,"from":3,"to":4,"src":[0,1,1,2],"copy":[false,false,true,false],"identity":false}`},
		{"surgery zero optim", surgeryZero, `{"op":"map","block":1,"from":3,"to":4,"src":[0,1,1,2],"copy":[false,false,true,false],"identity":false,"zero_optim":true}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%s: JSON\n%s\nwant\n%s", c.name, b, c.want)
		}
		var q Plan
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(q, c.p) || q.Validate() != nil {
			t.Errorf("%s: round trip %+v (%v), want %+v", c.name, q, q.Validate(), c.p)
		}
	}
}

// TestPlanJSONOldForms: what earlier versions wrote still reads — a plan without `to` (the old
// grow.Plan JSON, as in `midas plan --json` before format 1) and a growth event of an old
// trainer_state.json — and malformed records fail with a grow: error.
func TestPlanJSONOldForms(t *testing.T) {
	md, _ := MIDAS(2, 1)
	cases := []struct {
		in   string
		want Plan
	}{
		{`{"op":"midas","block":1,"from":2,"src":[0,0,1],"copy":[false,true,false],"identity":false,"zero_optim":true}`,
			with(md, func(p *Plan) { p.ZeroOptim = true })},
		{`{"stage":3,"step":6,"op":"midas","block":1,"from":2,"to":3,"src":[0,0,1],"copy":[false,true,false],"identity":true,"zero_optim":false}`,
			with(md, func(p *Plan) { p.Stage, p.Step, p.Identity = 3, 6, true })},
	}
	for _, c := range cases {
		var p Plan
		if err := json.Unmarshal([]byte(c.in), &p); err != nil || !reflect.DeepEqual(p, c.want) {
			t.Errorf("%s: %+v, %v; want %+v", c.in, p, err, c.want)
		}
	}
	for in, want := range map[string]string{
		`{"op":"midas","block":1,"from":2,"to":4,"src":[0,0,1],"copy":[false,true,false]}`: "grow: plan has to 4 but 3 source layers",
		`{"op":"midas","note":"x"}`: `grow: plan: unknown field "note"`,
		`{"op":3}`:                  "grow: plan: cannot unmarshal",
	} {
		var p Plan
		if err := json.Unmarshal([]byte(in), &p); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

// TestHistory: AppendHistory keeps earlier entries byte for byte (foreign keys included) and other
// config keys untouched, and ReadHistory gives back the appended plans.
func TestHistory(t *testing.T) {
	g1, _ := MIDAS(1, 1)
	g1.Stage, g1.Step = 2, 10
	g2, _ := MIDAS(2, 1)
	g2.Stage, g2.Step, g2.ZeroOptim = 3, 30, true
	run, err := AppendHistory(nil, g1, g2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadHistory(run)
	if err != nil || !reflect.DeepEqual(got, []Plan{g1, g2}) {
		t.Fatalf("ReadHistory = %+v, %v; want %+v", got, err, []Plan{g1, g2})
	}
	surgery, _ := Double(3, 1)
	first := `{"op":"midas","block":1,"from":1,"to":2,"src":[0,0],"copy":[false,true],"identity":false,"note":"by hand"}`
	extra := map[string]json.RawMessage{HistoryKey: json.RawMessage("[" + first + "]"), "rope_scaling": json.RawMessage("null")}
	out, err := AppendHistory(extra, surgery)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(surgery)
	if want := "[" + first + "," + string(b) + "]"; string(out[HistoryKey]) != want {
		t.Errorf("history %s, want %s", out[HistoryKey], want)
	}
	if string(out["rope_scaling"]) != "null" || len(out) != 2 || len(extra[HistoryKey]) != len(first)+2 {
		t.Errorf("other keys or the input changed: %v, input %v", out, extra)
	}
	if _, err := ReadHistory(out); err == nil || !strings.Contains(err.Error(), `growth_history entry 0: plan: unknown field "note"`) {
		t.Errorf("ReadHistory of a foreign entry: %v", err)
	}
	if same, err := AppendHistory(extra); err != nil || string(same[HistoryKey]) != string(extra[HistoryKey]) {
		t.Errorf("appending nothing: %v, %v", same, err)
	}
	if none, err := AppendHistory(nil); none != nil || err != nil {
		t.Errorf("no history, no plans: %v, %v", none, err)
	}
	if h, err := ReadHistory(map[string]json.RawMessage{HistoryKey: json.RawMessage("null")}); h != nil || err != nil {
		t.Errorf("null history: %v, %v", h, err)
	}
	bad := map[string]json.RawMessage{HistoryKey: json.RawMessage("3")}
	if _, err := AppendHistory(bad, surgery); err == nil || !strings.HasPrefix(err.Error(), "grow: growth_history is not a list") {
		t.Errorf("AppendHistory onto 3: %v", err)
	}
	if _, err := ReadHistory(bad); err == nil || !strings.HasPrefix(err.Error(), "grow: growth_history is not a list") {
		t.Errorf("ReadHistory of 3: %v", err)
	}
}
