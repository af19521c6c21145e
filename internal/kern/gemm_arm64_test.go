package kern

import "testing"

// TestNEONBitwiseGeneric: on arm64 the NEON backend's results are bit for bit the generic Go
// backend's (both fuse every multiply-add, in k order, blocked by the same kc), for every
// transposition, edge tiles, several K blocks, beta 0 and 1, alpha ≠ 1.
func TestNEONBitwiseGeneric(t *testing.T) {
	prev := Backend()
	defer SetBackend(prev)
	shapes := [][3]int{{1, 1, 1}, {8, 8, 8}, {13, 21, 300}, {96, 130, 513}, {3, 1030, 64}}
	use := func(i int) {
		if err := SetBackend([]string{"neon", "generic"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	gemmBitwiseCases(t, 7, shapes, []int{Threads()}, use, "neon differs from generic")
}
