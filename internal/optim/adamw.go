package optim

import (
	"fmt"
	"math"

	"midas/internal/kern"
)

// AdamW holds the hyper-parameters of AdamW with decoupled weight decay, with the semantics of
// torch.optim.AdamW (amsgrad=False, maximize=False). The learning rate is not a field: it comes from a
// Schedule and is passed to every Update.
type AdamW struct {
	Beta1       float64 // decay of the first moment m (default 0.9)
	Beta2       float64 // decay of the second moment v (default 0.95)
	Eps         float64 // added to the bias-corrected sqrt(v) in the denominator (default 1e-8)
	WeightDecay float64 // decoupled weight decay: p *= 1 - lr*WeightDecay on decayed ranges (default 0.1)
}

// DefaultAdamW returns the defaults used by midas (those of nanoGPT/llm.c for Llama-style models):
// Beta1 0.9, Beta2 0.95, Eps 1e-8, WeightDecay 0.1.
func DefaultAdamW() AdamW {
	return AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
}

// Validate reports hyper-parameters that torch.optim.AdamW would reject: betas outside [0, 1), a negative
// or non-finite eps or weight decay.
func (o AdamW) Validate() error {
	switch {
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return fmt.Errorf("optim: beta1 %v outside [0, 1)", o.Beta1)
	case !(o.Beta2 >= 0 && o.Beta2 < 1):
		return fmt.Errorf("optim: beta2 %v outside [0, 1)", o.Beta2)
	case !(o.Eps >= 0) || math.IsInf(o.Eps, 0):
		return fmt.Errorf("optim: eps %v, want a finite value >= 0", o.Eps)
	case !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0):
		return fmt.Errorf("optim: weight decay %v, want a finite value >= 0", o.WeightDecay)
	}
	return nil
}

// Update applies one AdamW step with learning rate lr at step t (1-based: the first update is t=1) to
// p[lo:hi], reading g[lo:hi] and updating the moments m[lo:hi] and v[lo:hi] in place. p, g, m and v share
// one flat layout; decay says whether weight decay applies to this range (false for norms, typically).
//
// Reference loop (torch's _single_tensor_adamw, same order of operations; scalars are computed in float64
// once per call, as torch does on Python floats, and rounded to float32 where ATen applies them):
//
//	bc1 := 1 - Beta1^t;  bc2 := 1 - Beta2^t
//	stepSize := lr/bc1;  bc2Sqrt := sqrt(bc2)
//	for i in [lo, hi):
//	    p[i] = p[i] * float32(1 - lr*WeightDecay)                // only if decay
//	    m[i] = fma(g[i], float32(1-Beta1), m[i]*float32(Beta1))
//	    v[i] = fma(float32(1-Beta2)*g[i], g[i], v[i]*float32(Beta2))
//	    denom := sqrt(v[i])/float32(bc2Sqrt) + float32(Eps)
//	    p[i] = p[i] + (float32(-stepSize)*m[i])/denom
//
// where every operation rounds to float32 and fma(a, b, c) = a*b + c rounded once. The two fused
// multiply-adds are what torch's AVX2 CPU kernels compute (add_ with alpha is vec::fmadd; addcmul_ is
// contracted by the compiler); with them, the golden test against torch 1.13 is bitwise equal. Update
// evaluates fma as float32(float64(a)*float64(b) + float64(c)): the product of two float32 values is
// exact in float64, so this is the same on every platform whether or not the compiler fuses, and it
// differs from a true float32 fma only by a rare double rounding (one ulp).
//
// Each element depends only on its own index, so the result is bitwise independent of how callers split
// a buffer into ranges or chunks. Update does not allocate. It panics if [lo, hi) is not a valid range of
// every buffer or if t < 1.
func (o AdamW) Update(p, g, m, v []float32, lo, hi int, decay bool, lr float64, t int) {
	if lo < 0 || hi < lo || hi > len(p) || hi > len(g) || hi > len(m) || hi > len(v) {
		panic(fmt.Sprintf("optim: Update range [%d,%d) outside buffers (len p=%d g=%d m=%d v=%d)",
			lo, hi, len(p), len(g), len(m), len(v)))
	}
	if t < 1 {
		panic(fmt.Sprintf("optim: Update step t=%d, want t >= 1", t))
	}
	// Scalars as in torch: Python floats (float64), converted to float32 by the ATen CPU kernels.
	tf := float64(t)
	bc1 := 1 - math.Pow(o.Beta1, tf)
	bc2 := 1 - math.Pow(o.Beta2, tf)
	negStep := float32(-(lr / bc1))
	bc2Sqrt := float32(math.Sqrt(bc2))
	keep := float32(1) // multiplying by exactly 1 leaves p bitwise unchanged, so no second loop is needed
	if decay {
		keep = float32(1 - lr*o.WeightDecay)
	}
	// 1-beta rounded to float32 as torch does, then held in float64 for the fused multiply-adds.
	sc := kern.AdamWScalars{Keep: keep, NegStep: negStep, BC2Sqrt: bc2Sqrt, Eps: float32(o.Eps),
		B1: float32(o.Beta1), B2: float32(o.Beta2), C1: float64(float32(1 - o.Beta1)), C2: float64(float32(1 - o.Beta2))}
	// fma(a, b, c) is evaluated as float32(a*b + c) in float64, where a*b is exact; kern.AdamWStep
	// holds the loop (its Go twin, and four lanes at a time on AVX2, bitwise the same).
	kern.AdamWStep(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], sc)
}
