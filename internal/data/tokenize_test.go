package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// byteEncoder maps every byte to its value; EOT is 256. Its output does not depend on where a
// text is cut, so Tokenize must reproduce the plain concatenation exactly.
type byteEncoder struct{}

func (byteEncoder) Encode(s string) []int32 {
	out := make([]int32, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = int32(s[i])
	}
	return out
}
func (byteEncoder) EOT() int32 { return 256 }

// wordEncoder gives each whitespace-separated word its length: it is sensitive to where a text is
// cut, which the chunking must keep independent of the worker count.
type wordEncoder struct{}

func (wordEncoder) Encode(s string) []int32 {
	var out []int32
	for _, w := range strings.Fields(s) {
		out = append(out, int32(len(w)))
	}
	return out
}
func (wordEncoder) EOT() int32 { return -1 }

func bigTexts() []string {
	line := "the cat sat on the mat and looked at the river\n"
	long := strings.Repeat(line, 2_500_000/len(line))    // ~2.5 MB: 3 chunks
	noNL := strings.Repeat("wordy words ", 2_200_000/12) // cut at spaces
	solid := strings.Repeat("ä", 1_100_000)              // no space, no newline: cut at a rune
	return []string{"short one", "", long, noNL, solid, "tail\n"}
}

func TestTokenizeWorkers(t *testing.T) {
	texts := bigTexts()
	var want []int32
	for _, s := range texts {
		want = append(want, byteEncoder{}.Encode(s)...)
		want = append(want, 256)
	}
	var ref []int32
	for _, workers := range []int{1, 2, 4, 0} {
		var last, total int64
		calls := 0
		got := Tokenize(texts, byteEncoder{}, workers, func(d, tot int64) {
			if d < last {
				t.Errorf("progress went back from %d to %d", last, d)
			}
			last, total = d, tot
			calls++
		})
		if !slices.Equal(got, want) {
			t.Fatalf("workers %d: byte tokens differ from the concatenation", workers)
		}
		if last != total || total != int64(len(strings.Join(texts, ""))) || calls < 6 {
			t.Errorf("workers %d: progress ended at %d/%d after %d calls", workers, last, total, calls)
		}
		words := Tokenize(texts, wordEncoder{}, workers, nil)
		if ref == nil {
			ref = words
		} else if !slices.Equal(words, ref) {
			t.Fatalf("workers %d: word tokens differ from 1 worker", workers)
		}
	}
	if len(Tokenize(nil, byteEncoder{}, 2, nil)) != 0 {
		t.Fatal("no texts must give no tokens")
	}
}

func TestChunks(t *testing.T) {
	for _, s := range bigTexts() {
		cs := chunks(s)
		if strings.Join(cs, "") != s {
			t.Fatal("chunks lose text")
		}
		for k, c := range cs {
			if k < len(cs)-1 && (len(c) < chunkBytes || len(c) > 2*chunkBytes) {
				t.Errorf("chunk %d has %d bytes", k, len(c))
			}
			if !utf8.ValidString(c) {
				t.Errorf("chunk %d cuts a UTF-8 sequence", k)
			}
			if k < len(cs)-1 && strings.Contains(s, "\n") && !strings.HasSuffix(c, "\n") {
				t.Errorf("chunk %d does not end at a line break", k)
			}
		}
	}
	if n := len(chunks(bigTexts()[2])); n != 3 { // cuts just past 1 MiB and 2 MiB
		t.Errorf("2.5 MB text in %d chunks, want 3", n)
	}
}

// BenchmarkTokenizeEnglishPD measures the plumbing (chunking, workers) with the byte encoder.
func BenchmarkTokenizeEnglishPD(b *testing.B) {
	path := filepath.Join("..", "..", "..", "shared", "data", "english-pd", "moby_dick.txt.gz")
	if _, err := os.Stat(path); err != nil {
		b.Skip(err)
	}
	docs, _, err := ReadTexts([]string{path})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(docs[0].Text)))
	for i := 0; i < b.N; i++ {
		Tokenize([]string{docs[0].Text}, byteEncoder{}, 2, nil)
	}
}
