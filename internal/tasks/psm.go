package tasks

import (
	"fmt"
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

func (s Spec) checkPSM() error {
	if err := s.noVariants(); err != nil {
		return err
	}
	switch {
	case s.Vars < 2 || s.Vars > 26:
		return fmt.Errorf("vars %d out of range [2, 26]", s.Vars)
	case s.MaxValue < 1 || s.MaxValue > maxValueLimit:
		return fmt.Errorf("max value %d out of range [1, %d]", s.MaxValue, maxValueLimit)
	}
	for i := 0; i < len(s.Ops); i++ {
		if !strings.ContainsRune("+-*", rune(s.Ops[i])) || strings.IndexByte(s.Ops, s.Ops[i]) != i {
			return fmt.Errorf("ops %q is not a set of distinct operators from \"+-*\"", s.Ops)
		}
	}
	return nil
}

// genPSM defines Vars distinct variables with values in 0..MaxValue and asks for one operation
// on two of them. The rule: subtraction puts the larger value first, so no result is negative.
func genPSM(r *splitmix.Source, s Spec) (Example, error) {
	names := letters(r, s.Vars)
	values := make([]int, s.Vars)
	var b strings.Builder
	for i, name := range names {
		values[i] = r.Intn(s.MaxValue + 1)
		b.WriteString(name + "=" + strconv.Itoa(values[i]) + ", ")
	}
	i := r.Intn(s.Vars)
	j := (i + 1 + r.Intn(s.Vars-1)) % s.Vars // uniform over the other variables
	op := s.Ops[r.Intn(len(s.Ops))]
	if op == '-' && values[i] < values[j] {
		i, j = j, i
	}
	b.WriteString(names[i] + string(op) + names[j] + "=?")
	ans, _ := applyOp(values[i], op, values[j]) // cannot fail: op is checked, i-j >= 0
	return Example{Task: PSM, Prompt: b.String(), Answer: strconv.Itoa(ans)}, nil
}

func applyOp(x int, op byte, y int) (int, error) {
	switch op {
	case '+':
		return x + y, nil
	case '-':
		if x < y {
			return 0, fmt.Errorf("%d-%d is negative", x, y)
		}
		return x - y, nil
	case '*':
		return x * y, nil
	}
	return 0, fmt.Errorf("%w: unknown operator %q", errFormat, op)
}

// solvePSM parses "x=7, y=2, x-y=?".
func solvePSM(prompt string) (string, error) {
	parts := strings.Split(prompt, ", ")
	last := len(parts) - 1
	expr, ok := strings.CutSuffix(parts[last], "=?")
	if !ok || len(expr) != 3 {
		return "", fmt.Errorf("%w: last item %q is not \"x+y=?\"", errFormat, parts[last])
	}
	env := map[string]int{}
	for _, p := range parts[:last] {
		name, rhs, ok := strings.Cut(p, "=")
		if !ok || !isVarName(name) {
			return "", fmt.Errorf("%w: item %q is not \"x=v\"", errFormat, p)
		}
		if _, dup := env[name]; dup {
			return "", fmt.Errorf("variable %q assigned twice", name)
		}
		v, err := parseValue(rhs)
		if err != nil {
			return "", err
		}
		env[name] = v
	}
	x, okx := env[expr[:1]]
	y, oky := env[expr[2:]]
	if !okx || !oky {
		return "", fmt.Errorf("expression %q uses an unassigned variable", expr)
	}
	v, err := applyOp(x, expr[1], y)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(v), nil
}
