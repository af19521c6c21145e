package bench

import (
	"fmt"
	"math"
	"time"

	"midas/internal/data"
	"midas/internal/eval"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/tasks"
	"midas/internal/tok"
)

// EvalOptions configure the evaluation benchmark: k-shot prompts of every primitive, decoded greedily.
type EvalOptions struct {
	Model   model.Config
	Threads int
	N       int // queries per primitive
	Shots   int // shots per prompt
}

// EvalResult is one run of Eval: the same prompts decoded one at a time and batched, and the same
// examples scored by ranking their candidate answers one at a time and together.
type EvalResult struct {
	Prompts, PromptTokens, Generated int     // prompts, their tokens, and about the tokens generated (the answers re-encoded, +1 each for the stop)
	OneS, BatchS                     float64 // seconds, one at a time and batched
	RankCands, RankTokens            int     // ranked scoring: the candidates, and the tokens scored
	RankOneS, RankBatchS             float64 // its seconds, one example at a time and batched
}

// Eval times the k-shot decoding of o.N queries of each suite primitive (the work of eval and of a
// study's k-shot protocol) on a random model with noisy weights — one prompt at a time as the decoder
// did before batching, and batched (Decoder.CompleteBatch) — and requires the same answers from both;
// then the ranked scoring of the same queries (eval.RankScores, a study's -rank protocols) one
// example at a time and batched, requiring the same scores bit for bit.
func Eval(o EvalOptions) (EvalResult, error) {
	kern.SetThreads(o.Threads)
	// The tokenizer learns from the synthetic world's prose and the primitives' own text.
	docs := data.NewWorld(1).Corpus(data.Train, 1<<20)
	for _, ex := range tasks.Mixture(600, 1) {
		docs = append(docs, ex.Solved()+"\n\n")
	}
	tk, err := tok.Train(docs, o.Model.VocabSize)
	if err != nil {
		return EvalResult{}, fmt.Errorf("bench: --eval: %v", err)
	}
	cfg := o.Model
	cfg.VocabSize = tk.VocabSize()
	m, err := model.New(cfg)
	if err != nil {
		return EvalResult{}, err
	}
	m.InitWeights(1)
	r := model.NewRNG(2)
	for i := range m.Params {
		m.Params[i] += float32(r.Normal() * 0.05)
	}
	d := eval.NewDecoder(m, tk)
	var prompts [][]int32
	var res EvalResult
	for _, spec := range tasks.Suite() {
		_, texts, _, err := eval.FewShotPrompts(d, spec, o.Shots, o.N, 7)
		if err != nil {
			return res, err
		}
		for _, t := range texts {
			ids := d.Encode(t)
			prompts = append(prompts, ids)
			res.PromptTokens += len(ids)
		}
	}
	res.Prompts = len(prompts)
	t0 := time.Now()
	one := make([]string, len(prompts))
	for i, p := range prompts {
		one[i] = d.Complete(p, 8)
	}
	res.OneS = time.Since(t0).Seconds()
	t0 = time.Now()
	batch := eval.NewDecoder(m, tk).CompleteBatch(prompts, 8)
	res.BatchS = time.Since(t0).Seconds()
	for i := range one {
		if one[i] != batch[i] {
			return res, fmt.Errorf("bench: --eval: prompt %d: batched %q, one at a time %q", i, batch[i], one[i])
		}
		res.Generated += len(tk.Encode(one[i])) + 1 // its tokens, and the newline or EOT that ended it
	}
	return res, evalRanked(&res, m, tk, o)
}

// evalRanked times the ranked scoring of Eval's queries, one example at a time and batched, each
// way on a decoder of its own.
func evalRanked(res *EvalResult, m *model.Model, tk *tok.Tokenizer, o EvalOptions) error {
	one, batch := eval.NewDecoder(m, tk), eval.NewDecoder(m, tk)
	for _, spec := range tasks.Suite() {
		t0 := time.Now()
		want, cands, tokens, err := eval.RankScores(one, spec, o.Shots, o.N, 7, true)
		if err != nil {
			return err
		}
		res.RankOneS += time.Since(t0).Seconds()
		t0 = time.Now()
		got, _, _, err := eval.RankScores(batch, spec, o.Shots, o.N, 7, false)
		if err != nil {
			return err
		}
		res.RankBatchS += time.Since(t0).Seconds()
		res.RankCands, res.RankTokens = res.RankCands+cands, res.RankTokens+tokens
		for i := range want {
			for j := range want[i] {
				if math.Float64bits(got[i][j]) != math.Float64bits(want[i][j]) {
					return fmt.Errorf("bench: --eval: %s example %d candidate %d: ranked together %v, one at a time %v",
						spec.Name(), i, j, got[i][j], want[i][j])
				}
			}
		}
	}
	return nil
}
