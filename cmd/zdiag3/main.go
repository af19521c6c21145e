package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"midas/internal/eval"
	"midas/internal/tok"
	"midas/internal/train"
)

func main() {
	dir := os.Args[1]
	train.SetMatmul(train.MatmulFloat32)
	m, _ := train.LoadModel(dir, 0)
	tk, _ := tok.Load(filepath.Join(dir, train.FileTokenizer))
	t0 := time.Now()
	res, err := eval.RankPrimitives(eval.NewDecoder(m, tk), 5, 100, 7)
	if err != nil {
		panic(err)
	}
	fmt.Print("5-shot-rank ", time.Since(t0).Round(time.Second), ":")
	for _, r := range res {
		fmt.Printf(" %.2f", r.Acc)
	}
	fmt.Println()
	c, _ := eval.FinetuneCopy(m, tk, eval.FinetuneOptions{Examples: 1024, Seeds: 1, Epochs: 4, Batch: 8, LR: 1e-3, Warmup: 50}, 1001)
	t0 = time.Now()
	res, _ = eval.RankPrimitives(eval.NewDecoder(c, tk), 0, 100, 7)
	fmt.Print("ft-1024-rank ", time.Since(t0).Round(time.Second), ":")
	for _, r := range res {
		fmt.Printf(" %.2f", r.Acc)
	}
	fmt.Println()
}
