package tboard

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestGolden: the encoder reproduces, byte for byte, records built by hand in Python with an
// independent CRC-32C (testdata/gen_golden.py), and the reader decodes them.
func TestGolden(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "golden.tfevents"))
	if err != nil {
		t.Fatal(err)
	}
	events := []Event{{WallTime: 1.5, FileVersion: FileVersion}, {WallTime: 2.5, Step: 300, Scalars: []Scalar{{"train/loss", 2.25}}}}
	var got []byte
	for _, e := range events {
		got = append(got, Record(Encode(e))...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%x\nwant\n%x", got, want)
	}
	back, err := Read(filepath.Join("testdata", "golden.tfevents"))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].FileVersion != FileVersion || back[1].Step != 300 || len(back[1].Scalars) != 1 ||
		back[1].Scalars[0] != (Scalar{"train/loss", 2.25}) || back[1].WallTime != 2.5 {
		t.Fatalf("read back %+v", back)
	}
}

// TestWriteRead: a written file reads back with every scalar (NaN included), in order.
func TestWriteRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tb")
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return time.Unix(100, 0) }
	for step := int64(1); step <= 3; step++ {
		if err := w.Scalars(step, []Scalar{{"a", float32(step)}, {"b/c", float32(math.NaN())}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := Read(w.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || evs[0].FileVersion != FileVersion {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	for i, e := range evs[1:] {
		if e.Step != int64(i+1) || e.WallTime != 100 || len(e.Scalars) != 2 || e.Scalars[0] != (Scalar{"a", float32(i + 1)}) ||
			e.Scalars[1].Tag != "b/c" || !math.IsNaN(float64(e.Scalars[1].Value)) {
			t.Errorf("event %d: %+v", i+1, e)
		}
	}
}

// TestReadCorrupt: a flipped byte, a truncated file and an absurd length are errors, not panics.
func TestReadCorrupt(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "golden.tfevents"))
	if err != nil {
		t.Fatal(err)
	}
	huge := Record(nil)
	huge[7] = 0x7f
	for name, b := range map[string][]byte{
		"flipped":   append(append([]byte{}, good[:30]...), append([]byte{good[30] ^ 1}, good[31:]...)...),
		"truncated": good[:len(good)-3],
		"length":    huge,
	} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzDecode: no input makes the protocol-buffer reader panic.
func FuzzDecode(f *testing.F) {
	f.Add(Encode(Event{WallTime: 1, Step: 2, Scalars: []Scalar{{"x", 1}}}))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = Decode(b) })
}
