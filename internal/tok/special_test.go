package tok

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

// ul2Texts are special tokens of the kind UL2 adds: mode tokens and T5 sentinels.
var ul2Texts = []string{"[NLU]", "[NLG]", "[S2S]", "<extra_id_0>", "<extra_id_1>", "<extra_id_2>"}

var (
	specialOnce sync.Once
	specialTok  *Tokenizer
)

// specialTokenizer is miniTokenizer with ul2Texts added.
func specialTokenizer(tb testing.TB) *Tokenizer {
	specialOnce.Do(func() {
		var err error
		if specialTok, err = miniTokenizer(tb).WithSpecial(ul2Texts...); err != nil {
			panic(err)
		}
	})
	return specialTok
}

// TestWithSpecial: the special tokens get the ids after the last one, decode to their text, are found
// by Special, and change no encoding — their text in plain text encodes as it did without them.
func TestWithSpecial(t *testing.T) {
	base, sp := miniTokenizer(t), specialTokenizer(t)
	v := base.VocabSize()
	if sp.VocabSize() != v+len(ul2Texts) || sp.EOT() != base.EOT() {
		t.Fatalf("VocabSize %d EOT %d, want %d and %d", sp.VocabSize(), sp.EOT(), v+len(ul2Texts), base.EOT())
	}
	if !slices.Equal(sp.Specials(), ul2Texts) {
		t.Errorf("Specials() = %v", sp.Specials())
	}
	for i, s := range ul2Texts {
		id, ok := sp.Special(s)
		if !ok || id != int32(v+i) || sp.Decode([]int32{id}) != s || sp.TokenString(id) != s {
			t.Errorf("Special(%q) = %d, %v; want id %d decoding to its text", s, id, ok, v+i)
		}
	}
	if id, ok := sp.Special(EOTText); !ok || id != sp.EOT() {
		t.Errorf("Special(EOT) = %d, %v", id, ok)
	}
	text := "mode [NLU] then <extra_id_0>x<extra_id_1> and [S2S][NLG] " + strings.Join(ul2Texts, "") + " " + EOTText
	for _, s := range append(splitSamples(), text) {
		ids := sp.Encode(s)
		for _, id := range ids {
			if id >= int32(v) || id == sp.EOT() {
				t.Fatalf("Encode(%q) produced special id %d", s, id)
			}
		}
		if !slices.Equal(ids, base.Encode(s)) || sp.Decode(ids) != s {
			t.Fatalf("Encode(%q) changed with the special tokens", s)
		}
	}
}

// TestSpecialJSON: the special tokens are Hugging Face added tokens (special, so never split) and
// vocab entries under their text, and survive Parse.
func TestSpecialJSON(t *testing.T) {
	sp := specialTokenizer(t)
	data, err := sp.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Model struct {
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	want := append([]string{EOTText}, ul2Texts...)
	if len(f.Added) != len(want) {
		t.Fatalf("%d added tokens, want %d", len(f.Added), len(want))
	}
	for i, a := range f.Added {
		id, _ := sp.Special(want[i])
		if a.Content != want[i] || a.ID != int(id) || !a.Special || f.Model.Vocab[a.Content] != int(id) {
			t.Errorf("added token %d = %+v (vocab id %d), want %q id %d special", i, a, f.Model.Vocab[a.Content], want[i], id)
		}
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sameTokenizer(t, sp, back)
}

func TestWithSpecialErrors(t *testing.T) {
	sp := specialTokenizer(t)
	for _, texts := range [][]string{{""}, {EOTText}, {"[NLU]"}, {"<a>", "<a>"}} {
		if _, err := sp.WithSpecial(texts...); err == nil || !strings.HasPrefix(err.Error(), "tok: special token ") {
			t.Errorf("WithSpecial(%q): %v, want an error", texts, err)
		}
	}
}
