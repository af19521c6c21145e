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
		mx := maxGT(row)
		xt := row[tgt] // read first: d may alias row
		var sum float64
		var d []float32
		if dlogits == nil {
			sum = expSum(row, mx)
		} else {
			d = dlogits[i*v : i*v+v]
			expSub(d, row, mx) // d holds the exponentials until it is scaled below
			for _, e := range d {
				sum += float64(e)
			}
		}
		losses[i] = float32(math.Log(sum) + float64(mx-xt))
		if d == nil {
			continue
		}
		inv := float32(1 / sum)
		for j, e := range d {
			d[j] = e * inv * scale
		}
		d[tgt] -= scale
	}
}

// expSum is Σ_j Exp32(x[j] − mx) in float64, summed in index order; the exponentials go through a
// stack buffer, 256 at a time, so that x is not written.
func expSum(x []float32, mx float32) float64 {
	var buf [256]float32
	var sum float64
	for lo := 0; lo < len(x); lo += len(buf) {
		e := buf[:min(len(buf), len(x)-lo)]
		expSub(e, x[lo:lo+len(e)], mx)
		for _, v := range e {
			sum += float64(v)
		}
	}
	return sum
}
