package ckpt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// maxHeader bounds the JSON header of a safetensors file, as the reference implementation does.
const maxHeader = 100 << 20

// metadataKey is the reserved header key holding the string-to-string metadata.
const metadataKey = "__metadata__"

// Tensor is a named float32 tensor: Data holds the elements of Shape in row-major order.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Info is one header entry of a safetensors file. Begin and End are absolute byte offsets in the
// file (the header's data_offsets plus 8 plus the header length); End-Begin is the product of
// Shape times the size of DType.
type Info struct {
	Name, DType string
	Shape       []int
	Begin, End  int64
}

// NumElements returns the product of the shape (1 for a scalar).
func (in Info) NumElements() int64 {
	n := int64(1)
	for _, d := range in.Shape {
		n *= int64(d)
	}
	return n
}

// File is an open safetensors file: the header is parsed and validated by Open, tensor data is read
// lazily. Its methods are safe for concurrent use.
type File struct {
	path     string
	r        io.ReaderAt
	closer   io.Closer
	infos    []Info // sorted by Begin
	byName   map[string]int
	metadata map[string]string
}

// Open opens a safetensors file and validates its header against the file size.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ckpt: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ckpt: %w", err)
	}
	sf, err := openReader(path, f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// openReader parses and validates the header of a safetensors image of the given size; name is
// used in errors only.
func openReader(name string, r io.ReaderAt, size int64) (*File, error) {
	fail := func(format string, args ...any) (*File, error) {
		return nil, fmt.Errorf("ckpt: %s: "+format, append([]any{name}, args...)...)
	}
	if size < 8 {
		return fail("file is %d bytes, shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return fail("read header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeader {
		return fail("header length %d exceeds the %d-byte limit", n, maxHeader)
	}
	if int64(n) > size-8 {
		return fail("header length %d exceeds the file size %d", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return fail("read header: %v", err)
	}
	dataStart := 8 + int64(n)
	infos, meta, err := parseHeader(hdr, dataStart)
	if err != nil {
		return fail("%v", err)
	}
	if err := checkLayout(infos, dataStart, size); err != nil {
		return fail("%v", err)
	}
	f := &File{path: name, r: r, infos: infos, byName: make(map[string]int, len(infos)), metadata: meta}
	for i, in := range infos {
		f.byName[in.Name] = i
	}
	return f, nil
}

// headerEntry is the JSON form of one tensor in the header.
type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// parseHeader decodes the header JSON into infos (in header order, absolute offsets) and metadata,
// checking everything that does not depend on the file size.
func parseHeader(hdr []byte, dataStart int64) ([]Info, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("header is not a JSON object")
	}
	var infos []Info
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header is not JSON: %v", err)
		}
		name, _ := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, nil, fmt.Errorf("duplicate name %q in header", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header is not JSON: %v", err)
		}
		if name == metadataKey {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("%s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		in, err := parseEntry(name, raw, dataStart)
		if err != nil {
			return nil, nil, err
		}
		infos = append(infos, in)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, fmt.Errorf("header is not JSON: %v", err)
	}
	// Only the padding may follow the object.
	if len(bytes.TrimRight(hdr[dec.InputOffset():], " \t\r\n")) != 0 {
		return nil, nil, errors.New("header is not JSON: trailing bytes after the object")
	}
	return infos, meta, nil
}

// parseEntry validates one tensor entry: dtype, shape, and offsets consistent with the shape.
func parseEntry(name string, raw json.RawMessage, dataStart int64) (Info, error) {
	var e headerEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return Info{}, fmt.Errorf("tensor %q: bad header entry: %v", name, err)
	}
	size, ok := dtypeSizes[e.DType]
	if !ok {
		return Info{}, fmt.Errorf("tensor %q: unknown dtype %q", name, e.DType)
	}
	if e.Shape == nil {
		return Info{}, fmt.Errorf("tensor %q: missing shape", name)
	}
	if len(e.DataOffsets) != 2 {
		return Info{}, fmt.Errorf("tensor %q: data_offsets must be [begin, end], got %v", name, e.DataOffsets)
	}
	need := int64(size)
	shape := make([]int, len(e.Shape))
	for i, d := range e.Shape {
		if d < 0 {
			return Info{}, fmt.Errorf("tensor %q: negative dimension in shape %v", name, e.Shape)
		}
		if d > 0 && need > math.MaxInt64/2/d {
			return Info{}, fmt.Errorf("tensor %q: shape %v is too large", name, e.Shape)
		}
		need *= d
		shape[i] = int(d)
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin || end > math.MaxInt64/2 {
		return Info{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] out of range", name, begin, end)
	}
	if end-begin != need {
		return Info{}, fmt.Errorf("tensor %q: %s shape %v needs %d bytes, data_offsets [%d, %d] span %d",
			name, e.DType, e.Shape, need, begin, end, end-begin)
	}
	return Info{Name: name, DType: e.DType, Shape: shape, Begin: dataStart + begin, End: dataStart + end}, nil
}

// checkLayout sorts infos by offset and checks that they tile [dataStart, size) exactly.
func checkLayout(infos []Info, dataStart, size int64) error {
	slices.SortStableFunc(infos, func(a, b Info) int {
		if a.Begin != b.Begin {
			return cmpInt64(a.Begin, b.Begin)
		}
		return cmpInt64(a.End, b.End)
	})
	pos := dataStart
	prev := ""
	for _, in := range infos {
		switch {
		case in.Begin < pos:
			return fmt.Errorf("tensor %q overlaps tensor %q (data_offsets [%d, %d])",
				in.Name, prev, in.Begin-dataStart, in.End-dataStart)
		case in.Begin > pos:
			return fmt.Errorf("gap of %d bytes before tensor %q: data_offsets must cover the data exactly",
				in.Begin-pos, in.Name)
		}
		pos = in.End
		prev = in.Name
	}
	if pos > size {
		return fmt.Errorf("truncated: data ends at byte %d, header needs %d", size, pos)
	}
	if pos < size {
		return fmt.Errorf("%d bytes after the last tensor are not covered by data_offsets", size-pos)
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Close closes the underlying file.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Tensors returns the header entries in file order (by offset).
func (f *File) Tensors() []Info {
	out := make([]Info, len(f.infos))
	for i, in := range f.infos {
		in.Shape = slices.Clone(in.Shape)
		out[i] = in
	}
	return out
}

// Metadata returns a copy of the header's __metadata__ (nil if absent).
func (f *File) Metadata() map[string]string {
	if f.metadata == nil {
		return nil
	}
	out := make(map[string]string, len(f.metadata))
	for k, v := range f.metadata {
		out[k] = v
	}
	return out
}

// Info returns the header entry of the named tensor.
func (f *File) Info(name string) (Info, bool) {
	i, ok := f.byName[name]
	if !ok {
		return Info{}, false
	}
	in := f.infos[i]
	in.Shape = slices.Clone(in.Shape)
	return in, true
}

// ReadRaw returns the raw little-endian bytes of the named tensor.
func (f *File) ReadRaw(name string) ([]byte, error) {
	i, ok := f.byName[name]
	if !ok {
		return nil, fmt.Errorf("ckpt: %s: no tensor %q", f.path, name)
	}
	in := f.infos[i]
	buf := make([]byte, in.End-in.Begin)
	if len(buf) == 0 {
		return buf, nil
	}
	if _, err := f.r.ReadAt(buf, in.Begin); err != nil {
		return nil, fmt.Errorf("ckpt: %s: tensor %q: %w", f.path, name, err)
	}
	return buf, nil
}

// ReadFloat32 returns the named tensor converted to float32 (exactly) from F32, BF16 or F16.
func (f *File) ReadFloat32(name string) ([]float32, error) {
	in, ok := f.Info(name)
	if !ok {
		return nil, fmt.Errorf("ckpt: %s: no tensor %q", f.path, name)
	}
	if in.DType != F32 && in.DType != BF16 && in.DType != F16 {
		return nil, fmt.Errorf("ckpt: %s: tensor %q: dtype %s cannot be read as float32", f.path, name, in.DType)
	}
	raw, err := f.ReadRaw(name)
	if err != nil {
		return nil, err
	}
	out := make([]float32, in.NumElements())
	if err := DecodeFloat32(out, in.DType, raw); err != nil {
		return nil, fmt.Errorf("ckpt: %s: tensor %q: %w", f.path, name, err)
	}
	return out, nil
}
