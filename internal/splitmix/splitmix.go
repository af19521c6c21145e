// Package splitmix is the seeded random source of the generators (synthetic corpus, reasoning
// primitives), of the data order, of weight initialisation (model.RNG) and of the fine-tuning order:
// splitmix64 with Lemire's bounded integers and Fisher–Yates shuffles, written out here instead of
// math/rand so that every generated text is a pure function of its seed on every Go version and every
// machine. Changing anything here changes the golden files of packages data and tasks.
package splitmix

import "math/bits"

// Golden is 2^64 divided by the golden ratio, the splitmix64 increment.
const Golden = 0x9e3779b97f4a7c15

// Mix64 is the splitmix64 finaliser (Stafford variant 13).
func Mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Mix combines a seed with more values into a new, well-mixed seed: Mix(a, b, c) = Mix(Mix(a, b), c).
func Mix(a uint64, bs ...uint64) uint64 {
	for _, b := range bs {
		a = Mix64(a*Golden + Mix64(b+Golden))
	}
	return a
}

// Source is a splitmix64 stream.
type Source struct{ S uint64 }

// New seeds a stream (the seed is mixed first, so nearby seeds give unrelated streams).
func New(seed uint64) Source { return Source{S: Mix64(seed)} }

// Next returns the next 64 random bits.
func (r *Source) Next() uint64 {
	r.S += Golden
	return Mix64(r.S)
}

// Float64 returns a uniform float in [0, 1) from the top 53 bits of Next.
func (r *Source) Float64() float64 { return float64(r.Next()>>11) / (1 << 53) }

// Intn returns a uniform int in [0, n) with Lemire's multiply-and-reject method. n must be > 0.
func (r *Source) Intn(n int) int {
	if n <= 0 {
		panic("splitmix: Intn with n <= 0")
	}
	un := uint64(n)
	hi, lo := bits.Mul64(r.Next(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.Next(), un)
		}
	}
	return int(hi)
}

// Between returns a uniform int in [lo, hi] (inclusive). hi must be ≥ lo.
func (r *Source) Between(lo, hi int) int { return lo + r.Intn(hi-lo+1) }

// Chance returns true with probability p.
func (r *Source) Chance(p float64) bool { return r.Float64() < p }

// Perm returns a uniform permutation of 0..n-1 (Shuffle of the identity).
func (r *Source) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	Shuffle(r, p)
	return p
}

// Pick returns a uniform element of xs, which must not be empty.
func Pick[T any](r *Source, xs []T) T { return xs[r.Intn(len(xs))] }

// Shuffle permutes xs in place (Fisher–Yates, from the top).
func Shuffle[T any](r *Source, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// FNV64 is FNV-1a over s (stream salts, and partitioning generated texts).
func FNV64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
