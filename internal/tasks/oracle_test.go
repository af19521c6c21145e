package tasks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// This file is the independent solver: regular expressions and a backwards walk over a
// definition map, where Solve splits strings and runs statements forwards. It also checks the
// structure each brief promises (unique piece, distractor chains of the same depth, distinct
// values, the psm rule), which Solve does not.

var (
	reCopy    = regexp.MustCompile(`^([a-z]+(?: [a-z]+)*) \| ([a-z]+(?: [a-z]+)*) ->$`)
	reVarMath = regexp.MustCompile(`^((?:[a-z]=(?:[a-z]|\d+), )+)([a-z])=\?$`)
	reVarCode = regexp.MustCompile(`^((?:[a-z] = (?:[a-z]|\d+)\n)+)print\(([a-z])\)\n$`)
	reStmt    = regexp.MustCompile(`([a-z]) ?= ?([a-z]|\d+)`)
	rePSM     = regexp.MustCompile(`^((?:[a-z]=\d+, )+)([a-z])([-+*])([a-z])=\?$`)
)

// oracleCopy pads the sequence with spaces so that a piece matches whole items only; the piece
// is unique exactly when its first and last match coincide.
func oracleCopy(s Spec, prompt string) (string, error) {
	m := reCopy.FindStringSubmatch(prompt)
	if m == nil {
		return "", fmt.Errorf("no match")
	}
	seq, piece := " "+m[1]+" ", " "+m[2]+" "
	if n := strings.Count(m[1], " ") + 1; n != s.Length {
		return "", fmt.Errorf("sequence has %d items, want %d", n, s.Length)
	}
	if n := strings.Count(m[2], " ") + 1; n != s.Piece {
		return "", fmt.Errorf("piece has %d items, want %d", n, s.Piece)
	}
	for _, it := range strings.Fields(m[1]) {
		width := 1
		if s.Alphabet > 26 {
			width = 2
		}
		if len(it) != width || (width == 1 && it[0]-'a' >= byte(s.Alphabet)) ||
			(width == 2 && int(it[0]-'a')*26+int(it[1]-'a') >= s.Alphabet) {
			return "", fmt.Errorf("item %q outside an alphabet of %d", it, s.Alphabet)
		}
	}
	first, last := strings.Index(seq, piece), strings.LastIndex(seq, piece)
	if first < 0 || first != last {
		return "", fmt.Errorf("piece %q found at %d and %d", m[2], first, last)
	}
	rest := strings.Fields(seq[first+len(piece)-1:])
	if len(rest) == 0 {
		return "", fmt.Errorf("piece ends the sequence")
	}
	return rest[0], nil
}

// oracleVar resolves the query by walking definitions backwards, then checks the chain shape:
// Chains literals with distinct values, every chain a path of exactly Depth references, each
// variable defined once and used at most once.
func oracleVar(s Spec, prompt string) (string, error) {
	re := reVarMath
	if s.Form == Code {
		re = reVarCode
	}
	m := re.FindStringSubmatch(prompt)
	if m == nil {
		return "", fmt.Errorf("no match")
	}
	def, uses := map[string]string{}, map[string]int{}
	values := map[string]bool{}
	for _, st := range reStmt.FindAllStringSubmatch(m[1], -1) {
		if _, dup := def[st[1]]; dup {
			return "", fmt.Errorf("%s defined twice", st[1])
		}
		def[st[1]] = st[2]
		if _, err := strconv.Atoi(st[2]); err == nil {
			if values[st[2]] {
				return "", fmt.Errorf("value %s used by two chains", st[2])
			}
			values[st[2]] = true
		} else {
			uses[st[2]]++
		}
	}
	if len(values) != s.Chains || len(def) != s.Chains*(s.Depth+1) {
		return "", fmt.Errorf("%d literals and %d variables, want %d chains of depth %d", len(values), len(def), s.Chains, s.Depth)
	}
	for name := range def {
		if uses[name] > 1 {
			return "", fmt.Errorf("%s read %d times", name, uses[name])
		}
		if uses[name] == 0 && hops(def, name) != s.Depth { // name ends a chain
			return "", fmt.Errorf("chain ending in %s has depth %d, want %d", name, hops(def, name), s.Depth)
		}
	}
	if uses[m[2]] != 0 {
		return "", fmt.Errorf("query %s is not the end of a chain", m[2])
	}
	v := m[2]
	for i := 0; i <= s.Depth; i++ {
		v = def[v]
	}
	return v, nil
}

// hops counts references from name back to its literal (-1 on a cycle or a dangling name).
func hops(def map[string]string, name string) int {
	for n := 0; n <= len(def); n++ {
		rhs, ok := def[name]
		if !ok {
			return -1
		}
		if _, err := strconv.Atoi(rhs); err == nil {
			return n
		}
		name = rhs
	}
	return -1
}

func oraclePSM(s Spec, prompt string) (string, error) {
	m := rePSM.FindStringSubmatch(prompt)
	if m == nil {
		return "", fmt.Errorf("no match")
	}
	vals := map[string]int{}
	for _, d := range strings.Split(strings.TrimSuffix(m[1], ", "), ", ") {
		v, err := strconv.Atoi(d[2:])
		if err != nil || v < 0 || v > s.MaxValue {
			return "", fmt.Errorf("value %q outside 0..%d", d, s.MaxValue)
		}
		vals[d[:1]] = v
	}
	if len(vals) != s.Vars || m[2] == m[4] || !strings.Contains(s.Ops, m[3]) {
		return "", fmt.Errorf("%d distinct vars (want %d), operands %s %s, op %s", len(vals), s.Vars, m[2], m[4], m[3])
	}
	x, xok := vals[m[2]]
	y, yok := vals[m[4]]
	if !xok || !yok {
		return "", fmt.Errorf("undefined operand")
	}
	var r int
	switch m[3] {
	case "+":
		r = x + y
	case "-":
		r = x - y
	case "*":
		r = x * y
	}
	if r < 0 {
		return "", fmt.Errorf("negative result %d", r)
	}
	return strconv.Itoa(r), nil
}

func oracle(s Spec, ex Example) (string, error) {
	switch s.Task {
	case Copy:
		return oracleCopy(s, ex.Prompt)
	case VarAssign:
		return oracleVar(s, ex.Prompt)
	}
	return oraclePSM(s, ex.Prompt)
}

// oracleSpecs are the suite with resolved knobs plus non-default knobs of every task.
func oracleSpecs(t *testing.T) []Spec {
	specs := append(Suite(),
		Spec{Task: Copy, Length: 30, Piece: 1, Alphabet: 100},
		Spec{Task: Copy, Length: 6, Piece: 4, Alphabet: 3},
		Spec{Task: VarAssign, Depth: 2, Form: Code, Chains: 8, MaxValue: 30},
		Spec{Task: VarAssign, Depth: 1, Form: Math, Chains: 2, MaxValue: 1},
		Spec{Task: PSM, Vars: 5, Ops: "+-*", MaxValue: 20},
		Spec{Task: PSM, Ops: "-"},
	)
	for i := range specs {
		r, err := specs[i].resolve()
		if err != nil {
			t.Fatal(err)
		}
		specs[i] = r
	}
	return specs
}

// TestOracle checks thousands of prompts per spec against the independent solver, and that the
// answers spread over their range (a generator stuck on one answer would pass the solver).
func TestOracle(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for k, s := range oracleSpecs(t) {
		t.Run(fmt.Sprintf("%d-%s", k, s.Name()), func(t *testing.T) {
			exs, err := Generate(s, n, 7)
			if err != nil {
				t.Fatal(err)
			}
			answers := map[string]int{}
			for i, ex := range exs {
				want, err := oracle(s, ex)
				if err != nil {
					t.Fatalf("example %d: oracle: %v\n%s", i, err, ex.Prompt)
				}
				got, err := Solve(ex)
				if err != nil || got != want || ex.Answer != want {
					t.Fatalf("example %d: answer %q, Solve %q (%v), oracle %q\n%s", i, ex.Answer, got, err, want, ex.Prompt)
				}
				if ex.Task != s.Task || ex.Depth != s.Depth || ex.Form != s.Form {
					t.Fatalf("example %d labelled %s/%d/%s", i, ex.Task, ex.Depth, ex.Form)
				}
				answers[ex.Answer]++
			}
			// Default knobs: copy answers range over 26 letters, varassign over 0..9, psm over
			// 0..18; every generator here has at least 2 possible answers.
			if len(answers) < 2 {
				t.Fatalf("only answers %v in %d examples", answers, n)
			}
		})
	}
}

// TestQueryChainUniform checks that the queried chain's position in the prompt is spread over
// all chains: if the generator always queried the first-written chain, a model could answer by
// position alone. 3000 draws over 3 chains: each expected 1000, std ≈ 26; 850 is ~6 std away.
func TestQueryChainUniform(t *testing.T) {
	s := Spec{Task: VarAssign, Depth: 0, Form: Math}
	exs, err := Generate(s, 3000, 11)
	if err != nil {
		t.Fatal(err)
	}
	var pos [3]int
	for _, ex := range exs {
		parts := strings.Split(ex.Prompt, ", ")
		q := strings.TrimSuffix(parts[3], "=?")
		for i := 0; i < 3; i++ {
			if strings.HasPrefix(parts[i], q+"=") {
				pos[i]++
			}
		}
	}
	for i, c := range pos {
		if c < 850 {
			t.Fatalf("query is chain %d only %d of 3000 times (%v)", i, c, pos)
		}
	}
}

// TestOracleRejects shows that the oracle can fail: each prompt breaks one promise.
func TestOracleRejects(t *testing.T) {
	d1 := Spec{Task: VarAssign, Depth: 1, Form: Math, Chains: 2, MaxValue: 9}
	cases := []struct {
		name   string
		s      Spec
		prompt string
	}{
		{"piece twice", Spec{Task: Copy, Length: 5, Piece: 1, Alphabet: 26}, "a b a c d | a ->"},
		{"piece at end", Spec{Task: Copy, Length: 5, Piece: 1, Alphabet: 26}, "a b e c d | d ->"},
		{"short sequence", Spec{Task: Copy, Length: 6, Piece: 1, Alphabet: 26}, "a b e c d | b ->"},
		{"item outside alphabet", Spec{Task: Copy, Length: 5, Piece: 1, Alphabet: 4}, "a b e c d | b ->"},
		{"distractor too shallow", d1, "a=1, b=2, c=a, d=b, e=2, c=?"},
		{"distractor depth 0", Spec{Task: VarAssign, Depth: 1, Form: Math, Chains: 2, MaxValue: 9}, "a=1, b=2, c=a, c=?"},
		{"shared value", d1, "a=1, b=1, c=a, d=b, c=?"},
		{"query mid-chain", d1, "a=1, b=2, c=a, d=b, a=?"},
		{"code form in math", d1, "a = 1\nb = 2\nc = a\nd = b\nprint(c)\n"},
		{"negative psm", Spec{Task: PSM, Vars: 2, Ops: "+-", MaxValue: 9}, "x=2, y=7, x-y=?"},
		{"psm op not allowed", Spec{Task: PSM, Vars: 2, Ops: "+-", MaxValue: 9}, "x=2, y=7, x*y=?"},
		{"psm same operand", Spec{Task: PSM, Vars: 2, Ops: "+-", MaxValue: 9}, "x=2, y=7, x+x=?"},
	}
	for _, c := range cases {
		if got, err := oracle(c.s, Example{Prompt: c.prompt}); err == nil {
			t.Errorf("%s: oracle accepted %q with answer %q", c.name, c.prompt, got)
		}
	}
}
