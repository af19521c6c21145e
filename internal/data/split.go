package data

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// minTail is the smallest held-out tail (in bytes) for which a document is split by bytes; a
// smaller document is kept whole and assigned by document instead.
const minTail = 1024

// SplitDocs holds out about frac (0 <= frac < 1, e.g. 0.05) of the text for validation:
//   - a large document (frac*len >= 1 KiB) is cut in two: the train part keeps the first
//     (1-frac) of its bytes and the val part (same Name) starts at the first line after that point;
//     if the last part holds no line break the cut falls on the byte boundary, moved back to the
//     start of a UTF-8 sequence;
//   - small documents (many JSONL lines, say) stay whole: counting them in order, every k-th one
//     goes to val, k = round(1/frac);
//   - if that leaves val empty although there are two or more small documents, the last one
//     goes to val; if there is only one document, its tail is cut off as for a large one
//     (as long as both parts stay non-empty).
//
// frac = 0 puts everything in train. Texts are sliced, not copied; order is kept.
func SplitDocs(docs []Doc, frac float64) (train, val []Doc) {
	if !(frac >= 0 && frac < 1) {
		panic(fmt.Sprintf("data: SplitDocs frac %v outside [0, 1)", frac))
	}
	if frac == 0 {
		return append([]Doc(nil), docs...), nil
	}
	every := max(2, int(math.Round(1/frac)))
	small, lastSmall := 0, -1
	for _, d := range docs {
		if d.Text == "" {
			continue // no text to hold out or train on (found by FuzzSplitDocs)
		}
		tail := int(math.Round(frac * float64(len(d.Text))))
		if tail >= minTail {
			if cut := cutPoint(d.Text, tail); cut > 0 && cut < len(d.Text) {
				train = append(train, Doc{d.Name, d.Text[:cut]})
				val = append(val, Doc{d.Name, d.Text[cut:]})
				continue
			}
		}
		small++
		if small%every == 0 {
			val = append(val, d)
			continue
		}
		train = append(train, d)
		lastSmall = len(train) - 1
	}
	if len(val) > 0 || len(train) == 0 {
		return train, val
	}
	if small >= 2 && lastSmall >= 0 {
		val = append(val, train[lastSmall])
		train = append(train[:lastSmall:lastSmall], train[lastSmall+1:]...)
		return train, val
	}
	if len(train) == 1 {
		d := train[0]
		tail := max(1, int(math.Round(frac*float64(len(d.Text)))))
		if cut := cutPoint(d.Text, tail); cut > 0 && cut < len(d.Text) {
			return []Doc{{d.Name, d.Text[:cut]}}, []Doc{{d.Name, d.Text[cut:]}}
		}
	}
	return train, val
}

// cutPoint returns where to cut s so that about tail bytes are held out: just after the first
// line break at or after len(s)-tail that leaves something to hold out, else at len(s)-tail moved
// back to the start of a UTF-8 sequence.
func cutPoint(s string, tail int) int {
	target := len(s) - tail
	if target <= 0 {
		return 0
	}
	if j := strings.IndexByte(s[target-1:], '\n'); j >= 0 {
		if cut := target + j; cut < len(s) {
			return cut
		}
	}
	cut := target
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return cut
}
