package data

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// Doc is one document of user text. Name is the path it came from; documents from JSON or JSONL
// files are named "path:N" with N the line (JSONL) or item (JSON) number, counting from 1.
type Doc struct{ Name, Text string }

// ReadTexts reads every path in order:
//   - a plain text file (any extension other than those below) is one Doc;
//   - a folder is walked recursively; its *.txt, *.md, *.gz, *.zst, *.jsonl, *.json and *.parquet
//     files are read in sorted path order; other files, names starting with "." and .gz or .zst
//     files whose inner name has another extension (x.tar.gz) are ignored, and so are empty or
//     all-whitespace files;
//   - a .gz or .zst (Zstandard) file is decompressed and then read by the extension of its inner
//     name (x.jsonl.gz and x.jsonl.zst are JSONL, x.txt.zst or x.zst is text);
//   - a .parquet file (a Hugging Face dataset shard) has a string column "text": one Doc per row
//     (null and empty texts are skipped), read one row group and page at a time;
//   - a .jsonl file holds one JSON object per line with a string field "text": one Doc per line
//     (blank lines and empty texts are skipped);
//   - a .json file holds objects with "text", or arrays of them: one Doc per object.
//
// A UTF-8 byte order mark is dropped and CRLF line ends become LF. Errors are one line and name
// the file: a missing path, an empty file, invalid UTF-8 (with the byte offset in the
// decompressed content, or the parquet row), a JSONL line without "text", corrupt gzip or zstd
// data, a parquet file that is not one or has no string "text" column, a folder with no usable
// files, or no text at all.
func ReadTexts(paths []string) ([]Doc, Report, error) { return read(paths, false) }

// ReadCode reads the paths of a code source: a file is one Doc whatever its extension (a .gz or .zst
// file decompressed first); a folder walk reads the source files of the kinds in CodeExts as one Doc
// each, in sorted path order, and skips Go test files (*_test.go), folders named testdata, hidden
// names, empty files, files that are not valid UTF-8 and every other kind — each named in the Report.
// Other errors are those of ReadTexts.
func ReadCode(paths []string) ([]Doc, Report, error) { return read(paths, true) }

// read reads paths as ReadTexts does, or as ReadCode does when code is set.
func read(paths []string, code bool) ([]Doc, Report, error) {
	var rep Report
	if len(paths) == 0 {
		return nil, rep, errors.New("data: no input paths")
	}
	var docs []Doc
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, rep, fmt.Errorf("data: %s: %s", p, describe(err))
		}
		var ds []Doc
		switch {
		case st.IsDir():
			ds, err = readDir(p, &rep, code)
		case st.Mode().IsRegular() || st.Mode()&fs.ModeNamedPipe != 0:
			if ds, err = readFile(p, false, code); err == nil {
				rep.read(p)
			}
		default:
			err = fmt.Errorf("data: %s: not a file or folder (%s); give text files or folders", p, kindOf(st.Mode()))
		}
		if err != nil {
			return nil, rep, err
		}
		docs = append(docs, ds...)
	}
	for _, d := range docs {
		if strings.TrimSpace(d.Text) != "" {
			return docs, rep, nil
		}
	}
	return nil, rep, fmt.Errorf("data: no text in %s", strings.Join(paths, ", "))
}

// Report says which files ReadTexts read, by kind, and which files of folders it skipped, and why.
type Report struct {
	Read    map[string]int // files read per kind: ".txt", ".jsonl.gz", ...
	Skipped []Skip
	Hints   []string // how to read what was skipped ("DIR holds 12 source files: name it code=DIR to read them")
}

// Skip is one file of a folder that was not read.
type Skip struct{ Path, Why string }

func (r *Report) read(path string) {
	if r.Read == nil {
		r.Read = map[string]int{}
	}
	r.Read[kindName(path)]++
}

func (r *Report) skip(path, why string) { r.Skipped = append(r.Skipped, Skip{path, why}) }

// kindName is a file's kind for the report: its extension, with the inner one for .gz and .zst
// ("x.jsonl.gz" is ".jsonl.gz"); "(none)" without one.
func kindName(path string) string {
	ext := strings.ToLower(filepath.Ext(path))
	if compressed(ext) {
		ext = strings.ToLower(filepath.Ext(strings.TrimSuffix(path, filepath.Ext(path)))) + ext
	}
	if ext == "" {
		return "(none)"
	}
	return ext
}

// maxReasons is how many reasons for skipping Report.String lists; the rest are summed up.
const maxReasons = 8

// String summarises the report on one line, the most frequent kinds and reasons first: "3 files read
// (2 .txt, 1 .jsonl); 2 skipped (1 .go: not a text kind, 1 link to a folder)".
func (r Report) String() string {
	n := 0
	for _, c := range r.Read {
		n += c
	}
	out := fmt.Sprintf("%d files read (%s)", n, strings.Join(counted(r.Read, 0), ", "))
	if len(r.Skipped) > 0 {
		whys := map[string]int{}
		for _, s := range r.Skipped {
			whys[s.Why]++
		}
		out += fmt.Sprintf("; %d skipped (%s)", len(r.Skipped), strings.Join(counted(whys, maxReasons), ", "))
	}
	for _, h := range r.Hints {
		out += "; " + h
	}
	return out
}

// counted writes "N key" for each key, by count (largest first), then key; past limit (> 0) the rest
// are summed in one entry.
func counted(m map[string]int, limit int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var out []string
	rest := 0
	for i, k := range keys {
		if limit > 0 && i >= limit {
			rest += m[k]
			continue
		}
		out = append(out, fmt.Sprintf("%d %s", m[k], k))
	}
	if rest > 0 {
		out = append(out, fmt.Sprintf("%d for %d other reasons", rest, len(keys)-limit))
	}
	return out
}

// kindOf names a non-regular file mode.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeNamedPipe != 0:
		return "a pipe"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

// describe turns an fs error into a short reason without repeating the path.
func describe(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or directory"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// usableExt reports whether a folder walk reads a file with this (lower-case) extension (inside a
// .gz or .zst: parquet files are not read compressed).
func usableExt(ext string) bool {
	switch ext {
	case ".txt", ".md", ".jsonl", ".json":
		return true
	}
	return false
}

// compressed reports whether a (lower-case) extension is one that readFile decompresses.
func compressed(ext string) bool { return ext == ".gz" || ext == ".zst" }

// readDir reads a folder walk's files. A text walk of a folder that holds more source files than
// text files (a code tree: GOROOT/src has 4946 against 60) says how to read it as code: in the
// error that stops it, or in the report when it succeeds.
func readDir(root string, rep *Report, code bool) ([]Doc, error) {
	before := len(rep.Skipped)
	files, err := walkFiles(root, rep, code)
	if err != nil {
		return nil, err
	}
	hint := ""
	if n := sourceFiles(root, rep.Skipped[before:]); !code && n > len(files) {
		hint = fmt.Sprintf("%s holds %d source files: name it code=%s to read them", root, n, root)
	}
	var docs []Doc
	for _, f := range files {
		ds, err := readFile(f, true, code)
		if code && errors.Is(err, errInvalidUTF8) {
			rep.skip(f, "invalid UTF-8") // a code tree is not curated text: one odd file should not stop it
			continue
		}
		if err != nil && hint != "" {
			return nil, fmt.Errorf("%w (%s)", err, hint)
		}
		if err != nil {
			return nil, err
		}
		if len(ds) == 0 {
			rep.skip(f, "empty")
			continue
		}
		rep.read(f)
		docs = append(docs, ds...)
	}
	switch {
	case len(docs) > 0:
		if hint != "" {
			rep.Hints = append(rep.Hints, hint)
		}
		return docs, nil
	case code:
		return nil, fmt.Errorf("data: %s: folder has no usable source files (*.go, *.py, *.c, *.js, ... : the kinds of data.CodeExts)", root)
	case hint != "":
		return nil, fmt.Errorf("data: %s: folder has no usable files (*.txt, *.md, *.gz, *.zst, *.jsonl, *.json, *.parquet with text); %s", root, hint)
	}
	return nil, fmt.Errorf("data: %s: folder has no usable files (*.txt, *.md, *.gz, *.zst, *.jsonl, *.json, *.parquet with text)", root)
}

// walkFiles lists the files of a folder walk in sorted path order, reporting those it skips.
func walkFiles(root string, rep *Report, code bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("data: %s: %s", path, describe(err))
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			rep.skip(path, "hidden")
			return nil
		}
		if d.IsDir() {
			if code && path != root && d.Name() == "testdata" {
				rep.skip(path, "testdata folder")
				return filepath.SkipDir
			}
			return nil
		}
		if why := walkSkip(path, d, code); why != "" {
			rep.skip(path, why)
			return nil
		}
		files = append(files, path)
		return nil
	})
	sort.Strings(files)
	return files, err
}

// walkSkip says why a folder walk does not read a file ("" when it does). Symbolic links to files are
// followed; links to folders are not (they could loop).
func walkSkip(path string, d fs.DirEntry, code bool) string {
	mode := d.Type()
	if mode&fs.ModeSymlink != 0 {
		st, err := os.Stat(path)
		switch {
		case err != nil:
			return "broken link"
		case st.IsDir():
			return "symlinked folder (not followed; give the folder itself)"
		}
		mode = st.Mode().Type()
	}
	if !mode.IsRegular() {
		return "not a regular file (" + kindOf(mode) + ")"
	}
	if code {
		return codeSkip(d.Name())
	}
	ext := strings.ToLower(filepath.Ext(path))
	if compressed(ext) {
		inner := strings.ToLower(filepath.Ext(strings.TrimSuffix(d.Name(), filepath.Ext(d.Name()))))
		if inner != "" && !usableExt(inner) {
			return kindName(path) + ": not a text kind"
		}
	} else if !usableExt(ext) && ext != ".parquet" {
		return kindName(path) + ": not a text kind"
	}
	return ""
}

// maxPipeBytes bounds what is read from a pipe (whose size is unknown in advance).
const maxPipeBytes = 1 << 30

// errInvalidUTF8 is wrapped by readFile's error for a file that is not valid UTF-8.
var errInvalidUTF8 = errors.New("invalid UTF-8")

// readFile reads one file. In a folder walk (skipEmpty) an empty file yields no Doc instead of
// an error. A code file (code) is one Doc whatever its extension (a .gz or .zst file decompressed
// first); a .parquet file is read as text.
func readFile(path string, skipEmpty, code bool) ([]Doc, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".parquet" && !code {
		return readParquet(path, skipEmpty)
	}
	raw, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	if compressed(ext) {
		if ext == ".gz" {
			raw, err = gunzip(raw)
		} else {
			raw, err = unzstd(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("data: %s: %v", path, err)
		}
		ext = strings.ToLower(filepath.Ext(strings.TrimSuffix(path, filepath.Ext(path))))
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if skipEmpty {
			return nil, nil
		}
		return nil, fmt.Errorf("data: %s: file is empty", path)
	}
	if off := invalidUTF8(raw); off >= 0 {
		return nil, fmt.Errorf("data: %s: %w at byte %d", path, errInvalidUTF8, off)
	}
	text := normalize(string(raw))
	var docs []Doc
	switch {
	case code:
		docs = []Doc{{Name: path, Text: text}}
	case ext == ".jsonl":
		docs, err = parseJSONL(path, text)
	case ext == ".json":
		docs, err = parseJSON(path, text)
	default:
		docs = []Doc{{Name: path, Text: text}}
	}
	if err == nil && len(docs) == 0 && !skipEmpty {
		err = fmt.Errorf("data: %s: no text", path)
	}
	return docs, err
}

// readBounded reads a file whole; a pipe up to maxPipeBytes.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %s", path, describe(err))
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxPipeBytes+1))
	if err != nil {
		return nil, fmt.Errorf("data: %s: %s", path, describe(err))
	}
	if len(raw) > maxPipeBytes {
		if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("data: %s: %s holds more than %d MiB; write it to a file", path, kindOf(st.Mode()), maxPipeBytes>>20)
		}
		rest, err := io.ReadAll(f) // a regular file: its size is known and bounded
		if err != nil {
			return nil, fmt.Errorf("data: %s: %s", path, describe(err))
		}
		raw = append(raw, rest...)
	}
	return raw, nil
}

func gunzip(raw []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %v", err)
	}
	var out bytes.Buffer
	// The trailer's ISIZE (the last member's length mod 2³²) sizes the buffer once when it is
	// plausible (text expands ~3–5×; at most 1 GiB ahead, which also fits a 32-bit int); the data
	// itself decides the length.
	if n := len(raw); n >= 18 {
		if size := int64(binary.LittleEndian.Uint32(raw[n-4:])); size <= min(64*int64(n), 1<<30) {
			out.Grow(int(size) + bytes.MinRead)
		}
	}
	if _, err := out.ReadFrom(zr); err != nil {
		return nil, fmt.Errorf("corrupt gzip data: %v", err)
	}
	return out.Bytes(), nil
}

// invalidUTF8 returns the offset of the first byte that does not start a valid UTF-8 sequence,
// or -1 if b is valid.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// normalize drops a leading byte order mark and turns CRLF into LF.
func normalize(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	// Repeated: "\r\r\n" becomes "\r\n" after one pass (found by FuzzParseJSONL).
	for strings.Contains(s, "\r\n") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return s
}

// textField extracts the "text" string of one JSON object; where names the line or item.
func textField(path, where string, raw []byte) (string, error) {
	var obj struct {
		Text json.RawMessage `json:"text"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return "", fmt.Errorf("data: %s: %s: not a JSON object", path, where)
		}
		return "", fmt.Errorf("data: %s: %s: invalid JSON: %v", path, where, err)
	}
	if len(obj.Text) == 0 || string(obj.Text) == "null" {
		return "", fmt.Errorf("data: %s: %s: no \"text\" field", path, where)
	}
	var s string
	if err := json.Unmarshal(obj.Text, &s); err != nil {
		return "", fmt.Errorf("data: %s: %s: \"text\" is not a string", path, where)
	}
	return normalize(s), nil
}

func parseJSONL(path, text string) ([]Doc, error) {
	var docs []Doc
	for line := 1; text != ""; line++ {
		var l string
		l, text, _ = strings.Cut(text, "\n")
		if strings.TrimSpace(l) == "" {
			continue
		}
		where := fmt.Sprintf("line %d", line)
		s, err := textField(path, where, []byte(l))
		if err != nil {
			return nil, err
		}
		if s != "" {
			docs = append(docs, Doc{Name: fmt.Sprintf("%s:%d", path, line), Text: s})
		}
	}
	return docs, nil
}

// parseJSON reads a sequence of JSON values, each an object with "text" or an array of them.
func parseJSON(path, text string) ([]Doc, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	var docs []Doc
	item := 0
	add := func(raw json.RawMessage) error {
		item++
		where := fmt.Sprintf("item %d", item)
		s, err := textField(path, where, raw)
		if err == nil && s != "" {
			docs = append(docs, Doc{Name: fmt.Sprintf("%s:%d", path, item), Text: s})
		}
		return err
	}
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return docs, nil
		} else if err != nil {
			return nil, fmt.Errorf("data: %s: invalid JSON: %v", path, err)
		}
		if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '[' {
			var arr []json.RawMessage
			if err := json.Unmarshal(v, &arr); err != nil {
				return nil, fmt.Errorf("data: %s: invalid JSON: %v", path, err)
			}
			for _, el := range arr {
				if err := add(el); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := add(v); err != nil {
			return nil, err
		}
	}
}
