package data

import (
	"fmt"
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// Split selects the training or the validation stream of a world.
type Split int

const (
	Train Split = iota
	Val
)

func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Val:
		return "val"
	}
	return "split(" + strconv.Itoa(int(s)) + ")"
}

type docKind int

const (
	kindPerson docKind = iota
	kindTown
	kindList
	kindStory
	kindQA
	kindMath
)

// schedule fixes the mix of document kinds: document i has kind schedule[i%20]. Five person
// biographies per 20 documents means every person's biography appears within the first
// 20*numPeople/5 = 1200 documents of each split (about 1 MB), so every fact is stated early.
var schedule = [20]docKind{
	kindPerson, kindStory, kindMath, kindQA, kindPerson, kindStory, kindTown, kindMath, kindPerson, kindStory,
	kindList, kindQA, kindPerson, kindStory, kindMath, kindStory, kindPerson, kindQA, kindStory, kindMath,
}

// occurrence returns how many documents before i have the same kind as document i.
func occurrence(i int) int {
	k := schedule[i%len(schedule)]
	per, before := 0, 0
	for j, s := range schedule {
		if s == k {
			per++
			if j < i%len(schedule) {
				before++
			}
		}
	}
	return i/len(schedule)*per + before
}

// Document returns document i (i >= 0) of the split: a biography of a person or a town, a list
// (Train only), a story (sometimes followed by questions about it), a Q/A page or a page of word problems.
// Train and Val documents differ (different stories, problems and question instances), but both
// are about the same world. The result is a pure function of (world seed, split, i).
func (w *World) Document(split Split, i int) string {
	if i < 0 || (split != Train && split != Val) {
		panic(fmt.Sprintf("data: Document(%v, %d)", split, i))
	}
	r := splitmix.New(splitmix.Mix(w.seed, 0x646f63+uint64(split), uint64(i))) // "doc"
	var b strings.Builder
	b.Grow(1024)
	switch schedule[i%len(schedule)] {
	case kindPerson:
		w.personBio(&b, &r, occurrence(i)%len(w.people))
	case kindTown:
		w.townBio(&b, &r, occurrence(i)%len(w.towns))
	case kindList:
		if split == Val { // a list is fixed by its subject, so Val would repeat Train verbatim
			w.townBio(&b, &r, r.Intn(len(w.towns)))
		} else {
			w.listDoc(&b, &r)
		}
	case kindStory:
		qs := w.storyIn(&b, &r, split)
		if r.Chance(0.5) {
			splitmix.Shuffle(&r, qs)
			for _, q := range qs[:r.Between(1, 3)] {
				b.WriteString("\n\nQ: " + q.q + "\nA: " + q.a)
			}
		}
	case kindQA:
		w.qaPage(&b, &r, split)
	case kindMath:
		w.mathDoc(&b, &r, split)
	}
	return b.String()
}

// storyIn writes a story that belongs to split (see valOneIn) and returns its questions.
func (w *World) storyIn(b *strings.Builder, r *splitmix.Source, split Split) []qa {
	for {
		b.Reset()
		qs := w.story(b, r)
		trimSpace(b)
		if inSplit(b.String(), split) {
			return qs
		}
	}
}

// qaPage writes 3 to 8 question–answer pairs about one person or about the world at large.
// Train pages ask only open facts, Val pages only reserved ones.
func (w *World) qaPage(b *strings.Builder, r *splitmix.Source, split Split) {
	pool := w.open
	if split == Val {
		pool = w.reserved
	}
	var chosen []int
	if r.Chance(0.5) {
		p := r.Intn(len(w.people))
		for _, f := range pool {
			if w.facts[f].person == p {
				chosen = append(chosen, f)
			}
		}
		splitmix.Shuffle(r, chosen)
		if len(chosen) >= 3 {
			if r.Chance(0.5) {
				b.WriteString(splitmix.Pick(r, []string{"Questions about ", "Facts about ", "About "}) + w.people[p].full() + "\n\n")
			}
			chosen = chosen[:min(len(chosen), 8)]
		} else {
			chosen = nil
		}
	}
	if chosen == nil {
		for n := r.Between(3, 8); len(chosen) < n; {
			chosen = append(chosen, splitmix.Pick(r, pool))
		}
		if r.Chance(0.3) {
			b.WriteString(splitmix.Pick(r, []string{"Quiz", "Questions and answers", "Do you know?"}) + "\n\n")
		}
	}
	for k, f := range chosen {
		if k > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("Q: " + splitmix.Pick(r, w.facts[f].questions) + "\nA: " + w.facts[f].answer)
	}
}

// Corpus returns consecutive documents 0, 1, 2, … of split until their total length reaches at
// least nBytes (at least one document when nBytes > 0, none when nBytes <= 0).
func (w *World) Corpus(split Split, nBytes int) []string {
	var docs []string
	for total := 0; total < nBytes; {
		d := w.Document(split, len(docs))
		docs = append(docs, d)
		total += len(d)
	}
	return docs
}

// QA is one held-out evaluation item. Prompt ends right where the answer starts (for example
// "...\nA:" or "...\nAnswer:"), and Answer is the exact expected continuation without leading
// space and without newline.
type QA struct{ Kind, Prompt, Answer string }

// Question kinds accepted by Questions.
const (
	ClosedBook = "closed-book"
	OpenBook   = "open-book"
	Math       = "math"
)

// Questions returns n held-out items of one kind:
//   - "closed-book": a fact question without context ("Q: Where does Mira Olsen live?\nA:"); the
//     fact is stated in Train documents, but this question instance is never asked in Train.
//   - "open-book": a new Val story, a blank line and a question answerable only from that story.
//   - "math": a new word problem from the Val half of problem space, ending in "\nAnswer:".
//
// The items are a pure function of (world, kind, n, seed). An unknown kind is an error.
func (w *World) Questions(kind string, n int, seed uint64) ([]QA, error) {
	base := splitmix.Mix(w.seed, splitmix.FNV64(kind), seed)
	out := make([]QA, 0, max(n, 0))
	switch kind {
	case ClosedBook:
		r := splitmix.New(base)
		order := append([]int(nil), w.reserved...)
		for i := 0; i < n; i++ {
			if i%len(order) == 0 {
				splitmix.Shuffle(&r, order)
			}
			f := &w.facts[order[i%len(order)]]
			out = append(out, QA{kind, "Q: " + splitmix.Pick(&r, f.questions) + "\nA:", f.answer})
		}
	case OpenBook:
		for i := 0; i < n; i++ {
			r := splitmix.New(splitmix.Mix(base, uint64(i)))
			var b strings.Builder
			qs := w.storyIn(&b, &r, Val)
			q := splitmix.Pick(&r, qs)
			out = append(out, QA{kind, b.String() + "\n\nQ: " + q.q + "\nA:", q.a})
		}
	case Math:
		for i := 0; i < n; i++ {
			r := splitmix.New(splitmix.Mix(base, uint64(i)))
			p := w.problemIn(&r, Val)
			out = append(out, QA{kind, p.text + "\nAnswer:", strconv.Itoa(p.answer)})
		}
	default:
		return nil, fmt.Errorf("data: unknown question kind %q (want %s, %s or %s)", kind, ClosedBook, OpenBook, Math)
	}
	return out, nil
}
