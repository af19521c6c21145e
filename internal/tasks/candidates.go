package tasks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxCandidates bounds Candidates (a psm spec with large values has too many results to rank).
const maxCandidates = 1000

// Candidates lists the answers a ranking evaluation chooses among for an example of spec, the true
// answer among them, in a fixed order: for copy the distinct items of the sequence, for varassign
// the values the prompt assigns, for psm every result the spec's operators can give (0..2·MaxValue
// for + and −, 0..MaxValue² with ×). Guessing among them uniformly is the task's chance level.
func Candidates(spec Spec, ex Example) ([]string, error) {
	s, err := spec.resolve()
	if err != nil {
		return nil, err
	}
	var out []string
	switch s.Task {
	case Copy:
		seq, _, ok := strings.Cut(ex.Prompt, " | ")
		if !ok {
			return nil, fmt.Errorf("tasks: candidates: %w: no \" | \" in %q", errFormat, ex.Prompt)
		}
		items, err := copyItems(seq)
		if err != nil {
			return nil, fmt.Errorf("tasks: candidates: %w", err)
		}
		for _, it := range items {
			if !slices.Contains(out, it) {
				out = append(out, it)
			}
		}
	case VarAssign:
		sep, eq := ", ", "="
		if s.Form == Code {
			sep, eq = "\n", " = "
		}
		for _, st := range strings.Split(ex.Prompt, sep) {
			if _, rhs, ok := strings.Cut(st, eq); ok {
				if _, err := strconv.Atoi(rhs); err == nil && !slices.Contains(out, rhs) {
					out = append(out, rhs)
				}
			}
		}
	case PSM:
		top := 2 * s.MaxValue
		if strings.Contains(s.Ops, "*") {
			top = max(top, s.MaxValue*s.MaxValue)
		}
		if top+1 > maxCandidates {
			return nil, fmt.Errorf("tasks: candidates: psm results 0..%d are too many to rank (at most %d)", top, maxCandidates)
		}
		for v := 0; v <= top; v++ {
			out = append(out, strconv.Itoa(v))
		}
	}
	if !slices.Contains(out, ex.Answer) {
		return nil, fmt.Errorf("tasks: candidates of %q lack its answer %q", ex.Prompt, ex.Answer)
	}
	return out, nil
}

// WithAnswer is ex with another answer (a candidate), for scoring that answer's Solved text.
func (ex Example) WithAnswer(a string) Example {
	ex.Answer = a
	return ex
}
