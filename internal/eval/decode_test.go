package eval

import (
	"math"
	"slices"
	"strings"
	"testing"

	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/tasks"
	"midas/internal/tok"
)

// noisyDecoder is a decoder over a small random model whose weights are noisy enough for greedy
// decoding to vary from prompt to prompt, with a tokenizer trained on the primitives' own text.
func noisyDecoder(t *testing.T, seqLen int) *Decoder {
	t.Helper()
	var docs []string
	for _, ex := range tasks.Mixture(400, 5) {
		docs = append(docs, ex.Solved()+"\n\n")
	}
	cfg := model.Presets["tiny"]
	cfg.VocabSize, cfg.SeqLen = 300, seqLen
	tk, err := tok.Train(docs, cfg.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitWeights(2)
	r := model.NewRNG(4)
	for i := range m.Params {
		m.Params[i] += float32(r.Normal() * 0.3)
	}
	return NewDecoder(m, tk)
}

// TestCompleteBatchBitwise: CompleteBatch answers every prompt exactly as Complete does — few-shot
// prompts sharing their shots, unrelated prompts, prompts longer than the context, newlines and EOT
// ending a completion, every maxNew from 0, a group whose prefill runs in several ExtendBatch calls
// (over extendMaxRows rows) — on every exact GEMM backend, and FewShot's hits are those of
// one-at-a-time decoding.
func TestCompleteBatchBitwise(t *testing.T) {
	prevB := kern.Backend()
	defer kern.SetBackend(prevB)
	d := noisyDecoder(t, 96)
	var prompts [][]int32
	for _, spec := range tasks.Suite() {
		qs, _ := tasks.Generate(spec, 12, 3)
		shots, _ := tasks.Shots(spec, 3, 4)
		for i, q := range qs {
			prompts = append(prompts, d.Encode(tasks.FewShot(q, shots[:i%4])))
		}
	}
	prompts = append(prompts, d.Encode(strings.Repeat("a=1, b=2, ", 40)+"a=?"), d.Encode("q"), d.Encode("\n"))
	stats := map[string]int{}
	for _, be := range kern.Backends() {
		if be == "openblas" || be == "amx-bf16" {
			continue
		}
		kern.SetBackend(be)
		for _, maxNew := range []int{0, 1, 3, 8, 200} {
			var want []string
			for _, p := range prompts {
				want = append(want, d.Complete(p, maxNew))
			}
			got := d.CompleteBatch(prompts, maxNew)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s maxNew %d prompt %d: batched %q, one at a time %q", be, maxNew, i, got[i], want[i])
				}
				if maxNew == 8 {
					stats[want[i]]++
				}
			}
		}
	}
	if len(stats) < 5 {
		t.Fatalf("only %d distinct completions: the test model does not vary enough to test anything", len(stats))
	}
	spec := tasks.Spec{Task: tasks.VarAssign, Depth: 1, Form: tasks.Math}
	r, err := FewShot(d, spec, 2, 30, 9)
	if err != nil {
		t.Fatal(err)
	}
	qs, _ := tasks.Generate(spec, 30, 9)
	shots, _ := tasks.Shots(spec, 2, 10)
	var hits []bool
	for _, q := range qs {
		hits = append(hits, tasks.Score(d.Complete(d.Encode(tasks.FewShot(q, shots)), maxAnswerTokens), q.Answer))
	}
	if !slices.Equal(r.Hits, hits) {
		t.Fatalf("FewShot hits %v, one at a time %v", r.Hits, hits)
	}
}

// TestRank: Rank's choice for every query is the candidate whose text has the highest
// log-probability computed from scratch with one full forward pass per candidate (no cache), and
// its hits are the queries where that is the answer.
func TestRank(t *testing.T) {
	d := noisyDecoder(t, 128)
	m := d.M
	V := m.Cfg.VocabSize
	for _, spec := range []tasks.Spec{{Task: tasks.VarAssign, Depth: 1, Form: tasks.Code}, {Task: tasks.PSM}, {Task: tasks.Copy}} {
		r, err := Rank(d, spec, 1, 12, 3)
		if err != nil {
			t.Fatal(err)
		}
		qs, _ := tasks.Generate(spec, 12, 3)
		shots, _ := tasks.Shots(spec, 1, 4)
		for i, q := range qs {
			cands, _ := tasks.Candidates(spec, q)
			prompt := tasks.FewShot(q, shots)
			var texts [][]int32
			from := len(d.Encode(prompt))
			for _, c := range cands {
				texts = append(texts, d.Encode(prompt+q.WithAnswer(c).Completion()+"\n"))
				from = min(from, commonPrefix(texts[len(texts)-1], texts[0]))
			}
			best, bestLP, second := 0, -1e300, -1e300
			for ci, ids := range texts {
				logits := m.Forward(ids, 1, len(ids))
				lp := 0.0
				for p := from; p < len(ids); p++ {
					lp += logSoftmaxAt(logits[(p-1)*V:p*V], ids[p])
				}
				if lp > bestLP {
					best, bestLP, second = ci, lp, bestLP
				} else if lp > second {
					second = lp
				}
			}
			if bestLP-second < 1e-4 {
				continue // too close to call across differently blocked sums
			}
			if r.Hits[i] != (cands[best] == q.Answer) {
				t.Fatalf("%s query %d: Rank hit %v, full forward picks %q (answer %q)", spec.Name(), i, r.Hits[i], cands[best], q.Answer)
			}
		}
	}
}

// TestPrefixGroups: prefixGroups' cut of sorted prompts computes no more tokens than any other cut
// into runs of at most `most` (every cut enumerated, random prompts over a tiny alphabet so that
// prefixes overlap), keeps the order, and separates two tasks' prompts that share only their first
// token.
func TestPrefixGroups(t *testing.T) {
	cost := func(ids [][]int32, run []int) int {
		total, pre, short := 0, len(ids[run[0]]), len(ids[run[0]])
		for k, i := range run {
			total += len(ids[i])
			short = min(short, len(ids[i]))
			if k > 0 {
				pre = min(pre, commonPrefix(ids[run[k-1]], ids[i]))
			}
		}
		return total - (len(run)-1)*min(pre, short-1)
	}
	r := model.NewRNG(5)
	for trial := 0; trial < 300; trial++ {
		n, most := 1+int(r.Next()%9), 1+int(r.Next()%4)
		ids := make([][]int32, n)
		for i := range ids {
			ids[i] = make([]int32, 1+r.Next()%6)
			for j := range ids[i] {
				ids[i][j] = int32(r.Next() % 2)
			}
		}
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int { return slices.Compare(ids[i], ids[j]) })
		got, flat := 0, []int{}
		for _, g := range prefixGroups(ids, order, most) {
			if len(g) > most {
				t.Fatalf("a run of %d > %d", len(g), most)
			}
			got += cost(ids, g)
			flat = append(flat, g...)
		}
		if !slices.Equal(flat, order) {
			t.Fatalf("runs %v do not keep the order %v", flat, order)
		}
		for mask := 0; mask < 1<<(n-1); mask++ { // bit k: a cut after position k
			c, lo := 0, 0
			ok := true
			for k := 0; k < n; k++ {
				if k == n-1 || mask&(1<<k) != 0 {
					ok = ok && k+1-lo <= most
					c += cost(ids, order[lo:k+1])
					lo = k + 1
				}
			}
			if ok && c < got {
				t.Fatalf("trial %d: a cut computing %d tokens beats prefixGroups' %d", trial, c, got)
			}
		}
	}
	a, b := []int32{0, 1, 1, 1, 1, 1, 1, 2}, []int32{0, 2, 2, 2, 2, 2, 2, 3}
	ids := [][]int32{append(a, 5), append(a, 6), append(a, 7), append(b, 5), append(b, 6)}
	if g := prefixGroups(ids, []int{0, 1, 2, 3, 4}, 64); len(g) != 2 || len(g[0]) != 3 {
		t.Fatalf("two tasks' prompts cut as %v", g)
	}
}

// TestRankBatchBitwise: rankLogProbs gives every candidate of every query the log-probability
// rankTexts (one query at a time) gives it, bit for bit — queries of several primitives and shot
// counts in one call, more candidates than one run's caches (several runs, bases reused and copied),
// texts longer than the context (cut), and a second call on the same decoder — on every exact GEMM
// backend (a decoder per backend: its caches hold one backend's bits).
func TestRankBatchBitwise(t *testing.T) {
	prevB := kern.Backend()
	defer kern.SetBackend(prevB)
	d := noisyDecoder(t, 80)
	var qs []rankQuery
	cut := 0
	for _, spec := range []tasks.Spec{{Task: tasks.VarAssign, Depth: 1, Form: tasks.Code}, {Task: tasks.PSM}, {Task: tasks.Copy}} {
		ex, _ := tasks.Generate(spec, 14, 3)
		shots, _ := tasks.Shots(spec, 3, 4)
		for i, q := range ex {
			cands, _ := tasks.Candidates(spec, q)
			prompt := tasks.FewShot(q, shots[:1+i%3])
			var texts [][]int32
			from := len(d.Encode(prompt))
			for _, c := range cands {
				texts = append(texts, d.Encode(prompt+q.WithAnswer(c).Completion()+"\n"))
				from = min(from, commonPrefix(texts[len(texts)-1], texts[0]))
			}
			for _, tx := range texts {
				if len(tx) > d.cache.Max() {
					cut++
					break
				}
			}
			qs = append(qs, d.rankCut(texts, from))
		}
	}
	cands := 0
	for _, q := range qs {
		cands += len(q.texts)
	}
	if cut == 0 || cands <= d.groupSize() {
		t.Fatalf("%d queries cut, %d candidates for runs of %d caches: the test covers too little", cut, cands, d.groupSize())
	}
	for _, be := range kern.Backends() {
		if be == "openblas" || be == "amx-bf16" {
			continue
		}
		kern.SetBackend(be)
		d := NewDecoder(d.M, d.Tok) // caches hold one backend's bits
		for round := 0; round < 2; round++ {
			got := d.rankLogProbs(qs)
			for i, q := range qs {
				want := d.rankTexts(q)
				for j := range want {
					if math.Float64bits(got[i][j]) != math.Float64bits(want[j]) {
						t.Fatalf("%s round %d query %d text %d: batched %v, one at a time %v", be, round, i, j, got[i][j], want[j])
					}
				}
			}
		}
	}
}
