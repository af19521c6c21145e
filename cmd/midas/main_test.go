package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"midas/internal/cli"
	"midas/internal/kern"
)

// The CLI tests are scripts in testdata/script (the cmd/go style): each runs the real midas binary
// and checks its output, its files, and that bad input fails with the right one-line message.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"midas": func() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	ref, _ := filepath.Abs("../../../shared/ref/llama_ref.py")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("REF", ref)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "torch" { // the reference model and a python with torch to run it
				if _, err := os.Stat(ref); err != nil {
					return false, nil
				}
				return exec.Command("/usr/bin/python3", "-c", "import torch").Run() == nil, nil
			}
			if cond == "amx" {
				return slices.Contains(kern.Backends(), "amx-bf16"), nil
			}
			return false, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"trajectory": cmdTrajectory,
			"nearloss":   cmdNearLoss,
		},
	})
}

// cmdTrajectory: trajectory A B — the metrics logs A and B hold the same steps with bitwise-equal
// training and validation losses and gradient norms (timing fields are ignored).
func cmdTrajectory(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: trajectory metricsA metricsB")
	}
	read := func(name string) []string {
		f, err := os.Open(ts.MkAbs(name))
		ts.Check(err)
		defer f.Close()
		var out []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var m struct {
				Step     int
				Loss     float64
				GradNorm float64  `json:"grad_norm"`
				ValLoss  *float64 `json:"val_loss"`
			}
			ts.Check(json.Unmarshal(sc.Bytes(), &m))
			v := "-"
			if m.ValLoss != nil {
				v = strconv.FormatUint(math.Float64bits(*m.ValLoss), 16)
			}
			out = append(out, strconv.Itoa(m.Step)+" "+strconv.FormatUint(math.Float64bits(m.Loss), 16)+" "+
				strconv.FormatUint(math.Float64bits(m.GradNorm), 16)+" "+v)
		}
		return out
	}
	a, b := read(args[0]), read(args[1])
	same := strings.Join(a, "\n") == strings.Join(b, "\n")
	if len(a) == 0 {
		ts.Fatalf("%s is empty", args[0])
	}
	if same == neg {
		ts.Fatalf("trajectories of %s and %s: equal=%v (%d and %d steps)", args[0], args[1], same, len(a), len(b))
	}
}

// cmdNearLoss: nearloss A B TOL — files A and B each hold a line "loss X" and the values differ by at most TOL.
func cmdNearLoss(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: nearloss fileA fileB tol")
	}
	get := func(name string) float64 {
		for _, line := range strings.Split(ts.ReadFile(name), "\n") {
			if v, ok := strings.CutPrefix(line, "loss "); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ts.Check(err)
				return f
			}
		}
		ts.Fatalf("%s has no 'loss X' line", name)
		return 0
	}
	a, b := get(args[0]), get(args[1])
	tol, err := strconv.ParseFloat(args[2], 64)
	ts.Check(err)
	ts.Logf("losses %.6f and %.6f (difference %.2g)", a, b, math.Abs(a-b))
	if (math.Abs(a-b) <= tol) == neg {
		ts.Fatalf("losses %.6f and %.6f: |difference| %.3g vs tolerance %g", a, b, math.Abs(a-b), tol)
	}
}
