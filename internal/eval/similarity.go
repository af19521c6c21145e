package eval

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"midas/internal/ckpt"
	"midas/internal/model"
)

// Tensor kinds of LayerSimilarity: which matrices of a layer are compared.
const (
	SimAll  = "all"  // q, k, v, o, gate, up, down
	SimAttn = "attn" // q_proj, k_proj, v_proj, o_proj
	SimMLP  = "mlp"  // gate_proj, up_proj, down_proj
)

// SimKinds lists the kinds in the order LayerSimilarity's result is usually shown.
var SimKinds = []string{SimAll, SimAttn, SimMLP}

// gram returns, per kind, the L×L matrix G[i][j] = Σ_t <W_t(i), W_t(j)> of dot products between the
// flattened matrices of layers i and j (t runs over the kind's tensors in layout order), in float64.
// The products of float32 values are exact in float64, and G[i][j] and G[j][i] are the same sums in
// the same order, so identical layers give bitwise-equal G[i][i] = G[i][j] = G[j][j].
func gram(cfg model.Config, params []float32) map[string][][]float64 {
	l := model.NewLayout(cfg)
	if len(params) != l.Size {
		panic(fmt.Sprintf("eval: %d params for a layout of %d (%d layers)", len(params), l.Size, cfg.NumLayers))
	}
	n := l.NumLayers()
	// Per layer, the matrices in layout order; the same index is the same tensor kind in every layer.
	mats := make([][]model.Tensor, n)
	for _, t := range l.Tensors {
		if t.Layer >= 0 && t.Kind == model.KindMatrix {
			mats[t.Layer] = append(mats[t.Layer], t)
		}
	}
	out := map[string][][]float64{}
	for _, k := range SimKinds {
		out[k] = square(n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			for k, ti := range mats[i] {
				tj := mats[j][k]
				d := dot64(params[ti.Offset:ti.Offset+ti.Size], params[tj.Offset:tj.Offset+tj.Size])
				kind := SimMLP
				if strings.Contains(ti.Name, ".self_attn.") {
					kind = SimAttn
				}
				out[kind][i][j] += d
				out[SimAll][i][j] += d
			}
			for _, g := range out {
				g[j][i] = g[i][j]
			}
		}
	}
	return out
}

// dot64 is Σ a[k]·b[k] accumulated in float64, in index order.
func dot64(a, b []float32) float64 {
	b = b[:len(a)]
	var s float64
	for k, x := range a {
		s += float64(x) * float64(b[k])
	}
	return s
}

func square(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

// cosine turns a Gram matrix into cosine similarities: S[i][j] = G[i][j] / √(G[i][i]·G[j][j]), clamped
// to [-1, 1]; NaN when either vector is zero (the cosine is undefined there).
func cosine(g [][]float64) [][]float64 {
	s := square(len(g))
	for i := range g {
		for j := range g {
			den := math.Sqrt(g[i][i] * g[j][j])
			if den == 0 {
				s[i][j] = math.NaN()
				continue
			}
			s[i][j] = math.Max(-1, math.Min(1, g[i][j]/den))
		}
	}
	return s
}

// LayerSimilarity returns, for each kind in SimKinds, the L×L matrix S[i][j] = cosine similarity
// between the flattened weight matrices of decoder layers i and j of a model with config cfg and flat
// parameters params (the layout of model.NewLayout(cfg)). SimAll compares all seven matrices of a
// layer (q, k, v, o, gate, up, down) concatenated; SimAttn only q, k, v, o; SimMLP only gate, up,
// down. The RMSNorm scales are excluded: they start at 1 in every layer and would make unrelated
// layers look alike. S is symmetric with S[i][i] = 1, and S[i][j] = 1 exactly when layer j is a
// bitwise copy of layer i (MIDAS growth before training); entries involving an all-zero layer are NaN.
// Computed in float64. len(params) ≠ the layout size is a caller bug and panics.
func LayerSimilarity(cfg model.Config, params []float32) map[string][][]float64 {
	out := map[string][][]float64{}
	for k, g := range gram(cfg, params) {
		out[k] = cosine(g)
	}
	return out
}

// BlockSimilarity returns the cosine similarity of every pair of blocks of `block` consecutive layers
// (all seven matrices of each layer of the block concatenated in layer order; norms excluded, as in
// LayerSimilarity): a (L/block)×(L/block) matrix. block = 1 gives LayerSimilarity's SimAll. It is an
// error if block < 1 or block does not divide the number of layers.
func BlockSimilarity(cfg model.Config, params []float32, block int) ([][]float64, error) {
	if block < 1 {
		return nil, fmt.Errorf("eval: block must be at least 1 layer, got %d", block)
	}
	if cfg.NumLayers%block != 0 {
		return nil, fmt.Errorf("eval: %d layers are not divisible into blocks of %d", cfg.NumLayers, block)
	}
	g := gram(cfg, params)[SimAll]
	nb := cfg.NumLayers / block
	gb := square(nb)
	// The concatenation of block I pairs its layer l with layer l of block J.
	for bi := range gb {
		for bj := range gb {
			for l := 0; l < block; l++ {
				gb[bi][bj] += g[bi*block+l][bj*block+l]
			}
		}
	}
	return cosine(gb), nil
}

// WriteSimilarityCSV writes the square matrix m as CSV to path (atomically): a header row with an
// empty corner cell and the labels, then one row per label with its values (%.6f; NaN as "NaN").
// len(labels) must equal len(m) and every row must have len(m) entries.
func WriteSimilarityCSV(path string, labels []string, m [][]float64) error {
	if len(m) == 0 {
		return fmt.Errorf("eval: %s: empty matrix", path)
	}
	if len(labels) != len(m) {
		return fmt.Errorf("eval: %s: %d labels for a %d×%d matrix", path, len(labels), len(m), len(m))
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(append([]string{""}, labels...))
	for i, row := range m {
		if len(row) != len(m) {
			return fmt.Errorf("eval: %s: matrix is not square: row %d has %d entries, want %d", path, i, len(row), len(m))
		}
		rec := []string{labels[i]}
		for _, v := range row {
			rec = append(rec, strconv.FormatFloat(v, 'f', 6, 64))
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("eval: %s: %v", path, err)
	}
	if err := ckpt.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// Similarity is what WriteSimilarity computed and wrote.
type Similarity struct {
	Written []string    // the files, in the order written
	Layers  [][]float64 // LayerSimilarity's SimAll
	Blocks  [][]float64 // BlockSimilarity's matrix; nil without blocks
}

// WriteSimilarity computes the layer similarity of a model with config cfg and flat parameters params
// (and, with block > 0, its block similarity) and writes PREFIX_layers.png, PREFIX_layers.csv,
// PREFIX_attn.png, PREFIX_mlp.png and, with blocks, PREFIX_blocks.png and PREFIX_blocks.csv, in that
// order; name ends each heatmap's title. The directory of prefix must exist: it is not created. A bad
// block or a missing directory is an error before anything is written.
func WriteSimilarity(prefix, name string, cfg model.Config, params []float32, block int) (Similarity, error) {
	var s Similarity
	if block != 0 {
		var err error
		if s.Blocks, err = BlockSimilarity(cfg, params, block); err != nil {
			return s, err
		}
	}
	if dir := filepath.Dir(prefix); !isDir(dir) {
		return s, fmt.Errorf("eval: --out: directory %s does not exist", dir)
	}
	sims := LayerSimilarity(cfg, params)
	s.Layers = sims[SimAll]
	labels := make([]string, cfg.NumLayers)
	for i := range labels {
		labels[i] = "L" + strconv.Itoa(i)
	}
	heat := func(suffix, title string, labels []string, m [][]float64) error {
		path := prefix + "_" + suffix + ".png"
		s.Written = append(s.Written, path)
		return Heatmap(path, fmt.Sprintf("%s — %s", title, name), labels, m, -1, 1)
	}
	csv := func(suffix string, labels []string, m [][]float64) error {
		path := prefix + "_" + suffix + ".csv"
		s.Written = append(s.Written, path)
		return WriteSimilarityCSV(path, labels, m)
	}
	steps := []func() error{
		func() error { return heat("layers", "Layer cosine similarity (all matrices)", labels, s.Layers) },
		func() error { return csv("layers", labels, s.Layers) },
		func() error { return heat("attn", "Layer cosine similarity (q, k, v, o)", labels, sims[SimAttn]) },
		func() error { return heat("mlp", "Layer cosine similarity (gate, up, down)", labels, sims[SimMLP]) },
	}
	if s.Blocks != nil {
		bl := blockLabels(len(s.Blocks), block)
		title := fmt.Sprintf("Block cosine similarity (%d layers per block)", block)
		steps = append(steps,
			func() error { return heat("blocks", title, bl, s.Blocks) },
			func() error { return csv("blocks", bl, s.Blocks) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return s, err
		}
	}
	return s, nil
}

// isDir reports whether path names an existing directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// blockLabels names n blocks of b layers by their layer range ("L0-1", "L2-3"; "L0", "L1" for b = 1).
func blockLabels(n, b int) []string {
	labels := make([]string, n)
	for i := range labels {
		labels[i] = fmt.Sprintf("L%d-%d", i*b, (i+1)*b-1)
		if b == 1 {
			labels[i] = "L" + strconv.Itoa(i)
		}
	}
	return labels
}

// Adjacency compares the mean off-diagonal similarity of neighbours (|i−j| = 1) with that of the
// other pairs (|i−j| > 1) of a similarity matrix; NaN entries (all-zero weights) are skipped.
type Adjacency struct {
	Adjacent, Far   float64 // the means; NaN when there is no such pair
	NAdjacent, NFar int     // the pairs averaged
}

// AdjacencyOf is the Adjacency of the square matrix s (its upper triangle).
func AdjacencyOf(s [][]float64) Adjacency {
	var adj, far []float64
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if math.IsNaN(s[i][j]) {
				continue
			}
			if j == i+1 {
				adj = append(adj, s[i][j])
			} else {
				far = append(far, s[i][j])
			}
		}
	}
	avg := func(xs []float64) float64 {
		if len(xs) == 0 {
			return math.NaN()
		}
		var sum float64
		for _, x := range xs {
			sum += x
		}
		return sum / float64(len(xs))
	}
	return Adjacency{Adjacent: avg(adj), Far: avg(far), NAdjacent: len(adj), NFar: len(far)}
}
