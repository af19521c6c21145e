package tasks

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	cases := []struct {
		cont, ans string
		want      bool
	}{
		{"2", "2", true},
		{" 2", "2", true},
		{"2 ", "2", true},
		{"\t 2 \t", "2", true},
		{" 2\r\nb=?", "2", true},               // CRLF line end
		{" 2\n\nx=1, y=2, x+y=? 3", "2", true}, // the model goes on with another shot
		{"2\n3", "3", false},                   // only the first line counts
		{"\n2", "2", false},                    // an empty first line is the answer
		{" 12", "1", false},                    // partial matches do not count
		{" 1", "12", false},
		{" 02", "2", false}, // leading zeros are different text
		{" 2.0", "2", false},
		{" 2 3", "2", false}, // trailing text on the same line
		{" 2, c=?", "2", false},
		{"r", "r", true},
		{" R", "r", false}, // case matters
		{"", "2", false},
		{"", "", false}, // an empty answer never matches
		{"  \n", "", false},
	}
	for _, c := range cases {
		if got := Score(c.cont, c.ans); got != c.want {
			t.Errorf("Score(%q, %q) = %v, want %v", c.cont, c.ans, got, c.want)
		}
	}
}

func TestCompletion(t *testing.T) {
	math := Example{Task: VarAssign, Form: Math, Prompt: "a=1, b=2, b=?", Answer: "2"}
	code := Example{Task: VarAssign, Form: Code, Prompt: "a = 1\nb = 2\nprint(b)\n", Answer: "2"}
	if got := math.Solved(); got != "a=1, b=2, b=? 2" {
		t.Errorf("math Solved = %q", got)
	}
	if got := code.Solved(); got != "a = 1\nb = 2\nprint(b)\n2" {
		t.Errorf("code Solved = %q", got)
	}
	// A perfect model's continuation, with whatever follows the line, scores.
	for _, ex := range []Example{math, code} {
		if !Score(ex.Completion()+"\n\nnext", ex.Answer) {
			t.Errorf("Completion %q does not score against %q", ex.Completion(), ex.Answer)
		}
	}
}

func TestFewShot(t *testing.T) {
	q := Example{Task: Copy, Prompt: "a b c | b ->", Answer: "c"}
	shots := []Example{
		{Task: Copy, Prompt: "d e f | d ->", Answer: "e"},
		{Task: Copy, Prompt: "a b c | b ->", Answer: "c"}, // equals the query: left out
		{Task: Copy, Prompt: "g h i | h ->", Answer: "i"},
	}
	want := "d e f | d -> e\n\ng h i | h -> i\n\na b c | b ->"
	if got := FewShot(q, shots); got != want {
		t.Errorf("FewShot = %q, want %q", got, want)
	}
	if got := FewShot(q, nil); got != q.Prompt {
		t.Errorf("zero-shot FewShot = %q, want the bare prompt", got)
	}
	code := Example{Task: VarAssign, Form: Code, Prompt: "a = 1\nprint(a)\n", Answer: "1"}
	want = "a = 1\nprint(a)\n1\n\na = 1\nb = 2\nprint(b)\n"
	if got := FewShot(Example{Prompt: "a = 1\nb = 2\nprint(b)\n"}, []Example{code}); got != want {
		t.Errorf("code FewShot = %q, want %q", got, want)
	}
}

// TestFewShotSuite checks k=5 prompts for every suite spec: 5 blank-line separated shots whose
// answers are right, then the query, and no shot equal to the query.
func TestFewShotSuite(t *testing.T) {
	for _, s := range Suite() {
		qs, err := Generate(s, 20, 3)
		if err != nil {
			t.Fatal(err)
		}
		shots, err := Shots(s, 5, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			p := FewShot(q, shots)
			parts := strings.Split(p, "\n\n")
			if len(parts) != 6 || parts[5] != q.Prompt {
				t.Fatalf("%s: %d parts, last %q, want 6 ending in the query", s.Name(), len(parts), parts[len(parts)-1])
			}
			for i, part := range parts[:5] {
				if part == q.Solved() || part != shots[i].Solved() {
					t.Fatalf("%s: shot %d is %q", s.Name(), i, part)
				}
				if !strings.HasPrefix(part, shots[i].Prompt) || !Score(strings.TrimPrefix(part, shots[i].Prompt), shots[i].Answer) {
					t.Fatalf("%s: shot %d does not carry its answer: %q", s.Name(), i, part)
				}
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	for _, s := range Suite() {
		a, err1 := Generate(s, 50, 42)
		b, err2 := Generate(s, 50, 42)
		short, err3 := Generate(s, 10, 42)
		other, err4 := Generate(s, 50, 43)
		shots, err5 := Shots(s, 50, 42)
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs with seed 42 differ", s.Name())
		}
		if !reflect.DeepEqual(a[:10], short) {
			t.Errorf("%s: the first 10 of 50 examples differ from a run of 10", s.Name())
		}
		// Different streams: with default knobs a repeated prompt has probability < 1e-4 per
		// pair, so more than 5 of 50 equal positions means the streams are the same.
		if same(a, other) > 5 || same(a, shots) > 5 {
			t.Errorf("%s: seed 43 or Shots repeat seed 42's stream (%d, %d equal)", s.Name(), same(a, other), same(a, shots))
		}
	}
	if m1, m2 := Mixture(40, 5), Mixture(40, 5); !reflect.DeepEqual(m1, m2) {
		t.Error("Mixture(40, 5) differs between runs")
	}
	if same(Mixture(40, 5), Mixture(40, 6)) > 5 {
		t.Error("Mixture seeds 5 and 6 give the same examples")
	}
}

func same(a, b []Example) int {
	n := 0
	for i := range min(len(a), len(b)) {
		if a[i].Prompt == b[i].Prompt {
			n++
		}
	}
	return n
}

// TestMixture checks the stratification: over n examples each of the 8 suite specs appears
// n/8 or n/8+1 times, and every example solves.
func TestMixture(t *testing.T) {
	for _, n := range []int{0, 1, 7, 64, 100} {
		ex := Mixture(n, 9)
		if len(ex) != n {
			t.Fatalf("Mixture(%d) returned %d examples", n, len(ex))
		}
		count := map[string]int{}
		for _, e := range ex {
			count[Spec{Task: e.Task, Depth: e.Depth, Form: e.Form}.Name()]++
			if got, err := Solve(e); err != nil || got != e.Answer {
				t.Fatalf("Mixture example does not solve: %q -> %q, %v", e.Prompt, got, err)
			}
		}
		k := len(Suite())
		total := 0
		for _, s := range Suite() {
			c := count[s.Name()]
			if c < n/k || c > n/k+1 {
				t.Errorf("Mixture(%d): %s appears %d times, want %d or %d", n, s.Name(), c, n/k, n/k+1)
			}
			total += c
		}
		if total != n {
			t.Errorf("Mixture(%d): %d examples outside the suite", n, n-total)
		}
	}
	if got := Mixture(-3, 1); len(got) != 0 {
		t.Errorf("Mixture(-3) returned %d examples", len(got))
	}
}

func TestSpecNames(t *testing.T) {
	want := []string{"copy", "varassign-d0-math", "varassign-d0-code", "varassign-d1-math",
		"varassign-d1-code", "varassign-d2-math", "varassign-d2-code", "psm"}
	var got []string
	for _, s := range Suite() {
		got = append(got, s.Name())
		p, err := ParseSpec(s.Name())
		if err != nil || p != s {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", s.Name(), p, err, s)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Suite names %v, want %v", got, want)
	}
	if _, err := ParseSpec("varassign-d3-math"); err == nil || !strings.HasPrefix(err.Error(), "tasks: ") {
		t.Errorf("ParseSpec of an unknown name: %v", err)
	}
	if n := (Spec{Task: VarAssign, Depth: 1}).Name(); n != "varassign-d1-math" {
		t.Errorf("empty form names %q, want the math default", n)
	}
}

func TestGenerateErrors(t *testing.T) {
	cases := []struct {
		name string
		s    Spec
		n    int
		msg  string // a substring of the error
	}{
		{"unknown task", Spec{Task: "sort"}, 1, `unknown task "sort"`},
		{"empty task", Spec{}, 1, "unknown task"},
		{"unknown form", Spec{Task: VarAssign, Form: "prose"}, 1, `unknown form "prose"`},
		{"depth 3", Spec{Task: VarAssign, Depth: 3, Form: Code}, 1, "depth 3 out of range"},
		{"negative depth", Spec{Task: VarAssign, Depth: -1}, 1, "depth -1 out of range"},
		{"copy depth", Spec{Task: Copy, Depth: 1}, 1, "depth 1 out of range"},
		{"copy form", Spec{Task: Copy, Form: Math}, 1, "unknown form"},
		{"psm depth", Spec{Task: PSM, Depth: 2}, 1, "depth 2 out of range"},
		{"negative n", Spec{Task: Copy}, -1, "negative count"},
		{"piece = length", Spec{Task: Copy, Length: 4, Piece: 4}, 1, "piece 4 out of range"},
		{"length 1", Spec{Task: Copy, Length: 1}, 1, "length 1 out of range"},
		{"huge length", Spec{Task: Copy, Length: 1 << 30}, 1, "out of range"},
		{"alphabet 1", Spec{Task: Copy, Alphabet: 1}, 1, "alphabet 1 out of range"},
		{"alphabet 677", Spec{Task: Copy, Alphabet: 677}, 1, "alphabet 677 out of range"},
		// Two letters, 40 items, piece 1: a letter occurring once has probability ~40/2^39.
		{"no unique piece", Spec{Task: Copy, Length: 40, Piece: 1, Alphabet: 2}, 1, "no piece occurs exactly once"},
		{"one chain", Spec{Task: VarAssign, Chains: 1}, 1, "chains 1 < 2"},
		{"too many names", Spec{Task: VarAssign, Depth: 2, Chains: 9, MaxValue: 20}, 1, "only 26 letters"},
		{"too few values", Spec{Task: VarAssign, Chains: 11}, 1, "11 chains need distinct values"},
		{"negative max", Spec{Task: PSM, MaxValue: -1}, 1, "max value -1"},
		{"psm one var", Spec{Task: PSM, Vars: 1}, 1, "vars 1 out of range"},
		{"psm bad op", Spec{Task: PSM, Ops: "+/"}, 1, "not a set of distinct operators"},
		{"psm repeated op", Spec{Task: PSM, Ops: "++"}, 1, "not a set of distinct operators"},
	}
	for _, c := range cases {
		_, err := Generate(c.s, c.n, 1)
		if err == nil || !strings.HasPrefix(err.Error(), "tasks: ") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %v, want tasks: …%s…", c.name, err, c.msg)
		}
		if _, err := Shots(c.s, c.n, 1); err == nil {
			t.Errorf("%s: Shots accepted the spec", c.name)
		}
	}
	if exs, err := Generate(Spec{Task: PSM}, 0, 1); err != nil || len(exs) != 0 {
		t.Errorf("Generate n=0: %v, %v", exs, err)
	}
}

func TestSolveErrors(t *testing.T) {
	cases := []struct {
		name string
		ex   Example
	}{
		{"unknown task", Example{Task: "sort", Prompt: "a b | a ->"}},
		{"unknown form", Example{Task: VarAssign, Form: "prose", Prompt: "a=1, a=?"}},
		{"copy no arrow", Example{Task: Copy, Prompt: "a b c | a"}},
		{"copy no bar", Example{Task: Copy, Prompt: "a b c a ->"}},
		{"copy double space", Example{Task: Copy, Prompt: "a  b c | a ->"}},
		{"copy upper case", Example{Task: Copy, Prompt: "a B c | a ->"}},
		{"copy piece twice", Example{Task: Copy, Prompt: "a b a c | a ->"}},
		{"copy overlapping twice", Example{Task: Copy, Prompt: "a a a b | a a ->"}},
		{"copy piece absent", Example{Task: Copy, Prompt: "a b c | d ->"}},
		{"copy piece at end", Example{Task: Copy, Prompt: "a b c | c ->"}},
		{"copy piece longer", Example{Task: Copy, Prompt: "a b | a b c ->"}},
		{"var no query", Example{Task: VarAssign, Form: Math, Prompt: "a=1, b=2"}},
		{"var undefined", Example{Task: VarAssign, Form: Math, Prompt: "a=1, b=c, b=?"}},
		{"var read before set", Example{Task: VarAssign, Form: Math, Prompt: "b=a, a=1, b=?"}},
		{"var query unset", Example{Task: VarAssign, Form: Math, Prompt: "a=1, b=?"}},
		{"var twice", Example{Task: VarAssign, Form: Math, Prompt: "a=1, a=2, a=?"}},
		{"var leading zero", Example{Task: VarAssign, Form: Math, Prompt: "a=01, a=?"}},
		{"var negative", Example{Task: VarAssign, Form: Math, Prompt: "a=-1, a=?"}},
		{"var long name", Example{Task: VarAssign, Form: Math, Prompt: "ab=1, ab=?"}},
		{"var ten digits", Example{Task: VarAssign, Form: Math, Prompt: "a=1234567890, a=?"}},
		{"code no newline", Example{Task: VarAssign, Form: Code, Prompt: "a = 1\nprint(a)"}},
		{"code no print", Example{Task: VarAssign, Form: Code, Prompt: "a = 1\na\n"}},
		{"code math line", Example{Task: VarAssign, Form: Code, Prompt: "a=1\nprint(a)\n"}},
		{"code print unset", Example{Task: VarAssign, Form: Code, Prompt: "a = 1\nprint(b)\n"}},
		{"psm negative", Example{Task: PSM, Prompt: "x=2, y=7, x-y=?"}},
		{"psm division", Example{Task: PSM, Prompt: "x=8, y=2, x/y=?"}},
		{"psm unset", Example{Task: PSM, Prompt: "x=8, x+y=?"}},
		{"psm reference", Example{Task: PSM, Prompt: "x=8, y=x, x+y=?"}},
		{"psm long expr", Example{Task: PSM, Prompt: "x=8, y=2, x+y+x=?"}},
		{"empty", Example{Task: PSM}},
	}
	for _, c := range cases {
		if got, err := Solve(c.ex); err == nil || !strings.HasPrefix(err.Error(), "tasks: ") {
			t.Errorf("%s: Solve(%q) = %q, %v; want a tasks: error", c.name, c.ex.Prompt, got, err)
		}
	}
	ok := []struct {
		ex   Example
		want string
	}{
		{Example{Task: Copy, Prompt: "k q t m b r z | t m b ->"}, "r"},
		{Example{Task: Copy, Prompt: "aa ab ac | ab ->"}, "ac"},
		{Example{Task: VarAssign, Form: Math, Prompt: "a=1, b=2, c=6, b=?"}, "2"},
		{Example{Task: VarAssign, Prompt: "a=1, b=2, c=a, d=b, d=?"}, "2"}, // empty form is math
		{Example{Task: VarAssign, Form: Code, Prompt: "a = 1\nb = 2\nc = a\nprint(c)\n"}, "1"},
		{Example{Task: PSM, Prompt: "x=7, y=2, x-y=?"}, "5"},
		{Example{Task: PSM, Prompt: "x=7, y=7, x-y=?"}, "0"},
		{Example{Task: PSM, Prompt: "x=9, y=9, x*y=?"}, "81"},
		{Example{Task: PSM, Prompt: "x=999999999, y=999999999, x*y=?"}, "999999998000000001"},
	}
	for _, c := range ok {
		if got, err := Solve(c.ex); err != nil || got != c.want {
			t.Errorf("Solve(%q) = %q, %v; want %q", c.ex.Prompt, got, err, c.want)
		}
	}
}

// TestDocExamples keeps doc.go honest: every "prompt:"/"answer:" pair in it solves to its
// answer and is one of the first 6 examples of its spec for seed 1.
func TestDocExamples(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var prompt []string
	found := 0
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "//")), "\t")
		switch {
		case strings.HasPrefix(line, "prompt: "):
			prompt = []string{strings.TrimPrefix(line, "prompt: ")}
		case strings.HasPrefix(line, "answer: "):
			found++
			if !docExampleGenerated(t, prompt, strings.TrimPrefix(line, "answer: ")) {
				t.Errorf("doc example %q is not generated with its answer", prompt)
			}
			prompt = nil
		case prompt != nil:
			prompt = append(prompt, line)
		}
	}
	if found != 4 {
		t.Errorf("found %d doc examples, want 4 (one per primitive and form)", found)
	}
}

func docExampleGenerated(t *testing.T, lines []string, answer string) bool {
	for _, s := range Suite() {
		exs, err := Generate(s, 6, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range exs {
			text := strings.Join(lines, " ")
			if s.Form == Code {
				text = strings.Join(lines, "\n") + "\n"
			}
			if ex.Prompt == text && ex.Answer == answer {
				return true
			}
		}
	}
	return false
}
