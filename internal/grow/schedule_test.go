package grow

import (
	"slices"
	"strings"
	"testing"
)

// TestScheduleStages: the number of stages and the depth of each, for every operator (SPEC §2: one
// block per stage for midas and gradstack, doubling for double) and without growth.
func TestScheduleStages(t *testing.T) {
	for _, c := range []struct {
		op            string
		layers, block int
		depths        []int
	}{
		{OpMIDAS, 6, 1, []int{1, 2, 3, 4, 5, 6}},
		{OpGradStack, 6, 2, []int{2, 4, 6}},
		{OpMIDAS, 4, 4, []int{4}},
		{OpDouble, 8, 1, []int{1, 2, 4, 8}},
		{OpDouble, 12, 3, []int{3, 6, 12}},
		{OpDouble, 2, 2, []int{2}},
		{OpNone, 5, 1, []int{5}},
		{"", 5, 2, []int{5}},
	} {
		s := Schedule{Op: c.op, Layers: c.layers, Block: c.block, Split: "equal", Steps: 100}
		if err := s.Validate(); err != nil {
			t.Fatalf("%s L=%d b=%d: %v", c.op, c.layers, c.block, err)
		}
		var got []int
		for st := 1; st <= s.NumStages(); st++ {
			got = append(got, s.StageLayers(st))
		}
		if !slices.Equal(got, c.depths) {
			t.Errorf("%s L=%d b=%d: depths %v, want %v", c.op, c.layers, c.block, got, c.depths)
		}
		if s.Growing() != (c.op != OpNone && c.op != "") {
			t.Errorf("%q: Growing %v", c.op, s.Growing())
		}
		// Growing stage by stage with s.Grow reaches exactly the next stage's depth.
		for st := 2; st <= s.NumStages(); st++ {
			p, err := s.Grow(s.StageLayers(st - 1))
			if err != nil || p.To() != s.StageLayers(st) || p.Op != c.op {
				t.Errorf("%s stage %d: Grow = %v, %v; want %d layers", c.op, st, p, err, s.StageLayers(st))
			}
		}
	}
}

// TestStageAt checks the stage bookkeeping against prop-1 with k=4, T=20: ends 2, 6, 12, 20.
func TestStageAt(t *testing.T) {
	s := Schedule{Op: OpMIDAS, Layers: 4, Block: 1, Split: "prop-1", Steps: 20}
	ends, err := s.Ends()
	if err != nil || !slices.Equal(ends, []int{2, 6, 12, 20}) {
		t.Fatalf("ends %v, %v", ends, err)
	}
	for _, c := range []struct{ step, stage int }{{0, 1}, {1, 1}, {2, 2}, {5, 2}, {6, 3}, {11, 3}, {12, 4}, {19, 4}, {20, 4}} {
		if got := StageAt(ends, c.step); got != c.stage {
			t.Errorf("StageAt(%d) = %d, want %d", c.step, got, c.stage)
		}
	}
	if ends, err := (Schedule{Op: OpNone, Layers: 4, Steps: 20}).Ends(); err != nil || !slices.Equal(ends, []int{20}) || StageAt(ends, 20) != 1 {
		t.Errorf("no growth: ends %v, %v", ends, err)
	}
}

// TestScheduleValidate: every problem is reported in one grow: error, in the words the training
// options use; without growth nothing is checked.
func TestScheduleValidate(t *testing.T) {
	for _, c := range []struct {
		s    Schedule
		want []string // substrings; nil: valid
	}{
		{Schedule{Op: "wide", Layers: 4, Block: 1}, []string{`growth "wide" is not one of none, midas, gradstack, double`}},
		{Schedule{Op: OpMap, Layers: 4, Block: 1}, []string{`growth "map" is not one of`}},
		{Schedule{Op: OpMIDAS, Layers: 5, Block: 2, Optim: "keep"}, []string{"5 layers are not divisible into blocks of 2", `grow-optim "keep" is not copy or zero`}},
		{Schedule{Op: OpMIDAS, Layers: 4, Block: 0}, []string{"block must be at least 1 layer, got 0"}},
		{Schedule{Op: OpDouble, Layers: 6, Block: 1}, []string{"double growth needs layers/block to be a power of two, got 6/1"}},
		{Schedule{Op: OpMIDAS, Layers: 4, Block: 1, Split: "prop-x", Steps: 10}, []string{`bad exponent in stage spec "prop-x"`}},
		{Schedule{Op: OpMIDAS, Layers: 4, Block: 1, Split: "prop-x"}, nil}, // the split is checked only with steps
		{Schedule{Op: OpGradStack, Layers: 4, Block: 2, Split: "explicit:5", Steps: 10, Optim: OptimZero}, nil},
		{Schedule{Op: OpNone, Layers: 4, Block: 3, Split: "prop-x", Steps: 10, Optim: "keep"}, nil},
	} {
		err := c.s.Validate()
		if c.want == nil {
			if err != nil {
				t.Errorf("%+v: %v", c.s, err)
			}
			continue
		}
		for _, w := range c.want {
			if err == nil || !strings.HasPrefix(err.Error(), "grow: ") || !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v, want it to mention %q", c.s, err, w)
			}
		}
	}
}

// TestScheduleGrow: the plan carries the schedule's identity and optimizer policy.
func TestScheduleGrow(t *testing.T) {
	for _, c := range []struct {
		optim     string
		identity  bool
		zeroOptim bool
	}{{"", false, false}, {OptimCopy, true, false}, {OptimZero, false, true}} {
		p, err := Schedule{Op: OpGradStack, Block: 2, Layers: 8, Identity: c.identity, Optim: c.optim}.Grow(4)
		if err != nil || !slices.Equal(p.Src, []int{0, 1, 2, 3, 2, 3}) || p.Identity != c.identity || p.ZeroOptim != c.zeroOptim || p.Stage != 0 {
			t.Errorf("optim %q identity %v: %+v, %v", c.optim, c.identity, p, err)
		}
	}
	if _, err := (Schedule{Op: OpMIDAS, Block: 3}).Grow(4); err == nil {
		t.Error("Grow(4) with blocks of 3: no error")
	}
}
