package model

import (
	"fmt"
	"math"

	"midas/internal/kern"
	"midas/internal/objective"
)

// Model owns the parameters, their gradients and the activation buffers of one forward/backward pass.
// It is not safe for concurrent use; kernels inside it use the kern worker pool.
type Model struct {
	Cfg    Config
	Layout *Layout
	Params []float32 // flat, see Layout
	Grads  []float32 // same layout; Backward accumulates into it
	// Recompute keeps only each layer's input between the forward and backward passes and runs the
	// layer's forward again in Backward (activation checkpointing): activations ~L times smaller but
	// for the residual stream, about one more forward pass of time, bit for bit the same gradients.
	// It takes effect at the next forward pass (a Backward follows how its forward pass kept them).
	Recompute bool

	rope    *kern.RoPETable
	acts    activations
	embGrad embedGrad // reused by every Backward, so that it does not allocate
	// last forward pass
	b, t     int
	tokens   []int32
	targets  []int32
	prefix   []int // per-row bidirectional prefix of the last forward pass; nil: causal
	prefixes []int // LossBatch's copy of a batch's Prefix, reused
	hasLoss  bool
	valid    int
	lossMean float32
	packs    *weightPacks // PackWeights; nil: the GEMMs pack the weights on every call
}

// activations are sized for the largest B·T seen so far and reused, so steady-state steps allocate nothing.
type activations struct {
	cap   int         // rows N they are sized for
	attBT int         // B·T·T the full attention's buffers are sized for (0: only lean so far)
	one   bool        // made for Recompute: every per-layer buffer but res is one buffer shared by the layers
	res   [][]float32 // [L+1][N·C]: input of each layer, then the final residual stream
	rstd1 [][]float32 // [L][N]
	h1    [][]float32 // [L][N·C] RMSNorm1 output
	qkv   [][]float32 // [L][N·W] after RoPE; W = QKVDim (3C without GQA or head_dim)
	att   [][]float32 // [L]: attention's probabilities [B·H·T·T], or with leanAttention its softmax statistics [2·N·H]
	y     [][]float32 // [L][N·Q] attention output before o_proj; Q = QDim (C without head_dim)
	res2  [][]float32 // [L][N·C] residual after attention
	rstd2 [][]float32 // [L][N]
	h2    [][]float32 // [L][N·C]
	gu    [][]float32 // [L][N·2F] gate | up
	act   [][]float32 // [L][N·F] silu(gate)·up
	rstdF []float32   // [N]
	hF    []float32   // [N·C]
	logit []float32   // [N·V]; holds dlogits after Backward
	loss  []float32   // [N]
	// backward scratch
	dres, dh []float32 // [N·C]
	dy       []float32 // [N·Q]
	dqkv     []float32 // [N·W]
	datt     []float32 // [B·H·T·T] (full attention only)
	dgu      []float32 // [N·2F]
	dact     []float32 // [N·F]
}

// New allocates a model with zero parameters; call InitWeights or load parameters into Params.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newModel(cfg, NewLayout(cfg)), nil
}

// NewMapped allocates a model whose cfg.NumLayers physical layers are applied in the order of
// layerMap (see Layout.Map): depth len(layerMap), parameters of cfg.NumLayers layers.
func NewMapped(cfg Config, layerMap []int) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l, err := NewLayoutMap(cfg, layerMap)
	if err != nil {
		return nil, err
	}
	return newModel(cfg, l), nil
}

func newModel(cfg Config, l *Layout) *Model {
	return &Model{
		Cfg: cfg, Layout: l,
		Params: make([]float32, l.Size), Grads: make([]float32, l.Size),
		rope: ropeTable(cfg),
	}
}

// InitWeights sets the parameters as llama_ref.py does: every matrix and the embedding ~ N(0, 0.02²),
// RMSNorm scales 1. The normal draws come from a seeded splitmix64 stream, so they are the same on
// every machine.
func (m *Model) InitWeights(seed uint64) {
	r := NewRNG(seed)
	for _, t := range m.Layout.Tensors {
		p := m.Params[t.Offset : t.Offset+t.Size]
		if t.Kind == KindNorm {
			for i := range p {
				p[i] = 1
			}
			continue
		}
		for i := range p {
			p[i] = float32(r.Normal() * 0.02)
		}
	}
}

// ZeroGrads clears the gradient buffer.
func (m *Model) ZeroGrads() { clear(m.Grads) }

// leanAttentionMin is the size (floats per layer) of the attention probabilities B·H·T² above which the
// model runs the lean attention (kern.AttentionForwardLean: statistics kept, probabilities recomputed
// in backward); below it keeping them is cheap and saves the recomputation (~5% of a step at T = 256).
// Both give the same bits. A variable so that tests can force either.
var leanAttentionMin int64 = 8 << 20

// leanAttention reports whether a [b, t] batch runs the lean attention.
func (m *Model) leanAttention(b, t int) bool {
	return int64(b)*int64(m.Cfg.NumHeads)*int64(t)*int64(t) > leanAttentionMin
}

func (m *Model) ensure(b, t int) {
	c, f, v, h, L := m.Cfg.Dim, m.Cfg.FFNDim, m.Cfg.VocabSize, m.Cfg.NumHeads, m.Layout.Depth()
	q, w := m.Cfg.QDim(), m.Cfg.QKVDim()
	n := b * t
	a := &m.acts
	lean := m.leanAttention(b, t)
	if n <= a.cap && len(a.rstd1) == L && (lean || b*t*t <= a.attBT) && a.one == m.Recompute {
		return
	}
	if a.one != m.Recompute {
		*a = activations{} // the other layout: nothing to keep
	}
	n = max(n, a.cap)
	bt := a.attBT
	if !lean {
		bt = max(bt, b*t*t)
	}
	// mk makes k buffers of size floats: with Recompute one, shared by all k (but the residuals).
	mk := func(k, size int) [][]float32 {
		s := make([][]float32, k)
		for i := range s {
			if i == 0 || !m.Recompute {
				s[i] = make([]float32, size)
			} else {
				s[i] = s[0]
			}
		}
		return s
	}
	res := make([][]float32, L+1)
	for i := range res {
		res[i] = make([]float32, n*c)
	}
	*a = activations{
		cap: n, attBT: bt, one: m.Recompute,
		res: res, rstd1: mk(L, n), h1: mk(L, n*c), qkv: mk(L, n*w), att: mk(L, max(2*n*h, bt*h)),
		y: mk(L, n*q), res2: mk(L, n*c), rstd2: mk(L, n), h2: mk(L, n*c), gu: mk(L, 2*n*f), act: mk(L, n*f),
		rstdF: make([]float32, n), hF: make([]float32, n*c), logit: make([]float32, n*v), loss: make([]float32, n),
		dres: make([]float32, n*c), dh: make([]float32, n*c), dy: make([]float32, n*q),
		dqkv: make([]float32, n*w), datt: make([]float32, bt*h), dgu: make([]float32, 2*n*f), dact: make([]float32, n*f),
	}
}

// ActivationBytes is the memory, in bytes, of the activation and backward-scratch buffers that a
// forward and backward pass over a [b, t] batch allocates in a fresh model: what ensure makes for
// N = b·t rows (slice headers aside), 4 bytes per float of
//
//	per layer  N·(4C + W + Q + 3F + 2) + A       (residuals in and mid, two norm outputs and rstds,
//	                                             qkv, y, gate|up, act; the attention's A)
//	once       N·(4C + W + Q + 3F + V + 2) + A'  (final residual, norm output and rstd, logits, losses;
//	                                             backward scratch dres, dh, dy, dqkv, dgu, dact; A')
//
// with W = QKVDim and Q = QDim (8C in all for multi-head attention without head_dim). The attention
// keeps its probabilities, A = A' = B·H·T² (datt), while they are small (leanAttention); beyond,
// its softmax statistics A = 2·N·H and, once, a T×T pair per worker thread (the lean attention's
// recomputed probabilities and their gradient, which kern keeps between steps).
// With Recompute only the residuals are per layer: L·N·C + (per layer − N·C) + once.
// A model keeps the buffers of its largest batch so far.
func (m *Model) ActivationBytes(b, t int) int64 {
	c, f, v, h, L := int64(m.Cfg.Dim), int64(m.Cfg.FFNDim), int64(m.Cfg.VocabSize), int64(m.Cfg.NumHeads), int64(m.Layout.Depth())
	q, w := int64(m.Cfg.QDim()), int64(m.Cfg.QKVDim())
	n := int64(b) * int64(t)
	att, once := int64(b)*int64(t)*int64(t)*h, int64(b)*int64(t)*int64(t)*h
	if m.leanAttention(b, t) {
		att, once = 2*n*h, 0
	}
	// Per layer: res[l], rstd1, h1, qkv, att, y, res2, rstd2, h2, gu, act.
	perLayer := n*c + n + n*c + n*w + att + n*q + n*c + n + n*c + 2*n*f + n*f
	// Once: res[L], rstdF, hF, logit, loss; backward scratch dres, dh, dy, dqkv, dgu, dact (and datt).
	once += n*c + n + n*c + n*v + n + 2*n*c + n*q + n*w + 2*n*f + n*f
	layers := L * perLayer
	if m.Recompute {
		layers = L*n*c + perLayer - n*c
	}
	return 4*(layers+once) + m.attentionScratchBytes(b, t)
}

// attentionScratchBytes is the lean attention's scratch for a [b, t] batch: a T×T pair of floats per
// worker thread (kern keeps them between steps); 0 when the full attention runs.
func (m *Model) attentionScratchBytes(b, t int) int64 {
	if !m.leanAttention(b, t) {
		return 0
	}
	return 4 * 2 * int64(t) * int64(t) * int64(max(kern.Threads(), 1))
}

// Forward runs the model on tokens [B·T] (row-major [B][T], T ≤ SeqLen) and returns the logits [B·T, V].
// The returned slice is owned by the model and overwritten by the next call.
func (m *Model) Forward(tokens []int32, b, t int) []float32 {
	m.forward(tokens, nil, b, t)
	m.hasLoss = false
	return m.acts.logit[:b*t*m.Cfg.VocabSize]
}

// Loss runs the forward pass and returns the mean next-token cross-entropy (natural log) over the
// positions whose target is ≥ 0; targets [B·T] of −1 (objective.Ignore) are ignored. Backward may
// follow.
func (m *Model) Loss(tokens, targets []int32, b, t int) float32 {
	return m.loss(tokens, targets, nil, b, t)
}

// loss is Loss with a per-row bidirectional prefix [B] (nil: causal).
func (m *Model) loss(tokens, targets []int32, prefix []int, b, t int) float32 {
	m.forward(tokens, prefix, b, t)
	n, v := b*t, m.Cfg.VocabSize
	if len(targets) < n {
		panic("model: Loss: len(targets) < B·T")
	}
	a := &m.acts
	kern.SoftmaxCrossEntropy(nil, a.loss, a.logit, targets, n, v, 0)
	var sum float64
	m.valid = 0
	for i, l := range a.loss[:n] {
		sum += float64(l)
		if targets[i] >= 0 {
			m.valid++
		}
	}
	m.targets, m.hasLoss = targets, true
	m.lossMean = float32(sum / float64(max(m.valid, 1)))
	return m.lossMean
}

// LossBatch is Loss on a batch made by an objective: its Inputs, its Targets (objective.Ignore carries
// no loss), its B and T, and its Prefix: positions [0, Prefix[b]) of row b attend to each other
// bidirectionally, the rest causally (kern.AttentionForward). A batch whose prefixes are all 0 gives
// bitwise the result of Loss. A prefix outside [0, T], or a target that is not Ignore at a position
// before Prefix[b]−1 (that position sees the token it would predict), panics. Backward may follow.
func (m *Model) LossBatch(bt *objective.Batch) float32 {
	var prefix []int
	for b, p := range bt.Prefix[:bt.B] {
		if p < 0 || p > bt.T {
			panic(fmt.Sprintf("model: LossBatch: row %d has a prefix of %d outside [0, T = %d]", b, p, bt.T))
		}
		for i, y := range bt.Targets[b*bt.T : b*bt.T+max(p-1, 0)] {
			if y != objective.Ignore {
				panic(fmt.Sprintf("model: LossBatch: row %d predicts position %d inside its prefix of %d "+
					"(its target must be objective.Ignore)", b, i, p))
			}
		}
		if p > 1 && prefix == nil {
			m.prefixes = append(m.prefixes[:0], bt.Prefix[:bt.B]...)
			prefix = m.prefixes
		}
	}
	return m.loss(bt.Inputs, bt.Targets, prefix, bt.B, bt.T)
}

// Losses returns the per-position losses [B·T] of the last Loss call.
func (m *Model) Losses() []float32 { return m.acts.loss[:m.b*m.t] }

func (m *Model) forward(tokens []int32, prefix []int, b, t int) {
	cfg := m.Cfg
	if t > cfg.SeqLen || t <= 0 || b <= 0 {
		panic("model: Forward: T must be in [1, SeqLen]")
	}
	if len(tokens) < b*t {
		panic("model: Forward: len(tokens) < B·T")
	}
	m.ensure(b, t)
	m.b, m.t, m.tokens, m.prefix = b, t, tokens[:b*t], prefix
	a := &m.acts
	c, n, eps, P := cfg.Dim, b*t, float32(cfg.NormEps), m.Params
	embed, norm, head := m.Layout.global()
	x := a.res[0][:n*c]
	for i, tok := range tokens[:n] {
		if tok < 0 || int(tok) >= cfg.VocabSize {
			panic("model: Forward: token id out of vocabulary")
		}
		copy(x[i*c:i*c+c], P[embed.Offset+int(tok)*c:])
	}
	L := m.Layout.Depth()
	for l := 0; l < L; l++ {
		m.layerForward(l, true)
	}
	last := a.res[L][:n*c]
	kern.RMSNormForward(a.hF, a.rstdF, last, P[norm.Offset:norm.Offset+c], n, c, eps)
	m.gemmFwd(n, a.hF, head.Offset, cfg.VocabSize, c, 0, a.logit)
}

// layerForward runs layer l of the last forward pass (m.b, m.t, m.prefix) from its input a.res[l];
// with out, also its output a.res[l+1] (Backward's recomputation needs all but that). It does the
// same float32 operations every time, so a recomputed layer has its forward pass's bits.
func (m *Model) layerForward(l int, out bool) {
	cfg, a, P, b, t := m.Cfg, &m.acts, m.Params, m.b, m.t
	c, f, h, hkv, d := cfg.Dim, cfg.FFNDim, cfg.NumHeads, cfg.KVHeads(), cfg.HeadDim()
	q, w := cfg.QDim(), cfg.QKVDim() // 3C and C for multi-head attention: the calls below are then as before GQA
	n, eps := b*t, float32(cfg.NormEps)
	// lay(k, n) is the n floats of layer l starting at tensor k (n spans fused tensors: q|k|v, gate|up).
	lay := func(k, n int) []float32 { t := m.Layout.layerTensor(l, k); return P[t.Offset : t.Offset+n] }
	at := func(k int) int { return m.Layout.layerTensor(l, k).Offset }
	in, mid := a.res[l][:n*c], a.res2[l][:n*c]
	kern.RMSNormForward(a.h1[l], a.rstd1[l], in, lay(tLN1, c), n, c, eps)
	m.gemmFwd(n, a.h1[l], at(tQ), w, c, 0, a.qkv[l])
	kern.RoPEForward(a.qkv[l], m.rope, b, t, h+hkv, w, 0)
	if m.leanAttention(b, t) {
		kern.AttentionForwardLean(a.y[l], a.att[l], a.qkv[l], m.prefix, b, t, h, hkv, d)
	} else {
		kern.AttentionForward(a.y[l], a.att[l], a.qkv[l], m.prefix, b, t, h, hkv, d)
	}
	copy(mid, in)
	m.gemmFwd(n, a.y[l], at(tO), c, q, 1, mid)
	kern.RMSNormForward(a.h2[l], a.rstd2[l], mid, lay(tLN2, c), n, c, eps)
	m.gemmFwd(n, a.h2[l], at(tGate), 2*f, c, 0, a.gu[l])
	kern.SwiGLUForward(a.act[l], a.gu[l], n, f)
	if out {
		res := a.res[l+1][:n*c]
		copy(res, mid)
		m.gemmFwd(n, a.act[l], at(tDown), c, f, 1, res)
	}
}

// Backward accumulates into Grads the gradient of scale × (the mean loss of the last Loss call).
// scale = 1/k averages k accumulated micro-batches. The logits buffer is overwritten.
func (m *Model) Backward(scale float32) {
	if !m.hasLoss {
		panic("model: Backward without a preceding Loss")
	}
	m.hasLoss = false
	cfg := m.Cfg
	a := &m.acts
	b, t := m.b, m.t
	c, f, h, hkv, d, v := cfg.Dim, cfg.FFNDim, cfg.NumHeads, cfg.KVHeads(), cfg.HeadDim(), cfg.VocabSize
	q, w := cfg.QDim(), cfg.QKVDim()
	n := b * t
	P, G := m.Params, m.Grads
	embed, norm, head := m.Layout.global()
	kern.SoftmaxCrossEntropy(a.logit, a.loss, a.logit, m.targets, n, v, scale/float32(max(m.valid, 1)))
	dlog := a.logit[:n*v]
	kern.Gemm(true, false, v, c, n, 1, dlog, v, a.hF, c, 1, G[head.Offset:head.Offset+head.Size], c)
	dh, dres := a.dh[:n*c], a.dres[:n*c]
	m.gemmBwd(n, dlog, head.Offset, c, v, dh)
	clear(dres)
	L := m.Layout.Depth()
	kern.RMSNormBackward(dres, G[norm.Offset:norm.Offset+c], dh, a.res[L], P[norm.Offset:norm.Offset+c], a.rstdF, n, c)
	for l := L - 1; l >= 0; l-- {
		// pw/gw(k, n): the n floats of params/grads of layer l from tensor k on (n may span fused tensors).
		pw := func(k, n int) []float32 { t := m.Layout.layerTensor(l, k); return P[t.Offset : t.Offset+n] }
		gw := func(k, n int) []float32 { t := m.Layout.layerTensor(l, k); return G[t.Offset : t.Offset+n] }
		at := func(k int) int { return m.Layout.layerTensor(l, k).Offset }
		if a.one && l < L-1 { // shared buffers (Recompute at the forward pass) hold its last layer only
			m.layerForward(l, false)
		}
		// MLP branch: out = mid + act·Wdownᵀ
		m.gemmBwd(n, dres, at(tDown), f, c, a.dact)
		kern.Gemm(true, false, c, f, n, 1, dres, c, a.act[l], f, 1, gw(tDown, c*f), f)
		kern.SwiGLUBackward(a.dgu, a.dact, a.gu[l], n, f)
		kern.Gemm(true, false, 2*f, c, n, 1, a.dgu, 2*f, a.h2[l], c, 1, gw(tGate, 2*f*c), c)
		m.gemmBwd(n, a.dgu, at(tGate), c, 2*f, dh)
		kern.RMSNormBackward(dres, gw(tLN2, c), dh, a.res2[l], pw(tLN2, c), a.rstd2[l], n, c)
		// Attention branch: mid = in + y·Woᵀ
		m.gemmBwd(n, dres, at(tO), q, c, a.dy)
		kern.Gemm(true, false, c, q, n, 1, dres, c, a.y[l], q, 1, gw(tO, c*q), q)
		if m.leanAttention(b, t) {
			kern.AttentionBackwardLean(a.dqkv, a.dy, a.qkv[l], a.att[l], m.prefix, b, t, h, hkv, d)
		} else {
			kern.AttentionBackward(a.dqkv, a.datt, a.dy, a.qkv[l], a.att[l], m.prefix, b, t, h, hkv, d)
		}
		kern.RoPEBackward(a.dqkv, m.rope, b, t, h+hkv, w, 0)
		kern.Gemm(true, false, w, c, n, 1, a.dqkv, w, a.h1[l], c, 1, gw(tQ, w*c), c)
		m.gemmBwd(n, a.dqkv, at(tQ), c, w, dh)
		kern.RMSNormBackward(dres, gw(tLN1, c), dh, a.res[l], pw(tLN1, c), a.rstd1[l], n, c)
	}
	// Embedding: scatter-add rows; split over columns so the row order (and the result) is fixed.
	m.embGrad = embedGrad{ge: G[embed.Offset : embed.Offset+embed.Size], dres: dres, tokens: m.tokens, c: c}
	kern.ParallelForTask(c, &m.embGrad)
	m.embGrad = embedGrad{}
}

// embedGrad scatter-adds the rows of dres [N,C] into the embedding gradient ge [V,C] at the rows
// named by tokens [N]. Run handles columns [lo, hi): split over columns, every column sums its rows
// in token order, so the result does not depend on the thread count.
type embedGrad struct {
	ge, dres []float32
	tokens   []int32
	c        int
}

func (e *embedGrad) Run(lo, hi int) {
	c := e.c
	for i, tok := range e.tokens {
		dst := e.ge[int(tok)*c : int(tok)*c+c]
		src := e.dres[i*c : i*c+c]
		for j := lo; j < hi; j++ {
			dst[j] += src[j]
		}
	}
}

// GradNonFinite returns the name of the first tensor whose gradient holds NaN or Inf, or "".
func (m *Model) GradNonFinite() string {
	for _, t := range m.Layout.Tensors {
		for _, g := range m.Grads[t.Offset : t.Offset+t.Size] {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				return t.Name
			}
		}
	}
	return ""
}

// MeanLoss is the mean causal LM loss (objective.Causal, whatever the training objective) over batches
// of packed windows, each [B][seq+1] flat; a batch's trailing tokens that fill no whole window
// are left out. NaN when there are no batches.
func (m *Model) MeanLoss(batches [][]int32, seq int) float64 {
	if len(batches) == 0 {
		return math.NaN()
	}
	var bt objective.Batch
	var sum float64
	for j, vb := range batches {
		b := len(vb) / (seq + 1)
		objective.Causal{}.Make(&bt, vb[:b*(seq+1)], b, seq, uint64(j))
		sum += float64(m.LossBatch(&bt))
	}
	return sum / float64(len(batches))
}
