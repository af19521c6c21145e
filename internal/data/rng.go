package data

import "math/bits"

// rng is a splitmix64 generator. It is written out here (instead of using math/rand) so that
// every document, permutation and question is a pure function of its seed on every Go version
// and every machine.
type rng struct{ s uint64 }

// golden is 2^64 divided by the golden ratio, the splitmix64 increment.
const golden = 0x9e3779b97f4a7c15

// mix64 is the splitmix64 finaliser (Stafford variant 13).
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// mix combines a seed with one more value into a new, well-mixed seed.
func mix(a, b uint64) uint64 { return mix64(a*golden + mix64(b+golden)) }

// mix3 is mix(mix(a, b), c).
func mix3(a, b, c uint64) uint64 { return mix(mix(a, b), c) }

func newRNG(seed uint64) rng { return rng{s: mix64(seed)} }

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a uniform int in [0, n) with Lemire's multiply-and-reject method. n must be > 0.
func (r *rng) intn(n int) int {
	if n <= 0 {
		panic("data: rng.intn with n <= 0")
	}
	un := uint64(n)
	hi, lo := bits.Mul64(r.next(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), un)
		}
	}
	return int(hi)
}

// between returns a uniform int in [lo, hi] (inclusive).
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance returns true with probability p.
func (r *rng) chance(p float64) bool { return float64(r.next()>>11)*(1.0/(1<<53)) < p }

// pick returns a uniform element of xs.
func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// shuffle permutes xs in place (Fisher–Yates, from the top).
func shuffle[T any](r *rng, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// fnv64 is FNV-1a over s; used to partition generated texts between Train and Val.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
