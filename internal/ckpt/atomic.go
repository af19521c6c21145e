package ckpt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// fileMode is the permission given to every file this package writes.
const fileMode = 0o644

// WriteFileAtomic writes data to path through a temp file in the same directory, fsyncs it and
// renames it into place, so that readers see either the old file or the complete new one.
func WriteFileAtomic(path string, data []byte) error {
	return WriteFileAtomicFrom(path, bytes.NewReader(data))
}

// WriteFileAtomicFrom is WriteFileAtomic for content read from r until EOF (a file being copied), so
// that it need not fit in memory. If reading fails, the temp file is removed and path is untouched.
func WriteFileAtomicFrom(path string, r io.Reader) error {
	f, err := createTemp(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		discardTemp(f)
		return fmt.Errorf("ckpt: %s: %w", path, err)
	}
	return commitTemp(f, path)
}

// createTemp creates a hidden temp file next to path.
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("ckpt: %s: %w", path, err)
	}
	if err := f.Chmod(fileMode); err != nil {
		discardTemp(f)
		return nil, fmt.Errorf("ckpt: %s: %w", path, err)
	}
	return f, nil
}

// discardTemp closes and removes a temp file, ignoring errors (it is already a failure path).
func discardTemp(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// commitTemp fsyncs and closes a temp file, renames it to path and fsyncs the directory so that
// the rename itself survives a crash. On error the temp file is removed.
func commitTemp(f *os.File, path string) error {
	if err := f.Sync(); err != nil {
		discardTemp(f)
		return fmt.Errorf("ckpt: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("ckpt: %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("ckpt: %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("ckpt: %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory so that renames and creations inside it are durable. Windows cannot
// fsync directories and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Names used by the CommitDir protocol inside a checkpoint directory.
const (
	stagingName  = ".staging"
	completeName = "COMPLETE"
)

// errCrash is returned by CommitDir when commitHook simulates a crash.
var errCrash = errors.New("ckpt: simulated crash")

// commitHook, when set by a test, is called before each step of CommitDir (step 0, 1, ...); if it
// returns true CommitDir stops right there, returning errCrash and leaving the directory exactly
// as a crash at that point would.
var commitHook func(step int) bool

// Fault injection for tests that crash a real process: with MIDAS_FAULT_KILL_AT=N in its environment,
// a process kills itself (SIGKILL on Unix) at the N-th fault point of its life — the points are the
// steps of every CommitDir (before each staged file, before the marker, before each rename and each
// cleanup step) — and with MIDAS_FAULT_TRACE=1 it prints every point it passes to stderr.
var (
	faultCount  int
	faultKillAt = envInt("MIDAS_FAULT_KILL_AT")
	faultTrace  = os.Getenv("MIDAS_FAULT_TRACE") == "1"
)

// faultPoint passes one fault point: it counts it, traces it, kills the process there when asked,
// and reports whether the in-process commitHook simulates a crash at this step.
func faultPoint(step int) bool {
	faultCount++
	if faultTrace {
		fmt.Fprintf(os.Stderr, "ckpt: fault point %d\n", faultCount)
	}
	if faultCount == faultKillAt {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Kill()
			select {} // the signal is on its way
		}
	}
	return commitHook != nil && commitHook(step)
}

// envInt is the integer value of an environment variable, 0 when unset or not a number.
func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

// CommitDir writes a new version of the files into dir atomically as a group: every file is first
// written and fsynced into dir/.staging/, then an empty dir/.staging/COMPLETE marker is written and
// fsynced, then each file is renamed into dir (replacing older versions), then .staging is removed.
// Files in dir that are not in files are left alone (e.g. metrics.jsonl). A crash at any point
// leaves either the old or the new complete version recoverable by Recover.
//
// Keys of files are plain file names (no separators; not ".staging" or "COMPLETE"); each function
// writes the content of its file to w. dir is created if needed, and an interrupted earlier commit
// found there is first finished or discarded by Recover. If a function or a write fails before the
// marker exists, .staging is removed and dir is untouched; if a rename fails after it, .staging is
// left for Recover to roll forward. Concurrent commits to one dir are not supported.
func CommitDir(dir string, files map[string]func(w io.Writer) error) error {
	names := make([]string, 0, len(files))
	for name := range files {
		if err := checkMemberName(name); err != nil {
			return fmt.Errorf("ckpt: %s: %w", dir, err)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	if _, err := Recover(dir); err != nil {
		return err
	}
	staging := filepath.Join(dir, stagingName)
	if err := os.Mkdir(staging, 0o755); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	step := 0
	crash := func() bool {
		defer func() { step++ }()
		return faultPoint(step)
	}
	for _, name := range names {
		if crash() {
			return errCrash
		}
		if err := stageFile(filepath.Join(staging, name), files[name]); err != nil {
			os.RemoveAll(staging)
			return fmt.Errorf("ckpt: %s: %w", dir, err)
		}
	}
	if crash() {
		return errCrash
	}
	// The staged files' directory entries must be durable before the marker that vouches for them.
	if err := syncDir(staging); err != nil {
		os.RemoveAll(staging)
		return fmt.Errorf("ckpt: %s: %w", dir, err)
	}
	if err := stageFile(filepath.Join(staging, completeName), nil); err != nil {
		os.RemoveAll(staging)
		return fmt.Errorf("ckpt: %s: %w", dir, err)
	}
	if err := syncDir(staging); err != nil {
		os.RemoveAll(staging)
		return fmt.Errorf("ckpt: %s: %w", dir, err)
	}
	// From here on the new version is durable; failures leave .staging for Recover.
	return rollForward(dir, names, crash)
}

// checkMemberName rejects names that would escape dir or collide with the protocol's own files.
func checkMemberName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid file name %q", name)
	case strings.ContainsAny(name, `/\`) || filepath.Base(name) != name:
		return fmt.Errorf("file name %q must not contain a path separator", name)
	case name == stagingName || name == completeName:
		return fmt.Errorf("file name %q is reserved", name)
	}
	return nil
}

// stageFile creates path, lets write fill it (nil writes nothing), and fsyncs it.
func stageFile(path string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	if write != nil {
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := write(bw); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rollForward moves the named files from dir/.staging into dir, then removes the marker and
// .staging. crash (may be nil) is the test hook.
func rollForward(dir string, names []string, crash func() bool) error {
	staging := filepath.Join(dir, stagingName)
	for _, name := range names {
		if crash != nil && crash() {
			return errCrash
		}
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("ckpt: %w", err)
		}
	}
	if crash != nil && crash() {
		return errCrash
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("ckpt: %s: %w", dir, err)
	}
	// The marker goes only after every rename is durable: a crash before this point makes
	// Recover redo the (now partial) move, a crash after it makes Recover delete an empty .staging.
	if crash != nil && crash() {
		return errCrash
	}
	if err := os.Remove(filepath.Join(staging, completeName)); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	if crash != nil && crash() {
		return errCrash
	}
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("ckpt: %s: %w", dir, err)
	}
	return nil
}

// Recover finishes or discards an interrupted CommitDir: if dir/.staging/COMPLETE exists, the move
// is rolled forward; otherwise a partial .staging is deleted. Returns whether anything was done.
// Readers call it before reading a checkpoint dir.
func Recover(dir string) (bool, error) {
	staging := filepath.Join(dir, stagingName)
	entries, err := os.ReadDir(staging)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ckpt: %w", err)
	}
	complete := false
	var names []string
	for _, e := range entries {
		if e.Name() == completeName {
			complete = true
			continue
		}
		names = append(names, e.Name())
	}
	if !complete {
		if err := os.RemoveAll(staging); err != nil {
			return true, fmt.Errorf("ckpt: %w", err)
		}
		return true, nil
	}
	return true, rollForward(dir, names, nil)
}

// rename is os.Rename; WriteDirAtomic's test replaces it to make a rename fail.
var rename = os.Rename

// WriteDirAtomic creates the directory dir from what fill writes into an empty temp dir next to it
// (named dir + ".tmp-<random>"): once fill returns nil the temp dir is fsynced, renamed to dir and
// dir's parent fsynced, so that readers see either no dir (or the old one) or the complete new one.
// fill must make the files it writes durable (WriteFileAtomic, WriteFileAtomicFrom and Writer do).
// If fill fails, its error is returned unchanged, the temp dir is removed and dir is untouched.
//
// An existing dir (checked before fill and again before the rename) is an error wrapping
// fs.ErrExist unless replace. With replace it is moved aside to <temp dir>.old, removed only once
// the new dir is in place, and moved back if that rename fails. dir's parent must exist; free disk
// space is not checked. A crash may leave the temp dir or the .old one behind, never a partial dir.
func WriteDirAtomic(dir string, replace bool, fill func(tmp string) error) error {
	if err := recoverDirAtomic(dir); err != nil {
		return err
	}
	if _, err := os.Lstat(dir); err == nil && !replace {
		return fmt.Errorf("ckpt: %s: %w", dir, fs.ErrExist)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	activeTemps.Store(tmp, true)
	defer activeTemps.Delete(tmp)
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := syncDir(tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("ckpt: %s: %w", tmp, err)
	}
	return replaceDir(tmp, dir, replace)
}

// activeTemps are the temp dirs of WriteDirAtomic calls in progress in this process, which
// recoverDirAtomic leaves alone.
var activeTemps sync.Map

// recoverDirAtomic cleans up after an earlier WriteDirAtomic of dir that was killed: an old version
// moved aside (<temp>.old) is moved back when dir is missing (the kill came between the two renames)
// and removed when dir is there; every other leftover temp dir is incomplete and removed. Concurrent
// writers of one dir are not supported.
func recoverDirAtomic(dir string) error {
	parent, prefix := filepath.Dir(dir), filepath.Base(dir)+".tmp-"
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil // a missing parent is reported by the write itself
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".old") || isActive(parent, name) {
			continue
		}
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := rename(filepath.Join(parent, name), dir); err != nil {
				return fmt.Errorf("ckpt: restoring %s from an interrupted write: %w", dir, err)
			}
		}
	}
	for _, e := range entries {
		if name := e.Name(); strings.HasPrefix(name, prefix) && !isActive(parent, name) {
			if err := os.RemoveAll(filepath.Join(parent, name)); err != nil {
				return fmt.Errorf("ckpt: removing %s left by an interrupted write: %w", name, err)
			}
		}
	}
	return nil
}

// isActive reports whether parent/name is (the .old of) a temp dir of a write in progress here.
func isActive(parent, name string) bool {
	_, ok := activeTemps.Load(filepath.Join(parent, strings.TrimSuffix(name, ".old")))
	return ok
}

// replaceDir renames the complete temp dir to dir, moving an existing dir (replace) aside first and
// removing it only after the rename succeeded; if the rename fails it is moved back.
func replaceDir(tmp, dir string, replace bool) error {
	_, err := os.Lstat(dir)
	if err == nil && !replace {
		os.RemoveAll(tmp)
		return fmt.Errorf("ckpt: %s: %w", dir, fs.ErrExist) // appeared while fill was writing
	}
	parent := filepath.Dir(dir)
	if err != nil {
		if err := rename(tmp, dir); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("ckpt: %w", err)
		}
		if err := syncDir(parent); err != nil {
			return fmt.Errorf("ckpt: %s: %w", parent, err)
		}
		return nil
	}
	old := tmp + ".old"
	if err := rename(dir, old); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("ckpt: %w", err)
	}
	if err := rename(tmp, dir); err != nil {
		rename(old, dir)
		os.RemoveAll(tmp)
		return fmt.Errorf("ckpt: %w", err)
	}
	if err := syncDir(parent); err != nil {
		return fmt.Errorf("ckpt: %s: %w", parent, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("ckpt: the new checkpoint is in place, but removing the old one failed: %w", err)
	}
	return nil
}
