package data

import (
	"fmt"

	"midas/internal/splitmix"
)

// Loader serves training batches from a token array. Window i is tokens[i*seq : i*seq+seq+1]
// for i in [0, Windows()), with Windows() = (len(tokens)-1)/seq; consecutive windows share one
// token (the last target of one is the first input of the next). Each epoch visits every window
// once, in a Fisher–Yates permutation drawn from (seed, epoch) with the package's own generator,
// so a run is reproducible on any machine and can be resumed from its Position.
type Loader struct {
	tokens     []int32
	seq, batch int
	seed       uint64
	perm       []int32 // window order of the current epoch
	epoch      int
	index      int // windows consumed in this epoch
}

// Position is where a Loader is: Epoch counts from 0 and Index is the number of windows already
// consumed in that epoch (0 <= Index <= windows).
type Position struct {
	Epoch int `json:"epoch"`
	Index int `json:"index"`
}

// NewLoader returns a loader at Position{0, 0}. It is an error if seq or batch is not positive
// or if there are fewer windows than batch.
func NewLoader(tokens []int32, seq, batch int, seed uint64) (*Loader, error) {
	if seq <= 0 || batch <= 0 {
		return nil, fmt.Errorf("data: loader needs seq > 0 and batch > 0, got seq %d, batch %d", seq, batch)
	}
	n := 0
	if len(tokens) > 0 {
		n = (len(tokens) - 1) / seq
	}
	if n < batch {
		return nil, fmt.Errorf("data: %d tokens make %d windows of %d+1 tokens, fewer than the batch size %d",
			len(tokens), n, seq, batch)
	}
	if n > 1<<31-1 {
		return nil, fmt.Errorf("data: %d windows are too many", n)
	}
	l := &Loader{tokens: tokens, seq: seq, batch: batch, seed: seed, perm: make([]int32, n)}
	l.permute()
	return l, nil
}

// permute fills perm with the window order of l.epoch without allocating.
func (l *Loader) permute() {
	for i := range l.perm {
		l.perm[i] = int32(i)
	}
	r := splitmix.New(splitmix.Mix(l.seed, uint64(l.epoch)))
	splitmix.Shuffle(&r, l.perm)
}

// Windows returns the number of windows per epoch.
func (l *Loader) Windows() int { return len(l.perm) }

// Next fills dst (len batch*(seq+1), row-major [batch][seq+1]) with the next batch of windows,
// continuing into the next epoch when this one is used up. It does not allocate.
func (l *Loader) Next(dst []int32) {
	w := l.seq + 1
	if len(dst) != l.batch*w {
		panic(fmt.Sprintf("data: Loader.Next dst has len %d, want batch*(seq+1) = %d", len(dst), l.batch*w))
	}
	for b := 0; b < l.batch; b++ {
		if l.index == len(l.perm) {
			l.epoch++
			l.index = 0
			l.permute()
		}
		start := int(l.perm[l.index]) * l.seq
		copy(dst[b*w:(b+1)*w], l.tokens[start:start+w])
		l.index++
	}
}

// Position returns the current position; Seek(Position()) on a loader over the same tokens,
// seq, batch and seed reproduces the batches that would have followed.
func (l *Loader) Position() Position { return Position{Epoch: l.epoch, Index: l.index} }

// Seek moves the loader to p. It is an error if p.Epoch < 0 or p.Index is outside [0, Windows()].
func (l *Loader) Seek(p Position) error {
	if p.Epoch < 0 || p.Index < 0 || p.Index > len(l.perm) {
		return fmt.Errorf("data: loader position {epoch %d, index %d} out of range (%d windows per epoch)",
			p.Epoch, p.Index, len(l.perm))
	}
	if p.Epoch != l.epoch {
		l.epoch = p.Epoch
		l.permute()
	}
	l.index = p.Index
	return nil
}

// ValBatches returns up to maxBatches (all if maxBatches <= 0) consecutive, unshuffled batches of
// windows of tokens, each a flat [batch][seq+1] slice: batch j holds windows j*batch … j*batch+batch-1.
// Windows that do not fill a whole batch are left out, so fewer than batch windows give none.
func ValBatches(tokens []int32, seq, batch, maxBatches int) [][]int32 {
	if seq <= 0 || batch <= 0 {
		panic(fmt.Sprintf("data: ValBatches seq %d, batch %d", seq, batch))
	}
	if len(tokens) == 0 {
		return nil
	}
	nb := (len(tokens) - 1) / seq / batch
	if maxBatches > 0 {
		nb = min(nb, maxBatches)
	}
	w := seq + 1
	out := make([][]int32, nb)
	for j := range out {
		dst := make([]int32, batch*w)
		for b := 0; b < batch; b++ {
			start := (j*batch + b) * seq
			copy(dst[b*w:], tokens[start:start+w])
		}
		out[j] = dst
	}
	return out
}
