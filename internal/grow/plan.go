package grow

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Operator names accepted by New and stored in Plan.Op.
const (
	OpMIDAS     = "midas"     // f1..fm, copy(fm), fm+1..fn with m = ⌈n/2⌉
	OpGradStack = "gradstack" // f1..fn, copy(fn)
	OpDouble    = "double"    // f1..fn, copy(f1)..copy(fn)
	OpMap       = "map"       // explicit list of source layers
)

// Ops lists the operator names in sorted order.
var Ops = []string{OpDouble, OpGradStack, OpMap, OpMIDAS}

// Plan is one growth: it maps every layer of the grown model to its source layer in the old model, and
// says where in a run it happens. It is plain data: it can be printed (String), saved as JSON (the one
// schema of growth records, see MarshalJSON) and checked (Validate). Layers are 0-based.
//
// The same type is a run's growth history (trainer_state.json, config.json's growth_history), each
// stage of a PlanJSON, and the plan of a one-shot surgery (`midas grow`, Stage 0).
type Plan struct {
	Stage     int    // the stage this growth starts (2…k in a run); 0 for a one-shot surgery
	Step      int    // optimizer steps done when it happens (0 for a surgery)
	Op        string // OpMIDAS, OpGradStack, OpDouble or OpMap
	Block     int    // b: layers per block (1 for "map")
	From      int    // layers before
	Src       []int  // len = layers after; Src[i] = old layer copied into new layer i
	Copy      []bool // Copy[i]: new layer i is a fresh copy (not the original it came from)
	Identity  bool   // zero o_proj and down_proj of the copies (grown model = same function)
	ZeroOptim bool   // copies get zero AdamW moments instead of their source's (the optimizer policy)
}

// blocks checks layers and block and returns the number of blocks n = layers/block.
func blocks(layers, block int) (int, error) {
	if layers < 1 {
		return 0, fmt.Errorf("grow: layers must be at least 1, got %d", layers)
	}
	if block < 1 {
		return 0, fmt.Errorf("grow: block must be at least 1 layer, got %d", block)
	}
	if layers%block != 0 {
		return 0, fmt.Errorf("grow: %d layers are not divisible into blocks of %d", layers, block)
	}
	return layers / block, nil
}

// fromBlocks builds a plan from a sequence of old block indices; copies[j] marks block j of the result
// as a copy.
func fromBlocks(op string, layers, block int, srcBlocks []int, copies []bool) Plan {
	p := Plan{Op: op, Block: block, From: layers}
	for j, sb := range srcBlocks {
		for l := 0; l < block; l++ {
			p.Src = append(p.Src, sb*block+l)
			p.Copy = append(p.Copy, copies[j])
		}
	}
	return p
}

// MIDAS (middle gradual stacking) splits layers into n = layers/block blocks f1..fn and returns the plan
// f1..fm, copy(fm), fm+1..fn with m = ⌈n/2⌉: the true middle for odd n, the block just below the centre
// for even n. The copy sits directly above its original.
func MIDAS(layers, block int) (Plan, error) {
	n, err := blocks(layers, block)
	if err != nil {
		return Plan{}, err
	}
	m := (n + 1) / 2 // ⌈n/2⌉, 1-based index of the copied block
	var src []int
	var cp []bool
	for j := 0; j < n; j++ {
		src, cp = append(src, j), append(cp, false)
		if j == m-1 {
			src, cp = append(src, j), append(cp, true)
		}
	}
	return fromBlocks(OpMIDAS, layers, block, src, cp), nil
}

// GradStack (Reddi et al. 2023) returns the plan f1..fn, copy(fn): the top block is appended again.
func GradStack(layers, block int) (Plan, error) {
	n, err := blocks(layers, block)
	if err != nil {
		return Plan{}, err
	}
	var src []int
	var cp []bool
	for j := 0; j < n; j++ {
		src, cp = append(src, j), append(cp, false)
	}
	src, cp = append(src, n-1), append(cp, true)
	return fromBlocks(OpGradStack, layers, block, src, cp), nil
}

// Double (Gong et al. 2019) returns the plan f1..fn, copy(f1)..copy(fn): the depth doubles.
func Double(layers, block int) (Plan, error) {
	n, err := blocks(layers, block)
	if err != nil {
		return Plan{}, err
	}
	src := make([]int, 2*n)
	cp := make([]bool, 2*n)
	for j := 0; j < n; j++ {
		src[j], src[n+j] = j, j
		cp[n+j] = true
	}
	return fromBlocks(OpDouble, layers, block, src, cp), nil
}

// Map returns the plan for an explicit list of source layers (SOLAR-style depth up-scaling, e.g. the
// 8-layer list 0..5, 2..7). The first use of an old layer is the original, every later use a copy. Every
// entry must be in [0, layers); old layers may be left out. src is copied.
func Map(layers int, src []int) (Plan, error) {
	if layers < 1 {
		return Plan{}, fmt.Errorf("grow: layers must be at least 1, got %d", layers)
	}
	if len(src) == 0 {
		return Plan{}, errors.New("grow: map is empty")
	}
	p := Plan{Op: OpMap, Block: 1, From: layers, Src: slices.Clone(src), Copy: make([]bool, len(src))}
	seen := make([]bool, layers)
	for i, s := range src {
		if s < 0 || s >= layers {
			return Plan{}, fmt.Errorf("grow: map entry %d is layer %d, the model has %d layers", i, s, layers)
		}
		p.Copy[i] = seen[s]
		seen[s] = true
	}
	return p, nil
}

// New builds a plan by operator name. src is the layer list for "map" (block is then ignored) and must
// be empty for the other operators. An unknown op is an error listing the operators.
func New(op string, layers, block int, src []int) (Plan, error) {
	if op != OpMap && len(src) > 0 {
		return Plan{}, fmt.Errorf("grow: op %q takes no layer map (only %q does)", op, OpMap)
	}
	switch op {
	case OpMIDAS:
		return MIDAS(layers, block)
	case OpGradStack:
		return GradStack(layers, block)
	case OpDouble:
		return Double(layers, block)
	case OpMap:
		return Map(layers, src)
	}
	return Plan{}, fmt.Errorf("grow: unknown op %q (known: %s)", op, strings.Join(Ops, ", "))
}

// To is the number of layers after growth.
func (p Plan) To() int { return len(p.Src) }

// String renders the plan on one line: the operator, its block size (not for "map"), the options, then
// the source layer of every new layer with runs of copies bracketed, e.g.
//
//	midas b=2: 0 1 2 3 [2 3] 4 5
//	map identity zero-optim: 0 1 2 [1 2] 3
func (p Plan) String() string {
	var sb strings.Builder
	sb.WriteString(p.Op)
	if p.Op != OpMap {
		fmt.Fprintf(&sb, " b=%d", p.Block)
	}
	if p.Identity {
		sb.WriteString(" identity")
	}
	if p.ZeroOptim {
		sb.WriteString(" zero-optim")
	}
	sb.WriteString(":")
	in := false
	for i, s := range p.Src {
		c := i < len(p.Copy) && p.Copy[i]
		sb.WriteByte(' ')
		if c && !in {
			sb.WriteByte('[')
		}
		sb.WriteString(strconv.Itoa(s))
		in = c
		if in && (i+1 == len(p.Src) || i+1 >= len(p.Copy) || !p.Copy[i+1]) {
			sb.WriteByte(']')
			in = false
		}
	}
	return sb.String()
}

// Validate checks a plan (for instance one read from JSON): stage and step are not negative, the
// operator is known and Src and Copy are exactly what that operator builds for (From, Block) — for
// "map", what Map builds from Src.
func (p Plan) Validate() error {
	if p.Stage < 0 || p.Step < 0 {
		return fmt.Errorf("grow: plan has stage %d and step %d, want both at least 0", p.Stage, p.Step)
	}
	if len(p.Copy) != len(p.Src) {
		return fmt.Errorf("grow: plan has %d source entries but %d copy flags", len(p.Src), len(p.Copy))
	}
	var src []int
	if p.Op == OpMap {
		if p.Block != 1 {
			return fmt.Errorf("grow: map plan has block %d, want 1", p.Block)
		}
		src = p.Src
	}
	want, err := New(p.Op, p.From, p.Block, src)
	if err != nil {
		return err
	}
	if !slices.Equal(want.Src, p.Src) {
		return fmt.Errorf("grow: %s plan from %d layers (block %d) has sources %v, want %v", p.Op, p.From, p.Block, p.Src, want.Src)
	}
	if !slices.Equal(want.Copy, p.Copy) {
		return fmt.Errorf("grow: %s plan has copy flags %v, want %v", p.Op, p.Copy, want.Copy)
	}
	return nil
}

// ParseSrc parses a layer list for Map: comma-separated layers or inclusive ranges, spaces allowed,
// e.g. "0-23,8-31" (SOLAR) or "0, 1, 1, 2". Ranges must not run backwards.
func ParseSrc(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, fmt.Errorf("grow: empty entry in layer list %q", s)
		}
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 0 {
			return nil, fmt.Errorf("grow: bad layer %q in layer list %q", f, s)
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
			if err != nil || b < a {
				return nil, fmt.Errorf("grow: bad layer range %q in layer list %q", f, s)
			}
		}
		if len(out)+(b-a+1) > maxSrc {
			return nil, fmt.Errorf("grow: layer list %q has more than %d entries", s, maxSrc)
		}
		for l := a; l <= b; l++ {
			out = append(out, l)
		}
	}
	return out, nil
}

// maxSrc bounds ParseSrc's output so that a typo like "0-999999999" fails instead of allocating.
const maxSrc = 1 << 16
