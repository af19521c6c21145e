package eval

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"midas/internal/ckpt"
	"midas/internal/stats"
	"midas/internal/tasks"
	"midas/internal/train"
)

// Baseline is the run name of the full-depth model that a report compares the growth runs with.
const Baseline = "baseline"

// RunResult is one finished training run of a comparison, as the report needs it.
type RunResult struct {
	Run        string          // Baseline, or a growth operator (grow.OpGradStack, grow.OpMIDAS, ...)
	Seed       uint64          //
	Curve      []train.Metrics // the metrics log; evaluation points carry ValLoss and Tasks
	Final      Report          // the final evaluation
	FLOPs      float64         // training FLOPs
	TrainS     float64         // seconds in training steps
	Layers     int             // final depth (logical layers: a looped model's unrolled depth)
	Params     int             // parameters of the final model (physical: a looped block counts once)
	Similarity [][]float64     // cosine similarity of the final (unrolled) layers' weights
	// BlockSim is R(k) of the final (unrolled) weights with k = SimBlock layers per block: the mean
	// cosine similarity of each weight matrix with the same one k layers up (train.SimReg); NaN when
	// the depth has fewer than two blocks of k.
	BlockSim float64
	SimBlock int
	// EvalOnly marks a row evaluated from another run's checkpoints (e.g. midas with its middle
	// repeated): its training numbers are that run's, so the time speedups are not shown.
	EvalOnly bool
}

// group is the runs of one name over seeds.
type group struct {
	name string
	rs   []RunResult
}

func groups(results []RunResult) []group {
	var out []group
	idx := map[string]int{}
	for _, r := range results {
		i, ok := idx[r.Run]
		if !ok {
			i = len(out)
			idx[r.Run] = i
			out = append(out, group{name: r.Run})
		}
		out[i].rs = append(out[i].rs, r)
	}
	return out
}

// taskNames lists the task names of the final reports in first-seen order.
func taskNames(results []RunResult) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, t := range r.Final.Tasks {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	return names
}

// WriteReport writes dir/report.md and its PNG plots (dir/plots/*.png) for a comparison. setup is a
// Markdown paragraph describing the runs (model, data, tokens, command).
func WriteReport(dir, setup string, results []RunResult) error {
	if len(results) == 0 {
		return fmt.Errorf("eval: report: no runs")
	}
	pd := filepath.Join(dir, "plots")
	if err := os.MkdirAll(pd, 0o755); err != nil {
		return fmt.Errorf("eval: report: %v", err)
	}
	gs := groups(results)
	names := taskNames(results)
	var b strings.Builder
	b.WriteString("# MIDAS comparison\n\n" + setup + "\n\n")
	writeTable(&b, gs, names)
	figs, err := writePlots(pd, gs, names)
	if err != nil {
		return err
	}
	b.WriteString("\n## Plots\n\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "**%s**\n\n![%s](plots/%s)\n\n", f.caption, f.caption, f.file)
	}
	writeReading(&b, gs)
	return ckpt.WriteFileAtomic(filepath.Join(dir, "report.md"), []byte(b.String()))
}

// pm formats mean ± std over seeds (just the mean for one seed).
func pm(xs []float64, format string) string {
	m, s := stats.MeanStd(xs)
	if len(xs) < 2 {
		return fmt.Sprintf(format, m)
	}
	return fmt.Sprintf(format+" ± "+format, m, s)
}

func writeTable(b *strings.Builder, gs []group, names []string) {
	var base *group
	for i := range gs {
		if gs[i].name == Baseline {
			base = &gs[i]
		}
	}
	b.WriteString("## Results\n\nMean ± standard deviation over seeds. Speedups are relative to the baseline at equal steps and tokens: ")
	b.WriteString("*analytic* from FLOPs (SPEC §3); *measured* from the seconds spent in training steps (evaluation excluded); ")
	b.WriteString("*median-based*: each stage's median step time × its steps, which discounts moments when other work shared the cores.\n\n")
	b.WriteString("Layers are the depth a forward pass runs (a looped model's unrolled depth), parameters the weights stored once ")
	b.WriteString("(a looped block counts once), FLOPs the training compute at the unrolled depth. ")
	b.WriteString("*block sim*: R(k) of the final weights, k = the growth block — the mean cosine similarity of each weight ")
	b.WriteString("matrix with the same matrix k layers up (1 for a model looped with block k; the similarity regulariser raises it). ")
	b.WriteString("A row marked † is evaluated from another run's checkpoints: its training numbers are that run's.\n\n")
	b.WriteString("| run | seeds | layers | params | block sim | val loss | val ppl | FLOPs | train time (s) | speedup analytic | speedup measured | speedup median-based |")
	for _, n := range names {
		b.WriteString(" " + n + " |")
	}
	b.WriteString("\n|---|---|---|---|---|---|---|---|---|---|---|---|" + strings.Repeat("---|", len(names)) + "\n")
	for _, g := range gs {
		writeRow(b, g, base)
		for _, n := range names {
			b.WriteString(" " + pm(collect(g.rs, func(r RunResult) float64 { return r.Final.Acc(n) }), "%.3f") + " |")
		}
		b.WriteString("\n")
	}
	writeFinetuneTable(b, gs)
}

// writeRow writes the leading cells of a group's row of the results table (up to the task columns).
func writeRow(b *strings.Builder, g group, base *group) {
	var vl, vp, fl, ts []float64
	for _, r := range g.rs {
		vl, vp = append(vl, r.Final.ValLoss), append(vp, r.Final.ValPPL)
		fl, ts = append(fl, r.FLOPs), append(ts, r.TrainS)
	}
	sa, sm, smed := "—", "—", "—"
	if base != nil {
		bf, bt := stats.Mean(collect(base.rs, func(r RunResult) float64 { return r.FLOPs })), stats.Mean(collect(base.rs, func(r RunResult) float64 { return r.TrainS }))
		sa = fmt.Sprintf("%.2f×", bf/stats.Mean(fl))
		if !g.rs[0].EvalOnly {
			sm = fmt.Sprintf("%.2f×", bt/stats.Mean(ts))
			smed = fmt.Sprintf("%.2f×", stats.Mean(collect(base.rs, MedianTime))/stats.Mean(collect(g.rs, MedianTime)))
		}
	}
	name := g.name
	if g.rs[0].EvalOnly {
		name += " †"
	}
	bs := "—"
	if sims := collect(g.rs, func(r RunResult) float64 { return r.BlockSim }); !math.IsNaN(stats.Mean(sims)) && g.rs[0].SimBlock > 0 {
		bs = fmt.Sprintf("%s (k=%d)", pm(sims, "%.3f"), g.rs[0].SimBlock)
	}
	fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %s | %s | %.3g | %s | %s | %s | %s |", name, len(g.rs), g.rs[0].Layers,
		formatParams(g.rs[0].Params), bs, pm(vl, "%.4f"), pm(vp, "%.2f"), stats.Mean(fl), pm(ts, "%.0f"), sa, sm, smed)
}

// formatParams writes a parameter count in millions ("—" when unknown).
func formatParams(n int) string {
	if n <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.3gM", float64(n)/1e6)
}

// writeFinetuneTable writes the fine-tuning results, when the runs have them.
func writeFinetuneTable(b *strings.Builder, gs []group) {
	if len(gs[0].rs) > 0 && len(gs[0].rs[0].Final.Finetune) > 0 {
		b.WriteString("\n### After fine-tuning (mean ± std over fine-tuning seeds and runs)\n\n| run |")
		for _, f := range gs[0].rs[0].Final.Finetune {
			b.WriteString(" " + f.Name + " |")
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(gs[0].rs[0].Final.Finetune)) + "\n")
		for _, g := range gs {
			b.WriteString("| " + g.name + " |")
			for i := range g.rs[0].Final.Finetune {
				var accs []float64
				for _, r := range g.rs {
					if i < len(r.Final.Finetune) {
						accs = append(accs, r.Final.Finetune[i].Accs...)
					}
				}
				b.WriteString(" " + pm(accs, "%.3f") + " |")
			}
			b.WriteString("\n")
		}
	}
}

func collect(rs []RunResult, f func(RunResult) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// taskGroups are the isoplot groups: a name and the tasks averaged into it.
func taskGroups(names []string) [][2]string {
	var gs [][2]string
	has := func(prefix string) bool {
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				return true
			}
		}
		return false
	}
	for _, g := range [][2]string{{"primitives", ""}, {tasks.Copy, tasks.Copy}, {tasks.VarAssign, tasks.VarAssign}, {tasks.PSM, tasks.PSM}, {"qa", "qa-"}} {
		if g[1] == "" || has(g[1]) {
			gs = append(gs, g)
		}
	}
	return gs
}

// groupAcc averages the accuracies in tasks whose name has the prefix ("" = every primitive, no qa).
func groupAcc(tasks map[string]float64, prefix string) (float64, bool) {
	var s float64
	n := 0
	for name, a := range tasks {
		if (prefix == "" && !strings.HasPrefix(name, "qa-")) || (prefix != "" && strings.HasPrefix(name, prefix)) {
			s += a
			n++
		}
	}
	return s / float64(max(n, 1)), n > 0
}

// figure is one plot of a report: its file name in the plots directory and its caption.
type figure struct{ file, caption string }

// writePlots draws every figure into pd and returns them in the order of the report: loss curves,
// accuracy bars, isoplots, similarity heatmaps.
func writePlots(pd string, gs []group, names []string) ([]figure, error) {
	var figs []figure
	for _, draw := range []func(string, []group, []string) ([]figure, error){lossPlots, accuracyPlot, isoPlots, similarityPlots} {
		fs, err := draw(pd, gs, names)
		if err != nil {
			return nil, err
		}
		figs = append(figs, fs...)
	}
	return figs, nil
}

// lossPlots draws validation loss against FLOPs and against training time, the mean over seeds at
// each evaluation; none when no run has evaluation points.
func lossPlots(pd string, gs []group, _ []string) ([]figure, error) {
	var byFlops, byTime []Series
	for _, g := range gs {
		f, t, l := meanCurve(g.rs)
		if len(l) == 0 {
			continue
		}
		byFlops = append(byFlops, Series{Name: g.name, X: f, Y: l, Points: true})
		byTime = append(byTime, Series{Name: g.name, X: t, Y: l, Points: true})
	}
	if len(byFlops) == 0 {
		return nil, nil
	}
	if err := LinePlot(filepath.Join(pd, "loss_vs_flops.png"), "Validation loss vs compute", "training FLOPs", "validation loss", true, byFlops...); err != nil {
		return nil, err
	}
	if err := LinePlot(filepath.Join(pd, "loss_vs_time.png"), "Validation loss vs wall-clock", "seconds in training steps", "validation loss", false, byTime...); err != nil {
		return nil, err
	}
	return []figure{
		{"loss_vs_flops.png", "Validation loss against training FLOPs"},
		{"loss_vs_time.png", "Validation loss against training wall-clock time"},
	}, nil
}

// accuracyPlot draws the final accuracy per task with ± std over seeds; none without tasks.
func accuracyPlot(pd string, gs []group, names []string) ([]figure, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var bars []Bars
	for _, g := range gs {
		br := Bars{Name: g.name}
		for _, n := range names {
			m, s := stats.MeanStd(collect(g.rs, func(r RunResult) float64 { return r.Final.Acc(n) }))
			br.Values, br.Errs = append(br.Values, m), append(br.Errs, s)
		}
		bars = append(bars, br)
	}
	if err := BarPlot(filepath.Join(pd, "accuracy.png"), "k-shot accuracy per task", "accuracy", names, bars...); err != nil {
		return nil, err
	}
	return []figure{{"accuracy.png", "Final k-shot accuracy per task (error bars: std over seeds)"}}, nil
}

// isoPlots draws, per task group, accuracy against validation log-perplexity over every evaluated
// checkpoint of every run.
func isoPlots(pd string, gs []group, names []string) ([]figure, error) {
	var figs []figure
	for _, tg := range taskGroups(names) {
		var ss []Series
		for _, g := range gs {
			if xs, ys := isoPoints(g.rs, tg[1]); len(xs) > 0 {
				ss = append(ss, Series{Name: g.name, X: xs, Y: ys, Points: true})
			}
		}
		if len(ss) == 0 {
			continue
		}
		file := "iso_" + tg[0] + ".png"
		if err := LinePlot(filepath.Join(pd, file), "Isoplot: "+tg[0], "validation log-perplexity (loss)", tg[0]+" accuracy", false, ss...); err != nil {
			return nil, err
		}
		figs = append(figs, figure{file, "Isoplot: " + tg[0] + " accuracy against validation log-perplexity (every evaluation of every run; left is better loss)"})
	}
	return figs, nil
}

// isoPoints are the (validation loss, accuracy of the task group prefix) pairs of every evaluation of
// rs that has both, sorted by loss.
func isoPoints(rs []RunResult, prefix string) (xs, ys []float64) {
	for _, r := range rs {
		for _, m := range r.Curve {
			if m.ValLoss == nil || m.Tasks == nil {
				continue
			}
			if a, ok := groupAcc(m.Tasks, prefix); ok {
				xs, ys = append(xs, *m.ValLoss), append(ys, a)
			}
		}
	}
	sortXY(xs, ys)
	return xs, ys
}

// similarityPlots draws the layer similarity of the first seed of every run that has one.
func similarityPlots(pd string, gs []group, _ []string) ([]figure, error) {
	var figs []figure
	for _, g := range gs {
		sim := g.rs[0].Similarity
		if len(sim) == 0 {
			continue
		}
		labels := make([]string, len(sim))
		for i := range labels {
			labels[i] = fmt.Sprint(i)
		}
		file := "similarity_" + g.name + ".png"
		if err := Heatmap(filepath.Join(pd, file), "Layer similarity: "+g.name, labels, sim, -1, 1); err != nil {
			return nil, err
		}
		figs = append(figs, figure{file, "Cosine similarity of layer weights: " + g.name})
	}
	return figs, nil
}

// meanCurve averages the evaluation points of runs (same evaluation steps) into FLOPs, time and loss.
func meanCurve(rs []RunResult) (flops, secs, loss []float64) {
	type acc struct{ f, t, l float64 }
	sum := map[int]*acc{}
	cnt := map[int]int{}
	var steps []int
	for _, r := range rs {
		for _, m := range r.Curve {
			if m.ValLoss == nil {
				continue
			}
			if sum[m.Step] == nil {
				sum[m.Step] = &acc{}
				steps = append(steps, m.Step)
			}
			a := sum[m.Step]
			a.f, a.t, a.l = a.f+m.FLOPs, a.t+m.TrainS, a.l+*m.ValLoss
			cnt[m.Step]++
		}
	}
	sort.Ints(steps)
	for _, s := range steps {
		n := float64(cnt[s])
		flops, secs, loss = append(flops, sum[s].f/n), append(secs, sum[s].t/n), append(loss, sum[s].l/n)
	}
	return
}

func sortXY(xs, ys []float64) {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	x2, y2 := make([]float64, len(xs)), make([]float64, len(ys))
	for i, j := range idx {
		x2[i], y2[i] = xs[j], ys[j]
	}
	copy(xs, x2)
	copy(ys, y2)
}

// writeReading states plainly what the numbers say, for the runs against the baseline.
func writeReading(b *strings.Builder, gs []group) {
	var base *group
	for i := range gs {
		if gs[i].name == Baseline {
			base = &gs[i]
		}
	}
	if base == nil {
		return
	}
	b.WriteString("## Reading the numbers\n\n")
	bl := stats.Mean(collect(base.rs, func(r RunResult) float64 { return r.Final.ValLoss }))
	bacc := stats.Mean(collect(base.rs, func(r RunResult) float64 { a, _ := groupAcc(tasksMap(r.Final), ""); return a }))
	for _, g := range gs {
		if g.name == Baseline {
			continue
		}
		l := stats.Mean(collect(g.rs, func(r RunResult) float64 { return r.Final.ValLoss }))
		acc := stats.Mean(collect(g.rs, func(r RunResult) float64 { a, _ := groupAcc(tasksMap(r.Final), ""); return a }))
		fmt.Fprintf(b, "- **%s** ends at validation loss %.4f vs the baseline's %.4f (%+.4f) and mean primitive accuracy %.3f vs %.3f (%+.3f).\n",
			g.name, l, bl, l-bl, acc, bacc, acc-bacc)
	}
	b.WriteString("\nDifferences smaller than the ± over seeds are not evidence either way. The isoplots compare runs at equal loss: ")
	b.WriteString("a run whose points lie above another's at the same x has the better inductive bias for that task group.\n")
}

func tasksMap(r Report) map[string]float64 {
	m := map[string]float64{}
	for _, t := range r.Tasks {
		m[t.Name] = t.Acc
	}
	return m
}

// MedianTime estimates a run's training time robustly: Σ over stages of (steps in the stage) × (the
// stage's median step time), from the metrics log.
func MedianTime(r RunResult) float64 {
	ms := map[int][]float64{}
	for _, m := range r.Curve {
		ms[m.Stage] = append(ms[m.Stage], m.StepMS)
	}
	var total float64
	for _, xs := range ms {
		total += stats.Median(xs) * float64(len(xs)) / 1e3
	}
	return total
}
