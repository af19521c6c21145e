package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"midas/internal/tasks"
)

// TestReasoningTextHasNoPrompt: no prompt of any primitive (200 per suite task at two seeds, and a
// fine-tuning mixture) occurs in reasoning text, and the text is deterministic in its seed.
func TestReasoningTextHasNoPrompt(t *testing.T) {
	text := strings.Join(ReasoningText(1, 1<<20), "")
	if text != strings.Join(ReasoningText(1, 1<<20), "") || text == strings.Join(ReasoningText(2, 1<<20), "") {
		t.Fatal("reasoning text is not a deterministic function of its seed")
	}
	var prompts []string
	for _, seed := range []uint64{1, 2} {
		for _, spec := range tasks.Suite() {
			exs, err := tasks.Generate(spec, 200, seed)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range exs {
				prompts = append(prompts, e.Prompt)
			}
		}
	}
	for _, e := range tasks.Mixture(256, 3) {
		prompts = append(prompts, e.Prompt)
	}
	for _, p := range prompts {
		if strings.Contains(text, p) {
			t.Fatalf("a primitive prompt occurs in the reasoning text: %q", p)
		}
	}
	for _, want := range []string{"Let ", ":= ", "The list was ", "Together ", " take away "} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q document", want)
		}
	}
}

// TestReasoningSource: a mixture entry NAME=reasoning:W generates its share of the training text and
// holds no validation text (validation measures the other sources).
func TestReasoningSource(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("A line of prose for the mixture, long enough to split.\n", 4000)
	if err := os.WriteFile(filepath.Join(dir, "prose.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sources, err := ParseMixture([]string{"prose=" + filepath.Join(dir, "prose.txt") + ":0.75", "logic=reasoning:0.25"})
	if err != nil {
		t.Fatal(err)
	}
	if sources[1].Kind != KindReasoning {
		t.Fatalf("kind %v", sources[1].Kind)
	}
	m, err := BuildMixture(sources, MixOptions{ValFrac: 0.05, Seed: 1, WithTrain: true})
	if err != nil {
		t.Fatal(err)
	}
	p := m.Parts[1]
	share := float64(docBytes(p.Train)) / float64(docBytes(p.Train)+docBytes(m.Parts[0].Train))
	if len(p.Val) != 0 || share < 0.24 || share > 0.26 {
		t.Fatalf("reasoning part: %d validation docs, share %.3f of the training text", len(p.Val), share)
	}
}
