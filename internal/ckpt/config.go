package ckpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LoopKey is the config.json key of a looped model's structure, {"k":K,"r":R,"p":P,"q":Q} (model.Loop):
// its safetensors hold every one of the num_hidden_layers = P+K·R+Q layers (the shared ones repeated),
// so Hugging Face loads it as a plain Llama, and midas reloads it as the looped model (train.LoadModel).
const LoopKey = "midas_loop"

// LlamaConfig is the subset of HF LlamaConfig that midas reads and writes; the JSON keys are
// exactly Hugging Face's. Keys absent from the file take HF's defaults where HF has a harmless one
// (num_key_value_heads = num_attention_heads, rms_norm_eps 1e-6, rope_theta 10000, hidden_act
// "silu", max_position_embeddings 2048); the sizes have no default.
type LlamaConfig struct {
	Architectures         []string `json:"architectures"`
	ModelType             string   `json:"model_type"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	RMSNormEps            float64  `json:"rms_norm_eps"`
	RopeTheta             float64  `json:"rope_theta"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	HiddenAct             string   `json:"hidden_act"`
	TorchDType            string   `json:"torch_dtype"`
	// BOSTokenID and EOSTokenID are nil when absent or null. A list (Llama 3 has several EOS ids)
	// leaves the field nil and is kept verbatim in Extra.
	BOSTokenID    *int `json:"bos_token_id"`
	EOSTokenID    *int `json:"eos_token_id"`
	AttentionBias bool `json:"attention_bias"`
	MLPBias       bool `json:"mlp_bias"`
	// Extra holds every other key (compacted JSON), preserved on round trip (e.g. growth_history,
	// rope_scaling). Nil when there are none.
	Extra map[string]json.RawMessage `json:"-"`
}

// ParseLlamaConfig parses a config.json and checks that midas can run it: model_type "llama",
// positive sizes, num_attention_heads a multiple of num_key_value_heads, hidden_size divisible by
// num_attention_heads unless head_dim is given (then a positive even integer), positive rms_norm_eps
// and rope_theta, a rope_scaling that RopeScaling reads, and none of the unsupported features
// (attention_bias or mlp_bias true, hidden_act other than silu, partial_rotary_factor other than 1).
// All problems are reported in one error.
func ParseLlamaConfig(data []byte) (*LlamaConfig, error) {
	c, err := ParseLlamaConfigLoose(data)
	if err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseLlamaConfigLoose parses a config.json, checking only that it is a Llama config; used where
// the model is handled as opaque tensors (e.g. growing a checkpoint midas cannot run).
func ParseLlamaConfigLoose(data []byte) (*LlamaConfig, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, fmt.Errorf("ckpt: config.json: not a JSON object: %v", err)
	}
	c := &LlamaConfig{}
	if err := take(raw, "model_type", &c.ModelType); err != nil {
		return nil, err
	}
	if c.ModelType != "llama" {
		return nil, fmt.Errorf("ckpt: config.json: model_type %q is not a Llama checkpoint", c.ModelType)
	}
	fields := []struct {
		key string
		dst any
	}{
		{"architectures", &c.Architectures},
		{"vocab_size", &c.VocabSize},
		{"hidden_size", &c.HiddenSize},
		{"intermediate_size", &c.IntermediateSize},
		{"num_hidden_layers", &c.NumHiddenLayers},
		{"num_attention_heads", &c.NumAttentionHeads},
		{"tie_word_embeddings", &c.TieWordEmbeddings},
		{"torch_dtype", &c.TorchDType},
		{"attention_bias", &c.AttentionBias},
		{"mlp_bias", &c.MLPBias},
	}
	for _, f := range fields {
		if err := take(raw, f.key, f.dst); err != nil {
			return nil, err
		}
	}
	// Keys with an HF default: absent and null both mean "use the default".
	c.NumKeyValueHeads, c.MaxPositionEmbeddings = c.NumAttentionHeads, 2048
	c.RMSNormEps, c.RopeTheta, c.HiddenAct = 1e-6, 10000, "silu"
	defaulted := []struct {
		key string
		dst any
	}{
		{"num_key_value_heads", &c.NumKeyValueHeads},
		{"max_position_embeddings", &c.MaxPositionEmbeddings},
		{"rms_norm_eps", &c.RMSNormEps},
		{"rope_theta", &c.RopeTheta},
		{"hidden_act", &c.HiddenAct},
	}
	for _, f := range defaulted {
		if err := take(raw, f.key, f.dst); err != nil {
			return nil, err
		}
	}
	c.BOSTokenID = takeTokenID(raw, "bos_token_id")
	c.EOSTokenID = takeTokenID(raw, "eos_token_id")
	if len(raw) > 0 {
		c.Extra = make(map[string]json.RawMessage, len(raw))
		for k, v := range raw {
			var b bytes.Buffer
			json.Compact(&b, v) // v was already validated by Unmarshal
			c.Extra[k] = b.Bytes()
		}
	}
	return c, nil
}

// take decodes raw[key] into dst and removes the key; an absent key or null leaves dst as is.
func take(raw map[string]json.RawMessage, key string, dst any) error {
	v, ok := raw[key]
	if !ok {
		return nil
	}
	delete(raw, key)
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("ckpt: config.json: %s: %v", key, err)
	}
	return nil
}

// takeTokenID removes and returns an integer token id; any other non-null value stays in raw.
func takeTokenID(raw map[string]json.RawMessage, key string) *int {
	v, ok := raw[key]
	if !ok {
		return nil
	}
	var id *int
	if err := json.Unmarshal(v, &id); err != nil {
		return nil // e.g. a list of ids: kept in Extra
	}
	delete(raw, key)
	return id
}

// check reports every feature of c that midas cannot run.
func (c *LlamaConfig) check() error {
	var bad []string
	for _, s := range []struct {
		key string
		v   int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize},
		{"intermediate_size", c.IntermediateSize}, {"num_hidden_layers", c.NumHiddenLayers},
		{"num_attention_heads", c.NumAttentionHeads}, {"num_key_value_heads", c.NumKeyValueHeads},
		{"max_position_embeddings", c.MaxPositionEmbeddings},
	} {
		if s.v <= 0 {
			bad = append(bad, fmt.Sprintf("%s must be positive, got %d", s.key, s.v))
		}
	}
	bad = append(bad, c.headProblems()...)
	if !(c.RMSNormEps > 0) {
		bad = append(bad, fmt.Sprintf("rms_norm_eps must be positive, got %g", c.RMSNormEps))
	}
	if !(c.RopeTheta > 0) {
		bad = append(bad, fmt.Sprintf("rope_theta must be positive, got %g", c.RopeTheta))
	}
	if _, err := c.RopeScaling(); err != nil {
		bad = append(bad, err.Error())
	}
	if v, ok := c.Extra["partial_rotary_factor"]; ok && string(v) != "null" && string(v) != "1" && string(v) != "1.0" {
		bad = append(bad, fmt.Sprintf("partial_rotary_factor %s is not supported (only 1)", v))
	}
	if c.AttentionBias {
		bad = append(bad, "attention_bias is not supported")
	}
	if c.MLPBias {
		bad = append(bad, "mlp_bias is not supported")
	}
	if c.HiddenAct != "silu" {
		bad = append(bad, fmt.Sprintf("hidden_act %q is not supported (only silu)", c.HiddenAct))
	}
	if len(bad) > 0 {
		return fmt.Errorf("ckpt: config.json: %s", strings.Join(bad, "; "))
	}
	return nil
}

// headProblems checks num_key_value_heads and head_dim against num_attention_heads and hidden_size.
func (c *LlamaConfig) headProblems() []string {
	var bad []string
	if c.NumKeyValueHeads > 0 && c.NumAttentionHeads > 0 && c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		bad = append(bad, fmt.Sprintf("num_attention_heads %d is not a multiple of num_key_value_heads %d",
			c.NumAttentionHeads, c.NumKeyValueHeads))
	}
	hd, err := c.HeadDim()
	switch {
	case err != nil:
		bad = append(bad, err.Error())
	case hd == 0 && c.HiddenSize > 0 && c.NumAttentionHeads > 0 && c.HiddenSize%c.NumAttentionHeads != 0:
		bad = append(bad, fmt.Sprintf("hidden_size %d is not divisible by num_attention_heads %d",
			c.HiddenSize, c.NumAttentionHeads))
	case hd < 0 || hd%2 != 0:
		bad = append(bad, fmt.Sprintf("head_dim %d must be positive and even (rotary embedding)", hd))
	}
	return bad
}

// HeadDim returns config.json's head_dim, or 0 when it is absent or null (then the head dimension
// is hidden_size/num_attention_heads).
func (c *LlamaConfig) HeadDim() (int, error) {
	v, ok := c.Extra["head_dim"]
	if !ok || string(v) == "null" {
		return 0, nil
	}
	var hd int
	if err := json.Unmarshal(v, &hd); err != nil {
		return 0, fmt.Errorf("head_dim %s is not an integer", v)
	}
	if hd == 0 {
		return 0, errors.New("head_dim must be positive, got 0")
	}
	return hd, nil
}

// RopeScaling is config.json's rope_scaling as Hugging Face reads it. Type is its rope_type (or
// the older key type); "" for none — rope_scaling absent, null or of type "default".
type RopeScaling struct {
	Type                          string
	Factor                        float64
	LowFreqFactor, HighFreqFactor float64 // llama3
	OriginalMaxPositionEmbeddings int     // llama3 (required), dynamic (optional)
}

// RopeScaling parses rope_scaling, accepting the types midas runs — linear, dynamic and llama3 —
// with the keys Hugging Face requires for them.
func (c *LlamaConfig) RopeScaling() (RopeScaling, error) {
	raw, ok := c.Extra["rope_scaling"]
	if !ok || string(raw) == "null" {
		return RopeScaling{}, nil
	}
	r, err := ropeFields(raw)
	if err != nil {
		return RopeScaling{}, err
	}
	out := RopeScaling{Type: r.ropeType}
	switch out.Type {
	case "", "default":
		return RopeScaling{}, nil
	case "linear", "dynamic", "llama3":
	default:
		return RopeScaling{}, fmt.Errorf("rope_scaling type %q is not supported (linear, llama3, dynamic)", out.Type)
	}
	need := func(name string, p *float64, dst *float64) error {
		if p == nil {
			return fmt.Errorf("rope_scaling %s: %s is missing", out.Type, name)
		}
		*dst = *p
		return nil
	}
	err = need("factor", r.factor, &out.Factor)
	if out.Type == "llama3" {
		err = errors.Join(err, need("low_freq_factor", r.low, &out.LowFreqFactor), need("high_freq_factor", r.high, &out.HighFreqFactor))
		if r.origMax == nil {
			err = errors.Join(err, errors.New("rope_scaling llama3: original_max_position_embeddings is missing"))
		}
	}
	if err != nil {
		return RopeScaling{}, errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if r.origMax != nil {
		out.OriginalMaxPositionEmbeddings = *r.origMax
	}
	return out, nil
}

// ropeJSON holds the keys of rope_scaling that midas reads; nil pointers are absent keys.
type ropeJSON struct {
	ropeType          string
	factor, low, high *float64
	origMax           *int
}

// ropeFields decodes a rope_scaling object, checking the type of every key midas reads (in a fixed
// order, so that the error is always the same one).
func ropeFields(raw json.RawMessage) (ropeJSON, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return ropeJSON{}, fmt.Errorf("rope_scaling %s is not an object", raw)
	}
	var r ropeJSON
	var typ string
	for _, k := range []struct {
		key string
		dst any
	}{{"rope_type", &r.ropeType}, {"type", &typ}, {"factor", &r.factor}, {"low_freq_factor", &r.low},
		{"high_freq_factor", &r.high}, {"original_max_position_embeddings", &r.origMax}} {
		if v, ok := m[k.key]; ok && json.Unmarshal(v, k.dst) != nil {
			return ropeJSON{}, fmt.Errorf("rope_scaling: %s %s has the wrong type", k.key, v)
		}
	}
	if r.ropeType == "" {
		r.ropeType = typ // the key's older name
	}
	return r, nil
}

// Marshal returns c as indented JSON with a trailing newline: the known fields plus Extra, keys
// sorted. Floats are written as Python writes them (1e-05, 10000.0) so that HF reads the same types.
// A nil Architectures, BOSTokenID or EOSTokenID is omitted (or taken from Extra if it holds the key).
func (c *LlamaConfig) Marshal() ([]byte, error) {
	out := make(map[string]json.RawMessage, len(c.Extra)+18)
	for k, v := range c.Extra {
		out[k] = v
	}
	set := func(key string, v any) {
		b, _ := json.Marshal(v) // strings, ints, bools and slices of them cannot fail
		out[key] = b
	}
	if c.Architectures != nil {
		set("architectures", c.Architectures)
	}
	set("model_type", c.ModelType)
	set("vocab_size", c.VocabSize)
	set("hidden_size", c.HiddenSize)
	set("intermediate_size", c.IntermediateSize)
	set("num_hidden_layers", c.NumHiddenLayers)
	set("num_attention_heads", c.NumAttentionHeads)
	set("num_key_value_heads", c.NumKeyValueHeads)
	set("max_position_embeddings", c.MaxPositionEmbeddings)
	set("tie_word_embeddings", c.TieWordEmbeddings)
	set("hidden_act", c.HiddenAct)
	set("attention_bias", c.AttentionBias)
	set("mlp_bias", c.MLPBias)
	if c.TorchDType != "" {
		set("torch_dtype", c.TorchDType)
	}
	if c.BOSTokenID != nil {
		set("bos_token_id", *c.BOSTokenID)
	}
	if c.EOSTokenID != nil {
		set("eos_token_id", *c.EOSTokenID)
	}
	for key, v := range map[string]float64{"rms_norm_eps": c.RMSNormEps, "rope_theta": c.RopeTheta} {
		s, err := pyFloat(v)
		if err != nil {
			return nil, fmt.Errorf("ckpt: config.json: %s: %w", key, err)
		}
		out[key] = json.RawMessage(s)
	}
	// Like transformers (json.dumps(indent=2, sort_keys=True)), but Python escapes non-ASCII
	// where this writes UTF-8; both read back the same.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil { // Encode appends the final newline
		return nil, fmt.Errorf("ckpt: config.json: %w", err)
	}
	return b.Bytes(), nil
}

// PyFloat formats v like Python's repr (see pyFloat), for JSON that transformers reads back as a float.
func PyFloat(v float64) (string, error) { return pyFloat(v) }

// pyFloat formats v like Python's repr: shortest round-trip digits, exponent form below 1e-4 and
// from 1e16 up, and always a decimal point or exponent so that the value reads back as a float.
func pyFloat(v float64) (string, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", fmt.Errorf("%v cannot be written as JSON", v)
	}
	e := strconv.FormatFloat(v, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if v != 0 && (exp < -4 || exp >= 16) {
		return e, nil
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s, nil
}
