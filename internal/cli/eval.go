package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strings"

	"midas/internal/data"
	"midas/internal/eval"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/tok"
	"midas/internal/train"
)

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "--ckpt DIR [--shots 5] [--n 200] [--json] [--rank] [--finetune 64] [--repeat-middle BxR]", stderr)
	dir := fs.String("ckpt", "", "checkpoint directory (with tokenizer.json)")
	shots := fs.Int("shots", 5, "solved examples before each query")
	n := fs.Int("n", 200, "held-out examples per task")
	seed := fs.Uint64("seed", 1, "seed of the held-out examples")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	ft := fs.Int("finetune", 0, "also fine-tune copies on this many primitive examples (3 seeds) and report mean ± std")
	rank := fs.Bool("rank", false, "score the primitives by ranking their candidate answers by log-probability, not by greedy exact match")
	var dataPaths listFlag
	fs.Var(&dataPaths, "data", "validation text PATHs or mixture sources, as for train (default: the run's own validation split, from trainer_state.json)")
	valBatches := fs.Int("val-batches", 16, "validation batches for the loss (0: all)")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	fo := finetuneFlags(fs)
	repeat := fs.String("repeat-middle", "", repeatUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		fs.Usage()
		return errUsage
	}
	var bad flagChecks
	bad.nonNegative("shots", *shots)
	bad.positive("n", *n)
	bad.nonNegative("finetune", *ft)
	bad.nonNegative("val-batches", *valBatches)
	bad.nonNegative("threads", *threads)
	checkFinetune(&bad, fo)
	if err := bad.err(); err != nil {
		return err
	}
	if *threads == 0 {
		*threads = runtime.GOMAXPROCS(0)
	}
	kern.SetThreads(*threads)
	tk, err := tok.Load(filepath.Join(*dir, train.FileTokenizer))
	if err != nil {
		return err
	}
	m, err := loadRepeated(*dir, 0, *repeat, stderr)
	if err != nil {
		return err
	}
	fo.Examples = *ft
	o := eval.Options{Shots: *shots, N: *n, Seed: *seed, FinetuneWith: *fo, Rank: *rank}
	noVal, err := evalData(&o, *dir, m, tk, dataPaths, *valBatches, stderr)
	if err != nil {
		return err
	}
	rep, err := eval.Run(m, tk, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return printReportJSON(stdout, rep)
	}
	printReport(stdout, rep, noVal)
	return nil
}

// evalData sets the validation batches and the synthetic world of o: from the run's options in
// trainer_state.json, with --data (paths) replacing its validation text. Without training state and
// without --data there is neither; noVal then says why there is no validation loss, as it does when the
// text fills no batch.
func evalData(o *eval.Options, dir string, m *model.Model, tk *tok.Tokenizer, paths []string, batches int, stderr io.Writer) (noVal string, err error) {
	opt := train.DefaultOptions(m.Cfg)
	st, err := train.LoadState(dir)
	switch {
	case err == nil:
		opt = st.Options
	case len(paths) == 0:
		fmt.Fprintf(stderr, "%s has no training state: validation loss needs --data; world questions skipped\n", dir)
		return "none (no training state; give --data)", nil
	}
	if len(paths) > 0 {
		if opt.Data, err = data.ExpandFiles(paths); err != nil {
			return "", err
		}
	}
	val, world, err := train.PrepareVal(opt, tk)
	if err != nil {
		return "", err
	}
	const batch = 8 // windows per validation batch
	o.Val, o.World = data.ValBatches(val, m.Cfg.SeqLen, batch, batches), world
	if len(o.Val) == 0 {
		return fmt.Sprintf("none (%d validation tokens fill no batch of %d windows of %d)", len(val), batch, m.Cfg.SeqLen+1), nil
	}
	return "", nil
}

// printReport writes an evaluation report as a small table; noVal, when not empty, replaces the
// validation loss (there was none to measure).
func printReport(w io.Writer, r eval.Report, noVal string) {
	if noVal != "" {
		fmt.Fprintf(w, "validation loss: %s\n\n", noVal)
	} else {
		fmt.Fprintf(w, "validation loss %.4f  perplexity %.2f\n\n", r.ValLoss, r.ValPPL)
	}
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

// printReportJSON writes the report as indented JSON, a validation loss or perplexity that is not a
// finite number (NaN: not measured; JSON cannot hold either) as null.
func printReportJSON(w io.Writer, r eval.Report) error {
	finite := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	// The outer fields come first and replace the report's own, keeping the keys in the report's order.
	v := struct {
		ValLoss *float64 `json:"val_loss"`
		ValPPL  *float64 `json:"val_ppl"`
		eval.Report
	}{finite(r.ValLoss), finite(r.ValPPL), r}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, string(b))
	return nil
}

// finetuneFlags defines the fine-tuning protocol's flags (--ft-*), defaulting to eval.DefaultFinetune.
func finetuneFlags(fs *flag.FlagSet) *eval.FinetuneOptions {
	def := eval.DefaultFinetune(0)
	fo := &def
	fs.IntVar(&fo.Epochs, "ft-epochs", def.Epochs, "fine-tuning: passes over the examples")
	fs.IntVar(&fo.Batch, "ft-batch", def.Batch, "fine-tuning: examples per step")
	fs.IntVar(&fo.Seeds, "ft-seeds", def.Seeds, "fine-tuning: repetitions (mean ± std)")
	fs.Float64Var(&fo.LR, "ft-lr", def.LR, "fine-tuning: peak learning rate")
	fs.IntVar(&fo.Warmup, "ft-warmup", def.Warmup, "fine-tuning: warmup steps, then cosine decay to lr/10 (0: constant lr)")
	fs.BoolVar(&fo.PromptLoss, "ft-prompt-loss", false, "fine-tuning: loss on every token of each example, not only on the answer")
	return fo
}

// checkFinetune adds the problems of the --ft-* flags.
func checkFinetune(bad *flagChecks, fo *eval.FinetuneOptions) {
	bad.positive("ft-epochs", fo.Epochs)
	bad.positive("ft-batch", fo.Batch)
	bad.positive("ft-seeds", fo.Seeds)
	bad.nonNegative("ft-warmup", fo.Warmup)
	if !(fo.LR > 0) {
		*bad = append(*bad, fmt.Sprintf("--ft-lr must be positive, got %g", fo.LR))
	}
}

// repeatUsage is the help of --repeat-middle (eval and score).
const repeatUsage = "evaluate with the middle block of `BxR`: the centred B layers (⌊(L−B)/2⌋ below them) applied R times, sharing the checkpoint's weights"

// parseRepeat reads --repeat-middle BxR.
func parseRepeat(s string) (b, r int, err error) {
	l, err := model.ParseLoop(s)
	if err != nil || l.R == 0 {
		return 0, 0, fmt.Errorf("--repeat-middle %q: want BxR (a middle block of B ≥ 1 layers applied R ≥ 1 times, e.g. 2x2)", s)
	}
	return l.K, l.R, nil
}

// loadRepeated loads a checkpoint (train.LoadModel) and, with --repeat-middle BxR (repeat not ""),
// returns it with its middle block repeated, saying on w which layers it runs.
func loadRepeated(dir string, maxSeq int, repeat string, w io.Writer) (*model.Model, error) {
	var b, r int
	if repeat != "" {
		var err error
		if b, r, err = parseRepeat(repeat); err != nil {
			return nil, err
		}
	}
	m, err := train.LoadModel(dir, maxSeq)
	if err != nil || repeat == "" {
		return m, err
	}
	rm, err := m.RepeatMiddle(b, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", dir, strings.TrimPrefix(err.Error(), "model: "))
	}
	// Activations are kept per layer run: refuse a repetition whose batches of 8 windows cannot fit.
	c := m.Cfg
	c.NumLayers = rm.Layout.Depth()
	if err := train.CheckMemory(fmt.Sprintf("--repeat-middle %dx%d", b, r), c.ActivationBytes(8, c.SeqLen, false), 0,
		fmt.Sprintf("activations of %d layers", c.NumLayers)); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "repeat-middle %dx%d: %d layers run the checkpoint's layers %v\n", b, r, rm.Layout.Depth(), rm.Layout.Map)
	return rm, nil
}
