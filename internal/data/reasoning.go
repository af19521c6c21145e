package data

import (
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// Reasoning text: documents that exercise the skills the primitives measure — following chains of
// assignments, copying what followed a repeated piece, small arithmetic — written in surface forms
// that the primitives never use (sentences, Go statements, lists with "then"), so that pretraining can
// learn the skill without ever seeing an evaluation prompt. The primitives' own formats (tasks
// package) are "x=3, y=x, y=?", "x = 3\nprint(y)\n" and "a b c | b ->"; none of these shapes occurs
// here (a test checks that no primitive prompt occurs in this text).

// ReasoningText renders about n bytes of reasoning documents from seed, one document per paragraph.
func ReasoningText(seed uint64, n int) []string {
	r := splitmix.New(splitmix.Mix(seed, 0x7ea5))
	var docs []string
	size := 0
	for size < n {
		var d string
		switch r.Intn(4) {
		case 0:
			d = chainProse(&r)
		case 1:
			d = chainGo(&r)
		case 2:
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

// chain draws depth+1 distinct names and a value: names[0] holds v, each next holds the previous.
func chain(r *splitmix.Source, depth int) ([]string, int) {
	perm := r.Perm(len(reasoningNames))
	names := make([]string, depth+1)
	for i := range names {
		names[i] = reasoningNames[perm[i]]
	}
	return names, r.Intn(10)
}

// chainProse: "Let apple be 4. Let berry be apple. ... So berry is 4."
func chainProse(r *splitmix.Source) string {
	names, v := chain(r, 1+r.Intn(3))
	var b strings.Builder
	b.WriteString("Let " + names[0] + " be " + strconv.Itoa(v) + ". ")
	for i := 1; i < len(names); i++ {
		b.WriteString("Let " + names[i] + " be " + names[i-1] + ". ")
	}
	b.WriteString("So " + names[len(names)-1] + " is " + strconv.Itoa(v) + ".\n")
	return b.String()
}

// chainGo: Go statements with := and a Println whose output is stated in a comment.
func chainGo(r *splitmix.Source) string {
	names, v := chain(r, 1+r.Intn(3))
	var b strings.Builder
	b.WriteString(names[0] + " := " + strconv.Itoa(v) + "\n")
	for i := 1; i < len(names); i++ {
		b.WriteString(names[i] + " := " + names[i-1] + "\n")
	}
	b.WriteString("fmt.Println(" + names[len(names)-1] + ") // prints " + strconv.Itoa(v) + "\n")
	return b.String()
}

// recallList: a list of words, then which word came after a repeated pair.
func recallList(r *splitmix.Source) string {
	n := 6 + r.Intn(5)
	perm := r.Perm(len(reasoningNames))
	items := make([]string, n)
	for i := range items {
		items[i] = reasoningNames[perm[i]]
	}
	k := r.Intn(n - 2)
	return "The list was " + strings.Join(items, ", ") + ". After " + items[k] + " and " + items[k+1] + " came " + items[k+2] + ".\n"
}

// sumsProse: "Take 4 and 3. Together they make 7." or the difference, larger first.
func sumsProse(r *splitmix.Source) string {
	a, b := r.Intn(10), r.Intn(10)
	if r.Intn(2) == 0 {
		return "Take " + strconv.Itoa(a) + " and " + strconv.Itoa(b) + ". Together they make " + strconv.Itoa(a+b) + ".\n"
	}
	a, b = max(a, b), min(a, b)
	return "From " + strconv.Itoa(a) + " take away " + strconv.Itoa(b) + " and " + strconv.Itoa(a-b) + " is left.\n"
}
