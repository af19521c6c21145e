package kern

import (
	"bytes"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"testing"
)

// TestBF16PackersMatchGo checks the four assembly packers against bf16 on random bit patterns
// (every exponent, NaNs and infinities included) and on the special values.
func TestBF16PackersMatchGo(t *testing.T) {
	if !amxSupported() {
		t.Skip("no AMX on this CPU")
	}
	rng := rand.New(rand.NewSource(3))
	const ld = 40
	src := make([]float32, 64*ld)
	for i := range src {
		src[i] = math.Float32frombits(rng.Uint32())
	}
	copy(src, []float32{1, float32(math.Inf(1)), float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0x3f818000)})
	const alpha = 0.75
	r := func(x float32) uint16 { return bf16(alpha * x) }
	check := func(name string, got []uint16, want func(i int) (uint16, bool)) {
		t.Helper()
		for i, g := range got {
			if w, ok := want(i); ok && g != w {
				t.Fatalf("%s: dst[%d] = %#04x, want %#04x", name, i, g, w)
			}
		}
	}
	// bf16Rows: 2 rows of 32 at src stride ld, dst stride 64.
	dst := make([]uint16, 128)
	bf16Rows(&dst[0], 64, &src[0], ld, 2, alpha)
	check("bf16Rows", dst, func(i int) (uint16, bool) {
		if c, e := i/64, i%64; e < 32 {
			return r(src[c*ld+e]), true
		}
		return 0, true // untouched
	})
	// bf16RowsScatter: 32 floats → 16 pairs down a column of 64-byte rows.
	dst = make([]uint16, 2*512)
	bf16RowsScatter(&dst[2], 512, &src[0], ld, 2, alpha, &amxScatterIdx)
	check("bf16RowsScatter", dst, func(i int) (uint16, bool) {
		c, row, e := i/512, i%512/32, i%32-2
		if e != 0 && e != 1 {
			return 0, true // untouched
		}
		return r(src[c*ld+2*row+e]), true
	})
	// bf16Pairs: rows 2c and 2c+1 interleaved.
	dst = make([]uint16, 3*32)
	bf16Pairs(&dst[0], 32, &src[0], ld, 3, alpha)
	check("bf16Pairs", dst, func(i int) (uint16, bool) { c, col, e := i/32, i%32/2, i%2; return r(src[(2*c+e)*ld+col]), true })
	// bf16PairsScatter: pair c of column i goes to row i, dword c.
	dst = make([]uint16, 512)
	bf16PairsScatter(&dst[0], 2, &src[0], ld, 16, alpha, &amxScatterIdx)
	check("bf16PairsScatter", dst, func(i int) (uint16, bool) { row, c, e := i/32, i%32/2, i%2; return r(src[(2*c+e)*ld+row]), true })
}

// TestAMXAsmGenerated checks that amx_amd64.s is what its generator makes of the template.
func TestAMXAsmGenerated(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	tmpl, err := os.ReadFile("testdata/amxgen/amx_amd64.s.in")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/amxgen/gen.py")
	cmd.Stdin = bytes.NewReader(tmpl)
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("amx_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("amx_amd64.s is stale: run go generate ./internal/kern")
	}
}
