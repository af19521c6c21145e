package ckpt

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Safetensors dtype names that ReadFloat32 and Writer.WriteFloat32 convert.
const (
	F32  = "F32"
	BF16 = "BF16"
	F16  = "F16"
)

// dtypeSizes lists every dtype of the safetensors format with its size in bytes. Only F32, BF16
// and F16 convert to float32; the others are accepted so that a checkpoint holding, say, an I64
// buffer can still be opened and passed through raw.
var dtypeSizes = map[string]int{
	"F64": 8, "F32": 4, "F16": 2, "BF16": 2,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1,
	"U64": 8, "U32": 4, "U16": 2, "U8": 1,
	"BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
}

// DTypeSize returns the size in bytes of one element of a safetensors dtype, and false if the
// dtype is unknown.
func DTypeSize(dtype string) (int, bool) {
	n, ok := dtypeSizes[dtype]
	return n, ok
}

// BF16ToF32 widens a bfloat16 bit pattern to float32 exactly (bfloat16 is the top half of a float32).
func BF16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// F32ToBF16 rounds a float32 to the nearest bfloat16, ties to even. Overflow gives ±Inf; a NaN stays
// a (quiet) NaN with its sign.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		// Rounding could carry a NaN whose payload sits in the low half into ±Inf.
		return uint16(b>>16) | 0x0040
	}
	// Adding 0x7fff rounds a remainder above half up; the extra lsb turns an exact tie into a
	// round-up only when the kept part is odd.
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// F16ToF32 widens an IEEE 754 binary16 bit pattern to float32 exactly, subnormals, infinities and
// NaNs (payload kept) included.
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal: value = mant·2^-24. Normalize so the leading one lands on bit 10.
	e := uint32(127 - 15 + 1)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

// F32ToF16 rounds a float32 to the nearest IEEE 754 binary16, ties to even, producing subnormals
// where needed. Overflow gives ±Inf; a NaN stays a quiet NaN with its sign.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // biased binary16 exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			// Below 2^-25, half the smallest subnormal: rounds to zero.
			return sign
		}
		// Subnormal result: the 24-bit significand shifted so that one unit is 2^-24.
		m := mant | 0x800000
		shift := uint32(14 - e)
		return sign | uint16(roundShift(m, shift))
	}
	// Normal: the carry out of the mantissa correctly bumps the exponent (up to Inf).
	return sign | uint16(roundShift(uint32(e)<<23|mant, 13))
}

// roundShift returns x >> s rounded to nearest, ties to even, for 1 ≤ s ≤ 24 and x < 2^31.
// Adding half-1 rounds a remainder above half up; adding the kept lsb as well turns an exact tie
// into a round-up only when the kept part is odd. No branches: the remainders of real data are random.
func roundShift(x, s uint32) uint32 {
	return (x + (1<<(s-1) - 1) + (x>>s)&1) >> s
}

// DecodeFloat32 converts little-endian raw tensor bytes of dtype F32, BF16 or F16 into dst, which
// must hold exactly len(raw)/size elements (a mismatch panics).
func DecodeFloat32(dst []float32, dtype string, raw []byte) error {
	if dtype != F32 && dtype != BF16 && dtype != F16 {
		if _, ok := dtypeSizes[dtype]; ok {
			return fmt.Errorf("ckpt: dtype %s cannot be converted to float32", dtype)
		}
		return fmt.Errorf("ckpt: unknown dtype %q", dtype)
	}
	size := dtypeSizes[dtype]
	if len(raw) != len(dst)*size {
		panic(fmt.Sprintf("ckpt: DecodeFloat32: %d bytes of %s for %d values", len(raw), dtype, len(dst)))
	}
	switch dtype {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BF16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	}
	return nil
}

// EncodeFloat32 converts src into little-endian raw bytes of dtype F32, BF16 or F16 (rounding to
// nearest, ties to even), appending them to dst and returning the extended slice.
func EncodeFloat32(dst []byte, dtype string, src []float32) ([]byte, error) {
	switch dtype {
	case F32:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	case BF16:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint16(dst, F32ToBF16(v))
		}
	case F16:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint16(dst, F32ToF16(v))
		}
	default:
		if _, ok := dtypeSizes[dtype]; ok {
			return dst, fmt.Errorf("ckpt: dtype %s cannot be written from float32", dtype)
		}
		return dst, fmt.Errorf("ckpt: unknown dtype %q", dtype)
	}
	return dst, nil
}
