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
// and shots are FewShot's (seed, seed+1). The examples are scored together (rankLogProbs), bitwise
// as one at a time (rankTexts).
func Rank(d *Decoder, spec tasks.Spec, k, n int, seed uint64) (TaskResult, error) {
	qs, cands, rq, shots, err := rankQueries(d, spec, k, n, seed)
	if err != nil {
		return TaskResult{}, err
	}
	r := TaskResult{Name: spec.Name(), Total: n, Shots: shots}
	for i, lps := range d.rankLogProbs(rq) {
		r.add(cands[i][bestOf(lps)] == qs[i].Answer)
	}
	return r, nil
}

// rankQueries are Rank's examples of spec: the queries, their candidates, the candidates' texts and
// the fewest shots a prompt kept.
func rankQueries(d *Decoder, spec tasks.Spec, k, n int, seed uint64) ([]tasks.Example, [][]string, []rankQuery, int, error) {
	qs, prompts, shots, err := FewShotPrompts(d, spec, k, n, seed)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	rq := make([]rankQuery, len(qs))
	cands := make([][]string, len(qs))
	for i, q := range qs {
		if cands[i], err = tasks.Candidates(spec, q); err != nil {
			return nil, nil, nil, 0, err
		}
		texts := make([][]int32, len(cands[i]))
		from := len(d.Encode(prompts[i]))
		for j, c := range cands[i] {
			texts[j] = d.Encode(prompts[i] + q.WithAnswer(c).Completion() + "\n")
			from = min(from, commonPrefix(texts[j], texts[0]))
		}
		rq[i] = d.rankCut(texts, from)
	}
	return qs, cands, rq, shots, nil
}

// RankScores are Rank's scores of spec's examples — the log-probability of each example's every
// candidate — and the number of candidates and of tokens scored (summed into them); oneAtATime scores
// the examples one after the other (rankTexts) instead of together (bitwise the same scores), for
// benchmarks.
func RankScores(d *Decoder, spec tasks.Spec, k, n int, seed uint64, oneAtATime bool) (lps [][]float64, cands, tokens int, err error) {
	_, _, rq, _, err := rankQueries(d, spec, k, n, seed)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, q := range rq {
		cands += len(q.texts)
		for _, t := range q.texts {
			tokens += len(t) - q.from
		}
	}
	if !oneAtATime {
		return d.rankLogProbs(rq), cands, tokens, nil
	}
	lps = make([][]float64, len(rq))
	for i, q := range rq {
		lps[i] = d.rankTexts(q)
	}
	return lps, cands, tokens, nil
}

// RankPrimitives runs Rank over the standard suite.
func RankPrimitives(d *Decoder, k, n int, seed uint64) ([]TaskResult, error) {
	return suite(d, k, n, seed, Rank)
}

// rankQuery is one example of Rank: its candidates' texts and the first position scored (the tokens
// before it are the same in every text).
type rankQuery struct {
	texts [][]int32
	from  int
}

// held is what each candidate's cache holds before its own tokens go in: the shared tokens but the
// last, whose logits predict the first scored token.
func (q rankQuery) held() []int32 { return q.texts[0][:q.from-1] }

// rankCut is the query of texts scored from `from`, texts longer than the context keeping their last
// tokens (the same number cut from each).
func (d *Decoder) rankCut(texts [][]int32, from int) rankQuery {
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
	return rankQuery{texts, from}
}

// bestOf is the index of the highest log-probability, the first of equals.
func bestOf(lps []float64) int {
	best := 0
	for i, lp := range lps {
		if lp > lps[best] {
			best = i
		}
	}
	return best
}

// rankTexts returns the log-probability of each of q's texts from q.from on, one query at a time:
// the shared prefix runs once through the decoder's cache, and every text continues in a cache that
// shares it, all of them through one ExtendBatch returning the logits of every position. It is the
// reference rankLogProbs is tested against.
func (d *Decoder) rankTexts(q rankQuery) []float64 {
	d.hold(q.held())
	d.poolCaches(len(q.texts))
	caches, feed := make([]*model.Cache, len(q.texts)), make([][]int32, len(q.texts))
	for i, t := range q.texts {
		d.group[i].Share(d.cache, q.from-1)
		caches[i], feed[i] = d.group[i], t[q.from-1:len(t)-1]
	}
	sc := d.packedScratch()
	sc.All = true
	defer func() { sc.All = false }()
	lps := make([]float64, len(q.texts))
	for i, l := range d.M.ExtendBatch(sc, caches, feed) {
		lps[i] = textLogProb(l, q.texts[i][q.from:], d.M.Cfg.VocabSize)
	}
	return lps
}

// textLogProb is Σ log softmax(logits row r)[toks[r]], rows of V logits.
func textLogProb(logits []float32, toks []int32, V int) float64 {
	lp := 0.0
	for r, tok := range toks {
		lp += logSoftmaxAt(logits[r*V:(r+1)*V], tok)
	}
	return lp
}

// poolCaches makes d.group hold at least n caches.
func (d *Decoder) poolCaches(n int) {
	for len(d.group) < n {
		d.group = append(d.group, d.M.NewCache(d.cache.Max()))
	}
}

// rankLogProbs is rankTexts for every query, bitwise, with the work batched: the tokens all the
// queries hold in common (the shots) run once, in the decoder's cache; then, for as many queries at
// a time as CompleteBatch decodes caches (a base and a cache per candidate each), every query's
// base cache takes those positions (copied, unless it holds them from the previous queries) and the
// queries' own held tokens go through the model together, and then every candidate of every query
// continues in a cache sharing its query's base, all through ExtendBatch together.
func (d *Decoder) rankLogProbs(qs []rankQuery) [][]float64 {
	out := make([][]float64, len(qs))
	if len(qs) == 0 {
		return out
	}
	p := len(qs[0].held())
	for _, q := range qs[1:] {
		p = min(p, commonPrefix(qs[0].held(), q.held()))
	}
	d.hold(qs[0].held()[:p])
	g := d.groupSize()
	for lo := 0; lo < len(qs); {
		hi, n := lo, 0
		for hi < len(qs) && (hi == lo || n+1+len(qs[hi].texts) <= g) {
			n += 1 + len(qs[hi].texts)
			hi++
		}
		d.rankRun(qs[lo:hi], p, out[lo:hi])
		lo = hi
	}
	return out
}

// rankRun scores the queries qs into out (rankLogProbs), the decoder's cache holding the first p
// tokens every query holds.
func (d *Decoder) rankRun(qs []rankQuery, p int, out [][]float64) {
	cands := 0
	for _, q := range qs {
		cands += len(q.texts)
	}
	if len(d.group)+len(d.bases) > d.groupSize() { // the pools stay within one run's caches
		d.group, d.bases = d.group[:min(cands, len(d.group))], d.bases[:min(len(qs), len(d.bases))]
	}
	for len(d.bases) < len(qs) {
		d.bases = append(d.bases, &prefixCache{c: d.M.NewCache(d.cache.Max())})
	}
	var caches []*model.Cache
	var feed [][]int32
	for i, q := range qs {
		b, h := d.bases[i], q.held()
		if min(commonPrefix(h, b.toks), b.c.Len) < p {
			b.c.CopyPrefix(d.cache, p)
			b.toks = append(b.toks[:0], h[:p]...)
		}
		if tail := b.keep(h); len(tail) > 0 {
			caches, feed = append(caches, b.c), append(feed, tail)
		}
	}
	if len(caches) > 0 {
		d.extendRows(caches, feed, func(int, []float32) {})
	}
	d.poolCaches(cands)
	caches, feed = caches[:0], feed[:0]
	var who [][2]int // cache k scores text who[k][1] of query who[k][0]
	for i, q := range qs {
		out[i] = make([]float64, len(q.texts))
		for j, t := range q.texts {
			c := d.group[len(caches)]
			c.Share(d.bases[i].c, q.from-1)
			caches, feed, who = append(caches, c), append(feed, t[q.from-1:len(t)-1]), append(who, [2]int{i, j})
		}
	}
	d.sc.All = true
	defer func() { d.sc.All = false }()
	V := d.M.Cfg.VocabSize
	d.extendRows(caches, feed, func(k int, logits []float32) {
		i, j := who[k][0], who[k][1]
		out[i][j] = textLogProb(logits, qs[i].texts[j][qs[i].from:], V)
	})
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
