package main

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// mixedPieces are what cmdMixedText draws from: the cases where byte-level BPE pre-tokenizers
// (GPT-2's regex in Rust's Oniguruma, in JavaScript, in midas's hand-written splitter) can
// disagree — contractions, letters and digits of many scripts, combining marks, 4-byte runes,
// whitespace runs of every kind, code punctuation, and the special token and near misses.
var mixedPieces = []string{
	"the", "The", "quick", "brown", "fox", "don't", "I'm", "we're", "they've", "you'll", "she'd", "it's",
	"DON'T", "O'Neill", "rock'n'roll", "naïve", "café", "Straße", "über", "niño", "Ærøskøbing",
	"Καλημέρα", "κόσμε", "Привет", "мир", "日本語", "中文字", "한국어", "עברית", "العربية", "हिन्दी",
	"e\u0301", "a\u0308o", "👍", "🇫🇷", "👩‍👩‍👧", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "½", "²³", "٣٤٥", "१२३",
	"0", "7", "42", "2024", "1234567890123", "3.14159", "-0.5e-3", "1,000,000", "0x1F", "v1.2.3",
	"func main() {", "}", "x := a[i] + b*c;", "if (x <= 0) { return -1; }", "#include <stdio.h>",
	"print(f\"{x!r:>10}\")", "a->b", "i++", "x != y", "/* c */", "// note", "'''", "\"\"\"", "`code`",
	"<|endoftext|>", "<|endoftext|", "|endoftext|>", "<|endoftext|>>", "<<|endoftext|>",
	"!!!", "???", "...", "—", "–", "«»", "“quoted”", "‘single’", "¿Qué?", "¡Hola!",
}

// mixedSpaces separate the pieces: plain and repeated spaces, tabs, line breaks, CRLF, trailing
// spaces before a break, and Unicode spaces.
var mixedSpaces = []string{
	" ", " ", " ", " ", " ", "  ", "   ", "\t", " \t ", "\n", "\n\n", "\r\n", "  \n", "\n  ", "\u00a0",
	"\u3000", "\u2009", "", "", "\v", "\f", " \n\n\n ",
}

// cmdMixedText: mixedtext FILE BYTES SEED — writes about BYTES bytes of seeded mixed text.
func cmdMixedText(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mixedtext file bytes seed")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	seed, err := strconv.ParseUint(args[2], 10, 64)
	ts.Check(err)
	r := rand.New(rand.NewPCG(seed, 15))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(mixedPieces[r.IntN(len(mixedPieces))])
		b.WriteString(mixedSpaces[r.IntN(len(mixedSpaces))])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
}
