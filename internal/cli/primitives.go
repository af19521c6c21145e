package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"midas/internal/tasks"
)

func runPrimitives(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("primitives", "--task copy|varassign|psm [--depth D] [--form math|code] --n N --seed S", stderr)
	task := fs.String("task", "", "copy, varassign or psm")
	depth := fs.Int("depth", 0, "varassign: levels of indirection (0, 1, 2)")
	form := fs.String("form", "", "varassign: math (default) or code")
	n := fs.Int("n", 10, "examples")
	seed := fs.Uint64("seed", 1, "seed (same seed, same examples on every machine)")
	length := fs.Int("length", 0, "copy: items in the sequence (default 10)")
	piece := fs.Int("piece", 0, "copy: items in the query piece (default 2)")
	alphabet := fs.Int("alphabet", 0, "copy: distinct items (default 26)")
	chains := fs.Int("chains", 0, "varassign: chains, the queried one plus distractors (default 3)")
	vars := fs.Int("vars", 0, "psm: variables defined (default 2)")
	ops := fs.String("ops", "", "psm: operations to draw from, e.g. +-* (default +-)")
	maxValue := fs.Int("max-value", 0, "varassign and psm: largest value (default 9)")
	shots := fs.Int("shots", 0, "also print each example's k-shot prompt (field \"fewshot\")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *task == "" {
		fs.Usage()
		return errUsage
	}
	spec := tasks.Spec{Task: *task, Depth: *depth, Form: *form, Length: *length, Piece: *piece, Alphabet: *alphabet,
		Chains: *chains, Vars: *vars, Ops: *ops, MaxValue: *maxValue}
	if spec.Task == tasks.VarAssign && spec.Form == "" {
		spec.Form = tasks.Math
	}
	exs, err := tasks.Generate(spec, *n, *seed)
	if err != nil {
		return err
	}
	var sh []tasks.Example
	if *shots > 0 {
		if sh, err = tasks.Shots(spec, *shots, *seed+1); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, ex := range exs {
		if sh == nil {
			if err := enc.Encode(ex); err != nil {
				return err
			}
			continue
		}
		if err := enc.Encode(struct {
			tasks.Example
			FewShot string `json:"fewshot"`
		}{ex, tasks.FewShot(ex, sh)}); err != nil {
			return err
		}
	}
	if len(exs) == 0 {
		return fmt.Errorf("--n must be positive, got %d", *n)
	}
	return nil
}
