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
	qs, prompts, shots, err := FewShotPrompts(d, spec, k, n, seed)
	if err != nil {
		return TaskResult{}, err
	}
	ids := make([][]int32, len(prompts))
	for i, p := range prompts {
		ids[i] = d.Encode(p)
	}
	r := TaskResult{Name: spec.Name(), Total: n, Shots: shots}
	for i, answer := range d.CompleteBatch(ids, maxAnswerTokens) {
		r.add(tasks.Score(answer, qs[i].Answer))
	}
	return r, nil
}

// FewShotPrompts are the n held-out queries of a primitive (from seed) and their k-shot prompt texts
// (shots from seed+1), each with shots dropped from the front until it leaves room in the context for
// an answer; shots is the fewest any prompt kept.
func FewShotPrompts(d *Decoder, spec tasks.Spec, k, n int, seed uint64) (qs []tasks.Example, prompts []string, shots int, err error) {
	if qs, err = tasks.Generate(spec, n, seed); err != nil {
		return nil, nil, 0, err
	}
	all, err := tasks.Shots(spec, k, seed+1)
	if err != nil {
		return nil, nil, 0, err
	}
	shots = k
	for _, q := range qs {
		s := all
		for len(s) > 0 && !d.Fits(len(d.Encode(tasks.FewShot(q, s))), maxAnswerTokens) {
			s = s[1:]
		}
		shots = min(shots, len(s))
		prompts = append(prompts, tasks.FewShot(q, s))
	}
	return qs, prompts, shots, nil
}

// add counts one example's outcome and keeps the accuracy current.
func (r *TaskResult) add(hit bool) {
	if hit {
		r.Correct++
	}
	r.Hits = append(r.Hits, hit)
	r.Acc = float64(r.Correct) / float64(max(r.Total, 1))
}

// Primitives runs FewShot over the standard suite (copy; varassign depth 0–2 × math/code; psm).
func Primitives(d *Decoder, k, n int, seed uint64) ([]TaskResult, error) {
	return suite(d, k, n, seed, FewShot)
}

// suite runs one primitive's scorer over the standard suite.
func suite(d *Decoder, k, n int, seed uint64, score func(*Decoder, tasks.Spec, int, int, uint64) (TaskResult, error)) ([]TaskResult, error) {
	var out []TaskResult
	for _, spec := range tasks.Suite() {
		r, err := score(d, spec, k, n, seed)
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
