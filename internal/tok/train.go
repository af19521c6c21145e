package tok

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Train learns a byte-level BPE with vocabSize ids in total: the 256 single
// bytes (id = byte value), the merged tokens (ids 256.. in the order they are
// learnt) and EOT "<|endoftext|>" with id vocabSize-1. Each text is one
// document; pieces never cross a text boundary, and "<|endoftext|>" inside a
// text is ordinary text.
//
// Each step merges the most frequent adjacent pair over all pre-tokenized
// words (counted with multiplicity). Ties in count are broken by the pair's
// byte order: the pair whose left token's bytes are lexicographically
// smallest wins, then the one whose right token's bytes are. So the same
// texts give the same tokenizer, whatever the map iteration order and the
// order of the texts. Every merge adds one id, so there are vocabSize-257
// merges.
//
// It returns an error if vocabSize < 257, or if the texts run out of pairs
// before vocabSize ids exist (the error states the largest vocabSize the
// texts allow).
func Train(texts []string, vocabSize int) (*Tokenizer, error) {
	if vocabSize < 257 {
		return nil, fmt.Errorf("tok: vocabSize %d < 257 (256 bytes + %s)", vocabSize, EOTText)
	}
	if vocabSize > math.MaxInt32 {
		return nil, fmt.Errorf("tok: vocabSize %d does not fit int32 ids", vocabSize)
	}
	tr := newTrainer(countWords(texts))
	for len(tr.tokens) < vocabSize-1 {
		ok, err := tr.step()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &VocabError{Max: len(tr.tokens) + 1, Merges: len(tr.merges), Asked: vocabSize}
		}
	}
	tokens := append(tr.tokens, []byte(EOTText))
	t, err := newTokenizer(tokens, int32(len(tokens)-1), nil, tr.merges, false)
	if err != nil {
		return nil, fmt.Errorf("tok: internal error after training: %w", err)
	}
	return t, nil
}

// countWords returns every pre-token of two or more bytes with its count
// (single bytes have no pairs and are skipped).
func countWords(texts []string) map[string]int64 {
	m := make(map[string]int64)
	for _, s := range texts {
		for i := 0; i < len(s); {
			j := nextPiece(s, i)
			if j-i > 1 {
				m[s[i:j]]++
			}
			i = j
		}
	}
	return m
}

// pairEntry is a heap entry: a pair and its count when pushed. Entries go
// stale when counts change; see step.
type pairEntry struct {
	count int64
	key   uint64
}

type trainer struct {
	words   [][]int32 // word → symbols (token ids)
	freq    []int64   // word → count
	tokens  [][]byte  // id → bytes
	byBytes map[string]int32
	merges  [][2]int32
	count   map[uint64]int64   // pair → count over all words, only > 0
	where   map[uint64][]int32 // pair → words that may contain it (superset, may repeat)
	heap    []pairEntry        // max-heap by (count, then smallest bytes)
	delta   map[uint64]int64   // scratch for one merge
}

func newTrainer(counts map[string]int64) *trainer {
	keys := make([]string, 0, len(counts))
	total := 0
	for w := range counts {
		keys = append(keys, w)
		total += len(w)
	}
	sort.Strings(keys) // word ids in a fixed order, for reproducible scratch state
	tr := &trainer{
		words:   make([][]int32, len(keys)),
		freq:    make([]int64, len(keys)),
		tokens:  make([][]byte, 256, 4096),
		byBytes: make(map[string]int32),
		count:   make(map[uint64]int64),
		where:   make(map[uint64][]int32),
		delta:   make(map[uint64]int64),
	}
	for b := range 256 {
		tr.tokens[b] = []byte{byte(b)}
		tr.byBytes[string(tr.tokens[b])] = int32(b)
	}
	backing := make([]int32, total)
	for w, s := range keys {
		syms := backing[:len(s):len(s)]
		backing = backing[len(s):]
		for i := 0; i < len(s); i++ {
			syms[i] = int32(s[i])
		}
		tr.words[w], tr.freq[w] = syms, counts[s]
		for i := 0; i+1 < len(syms); i++ {
			k := pairKey(syms[i], syms[i+1])
			tr.count[k] += tr.freq[w]
			tr.addWhere(k, int32(w))
		}
	}
	for k, c := range tr.count {
		tr.heap = append(tr.heap, pairEntry{c, k})
	}
	for i := len(tr.heap)/2 - 1; i >= 0; i-- {
		tr.down(i)
	}
	return tr
}

func (tr *trainer) addWhere(k uint64, w int32) {
	l := tr.where[k]
	if len(l) == 0 || l[len(l)-1] != w {
		tr.where[k] = append(l, w)
	}
}

// before reports whether entry x pops before entry y.
func (tr *trainer) before(x, y pairEntry) bool {
	if x.count != y.count {
		return x.count > y.count
	}
	xa, xb := int32(x.key>>32), int32(uint32(x.key))
	ya, yb := int32(y.key>>32), int32(uint32(y.key))
	if c := bytes.Compare(tr.tokens[xa], tr.tokens[ya]); c != 0 {
		return c < 0
	}
	return bytes.Compare(tr.tokens[xb], tr.tokens[yb]) < 0
}

func (tr *trainer) push(e pairEntry) {
	tr.heap = append(tr.heap, e)
	h := tr.heap
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !tr.before(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (tr *trainer) down(i int) {
	h := tr.heap
	for {
		l, m := 2*i+1, i
		if l < len(h) && tr.before(h[l], h[m]) {
			m = l
		}
		if r := l + 1; r < len(h) && tr.before(h[r], h[m]) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (tr *trainer) pop() pairEntry {
	top := tr.heap[0]
	n := len(tr.heap) - 1
	tr.heap[0] = tr.heap[n]
	tr.heap = tr.heap[:n]
	tr.down(0)
	return top
}

// best pops the pair of highest count. The heap is lazy: every pair with a
// positive count has an entry whose count is at least the current one (a
// count increase pushes a new entry), so an entry whose count is current is
// the true maximum; a too-high entry is re-pushed with the current count and
// a too-low one is a leftover and dropped.
func (tr *trainer) best() (uint64, bool) {
	for len(tr.heap) > 0 {
		e := tr.pop()
		cur := tr.count[e.key]
		switch {
		case cur == e.count:
			return e.key, true
		case cur > 0 && cur < e.count:
			tr.push(pairEntry{cur, e.key})
		}
	}
	return 0, false
}

// step performs one merge; it returns false when no pair is left.
//
// A merge never re-creates an existing token: every occurrence of a byte
// string that ever becomes one token goes through the same merges at the same
// steps (a rule is applied to all words at once, and no merge crosses the
// span of a token-to-be), so all its occurrences are formed by the first rule
// that forms it. The check below guards that argument.
func (tr *trainer) step() (bool, error) {
	k, ok := tr.best()
	if !ok {
		return false, nil
	}
	a, b := int32(k>>32), int32(uint32(k))
	joined := append(append([]byte(nil), tr.tokens[a]...), tr.tokens[b]...)
	if prev, dup := tr.byBytes[string(joined)]; dup {
		return false, fmt.Errorf("tok: internal error: merge %d re-creates token %d %q", len(tr.merges), prev, joined)
	}
	id := int32(len(tr.tokens))
	tr.tokens = append(tr.tokens, joined)
	tr.byBytes[string(joined)] = id
	tr.merges = append(tr.merges, [2]int32{a, b})
	tr.apply(k, a, b, id)
	return true, nil
}

// apply rewrites every word containing (a, b) and updates the pair counts
// locally around each merged occurrence (so a long word costs a scan, not a
// map update per symbol).
func (tr *trainer) apply(k uint64, a, b, id int32) {
	ws := tr.where[k]
	delete(tr.where, k)
	slices.Sort(ws)
	ws = slices.Compact(ws)
	clear(tr.delta)
	for _, w := range ws {
		if hasPair(tr.words[w], a, b) {
			tr.words[w] = tr.mergeWord(tr.words[w], int32(w), a, b, id)
		}
	}
	for pk, d := range tr.delta {
		if d == 0 {
			continue
		}
		c := tr.count[pk] + d
		if c <= 0 {
			delete(tr.count, pk)
		} else {
			tr.count[pk] = c
		}
		if d > 0 {
			tr.push(pairEntry{c, pk})
		}
	}
}

// mergeWord replaces, left to right and without overlap, every (a, b) in
// word w by id, in place, recording pair-count changes in tr.delta. At each
// occurrence x a b y becomes x id y: (x, a), (a, b) and (b, y) lose the
// word's count and (x, id), (id, y) gain it. x is taken from the rewritten
// prefix and y from the old suffix, so in x a b a b y the (id, a) gained at
// the first occurrence is lost again at the second, leaving (id, id), as a
// full before/after diff of the word's pairs would.
func (tr *trainer) mergeWord(syms []int32, w, a, b, id int32) []int32 {
	f := tr.freq[w]
	out := syms[:0] // writes stay at or behind the read position i
	for i := 0; i < len(syms); i++ {
		if i+1 >= len(syms) || syms[i] != a || syms[i+1] != b {
			out = append(out, syms[i])
			continue
		}
		tr.delta[pairKey(a, b)] -= f
		if len(out) > 0 {
			x := out[len(out)-1]
			tr.delta[pairKey(x, a)] -= f
			tr.gain(pairKey(x, id), w, f)
		}
		if i+2 < len(syms) {
			y := syms[i+2]
			tr.delta[pairKey(b, y)] -= f
			tr.gain(pairKey(id, y), w, f)
		}
		out = append(out, id)
		i++
	}
	return out
}

func (tr *trainer) gain(pk uint64, w int32, f int64) {
	tr.delta[pk] += f
	tr.addWhere(pk, w)
}

func hasPair(syms []int32, a, b int32) bool {
	for i := 0; i+1 < len(syms); i++ {
		if syms[i] == a && syms[i+1] == b {
			return true
		}
	}
	return false
}

// VocabError reports that the texts cannot support the vocabulary size asked: they run out of pairs to
// merge. Max is the largest vocabulary they allow.
type VocabError struct{ Max, Merges, Asked int }

func (e *VocabError) Error() string {
	return fmt.Sprintf("tok: the texts allow at most vocabSize %d (%d merges), vocabSize %d asked", e.Max, e.Merges, e.Asked)
}
