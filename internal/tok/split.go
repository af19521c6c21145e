package tok

import (
	"unicode"
	"unicode/utf8"
)

// The pre-tokenizer reproduces, without regexp, the GPT-2 / Hugging Face
// ByteLevel split pattern (use_regex: true):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// The alternatives are tried in order at each position (leftmost-first, as
// Oniguruma and Python's regex do). \s is the Unicode White_Space property
// (unicode.IsSpace), \p{L} is unicode.IsLetter and \p{N} unicode.IsNumber.
// Every rune falls in exactly one of four classes, so the pattern matches
// the whole input without gaps. An invalid UTF-8 byte counts as one rune of
// class "other" (it decodes as U+FFFD, a symbol), which is also what Go's
// regexp does; HF never sees invalid UTF-8 because Rust strings are valid.
//
// The lookahead \s+(?!\S) means: a whitespace run that is followed by a
// non-space gives up its last rune, which then starts the next piece (as " "
// in " word", or alone when it is not U+0020, since only a plain space may
// prefix a word). A lone whitespace rune before a non-space falls through to
// the final \s+ and stands alone.

const (
	classOther = iota
	classLetter
	classNumber
	classSpace
)

// asciiClass holds the class of every ASCII byte.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = runeClass(rune(c))
	}
	return t
}()

func runeClass(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	case unicode.IsSpace(r):
		return classSpace
	}
	return classOther
}

// classAt returns the class and width of the rune starting at s[i].
func classAt(s string, i int) (class uint8, width int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return runeClass(r), w
}

// nextPiece returns the end of the pre-token that starts at s[i]; i < len(s).
func nextPiece(s string, i int) int {
	if s[i] == '\'' {
		if n := contraction(s[i+1:]); n > 0 {
			return i + 1 + n
		}
	}
	start := i
	if s[i] == ' ' && i+1 < len(s) {
		if c, _ := classAt(s, i+1); c != classSpace {
			i++ // " ?" takes the space, the run below follows it
		}
	}
	class, w := classAt(s, i)
	if class != classSpace {
		j := i + w
		for j < len(s) {
			c, w := classAt(s, j)
			if c != class {
				break
			}
			j += w
		}
		return j
	}
	// A whitespace run starting at start (== i here).
	last, j := i, i+w
	for j < len(s) {
		c, w := classAt(s, j)
		if c != classSpace {
			break
		}
		last, j = j, j+w
	}
	if j < len(s) && last > start {
		return last // \s+(?!\S): leave the last rune for the next piece
	}
	return j
}

// contraction returns the length of 's 't 're 've 'm 'll 'd after the
// apostrophe (lower case only, as in the pattern), or 0.
func contraction(s string) int {
	if len(s) == 0 {
		return 0
	}
	switch s[0] {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if len(s) > 1 && s[1] == 'e' {
			return 2
		}
	case 'l':
		if len(s) > 1 && s[1] == 'l' {
			return 2
		}
	}
	return 0
}

// PreTokenize splits s into the pieces the ByteLevel pre-tokenizer gives
// (see the pattern above); concatenated they equal s. BPE merges never cross
// a piece boundary.
func PreTokenize(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		out = append(out, s[i:j])
		i = j
	}
	return out
}
