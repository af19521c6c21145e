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
	// CompleteBatch's per-prompt caches, its groups' prefix caches and its scratch, made on first use
	group  []*model.Cache
	bases  []*prefixCache
	sc     model.DecodeScratch
	packed bool // sc holds the weights packed (packedScratch)
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

// groupBytes bounds the memory of a CompleteBatch batch's caches; groupMax bounds their number.
// Since the caches share their prefixes, 64 decode a study checkpoint's k-shot prompts ~9% faster
// than 32: a decoding step's projections get more rows for the same weights.
const (
	groupBytes = 256 << 20
	groupMax   = 64
)

// CompleteBatch returns Complete(prompts[i], maxNew) for every prompt, bit for bit, with the work
// batched. The prompts, in sorted token order, are cut into groups that share a prefix (the shots of
// a few-shot prompt, whatever order the prompts came in), the cut chosen to compute the fewest
// tokens (prefixGroups); a group's common prefix runs once, in a cache of its own, and every prompt
// of the group continues in a cache that shares it (model.Cache.Share). Consecutive groups are
// decoded together in batches of up to 64 caches (fewer when they would need more than 256 MB): the
// prompts' own tokens and every generated token go through the model together (ExtendBatch, one GEMM
// per projection for the whole batch, at most extendMaxRows rows at a time).
//
// The weights are packed for the GEMMs on first use (packedScratch): the model must not change during
// the decoder's life (as for its cache).
func (d *Decoder) CompleteBatch(prompts [][]int32, maxNew int) []string {
	d.packedScratch()
	out := make([]string, len(prompts))
	maxNew = min(maxNew, d.cache.Max()-1)
	if maxNew <= 0 {
		return out // as Complete: nothing generated
	}
	room := d.cache.Max() - maxNew
	ids := make([][]int32, len(prompts))
	for i, p := range prompts {
		ids[i] = p
		if len(p) > room { // as Complete: keep the prompt's last tokens
			ids[i] = p[len(p)-room:]
		}
	}
	order := make([]int, len(prompts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return slices.Compare(ids[i], ids[j]) })
	g := d.groupSize()
	groups := prefixGroups(ids, order, max(1, g-1))
	for lo := 0; lo < len(groups); {
		hi, n := lo, 0
		for hi < len(groups) && (hi == lo || n+groupCaches(groups[hi]) <= g) {
			n += groupCaches(groups[hi])
			hi++
		}
		d.completeGroups(ids, groups[lo:hi], maxNew, out)
		lo = hi
	}
	return out
}

// groupCaches is the caches a group of prompts decodes with: one each, and one for their shared
// prefix when they are several.
func groupCaches(g []int) int {
	if len(g) > 1 {
		return len(g) + 1
	}
	return 1
}

// prefixGroups cuts the prompts ids[order[…]] (in sorted order) into runs of at most most prompts
// that minimise the tokens computed: a run of n prompts with common prefix p (at most the shortest
// minus one: each keeps a token of its own) computes p once and each prompt's rest, Σ len − (n−1)·p.
// Dynamic programming over the cut points; ties go to the longer run.
func prefixGroups(ids [][]int32, order []int, most int) [][]int {
	n := len(order)
	best, from := make([]int, n+1), make([]int, n+1)
	for b := 1; b <= n; b++ { // best[b]: the cheapest cut of order[:b], its last run order[from[b]:b]
		best[b] = -1
		pre, total, short := 0, 0, 0
		for a := b - 1; a >= max(0, b-most); a-- {
			l := len(ids[order[a]])
			total += l
			if a == b-1 {
				pre, short = l, l
			} else {
				pre = min(pre, commonPrefix(ids[order[a]], ids[order[a+1]]))
				short = min(short, l)
			}
			p := min(pre, short-1)
			if cost := best[a] + total - (b-a-1)*p; best[b] < 0 || cost <= best[b] {
				best[b], from[b] = cost, a
			}
		}
	}
	var groups [][]int
	for b := n; b > 0; b = from[b] {
		groups = append(groups, order[from[b]:b])
	}
	slices.Reverse(groups)
	return groups
}

// groupSize is how many caches CompleteBatch decodes together.
func (d *Decoder) groupSize() int {
	cfg := d.M.Cfg
	per := 2 * 4 * d.M.Layout.Depth() * d.cache.Max() * cfg.KVDim()
	return max(1, min(groupMax, groupBytes/max(per, 1)))
}

// livePrompt is a prompt being decoded by completeGroups: its index, cache, tokens generated so far
// and its next input.
type livePrompt struct {
	i    int
	c    *model.Cache
	gen  []int32
	next []int32
}

// startGroups gives every prompt of the groups a cache — sharing its group's prefix, computed in one
// of d.bases, when the group has several — and returns them with the tokens each must take first.
// The prefixes the bases do not hold yet are computed together (extendRows: one GEMM per projection
// for all of them, with the decoder's packed weights).
func (d *Decoder) startGroups(ids [][]int32, groups [][]int) ([]*livePrompt, []*model.Cache, [][]int32) {
	np, nb := 0, 0
	for _, grp := range groups {
		np, nb = np+len(grp), nb+groupCaches(grp)-len(grp)
	}
	if len(d.group)+len(d.bases) > d.groupSize() { // the pools stay within one batch's caches
		d.group, d.bases = d.group[:min(np, len(d.group))], d.bases[:min(nb, len(d.bases))]
	}
	pres := make([]int, len(groups))
	var bases []*model.Cache
	var tails [][]int32
	nb = 0
	for g, grp := range groups {
		if len(grp) == 1 {
			continue
		}
		// The common prefix, leaving every prompt at least one token of its own.
		pre := len(ids[grp[0]]) - 1
		for _, i := range grp[1:] {
			pre = min(pre, commonPrefix(ids[grp[0]], ids[i]), len(ids[i])-1)
		}
		pres[g] = pre
		for len(d.bases) <= nb {
			d.bases = append(d.bases, &prefixCache{c: d.M.NewCache(d.cache.Max())})
		}
		if tail := d.bases[nb].keep(ids[grp[0]][:pre]); len(tail) > 0 {
			bases, tails = append(bases, d.bases[nb].c), append(tails, tail)
		}
		nb++
	}
	if len(bases) > 0 {
		d.extendRows(bases, tails, func(int, []float32) {})
	}
	var act []*livePrompt
	var caches []*model.Cache
	var feed [][]int32
	nb = 0
	for g, grp := range groups {
		pre := pres[g]
		if len(grp) > 1 {
			nb++
		}
		for _, i := range grp {
			if len(act) == len(d.group) {
				d.group = append(d.group, d.M.NewCache(d.cache.Max()))
			}
			c := d.group[len(act)]
			if pre > 0 {
				c.Share(d.bases[nb-1].c, pre)
			} else {
				c.Truncate(0)
			}
			act = append(act, &livePrompt{i: i, c: c})
			caches, feed = append(caches, c), append(feed, ids[i][pre:])
		}
	}
	return act, caches, feed
}

// completeGroups decodes the groups of prompts ids[groups[…][…]] (already cut to leave room for
// maxNew ≥ 1 tokens) together into out.
func (d *Decoder) completeGroups(ids [][]int32, groups [][]int, maxNew int, out []string) {
	act, caches, feed := d.startGroups(ids, groups)
	nexts := make([]int32, len(act))
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
			if len(a.gen) >= maxNew || a.c.Len >= a.c.Max() {
				continue
			}
			a.next = append(a.next[:0], next)
			keep = append(keep, a)
			caches, feed = append(caches, a.c), append(feed, a.next)
		}
		act = keep
	}
}

// extendRows runs ExtendBatch through d.sc over the caches in runs of at most extendMaxRows new
// tokens (fewer when d.sc.All asks for every row's logits; at least one cache a run), so that the
// working memory of a group's prefill stays bounded whatever the group and its prompts, and hands fn
// each cache's logits in order (valid during the call).
func (d *Decoder) extendRows(caches []*model.Cache, feed [][]int32, fn func(k int, logits []float32)) {
	most := extendMaxRows
	if d.sc.All { // every row's logits: at most allLogits floats of them
		most = max(1, min(most, allLogits/d.M.Cfg.VocabSize))
	}
	for lo := 0; lo < len(caches); {
		hi, rows := lo, 0
		for hi < len(caches) && (hi == lo || rows+len(feed[hi]) <= most) {
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

// allLogits bounds the logits of one ExtendBatch of extendRows that returns every row's (Rank):
// 16M floats, 64 MB.
const allLogits = 16 << 20

// hold makes the decoder's cache hold exactly ids, computing only what it does not hold already,
// through the packed weights (packedScratch).
func (d *Decoder) hold(ids []int32) {
	k := min(commonPrefix(ids, d.toks), d.cache.Len)
	d.cache.Truncate(k)
	d.toks = append(d.toks[:k], ids[k:]...)
	if k < len(ids) {
		d.M.ExtendBatch(d.packedScratch(), []*model.Cache{d.cache}, [][]int32{ids[k:]})
	}
}

// packedScratch is CompleteBatch's scratch, the model's weights packed in it on first use
// (model.DecodeScratch.Pack): the model must not change during the decoder's life.
func (d *Decoder) packedScratch() *model.DecodeScratch {
	if !d.packed {
		d.sc.Pack(d.M)
		d.packed = true
	}
	return &d.sc
}

// prefixCache is a cache holding a group's shared prefix (CompleteBatch), with its tokens.
type prefixCache struct {
	c    *model.Cache
	toks []int32
}

// keep truncates p to the longest start of ids it holds, records ids as its tokens and returns the
// rest of ids: what must still go through the model (into p.c) for p to hold ids.
func (p *prefixCache) keep(ids []int32) []int32 {
	k := min(commonPrefix(ids, p.toks), p.c.Len)
	p.c.Truncate(k)
	p.toks = append(p.toks[:k], ids[k:]...)
	return ids[k:]
}

func commonPrefix(a, b []int32) int {
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	return k
}
