package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAttentionGQAThreads: grouped-query attention's forward and backward give bitwise the same
// results on 1 and 4 threads (the key/value gradient sums over a group in head order within one
// task), and AttentionCached over a prefix and then the rest equals AttentionForward to float32
// rounding; likewise with a bidirectional prefix on one row. Guard values around every output catch
// writes outside it.
func TestAttentionGQAThreads(t *testing.T) {
	for _, heads := range [][2]int{{4, 2}, {6, 1}, {2, 2}} {
		b, tt, h, hkv, d := 2, 53, heads[0], heads[1], 4
		qd, kvd := h*d, hkv*d
		w := qd + 2*kvd
		r := rand.New(rand.NewPCG(11, uint64(h*10+hkv)))
		qkv, dy := randSlice(r, b*tt*w, 1), randSlice(r, b*tt*qd, 1)
		run := func(threads int, prefix []int) (y, dqkv []float32) {
			y, checkY := guarded(t, b*tt*qd)
			dqkv, checkD := guarded(t, b*tt*w)
			att, datt := make([]float32, b*h*tt*tt), make([]float32, b*h*tt*tt)
			withThreads(threads, func() {
				AttentionForward(y, att, qkv, prefix, b, tt, h, hkv, d)
				AttentionBackward(dqkv, datt, dy, qkv, att, prefix, b, tt, h, hkv, d)
			})
			checkY("y")
			checkD("dqkv")
			return y, dqkv
		}
		y1, g1 := run(1, nil)
		y4, g4 := run(4, nil)
		py1, pg1 := run(1, []int{0, 30})
		py4, pg4 := run(4, []int{0, 30})
		name := fmt.Sprintf("H=%d Hkv=%d", h, hkv)
		for _, c := range []struct {
			what string
			a, b []float32
		}{{"y", y1, y4}, {"dqkv", g1, g4}, {"prefix y", py1, py4}, {"prefix dqkv", pg1, pg4}} {
			for i := range c.a {
				if math.Float32bits(c.a[i]) != math.Float32bits(c.b[i]) {
					t.Fatalf("%s: %s[%d] = %v on 1 thread, %v on 4", name, c.what, i, c.a[i], c.b[i])
				}
			}
		}
		checkCached(t, name, qkv, y1, tt, h, hkv, d)
	}
}

// checkCached runs AttentionCached on batch row 0 of qkv, first 20 positions, then two one-token
// steps, then the rest, and compares with y (AttentionForward's output).
func checkCached(t *testing.T, name string, qkv, y []float32, tt, h, hkv, d int) {
	qd, kvd := h*d, hkv*d
	w := qd + 2*kvd
	ldk := tt + 3
	kt, vc := make([]float32, kvd*ldk), make([]float32, tt*kvd)
	for i := range tt {
		for r, x := range qkv[i*w+qd : i*w+qd+kvd] {
			kt[r*ldk+i] = x
		}
		copy(vc[i*kvd:(i+1)*kvd], qkv[i*w+qd+kvd:i*w+w])
	}
	got := make([]float32, tt*qd)
	s := make([]float32, h*tt*tt)
	for _, part := range [][2]int{{0, 20}, {20, 21}, {21, 22}, {22, tt}} {
		n, past := part[1]-part[0], part[0]
		AttentionCached(got[past*qd:], s, qkv[past*w:], w, kt, ldk, vc, n, past, h, hkv, d)
	}
	for i := range got {
		if math.Abs(float64(got[i]-y[i])) > 1e-6 {
			t.Fatalf("%s: cached y[%d] = %v, AttentionForward %v", name, i, got[i], y[i])
		}
	}
}
