package train

import (
	"fmt"
	"math"

	"midas/internal/model"
)

// SimReg is the similarity regulariser of Saunshi et al. 2025 ("Reasoning with Latent Thoughts", SPEC §6)
// on an untied model of L layers: with blocks of k = Block consecutive layers,
//
//	R(k) = 1/(L−k) · Σ_{i=0}^{L/k−2} Σ_{j=0}^{k−1} cos(θ^(ik+j), θ^((i+1)k+j))
//
// compares every layer with the same layer of the next block (L−k pairs), and the training loss gets
// −λ·R(k), so minimising it pulls successive blocks together (towards a model looped with block k).
// θ^(l) is, by default, each weight matrix of layer l separately (q, k, v, o, gate, up, down; the
// cosine of a layer pair is then the mean over its |G| = 7 matrices, so R stays in [−1, 1]); with Flat,
// all of them flattened into one vector. Norms adds the two RMSNorm scales (|G| = 9), which start
// equal in every layer. A pair with an all-zero vector has no cosine and contributes nothing. The
// gradient is exact (see Gradient); R is computed in float64.
type SimReg struct {
	Lambda float64 `json:"lambda"`          // λ ≥ 0; 0: off
	Block  int     `json:"block"`           // k: layers per block, dividing L with L/k ≥ 2
	Norms  bool    `json:"norms,omitempty"` // also compare the RMSNorm scales
	Flat   bool    `json:"flat,omitempty"`  // one cosine per layer pair over its flattened tensors
}

// On reports whether the regulariser is active (λ > 0).
func (s SimReg) On() bool { return s.Lambda > 0 }

// problems lists what is wrong with the regulariser for options o.
func (s SimReg) problems(o Options) []string {
	if s == (SimReg{}) {
		return nil
	}
	var p []string
	L := o.Model.NumLayers
	switch {
	case !(s.Lambda >= 0) || math.IsInf(s.Lambda, 0):
		return append(p, fmt.Sprintf("sim-reg λ must be a finite number ≥ 0, got %g", s.Lambda))
	case s.Lambda == 0:
		return append(p, "sim-reg-block, -norms and -flat need sim-reg λ > 0")
	case o.Loop.Looped():
		p = append(p, fmt.Sprintf("sim-reg applies to untied models; this one is looped (loop %s)", o.Loop))
	case o.Growing():
		p = append(p, fmt.Sprintf("sim-reg applies to untied models trained at full depth; growth %s changes the depth", o.Growth))
	case s.Block < 1:
		p = append(p, fmt.Sprintf("sim-reg-block must be at least 1 layer, got %d", s.Block))
	case L%s.Block != 0 || L/s.Block < 2:
		p = append(p, fmt.Sprintf("sim-reg-block %d must divide the %d layers into at least 2 blocks", s.Block, L))
	}
	return p
}

// simTerm is one cosine of R: vectors a and b, each a list of flat ranges [lo, hi), and its weight.
type simTerm struct {
	a, b [][2]int
	w    float64
}

// terms lists the cosines of R(k) over the physical layers of l (an untied layout).
func (s SimReg) terms(l *model.Layout) []simTerm {
	n, k := l.NumLayers(), s.Block
	group := make([][][2]int, n) // per layer, the ranges of its tensors in G, in layout order
	for _, t := range l.Tensors {
		if t.Layer >= 0 && (t.Kind == model.KindMatrix || (s.Norms && t.Kind == model.KindNorm)) {
			group[t.Layer] = append(group[t.Layer], [2]int{t.Offset, t.Offset + t.Size})
		}
	}
	var out []simTerm
	pairs := float64(n - k)
	for a := 0; a+k < n; a++ {
		b := a + k
		if s.Flat {
			out = append(out, simTerm{a: group[a], b: group[b], w: 1 / pairs})
			continue
		}
		g := float64(len(group[a]))
		for i := range group[a] {
			out = append(out, simTerm{a: group[a][i : i+1], b: group[b][i : i+1], w: 1 / (pairs * g)})
		}
	}
	return out
}

// Value is R(k) of the untied model laid out by l with parameters params.
func (s SimReg) Value(l *model.Layout, params []float32) float64 {
	return simValueGrad(params, nil, s.terms(l), 0)
}

// simValueGrad returns R = Σ w·cos(a, b) over the terms and, when grads is not nil, adds scale·∂R/∂θ
// to grads:
//
//	∂cos/∂a = b/(|a||b|) − cos·a/|a|²   (and symmetrically for b)
//
// Dot products and norms are summed in float64 in range order; F is float32 in training and float64
// in the finite-difference test.
func simValueGrad[F float32 | float64](params, grads []F, terms []simTerm, scale float64) float64 {
	dot := func(x, y [][2]int) float64 {
		var s float64
		for i, rx := range x {
			ry := y[i]
			ys := params[ry[0]:ry[1]]
			for j, v := range params[rx[0]:rx[1]] {
				s += float64(v) * float64(ys[j])
			}
		}
		return s
	}
	var r float64
	for _, t := range terms {
		aa, bb, ab := dot(t.a, t.a), dot(t.b, t.b), dot(t.a, t.b)
		if aa == 0 || bb == 0 {
			continue
		}
		na, nb := math.Sqrt(aa), math.Sqrt(bb)
		cos := ab / (na * nb)
		r += t.w * cos
		if grads == nil {
			continue
		}
		// ∂(w·cos)/∂a = w·(b/(|a||b|) − cos·a/|a|²): the a side reads b, the b side reads a.
		c1, ca, cb := scale*t.w/(na*nb), scale*t.w*cos/aa, scale*t.w*cos/bb
		for i, ra := range t.a {
			rb := t.b[i]
			pa, pb := params[ra[0]:ra[1]], params[rb[0]:rb[1]]
			ga, gb := grads[ra[0]:ra[1]], grads[rb[0]:rb[1]]
			for j := range pa {
				x, y := float64(pa[j]), float64(pb[j])
				ga[j] += F(c1*y - ca*x)
				gb[j] += F(c1*x - cb*y)
			}
		}
	}
	return r
}

// simRegHook is the Hooks.Gradient of the regulariser: it adds −λ·∂R/∂θ to the step's gradient and
// returns the loss term −λ·R. Its terms are listed once per layout (the model does not change shape:
// sim-reg refuses growth), so that a step allocates nothing.
type simRegHook struct {
	s      SimReg
	layout *model.Layout
	terms  []simTerm
}

func (h *simRegHook) Gradient(t *Trainer) (float64, error) {
	m := t.Model
	if m.Layout != h.layout {
		h.layout, h.terms = m.Layout, h.s.terms(m.Layout)
	}
	r := simValueGrad(m.Params, m.Grads, h.terms, -h.s.Lambda)
	return -h.s.Lambda * r, nil
}
