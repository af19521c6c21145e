package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"midas/internal/cli"
	"midas/internal/kern"
)

// The CLI tests are scripts in testdata/script (the cmd/go style): each runs the real midas binary
// and checks its output, its files, and that bad input fails with the right one-line message.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"midas":    func() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
		"midasref": func() { os.Exit(midasref(os.Args[1:])) },
	})
}

func TestScripts(t *testing.T) {
	ref, _ := filepath.Abs("../../../shared/ref/llama_ref.py")
	english, _ := filepath.Abs("../../../shared/data/english-pd")
	hfGolden, _ := filepath.Abs("../../internal/model/testdata") // gen_hf_golden.py's checkpoints
	repo, _ := filepath.Abs("../..")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("REF", ref)
			e.Setenv("ENGLISH", english)
			e.Setenv("HFJS", hfjsDir())
			e.Setenv("HFGOLDEN", hfGolden)
			e.Setenv("REPO", repo)
			e.Setenv("PYTHON", transformersPython())
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "torch" { // the reference model and a python with torch to run it
				if _, err := os.Stat(ref); err != nil {
					return false, nil
				}
				return exec.Command("/usr/bin/python3", "-c", "import torch").Run() == nil, nil
			}
			if cond == "pytorch" { // a python with torch (Debian python3-torch), for the Python bridge
				return exec.Command("/usr/bin/python3", "-c", "import torch").Run() == nil, nil
			}
			if cond == "english" { // the workspace's public-domain English (../shared/data/english-pd)
				_, err := os.Stat(english)
				return err == nil, nil
			}
			if cond == "hfjs" { // node with transformers.js and tokenizers.js installed (see hfjsDir)
				_, errNode := exec.LookPath("node")
				_, errPkg := os.Stat(filepath.Join(hfjsDir(), "node_modules", "@huggingface", "transformers"))
				_, errTok := os.Stat(filepath.Join(hfjsDir(), "node_modules", "@huggingface", "tokenizers"))
				return errNode == nil && errPkg == nil && errTok == nil, nil
			}
			if cond == "transformers" { // a python with torch and Hugging Face transformers ($PYTHON)
				return transformersPython() != "", nil
			}
			if cond == "amx" {
				return slices.Contains(kern.Backends(), "amx-bf16"), nil
			}
			return false, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"trajectory": cmdTrajectory,
			"nearloss":   cmdNearLoss,
			"killresume": cmdKillResume,
			"mixedtext":  cmdMixedText,
			"convert":    cmdConvert,
		},
	})
}

// transformersPython is the first of python3 on PATH and Debian's /usr/bin/python3 that imports torch
// and transformers ("" when none does).
func transformersPython() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import torch, transformers").Run() == nil {
			return py
		}
	}
	return ""
}

// hfjsDir is the folder whose node_modules holds @huggingface/transformers and
// @huggingface/tokenizers: $MIDAS_HFJS, else where .ci/run installs them.
func hfjsDir() string {
	if d := os.Getenv("MIDAS_HFJS"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "midas-ci", "hfjs")
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

// cmdKillResume: killresume N TRAINFLAGS... — trains the run of TRAINFLAGS once uninterrupted (into
// ref, counting the fault points of its checkpoint writes), then, for N of those points spread over
// the run, trains it again killed with SIGKILL right at that point (ckpt's MIDAS_FAULT_KILL_AT) and
// resumes until it finishes. Every chain must end with ref's weights, moments and loss trajectory bit
// for bit, and leave no .staging or .tmp-* behind.
func cmdKillResume(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: killresume N trainflags...")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	flags := args[1:]
	out, _ := runMidas(ts, []string{"MIDAS_FAULT_TRACE=1"}, append(flags, "--out", "ref")...)
	points := strings.Count(out, "ckpt: fault point ")
	if points < n {
		ts.Fatalf("the run passes %d fault points, fewer than %d", points, n)
	}
	for i := 0; i < n; i++ {
		k := 1 + i*points/n
		dir := fmt.Sprintf("kill%d", k)
		if _, err := runMidas(ts, []string{fmt.Sprintf("MIDAS_FAULT_KILL_AT=%d", k)}, append(flags, "--out", dir)...); !killed(err) {
			ts.Fatalf("fault point %d: the run was not killed (%v)", k, err)
		}
		// Resume from whatever the kill left (resume finishes an interrupted commit first); killed
		// before the first checkpoint was complete, the run has nothing to resume and starts again.
		// Killed inside the last checkpoint after its marker, the run is complete once recovered.
		if out, err := runMidas(ts, nil, "--resume", dir); err != nil && !strings.Contains(out, "already trained to step") {
			if !strings.Contains(out, "no training state") {
				ts.Fatalf("fault point %d: resume: %v\n%s", k, err, out)
			}
			mustMidas(ts, k, append(flags, "--out", dir)...)
		}
		for _, f := range []string{"model.safetensors", "optimizer.safetensors"} {
			if ts.ReadFile(filepath.Join("ref", f)) != ts.ReadFile(filepath.Join(dir, f)) {
				ts.Fatalf("fault point %d: %s differs from the uninterrupted run's", k, f)
			}
		}
		cmdTrajectory(ts, false, []string{"ref/metrics.jsonl", dir + "/metrics.jsonl"})
		entries, err := os.ReadDir(ts.MkAbs(dir))
		ts.Check(err)
		for _, e := range entries {
			if e.Name() == ".staging" || strings.Contains(e.Name(), ".tmp-") {
				ts.Fatalf("fault point %d: %s left behind", k, e.Name())
			}
		}
		ts.Check(os.RemoveAll(ts.MkAbs(dir)))
	}
	ts.Logf("%d of %d fault points killed and resumed to the uninterrupted result", n, points)
}

// runMidas runs `midas train ARGS` as a child process in the script's directory with extra environment
// variables, returning its combined output.
func runMidas(ts *testscript.TestScript, env []string, args ...string) (string, error) {
	bin := ""
	for _, d := range filepath.SplitList(ts.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "midas")); err == nil {
			bin = filepath.Join(d, "midas")
			break
		}
	}
	if bin == "" {
		ts.Fatalf("no midas program on the script's PATH")
	}
	cmd := exec.Command(bin, append([]string{"train"}, args...)...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = append(os.Environ(), env...)
	for _, v := range []string{"PATH", "HOME", "TMPDIR"} {
		cmd.Env = append(cmd.Env, v+"="+ts.Getenv(v))
	}
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// mustMidas runs `midas train ARGS` and fails the script when it does not succeed.
func mustMidas(ts *testscript.TestScript, k int, args ...string) {
	if out, err := runMidas(ts, nil, args...); err != nil {
		ts.Fatalf("fault point %d: midas train %s: %v\n%s", k, strings.Join(args, " "), err, out)
	}
}

// killed reports whether a child process ended by SIGKILL.
func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
