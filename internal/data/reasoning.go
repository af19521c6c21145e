package data

import (
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// Reasoning text: documents that exercise the skills the primitives measure — finding the one chain
// of assignments a question asks about among distractor chains, copying what followed a repeated
// piece, small arithmetic on named values — written in surface forms that the primitives never use
// (sentences, Go statements, lists with "then"), so that pretraining can learn the skill without ever
// seeing an evaluation prompt. The primitives' own formats (tasks package) are "x=3, y=x, y=?",
// "x = 3\nprint(y)\n" and "a b c | b ->"; none of these shapes occurs here (a test checks that no
// primitive prompt occurs in this text).
//
// Every document that asks about a value holds distractors of the same shape (two to four chains,
// two to four named values), so the answer is never the only number in sight: a model that copies
// any number scores at the distractors' rate, and only looking the asked name up does better.

// ReasoningText renders about n bytes of reasoning documents from seed, one document per paragraph.
func ReasoningText(seed uint64, n int) []string {
	r := splitmix.New(splitmix.Mix(seed, 0x7ea5))
	var docs []string
	size := 0
	for size < n {
		var d string
		switch r.Intn(5) {
		case 0:
			d = chainProse(&r)
		case 1:
			d = chainGo(&r)
		case 2:
			d = recallList(&r)
		case 3:
			d = recallList(&r)
		default:
			d = sumsProse(&r)
		}
		docs = append(docs, d)
		size += len(d)
	}
	return docs
}

// reasoningNames are the variable names of reasoning text: words, not the primitives' single letters.
var reasoningNames = []string{"apple", "berry", "cedar", "delta", "ember", "fable", "grove", "harbor", "iris", "jasper",
	"kettle", "lemon", "maple", "nectar", "olive", "pepper", "quartz", "raven", "sable", "tulip", "umber", "violet", "willow", "yarrow"}

// reasoningLetters are the other pool of names: single letters, as the primitives name their
// variables and items, so the skill is learnt on the tokens it is tested on (in other shapes).
var reasoningLetters = strings.Split("abcdefghijklmnopqrstuvwxyz", "")

// pool draws a document's names: words or single letters, evenly.
func pool(r *splitmix.Source) []string {
	if r.Intn(2) == 0 {
		return reasoningLetters
	}
	return reasoningNames
}

// chains draws k chains of depth+1 distinct names each (no name in two chains) and distinct values:
// names[c][0] holds vals[c], each next name the previous one.
func chains(r *splitmix.Source, k, depth int) (names [][]string, vals []int) {
	names0 := pool(r)
	perm := r.Perm(len(names0))
	vperm := r.Perm(10)
	for c := 0; c < k; c++ {
		names = append(names, nil)
		for i := 0; i <= depth; i++ {
			names[c] = append(names[c], names0[perm[c*(depth+1)+i]])
		}
		vals = append(vals, vperm[c])
	}
	return names, vals
}

// statements lists a chain set level by level (every chain's value first, then every first
// reference, ...), the chains in a fresh order at each level, as the primitives order theirs.
func statements(r *splitmix.Source, names [][]string, vals []int, each func(name, value string)) {
	for lvl := range names[0] {
		for _, c := range r.Perm(len(names)) {
			if lvl == 0 {
				each(names[c][0], strconv.Itoa(vals[c]))
			} else {
				each(names[c][lvl], names[c][lvl-1])
			}
		}
	}
}

// chainProse: "Let apple be 4. Let cedar be 7. Let berry be apple. Let delta be cedar. So berry is 4."
func chainProse(r *splitmix.Source) string {
	names, vals := chains(r, 2+r.Intn(3), r.Intn(3))
	var b strings.Builder
	statements(r, names, vals, func(n, v string) { b.WriteString("Let " + n + " be " + v + ". ") })
	q := r.Intn(len(names))
	b.WriteString("So " + names[q][len(names[q])-1] + " is " + strconv.Itoa(vals[q]) + ".\n")
	return b.String()
}

// chainGo: Go statements with := and a Println whose output is stated in a comment.
func chainGo(r *splitmix.Source) string {
	names, vals := chains(r, 2+r.Intn(3), r.Intn(3))
	var b strings.Builder
	statements(r, names, vals, func(n, v string) { b.WriteString(n + " := " + v + "\n") })
	q := r.Intn(len(names))
	b.WriteString("fmt.Println(" + names[q][len(names[q])-1] + ") // prints " + strconv.Itoa(vals[q]) + "\n")
	return b.String()
}

// recallList: a list of words or letters, then which word came after a repeated pair.
func recallList(r *splitmix.Source) string {
	names := pool(r)
	n := 6 + r.Intn(5)
	perm := r.Perm(len(names))
	items := make([]string, n)
	for i := range items {
		items[i] = names[perm[i]]
	}
	k := r.Intn(n - 2)
	return "The list was " + strings.Join(items, ", ") + ". After " + items[k] + " and " + items[k+1] + " came " + items[k+2] + ".\n"
}

// sumsProse: named values, then the sum or the difference (larger first) of two of them:
// "Say apple is 4, berry is 3 and cedar is 8. Together cedar and apple make 12."
func sumsProse(r *splitmix.Source) string {
	names, vals := chains(r, 2+r.Intn(3), 0)
	var b strings.Builder
	b.WriteString("Say ")
	for i := range names {
		switch {
		case i == len(names)-1:
			b.WriteString(" and ")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString(names[i][0] + " is " + strconv.Itoa(vals[i]))
	}
	p := r.Perm(len(names))
	x, y := p[0], p[1]
	if r.Intn(2) == 0 {
		b.WriteString(". Together " + names[x][0] + " and " + names[y][0] + " make " + strconv.Itoa(vals[x]+vals[y]) + ".\n")
		return b.String()
	}
	if vals[x] < vals[y] {
		x, y = y, x
	}
	b.WriteString(". From " + names[x][0] + " take away " + names[y][0] + " and " + strconv.Itoa(vals[x]-vals[y]) + " is left.\n")
	return b.String()
}
