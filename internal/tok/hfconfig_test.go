package tok

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// TestHFFiles checks the values Hugging Face clients read from tokenizer_config.json and
// special_tokens_map.json, and that tokenizer.json is MarshalJSON's.
func TestHFFiles(t *testing.T) {
	tk := smallTokenizer(t)
	files, err := tk.HFFiles(128)
	if err != nil {
		t.Fatal(err)
	}
	if tj, _ := tk.MarshalJSON(); string(files[FileJSON]) != string(tj) {
		t.Error("tokenizer.json differs from MarshalJSON")
	}
	var cfg, special map[string]any
	if err := json.Unmarshal(files[FileConfig], &cfg); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(files[FileSpecialTokens], &special); err != nil {
		t.Fatal(err)
	}
	tokEntry := map[string]any{"content": EOTText, "lstrip": false, "normalized": false, "rstrip": false, "single_word": false}
	withSpecial := map[string]any{"special": true}
	for k, v := range tokEntry {
		withSpecial[k] = v
	}
	want := map[string]any{
		"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": EOTText, "eos_token": EOTText, "pad_token": EOTText,
		"add_bos_token": false, "add_eos_token": false, "clean_up_tokenization_spaces": false, "model_max_length": 128.0,
		"added_tokens_decoder": map[string]any{"263": withSpecial},
	}
	if tk.EOT() != 263 {
		t.Fatalf("EOT = %d, the test expects 263", tk.EOT())
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("tokenizer_config.json = %v\nwant %v", cfg, want)
	}
	wantSpecial := map[string]any{"bos_token": tokEntry, "eos_token": tokEntry, "pad_token": tokEntry}
	if !reflect.DeepEqual(special, wantSpecial) {
		t.Errorf("special_tokens_map.json = %v\nwant %v", special, wantSpecial)
	}
	if _, err := tk.HFFiles(0); err == nil {
		t.Error("HFFiles(0) succeeded")
	}
}

// TestEncodeSpecial: a literal "<|endoftext|>" becomes EOT and splits the text around it, as in
// Hugging Face; Encode keeps it as text.
func TestEncodeSpecial(t *testing.T) {
	tk := smallTokenizer(t)
	eot := tk.EOT()
	for _, tc := range []struct {
		in   string
		want []int32
	}{
		{"", []int32{}},
		{EOTText, []int32{eot}},
		{"hi" + EOTText + " hi", slices.Concat(tk.Encode("hi"), []int32{eot}, tk.Encode(" hi"))},
		{EOTText + EOTText + "é", slices.Concat([]int32{eot, eot}, tk.Encode("é"))},
		{"<|endoftext|", tk.Encode("<|endoftext|")},
	} {
		if got := tk.EncodeSpecial(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("EncodeSpecial(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if got := tk.Decode(tk.EncodeSpecial(tc.in)); got != tc.in {
			t.Errorf("Decode(EncodeSpecial(%q)) = %q", tc.in, got)
		}
	}
	if slices.Contains(tk.Encode("a"+EOTText), eot) {
		t.Error("Encode turned a literal <|endoftext|> into EOT")
	}
}
