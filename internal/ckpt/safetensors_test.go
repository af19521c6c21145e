package ckpt

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// rawFile builds a safetensors image from a literal header and data, padding the header with
// spaces to a multiple of 8 as the format asks.
func rawFile(header string, data []byte) []byte {
	for len(header)%8 != 0 {
		header += " "
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func writeBytes(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWriteFileGolden pins the exact bytes of a one-tensor file: the layout the reference Python
// implementation writes ({"name":{"dtype","shape","data_offsets"}}, space padded), with the
// {"format":"pt"} metadata that transformers' from_pretrained requires (up to 4.47).
func TestWriteFileGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.safetensors")
	if err := WriteFile(path, []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, -2}}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// 1.0 = 0x3f800000, -2.0 = 0xc0000000, little endian.
	want := rawFile(`{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		[]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0})
	if !bytes.Equal(got, want) {
		t.Fatalf("file bytes\n got %q\nwant %q", got, want)
	}
	if n := binary.LittleEndian.Uint64(got); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	tensors := []Tensor{
		{Name: "model.embed_tokens.weight", Shape: []int{3, 2}, Data: []float32{1, 2, 3, 4, 5, float32(math.Inf(-1))}},
		{Name: "empty", Shape: []int{0, 3}, Data: nil},
		{Name: "scalar", Shape: []int{}, Data: []float32{0.5}},
		{Name: "a.first.in.alphabet", Shape: []int{1}, Data: []float32{-7}},
	}
	meta := map[string]string{"format": "pt", "step": "12"}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !reflect.DeepEqual(f.Metadata(), meta) {
		t.Errorf("metadata %v, want %v", f.Metadata(), meta)
	}
	infos := f.Tensors()
	if len(infos) != len(tensors) {
		t.Fatalf("%d tensors, want %d", len(infos), len(tensors))
	}
	raw, _ := os.ReadFile(path)
	dataStart := int64(8 + binary.LittleEndian.Uint64(raw))
	pos := dataStart
	for i, tt := range tensors {
		in := infos[i]
		if in.Name != tt.Name || in.DType != F32 || !reflect.DeepEqual(in.Shape, tt.Shape) {
			t.Errorf("tensor %d: info %+v, want %s F32 %v (declaration order)", i, in, tt.Name, tt.Shape)
		}
		if in.Begin != pos || in.End != pos+4*int64(len(tt.Data)) {
			t.Errorf("%s: offsets [%d, %d], want [%d, %d]", tt.Name, in.Begin, in.End, pos, pos+4*int64(len(tt.Data)))
		}
		pos = in.End
		got, err := f.ReadFloat32(tt.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.Data) {
			t.Fatalf("%s: %d values, want %d", tt.Name, len(got), len(tt.Data))
		}
		for j := range got {
			if got[j] != tt.Data[j] {
				t.Errorf("%s[%d] = %g, want %g", tt.Name, j, got[j], tt.Data[j])
			}
			// The absolute offsets must point at the bytes in the file itself.
			if b := math.Float32bits(tt.Data[j]); binary.LittleEndian.Uint32(raw[in.Begin+4*int64(j):]) != b {
				t.Errorf("%s[%d]: bytes at offset %d differ", tt.Name, j, in.Begin+4*int64(j))
			}
		}
	}
	if pos != int64(len(raw)) {
		t.Errorf("data ends at %d, file has %d bytes", pos, len(raw))
	}
	if _, err := f.ReadFloat32("nope"); err == nil || !strings.Contains(err.Error(), `no tensor "nope"`) {
		t.Errorf("missing tensor: err = %v", err)
	}
	if _, ok := f.Info("nope"); ok {
		t.Error("Info of a missing tensor reported ok")
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"length mismatch", []Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float32{1}}}, "got 1 values, shape [2 2] needs 4"},
		{"duplicate", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, "declared twice"},
		{"negative dim", []Tensor{{Name: "a", Shape: []int{-1}}}, "negative dimension"},
		{"reserved name", []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, "reserved"},
	} {
		err := WriteFile(path, tc.tensors, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "ckpt: "+path+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	assertOnlyFiles(t, dir) // no file and no temp left behind
}

// assertOnlyFiles fails unless dir holds exactly the named entries.
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) || (len(names) > 0 && !reflect.DeepEqual(got, names)) {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// TestReadForeignHeader reads a header written differently from ours: pretty-printed, entry keys
// in another order, tensors listed out of offset order, mixed dtypes.
func TestReadForeignHeader(t *testing.T) {
	hdr := `{
  "w": {"data_offsets": [4, 8], "shape": [2], "dtype": "F16"},
  "__metadata__": {"format": "pt"},
  "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [0, 4]},
  "i": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}
}`
	data := []byte{0x80, 0x3f, 0x00, 0xc0, 0x00, 0x3c, 0x01, 0x00, 7, 0, 0, 0, 0, 0, 0, 0}
	path := writeBytes(t, "foreign.safetensors", rawFile(hdr, data))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var order []string
	for _, in := range f.Tensors() {
		order = append(order, in.Name)
	}
	if !reflect.DeepEqual(order, []string{"b", "w", "i"}) {
		t.Errorf("Tensors order %v, want file order [b w i]", order)
	}
	for _, tc := range []struct {
		name string
		want []float32
	}{
		{"b", []float32{1, -2}},      // bf16 0x3f80, 0xc000
		{"w", []float32{1, 0x1p-24}}, // f16 0x3c00, 0x0001
	} {
		got, err := f.ReadFloat32(tc.name)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ReadFloat32(%s) = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := f.ReadFloat32("i"); err == nil || !strings.Contains(err.Error(), "I64 cannot be read as float32") {
		t.Errorf("ReadFloat32(I64) err = %v", err)
	}
	raw, err := f.ReadRaw("i")
	if err != nil || !bytes.Equal(raw, data[8:]) {
		t.Errorf("ReadRaw(i) = %v, %v", raw, err)
	}
	if f.Metadata()["format"] != "pt" {
		t.Errorf("metadata %v", f.Metadata())
	}
}

func TestHeaderErrors(t *testing.T) {
	f32x2 := `"dtype":"F32","shape":[2]`
	huge := binary.LittleEndian.AppendUint64(nil, 200<<20)
	for _, tc := range []struct {
		name string
		file []byte
		want string // the error after "ckpt: <path>: "
	}{
		{"shorter than 8 bytes", []byte{1, 2, 3}, "file is 3 bytes, shorter than the 8-byte header length"},
		{"header larger than file", binary.LittleEndian.AppendUint64(nil, 64), "header length 64 exceeds the file size 8"},
		{"header over 100 MB", append(huge, "{}      "...), "header length 209715200 exceeds the 104857600-byte limit"},
		{"not JSON", rawFile(`{"a":`, nil), "header is not JSON"},
		{"not an object", rawFile(`[1,2]`, nil), "header is not a JSON object"},
		{"trailing garbage", rawFile(`{} {}`, nil), "trailing bytes after the object"},
		{"unknown dtype", rawFile(`{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "a": unknown dtype "Q4"`},
		{"missing dtype", rawFile(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "a": unknown dtype ""`},
		{"missing shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "a": missing shape`},
		{"shape × size ≠ span", rawFile(`{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}`, make([]byte, 20)), `tensor "a": F32 shape [2 3] needs 24 bytes, data_offsets [0, 20] span 20`},
		{"bf16 size", rawFile(`{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "needs 4 bytes"},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "a": negative dimension in shape [-2]`},
		{"offsets reversed", rawFile(`{"a":{`+f32x2+`,"data_offsets":[8,0]}}`, make([]byte, 8)), `tensor "a": data_offsets [8, 0] out of range`},
		{"offset negative", rawFile(`{"a":{`+f32x2+`,"data_offsets":[-8,0]}}`, make([]byte, 8)), "out of range"},
		{"offsets wrong arity", rawFile(`{"a":{`+f32x2+`,"data_offsets":[0]}}`, make([]byte, 8)), "data_offsets must be [begin, end]"},
		{"overlap", rawFile(`{"a":{`+f32x2+`,"data_offsets":[0,8]},"b":{`+f32x2+`,"data_offsets":[4,12]}}`, make([]byte, 12)), `tensor "b" overlaps tensor "a"`},
		{"same range twice", rawFile(`{"a":{`+f32x2+`,"data_offsets":[0,8]},"b":{`+f32x2+`,"data_offsets":[0,8]}}`, make([]byte, 8)), "overlaps"},
		{"gap between tensors", rawFile(`{"a":{`+f32x2+`,"data_offsets":[0,8]},"b":{`+f32x2+`,"data_offsets":[12,20]}}`, make([]byte, 20)), `gap of 4 bytes before tensor "b"`},
		{"data not starting at 0", rawFile(`{"a":{`+f32x2+`,"data_offsets":[4,12]}}`, make([]byte, 12)), `gap of 4 bytes before tensor "a"`},
		{"uncovered trailing data", rawFile(`{"a":{`+f32x2+`,"data_offsets":[0,8]}}`, make([]byte, 12)), "4 bytes after the last tensor are not covered"},
		{"duplicate names", rawFile(`{"a":{`+f32x2+`,"data_offsets":[0,8]},"a":{`+f32x2+`,"data_offsets":[8,16]}}`, make([]byte, 16)), `duplicate name "a"`},
		{"bad metadata", rawFile(`{"__metadata__":{"n":1}}`, nil), "__metadata__ must map strings to strings"},
		{"huge shape", rawFile(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), "is too large"},
		// Header of 56 bytes + 8 = data from byte 64; 16 bytes needed, 8 present.
		{"truncated", rawFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, make([]byte, 8)), "truncated: data ends at byte 72, header needs 80"},
	} {
		path := writeBytes(t, "model.safetensors", tc.file)
		f, err := Open(path)
		if err == nil {
			f.Close()
			t.Errorf("%s: Open succeeded", tc.name)
			continue
		}
		prefix := "ckpt: " + path + ": "
		if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %q, want %q", tc.name, err, prefix+tc.want)
		}
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none.safetensors"))
	if err == nil || !strings.HasPrefix(err.Error(), "ckpt: ") || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("err = %v, want a ckpt-prefixed not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// FuzzHeader checks that parsing arbitrary bytes never panics, and that whatever parses can be
// read back consistently. Open is os.Open + Stat + openReader, so this covers its parsing.
func FuzzHeader(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.safetensors")
	if err := WriteFile(path, []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, 2}},
		{Name: "s", Shape: []int{}, Data: []float32{3}}}, map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(rawFile(`{"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]},"w":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}`, make([]byte, 8)))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, make([]byte, 8)))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{9}))
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := openReader("fuzz", bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ckpt: fuzz: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		end := int64(-1)
		for _, in := range sf.Tensors() {
			if end >= 0 && in.Begin != end {
				t.Fatalf("tensor %q begins at %d, previous ended at %d", in.Name, in.Begin, end)
			}
			end = in.End
			raw, err := sf.ReadRaw(in.Name)
			if err != nil || int64(len(raw)) != in.End-in.Begin {
				t.Fatalf("ReadRaw(%q): %d bytes, err %v", in.Name, len(raw), err)
			}
			if in.DType == F32 || in.DType == BF16 || in.DType == F16 {
				v, err := sf.ReadFloat32(in.Name)
				if err != nil || int64(len(v)) != in.NumElements() {
					t.Fatalf("ReadFloat32(%q): %d values, err %v", in.Name, len(v), err)
				}
			}
		}
		if end >= 0 && end != int64(len(b)) {
			t.Fatalf("data ends at %d, file has %d bytes", end, len(b))
		}
	})
}
