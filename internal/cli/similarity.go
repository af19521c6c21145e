package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"midas/internal/eval"
	"midas/internal/train"
)

func runSimilarity(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("similarity", "--ckpt DIR [--block B] [--out PREFIX]", stderr)
	dir := fs.String("ckpt", "", "checkpoint directory (HF Llama: config.json + model.safetensors)")
	block := fs.Int("block", 0, "also compare blocks of B consecutive layers (B must divide the layers)")
	out := fs.String("out", "", "prefix of the files written (default DIR/similarity; its directory must exist)")
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
	cfg, params := m.Unrolled() // a looped checkpoint is compared at its depth, repetitions included
	s, err := eval.WriteSimilarity(prefix, filepath.Base(filepath.Clean(*dir)), cfg, params, *block)
	if err != nil {
		return err
	}
	for _, p := range s.Written {
		fmt.Fprintln(stdout, "wrote", p)
	}
	fmt.Fprintln(stdout, "layers: "+adjacencySummary(eval.AdjacencyOf(s.Layers)))
	if s.Blocks != nil {
		fmt.Fprintln(stdout, "blocks: "+adjacencySummary(eval.AdjacencyOf(s.Blocks)))
	}
	return nil
}

// adjacencySummary prints an Adjacency: each mean to 4 decimals ("n/a" without pairs) and its count.
func adjacencySummary(a eval.Adjacency) string {
	mean := func(x float64, n int) string {
		if n == 0 {
			return "n/a"
		}
		return strconv.FormatFloat(x, 'f', 4, 64)
	}
	return fmt.Sprintf("mean similarity of adjacent pairs %s (%d), of non-adjacent pairs %s (%d)",
		mean(a.Adjacent, a.NAdjacent), a.NAdjacent, mean(a.Far, a.NFar), a.NFar)
}
