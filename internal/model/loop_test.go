package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestLoopGradFD: the gradients of looped models — a block looped twice, and middle looping with
// untied layers on both sides — against central differences (as TestModelGradFD; the shared block's
// gradient is the sum over its uses, which a finite difference of its one parameter measures).
func TestLoopGradFD(t *testing.T) {
	for _, c := range []struct {
		loop Loop
		tied bool
	}{
		{Loop{K: 1, R: 2}, false},
		{Loop{K: 2, R: 2}, true},
		{Loop{K: 1, R: 3, P: 1, Q: 1}, false},
	} {
		cfg := tinyFD
		cfg.NumLayers, cfg.TiedEmbeddings = c.loop.Depth(), c.tied
		m, err := NewLoop(cfg, c.loop)
		if err != nil {
			t.Fatal(err)
		}
		checkGradFD(t, m, "loop "+c.loop.String(), nil)
	}
}

// TestLoopMap: the layer map and the first uses of a few loops, written out by hand.
func TestLoopMap(t *testing.T) {
	for _, c := range []struct {
		loop      Loop
		m, first  []int
		depth, ph int
	}{
		{Loop{K: 2, R: 3}, []int{0, 1, 0, 1, 0, 1}, []int{0, 1}, 6, 2},
		{Loop{K: 2, R: 3, P: 1, Q: 1}, []int{0, 1, 2, 1, 2, 1, 2, 3}, []int{0, 1, 2, 7}, 8, 4},
		{Loop{K: 1, R: 2, P: 0, Q: 2}, []int{0, 0, 1, 2}, []int{0, 2, 3}, 4, 3},
		{Loop{K: 3, R: 1, P: 1}, []int{0, 1, 2, 3}, []int{0, 1, 2, 3}, 4, 4},
	} {
		if got := c.loop.Map(); !slices.Equal(got, c.m) {
			t.Errorf("%v: map %v, want %v", c.loop, got, c.m)
		}
		if got := c.loop.FirstUse(); !slices.Equal(got, c.first) {
			t.Errorf("%v: first uses %v, want %v", c.loop, got, c.first)
		}
		if c.loop.Depth() != c.depth || c.loop.Physical() != c.ph {
			t.Errorf("%v: depth %d physical %d, want %d %d", c.loop, c.loop.Depth(), c.loop.Physical(), c.depth, c.ph)
		}
		if err := c.loop.Validate(c.depth); err != nil {
			t.Errorf("%v: %v", c.loop, err)
		}
	}
}

// TestLoopProblems: each bad loop is named in one line.
func TestLoopProblems(t *testing.T) {
	for _, c := range []struct {
		loop  Loop
		depth int
		want  string
	}{
		{Loop{K: 4, R: 1}, 6, "loop block of 4 layers does not divide the looped span of 6 layers"},
		{Loop{K: 2, R: 2}, 6, "= 4 layers, not the model's 6"},
		{Loop{K: 2, R: 2, P: 3, Q: 3}, 6, "leaves no layers of the 6 to loop"},
		{Loop{K: 0, R: 2, P: 1}, 6, "must be at least 1"},
		{Loop{K: 1, R: 2, P: -1}, 6, "must not be negative"},
	} {
		err := c.loop.Validate(c.depth)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v over %d layers: got %v, want %q", c.loop, c.depth, err, c.want)
		}
	}
	if err := (Loop{}).Validate(5); err != nil {
		t.Errorf("no loop: %v", err)
	}
}

// TestParseLoop reads the flag forms and refuses the rest.
func TestParseLoop(t *testing.T) {
	if l, err := ParseLoop("2x3"); err != nil || l != (Loop{K: 2, R: 3}) {
		t.Errorf("2x3: %+v, %v", l, err)
	}
	if l, err := ParseLoop("2"); err != nil || l != (Loop{K: 2}) || l.Fit(6) != (Loop{K: 2, R: 3}) {
		t.Errorf("2: %+v, %v", l, err)
	}
	if l := (Loop{K: 4, P: 1}).Fit(6); l.R != 0 {
		t.Errorf("fit of a block that does not divide the span: %+v", l)
	}
	for _, s := range []string{"", "x", "0x2", "2x0", "2x", "ax3", "2x3x4", "-1x2"} {
		if _, err := ParseLoop(s); err == nil {
			t.Errorf("ParseLoop(%q) accepted", s)
		}
	}
	if p, q, err := ParseUntied("1,2"); err != nil || p != 1 || q != 2 {
		t.Errorf("1,2: %d %d %v", p, q, err)
	}
	for _, s := range []string{"", "1", "1,", "-1,0", "a,b", "1,2,3"} {
		if _, _, err := ParseUntied(s); err == nil {
			t.Errorf("ParseUntied(%q) accepted", s)
		}
	}
}

// TestMiddleMap: the centred block, below it ⌊(D−b)/2⌋ positions; r = 1 is the identity.
func TestMiddleMap(t *testing.T) {
	id6 := []int{0, 1, 2, 3, 4, 5}
	for _, c := range []struct {
		in   []int
		b, r int
		want []int
	}{
		{id6, 2, 3, []int{0, 1, 2, 3, 2, 3, 2, 3, 4, 5}},
		{id6, 3, 2, []int{0, 1, 2, 3, 1, 2, 3, 4, 5}},
		{id6, 6, 2, []int{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}},
		{id6, 4, 1, id6},
		{[]int{0, 1, 0, 1}, 2, 2, []int{0, 1, 0, 1, 0, 1}},
	} {
		got, err := MiddleMap(c.in, c.b, c.r)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("MiddleMap(%v, %d, %d) = %v, %v; want %v", c.in, c.b, c.r, got, err, c.want)
		}
	}
	for _, c := range [][2]int{{7, 2}, {0, 2}, {2, 0}} {
		if _, err := MiddleMap(id6, c[0], c[1]); err == nil {
			t.Errorf("MiddleMap(6 layers, %d, %d) accepted", c[0], c[1])
		}
	}
}

// TestRemap: a remapped model shares the parameters; with the same map it computes bitwise the same
// loss, and with a middle block repeated it computes the unrolled repeated model's loss.
func TestRemap(t *testing.T) {
	cfg := Presets["tiny"]
	cfg.NumLayers = 3
	m, _ := New(cfg)
	m.InitWeights(5)
	B, T := 2, 12
	tokens, targets := make([]int32, B*T), make([]int32, B*T)
	for i := range tokens {
		tokens[i], targets[i] = int32((i*29+1)%cfg.VocabSize), int32((i*13+7)%cfg.VocabSize)
	}
	same, err := m.Remap(m.Layout.Map)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := m.Loss(tokens, targets, B, T), same.Loss(tokens, targets, B, T); math.Float32bits(a) != math.Float32bits(b) {
		t.Fatalf("same map: loss %v vs %v", a, b)
	}
	rep, _ := MiddleMap(m.Layout.Map, 1, 3)
	r, err := m.Remap(rep)
	if err != nil {
		t.Fatal(err)
	}
	if &r.Params[0] != &m.Params[0] {
		t.Fatal("Remap copied the parameters")
	}
	ucfg, up := r.Unrolled()
	u, _ := New(ucfg)
	copy(u.Params, up)
	if a, b := r.Loss(tokens, targets, B, T), u.Loss(tokens, targets, B, T); math.Float32bits(a) != math.Float32bits(b) {
		t.Fatalf("repeated middle: loss %v, unrolled %v", a, b)
	}
}

// TestLoopCache: KV-cache decoding of a middle-looped model gives its forward logits.
func TestLoopCache(t *testing.T) {
	cfg := Presets["tiny"]
	cfg.NumLayers = 5
	m, err := NewLoop(cfg, Loop{K: 1, R: 3, P: 1, Q: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.InitWeights(3)
	r := NewRNG(9)
	for i := range m.Params {
		m.Params[i] += float32(r.Normal() * 0.05)
	}
	T := 12
	toks := make([]int32, T)
	for i := range toks {
		toks[i] = int32(r.Next() % uint64(cfg.VocabSize))
	}
	full := append([]float32(nil), m.Forward(toks, 1, T)...)
	c := m.NewCache(cfg.SeqLen)
	m.Extend(c, toks[:6])
	for p := 6; p < T; p++ {
		got := m.Extend(c, toks[p:p+1])
		for j, w := range full[p*cfg.VocabSize : (p+1)*cfg.VocabSize] {
			if math.Abs(float64(got[j]-w)) > 1e-5 {
				t.Fatalf("pos %d logit %d: cached %v, full %v", p, j, got[j], w)
			}
		}
	}
}

// TestLoopOf: every loop's map gives the loop back; maps that are no loop are refused.
func TestLoopOf(t *testing.T) {
	for _, l := range []Loop{{}, {K: 2, R: 3}, {K: 2, R: 3, P: 1, Q: 1}, {K: 1, R: 2, Q: 2}, {K: 3, R: 2, P: 2}} {
		m := l.Map()
		if !l.Looped() {
			m = []int{0, 1, 2}
		}
		if got, err := LoopOf(m); err != nil || got != l {
			t.Errorf("LoopOf(%v) = %+v, %v; want %+v", m, got, err, l)
		}
	}
	for _, m := range [][]int{{1, 0}, {0, 0, 1, 1}, {0, 1, 0, 2, 1}, {0, 1, 1, 1, 0}} {
		if l, err := LoopOf(m); err == nil {
			t.Errorf("LoopOf(%v) = %+v, want an error", m, l)
		}
	}
}

// TestFirstUseTensors: the physical tensors of a middle loop carry the names of their first use.
func TestFirstUseTensors(t *testing.T) {
	cfg := Presets["tiny"]
	cfg.NumLayers = 8
	m, _ := NewLoop(cfg, Loop{K: 2, R: 3, P: 1, Q: 1})
	fu := m.Layout.FirstUseTensors()
	if len(fu) != len(m.Layout.Tensors) {
		t.Fatalf("%d tensors, want %d", len(fu), len(m.Layout.Tensors))
	}
	for i, want := range map[int]string{0: "model.embed_tokens.weight", 1: "model.layers.0.input_layernorm.weight",
		1 + 2*9 + 1: "model.layers.2.self_attn.q_proj.weight", 1 + 3*9 + 8: "model.layers.7.mlp.down_proj.weight"} {
		if fu[i].Name != want || fu[i].Offset != m.Layout.Tensors[i].Offset {
			t.Errorf("tensor %d: %s at %d, want %s at %d", i, fu[i].Name, fu[i].Offset, want, m.Layout.Tensors[i].Offset)
		}
	}
}

// TestLoopFitProblems: "K" alone that cannot be fitted reports the span it does not divide.
func TestLoopFitProblems(t *testing.T) {
	l := Loop{K: 4, P: 1}.Fit(6)
	if err := l.Validate(6); err == nil || !strings.Contains(err.Error(), "loop block of 4 layers does not divide the looped span of 5 layers (6 layers − 1,0 untied)") {
		t.Errorf("got %v", err)
	}
}

// FuzzParseLoop: the loop flags parse or fail with a model error, never panic; what parses prints
// back as it was read, and MiddleMap never panics on what parses.
func FuzzParseLoop(f *testing.F) {
	for _, s := range []string{"2x3", "2", "0x1", "1x-1", "x", "99999999999x2", "3x1000000000000"} {
		f.Add(s, "1,1")
	}
	f.Fuzz(func(t *testing.T, s, u string) {
		l, err := ParseLoop(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model: ") {
				t.Fatalf("ParseLoop(%q): %v", s, err)
			}
			return
		}
		if l.R > 0 {
			if back, err := ParseLoop(fmt.Sprintf("%dx%d", l.K, l.R)); err != nil || back != l {
				t.Fatalf("%q → %+v → %+v, %v", s, l, back, err)
			}
			if _, err := MiddleMap([]int{0, 1, 2, 3}, l.K, l.R); err != nil && !strings.HasPrefix(err.Error(), "model: ") {
				t.Fatal(err)
			}
		}
		if _, _, err := ParseUntied(u); err != nil && !strings.HasPrefix(err.Error(), "model: ") {
			t.Fatal(err)
		}
		_ = l.Problems(6)
	})
}
