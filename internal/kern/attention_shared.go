package kern

import "fmt"

// SharedAttention is AttentionCached for a group of caches whose first Pre positions are the same
// keys and values, held once (the shots of a few-shot prompt, shared by every prompt decoded with
// them). The queries of all the group's new rows meet the shared keys in one product per head, and
// the shared values are read once for all of them, instead of once per cache.
type SharedAttention struct {
	KT  []float32 // the shared keys, transposed: component r of position t at KT[r·LDK + t], t < Pre
	LDK int
	V   []float32 // the shared values [Pre, hkv·d]
	Pre int
	Q   []float32 // the new rows of every entry, entry after entry, row stride LDQ (q first)
	LDQ int
	Y   []float32 // their outputs [rows, h·d]
	// Own are the entries, each with its own keys and values for positions Pre ≤ t < Past+N (at
	// their absolute positions: KT[r·LDK + t], V[t·hkv·d + r]) and N new rows at Past..Past+N−1.
	Own []SharedEntry

	off    []int // entry e's rows start at off[e] (off[len(Own)] = rows)
	starts []int // chunk c is the entries [starts[c], starts[c+1])
}

// SharedEntry is one cache of a SharedAttention.
type SharedEntry struct {
	KT      []float32
	LDK     int
	V       []float32
	N, Past int
}

// sharedRows is the row count at which AttentionShared starts a new chunk of entries: a chunk's
// rows meet the shared keys in one product, and chunks × heads are the units of its parallel loop.
const sharedRows = 96

// AttentionShared computes, for every new row of every entry, bitwise what AttentionCached computes
// for that entry with the shared positions copied into its own cache. Rows are taken in chunks of
// whole entries; a chunk and a head are one unit of one parallel loop. Per row the operations are
// AttentionCached's: the scores against the shared keys come from one product for the chunk (every
// score is the same dot product whatever the rows around it), and the values' sums, which run over
// the positions in order, are continued from the shared part into the entry's own positions with the
// row kernel's accumulate mode (gemmRowFunc), within the K blocks of the backend's Gemm. On a backend
// without a row kernel each entry's keys and values are gathered into one buffer instead, and
// AttentionCached's head runs on them. s is scratch of at least SharedScratch floats.
func AttentionShared(a *SharedAttention, s []float32, h, hkv, d int) {
	checkHeads("AttentionShared", h, hkv)
	units := a.layout(h, hkv, d)
	lanes := min(Threads(), units)
	per := a.laneFloats(h, hkv, d)
	if len(s) < per {
		panic(fmt.Sprintf("kern: AttentionShared: scratch %d < %d", len(s), per))
	}
	lanes = min(lanes, len(s)/per)
	parallelArgs(&attSharedFree, lanes, attShared{a, s, per, lanes, units, h, hkv, d, attScale(d)})
}

// SharedScratch is the scratch AttentionShared needs for a (with Threads() workers).
func SharedScratch(a *SharedAttention, h, hkv, d int) int {
	a.layout(h, hkv, d)
	return Threads() * a.laneFloats(h, hkv, d)
}

// layout checks a, sets its row offsets and returns the unit count (heads × chunks).
func (a *SharedAttention) layout(h, hkv, d int) int {
	qd, kvd := h*d, hkv*d
	if len(a.Own) == 0 || a.Pre < 0 || a.LDK < a.Pre {
		panic(fmt.Sprintf("kern: AttentionShared: %d entries, %d shared positions, ldk %d", len(a.Own), a.Pre, a.LDK))
	}
	need("AttentionShared", "kt", a.KT, (kvd-1)*a.LDK+a.Pre)
	need("AttentionShared", "v", a.V, a.Pre*kvd)
	a.off, a.starts = append(a.off[:0], 0), a.starts[:0]
	rows := 0
	for i, e := range a.Own {
		tk := e.Past + e.N
		if e.N < 1 || e.Past < a.Pre || e.LDK < tk {
			panic(fmt.Sprintf("kern: AttentionShared: an entry of %d rows after %d positions (ldk %d, %d shared)", e.N, e.Past, e.LDK, a.Pre))
		}
		need("AttentionShared", "entry kt", e.KT, (kvd-1)*e.LDK+tk)
		need("AttentionShared", "entry v", e.V, tk*kvd)
		if rows == 0 {
			a.starts = append(a.starts, i)
		}
		rows += e.N
		if rows >= sharedRows {
			rows = 0
		}
		a.off = append(a.off, a.off[len(a.off)-1]+e.N)
	}
	n := a.off[len(a.Own)]
	need("AttentionShared", "q", a.Q, (n-1)*a.LDQ+qd)
	need("AttentionShared", "y", a.Y, n*qd)
	chunks := len(a.starts)
	a.starts = append(a.starts, len(a.Own))
	return chunks * h
}

// chunk returns the entries [e0, e1) of chunk c (layout's grouping).
func (a *SharedAttention) chunk(c int) (e0, e1 int) { return a.starts[c], a.starts[c+1] }

// laneFloats is one worker's scratch: the scores of a chunk's rows (row stride the longest entry) and
// their partial value sums; without a row kernel, one entry's gathered keys and values and scores.
func (a *SharedAttention) laneFloats(h, hkv, d int) int {
	ld, most, rows := 0, 0, 0
	for e := range a.Own {
		ld = max(ld, a.Own[e].Past+a.Own[e].N)
		most = max(most, a.Own[e].N)
	}
	for c := 0; c+1 < len(a.starts); c++ {
		e0, e1 := a.chunk(c)
		rows = max(rows, a.off[e1]-a.off[e0])
	}
	if gemmCur.Load().row == nil {
		return 2*ld*hkv*d + most*ld
	}
	return rows * (ld + d)
}

// attShared holds the arguments of AttentionShared; Run computes lanes [lo, hi), lane l taking the
// units l, l+lanes, … in its own slice of the scratch.
type attShared struct {
	a                 *SharedAttention
	s                 []float32
	per, lanes, units int
	h, hkv, d         int
	scale             float32
}

var attSharedFree taskFree[attShared]

func (t *attShared) Run(lo, hi int) {
	for l := lo; l < hi; l++ {
		s := t.s[l*t.per : (l+1)*t.per]
		for u := l; u < t.units; u += t.lanes {
			e0, e1 := t.a.chunk(u / t.h)
			if gemmCur.Load().row == nil {
				t.gathered(u%t.h, e0, e1, s)
			} else {
				t.head(u%t.h, e0, e1, s)
			}
		}
	}
}

// head computes query head hh of the entries [e0, e1).
func (t *attShared) head(hh, e0, e1 int, s []float32) {
	a, d := t.a, t.d
	rows := a.off[e1] - a.off[e0]
	ld := 0
	for _, e := range a.Own[e0:e1] {
		ld = max(ld, e.Past+e.N)
	}
	sc := s[:rows*ld]
	t.scores(hh, e0, e1, sc, ld)
	t.values(hh, e0, e1, sc, s[rows*ld:rows*(ld+d)], ld)
}

// scores writes head hh's probabilities of the entries [e0, e1) to sc (row stride ld).
func (t *attShared) scores(hh, e0, e1 int, sc []float32, ld int) {
	a, d := t.a, t.d
	kv, r0 := (hh/(t.h/t.hkv))*d, a.off[e0]
	q := a.Q[r0*a.LDQ+hh*d:]
	if a.Pre > 0 {
		sharedProduct(a.off[e1]-r0, a.Pre, d, t.scale, q, a.LDQ, a.KT[kv*a.LDK:], a.LDK, 0, sc, ld)
	}
	for i := e0; i < e1; i++ {
		e, r := a.Own[i], a.off[i]-r0
		tk := e.Past + e.N
		sharedProduct(e.N, tk-a.Pre, d, t.scale, q[r*a.LDQ:], a.LDQ, e.KT[kv*e.LDK+a.Pre:], e.LDK, 0, sc[r*ld+a.Pre:], ld)
		for j := 0; j < e.N; j++ {
			causalSoftmaxRow(sc[(r+j)*ld:(r+j)*ld+tk], e.Past+j)
		}
	}
}

// values writes head hh's outputs of the entries [e0, e1) from their probabilities sc (row stride
// ld), with part as scratch for a row block of partial sums.
func (t *attShared) values(hh, e0, e1 int, sc, part []float32, ld int) {
	a, d := t.a, t.d
	qd, kvd, kv := t.h*d, t.hkv*d, (hh/(t.h/t.hkv))*d
	r0, rows := a.off[e0], a.off[e1]-a.off[e0]
	y := a.Y[r0*qd+hh*d:]
	// The value sums: K blocks [0, kb) hold only shared positions (one product for all rows); the
	// block holding position Pre starts in the shared values (one product, from zero) and goes on in
	// each entry's own; the blocks after hold only own positions.
	kc := gemmCur.Load().kc
	kb := a.Pre / kc * kc
	if kb > 0 {
		sharedProduct(rows, d, kb, 1, sc, ld, a.V[kv:], kvd, 0, y, qd)
	}
	if a.Pre > kb {
		sharedProduct(rows, d, a.Pre-kb, 1, sc[kb:], ld, a.V[kb*kvd+kv:], kvd, 0, part, d)
	}
	row := gemmCur.Load().row
	for i := e0; i < e1; i++ {
		e, r := a.Own[i], a.off[i]-r0
		tk := e.Past + e.N
		end := min(kb+kc, tk)
		ye := y[r*qd:]
		if a.Pre > kb {
			for j := r; j < r+e.N; j++ {
				pj := part[j*d : j*d+d]
				row(end-a.Pre, &sc[j*ld+a.Pre], &e.V[a.Pre*kvd+kv], kvd, &pj[0], d, 1, 0, true)
				yj := y[j*qd : j*qd+d]
				if kb == 0 {
					copy(yj, pj)
					continue
				}
				for c, x := range pj { // the block's sum joins the earlier blocks' as beta·C does
					yj[c] = x + yj[c]
				}
			}
		} else {
			var beta float32 // the first block sets C, a later one adds to it
			if kb > 0 {
				beta = 1
			}
			sharedProduct(e.N, d, end-kb, 1, sc[r*ld+kb:], ld, e.V[kb*kvd+kv:], kvd, beta, ye, qd)
		}
		if end < tk {
			sharedProduct(e.N, d, tk-end, 1, sc[r*ld+end:], ld, e.V[end*kvd+kv:], kvd, 1, ye, qd)
		}
	}
}

// sharedProduct is GemmSerial(false, false, rows, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
// bitwise; below sharedGemmRows rows it runs a row kernel per row instead, reading B (one head's keys
// or values, small enough to stay in cache) in place rather than packing it for a handful of rows
// (decoding steps).
func sharedProduct(rows, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if rows >= sharedGemmRows {
		GemmSerial(false, false, rows, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for i := 0; i < rows; i++ {
		gemmRowBeta(n, k, alpha, a[i*lda:], b, ldb, beta, c[i*ldc:])
	}
}

// sharedGemmRows is where sharedProduct switches to GEMM: packing B pays off from about two
// micro-tiles of rows.
const sharedGemmRows = 24

// causalSoftmaxRow turns the scores row[:last+1] into probabilities and zeroes the rest of the row,
// as AttentionCached does.
func causalSoftmaxRow(row []float32, last int) {
	expNormalize(row[:last+1], maxGo(row[:last+1]))
	clear(row[last+1:])
}

// gathered is head for a backend without a row kernel: each entry's shared and own keys and values
// of the head's key/value head gathered into one cache-shaped buffer (the other heads' parts are
// not read), then AttentionCached's head on it.
func (t *attShared) gathered(hh, e0, e1 int, s []float32) {
	a, d := t.a, t.d
	kvd, kv := t.hkv*d, (hh/(t.h/t.hkv))*d
	for i := e0; i < e1; i++ {
		e := a.Own[i]
		tk := e.Past + e.N
		kt, v, sc := s[:kvd*tk], s[kvd*tk:2*kvd*tk], s[2*kvd*tk:2*kvd*tk+e.N*tk]
		for r := kv; r < kv+d; r++ {
			copy(kt[r*tk:r*tk+a.Pre], a.KT[r*a.LDK:])
			copy(kt[r*tk+a.Pre:r*tk+tk], e.KT[r*e.LDK+a.Pre:])
		}
		for p := 0; p < tk; p++ {
			src := a.V
			if p >= a.Pre {
				src = e.V
			}
			copy(v[p*kvd+kv:p*kvd+kv+d], src[p*kvd+kv:])
		}
		ce := CachedAttention{Y: a.Y[a.off[i]*t.h*d:], Q: a.Q[a.off[i]*a.LDQ:], LDQ: a.LDQ,
			KT: kt, LDK: tk, V: v, N: e.N, Past: e.Past}
		ce.headIn(hh, t.h, t.hkv, d, t.scale, sc)
	}
}
