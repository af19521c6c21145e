package eval

import (
	"fmt"

	"midas/internal/data"
	"midas/internal/tasks"
)

// TaskResult is the exact-match accuracy on one task.
type TaskResult struct {
	Name    string  `json:"name"`    // tasks.Spec.Name(), or "qa-closed-book", "qa-open-book", "qa-math"
	Correct int     `json:"correct"` // exact matches
	Total   int     `json:"total"`
	Acc     float64 `json:"acc"`   // Correct/Total
	Shots   int     `json:"shots"` // fewest shots used (long prompts drop shots to fit the context)
	Hits    []bool  `json:"-"`     // per held-out example, in order: exact match (FewShot only)
}

// maxAnswerTokens bounds generation: every answer is one short line.
const maxAnswerTokens = 8

// FewShot scores n held-out examples of a primitive with k-shot prompts. The queries come from seed and
// the shots from a separate stream (seed+1); the same shots serve every query, so their cached prefix is
// reused. When a prompt does not fit the context, shots are dropped from the front.
func FewShot(d *Decoder, spec tasks.Spec, k, n int, seed uint64) (TaskResult, error) {
	qs, err := tasks.Generate(spec, n, seed)
	if err != nil {
		return TaskResult{}, err
	}
	shots, err := tasks.Shots(spec, k, seed+1)
	if err != nil {
		return TaskResult{}, err
	}
	r := TaskResult{Name: spec.Name(), Total: n, Shots: k}
	prompts := make([][]int32, len(qs))
	for i, q := range qs {
		s := shots
		ids := d.Encode(tasks.FewShot(q, s))
		for len(s) > 0 && !d.Fits(len(ids), maxAnswerTokens) {
			s = s[1:]
			ids = d.Encode(tasks.FewShot(q, s))
		}
		r.Shots = min(r.Shots, len(s))
		prompts[i] = ids
	}
	for i, answer := range d.CompleteBatch(prompts, maxAnswerTokens) {
		hit := tasks.Score(answer, qs[i].Answer)
		if hit {
			r.Correct++
		}
		r.Hits = append(r.Hits, hit)
	}
	r.Acc = float64(r.Correct) / float64(max(r.Total, 1))
	return r, nil
}

// Primitives runs FewShot over the standard suite (copy; varassign depth 0–2 × math/code; psm).
func Primitives(d *Decoder, k, n int, seed uint64) ([]TaskResult, error) {
	var out []TaskResult
	for _, spec := range tasks.Suite() {
		r, err := FewShot(d, spec, k, n, seed)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// QA scores the synthetic world's held-out questions of each kind (closed-book, open-book, math) with
// k-shot prompts whose shots are other held-out questions of the same kind.
func QA(d *Decoder, w *data.World, k, n int, seed uint64) ([]TaskResult, error) {
	var out []TaskResult
	for _, kind := range []string{data.ClosedBook, data.OpenBook, data.Math} {
		items, err := w.Questions(kind, n+k, seed)
		if err != nil {
			return nil, err
		}
		shots, qs := items[:k], items[k:]
		r := TaskResult{Name: "qa-" + kind, Total: len(qs), Shots: k}
		prompts := make([][]int32, len(qs))
		for i, q := range qs {
			s := shots
			ids := d.Encode(qaPrompt(q, s))
			for len(s) > 0 && !d.Fits(len(ids), maxAnswerTokens) {
				s = s[1:]
				ids = d.Encode(qaPrompt(q, s))
			}
			r.Shots = min(r.Shots, len(s))
			prompts[i] = ids
		}
		for i, answer := range d.CompleteBatch(prompts, maxAnswerTokens) {
			if tasks.Score(answer, qs[i].Answer) {
				r.Correct++
			}
		}
		r.Acc = float64(r.Correct) / float64(max(r.Total, 1))
		out = append(out, r)
	}
	return out, nil
}

// qaPrompt puts solved questions before the query, blank-line separated (as tasks.FewShot does).
func qaPrompt(q data.QA, shots []data.QA) string {
	s := ""
	for _, x := range shots {
		s += fmt.Sprintf("%s %s\n\n", x.Prompt, x.Answer)
	}
	return s + q.Prompt
}
