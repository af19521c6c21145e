package ckpt

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// GenerationFileName is the Hugging Face generation config of a checkpoint directory.
const GenerationFileName = "generation_config.json"

// GenerationConfig returns the generation_config.json that transformers' GenerationConfig reads,
// as GenerationConfig.from_model_config writes it (without the version stamp), for the token ids
// of config.json: bos_token_id, eos_token_id (a list of ids, as Llama 3 has, is kept as it is) and
// pad_token_id, each when config.json has it. Indent 2, sorted keys, trailing newline.
func GenerationConfig(c *LlamaConfig) []byte {
	m := map[string]json.RawMessage{"_from_model_config": json.RawMessage("true")}
	id := func(key string, v *int) {
		if v != nil {
			m[key] = json.RawMessage(strconv.Itoa(*v))
		} else if raw, ok := c.Extra[key]; ok && string(raw) != "null" {
			m[key] = raw
		}
	}
	id("bos_token_id", c.BOSTokenID)
	id("eos_token_id", c.EOSTokenID)
	id("pad_token_id", nil)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.Encode(m) // raw values that came from parsed JSON cannot fail
	return b.Bytes()
}
