package tok

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// splitCases are derived by hand from the pattern
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (alternatives tried in order at each position); the why is in each name.
var splitCases = []struct {
	name string
	in   string
	want []string
}{
	{"empty", "", nil},
	{"space prefixes word", "Hello world", []string{"Hello", " world"}},
	{"two spaces: first alone, second prefixes", "Hello  world", []string{"Hello", " ", " world"}},
	{"three spaces: run keeps all but last", "Hello   world", []string{"Hello", "  ", " world"}},
	{"leading run", "   leading", []string{"  ", " leading"}},
	{"trailing run kept whole (end, not \\S)", "trailing   ", []string{"trailing", "   "}},
	{"lone space", " ", []string{" "}},
	{"space run only", "  \n ", []string{"  \n "}},
	{"two newlines: lookahead leaves one, then \\s+", "a\n\nb", []string{"a", "\n", "\n", "b"}},
	{"space newline: newline cannot prefix", "a \nb", []string{"a", " ", "\n", "b"}},
	{"newline space: space prefixes", "a\n b", []string{"a", "\n", " b"}},
	{"crlf", "x\r\ny", []string{"x", "\r", "\n", "y"}},
	{"tabs", "a\t\tb", []string{"a", "\t", "\t", "b"}},
	{"tab space", "\t b", []string{"\t", " b"}},
	{"nbsp is \\s but not a prefix", "x \u00a0y", []string{"x", " ", "\u00a0", "y"}},
	{"ideographic space", "x\u3000y", []string{"x", "\u3000", "y"}},
	{"final newline", "end.\n", []string{"end", ".", "\n"}},
	{"contraction t", "don't", []string{"don", "'t"}},
	{"contractions ll ve", "I'll've", []string{"I", "'ll", "'ve"}},
	{"all contractions", "'s't're've'm'll'd", []string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}},
	{"contraction regardless of next letter", "it's'sx", []string{"it", "'s", "'s", "x"}},
	{"upper case is not a contraction", "DON'T", []string{"DON", "'", "T"}},
	{"apostrophe then S", "'S", []string{"'", "S"}},
	{"'r without e", "'ra", []string{"'", "ra"}},
	{"'l without l", "'lx", []string{"'", "lx"}},
	{"double apostrophe is punctuation", "''s", []string{"''", "s"}},
	{"space apostrophe", " 's", []string{" '", "s"}},
	{"apostrophe at end", "x'", []string{"x", "'"}},
	{"digits then letters", "123abc", []string{"123", "abc"}},
	{"letters then digits", "abc123", []string{"abc", "123"}},
	{"number punctuation", " 1,000.5", []string{" 1", ",", "000", ".", "5"}},
	{"punctuation runs", "hello!!! world??", []string{"hello", "!!!", " world", "??"}},
	{"space punctuation", " !!", []string{" !!"}},
	{"two spaces punctuation", "  !!", []string{" ", " !!"}},
	{"dollar", " $100", []string{" $", "100"}},
	{"minus", "-5", []string{"-", "5"}},
	{"underscore is punctuation", "a_b", []string{"a", "_", "b"}},
	{"endoftext is plain text", "<|endoftext|>", []string{"<|", "endoftext", "|>"}},
	{"CJK letters", "你好 世界", []string{"你好", " 世界"}},
	{"emoji with modifier", "hi 👋🏽!", []string{"hi", " 👋🏽!"}},
	{"combining mark is not a letter", "cafe\u0301 ok", []string{"cafe", "\u0301", " ok"}},
	{"precomposed letter", "café ok", []string{"café", " ok"}},
	{"superscripts and fractions are numbers", "x²³½", []string{"x", "²³½"}},
	{"roman numeral is a number", "Ⅻ", []string{"Ⅻ"}},
	{"arabic-indic digits", "٣٤a", []string{"٣٤", "a"}},
	{"greek and cyrillic", "αβ γδ жз", []string{"αβ", " γδ", " жз"}},
	{"invalid byte is one symbol", "a\xffb", []string{"a", "\xff", "b"}},
	{"space before invalid bytes", " \xff\xfe", []string{" \xff\xfe"}},
	{"truncated rune", "ab\xe4\xbd", []string{"ab", "\xe4\xbd"}},
}

func TestPreTokenizeTable(t *testing.T) {
	for _, c := range splitCases {
		got := PreTokenize(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: PreTokenize(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
		if o := oracleSplit(c.in); !reflect.DeepEqual(o, c.want) {
			t.Errorf("%s: oracle(%q) = %q, want %q (table or oracle is wrong)", c.name, c.in, o, c.want)
		}
	}
}

// wsClass spells out the Unicode White_Space property, which is \s in
// Oniguruma and Python's regex (Go's regexp \s is ASCII only).
const wsClass = `\t\n\v\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`

var (
	oracleHead  = regexp.MustCompile(`^(?:'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^` + wsClass + `\p{L}\p{N}]+)`)
	oracleSpace = regexp.MustCompile(`^[` + wsClass + `]+`)
)

// oracleSplit is an independent implementation of the pattern with Go's
// regexp (leftmost-first, like a backtracking engine) for the first four
// alternatives; \s+(?!\S)|\s+ is resolved by hand: take the whole run at the
// end of the text, else give back its last rune if it has two or more.
func oracleSplit(s string) []string {
	var out []string
	for len(s) > 0 {
		n := len(oracleHead.FindString(s))
		if n == 0 {
			run := oracleSpace.FindString(s)
			n = len(run)
			if n < len(s) && utf8.RuneCountInString(run) > 1 {
				_, w := utf8.DecodeLastRuneInString(run)
				n -= w
			}
		}
		if n == 0 {
			panic("oracle: no alternative matches " + s)
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// TestWhiteSpaceClass checks that unicode.IsSpace, which the splitter uses,
// is the spelled-out White_Space set of the oracle over the BMP.
func TestWhiteSpaceClass(t *testing.T) {
	re := regexp.MustCompile(`^[` + wsClass + `]$`)
	for r := rune(0); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue // surrogates are not runes
		}
		if got, want := unicode.IsSpace(r), re.MatchString(string(r)); got != want {
			t.Errorf("U+%04X: unicode.IsSpace %v, White_Space %v", r, got, want)
		}
	}
}

// splitSamples mixes the table inputs with longer multilingual text.
func splitSamples() []string {
	var s []string
	for _, c := range splitCases {
		s = append(s, c.in)
	}
	return append(s, strings.Repeat("It's  a\t\ttest,\n\n  don't   PANIC! 3.14 ", 5),
		"naïve résumé — “quoted” 'single' ¿qué? 日本語のテキスト 🙂🙃 \u200b\u2028x")
}

func TestPreTokenizeMatchesOracle(t *testing.T) {
	for _, s := range splitSamples() {
		if got, want := PreTokenize(s), oracleSplit(s); !reflect.DeepEqual(got, want) {
			t.Errorf("PreTokenize(%q) = %q, oracle %q", s, got, want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range splitSamples() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := PreTokenize(s)
		if strings.Join(got, "") != s {
			t.Fatalf("pieces %q do not concatenate to %q", got, s)
		}
		if want := oracleSplit(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("PreTokenize(%q) = %q, oracle %q", s, got, want)
		}
	})
}
