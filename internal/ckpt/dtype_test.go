package ckpt

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// Bit patterns below follow from the IEEE 754 binary16 layout (1 sign, 5 exponent bits biased by
// 15, 10 mantissa bits) and from bfloat16 being the top 16 bits of a binary32.

func TestF16ToF32Table(t *testing.T) {
	for _, tc := range []struct {
		h    uint16
		want float64
	}{
		{0x0000, 0},
		{0x0001, 0x1p-24},           // smallest subnormal
		{0x0002, 0x1p-23},           // subnormal
		{0x03ff, 1023 * 0x1p-24},    // largest subnormal
		{0x0400, 0x1p-14},           // smallest normal
		{0x3c00, 1},                 // one
		{0x3c01, 1 + 0x1p-10},       // one ulp above one
		{0x3555, 1365 * 0x1p-12},    // nearest to 1/3
		{0xc000, -2},                // sign
		{0x7bff, 65504},             // largest finite
		{0x8001, -0x1p-24},          // negative subnormal
		{0x7c00, math.Inf(1)},       // +Inf
		{0xfc00, math.Inf(-1)},      // -Inf
		{0x2e66, 0.0999755859375},   // float16(0.1)
		{0x5640, 100},               // 1.5625·2^6
		{0x0200, 0x1p-15},           // subnormal with a single high mantissa bit
		{0x83ff, -1023 * 0x1p-24},   // negative largest subnormal
		{0x0155, 341 * 0x1p-24},     // subnormal with scattered bits
		{0x7800, 32768},             // 2^15
		{0x1400, 0x1p-10},           // 2^-10
		{0x4248, 3.140625},          // float16(pi)
		{0xbc00, -1},                // minus one
		{0x3800, 0.5},               // one half
		{0x0401, 0x1p-14 + 0x1p-24}, // smallest normal plus one ulp
	} {
		got := F16ToF32(tc.h)
		if float64(got) != tc.want {
			t.Errorf("F16ToF32(%#04x) = %g, want %g", tc.h, got, tc.want)
		}
	}
	if b := math.Float32bits(F16ToF32(0x8000)); b != 0x80000000 {
		t.Errorf("F16ToF32(0x8000) bits = %#08x, want -0 (0x80000000)", b)
	}
	for _, h := range []uint16{0x7e00, 0x7c01, 0xfe00, 0x7fff} {
		if f := F16ToF32(h); !math.IsNaN(float64(f)) || math.Signbit(float64(f)) != (h&0x8000 != 0) {
			t.Errorf("F16ToF32(%#04x) = %g, want NaN with sign %v", h, f, h&0x8000 != 0)
		}
	}
}

func TestF32ToF16Table(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    float32
		want uint16
	}{
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"largest finite", 65504, 0x7bff},
		{"below overflow midpoint", 65519, 0x7bff},
		{"overflow midpoint ties to even (Inf)", 65520, 0x7c00},
		{"overflow", 1e6, 0x7c00},
		{"negative overflow", -1e6, 0xfc00},
		{"+Inf", float32(math.Inf(1)), 0x7c00},
		{"-Inf", float32(math.Inf(-1)), 0xfc00},
		{"tie 1+2^-11 to even (down)", 1 + 0x1p-11, 0x3c00},
		{"tie 1+3·2^-11 to even (up)", 1 + 3*0x1p-11, 0x3c02},
		{"above tie rounds up", 1 + 0x1p-11 + 0x1p-20, 0x3c01},
		{"below tie rounds down", 1 + 0x1p-11 - 0x1p-22, 0x3c00},
		{"0.1", 0.1, 0x2e66},
		{"1/3", 1.0 / 3, 0x3555},
		{"smallest subnormal", 0x1p-24, 0x0001},
		{"half smallest subnormal ties to zero", 0x1p-25, 0x0000},
		{"just above half smallest subnormal", 0x1p-25 + 0x1p-35, 0x0001},
		{"subnormal tie 1.5 to 2", 3 * 0x1p-25, 0x0002},
		{"subnormal tie 2.5 to 2", 5 * 0x1p-25, 0x0002},
		{"quarter smallest subnormal", 0x1p-26, 0x0000},
		{"negative underflow keeps sign", -0x1p-26, 0x8000},
		{"negative smallest subnormal", -0x1p-24, 0x8001},
		{"tie between largest subnormal and smallest normal", 1023.5 * 0x1p-24, 0x0400},
		{"largest subnormal", 1023 * 0x1p-24, 0x03ff},
		{"float32 subnormal", 0x1p-149, 0x0000},
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
	} {
		if got := F32ToF16(tc.f); got != tc.want {
			t.Errorf("%s: F32ToF16(%g) = %#04x, want %#04x", tc.name, tc.f, got, tc.want)
		}
	}
	for _, bits := range []uint32{0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff} {
		h := F32ToF16(math.Float32frombits(bits))
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 || (h&0x8000 != 0) != (bits&0x80000000 != 0) {
			t.Errorf("F32ToF16(NaN %#08x) = %#04x, want a NaN with the same sign", bits, h)
		}
	}
}

func TestBF16Table(t *testing.T) {
	for _, tc := range []struct {
		h    uint16
		want float64
	}{
		{0x3f80, 1},
		{0xc000, -2},
		{0x0001, 0x1p-133}, // smallest subnormal (float32 bits 0x00010000)
		{0x0080, 0x1p-126}, // smallest normal
		{0x7f7f, 3.3895313892515355e+38},
		{0x7f80, math.Inf(1)},
		{0xff80, math.Inf(-1)},
		{0x3dcd, 0.10009765625},
	} {
		if got := BF16ToF32(tc.h); float64(got) != tc.want {
			t.Errorf("BF16ToF32(%#04x) = %g, want %g", tc.h, got, tc.want)
		}
	}
	if f := BF16ToF32(0x7fc0); !math.IsNaN(float64(f)) {
		t.Errorf("BF16ToF32(0x7fc0) = %g, want NaN", f)
	}
	for _, tc := range []struct {
		name string
		bits uint32
		want uint16
	}{
		{"one", 0x3f800000, 0x3f80},
		{"tie 1+2^-8 to even (down)", 0x3f808000, 0x3f80},
		{"tie 1+3·2^-8 to even (up)", 0x3f818000, 0x3f82},
		{"above tie", 0x3f808001, 0x3f81},
		{"below tie", 0x3f807fff, 0x3f80},
		{"0.1 (0x3dcccccd)", 0x3dcccccd, 0x3dcd},
		{"max float32 overflows", 0x7f7fffff, 0x7f80},
		{"largest bf16 stays", 0x7f7f0000, 0x7f7f},
		{"negative max overflows", 0xff7fffff, 0xff80},
		{"+Inf", 0x7f800000, 0x7f80},
		{"signalling NaN must not become Inf", 0x7f800001, 0x7fc0},
		{"negative NaN", 0xff800001, 0xffc0},
		{"quiet NaN", 0x7fc00000, 0x7fc0},
		{"subnormal tie to even zero", 0x00008000, 0x0000},
		{"subnormal tie to even up", 0x00018000, 0x0002},
		{"negative zero", 0x80000000, 0x8000},
	} {
		if got := F32ToBF16(math.Float32frombits(tc.bits)); got != tc.want {
			t.Errorf("%s: F32ToBF16(%#08x) = %#04x, want %#04x", tc.name, tc.bits, got, tc.want)
		}
	}
}

// f16Oracle is the value of a binary16 pattern computed from its definition in float64.
func f16Oracle(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0x1f:
		if mant != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	case 0:
		return sign * math.Ldexp(mant, -24)
	}
	return sign * math.Ldexp(1+mant/1024, exp-15)
}

// TestF16Exhaustive checks all 65536 patterns against the definition and the round trip.
func TestF16Exhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := F16ToF32(h)
		want := f16Oracle(h)
		if math.IsNaN(want) {
			if !math.IsNaN(float64(f)) || !isF16NaN(F32ToF16(f)) {
				t.Fatalf("%#04x: NaN not preserved: %g → %#04x", h, f, F32ToF16(f))
			}
			continue
		}
		if float64(f) != want || math.Signbit(float64(f)) != math.Signbit(want) {
			t.Fatalf("F16ToF32(%#04x) = %g, want %g", h, f, want)
		}
		if back := F32ToF16(f); back != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, back)
		}
	}
}

func isF16NaN(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }

func TestBF16Exhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.IsNaN(float64(f)) {
			if back := F32ToBF16(f); back&0x7f80 != 0x7f80 || back&0x7f == 0 {
				t.Fatalf("%#04x: NaN not preserved: %#04x", h, back)
			}
			continue
		}
		if back := F32ToBF16(f); back != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, back)
		}
	}
}

// nearestEven is the naive oracle for rounding x ≥ 0 to a sorted table of representable values:
// the closer neighbour wins, an exact tie goes to the even pattern. vals[i] is the value of
// pattern i; past the end, overflowAt is where the next (infinite) pattern would sit.
func nearestEven(x float64, vals []float64, overflowAt float64) int {
	i := sort.SearchFloat64s(vals, x) // vals[i-1] < x <= vals[i]
	if i < len(vals) && vals[i] == x {
		return i
	}
	lo, hi := i-1, i
	hiVal := overflowAt
	if hi < len(vals) {
		hiVal = vals[hi]
	}
	dl, dh := x-vals[lo], hiVal-x
	switch {
	case dl < dh:
		return lo
	case dh < dl:
		return hi
	case lo%2 == 0:
		return lo
	}
	return hi
}

// randomFloat32 draws mostly from the binade range of the target format, sometimes any bits.
func randomFloat32(r *rand.Rand, minExp, maxExp int) float32 {
	if r.IntN(8) == 0 {
		return math.Float32frombits(r.Uint32())
	}
	exp := uint32(minExp + r.IntN(maxExp-minExp+1))
	return math.Float32frombits(r.Uint32()&0x807fffff | exp<<23)
}

func TestF32ToF16Oracle(t *testing.T) {
	vals := make([]float64, 0x7c00) // patterns 0x0000..0x7bff, increasing
	for i := range vals {
		vals[i] = f16Oracle(uint16(i))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		f := randomFloat32(r, 127-26, 127+17) // from below the subnormals to past overflow
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		x := math.Abs(float64(f))
		want := uint16(nearestEven(x, vals, 65536))
		if math.Signbit(float64(f)) {
			want |= 0x8000
		}
		if got := F32ToF16(f); got != want {
			t.Fatalf("F32ToF16(%g, bits %#08x) = %#04x, oracle %#04x", f, math.Float32bits(f), got, want)
		}
	}
}

func TestF32ToBF16Oracle(t *testing.T) {
	vals := make([]float64, 0x7f80) // patterns 0x0000..0x7f7f, increasing
	for i := range vals {
		vals[i] = float64(math.Float32frombits(uint32(i) << 16))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		f := randomFloat32(r, 0, 254)
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		want := uint16(nearestEven(math.Abs(float64(f)), vals, 0x1p128))
		if math.Signbit(float64(f)) {
			want |= 0x8000
		}
		if got := F32ToBF16(f); got != want {
			t.Fatalf("F32ToBF16(%g, bits %#08x) = %#04x, oracle %#04x", f, math.Float32bits(f), got, want)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	src := []float32{0, 1, -2.5, 0.1, 65504, 1e-7}
	for _, dt := range []string{F32, BF16, F16} {
		raw, err := EncodeFloat32(nil, dt, src)
		if err != nil {
			t.Fatal(err)
		}
		size, _ := DTypeSize(dt)
		if len(raw) != size*len(src) {
			t.Fatalf("%s: %d bytes, want %d", dt, len(raw), size*len(src))
		}
		got := make([]float32, len(src))
		if err := DecodeFloat32(got, dt, raw); err != nil {
			t.Fatal(err)
		}
		for i, v := range src {
			want := v
			switch dt {
			case BF16:
				want = BF16ToF32(F32ToBF16(v))
			case F16:
				want = F16ToF32(F32ToF16(v))
			}
			if got[i] != want {
				t.Errorf("%s[%d]: got %g, want %g", dt, i, got[i], want)
			}
		}
	}
	if _, err := EncodeFloat32(nil, "I64", src); err == nil {
		t.Error("EncodeFloat32 I64: no error")
	}
	if err := DecodeFloat32(make([]float32, 1), "Q4", make([]byte, 1)); err == nil {
		t.Error("DecodeFloat32 Q4: no error")
	}
}

// BenchmarkDecode and BenchmarkEncode measure conversion throughput over 1M elements.
func BenchmarkDecode(b *testing.B) {
	src := make([]float32, 1<<20)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	for _, dt := range []string{F32, BF16, F16} {
		raw, _ := EncodeFloat32(nil, dt, src)
		dst := make([]float32, len(src))
		b.Run(dt, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				DecodeFloat32(dst, dt, raw)
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	src := make([]float32, 1<<20)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	for _, dt := range []string{F32, BF16, F16} {
		buf := make([]byte, 0, 4*len(src))
		b.Run(dt, func(b *testing.B) {
			b.SetBytes(int64(4 * len(src)))
			for b.Loop() {
				buf, _ = EncodeFloat32(buf[:0], dt, src)
			}
		})
	}
}
