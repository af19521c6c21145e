package objective

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// _x is Ignore in the expected targets below.
const _x = Ignore

func TestCausal(t *testing.T) {
	for _, c := range []struct {
		name         string
		windows      []int32
		b, t         int
		inputs, tgts []int32
	}{
		{"one position", []int32{3, 4}, 1, 1, []int32{3}, []int32{4}},
		{"package doc", []int32{5, 6, 7, 8, 9}, 1, 4, []int32{5, 6, 7, 8}, []int32{6, 7, 8, 9}},
		{"two rows", []int32{1, 2, 3, 4, 10, 20, 30, 40}, 2, 3, []int32{1, 2, 3, 10, 20, 30}, []int32{2, 3, 4, 20, 30, 40}},
		{"three rows of one", []int32{0, 1, 2, 3, 4, 5}, 3, 1, []int32{0, 2, 4}, []int32{1, 3, 5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A batch used before for a larger shape, with a stale prefix: Make must overwrite all of it.
			var bt Batch
			bt.Resize(4, 5)
			for i := range bt.Inputs {
				bt.Inputs[i], bt.Targets[i] = 99, 99
			}
			for i := range bt.Prefix {
				bt.Prefix[i] = 7
			}
			win := slices.Clone(c.windows)
			Causal{}.Make(&bt, win, c.b, c.t, 42)
			if bt.B != c.b || bt.T != c.t {
				t.Errorf("B, T = %d, %d, want %d, %d", bt.B, bt.T, c.b, c.t)
			}
			if !slices.Equal(bt.Inputs, c.inputs) {
				t.Errorf("Inputs = %v, want %v", bt.Inputs, c.inputs)
			}
			if !slices.Equal(bt.Targets, c.tgts) {
				t.Errorf("Targets = %v, want %v", bt.Targets, c.tgts)
			}
			if !slices.Equal(bt.Prefix, make([]int, c.b)) {
				t.Errorf("Prefix = %v, want %d zeros", bt.Prefix, c.b)
			}
			if !slices.Equal(win, c.windows) {
				t.Errorf("windows changed to %v", win)
			}
		})
	}
}

// TestLossFrom: the fine-tuning case (loss on the answer only) and its edges. Rows are 7-token
// windows shaped like the package doc's example: EOT=0, prompt tokens 1–4, answer tokens 5 and 6.
func TestLossFrom(t *testing.T) {
	w := []int32{0, 1, 2, 3, 4, 5, 6}
	for _, c := range []struct {
		name  string
		start int
		tgts  []int32
	}{
		{"no mask", 0, []int32{1, 2, 3, 4, 5, 6}},
		{"first token is never predicted", 1, []int32{1, 2, 3, 4, 5, 6}},
		{"skip one prediction", 2, []int32{_x, 2, 3, 4, 5, 6}},
		{"answer at 5 (package doc)", 5, []int32{_x, _x, _x, _x, 5, 6}},
		{"last token only", 6, []int32{_x, _x, _x, _x, _x, 6}},
		{"whole row", 7, []int32{_x, _x, _x, _x, _x, _x}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var bt Batch
			Causal{}.Make(&bt, w, 1, 6, 0)
			bt.LossFrom(0, c.start)
			if !slices.Equal(bt.Targets, c.tgts) {
				t.Errorf("Targets = %v, want %v", bt.Targets, c.tgts)
			}
			if !slices.Equal(bt.Inputs, w[:6]) {
				t.Errorf("Inputs = %v, want %v (the mask must not touch them)", bt.Inputs, w[:6])
			}
		})
	}
	// Only the named row is masked: row 1 is window [5 6 7 8], its predictions of 6 and 7 go.
	var bt Batch
	Causal{}.Make(&bt, []int32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 3, 0)
	bt.LossFrom(1, 3)
	if want := []int32{2, 3, 4, _x, _x, 8}; !slices.Equal(bt.Targets, want) {
		t.Errorf("two rows, LossFrom(1, 3): Targets = %v, want %v", bt.Targets, want)
	}
}

func TestShapePanics(t *testing.T) {
	made := func() *Batch {
		var bt Batch
		Causal{}.Make(&bt, make([]int32, 2*4), 2, 3, 0)
		return &bt
	}
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"windows too short", "len(windows) = 7, want B·(T+1) = 8", func() { Causal{}.Make(&Batch{}, make([]int32, 7), 2, 3, 0) }},
		{"windows too long", "len(windows) = 9, want B·(T+1) = 8", func() { Causal{}.Make(&Batch{}, make([]int32, 9), 2, 3, 0) }},
		{"B zero", "B = 0, T = 3", func() { Causal{}.Make(&Batch{}, nil, 0, 3, 0) }},
		{"T zero", "B = 1, T = 0", func() { Causal{}.Make(&Batch{}, make([]int32, 1), 1, 0, 0) }},
		{"T negative", "B = 1, T = -1", func() { Causal{}.Make(&Batch{}, nil, 1, -1, 0) }},
		{"Resize B negative", "B = -1, T = 2", func() { (&Batch{}).Resize(-1, 2) }},
		{"LossFrom row past B", "row 2 outside [0, 2)", func() { made().LossFrom(2, 1) }},
		{"LossFrom row negative", "row -1 outside [0, 2)", func() { made().LossFrom(-1, 1) }},
		{"LossFrom start past T+1", "start 5 outside [0, T+1 = 4]", func() { made().LossFrom(0, 5) }},
		{"LossFrom start negative", "start -1 outside [0, T+1 = 4]", func() { made().LossFrom(0, -1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := catchPanic(c.f)
			if !strings.HasPrefix(msg, "objective: ") || !strings.Contains(msg, c.want) {
				t.Errorf("panic %q, want prefix \"objective: \" and %q", msg, c.want)
			}
		})
	}
}

// TestMakeAllocs: once a batch has held the largest shape, Make and LossFrom allocate nothing, also
// through the interface (the trainer's path) and for a smaller shape.
func TestMakeAllocs(t *testing.T) {
	const B, T = 4, 33
	win := make([]int32, B*(T+1))
	var bt Batch
	var obj Objective = Causal{}
	obj.Make(&bt, win, B, T, 0)
	n := testing.AllocsPerRun(100, func() {
		obj.Make(&bt, win, B, T, 1)
		obj.Make(&bt, win[:2*(T+1)], 2, T, 2)
		bt.LossFrom(1, 5)
	})
	if n != 0 {
		t.Errorf("Make allocates %v times per call, want 0", n)
	}
}

// catchPanic runs f and returns its panic value as a string ("" if it did not panic).
func catchPanic(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
