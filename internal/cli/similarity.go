package cli

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"midas/internal/eval"
	"midas/internal/stats"
	"midas/internal/train"
)

func runSimilarity(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("similarity", "--ckpt DIR [--block B] [--out PREFIX]", stderr)
	dir := fs.String("ckpt", "", "checkpoint directory (HF Llama: config.json + model.safetensors)")
	block := fs.Int("block", 0, "also compare blocks of B consecutive layers (B must divide the layers)")
	out := fs.String("out", "", "prefix of the files written (default DIR/similarity)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if setFlags(fs)["block"] && *block < 1 {
		return fmt.Errorf("--block must be at least 1 layer, got %d", *block)
	}
	prefix := *out
	if prefix == "" {
		prefix = filepath.Join(*dir, "similarity")
	}
	m, err := train.LoadModel(*dir, 0)
	if err != nil {
		return err
	}
	n := m.Cfg.NumLayers
	// Check the block before writing anything, so a bad --block leaves no partial output.
	var blocks [][]float64
	if *block > 0 {
		if blocks, err = eval.BlockSimilarity(m.Cfg, m.Params, *block); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return err
	}
	sims := eval.LayerSimilarity(m.Cfg, m.Params)
	layerLabels := make([]string, n)
	for i := range layerLabels {
		layerLabels[i] = "L" + strconv.Itoa(i)
	}
	name := filepath.Base(filepath.Clean(*dir))
	var written []string
	heat := func(suffix, title string, labels []string, s [][]float64) error {
		path := prefix + "_" + suffix + ".png"
		written = append(written, path)
		return eval.Heatmap(path, fmt.Sprintf("%s — %s", title, name), labels, s, -1, 1)
	}
	csv := func(suffix string, labels []string, s [][]float64) error {
		path := prefix + "_" + suffix + ".csv"
		written = append(written, path)
		return eval.WriteSimilarityCSV(path, labels, s)
	}
	steps := []func() error{
		func() error {
			return heat("layers", "Layer cosine similarity (all matrices)", layerLabels, sims[eval.SimAll])
		},
		func() error { return csv("layers", layerLabels, sims[eval.SimAll]) },
		func() error {
			return heat("attn", "Layer cosine similarity (q, k, v, o)", layerLabels, sims[eval.SimAttn])
		},
		func() error {
			return heat("mlp", "Layer cosine similarity (gate, up, down)", layerLabels, sims[eval.SimMLP])
		},
	}
	if blocks != nil {
		b := *block
		blockLabels := make([]string, len(blocks))
		for i := range blockLabels {
			blockLabels[i] = fmt.Sprintf("L%d-%d", i*b, (i+1)*b-1)
			if b == 1 {
				blockLabels[i] = "L" + strconv.Itoa(i)
			}
		}
		title := fmt.Sprintf("Block cosine similarity (%d layers per block)", b)
		steps = append(steps,
			func() error { return heat("blocks", title, blockLabels, blocks) },
			func() error { return csv("blocks", blockLabels, blocks) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	for _, p := range written {
		fmt.Fprintln(stdout, "wrote", p)
	}
	fmt.Fprintln(stdout, "layers: "+adjacencySummary(sims[eval.SimAll]))
	if blocks != nil {
		fmt.Fprintln(stdout, "blocks: "+adjacencySummary(blocks))
	}
	return nil
}

// adjacencySummary compares the mean off-diagonal similarity of neighbours (|i−j| = 1) with that of
// the other pairs (|i−j| > 1); NaN entries (all-zero weights) are skipped.
func adjacencySummary(s [][]float64) string {
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
	mean := func(xs []float64) string {
		if len(xs) == 0 {
			return "n/a"
		}
		return strconv.FormatFloat(stats.Mean(xs), 'f', 4, 64)
	}
	return fmt.Sprintf("mean similarity of adjacent pairs %s (%d), of non-adjacent pairs %s (%d)",
		mean(adj), len(adj), mean(far), len(far))
}
