package tok

import (
	"math/rand/v2"
	"strings"
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

// cjkText is 2 MB of made-up Chinese-like text: runs of 20-220 ideographs
// (Zipf-like choice among 3000) ended by "。", so words are long and there
// are no spaces, the hard case for the trainer.
func cjkText() string {
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for sb.Len() < 2<<20 {
		for n := 20 + rng.IntN(200); n > 0; n-- {
			sb.WriteRune(rune(0x4E00 + int(rng.ExpFloat64()*80)%3000))
		}
		sb.WriteString("。")
	}
	return sb.String()
}

// BenchmarkTrain trains 4096 ids on the first 1 MB and 10 MB of the State of
// the Union addresses, and on cjkText. Slow (up to seconds per op): run with
// -benchtime=1x.
func BenchmarkTrain(b *testing.B) {
	for _, name := range []string{"1MB", "10MB", "cjk2MB"} {
		b.Run(name, func(b *testing.B) {
			var text string
			switch name {
			case "1MB":
				text = sharedText(b, "state_of_the_union.txt.gz", 1<<20)
			case "10MB":
				text = sharedText(b, "state_of_the_union.txt.gz", 10<<20)
			default:
				text = cjkText()
			}
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := Train([]string{text}, 4096); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
