package data

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_world1.txt")

// goldenText renders a fixed selection of world-1 output: the first 20 Train documents (one full
// schedule cycle, every kind), 5 Val documents and 2 questions of each kind.
func goldenText() string {
	w := NewWorld(1)
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString("=== train " + strconv.Itoa(i) + "\n" + w.Document(Train, i) + "\n")
	}
	for i := 0; i < 5; i++ {
		b.WriteString("=== val " + strconv.Itoa(i) + "\n" + w.Document(Val, i) + "\n")
	}
	for _, k := range []string{ClosedBook, OpenBook, Math} {
		qs, err := w.Questions(k, 2, 7)
		if err != nil {
			panic(err)
		}
		for _, q := range qs {
			b.WriteString("=== " + q.Kind + "\n" + q.Prompt + "|" + q.Answer + "|\n")
		}
	}
	return b.String()
}

// TestGolden pins the generator: any change of output (a new Go version, a changed template)
// shows up here. Run `go test -run TestGolden -update` after an intended change.
func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "golden_world1.txt")
	got := goldenText()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < min(len(gl), len(wl)); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("output differs from %s at line %d:\ngot  %q\nwant %q", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("output differs from %s in length: %d vs %d lines", path, len(gl), len(wl))
	}
}

func TestWorldShape(t *testing.T) {
	w := NewWorld(42)
	if len(w.people) != numPeople || len(w.towns) != numRegions*townsPerRegion || len(w.regions) != numRegions {
		t.Fatalf("world has %d people, %d towns, %d regions", len(w.people), len(w.towns), len(w.regions))
	}
	names := map[string]bool{}
	for _, p := range w.people {
		if names[p.full()] {
			t.Errorf("duplicate person %q", p.full())
		}
		names[p.full()] = true
		if p.age < 18 || p.age > 88 {
			t.Errorf("%s is %d", p.full(), p.age)
		}
		for _, s := range p.siblings {
			if w.people[s].last != p.last || w.people[s].born != p.born {
				t.Errorf("siblings %s and %s differ in last name or birthplace", p.full(), w.people[s].full())
			}
		}
		for _, f := range p.friends {
			found := false
			for _, g := range w.people[f].friends {
				found = found || w.people[g].full() == p.full()
			}
			if !found {
				t.Errorf("friendship %s -> %s is not symmetric", p.full(), w.people[f].full())
			}
		}
	}
	for _, tw := range w.towns {
		if names[tw.name] {
			t.Errorf("duplicate town or town named like a person: %q", tw.name)
		}
		names[tw.name] = true
		inRegion := false
		for _, rv := range w.regions[tw.region].rivers {
			inRegion = inRegion || rv == tw.river
		}
		if !inRegion {
			t.Errorf("town %s lies on %s, a river of another region", tw.name, w.rivers[tw.river])
		}
	}
	// 1 in 5 reserved: with ~4700 facts the share must be close to 0.2 (±0.03 is > 5 sigma).
	share := float64(len(w.reserved)) / float64(len(w.facts))
	if share < 0.17 || share > 0.23 {
		t.Errorf("reserved share %.3f, want about 0.2", share)
	}
	if NewWorld(42).Document(Train, 3) != w.Document(Train, 3) {
		t.Error("same seed, different document")
	}
	if NewWorld(43).Document(Train, 0) == w.Document(Train, 0) {
		t.Error("different seeds, same document")
	}
}

// TestClosedBookNeverAskedInTrain generates 6000 Train documents (~4 MB) and checks that no
// phrasing of a reserved question appears in them, while open questions do.
func TestClosedBookNeverAskedInTrain(t *testing.T) {
	w := NewWorld(7)
	reserved := map[string]bool{}
	for _, f := range w.reserved {
		for _, q := range w.facts[f].questions {
			reserved[q] = true
		}
	}
	docs := 6000
	if testing.Short() {
		docs = 1500
	}
	asked := 0
	for i := 0; i < docs; i++ {
		d := w.Document(Train, i)
		for _, line := range strings.Split(d, "\n") {
			if q, ok := strings.CutPrefix(line, "Q: "); ok {
				asked++
				if reserved[q] {
					t.Fatalf("train document %d asks reserved question %q", i, q)
				}
			}
		}
		if i < 300 { // a direct substring scan too, independent of the line format
			for q := range reserved {
				if strings.Contains(d, q) {
					t.Fatalf("train document %d contains reserved question %q", i, q)
				}
			}
		}
	}
	if asked < docs/10 {
		t.Fatalf("only %d questions asked in %d train documents", asked, docs)
	}
	qs, err := w.Questions(ClosedBook, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		text := strings.TrimSuffix(strings.TrimPrefix(q.Prompt, "Q: "), "\nA:")
		if !reserved[text] || q.Answer == "" || strings.ContainsAny(q.Answer, "\n") {
			t.Fatalf("closed-book item %+v is not a reserved question", q)
		}
	}
	// Val Q/A pages ask only reserved questions.
	for i := 3; i < 400; i += len(schedule) {
		for _, line := range strings.Split(w.Document(Val, i), "\n") {
			if q, ok := strings.CutPrefix(line, "Q: "); ok && !reserved[q] {
				t.Fatalf("val Q/A page %d asks open question %q", i, q)
			}
		}
	}
}

// TestReservedFactsStatedInTrain checks that the biography of every person and town among the
// first 1440 Train documents states every fact, reserved ones included.
func TestReservedFactsStatedInTrain(t *testing.T) {
	w := NewWorld(7)
	bios := map[string]string{} // subject name -> lower-cased biography
	for i := 0; i < 20*len(w.towns); i++ {
		switch schedule[i%len(schedule)] {
		case kindPerson:
			bios[w.people[occurrence(i)%len(w.people)].full()] = strings.ToLower(w.Document(Train, i))
		case kindTown:
			bios[w.towns[occurrence(i)%len(w.towns)].name] = strings.ToLower(w.Document(Train, i))
		}
	}
	if len(bios) != len(w.people)+len(w.towns) {
		t.Fatalf("%d biographies, want %d", len(bios), len(w.people)+len(w.towns))
	}
	for _, fi := range w.reserved {
		f := w.facts[fi]
		subject := ""
		if f.person >= 0 {
			subject = w.people[f.person].full()
		} else {
			for _, tw := range w.towns {
				if strings.Contains(f.questions[0], " "+tw.name+"?") || strings.Contains(f.questions[0], " "+tw.name+" ") {
					subject = tw.name
				}
			}
		}
		bio, ok := bios[subject]
		if !ok {
			t.Fatalf("no biography for %q (fact %+v)", subject, f)
		}
		want := []string{strings.ToLower(f.answer)}
		if f.attr == "siblings" {
			n, _ := strconv.Atoi(f.answer)
			want = map[int][]string{0: {"no brothers or sisters", "only child"}, 1: {"only sibling", "has one"}}[n]
			if n > 1 {
				want = []string{numberWords[n] + " siblings"}
			}
		}
		found := false
		for _, s := range want {
			found = found || strings.Contains(bio, s)
		}
		if !found {
			t.Errorf("biography of %s does not state %s = %q:\n%s", subject, f.attr, f.answer, bio)
		}
	}
}

// TestWorldConsistency scans Train documents for statements about people and checks them
// against the world: "<Name> lives in <Town>", "<Name> is <N> years old", list rows.
func TestWorldConsistency(t *testing.T) {
	w := NewWorld(3)
	byName := map[string]*person{}
	for i := range w.people {
		byName[w.people[i].full()] = &w.people[i]
	}
	lives := regexp.MustCompile(`([A-Z][a-z]+ [A-Z][a-z]+) lives in ([A-Z][a-z]+)`)
	aged := regexp.MustCompile(`([A-Z][a-z]+ [A-Z][a-z]+) is (\d+) years old`)
	row := regexp.MustCompile(`(?m)^- ([A-Z][a-z]+ [A-Z][a-z]+), ([a-z ]+), age (\d+)$`)
	checked := 0
	for i := 0; i < 2000; i++ {
		d := w.Document(Train, i)
		for _, m := range lives.FindAllStringSubmatch(d, -1) {
			if p := byName[m[1]]; p != nil {
				checked++
				if w.towns[p.home].name != m[2] {
					t.Fatalf("doc %d: %q but %s lives in %s", i, m[0], m[1], w.towns[p.home].name)
				}
			}
		}
		for _, m := range aged.FindAllStringSubmatch(d, -1) {
			checked++
			if p := byName[m[1]]; p == nil || strconv.Itoa(p.age) != m[2] {
				t.Fatalf("doc %d: %q contradicts the world", i, m[0])
			}
		}
		for _, m := range row.FindAllStringSubmatch(d, -1) {
			checked++
			if p := byName[m[1]]; p == nil || professions[p.job].name != m[2] || strconv.Itoa(p.age) != m[3] {
				t.Fatalf("doc %d: row %q contradicts the world", i, m[0])
			}
		}
	}
	if checked < 200 {
		t.Fatalf("only %d statements checked", checked)
	}
}

// wordIn reports whether s occurs in text with no letter or digit on either side.
func wordIn(text, s string) bool {
	isWord := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for off := 0; ; {
		i := strings.Index(text[off:], s)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(s)
		if (i == 0 || !isWord(text[i-1])) && (j == len(text) || !isWord(text[j])) {
			return true
		}
		off = i + 1
	}
}

func TestOpenBookAnswersInStory(t *testing.T) {
	w := NewWorld(11)
	qs, err := w.Questions(OpenBook, 300, 5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, q := range qs {
		story, question, ok := strings.Cut(q.Prompt, "\n\nQ: ")
		if !ok || !strings.HasSuffix(question, "?\nA:") || q.Answer == "" {
			t.Fatalf("malformed open-book item %+v", q)
		}
		if !wordIn(story, q.Answer) {
			t.Fatalf("answer %q does not occur in the story:\n%s", q.Answer, q.Prompt)
		}
		if !inSplit(story, Val) {
			t.Fatalf("open-book story is not a Val story:\n%s", story)
		}
		seen[strings.Fields(question)[0]+strings.Fields(question)[1]] = true
	}
	if len(seen) < 5 {
		t.Errorf("only %d question openings in 300 items: %v", len(seen), seen)
	}
	// The questions appended to Train stories are answerable from the story too.
	for i := 1; i < 3000; i += len(schedule) {
		d := w.Document(Train, i)
		story, rest, found := strings.Cut(d, "\n\nQ: ")
		for found {
			var pair string
			pair, rest, found = strings.Cut(rest, "\n\nQ: ")
			_, a, _ := strings.Cut(pair, "\nA: ")
			if !wordIn(story, a) {
				t.Fatalf("train doc %d: answer %q not in story", i, a)
			}
		}
	}
}

func TestTrainValDisjoint(t *testing.T) {
	w := NewWorld(2)
	train := map[string]bool{}
	for i := 0; i < 3000; i++ {
		for _, par := range strings.Split(w.Document(Train, i), "\n\n") {
			train[par] = true
		}
	}
	math, _ := w.Questions(Math, 300, 1)
	for _, q := range math {
		problem := strings.TrimSuffix(q.Prompt, "\nAnswer:")
		for par := range train {
			if strings.HasPrefix(par, problem+"\n") {
				t.Fatalf("math question occurs in Train: %q", problem)
			}
		}
	}
	open, _ := w.Questions(OpenBook, 100, 1)
	for _, q := range open {
		story, _, _ := strings.Cut(q.Prompt, "\n\nQ: ")
		if train[story] {
			t.Fatalf("open-book story occurs in Train: %q", story)
		}
	}
	docs := map[string]bool{}
	for i := 0; i < 3000; i++ {
		docs[w.Document(Train, i)] = true
	}
	for i := 0; i < 1000; i++ {
		if docs[w.Document(Val, i)] {
			t.Fatalf("val document %d is also a train document", i)
		}
	}
	for i := 1; i < 400; i += len(schedule) { // Val stories are not Train stories
		story, _, _ := strings.Cut(w.Document(Val, i), "\n\nQ: ")
		if train[story] {
			t.Fatalf("val story %d occurs in Train", i)
		}
	}
}

func TestQuestionsContract(t *testing.T) {
	w := NewWorld(1)
	if _, err := w.Questions("trivia", 3, 1); err == nil || !strings.HasPrefix(err.Error(), "data: unknown question kind") {
		t.Fatalf("unknown kind: err = %v", err)
	}
	for _, k := range []string{ClosedBook, OpenBook, Math} {
		a, err := w.Questions(k, 20, 9)
		if err != nil || len(a) != 20 {
			t.Fatalf("%s: %d items, %v", k, len(a), err)
		}
		b, _ := w.Questions(k, 20, 9)
		c, _ := w.Questions(k, 20, 10)
		same := 0
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s: not deterministic at %d", k, i)
			}
			if a[i] == c[i] {
				same++
			}
			if a[i].Kind != k || strings.HasPrefix(a[i].Answer, " ") || strings.Contains(a[i].Answer, "\n") ||
				!(strings.HasSuffix(a[i].Prompt, "\nA:") || strings.HasSuffix(a[i].Prompt, "\nAnswer:")) {
				t.Fatalf("%s: malformed item %+v", k, a[i])
			}
		}
		if same > 10 {
			t.Errorf("%s: seeds 9 and 10 share %d of 20 items", k, same)
		}
		if z, err := w.Questions(k, 0, 1); err != nil || len(z) != 0 {
			t.Fatalf("%s: n=0 gave %d items, %v", k, len(z), err)
		}
	}
}

func TestCorpus(t *testing.T) {
	w := NewWorld(1)
	docs := w.Corpus(Val, 50_000)
	total := 0
	for i, d := range docs {
		if d != w.Document(Val, i) || d == "" || strings.HasSuffix(d, " ") || strings.HasSuffix(d, "\n") {
			t.Fatalf("doc %d: %q", i, d)
		}
		total += len(d)
	}
	if total < 50_000 || total-len(docs[len(docs)-1]) >= 50_000 {
		t.Fatalf("corpus of %d bytes in %d docs overshoots or falls short of 50000", total, len(docs))
	}
	if len(w.Corpus(Train, 0)) != 0 {
		t.Fatal("Corpus(0) is not empty")
	}
}

func BenchmarkDocument(b *testing.B) {
	w := NewWorld(1)
	for _, s := range []Split{Train, Val} {
		b.Run(s.String(), func(b *testing.B) {
			n := 0
			for i := 0; i < b.N; i++ {
				n += len(w.Document(s, i))
			}
			b.SetBytes(int64(n / max(b.N, 1)))
		})
	}
}
