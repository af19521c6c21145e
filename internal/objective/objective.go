package objective

import "fmt"

// Ignore is the target of a position that carries no loss and no gradient.
const Ignore int32 = -1

// Batch is B rows of T positions for one forward and backward pass; see the package doc for the
// meaning of each field. Make and Resize reuse its buffers when they are large enough.
type Batch struct {
	B, T    int
	Inputs  []int32 // [B·T]
	Targets []int32 // [B·T], Ignore where no loss
	Prefix  []int   // [B], 0 for causal rows
}

// Resize sets the batch to B rows of T positions, growing the buffers only when they are too small.
// The contents are left as they are; whoever resizes fills every entry.
func (b *Batch) Resize(B, T int) {
	if B <= 0 || T <= 0 {
		panic(fmt.Sprintf("objective: Batch.Resize: B = %d, T = %d, want both > 0", B, T))
	}
	b.B, b.T = B, T
	b.Inputs = grow(b.Inputs, B*T)
	b.Targets = grow(b.Targets, B*T)
	if cap(b.Prefix) < B {
		b.Prefix = make([]int, B)
	}
	b.Prefix = b.Prefix[:B]
}

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// LossFrom makes row count loss only for the predictions of its window tokens start, start+1, …:
// the targets of positions before start−1 become Ignore (position i predicts window token i+1).
// start 0 or 1 masks nothing, T+1 masks the whole row. For fine-tuning, start is where the answer
// begins; for a prefix LM row, the prefix length.
func (b *Batch) LossFrom(row, start int) {
	if row < 0 || row >= b.B {
		panic(fmt.Sprintf("objective: Batch.LossFrom: row %d outside [0, %d)", row, b.B))
	}
	if start < 0 || start > b.T+1 {
		panic(fmt.Sprintf("objective: Batch.LossFrom: start %d outside [0, T+1 = %d]", start, b.T+1))
	}
	tgt := b.Targets[row*b.T : (row+1)*b.T]
	for i := range tgt[:max(start-1, 0)] {
		tgt[i] = Ignore
	}
}

// Objective turns windows of tokens into batches.
type Objective interface {
	// Make fills dst (resized to B rows of T positions) from windows [B][T+1], row-major, with
	// len(windows) = B·(T+1). key names the batch — the trainer passes its micro-batch count —
	// so that an objective that draws at random (UL2's mode, prefix length and spans) derives its
	// draws from (windows, key) alone and a resumed run makes the same batches. Make does not
	// allocate once dst is large enough, and a wrong shape panics.
	Make(dst *Batch, windows []int32, B, T int, key uint64)
}

// Causal is next-token prediction over the whole window: Inputs are the first T tokens of each
// window, Targets the last T, Prefix 0, every target carries loss.
type Causal struct{}

// Make implements Objective; key is not used.
func (Causal) Make(dst *Batch, windows []int32, B, T int, key uint64) {
	if B <= 0 || T <= 0 {
		panic(fmt.Sprintf("objective: Causal.Make: B = %d, T = %d, want both > 0", B, T))
	}
	if len(windows) != B*(T+1) {
		panic(fmt.Sprintf("objective: Causal.Make: len(windows) = %d, want B·(T+1) = %d", len(windows), B*(T+1)))
	}
	dst.Resize(B, T)
	for b := 0; b < B; b++ {
		w := windows[b*(T+1) : (b+1)*(T+1)]
		copy(dst.Inputs[b*T:(b+1)*T], w[:T])
		copy(dst.Targets[b*T:(b+1)*T], w[1:])
		dst.Prefix[b] = 0
	}
}
