package ckpt

import (
	"bufio"
	"fmt"
	"io"
)

// Encode writes tensors as an F32 safetensors stream to w (no temp file: for use inside CommitDir,
// which makes the group of files atomic). Each tensor's Data must hold the product of its Shape. The
// metadata gets "format": "pt" unless it names a format, as in NewWriter.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	infos := make([]Info, len(tensors))
	for i, t := range tensors {
		infos[i] = Info{Name: t.Name, DType: F32, Shape: t.Shape}
	}
	hdr, laid, err := buildHeader(infos, metadata)
	if err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(hdr); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	buf := make([]byte, 0, 1<<18)
	for i, t := range tensors {
		if int64(len(t.Data)) != laid[i].NumElements() {
			return fmt.Errorf("ckpt: tensor %q: got %d values, shape %v needs %d", t.Name, len(t.Data), t.Shape, laid[i].NumElements())
		}
		for lo := 0; lo < len(t.Data); lo += 1 << 16 {
			buf, _ = EncodeFloat32(buf[:0], F32, t.Data[lo:min(lo+1<<16, len(t.Data))])
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("ckpt: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	return nil
}
