package tasks

import "math/bits"

// rng is a splitmix64 generator, written out here (instead of math/rand) so that every example
// is a pure function of its seed on every Go version and every machine.
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

func newRNG(seed uint64) rng { return rng{s: mix64(seed)} }

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a uniform int in [0, n) with Lemire's multiply-and-reject method. n must be > 0.
func (r *rng) intn(n int) int {
	if n <= 0 {
		panic("tasks: rng.intn with n <= 0")
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

// perm returns a uniform permutation of 0..n-1 (Fisher–Yates, from the top).
func (r *rng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	shuffle(r, p)
	return p
}

// shuffle permutes xs in place (Fisher–Yates, from the top).
func shuffle[T any](r *rng, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// letters returns k distinct lowercase letters in random order (a partial Fisher–Yates over
// a–z). k must be in [0, 26].
func (r *rng) letters(k int) []string {
	var abc [26]byte
	for i := range abc {
		abc[i] = 'a' + byte(i)
	}
	out := make([]string, k)
	for i := 0; i < k; i++ {
		j := i + r.intn(26-i)
		abc[i], abc[j] = abc[j], abc[i]
		out[i] = string(abc[i : i+1])
	}
	return out
}

// fnv64 is FNV-1a over s; it turns a spec's name into a stream salt.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
