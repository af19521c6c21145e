package model

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Loop is the structure of a looped (weight-shared) model: P untied layers, then a block of K layers
// applied R times with the same weights, then Q untied layers. The model has P+K+Q physical layers and
// depth P+K·R+Q. P = Q = 0 is a fully looped model (ALBERT, Universal Transformer); P, Q > 0 is middle
// looping. The zero Loop means no loop. Its JSON (keys k, r, p, q) is the "midas_loop" entry of a
// looped checkpoint's config.json.
//
// The layer map of Loop{K: 2, R: 3, P: 1, Q: 1}, depth 8 over 4 physical layers:
//
//	logical   0 | 1 2 | 3 4 | 5 6 | 7
//	physical  0 | 1 2 | 1 2 | 1 2 | 3
type Loop struct {
	K int `json:"k"` // layers in the looped block
	R int `json:"r"` // times the block is applied
	P int `json:"p"` // untied layers below the loop
	Q int `json:"q"` // untied layers above the loop
}

// Looped reports whether l describes a loop (K > 0); the zero Loop is a plain model.
func (l Loop) Looped() bool { return l.K > 0 }

// Depth is the number of logical layers P + K·R + Q.
func (l Loop) Depth() int { return l.P + l.K*l.R + l.Q }

// Physical is the number of parameter blocks P + K + Q.
func (l Loop) Physical() int { return l.P + l.K + l.Q }

// Map is the layer map (Layout.Map) of the loop: logical layer i < P uses physical i, the j-th layer of
// the r-th repetition uses P + j, and the untied layers above use P + K … P + K + Q − 1.
func (l Loop) Map() []int {
	m := make([]int, 0, l.Depth())
	for i := 0; i < l.P; i++ {
		m = append(m, i)
	}
	for r := 0; r < l.R; r++ {
		for j := 0; j < l.K; j++ {
			m = append(m, l.P+j)
		}
	}
	for i := 0; i < l.Q; i++ {
		m = append(m, l.P+l.K+i)
	}
	return m
}

// FirstUse is, for each physical layer, the logical layer that first uses it: the index its tensors
// have in an unrolled checkpoint (P+K ≤ j: j + K·(R−1)).
func (l Loop) FirstUse() []int {
	f := make([]int, l.Physical())
	for j := range f {
		f[j] = j
		if j >= l.P+l.K {
			f[j] = j + l.K*(l.R-1)
		}
	}
	return f
}

// String is the loop as the flags write it: "KxR", with ",P,Q untied" when there are untied layers.
func (l Loop) String() string {
	s := fmt.Sprintf("%dx%d", l.K, l.R)
	if l.P > 0 || l.Q > 0 {
		s += fmt.Sprintf(" (untied %d,%d)", l.P, l.Q)
	}
	return s
}

// Problems lists what is wrong with a loop over depth layers (nil when it is fine or not a loop).
func (l Loop) Problems(depth int) []string {
	if l == (Loop{}) {
		return nil
	}
	var p []string
	if l.K < 1 || l.R < 0 {
		p = append(p, fmt.Sprintf("loop %dx%d: the block size and the repetitions must be at least 1", l.K, l.R))
	}
	if l.P < 0 || l.Q < 0 {
		p = append(p, fmt.Sprintf("loop-untied %d,%d: the untied layers must not be negative", l.P, l.Q))
	}
	if len(p) > 0 {
		return p
	}
	span := depth - l.P - l.Q
	switch {
	case span < 1:
		p = append(p, fmt.Sprintf("loop-untied %d,%d leaves no layers of the %d to loop", l.P, l.Q, depth))
	case span%l.K != 0:
		p = append(p, fmt.Sprintf("loop block of %d layers does not divide the looped span of %d layers (%d layers − %d,%d untied)",
			l.K, span, depth, l.P, l.Q))
	case l.R == 0:
		p = append(p, fmt.Sprintf("loop %d: the repetitions R must be at least 1", l.K))
	case l.Depth() != depth:
		p = append(p, fmt.Sprintf("loop %dx%d with %d,%d untied is %d+%d·%d+%d = %d layers, not the model's %d",
			l.K, l.R, l.P, l.Q, l.P, l.K, l.R, l.Q, l.Depth(), depth))
	}
	return p
}

// Validate checks the loop against a depth; the error lists every problem.
func (l Loop) Validate(depth int) error {
	if p := l.Problems(depth); len(p) > 0 {
		return errors.New("model: " + strings.Join(p, "; "))
	}
	return nil
}

// ParseLoop reads a loop flag: "KxR" (e.g. "2x3"), or "K" alone, leaving R = 0 for the caller to fit
// (Fit) into the looped span.
func ParseLoop(s string) (Loop, error) {
	k, r, found := strings.Cut(s, "x")
	kv, err1 := strconv.Atoi(k)
	rv, err2 := 0, error(nil)
	if found {
		rv, err2 = strconv.Atoi(r)
	}
	if err1 != nil || err2 != nil || kv < 1 || (found && rv < 1) {
		return Loop{}, fmt.Errorf("model: %q: want KxR (a block of K ≥ 1 layers applied R ≥ 1 times, e.g. 2x3) or K", s)
	}
	return Loop{K: kv, R: rv}, nil
}

// ParseUntied reads the untied-layers flag "P,Q" (layers below and above the loop).
func ParseUntied(s string) (p, q int, err error) {
	a, b, ok := strings.Cut(s, ",")
	p, err1 := strconv.Atoi(strings.TrimSpace(a))
	q, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || p < 0 || q < 0 {
		return 0, 0, fmt.Errorf("model: %q: want P,Q (untied layers below and above the loop, each ≥ 0, e.g. 1,1)", s)
	}
	return p, q, nil
}

// Fit sets R so that the loop fills depth layers (when R is 0: "K" given without R), leaving an
// R that does not fit for Validate to report.
func (l Loop) Fit(depth int) Loop {
	if l.K > 0 && l.R == 0 {
		if span := depth - l.P - l.Q; span > 0 && span%l.K == 0 {
			l.R = span / l.K
		}
	}
	return l
}

// MaxDepth bounds the depth of a repeated model (MiddleMap), far beyond any model that fits in memory.
const MaxDepth = 1 << 20

// MiddleMap is the layer map that applies a middle block of b positions of layerMap r times: the
// block is the centred run of b positions starting at s = ⌊(D−b)/2⌋ (D = len(layerMap)), so that
// ⌊(D−b)/2⌋ positions stay below it and ⌈(D−b)/2⌉ above. The result is layerMap[:s], then r copies of
// layerMap[s:s+b], then layerMap[s+b:]; r = 1 returns layerMap unchanged. For an untied 6-layer model,
// b = 2 and r = 3 give [0 1 2 3 2 3 2 3 4 5].
func MiddleMap(layerMap []int, b, r int) ([]int, error) {
	d := len(layerMap)
	if b < 1 || r < 1 {
		return nil, fmt.Errorf("model: repeat-middle %dx%d: the block and the repetitions must be at least 1", b, r)
	}
	if b > d {
		return nil, fmt.Errorf("model: repeat-middle %dx%d: the block of %d layers is longer than the model's %d layers", b, r, b, d)
	}
	if n := float64(d) + float64(b)*float64(r-1); n > MaxDepth {
		return nil, fmt.Errorf("model: repeat-middle %dx%d: %.0f layers is more than %d", b, r, n, MaxDepth)
	}
	s := (d - b) / 2
	out := append([]int(nil), layerMap[:s]...)
	for i := 0; i < r; i++ {
		out = append(out, layerMap[s:s+b]...)
	}
	return append(out, layerMap[s+b:]...), nil
}

// Remap returns a model that computes with the layer map layerMap over m's physical layers, sharing
// m's parameters (a write to either's Params is seen by both); its gradients and activations are its
// own.
func (m *Model) Remap(layerMap []int) (*Model, error) {
	l, err := NewLayoutMap(m.Cfg, layerMap)
	if err != nil {
		return nil, err
	}
	c := newModel(m.Cfg, l)
	c.Params = m.Params
	return c, nil
}

// UnrolledTensors lists the tensors of the untied model of depth Depth(), in its layout order and
// named as in it (model.layers.<logical layer>.…), each with the Offset and Size of the physical tensor
// it reads: views of the flat buffers, not copies. Layer is the logical layer. For the identity map it
// equals Tensors.
func (l *Layout) UnrolledTensors() []Tensor {
	embed, norm, _ := l.global()
	out := []Tensor{embed}
	for i := range l.Map {
		for k, lt := range layerTensors {
			t := l.layerTensor(i, k)
			t.Name, t.Layer = fmt.Sprintf("model.layers.%d.%s", i, lt.suffix), i
			out = append(out, t)
		}
	}
	out = append(out, norm)
	if h, ok := l.Lookup("lm_head.weight"); ok {
		out = append(out, h)
	}
	return out
}

// Unrolled returns the config and a copy of the flat parameters of the untied model of depth
// Layout.Depth() whose layer l holds physical layer Map[l] (for an untied model: a copy of Params).
func (m *Model) Unrolled() (Config, []float32) {
	cfg := m.Cfg
	cfg.NumLayers = m.Layout.Depth()
	out := make([]float32, 0, NewLayout(cfg).Size)
	for _, t := range m.Layout.UnrolledTensors() {
		out = append(out, m.Params[t.Offset:t.Offset+t.Size]...)
	}
	return cfg, out
}

// NewLoop allocates a looped model of depth cfg.NumLayers: l.Physical() layers of parameters applied in
// the order of l.Map(). l must be valid for that depth. The model's Cfg.NumLayers is the physical count.
// The zero Loop gives New(cfg).
func NewLoop(cfg Config, l Loop) (*Model, error) {
	if !l.Looped() {
		return New(cfg)
	}
	if err := l.Validate(cfg.NumLayers); err != nil {
		return nil, err
	}
	cfg.NumLayers = l.Physical()
	return NewMapped(cfg, l.Map())
}

// LoopOf recovers the Loop whose map is layerMap: the zero Loop for the identity, an error for a map
// that no Loop makes (a permutation, two shared blocks, a block shared unevenly).
func LoopOf(layerMap []int) (Loop, error) {
	uses := map[int]int{}
	phys := 0
	for _, p := range layerMap {
		uses[p]++
		phys = max(phys, p+1)
	}
	l := Loop{P: -1}
	for j := 0; j < phys; j++ {
		if uses[j] > 1 {
			if l.P < 0 {
				l.P, l.R = j, uses[j]
			}
			l.K++
		}
	}
	if l.P < 0 { // nothing shared: a loop only if it is the identity
		l = Loop{}
		for i, p := range layerMap {
			if p != i {
				return Loop{}, fmt.Errorf("model: layer map %v is not a loop", layerMap)
			}
		}
		return l, nil
	}
	l.Q = phys - l.P - l.K
	if !slices.Equal(l.Map(), layerMap) {
		return Loop{}, fmt.Errorf("model: layer map %v is not a loop", layerMap)
	}
	return l, nil
}

// FirstUseTensors lists the physical tensors (Tensors, in layout order) named by the logical layer that
// first uses them: the names under which an unrolled checkpoint holds each physical tensor once. For
// the identity map it equals Tensors.
func (l *Layout) FirstUseTensors() []Tensor {
	first := make([]int, len(l.layers))
	for i := range first {
		first[i] = -1
	}
	for i, p := range l.Map {
		if first[p] < 0 {
			first[p] = i
		}
	}
	out := append([]Tensor(nil), l.Tensors...)
	for i, t := range out {
		if t.Layer >= 0 {
			out[i].Name = fmt.Sprintf("model.layers.%d.%s", first[t.Layer], layerTensors[(i-1)%tensorsPerLayer].suffix)
		}
	}
	return out
}

// RepeatMiddle returns m with the centred block of b of its layers applied r times (MiddleMap over
// m's layer map), sharing m's parameters (Remap); r = 1 computes exactly what m computes.
func (m *Model) RepeatMiddle(b, r int) (*Model, error) {
	lm, err := MiddleMap(m.Layout.Map, b, r)
	if err != nil {
		return nil, err
	}
	return m.Remap(lm)
}
