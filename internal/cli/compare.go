package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/tok"
	"midas/internal/train"
)

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", "--runs baseline,gradstack,midas --seeds N --out DIR [train flags]", stderr)
	out := fs.String("out", "", "directory for the runs, their evaluations and report.md")
	var runs listFlag
	fs.Var(&runs, "runs", "runs to compare: baseline, gradstack, midas, double (default baseline,gradstack,midas)")
	seeds := fs.Int("seeds", 1, "seeds per run (seed, seed+1, ...)")
	finalN := fs.Int("final-n", 100, "held-out examples per task in each run's final evaluation")
	ft := fs.Int("finetune", 0, "also run the fine-tuning protocol on this many examples in the final evaluation")
	tf := defineTrainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	if len(runs) == 0 {
		runs = listFlag{eval.Baseline, grow.OpGradStack, grow.OpMIDAS}
	}
	if *seeds < 1 || *finalN < 1 || *ft < 0 {
		return errors.New("--seeds and --final-n must be positive, --finetune not negative")
	}
	set := setFlags(fs)
	base, err := tf.options(set)
	if err != nil {
		return err
	}
	if base.Growth == grow.OpNone || !set["growth"] {
		base.Growth = grow.OpMIDAS // only used to validate block and schedule below
	}
	var plans []compareRun
	for _, r := range runs {
		for s := 0; s < *seeds; s++ {
			opt := base
			opt.Seed = base.Seed + uint64(s)
			opt.Growth = r
			if r == eval.Baseline {
				opt.Growth = grow.OpNone
			}
			if err := opt.Validate(); err != nil {
				return fmt.Errorf("run %s: %v", r, err)
			}
			plans = append(plans, compareRun{name: r, seed: opt.Seed, opt: opt,
				dir: filepath.Join(*out, "runs", fmt.Sprintf("%s-seed%d", r, opt.Seed))})
		}
	}
	start := time.Now()
	var results []eval.RunResult
	for i, p := range plans {
		fmt.Fprintf(stdout, "[%d/%d] %s seed %d → %s\n", i+1, len(plans), p.name, p.seed, p.dir)
		res, stopped, err := p.execute(*finalN, *ft, stdout, stderr)
		if err != nil {
			return fmt.Errorf("run %s seed %d: %v", p.name, p.seed, err)
		}
		if stopped {
			fmt.Fprintf(stdout, "stopped; run the same command again to continue where it stopped\n")
			return nil
		}
		results = append(results, res)
	}
	setup := fmt.Sprintf("Runs %s, %d seed(s) each (seed %d on), on %s. Model: %d layers, dim %d, %d heads, FFN %d, vocab %d, "+
		"sequence %d; %d steps of %d tokens; growth block %d, schedule %s. Final evaluation: %d-shot, %d held-out examples per task. "+
		"Command: `midas compare %s`.",
		strings.Join(runs, ", "), *seeds, base.Seed, dataName(base), base.Model.NumLayers, base.Model.Dim, base.Model.NumHeads,
		base.Model.FFNDim, base.Model.VocabSize, base.Model.SeqLen, base.Steps, base.Batch*base.Accum*base.Model.SeqLen,
		base.Block, base.Stages, base.EvalShots, *finalN, strings.Join(args, " "))
	if err := eval.WriteReport(*out, setup, results); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s (%s)\n", filepath.Join(*out, "report.md"), time.Since(start).Round(time.Second))
	return nil
}

// compareRun is one (run, seed) of a comparison.
type compareRun struct {
	name string
	seed uint64
	opt  train.Options
	dir  string
}

// execute trains the run (or resumes it, or skips training when it is complete), evaluates the final
// checkpoint (or reuses a saved evaluation) and collects what the report needs.
func (p compareRun) execute(finalN, ft int, stdout, stderr io.Writer) (eval.RunResult, bool, error) {
	res := eval.RunResult{Run: p.name, Seed: p.seed}
	st, err := train.LoadState(p.dir)
	switch {
	case err == nil && st.Step >= p.opt.Steps:
		fmt.Fprintf(stdout, "  already trained (%d steps)\n", st.Step)
	case err == nil:
		fmt.Fprintf(stdout, "  resuming at step %d\n", st.Step)
		if stopped, err := trainRun(st.Options, &st, p.dir, p.dir, 0, stdout, stderr); err != nil || stopped {
			return res, stopped, err
		}
	default:
		if stopped, err := trainRun(p.opt, nil, "", p.dir, 0, stdout, stderr); err != nil || stopped {
			return res, stopped, err
		}
	}
	if st, err = train.LoadState(p.dir); err != nil {
		return res, false, err
	}
	res.FLOPs, res.TrainS = st.FLOPs, st.TrainS
	if res.Curve, err = readMetrics(filepath.Join(p.dir, "metrics.jsonl")); err != nil {
		return res, false, err
	}
	m, err := train.LoadModel(p.dir, 0)
	if err != nil {
		return res, false, err
	}
	res.Layers = m.Cfg.NumLayers
	res.Similarity = eval.LayerSimilarity(m.Cfg, m.Params)[eval.SimAll]
	evalPath := filepath.Join(p.dir, fmt.Sprintf("eval-n%d-ft%d.json", finalN, ft))
	if raw, err := os.ReadFile(evalPath); err == nil && json.Unmarshal(raw, &res.Final) == nil {
		return res, false, nil
	}
	// The final evaluation (and its fine-tuning) is float32 whatever the run trained with, so that
	// runs trained with --matmul bf16 are measured like the others.
	if err := setMatmul(train.MatmulFloat32); err != nil {
		return res, false, err
	}
	fmt.Fprintf(stdout, "  final evaluation (%d examples per task)...\n", finalN)
	tk, err := tok.Load(filepath.Join(p.dir, train.FileTokenizer))
	if err != nil {
		return res, false, err
	}
	val, world, err := train.PrepareVal(st.Options, tk)
	if err != nil {
		return res, false, err
	}
	o := eval.Options{Shots: st.Options.EvalShots, N: finalN, Seed: 2, World: world, Finetune: ft,
		Val: data.ValBatches(val, m.Cfg.SeqLen, st.Options.Batch, 4*st.Options.EvalBatches)}
	if res.Final, err = eval.Run(m, tk, o); err != nil {
		return res, false, err
	}
	b, _ := json.MarshalIndent(res.Final, "", "  ")
	return res, false, ckpt.WriteFileAtomic(evalPath, b)
}

// readMetrics reads a metrics.jsonl log.
func readMetrics(path string) ([]train.Metrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []train.Metrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m train.Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}
