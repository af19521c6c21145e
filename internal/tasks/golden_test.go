package tasks

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldenSeed and goldenN pin the first examples of every generator; any change of output (a new
// Go version, a changed format) shows up as a diff. Run `go test ./internal/tasks -update`
// after an intended change.
const (
	goldenSeed = 1
	goldenN    = 6
)

func writeExamples(b *strings.Builder, kind string, exs []Example) {
	for i, ex := range exs {
		fmt.Fprintf(b, "=== %s %d (task %s, depth %d, form %q)\n%s\n--- answer\n%s\n",
			kind, i, ex.Task, ex.Depth, ex.Form, strings.TrimSuffix(ex.Prompt, "\n"), ex.Answer)
	}
}

func specGolden(t *testing.T, s Spec) string {
	var b strings.Builder
	exs, err := Generate(s, goldenN, goldenSeed)
	if err != nil {
		t.Fatal(err)
	}
	writeExamples(&b, "generate", exs)
	shots, err := Shots(s, 2, goldenSeed)
	if err != nil {
		t.Fatal(err)
	}
	writeExamples(&b, "shot", shots)
	b.WriteString("=== fewshot\n" + FewShot(exs[0], shots) + "\n=== end\n")
	return b.String()
}

func mixtureGolden() string {
	var b strings.Builder
	for i, ex := range Mixture(16, goldenSeed) {
		fmt.Fprintf(&b, "%2d %-9s depth %d form %-4q answer %s\n", i, ex.Task, ex.Depth, ex.Form, ex.Answer)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	files := map[string]func() string{"mixture.golden": mixtureGolden}
	for _, s := range Suite() {
		files[s.Name()+".golden"] = func() string { return specGolden(t, s) }
	}
	for name, gen := range files {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", name), gen())
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		// Temp file and rename, as everywhere in midas, so an interrupted run leaves no half file.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < min(len(gl), len(wl)); i++ {
		if gl[i] != wl[i] {
			t.Fatalf("output differs from %s at line %d:\ngot  %q\nwant %q", path, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("output differs from %s in length: %d vs %d lines", path, len(gl), len(wl))
}
