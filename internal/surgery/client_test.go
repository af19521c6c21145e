package surgery_test

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/surgery"
	"midas/internal/tok"
)

// stripMetadata rewrites the safetensors file at path without its __metadata__, as some writers
// leave it (midas before {"format": "pt"}, for one).
func stripMetadata(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	delete(hdr, "__metadata__")
	js, _ := json.Marshal(hdr)
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	out = append(append(out, js...), raw[8+n:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGrowClientFiles: an input without safetensors metadata, generation_config.json,
// tokenizer_config.json and special_tokens_map.json (an older midas checkpoint) grows into one
// that has all of them; files the input has are copied as they are (TestGrow's checkFiles).
func TestGrowClientFiles(t *testing.T) {
	base := t.TempDir()
	in, out := filepath.Join(base, "in"), filepath.Join(base, "out")
	makeHF(t, in, hfSpecs[0]) // single file, no extras
	stripMetadata(t, filepath.Join(in, ckpt.SingleFileName))
	if f, err := ckpt.Open(filepath.Join(in, ckpt.SingleFileName)); err != nil || f.Metadata() != nil {
		t.Fatalf("input metadata %v, %v; want none", f.Metadata(), err)
	}
	tk, err := tok.Train([]string{"one two three two one"}, 260)
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Save(filepath.Join(in, tok.FileJSON)); err != nil {
		t.Fatal(err)
	}
	// A config with token ids: they reach generation_config.json.
	raw, _ := os.ReadFile(filepath.Join(in, "config.json"))
	var cfg map[string]any
	json.Unmarshal(raw, &cfg)
	cfg["bos_token_id"], cfg["eos_token_id"] = 3, []int{3, 4}
	writeJSON(t, filepath.Join(in, "config.json"), cfg)

	if err := surgery.Grow(in, out, mustPlan(t, "midas", 4, 1, ""), surgery.Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := ckpt.Open(filepath.Join(out, ckpt.SingleFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if want := map[string]string{"format": "pt"}; !reflect.DeepEqual(f.Metadata(), want) {
		t.Errorf("output metadata %v, want %v", f.Metadata(), want)
	}
	var gen map[string]any
	if raw, err := os.ReadFile(filepath.Join(out, ckpt.GenerationFileName)); err != nil || json.Unmarshal(raw, &gen) != nil {
		t.Fatalf("generation_config.json: %v", err)
	}
	if want := map[string]any{"_from_model_config": true, "bos_token_id": 3.0, "eos_token_id": []any{3.0, 4.0}}; !reflect.DeepEqual(gen, want) {
		t.Errorf("generation_config.json = %v, want %v", gen, want)
	}
	files, _ := tk.HFFiles(2048) // max_position_embeddings: the HF default, absent from this config
	for _, name := range []string{tok.FileConfig, tok.FileSpecialTokens} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(got) != string(files[name]) {
			t.Errorf("%s = %s (%v), want %s", name, got, err, files[name])
		}
	}
}
