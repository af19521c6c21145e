package tok

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The Hugging Face tokenizer.json written by MarshalJSON, in this key order
// (the order tokenizers itself writes):
//
//	version "1.0", truncation null, padding null,
//	added_tokens   [{id: EOT, content: "<|endoftext|>", special: true, ...}, then the other special
//	                tokens (WithSpecial) in id order, likewise]
//	normalizer     null
//	pre_tokenizer  {type: ByteLevel, add_prefix_space: false, trim_offsets: true, use_regex: true}
//	post_processor {type: ByteLevel, add_prefix_space: true, trim_offsets: false, use_regex: true}
//	decoder        {type: ByteLevel, add_prefix_space: true, trim_offsets: true, use_regex: true}
//	model          {type: BPE, dropout: null, unk_token: null,
//	                continuing_subword_prefix: null, end_of_word_suffix: null,
//	                fuse_unk: false, byte_fallback: false, ignore_merges: false,
//	                vocab: {token: id, ... in id order}, merges: ["a b", ...]}
//
// These are GPT-2's settings. Vocab keys and merge halves spell bytes with
// the bytes_to_unicode table; EOT and the other special tokens are also in
// the model vocab under their text, as EOT is in GPT-2, so the model's vocab
// size equals VocabSize().

const (
	preTokenizerJSON  = `{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}`
	postProcessorJSON = `{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}`
	decoderJSON       = `{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}`
)

// MarshalJSON writes the tokenizer as a Hugging Face tokenizer.json that
// tokenizers.Tokenizer.from_file and PreTrainedTokenizerFast load.
func (t *Tokenizer) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	str := func(s string) { // a JSON string without the encoder's newline
		enc.Encode(s)
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteString("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n")
	buf.WriteString("  \"added_tokens\": [")
	for i, id := range append([]int32{t.eot}, t.specials...) {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, "\n    {\"id\": %d, \"content\": ", id)
		str(string(t.tokens[id]))
		buf.WriteString(`, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}`)
	}
	buf.WriteString("\n  ],\n")
	buf.WriteString("  \"normalizer\": null,\n")
	buf.WriteString("  \"pre_tokenizer\": " + preTokenizerJSON + ",\n")
	buf.WriteString("  \"post_processor\": " + postProcessorJSON + ",\n")
	buf.WriteString("  \"decoder\": " + decoderJSON + ",\n")
	buf.WriteString("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n" +
		"    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n" +
		"    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n")
	fmt.Fprintf(&buf, "    \"ignore_merges\": %t,\n    \"vocab\": {", t.ignoreMerges)
	for id, b := range t.tokens {
		if id > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n      ")
		if t.isSpecial(int32(id)) {
			str(string(b))
		} else {
			str(byteLevelString(b))
		}
		fmt.Fprintf(&buf, ": %d", id)
	}
	buf.WriteString("\n    },\n    \"merges\": [")
	for i, m := range t.merges {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n      ")
		str(byteLevelString(t.tokens[m[0]]) + " " + byteLevelString(t.tokens[m[1]]))
	}
	buf.WriteString("\n    ]\n  }\n}\n")
	return buf.Bytes(), nil
}

// Save writes the tokenizer.json to path atomically: to a temporary file in
// the same directory, then renamed into place.
func (t *Tokenizer) Save(path string) error {
	data, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("tok: save: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes 0600; a tokenizer.json is meant to be shared
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("tok: save: %w", err)
	}
	return nil
}

// Load reads a tokenizer.json written by Save (or any file Parse accepts).
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tok: %w", err)
	}
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("tok: %s: %w", path, err)
	}
	return t, nil
}

// Parse reads a Hugging Face tokenizer.json. It accepts what MarshalJSON
// writes and other byte-level BPE files of the same shape, such as GPT-2's:
// model type BPE (merges as "a b" strings or as ["a", "b"] pairs, ids dense
// from 0, all 256 byte tokens present, ignore_merges honoured), no
// normalizer, a ByteLevel pre-tokenizer with add_prefix_space false and the
// GPT-2 regex, a ByteLevel or null decoder and post-processor, and added
// tokens that are all special: "<|endoftext|>" and any others (such as UL2's
// sentinels). Anything else is an error naming the unsupported part.
func Parse(data []byte) (*Tokenizer, error) {
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("tok: %w", err)
	}
	return t, nil
}

type fileJSON struct {
	Version       *string          `json:"version"`
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
	Model         *modelJSON       `json:"model"`
}

type addedTokenJSON struct {
	ID      *int64 `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

type modelJSON struct {
	Type                    string           `json:"type"`
	Dropout                 *float64         `json:"dropout"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	IgnoreMerges            *bool            `json:"ignore_merges"`
	Vocab                   map[string]int64 `json:"vocab"`
	Merges                  json.RawMessage  `json:"merges"`
}

type byteLevelJSON struct {
	Type           string `json:"type"`
	AddPrefixSpace *bool  `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
}

func parse(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json: %w", err)
	}
	if f.Model == nil {
		return nil, errors.New(`not a Hugging Face tokenizer.json: no "model"`)
	}
	if f.Version != nil && *f.Version != "1.0" {
		return nil, fmt.Errorf("tokenizer.json version %q not supported (want \"1.0\")", *f.Version)
	}
	m := f.Model
	if m.Type != "BPE" {
		return nil, fmt.Errorf("model type %q not supported (want \"BPE\")", m.Type)
	}
	if err := checkParts(&f); err != nil {
		return nil, err
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, fmt.Errorf("BPE dropout %g not supported", *m.Dropout)
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, fmt.Errorf("continuing_subword_prefix %q not supported", *m.ContinuingSubwordPrefix)
	}
	if m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return nil, fmt.Errorf("end_of_word_suffix %q not supported", *m.EndOfWordSuffix)
	}
	if m.Vocab == nil {
		return nil, errors.New(`model has no "vocab"`)
	}
	if m.Merges == nil {
		return nil, errors.New(`model has no "merges"`)
	}
	special, err := addedTokens(f.AddedTokens)
	if err != nil {
		return nil, err
	}
	tokens, err := vocabTokens(m.Vocab, special)
	if err != nil {
		return nil, err
	}
	merges, err := parseMerges(m.Merges, m.Vocab, special)
	if err != nil {
		return nil, err
	}
	var ids []int32
	for s, id := range special {
		if s != EOTText {
			ids = append(ids, int32(id))
		}
	}
	slices.Sort(ids)
	return newTokenizer(tokens, int32(special[EOTText]), ids, merges, m.IgnoreMerges != nil && *m.IgnoreMerges)
}

// checkParts rejects normalizers, pre-tokenizers, post-processors and
// decoders that would make Hugging Face tokenize differently from Encode.
func checkParts(f *fileJSON) error {
	if typ, err := partType(f.Normalizer); err != nil || typ != "" {
		return unsupported("normalizer", typ, err)
	}
	var pre byteLevelJSON
	if isNull(f.PreTokenizer) {
		return errors.New(`pre_tokenizer is missing; want ByteLevel`)
	}
	if err := json.Unmarshal(f.PreTokenizer, &pre); err != nil || pre.Type != "ByteLevel" {
		return unsupported("pre_tokenizer", pre.Type, err)
	}
	if pre.AddPrefixSpace == nil || *pre.AddPrefixSpace {
		return errors.New("pre_tokenizer ByteLevel: add_prefix_space must be false")
	}
	if pre.UseRegex != nil && !*pre.UseRegex {
		return errors.New("pre_tokenizer ByteLevel: use_regex must be true")
	}
	for _, p := range []struct {
		name string
		raw  json.RawMessage
	}{{"post_processor", f.PostProcessor}, {"decoder", f.Decoder}} {
		if typ, err := partType(p.raw); err != nil || (typ != "" && typ != "ByteLevel") {
			return unsupported(p.name, typ, err)
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// partType returns the "type" of a pipeline part, "" for null or absent.
func partType(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var p struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	if p.Type == "" {
		return "", errors.New(`no "type"`)
	}
	return p.Type, nil
}

func unsupported(part, typ string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", part, err)
	}
	return fmt.Errorf("%s %q not supported", part, typ)
}

// addedTokens checks that the added tokens are "<|endoftext|>" and other special tokens, each with an
// id and a distinct text, and returns text → id.
func addedTokens(added []addedTokenJSON) (map[string]int64, error) {
	special := map[string]int64{}
	var names []string
	for _, a := range added {
		names = append(names, fmt.Sprintf("%q", a.Content))
	}
	for _, a := range added {
		_, dup := special[a.Content]
		switch {
		case a.ID == nil:
			return nil, fmt.Errorf("added token %q has no id", a.Content)
		case a.Content != EOTText && (!a.Special || a.Content == ""):
			return nil, fmt.Errorf("added token %q is not special (only special added tokens are supported); have [%s]",
				a.Content, strings.Join(names, ", "))
		case dup:
			return nil, fmt.Errorf("added token %q appears twice", a.Content)
		}
		special[a.Content] = *a.ID
	}
	if _, ok := special[EOTText]; !ok {
		return nil, fmt.Errorf("added_tokens must include %q with an id; have [%s]", EOTText, strings.Join(names, ", "))
	}
	return special, nil
}

// vocabTokens turns the vocab into id → bytes. Ids must be dense from 0; a
// special token may be in the vocab (under its text, with the added token's
// id) or be one of the ids missing from it.
func vocabTokens(vocab map[string]int64, special map[string]int64) ([][]byte, error) {
	n := int64(len(vocab))
	for s, sid := range special {
		if id, ok := vocab[s]; !ok {
			n++
		} else if id != sid {
			return nil, fmt.Errorf("%q has id %d in the vocab but %d in added_tokens", s, id, sid)
		}
	}
	tokens := make([][]byte, n)
	for s, id := range special {
		if id < 0 || id >= n {
			return nil, fmt.Errorf("%s id %d out of range [0, %d)", s, id, n)
		}
		if tokens[id] != nil {
			return nil, fmt.Errorf("added tokens %q and %q have the same id %d", tokens[id], s, id)
		}
		tokens[id] = []byte(s)
	}
	for s, id := range vocab {
		if _, ok := special[s]; ok {
			continue
		}
		if id < 0 || id >= n {
			return nil, fmt.Errorf("vocab id %d of %q out of range [0, %d) (ids must be dense)", id, s, n)
		}
		if tokens[id] != nil {
			return nil, fmt.Errorf("vocab id %d used twice", id)
		}
		b, ok := byteLevelBytes(s)
		if !ok || len(b) == 0 {
			return nil, fmt.Errorf("vocab token %q (id %d) is not byte-level", s, id)
		}
		tokens[id] = b
	}
	return tokens, nil
}

// parseMerges reads merges as ["a b", ...] or [["a", "b"], ...].
func parseMerges(raw json.RawMessage, vocab map[string]int64, special map[string]int64) ([][2]int32, error) {
	var pairs [][]string
	var lines []string
	if err := json.Unmarshal(raw, &lines); err == nil {
		pairs = make([][]string, len(lines))
		for i, l := range lines {
			pairs[i] = strings.Split(l, " ")
		}
	} else if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, errors.New(`merges must be a list of "a b" strings or of ["a", "b"] pairs`)
	}
	merges := make([][2]int32, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("merge %d %q is not a pair", i, p)
		}
		for j, s := range p {
			id, ok := vocab[s]
			if _, sp := special[s]; !ok || sp {
				return nil, fmt.Errorf("merge %d %q: %q is not a mergeable token", i, p, s)
			}
			merges[i][j] = int32(id)
		}
	}
	return merges, nil
}
