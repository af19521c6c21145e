package data

import "midas/internal/splitmix"

// World sizes. They were chosen so that a 4-layer, dim-256 model keeps finding facts to learn for
// tens of minutes: 300 people × ~15 facts plus 72 towns × 4 facts is a few thousand facts.
const (
	numRegions      = 8
	riversPerRegion = 2
	townsPerRegion  = 9
	numPeople       = 300
	ownedPerPerson  = 2
)

// World is a fixed random world: regions, rivers, towns and the people who live in them. It is
// built by NewWorld from a seed and never changes; every document and question is rendered from it.
type World struct {
	seed    uint64
	regions []region
	rivers  []string
	towns   []town
	people  []person

	facts    []fact
	reserved []int // indices of facts whose questions are never asked in Train
	open     []int // indices of all other facts
}

type region struct {
	name   string
	rivers []int
	towns  []int
}

type town struct {
	name      string
	region    int
	river     int
	landmark  string
	product   string
	residents []int // people whose home this is, in id order
}

type owned struct {
	thing, colour, spot string
}

type person struct {
	first, last string
	female      bool
	age         int
	home, born  int // town ids
	job         int // index into professions
	colour      string
	food        string
	hobby       string
	pet         string // animal; "" when the person has no pet
	petName     string
	friends     []int // symmetric; friends[0] is the best friend
	siblings    []int
	owns        []owned
}

func (p *person) full() string { return p.first + " " + p.last }

// NewWorld builds the world of a seed. The same seed gives the same world on every machine.
func NewWorld(seed uint64) *World {
	w := &World{seed: seed}
	r := splitmix.New(splitmix.Mix(seed, 0x776f726c64)) // "world"
	w.buildGeography(&r)
	w.buildPeople(&r)
	w.buildFriends(&r)
	for i := range w.people {
		t := &w.towns[w.people[i].home]
		t.residents = append(t.residents, i)
	}
	w.buildFacts()
	return w
}

func (w *World) buildGeography(r *splitmix.Source) {
	names := append([]string(nil), regionNames...)
	splitmix.Shuffle(r, names)
	rivers := append([]string(nil), riverNames...)
	splitmix.Shuffle(r, rivers)
	w.rivers = rivers[:numRegions*riversPerRegion]
	taken := map[string]bool{}
	for _, n := range regionNames {
		taken[n] = true
	}
	for g := 0; g < numRegions; g++ {
		reg := region{name: names[g]}
		for k := 0; k < riversPerRegion; k++ {
			reg.rivers = append(reg.rivers, g*riversPerRegion+k)
		}
		w.regions = append(w.regions, reg)
	}
	for t := 0; t < numRegions*townsPerRegion; t++ {
		var name string
		for name == "" || taken[name] {
			name = splitmix.Pick(r, townHeads) + splitmix.Pick(r, townTails)
		}
		taken[name] = true
		g := t % numRegions
		w.towns = append(w.towns, town{
			name:     name,
			region:   g,
			river:    splitmix.Pick(r, w.regions[g].rivers),
			landmark: splitmix.Pick(r, landmarks),
			product:  splitmix.Pick(r, products),
		})
		w.regions[g].towns = append(w.regions[g].towns, t)
	}
}

func (w *World) buildPeople(r *splitmix.Source) {
	used := map[string]bool{}
	for len(w.people) < numPeople {
		size := 1 + r.Intn(4)
		if size == 4 && r.Chance(0.5) {
			size = 2
		}
		size = min(size, numPeople-len(w.people))
		last := splitmix.Pick(r, lastNames)
		born := r.Intn(len(w.towns))
		baseAge := r.Between(20, 70)
		first := len(w.people)
		for k := 0; k < size; k++ {
			p := w.newPerson(r, last, born, baseAge, used)
			if p == nil {
				break
			}
			w.people = append(w.people, *p)
		}
		for a := first; a < len(w.people); a++ {
			for b := first; b < len(w.people); b++ {
				if a != b {
					w.people[a].siblings = append(w.people[a].siblings, b)
				}
			}
		}
	}
}

// newPerson draws one member of a family; nil if no unused full name was found.
func (w *World) newPerson(r *splitmix.Source, last string, born, baseAge int, used map[string]bool) *person {
	p := &person{last: last, born: born}
	for try := 0; try < 40 && p.first == ""; try++ {
		female := r.Chance(0.5)
		name := splitmix.Pick(r, maleNames)
		if female {
			name = splitmix.Pick(r, femaleNames)
		}
		if !used[name+" "+last] {
			p.first, p.female = name, female
		}
	}
	if p.first == "" {
		return nil
	}
	used[p.full()] = true
	p.age = min(max(baseAge+r.Between(-6, 6), 18), 88)
	p.home = born
	if r.Chance(0.45) {
		if r.Chance(0.6) {
			p.home = splitmix.Pick(r, w.regions[w.towns[born].region].towns)
		} else {
			p.home = r.Intn(len(w.towns))
		}
	}
	p.job = r.Intn(len(professions))
	p.colour = splitmix.Pick(r, colours)
	p.food = splitmix.Pick(r, foods)
	p.hobby = splitmix.Pick(r, hobbies)
	if r.Chance(0.75) {
		p.pet = splitmix.Pick(r, animals)
		p.petName = splitmix.Pick(r, petNames)
	}
	things := r.Intn(len(belongings))
	step := 1 + r.Intn(len(belongings)-1)
	for k := 0; k < ownedPerPerson; k++ {
		p.owns = append(p.owns, owned{
			thing:  belongings[(things+k*step)%len(belongings)],
			colour: splitmix.Pick(r, colours),
			spot:   splitmix.Pick(r, spots),
		})
	}
	return p
}

func (w *World) buildFriends(r *splitmix.Source) {
	n := len(w.people)
	isFriend := func(a, b int) bool {
		for _, f := range w.people[a].friends {
			if f == b {
				return true
			}
		}
		return false
	}
	isSibling := func(a, b int) bool {
		for _, s := range w.people[a].siblings {
			if s == b {
				return true
			}
		}
		return false
	}
	for a := 0; a < n; a++ {
		want := r.Between(2, 3)
		for try := 0; try < 50 && len(w.people[a].friends) < want; try++ {
			b := r.Intn(n)
			if r.Chance(0.5) { // prefer a neighbour from the same region
				reg := w.regions[w.towns[w.people[a].home].region]
				t := splitmix.Pick(r, reg.towns)
				for c := 0; c < n; c++ {
					if w.people[(b+c)%n].home == t {
						b = (b + c) % n
						break
					}
				}
			}
			if b == a || isFriend(a, b) || isSibling(a, b) || len(w.people[b].friends) >= 5 {
				continue
			}
			w.people[a].friends = append(w.people[a].friends, b)
			w.people[b].friends = append(w.people[b].friends, a)
		}
	}
}

// pronouns of a person: subject, capitalised subject, possessive, capitalised possessive, object.
func (p *person) pronouns() (she, She, her, Her, him string) {
	if p.female {
		return "she", "She", "her", "Her", "her"
	}
	return "he", "He", "his", "His", "him"
}
