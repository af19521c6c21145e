package eval

import (
	"math"

	"midas/internal/data"
	"midas/internal/model"
	"midas/internal/tok"
)

// Options choose what Run measures.
type Options struct {
	Shots    int         // k of the k-shot prompts (5)
	N        int         // held-out examples per task
	Seed     uint64      // of the held-out queries
	Val      [][]int32   // validation batches [B][seq+1]; none: no loss
	World    *data.World // the synthetic world, for its held-out questions; nil: skipped
	Finetune int         // > 0: also run the fine-tuning protocol on this many examples
	// FinetuneWith overrides the protocol's defaults when its Examples > 0 (Finetune is then ignored).
	FinetuneWith FinetuneOptions
	// Rank scores the primitives by ranking their candidate answers (RankPrimitives) instead of
	// greedy exact match, k-shot and after fine-tuning.
	Rank bool
}

// Report is everything Run measured.
type Report struct {
	ValLoss  float64          `json:"val_loss"` // NaN when there is no validation text
	ValPPL   float64          `json:"val_ppl"`
	Tasks    []TaskResult     `json:"tasks"`
	Finetune []FinetuneResult `json:"finetune,omitempty"`
}

// Run evaluates m: validation loss and perplexity, k-shot accuracy on every primitive and, with a
// world, on its held-out questions; optionally the fine-tuning protocol.
func Run(m *model.Model, tk *tok.Tokenizer, o Options) (Report, error) {
	r := Report{ValLoss: m.MeanLoss(o.Val, m.Cfg.SeqLen)}
	r.ValPPL = math.Exp(r.ValLoss)
	d := NewDecoder(m, tk)
	var err error
	score := Scorer(Primitives)
	if o.Rank {
		score = RankPrimitives
	}
	if r.Tasks, err = score(d, o.Shots, o.N, o.Seed); err != nil {
		return r, err
	}
	if o.World != nil {
		qa, err := QA(d, o.World, o.Shots, o.N, o.Seed)
		if err != nil {
			return r, err
		}
		r.Tasks = append(r.Tasks, qa...)
	}
	fo := DefaultFinetune(o.Finetune)
	if o.FinetuneWith.Examples > 0 {
		fo = o.FinetuneWith
	}
	if fo.Examples > 0 {
		if r.Finetune, err = Finetune(m, tk, fo, o.Shots, o.N, o.Seed, score); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Acc returns the accuracy of the named task in the report, or NaN.
func (r Report) Acc(name string) float64 {
	for _, t := range r.Tasks {
		if t.Name == name {
			return t.Acc
		}
	}
	return math.NaN()
}
