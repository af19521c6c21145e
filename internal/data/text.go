package data

import (
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// vars holds the values of one template's {placeholders}. A fixed array keeps rendering free of
// map allocations; a template asking for an unset key is a bug in this package and panics.
type vars struct {
	keys [64]string
	vals [64]string
	n    int
}

func (v *vars) set(k, val string) {
	for i := 0; i < v.n; i++ {
		if v.keys[i] == k {
			v.vals[i] = val
			return
		}
	}
	v.keys[v.n], v.vals[v.n] = k, val
	v.n++
}

func (v *vars) get(k string) string {
	for i := 0; i < v.n; i++ {
		if v.keys[i] == k {
			return v.vals[i]
		}
	}
	panic("data: template variable {" + k + "} is not set")
}

// fill appends template t to b, replacing every {key} with its value in v.
func fill(b *strings.Builder, t string, v *vars) {
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return
		}
		b.WriteString(t[:i])
		j := strings.IndexByte(t[i:], '}')
		b.WriteString(v.get(t[i+1 : i+j]))
		t = t[i+j+1:]
	}
}

// say appends one sentence chosen uniformly from alternatives, followed by a space.
func say(b *strings.Builder, r *splitmix.Source, v *vars, alternatives ...string) {
	fill(b, splitmix.Pick(r, alternatives), v)
	b.WriteByte(' ')
}

// article returns "a word" or "an word".
func article(word string) string {
	if word != "" && strings.IndexByte("aeiouAEIOU", word[0]) >= 0 {
		return "an " + word
	}
	return "a " + word
}

// count renders "1 apple", "3 apples" or "no apples".
func count(n int, c countable) string {
	switch n {
	case 0:
		return "no " + c.many
	case 1:
		return "1 " + c.one
	}
	return strconv.Itoa(n) + " " + c.many
}

// list joins names as "A", "A and B" or "A, B and C".
func list(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// setPerson stores the names and pronouns of p under keys ending in suffix:
// N (full name), F (first name), she, She, her, Her, him, T (home town), J (job), aJ ("a baker").
func (w *World) setPerson(v *vars, p *person, suffix string) {
	she, She, her, Her, him := p.pronouns()
	v.set("N"+suffix, p.full())
	v.set("F"+suffix, p.first)
	v.set("she"+suffix, she)
	v.set("She"+suffix, She)
	v.set("her"+suffix, her)
	v.set("Her"+suffix, Her)
	v.set("him"+suffix, him)
	v.set("T"+suffix, w.towns[p.home].name)
	v.set("J"+suffix, professions[p.job].name)
	v.set("aJ"+suffix, article(professions[p.job].name))
}

// capitalize upper-cases the first byte of an ASCII sentence.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
