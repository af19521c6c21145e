package tasks

import (
	"errors"
	"fmt"
	"strings"

	"midas/internal/splitmix"
)

// maxLength bounds the copy sequence; prompts stay far below any model's context.
const maxLength = 1024

// maxAlphabet is the number of two-letter tokens aa..zz.
const maxAlphabet = 26 * 26

func (s Spec) checkCopy() error {
	if err := s.noVariants(); err != nil {
		return err
	}
	switch {
	case s.Length < 2 || s.Length > maxLength:
		return fmt.Errorf("length %d out of range [2, %d]", s.Length, maxLength)
	case s.Piece < 1 || s.Piece >= s.Length:
		return fmt.Errorf("piece %d out of range [1, %d]", s.Piece, s.Length-1)
	case s.Alphabet < 2 || s.Alphabet > maxAlphabet:
		return fmt.Errorf("alphabet %d out of range [2, %d]", s.Alphabet, maxAlphabet)
	}
	return nil
}

// copyItem returns item i of an alphabet of size a: a letter when a <= 26, else a two-letter
// token (aa, ab, …), so that every item of one alphabet has the same shape.
func copyItem(i, a int) string {
	if a <= 26 {
		return string(rune('a' + i))
	}
	return string([]byte{byte('a' + i/26), byte('a' + i%26)})
}

// copyDraws bounds the number of sequences drawn before giving up on knobs that (almost)
// never leave a piece that occurs once.
const copyDraws = 1000

// genCopy draws a sequence and a piece of it that occurs exactly once and is followed by an
// item. The piece's position is uniform over the positions whose piece is unique.
func genCopy(r *splitmix.Source, s Spec) (Example, error) {
	seq := make([]string, s.Length)
	for draw := 0; draw < copyDraws; draw++ {
		for i := range seq {
			seq[i] = copyItem(r.Intn(s.Alphabet), s.Alphabet)
		}
		// Count every window, the one ending the sequence included: a piece is only unique if
		// it occurs nowhere else.
		count := make(map[string]int, s.Length)
		for p := 0; p+s.Piece <= s.Length; p++ {
			count[strings.Join(seq[p:p+s.Piece], " ")]++
		}
		var cands []int
		for p := 0; p+s.Piece < s.Length; p++ {
			if count[strings.Join(seq[p:p+s.Piece], " ")] == 1 {
				cands = append(cands, p)
			}
		}
		if len(cands) == 0 {
			continue
		}
		p := cands[r.Intn(len(cands))]
		return Example{
			Task:   Copy,
			Prompt: strings.Join(seq, " ") + " | " + strings.Join(seq[p:p+s.Piece], " ") + " ->",
			Answer: seq[p+s.Piece],
		}, nil
	}
	return Example{}, fmt.Errorf("no piece occurs exactly once in %d sequences (length %d, piece %d, alphabet %d)",
		copyDraws, s.Length, s.Piece, s.Alphabet)
}

func equalItems(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// solveCopy parses "ITEM … ITEM | ITEM … ITEM ->" (items of lowercase letters separated by
// single spaces) and returns the item that follows the one occurrence of the piece.
func solveCopy(prompt string) (string, error) {
	body, ok := strings.CutSuffix(prompt, " ->")
	if !ok {
		return "", fmt.Errorf("%w: no trailing \" ->\"", errFormat)
	}
	seqText, pieceText, ok := strings.Cut(body, " | ")
	if !ok {
		return "", fmt.Errorf("%w: no \" | \"", errFormat)
	}
	seq, err := copyItems(seqText)
	if err != nil {
		return "", err
	}
	piece, err := copyItems(pieceText)
	if err != nil {
		return "", err
	}
	at, n := -1, 0
	for p := 0; p+len(piece) <= len(seq); p++ {
		if equalItems(seq[p:p+len(piece)], piece) {
			at, n = p, n+1
		}
	}
	switch {
	case n != 1:
		return "", fmt.Errorf("piece occurs %d times, want once", n)
	case at+len(piece) == len(seq):
		return "", errors.New("piece ends the sequence")
	}
	return seq[at+len(piece)], nil
}

// copyItems splits text at single spaces into non-empty runs of lowercase letters.
func copyItems(text string) ([]string, error) {
	items := strings.Split(text, " ")
	for _, it := range items {
		if it == "" || strings.Trim(it, "abcdefghijklmnopqrstuvwxyz") != "" {
			return nil, fmt.Errorf("%w: item %q is not lowercase letters", errFormat, it)
		}
	}
	return items, nil
}
