package tasks

import "midas/internal/splitmix"

// rng is the package's seeded source (package splitmix), so that every example is a pure function
// of its seed.
type rng struct{ splitmix.Source }

// mix combines a seed with one more value into a new, well-mixed seed.
func mix(a, b uint64) uint64 { return splitmix.Mix(a, b) }

func newRNG(seed uint64) rng { return rng{splitmix.New(seed)} }

func (r *rng) next() uint64 { return r.Next() }

// intn returns a uniform int in [0, n). n must be > 0.
func (r *rng) intn(n int) int { return r.Intn(n) }

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
func shuffle[T any](r *rng, xs []T) { splitmix.Shuffle(&r.Source, xs) }

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
func fnv64(s string) uint64 { return splitmix.FNV64(s) }
