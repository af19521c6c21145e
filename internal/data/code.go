package data

import (
	"path/filepath"
	"slices"
	"strings"
)

// CodeExts are the source-file kinds a code source's folder walk reads (lower-cased extensions;
// ".C" counts as ".c"). Assembly, build files, data (JSON, YAML) and documentation are not on the
// list: a code source is the program text itself.
var CodeExts = map[string]string{
	".go": "Go", ".py": "Python", ".c": "C", ".h": "C header", ".cc": "C++", ".cpp": "C++", ".cxx": "C++",
	".hh": "C++ header", ".hpp": "C++ header", ".java": "Java", ".kt": "Kotlin", ".scala": "Scala",
	".js": "JavaScript", ".mjs": "JavaScript", ".ts": "TypeScript", ".jsx": "JSX", ".tsx": "TSX",
	".rs": "Rust", ".rb": "Ruby", ".php": "PHP", ".pl": "Perl", ".lua": "Lua", ".sh": "shell",
	".bash": "shell", ".swift": "Swift", ".cs": "C#", ".hs": "Haskell", ".ml": "OCaml", ".jl": "Julia",
	".r": "R", ".sql": "SQL", ".zig": "Zig", ".dart": "Dart", ".ex": "Elixir", ".erl": "Erlang",
	".clj": "Clojure", ".lisp": "Lisp", ".scm": "Scheme", ".f90": "Fortran",
}

// codeSkip says why a code walk does not read the file called name ("" when it does): Go test
// files (*_test.go) and kinds not in CodeExts.
func codeSkip(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case CodeExts[ext] == "":
		return kindName(name) + ": not a code kind"
	case ext == ".go" && strings.HasSuffix(name, "_test.go"):
		return "Go test file"
	}
	return ""
}

// sourceFiles counts the files a text walk of root skipped that a code walk would read (a hint).
func sourceFiles(root string, skipped []Skip) int {
	n := 0
	for _, s := range skipped {
		if strings.HasSuffix(s.Why, "not a text kind") && codeSkip(filepath.Base(s.Path)) == "" && !inTestdata(root, s.Path) {
			n++
		}
	}
	return n
}

// inTestdata reports whether path lies in a folder named testdata below root.
func inTestdata(root, path string) bool {
	rel, err := filepath.Rel(root, filepath.Dir(path))
	return err == nil && slices.Contains(strings.Split(filepath.ToSlash(rel), "/"), "testdata")
}
