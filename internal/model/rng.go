package model

import (
	"math"

	"midas/internal/splitmix"
)

// RNG is the stream of weight initialisation and sampling: a splitmix64 Source (package splitmix) whose
// state starts at the seed itself, not at a mixed seed as splitmix.New would, so that every seed keeps
// the weights it always had. Its whole state is one uint64 (Source.S).
type RNG struct{ splitmix.Source }

// NewRNG seeds a stream.
func NewRNG(seed uint64) *RNG { return &RNG{splitmix.Source{S: seed}} }

// Normal returns a standard normal draw (Box–Muller, one value per call).
func (r *RNG) Normal() float64 {
	u1 := r.Float64()
	for u1 == 0 {
		u1 = r.Float64()
	}
	u2 := r.Float64()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
