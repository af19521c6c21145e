package tok

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// EOTText is the content of the end-of-text special token, used between documents.
const EOTText = "<|endoftext|>"

// cacheCap (a variable for tests) bounds the word → ids cache; when it is full it is emptied, which
// keeps memory bounded and lets the cache follow a change of domain.
var cacheCap = 1 << 16

// A Tokenizer is a byte-level BPE: ids name byte strings, and every byte
// string has an encoding because all 256 single bytes are tokens. One special
// token, EOT ("<|endoftext|>"), always exists; more may be added (WithSpecial:
// UL2's sentinels and mode tokens). Encode never emits a special token.
//
// A Tokenizer is immutable after Train, Parse or Load, except for an internal
// cache guarded by a mutex, so all methods are safe for concurrent use.
type Tokenizer struct {
	tokens       [][]byte // id → raw bytes; tokens[eot] is EOTText, a special token's is its text
	eot          int32
	specials     []int32          // the special tokens besides EOT, in id order
	special      map[string]int32 // text → id of every special token, EOT included
	byteID       [256]int32
	merges       [][2]int32        // rank → (left id, right id)
	mergeOf      map[uint64]uint64 // pairKey(left, right) → rank<<32 | result id
	ignoreMerges bool              // HF ignore_merges: a piece that is a token is used whole
	byBytes      map[string]int32  // raw bytes → id, special tokens excluded

	mu    sync.RWMutex
	cache map[string][]int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newTokenizer builds the lookup tables. tokens[eot] must be EOTText and
// tokens[id] of each id in specials (ascending, EOT not among them) its
// special token's text; every other entry must be distinct and non-empty, all
// 256 single bytes must be present and every merge's concatenation must be a
// token. A repeated merge pair keeps its last rank, as in Hugging Face
// tokenizers.
func newTokenizer(tokens [][]byte, eot int32, specials []int32, merges [][2]int32, ignoreMerges bool) (*Tokenizer, error) {
	t := &Tokenizer{
		tokens:       tokens,
		eot:          eot,
		specials:     specials,
		special:      map[string]int32{EOTText: eot},
		merges:       merges,
		mergeOf:      make(map[uint64]uint64, len(merges)),
		ignoreMerges: ignoreMerges,
		byBytes:      make(map[string]int32, len(tokens)),
		cache:        make(map[string][]int32),
	}
	for i := range t.byteID {
		t.byteID[i] = -1
	}
	for _, id := range specials {
		if id < 0 || int(id) >= len(tokens) || id == eot || len(tokens[id]) == 0 {
			return nil, fmt.Errorf("special token id %d invalid", id)
		}
		if prev, dup := t.special[string(tokens[id])]; dup {
			return nil, fmt.Errorf("ids %d and %d are the same special token %q", prev, id, tokens[id])
		}
		t.special[string(tokens[id])] = id
	}
	for id, b := range tokens {
		if t.isSpecial(int32(id)) {
			continue
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("empty token (id %d)", id)
		}
		if prev, dup := t.byBytes[string(b)]; dup {
			return nil, fmt.Errorf("ids %d and %d are the same token %q", prev, id, b)
		}
		t.byBytes[string(b)] = int32(id)
		if len(b) == 1 {
			t.byteID[b[0]] = int32(id)
		}
	}
	for c, id := range t.byteID {
		if id < 0 {
			return nil, fmt.Errorf("vocab lacks the single byte 0x%02x", c)
		}
	}
	n := int32(len(tokens))
	for rank, m := range merges {
		a, b := m[0], m[1]
		if a < 0 || a >= n || b < 0 || b >= n || t.isSpecial(a) || t.isSpecial(b) {
			return nil, fmt.Errorf("merge %d: ids %d %d not mergeable tokens", rank, a, b)
		}
		joined := string(tokens[a]) + string(tokens[b])
		id, ok := t.byBytes[joined]
		if !ok {
			return nil, fmt.Errorf("merge %d: result %q is not in the vocab", rank, joined)
		}
		t.mergeOf[pairKey(a, b)] = uint64(rank)<<32 | uint64(uint32(id))
	}
	return t, nil
}

// isSpecial reports whether id is EOT or another special token.
func (t *Tokenizer) isSpecial(id int32) bool {
	if id == t.eot {
		return true
	}
	_, ok := slices.BinarySearch(t.specials, id)
	return ok
}

// VocabSize is the number of ids, special tokens included; ids are 0..VocabSize()-1.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// EOT is the id of "<|endoftext|>" (the id after the merges for a trained tokenizer).
func (t *Tokenizer) EOT() int32 { return t.eot }

// Special returns the id of the special token with this text (EOTText included).
func (t *Tokenizer) Special(text string) (int32, bool) {
	id, ok := t.special[text]
	return id, ok
}

// Specials returns the texts of the special tokens besides EOT, in id order.
func (t *Tokenizer) Specials() []string {
	s := make([]string, len(t.specials))
	for i, id := range t.specials {
		s[i] = string(t.tokens[id])
	}
	return s
}

// WithSpecial returns a tokenizer with the given special tokens added after the last id (ids
// VocabSize(), VocabSize()+1, …): UL2's sentinels and mode tokens. Like EOT, they are written to
// tokenizer.json as Hugging Face added tokens (special, so never split), decode to their text, and
// are never produced by Encode — their text in plain text encodes as ordinary bytes. A text that is
// empty, already a special token, or given twice is an error.
func (t *Tokenizer) WithSpecial(texts ...string) (*Tokenizer, error) {
	tokens := slices.Clone(t.tokens)
	specials := slices.Clone(t.specials)
	seen := map[string]bool{}
	for _, s := range texts {
		_, dup := t.special[s]
		if s == "" || dup || seen[s] {
			return nil, fmt.Errorf("tok: special token %q is empty, already special or given twice", s)
		}
		seen[s] = true
		specials = append(specials, int32(len(tokens)))
		tokens = append(tokens, []byte(s))
	}
	nt, err := newTokenizer(tokens, t.eot, specials, t.merges, t.ignoreMerges)
	if err != nil {
		return nil, fmt.Errorf("tok: %w", err)
	}
	return nt, nil
}

// NumMerges is the number of merge rules.
func (t *Tokenizer) NumMerges() int { return len(t.merges) }

// TokenString returns the raw bytes of one token as a string (a special token
// gives its text); the string need not be valid UTF-8. It panics if id is
// out of range.
func (t *Tokenizer) TokenString(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		panic(fmt.Sprintf("tok: TokenString: id %d out of range [0, %d)", id, len(t.tokens)))
	}
	return string(t.tokens[id])
}

// Encode returns the ids of s: s is split by the ByteLevel pre-tokenizer and
// every piece is merged by BPE rank. "<|endoftext|>" (or another special
// token's text) inside s is plain text; append EOT() yourself between
// documents. Safe for concurrent use.
func (t *Tokenizer) Encode(s string) []int32 {
	return t.AppendEncode(make([]int32, 0, len(s)/3+1), s)
}

// AppendEncode appends the ids of s to dst and returns the extended slice.
func (t *Tokenizer) AppendEncode(dst []int32, s string) []int32 {
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		dst = t.appendPiece(dst, s[i:j])
		i = j
	}
	return dst
}

func (t *Tokenizer) appendPiece(dst []int32, w string) []int32 {
	if len(w) == 1 {
		return append(dst, t.byteID[w[0]])
	}
	if t.ignoreMerges {
		if id, ok := t.byBytes[w]; ok {
			return append(dst, id)
		}
	}
	t.mu.RLock()
	ids, ok := t.cache[w]
	t.mu.RUnlock()
	if ok {
		return append(dst, ids...)
	}
	start := len(dst)
	for i := 0; i < len(w); i++ {
		dst = append(dst, t.byteID[w[i]])
	}
	dst = dst[:start+t.merge(dst[start:])]
	ids = append([]int32(nil), dst[start:]...)
	t.mu.Lock()
	if len(t.cache) >= cacheCap {
		clear(t.cache)
	}
	t.cache[strings.Clone(w)] = ids // w may be a slice of a large document
	t.mu.Unlock()
	return dst
}

// Decode concatenates the bytes of ids (a special token gives its text). It
// panics on an id out of range, which is a caller bug; use DecodeChecked for
// untrusted ids.
func (t *Tokenizer) Decode(ids []int32) string {
	s, err := t.DecodeChecked(ids)
	if err != nil {
		panic(err.Error())
	}
	return s
}

// DecodeChecked is Decode returning an error that names the first id out of
// range instead of panicking.
func (t *Tokenizer) DecodeChecked(ids []int32) (string, error) {
	n := 0
	for i, id := range ids {
		if id < 0 || int(id) >= len(t.tokens) {
			return "", fmt.Errorf("tok: id %d at position %d out of range [0, %d)", id, i, len(t.tokens))
		}
		n += len(t.tokens[id])
	}
	b := make([]byte, 0, n)
	for _, id := range ids {
		b = append(b, t.tokens[id]...)
	}
	return string(b), nil
}
