package ckpt

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trainer_state.json")
	for _, content := range []string{"first", "second, longer content", ""} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("content %q, %v; want %q", got, err, content)
		}
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != fileMode {
		t.Errorf("mode %v, want %v", st.Mode().Perm(), os.FileMode(fileMode))
	}
	assertOnlyFiles(t, dir, "trainer_state.json")
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil); err == nil || !strings.HasPrefix(err.Error(), "ckpt: ") {
		t.Errorf("write into a missing dir: err = %v", err)
	}
}

// failingReader yields some bytes, then an error.
type failingReader struct{ sent bool }

var errRead = errors.New("read failed")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.sent {
		return 0, errRead
	}
	r.sent = true
	return copy(p, "partial"), nil
}

func TestWriteFileAtomicFrom(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenizer.json")
	src := filepath.Join(dir, "src")
	content := strings.Repeat("0123456789abcdef", 1<<14) // 256 KiB: more than one read
	if err := os.WriteFile(src, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteFileAtomicFrom(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != content {
		t.Fatalf("copied %d bytes (%v), want %d", len(got), err, len(content))
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != fileMode { // not the source's 0600
		t.Errorf("mode %v, want %v", st.Mode().Perm(), os.FileMode(fileMode))
	}
	// A failing reader leaves the old content and no temp file.
	err = WriteFileAtomicFrom(path, &failingReader{})
	if !errors.Is(err, errRead) || !strings.HasPrefix(err.Error(), "ckpt: "+path+": ") {
		t.Errorf("err = %v, want ckpt: %s: wrapping %v", err, path, errRead)
	}
	if got, _ := os.ReadFile(path); string(got) != content {
		t.Errorf("a failed write changed %s", path)
	}
	assertOnlyFiles(t, dir, "src", "tokenizer.json")
}

// fillWith returns a WriteDirAtomic fill that writes the named files (content = tag:name) and
// checks that it is given an empty dir next to want.
func fillWith(t *testing.T, want, tag string, names ...string) func(string) error {
	return func(tmp string) error {
		t.Helper()
		if filepath.Dir(tmp) != filepath.Dir(want) || !strings.HasPrefix(filepath.Base(tmp), filepath.Base(want)+".tmp-") {
			t.Errorf("fill got %s, want a temp dir next to %s", tmp, want)
		}
		assertOnlyFiles(t, tmp)
		for _, name := range names {
			if err := WriteFileAtomic(filepath.Join(tmp, name), []byte(tag+":"+name)); err != nil {
				return err
			}
		}
		return nil
	}
}

// assertVersion checks that dir holds exactly the files of fillWith(tag, names...).
func assertVersion(t *testing.T, dir, tag string, names ...string) {
	t.Helper()
	assertOnlyFiles(t, dir, names...)
	for _, name := range names {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != tag+":"+name {
			t.Errorf("%s: %q, %v; want %s version", name, b, err, tag)
		}
	}
}

func TestWriteDirAtomic(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "grown")
	if err := WriteDirAtomic(dir, false, fillWith(t, dir, "v1", "config.json", "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	assertVersion(t, dir, "v1", "config.json", "model.safetensors")
	assertOnlyFiles(t, parent, "grown")

	// Without replace an existing dir is refused before fill runs.
	err := WriteDirAtomic(dir, false, func(string) error { t.Error("fill called"); return nil })
	if !errors.Is(err, fs.ErrExist) || !strings.HasPrefix(err.Error(), "ckpt: "+dir+": ") {
		t.Errorf("err = %v, want ckpt: %s: wrapping fs.ErrExist", err, dir)
	}

	// With replace the old dir's files are all gone, also those the new version lacks.
	if err := WriteDirAtomic(dir, true, fillWith(t, dir, "v2", "config.json", "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	assertVersion(t, dir, "v2", "config.json", "tokenizer.json")
	assertOnlyFiles(t, parent, "grown")

	// A failing fill: its error unchanged, dir untouched, the temp dir removed.
	errFill := errors.New("surgery: fill failed")
	for _, c := range []struct {
		dir     string
		replace bool
	}{{filepath.Join(parent, "new"), false}, {dir, true}} {
		err := WriteDirAtomic(c.dir, c.replace, func(tmp string) error {
			os.WriteFile(filepath.Join(tmp, "partial"), []byte("x"), 0o644)
			return errFill
		})
		if err != errFill {
			t.Errorf("%s, replace=%v: err = %v, want fill's error as it is", c.dir, c.replace, err)
		}
		assertVersion(t, dir, "v2", "config.json", "tokenizer.json")
		assertOnlyFiles(t, parent, "grown")
	}

	// A dir that appears while fill writes is not replaced without replace.
	late := filepath.Join(parent, "late")
	err = WriteDirAtomic(late, false, func(tmp string) error {
		return WriteDirAtomic(late, false, fillWith(t, late, "first", "config.json"))
	})
	if !errors.Is(err, fs.ErrExist) || !strings.HasPrefix(err.Error(), "ckpt: "+late+": ") {
		t.Errorf("err = %v, want ckpt: %s: wrapping fs.ErrExist", err, late)
	}
	assertVersion(t, late, "first", "config.json")
	assertOnlyFiles(t, parent, "grown", "late")

	err = WriteDirAtomic(filepath.Join(parent, "missing", "x"), false, func(string) error { t.Error("fill called"); return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "ckpt: ") {
		t.Errorf("missing parent: err = %v", err)
	}
}

// TestWriteDirAtomicRenameFails: when the new dir cannot be renamed into place, the old one is
// moved back and nothing else is left.
func TestWriteDirAtomicRenameFails(t *testing.T) {
	defer func() { rename = os.Rename }()
	parent := t.TempDir()
	dir := filepath.Join(parent, "grown")
	if err := WriteDirAtomic(dir, false, fillWith(t, dir, "old", "config.json")); err != nil {
		t.Fatal(err)
	}
	errRename := errors.New("rename failed")
	renames := 0
	rename = func(from, to string) error {
		renames++
		if renames == 2 { // dir → .old succeeded; the temp dir → dir fails
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: errRename}
		}
		return os.Rename(from, to)
	}
	err := WriteDirAtomic(dir, true, fillWith(t, dir, "new", "config.json", "model.safetensors"))
	if !errors.Is(err, errRename) || !strings.HasPrefix(err.Error(), "ckpt: rename ") {
		t.Errorf("err = %v, want ckpt: rename ...: %v", err, errRename)
	}
	if renames != 3 {
		t.Errorf("%d renames, want 3 (aside, the failed one, back)", renames)
	}
	assertVersion(t, dir, "old", "config.json")
	assertOnlyFiles(t, parent, "grown")
}

// version returns the CommitDir input for one version of a three-file checkpoint.
func version(tag string) map[string]func(io.Writer) error {
	files := map[string]func(io.Writer) error{}
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		content := tag + ":" + name
		files[name] = func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		}
	}
	return files
}

// readVersion returns the tag if every file of the three-file checkpoint carries the same one,
// and fails the test on a mix.
func readVersion(t *testing.T, dir string) string {
	t.Helper()
	tags := map[string]bool{}
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tag, rest, _ := strings.Cut(string(b), ":")
		if rest != name {
			t.Fatalf("%s holds %q", name, b)
		}
		tags[tag] = true
	}
	if len(tags) != 1 {
		t.Fatalf("mixed versions in %s: %v", dir, tags)
	}
	for tag := range tags {
		return tag
	}
	return ""
}

// TestCommitDirCrash stops CommitDir after every possible number of steps, runs Recover, and checks
// that the directory holds the old version (crash before the COMPLETE marker) or the new one.
func TestCommitDirCrash(t *testing.T) {
	defer func() { commitHook = nil }()
	const nFiles = 3
	crashes := 0
	for k := 0; ; k++ {
		dir := t.TempDir()
		if err := CommitDir(dir, version("old")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte("m"), 0o644); err != nil {
			t.Fatal(err)
		}
		commitHook = func(step int) bool { return step == k }
		err := CommitDir(dir, version("new"))
		commitHook = nil
		if err == nil {
			break // k is past the last step
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("k=%d: %v", k, err)
		}
		crashes++
		did, err := Recover(dir)
		if err != nil {
			t.Fatalf("k=%d: Recover: %v", k, err)
		}
		if !did {
			t.Errorf("k=%d: Recover reported nothing to do after a crash", k)
		}
		want := "new"
		if k <= nFiles { // crashed before the marker was written
			want = "old"
		}
		if got := readVersion(t, dir); got != want {
			t.Errorf("k=%d: recovered version %q, want %q", k, got, want)
		}
		assertOnlyFiles(t, dir, "config.json", "metrics.jsonl", "model.safetensors", "tokenizer.json")
		if did, err := Recover(dir); did || err != nil {
			t.Errorf("k=%d: second Recover = %v, %v; want false, nil", k, did, err)
		}
	}
	// 3 staged writes + marker + 3 renames + 3 clean-up points.
	if want := 3*nFiles + 1; crashes != want {
		t.Errorf("simulated %d crash points, want %d", crashes, want)
	}
}

// TestCommitDirPartialStaging: a crash in the middle of writing a staged file leaves a partial
// file and no marker; Recover must discard it.
func TestCommitDirPartialStaging(t *testing.T) {
	dir := t.TempDir()
	if err := CommitDir(dir, version("old")); err != nil {
		t.Fatal(err)
	}
	staging := filepath.Join(dir, stagingName)
	os.Mkdir(staging, 0o755)
	os.WriteFile(filepath.Join(staging, "config.json"), []byte("new:config.js"), 0o644)
	if did, err := Recover(dir); !did || err != nil {
		t.Fatalf("Recover = %v, %v", did, err)
	}
	if got := readVersion(t, dir); got != "old" {
		t.Errorf("version %q, want old", got)
	}
	assertOnlyFiles(t, dir, "config.json", "model.safetensors", "tokenizer.json")
}

// TestCommitDirAfterCrash: a new commit over an interrupted one first finishes it, then wins.
func TestCommitDirAfterCrash(t *testing.T) {
	defer func() { commitHook = nil }()
	dir := filepath.Join(t.TempDir(), "run", "ckpt") // created by CommitDir
	if err := CommitDir(dir, version("v1")); err != nil {
		t.Fatal(err)
	}
	commitHook = func(step int) bool { return step == 5 } // after the marker and one rename
	if err := CommitDir(dir, version("v2")); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v", err)
	}
	commitHook = nil
	if err := CommitDir(dir, version("v3")); err != nil {
		t.Fatal(err)
	}
	if got := readVersion(t, dir); got != "v3" {
		t.Errorf("version %q, want v3", got)
	}
	assertOnlyFiles(t, dir, "config.json", "model.safetensors", "tokenizer.json")
}

func TestCommitDirErrors(t *testing.T) {
	dir := t.TempDir()
	if err := CommitDir(dir, version("old")); err != nil {
		t.Fatal(err)
	}
	files := version("new")
	files["tokenizer.json"] = func(w io.Writer) error {
		io.WriteString(w, "partial")
		return fmt.Errorf("encoder failed")
	}
	err := CommitDir(dir, files)
	if err == nil || !strings.HasPrefix(err.Error(), "ckpt: ") || !strings.Contains(err.Error(), "tokenizer.json: encoder failed") {
		t.Errorf("err = %v", err)
	}
	if got := readVersion(t, dir); got != "old" {
		t.Errorf("a failed commit changed the dir to %q", got)
	}
	assertOnlyFiles(t, dir, "config.json", "model.safetensors", "tokenizer.json")
	for _, name := range []string{"", "..", "a/b", stagingName, completeName} {
		err := CommitDir(dir, map[string]func(io.Writer) error{name: func(io.Writer) error { return nil }})
		if err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if got := readVersion(t, dir); got != "old" {
		t.Errorf("rejected names changed the dir to %q", got)
	}
}

// TestCommitDirSubset: files not named by a commit are left alone.
func TestCommitDirSubset(t *testing.T) {
	dir := t.TempDir()
	if err := CommitDir(dir, version("old")); err != nil {
		t.Fatal(err)
	}
	if err := CommitDir(dir, map[string]func(io.Writer) error{
		"trainer_state.json": func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err },
	}); err != nil {
		t.Fatal(err)
	}
	if got := readVersion(t, dir); got != "old" {
		t.Errorf("version %q, want old", got)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "trainer_state.json"))
	if !reflect.DeepEqual(string(got), "{}") {
		t.Errorf("trainer_state.json = %q", got)
	}
	if did, err := Recover(dir); did || err != nil {
		t.Errorf("Recover on a clean dir = %v, %v", did, err)
	}
}

// TestWriteDirAtomicRecovers: leftovers of a killed WriteDirAtomic are cleaned by the next one — an
// incomplete temp dir is removed, and an old version moved aside is restored when the kill came
// before the new one was in place (and dropped when it came after).
func TestWriteDirAtomicRecovers(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	mk := func(path, content string) {
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "f"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Killed between moving the old version aside and renaming the new one: dir is missing.
	mk(filepath.Join(parent, "out.tmp-123"), "new")
	mk(filepath.Join(parent, "out.tmp-123.old"), "old")
	mk(filepath.Join(parent, "out.tmp-456"), "partial")
	err := WriteDirAtomic(dir, false, func(string) error { return nil })
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("the restored old version should make a write without replace fail: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "old" {
		t.Fatalf("dir holds %q, want the restored old version", b)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("leftovers survive: %v", entries)
	}
	// Killed after the new version was in place: the .old copy is dropped.
	mk(filepath.Join(parent, "out.tmp-789.old"), "older")
	if err := WriteDirAtomic(dir, true, func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "f"), []byte("newest"), 0o644) }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "newest" {
		t.Fatalf("dir holds %q", b)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Fatalf("leftovers survive: %v", entries)
	}
}
