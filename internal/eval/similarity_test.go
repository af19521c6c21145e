package eval

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"midas/internal/grow"
	"midas/internal/model"
)

// microCfg is a small valid config (a layer is 4·8·8 + 3·12·8 = 544 matrix weights).
func microCfg(layers int) model.Config {
	return model.Config{VocabSize: 16, Dim: 8, NumLayers: layers, NumHeads: 2, FFNDim: 12, SeqLen: 8,
		RopeTheta: 10000, NormEps: 1e-5}
}

var kindSuffixes = map[string][]string{
	SimAttn: {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight"},
	SimMLP:  {"mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"},
}

func init() {
	kindSuffixes[SimAll] = append(append([]string{}, kindSuffixes[SimAttn]...), kindSuffixes[SimMLP]...)
}

// vecOf concatenates the named matrices of the given layers, looked up by Hugging Face name: an
// oracle independent of the layout order that gram relies on.
func vecOf(t *testing.T, l *model.Layout, params []float32, kind string, layers ...int) []float64 {
	var v []float64
	for _, layer := range layers {
		for _, suf := range kindSuffixes[kind] {
			ts, ok := l.Lookup(fmt.Sprintf("model.layers.%d.%s", layer, suf))
			if !ok {
				t.Fatalf("no tensor %s in layer %d", suf, layer)
			}
			for _, x := range params[ts.Offset : ts.Offset+ts.Size] {
				v = append(v, float64(x))
			}
		}
	}
	return v
}

// naiveCos is the textbook cosine with separately computed norms.
func naiveCos(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / (math.Sqrt(aa) * math.Sqrt(bb))
}

// eachMatrix calls f with every decoder-layer matrix entry of layer: its tensor name and index.
func eachMatrix(l *model.Layout, layer int, f func(t model.Tensor, k int)) {
	for _, t := range l.Tensors {
		if t.Layer == layer && t.Kind == model.KindMatrix {
			for k := 0; k < t.Size; k++ {
				f(t, k)
			}
		}
	}
}

// constructed builds 4 layers: 1 = copy of 0, 2 = −layer 0, 3 = supported on the odd entries of each
// matrix where layer 0 is supported on the even ones (so orthogonal to 0, 1 and 2). Every norm scale
// is a positive random value shared by all layers: if norms were compared, S[0][2] would not be −1.
func constructed() (model.Config, []float32) {
	cfg := microCfg(4)
	l := model.NewLayout(cfg)
	p := make([]float32, l.Size)
	r := rand.New(rand.NewPCG(7, 1))
	for i := range p {
		p[i] = 0.5 + r.Float32()
	}
	for layer := 0; layer < 4; layer++ {
		eachMatrix(l, layer, func(t model.Tensor, k int) { p[t.Offset+k] = 0 })
	}
	eachMatrix(l, 0, func(t model.Tensor, k int) {
		if k%2 == 0 {
			p[t.Offset+k] = float32(r.NormFloat64())
		}
	})
	lo0, _ := l.LayerRange(0)
	for layer, sign := range map[int]float32{1: 1, 2: -1} {
		lo, _ := l.LayerRange(layer)
		eachMatrix(l, layer, func(t model.Tensor, k int) { p[t.Offset+k] = sign * p[t.Offset-lo+lo0+k] })
	}
	eachMatrix(l, 3, func(t model.Tensor, k int) {
		if k%2 == 1 {
			p[t.Offset+k] = float32(r.NormFloat64())
		}
	})
	return cfg, p
}

func TestLayerSimilarityConstructed(t *testing.T) {
	cfg, p := constructed()
	s := LayerSimilarity(cfg, p)
	want := [4][4]float64{
		{1, 1, -1, 0},
		{1, 1, -1, 0},
		{-1, -1, 1, 0},
		{0, 0, 0, 1},
	}
	for _, kind := range SimKinds {
		m, ok := s[kind]
		if !ok || len(m) != 4 {
			t.Fatalf("kind %q: got %d rows, want 4", kind, len(m))
		}
		for i := range want {
			for j := range want[i] {
				// Exact: copies and negations give bitwise-equal (or negated) sums; disjoint supports give 0.
				if m[i][j] != want[i][j] {
					t.Errorf("%s: S[%d][%d] = %v, want %v exactly", kind, i, j, m[i][j], want[i][j])
				}
			}
		}
	}
	if len(s) != len(SimKinds) {
		t.Errorf("got %d kinds, want %d", len(s), len(SimKinds))
	}
}

func TestLayerSimilarityRandom(t *testing.T) {
	cfg := microCfg(5)
	l := model.NewLayout(cfg)
	r := rand.New(rand.NewPCG(3, 4))
	p := make([]float32, l.Size)
	for i := range p {
		p[i] = float32(r.NormFloat64())
	}
	// Make layer 4 correlated with layer 1 so that not every entry is near 0.
	lo1, hi1 := l.LayerRange(1)
	lo4, _ := l.LayerRange(4)
	for k := range hi1 - lo1 {
		p[lo4+k] = 0.8*p[lo1+k] + 0.2*p[lo4+k]
	}
	s := LayerSimilarity(cfg, p)
	for _, kind := range SimKinds {
		m := s[kind]
		for i := range m {
			if m[i][i] != 1 {
				t.Errorf("%s: diagonal S[%d][%d] = %v, want 1", kind, i, i, m[i][i])
			}
			for j := range m {
				if math.Float64bits(m[i][j]) != math.Float64bits(m[j][i]) {
					t.Errorf("%s: S[%d][%d] = %v ≠ S[%d][%d] = %v", kind, i, j, m[i][j], j, i, m[j][i])
				}
				want := naiveCos(vecOf(t, l, p, kind, i), vecOf(t, l, p, kind, j))
				if math.Abs(m[i][j]-want) > 1e-12 { // float64 sums of ≤ 544 terms: error ~1e-15
					t.Errorf("%s: S[%d][%d] = %v, oracle %v", kind, i, j, m[i][j], want)
				}
			}
		}
		if m[1][4] < 0.9 || math.Abs(m[0][2]) > 0.2 { // 0.8/√(0.68) ≈ 0.97; independent: ~1/√544 ≈ 0.04
			t.Errorf("%s: S[1][4] = %.3f (want ≈ 0.97), S[0][2] = %.3f (want ≈ 0)", kind, m[1][4], m[0][2])
		}
	}
}

func TestLayerSimilarityZeroLayer(t *testing.T) {
	cfg := microCfg(2)
	l := model.NewLayout(cfg)
	p := make([]float32, l.Size)
	eachMatrix(l, 0, func(ts model.Tensor, k int) { p[ts.Offset+k] = 1 })
	s := LayerSimilarity(cfg, p)[SimAll]
	if s[0][0] != 1 || !math.IsNaN(s[0][1]) || !math.IsNaN(s[1][1]) {
		t.Errorf("zero layer 1: S = %v, want [[1 NaN] [NaN NaN]]", s)
	}
}

func TestLayerSimilarityPanicsOnShape(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a params buffer of the wrong length")
		}
	}()
	LayerSimilarity(microCfg(2), make([]float32, 10))
}

func TestBlockSimilarity(t *testing.T) {
	cfg := microCfg(6)
	l := model.NewLayout(cfg)
	r := rand.New(rand.NewPCG(5, 6))
	p := make([]float32, l.Size)
	for i := range p {
		p[i] = float32(r.NormFloat64())
	}
	one, err := BlockSimilarity(cfg, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	all := LayerSimilarity(cfg, p)[SimAll]
	for i := range all {
		for j := range all {
			if math.Float64bits(one[i][j]) != math.Float64bits(all[i][j]) {
				t.Errorf("block 1: S[%d][%d] = %v, LayerSimilarity %v", i, j, one[i][j], all[i][j])
			}
		}
	}
	for _, b := range []int{2, 3, 6} {
		s, err := BlockSimilarity(cfg, p, b)
		if err != nil {
			t.Fatalf("block %d: %v", b, err)
		}
		if len(s) != 6/b {
			t.Fatalf("block %d: %d rows, want %d", b, len(s), 6/b)
		}
		for i := range s {
			for j := range s {
				var li, lj []int
				for k := 0; k < b; k++ {
					li, lj = append(li, i*b+k), append(lj, j*b+k)
				}
				want := naiveCos(vecOf(t, l, p, SimAll, li...), vecOf(t, l, p, SimAll, lj...))
				if math.Abs(s[i][j]-want) > 1e-12 {
					t.Errorf("block %d: S[%d][%d] = %v, oracle %v", b, i, j, s[i][j], want)
				}
			}
		}
	}
	for _, c := range []struct {
		block int
		want  string
	}{{4, "eval: 6 layers are not divisible into blocks of 4"}, {0, "eval: block must be at least 1"}, {-2, "at least 1"}} {
		if _, err := BlockSimilarity(cfg, p, c.block); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("block %d: error %v, want %q", c.block, err, c.want)
		}
	}
}

// TestMIDASGrownSimilarity: right after MIDAS growth (no identity zeroing), each copied layer is
// bitwise its source, so their similarity is exactly 1 in every kind; independent random layers stay
// near 0 (random N(0, 0.02²) init: |cos| ~ 1/√(49k weights) ≈ 0.005).
func TestMIDASGrownSimilarity(t *testing.T) {
	for _, c := range []struct{ layers, block int }{{1, 1}, {3, 1}, {4, 2}} {
		cfg, err := model.Preset("tiny")
		if err != nil {
			t.Fatal(err)
		}
		cfg.NumLayers = c.layers
		m, err := model.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.InitWeights(42)
		plan, err := grow.MIDAS(c.layers, c.block)
		if err != nil {
			t.Fatal(err)
		}
		newCfg, np, _, _, err := grow.Apply(plan, cfg, m.Params, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := LayerSimilarity(newCfg, np)
		// orig[i] is the new index of the non-copy layer that new layer i was copied from.
		orig := map[int]int{}
		for i, src := range plan.Src {
			if !plan.Copy[i] {
				orig[src] = i
			}
		}
		copies := 0
		for i := range plan.Src {
			for j := range plan.Src {
				same := plan.Src[i] == plan.Src[j]
				for _, kind := range SimKinds {
					v := s[kind][i][j]
					if same && v != 1 {
						t.Errorf("%d layers b=%d: %s S[%d][%d] = %v, want exactly 1 (copy of layer %d)", c.layers, c.block, kind, i, j, v, plan.Src[i])
					}
					if !same && math.Abs(v) > 0.05 {
						t.Errorf("%d layers b=%d: %s S[%d][%d] = %v, want ≈ 0 (independent layers)", c.layers, c.block, kind, i, j, v)
					}
				}
			}
			if plan.Copy[i] {
				copies++
				if _, ok := orig[plan.Src[i]]; !ok {
					t.Fatalf("copy %d has no original", i)
				}
			}
		}
		if copies != c.block {
			t.Errorf("%d layers b=%d: %d copied layers, want %d", c.layers, c.block, copies, c.block)
		}
		bs, err := BlockSimilarity(newCfg, np, c.block)
		if err != nil {
			t.Fatal(err)
		}
		m0 := (c.layers/c.block+1)/2 - 1 // the copied block (0-based) sits right above its original
		if bs[m0][m0+1] != 1 {
			t.Errorf("%d layers b=%d: block similarity of the copied block %d and its copy = %v, want 1", c.layers, c.block, m0, bs[m0][m0+1])
		}
	}
}

func TestWriteSimilarityCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.csv")
	labels := []string{"L0", "L1", "L,2"} // a comma must be quoted
	m := [][]float64{{1, 0.25, -0.5}, {0.25, 1, math.NaN()}, {-0.5, math.NaN(), 1}}
	if err := WriteSimilarityCSV(path, labels, m); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0], "|") != "|L0|L1|L,2" {
		t.Fatalf("CSV = %q, want a header row and 3 rows", recs)
	}
	for i, rec := range recs[1:] {
		if rec[0] != labels[i] || len(rec) != 4 {
			t.Errorf("row %d = %q", i, rec)
			continue
		}
		for j, s := range rec[1:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !(v == m[i][j] || math.IsNaN(v) && math.IsNaN(m[i][j])) {
				t.Errorf("row %d col %d = %q, want %v", i, j, s, m[i][j])
			}
		}
	}
	if recs[1][2] != "0.250000" {
		t.Errorf("value formatted as %q, want 0.250000", recs[1][2])
	}
	for _, c := range []struct {
		name   string
		labels []string
		m      [][]float64
		want   string
	}{
		{"empty", nil, nil, "empty matrix"},
		{"labels", []string{"a"}, [][]float64{{1, 0}, {0, 1}}, "1 labels for a 2×2"},
		{"not square", []string{"a", "b"}, [][]float64{{1, 0}, {0}}, "not square"},
	} {
		p := filepath.Join(dir, c.name+".csv")
		err := WriteSimilarityCSV(p, c.labels, c.m)
		if err == nil || !strings.HasPrefix(err.Error(), "eval: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: failed write left %s", c.name, p)
		}
	}
}

func TestWriteSimilarity(t *testing.T) {
	cfg, p := constructed()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "s")
	s, err := WriteSimilarity(prefix, "constructed", cfg, p, 2)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range []string{"layers.png", "layers.csv", "attn.png", "mlp.png", "blocks.png", "blocks.csv"} {
		want = append(want, prefix+"_"+f)
	}
	if strings.Join(s.Written, " ") != strings.Join(want, " ") {
		t.Errorf("written %q, want %q", s.Written, want)
	}
	for _, f := range want {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if len(s.Layers) != 4 || s.Layers[0][2] != -1 || len(s.Blocks) != 2 {
		t.Errorf("layers %v, blocks %v: want constructed()'s 4×4 similarity and 2 blocks", s.Layers, s.Blocks)
	}
	b, err := os.ReadFile(prefix + "_blocks.csv")
	if err != nil || !strings.HasPrefix(string(b), ",L0-1,L2-3\n") {
		t.Errorf("blocks CSV %q (%v), want the header ,L0-1,L2-3", b, err)
	}
	// Without blocks: four files, no block matrix.
	if s, err := WriteSimilarity(filepath.Join(dir, "n"), "constructed", cfg, p, 0); err != nil || len(s.Written) != 4 || s.Blocks != nil {
		t.Errorf("block 0: written %q, blocks %v, err %v; want 4 files and no blocks", s.Written, s.Blocks, err)
	}
	// Refused before anything is written: a missing directory (not created), a file in its place and a
	// bad block.
	if err := os.WriteFile(filepath.Join(dir, "s.csv-is-a-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		prefix string
		block  int
		want   string
	}{
		{filepath.Join(dir, "missing", "s"), 0, "eval: --out: directory " + filepath.Join(dir, "missing") + " does not exist"},
		{filepath.Join(dir, "s.csv-is-a-file", "s"), 0, "does not exist"},
		{filepath.Join(dir, "bad"), 3, "eval: 4 layers are not divisible into blocks of 3"},
		{filepath.Join(dir, "bad"), -1, "eval: block must be at least 1 layer, got -1"},
	} {
		s, err := WriteSimilarity(c.prefix, "x", cfg, p, c.block)
		if err == nil || !strings.Contains(err.Error(), c.want) || len(s.Written) != 0 {
			t.Errorf("%s block %d: written %q, error %v; want nothing written and %q", c.prefix, c.block, s.Written, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("the missing directory was created (%v)", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "bad*")); len(m) != 0 {
		t.Errorf("a refused call wrote %q", m)
	}
}

func TestAdjacencyOf(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name string
		s    [][]float64
		want Adjacency // NaN means: none
	}{
		{"4 layers", [][]float64{{1, 0.5, 0.25, 0}, {0.5, 1, 0.75, 1}, {0.25, 0.75, 1, 0.5}, {0, 1, 0.5, 1}},
			Adjacency{Adjacent: (0.5 + 0.75 + 0.5) / 3, NAdjacent: 3, Far: (0.25 + 0 + 1) / 3, NFar: 3}},
		{"NaN skipped", [][]float64{{1, nan, 0.5}, {nan, 1, 0.25}, {0.5, 0.25, 1}},
			Adjacency{Adjacent: 0.25, NAdjacent: 1, Far: 0.5, NFar: 1}},
		{"2 blocks", [][]float64{{1, 0.5}, {0.5, 1}}, Adjacency{Adjacent: 0.5, NAdjacent: 1, Far: nan}},
		{"1 layer", [][]float64{{1}}, Adjacency{Adjacent: nan, Far: nan}},
	} {
		got := AdjacencyOf(c.s)
		same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
		if !same(got.Adjacent, c.want.Adjacent) || !same(got.Far, c.want.Far) || got.NAdjacent != c.want.NAdjacent || got.NFar != c.want.NFar {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
