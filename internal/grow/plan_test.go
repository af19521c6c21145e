package grow

import (
	"slices"
	"strings"
	"testing"
)

// TestMIDASCreationOrder is SPEC §2's worked example: MIDAS applied 5 times starting from 1 block,
// each block labelled with the stage that created it, gives 1,3,5,6,4,2 bottom to top.
func TestMIDASCreationOrder(t *testing.T) {
	want := [][]int{{1}, {1, 2}, {1, 3, 2}, {1, 3, 4, 2}, {1, 3, 5, 4, 2}, {1, 3, 5, 6, 4, 2}} // SPEC §2
	for _, b := range []int{1, 2, 3} {
		labels := slices.Repeat([]int{1}, b) // per layer
		for s := 2; s <= 6; s++ {
			p, err := MIDAS(len(labels), b)
			if err != nil {
				t.Fatal(err)
			}
			next := make([]int, p.To())
			for i, src := range p.Src {
				next[i] = labels[src]
				if p.Copy[i] {
					next[i] = s
				}
			}
			labels = next
			var got []int
			for j := 0; j < len(labels); j += b {
				for l := 1; l < b; l++ {
					if labels[j+l] != labels[j] {
						t.Fatalf("b=%d stage %d: block %d is split: %v", b, s, j/b, labels)
					}
				}
				got = append(got, labels[j])
			}
			if !slices.Equal(got, want[s-1]) {
				t.Errorf("b=%d stage %d: block labels %v, want %v", b, s, got, want[s-1])
			}
		}
	}
}

func TestOperators(t *testing.T) {
	// Expected maps written out by hand from the SPEC §2 table (copies bracketed).
	cases := []struct {
		op            string
		from, block   int
		src           []int
		want          string
		to, numCopies int
	}{
		{"midas", 1, 1, nil, "midas b=1: 0 [0]", 2, 1},
		{"midas", 2, 1, nil, "midas b=1: 0 [0] 1", 3, 1},           // n=2: m=1, just below the centre
		{"midas", 3, 1, nil, "midas b=1: 0 1 [1] 2", 4, 1},         // n=3: m=2, the true middle
		{"midas", 6, 2, nil, "midas b=2: 0 1 2 3 [2 3] 4 5", 8, 2}, // the brief's String example
		{"midas", 8, 2, nil, "midas b=2: 0 1 2 3 [2 3] 4 5 6 7", 10, 2},
		{"midas", 9, 3, nil, "midas b=3: 0 1 2 3 4 5 [3 4 5] 6 7 8", 12, 3},
		{"midas", 4, 4, nil, "midas b=4: 0 1 2 3 [0 1 2 3]", 8, 4},
		{"gradstack", 1, 1, nil, "gradstack b=1: 0 [0]", 2, 1},
		{"gradstack", 3, 1, nil, "gradstack b=1: 0 1 2 [2]", 4, 1},
		{"gradstack", 4, 2, nil, "gradstack b=2: 0 1 2 3 [2 3]", 6, 2},
		{"gradstack", 6, 3, nil, "gradstack b=3: 0 1 2 3 4 5 [3 4 5]", 9, 3},
		{"double", 1, 1, nil, "double b=1: 0 [0]", 2, 1},
		{"double", 3, 1, nil, "double b=1: 0 1 2 [0 1 2]", 6, 3},
		{"double", 4, 2, nil, "double b=2: 0 1 2 3 [0 1 2 3]", 8, 4},
		{"double", 2, 2, nil, "double b=2: 0 1 [0 1]", 4, 2},
		{"map", 8, 0, []int{0, 1, 2, 3, 4, 5, 2, 3, 4, 5, 6, 7}, "map: 0 1 2 3 4 5 [2 3 4 5] 6 7", 12, 4}, // SOLAR-style
		{"map", 4, 7, []int{3, 2, 1, 0}, "map: 3 2 1 0", 4, 0},                                            // block ignored
		{"map", 3, 1, []int{0, 0, 1, 1}, "map: 0 [0] 1 [1]", 4, 2},
		{"map", 4, 1, []int{0, 3}, "map: 0 3", 2, 0}, // dropping layers is allowed
	}
	for _, c := range cases {
		p, err := New(c.op, c.from, c.block, c.src)
		if err != nil {
			t.Errorf("%s from=%d b=%d: %v", c.op, c.from, c.block, err)
			continue
		}
		if got := p.String(); got != c.want {
			t.Errorf("%s from=%d b=%d: %q, want %q", c.op, c.from, c.block, got, c.want)
		}
		if p.To() != c.to || p.From != c.from || p.Op != c.op {
			t.Errorf("%s from=%d b=%d: To %d From %d Op %q, want %d %d %q", c.op, c.from, c.block, p.To(), p.From, p.Op, c.to, c.from, c.op)
		}
		checkPlanInvariants(t, p, c.numCopies)
	}
}

// checkPlanInvariants: every source in range, each used source has exactly one original and it comes
// first, and the originals (copies removed) keep their relative order for the stacking operators.
func checkPlanInvariants(t *testing.T, p Plan, numCopies int) {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Errorf("%s: Validate: %v", p, err)
	}
	if len(p.Copy) != len(p.Src) {
		t.Fatalf("%s: len(Copy) %d != len(Src) %d", p, len(p.Copy), len(p.Src))
	}
	seen := map[int]bool{}
	var originals []int
	copies := 0
	for i, s := range p.Src {
		if s < 0 || s >= p.From {
			t.Errorf("%s: Src[%d] = %d out of range", p, i, s)
		}
		if p.Copy[i] != seen[s] {
			t.Errorf("%s: layer %d (source %d) copy=%v, want %v", p, i, s, p.Copy[i], seen[s])
		}
		seen[s] = true
		if p.Copy[i] {
			copies++
		} else {
			originals = append(originals, s)
		}
	}
	if copies != numCopies {
		t.Errorf("%s: %d copies, want %d", p, copies, numCopies)
	}
	if p.Op != OpMap {
		want := make([]int, p.From)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(originals, want) {
			t.Errorf("%s: originals %v, want 0..%d in order", p, originals, p.From-1)
		}
	}
}

// TestOperatorsSweep checks the invariants over every (op, blocks, block) up to 8 blocks of 4 layers.
func TestOperatorsSweep(t *testing.T) {
	for _, op := range []string{OpMIDAS, OpGradStack, OpDouble} {
		for n := 1; n <= 8; n++ {
			for b := 1; b <= 4; b++ {
				p, err := New(op, n*b, b, nil)
				if err != nil {
					t.Fatal(err)
				}
				copies, to := b, (n+1)*b
				if op == OpDouble {
					copies, to = n*b, 2*n*b
				}
				if p.To() != to {
					t.Errorf("%s: To %d, want %d", p, p.To(), to)
				}
				checkPlanInvariants(t, p, copies)
				if op == OpMIDAS { // the copied block sits right above block m = ⌈n/2⌉
					m := (n + 1) / 2
					for l := 0; l < b; l++ {
						if i := m*b + l; !p.Copy[i] || p.Src[i] != (m-1)*b+l {
							t.Errorf("%s: layer %d is %d (copy %v), want copy of %d", p, i, p.Src[i], p.Copy[i], (m-1)*b+l)
						}
					}
				}
			}
		}
	}
}

func TestPlanErrors(t *testing.T) {
	cases := []struct {
		op          string
		layers, blk int
		src         []int
		want        string
	}{
		{"midas", 10, 4, nil, "grow: 10 layers are not divisible into blocks of 4"},
		{"gradstack", 10, 4, nil, "grow: 10 layers are not divisible into blocks of 4"},
		{"double", 10, 4, nil, "grow: 10 layers are not divisible into blocks of 4"},
		{"midas", 4, 0, nil, "grow: block must be at least 1 layer, got 0"},
		{"double", 4, -2, nil, "grow: block must be at least 1 layer, got -2"},
		{"midas", 0, 1, nil, "grow: layers must be at least 1, got 0"},
		{"gradstack", -1, 1, nil, "grow: layers must be at least 1, got -1"},
		{"map", 8, 1, nil, "grow: map is empty"},
		{"map", 8, 1, []int{0, 1, 2, 3, 4, 5, 6, 9}, "grow: map entry 7 is layer 9, the model has 8 layers"},
		{"map", 8, 1, []int{-1}, "grow: map entry 0 is layer -1, the model has 8 layers"},
		{"map", 0, 1, []int{0}, "grow: layers must be at least 1, got 0"},
		{"midas", 4, 1, []int{0}, `grow: op "midas" takes no layer map (only "map" does)`},
		{"solar", 4, 1, nil, `grow: unknown op "solar" (known: double, gradstack, map, midas)`},
	}
	for _, c := range cases {
		_, err := New(c.op, c.layers, c.blk, c.src)
		if err == nil || err.Error() != c.want {
			t.Errorf("New(%q, %d, %d, %v) = %v, want %q", c.op, c.layers, c.blk, c.src, err, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	good, _ := MIDAS(6, 2)
	mp, _ := Map(4, []int{0, 1, 1, 2, 3})
	tamper := []struct {
		name string
		p    Plan
		want string // substring of the error
	}{
		{"src changed", with(good, func(p *Plan) { p.Src[4] = 0 }), "has sources"},
		{"copy flipped", with(good, func(p *Plan) { p.Copy[0] = true }), "copy flags"},
		{"lengths differ", with(good, func(p *Plan) { p.Copy = p.Copy[:3] }), "copy flags"},
		{"block changed", with(good, func(p *Plan) { p.Block = 4 }), "not divisible"},
		{"from changed", with(good, func(p *Plan) { p.From = 8 }), "has sources"},
		{"unknown op", with(good, func(p *Plan) { p.Op = "stack" }), "unknown op"},
		{"map copy flag", with(mp, func(p *Plan) { p.Copy[2] = false }), "copy flags"},
		{"map block", with(mp, func(p *Plan) { p.Block = 2 }), "want 1"},
		{"map range", with(mp, func(p *Plan) { p.Src[0] = 4 }), "map entry 0 is layer 4"},
		{"empty", Plan{Op: OpMap, Block: 1, From: 2}, "map is empty"},
	}
	for _, c := range tamper {
		err := c.p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "grow: ") {
			t.Errorf("%s: Validate = %v, want an error containing %q", c.name, err, c.want)
		}
	}
	for _, p := range []Plan{good, mp, with(good, func(p *Plan) { p.Identity, p.ZeroOptim = true, true })} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// with returns a deep copy of p modified by f.
func with(p Plan, f func(*Plan)) Plan {
	p.Src, p.Copy = slices.Clone(p.Src), slices.Clone(p.Copy)
	f(&p)
	return p
}

func TestString(t *testing.T) {
	p, _ := Double(2, 1)
	p.Identity, p.ZeroOptim = true, true
	if got, want := p.String(), "double b=1 identity zero-optim: 0 1 [0 1]"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	// A malformed plan still prints (no panic) so it can appear in error messages.
	if got, want := (Plan{Op: "x", Src: []int{0, 1}, Copy: []bool{true}}).String(), "x b=0: [0] 1"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestParseSrc(t *testing.T) {
	cases := []struct {
		in   string
		want []int
		err  string
	}{
		{"0-3,2-5", []int{0, 1, 2, 3, 2, 3, 4, 5}, ""},
		{"0, 1, 1, 2", []int{0, 1, 1, 2}, ""},
		{"7", []int{7}, ""},
		{" 2 - 2 ", []int{2}, ""},
		{"", nil, "empty entry"},
		{"0,,1", nil, "empty entry"},
		{"3-1", nil, "bad layer range"},
		{"a", nil, "bad layer"},
		{"-1", nil, "bad layer"},
		{"0-x", nil, "bad layer range"},
		{"0-99999999", nil, "more than"},
	}
	for _, c := range cases {
		got, err := ParseSrc(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "grow: ") {
				t.Errorf("ParseSrc(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseSrc(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
