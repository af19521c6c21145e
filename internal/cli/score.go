package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"midas/internal/objective"
)

func runScore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score", "--ckpt DIR --tokens FILE.json [--repeat-middle BxR] [--prefix N]", stderr)
	dir := fs.String("ckpt", "", "checkpoint directory (HF Llama: config.json + model.safetensors)")
	tokFile := fs.String("tokens", "", "JSON list of token-id lists")
	repeat := fs.String("repeat-middle", "", repeatUsage)
	prefix := fs.Int("prefix", 0, "positions 0..N-1 of every list attend to each other (prefix LM) and the loss covers tokens N.. only (0: causal)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || *tokFile == "" {
		fs.Usage()
		return errUsage
	}
	if *prefix < 0 {
		return fmt.Errorf("--prefix must not be negative, got %d", *prefix)
	}
	lists, err := readTokenLists(*tokFile)
	if err != nil {
		return err
	}
	for i, l := range lists {
		if *prefix >= len(l) {
			return fmt.Errorf("%s: list %d has %d tokens; --prefix %d needs at least %d", *tokFile, i, len(l), *prefix, *prefix+1)
		}
	}
	longest := 0
	for _, l := range lists {
		longest = max(longest, len(l)-1)
	}
	m, err := loadRepeated(*dir, longest, *repeat, stderr)
	if err != nil {
		return err
	}
	for i, l := range lists {
		for _, id := range l {
			if id < 0 || int(id) >= m.Cfg.VocabSize {
				return fmt.Errorf("%s: list %d: token id %d is outside the vocabulary [0, %d)", *tokFile, i, id, m.Cfg.VocabSize)
			}
		}
	}
	var bt objective.Batch
	var sum float64
	for i, l := range lists {
		objective.Causal{}.Make(&bt, l, 1, len(l)-1, uint64(i))
		bt.Prefix[0] = *prefix // tokens prefix.. are predicted at positions prefix−1..
		bt.LossFrom(0, *prefix)
		sum += float64(m.LossBatch(&bt))
	}
	fmt.Fprintf(stdout, "loss %.6f\n", sum/float64(len(lists)))
	return nil
}

// readTokenLists reads a JSON list of lists of token ids; every list needs at least two tokens.
func readTokenLists(path string) ([][]int32, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lists [][]int32
	if err := json.Unmarshal(raw, &lists); err != nil {
		return nil, fmt.Errorf("%s: not a JSON list of token-id lists: %v", path, err)
	}
	if len(lists) == 0 {
		return nil, errors.New(path + ": no token lists")
	}
	for i, l := range lists {
		if len(l) < 2 {
			return nil, fmt.Errorf("%s: list %d has %d tokens; scoring needs at least 2", path, i, len(l))
		}
	}
	return lists, nil
}
