package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"strings"
	"time"

	"midas/internal/grow"
	"midas/internal/surgery"
)

func runGrow(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grow", "--op midas|gradstack|double|map --block B [--map 0,1,2,3,2,3] [--identity] [--force] IN_DIR OUT_DIR", stderr)
	op := fs.String("op", grow.OpMIDAS, "growth operator: "+strings.Join(grow.Ops, ", ")+" (--map alone implies map)")
	block := fs.Int("block", 1, "layers per block (ignored by --op map)")
	mapFlag := fs.String("map", "", `source layer of every new layer for --op map, e.g. "0-23,8-31" (SOLAR) or "0,1,1,2"`)
	identity := fs.Bool("identity", false, "zero o_proj and down_proj of the copies, so the grown model computes the same function")
	force := fs.Bool("force", false, "replace OUT_DIR if it exists (only once the new checkpoint is complete)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		if len(pos) > 2 {
			fmt.Fprintf(stderr, "midas grow: want IN_DIR OUT_DIR, got %d arguments\n", len(pos))
		}
		fs.Usage()
		return errUsage
	}
	in, out := pos[0], pos[1]
	if *mapFlag != "" && !setFlags(fs)["op"] {
		*op = grow.OpMap
	}
	var src []int
	if *mapFlag != "" {
		if src, err = grow.ParseSrc(*mapFlag); err != nil {
			return err
		}
	} else if *op == grow.OpMap {
		return errors.New("--op map needs --map with the source layer of every new layer")
	}
	sum, err := surgery.Inspect(in)
	if err != nil {
		return err
	}
	p, err := grow.New(*op, sum.Layers, *block, src)
	if err != nil {
		return err
	}
	p.Identity = *identity
	fmt.Fprintln(stdout, p.String())
	return growDir(in, out, p, sum, *force, stdout, stderr)
}

// growDir runs the surgery with a progress bar and says what it made.
func growDir(in, out string, p grow.Plan, sum surgery.Summary, force bool, stdout, stderr io.Writer) error {
	start := time.Now()
	var bar *progress
	opt := surgery.Options{Force: force, Progress: func(done, total int64) {
		if bar == nil {
			bar = newProgress(stderr, total, "grow")
		}
		bar.Set(done, "tensors")
	}}
	err := surgery.Grow(in, out, p, opt)
	if bar != nil {
		bar.Done()
	}
	if errors.Is(err, iofs.ErrExist) {
		return fmt.Errorf("%w (use --force to replace it)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "grew %s (%d layers, %s, %s) → %s (%d layers) in %s\n", in, sum.Layers,
		strings.ToLower(strings.Join(sum.DTypes, "+")), layoutName(sum.Shards), out, p.To(),
		time.Since(start).Round(time.Millisecond))
	return nil
}

// parseInterspersed parses flags that may come before, between or after the positional arguments
// (midas grow IN OUT --op double), and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// layoutName describes a checkpoint's weight files: "1 file" or "N shards".
func layoutName(shards int) string {
	if shards == 0 {
		return "1 file"
	}
	return fmt.Sprintf("%d shards", shards)
}
