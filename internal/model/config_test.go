package model

import (
	"strings"
	"testing"
)

// TestValidateHF: the Hugging Face variants' parameters are checked, every problem named.
func TestValidateHF(t *testing.T) {
	llama3 := RopeScaling{Type: RopeLlama3, Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPos: 8192}
	for _, tc := range []struct {
		name string
		mod  func(c *Config)
		want string // "" for valid
	}{
		{"gqa", func(c *Config) { c.NumKVHeads = 1 }, ""},
		{"head_dim", func(c *Config) { c.Dim, c.HeadDimOverride = 60, 16 }, ""},
		{"llama3", func(c *Config) { c.RopeScaling = llama3 }, ""},
		{"kv not dividing", func(c *Config) { c.NumHeads, c.NumKVHeads = 4, 3 }, "heads 4 is not a multiple of kv_heads 3"},
		{"odd head_dim", func(c *Config) { c.HeadDimOverride = 7 }, "head dim 7 must be even"},
		{"negative", func(c *Config) { c.NumKVHeads = -1 }, "kv_heads -1 and head_dim 0 must not be negative"},
		{"yarn", func(c *Config) { c.RopeScaling = RopeScaling{Type: "yarn", Factor: 2} }, `rope_scaling type "yarn" is not supported`},
		{"no factor", func(c *Config) { c.RopeScaling = RopeScaling{Type: RopeLinear} }, "rope_scaling linear: factor must be positive, got 0"},
		{"llama3 bands", func(c *Config) { r := llama3; r.HighFreqFactor = 1; c.RopeScaling = r }, "rope_scaling llama3: needs 0 < low_freq_factor < high_freq_factor"},
		{"dynamic beyond", func(c *Config) { c.RopeScaling = RopeScaling{Type: RopeDynamic, Factor: 2, OriginalMaxPos: 32} },
			"rope_scaling dynamic: 64 positions exceed max_position_embeddings 32"},
		{"dynamic within", func(c *Config) { c.RopeScaling = RopeScaling{Type: RopeDynamic, Factor: 2, OriginalMaxPos: 64} }, ""},
		{"parameters without type", func(c *Config) { c.RopeScaling = RopeScaling{Factor: 2} }, "rope_scaling without a type has parameters"},
		{"max_positions", func(c *Config) { c.MaxPositions = -2 }, "max_positions must not be negative, got -2"},
	} {
		c := Presets["tiny"]
		tc.mod(&c)
		err := c.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestLlama3Frequencies checks the Llama 3.1 bands on Llama 3.2's own settings (head dim 64, θ 500000,
// factor 32, low 1, high 4, original 8192): the highest frequency is kept, the lowest divided by 32,
// and a band between falls on the smooth ramp, strictly between the two.
func TestLlama3Frequencies(t *testing.T) {
	r := RopeScaling{Type: RopeLlama3, Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPos: 8192}
	inv := r.invFreq(64, 500000)
	plain := (RopeScaling{}).invFreq(64, 500000)
	if inv[0] != plain[0] || inv[31] != plain[31]/32 {
		t.Errorf("inv[0] %g (plain %g), inv[31] %g (plain/32 %g)", inv[0], plain[0], inv[31], plain[31]/32)
	}
	ramp := 0
	for i := range inv {
		if inv[i] < plain[i] && inv[i] > plain[i]/32 {
			ramp++
		}
	}
	if ramp == 0 {
		t.Error("no frequency on the smooth ramp")
	}
}
