package data

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Kind says how a source is read.
type Kind int

const (
	KindText      Kind = iota // text files (ReadTexts)
	KindCode                  // source files by extension (ReadCode)
	KindSynthetic             // the synthetic world's documents, word problems included (no files)
	KindReasoning             // ReasoningText: assignment chains, recall, sums in forms no primitive uses (no files)
)

func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindCode:
		return "code"
	case KindSynthetic:
		return "synthetic"
	case KindReasoning:
		return "reasoning"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// SyntheticPath is the PATH of a mixture entry that stands for the synthetic world, ReasoningPath the
// one for generated reasoning text (ReasoningText).
const (
	SyntheticPath = "synthetic"
	ReasoningPath = "reasoning"
)

// Source is one entry of a mixture, written NAME=PATH[:WEIGHT]:
//   - NAME is a letter followed by letters, digits, '-' or '_'; a NAME that is "code" or starts
//     with "code" (code-go, code_py) makes a code source (Kind KindCode), any other a text source;
//   - PATH is a file or folder, or the word synthetic (the synthetic world of the run's seed; a
//     folder of that name is ./synthetic);
//   - WEIGHT, after the last ':', is a positive number; it may be left out only when the mixture
//     has one source. Weights are normalised over the mixture. A PATH that itself ends in ':' and a
//     number needs a weight after it.
type Source struct {
	Name   string
	Path   string
	Weight float64 // as written; 0 when left out
	Kind   Kind
}

// String writes the source back as an entry.
func (s Source) String() string {
	e := s.Name + "=" + s.Path
	if s.Weight > 0 {
		e += ":" + strconv.FormatFloat(s.Weight, 'g', -1, 64)
	}
	return e
}

// Named reports whether a --data entry names a source (NAME=...) rather than being a plain path:
// it holds a '=' with no path separator before it. A plain path whose first element holds '=' is
// written ./a=b.
func Named(entry string) bool {
	i := strings.IndexByte(entry, '=')
	return i >= 0 && !strings.ContainsAny(entry[:i], `/\`)
}

// ParseSource parses a named entry NAME=PATH[:WEIGHT] (see Source). Errors are one line and name
// the entry.
func ParseSource(entry string) (Source, error) {
	name, rest, ok := strings.Cut(entry, "=")
	if !ok {
		return Source{}, fmt.Errorf("data: %q is not a named source (want NAME=PATH[:WEIGHT])", entry)
	}
	if !validName(name) {
		return Source{}, fmt.Errorf("data: source %q: bad name %q (want a letter, then letters, digits, - or _)", entry, name)
	}
	s := Source{Name: name, Path: rest}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		if w, err := strconv.ParseFloat(rest[i+1:], 64); err == nil {
			if !(w > 0) || math.IsInf(w, 0) {
				return Source{}, fmt.Errorf("data: source %q: weight %s is not a positive number", name, rest[i+1:])
			}
			s.Path, s.Weight = rest[:i], w
		}
	}
	switch {
	case s.Path == "":
		return Source{}, fmt.Errorf("data: source %q: no path (want NAME=PATH[:WEIGHT])", name)
	case s.Path == SyntheticPath:
		s.Kind = KindSynthetic
	case s.Path == ReasoningPath:
		s.Kind = KindReasoning
	case strings.HasPrefix(strings.ToLower(name), "code"):
		s.Kind = KindCode
	}
	return s, nil
}

func validName(name string) bool {
	for i, c := range name {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '_')) {
			return false
		}
	}
	return name != ""
}

// IsMixture reports whether a run's data entries form a mixture (any entry is named).
func IsMixture(entries []string) bool {
	for _, e := range entries {
		if Named(e) {
			return true
		}
	}
	return false
}

// ParseMixture parses the entries of a mixture: every entry named, names unique, at most one
// synthetic source, and a weight on every source when there are several.
func ParseMixture(entries []string) ([]Source, error) {
	if len(entries) == 0 {
		return nil, errors.New("data: empty mixture")
	}
	var out []Source
	seen := map[string]bool{}
	synthetic := ""
	for _, e := range entries {
		if !Named(e) {
			return nil, fmt.Errorf("data: %q is a plain path in a mixture: name every source (NAME=PATH:WEIGHT)", e)
		}
		s, err := ParseSource(e)
		if err != nil {
			return nil, err
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("data: source %q given twice", s.Name)
		}
		seen[s.Name] = true
		if s.Kind == KindSynthetic {
			if synthetic != "" {
				return nil, fmt.Errorf("data: sources %q and %q are both synthetic (the world's text would repeat)", synthetic, s.Name)
			}
			synthetic = s.Name
		}
		out = append(out, s)
	}
	if len(out) > 1 {
		for _, s := range out {
			if s.Weight == 0 {
				return nil, fmt.Errorf("data: source %q has no weight (a mixture of several sources needs NAME=PATH:WEIGHT for each)", s.Name)
			}
		}
	}
	return out, nil
}

// ExpandFiles replaces every entry @FILE by the entries of the mixture file FILE: one entry a line
// (NAME=PATH:WEIGHT or a plain path, as for --data), blank lines and lines starting with '#'
// ignored. A relative PATH in the file is relative to the file's folder; the result holds it joined
// to that folder, so the expanded entries (which a run saves) do not depend on the file any more.
func ExpandFiles(entries []string) ([]string, error) {
	var out []string
	for _, e := range entries {
		file, ok := strings.CutPrefix(e, "@")
		if !ok {
			out = append(out, e)
			continue
		}
		lines, err := mixtureFile(file)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	return out, nil
}

// mixtureFile reads the entries of one mixture file (see ExpandFiles).
func mixtureFile(file string) ([]string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("data: mixture file %s: %s", file, describe(err))
	}
	dir := filepath.Dir(file)
	var out []string
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "@") {
			return nil, fmt.Errorf("data: %s:%d: a mixture file cannot name another (%s)", file, i+1, line)
		}
		if !Named(line) {
			out = append(out, relTo(dir, line))
			continue
		}
		s, err := ParseSource(line)
		if err != nil {
			return nil, fmt.Errorf("data: %s:%d: %s", file, i+1, strings.TrimPrefix(err.Error(), "data: "))
		}
		if s.Kind != KindSynthetic {
			s.Path = relTo(dir, s.Path)
		}
		out = append(out, s.String())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("data: mixture file %s has no sources", file)
	}
	return out, nil
}

// relTo joins a relative path to dir; absolute paths are kept.
func relTo(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
