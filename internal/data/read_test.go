package data

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadTexts(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	writeFile(t, p("plain.txt"), []byte("\uFEFFHello\r\nworld\n"))
	writeFile(t, p("notes"), []byte("no extension"))
	writeFile(t, p("story.txt.gz"), gz(t, []byte("zipped text\n")))
	writeFile(t, p("rows.jsonl.gz"), gz(t, []byte(`{"text":"one"}`+"\n\n"+`{"text":"two","id":2}`+"\n")))
	writeFile(t, p("rows.jsonl"), []byte(`{"text":"a"}`+"\r\n"+`{"text":""}`+"\n"+`{"text":"c\r\nd"}`))
	writeFile(t, p("arr.json"), []byte(`[{"text":"x"},{"text":"y"}] {"text":"z"}`))
	// A folder: usable files in sorted path order; others ignored.
	writeFile(t, p("corpus/b.md"), []byte("bee"))
	writeFile(t, p("corpus/a/z.txt"), []byte("zed"))
	writeFile(t, p("corpus/c.gz"), gz(t, []byte("sea")))
	writeFile(t, p("corpus/empty.txt"), nil)
	writeFile(t, p("corpus/image.png"), []byte{0x89, 'P', 'N', 'G', 0xff})
	writeFile(t, p("corpus/old.tar.gz"), gz(t, []byte{0xff, 0xfe}))
	writeFile(t, p("corpus/.hidden/x.txt"), []byte("hidden"))
	writeFile(t, p("corpus/.y.txt"), []byte("hidden"))

	cases := []struct {
		path string
		want []Doc
	}{
		{"plain.txt", []Doc{{p("plain.txt"), "Hello\nworld\n"}}},
		{"notes", []Doc{{p("notes"), "no extension"}}},
		{"story.txt.gz", []Doc{{p("story.txt.gz"), "zipped text\n"}}},
		{"rows.jsonl.gz", []Doc{{p("rows.jsonl.gz") + ":1", "one"}, {p("rows.jsonl.gz") + ":3", "two"}}},
		{"rows.jsonl", []Doc{{p("rows.jsonl") + ":1", "a"}, {p("rows.jsonl") + ":3", "c\nd"}}},
		{"arr.json", []Doc{{p("arr.json") + ":1", "x"}, {p("arr.json") + ":2", "y"}, {p("arr.json") + ":3", "z"}}},
		{"corpus", []Doc{{p("corpus/a/z.txt"), "zed"}, {p("corpus/b.md"), "bee"}, {p("corpus/c.gz"), "sea"}}},
	}
	for _, c := range cases {
		got, _, err := ReadTexts([]string{p(c.path)})
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %q, want %q", c.path, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: doc %d = %q, want %q", c.path, i, got[i], c.want[i])
			}
		}
	}
	all, _, err := ReadTexts([]string{p("plain.txt"), p("corpus")})
	if err != nil || len(all) != 4 || all[0].Text != "Hello\nworld\n" || all[3].Text != "sea" {
		t.Fatalf("two paths: %q, %v", all, err)
	}
}

func TestReadTextsErrors(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	bad := append(bytes.Repeat([]byte("a"), 1234), 0xff, 'b')
	writeFile(t, p("empty.txt"), nil)
	writeFile(t, p("blank.txt"), []byte(" \n\t\n"))
	writeFile(t, p("x.txt"), bad)
	writeFile(t, p("x.txt.gz"), gz(t, bad))
	writeFile(t, p("a.jsonl"), []byte(`{"text":"ok"}`+"\n"+`{"text":"ok"}`+"\n"+`{"body":"no"}`+"\n"))
	writeFile(t, p("num.jsonl"), []byte(`{"text":5}`))
	writeFile(t, p("broken.jsonl"), []byte(`{"text":"ok"}`+"\n"+`{"text":`))
	writeFile(t, p("list.jsonl"), []byte(`["text"]`))
	writeFile(t, p("allempty.jsonl"), []byte(`{"text":""}`))
	writeFile(t, p("bad.json"), []byte(`{"text":"a"} [{"x":1}]`))
	writeFile(t, p("notgz.gz"), []byte("plain"))
	writeFile(t, p("useless/a.png"), []byte("x"))
	writeFile(t, p("useless/b.txt"), nil)
	writeFile(t, p("badfolder/a.txt"), []byte("fine"))
	writeFile(t, p("badfolder/b.txt"), []byte{'o', 'k', 0xc3})

	cases := []struct {
		paths []string
		want  string
	}{
		{nil, "data: no input paths"},
		{[]string{p("missing.txt")}, "data: " + p("missing.txt") + ": no such file or directory"},
		{[]string{p("empty.txt")}, "data: " + p("empty.txt") + ": file is empty"},
		{[]string{p("blank.txt")}, "data: " + p("blank.txt") + ": file is empty"},
		{[]string{p("x.txt")}, "data: " + p("x.txt") + ": invalid UTF-8 at byte 1234"},
		{[]string{p("x.txt.gz")}, "data: " + p("x.txt.gz") + ": invalid UTF-8 at byte 1234"},
		{[]string{p("a.jsonl")}, "data: " + p("a.jsonl") + `: line 3: no "text" field`},
		{[]string{p("num.jsonl")}, "data: " + p("num.jsonl") + `: line 1: "text" is not a string`},
		{[]string{p("broken.jsonl")}, "data: " + p("broken.jsonl") + ": line 2: invalid JSON: "},
		{[]string{p("list.jsonl")}, "data: " + p("list.jsonl") + ": line 1: not a JSON object"},
		{[]string{p("allempty.jsonl")}, "data: " + p("allempty.jsonl") + ": no text"},
		{[]string{p("bad.json")}, "data: " + p("bad.json") + `: item 2: no "text" field`},
		{[]string{p("notgz.gz")}, "data: " + p("notgz.gz") + ": not a gzip file"},
		{[]string{p("useless")}, "data: " + p("useless") + ": folder has no usable files"},
		{[]string{p("badfolder")}, "data: " + filepath.Join(p("badfolder"), "b.txt") + ": invalid UTF-8 at byte 2"},
	}
	for _, c := range cases {
		_, _, err := ReadTexts(c.paths)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ReadTexts(%q) error = %v, want prefix %q", c.paths, err, c.want)
		}
	}
}

// TestReadEnglishPD reads the shared public-domain corpus (never copied into the project).
func TestReadEnglishPD(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "english-pd")
	path := filepath.Join(dir, "devils_dictionary.txt.gz")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	docs, _, err := ReadTexts([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	// 383,656 text bytes per ../shared/data/english-pd/README.md (less any CR bytes dropped).
	if len(docs) != 1 || len(docs[0].Text) > 383_656 || len(docs[0].Text) < 380_000 {
		t.Fatalf("devils_dictionary: %d docs, %d bytes", len(docs), len(docs[0].Text))
	}
	train, val := SplitDocs(docs, 0.05)
	if len(val) != 1 || len(train[0].Text)+len(val[0].Text) != len(docs[0].Text) || !strings.HasSuffix(train[0].Text, "\n") {
		t.Fatalf("split of devils_dictionary: train %d bytes, val %d docs", len(train[0].Text), len(val))
	}
	if testing.Short() {
		return
	}
	all, _, err := ReadTexts([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	// README.md and the nine .txt.gz files, in sorted order.
	if len(all) != 10 || !strings.HasSuffix(all[0].Name, "README.md") || !strings.HasSuffix(all[1].Name, "austen.txt.gz") {
		t.Fatalf("english-pd folder: %d docs, first %q", len(all), all[0].Name)
	}
}

// FuzzParseJSONL checks that any JSONL content either parses into docs that all carry text and
// a "path:line" name, or fails with one line that starts with "data: " and names the file.
func FuzzParseJSONL(f *testing.F) {
	f.Add(`{"text":"a"}` + "\n" + `{"text":"b"}`)
	f.Add(`{"text":5}`)
	f.Add(`{"body":"x"}` + "\n")
	f.Add("\n\n[1,2]\n")
	f.Add(`{"text":"\u00e9\r\n"}`)
	f.Fuzz(func(t *testing.T, content string) {
		for _, parse := range []func(string, string) ([]Doc, error){parseJSONL, parseJSON} {
			docs, err := parse("f.jsonl", content)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "data: f.jsonl: ") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %q", err)
				}
				continue
			}
			for _, d := range docs {
				if d.Text == "" || !strings.HasPrefix(d.Name, "f.jsonl:") || strings.Contains(d.Text, "\r\n") {
					t.Fatalf("doc %+v", d)
				}
			}
		}
	})
}

// TestReadReport: a folder walk follows links to files, skips links to folders, other kinds and
// empty files — each named in the report — and devices are refused outright instead of read forever.
func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	text := strings.Repeat("some words of text\n", 10)
	os.MkdirAll(p("corpus/sub"), 0o755)
	os.WriteFile(p("elsewhere.txt"), []byte(text), 0o644)
	os.WriteFile(p("corpus/a.txt"), []byte(text), 0o644)
	os.WriteFile(p("corpus/empty.md"), nil, 0o644)
	os.WriteFile(p("corpus/code.go"), []byte("package x\n"), 0o644)
	if err := os.Symlink(p("elsewhere.txt"), p("corpus/linked.txt")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	os.Symlink(p("corpus/sub"), p("corpus/loop"))
	docs, rep, err := ReadTexts([]string{p("corpus")})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || rep.Read[".txt"] != 2 {
		t.Fatalf("read %d docs, report %+v; want a.txt and the linked file", len(docs), rep)
	}
	want := "2 files read (2 .txt); 3 skipped (1 .go: not a text kind, 1 empty, 1 symlinked folder (not followed; give the folder itself))"
	if got := rep.String(); got != want {
		t.Errorf("report:\n got %s\nwant %s", got, want)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, _, err := ReadTexts([]string{"/dev/zero"})
		if err == nil || err.Error() != "data: /dev/zero: not a file or folder (a device); give text files or folders" {
			t.Errorf("/dev/zero: %v", err)
		}
	}
}

// TestReadCode: a code walk reads the source kinds of CodeExts in sorted path order and skips Go test
// files, testdata folders, other kinds and files that are not UTF-8, each named in the report; a file
// given directly is read whatever its kind; a text walk of a folder of code says how to read it.
func TestReadCode(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	writeFile(t, p("repo/main.go"), []byte("package main\r\n\nfunc main() {}\n"))
	writeFile(t, p("repo/main_test.go"), []byte("package main\n"))
	writeFile(t, p("repo/lib/util.PY"), []byte("def f():\n    return 1\n"))
	writeFile(t, p("repo/lib/testdata/x.go"), []byte("package x\n"))
	writeFile(t, p("repo/lib/gen.s"), []byte("TEXT ·f(SB)\n"))
	writeFile(t, p("repo/README.md"), []byte("# repo\n"))
	writeFile(t, p("repo/latin1.c"), []byte{'i', 'n', 't', ' ', 0xe9, ';', '\n'})
	writeFile(t, p("repo/empty.h"), nil)
	writeFile(t, p("repo/.git/config.go"), []byte("package git\n"))
	writeFile(t, p("notes.json"), []byte(`{"not": "text records"}`))

	docs, rep, err := ReadCode([]string{p("repo"), p("notes.json")})
	if err != nil {
		t.Fatal(err)
	}
	want := []Doc{{p("repo/lib/util.PY"), "def f():\n    return 1\n"}, {p("repo/main.go"), "package main\n\nfunc main() {}\n"},
		{p("notes.json"), `{"not": "text records"}`}}
	if len(docs) != len(want) {
		t.Fatalf("got %q, want %q", docs, want)
	}
	for i := range docs {
		if docs[i] != want[i] {
			t.Errorf("doc %d = %q, want %q", i, docs[i], want[i])
		}
	}
	wantRep := "3 files read (1 .go, 1 .json, 1 .py); 6 skipped (1 .md: not a code kind, 1 .s: not a code kind, " +
		"1 Go test file, 1 empty, 1 invalid UTF-8, 1 testdata folder)"
	if got := rep.String(); got != wantRep {
		t.Errorf("report:\n got %s\nwant %s", got, wantRep)
	}

	// The same folder as text: the README only, and the report says how to read the code (main.go,
	// util.PY, latin1.c, empty.h outnumber it); a folder of nothing but code names the fix.
	docs, rep, err = ReadTexts([]string{p("repo")})
	if err != nil || len(docs) != 1 || docs[0].Text != "# repo\n" {
		t.Errorf("ReadTexts(repo) = %q, %v", docs, err)
	}
	if want := "; " + p("repo") + " holds 4 source files: name it code=" + p("repo") + " to read them"; !strings.HasSuffix(rep.String(), want) {
		t.Errorf("ReadTexts(repo) report %q, want it to end in %q", rep, want)
	}
	writeFile(t, p("gocode/a.go"), []byte("package a\n"))
	writeFile(t, p("gocode/b.go"), []byte("package a\n"))
	writeFile(t, p("gocode/testdata/c.go"), []byte("package c\n")) // a code walk would not read it either
	_, _, err = ReadTexts([]string{p("gocode")})
	if err == nil || !strings.HasSuffix(err.Error(), "with text); "+p("gocode")+" holds 2 source files: name it code="+p("gocode")+" to read them") {
		t.Errorf("ReadTexts(gocode): %v", err)
	}
	_, _, err = ReadCode([]string{p("repo/lib/testdata")}) // the root itself is read, even when named testdata
	if err != nil {
		t.Errorf("ReadCode(testdata root): %v", err)
	}
	writeFile(t, p("docs/a.md"), []byte("text\n"))
	if _, _, err = ReadCode([]string{p("docs")}); err == nil || !strings.Contains(err.Error(), "folder has no usable source files") {
		t.Errorf("ReadCode(docs): %v", err)
	}
}

// TestReportString: kinds and reasons by count, the rarest reasons past maxReasons summed up.
func TestReportString(t *testing.T) {
	var r Report
	for i := 0; i < 3; i++ {
		r.read("a.txt")
	}
	r.read("b.md")
	for i := 0; i < maxReasons+2; i++ {
		for k := 0; k <= i; k++ {
			r.skip("x", fmt.Sprintf("why%02d", i))
		}
	}
	want := "4 files read (3 .txt, 1 .md); 55 skipped (10 why09, 9 why08, 8 why07, 7 why06, 6 why05, 5 why04, 4 why03, 3 why02, 3 for 2 other reasons)"
	if got := r.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestGunzip: a file of two gzip members reads as both (the buffer sized from the last member's
// trailer grows past it), and a truncated or altered file is a "corrupt gzip data" error.
func TestGunzip(t *testing.T) {
	a, b := strings.Repeat("first member. ", 300), "second"
	two := append(gz(t, []byte(a)), gz(t, []byte(b))...)
	got, err := gunzip(two)
	if err != nil || string(got) != a+b {
		t.Fatalf("two members: %d bytes, %v; want %d", len(got), err, len(a+b))
	}
	bad := append([]byte(nil), two...)
	bad[len(bad)-5] ^= 1 // the last member's CRC
	for name, raw := range map[string][]byte{"truncated": two[:len(two)-7], "altered": bad} {
		if _, err := gunzip(raw); err == nil || !strings.Contains(err.Error(), "corrupt gzip data") {
			t.Fatalf("%s: error %v, want corrupt gzip data", name, err)
		}
	}
}
