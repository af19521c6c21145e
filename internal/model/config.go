package model

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Config describes the model. Every field has a default through a preset; the last four are zero
// (plain multi-head attention, D = C/H, unscaled rotary embedding, SeqLen positions declared) unless a
// Hugging Face checkpoint sets them, and are then left out of the JSON, so that configs without them
// read and write as before.
type Config struct {
	VocabSize      int     `json:"vocab_size"`      // V: tokens in the vocabulary
	Dim            int     `json:"dim"`             // C: model (residual stream) width
	NumLayers      int     `json:"layers"`          // L: decoder layers
	NumHeads       int     `json:"heads"`           // H: attention (query) heads; head dim D must be even
	FFNDim         int     `json:"ffn"`             // F: SwiGLU hidden width
	SeqLen         int     `json:"seq"`             // T: context length (max positions)
	RopeTheta      float64 `json:"rope_theta"`      // rotary base θ
	NormEps        float64 `json:"norm_eps"`        // RMSNorm ε
	TiedEmbeddings bool    `json:"tied_embeddings"` // lm_head shares model.embed_tokens.weight
	// NumKVHeads is Hkv, the key/value heads of grouped-query attention (HF num_key_value_heads):
	// query head i uses key/value head i/(H/Hkv). 0 means H (multi-head attention).
	NumKVHeads int `json:"kv_heads,omitzero"`
	// HeadDimOverride is D when it is not C/H (HF head_dim): q_proj is [H·D, C], o_proj [C, H·D].
	// 0 means C/H.
	HeadDimOverride int `json:"head_dim,omitzero"`
	// RopeScaling changes the rotary frequencies (HF rope_scaling); the zero value is none.
	RopeScaling RopeScaling `json:"rope_scaling,omitzero"`
	// MaxPositions is the context length a checkpoint declares (HF max_position_embeddings) when it
	// is longer than SeqLen, the positions midas computes with (a model trained from an existing
	// checkpoint on shorter windows keeps its declared length); 0 means SeqLen.
	MaxPositions int `json:"max_positions,omitzero"`
}

// Positions is the context length the model declares: max(SeqLen, MaxPositions).
func (c Config) Positions() int { return max(c.SeqLen, c.MaxPositions) }

// Presets are named model sizes. "tiny" is for tests, "small" for demos (the speed anchor's config),
// "medium" the second speed anchor.
var Presets = map[string]Config{
	"tiny":   {VocabSize: 512, Dim: 64, NumLayers: 2, NumHeads: 2, FFNDim: 172, SeqLen: 64, RopeTheta: 10000, NormEps: 1e-5},
	"small":  {VocabSize: 2048, Dim: 256, NumLayers: 4, NumHeads: 4, FFNDim: 683, SeqLen: 256, RopeTheta: 10000, NormEps: 1e-5},
	"medium": {VocabSize: 4096, Dim: 512, NumLayers: 8, NumHeads: 8, FFNDim: 1365, SeqLen: 256, RopeTheta: 10000, NormEps: 1e-5},
}

// Preset returns the named preset or an error listing the known names.
func Preset(name string) (Config, error) {
	c, ok := Presets[name]
	if !ok {
		names := make([]string, 0, len(Presets))
		for n := range Presets {
			names = append(names, n)
		}
		sort.Strings(names)
		return Config{}, fmt.Errorf("model: unknown preset %q (known: %s)", name, strings.Join(names, ", "))
	}
	return c, nil
}

// HeadDim is D: HeadDimOverride, or C/H.
func (c Config) HeadDim() int {
	if c.HeadDimOverride > 0 {
		return c.HeadDimOverride
	}
	return c.Dim / c.NumHeads
}

// Canonical returns c with NumKVHeads and HeadDimOverride zeroed where they say what zero says
// (as many key/value heads as heads; head dim C/H), so that equal models have equal configs.
func (c Config) Canonical() Config {
	if c.NumKVHeads == c.NumHeads {
		c.NumKVHeads = 0
	}
	if c.NumHeads > 0 && c.HeadDimOverride*c.NumHeads == c.Dim {
		c.HeadDimOverride = 0
	}
	return c
}

// KVHeads is Hkv: NumKVHeads, or H.
func (c Config) KVHeads() int {
	if c.NumKVHeads > 0 {
		return c.NumKVHeads
	}
	return c.NumHeads
}

// QDim is the width H·D of the queries and of the attention output (C unless head_dim says otherwise).
func (c Config) QDim() int { return c.NumHeads * c.HeadDim() }

// KVDim is the width Hkv·D of the keys and of the values.
func (c Config) KVDim() int { return c.KVHeads() * c.HeadDim() }

// QKVDim is the width of the fused q|k|v projection, QDim + 2·KVDim (3C for multi-head attention).
func (c Config) QKVDim() int { return c.QDim() + 2*c.KVDim() }

// Validate reports every problem of the config at once, joined by "; ".
func (c Config) Validate() error {
	var p []string
	pos := func(name string, v int) {
		if v <= 0 {
			p = append(p, fmt.Sprintf("%s must be positive, got %d", name, v))
		}
	}
	pos("vocab", c.VocabSize)
	pos("dim", c.Dim)
	pos("layers", c.NumLayers)
	pos("heads", c.NumHeads)
	pos("ffn", c.FFNDim)
	pos("seq", c.SeqLen)
	if c.MaxPositions < 0 {
		p = append(p, fmt.Sprintf("max_positions must not be negative, got %d", c.MaxPositions))
	}
	p = append(p, c.headProblems()...)
	if !(c.RopeTheta > 1) {
		p = append(p, fmt.Sprintf("rope_theta must be > 1, got %g", c.RopeTheta))
	}
	if !(c.NormEps > 0 && c.NormEps < 1) {
		p = append(p, fmt.Sprintf("norm_eps must be in (0, 1), got %g", c.NormEps))
	}
	if err := c.RopeScaling.validate(c.SeqLen); err != nil {
		p = append(p, err.Error())
	}
	if len(p) == 0 {
		return nil
	}
	return errors.New("model: invalid config: " + strings.Join(p, "; "))
}

// headProblems checks heads, key/value heads and the head dimension.
func (c Config) headProblems() []string {
	var p []string
	if c.NumKVHeads < 0 || c.HeadDimOverride < 0 {
		p = append(p, fmt.Sprintf("kv_heads %d and head_dim %d must not be negative", c.NumKVHeads, c.HeadDimOverride))
		return p
	}
	if c.NumHeads > 0 && c.NumKVHeads > 0 && c.NumHeads%c.NumKVHeads != 0 {
		p = append(p, fmt.Sprintf("heads %d is not a multiple of kv_heads %d", c.NumHeads, c.NumKVHeads))
	}
	if c.Dim <= 0 || c.NumHeads <= 0 {
		return p
	}
	if c.HeadDimOverride == 0 && c.Dim%c.NumHeads != 0 {
		p = append(p, fmt.Sprintf("dim %d is not divisible by heads %d", c.Dim, c.NumHeads))
	} else if c.HeadDim()%2 != 0 {
		p = append(p, fmt.Sprintf("head dim %d must be even for rotary embedding", c.HeadDim()))
	}
	return p
}

// NumParams is the number of float32 parameters.
func (c Config) NumParams() int { return NewLayout(c).Size }
