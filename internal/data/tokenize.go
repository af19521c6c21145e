package data

import (
	"runtime"
	"strings"
	"sync"
)

// Encoder is what data needs from a tokenizer (tok.Tokenizer satisfies it). Encode must be safe
// for concurrent use.
type Encoder interface {
	Encode(s string) []int32
	EOT() int32
}

// chunkBytes is the target size of the pieces a long text is cut into for parallel encoding.
const chunkBytes = 1 << 20

// chunks cuts s into pieces of about chunkBytes (see cutEvery).
func chunks(s string) []string { return cutEvery(s, chunkBytes) }

// cutEvery cuts s into pieces of about size bytes: each cut falls just after the first '\n' at or past
// size; if there is none within the next size bytes, just after the first space; else at the start
// of a UTF-8 sequence. The cuts depend only on s and size.
func cutEvery(s string, size int) []string {
	var out []string
	for len(s) > size {
		window := s[size:min(len(s), 2*size)]
		cut := -1
		if j := strings.IndexByte(window, '\n'); j >= 0 {
			cut = size + j + 1
		} else if j := strings.IndexByte(window, ' '); j >= 0 {
			cut = size + j + 1
		} else {
			cut = size
			for cut > 0 && s[cut]&0xC0 == 0x80 { // inside a UTF-8 sequence
				cut--
			}
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}

// Tokenize encodes every text and concatenates them, each followed by enc.EOT(). Long texts are
// cut into ~1 MB pieces at line breaks (see chunks) and the pieces are encoded by `workers`
// goroutines (<= 0 means GOMAXPROCS); the output is identical for any worker count. progress,
// if non-nil, is called from the calling goroutine with the bytes encoded so far and the total.
func Tokenize(texts []string, enc Encoder, workers int, progress func(done, total int64)) []int32 {
	type piece struct {
		text string
		last bool // the last piece of its text: an EOT follows it
	}
	var pieces []piece
	var total int64
	for _, t := range texts {
		cs := chunks(t)
		for k, c := range cs {
			pieces = append(pieces, piece{c, k == len(cs)-1})
		}
		total += int64(len(t))
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(pieces)))
	out := make([][]int32, len(pieces))
	jobs := make(chan int)
	done := make(chan int, len(pieces))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if pieces[i].text != "" {
					out[i] = enc.Encode(pieces[i].text)
				}
				done <- i
			}
		}()
	}
	go func() {
		for i := range pieces {
			jobs <- i
		}
		close(jobs)
	}()
	var doneBytes int64
	n := 0
	for range pieces {
		i := <-done
		doneBytes += int64(len(pieces[i].text))
		n += len(out[i])
		if pieces[i].last {
			n++
		}
		if progress != nil {
			progress(doneBytes, total)
		}
	}
	wg.Wait()
	tokens := make([]int32, 0, n)
	eot := enc.EOT()
	for i, p := range pieces {
		tokens = append(tokens, out[i]...)
		out[i] = nil
		if p.last {
			tokens = append(tokens, eot)
		}
	}
	return tokens
}
