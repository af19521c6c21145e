package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/grow"
	"midas/internal/model"
	"midas/internal/tok"
)

// State is trainer_state.json: everything besides weights and moments that a resume needs.
type State struct {
	Format  string        `json:"format"`
	Step    int           `json:"step"`
	Tokens  int64         `json:"tokens"`
	DataPos data.Position `json:"data_position"`
	FLOPs   float64       `json:"flops"`
	TrainS  float64       `json:"train_s"`
	History []grow.Plan   `json:"growth_history"`
	Options Options       `json:"options"`
	// ConfigExtra is CheckpointFiles.ConfigExtra of a run started from a checkpoint (--init).
	ConfigExtra map[string]json.RawMessage `json:"config_extra,omitempty"`
}

const stateFormat = "midas-trainer-state/1"

// HFConfig is the Hugging Face config.json of a model config. eot is the end-of-text token id (BOS,
// EOS and padding), or −1 when there is no tokenizer. num_key_value_heads, head_dim and
// rope_scaling are written as Hugging Face reads them; the last two only when the config sets them.
func HFConfig(c model.Config, eot int) *ckpt.LlamaConfig {
	h := &ckpt.LlamaConfig{
		Architectures: []string{"LlamaForCausalLM"}, ModelType: "llama",
		VocabSize: c.VocabSize, HiddenSize: c.Dim, IntermediateSize: c.FFNDim, NumHiddenLayers: c.NumLayers,
		NumAttentionHeads: c.NumHeads, NumKeyValueHeads: c.KVHeads(), MaxPositionEmbeddings: c.Positions(),
		RMSNormEps: c.NormEps, RopeTheta: c.RopeTheta, TieWordEmbeddings: c.TiedEmbeddings,
		HiddenAct: "silu", TorchDType: "float32",
	}
	extra := map[string]json.RawMessage{}
	if eot >= 0 {
		h.BOSTokenID, h.EOSTokenID = &eot, &eot
		extra["pad_token_id"] = json.RawMessage(fmt.Sprint(eot))
	}
	if c.HeadDimOverride > 0 {
		extra["head_dim"] = json.RawMessage(fmt.Sprint(c.HeadDimOverride))
	}
	if r := c.RopeScaling; r.Type != "" {
		if r.Type == model.RopeDynamic { // transformers rescales from max_position_embeddings on
			h.MaxPositionEmbeddings = max(c.Positions(), r.OriginalMaxPos)
		}
		extra["rope_scaling"] = ropeJSON(r)
	}
	if len(extra) > 0 {
		h.Extra = extra
	}
	return h
}

// ropeJSON is rope_scaling as transformers writes it: rope_type and the type's keys (floats as
// Python writes them). For dynamic, midas's OriginalMaxPos is config.json's max_position_embeddings.
func ropeJSON(r model.RopeScaling) json.RawMessage {
	f := func(v float64) json.RawMessage { s, _ := ckpt.PyFloat(v); return json.RawMessage(s) }
	m := map[string]json.RawMessage{"rope_type": json.RawMessage(fmt.Sprintf("%q", r.Type)), "factor": f(r.Factor)}
	if r.Type == model.RopeLlama3 {
		m["low_freq_factor"], m["high_freq_factor"] = f(r.LowFreqFactor), f(r.HighFreqFactor)
		m["original_max_position_embeddings"] = json.RawMessage(fmt.Sprint(r.OriginalMaxPos))
	}
	b, _ := json.Marshal(m) // keys sorted; values are valid JSON
	return b
}

// ModelConfig converts a Hugging Face config, as ParseLlamaConfig accepts it, into a model config.
func ModelConfig(h *ckpt.LlamaConfig) (model.Config, error) {
	c := model.Config{VocabSize: h.VocabSize, Dim: h.HiddenSize, NumLayers: h.NumHiddenLayers,
		NumHeads: h.NumAttentionHeads, FFNDim: h.IntermediateSize, SeqLen: h.MaxPositionEmbeddings,
		RopeTheta: h.RopeTheta, NormEps: h.RMSNormEps, TiedEmbeddings: h.TieWordEmbeddings}
	if h.NumKeyValueHeads != h.NumAttentionHeads {
		c.NumKVHeads = h.NumKeyValueHeads
	}
	hd, err := h.HeadDim()
	if err != nil {
		return model.Config{}, fmt.Errorf("train: config.json: %v", err)
	}
	if hd > 0 && hd*h.NumAttentionHeads != h.HiddenSize {
		c.HeadDimOverride = hd // a head_dim equal to hidden_size/num_attention_heads changes nothing
	}
	r, err := h.RopeScaling()
	if err != nil {
		return model.Config{}, fmt.Errorf("train: config.json: %v", err)
	}
	if r.Type != "" {
		c.RopeScaling = model.RopeScaling{Type: r.Type, Factor: r.Factor, LowFreqFactor: r.LowFreqFactor,
			HighFreqFactor: r.HighFreqFactor, OriginalMaxPos: r.OriginalMaxPositionEmbeddings}
		if r.Type == model.RopeDynamic {
			c.RopeScaling.OriginalMaxPos = h.MaxPositionEmbeddings // where transformers starts rescaling
		}
	}
	return c, nil
}

// TokenizerFiles are the tokenizer files of a checkpoint (FileTokenizer, FileTokenizerConfig,
// FileSpecialTokens) for a model of seq positions.
func TokenizerFiles(tk *tok.Tokenizer, seq int) (map[string][]byte, error) {
	files, err := tk.HFFiles(seq)
	if err != nil {
		return nil, fmt.Errorf("train: %v", err)
	}
	return files, nil
}

// CheckpointFiles are what a checkpoint holds besides the model and the training state.
type CheckpointFiles struct {
	// Tokenizer maps file names to contents (TokenizerFiles, or an existing checkpoint's files); nil:
	// no tokenizer.
	Tokenizer map[string][]byte
	// EOT is the tokenizer's end-of-text id (config.json's bos, eos and pad), or −1.
	EOT int
	// ConfigExtra holds config.json keys that midas does not write itself, kept from the checkpoint
	// a run started from (--init): growth_history, transformers_version, .... The run's own growth
	// records are appended to growth_history.
	ConfigExtra map[string]json.RawMessage
}

// SaveCheckpoint commits config.json, the weights, generation_config.json, the tokenizer files and
// — when t is not nil — the training state into dir as one atomic group. A looped model is written
// unrolled: config.json gives its depth as num_hidden_layers and its loop under ckpt.LoopKey,
// model.safetensors holds every logical layer (the shared ones repeated), and optimizer.safetensors
// the physical moments once each, under the names of each physical layer's first use
// (Layout.FirstUseTensors: the later repetitions' names are absent).
func SaveCheckpoint(dir string, m *model.Model, f CheckpointFiles, t *Trainer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	hf, cfgJSON, err := checkpointConfig(m, f, t)
	if err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		FileConfig:     bytesFile(cfgJSON),
		FileGeneration: bytesFile(ckpt.GenerationConfig(hf)),
		FileModel:      func(w io.Writer) error { return ckpt.Encode(w, tensors(m.Layout.UnrolledTensors(), "", m.Params), nil) },
	}
	for name, data := range f.Tokenizer {
		files[name] = bytesFile(data)
	}
	if t != nil {
		st := State{Format: stateFormat, Step: t.Step, Tokens: t.Tokens, DataPos: t.Loader.Position(), Options: t.Opt,
			FLOPs: t.FLOPs, TrainS: t.TrainS, History: t.History, ConfigExtra: f.ConfigExtra}
		stJSON, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return fmt.Errorf("train: %v", err)
		}
		meta := map[string]string{"step": fmt.Sprint(t.Step)}
		fu := m.Layout.FirstUseTensors()
		files[FileOptimizer] = func(w io.Writer) error {
			return ckpt.Encode(w, append(tensors(fu, "exp_avg.", t.M), tensors(fu, "exp_avg_sq.", t.V)...), meta)
		}
		files[FileState] = bytesFile(append(stJSON, '\n'))
	}
	return ckpt.CommitDir(dir, files)
}

// bytesFile is a CommitDir member with fixed content.
func bytesFile(data []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(data); return err }
}

// ObjectiveKey is the config.json key that names a non-causal training objective ("ul2"); causal
// checkpoints do not have it.
const ObjectiveKey = "training_objective"

func markObjective(extra map[string]json.RawMessage, name string) map[string]json.RawMessage {
	if extra == nil {
		extra = map[string]json.RawMessage{}
	}
	extra[ObjectiveKey], _ = json.Marshal(name)
	return extra
}

// checkpointConfig is the config.json of m (and its parsed form, for generation_config.json): its
// unrolled depth, the keys of f.ConfigExtra, the growth history (f.ConfigExtra's, then the trainer's),
// the objective of a UL2 run and the loop (ckpt.LoopKey). The loop and the objective are always m's
// and t's own, never kept from f.ConfigExtra.
func checkpointConfig(m *model.Model, f CheckpointFiles, t *Trainer) (*ckpt.LlamaConfig, []byte, error) {
	loop, err := model.LoopOf(m.Layout.Map)
	if err != nil {
		return nil, nil, fmt.Errorf("train: cannot save the model: %v", err)
	}
	c := m.Cfg
	c.NumLayers = m.Layout.Depth()
	hf := HFConfig(c, f.EOT)
	if len(f.ConfigExtra) > 0 {
		extra := maps.Clone(f.ConfigExtra)
		delete(extra, ckpt.LoopKey)
		delete(extra, ObjectiveKey)
		maps.Copy(extra, hf.Extra) // what midas writes wins
		hf.Extra = extra
	}
	var history []grow.Plan
	if t != nil {
		history = t.History
	}
	if hf.Extra, err = grow.AppendHistory(hf.Extra, history...); err != nil {
		return nil, nil, fmt.Errorf("train: %v", err)
	}
	if t != nil && t.Opt.IsUL2() {
		hf.Extra = markObjective(hf.Extra, t.Opt.Objective)
	}
	if loop.Looped() {
		if hf.Extra == nil {
			hf.Extra = map[string]json.RawMessage{}
		}
		hf.Extra[ckpt.LoopKey], _ = json.Marshal(loop) // four ints cannot fail
	}
	cfgJSON, err := hf.Marshal()
	return hf, cfgJSON, err
}

// readLoop reads the loop of a config.json (the zero Loop when it has none) and checks it against the
// config's depth.
func readLoop(h *ckpt.LlamaConfig) (model.Loop, error) {
	raw, ok := h.Extra[ckpt.LoopKey]
	if !ok || string(raw) == "null" {
		return model.Loop{}, nil
	}
	var l model.Loop
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, fmt.Errorf("%s %s: want {\"k\":K,\"r\":R,\"p\":P,\"q\":Q}: %v", ckpt.LoopKey, raw, err)
	}
	if !l.Looped() {
		return l, fmt.Errorf("%s %s: the block size k must be at least 1", ckpt.LoopKey, raw)
	}
	if err := l.Validate(h.NumHiddenLayers); err != nil {
		return l, fmt.Errorf("%s %s does not match num_hidden_layers %d: %s", ckpt.LoopKey, raw, h.NumHiddenLayers,
			strings.TrimPrefix(err.Error(), "model: "))
	}
	return l, nil
}

// tensors views a flat buffer as named tensors.
func tensors(ts []model.Tensor, prefix string, buf []float32) []ckpt.Tensor {
	out := make([]ckpt.Tensor, len(ts))
	for i, t := range ts {
		out[i] = ckpt.Tensor{Name: prefix + t.Name, Shape: t.Shape, Data: buf[t.Offset : t.Offset+t.Size]}
	}
	return out
}

// readTensors fills buf from the tensors of f named prefix+name, checking every shape.
func readTensors(path string, ts []model.Tensor, prefix string, buf []float32) error {
	f, err := ckpt.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, t := range ts {
		name := prefix + t.Name
		info, ok := f.Info(name)
		if !ok {
			return fmt.Errorf("train: %s: tensor %q is missing", path, name)
		}
		if !slices.Equal(info.Shape, t.Shape) {
			return fmt.Errorf("train: %s: tensor %q: shape %v, want %v", path, name, info.Shape, t.Shape)
		}
		v, err := f.ReadFloat32(name)
		if err != nil {
			return err
		}
		copy(buf[t.Offset:t.Offset+t.Size], v)
	}
	return nil
}

// LoadModel reads a checkpoint directory (a midas or any Hugging Face Llama checkpoint with
// model.safetensors or a sharded index) into a new model. An interrupted checkpoint write is first
// recovered. maxSeq > 0 raises the context length (positions) beyond the config's. A checkpoint with a
// loop (ckpt.LoopKey) becomes the looped model: each physical layer is read from its first use, and
// every repetition must hold bitwise the same tensors (an error names the first that does not).
func LoadModel(dir string, maxSeq int) (*model.Model, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("train: checkpoint %s: not a directory", dir)
	}
	if _, err := ckpt.Recover(dir); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileConfig))
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: no %s", dir, FileConfig)
	}
	h, err := ckpt.ParseLlamaConfig(raw)
	if err != nil {
		return nil, err
	}
	loop, err := readLoop(h)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: config.json: %v", dir, err)
	}
	cfg, err := ModelConfig(h)
	if err != nil {
		return nil, err
	}
	cfg.SeqLen = max(cfg.SeqLen, maxSeq)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %v", dir, err)
	}
	src, err := ckpt.OpenModel(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	// Sizes from config.json are checked against the weights file and memory before allocation.
	if err := checkTensorSizes(dir, cfg, src); err != nil {
		return nil, err
	}
	phys := cfg
	if loop.Looped() {
		phys.NumLayers = loop.Physical()
	}
	if err := CheckMemory("loading "+dir, phys.InferBytes(), 0, fmt.Sprintf("%.4g parameters and their gradients", phys.ParamCount())); err != nil {
		return nil, err
	}
	m, err := model.NewLoop(cfg, loop)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %v", dir, err)
	}
	if err := readWeights(dir, m, src); err != nil {
		return nil, err
	}
	return m, nil
}

// readWeights fills m's parameters from src: each physical tensor from its first use, then every
// later use compared with it bit for bit.
func readWeights(dir string, m *model.Model, src *ckpt.Model) error {
	read := func(t model.Tensor) ([]float32, error) {
		info, _, ok := src.Info(t.Name)
		if !ok {
			return nil, fmt.Errorf("train: checkpoint %s: tensor %q is missing", dir, t.Name)
		}
		if !slices.Equal(info.Shape, t.Shape) {
			return nil, fmt.Errorf("train: checkpoint %s: tensor %q: shape %v, want %v", dir, t.Name, info.Shape, t.Shape)
		}
		return src.ReadFloat32(t.Name)
	}
	first := map[int]string{} // offset of a physical tensor → the name it was read from
	for _, t := range m.Layout.FirstUseTensors() {
		v, err := read(t)
		if err != nil {
			return err
		}
		copy(m.Params[t.Offset:t.Offset+t.Size], v)
		first[t.Offset] = t.Name
	}
	for _, t := range m.Layout.UnrolledTensors() {
		if first[t.Offset] == t.Name {
			continue
		}
		v, err := read(t)
		if err != nil {
			return err
		}
		for i, x := range m.Params[t.Offset : t.Offset+t.Size] {
			if math.Float32bits(x) != math.Float32bits(v[i]) {
				return fmt.Errorf("train: checkpoint %s: tensor %q differs from %q, which it repeats in the loop of config.json (%s)",
					dir, t.Name, first[t.Offset], ckpt.LoopKey)
			}
		}
	}
	return nil
}

// checkTensorSizes compares the sizes config.json gives with the weights file's tensors — the
// embedding, the first and last layer, the head — without laying out the model.
func checkTensorSizes(dir string, c model.Config, src *ckpt.Model) error {
	C, F, V, L := c.Dim, c.FFNDim, c.VocabSize, c.NumLayers
	want := []struct {
		name  string
		shape []int
	}{
		{"model.embed_tokens.weight", []int{V, C}},
		{"model.layers.0.self_attn.q_proj.weight", []int{c.QDim(), C}},
		{"model.layers.0.self_attn.k_proj.weight", []int{c.KVDim(), C}},
		{"model.layers.0.mlp.gate_proj.weight", []int{F, C}},
		{fmt.Sprintf("model.layers.%d.mlp.down_proj.weight", L-1), []int{C, F}},
		{"model.norm.weight", []int{C}},
	}
	if !c.TiedEmbeddings {
		want = append(want, struct {
			name  string
			shape []int
		}{"lm_head.weight", []int{V, C}})
	}
	for _, w := range want {
		info, _, ok := src.Info(w.name)
		if !ok {
			return fmt.Errorf("train: checkpoint %s: config.json describes %d layers, dim %d, ffn %d, vocab %d, but the weights have no tensor %q",
				dir, L, C, F, V, w.name)
		}
		if !slices.Equal(info.Shape, w.shape) {
			return fmt.Errorf("train: checkpoint %s: tensor %q: shape %v, want %v (from config.json)", dir, w.name, info.Shape, w.shape)
		}
	}
	return nil
}

// LoadState reads trainer_state.json and optimizer.safetensors of dir into a trainer built for the
// state's options: moments, step, tokens and data position. The model must already be loaded.
func LoadState(dir string) (State, error) {
	raw, err := os.ReadFile(filepath.Join(dir, FileState))
	if err != nil {
		return State{}, fmt.Errorf("train: %s: no training state (%s); it is not a resumable checkpoint", dir, FileState)
	}
	var st State
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return State{}, fmt.Errorf("train: %s: %v", filepath.Join(dir, FileState), err)
	}
	if st.Format != stateFormat {
		return State{}, fmt.Errorf("train: %s: format %q, want %q", filepath.Join(dir, FileState), st.Format, stateFormat)
	}
	return st, nil
}

// Restore loads the moments of dir into t and sets its step, tokens and data position from st.
func (t *Trainer) Restore(dir string, st State) error {
	l := t.Model.Layout.FirstUseTensors()
	p := filepath.Join(dir, FileOptimizer)
	if err := readTensors(p, l, "exp_avg.", t.M); err != nil {
		return err
	}
	if err := readTensors(p, l, "exp_avg_sq.", t.V); err != nil {
		return err
	}
	if err := t.Loader.Seek(st.DataPos); err != nil {
		return fmt.Errorf("train: %s: %v", dir, err)
	}
	t.Step, t.Tokens, t.FLOPs, t.TrainS, t.History = st.Step, st.Tokens, st.FLOPs, st.TrainS, st.History
	return nil
}
