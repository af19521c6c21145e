package data

import "midas/internal/splitmix"

// rng is the package's seeded source (package splitmix), so that every document, permutation and
// question is a pure function of its seed.
type rng struct{ splitmix.Source }

func mix64(z uint64) uint64 { return splitmix.Mix64(z) }

// mix combines a seed with one more value into a new, well-mixed seed.
func mix(a, b uint64) uint64 { return splitmix.Mix(a, b) }

// mix3 is mix(mix(a, b), c).
func mix3(a, b, c uint64) uint64 { return mix(mix(a, b), c) }

func newRNG(seed uint64) rng { return rng{splitmix.New(seed)} }

func (r *rng) next() uint64 { return r.Next() }

// intn returns a uniform int in [0, n). n must be > 0.
func (r *rng) intn(n int) int { return r.Intn(n) }

// between returns a uniform int in [lo, hi] (inclusive).
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance returns true with probability p.
func (r *rng) chance(p float64) bool { return float64(r.next()>>11)*(1.0/(1<<53)) < p }

// pick returns a uniform element of xs.
func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// shuffle permutes xs in place (Fisher–Yates, from the top).
func shuffle[T any](r *rng, xs []T) { splitmix.Shuffle(&r.Source, xs) }

// fnv64 is FNV-1a over s; used to partition generated texts between Train and Val.
func fnv64(s string) uint64 { return splitmix.FNV64(s) }
