package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
)

// The formats Hugging Face datasets and large corpora ship in: Zstandard-compressed files
// (x.jsonl.zst, x.txt.zst, x.zst; read by the extension of the inner name, like .gz) and parquet
// shards with a string column "text" (one Doc per row, named "path:N" with N the row from 1).

// maxZstdWindow bounds the memory a zstd frame may ask the decoder for (the format's own default
// limit for a decoder is 8 MiB; corpora are written with up to --long=27, 128 MiB).
const maxZstdWindow = 1 << 28

// unzstd decompresses a whole .zst file.
func unzstd(raw []byte) ([]byte, error) {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if !bytes.HasPrefix(raw, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return nil, errors.New("not a zstd file (no zstd frame header)")
	}
	out, err := d.DecodeAll(raw, nil)
	if err != nil {
		return nil, fmt.Errorf("corrupt zstd data: %v", err)
	}
	return out, nil
}

// parquetTextColumn is the column a parquet shard's documents are read from.
const parquetTextColumn = "text"

// readParquet reads the "text" column of a parquet file, one row group and page at a time: one Doc
// per row with a non-empty text (null and empty rows are skipped). In a folder walk (skipEmpty) a
// file without text yields no Doc instead of an error. parquet-go panics on some corrupt files
// (slice bounds from lengths it trusts); that is returned as an error naming the file.
func readParquet(path string, skipEmpty bool) (docs []Doc, err error) {
	defer func() {
		if p := recover(); p != nil {
			docs, err = nil, fmt.Errorf("data: %s: corrupt parquet data (%s)", path, strings.Join(strings.Fields(fmt.Sprint(p)), " "))
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %s", path, describe(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: %s: %s", path, describe(err))
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("data: %s: a parquet file must be a regular file, not %s", path, kindOf(st.Mode()))
	}
	if err := checkParquetFooter(f, st.Size()); err != nil {
		return nil, fmt.Errorf("data: %s: not a parquet file: %v", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("data: %s: not a parquet file: %v", path, oneLine(err))
	}
	col, err := textColumn(pf)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %v", path, err)
	}
	row := 0
	for _, rg := range pf.RowGroups() {
		if err := readColumnChunk(rg.ColumnChunks()[col], func(v parquet.Value) error {
			row++
			if v.IsNull() || len(v.ByteArray()) == 0 {
				return nil
			}
			b := v.ByteArray()
			if off := invalidUTF8(b); off >= 0 {
				return fmt.Errorf("row %d: invalid UTF-8 at byte %d of its text", row, off)
			}
			docs = append(docs, Doc{Name: fmt.Sprintf("%s:%d", path, row), Text: normalize(string(b))})
			return nil
		}); err != nil {
			return nil, fmt.Errorf("data: %s: %v", path, oneLine(err))
		}
	}
	if len(docs) == 0 && !skipEmpty {
		return nil, fmt.Errorf("data: %s: no text (%d rows)", path, row)
	}
	return docs, nil
}

// checkParquetFooter checks the magic bytes at both ends and that the footer's length fits in
// the file, which parquet-go allocates before it looks (a corrupt length would ask for up to 4 GiB).
func checkParquetFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("%d bytes, shorter than a parquet file's magic bytes and footer length", size)
	}
	var head [4]byte
	var tail [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if string(head[:]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return errors.New(`no "PAR1" magic bytes at its start and end`)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("footer length %d exceeds the file size %d", n, size)
	}
	return nil
}

// textColumn finds the top-level string column "text" and returns its leaf index.
func textColumn(pf *parquet.File) (int, error) {
	var names []string
	for _, fl := range pf.Schema().Fields() {
		names = append(names, fl.Name())
	}
	leaf, ok := pf.Schema().Lookup(parquetTextColumn)
	switch {
	case !ok && slices.Contains(names, parquetTextColumn):
		return 0, fmt.Errorf("column %q is a group (list, map or struct), not a string per row", parquetTextColumn)
	case !ok:
		return 0, fmt.Errorf("no %q column (columns: %s)", parquetTextColumn, strings.Join(names, ", "))
	}
	if k := leaf.Node.Type().Kind(); k != parquet.ByteArray || leaf.MaxRepetitionLevel > 0 {
		return 0, fmt.Errorf("column %q is %s, not a string per row", parquetTextColumn, k)
	}
	return leaf.ColumnIndex, nil
}

// readColumnChunk calls fn with every value of a column chunk, in row order.
func readColumnChunk(cc parquet.ColumnChunk, fn func(parquet.Value) error) error {
	pages := cc.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 256)
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if ferr := fn(v); ferr != nil {
					parquet.Release(p)
					return ferr
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(p)
				return err
			}
		}
		parquet.Release(p)
	}
}

// oneLine keeps an error message on one line.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
