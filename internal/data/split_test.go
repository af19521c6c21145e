package data

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkSplit verifies the invariants of SplitDocs that hold for any input: every byte of every
// doc ends up in exactly one part, in order, and no cut falls inside a UTF-8 sequence.
func checkSplit(t *testing.T, docs []Doc, frac float64, train, val []Doc) {
	t.Helper()
	var in, out strings.Builder
	for _, d := range docs {
		in.WriteString(d.Name + "\x00" + d.Text)
	}
	// Rebuild doc by doc: a split doc appears in train and val under the same name.
	ti, vi := 0, 0
	for _, d := range docs {
		text := ""
		if ti < len(train) && train[ti].Name == d.Name && strings.HasPrefix(d.Text, train[ti].Text) {
			text = train[ti].Text
			ti++
		}
		if text != d.Text && vi < len(val) && val[vi].Name == d.Name && text+val[vi].Text == d.Text {
			if text != "" && (!utf8.ValidString(text) || !utf8.ValidString(val[vi].Text)) && utf8.ValidString(d.Text) {
				t.Fatalf("cut of %q inside a UTF-8 sequence", d.Name)
			}
			text += val[vi].Text
			vi++
		}
		out.WriteString(d.Name + "\x00" + text)
	}
	if out.String() != in.String() || ti != len(train) || vi != len(val) {
		t.Fatalf("SplitDocs(%d docs, %v) lost or reordered text: %d/%d train, %d/%d val used",
			len(docs), frac, ti, len(train), vi, len(val))
	}
}

func TestSplitDocs(t *testing.T) {
	line := "The quick brown fox jumps over the lazy dog.\n" // 45 bytes
	big := strings.Repeat(line, 1000)                        // 45,000 bytes
	noNL := strings.Repeat("é", 30_000)                      // 60,000 bytes, no line break
	var small []Doc
	for i := 0; i < 100; i++ {
		small = append(small, Doc{"rows.jsonl:" + string(rune('a'+i%26)) + string(rune('0'+i/26)), line})
	}
	cases := []struct {
		name             string
		docs             []Doc
		frac             float64
		wantVal          int // val docs
		wantValBytes     int // total val bytes, -1 = do not check
		wantTrainSuffix  string
		wantValIsDocTail bool
	}{
		// 5% of 45,000 = 2,250 bytes; the first line start at or after byte 42,750 is 42,750
		// itself (950 lines of 45 bytes), so val is exactly 50 lines.
		{"big", []Doc{{"big", big}}, 0.05, 1, 50 * 45, "\n", true},
		// No newline: cut at byte 57,000, which is the start of an "é" (2 bytes each).
		{"no newline", []Doc{{"x", noNL}}, 0.05, 1, 3000, "", true},
		// Odd target: 10% of 60,001 bytes (30,000 "é" + "a") rounds to 6,000 → target 54,001, the
		// second byte of an "é", so the cut moves back one byte.
		{"utf8 boundary", []Doc{{"x", noNL + "a"}}, 0.1, 1, 6001, "", true},
		// 100 small docs, every 20th goes to val.
		{"small", small, 0.05, 5, 5 * 45, "", false},
		// 10 small docs, 5%: none is the 20th, so the last one goes to val.
		{"few small", small[:10], 0.05, 1, 45, "", false},
		// One small doc (1,800 bytes): its 5% tail (90 bytes, 2 lines) is cut off at a line break.
		{"one small", []Doc{{"s", strings.Repeat(line, 40)}}, 0.05, 1, 90, "\n", true},
		// 450 bytes: tail 23 bytes, no line break in it but the final one: cut at the byte.
		{"one small mid-line", []Doc{{"s", strings.Repeat(line, 10)}}, 0.05, 1, 23, "", true},
		{"zero frac", []Doc{{"big", big}}, 0, 0, 0, "", false},
		{"one byte", []Doc{{"b", "x"}}, 0.05, 0, 0, "", false},
		{"empty", nil, 0.05, 0, 0, "", false},
	}
	for _, c := range cases {
		train, val := SplitDocs(c.docs, c.frac)
		checkSplit(t, c.docs, c.frac, train, val)
		if len(val) != c.wantVal {
			t.Errorf("%s: %d val docs, want %d", c.name, len(val), c.wantVal)
			continue
		}
		n := 0
		for _, d := range val {
			n += len(d.Text)
		}
		if c.wantValBytes >= 0 && n != c.wantValBytes {
			t.Errorf("%s: %d val bytes, want %d", c.name, n, c.wantValBytes)
		}
		if c.wantTrainSuffix != "" && !strings.HasSuffix(train[0].Text, c.wantTrainSuffix) {
			t.Errorf("%s: train part does not end with %q", c.name, c.wantTrainSuffix)
		}
		if c.wantValIsDocTail && (len(train) != 1 || train[0].Name != val[0].Name) {
			t.Errorf("%s: val is not the tail of the one doc", c.name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("SplitDocs(frac=1) did not panic")
		}
	}()
	SplitDocs([]Doc{{"a", "b"}}, 1)
}

func FuzzSplitDocs(f *testing.F) {
	f.Add("hello\nworld\n", "x", uint8(5))
	f.Add(strings.Repeat("é\n", 3000), "", uint8(50))
	f.Add(strings.Repeat("ab", 20000), "tail\n", uint8(1))
	f.Fuzz(func(t *testing.T, a, b string, pct uint8) {
		frac := float64(pct%100) / 100
		docs := []Doc{{"a", a}, {"b", b}, {"a2", a + b}}
		train, val := SplitDocs(docs, frac)
		checkSplit(t, docs, frac, train, val)
	})
}
