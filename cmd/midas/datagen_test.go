package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
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

// cmdConvert: convert SRC DST [body] — writes the non-empty lines of SRC as documents in DST's
// format: .parquet (a Hugging Face dataset shard: columns id, text, url; 50 rows per row group; with
// "body", the text column is named body), .jsonl, or .jsonl.zst.
func cmdConvert(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 || len(args) == 3 && args[2] != "body" {
		ts.Fatalf("usage: convert src dst [body]")
	}
	var lines []string
	for _, l := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	var out bytes.Buffer
	dst := args[1]
	switch {
	case strings.HasSuffix(dst, ".parquet") && len(args) == 3:
		type row struct {
			ID   int64  `parquet:"id"`
			Body string `parquet:"body"`
		}
		writeRows(ts, &out, lines, func(i int, l string) row { return row{int64(i), l} })
	case strings.HasSuffix(dst, ".parquet"):
		type row struct {
			ID   int64  `parquet:"id"`
			Text string `parquet:"text,dict,zstd"`
			URL  string `parquet:"url"`
		}
		writeRows(ts, &out, lines, func(i int, l string) row { return row{int64(i), l, "https://example.org/" + strconv.Itoa(i)} })
	case strings.HasSuffix(dst, ".jsonl"), strings.HasSuffix(dst, ".jsonl.zst"):
		for _, l := range lines {
			b, err := json.Marshal(map[string]string{"text": l})
			ts.Check(err)
			out.Write(append(b, '\n'))
		}
		if filepath.Ext(dst) == ".zst" {
			var z bytes.Buffer
			zw, err := zstd.NewWriter(&z)
			ts.Check(err)
			_, err = zw.Write(out.Bytes())
			ts.Check(err)
			ts.Check(zw.Close())
			out = z
		}
	default:
		ts.Fatalf("convert: unknown format of %s", dst)
	}
	ts.Check(os.WriteFile(ts.MkAbs(dst), out.Bytes(), 0o644))
}

// writeRows writes one parquet row per line, 50 rows per row group.
func writeRows[T any](ts *testscript.TestScript, out *bytes.Buffer, lines []string, row func(int, string) T) {
	w := parquet.NewGenericWriter[T](out, parquet.MaxRowsPerRowGroup(50))
	for i, l := range lines {
		_, err := w.Write([]T{row(i, l)})
		ts.Check(err)
	}
	ts.Check(w.Close())
}
