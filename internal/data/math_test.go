package data

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// solve re-solves a word problem from its text alone, sentence by sentence, without using the
// generator's numbers. It knows the surface forms of the problems and fails on anything else.
func solve(text string) (int, error) {
	var (
		have     = map[string]int{}
		hero     string // the person the problem is about; pronouns refer to it
		boxes    int
		share    = -1
		pronouns = map[string]bool{"He": true, "She": true}
	)
	subject := func(w string) string {
		if pronouns[w] {
			return hero
		}
		return w
	}
	re := func(s string) *regexp.Regexp { return regexp.MustCompile("^" + s + "$") }
	var (
		reBoxes    = re(`\w+ ha[sd] \d+ (?:bags|boxes|baskets|jars|crates|tins)\.`)
		reHas      = re(`(\w+) ha[sd] (\d+) (\w+)\.`)
		reEach     = re(`Each (\w+) holds (\d+) (\w+)\.`)
		reMore     = re(`(\w+) (?:buys|bought|finds|found|gives|gave)(?: him| her)? (\d+) more\.`)
		reLess     = re(`(\w+) (?:gives|gave|loses|lost|sells|sold) (\d+)(?: to \w+)?\.`)
		reMoreThan = re(`(\w+) ha[sd] (\d+) more (\w+) than (\w+)\.`)
		reTwice    = re(`(\w+) ha[sd] twice as many (\w+) as (\w+)\.`)
		reShare    = re(`(\w+) (?:shares|shared) them equally among (\d+) friends\.`)
		qHave      = re(`How many (\w+) does (\w+) have(?: now| left| in all| in total)?\?`)
		qTogether  = re(`How many (\w+) do they have together\?`)
		qMoreThan  = re(`How many more (\w+) does (\w+) have than (\w+)\?`)
		qEach      = re(`How many (\w+) does each friend get\?`)
	)
	sentences := regexp.MustCompile(`[^.?]+[.?]`).FindAllString(text, -1)
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
			k := atoi(m[2])
			if have[subject(m[1])]%k != 0 {
				return 0, fmt.Errorf("%q does not share evenly", text)
			}
			share = have[subject(m[1])] / k
		case qHave.MatchString(s):
			return have[qHave.FindStringSubmatch(s)[2]], nil
		case qTogether.MatchString(s):
			sum := 0
			for _, v := range have {
				sum += v
			}
			return sum, nil
		case qMoreThan.MatchString(s):
			m = qMoreThan.FindStringSubmatch(s)
			return have[m[2]] - have[m[3]], nil
		case qEach.MatchString(s):
			if share < 0 {
				return 0, fmt.Errorf("%q asks for a share that was never made", text)
			}
			return share, nil
		default:
			return 0, fmt.Errorf("unknown sentence %q in %q", s, text)
		}
		for who, v := range have {
			if v < 0 {
				return 0, fmt.Errorf("%s has %d in %q", who, v, text)
			}
		}
	}
	return 0, fmt.Errorf("no question in %q", text)
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
