package grow

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzStages: Stages either fails with a grow: error or returns k strictly increasing ends, the last T.
func FuzzStages(f *testing.F) {
	for _, s := range []string{"equal", "prop-1", "prop-2", "prop-0.5", "prop--3", "prop-1e300", "explicit:1,5", "explicit:", "prop-x"} {
		f.Add(s, 100, 3)
	}
	f.Add("explicit:3,2", 10, 3)
	f.Add("prop-1", 1000, 6)
	f.Fuzz(func(t *testing.T, spec string, T, k int) {
		if k > 1000 { // bound the allocation, not the logic
			k %= 1000
		}
		ends, err := Stages(spec, T, k)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "grow: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if len(ends) != k || ends[k-1] != T {
			t.Fatalf("Stages(%q, %d, %d) = %v", spec, T, k, ends)
		}
		prev := 0
		for _, e := range ends {
			if e <= prev {
				t.Fatalf("Stages(%q, %d, %d) = %v: not strictly increasing from 0", spec, T, k, ends)
			}
			prev = e
		}
		if s := LayerSpeedup(ends); !(s >= 1) || s > float64(k) {
			t.Fatalf("LayerSpeedup(%v) = %v, want in [1, k]", ends, s)
		}
	})
}

// FuzzParseSrc: ParseSrc either fails with a grow: error or returns non-negative layers that print back
// to an equivalent list.
func FuzzParseSrc(f *testing.F) {
	for _, s := range []string{"0-23,8-31", "0, 1, 1, 2", "3-1", "", "-", "1-", "0-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSrc(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "grow: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if len(src) == 0 || len(src) > maxSrc {
			t.Fatalf("ParseSrc(%q) returned %d layers", s, len(src))
		}
		parts := make([]string, len(src))
		for i, l := range src {
			if l < 0 {
				t.Fatalf("ParseSrc(%q) has negative layer %d", s, l)
			}
			parts[i] = strings.Repeat(" ", i%2) + strconv.Itoa(l) // spaces are allowed
		}
		again, err := ParseSrc(strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, src) {
			t.Fatalf("round trip of %v: %v, %v", src, again, err)
		}
	})
}

// FuzzPlanJSON: any JSON plan that validates can be applied to a model of its depth, and the result has
// p.To() layers; Validate never panics.
func FuzzPlanJSON(f *testing.F) {
	for _, mk := range []func() (Plan, error){
		func() (Plan, error) { return MIDAS(4, 2) },
		func() (Plan, error) { return GradStack(3, 1) },
		func() (Plan, error) { return Double(2, 1) },
		func() (Plan, error) { return Map(3, []int{0, 2, 2, 1}) },
	} {
		p, _ := mk()
		b, _ := json.Marshal(p)
		f.Add(b)
	}
	f.Add([]byte(`{"op":"map","block":1,"from":2,"src":[5],"copy":[false]}`))
	f.Add([]byte(`{"op":"midas","block":1,"from":2,"src":[0,0],"copy":[false]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Plan
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if p.From > 16 || len(p.Src) > 64 { // keep each input cheap
			return
		}
		if err := p.Validate(); err != nil {
			if !strings.HasPrefix(err.Error(), "grow: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		cfg := microCfg(p.From, false)
		params := filled(cfgSize(cfg), 1)
		newCfg, np, _, _, err := Apply(p, cfg, params, nil, nil)
		if err != nil {
			t.Fatalf("valid plan %s: %v", p, err)
		}
		if newCfg.NumLayers != p.To() || len(np) != cfgSize(newCfg) {
			t.Fatalf("plan %s: %d layers, %d floats", p, newCfg.NumLayers, len(np))
		}
	})
}
