package cli

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"midas/internal/objective"
	"midas/internal/train"
)

// objectiveFlags are the training objective and the UL2 knobs (part of the train flags).
type objectiveFlags struct {
	name, mix, r, x, prefix *string
}

func addObjectiveFlags(fs *flag.FlagSet) objectiveFlags {
	d := objective.DefaultUL2()
	return objectiveFlags{
		name: fs.String("objective", objective.NameCausal, "training objective: causal, or ul2 (the UL2 mixture: causal LM, prefix LM, span corruption)"),
		mix:  fs.String("ul2-mix", d.Mix.String(), "ul2: shares of causal, prefix-LM (S), R- and X-denoiser rows, summing to 1"),
		r:    fs.String("ul2-r", objective.DenoisersString(d.R), "ul2: R-denoisers as meanspan:rate,..."),
		x:    fs.String("ul2-x", objective.DenoisersString(d.X), "ul2: X-denoisers as meanspan:rate,..."),
		prefix: fs.String("ul2-prefix", fmt.Sprintf("%g,%g", d.PrefixMin, d.PrefixMax),
			"ul2: range of an S row's prefix length, as fractions min,max of the window"),
	}
}

// apply writes the objective flags that were given over opt: --objective, then the --ul2-* knobs
// over the defaults (or the --config file's knobs). A knob without --objective ul2 is an error.
func (f objectiveFlags) apply(opt *train.Options, set map[string]bool) error {
	if set["objective"] {
		opt.Objective = *f.name
	}
	if opt.Objective == objective.NameCausal {
		opt.Objective = "" // causal runs write no objective keys, as before the objective existed
	}
	var knobs []string
	for name := range set {
		if strings.HasPrefix(name, "ul2-") {
			knobs = append(knobs, "--"+name)
		}
	}
	sort.Strings(knobs)
	if !opt.IsUL2() {
		if len(knobs) > 0 {
			return fmt.Errorf("%s need --objective ul2", strings.Join(knobs, ", "))
		}
		return nil
	}
	c := opt.UL2Config()
	var err error
	if set["ul2-mix"] {
		if c.Mix, err = objective.ParseMix(*f.mix); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		name string
		dst  *[]objective.Denoiser
		src  string
	}{{"ul2-r", &c.R, *f.r}, {"ul2-x", &c.X, *f.x}} {
		if set[d.name] {
			if *d.dst, err = objective.ParseDenoisers(d.src); err != nil {
				return err
			}
		}
	}
	if set["ul2-prefix"] {
		if c.PrefixMin, c.PrefixMax, err = objective.ParseRange(*f.prefix); err != nil {
			return err
		}
	}
	opt.UL2 = &c
	return nil
}

// printObjective describes a ul2 run's objective in the run header (causal runs print nothing).
func printObjective(w io.Writer, o train.Options) {
	if s := objectiveSetup(o); s != "" {
		fmt.Fprintf(w, "objective: %s\n", s)
	}
}

// objectiveSetup is a ul2 run's objective in words ("" for causal).
func objectiveSetup(o train.Options) string {
	if !o.IsUL2() {
		return ""
	}
	c := o.UL2Config()
	return fmt.Sprintf("ul2 — rows %.0f%% causal, %.0f%% prefix LM (prefix %g–%g of the window), %.0f%% R-denoisers %s, "+
		"%.0f%% X-denoisers %s (meanspan:rate); %d special tokens (mode tokens and sentinels)",
		100*c.Mix.Causal, 100*c.Mix.Prefix, c.PrefixMin, c.PrefixMax, 100*c.Mix.R, objective.DenoisersString(c.R),
		100*c.Mix.X, objective.DenoisersString(c.X), len(o.SpecialTokens()))
}
