package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"midas/internal/data"
	"midas/internal/study"
	"midas/internal/train"
)

func runStudy(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("study", "NAME [--quick] [--out DIR] [--work DIR] [--data PATH]", stderr)
	quick := fs.Bool("quick", false, "the reduced version: every step of the study in minutes")
	out := fs.String("out", "", "report directory: report.md, results.json, plots/, evals/ (default docs/study/NAME)")
	work := fs.String("work", "", "directory of the training runs (default runs/study/NAME)")
	var dataPaths listFlag
	fs.Var(&dataPaths, "data", "pretraining data instead of the study's own mixture (english-pd prose, GOROOT/src code, synthetic math, reasoning text), as train --data takes it")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "midas study: want one study NAME (%s)\n", strings.Join(study.Names(), ", "))
		fs.Usage()
		return errUsage
	}
	s, err := study.Builtin(pos[0], *quick)
	if err != nil {
		return err
	}
	if len(dataPaths) > 0 {
		s.Base.Data = dataPaths
		if !data.IsMixture(dataPaths) {
			s.Base.DataBytes = 0 // plain paths are read whole
		}
	}
	if *threads > 0 {
		s.Base.Threads = *threads
	}
	if *out == "" {
		*out = filepath.Join("docs", "study", s.Name)
	}
	if *work == "" {
		*work = filepath.Join("runs", "study", s.Name)
	}
	return executeStudy(s, *work, *out, stdout, stderr)
}

// executeStudy runs the study with a progress bar over the whole of it, then writes the report.
func executeStudy(s study.Spec, work, out string, stdout, stderr io.Writer) error {
	start := time.Now()
	fmt.Fprintf(stdout, "study %s: %s × %d seeds, snapshots %v, %d protocols; runs in %s, report in %s\n",
		s.Name, strings.Join(s.Arms, ", "), s.Seeds, s.Snapshots, len(s.Protocols), work, out)
	bar := newProgress(stderr, 1000, "study")
	ev := study.Events{
		Progress: func(done, total float64, what string) { bar.Set(int64(1000*done/total), what) },
		Train:    func(cfg train.RunConfig) (train.Summary, error) { return study.TrainQuiet(cfg) },
	}
	recs, err := study.Execute(s, work, out, ev)
	bar.Done()
	if err != nil {
		return err
	}
	a := study.Analyze(s, recs)
	if err := a.Write(out); err != nil {
		return err
	}
	for _, v := range a.Verdicts() {
		fmt.Fprintln(stdout, v)
	}
	fmt.Fprintf(stdout, "report: %s (%s; evaluation %.0f%% of the compute time)\n", filepath.Join(out, "report.md"),
		time.Since(start).Round(time.Second), 100*a.EvalS/max(a.EvalS+a.TrainS, 1e-9))
	return nil
}
