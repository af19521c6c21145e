package eval

import (
	"math"
	"sort"

	"midas/internal/model"
)

// Sampler draws tokens from logits with a temperature (0: greedy) among the top-k most likely (0: all).
type Sampler struct {
	Temp  float64
	TopK  int
	rng   *model.RNG
	probs []float64
	order []int
}

// NewSampler makes a sampler for a vocabulary of v tokens, seeded.
func NewSampler(v int, temp float64, topK int, seed uint64) *Sampler {
	return &Sampler{Temp: temp, TopK: topK, rng: model.NewRNG(seed), probs: make([]float64, v), order: make([]int, v)}
}

// Generate extends ids by up to n tokens sampled from m, stopping at stop, and calls emit for each new
// token. It decodes with a KV cache; when the context (SeqLen) is full, the cache is rebuilt from the
// last half of the tokens.
func Generate(m *model.Model, s *Sampler, ids []int32, n int, stop int32, emit func(int32)) []int32 {
	c := m.NewCache(m.Cfg.SeqLen)
	ctx := ids[max(0, len(ids)-m.Cfg.SeqLen):]
	logits := m.Extend(c, ctx)
	for i := 0; i < n; i++ {
		next := s.Pick(logits)
		if next == stop {
			break
		}
		ids = append(ids, next)
		emit(next)
		if c.Len == c.Max() {
			c.Truncate(0)
			logits = m.Extend(c, ids[len(ids)-max(m.Cfg.SeqLen/2, 1):])
			continue
		}
		logits = m.Extend(c, []int32{next})
	}
	return ids
}

// Pick draws a token from logits (greedy when Temp is 0).
func (s *Sampler) Pick(logits []float32) int32 {
	best := argmax(logits)
	if s.Temp == 0 {
		return best
	}
	order := s.order[:len(logits)]
	for i := range order {
		order[i] = i
	}
	k := len(logits)
	if s.TopK > 0 && s.TopK < k {
		sort.Slice(order, func(a, b int) bool { return logits[order[a]] > logits[order[b]] })
		k = s.TopK
	}
	var sum float64
	for _, i := range order[:k] {
		s.probs[i] = math.Exp((float64(logits[i]) - float64(logits[best])) / s.Temp)
		sum += s.probs[i]
	}
	u := s.rng.Float64() * sum
	for _, i := range order[:k] {
		if u -= s.probs[i]; u <= 0 {
			return int32(i)
		}
	}
	return int32(order[k-1])
}
