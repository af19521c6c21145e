package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	good := []struct {
		entry string
		want  Source
	}{
		{"prose=../shared/data/english-pd:0.6", Source{"prose", "../shared/data/english-pd", 0.6, KindText}},
		{"code=/usr/local/go/src:0.3", Source{"code", "/usr/local/go/src", 0.3, KindCode}},
		{"code-py=py:2", Source{"code-py", "py", 2, KindCode}},
		{"Code_2=x:1e-1", Source{"Code_2", "x", 0.1, KindCode}},
		{"math=synthetic:0.1", Source{"math", "synthetic", 0.1, KindSynthetic}},
		{"wiki=dumps", Source{"wiki", "dumps", 0, KindText}},                         // no weight: one-source mixtures
		{"web=C:/data/x", Source{"web", "C:/data/x", 0, KindText}},                   // a ':' not followed by a number is path
		{"web=odd:name:3", Source{"web", "odd:name", 3, KindText}},                   // the weight is after the last ':'
		{"log=a=b.txt:1", Source{"log", "a=b.txt", 1, KindText}},                     // '=' after the first belongs to the path
		{"math=./synthetic:1", Source{"math", "./synthetic", 1, KindText}},           // a folder called synthetic
		{"codex=x:1", Source{"codex", "x", 1, KindCode}},                             // any name starting with code
		{"prose=x:0.25", Source{"prose", "x", 0.25, KindText}},                       // String round trip below
		{"p=x:1000000", Source{"p", "x", 1e6, KindText}},                             // large weights are fine (normalised)
		{"prose=dir with spaces:1", Source{"prose", "dir with spaces", 1, KindText}}, // spaces are kept
	}
	for _, c := range good {
		got, err := ParseSource(c.entry)
		if err != nil || got != c.want {
			t.Errorf("ParseSource(%q) = %+v, %v; want %+v", c.entry, got, err, c.want)
			continue
		}
		if back, err := ParseSource(got.String()); err != nil || back != got {
			t.Errorf("%q: String %q parses to %+v, %v", c.entry, got.String(), back, err)
		}
	}
	bad := []struct{ entry, want string }{
		{"prose=:0.5", `data: source "prose": no path (want NAME=PATH[:WEIGHT])`},
		{"prose=", `data: source "prose": no path (want NAME=PATH[:WEIGHT])`},
		{"prose=dir:0", `data: source "prose": weight 0 is not a positive number`},
		{"prose=dir:-1", `data: source "prose": weight -1 is not a positive number`},
		{"prose=dir:NaN", `data: source "prose": weight NaN is not a positive number`},
		{"prose=dir:Inf", `data: source "prose": weight Inf is not a positive number`},
		{"=dir:1", `data: source "=dir:1": bad name "" (want a letter, then letters, digits, - or _)`},
		{"2x=dir:1", `data: source "2x=dir:1": bad name "2x" (want a letter, then letters, digits, - or _)`},
		{"my source=dir:1", `data: source "my source=dir:1": bad name "my source" (want a letter, then letters, digits, - or _)`},
		{"dir", `data: "dir" is not a named source (want NAME=PATH[:WEIGHT])`},
	}
	for _, c := range bad {
		_, err := ParseSource(c.entry)
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseSource(%q) error = %v\nwant %s", c.entry, err, c.want)
		}
	}
}

func TestNamed(t *testing.T) {
	for entry, want := range map[string]bool{
		"prose=dir:1": true, "=x": true, "dir": false, "./a=b": false, "a/b=c": false, `a\b=c`: false, "@mix.txt": false,
	} {
		if Named(entry) != want {
			t.Errorf("Named(%q) = %v", entry, !want)
		}
	}
}

func TestParseMixture(t *testing.T) {
	ms, err := ParseMixture([]string{"prose=p:3", "code=c:1", "math=synthetic:1"})
	if err != nil || len(ms) != 3 || ms[1].Kind != KindCode || ms[2].Kind != KindSynthetic {
		t.Fatalf("ParseMixture = %+v, %v", ms, err)
	}
	if ms, err := ParseMixture([]string{"code=c"}); err != nil || len(ms) != 1 {
		t.Errorf("one source without a weight: %+v, %v", ms, err)
	}
	bad := []struct {
		entries []string
		want    string
	}{
		{nil, "data: empty mixture"},
		{[]string{"prose=p:1", "extra.txt"}, `data: "extra.txt" is a plain path in a mixture: name every source (NAME=PATH:WEIGHT)`},
		{[]string{"prose=p:1", "prose=q:1"}, `data: source "prose" given twice`},
		{[]string{"a=synthetic:1", "b=synthetic:1"}, `data: sources "a" and "b" are both synthetic (the world's text would repeat)`},
		{[]string{"prose=p:1", "code=c"}, `data: source "code" has no weight (a mixture of several sources needs NAME=PATH:WEIGHT for each)`},
		{[]string{"prose=p:x1", "code=c:1"}, `data: source "prose" has no weight (a mixture of several sources needs NAME=PATH:WEIGHT for each)`},
		{[]string{"prose=p:1", "code=c:0"}, `data: source "code": weight 0 is not a positive number`},
	}
	for _, c := range bad {
		_, err := ParseMixture(c.entries)
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseMixture(%q) error = %v\nwant %s", c.entries, err, c.want)
		}
	}
}

func TestExpandFiles(t *testing.T) {
	dir := t.TempDir()
	mix := writeFile(t, filepath.Join(dir, "mixes", "paper.txt"), []byte(
		"# the paper's mixture, from what every machine has\n\n"+
			"prose=../books:0.6\n"+
			"  code=/abs/src:0.3  \n"+ // spaces around an entry are trimmed
			"math=synthetic:0.1\n"+
			"plain.txt\n"))
	got, err := ExpandFiles([]string{"@" + mix, "other=x:1"})
	want := []string{"prose=" + filepath.Join(dir, "books") + ":0.6", "code=/abs/src:0.3", "math=synthetic:0.1",
		filepath.Join(dir, "mixes", "plain.txt"), "other=x:1"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ExpandFiles = %q, %v\nwant %q", got, err, want)
	}
	for content, msg := range map[string]string{
		"# nothing\n\n":       "data: mixture file " + mix + " has no sources",
		"a=x:1\n@other.txt\n": "data: " + mix + ":2: a mixture file cannot name another (@other.txt)",
		"a=x:-2\n":            "data: " + mix + `:1: source "a": weight -2 is not a positive number`,
		"a b=x:1\n":           "data: " + mix + `:1: source "a b=x:1": bad name "a b" (want a letter, then letters, digits, - or _)`,
	} {
		os.WriteFile(mix, []byte(content), 0o644)
		if _, err := ExpandFiles([]string{"@" + mix}); err == nil || err.Error() != msg {
			t.Errorf("%q: %v\nwant %s", content, err, msg)
		}
	}
	missing := filepath.Join(dir, "missing.txt")
	if _, err := ExpandFiles([]string{"@" + missing}); err == nil || err.Error() != "data: mixture file "+missing+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseSource: any entry either parses into a source that String writes back to an entry
// parsing to the same source, or fails with one line starting with "data: ".
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"prose=dir:0.6", "code=x", "math=synthetic:1", "a=b:c:2", "=x", "a=:1", "a=x:-0", "a=x:1e400", "a=x:0x1p-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		s, err := ParseSource(entry)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: ") || strings.Contains(err.Error(), "\n") && !strings.Contains(entry, "\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if back, err := ParseSource(s.String()); err != nil || back != s {
			t.Fatalf("%q parses to %+v, written %q, which parses to %+v, %v", entry, s, s.String(), back, err)
		}
	})
}
