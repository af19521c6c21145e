package tok

// BPE merging of one pre-token, with Hugging Face semantics: repeatedly
// apply the pair of lowest merge rank; among equal ranks (the same pair at
// several places) the leftmost goes first. mergeNaive is the O(n²) oracle
// that states this directly; merge is the O(n log n) version used by Encode
// (a linked list of symbols and a heap of candidate merges ordered by
// (rank, position), with stale candidates skipped when popped).

type symbol struct {
	id         int32 // token id, -1 once merged into its left neighbour
	prev, next int32 // neighbours in the list, -1 at the ends
}

type candidate struct {
	rank, pos, id int32 // merge rank, position of the left symbol, result id
}

func (c candidate) less(d candidate) bool {
	return c.rank < d.rank || (c.rank == d.rank && c.pos < d.pos)
}

// candHeap is a binary min-heap of candidates.
type candHeap []candidate

func (h *candHeap) push(c candidate) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *candHeap) pop() candidate {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && s[l].less(s[m]) {
			m = l
		}
		if r := l + 1; r < n && s[r].less(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// lookup returns the rank and result of merging (a, b).
func (t *Tokenizer) lookup(a, b int32) (rank, id int32, ok bool) {
	m, ok := t.mergeOf[pairKey(a, b)]
	return int32(m >> 32), int32(uint32(m)), ok
}

// merge applies the merges to ids in place and returns the new length.
func (t *Tokenizer) merge(ids []int32) int {
	n := len(ids)
	if n < 2 {
		return n
	}
	if n == 2 {
		if _, id, ok := t.lookup(ids[0], ids[1]); ok {
			ids[0] = id
			return 1
		}
		return 2
	}
	syms := make([]symbol, n)
	h := make(candHeap, 0, n)
	for i, id := range ids {
		syms[i] = symbol{id: id, prev: int32(i - 1), next: int32(i + 1)}
		if i+1 < n {
			if rank, nid, ok := t.lookup(id, ids[i+1]); ok {
				h.push(candidate{rank, int32(i), nid})
			}
		}
	}
	syms[n-1].next = -1
	for len(h) > 0 {
		c := h.pop()
		s := &syms[c.pos]
		if s.id < 0 || s.next < 0 {
			continue
		}
		if rank, _, ok := t.lookup(s.id, syms[s.next].id); !ok || rank != c.rank {
			continue // stale: this pair changed since c was pushed
		}
		gone := s.next
		s.id = c.id
		s.next = syms[gone].next
		syms[gone].id = -1
		if s.next >= 0 {
			syms[s.next].prev = c.pos
			if rank, nid, ok := t.lookup(s.id, syms[s.next].id); ok {
				h.push(candidate{rank, c.pos, nid})
			}
		}
		if s.prev >= 0 {
			if rank, nid, ok := t.lookup(syms[s.prev].id, s.id); ok {
				h.push(candidate{rank, s.prev, nid})
			}
		}
	}
	k := 0
	for i := int32(0); i >= 0; i = syms[i].next {
		ids[k] = syms[i].id
		k++
	}
	return k
}

// mergeNaive is the reference for merge: scan all pairs, merge the leftmost
// pair of lowest rank, repeat until no pair has a rank.
func (t *Tokenizer) mergeNaive(ids []int32) []int32 {
	ids = append([]int32(nil), ids...)
	for {
		best, bestRank, bestID := -1, int32(0), int32(0)
		for i := 0; i+1 < len(ids); i++ {
			if rank, id, ok := t.lookup(ids[i], ids[i+1]); ok && (best < 0 || rank < bestRank) {
				best, bestRank, bestID = i, rank, id
			}
		}
		if best < 0 {
			return ids
		}
		ids[best] = bestID
		ids = append(ids[:best+1], ids[best+2:]...)
	}
}
