package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"train", "train a model (on the embedded synthetic corpus unless --data is given)", runTrain},
	{"compare", "train baseline, gradstack and midas on the same data and seeds; write a report with plots", runCompare},
	{"demo", "the main job: a small baseline/gradstack/midas comparison on the synthetic corpus (~6 min)", runDemo},
	{"eval", "validation loss, k-shot accuracy on reasoning primitives and held-out questions", runEval},
	{"primitives", "print reasoning-primitive examples (copy, varassign, psm) as JSONL", runPrimitives},
	{"score", "mean next-token loss of token lists under a checkpoint", runScore},
	{"sample", "generate text from a checkpoint", runSample},
	{"tokenize", "text to token ids as JSON (or --decode ids to text) with a checkpoint's tokenizer", runTokenize},
	{"bench", "measure training speed on random tokens (optionally next to PyTorch)", runBench},
	{"grow", "grow a Hugging Face Llama checkpoint (midas, gradstack, double, map)", runGrow},
	{"plan", "print the stage schedule and FLOPs of a gradual-stacking run", runPlan},
	{"study", "run a whole study (run types × seeds × protocols, statistics, isoplots) and write its report", runStudy},
	{"similarity", "cosine similarity of every pair of layers and blocks: heatmap PNG and CSV", runSimilarity},
}

// errUsage marks errors after which the usage has already been printed.
var errUsage = errors.New("usage")

// Main runs the midas command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintln(stderr, "midas "+c.name+": "+oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "midas: unknown command %q (run 'midas help')\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "midas trains Llama-style language models with gradual stacking on a CPU.")
	fmt.Fprintln(w, "\nUsage: midas <command> [flags]   (midas <command> --help for its flags)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, fmt.Sprintf("  %-11s %s", c.name, c.summary))
	}
	sort.Strings(names)
	fmt.Fprintln(w, strings.Join(names, "\n"))
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// newFlags makes a flag set that prints its usage to stderr and reports errors as errUsage.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: midas %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; errors other than --help become errUsage (the flag package already printed them).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

// listFlag is a repeatable, comma-separable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
