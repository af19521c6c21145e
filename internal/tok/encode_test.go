package tok

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// randomMergeTable builds a tokenizer over the bytes plus up to n random
// merges of tokens made of 'a', 'b', 'c', with the ranks shuffled: unlike a
// trained table, a merge may have a lower rank than the merges that make its
// parts, and two rules may make the same token. Encode must follow Hugging
// Face semantics on such tables too, since Parse accepts them.
func randomMergeTable(rng *rand.Rand, n int) *Tokenizer {
	tokens := make([][]byte, 256)
	for b := range tokens {
		tokens[b] = []byte{byte(b)}
	}
	byBytes := map[string]int32{}
	pool := []int32{'a', 'b', 'c'}
	var merges [][2]int32
	seen := map[[2]int32]bool{}
	for len(merges) < n {
		a, b := pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))]
		if seen[[2]int32{a, b}] || len(tokens[a])+len(tokens[b]) > 6 {
			continue
		}
		seen[[2]int32{a, b}] = true
		joined := string(tokens[a]) + string(tokens[b])
		if _, ok := byBytes[joined]; !ok {
			byBytes[joined] = int32(len(tokens))
			pool = append(pool, int32(len(tokens)))
			tokens = append(tokens, []byte(joined))
		}
		merges = append(merges, [2]int32{a, b})
	}
	rng.Shuffle(len(merges), func(i, j int) { merges[i], merges[j] = merges[j], merges[i] })
	tokens = append(tokens, []byte(EOTText))
	t, err := newTokenizer(tokens, int32(len(tokens)-1), nil, merges, false)
	if err != nil {
		panic(err)
	}
	return t
}

func TestMergeMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for table := 0; table < 20; table++ {
		tk := randomMergeTable(rng, 5+rng.IntN(40))
		for w := 0; w < 200; w++ {
			ids := make([]int32, 1+rng.IntN(40))
			for i := range ids {
				ids[i] = int32("abc"[rng.IntN(3)])
			}
			want := tk.mergeNaive(ids)
			got := append([]int32(nil), ids...)
			got = got[:tk.merge(got)]
			if !slices.Equal(got, want) {
				t.Fatalf("table %d word %q: merge %v, naive %v", table, tk.Decode(ids), got, want)
			}
		}
	}
}

// encodeNaive is the reference Encode: the regexp oracle splitter and the
// naive merge, no cache.
func encodeNaive(tk *Tokenizer, s string) []int32 {
	var out []int32
	for _, w := range oracleSplit(s) {
		ids := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			ids[i] = tk.byteID[w[i]]
		}
		if id, ok := tk.byBytes[w]; ok && tk.ignoreMerges {
			ids = []int32{id}
		}
		out = append(out, tk.mergeNaive(ids)...)
	}
	return out
}

var (
	miniOnce sync.Once
	miniTok  *Tokenizer
)

// miniTokenizer is trained once on miniCorpus with 1000 ids.
func miniTokenizer(tb testing.TB) *Tokenizer {
	miniOnce.Do(func() {
		var err error
		if miniTok, err = Train(miniCorpus(), 1000); err != nil {
			panic(err)
		}
	})
	return miniTok
}

func TestEncodeMatchesNaive(t *testing.T) {
	tk := miniTokenizer(t)
	rng := rand.New(rand.NewPCG(1, 9))
	texts := append(splitSamples(), miniCorpus()[:3]...)
	for _, s := range texts {
		if got, want := tk.Encode(s), encodeNaive(tk, s); !slices.Equal(got, want) {
			t.Fatalf("Encode(%q) = %v, naive %v", s, got, want)
		}
		// Random slices cut words at odd places, even inside runes.
		for k := 0; k < 20 && len(s) > 0; k++ {
			i := rng.IntN(len(s))
			j := i + rng.IntN(len(s)-i+1)
			sub := s[i:j]
			if got, want := tk.Encode(sub), encodeNaive(tk, sub); !slices.Equal(got, want) {
				t.Fatalf("Encode(%q) = %v, naive %v", sub, got, want)
			}
		}
	}
}

func TestEncodeNeverEOT(t *testing.T) {
	tk := miniTokenizer(t)
	s := "a<|endoftext|>b " + EOTText + "\n" + EOTText
	ids := tk.Encode(s)
	for _, id := range ids {
		if id == tk.EOT() {
			t.Fatalf("Encode(%q) contains EOT: %v", s, ids)
		}
	}
	if tk.Decode(ids) != s {
		t.Fatal("round trip")
	}
	withEOT := append(tk.Encode("doc one"), tk.EOT())
	withEOT = tk.AppendEncode(withEOT, "doc two")
	if got := tk.Decode(withEOT); got != "doc one<|endoftext|>doc two" {
		t.Errorf("Decode with EOT = %q", got)
	}
}

func TestEncodeConcurrent(t *testing.T) {
	tk := miniTokenizer(t)
	old := cacheCap
	cacheCap = 8 // force the cache to be emptied while others read it
	defer func() { cacheCap = old }()
	texts := miniCorpus()
	want := make([][]int32, len(texts))
	for i, s := range texts {
		want[i] = encodeNaive(tk, s)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 3; r++ {
				for i := range texts {
					k := (i + g*7) % len(texts)
					if got := tk.Encode(texts[k]); !slices.Equal(got, want[k]) {
						errs <- fmt.Sprintf("goroutine %d text %d differs", g, k)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if len(tk.cache) > cacheCap {
		t.Errorf("cache holds %d > %d words", len(tk.cache), cacheCap)
	}
}

func TestDecodeOutOfRange(t *testing.T) {
	tk := miniTokenizer(t)
	for _, bad := range []int32{-1, 1000, 1 << 30} {
		ids := []int32{'a', 'b', bad, -5}
		_, err := tk.DecodeChecked(ids)
		if err == nil || !strings.HasPrefix(err.Error(), "tok: ") ||
			!strings.Contains(err.Error(), fmt.Sprintf("id %d at position 2", bad)) {
			t.Errorf("DecodeChecked(%v) err = %v", ids, err)
		}
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), fmt.Sprintf("id %d", bad)) {
					t.Errorf("Decode(%v) panic = %v", ids, r)
				}
			}()
			tk.Decode(ids)
		}()
	}
	if s, err := tk.DecodeChecked([]int32{'o', 'k'}); s != "ok" || err != nil {
		t.Errorf("DecodeChecked ok = %q, %v", s, err)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("TokenString(-1) did not panic")
		}
	}()
	tk.TokenString(-1)
}
