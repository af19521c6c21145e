package ckpt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
)

// Writer streams tensors of mixed dtypes into a new safetensors file: the header (all tensors
// declared up front) is written first, then each tensor's data in declaration order. Close commits
// the file atomically (temp file in the same directory + fsync + rename); until then path is
// untouched. A Writer is not safe for concurrent use.
type Writer struct {
	path  string
	tmp   *os.File
	bw    *bufio.Writer
	infos []Info // declaration order, offsets absolute
	next  int    // index of the next tensor to write
	err   error  // sticky I/O error
	done  bool   // closed or aborted
}

// NewWriter declares the tensors (Begin/End ignored and computed from dtype and shape, in the given
// order) and writes the header to a temp file next to path. Metadata may be nil; the header gets
// {"format": "pt"} unless metadata sets "format" (see withFormat).
func NewWriter(path string, infos []Info, metadata map[string]string) (*Writer, error) {
	hdr, laid, err := buildHeader(infos, metadata)
	if err != nil {
		return nil, fmt.Errorf("ckpt: %s: %w", path, err)
	}
	tmp, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, tmp: tmp, bw: bufio.NewWriterSize(tmp, 1<<20), infos: laid}
	if _, err := w.bw.Write(hdr); err != nil {
		w.Abort()
		return nil, fmt.Errorf("ckpt: %s: %w", path, err)
	}
	return w, nil
}

// buildHeader validates the declarations and returns the full header (length prefix, JSON padded
// with spaces to a multiple of 8) and the infos with absolute offsets.
func buildHeader(infos []Info, metadata map[string]string) ([]byte, []Info, error) {
	var js bytes.Buffer
	js.WriteByte('{')
	m, err := json.Marshal(withFormat(metadata)) // keys sorted
	if err != nil {
		return nil, nil, err
	}
	js.WriteString(`"` + metadataKey + `":`)
	js.Write(m)
	laid := make([]Info, len(infos))
	seen := make(map[string]bool, len(infos))
	var off int64
	for i, in := range infos {
		need, err := declaredBytes(in)
		if err != nil {
			return nil, nil, err
		}
		if seen[in.Name] || in.Name == metadataKey {
			return nil, nil, fmt.Errorf("tensor name %q declared twice or reserved", in.Name)
		}
		seen[in.Name] = true
		if js.Len() > 1 {
			js.WriteByte(',')
		}
		name, _ := json.Marshal(in.Name)
		shape := in.Shape
		if shape == nil {
			shape = []int{} // a scalar: the format needs "shape":[]
		}
		sh, _ := json.Marshal(shape)
		fmt.Fprintf(&js, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, name, in.DType, sh, off, off+need)
		laid[i] = Info{Name: in.Name, DType: in.DType, Shape: slices.Clone(in.Shape), Begin: off, End: off + need}
		off += need
	}
	js.WriteByte('}')
	for js.Len()%8 != 0 {
		js.WriteByte(' ')
	}
	if js.Len() > maxHeader {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the %d-byte limit", js.Len(), maxHeader)
	}
	start := int64(8 + js.Len())
	for i := range laid {
		laid[i].Begin += start
		laid[i].End += start
	}
	out := make([]byte, 8, 8+js.Len())
	binary.LittleEndian.PutUint64(out, uint64(js.Len()))
	return append(out, js.Bytes()...), laid, nil
}

// FormatKey and FormatPT are the metadata entry that every safetensors file midas writes carries
// unless its metadata names another format: transformers (up to 4.47) refuses a model.safetensors
// whose __metadata__ lacks "format", and the writers of the ecosystem put "pt" there.
const (
	FormatKey = "format"
	FormatPT  = "pt"
)

// withFormat returns metadata with FormatKey set to FormatPT when it has no FormatKey (a copy; the
// caller's map is not changed).
func withFormat(metadata map[string]string) map[string]string {
	if _, ok := metadata[FormatKey]; ok {
		return metadata
	}
	out := make(map[string]string, len(metadata)+1)
	for k, v := range metadata {
		out[k] = v
	}
	out[FormatKey] = FormatPT
	return out
}

// declaredBytes checks dtype and shape of a declaration and returns its data size.
func declaredBytes(in Info) (int64, error) {
	size, ok := dtypeSizes[in.DType]
	if !ok {
		return 0, fmt.Errorf("tensor %q: unknown dtype %q", in.Name, in.DType)
	}
	need := int64(size)
	for _, d := range in.Shape {
		if d < 0 {
			return 0, fmt.Errorf("tensor %q: negative dimension in shape %v", in.Name, in.Shape)
		}
		if d > 0 && need > math.MaxInt64/2/int64(d) {
			return 0, fmt.Errorf("tensor %q: shape %v is too large", in.Name, in.Shape)
		}
		need *= int64(d)
	}
	return need, nil
}

// expect checks that name is the next declared tensor and returns its info.
func (w *Writer) expect(name string) (Info, error) {
	if w.done {
		return Info{}, fmt.Errorf("ckpt: %s: write of %q after Close or Abort", w.path, name)
	}
	if w.err != nil {
		return Info{}, w.err
	}
	if w.next == len(w.infos) {
		return Info{}, fmt.Errorf("ckpt: %s: write of %q: all %d declared tensors are already written",
			w.path, name, len(w.infos))
	}
	in := w.infos[w.next]
	if in.Name != name {
		return Info{}, fmt.Errorf("ckpt: %s: write of %q out of order: tensor %q is declared next",
			w.path, name, in.Name)
	}
	return in, nil
}

// WriteRaw writes the raw little-endian bytes of the next declared tensor, which must be name;
// len(raw) must match its dtype and shape.
func (w *Writer) WriteRaw(name string, raw []byte) error {
	in, err := w.expect(name)
	if err != nil {
		return err
	}
	if int64(len(raw)) != in.End-in.Begin {
		return fmt.Errorf("ckpt: %s: tensor %q: got %d bytes, %s shape %v needs %d",
			w.path, name, len(raw), in.DType, in.Shape, in.End-in.Begin)
	}
	if _, err := w.bw.Write(raw); err != nil {
		w.err = fmt.Errorf("ckpt: %s: %w", w.path, err)
		return w.err
	}
	w.next++
	return nil
}

// WriteFloat32 writes the next declared tensor, which must be name, from float32 values converted
// to its declared dtype (F32, BF16 or F16; rounding to nearest even). len(data) must match the shape.
func (w *Writer) WriteFloat32(name string, data []float32) error {
	in, err := w.expect(name)
	if err != nil {
		return err
	}
	if int64(len(data)) != in.NumElements() {
		return fmt.Errorf("ckpt: %s: tensor %q: got %d values, shape %v needs %d",
			w.path, name, len(data), in.Shape, in.NumElements())
	}
	// Convert in chunks so that a large tensor never needs a second full-size buffer.
	const chunk = 1 << 16
	buf := make([]byte, 0, chunk*4)
	for lo := 0; lo < len(data); lo += chunk {
		buf, err = EncodeFloat32(buf[:0], in.DType, data[lo:min(lo+chunk, len(data))])
		if err != nil {
			return fmt.Errorf("ckpt: %s: tensor %q: %w", w.path, name, err)
		}
		if _, err := w.bw.Write(buf); err != nil {
			w.err = fmt.Errorf("ckpt: %s: %w", w.path, err)
			return w.err
		}
	}
	w.next++
	return nil
}

// Close checks that every declared tensor was written, then commits the file atomically. On any
// error the temp file is removed and path is untouched.
func (w *Writer) Close() error {
	if w.done {
		return fmt.Errorf("ckpt: %s: Writer already closed", w.path)
	}
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if w.next < len(w.infos) {
		missing := w.infos[w.next].Name
		n := len(w.infos) - w.next
		w.Abort()
		return fmt.Errorf("ckpt: %s: %d of %d declared tensors not written (next: %q)",
			w.path, n, len(w.infos), missing)
	}
	w.done = true
	if err := w.bw.Flush(); err != nil {
		discardTemp(w.tmp)
		return fmt.Errorf("ckpt: %s: %w", w.path, err)
	}
	return commitTemp(w.tmp, w.path)
}

// Abort discards the temp file; path is untouched. It is a no-op after Close or Abort.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	discardTemp(w.tmp)
}

// WriteFile writes tensors as F32, in the given order, with optional metadata (plus "format": "pt"
// unless it names a format), atomically (temp file
// in the same directory + fsync + rename). Each tensor's Data must hold the product of its Shape.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	infos := make([]Info, len(tensors))
	for i, t := range tensors {
		infos[i] = Info{Name: t.Name, DType: F32, Shape: t.Shape}
	}
	w, err := NewWriter(path, infos, metadata)
	if err != nil {
		return err
	}
	for _, t := range tensors {
		if err := w.WriteFloat32(t.Name, t.Data); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}
