package tok

// The GPT-2 bytes_to_unicode table: every byte maps to one printable rune so
// that a token's bytes can be written as a JSON string without control
// characters or spaces. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
// map to themselves; the other 68 bytes map, in increasing byte order, to
// U+0100, U+0101, ... (so ' ' becomes 'Ġ' U+0120 and '\n' becomes 'Ċ' U+010A).
// Hugging Face's ByteLevel pre-tokenizer writes vocab keys and merges with it.

var (
	byteToRune [256]rune
	runeToByte map[rune]byte
)

func init() {
	n := 0
	runeToByte = make(map[rune]byte, 256)
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !printableByte(byte(b)) {
			r = rune(256 + n)
			n++
		}
		byteToRune[b] = r
		runeToByte[r] = byte(b)
	}
}

func printableByte(b byte) bool {
	return ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF)
}

// byteLevelString maps raw token bytes to their byte-level unicode spelling.
func byteLevelString(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = byteToRune[c]
	}
	return string(rs)
}

// byteLevelBytes is the inverse of byteLevelString; ok is false when s holds
// a rune outside the 256-rune alphabet.
func byteLevelBytes(s string) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		c, found := runeToByte[r]
		if !found {
			return nil, false
		}
		b = append(b, c)
	}
	return b, true
}
