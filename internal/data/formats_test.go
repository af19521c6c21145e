package data

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
)

// zst compresses data as one zstd frame.
func zst(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeParquet writes rows as a parquet file with at most perGroup rows per row group, so that
// a reader must cross row groups (and pages) in order.
func writeParquet[T any](t *testing.T, path string, rows []T, perGroup int64) string {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b, parquet.MaxRowsPerRowGroup(perGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, b.Bytes())
}

// hfRow is a Hugging Face dataset row: a dictionary-encoded, zstd-compressed text column among others.
type hfRow struct {
	ID   int64  `parquet:"id"`
	Text string `parquet:"text,dict,zstd"`
	URL  string `parquet:"url"`
}

// nullableRow has an optional text column.
type nullableRow struct {
	Text *string `parquet:"text,optional"`
}

func TestReadFormats(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	writeFile(t, p("rows.jsonl.zst"), zst(t, []byte(`{"text":"one"}`+"\n\n"+`{"text":"two\r\nlines","id":2}`+"\n")))
	writeFile(t, p("story.txt.zst"), zst(t, []byte("\uFEFFzstd text\n")))
	writeFile(t, p("bare.zst"), zst(t, []byte("bare")))
	var rows []hfRow
	for i, s := range []string{"alpha", "", "beta", "alpha", "gamma\r\nδ", "epsilon"} {
		rows = append(rows, hfRow{ID: int64(i), Text: s, URL: "u"})
	}
	writeParquet(t, p("shard.parquet"), rows, 2) // three row groups
	a, c := "a", ""
	writeParquet(t, p("null.parquet"), []nullableRow{{&a}, {nil}, {&c}, {&a}}, 10)
	writeParquet(t, p("corpus/x.parquet"), rows[:1], 10)
	writeFile(t, p("corpus/y.jsonl.zst"), zst(t, []byte(`{"text":"why"}`)))
	writeFile(t, p("corpus/z.tar.zst"), zst(t, []byte("archive")))
	writeFile(t, p("corpus/w.parquet.gz"), gz(t, []byte("not read")))

	cases := []struct {
		path string
		want []Doc
	}{
		{"rows.jsonl.zst", []Doc{{p("rows.jsonl.zst") + ":1", "one"}, {p("rows.jsonl.zst") + ":3", "two\nlines"}}},
		{"story.txt.zst", []Doc{{p("story.txt.zst"), "zstd text\n"}}},
		{"bare.zst", []Doc{{p("bare.zst"), "bare"}}},
		{"shard.parquet", []Doc{{p("shard.parquet") + ":1", "alpha"}, {p("shard.parquet") + ":3", "beta"},
			{p("shard.parquet") + ":4", "alpha"}, {p("shard.parquet") + ":5", "gamma\nδ"}, {p("shard.parquet") + ":6", "epsilon"}}},
		{"null.parquet", []Doc{{p("null.parquet") + ":1", "a"}, {p("null.parquet") + ":4", "a"}}},
		{"corpus", []Doc{{p("corpus/x.parquet") + ":1", "alpha"}, {p("corpus/y.jsonl.zst") + ":1", "why"}}},
	}
	for _, tc := range cases {
		got, rep, err := ReadTexts([]string{p(tc.path)})
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.path, got, tc.want)
		}
		if tc.path == "corpus" {
			want := "2 files read (1 .jsonl.zst, 1 .parquet); 2 skipped (1 .parquet.gz: not a text kind, 1 .tar.zst: not a text kind)"
			if rep.String() != want {
				t.Errorf("report %q, want %q", rep, want)
			}
		}
	}
}

// textInt has an integer "text" column; noText has none.
type textInt struct {
	Text int64 `parquet:"text"`
}
type noText struct {
	ID   int64  `parquet:"id"`
	Body string `parquet:"body"`
}
type listText struct {
	Text []string `parquet:"text,list"`
}

func TestReadFormatErrors(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	good := zst(t, []byte(`{"text":"fine"}`+"\n"+strings.Repeat(`{"text":"more text"}`+"\n", 200)))
	corrupt := append([]byte(nil), good...)
	for i := 12; i < len(corrupt)-4; i += 7 {
		corrupt[i] ^= 0x5a
	}
	writeFile(t, p("corrupt.jsonl.zst"), corrupt)
	writeFile(t, p("truncated.jsonl.zst"), good[:len(good)/2])
	writeFile(t, p("plain.zst"), []byte("not compressed"))
	writeFile(t, p("bad-utf8.txt.zst"), zst(t, []byte("ok \xff")))
	writeParquet(t, p("notext.parquet"), []noText{{1, "b"}}, 10)
	writeParquet(t, p("int.parquet"), []textInt{{3}}, 10)
	writeParquet(t, p("list.parquet"), []listText{{[]string{"a"}}}, 10)
	writeParquet(t, p("empty.parquet"), []hfRow{{Text: ""}}, 10)
	writeParquet(t, p("utf8.parquet"), []hfRow{{Text: "ok"}, {Text: "bad \xfe"}}, 10)
	writeFile(t, p("junk.parquet"), []byte("PAR1 this is not parquet"))
	// A footer length beyond the file: parquet-go would allocate it (up to 4 GiB) before looking.
	huge, _ := os.ReadFile(writeParquet(t, p("huge.parquet"), []hfRow{{Text: "ok"}}, 10))
	copy(huge[len(huge)-8:], []byte{0xff, 0xff, 0xff, 0xf0})
	writeFile(t, p("huge.parquet"), huge)
	for _, tc := range []struct{ path, want string }{
		{"corrupt.jsonl.zst", "corrupt.jsonl.zst: corrupt zstd data: "},
		{"truncated.jsonl.zst", "truncated.jsonl.zst: corrupt zstd data: "},
		{"plain.zst", "plain.zst: not a zstd file (no zstd frame header)"},
		{"bad-utf8.txt.zst", "bad-utf8.txt.zst: invalid UTF-8 at byte 3"},
		{"notext.parquet", `notext.parquet: no "text" column (columns: id, body)`},
		{"int.parquet", `int.parquet: column "text" is INT64, not a string per row`},
		{"list.parquet", `list.parquet: column "text" is a group (list, map or struct), not a string per row`},
		{"empty.parquet", "empty.parquet: no text (1 rows)"},
		{"utf8.parquet", "utf8.parquet: row 2: invalid UTF-8 at byte 4 of its text"},
		{"junk.parquet", `junk.parquet: not a parquet file: no "PAR1" magic bytes at its start and end`},
		{"huge.parquet", "huge.parquet: not a parquet file: footer length 4043309055 exceeds the file size"},
	} {
		_, _, err := ReadTexts([]string{p(tc.path)})
		if err == nil || !strings.HasPrefix(err.Error(), "data: ") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line with %q", tc.path, err, tc.want)
		}
	}
}

// FuzzReadCompressed feeds arbitrary bytes to the parquet and zstd readers: they return Docs or a
// one-line error, never panic (testdata/fuzz holds a file on which parquet-go itself panics).
func FuzzReadCompressed(f *testing.F) {
	var b bytes.Buffer
	w := parquet.NewGenericWriter[hfRow](&b)
	w.Write([]hfRow{{ID: 1, Text: "seed text"}, {ID: 2, Text: "more"}})
	w.Close()
	f.Add(b.Bytes(), true)
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"), true)
	var z bytes.Buffer
	zw, _ := zstd.NewWriter(&z)
	zw.Write([]byte(`{"text":"a"}` + "\n"))
	zw.Close()
	f.Add(z.Bytes(), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, asParquet bool) {
		name := "x.jsonl.zst"
		if asParquet {
			name = "x.parquet"
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadTexts([]string{path})
		if err != nil && (!strings.HasPrefix(err.Error(), "data: ") || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("error not one line starting with data: %q", err)
		}
	})
}
