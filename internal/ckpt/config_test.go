package ckpt

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// tinyLlamaConfig is TinyLlama-1.1B's config.json as transformers writes it (sorted keys, indent
// 2), with grouped-query attention (4 key/value heads for 32).
const tinyLlamaConfig = `{
  "architectures": [
    "LlamaForCausalLM"
  ],
  "attention_bias": false,
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 5632,
  "max_position_embeddings": 2048,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 22,
  "num_key_value_heads": 4,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "rope_theta": 10000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.35.0",
  "use_cache": true,
  "vocab_size": 32000
}
`

func intPtr(v int) *int { return &v }

func TestParseLlamaConfigTinyLlama(t *testing.T) {
	c, err := ParseLlamaConfigLoose([]byte(tinyLlamaConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := &LlamaConfig{
		Architectures: []string{"LlamaForCausalLM"}, ModelType: "llama",
		VocabSize: 32000, HiddenSize: 2048, IntermediateSize: 5632, NumHiddenLayers: 22,
		NumAttentionHeads: 32, NumKeyValueHeads: 4, MaxPositionEmbeddings: 2048,
		RMSNormEps: 1e-5, RopeTheta: 10000, HiddenAct: "silu", TorchDType: "bfloat16",
		BOSTokenID: intPtr(1), EOSTokenID: intPtr(2),
		Extra: map[string]json.RawMessage{
			"initializer_range": json.RawMessage("0.02"), "pretraining_tp": json.RawMessage("1"),
			"rope_scaling": json.RawMessage("null"), "transformers_version": json.RawMessage(`"4.35.0"`),
			"use_cache": json.RawMessage("true"),
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", c, want)
	}
	// transformers writes json.dumps(indent=2, sort_keys=True): Marshal must reproduce it byte for byte.
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != tinyLlamaConfig {
		t.Errorf("Marshal differs from the input:\n%s", out)
	}
	if _, err = ParseLlamaConfig([]byte(tinyLlamaConfig)); err != nil {
		t.Errorf("strict parse: %v", err)
	}
}

// TestParseLlamaConfigDefaults: a minimal hand-written config gets HF's defaults.
func TestParseLlamaConfigDefaults(t *testing.T) {
	c, err := ParseLlamaConfig([]byte(`{"model_type":"llama","vocab_size":256,"hidden_size":64,
		"intermediate_size":172,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.NumKeyValueHeads != 4 || c.RMSNormEps != 1e-6 || c.RopeTheta != 10000 || c.HiddenAct != "silu" ||
		c.MaxPositionEmbeddings != 2048 || c.BOSTokenID != nil || c.Extra != nil {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestLlamaConfigExtraRoundTrip: unknown keys, an EOS list (Llama 3) and rope_scaling survive.
func TestLlamaConfigExtraRoundTrip(t *testing.T) {
	in := `{"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,
	  "num_hidden_layers":6,"num_attention_heads":2,"eos_token_id":[128001, 128009],
	  "rope_scaling":{"factor":8.0,"rope_type":"llama3"},
	  "growth_history":[{"step":100,"op":"midas","from":1,"to":6,"note":"a<b"}]}`
	c, err := ParseLlamaConfigLoose([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.EOSTokenID != nil || string(c.Extra["eos_token_id"]) != "[128001,128009]" {
		t.Errorf("EOS list: field %v, extra %s", c.EOSTokenID, c.Extra["eos_token_id"])
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{`"factor": 8.0`, `"note": "a<b"`, "\"eos_token_id\": [\n    128001,", `"rms_norm_eps": 1e-06`} {
		if !bytes.Contains(out, []byte(frag)) {
			t.Errorf("Marshal output lacks %q:\n%s", frag, out)
		}
	}
	back, err := ParseLlamaConfigLoose(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip changed the config:\n%+v\n%+v", back, c)
	}
	want := "ckpt: config.json: rope_scaling llama3: low_freq_factor is missing; rope_scaling llama3: high_freq_factor is missing; " +
		"rope_scaling llama3: original_max_position_embeddings is missing"
	if _, err := ParseLlamaConfig([]byte(in)); err == nil || err.Error() != want {
		t.Errorf("strict: err = %v, want %q", err, want)
	}
}

func TestParseLlamaConfigErrors(t *testing.T) {
	base := `"vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2`
	for _, tc := range []struct {
		name, json, want string
		loose            bool // the loose parser must fail too
	}{
		{"gpt2", `{"model_type":"gpt2"}`, `ckpt: config.json: model_type "gpt2" is not a Llama checkpoint`, true},
		{"no model_type", `{` + base + `}`, `ckpt: config.json: model_type "" is not a Llama checkpoint`, true},
		{"not JSON", `{"model_type":`, "ckpt: config.json: not a JSON object", true},
		{"null", `null`, "ckpt: config.json: not a JSON object", true},
		{"array", `[]`, "ckpt: config.json: not a JSON object", true},
		{"wrong type", `{"model_type":"llama","hidden_size":"8"}`, "ckpt: config.json: hidden_size: json: cannot unmarshal", true},
		{"missing size", `{"model_type":"llama","hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2}`,
			"ckpt: config.json: vocab_size must be positive, got 0", false},
		{"heads", `{"model_type":"llama",` + strings.Replace(base, `"num_attention_heads":2`, `"num_attention_heads":3`, 1) + `}`,
			"ckpt: config.json: hidden_size 8 is not divisible by num_attention_heads 3", false},
		{"rope_scaling yarn", `{"model_type":"llama",` + base + `,"rope_scaling":{"type":"yarn","factor":2}}`,
			`ckpt: config.json: rope_scaling type "yarn" is not supported (linear, llama3, dynamic)`, false},
		{"rope_scaling no factor", `{"model_type":"llama",` + base + `,"rope_scaling":{"rope_type":"linear"}}`,
			"ckpt: config.json: rope_scaling linear: factor is missing", false},
		{"rope_scaling wrong type", `{"model_type":"llama",` + base + `,"rope_scaling":{"rope_type":"linear","factor":"2"}}`,
			`ckpt: config.json: rope_scaling: factor "2" has the wrong type`, false},
		{"rope_scaling list", `{"model_type":"llama",` + base + `,"rope_scaling":[1]}`,
			"ckpt: config.json: rope_scaling [1] is not an object", false},
		{"partial rotary", `{"model_type":"llama",` + base + `,"partial_rotary_factor":0.5}`,
			"ckpt: config.json: partial_rotary_factor 0.5 is not supported (only 1)", false},
		{"attention_bias", `{"model_type":"llama",` + base + `,"attention_bias":true}`,
			"ckpt: config.json: attention_bias is not supported", false},
		{"mlp_bias", `{"model_type":"llama",` + base + `,"mlp_bias":true}`, "ckpt: config.json: mlp_bias is not supported", false},
		{"gqa", `{"model_type":"llama",` + base + `,"num_key_value_heads":3}`,
			"ckpt: config.json: num_attention_heads 2 is not a multiple of num_key_value_heads 3", false},
		{"gelu", `{"model_type":"llama",` + base + `,"hidden_act":"gelu"}`, `ckpt: config.json: hidden_act "gelu" is not supported (only silu)`, false},
		{"head_dim odd", `{"model_type":"llama",` + base + `,"head_dim":5}`,
			"ckpt: config.json: head_dim 5 must be positive and even (rotary embedding)", false},
		{"head_dim zero", `{"model_type":"llama",` + base + `,"head_dim":0}`,
			"ckpt: config.json: head_dim must be positive, got 0", false},
		{"eps", `{"model_type":"llama",` + base + `,"rms_norm_eps":-1}`, "ckpt: config.json: rms_norm_eps must be positive, got -1", false},
		{"several problems in one error", `{"model_type":"llama",` + base + `,"attention_bias":true,"mlp_bias":true}`,
			"ckpt: config.json: attention_bias is not supported; mlp_bias is not supported", false},
	} {
		_, err := ParseLlamaConfig([]byte(tc.json))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		_, err = ParseLlamaConfigLoose([]byte(tc.json))
		if (err != nil) != tc.loose {
			t.Errorf("%s: loose err = %v, want failure %v", tc.name, err, tc.loose)
		}
	}
	// A matching head_dim is fine.
	if _, err := ParseLlamaConfig([]byte(`{"model_type":"llama",` + base + `,"head_dim":4}`)); err != nil {
		t.Errorf("head_dim 4: %v", err)
	}
}

// TestParseLlamaConfigHF: the Hugging Face variants midas runs — grouped-query attention, a head_dim
// that is not hidden_size/num_attention_heads (also with hidden_size not divisible), and the
// rope_scaling types linear, dynamic and llama3 (rope_type or the older type key; "default" is none).
func TestParseLlamaConfigHF(t *testing.T) {
	base := `"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1`
	for _, tc := range []struct {
		name, extra string
		headDim     int
		rope        RopeScaling
	}{
		{"gqa", `"num_attention_heads":4,"num_key_value_heads":2`, 0, RopeScaling{}},
		{"mqa head_dim", `"num_attention_heads":3,"num_key_value_heads":1,"head_dim":6`, 6, RopeScaling{}},
		{"linear", `"num_attention_heads":2,"rope_scaling":{"type":"linear","factor":2}`, 0, RopeScaling{Type: "linear", Factor: 2}},
		{"dynamic", `"num_attention_heads":2,"rope_scaling":{"rope_type":"dynamic","factor":4.0}`, 0, RopeScaling{Type: "dynamic", Factor: 4}},
		{"llama3", `"num_attention_heads":2,"rope_scaling":{"rope_type":"llama3","factor":32.0,"low_freq_factor":1.0,` +
			`"high_freq_factor":4.0,"original_max_position_embeddings":8192}`, 0,
			RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192}},
		{"default", `"num_attention_heads":2,"rope_scaling":{"rope_type":"default"}`, 0, RopeScaling{}},
	} {
		c, err := ParseLlamaConfig([]byte("{" + base + "," + tc.extra + "}"))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		hd, _ := c.HeadDim()
		r, _ := c.RopeScaling()
		if hd != tc.headDim || r != tc.rope {
			t.Errorf("%s: head_dim %d, rope %+v; want %d, %+v", tc.name, hd, r, tc.headDim, tc.rope)
		}
	}
}

func TestPyFloat(t *testing.T) {
	// Expected strings are Python's repr of the same values.
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{1e-5, "1e-05"}, {1e-6, "1e-06"}, {10000, "10000.0"}, {500000, "500000.0"},
		{0.0001, "0.0001"}, {0, "0.0"}, {1.5e-7, "1.5e-07"}, {1e16, "1e+16"},
		{1e15, "1000000000000000.0"}, {0.02, "0.02"}, {-2.5, "-2.5"}, {1.2345678901234568e+17, "1.2345678901234568e+17"},
	} {
		if got, err := pyFloat(tc.v); err != nil || got != tc.want {
			t.Errorf("pyFloat(%g) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
}

func FuzzLlamaConfig(f *testing.F) {
	f.Add([]byte(tinyLlamaConfig))
	f.Add([]byte(`{"model_type":"llama","eos_token_id":[1,2],"bos_token_id":"x","rope_theta":1e300}`))
	f.Add([]byte(`{"model_type":"llama","num_key_value_heads":null,"hidden_size":-3,"extra":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`{"model_type":"gpt2"}`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseLlamaConfig(data)
		c, err := ParseLlamaConfigLoose(data)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed config: %v", err)
		}
		back, err := ParseLlamaConfigLoose(out)
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", back, c)
		}
	})
}
