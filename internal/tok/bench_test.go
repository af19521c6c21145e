package tok

import (
	"fmt"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchTok  *Tokenizer
	benchErr  error
)

// benchTokenizer is trained once on 2 MB of State of the Union addresses
// with 4096 ids (skipped without the shared corpus).
func benchTokenizer(b *testing.B) *Tokenizer {
	train := sharedText(b, "state_of_the_union.txt.gz", 2<<20)
	benchOnce.Do(func() { benchTok, benchErr = Train([]string{train}, 4096) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchTok
}

// BenchmarkEncode encodes 1 MB of Austen: "cold" empties the word cache
// before every pass, "warm" keeps it (the steady state of a long corpus).
func BenchmarkEncode(b *testing.B) {
	tk := benchTokenizer(b)
	text := sharedText(b, "austen.txt.gz", 1<<20)
	for _, cold := range []bool{true, false} {
		b.Run(map[bool]string{true: "cold", false: "warm"}[cold], func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			tk.Encode(text)
			for b.Loop() {
				if cold {
					tk.mu.Lock()
					clear(tk.cache)
					tk.mu.Unlock()
				}
				tk.Encode(text)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	tk := benchTokenizer(b)
	text := sharedText(b, "austen.txt.gz", 1<<20)
	ids := tk.Encode(text)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tk.Decode(ids)
	}
}

func BenchmarkPreTokenize(b *testing.B) {
	text := sharedText(b, "austen.txt.gz", 1<<20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		for i := 0; i < len(text); {
			i = nextPiece(text, i)
		}
	}
}

// BenchmarkTrain trains 4096 ids on the first 1 MB and 10 MB of the State of
// the Union addresses. Slow (seconds per op): run with -benchtime=1x.
func BenchmarkTrain(b *testing.B) {
	for _, mb := range []int{1, 10} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			text := sharedText(b, "state_of_the_union.txt.gz", mb<<20)
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := Train([]string{text}, 4096); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
