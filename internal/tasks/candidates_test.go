package tasks

import (
	"slices"
	"testing"
)

// TestCandidates: every suite example's candidates hold its answer once, and are what the task
// defines: the chains' values (Chains of them), the sequence's distinct items, every psm result.
func TestCandidates(t *testing.T) {
	for _, spec := range Suite() {
		exs, err := Generate(spec, 200, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range exs {
			c, err := Candidates(spec, ex)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, a := range c {
				if seen[a] {
					t.Fatalf("%s: candidate %q twice in %v", spec.Name(), a, c)
				}
				seen[a] = true
			}
			want := map[string]int{VarAssign: DefaultChains, PSM: 2*DefaultMaxValue + 1}[spec.Task]
			if spec.Task == Copy {
				want = len(c) // distinct items: checked below
				if len(c) < 2 || len(c) > DefaultLength {
					t.Fatalf("copy: %d candidates for %q", len(c), ex.Prompt)
				}
			}
			if len(c) != want || !slices.Contains(c, ex.Answer) {
				t.Fatalf("%s: candidates %v of %q (answer %q)", spec.Name(), c, ex.Prompt, ex.Answer)
			}
		}
	}
	ex := Example{Task: Copy, Prompt: "a b c a | b c ->", Answer: "a"}
	if c, err := Candidates(Spec{Task: Copy}, ex); err != nil || !slices.Equal(c, []string{"a", "b", "c"}) {
		t.Fatalf("copy candidates %v, %v", c, err)
	}
	if _, err := Candidates(Spec{Task: VarAssign}, Example{Prompt: "a=1, a=?", Answer: "2"}); err == nil {
		t.Fatal("candidates without the answer accepted")
	}
	if _, err := Candidates(Spec{Task: PSM, Ops: "*", MaxValue: 100}, Example{Prompt: "a=1, b=1, a*b=?", Answer: "1"}); err == nil {
		t.Fatal("10001 psm candidates accepted")
	}
}
