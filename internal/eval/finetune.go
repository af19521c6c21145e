package eval

import (
	"midas/internal/model"
	"midas/internal/objective"
	"midas/internal/optim"
	"midas/internal/splitmix"
	"midas/internal/stats"
	"midas/internal/tasks"
	"midas/internal/tok"
)

// FinetuneOptions configure the fine-tuning protocol (SPEC §4): fine-tune a copy of the model on
// Examples examples of the primitive mixture, evaluate on held-out examples, repeat for Seeds seeds.
type FinetuneOptions struct {
	Examples int     // training examples from tasks.Mixture (64)
	Seeds    int     // independent repetitions (3)
	Epochs   int     // passes over the examples (4)
	Batch    int     // examples per AdamW step (8)
	LR       float64 // peak learning rate (5e-4)
	// Warmup > 0 warms the rate up linearly over that many steps and then decays it by a cosine to
	// LR/10 at the last step; 0 keeps LR constant (the default protocol).
	Warmup int
	// PromptLoss trains on every token of each solved example (prompt, answer and newline), not
	// only on the answer: the prompt's own structure (the copied piece, the references to earlier
	// variables) then teaches the lookup the answer needs.
	PromptLoss bool
}

// DefaultFinetune is the protocol's default.
func DefaultFinetune(examples int) FinetuneOptions {
	return FinetuneOptions{Examples: examples, Seeds: 3, Epochs: 4, Batch: 8, LR: 5e-4}
}

// Scorer scores the suite of primitives on a decoder: Primitives or RankPrimitives.
type Scorer func(d *Decoder, k, n int, seed uint64) ([]TaskResult, error)

// FinetuneResult is one task's accuracy after fine-tuning, over seeds.
type FinetuneResult struct {
	Name string    `json:"name"`
	Mean float64   `json:"mean"`
	Std  float64   `json:"std"` // sample standard deviation over seeds (0 for one seed)
	Accs []float64 `json:"accs"`
}

// Finetune runs the protocol: for each seed s, a copy of m is trained on tasks.Mixture(Examples, seed+s)
// — loss on the answer and its newline only, or on the whole example with PromptLoss — with AdamW (no weight decay), then scored k-shot on n
// held-out examples of every suite task (queries from seed+1000+s, never the training mixture's stream).
// m itself is not modified.
//
// score runs the primitives on each fine-tuned copy: Primitives (greedy exact match) or RankPrimitives.
func Finetune(m *model.Model, tk *tok.Tokenizer, o FinetuneOptions, k, n int, seed uint64, score Scorer) ([]FinetuneResult, error) {
	byName := map[string][]float64{}
	var names []string
	for s := 0; s < o.Seeds; s++ {
		c, err := FinetuneCopy(m, tk, o, seed+uint64(s))
		if err != nil {
			return nil, err
		}
		res, err := score(NewDecoder(c, tk), k, n, seed+1000+uint64(s))
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			if _, ok := byName[r.Name]; !ok {
				names = append(names, r.Name)
			}
			byName[r.Name] = append(byName[r.Name], r.Acc)
		}
	}
	out := make([]FinetuneResult, 0, len(names))
	for _, name := range names {
		mean, std := stats.MeanStd(byName[name])
		out = append(out, FinetuneResult{Name: name, Mean: mean, Std: std, Accs: byName[name]})
	}
	return out, nil
}

// FinetuneCopy returns a copy of m (with m's layer map) fine-tuned on tasks.Mixture(o.Examples,
// seed) as the protocol does for one seed; m is not modified.
func FinetuneCopy(m *model.Model, tk *tok.Tokenizer, o FinetuneOptions, seed uint64) (*model.Model, error) {
	c, err := model.NewMapped(m.Cfg, m.Layout.Map)
	if err != nil {
		return nil, err
	}
	copy(c.Params, m.Params)
	finetuneCopy(c, tk, tasks.Mixture(o.Examples, seed), o, seed)
	return c, nil
}

// finetuneCopy trains c in place on the examples, visiting them in a seeded order each epoch. Each
// example is one causal window whose loss starts at the answer (objective.Batch.LossFrom).
func finetuneCopy(c *model.Model, tk *tok.Tokenizer, exs []tasks.Example, o FinetuneOptions, seed uint64) {
	type seq struct {
		window []int32 // EOT, prompt, answer, newline: at most SeqLen+1 tokens
		start  int     // the answer's first token in window
	}
	var seqs []seq
	for _, ex := range exs {
		prompt := append([]int32{tk.EOT()}, tk.Encode(ex.Prompt)...)
		full := append([]int32{tk.EOT()}, tk.Encode(ex.Solved()+"\n")...)
		if len(full) > c.Cfg.SeqLen+1 {
			full = full[len(full)-c.Cfg.SeqLen-1:]
			prompt = nil
		}
		// The answer starts where the joint tokenization leaves the prompt's own tokens.
		start := 0
		if o.PromptLoss {
			prompt = nil // the loss then starts at the first token after EOT
		}
		for start < len(prompt) && start < len(full) && prompt[start] == full[start] {
			start++
		}
		seqs = append(seqs, seq{full, start})
	}
	adam := optim.AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8}
	mom1, mom2 := make([]float32, len(c.Params)), make([]float32, len(c.Params))
	r := model.NewRNG(seed ^ 0x5eed)
	step := 0
	sched := optim.Schedule{Kind: optim.Constant, Peak: o.LR, Total: 1}
	if o.Warmup > 0 {
		total := o.Epochs * ((len(seqs) + o.Batch - 1) / o.Batch)
		sched = optim.Schedule{Kind: optim.Cosine, Peak: o.LR, Min: o.LR / 10, Warmup: min(o.Warmup, total), Total: max(total, 1)}
	}
	var bt objective.Batch
	// The weights are fixed between two updates: every example of a step reuses one packing of them.
	defer c.DropPacks()
	for e := 0; e < o.Epochs; e++ {
		order := make([]int, len(seqs))
		for i := range order {
			order[i] = i
		}
		splitmix.Shuffle(&r.Source, order)
		for lo := 0; lo < len(order); lo += o.Batch {
			batch := order[lo:min(lo+o.Batch, len(order))]
			c.ZeroGrads()
			c.PackWeights(true)
			for _, i := range batch {
				s := seqs[i]
				objective.Causal{}.Make(&bt, s.window, 1, len(s.window)-1, uint64(i))
				bt.LossFrom(0, s.start)
				c.LossBatch(&bt)
				c.Backward(1 / float32(len(batch)))
			}
			adam.Update(c.Params, c.Grads, mom1, mom2, 0, len(c.Params), false, sched.LR(step), step+1)
			step++
		}
	}
}
