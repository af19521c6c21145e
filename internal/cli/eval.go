package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"midas/internal/data"
	"midas/internal/eval"
	"midas/internal/kern"
	"midas/internal/tok"
	"midas/internal/train"
)

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "--ckpt DIR [--shots 5] [--n 200] [--json] [--finetune 64]", stderr)
	dir := fs.String("ckpt", "", "checkpoint directory (with tokenizer.json)")
	shots := fs.Int("shots", 5, "solved examples before each query")
	n := fs.Int("n", 200, "held-out examples per task")
	seed := fs.Uint64("seed", 1, "seed of the held-out examples")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	ft := fs.Int("finetune", 0, "also fine-tune copies on this many primitive examples (3 seeds) and report mean ± std")
	var dataPaths listFlag
	fs.Var(&dataPaths, "data", "validation text PATHs (default: the run's own validation split, from trainer_state.json)")
	valBatches := fs.Int("val-batches", 16, "validation batches for the loss")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "worker threads")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		fs.Usage()
		return errUsage
	}
	if *shots < 0 || *n < 1 || *ft < 0 || *valBatches < 0 || *threads < 1 {
		return errors.New("--shots, --finetune and --val-batches must not be negative; --n and --threads must be positive")
	}
	kern.SetThreads(*threads)
	tk, err := tok.Load(filepath.Join(*dir, train.FileTokenizer))
	if err != nil {
		return err
	}
	m, err := train.LoadModel(*dir, 0)
	if err != nil {
		return err
	}
	o := eval.Options{Shots: *shots, N: *n, Seed: *seed, Finetune: *ft}
	// The validation text and the synthetic world come from the run's options when they are known.
	opt := train.DefaultOptions(m.Cfg)
	if st, err := train.LoadState(*dir); err == nil {
		opt = st.Options
	} else if len(dataPaths) == 0 {
		fmt.Fprintf(stderr, "%s has no training state: validation loss needs --data; world questions skipped\n", *dir)
		opt.Data = nil
	}
	if len(dataPaths) > 0 {
		opt.Data = dataPaths
	}
	if _, err := train.LoadState(*dir); err == nil || len(dataPaths) > 0 {
		val, world, err := train.PrepareVal(opt, tk)
		if err != nil {
			return err
		}
		o.Val, o.World = data.ValBatches(val, m.Cfg.SeqLen, 8, *valBatches), world
	}
	rep, err := eval.Run(m, tk, o)
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	printReport(stdout, rep)
	return nil
}

// printReport writes an evaluation report as a small table.
func printReport(w io.Writer, r eval.Report) {
	fmt.Fprintf(w, "validation loss %.4f  perplexity %.2f\n\n", r.ValLoss, r.ValPPL)
	fmt.Fprintf(w, "%-22s %8s %9s %6s\n", "task", "accuracy", "correct", "shots")
	for _, t := range r.Tasks {
		fmt.Fprintf(w, "%-22s %8.3f %4d/%-4d %6d\n", t.Name, t.Acc, t.Correct, t.Total, t.Shots)
	}
	if len(r.Finetune) > 0 {
		fmt.Fprintf(w, "\nafter fine-tuning (mean ± std over %d seeds)\n", len(r.Finetune[0].Accs))
		for _, f := range r.Finetune {
			fmt.Fprintf(w, "%-22s %.3f ± %.3f\n", f.Name, f.Mean, f.Std)
		}
	}
}
