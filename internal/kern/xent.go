package kern

import "math"

// SoftmaxCrossEntropy computes, for every row n of logits [N,V] with target y[n]:
//
//	losses[n]    = logsumexp(logits[n,:]) − logits[n, y[n]]        (natural log)
//	dlogits[n,:] = (softmax(logits[n,:]) − onehot(y[n])) · scale    (skipped when dlogits is nil)
//
// A target of −1 marks a position that does not count: its loss and gradient are 0. dlogits may alias
// logits. The row's sums run in float64 so the loss is accurate for large V.
// Shapes: dlogits [N,V] or nil, losses [N], logits [N,V], y [N].
func SoftmaxCrossEntropy(dlogits, losses, logits []float32, y []int32, n, v int, scale float32) {
	need("SoftmaxCrossEntropy", "logits", logits, n*v)
	need("SoftmaxCrossEntropy", "losses", losses, n)
	if dlogits != nil {
		need("SoftmaxCrossEntropy", "dlogits", dlogits, n*v)
	}
	if len(y) < n {
		panic("kern: SoftmaxCrossEntropy: len(y) = " + itoa(len(y)) + " < " + itoa(n))
	}
	parallelArgs(&xentFree, n, xentArgs{dlogits, losses, logits, y, v, scale})
}

// xentArgs holds the arguments of SoftmaxCrossEntropy; Run computes rows [lo, hi).
type xentArgs struct {
	dlogits, losses, logits []float32
	y                       []int32
	v                       int
	scale                   float32
}

var xentFree taskFree[xentArgs]

func (a *xentArgs) Run(lo, hi int) {
	dlogits, losses, logits, y, v, scale := a.dlogits, a.losses, a.logits, a.y, a.v, a.scale
	for i := lo; i < hi; i++ {
		row := logits[i*v : i*v+v]
		tgt := int(y[i])
		if tgt < 0 {
			losses[i] = 0
			if dlogits != nil {
				clear(dlogits[i*v : i*v+v])
			}
			continue
		}
		if tgt >= v {
			panic("kern: SoftmaxCrossEntropy: target " + itoa(tgt) + " out of vocabulary " + itoa(v))
		}
		mx := row[0]
		for _, x := range row[1:] {
			if x > mx {
				mx = x
			}
		}
		var sum float64
		for _, x := range row {
			sum += float64(Exp32(x - mx))
		}
		losses[i] = float32(math.Log(sum) + float64(mx-row[tgt]))
		if dlogits == nil {
			continue
		}
		inv := float32(1 / sum)
		d := dlogits[i*v : i*v+v]
		for j, x := range row {
			d[j] = Exp32(x-mx) * inv * scale
		}
		d[tgt] -= scale
	}
}
