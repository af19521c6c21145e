package tok

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		"", "a", " ", "hello world", "naïve café", "日本語のテキスト", "中文 한국어",
		"🙂🙃👋🏽 emoji", "\t\t  \n\n   \r\n", "  x  ", EOTText, "a" + EOTText + "b",
		"'s'll", "I'll've", "don't", "[NLU] <extra_id_0>x<extra_id_1>", "\xff\xfe invalid", strings.Repeat("ab", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tk := miniTokenizer(t)
		ids := tk.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= tk.EOT() {
				t.Fatalf("Encode(%q) gave id %d (EOT %d)", s, id, tk.EOT())
			}
		}
		// Byte-level: the round trip holds for invalid UTF-8 as well.
		if got := tk.Decode(ids); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
		if utf8.ValidString(s) && len(ids) > len(s) {
			t.Fatalf("%d ids for %d bytes", len(ids), len(s))
		}
		if want := encodeNaive(tk, s); !slices.Equal(ids, want) {
			t.Fatalf("Encode(%q) = %v, naive %v", s, ids, want)
		}
		// Special tokens (UL2's) change no encoding: plain text never becomes one.
		if sp := specialTokenizer(t).Encode(s); !slices.Equal(sp, ids) {
			t.Fatalf("with special tokens, Encode(%q) = %v, without %v", s, sp, ids)
		}
	})
}

func FuzzParse(f *testing.F) {
	tk, err := Train([]string{"ab ab ab cd é"}, 262)
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := tk.MarshalJSON()
	f.Add(valid)
	withSpecial, err := tk.WithSpecial("[NLU]", "<extra_id_0>")
	if err != nil {
		f.Fatal(err)
	}
	valid, _ = withSpecial.MarshalJSON()
	f.Add(valid)
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {}, "merges": []}}`))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "a"]]}, "added_tokens": [{"id": 1, "content": "<|endoftext|>"}], "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"model": null}`))
	f.Add([]byte(`{"model": {"vocab": {"a": -1}}}`))
	f.Add([]byte(`[{"model": 1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tok: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		// Whatever parses must write back, parse again the same and work.
		out, err := tk.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		const s = "ab cd é <|endoftext|> 12"
		ids := tk.Encode(s)
		if !slices.Equal(ids, back.Encode(s)) || tk.Decode(ids) != s {
			t.Fatal("parsed tokenizer does not round trip")
		}
	})
}
