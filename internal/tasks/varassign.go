package tasks

import (
	"fmt"
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

func (s Spec) checkVarAssign() error {
	switch {
	case s.Depth < 0 || s.Depth > MaxDepth:
		return fmt.Errorf("depth %d out of range [0, %d]", s.Depth, MaxDepth)
	case s.Form != Math && s.Form != Code:
		return fmt.Errorf("unknown form %q (want %s or %s)", s.Form, Math, Code)
	case s.Chains < 2:
		return fmt.Errorf("chains %d < 2 (a distractor chain is always present)", s.Chains)
	case s.Chains*(s.Depth+1) > 26:
		return fmt.Errorf("%d chains of depth %d need %d variable names, only 26 letters", s.Chains, s.Depth, s.Chains*(s.Depth+1))
	case s.MaxValue < 1 || s.MaxValue > maxValueLimit:
		return fmt.Errorf("max value %d out of range [1, %d]", s.MaxValue, maxValueLimit)
	case s.Chains > s.MaxValue+1:
		return fmt.Errorf("%d chains need distinct values, only %d in 0..%d", s.Chains, s.MaxValue+1, s.MaxValue)
	}
	return nil
}

// assign is one statement "name = rhs", rhs a variable name or a decimal literal.
type assign struct{ name, rhs string }

// genVarAssign draws Chains chains of Depth+1 distinct variables each; chain c is
// v0 = value_c, v1 = v0, …, vDepth = v(Depth-1), with distinct values across chains. The
// statements are written level by level (all literals, then all first references, …), the
// chains in a fresh random order at each level, and the last variable of one chain is queried.
func genVarAssign(r *splitmix.Source, s Spec) (Example, error) {
	levels := s.Depth + 1
	names := letters(r, s.Chains*levels)
	values := make([]int, s.Chains)
	seen := make(map[int]bool, s.Chains)
	for c := range values {
		// Rejection keeps the draw cheap for any MaxValue; Chains <= MaxValue+1 and
		// Chains <= 26 bound the expected number of redraws.
		v := r.Intn(s.MaxValue + 1)
		for seen[v] {
			v = r.Intn(s.MaxValue + 1)
		}
		values[c], seen[v] = v, true
	}
	var stmts []assign
	for l := 0; l < levels; l++ {
		for _, c := range r.Perm(s.Chains) {
			rhs := strconv.Itoa(values[c])
			if l > 0 {
				rhs = names[c*levels+l-1]
			}
			stmts = append(stmts, assign{names[c*levels+l], rhs})
		}
	}
	q := r.Intn(s.Chains)
	query := names[q*levels+s.Depth]
	var b strings.Builder
	for _, st := range stmts {
		if s.Form == Code {
			b.WriteString(st.name + " = " + st.rhs + "\n")
		} else {
			b.WriteString(st.name + "=" + st.rhs + ", ")
		}
	}
	if s.Form == Code {
		b.WriteString("print(" + query + ")\n")
	} else {
		b.WriteString(query + "=?")
	}
	return Example{Task: VarAssign, Depth: s.Depth, Form: s.Form, Prompt: b.String(), Answer: strconv.Itoa(values[q])}, nil
}

// solveVarMath parses "a=1, b=a, …, b=?".
func solveVarMath(prompt string) (string, error) {
	parts := strings.Split(prompt, ", ")
	last := len(parts) - 1
	query, ok := strings.CutSuffix(parts[last], "=?")
	if !ok {
		return "", fmt.Errorf("%w: last item %q is not \"x=?\"", errFormat, parts[last])
	}
	stmts := make([]assign, last)
	for i, p := range parts[:last] {
		name, rhs, ok := strings.Cut(p, "=")
		if !ok {
			return "", fmt.Errorf("%w: item %q is not \"x=v\"", errFormat, p)
		}
		stmts[i] = assign{name, rhs}
	}
	return evalAssigns(stmts, query)
}

// solveVarCode parses lines "a = 1", "b = a", …, then "print(b)", each ending in a newline.
func solveVarCode(prompt string) (string, error) {
	body, ok := strings.CutSuffix(prompt, "\n")
	if !ok {
		return "", fmt.Errorf("%w: no trailing newline", errFormat)
	}
	lines := strings.Split(body, "\n")
	last := len(lines) - 1
	query, okPre := strings.CutPrefix(lines[last], "print(")
	query, okSuf := strings.CutSuffix(query, ")")
	if !okPre || !okSuf {
		return "", fmt.Errorf("%w: last line %q is not \"print(x)\"", errFormat, lines[last])
	}
	stmts := make([]assign, last)
	for i, l := range lines[:last] {
		name, rhs, ok := strings.Cut(l, " = ")
		if !ok {
			return "", fmt.Errorf("%w: line %q is not \"x = v\"", errFormat, l)
		}
		stmts[i] = assign{name, rhs}
	}
	return evalAssigns(stmts, query)
}

// evalAssigns runs the statements in order and returns the query's value. Every name must be a
// single lowercase letter assigned once before it is read, every literal canonical decimal.
func evalAssigns(stmts []assign, query string) (string, error) {
	env := map[string]int{}
	for _, st := range stmts {
		if !isVarName(st.name) {
			return "", fmt.Errorf("%w: bad variable name %q", errFormat, st.name)
		}
		if _, dup := env[st.name]; dup {
			return "", fmt.Errorf("variable %q assigned twice", st.name)
		}
		if isVarName(st.rhs) {
			v, ok := env[st.rhs]
			if !ok {
				return "", fmt.Errorf("variable %q read before it is assigned", st.rhs)
			}
			env[st.name] = v
			continue
		}
		v, err := parseValue(st.rhs)
		if err != nil {
			return "", err
		}
		env[st.name] = v
	}
	if !isVarName(query) {
		return "", fmt.Errorf("%w: bad query variable %q", errFormat, query)
	}
	v, ok := env[query]
	if !ok {
		return "", fmt.Errorf("query variable %q is never assigned", query)
	}
	return strconv.Itoa(v), nil
}

func isVarName(s string) bool { return len(s) == 1 && s[0] >= 'a' && s[0] <= 'z' }

// parseValue parses a canonical non-negative decimal of at most 9 digits (no sign, no leading
// zeros), so that sums and products stay exact in an int.
func parseValue(s string) (int, error) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: bad value %q", errFormat, s)
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: bad value %q", errFormat, s)
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, nil
}
