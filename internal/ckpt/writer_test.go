package ckpt

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestWriterMixedDTypes streams one tensor of each kind and reads everything back.
func TestWriterMixedDTypes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mixed.safetensors")
	vals := []float32{1, 1 + 0x1p-11, -0.1, 65520, 0x1p-25 * 3, 1e-3}
	i64 := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 42), 1<<40)
	infos := []Info{
		{Name: "f32", DType: F32, Shape: []int{2, 3}},
		{Name: "bf16", DType: BF16, Shape: []int{6}, Begin: 999, End: -5}, // Begin/End are ignored
		{Name: "f16", DType: F16, Shape: []int{3, 2}},
		{Name: "ids", DType: "I64", Shape: []int{2}},
		{Name: "f16raw", DType: F16, Shape: []int{2}},
	}
	w, err := NewWriter(path, infos, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos[:3] {
		if err := w.WriteFloat32(in.Name, vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteRaw("ids", i64); err != nil {
		t.Fatal(err)
	}
	f16raw := []byte{0x00, 0x3c, 0xff, 0x7b} // 1, 65504
	if err := w.WriteRaw("f16raw", f16raw); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("target exists before Close (err %v)", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	assertOnlyFiles(t, dir, "mixed.safetensors")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	round := map[string]func(float32) float32{
		"f32":  func(v float32) float32 { return v },
		"bf16": func(v float32) float32 { return BF16ToF32(F32ToBF16(v)) },
		"f16":  func(v float32) float32 { return F16ToF32(F32ToF16(v)) },
	}
	for name, r := range round {
		got, err := f.ReadFloat32(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if got[i] != r(v) {
				t.Errorf("%s[%d] = %g, want %g", name, i, got[i], r(v))
			}
		}
	}
	// Spot-check the rounding itself: 1+2^-11 ties to 1 in f16, 65520 overflows f16 but not bf16.
	if got, _ := f.ReadFloat32("f16"); got[1] != 1 || !(got[3] > 1e30) {
		t.Errorf("f16 rounding: got %v", got)
	}
	for name, want := range map[string][]byte{"ids": i64, "f16raw": f16raw} {
		if got, err := f.ReadRaw(name); err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadRaw(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	in, _ := f.Info("f16")
	if in.DType != F16 || !reflect.DeepEqual(in.Shape, []int{3, 2}) || in.End-in.Begin != 12 {
		t.Errorf("Info(f16) = %+v", in)
	}
}

func TestWriterOrderAndSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	old := []byte("old content")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	infos := []Info{{Name: "a", DType: F32, Shape: []int{2}}, {Name: "b", DType: BF16, Shape: []int{2}}}
	w, err := NewWriter(path, infos, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkErr := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.HasPrefix(err.Error(), "ckpt: "+path+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", what, err, want)
		}
	}
	checkErr("out of order", w.WriteRaw("b", make([]byte, 4)), `write of "b" out of order: tensor "a" is declared next`)
	checkErr("wrong size", w.WriteRaw("a", make([]byte, 4)), `tensor "a": got 4 bytes, F32 shape [2] needs 8`)
	checkErr("wrong length", w.WriteFloat32("a", []float32{1}), "got 1 values")
	if err := w.WriteRaw("a", make([]byte, 8)); err != nil {
		t.Fatalf("in-order write after rejected ones: %v", err)
	}
	checkErr("unknown name", w.WriteRaw("zz", nil), `tensor "b" is declared next`)
	checkErr("close with a tensor missing", w.Close(), `1 of 2 declared tensors not written (next: "b")`)
	checkErr("write after close", w.WriteRaw("b", make([]byte, 4)), "after Close or Abort")
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Errorf("failed Close replaced the target: %q", got)
	}
	assertOnlyFiles(t, dir, "w.safetensors")

	// All written, then one more; Abort leaves the old file in place.
	w, err = NewWriter(path, infos, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32("a", []float32{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32("b", []float32{1, 2}); err != nil {
		t.Fatal(err)
	}
	checkErr("extra write", w.WriteRaw("c", nil), "all 2 declared tensors are already written")
	w.Abort()
	w.Abort() // idempotent
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Errorf("Abort replaced the target: %q", got)
	}
	assertOnlyFiles(t, dir, "w.safetensors")
}

func TestNewWriterErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	for _, tc := range []struct {
		infos []Info
		want  string
	}{
		{[]Info{{Name: "a", DType: "Q4", Shape: []int{1}}}, `unknown dtype "Q4"`},
		{[]Info{{Name: "a", DType: F32, Shape: []int{2, -1}}}, "negative dimension"},
		{[]Info{{Name: "a", DType: F32}, {Name: "a", DType: F16}}, "declared twice"},
	} {
		if _, err := NewWriter(path, tc.infos, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.infos, err, tc.want)
		}
	}
	if _, err := NewWriter(filepath.Join(dir, "no", "such", "dir", "x"), nil, nil); err == nil {
		t.Error("NewWriter in a missing directory succeeded")
	}
	assertOnlyFiles(t, dir)
}

// TestEncode: the stream form writes the same bytes as WriteFile and works inside CommitDir.
func TestEncode(t *testing.T) {
	dir := t.TempDir()
	tensors := []Tensor{
		{Name: "w", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "b", Shape: []int{0}},
	}
	meta := map[string]string{"step": "7"}
	if err := WriteFile(filepath.Join(dir, "ref.safetensors"), tensors, meta); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "ref.safetensors"))
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Encode bytes differ from WriteFile's")
	}
	err := Encode(&buf, []Tensor{{Name: "x", Shape: []int{3}, Data: []float32{1}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `ckpt: tensor "x": got 1 values, shape [3] needs 3`) {
		t.Errorf("length mismatch: err = %v", err)
	}
	ck := filepath.Join(dir, "ckpt")
	if err := CommitDir(ck, map[string]func(io.Writer) error{
		SingleFileName: func(w io.Writer) error { return Encode(w, tensors, nil) },
	}); err != nil {
		t.Fatal(err)
	}
	m, err := OpenModel(ck)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got, err := m.ReadFloat32("w"); err != nil || !reflect.DeepEqual(got, tensors[0].Data) {
		t.Errorf("ReadFloat32(w) = %v, %v", got, err)
	}
}

// TestFormatMetadata: every writer adds {"format": "pt"} unless the metadata names a format, and
// never changes the caller's map.
func TestFormatMetadata(t *testing.T) {
	dir := t.TempDir()
	ts := []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}
	for _, tc := range []struct {
		name string
		meta map[string]string
		want map[string]string
	}{
		{"nil", nil, map[string]string{"format": "pt"}},
		{"other keys", map[string]string{"step": "3"}, map[string]string{"format": "pt", "step": "3"}},
		{"own format", map[string]string{"format": "np"}, map[string]string{"format": "np"}},
	} {
		before := maps.Clone(tc.meta)
		path := filepath.Join(dir, tc.name+".safetensors")
		if err := WriteFile(path, ts, tc.meta); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, ts, tc.meta); err != nil {
			t.Fatal(err)
		}
		if raw, _ := os.ReadFile(path); !bytes.Equal(raw, buf.Bytes()) {
			t.Errorf("%s: Encode and WriteFile differ", tc.name)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f.Metadata(), tc.want) {
			t.Errorf("%s: metadata %v, want %v", tc.name, f.Metadata(), tc.want)
		}
		f.Close()
		if !reflect.DeepEqual(tc.meta, before) {
			t.Errorf("%s: the caller's metadata changed to %v", tc.name, tc.meta)
		}
	}
}
