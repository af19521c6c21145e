package data

import (
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// problem is one word problem: its statement (ending in the question), a worked solution and the
// answer.
type problem struct {
	text, work string
	answer     int
}

// valOneIn: a generated story or word problem belongs to Val when the FNV-1a hash of its text is
// divisible by valOneIn, and to Train otherwise, so no Val problem or story ever occurs in Train.
const valOneIn = 8

func inSplit(text string, split Split) bool {
	return (splitmix.FNV64(text)%valOneIn == 0) == (split == Val)
}

// problemIn draws word problems until one belongs to split.
func (w *World) problemIn(r *splitmix.Source, split Split) problem {
	for {
		if p := w.problem(r); inSplit(p.text, split) {
			return p
		}
	}
}

// wording renders the sentences of a word problem about A (the hero) and B.
type wording struct {
	r                 *splitmix.Source
	A, B, I, has, She string // names, item plural, " has "/" had ", hero's pronoun
	him               string // the hero's object pronoun
	past              bool
}

func (wd *wording) start(n int) string { return wd.A + wd.has + strconv.Itoa(n) + " " + wd.I + ". " }

// take is a sentence that lowers the hero's count by n.
func (wd *wording) take(n int) string {
	v := splitmix.Pick(wd.r, [][2]string{{"gives", "gave"}, {"loses", "lost"}, {"sells", "sold"}})
	verb := v[0]
	if wd.past {
		verb = v[1]
	}
	if v[0] == "loses" {
		return wd.She + " " + verb + " " + strconv.Itoa(n) + ". "
	}
	return wd.She + " " + verb + " " + strconv.Itoa(n) + " to " + wd.B + ". "
}

// add is a sentence that raises the hero's count by n.
func (wd *wording) add(n int) string {
	k := wd.r.Intn(3)
	if k == 2 {
		verb := "gives"
		if wd.past {
			verb = "gave"
		}
		return wd.B + " " + verb + " " + wd.him + " " + strconv.Itoa(n) + " more. "
	}
	verbs := [][2]string{{"buys", "bought"}, {"finds", "found"}}[k]
	verb := verbs[0]
	if wd.past {
		verb = verbs[1]
	}
	return wd.She + " " + verb + " " + strconv.Itoa(n) + " more. "
}

func (wd *wording) how() string {
	return "How many " + wd.I + " does " + wd.A + " have " + splitmix.Pick(wd.r, []string{"now", "left", "in all", "in total"}) + "?"
}

func (wd *wording) together() string { return "How many " + wd.I + " do they have together?" }

// eq renders "a op b = c."
func eq(a int, op string, b, c int) string {
	return strconv.Itoa(a) + " " + op + " " + strconv.Itoa(b) + " = " + strconv.Itoa(c) + "."
}

// problem draws one single- or two-step word problem with small numbers about two people of the
// world. Every number stated in the text is at least 2; answers are never negative.
func (w *World) problem(r *splitmix.Source) problem {
	ai := r.Intn(len(w.people))
	pa := &w.people[ai]
	pb := &w.people[w.otherPerson(r, nil, ai)]
	_, She, _, _, him := pa.pronouns()
	wd := &wording{r: r, A: pa.first, B: pb.first, I: splitmix.Pick(r, items).many, has: " has ", She: She, him: him}
	if wd.past = r.Chance(0.3); wd.past {
		wd.has = " had "
	}
	A, B, I, has := wd.A, wd.B, wd.I, wd.has
	switch r.Intn(12) {
	case 0:
		a := r.Between(4, 20)
		b := r.Between(2, a-1)
		return problem{wd.start(a) + wd.take(b) + wd.how(), eq(a, "-", b, a-b), a - b}
	case 1:
		a, b := r.Between(2, 20), r.Between(2, 15)
		return problem{wd.start(a) + wd.add(b) + wd.how(), eq(a, "+", b, a+b), a + b}
	case 2:
		a, b := r.Between(2, 15), r.Between(2, 12)
		c := r.Between(2, a+b)
		return problem{wd.start(a) + wd.add(b) + wd.take(c) + wd.how(), eq(a, "+", b, a+b) + " " + eq(a+b, "-", c, a+b-c), a + b - c}
	case 3:
		a := r.Between(6, 20)
		b := r.Between(2, a-4)
		c := r.Between(2, a-b)
		return problem{wd.start(a) + wd.take(b) + wd.take(c) + wd.how(), eq(a, "-", b, a-b) + " " + eq(a-b, "-", c, a-b-c), a - b - c}
	case 4, 5:
		box := splitmix.Pick(r, containers)
		a, b := r.Between(2, 6), r.Between(2, 9)
		text := A + has + strconv.Itoa(a) + " " + box.many + ". Each " + box.one + " holds " + strconv.Itoa(b) + " " + I + ". "
		if r.Chance(0.5) {
			c := r.Between(2, a*b)
			return problem{text + wd.take(c) + wd.how(), eq(a, "*", b, a*b) + " " + eq(a*b, "-", c, a*b-c), a*b - c}
		}
		return problem{text + wd.how(), eq(a, "*", b, a*b), a * b}
	case 6:
		a, b := r.Between(2, 9), r.Between(2, 6)
		verb := map[bool]string{false: " shares ", true: " shared "}[wd.past]
		return problem{wd.start(a*b) + She + verb + "them equally among " + strconv.Itoa(b) + " friends. How many " + I + " does each friend get?",
			eq(a*b, "/", b, a), a}
	case 7:
		a, b := r.Between(2, 20), r.Between(2, 20)
		return problem{wd.start(a) + B + has + strconv.Itoa(b) + " " + I + ". " + wd.together(), eq(a, "+", b, a+b), a + b}
	case 8:
		a := r.Between(4, 20)
		b := r.Between(2, a-1)
		return problem{wd.start(a) + B + has + strconv.Itoa(b) + " " + I + ". How many more " + I + " does " + A + " have than " + B + "?",
			eq(a, "-", b, a-b), a - b}
	case 9:
		a, b := r.Between(2, 15), r.Between(2, 10)
		return problem{wd.start(a) + B + has + strconv.Itoa(b) + " more " + I + " than " + A + ". " + wd.together(),
			eq(a, "+", b, a+b) + " " + eq(a, "+", a+b, 2*a+b), 2*a + b}
	case 10:
		a := r.Between(2, 12)
		return problem{wd.start(a) + B + has + "twice as many " + I + " as " + A + ". How many " + I + " does " + B + " have?",
			eq(2, "*", a, 2*a), 2 * a}
	}
	a := r.Between(2, 12)
	return problem{wd.start(a) + B + has + "twice as many " + I + " as " + A + ". " + wd.together(),
		eq(2, "*", a, 2*a) + " " + eq(a, "+", 2*a, 3*a), 3 * a}
}

// mathDoc writes 2 to 5 word problems of split, each followed by its answer and, for about half
// of them, by a worked solution line before the answer.
func (w *World) mathDoc(b *strings.Builder, r *splitmix.Source, split Split) {
	if r.Chance(0.3) {
		b.WriteString(splitmix.Pick(r, []string{"Word problems", "Practice problems", "Counting exercises"}) + "\n\n")
	}
	k := r.Between(2, 5)
	for j := 0; j < k; j++ {
		if j > 0 {
			b.WriteString("\n\n")
		}
		p := w.problemIn(r, split)
		b.WriteString(p.text)
		b.WriteByte('\n')
		if r.Chance(0.5) {
			b.WriteString("Solution: " + p.work + "\n")
		}
		b.WriteString("Answer: " + strconv.Itoa(p.answer))
	}
}
