package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"midas/internal/ckpt"
	"midas/internal/model"
	"midas/internal/tok"
)

// A run started from a Hugging Face Llama checkpoint (Options.Init) takes that checkpoint's
// architecture, weights and tokenizer, and trains with a fresh optimizer on windows of
// Options.Model.SeqLen positions; its checkpoints declare the longer of that and the original's
// max_position_embeddings (model.Config.MaxPositions) and keep the original's other config.json
// keys (growth_history of a `midas grow` output, ...).

// ownConfigKeys are the config.json keys that HFConfig writes from the model config and the
// tokenizer; an init checkpoint's values of them are not kept.
var ownConfigKeys = []string{"pad_token_id", "head_dim", "rope_scaling", "bos_token_id", "eos_token_id"}

// initConfig reads the config.json of the checkpoint o.Init and sets the architecture of o.Model
// from it, keeping o.Model.SeqLen (the training windows) unless it exceeds the checkpoint's
// max_position_embeddings, which it is then lowered to (note says so). It returns the config.json
// keys to keep.
func initConfig(o *Options, note func(string)) (map[string]json.RawMessage, error) {
	if o.Growing() {
		return nil, fmt.Errorf("train: --init with --growth %s is not supported: grow the checkpoint with midas grow, then train it", o.Growth)
	}
	if st, err := os.Stat(o.Init); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("train: --init %s is not a directory", o.Init)
	}
	if _, err := ckpt.Recover(o.Init); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(o.Init, FileConfig))
	if err != nil {
		return nil, fmt.Errorf("train: --init %s has no %s", o.Init, FileConfig)
	}
	h, err := ckpt.ParseLlamaConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("train: --init %s: %v", o.Init, err)
	}
	c, err := ModelConfig(h)
	if err != nil {
		return nil, err
	}
	loop, err := readLoop(h)
	if err != nil {
		return nil, fmt.Errorf("train: --init %s: %v", o.Init, err)
	}
	if loop.Looped() { // the run keeps the checkpoint's loop
		if o.Loop.Looped() && o.Loop != loop {
			return nil, fmt.Errorf("train: --init %s is looped as %s, not as --loop %s", o.Init, loop, o.Loop)
		}
		o.Loop = loop
	}
	c.SeqLen = o.Model.SeqLen
	if c.SeqLen > h.MaxPositionEmbeddings {
		c.SeqLen = h.MaxPositionEmbeddings
		note(fmt.Sprintf("the checkpoint declares %d positions; using seq %d", c.SeqLen, c.SeqLen))
	}
	if h.MaxPositionEmbeddings > c.SeqLen {
		c.MaxPositions = h.MaxPositionEmbeddings
	}
	o.Model = c
	extra := map[string]json.RawMessage{}
	for k, v := range h.Extra {
		extra[k] = v
	}
	for _, k := range ownConfigKeys {
		delete(extra, k)
	}
	if len(extra) == 0 {
		extra = nil
	}
	return extra, nil
}

// loadAs loads the checkpoint in dir as a model of config want: config.json must describe want up
// to the positions (config.json's max_position_embeddings is want.Positions()) and, with anyDepth,
// the depth (a growing run's). The model computes with want.SeqLen positions.
func loadAs(dir string, want model.Config, anyDepth bool) (*model.Model, error) {
	m, err := LoadModel(dir, want.SeqLen)
	if err != nil {
		return nil, err
	}
	got := m.Cfg
	if anyDepth {
		want.NumLayers = got.NumLayers
	}
	if got.SeqLen == want.Positions() {
		got.SeqLen, got.MaxPositions = want.SeqLen, want.MaxPositions
	}
	if got != want {
		return nil, fmt.Errorf("train: %s: config.json describes %+v but the training state says %+v", dir, m.Cfg, want)
	}
	if m.Cfg == want {
		return m, nil
	}
	out, err := model.NewMapped(want, m.Layout.Map) // the parameter layout does not depend on the positions
	if err != nil {
		return nil, err
	}
	copy(out.Params, m.Params)
	return out, nil
}

// tokenizerPath is the tokenizer.json a run uses: the resumed checkpoint's, else Options.Tokenizer,
// else the init checkpoint's (which must have one); "" when a fresh run trains its own.
func tokenizerPath(o Options, resume string) (string, error) {
	switch {
	case resume != "":
		return filepath.Join(resume, FileTokenizer), nil
	case o.Tokenizer != "":
		return o.Tokenizer, nil
	case o.Init != "":
		p := filepath.Join(o.Init, FileTokenizer)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("train: --init %s has no %s; give one with --tokenizer FILE", o.Init, FileTokenizer)
		}
		return p, nil
	}
	return "", nil
}

// checkpointTokenizerFiles are the tokenizer files of a run's checkpoints: those of path's
// directory (tokenizer.json itself, tokenizer_config.json, special_tokens_map.json) byte for byte
// when they exist — a foreign tokenizer's settings stay its own — and the ones TokenizerFiles makes
// for the others (all of them when path is "").
func checkpointTokenizerFiles(tk *tok.Tokenizer, path string, positions int) (map[string][]byte, error) {
	files, err := TokenizerFiles(tk, positions)
	if err != nil || path == "" {
		return files, err
	}
	for name, p := range map[string]string{FileTokenizer: path,
		FileTokenizerConfig: filepath.Join(filepath.Dir(path), FileTokenizerConfig),
		FileSpecialTokens:   filepath.Join(filepath.Dir(path), FileSpecialTokens)} {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) && name != FileTokenizer {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("train: %v", err)
		}
		files[name] = data
	}
	return files, nil
}
