package eval

import (
	"math"

	"midas/internal/model"
	"midas/internal/tasks"
)

// Rank scores n held-out examples of a primitive by ranking its candidate answers
// (tasks.Candidates) instead of decoding: each candidate's text — the k-shot prompt, the candidate's
// completion and the newline that ends a shot — is scored by its log-probability after the part all
// candidates share, and the example is a hit when the answer scores highest (the first of equals).
// Unlike greedy exact match it cannot fail on format: its chance level is one over the candidates,
// and it measures which answer the model prefers even when it would not write any of them. Queries
// and shots are FewShot's (seed, seed+1).
func Rank(d *Decoder, spec tasks.Spec, k, n int, seed uint64) (TaskResult, error) {
	qs, prompts, shots, err := FewShotPrompts(d, spec, k, n, seed)
	if err != nil {
		return TaskResult{}, err
	}
	r := TaskResult{Name: spec.Name(), Total: n, Shots: shots}
	for i, q := range qs {
		cands, err := tasks.Candidates(spec, q)
		if err != nil {
			return TaskResult{}, err
		}
		texts := make([][]int32, len(cands))
		from := len(d.Encode(prompts[i]))
		for j, c := range cands {
			texts[j] = d.Encode(prompts[i] + q.WithAnswer(c).Completion() + "\n")
			from = min(from, commonPrefix(texts[j], texts[0]))
		}
		r.add(cands[d.rankTexts(texts, from)] == q.Answer)
	}
	return r, nil
}

// RankPrimitives runs Rank over the standard suite.
func RankPrimitives(d *Decoder, k, n int, seed uint64) ([]TaskResult, error) {
	return suite(d, k, n, seed, Rank)
}

// rankTexts returns the index of the text whose tokens from `from` on have the highest
// log-probability after the shared tokens before (the first of equals). The shared prefix runs once
// through the decoder's cache; every text continues in a cache of its own copied from it, all of them
// through one ExtendBatch that returns the logits of every position. Texts longer than the context
// keep their last tokens (the same number cut from each).
func (d *Decoder) rankTexts(texts [][]int32, from int) int {
	long := 0
	for _, t := range texts {
		long = max(long, len(t))
	}
	if over := long - d.cache.Max(); over > 0 {
		cut := make([][]int32, len(texts))
		for i, t := range texts {
			cut[i] = t[min(over, len(t)-1):]
		}
		texts, from = cut, max(from-over, 1)
	}
	d.hold(texts[0][:from-1])
	for len(d.group) < len(texts) {
		d.group = append(d.group, d.M.NewCache(d.cache.Max()))
	}
	caches, feed := make([]*model.Cache, len(texts)), make([][]int32, len(texts))
	for i, t := range texts {
		d.group[i].Share(d.cache, from-1)
		caches[i], feed[i] = d.group[i], t[from-1:len(t)-1]
	}
	d.rank.All = true
	if !d.rankPacked {
		d.rank.Pack(d.M)
		d.rankPacked = true
	}
	logits := d.M.ExtendBatch(&d.rank, caches, feed)
	V := d.M.Cfg.VocabSize
	best, bestLP := 0, math.Inf(-1)
	for i, t := range texts {
		lp := 0.0
		for r, tok := range t[from:] {
			lp += logSoftmaxAt(logits[i][r*V:(r+1)*V], tok)
		}
		if lp > bestLP {
			best, bestLP = i, lp
		}
	}
	return best
}

// logSoftmaxAt is log softmax(logits)[t], in float64.
func logSoftmaxAt(logits []float32, t int32) float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = max(m, float64(v))
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v) - m)
	}
	return float64(logits[t]) - m - math.Log(sum)
}
