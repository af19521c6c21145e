package model

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Config describes the model. Every field has a default through a preset.
type Config struct {
	VocabSize      int     `json:"vocab_size"`      // V: tokens in the vocabulary
	Dim            int     `json:"dim"`             // C: model (residual stream) width
	NumLayers      int     `json:"layers"`          // L: decoder layers
	NumHeads       int     `json:"heads"`           // H: attention heads; head dim D = C/H must be even
	FFNDim         int     `json:"ffn"`             // F: SwiGLU hidden width
	SeqLen         int     `json:"seq"`             // T: context length (max positions)
	RopeTheta      float64 `json:"rope_theta"`      // rotary base θ
	NormEps        float64 `json:"norm_eps"`        // RMSNorm ε
	TiedEmbeddings bool    `json:"tied_embeddings"` // lm_head shares model.embed_tokens.weight
}

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

// HeadDim is D = C/H.
func (c Config) HeadDim() int { return c.Dim / c.NumHeads }

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
	if c.Dim > 0 && c.NumHeads > 0 {
		if c.Dim%c.NumHeads != 0 {
			p = append(p, fmt.Sprintf("dim %d is not divisible by heads %d", c.Dim, c.NumHeads))
		} else if c.HeadDim()%2 != 0 {
			p = append(p, fmt.Sprintf("head dim %d (dim/heads) must be even for rotary embedding", c.HeadDim()))
		}
	}
	if !(c.RopeTheta > 1) {
		p = append(p, fmt.Sprintf("rope_theta must be > 1, got %g", c.RopeTheta))
	}
	if !(c.NormEps > 0 && c.NormEps < 1) {
		p = append(p, fmt.Sprintf("norm_eps must be in (0, 1), got %g", c.NormEps))
	}
	if len(p) == 0 {
		return nil
	}
	return errors.New("model: invalid config: " + strings.Join(p, "; "))
}

// NumParams is the number of float32 parameters.
func (c Config) NumParams() int { return NewLayout(c).Size }
