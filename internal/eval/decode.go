package eval

import (
	"strings"

	"midas/internal/model"
	"midas/internal/tok"
)

// Decoder completes prompts greedily with a KV cache. Consecutive prompts that share a token prefix (the
// shots of a few-shot prompt) reuse the cached prefix, so only the new suffix is computed.
type Decoder struct {
	M     *model.Model
	Tok   *tok.Tokenizer
	cache *model.Cache
	toks  []int32 // tokens whose keys/values the cache holds
}

// NewDecoder makes a decoder over a model and its tokenizer.
func NewDecoder(m *model.Model, tk *tok.Tokenizer) *Decoder {
	return &Decoder{M: m, Tok: tk, cache: m.NewCache(m.Cfg.SeqLen)}
}

// Encode tokenizes a prompt as the start of a document: EOT (the document separator of training) then
// the text.
func (d *Decoder) Encode(prompt string) []int32 {
	return append([]int32{d.Tok.EOT()}, d.Tok.Encode(prompt)...)
}

// Fits reports whether a prompt of n tokens leaves room for maxNew generated tokens in the context.
func (d *Decoder) Fits(n, maxNew int) bool { return n+maxNew <= d.cache.Max() }

// Complete returns the greedy continuation of the prompt tokens up to (not including) the first newline,
// generating at most maxNew tokens. Prompts longer than the context keep their last tokens.
func (d *Decoder) Complete(ids []int32, maxNew int) string {
	// A context shorter than maxNew+1 still keeps the prompt's last token and answers what fits.
	maxNew = min(maxNew, d.cache.Max()-1)
	if room := d.cache.Max() - maxNew; len(ids) > room {
		ids = ids[len(ids)-room:]
	}
	logits := d.prime(ids)
	var out []int32
	var text string
	for len(out) < maxNew {
		next := argmax(logits)
		if next == d.Tok.EOT() {
			break
		}
		out = append(out, next)
		text = d.Tok.Decode(out)
		if strings.Contains(text, "\n") {
			break
		}
		if d.cache.Len >= d.cache.Max() {
			break
		}
		logits = d.M.Extend(d.cache, []int32{next})
		d.toks = append(d.toks, next)
	}
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	return text
}

// prime makes the cache hold exactly ids and returns the logits after the last one, reusing the longest
// common prefix with what the cache already holds.
func (d *Decoder) prime(ids []int32) []float32 {
	k := 0
	for k < len(ids) && k < len(d.toks) && k < d.cache.Len && ids[k] == d.toks[k] {
		k++
	}
	if k == len(ids) { // the whole prompt is cached: recompute its last position for the logits
		k--
	}
	d.cache.Truncate(k)
	d.toks = append(d.toks[:k], ids[k:]...)
	return d.M.Extend(d.cache, ids[k:])
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}
