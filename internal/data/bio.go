package data

import (
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// personBio writes an encyclopedic paragraph about person i that states every fact of that
// person (so reserved facts are learnable from Train), in a random order and phrasing.
func (w *World) personBio(b *strings.Builder, r *splitmix.Source, i int) {
	p := &w.people[i]
	var v vars
	w.setPerson(&v, p, "")
	v.set("Age", strconv.Itoa(p.age))
	v.set("B", w.towns[p.born].name)
	v.set("C", p.colour)
	v.set("Fd", p.food)
	v.set("Hb", p.hobby)
	v.set("R", w.regions[w.towns[p.home].region].name)
	v.set("Rv", w.rivers[w.towns[p.home].river])
	if r.Chance(0.3) {
		b.WriteString(p.full() + "\n\n")
	}
	ageDone := r.Chance(0.5)
	if ageDone {
		say(b, r, &v, "{N} is {Age} years old and works as {aJ} in {T}.",
			"{N}, {aJ} from {T}, is {Age} years old.",
			"{N} is a {Age}-year-old {J} who lives in {T}.")
	} else {
		say(b, r, &v, "{N} is {aJ} who lives in {T}.",
			"{N} lives in {T} and works as {aJ}.",
			"Living in the town of {T}, {N} works as {aJ}.",
			"{N} works as {aJ} in the town of {T}.")
	}
	parts := []func(){
		func() {
			if !ageDone {
				say(b, r, &v, "{She} is {Age} years old.", "{F} is {Age}.", "{Her} age is {Age}.")
			}
		},
		func() {
			if p.born == p.home {
				say(b, r, &v, "{She} was born in {B} and has lived there all {her} life.",
					"{F} was born in {B}, the town where {she} still lives.")
			} else {
				say(b, r, &v, "{She} was born in {B} but moved to {T} later.",
					"{F} was born in the town of {B}.", "{B} is the town where {F} was born.")
			}
		},
		func() {
			say(b, r, &v, "{Her} favourite colour is {C}.", "{F} likes the colour {C} best.",
				"Of all colours, {F} likes {C} the most.")
		},
		func() {
			say(b, r, &v, "{Her} favourite food is {Fd}.", "{She} loves to eat {Fd} more than anything.",
				"When asked about food, {F} always says that {her} favourite is {Fd}.")
		},
		func() {
			say(b, r, &v, "{Her} hobby is {Hb}.", "In {her} free time {F} enjoys {Hb}.",
				"{F} spends {her} free time {Hb}.")
		},
		func() { w.bioPet(b, r, &v, p) },
		func() { w.bioFriends(b, r, &v, p) },
		func() { w.bioSiblings(b, r, &v, p) },
		func() { w.bioOwns(b, r, &v, p) },
		func() {
			if r.Chance(0.4) {
				say(b, r, &v, "{T} lies on the {Rv} in {R}.", "{T}, {F}'s home town, is in {R}.")
			}
		},
	}
	splitmix.Shuffle(r, parts)
	for _, part := range parts {
		part()
	}
	trimSpace(b)
}

func (w *World) bioPet(b *strings.Builder, r *splitmix.Source, v *vars, p *person) {
	if p.pet == "" {
		say(b, r, v, "{F} has no pets.", "{She} does not keep any animals.")
		return
	}
	v.set("Pa", p.pet)
	v.set("aPa", article(p.pet))
	v.set("Pn", p.petName)
	say(b, r, v, "{She} has {aPa} named {Pn}.", "{F} keeps {aPa} called {Pn}.",
		"{Her} pet {Pa} is called {Pn}.", "{Pn}, {F}'s {Pa}, follows {him} everywhere.")
}

func (w *World) bioFriends(b *strings.Builder, r *splitmix.Source, v *vars, p *person) {
	if len(p.friends) == 0 {
		return
	}
	bf := &w.people[p.friends[0]]
	w.setPerson(v, bf, "2")
	say(b, r, v, "{Her} best friend is {N2}, {aJ2} from {T2}.",
		"{F}'s best friend is {N2}, who lives in {T2}.",
		"{N2}, {aJ2} in {T2}, is {F}'s best friend.")
	if len(p.friends) > 1 {
		var names []string
		for _, f := range p.friends[1:] {
			names = append(names, w.people[f].full())
		}
		v.set("Fs", list(names))
		say(b, r, v, "{F} is also friends with {Fs}.", "{F} is also good friends with {Fs}.")
	}
}

func (w *World) bioSiblings(b *strings.Builder, r *splitmix.Source, v *vars, p *person) {
	switch len(p.siblings) {
	case 0:
		say(b, r, v, "{F} has no brothers or sisters.", "{She} is an only child.")
		return
	case 1:
		s := &w.people[p.siblings[0]]
		w.setPerson(v, s, "3")
		rel := "brother"
		if s.female {
			rel = "sister"
		}
		v.set("rel", rel)
		say(b, r, v, "{Her} only sibling is {her} {rel}, {N3}.", "{F} has one {rel}, {N3}, who lives in {T3}.")
		return
	}
	var names []string
	for _, s := range p.siblings {
		names = append(names, w.people[s].full())
	}
	v.set("Sn", numberWords[len(p.siblings)])
	v.set("Ss", list(names))
	say(b, r, v, "{F} has {Sn} siblings: {Ss}.", "{Her} {Sn} siblings are {Ss}.")
}

func (w *World) bioOwns(b *strings.Builder, r *splitmix.Source, v *vars, p *person) {
	for _, o := range p.owns {
		v.set("Oc", o.colour)
		v.set("aOc", article(o.colour))
		v.set("Ot", o.thing)
		v.set("Os", o.spot)
		v.set("UOs", capitalize(o.spot))
		say(b, r, v, "{She} owns {aOc} {Ot}, which {she} keeps {Os}.",
			"{F}'s {Ot} is {Oc}, and {she} keeps it {Os}.",
			"{UOs}, {F} keeps {her} {Oc} {Ot}.")
	}
}

// townBio writes a paragraph about town t that states all of its facts and names some residents.
func (w *World) townBio(b *strings.Builder, r *splitmix.Source, t int) {
	tw := &w.towns[t]
	var v vars
	v.set("T", tw.name)
	v.set("R", w.regions[tw.region].name)
	v.set("Rv", w.rivers[tw.river])
	v.set("L", tw.landmark)
	v.set("P", tw.product)
	if r.Chance(0.3) {
		b.WriteString(tw.name + "\n\n")
	}
	say(b, r, &v, "{T} is a town in {R}.", "The town of {T} lies in {R}.", "In {R} lies the town of {T}.")
	parts := []func(){
		func() {
			say(b, r, &v, "The {Rv} flows through {T}.", "{T} was built on the banks of the {Rv}.",
				"{T} sits beside the {Rv}.")
		},
		func() {
			say(b, r, &v, "Its most famous landmark is the {L}.", "Visitors to {T} come to see the {L}.",
				"The {L} is the best-known sight in {T}.")
		},
		func() {
			say(b, r, &v, "{T} is famous for its {P}.", "The town is known for its {P}.",
				"People come from all over {R} to buy the {P} of {T}.")
		},
		func() { w.townResidents(b, r, &v, tw) },
		func() {
			var others []string
			for _, o := range w.regions[tw.region].towns {
				if o != t && len(others) < 3 {
					others = append(others, w.towns[o].name)
				}
			}
			v.set("Os", list(others))
			say(b, r, &v, "Other towns in {R} include {Os}.", "Its neighbours in {R} are {Os}.")
		},
	}
	splitmix.Shuffle(r, parts)
	for _, part := range parts {
		part()
	}
	trimSpace(b)
}

func (w *World) townResidents(b *strings.Builder, r *splitmix.Source, v *vars, tw *town) {
	if len(tw.residents) == 0 {
		say(b, r, v, "Nobody we know lives in {T}.")
		return
	}
	var names []string
	for k, id := range tw.residents {
		if k == 5 {
			break
		}
		p := &w.people[id]
		names = append(names, p.full()+" the "+professions[p.job].name)
	}
	v.set("Ps", list(names))
	if len(tw.residents) == 1 {
		say(b, r, v, "{Ps} lives there.")
		return
	}
	v.set("Pn", strconv.Itoa(len(tw.residents)))
	say(b, r, v, "People who live in {T} include {Ps}.", "{Pn} people we know live in {T}, among them {Ps}.")
}

// listDoc writes a small table-like document: the residents of a town, the people of one
// profession, or the pets of a region.
func (w *World) listDoc(b *strings.Builder, r *splitmix.Source) {
	switch r.Intn(3) {
	case 0:
		t := r.Intn(len(w.towns))
		b.WriteString("Residents of " + w.towns[t].name + ":\n")
		for _, id := range w.towns[t].residents {
			p := &w.people[id]
			b.WriteString("- " + p.full() + ", " + professions[p.job].name + ", age " + strconv.Itoa(p.age) + "\n")
		}
		if len(w.towns[t].residents) == 0 {
			b.WriteString("(none)\n")
		}
	case 1:
		j := r.Intn(len(professions))
		b.WriteString("Every " + professions[j].name + " in the land:\n")
		for id := range w.people {
			if p := &w.people[id]; p.job == j {
				b.WriteString("- " + p.full() + " of " + w.towns[p.home].name + "\n")
			}
		}
	default:
		g := r.Intn(len(w.regions))
		b.WriteString("Pets of " + w.regions[g].name + ":\n")
		for _, t := range w.regions[g].towns {
			for _, id := range w.towns[t].residents {
				if p := &w.people[id]; p.pet != "" {
					b.WriteString("- " + p.petName + ", the " + p.pet + " of " + p.full() + " in " + w.towns[t].name + "\n")
				}
			}
		}
	}
	trimSpace(b)
}

// trimSpace removes trailing spaces and newlines from b.
func trimSpace(b *strings.Builder) {
	s := b.String()
	t := strings.TrimRight(s, " \n")
	if len(t) != len(s) {
		b.Reset()
		b.WriteString(t)
	}
}
