package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"midas/internal/tok"
	"midas/internal/train"
)

// tokenizeFlags are the choices of midas tokenize.
type tokenizeFlags struct {
	ckpt, tokenizer, text                     string
	hasText, decode, lists, lines, bos, plain bool
}

func runTokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize", "(--ckpt DIR | --tokenizer FILE) [--text TEXT | FILE | -] [--decode] [--lists] [--lines] [--bos] [--plain]", stderr)
	var f tokenizeFlags
	fs.StringVar(&f.ckpt, "ckpt", "", "checkpoint directory whose tokenizer.json to use")
	fs.StringVar(&f.tokenizer, "tokenizer", "", "tokenizer.json file to use")
	fs.StringVar(&f.text, "text", "", "the text to encode (instead of a file or stdin)")
	fs.BoolVar(&f.decode, "decode", false, "decode: read token ids (a JSON list, or a list of lists) and print the text")
	fs.BoolVar(&f.lists, "lists", false, "print a JSON list of token-id lists, the input of 'midas score --tokens'")
	fs.BoolVar(&f.lines, "lines", false, "one text per non-empty input line, one list each (implies --lists)")
	fs.BoolVar(&f.bos, "bos", false, "start every list with <|endoftext|>, as midas does before a document")
	fs.BoolVar(&f.plain, "plain", false, "treat a literal <|endoftext|> in the text as text (as training does), not as the special token")
	if err := parse(fs, args); err != nil {
		return err
	}
	f.hasText = setFlags(fs)["text"]
	switch {
	case f.ckpt != "" && f.tokenizer != "":
		return errors.New("give --ckpt or --tokenizer, not both")
	case fs.NArg() == 1 && f.hasText:
		return fmt.Errorf("give --text or a file (%s), not both", fs.Arg(0))
	case f.ckpt == "" && f.tokenizer == "", fs.NArg() > 1:
		fs.Usage()
		return errUsage
	}
	path := f.tokenizer
	if f.ckpt != "" {
		path = filepath.Join(f.ckpt, train.FileTokenizer)
	}
	tk, err := tok.Load(path)
	if err != nil {
		return err
	}
	in, name, err := tokenizeInput(f.hasText, f.text, fs.Arg(0))
	if err != nil {
		return err
	}
	if f.decode {
		return decodeIDs(stdout, tk, in, name)
	}
	return encodeText(stdout, tk, in, f)
}

// tokenizeInput returns the text of --text, of the file named, or of stdin (no file, or "-"), and
// a name for it in errors.
func tokenizeInput(hasText bool, text, file string) (string, string, error) {
	switch {
	case hasText:
		return text, "--text", nil
	case file == "" || file == "-":
		b, err := io.ReadAll(os.Stdin)
		return string(b), "stdin", err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", "", err
	}
	return string(b), file, nil
}

// encodeText prints the ids of in: one JSON list, or with --lists a list of lists (one per
// non-empty line with --lines).
func encodeText(w io.Writer, tk *tok.Tokenizer, in string, f tokenizeFlags) error {
	encode := tk.EncodeSpecial
	if f.plain {
		encode = tk.Encode
	}
	one := func(s string) []int32 {
		ids := encode(s)
		if f.bos {
			ids = append([]int32{tk.EOT()}, ids...)
		}
		return ids
	}
	if !f.lists && !f.lines {
		return writeJSONLine(w, one(in))
	}
	texts := []string{in}
	if f.lines {
		texts = texts[:0]
		for _, l := range strings.Split(in, "\n") {
			if l = strings.TrimSuffix(l, "\r"); l != "" {
				texts = append(texts, l)
			}
		}
	}
	out := make([][]int32, len(texts))
	for i, s := range texts {
		out[i] = one(s)
	}
	return writeJSONLine(w, out)
}

// decodeIDs prints the text of a JSON list of ids, or a JSON list of the texts of a list of lists.
func decodeIDs(w io.Writer, tk *tok.Tokenizer, in, name string) error {
	var ids []int32
	if err := json.Unmarshal([]byte(in), &ids); err == nil {
		s, err := tk.DecodeChecked(ids)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		_, err = io.WriteString(w, s)
		return err
	}
	var lists [][]int32
	if err := json.Unmarshal([]byte(in), &lists); err != nil {
		return errors.New(name + ": not a JSON list of token ids, nor a list of such lists")
	}
	texts := make([]string, len(lists))
	for i, l := range lists {
		s, err := tk.DecodeChecked(l)
		if err != nil {
			return fmt.Errorf("%s: list %d: %v", name, i, err)
		}
		texts[i] = s
	}
	return writeJSONLine(w, texts)
}

// writeJSONLine writes v as compact JSON (no HTML escapes) and a newline.
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
