package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/model"
)

// TestCheckpointRoundTripHF: a model with grouped-query attention, a head_dim override or rotary
// scaling of each type survives SaveCheckpoint → LoadModel with the same config, bitwise the same
// parameters and forward pass, and config.json holds the keys transformers reads.
func TestCheckpointRoundTripHF(t *testing.T) {
	base := model.Presets["tiny"]
	base.VocabSize = 40
	llama3 := model.RopeScaling{Type: model.RopeLlama3, Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPos: 32}
	for name, mod := range map[string]func(c *model.Config){
		"gqa":     func(c *model.Config) { c.NumHeads, c.NumKVHeads = 4, 2 },
		"headdim": func(c *model.Config) { c.NumKVHeads, c.HeadDimOverride = 1, 20 },
		"linear":  func(c *model.Config) { c.RopeScaling = model.RopeScaling{Type: model.RopeLinear, Factor: 2} },
		"llama3":  func(c *model.Config) { c.NumHeads, c.NumKVHeads, c.RopeScaling = 4, 1, llama3 },
		"dynamic": func(c *model.Config) {
			c.RopeScaling = model.RopeScaling{Type: model.RopeDynamic, Factor: 2, OriginalMaxPos: 64}
		},
	} {
		cfg := base
		mod(&cfg)
		m, err := model.New(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m.InitWeights(5)
		dir := filepath.Join(t.TempDir(), name)
		if err := SaveCheckpoint(dir, m, CheckpointFiles{EOT: 39}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := LoadModel(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Cfg != cfg || !slices.Equal(got.Params, m.Params) {
			t.Errorf("%s: loaded config %+v, want %+v (or the parameters differ)", name, got.Cfg, cfg)
		}
		toks := []int32{1, 7, 3, 39, 0, 12}
		want := slices.Clone(m.Forward(toks, 1, len(toks)))
		if !slices.Equal(got.Forward(toks, 1, len(toks)), want) {
			t.Errorf("%s: forward of the loaded model differs", name)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, FileConfig))
		var hf map[string]any
		json.Unmarshal(raw, &hf)
		if hf["num_key_value_heads"] != float64(cfg.KVHeads()) {
			t.Errorf("%s: num_key_value_heads %v, want %d", name, hf["num_key_value_heads"], cfg.KVHeads())
		}
		if _, ok := hf["head_dim"]; ok != (cfg.HeadDimOverride > 0) {
			t.Errorf("%s: head_dim %v", name, hf["head_dim"])
		}
		if r, _ := hf["rope_scaling"].(map[string]any); (r == nil) != (cfg.RopeScaling.Type == "") || r != nil && r["rope_type"] != cfg.RopeScaling.Type {
			t.Errorf("%s: rope_scaling %v", name, hf["rope_scaling"])
		}
		if _, err := ckpt.ParseLlamaConfig(raw); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
