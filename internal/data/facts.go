package data

import (
	"strconv"

	"midas/internal/splitmix"
)

// fact is one question instance about the world: an attribute of a person or a town, its short
// answer, and every phrasing of the question. A reserved fact is stated in Train documents but
// none of its phrasings is ever asked in a Train Q/A page.
type fact struct {
	attr      string
	person    int // -1 for a town fact
	answer    string
	questions []string
}

// reserveOneIn is the share of facts held out for closed-book evaluation (1 in 5).
const reserveOneIn = 5

func (w *World) buildFacts() {
	for i := range w.people {
		w.personFacts(i)
	}
	for t := range w.towns {
		w.townFacts(t)
	}
	for i := range w.facts {
		if splitmix.Mix(w.seed, 0x72657365727665, uint64(i))%reserveOneIn == 0 { // "reserve"
			w.reserved = append(w.reserved, i)
			continue
		}
		w.open = append(w.open, i)
	}
}

func (w *World) addFact(attr string, person int, answer string, questions ...string) {
	w.facts = append(w.facts, fact{attr: attr, person: person, answer: answer, questions: questions})
}

func (w *World) personFacts(i int) {
	p := &w.people[i]
	n := p.full()
	_, _, her, _, _ := p.pronouns()
	w.addFact("home", i, w.towns[p.home].name,
		"Where does "+n+" live?", "In which town does "+n+" live?", "What town is "+n+"'s home?")
	w.addFact("born", i, w.towns[p.born].name,
		"Where was "+n+" born?", "In which town was "+n+" born?")
	w.addFact("job", i, professions[p.job].name,
		"What does "+n+" do for a living?", "What is "+n+"'s job?", "What is "+n+"'s profession?")
	w.addFact("age", i, strconv.Itoa(p.age), "How old is "+n+"?", "What is "+n+"'s age?")
	w.addFact("colour", i, p.colour,
		"What is "+n+"'s favourite colour?", "Which colour does "+n+" like best?")
	w.addFact("food", i, p.food,
		"What is "+n+"'s favourite food?", "Which food does "+n+" like best?")
	w.addFact("hobby", i, p.hobby,
		"What is "+n+"'s hobby?", "What does "+n+" like to do in "+her+" free time?")
	if p.pet != "" {
		w.addFact("pet", i, p.pet,
			"What kind of pet does "+n+" have?", "What animal does "+n+" keep as a pet?")
		w.addFact("pet name", i, p.petName,
			"What is the name of "+n+"'s "+p.pet+"?", "What is "+n+"'s "+p.pet+" called?")
	}
	if len(p.friends) > 0 {
		w.addFact("best friend", i, w.people[p.friends[0]].full(), "Who is "+n+"'s best friend?")
	}
	w.addFact("siblings", i, strconv.Itoa(len(p.siblings)),
		"How many siblings does "+n+" have?", "How many brothers and sisters does "+n+" have?")
	if len(p.siblings) == 1 {
		s := &w.people[p.siblings[0]]
		rel := "brother"
		if s.female {
			rel = "sister"
		}
		w.addFact("sibling", i, s.full(), "Who is "+n+"'s "+rel+"?")
	}
	for _, o := range p.owns {
		w.addFact("owned colour", i, o.colour, "What colour is "+n+"'s "+o.thing+"?")
		w.addFact("owned spot", i, o.spot, "Where does "+n+" keep "+her+" "+o.thing+"?")
	}
}

func (w *World) townFacts(t int) {
	tw := &w.towns[t]
	n := tw.name
	w.addFact("region", -1, w.regions[tw.region].name,
		"In which region is "+n+"?", "Which region is "+n+" in?")
	w.addFact("river", -1, w.rivers[tw.river],
		"Which river flows through "+n+"?", "What river runs through "+n+"?")
	w.addFact("landmark", -1, tw.landmark,
		"What is the most famous landmark in "+n+"?", "What is the best-known sight in "+n+"?")
	w.addFact("product", -1, tw.product, "What is "+n+" famous for?", "What is "+n+" known for?")
}
