package kern

import "math"

// attentionForwardNaive is the oracle of AttentionForward: the definition evaluated in float64 one
// (batch row, head, query) at a time, with the same arguments and outputs. Query head hh uses
// key/value head hh/(H/Hkv), and query i of row b sees key j iff j ≤ max(i, prefix[b]−1):
//
//	s[j] = q_i·k_j / √D,  P[i,j] = exp(s[j] − max s) / Σ exp(s − max s),  y_i = Σ_j P[i,j]·v_j
func attentionForwardNaive(y, att, qkv []float32, prefix []int, b, t, h, hkv, d int) {
	checkHeads("attentionForwardNaive", h, hkv)
	c, w, g := h*d, (h+2*hkv)*d, h/hkv
	checkPrefix("attentionForwardNaive", prefix, b, t)
	for bi := 0; bi < b; bi++ {
		for hh := 0; hh < h; hh++ {
			for i := 0; i < t; i++ {
				p := naiveProbs(qkv, prefix, bi, hh, i, t, h, hkv, d)
				row := att[((bi*h+hh)*t+i)*t : ((bi*h+hh)*t+i+1)*t]
				for j := range row {
					row[j] = 0
					if j < len(p) {
						row[j] = float32(p[j])
					}
				}
				for e := 0; e < d; e++ {
					var s float64
					for j, pj := range p {
						s += pj * float64(qkv[(bi*t+j)*w+c+hkv*d+(hh/g)*d+e])
					}
					y[(bi*t+i)*c+hh*d+e] = float32(s)
				}
			}
		}
	}
}

// naiveProbs returns the float64 probabilities of query i (batch row bi, head hh) over the keys it
// sees, 0..max(i, prefix−1).
func naiveProbs(qkv []float32, prefix []int, bi, hh, i, t, h, hkv, d int) []float64 {
	c, w, g := h*d, (h+2*hkv)*d, h/hkv
	n := max(i, prefixOf(prefix, bi)-1) + 1
	s := make([]float64, n)
	mx := math.Inf(-1)
	for j := range s {
		for e := 0; e < d; e++ {
			s[j] += float64(qkv[(bi*t+i)*w+hh*d+e]) * float64(qkv[(bi*t+j)*w+c+(hh/g)*d+e])
		}
		s[j] /= math.Sqrt(float64(d))
		mx = math.Max(mx, s[j])
	}
	var sum float64
	for j := range s {
		s[j] = math.Exp(s[j] - mx)
		sum += s[j]
	}
	for j := range s {
		s[j] /= sum
	}
	return s
}

// attentionBackwardNaive is the oracle of AttentionBackward: it recomputes P in float64 (so it needs
// no att) and writes dqkv [N,(H+2·Hkv)·D] from dy [N,H·D] by the chain rule, one query row at a time:
//
//	dP[j] = dy_i·v_j,  dS[j] = P[j]·(dP[j] − Σ_l P[l]·dP[l]) / √D,
//	dq_i += Σ_j dS[j]·k_j,  dk_j += dS[j]·q_i,  dv_j += P[j]·dy_i
func attentionBackwardNaive(dqkv, dy, qkv []float32, prefix []int, b, t, h, hkv, d int) {
	checkHeads("attentionBackwardNaive", h, hkv)
	c, w, g := h*d, (h+2*hkv)*d, h/hkv
	checkPrefix("attentionBackwardNaive", prefix, b, t)
	acc := make([]float64, b*t*w)
	at := func(row, col int) float64 { return float64(qkv[row*w+col]) }
	for bi := 0; bi < b; bi++ {
		for hh := 0; hh < h; hh++ {
			qc, kc, vc := hh*d, c+(hh/g)*d, c+hkv*d+(hh/g)*d
			for i := 0; i < t; i++ {
				p := naiveProbs(qkv, prefix, bi, hh, i, t, h, hkv, d)
				ri := bi*t + i
				dp := make([]float64, len(p))
				var dot float64
				for j := range p {
					for e := 0; e < d; e++ {
						dp[j] += float64(dy[ri*c+hh*d+e]) * at(bi*t+j, vc+e)
					}
					dot += p[j] * dp[j]
				}
				for j := range p {
					rj := bi*t + j
					ds := p[j] * (dp[j] - dot) / math.Sqrt(float64(d))
					for e := 0; e < d; e++ {
						acc[ri*w+qc+e] += ds * at(rj, kc+e)
						acc[rj*w+kc+e] += ds * at(ri, qc+e)
						acc[rj*w+vc+e] += p[j] * float64(dy[ri*c+hh*d+e])
					}
				}
			}
		}
	}
	for i, v := range acc {
		dqkv[i] = float32(v)
	}
}
