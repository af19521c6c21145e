package study

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"midas/internal/eval"
	"midas/internal/grow"
	"midas/internal/tasks"
)

// Measurability bar (issue 12): the baseline must land in [measLo, measHi] on at least measTasks
// primitives under some protocol for the study to be able to show an effect.
const (
	measLo, measHi = 0.15, 0.85
	measTasks      = 4
)

// Cell is one (protocol, primitive, run type) at the last snapshot: accuracy over seeds and examples
// with its interval.
type Cell struct {
	Protocol string   `json:"protocol"`
	Task     string   `json:"task"`
	Run      string   `json:"run"`
	Acc      Interval `json:"accuracy"`
	SeedAccs []float64
	N        int `json:"n"` // examples per seed
}

// Comparison is a paired difference a − b of one primitive under one protocol.
type Comparison struct {
	Protocol string   `json:"protocol"`
	Task     string   `json:"task"`
	A, B     string   `json:"-"`
	Diff     Interval `json:"diff"`
}

// IsoGap is the isoplot gap of run A over run B under one protocol: the fitted lines of mean
// primitive accuracy against validation log-perplexity, compared at X.
type IsoGap struct {
	Protocol string   `json:"protocol"`
	A, B     string   `json:"-"`
	X        float64  `json:"at_val_loss"`
	Gap      Interval `json:"gap"`
}

// Analysis is everything the report says, computed from the records alone.
type Analysis struct {
	Spec       Spec
	Records    []Record
	Tasks      []string
	Cells      []Cell
	Diffs      []Comparison
	Gaps       []IsoGap
	Measurable map[string]int // protocol → primitives where the baseline is within the bar
	// AboveChance: protocol → primitives where the baseline's 95% interval lies above the primitive's
	// chance level (Chance): the bar's band says an effect can show, this that the baseline does
	// better than guessing among the answers the prompt offers.
	AboveChance map[string]int
	TrainS      float64 // pretraining seconds, all runs
	EvalS       float64 // evaluation seconds, all records
}

// Analyze computes the study's tables, comparisons and isoplot gaps from its records.
func Analyze(s Spec, recs []Record) Analysis {
	a := Analysis{Spec: s, Records: recs, Measurable: map[string]int{}, AboveChance: map[string]int{}}
	for _, spec := range tasks.Suite() {
		a.Tasks = append(a.Tasks, spec.Name())
	}
	last := s.Snapshots[len(s.Snapshots)-1]
	final := map[string]bool{}
	for _, r := range recs {
		a.EvalS += r.EvalS
		if r.Step == last && !final[r.Run+fmt.Sprint(r.Seed)] {
			final[r.Run+fmt.Sprint(r.Seed)] = true
			a.TrainS += r.TrainS
		}
	}
	for pi, pr := range s.Protocols {
		chance := s.chances(pr)
		for ti, task := range a.Tasks {
			for _, arm := range s.Arms {
				h := a.hits(pr.Name, task, arm, last)
				c := Cell{Protocol: pr.Name, Task: task, Run: arm, Acc: Bootstrap(h, uint64(pi*100+ti)), SeedAccs: h.SeedAccs(), N: width(h)}
				a.Cells = append(a.Cells, c)
				if arm == eval.Baseline && c.Acc.Est >= measLo && c.Acc.Est <= measHi {
					a.Measurable[pr.Name]++
				}
				if arm == eval.Baseline && c.Acc.Lo > chance[task] {
					a.AboveChance[pr.Name]++
				}
			}
			a.Diffs = append(a.Diffs, a.comparisons(pr.Name, task, last, uint64(pi*100+ti))...)
		}
		a.Gaps = append(a.Gaps, a.isoGaps(pr.Name, uint64(pi))...)
	}
	return a
}

// chances are each primitive's chance level under a protocol: Chance for greedy decoding; for a
// ranking protocol the exact mean over the study's held-out examples of one over their candidates.
func (s Spec) chances(pr Protocol) map[string]float64 {
	out := map[string]float64{}
	for _, spec := range tasks.Suite() {
		out[spec.Name()] = Chance(spec)
		if !pr.Rank || s.N < 1 {
			continue
		}
		exs, err := tasks.Generate(spec, s.N, s.EvalSeed)
		if err != nil {
			continue // the evaluation itself reports it
		}
		var sum float64
		for _, ex := range exs {
			if c, err := tasks.Candidates(spec, ex); err == nil && len(c) > 0 {
				sum += 1 / float64(len(c))
			}
		}
		out[spec.Name()] = sum / float64(len(exs))
	}
	return out
}

// pairs are the comparisons the report makes: MIDAS against each other run type present.
func (a Analysis) pairs() [][2]string {
	var out [][2]string
	if !slices.Contains(a.Spec.Arms, grow.OpMIDAS) {
		return nil
	}
	for _, b := range a.Spec.Arms {
		if b != grow.OpMIDAS {
			out = append(out, [2]string{grow.OpMIDAS, b})
		}
	}
	return out
}

func (a Analysis) comparisons(protocol, task string, step int, seed uint64) []Comparison {
	var out []Comparison
	for _, p := range a.pairs() {
		ha, hb := a.hits(protocol, task, p[0], step), a.hits(protocol, task, p[1], step)
		if len(ha) == 0 || len(ha) != len(hb) {
			continue
		}
		out = append(out, Comparison{Protocol: protocol, Task: task, A: p[0], B: p[1], Diff: Diff(ha, hb, seed)})
	}
	return out
}

// hits gathers one primitive's outcomes of a run type at a step, seeds in order.
func (a Analysis) hits(protocol, task, run string, step int) Hits {
	type seedHits struct {
		seed uint64
		h    []bool
	}
	var rows []seedHits
	for _, r := range a.Records {
		if r.Protocol != protocol || r.Run != run || r.Step != step {
			continue
		}
		for _, t := range r.Tasks {
			if t.Task == task {
				rows = append(rows, seedHits{r.Seed, decodeHits(t.Hits)})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].seed < rows[j].seed })
	out := make(Hits, len(rows))
	for i, r := range rows {
		out[i] = r.h
	}
	return out
}

func decodeHits(s string) []bool {
	out := make([]bool, len(s))
	for i := range s {
		out[i] = s[i] == '1'
	}
	return out
}

// Points are a run type's isoplot points under a protocol: every seed's every snapshot, as mean
// accuracy over the primitives against validation loss. Seeds are numbered from 0 in seed order.
func (a Analysis) Points(protocol, run string) []Point {
	seeds := map[uint64]int{}
	var out []Point
	for _, r := range a.Records {
		if r.Protocol != protocol || r.Run != run {
			continue
		}
		if _, ok := seeds[r.Seed]; !ok {
			seeds[r.Seed] = len(seeds)
		}
		var sum float64
		for _, t := range r.Tasks {
			sum += Hits{decodeHits(t.Hits)}.Acc()
		}
		out = append(out, Point{Seed: seeds[r.Seed], ValLoss: r.ValLoss, Acc: sum / float64(len(r.Tasks))})
	}
	return out
}

func (a Analysis) isoGaps(protocol string, seed uint64) []IsoGap {
	var out []IsoGap
	for _, p := range a.pairs() {
		pa, pb := a.Points(protocol, p[0]), a.Points(protocol, p[1])
		if len(pa) < 2 || len(pb) < 2 {
			continue
		}
		// Compare at the mean validation loss of both run types' points: inside both clouds.
		var sx float64
		for _, q := range append(slices.Clone(pa), pb...) {
			sx += q.ValLoss
		}
		x := sx / float64(len(pa)+len(pb))
		out = append(out, IsoGap{Protocol: protocol, A: p[0], B: p[1], X: x, Gap: Gap(pa, pb, x, a.Spec.Seeds, seed)})
	}
	return out
}

// cell finds a table cell.
func (a Analysis) cell(protocol, task, run string) Cell {
	for _, c := range a.Cells {
		if c.Protocol == protocol && c.Task == task && c.Run == run {
			return c
		}
	}
	return Cell{Acc: Interval{math.NaN(), math.NaN(), math.NaN()}}
}

// Verdicts are the report's conclusions, generated from the comparisons and gaps.
func (a Analysis) Verdicts() []string {
	var out []string
	for _, pr := range a.Spec.Protocols {
		m := a.Measurable[pr.Name]
		meas := "meets"
		if m < measTasks {
			meas = "does not meet"
		}
		out = append(out, fmt.Sprintf("Protocol %s: the baseline lies in [%.2f, %.2f] on %d/%d primitives, so the protocol %s the measurability bar (%d); its 95%% interval lies above the primitive's chance level on %d/%d.",
			pr.Name, measLo, measHi, m, len(a.Tasks), meas, measTasks, a.AboveChance[pr.Name], len(a.Tasks)))
		for _, p := range a.pairs() {
			var above, below, exAbove, exBelow, n int
			for _, d := range a.Diffs {
				if d.Protocol != pr.Name || d.A != p[0] || d.B != p[1] {
					continue
				}
				n++
				switch {
				case d.Diff.Est > 0:
					above++
				case d.Diff.Est < 0:
					below++
				}
				if d.Diff.Lo > 0 {
					exAbove++
				}
				if d.Diff.Hi < 0 {
					exBelow++
				}
			}
			out = append(out, fmt.Sprintf("Protocol %s: %s above %s on %d/%d primitives (below on %d); the 95%% interval excludes 0 on %d in its favour and %d against.",
				pr.Name, p[0], p[1], above, n, below, exAbove, exBelow))
		}
		for _, g := range a.Gaps {
			if g.Protocol != pr.Name {
				continue
			}
			sign := "no significant gap"
			if g.Gap.Lo > 0 {
				sign = fmt.Sprintf("%s reasons better at equal perplexity", g.A)
			} else if g.Gap.Hi < 0 {
				sign = fmt.Sprintf("%s reasons worse at equal perplexity", g.A)
			}
			if k := a.AboveChance[pr.Name]; sign != "no significant gap" && k < measTasks {
				sign += fmt.Sprintf(" — with a caution: the baseline is above chance on only %d/%d primitives under this protocol, so the gap may be one of answer format (how often an answer is one the prompt offers) more than of reasoning",
					k, len(a.Tasks))
			}
			out = append(out, fmt.Sprintf("Protocol %s, isoplot: at validation loss %.3f the %s line is %+.3f [%.3f, %.3f] above the %s line: %s.",
				pr.Name, g.X, g.A, g.Gap.Est, g.Gap.Lo, g.Gap.Hi, g.B, sign))
		}
	}
	return out
}
