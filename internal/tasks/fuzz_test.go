package tasks

import (
	"strings"
	"testing"
)

// FuzzScore: Score never panics, a match really is the answer on the first line, and a perfect
// continuation with any trailing text scores.
func FuzzScore(f *testing.F) {
	for _, s := range [][2]string{{" 2", "2"}, {"12\n", "1"}, {" 02", "2"}, {"\t r \r\nx", "r"}, {"", ""}, {"\n\n", "\n"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, cont, ans string) {
		if Score(cont, ans) {
			line, _, _ := strings.Cut(cont, "\n")
			if ans == "" || !strings.Contains(line, ans) {
				t.Fatalf("Score(%q, %q) true but the answer is not on the first line", cont, ans)
			}
		}
		clean := ans != "" && !strings.ContainsAny(ans, "\n") && strings.Trim(ans, " \t\r") == ans
		if clean && !Score(" "+ans+" \n"+cont, ans) {
			t.Fatalf("a perfect continuation of %q does not score", ans)
		}
	})
}

// FuzzSolve: Solve never panics on any prompt of any task and form, and whatever it answers is
// well formed: a canonical decimal for varassign and psm, an item of the sequence for copy.
func FuzzSolve(f *testing.F) {
	for _, s := range Suite() {
		exs, err := Generate(s, 3, 1)
		if err != nil {
			f.Fatal(err)
		}
		for _, ex := range exs {
			f.Add(ex.Task, ex.Form, ex.Prompt)
		}
	}
	f.Add(Copy, "", "a a a | a a ->")
	f.Add(PSM, "", "x=1, , x+x=?")
	f.Add(VarAssign, Code, "\n")
	f.Add(VarAssign, Math, "=?")
	f.Fuzz(func(t *testing.T, task, form, prompt string) {
		ans, err := Solve(Example{Task: task, Form: form, Prompt: prompt})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tasks: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			return
		}
		switch task {
		case Copy:
			if !strings.Contains(prompt, " "+ans+" ") {
				t.Fatalf("copy answer %q is not an item of %q", ans, prompt)
			}
		default:
			if ans == "" || strings.TrimLeft(ans, "0123456789") != "" || (ans != "0" && ans[0] == '0') {
				t.Fatalf("answer %q is not a canonical decimal", ans)
			}
		}
	})
}

// FuzzGenerate: Generate never panics for any knobs, and what it returns solves. Knobs are
// folded into small ranges so the fuzzer spends its time on valid and boundary specs.
func FuzzGenerate(f *testing.F) {
	f.Add(uint64(1), uint8(0), int8(0), int16(0), int16(0), int16(0), int8(0), int8(0), int32(0), "")
	f.Add(uint64(7), uint8(1), int8(2), int16(30), int16(29), int16(2), int8(8), int8(5), int32(30), "*")
	f.Add(uint64(3), uint8(2), int8(-1), int16(-5), int16(700), int16(677), int8(1), int8(27), int32(-1), "+/")
	f.Fuzz(func(t *testing.T, seed uint64, task uint8, depth int8, length, piece, alphabet int16,
		chains, vars int8, maxValue int32, ops string) {
		s := Spec{
			Task: []string{Copy, VarAssign, PSM, "x"}[task%4], Depth: int(depth),
			Form:   []string{"", Math, Code, "z"}[seed%4],
			Length: int(length), Piece: int(piece), Alphabet: int(alphabet),
			Chains: int(chains), Vars: int(vars), MaxValue: int(maxValue), Ops: ops,
		}
		exs, err := Generate(s, 3, seed)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tasks: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			return
		}
		for _, ex := range exs {
			if got, err := Solve(ex); err != nil || got != ex.Answer {
				t.Fatalf("%+v: Solve = %q, %v; answer %q", s, got, err, ex.Answer)
			}
		}
	})
}
