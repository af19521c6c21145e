package ckpt

import (
	"errors"
	"fmt"
	"io"
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
