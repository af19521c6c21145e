package data

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"midas/internal/splitmix"
)

// pieceBytes is the size of the pieces a source is cut into for sampling: small enough that each
// book of a prose source contributes about its share, large enough that a sample keeps long runs of
// text together (and most source files whole).
const pieceBytes = 64 << 10

// piece is the byte range [lo, hi) of document doc.
type piece struct{ doc, lo, hi int }

// Sample returns about n bytes of docs (n exactly, less at most the part of one line):
//   - while n covers all of docs, whole passes over docs, in order (a source too small for its
//     share is repeated);
//   - the rest is a seeded selection of pieces: every document is cut into ~64 KiB pieces at line
//     breaks (see cutEvery), the pieces are taken in a random order drawn from seed until the rest
//     is filled — the last one cut short at a line break — and put back in document order, adjacent
//     pieces of a document joined into one Doc (same Name).
//
// The result is a pure function of (docs, n, seed); texts are sliced, not copied.
func Sample(docs []Doc, n int64, seed uint64) []Doc {
	var total int64
	for _, d := range docs {
		total += int64(len(d.Text))
	}
	if total == 0 || n <= 0 {
		return nil
	}
	var out []Doc
	for ; n >= total; n -= total {
		for _, d := range docs {
			if d.Text != "" {
				out = append(out, d)
			}
		}
	}
	if n == 0 {
		return out
	}
	return append(out, samplePieces(docs, n, seed)...)
}

// samplePieces takes n < total bytes of docs' pieces in a seeded order (see Sample).
func samplePieces(docs []Doc, n int64, seed uint64) []Doc {
	var ps []piece
	for i, d := range docs {
		lo := 0
		for _, s := range cutEvery(d.Text, pieceBytes) {
			if s != "" {
				ps = append(ps, piece{i, lo, lo + len(s)})
			}
			lo += len(s)
		}
	}
	r := splitmix.New(seed)
	var taken []piece
	for _, k := range r.Perm(len(ps)) {
		p := ps[k]
		if int64(p.hi-p.lo) >= n {
			p.hi = p.lo + prefixLen(docs[p.doc].Text[p.lo:p.hi], int(n))
			if p.hi > p.lo {
				taken = append(taken, p)
			}
			break
		}
		taken = append(taken, p)
		n -= int64(p.hi - p.lo)
	}
	slices.SortFunc(taken, func(a, b piece) int { return cmp.Or(cmp.Compare(a.doc, b.doc), cmp.Compare(a.lo, b.lo)) })
	var out []Doc
	for i := 0; i < len(taken); {
		p := taken[i]
		for i++; i < len(taken) && taken[i].doc == p.doc && taken[i].lo == p.hi; i++ {
			p.hi = taken[i].hi
		}
		d := docs[p.doc]
		out = append(out, Doc{d.Name, d.Text[p.lo:p.hi]})
	}
	return out
}

// prefixLen is the length of the longest prefix of s of at most n bytes that ends with a line
// break, or, when s[:n] holds none, n moved back to the start of a UTF-8 sequence.
func prefixLen(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	if j := strings.LastIndexByte(s[:n], '\n'); j >= 0 {
		return j + 1
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// interleaveBytes is the size of the pieces Interleave deals out.
const interleaveBytes = 4 << 10

// Interleave deals the texts of several sources out in ~4 KiB pieces (cut at line breaks) so that
// every prefix of the result holds each source in about its share: the next piece always comes
// from the source with the fewest bytes so far relative to its share (ties: the earlier source).
// It keeps the validation text of a mixture mixed in its first batches, which are the ones
// evaluated. Each piece becomes its own text.
func Interleave(sources [][]string, shares []float64) []string {
	queues := make([][]string, len(sources))
	for i, texts := range sources {
		for _, t := range texts {
			for _, s := range cutEvery(t, interleaveBytes) {
				if s != "" {
					queues[i] = append(queues[i], s)
				}
			}
		}
	}
	dealt := make([]float64, len(sources))
	var out []string
	for {
		best := -1
		for i, q := range queues {
			if len(q) > 0 && (best < 0 || dealt[i]/shares[i] < dealt[best]/shares[best]) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		s := queues[best][0]
		queues[best] = queues[best][1:]
		dealt[best] += float64(len(s))
		out = append(out, s)
	}
}
