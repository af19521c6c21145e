package eval

import (
	"slices"
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
	// CompleteBatch's per-prompt caches and scratch, made on first use
	group  []*model.Cache
	sc     model.DecodeScratch
	packed bool // sc holds the weights packed (on CompleteBatch's first call)
	// Rank's scratch (every position's logits) and whether it holds the packed weights
	rank       model.DecodeScratch
	rankPacked bool
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

// groupBytes bounds the memory of CompleteBatch's per-prompt caches; groupMax bounds their number.
// Since the caches share the group's prefix, 64 decode a study checkpoint's k-shot prompts ~9% faster
// than 32 (128 no faster again): a decoding step's projections get more rows for the same weights.
const (
	groupBytes = 256 << 20
	groupMax   = 64
)

// CompleteBatch returns Complete(prompts[i], maxNew) for every prompt, bit for bit, with the work
// batched: a group's longest common token prefix (the shots of a few-shot prompt) runs once through
// the decoder's cache, each prompt of the group continues in a cache of its own copied from it, and
// the prompts' own tokens and every generated token go through the model together (ExtendBatch, one
// GEMM per projection for the whole group). The prompts are grouped in sorted token order, so that
// prompts sharing a prefix (the same shots, whatever the order they came in) share a group; groups
// hold up to 64 prompts, fewer when their caches would need more than 256 MB; their prompts' own
// tokens go through the model at most extendMaxRows at a time.
//
// The first call packs the model's weights for the GEMMs (model.DecodeScratch.Pack): the model must
// not change during the decoder's life (as for its cache).
func (d *Decoder) CompleteBatch(prompts [][]int32, maxNew int) []string {
	if !d.packed {
		d.sc.Pack(d.M)
		d.packed = true
	}
	out := make([]string, len(prompts))
	order := make([]int, len(prompts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return slices.Compare(prompts[i], prompts[j]) })
	g := d.groupSize()
	ids, res := make([][]int32, 0, g), make([]string, g)
	for lo := 0; lo < len(order); lo += g {
		ids = ids[:0]
		for _, i := range order[lo:min(lo+g, len(order))] {
			ids = append(ids, prompts[i])
		}
		clear(res)
		d.completeGroup(ids, maxNew, res[:len(ids)])
		for k, i := range order[lo : lo+len(ids)] {
			out[i] = res[k]
		}
	}
	return out
}

// groupSize is how many prompts CompleteBatch decodes together.
func (d *Decoder) groupSize() int {
	cfg := d.M.Cfg
	per := 2 * 4 * d.M.Layout.Depth() * d.cache.Max() * cfg.KVDim()
	return max(1, min(groupMax, groupBytes/max(per, 1)))
}

// completeGroup decodes one group of prompts (at most groupSize) into out.
func (d *Decoder) completeGroup(prompts [][]int32, maxNew int, out []string) {
	maxNew = min(maxNew, d.cache.Max()-1)
	if maxNew <= 0 {
		return // as Complete: nothing generated
	}
	room := d.cache.Max() - maxNew
	ids := make([][]int32, len(prompts))
	for i, p := range prompts {
		ids[i] = p
		if len(p) > room { // as Complete: keep the prompt's last tokens
			ids[i] = p[len(p)-room:]
		}
	}
	// The common prefix, leaving every prompt at least one token of its own (for its logits).
	pre := len(ids[0]) - 1
	for _, p := range ids[1:] {
		pre = min(pre, commonPrefix(ids[0], p), len(p)-1)
	}
	d.hold(ids[0][:pre])
	for len(d.group) < len(ids) {
		d.group = append(d.group, d.M.NewCache(d.cache.Max()))
	}
	type live struct {
		i    int
		gen  []int32
		next []int32
	}
	var act []*live
	var caches []*model.Cache
	var feed [][]int32
	for i, p := range ids {
		d.group[i].Share(d.cache, pre)
		act = append(act, &live{i: i})
		caches, feed = append(caches, d.group[i]), append(feed, p[pre:])
	}
	nexts := make([]int32, len(ids))
	for len(act) > 0 {
		d.extendRows(caches, feed, func(k int, logits []float32) { nexts[k] = argmax(logits) })
		keep := act[:0]
		caches, feed = caches[:0], feed[:0]
		for k, a := range act {
			next := nexts[k]
			if next == d.Tok.EOT() {
				continue
			}
			a.gen = append(a.gen, next)
			text := d.Tok.Decode(a.gen)
			out[a.i] = text
			if i := strings.IndexByte(text, '\n'); i >= 0 {
				out[a.i] = text[:i]
				continue
			}
			c := d.group[a.i]
			if len(a.gen) >= maxNew || c.Len >= c.Max() {
				continue
			}
			a.next = append(a.next[:0], next)
			keep = append(keep, a)
			caches, feed = append(caches, c), append(feed, a.next)
		}
		act = keep
	}
}

// extendRows runs ExtendBatch over the caches in runs of at most extendMaxRows new tokens (at least
// one cache a run), so that the working memory of a group's prefill stays bounded whatever the group
// and its prompts, and hands fn each cache's logits in order (valid during the call).
func (d *Decoder) extendRows(caches []*model.Cache, feed [][]int32, fn func(k int, logits []float32)) {
	for lo := 0; lo < len(caches); {
		hi, rows := lo, 0
		for hi < len(caches) && (hi == lo || rows+len(feed[hi]) <= extendMaxRows) {
			rows += len(feed[hi])
			hi++
		}
		for k, l := range d.M.ExtendBatch(&d.sc, caches[lo:hi], feed[lo:hi]) {
			fn(lo+k, l)
		}
		lo = hi
	}
}

// extendMaxRows bounds the rows of one ExtendBatch of CompleteBatch: enough for the projections'
// GEMMs to run at full speed (and a group's decoding steps are far fewer), few enough that their
// scratch stays some tens of MB (rows × (q, k, v, gate, up, activation, …) floats).
const extendMaxRows = 2048

// hold makes the decoder's cache hold exactly ids, computing only what it does not hold already.
func (d *Decoder) hold(ids []int32) {
	k := min(commonPrefix(ids, d.toks), d.cache.Len)
	d.cache.Truncate(k)
	d.toks = append(d.toks[:k], ids[k:]...)
	if k < len(ids) {
		d.M.Extend(d.cache, ids[k:])
	}
}

func commonPrefix(a, b []int32) int {
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	return k
}
