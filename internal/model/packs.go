package model

import "midas/internal/kern"

// weightPacks are a model's projection and head weights packed in advance (PackWeights), by tensor
// offset: fwd for the forward pass (op(B) = Wᵀ), bwd for the backward pass's input gradients
// (op(B) = W).
type weightPacks struct {
	fwd, bwd map[int]*kern.PackedB
	all      []*kern.PackedB
	params   *float32 // &Params[0] they were packed from: a model given new Params ignores them
}

// packed returns m's packings when they were made from its current Params, else nil.
func (m *Model) packed() *weightPacks {
	if p := m.packs; p != nil && len(m.Params) > 0 && p.params == &m.Params[0] {
		return p
	}
	return nil
}

// PackWeights packs the weights of every projection and of the head for the GEMMs of the forward
// pass (Forward, Loss, LossBatch) and, with backward, of Backward's input gradients, so that many
// passes over the same weights — the examples of one fine-tuning step — do not pack them on every
// GEMM: bitwise the same results. The packing is a copy: after the weights change, PackWeights must
// run again before the next pass (it repacks into the same buffers) or DropPacks. It costs one (two
// with backward) more copy of those weights in memory.
func (m *Model) PackWeights(backward bool) {
	if p := m.packed(); p != nil && (p.bwd != nil) == backward {
		kern.ParallelFor(len(p.all), func(lo, hi int) {
			for _, pb := range p.all[lo:hi] {
				pb.Repack()
			}
		})
		return
	}
	p := &weightPacks{fwd: map[int]*kern.PackedB{}, params: &m.Params[0]}
	if backward {
		p.bwd = map[int]*kern.PackedB{}
	}
	for _, w := range m.projWeights() {
		b := m.Params[w.off : w.off+w.rows*w.cols]
		p.fwd[w.off] = kern.PackB(true, w.rows, w.cols, b, w.cols)
		p.all = append(p.all, p.fwd[w.off])
		if backward {
			p.bwd[w.off] = kern.PackB(false, w.cols, w.rows, b, w.cols)
			p.all = append(p.all, p.bwd[w.off])
		}
	}
	m.packs = p
}

// projWeight is a projection or head weight: its offset in Params and its stored shape (rows = out
// features, cols = in).
type projWeight struct{ off, rows, cols int }

// projWeights lists m's projection weights — every layer's q|k|v, o, gate|up and down, those a looped
// model's layers share once — and the head (the embedding when tied).
func (m *Model) projWeights() []projWeight {
	cfg := m.Cfg
	C, F, Q, W := cfg.Dim, cfg.FFNDim, cfg.QDim(), cfg.QKVDim()
	var ws []projWeight
	seen := map[int]bool{}
	add := func(t Tensor, rows, cols int) {
		if !seen[t.Offset] {
			seen[t.Offset] = true
			ws = append(ws, projWeight{t.Offset, rows, cols})
		}
	}
	for l := 0; l < m.Layout.Depth(); l++ {
		add(m.Layout.layerTensor(l, tQ), W, C)
		add(m.Layout.layerTensor(l, tO), C, Q)
		add(m.Layout.layerTensor(l, tGate), 2*F, C)
		add(m.Layout.layerTensor(l, tDown), C, F)
	}
	_, _, head := m.Layout.global()
	add(head, cfg.VocabSize, C)
	return ws
}

// DropPacks forgets PackWeights' packing: the GEMMs pack the weights on every call again.
func (m *Model) DropPacks() { m.packs = nil }

// gemmFwd is c = a·Wᵀ (+ c when beta is 1) for the weight tensor at offset off (n × k as stored) and
// a [rows × k]: the forward pass's projections and head.
func (m *Model) gemmFwd(rows int, a []float32, off, n, k int, beta float32, c []float32) {
	if p := m.packed(); p != nil {
		if pb := p.fwd[off]; pb != nil {
			kern.GemmPacked(false, rows, 1, a, k, pb, beta, c, n)
			return
		}
	}
	kern.Gemm(false, true, rows, n, k, 1, a, k, m.Params[off:off+n*k], k, beta, c, n)
}

// gemmBwd is c = a·W for the weight tensor at offset off (k × n as stored) and a [rows × k]: the
// backward pass's input gradients of the projections and head.
func (m *Model) gemmBwd(rows int, a []float32, off, n, k int, c []float32) {
	if p := m.packed(); p != nil {
		if pb := p.bwd[off]; pb != nil {
			kern.GemmPacked(false, rows, 1, a, k, pb, 0, c, n)
			return
		}
	}
	kern.Gemm(false, false, rows, n, k, 1, a, k, m.Params[off:off+n*k], n, 0, c, n)
}
