package tasks

import "midas/internal/splitmix"

// letters returns k distinct lowercase letters in random order (a partial Fisher–Yates over
// a–z). k must be in [0, 26].
func letters(r *splitmix.Source, k int) []string {
	var abc [26]byte
	for i := range abc {
		abc[i] = 'a' + byte(i)
	}
	out := make([]string, k)
	for i := 0; i < k; i++ {
		j := i + r.Intn(26-i)
		abc[i], abc[j] = abc[j], abc[i]
		out[i] = string(abc[i : i+1])
	}
	return out
}
