package tasks

import (
	"errors"
	"fmt"
	"strings"

	"midas/internal/splitmix"
)

// Task names.
const (
	Copy      = "copy"      // induction copying
	VarAssign = "varassign" // variable assignment
	PSM       = "psm"       // pre-school math
)

// Surface forms of VarAssign.
const (
	Math = "math" // a=1, b=a, b=?
	Code = "code" // a = 1 / b = a / print(b), one statement a line
)

// MaxDepth is the deepest VarAssign chain: depth d means d assignments of one variable to
// another between the literal and the queried variable.
const MaxDepth = 2

// Example is one generated prompt with its answer. Prompt ends right before the answer; see
// Completion for what separates them.
type Example struct {
	Task   string `json:"task"`
	Depth  int    `json:"depth"`
	Form   string `json:"form"`
	Prompt string `json:"prompt"`
	Answer string `json:"answer"`
}

// Completion returns what a perfect model continues Prompt with, up to the end of the line:
// the answer after one space, or the bare answer when Prompt ends with a newline (the code
// form, whose answer is the program's output line).
func (ex Example) Completion() string {
	if strings.HasSuffix(ex.Prompt, "\n") {
		return ex.Answer
	}
	return " " + ex.Answer
}

// Solved returns the example as a solved shot: Prompt followed by Completion.
func (ex Example) Solved() string { return ex.Prompt + ex.Completion() }

// Spec selects a task and its knobs. A zero knob takes its default; knobs that do not belong
// to the task are ignored.
type Spec struct {
	Task  string // Copy, VarAssign or PSM
	Depth int    // VarAssign: 0..MaxDepth; must be 0 for the other tasks
	Form  string // VarAssign: Math (default when empty) or Code; must be empty for the others

	// Copy.
	Length   int // items in the sequence (default 10)
	Piece    int // items in the query piece, 1..Length-1 (default 2)
	Alphabet int // distinct items: up to 26 are the letters a.., up to 676 two-letter tokens aa.. (default 26)

	// VarAssign.
	Chains int // chains of assignments, the queried one included; the rest are distractors (default 3, at least 2)

	// PSM.
	Vars int    // variables defined; the expression uses two of them (default 2)
	Ops  string // operators to draw from, a subset of "+-*" (default "+-")

	// VarAssign and PSM.
	MaxValue int // values are drawn from 0..MaxValue (default 9)
}

// Defaults of the knobs.
const (
	DefaultLength   = 10
	DefaultPiece    = 2
	DefaultAlphabet = 26
	DefaultChains   = 3
	DefaultVars     = 2
	DefaultOps      = "+-"
	DefaultMaxValue = 9
)

// maxValueLimit keeps every value and product well inside int64 and parseable by Solve.
const maxValueLimit = 999_999_999

// Name returns the spec's short name: "copy", "psm" or "varassign-d<depth>-<form>". Knobs are
// not part of the name.
func (s Spec) Name() string {
	if s.Task == VarAssign {
		form := s.Form
		if form == "" {
			form = Math
		}
		return fmt.Sprintf("%s-d%d-%s", VarAssign, s.Depth, form)
	}
	return s.Task
}

// ParseSpec is the inverse of Name: it returns the spec with default knobs.
func ParseSpec(name string) (Spec, error) {
	for _, s := range Suite() {
		if s.Name() == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("tasks: unknown spec %q (want copy, psm or varassign-d{0,1,2}-{math,code})", name)
}

// resolve fills in defaults and checks the spec; every error names the spec.
func (s Spec) resolve() (Spec, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.Length, DefaultLength)
	def(&s.Piece, DefaultPiece)
	def(&s.Alphabet, DefaultAlphabet)
	def(&s.Chains, DefaultChains)
	def(&s.Vars, DefaultVars)
	def(&s.MaxValue, DefaultMaxValue)
	if s.Ops == "" {
		s.Ops = DefaultOps
	}
	var err error
	switch s.Task {
	case Copy:
		err = s.checkCopy()
	case VarAssign:
		if s.Form == "" {
			s.Form = Math
		}
		err = s.checkVarAssign()
	case PSM:
		err = s.checkPSM()
	default:
		return s, fmt.Errorf("tasks: unknown task %q (want %s, %s or %s)", s.Task, Copy, VarAssign, PSM)
	}
	if err != nil {
		return s, fmt.Errorf("tasks: %s: %w", s.Name(), err)
	}
	return s, nil
}

// noVariants rejects a depth or form on a task that has neither.
func (s Spec) noVariants() error {
	if s.Depth != 0 {
		return fmt.Errorf("depth %d out of range (only 0)", s.Depth)
	}
	if s.Form != "" {
		return fmt.Errorf("unknown form %q (only the empty form)", s.Form)
	}
	return nil
}

// Generate returns n examples of spec drawn from seed. Example i depends only on (spec, seed,
// i), so a longer run extends a shorter one. Every example is checked before it is returned:
// Solve re-derives its answer from the prompt, which also proves the answer unique (a copy
// piece occurs once, every variable is assigned once). Generate never panics; it returns an
// error for an unknown task or form, a depth out of range, knobs that are out of range or that
// leave no valid example (e.g. more VarAssign chains than distinct values), or n < 0.
// Examples are drawn independently, so with tight knobs a prompt can repeat.
func Generate(spec Spec, n int, seed uint64) ([]Example, error) {
	return generate(spec, n, splitmix.Mix(seed, splitmix.FNV64(spec.Name())))
}

// shotSalt separates the stream of few-shot examples from Generate's stream for the same seed.
const shotSalt = 0x73686f7473 // "shots"

// Shots returns k solved examples for few-shot prompts, drawn from a stream separate from
// Generate's for the same spec and seed. Errors are those of Generate.
func Shots(spec Spec, k int, seed uint64) ([]Example, error) {
	return generate(spec, k, splitmix.Mix(splitmix.Mix(seed, splitmix.FNV64(spec.Name())), shotSalt))
}

func generate(spec Spec, n int, base uint64) ([]Example, error) {
	s, err := spec.resolve()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("tasks: %s: negative count %d", s.Name(), n)
	}
	out := make([]Example, 0, min(n, 1<<12))
	for i := 0; i < n; i++ {
		r := splitmix.New(splitmix.Mix(base, uint64(i)))
		var ex Example
		switch s.Task {
		case Copy:
			ex, err = genCopy(&r, s)
		case VarAssign:
			ex, err = genVarAssign(&r, s)
		default:
			ex, err = genPSM(&r, s)
		}
		if err != nil {
			return nil, fmt.Errorf("tasks: %s: example %d: %w", s.Name(), i, err)
		}
		if got, err := Solve(ex); err != nil || got != ex.Answer {
			return nil, fmt.Errorf("tasks: %s: example %d fails its self-check (solve %q, %v; want %q): %q",
				s.Name(), i, got, err, ex.Answer, ex.Prompt)
		}
		out = append(out, ex)
	}
	return out, nil
}

// Suite lists the standard evaluation specs with default knobs: copy; varassign at depth 0, 1
// and 2 in the math and code forms; psm.
func Suite() []Spec {
	specs := []Spec{{Task: Copy}}
	for d := 0; d <= MaxDepth; d++ {
		specs = append(specs, Spec{Task: VarAssign, Depth: d, Form: Math}, Spec{Task: VarAssign, Depth: d, Form: Code})
	}
	return append(specs, Spec{Task: PSM})
}

// mixtureSalt separates Mixture's streams from Generate's and Shots'.
const mixtureSalt = 0x6d6978 // "mix"

// Mixture draws n examples from the suite's specs, stratified: the counts of any two specs
// differ by at most one (which specs get the extra examples is drawn from seed), and the result
// is shuffled. It panics only if a Suite spec fails to generate, which is a bug in this package.
func Mixture(n int, seed uint64) []Example {
	specs := Suite()
	r := splitmix.New(splitmix.Mix(seed, mixtureSalt))
	order := r.Perm(len(specs))
	out := make([]Example, 0, min(max(n, 0), 1<<12))
	for i := 0; i < n; i++ {
		s := specs[order[i%len(specs)]]
		// One stream per position keeps each example a pure function of (seed, i).
		exs, err := generate(s, 1, splitmix.Mix(splitmix.Mix(seed, mixtureSalt), uint64(i)))
		if err != nil {
			panic(err)
		}
		out = append(out, exs[0])
	}
	splitmix.Shuffle(&r, out)
	return out
}

// FewShot builds a k-shot prompt: every shot's Solved text, each followed by a blank line,
// then the query's Prompt. A shot whose Prompt equals the query's is left out, so the query's
// answer never appears in its own prompt (the prompt then holds one shot fewer; with default
// knobs Shots and Generate collide with probability well below 1e-6).
func FewShot(query Example, shots []Example) string {
	var b strings.Builder
	for _, s := range shots {
		if s.Prompt == query.Prompt {
			continue
		}
		b.WriteString(s.Solved())
		b.WriteString("\n\n")
	}
	b.WriteString(query.Prompt)
	return b.String()
}

// Score reports whether a model's continuation of a prompt gives answer: the continuation is
// cut at its first newline, spaces, tabs and carriage returns are trimmed from both ends, and
// the rest must equal answer exactly ("02" does not match "2", "12" does not match "1"). An
// empty answer never matches.
func Score(continuation, answer string) bool {
	if answer == "" {
		return false
	}
	line, _, _ := strings.Cut(continuation, "\n")
	return strings.Trim(line, " \t\r") == answer
}

// errFormat is wrapped by every Solve error about prompt text.
var errFormat = errors.New("malformed prompt")

// Solve re-derives an example's answer from its Task, Form and Prompt alone (Answer is not
// read). It returns an error, never panics, when the prompt is not in the task's format or has
// no unique answer.
func Solve(ex Example) (string, error) {
	var (
		ans string
		err error
	)
	switch ex.Task {
	case Copy:
		ans, err = solveCopy(ex.Prompt)
	case VarAssign:
		switch ex.Form {
		case Math, "":
			ans, err = solveVarMath(ex.Prompt)
		case Code:
			ans, err = solveVarCode(ex.Prompt)
		default:
			return "", fmt.Errorf("tasks: %s: unknown form %q", VarAssign, ex.Form)
		}
	case PSM:
		ans, err = solvePSM(ex.Prompt)
	default:
		return "", fmt.Errorf("tasks: unknown task %q", ex.Task)
	}
	if err != nil {
		return "", fmt.Errorf("tasks: solve %s: %w", ex.Task, err)
	}
	return ans, nil
}
