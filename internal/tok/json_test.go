package tok

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// smallTokenizer has merges whose JSON spelling needs escapes ('"', '\\')
// and the byte-level alphabet (Ġ for ' ', Ċ for '\n', two runes for 'é').
func smallTokenizer(t *testing.T) *Tokenizer {
	t.Helper()
	tk, err := Train([]string{"say \"hi\" \\\\ \"hi\"\n\n", "é é é über"}, 264)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestMarshalGolden(t *testing.T) {
	got, err := smallTokenizer(t).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "small.tokenizer.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("MarshalJSON differs from %s (run with -update if intended):\n%s", path, got)
	}
}

// TestMarshalStructure checks the fields Hugging Face tokenizers reads, as
// values, independent of formatting.
func TestMarshalStructure(t *testing.T) {
	tk := smallTokenizer(t)
	data, _ := tk.MarshalJSON()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	byteLevel := func(prefix, trim bool) map[string]any {
		return map[string]any{"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": trim, "use_regex": true}
	}
	want := map[string]any{
		"version":        "1.0",
		"truncation":     nil,
		"padding":        nil,
		"normalizer":     nil,
		"pre_tokenizer":  byteLevel(false, true),
		"post_processor": byteLevel(true, false),
		"decoder":        byteLevel(true, true),
		"added_tokens": []any{map[string]any{"id": 263.0, "content": "<|endoftext|>", "single_word": false,
			"lstrip": false, "rstrip": false, "normalized": false, "special": true}},
	}
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	model := m["model"].(map[string]any)
	for k, v := range map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil,
		"continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": false,
		"byte_fallback": false, "ignore_merges": false} {
		if got, ok := model[k]; !ok || !reflect.DeepEqual(got, v) {
			t.Errorf("model.%s = %v, want %v", k, got, v)
		}
	}
	vocab := model["vocab"].(map[string]any)
	if len(vocab) != 264 {
		t.Errorf("vocab has %d entries, want 264", len(vocab))
	}
	// bytes_to_unicode spot checks: '!' is itself, ' ' is U+0120, '\n' is
	// U+010A, 0x00 is U+0100, 0xAD (soft hyphen) is U+0143, 0xFF is ÿ.
	for key, id := range map[string]float64{"!": '!', "Ġ": ' ', "Ċ": '\n', "Ā": 0, "Ń": 0xAD, "ÿ": 0xFF,
		"<|endoftext|>": 263} {
		if vocab[key] != id {
			t.Errorf("vocab[%q] = %v, want %v", key, vocab[key], id)
		}
	}
	merges := model["merges"].([]any)
	if len(merges) != tk.NumMerges() {
		t.Fatalf("%d merges, want %d", len(merges), tk.NumMerges())
	}
	for i, x := range merges {
		parts := strings.Split(x.(string), " ")
		if len(parts) != 2 || vocab[parts[0]] == nil || vocab[parts[1]] == nil ||
			vocab[parts[0]+parts[1]] != float64(256+i) {
			t.Errorf("merge %d %q does not make id %d", i, x, 256+i)
		}
	}
}

func sameTokenizer(t *testing.T, a, b *Tokenizer) {
	t.Helper()
	if !reflect.DeepEqual(a.tokens, b.tokens) || !reflect.DeepEqual(a.merges, b.merges) ||
		a.eot != b.eot || a.ignoreMerges != b.ignoreMerges || !slices.Equal(a.specials, b.specials) {
		t.Fatal("tokenizers differ")
	}
	for _, s := range splitSamples() {
		if !slices.Equal(a.Encode(s), b.Encode(s)) {
			t.Fatalf("encodings of %q differ", s)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, tk := range []*Tokenizer{smallTokenizer(t), miniTokenizer(t), specialTokenizer(t)} {
		data, _ := tk.MarshalJSON()
		back, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		sameTokenizer(t, tk, back)
		again, _ := back.MarshalJSON()
		if !bytes.Equal(data, again) {
			t.Error("MarshalJSON(Parse(data)) != data")
		}
		// Through encoding/json, which compacts the output.
		viaStd, err := json.Marshal(tk)
		if err != nil {
			t.Fatal(err)
		}
		if back, err = Parse(viaStd); err != nil {
			t.Fatal(err)
		}
		sameTokenizer(t, tk, back)
	}
}

func TestSaveLoad(t *testing.T) {
	tk := miniTokenizer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tk.Save(path); err != nil { // replaces the old file
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTokenizer(t, tk, back)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("saved file mode %v, %v; want 0644", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want 1 (no temp files)", len(entries))
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.HasPrefix(err.Error(), "tok: ") {
		t.Errorf("Load(missing) err = %v", err)
	}
	if err := tk.Save(filepath.Join(dir, "no", "such", "dir.json")); err == nil || !strings.HasPrefix(err.Error(), "tok: ") {
		t.Errorf("Save into a missing directory: err = %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"model": {"type": "Unigram"}}`), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "bad.json") ||
		!strings.Contains(err.Error(), `"Unigram" not supported`) {
		t.Errorf("Load(bad) err = %v", err)
	}
}

// generic returns the small tokenizer's JSON as a generic value to mutate.
func generic(t *testing.T) map[string]any {
	data, _ := smallTokenizer(t).MarshalJSON()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseRejects(t *testing.T) {
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	vocab := func(m map[string]any) map[string]any { return model(m)["vocab"].(map[string]any) }
	cases := []struct {
		name   string
		raw    string // used when mutate is nil
		mutate func(m map[string]any)
		want   string
	}{
		{"not JSON", "hello", nil, "not a tokenizer.json"},
		{"array", "[1, 2]", nil, "not a tokenizer.json"},
		{"empty object", "{}", nil, `no "model"`},
		{"vocab.json of GPT-2", `{"!": 0, "\"": 1}`, nil, `no "model"`},
		{"version", "", func(m map[string]any) { m["version"] = "2.0" }, `version "2.0" not supported`},
		{"WordPiece", "", func(m map[string]any) { model(m)["type"] = "WordPiece" }, `model type "WordPiece" not supported`},
		{"no model type", "", func(m map[string]any) { delete(model(m), "type") }, `model type "" not supported`},
		{"no vocab", "", func(m map[string]any) { delete(model(m), "vocab") }, `no "vocab"`},
		{"no merges", "", func(m map[string]any) { delete(model(m), "merges") }, `no "merges"`},
		{"merges not a list", "", func(m map[string]any) { model(m)["merges"] = 3 }, "merges must be a list"},
		{"dropout", "", func(m map[string]any) { model(m)["dropout"] = 0.1 }, "dropout 0.1 not supported"},
		{"prefix", "", func(m map[string]any) { model(m)["continuing_subword_prefix"] = "##" }, `continuing_subword_prefix "##"`},
		{"suffix", "", func(m map[string]any) { model(m)["end_of_word_suffix"] = "</w>" }, `end_of_word_suffix "</w>"`},
		{"normalizer", "", func(m map[string]any) { m["normalizer"] = map[string]any{"type": "NFC"} }, `normalizer "NFC" not supported`},
		{"no pre_tokenizer", "", func(m map[string]any) { delete(m, "pre_tokenizer") }, "pre_tokenizer is missing"},
		{"Metaspace", "", func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }, `pre_tokenizer "Metaspace" not supported`},
		{"prefix space", "", func(m map[string]any) { m["pre_tokenizer"].(map[string]any)["add_prefix_space"] = true }, "add_prefix_space must be false"},
		{"no regex", "", func(m map[string]any) { m["pre_tokenizer"].(map[string]any)["use_regex"] = false }, "use_regex must be true"},
		{"template post", "", func(m map[string]any) { m["post_processor"] = map[string]any{"type": "TemplateProcessing"} }, `post_processor "TemplateProcessing" not supported`},
		{"decoder", "", func(m map[string]any) { m["decoder"] = map[string]any{"type": "WordPiece"} }, `decoder "WordPiece" not supported`},
		{"decoder without type", "", func(m map[string]any) { m["decoder"] = map[string]any{} }, `decoder: no "type"`},
		{"no added tokens", "", func(m map[string]any) { m["added_tokens"] = []any{} }, `added_tokens must include "<|endoftext|>" with an id; have []`},
		{"non-special added token", "", func(m map[string]any) {
			m["added_tokens"] = append(m["added_tokens"].([]any), map[string]any{"id": 264, "content": "<pad>"})
		}, `added token "<pad>" is not special (only special added tokens are supported); have ["<|endoftext|>", "<pad>"]`},
		{"added token twice", "", func(m map[string]any) {
			m["added_tokens"] = append(m["added_tokens"].([]any), map[string]any{"id": 264, "content": EOTText, "special": true})
		}, `added token "<|endoftext|>" appears twice`},
		{"added token without id", "", func(m map[string]any) {
			m["added_tokens"] = append(m["added_tokens"].([]any), map[string]any{"content": "<x>", "special": true})
		}, `added token "<x>" has no id`},
		{"added tokens share an id", "", func(m map[string]any) {
			m["added_tokens"] = append(m["added_tokens"].([]any), map[string]any{"id": 263, "content": "<x>", "special": true})
		}, `have the same id 263`},
		{"special token merged", "", func(m map[string]any) {
			m["added_tokens"] = append(m["added_tokens"].([]any), map[string]any{"id": 264, "content": "<x>", "special": true})
			vocab(m)["<x>"] = 264
			model(m)["merges"] = []any{"a <x>"}
		}, `"<x>" is not a mergeable token`},
		{"EOT ids disagree", "", func(m map[string]any) { vocab(m)["<|endoftext|>"] = 5 }, "has id 5 in the vocab but 263"},
		{"id hole", "", func(m map[string]any) { vocab(m)["a"] = 900 }, "out of range [0, 264)"},
		{"id twice", "", func(m map[string]any) { vocab(m)["a"] = 98 }, "vocab id 98 used twice"},
		{"missing byte", "", func(m map[string]any) { delete(vocab(m), "a"); vocab(m)["Ġz"] = 97 }, "lacks the single byte 0x61"},
		{"not byte-level", "", func(m map[string]any) { delete(vocab(m), "a"); vocab(m)["€"] = 97 }, `vocab token "€" (id 97) is not byte-level`},
		{"merge unknown token", "", func(m map[string]any) { model(m)["merges"] = []any{"a zz"} }, `"zz" is not a mergeable token`},
		{"merge of EOT", "", func(m map[string]any) { model(m)["merges"] = []any{"a <|endoftext|>"} }, "is not a mergeable token"},
		{"merge not a pair", "", func(m map[string]any) { model(m)["merges"] = []any{"a b c"} }, "is not a pair"},
		{"merge result missing", "", func(m map[string]any) { model(m)["merges"] = []any{"q q"} }, `result "qq" is not in the vocab`},
	}
	for _, c := range cases {
		data := []byte(c.raw)
		if c.mutate != nil {
			m := generic(t)
			c.mutate(m)
			data, _ = json.Marshal(m)
		}
		_, err := Parse(data)
		if err == nil || !strings.HasPrefix(err.Error(), "tok: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want tok: ...%s...", c.name, err, c.want)
		}
	}
}

// gpt2Order lists the bytes in the order of GPT-2's bytes_to_unicode, which
// is also the order of GPT-2's first 256 ids.
func gpt2Order() []byte {
	var bs []byte
	for b := 0; b < 256; b++ {
		if printableByte(byte(b)) {
			bs = append(bs, byte(b))
		}
	}
	for b := 0; b < 256; b++ {
		if !printableByte(byte(b)) {
			bs = append(bs, byte(b))
		}
	}
	return bs
}

// TestParseGPT2Layout writes the mini tokenizer the way GPT-2's file (and
// tokenizers ≥ 0.20) would: byte ids in bytes_to_unicode order, merges as
// pairs, EOT only in added_tokens, no use_regex, null decoder, and no newer
// model fields. Parse must give the same encodings under the id renaming.
func TestParseGPT2Layout(t *testing.T) {
	tk := miniTokenizer(t)
	newID := make([]int32, tk.VocabSize()) // old id → new id
	for i, b := range gpt2Order() {
		newID[b] = int32(i)
	}
	for id := 256; id < tk.VocabSize(); id++ {
		newID[id] = int32(id)
	}
	vocab := map[string]int32{}
	for id, b := range tk.tokens {
		if int32(id) != tk.eot {
			vocab[byteLevelString(b)] = newID[id]
		}
	}
	var merges [][2]string
	for _, m := range tk.merges {
		merges = append(merges, [2]string{byteLevelString(tk.tokens[m[0]]), byteLevelString(tk.tokens[m[1]])})
	}
	file := map[string]any{
		"version":       "1.0",
		"added_tokens":  []any{map[string]any{"id": tk.EOT(), "content": EOTText, "special": true}},
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
		"decoder":       nil,
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	data, _ := json.Marshal(file)
	gpt, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if gpt.VocabSize() != tk.VocabSize() || gpt.EOT() != tk.EOT() {
		t.Fatalf("VocabSize %d EOT %d", gpt.VocabSize(), gpt.EOT())
	}
	for _, s := range append(splitSamples(), miniCorpus()[:5]...) {
		want := tk.Encode(s)
		for i, id := range want {
			want[i] = newID[id]
		}
		got := gpt.Encode(s)
		if !slices.Equal(got, want) {
			t.Fatalf("Encode(%q) = %v, want %v", s, got, want)
		}
		if gpt.Decode(got) != s {
			t.Fatalf("round trip of %q", s)
		}
	}
}

// TestIgnoreMerges: with ignore_merges a piece that is itself a token is
// used whole, as Hugging Face does (Llama 3 files set it).
func TestIgnoreMerges(t *testing.T) {
	m := generic(t)
	model := m["model"].(map[string]any)
	vocab := model["vocab"].(map[string]any)
	vocab["<|endoftext|>"] = 265
	m["added_tokens"].([]any)[0].(map[string]any)["id"] = 265
	vocab["xy"], vocab["xyz"] = 263, 264
	model["merges"] = []any{"x y"}
	for _, ignore := range []bool{false, true} {
		model["ignore_merges"] = ignore
		data, _ := json.Marshal(m)
		tk, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		// Pieces "xyz", "\n", "xyzxyz", "\n", "xyz"; only "xyz" is a token.
		const text = "xyz\nxyzxyz\nxyz"
		want := []int32{263, 'z', '\n', 263, 'z', 263, 'z', '\n', 263, 'z'}
		if ignore {
			want = []int32{264, '\n', 263, 'z', 263, 'z', '\n', 264}
		}
		got := tk.Encode(text)
		if !slices.Equal(got, want) {
			t.Errorf("ignore_merges %v: Encode = %v, want %v", ignore, got, want)
		}
		if !slices.Equal(got, encodeNaive(tk, text)) || tk.Decode(got) != text {
			t.Error("differs from the naive encoder or does not round trip")
		}
		back, _ := tk.MarshalJSON()
		if !strings.Contains(string(back), `"ignore_merges": `+map[bool]string{false: "false", true: "true"}[ignore]) {
			t.Error("ignore_merges not written back")
		}
	}
}
