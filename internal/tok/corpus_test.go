package tok

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir is the project's public-domain English corpus (see its README),
// read in place from ../shared relative to the project root.
var sharedDir = filepath.Join("..", "..", "..", "shared", "data", "english-pd")

// sharedText returns the first max bytes (all if max <= 0) of a gzipped file
// of the shared corpus, cut at a line break; it skips the test when the
// corpus is not present.
func sharedText(tb testing.TB, name string, max int) string {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedDir, name))
	if err != nil {
		tb.Skipf("shared corpus not available: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var r io.Reader = zr
	if max > 0 {
		r = io.LimitReader(zr, int64(max))
	}
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	if max > 0 && len(b) == max {
		for len(b) > 0 && b[len(b)-1] != '\n' {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}
