package data

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The sentence and question forms the solver understands (anchored).
var (
	reBoxes    = anchored(`\w+ ha[sd] \d+ (?:bags|boxes|baskets|jars|crates|tins)\.`)
	reHas      = anchored(`(\w+) ha[sd] (\d+) (\w+)\.`)
	reEach     = anchored(`Each (\w+) holds (\d+) (\w+)\.`)
	reMore     = anchored(`(\w+) (?:buys|bought|finds|found|gives|gave)(?: him| her)? (\d+) more\.`)
	reLess     = anchored(`(\w+) (?:gives|gave|loses|lost|sells|sold) (\d+)(?: to \w+)?\.`)
	reMoreThan = anchored(`(\w+) ha[sd] (\d+) more (\w+) than (\w+)\.`)
	reTwice    = anchored(`(\w+) ha[sd] twice as many (\w+) as (\w+)\.`)
	reShare    = anchored(`(\w+) (?:shares|shared) them equally among (\d+) friends\.`)
	qHave      = anchored(`How many (\w+) does (\w+) have(?: now| left| in all| in total)?\?`)
	qTogether  = anchored(`How many (\w+) do they have together\?`)
	qMoreThan  = anchored(`How many more (\w+) does (\w+) have than (\w+)\?`)
	qEach      = anchored(`How many (\w+) does each friend get\?`)
	reSentence = regexp.MustCompile(`[^.?]+[.?]`)
)

func anchored(s string) *regexp.Regexp { return regexp.MustCompile("^" + s + "$") }

// solve re-solves a word problem from its text alone, sentence by sentence, without using the
// generator's numbers. It knows the surface forms of the problems and fails on anything else.
func solve(text string) (int, error) {
	have := map[string]int{}
	hero := "" // the person the problem is about; pronouns refer to it
	boxes, share := 0, -1
	subject := func(w string) string {
		if w == "He" || w == "She" {
			return hero
		}
		return w
	}
	sentences := reSentence.FindAllString(text, -1)
	for i := range sentences {
		sentences[i] = strings.TrimSpace(sentences[i])
	}
	if strings.Join(sentences, " ") != text {
		return 0, fmt.Errorf("cannot split %q into sentences", text)
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	for _, s := range sentences {
		var m []string
		switch {
		case reBoxes.MatchString(s):
			m = reHas.FindStringSubmatch(s)
			boxes, hero = atoi(m[2]), m[1]
		case reEach.MatchString(s):
			have[hero] = boxes * atoi(reEach.FindStringSubmatch(s)[2])
		case reHas.MatchString(s):
			m = reHas.FindStringSubmatch(s)
			if hero == "" {
				hero = m[1]
			}
			have[m[1]] = atoi(m[2])
		case reMoreThan.MatchString(s):
			m = reMoreThan.FindStringSubmatch(s)
			have[m[1]] = have[m[4]] + atoi(m[2])
		case reTwice.MatchString(s):
			m = reTwice.FindStringSubmatch(s)
			have[m[1]] = 2 * have[m[3]]
		case reMore.MatchString(s):
			have[hero] += atoi(reMore.FindStringSubmatch(s)[2]) // "Ann gives him 3 more" also adds to the hero
		case reLess.MatchString(s):
			m = reLess.FindStringSubmatch(s)
			have[subject(m[1])] -= atoi(m[2])
		case reShare.MatchString(s):
			m = reShare.FindStringSubmatch(s)
			if k := atoi(m[2]); have[subject(m[1])]%k == 0 {
				share = have[subject(m[1])] / k
			} else {
				return 0, fmt.Errorf("%q does not share evenly", text)
			}
		default:
			return answerQuestion(text, s, have, share)
		}
		for who, v := range have {
			if v < 0 {
				return 0, fmt.Errorf("%s has %d in %q", who, v, text)
			}
		}
	}
	return 0, fmt.Errorf("no question in %q", text)
}

// answerQuestion answers the question sentence q of a problem from the counts solved so far.
func answerQuestion(text, q string, have map[string]int, share int) (int, error) {
	switch {
	case qHave.MatchString(q):
		return have[qHave.FindStringSubmatch(q)[2]], nil
	case qTogether.MatchString(q):
		sum := 0
		for _, v := range have {
			sum += v
		}
		return sum, nil
	case qMoreThan.MatchString(q):
		m := qMoreThan.FindStringSubmatch(q)
		return have[m[2]] - have[m[3]], nil
	case qEach.MatchString(q) && share >= 0:
		return share, nil
	}
	return 0, fmt.Errorf("unknown sentence %q in %q", q, text)
}

// checkWork verifies every equation "a op b = c." of a Solution line and that the last result is
// the answer.
func checkWork(work string, answer int) error {
	eq := regexp.MustCompile(`(\d+) ([-+*/]) (\d+) = (\d+)\.`)
	ms := eq.FindAllStringSubmatch(work, -1)
	if len(ms) == 0 {
		return fmt.Errorf("no equation in %q", work)
	}
	last := -1
	for _, m := range ms {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[3])
		c, _ := strconv.Atoi(m[4])
		want := map[string]int{"+": a + b, "-": a - b, "*": a * b}[m[2]]
		if m[2] == "/" {
			if b == 0 || a%b != 0 {
				return fmt.Errorf("inexact division in %q", work)
			}
			want = a / b
		}
		if c != want {
			return fmt.Errorf("wrong equation %q", m[0])
		}
		last = c
	}
	if last != answer {
		return fmt.Errorf("work %q ends in %d, answer %d", work, last, answer)
	}
	return nil
}

func TestSolverRejectsWrongProblems(t *testing.T) {
	// Guard values: the solver must notice nonsense, or the tests below could not fail.
	for _, text := range []string{
		"Ann has 3 apples. She flies away. How many apples does Ann have now?",
		"Ann has 3 apples. She gives 5 to Tom. How many apples does Ann have now?",
		"Ann has 7 apples. She shares them equally among 2 friends. How many apples does each friend get?",
	} {
		if _, err := solve(text); err == nil {
			t.Errorf("solve(%q) succeeded", text)
		}
	}
	if n, err := solve("Ann had 4 pears. Tom gave her 3 more. She lost 2. How many pears does Ann have left?"); err != nil || n != 5 {
		t.Errorf("solve = %d, %v; want 5", n, err)
	}
}

// TestMathAnswers re-solves every word problem of 400 Train documents and of 500 math questions
// from its text and checks the stated answer and every equation of the worked solution.
func TestMathAnswers(t *testing.T) {
	w := NewWorld(5)
	kinds := map[string]bool{}
	digits := regexp.MustCompile(`\d+`)
	check := func(where, text string, answer int) {
		got, err := solve(text)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if got != answer {
			t.Fatalf("%s: %q\nsolver says %d, generator says %d", where, text, got, answer)
		}
		kinds[digits.ReplaceAllString(text, "N")[len(strings.Fields(text)[0]):]] = true
	}
	for i := 2; i < 400*len(schedule)/4; i++ {
		if schedule[i%len(schedule)] != kindMath {
			continue
		}
		for _, par := range strings.Split(w.Document(Train, i), "\n\n") {
			lines := strings.Split(par, "\n")
			if len(lines) < 2 {
				continue // a title
			}
			answer, err := strconv.Atoi(strings.TrimPrefix(lines[len(lines)-1], "Answer: "))
			if err != nil {
				t.Fatalf("doc %d: bad answer line in %q", i, par)
			}
			check(fmt.Sprintf("train doc %d", i), lines[0], answer)
			if len(lines) == 3 {
				if err := checkWork(strings.TrimPrefix(lines[1], "Solution: "), answer); err != nil {
					t.Fatalf("doc %d: %v", i, err)
				}
			}
		}
	}
	qs, err := w.Questions(Math, 500, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k, q := range qs {
		answer, err := strconv.Atoi(q.Answer)
		if err != nil {
			t.Fatalf("math question %d: answer %q", k, q.Answer)
		}
		check(fmt.Sprintf("question %d", k), strings.TrimSuffix(q.Prompt, "\nAnswer:"), answer)
	}
	if len(kinds) < 30 {
		t.Errorf("only %d distinct problem shapes", len(kinds))
	}
}
