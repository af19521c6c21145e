package data

import (
	"slices"
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// qa is one question about a story with its short answer; every answer occurs in the story.
type qa struct{ q, a string }

// story writes one short story about the world and returns the questions it can answer. Stories
// use world facts (homes, jobs, pets, friends, landmarks, rivers) and their own events, and are
// consistent with both.
func (w *World) story(b *strings.Builder, r *splitmix.Source) []qa {
	switch r.Intn(5) {
	case 0:
		return w.storyVisit(b, r)
	case 1:
		return w.storyLostPet(b, r)
	case 2:
		return w.storyWorkDay(b, r)
	case 3:
		return w.storyTrip(b, r)
	}
	return w.storyDinner(b, r)
}

// otherPerson returns a person whose first name differs from all of avoid's first names,
// preferring the candidates (in a random order) and falling back to anyone.
func (w *World) otherPerson(r *splitmix.Source, candidates []int, avoid ...int) int {
	ok := func(c int) bool {
		for _, a := range avoid {
			if w.people[c].first == w.people[a].first {
				return false
			}
		}
		return true
	}
	if len(candidates) > 0 {
		start := r.Intn(len(candidates))
		for k := range candidates {
			if c := candidates[(start+k)%len(candidates)]; ok(c) {
				return c
			}
		}
	}
	for {
		if c := r.Intn(len(w.people)); ok(c) {
			return c
		}
	}
}

func (w *World) storyVisit(b *strings.Builder, r *splitmix.Source) []qa {
	pi := r.Intn(len(w.people))
	p := &w.people[pi]
	f := &w.people[w.otherPerson(r, p.friends, pi)]
	it := splitmix.Pick(r, items)
	n, m := r.Between(3, 12), r.Between(2, 9)
	k := r.Between(2, min(n+m-1, 9))
	ft := &w.towns[f.home]
	mid := splitmix.Pick(r, w.regions[ft.region].towns)
	gift := splitmix.Pick(r, colours) + " " + splitmix.Pick(r, belongings)
	var v vars
	w.setPerson(&v, p, "")
	w.setPerson(&v, f, "2")
	v.set("D", splitmix.Pick(r, weekdays))
	v.set("W", splitmix.Pick(r, weathers))
	v.set("By", splitmix.Pick(r, transports))
	v.set("I", it.many)
	v.set("n", count(n, it))
	v.set("m", strconv.Itoa(m))
	v.set("nm", count(n+m, it))
	v.set("k", count(k, it))
	v.set("left", count(n+m-k, it))
	v.set("M", w.towns[mid].name)
	v.set("Wp", professions[f.job].place)
	v.set("aG", article(gift))
	v.set("L", ft.landmark)
	v.set("Rv", w.rivers[ft.river])
	if p.home == f.home {
		say(b, r, &v, "One {W} {D} morning, {N} set off to visit {her} friend {N2}, who lives on the other side of {T}.",
			"On a {W} {D}, {N} went across {T} to see {her} friend {N2}.")
	} else {
		say(b, r, &v, "One {W} {D} morning, {N} set off from {T} to visit {her} friend {N2} in {T2}.",
			"On a {W} {D}, {N} left {T} to see {her} friend {N2}, who lives in {T2}.")
	}
	say(b, r, &v, "{She} travelled by {By} and carried a basket with {n}.", "{F} took the {By} and brought {n} in a basket.")
	say(b, r, &v, "On the way, {she} stopped at the market in {M} and bought {m} more {I}, so the basket now held {nm}.",
		"At the market in {M}, {F} bought {m} more {I}. Now there were {nm} in the basket.")
	say(b, r, &v, "When {F} arrived, {F2} was still at the {Wp}.", "{F2} came home from the {Wp} just as {F} arrived.")
	say(b, r, &v, "{F} gave {k} to {F2}.", "{F} handed {F2} {k} from the basket.")
	say(b, r, &v, "In return, {F2} gave {F} {aG}.", "{F2} thanked {F} with {aG}.")
	say(b, r, &v, "Then the two friends walked to the {L} by the {Rv}.", "Later they walked together along the {Rv} to the {L}.")
	if p.pet != "" && r.Chance(0.5) {
		v.set("Pa", p.pet)
		v.set("Pn", p.petName)
		say(b, r, &v, "Back in {T}, {her} {Pa} {Pn} was waiting for {him}.")
	}
	say(b, r, &v, "When {F} got home that evening, {she} had {left} left.", "That evening {F} counted {left} left in the basket.")
	I := it.many
	return []qa{
		{"Who did " + p.first + " visit?", f.full()},
		{"Where did " + p.first + " buy more " + I + "?", w.towns[mid].name},
		{"What did " + f.first + " give " + p.first + "?", gift},
		{"How many " + I + " did " + p.first + " bring from home?", strconv.Itoa(n)},
		{"How many " + I + " did " + p.first + " give to " + f.first + "?", strconv.Itoa(k)},
		{"How many " + I + " did " + p.first + " have left at the end?", strconv.Itoa(n + m - k)},
		{"Where did the two friends walk to?", ft.landmark},
	}
}

func (w *World) storyLostPet(b *strings.Builder, r *splitmix.Source) []qa {
	pi := r.Intn(len(w.people))
	for w.people[pi].pet == "" {
		pi = (pi + 1) % len(w.people)
	}
	p := &w.people[pi]
	t := &w.towns[p.home]
	hi := w.otherPerson(r, t.residents, pi)
	neighbour := w.people[hi].home == p.home
	if !neighbour {
		hi = w.otherPerson(r, p.friends, pi)
	}
	h := &w.people[hi]
	ri := r.Intn(len(rooms))
	r1, r2 := rooms[ri], rooms[(ri+1+r.Intn(len(rooms)-1))%len(rooms)]
	it := splitmix.Pick(r, items)
	n := r.Between(2, 9)
	var v vars
	w.setPerson(&v, p, "")
	w.setPerson(&v, h, "2")
	v.set("D", splitmix.Pick(r, weekdays))
	v.set("W", splitmix.Pick(r, weathers))
	v.set("Pa", p.pet)
	v.set("aPa", article(p.pet))
	v.set("Pn", p.petName)
	v.set("R1", r1)
	v.set("R2", r2)
	v.set("L", t.landmark)
	v.set("n", count(n, it))
	v.set("Do", splitmix.Pick(r, []string{"sitting in the sun", "sleeping under a bench", "eating " + splitmix.Pick(r, foods),
		"hiding behind " + article(splitmix.Pick(r, colours)) + " " + splitmix.Pick(r, belongings), "playing with a child"}))
	say(b, r, &v, "On a {W} {D}, {N} could not find {her} {Pa}, {Pn}.", "One {W} {D}, {N}'s {Pa} {Pn} went missing.")
	say(b, r, &v, "{She} looked in the {R1} and then in the {R2}, but {Pn} was not there.",
		"{F} searched the {R1} first and then the {R2}, but there was no sign of {Pn}.")
	if neighbour {
		say(b, r, &v, "So {F} asked {N2}, {aJ2} who also lives in {T}, for help.",
			"{F} knocked on the door of {N2}, {aJ2} who lives nearby in {T}.")
	} else {
		say(b, r, &v, "So {F} called {N2}, who came over from {T2} to help.")
	}
	say(b, r, &v, "{F2} had seen {aPa} near the {L}.", "{F2} said that {she2} had seen {aPa} by the {L}.")
	say(b, r, &v, "They hurried to the {L}, and there was {Pn}, {Do}.", "At the {L} they found {Pn} {Do}.")
	say(b, r, &v, "To say thank you, {F} gave {F2} {n}.", "{F} thanked {F2} with a gift of {n}.")
	return []qa{
		{"Where did " + p.first + " look first?", r1},
		{"Who helped " + p.first + " look for " + p.petName + "?", h.full()},
		{"Where did they find " + p.petName + "?", t.landmark},
		{"How many " + it.many + " did " + p.first + " give to " + h.first + "?", strconv.Itoa(n)},
		{"What kind of animal is " + p.petName + "?", p.pet},
	}
}

func (w *World) storyWorkDay(b *strings.Builder, r *splitmix.Source) []qa {
	pi := r.Intn(len(w.people))
	for professions[w.people[pi].job].goods == "" {
		pi = (pi + 1) % len(w.people)
	}
	p := &w.people[pi]
	job := &professions[p.job]
	n, m := r.Between(5, 15), r.Between(3, 10)
	a := r.Between(2, (n+m)/2)
	c := r.Between(1, n+m-3-a)
	if c >= a { // the second customer buys a different number than the first; at least 2 are left
		c++
	}
	c1 := w.otherPerson(r, w.towns[p.home].residents, pi)
	c2 := w.otherPerson(r, w.towns[p.home].residents, pi, c1)
	var v vars
	w.setPerson(&v, p, "")
	w.setPerson(&v, &w.people[c1], "2")
	w.setPerson(&v, &w.people[c2], "3")
	v.set("D", splitmix.Pick(r, weekdays))
	v.set("V", job.verb)
	v.set("G", job.goods)
	v.set("Wp", job.place)
	v.set("n", strconv.Itoa(n))
	v.set("m", strconv.Itoa(m))
	v.set("nm", strconv.Itoa(n+m))
	v.set("a", strconv.Itoa(a))
	v.set("c", strconv.Itoa(c))
	v.set("left", strconv.Itoa(n+m-a-c))
	say(b, r, &v, "{N} is {aJ} in {T}.", "{N} works as {aJ} in {T}.")
	say(b, r, &v, "On {D} morning {she} {V} {n} {G} at the {Wp}.", "Early on {D}, {F} went to the {Wp} and {V} {n} {G}.")
	say(b, r, &v, "In the afternoon {she} {V} {m} more, so by evening there were {nm} {G}.",
		"After lunch {F} {V} another {m}, which made {nm} {G} in all.")
	say(b, r, &v, "{N2} came by and bought {a}, and later {N3} bought {c}.",
		"First {N2} bought {a} of them. Then {N3} came and bought {c}.")
	say(b, r, &v, "At the end of the day {F} had {left} {G} left.", "When the {Wp} closed, {left} {G} were left.")
	return []qa{
		{"How many " + job.goods + " did " + p.first + " " + job.base + " in the morning?", strconv.Itoa(n)},
		{"Who bought " + strconv.Itoa(a) + " " + job.goods + "?", w.people[c1].full()},
		{"How many " + job.goods + " did " + w.people[c2].first + " buy?", strconv.Itoa(c)},
		{"How many " + job.goods + " were left at the end of the day?", strconv.Itoa(n + m - a - c)},
		{"How many " + job.goods + " were there by evening?", strconv.Itoa(n + m)},
	}
}

func (w *World) storyTrip(b *strings.Builder, r *splitmix.Source) []qa {
	pi := r.Intn(len(w.people))
	p := &w.people[pi]
	ci := w.otherPerson(r, p.friends, pi)
	g := &w.regions[r.Intn(len(w.regions))]
	order := append([]int(nil), g.towns...)
	splitmix.Shuffle(r, order)
	ta, tb, tc := &w.towns[order[0]], &w.towns[order[1]], &w.towns[order[2]]
	days := r.Between(2, 9)
	food := splitmix.Pick(r, foods)
	gift := splitmix.Pick(r, colours) + " " + splitmix.Pick(r, belongings)
	var v vars
	w.setPerson(&v, p, "")
	w.setPerson(&v, &w.people[ci], "2")
	v.set("S", splitmix.Pick(r, seasons))
	v.set("R", g.name)
	v.set("A", ta.name)
	v.set("LA", ta.landmark)
	v.set("B", tb.name)
	v.set("RvB", w.rivers[tb.river])
	v.set("C", tc.name)
	v.set("PC", tc.product)
	v.set("By", splitmix.Pick(r, transports))
	v.set("Fd", food)
	v.set("aG", article(gift))
	v.set("d", strconv.Itoa(days))
	say(b, r, &v, "Last {S}, {N} and {N2} went on a journey through {R}.",
		"In the {S}, {N} travelled around {R} with {her} friend {N2}.")
	say(b, r, &v, "They started in {A}, where they saw the {LA}.", "Their journey began in {A}, home of the {LA}.")
	say(b, r, &v, "From there they took the {By} to {B}, a town on the {RvB}.", "Next they went by {By} to {B} on the {RvB}.")
	say(b, r, &v, "In {B} they ate {Fd}, and {F2} bought {aG}.", "{F2} bought {aG} in {B}, and they had {Fd} for dinner there.")
	say(b, r, &v, "Their last stop was {C}, which is famous for its {PC}.", "Finally they reached {C}, a town known for its {PC}.")
	say(b, r, &v, "After {d} days they returned home.", "The whole journey took {d} days.")
	f2 := w.people[ci].first
	return []qa{
		{"Where did the journey of " + p.first + " and " + f2 + " start?", ta.name},
		{"Which town did " + p.first + " and " + f2 + " visit after " + ta.name + "?", tb.name},
		{"What was the last stop of the journey?", tc.name},
		{"What did " + f2 + " buy in " + tb.name + "?", gift},
		{"What did they eat in " + tb.name + "?", food},
		{"How many days did the journey take?", strconv.Itoa(days)},
	}
}

func (w *World) storyDinner(b *strings.Builder, r *splitmix.Source) []qa {
	pi := r.Intn(len(w.people))
	p := &w.people[pi]
	g1 := w.otherPerson(r, p.friends, pi)
	g2 := w.otherPerson(r, p.friends, pi, g1)
	g3 := w.otherPerson(r, p.friends, pi, g1, g2)
	guests := []int{g1, g2, g3}
	dishes := make([]string, 0, 3)
	for len(dishes) < 3 {
		d := splitmix.Pick(r, foods)
		if d != p.food && !slices.Contains(dishes, d) {
			dishes = append(dishes, d)
		}
	}
	last := r.Intn(3)
	var v vars
	w.setPerson(&v, p, "")
	for k, gi := range guests {
		s := strconv.Itoa(k + 2)
		w.setPerson(&v, &w.people[gi], s)
		v.set("Fd"+s, dishes[k])
	}
	w.setPerson(&v, &w.people[guests[last]], "L")
	v.set("D", splitmix.Pick(r, weekdays))
	v.set("Fd", p.food)
	v.set("Gm", splitmix.Pick(r, games))
	v.set("H", splitmix.Pick(r, hours))
	say(b, r, &v, "On {D} evening, {N} invited three friends to dinner at {her} home in {T}: {N2}, {N3} and {N4}.",
		"{N} asked {N2}, {N3} and {N4} to come to dinner at {her} house in {T} on {D}.")
	say(b, r, &v, "{F2} brought {Fd2}, {F3} brought {Fd3}, and {F4} came with {Fd4}.",
		"{F2} came with {Fd2}. {F3} brought {Fd3}, and {F4} brought {Fd4}.")
	say(b, r, &v, "{F} cooked {Fd}, because it is {her} favourite food.", "For the main course {F} made {Fd}, {her} favourite dish.")
	say(b, r, &v, "After dinner they played {Gm}.", "Later that evening they played {Gm} by the fire.")
	say(b, r, &v, "{FL} was the last to leave, at {H}.", "{FL} stayed the longest and went home at {H}.")
	return []qa{
		{"What did " + w.people[g1].first + " bring to dinner?", dishes[0]},
		{"Who brought " + dishes[1] + "?", w.people[g2].full()},
		{"What did they play after dinner?", v.get("Gm")},
		{"What did " + p.first + " cook?", p.food},
		{"When did " + w.people[guests[last]].first + " go home?", v.get("H")},
	}
}
