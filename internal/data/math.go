package data

import (
	"strconv"
	"strings"
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

func inSplit(text string, split Split) bool { return (fnv64(text)%valOneIn == 0) == (split == Val) }

// problemIn draws word problems until one belongs to split.
func (w *World) problemIn(r *rng, split Split) problem {
	for {
		if p := w.problem(r); inSplit(p.text, split) {
			return p
		}
	}
}

// problem draws one single- or two-step word problem with small numbers about two people of the
// world. Every number stated in the text is at least 2; answers are never negative.
func (w *World) problem(r *rng) problem {
	ai := r.intn(len(w.people))
	pa := &w.people[ai]
	pb := &w.people[w.otherPerson(r, nil, ai)]
	_, She, _, _, him := pa.pronouns()
	it := pick(r, items)
	A, B, I := pa.first, pb.first, it.many
	itoa := strconv.Itoa
	past := r.chance(0.3)
	has := " has "
	if past {
		has = " had "
	}
	start := func(n int) string { return A + has + itoa(n) + " " + I + ". " }
	take := func(n int) string { // a sentence that lowers A's count by n
		verbs := [][2]string{{"gives", "gave"}, {"loses", "lost"}, {"sells", "sold"}}
		v := pick(r, verbs)
		verb := v[0]
		if past {
			verb = v[1]
		}
		if v[0] == "loses" {
			return She + " " + verb + " " + itoa(n) + ". "
		}
		return She + " " + verb + " " + itoa(n) + " to " + B + ". "
	}
	add := func(n int) string { // a sentence that raises A's count by n
		k := r.intn(3)
		if k == 2 {
			verb := "gives"
			if past {
				verb = "gave"
			}
			return B + " " + verb + " " + him + " " + itoa(n) + " more. "
		}
		verbs := [][2]string{{"buys", "bought"}, {"finds", "found"}}[k]
		verb := verbs[0]
		if past {
			verb = verbs[1]
		}
		return She + " " + verb + " " + itoa(n) + " more. "
	}
	how := "How many " + I + " does " + A + " have " + pick(r, []string{"now", "left", "in all", "in total"}) + "?"
	together := "How many " + I + " do they have together?"
	switch r.intn(12) {
	case 0:
		a := r.between(4, 20)
		b := r.between(2, a-1)
		return problem{start(a) + take(b) + how, itoa(a) + " - " + itoa(b) + " = " + itoa(a-b) + ".", a - b}
	case 1:
		a, b := r.between(2, 20), r.between(2, 15)
		return problem{start(a) + add(b) + how, itoa(a) + " + " + itoa(b) + " = " + itoa(a+b) + ".", a + b}
	case 2:
		a, b := r.between(2, 15), r.between(2, 12)
		c := r.between(2, a+b)
		return problem{start(a) + add(b) + take(c) + how,
			itoa(a) + " + " + itoa(b) + " = " + itoa(a+b) + ". " + itoa(a+b) + " - " + itoa(c) + " = " + itoa(a+b-c) + ".", a + b - c}
	case 3:
		a := r.between(6, 20)
		b := r.between(2, a-4)
		c := r.between(2, a-b)
		return problem{start(a) + take(b) + take(c) + how,
			itoa(a) + " - " + itoa(b) + " = " + itoa(a-b) + ". " + itoa(a-b) + " - " + itoa(c) + " = " + itoa(a-b-c) + ".", a - b - c}
	case 4, 5:
		box := pick(r, containers)
		a, b := r.between(2, 6), r.between(2, 9)
		text := A + has + itoa(a) + " " + box.many + ". Each " + box.one + " holds " + itoa(b) + " " + I + ". "
		work := itoa(a) + " * " + itoa(b) + " = " + itoa(a*b) + "."
		if r.chance(0.5) {
			c := r.between(2, a*b)
			return problem{text + take(c) + how, work + " " + itoa(a*b) + " - " + itoa(c) + " = " + itoa(a*b-c) + ".", a*b - c}
		}
		return problem{text + how, work, a * b}
	case 6:
		a, b := r.between(2, 9), r.between(2, 6)
		verb := " shares "
		if past {
			verb = " shared "
		}
		return problem{start(a*b) + She + verb + "them equally among " + itoa(b) + " friends. How many " + I + " does each friend get?",
			itoa(a*b) + " / " + itoa(b) + " = " + itoa(a) + ".", a}
	case 7:
		a, b := r.between(2, 20), r.between(2, 20)
		return problem{start(a) + B + has + itoa(b) + " " + I + ". " + together, itoa(a) + " + " + itoa(b) + " = " + itoa(a+b) + ".", a + b}
	case 8:
		a := r.between(4, 20)
		b := r.between(2, a-1)
		return problem{start(a) + B + has + itoa(b) + " " + I + ". How many more " + I + " does " + A + " have than " + B + "?",
			itoa(a) + " - " + itoa(b) + " = " + itoa(a-b) + ".", a - b}
	case 9:
		a, b := r.between(2, 15), r.between(2, 10)
		return problem{start(a) + B + has + itoa(b) + " more " + I + " than " + A + ". " + together,
			itoa(a) + " + " + itoa(b) + " = " + itoa(a+b) + ". " + itoa(a) + " + " + itoa(a+b) + " = " + itoa(2*a+b) + ".", 2*a + b}
	case 10:
		a := r.between(2, 12)
		return problem{start(a) + B + has + "twice as many " + I + " as " + A + ". How many " + I + " does " + B + " have?",
			"2 * " + itoa(a) + " = " + itoa(2*a) + ".", 2 * a}
	}
	a := r.between(2, 12)
	return problem{start(a) + B + has + "twice as many " + I + " as " + A + ". " + together,
		"2 * " + itoa(a) + " = " + itoa(2*a) + ". " + itoa(a) + " + " + itoa(2*a) + " = " + itoa(3*a) + ".", 3 * a}
}

// mathDoc writes 2 to 5 word problems of split, each followed by its answer and, for about half
// of them, by a worked solution line before the answer.
func (w *World) mathDoc(b *strings.Builder, r *rng, split Split) {
	if r.chance(0.3) {
		b.WriteString(pick(r, []string{"Word problems", "Practice problems", "Counting exercises"}) + "\n\n")
	}
	k := r.between(2, 5)
	for j := 0; j < k; j++ {
		if j > 0 {
			b.WriteString("\n\n")
		}
		p := w.problemIn(r, split)
		b.WriteString(p.text)
		b.WriteByte('\n')
		if r.chance(0.5) {
			b.WriteString("Solution: " + p.work + "\n")
		}
		b.WriteString("Answer: " + strconv.Itoa(p.answer))
	}
}
