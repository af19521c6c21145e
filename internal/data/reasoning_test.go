package data

import (
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
	for _, want := range []string{"Let ", ":= ", "The list was ", "Together they make "} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q document", want)
		}
	}
}
