package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"midas/internal/eval"
	"midas/internal/tasks"
	"midas/internal/tok"
	"midas/internal/train"
)

func main() {
	dir := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	ep, _ := strconv.Atoi(os.Args[3])
	lr, _ := strconv.ParseFloat(os.Args[4], 64)
	train.SetMatmul(train.MatmulFloat32)
	m, err := train.LoadModel(dir, 0)
	if err != nil {
		panic(err)
	}
	tk, _ := tok.Load(filepath.Join(dir, train.FileTokenizer))
	c, err := eval.FinetuneCopy(m, tk, eval.FinetuneOptions{Examples: n, Seeds: 1, Epochs: ep, Batch: 8, LR: lr, Warmup: 50}, 1001)
	if err != nil {
		panic(err)
	}
	d := eval.NewDecoder(c, tk)
	for _, spec := range tasks.Suite() {
		qs, _ := tasks.Generate(spec, 60, 7)
		hit := 0
		for i, q := range qs {
			out := d.Complete(d.Encode(q.Prompt), 8)
			if tasks.Score(out, q.Answer) {
				hit++
			}
			if i < 4 {
				fmt.Printf("%s | %q -> want %q got %q\n", spec.Name(), q.Prompt, q.Answer, out)
			}
		}
		fmt.Printf("%s: %d/60\n", spec.Name(), hit)
	}
}
