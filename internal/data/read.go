package data

import (
	"bytes"
	"compress/gzip"
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
)

// Doc is one document of user text. Name is the path it came from; documents from JSON or JSONL
// files are named "path:N" with N the line (JSONL) or item (JSON) number, counting from 1.
type Doc struct{ Name, Text string }

// ReadTexts reads every path in order:
//   - a plain text file (any extension other than those below) is one Doc;
//   - a folder is walked recursively; its *.txt, *.md, *.gz, *.jsonl and *.json files are read
//     in sorted path order; other files, names starting with "." and .gz files whose inner name
//     has another extension (x.tar.gz) are ignored, and so are empty or all-whitespace files;
//   - a .gz file is decompressed and then read by the extension of its inner name (x.jsonl.gz is
//     JSONL, x.txt.gz or x.gz is text);
//   - a .jsonl file holds one JSON object per line with a string field "text": one Doc per line
//     (blank lines and empty texts are skipped);
//   - a .json file holds objects with "text", or arrays of them: one Doc per object.
//
// A UTF-8 byte order mark is dropped and CRLF line ends become LF. Errors are one line and name
// the file: a missing path, an empty file, invalid UTF-8 (with the byte offset in the
// decompressed content), a JSONL line without "text", a folder with no usable files, or no text
// at all.
func ReadTexts(paths []string) ([]Doc, error) {
	if len(paths) == 0 {
		return nil, errors.New("data: no input paths")
	}
	var docs []Doc
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("data: %s: %s", p, describe(err))
		}
		var ds []Doc
		if st.IsDir() {
			ds, err = readDir(p)
		} else {
			ds, err = readFile(p, false)
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, ds...)
	}
	for _, d := range docs {
		if strings.TrimSpace(d.Text) != "" {
			return docs, nil
		}
	}
	return nil, fmt.Errorf("data: no text in %s", strings.Join(paths, ", "))
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

// usableExt reports whether a folder walk reads a file with this (lower-case) extension.
func usableExt(ext string) bool {
	switch ext {
	case ".txt", ".md", ".jsonl", ".json":
		return true
	}
	return false
}

func readDir(root string) ([]Doc, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("data: %s: %s", path, describe(err))
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext == ".gz" {
			inner := strings.ToLower(filepath.Ext(strings.TrimSuffix(d.Name(), filepath.Ext(d.Name()))))
			if inner != "" && !usableExt(inner) {
				return nil
			}
		} else if !usableExt(ext) {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var docs []Doc
	for _, f := range files {
		ds, err := readFile(f, true)
		if err != nil {
			return nil, err
		}
		docs = append(docs, ds...)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("data: %s: folder has no usable files (*.txt, *.md, *.gz, *.jsonl, *.json with text)", root)
	}
	return docs, nil
}

// readFile reads one file. In a folder walk (skipEmpty) an empty file yields no Doc instead of
// an error.
func readFile(path string, skipEmpty bool) ([]Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %s", path, describe(err))
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".gz" {
		if raw, err = gunzip(raw); err != nil {
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
		return nil, fmt.Errorf("data: %s: invalid UTF-8 at byte %d", path, off)
	}
	text := normalize(string(raw))
	var docs []Doc
	switch ext {
	case ".jsonl":
		docs, err = parseJSONL(path, text)
	case ".json":
		docs, err = parseJSON(path, text)
	default:
		docs = []Doc{{Name: path, Text: text}}
	}
	if err == nil && len(docs) == 0 && !skipEmpty {
		err = fmt.Errorf("data: %s: no text", path)
	}
	return docs, err
}

func gunzip(raw []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("corrupt gzip data: %v", err)
	}
	return out, nil
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
	if strings.Contains(s, "\r\n") {
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
