//go:build openblas

package kern_test

// The openblas build links the OpenBLAS backend into the kern tests and benchmarks, next to the
// native backends, so that both are measured in one process.
import (
	"slices"
	"testing"

	"midas/internal/kern"
	_ "midas/internal/kern/openblas"
)

func TestOpenBLASRegistered(t *testing.T) {
	if got := kern.Backends(); !slices.Contains(got, "openblas") || len(got) < 2 {
		t.Fatalf("Backends() = %v, want the native backends and openblas", got)
	}
}
