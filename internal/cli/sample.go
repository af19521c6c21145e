package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"midas/internal/eval"
	"midas/internal/tok"
	"midas/internal/train"
)

func runSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sample", "--ckpt DIR [--prompt TEXT] [flags]", stderr)
	dir := fs.String("ckpt", "", "checkpoint directory (with tokenizer.json)")
	prompt := fs.String("prompt", "", "text to continue (default: start of a document)")
	n := fs.Int("tokens", 200, "tokens to generate")
	temp := fs.Float64("temperature", 0.8, "sampling temperature (0: greedy)")
	topK := fs.Int("top-k", 40, "sample among the k most likely tokens (0: all)")
	seed := fs.Uint64("seed", 1, "sampling seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		fs.Usage()
		return errUsage
	}
	var c flagChecks
	c.nonNegativeF("temperature", *temp)
	c.nonNegative("top-k", *topK)
	c.nonNegative("tokens", *n)
	if err := c.err(); err != nil {
		return err
	}
	tk, err := tok.Load(filepath.Join(*dir, train.FileTokenizer))
	if err != nil {
		return err
	}
	m, err := train.LoadModel(*dir, 0)
	if err != nil {
		return err
	}
	ids := append([]int32{tk.EOT()}, tk.Encode(*prompt)...)
	fmt.Fprint(stdout, *prompt)
	s := eval.NewSampler(m.Cfg.VocabSize, *temp, *topK, *seed)
	eval.Generate(m, s, ids, *n, tk.EOT(), func(id int32) { fmt.Fprint(stdout, tk.Decode([]int32{id})) })
	fmt.Fprintln(stdout)
	return nil
}
