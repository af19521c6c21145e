package tok

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The files that Hugging Face clients read next to tokenizer.json. Without tokenizer_config.json
// transformers.js refuses the tokenizer and Python's AutoTokenizer picks the class implied by
// config.json's model_type (LlamaTokenizer for "llama"), which prepends <s> and adds <s>, </s>,
// <unk> as new ids.
const (
	FileJSON          = "tokenizer.json"
	FileConfig        = "tokenizer_config.json"
	FileSpecialTokens = "special_tokens_map.json"
)

// HFFiles returns tokenizer.json, tokenizer_config.json and special_tokens_map.json, keyed by file
// name, for a checkpoint whose model takes modelMaxLength positions.
//
// tokenizer_config.json names the generic PreTrainedTokenizerFast class (it reads tokenizer.json
// as it is), makes EOT the bos, eos and pad token — the one special token, which midas puts between
// documents and in front of a prompt — adds no BOS or EOS when encoding (Encode adds none; callers
// prepend EOT themselves), and turns off clean_up_tokenization_spaces, which would otherwise make
// decoding drop the space in " ?" and " !" so that decode(encode(s)) ≠ s.
func (t *Tokenizer) HFFiles(modelMaxLength int) (map[string][]byte, error) {
	if modelMaxLength < 1 {
		return nil, fmt.Errorf("tok: model_max_length must be positive, got %d", modelMaxLength)
	}
	tj, err := t.MarshalJSON()
	if err != nil {
		return nil, err
	}
	eot := addedTokenHF{Content: EOTText}
	special := map[string]any{"bos_token": eot, "eos_token": eot, "pad_token": eot}
	cfg := map[string]any{
		"tokenizer_class":              "PreTrainedTokenizerFast",
		"added_tokens_decoder":         map[string]any{strconv.Itoa(int(t.eot)): addedTokenDecoderHF{eot, true}},
		"bos_token":                    EOTText,
		"eos_token":                    EOTText,
		"pad_token":                    EOTText,
		"add_bos_token":                false,
		"add_eos_token":                false,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             modelMaxLength,
	}
	out := map[string][]byte{FileJSON: tj}
	for name, v := range map[string]any{FileConfig: cfg, FileSpecialTokens: special} {
		if out[name], err = indentJSON(v); err != nil {
			return nil, fmt.Errorf("tok: %s: %w", name, err)
		}
	}
	return out, nil
}

// addedTokenHF is an AddedToken as transformers writes it in special_tokens_map.json.
type addedTokenHF struct {
	Content    string `json:"content"`
	LStrip     bool   `json:"lstrip"`
	Normalized bool   `json:"normalized"`
	RStrip     bool   `json:"rstrip"`
	SingleWord bool   `json:"single_word"`
}

// addedTokenDecoderHF is an entry of tokenizer_config.json's added_tokens_decoder.
type addedTokenDecoderHF struct {
	addedTokenHF
	Special bool `json:"special"`
}

// indentJSON writes v like transformers (indent 2, sorted keys, trailing newline), but with UTF-8
// where Python escapes non-ASCII.
func indentJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// EncodeSpecial encodes s as Hugging Face does with this tokenizer.json: every literal
// "<|endoftext|>" in s becomes EOT (an added special token, matched exactly before
// pre-tokenization), and the text between is encoded by Encode. Encode itself treats the string
// as plain text, so that a document cannot inject a document boundary into training data.
func (t *Tokenizer) EncodeSpecial(s string) []int32 {
	out := make([]int32, 0, len(s)/3+1)
	for {
		before, after, found := strings.Cut(s, EOTText)
		out = t.AppendEncode(out, before)
		if !found {
			return out
		}
		out = append(out, t.eot)
		s = after
	}
}
