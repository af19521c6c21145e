package model

import (
	"fmt"
	"math"

	"midas/internal/kern"
)

// Rotary scaling types, as Hugging Face names them in rope_scaling's rope_type.
const (
	RopeLinear  = "linear"  // every frequency divided by Factor (position interpolation)
	RopeLlama3  = "llama3"  // Llama 3.1: low frequencies divided by Factor, high ones kept, a smooth ramp between
	RopeDynamic = "dynamic" // dynamic NTK: the unscaled rotation up to OriginalMaxPos positions
)

// RopeScaling is Hugging Face's rope_scaling of a Llama config, computed as transformers'
// modeling_rope_utils does (in float64 here, float32 there). With inv[i] = θ^(−2i/D):
//
//	linear   inv[i] / Factor
//	llama3   wavelength λ = 2π/inv[i]; λ < O/HighFreqFactor: inv[i]; λ > O/LowFreqFactor: inv[i]/Factor;
//	         otherwise (1−s)·inv[i]/Factor + s·inv[i] with s = (O/λ − LowFreqFactor)/(HighFreqFactor − LowFreqFactor),
//	         O = OriginalMaxPos
//	dynamic  inv[i] for positions below OriginalMaxPos (HF's max_position_embeddings), which is all a
//	         model may use: beyond it transformers rescales the base by the longest sequence seen so far
//	         (state kept between calls), which midas does not reproduce
//
// The attention factor of these three types is 1. The zero value is no scaling.
type RopeScaling struct {
	Type           string  `json:"type,omitempty"`
	Factor         float64 `json:"factor,omitempty"`
	LowFreqFactor  float64 `json:"low_freq_factor,omitempty"`
	HighFreqFactor float64 `json:"high_freq_factor,omitempty"`
	OriginalMaxPos int     `json:"original_max_position_embeddings,omitempty"`
}

// validate checks the parameters of the scaling type against a model of seq positions.
func (r RopeScaling) validate(seq int) error {
	switch r.Type {
	case "":
		if r != (RopeScaling{}) {
			return fmt.Errorf("rope_scaling without a type has parameters %+v", r)
		}
		return nil
	case RopeLinear, RopeDynamic, RopeLlama3:
	default:
		return fmt.Errorf("rope_scaling type %q is not supported (linear, llama3, dynamic)", r.Type)
	}
	if !(r.Factor > 0) || math.IsInf(r.Factor, 0) {
		return fmt.Errorf("rope_scaling %s: factor must be positive, got %g", r.Type, r.Factor)
	}
	switch r.Type {
	case RopeLlama3:
		if !(r.LowFreqFactor > 0 && r.HighFreqFactor > r.LowFreqFactor) || math.IsInf(r.HighFreqFactor, 0) || r.OriginalMaxPos < 1 {
			return fmt.Errorf("rope_scaling llama3: needs 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings, got %g, %g, %d",
				r.LowFreqFactor, r.HighFreqFactor, r.OriginalMaxPos)
		}
	case RopeDynamic:
		if r.OriginalMaxPos < 1 || seq > r.OriginalMaxPos {
			return fmt.Errorf("rope_scaling dynamic: %d positions exceed max_position_embeddings %d, beyond which Hugging Face rescales statefully (not supported)",
				seq, r.OriginalMaxPos)
		}
	}
	return nil
}

// invFreq returns the D/2 rotary inverse frequencies of base θ under r.
func (r RopeScaling) invFreq(d int, theta float64) []float64 {
	inv := kern.RoPEInvFreq(d, theta)
	switch r.Type {
	case RopeLinear:
		for i := range inv {
			inv[i] /= r.Factor
		}
	case RopeLlama3:
		old := float64(r.OriginalMaxPos)
		lowWave, highWave := old/r.LowFreqFactor, old/r.HighFreqFactor
		for i, f := range inv {
			switch wave := 2 * math.Pi / f; {
			case wave < highWave:
			case wave > lowWave:
				inv[i] = f / r.Factor
			default:
				s := (old/wave - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
				inv[i] = (1-s)*f/r.Factor + s*f
			}
		}
	}
	return inv
}

// ropeTable is the rotary table of c: NewRoPETable's for no scaling (bitwise as before scaling
// existed), else the table of the scaled frequencies.
func ropeTable(c Config) *kern.RoPETable {
	if c.RopeScaling.Type == "" {
		return kern.NewRoPETable(c.SeqLen, c.HeadDim(), c.RopeTheta)
	}
	return kern.NewRoPETableFreq(c.SeqLen, c.RopeScaling.invFreq(c.HeadDim(), c.RopeTheta))
}
