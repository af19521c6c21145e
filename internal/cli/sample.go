package cli

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"

	"midas/internal/model"
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
	if *temp < 0 || *topK < 0 || *n < 0 {
		return fmt.Errorf("--temperature, --top-k and --tokens must not be negative")
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
	Generate(m, ids, *n, *temp, *topK, *seed, tk.EOT(), func(id int32) { fmt.Fprint(stdout, tk.Decode([]int32{id})) })
	fmt.Fprintln(stdout)
	return nil
}

// Generate extends ids by up to n tokens sampled from m (temperature 0: greedy), stopping at stop, and
// calls emit for each new token. It decodes with a KV cache; when the context (SeqLen) is full, the cache
// is rebuilt from the last half of the tokens.
func Generate(m *model.Model, ids []int32, n int, temp float64, topK int, seed uint64, stop int32, emit func(int32)) []int32 {
	r := model.NewRNG(seed)
	v := m.Cfg.VocabSize
	probs := make([]float64, v)
	order := make([]int, v)
	c := m.NewCache(m.Cfg.SeqLen)
	ctx := ids[max(0, len(ids)-m.Cfg.SeqLen):]
	logits := m.Extend(c, ctx)
	for i := 0; i < n; i++ {
		next := pick(logits, probs, order, temp, topK, r)
		if next == stop {
			break
		}
		ids = append(ids, next)
		emit(next)
		if c.Len == c.Max() {
			c.Truncate(0)
			logits = m.Extend(c, ids[len(ids)-m.Cfg.SeqLen/2:])
			continue
		}
		logits = m.Extend(c, []int32{next})
	}
	return ids
}

// pick draws a token from logits with temperature and top-k (greedy when temp is 0).
func pick(logits []float32, probs []float64, order []int, temp float64, topK int, r *model.RNG) int32 {
	best := 0
	for i, l := range logits {
		if l > logits[best] {
			best = i
		}
	}
	if temp == 0 {
		return int32(best)
	}
	for i := range order {
		order[i] = i
	}
	k := len(logits)
	if topK > 0 && topK < k {
		sort.Slice(order, func(a, b int) bool { return logits[order[a]] > logits[order[b]] })
		k = topK
	}
	var sum float64
	for _, i := range order[:k] {
		probs[i] = math.Exp((float64(logits[i]) - float64(logits[best])) / temp)
		sum += probs[i]
	}
	u := r.Float64() * sum
	for _, i := range order[:k] {
		if u -= probs[i]; u <= 0 {
			return int32(i)
		}
	}
	return int32(order[k-1])
}
